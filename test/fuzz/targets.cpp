/*
 * targets.cpp
 *     The bodies of the fuzz targets (see common.hpp), free of libFuzzer so
 *     that the unit tests can run the regression inputs through them.
 *
 * NOTES
 *   Input layouts (the seed generator, make_seeds.cpp, writes the same):
 *
 *   binlog       mode byte, then bytes.  mode bit 0: verify checksums;
 *                bit 1 clear: the bytes are a binlog file (magic, events)
 *                read by FileReader; bit 1 set: a replication stream of
 *                events without magic, framed by their event_size and fed
 *                to a Decoder whose checksum algorithm is set beforehand
 *                (bit 2: CRC32), as the reader thread does.  Every event
 *                then goes through a ChangeBuilder (created at the first
 *                event that names a database, which becomes the
 *                replicated database, so that CREATE TABLE statements of
 *                the input make its later rows replicated; the PostgreSQL
 *                statements it plans must hold no NUL byte) and every row
 *                value of every rows event is decoded.
 *   rows         rows event type selector, flags (bit 0: 6-byte table
 *                map post-header; bit 1: 6-byte rows post-header),
 *                table map body length (2 bytes LE), table map body,
 *                rows event body.  Every value is decoded, then rendered
 *                as PostgreSQL input text (pgtext.hpp) for the default
 *                type of the column the table map describes and for text;
 *                that text must hold no NUL byte, integers must fit their
 *                type and jsonb text must be JSON.
 *   binlog_json  selector (bit 0: partial JSON diff, else a binary JSON
 *                document), then the bytes.
 *   compress     selector % 3: 0 MariaDB zlib header + stream; 1 zstd
 *                frame preceded by a 4-byte LE expected size (0 = none);
 *                2 TRANSACTION_PAYLOAD_EVENT body, whose inner events are
 *                decoded.
 *   ddl          statements separated by NUL bytes, applied in order to a
 *                schema catalog and to the replicated table set.
 *   json         a JSON document; writing it and parsing the result must
 *                give the same text again.
 *   rules        selector (bit 0: object map JSON, else a rule file),
 *                then the text.
 *   olr          selector (bit 0: an Oracle DDL text for the
 *                OpenLogReplicator source's statement reader, whose column
 *                types must render; else one OpenLogReplicator JSON frame
 *                for the message decoder, whose string values are then
 *                unescaped), then the bytes.
 */
#include "common.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/sources/mysql/binlog/compress.hpp"
#include "core/sources/mysql/binlog/event.hpp"
#include "core/sources/mysql/binlog/file_reader.hpp"
#include "core/sources/mysql/binlog/json.hpp"
#include "core/sources/mysql/binlog/rows.hpp"
#include "core/sources/mysql/binlog/table_map.hpp"
#include "core/change.hpp"
#include "core/sources/mysql/ddl/parser.hpp"
#include "core/sources/mysql/ddl/schema.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/mapping.hpp"
#include "core/sources/mysql/change_builder.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/sources/mysql/pgtext.hpp"
#include "core/rule_file.hpp"
#include "core/schema_change.hpp"
#include "core/sources/mysql/ddl_planner.hpp"
#include "core/sources/mysql/typemap.hpp"
#include "core/sources/olr/ddl.hpp"
#include "core/sources/olr/message.hpp"
#include "core/sources/olr/types.hpp"

namespace synchdb::fuzz {

namespace {

using binlog::Bytes;

/* A property of a target does not hold: report and crash, so that libFuzzer keeps the input. */
[[noreturn]] void Violated(const char *what, const std::string &detail)
{
	std::fprintf(stderr, "fuzz property violated: %s\n%s\n", what, detail.c_str());
	std::abort();
}

/* PostgreSQL statements go to SPI as C strings: a NUL byte would cut them short. */
void CheckSql(const std::vector<std::string> &sql)
{
	for (const std::string &q : sql)
		if (q.find('\0') != std::string::npos)
			Violated("generated PostgreSQL statement holds a NUL byte", q);
}

/* Decode every value of every row of a rows event whose table map is known. */
void DecodeAllRows(const binlog::RowsEvent &re)
{
	if (!re.table)
		return;
	binlog::RowIterator it(re);
	binlog::RowChange change;
	binlog::Value v;
	std::vector<binlog::JsonDiffEntry> diffs;
	std::string why;
	while (it.Next(change)) {
		for (const binlog::RowImage *img : {&change.before, &change.after}) {
			for (size_t i = 0; i < img->ColumnCount(); i++) {
				try {
					img->Get(i, v);
				} catch (const Error &) {
					continue;
				}
				(void)v.ToString();
				if (v.kind == binlog::ValueKind::kEnum)
					(void)v.Label();
				else if (v.kind == binlog::ValueKind::kSet)
					(void)v.SetLabels();
				else if (v.kind == binlog::ValueKind::kJsonDiff) {
					diffs.clear();
					binlog::ParseJsonDiff(Bytes(reinterpret_cast<const uint8_t *>(v.Bytes().data()), v.Bytes().size()),
										  diffs, &why);
				}
			}
		}
	}
}

void DecodeRowsOf(const binlog::Event &ev)
{
	if (const auto *re = ev.As<binlog::RowsEvent>()) {
		try {
			DecodeAllRows(*re);
		} catch (const Error &) {
		}
	}
}

/* The change builder of the binlog target, created at the first event naming a database. */
struct Builder {
	std::unique_ptr<mysql::ChangeBuilder> b;
	bool failed = false;

	void Feed(const binlog::Event &ev, binlog::Decoder &decoder)
	{
		if (failed)
			return;
		if (!b) {
			std::string db;
			if (const auto *q = ev.As<binlog::QueryEvent>())
				db = q->schema;
			else if (const auto *tm = ev.As<binlog::TableMapEvent>())
				db = tm->table->schema;
			if (db.empty())
				return;
			b = std::make_unique<mysql::ChangeBuilder>(std::make_shared<const TableSet>(), db,
													   std::vector<TableName>{}, "fuzz",
													   mysql::BinlogPosition{"binlog.000001", 4, "", 0, 0},
													   [](Msg &&m, bool) {
														   if (const auto *c = std::get_if<msg::SchemaChange>(&m))
															   CheckSql(c->sql);
													   });
		}
		try {
			b->OnEvent(ev, decoder);
		} catch (const Error &) {
			failed = true; /* the reader thread stops here too */
		}
	}
};

void BinlogFile(std::vector<uint8_t> bytes, bool verify)
{
	Builder builder;
	try {
		binlog::FileReader reader(std::move(bytes), "fuzz", binlog::Decoder::Options{verify});
		binlog::Event ev;
		while (reader.Next(ev)) {
			DecodeRowsOf(ev);
			if (!ev.in_payload) /* the builder opens payloads itself */
				builder.Feed(ev, reader.GetDecoder());
		}
	} catch (const Error &) {
	}
}

void BinlogStream(const uint8_t *data, size_t size, bool verify, bool crc32)
{
	binlog::Decoder decoder(binlog::Decoder::Options{verify});
	decoder.SetChecksum(crc32 ? binlog::ChecksumAlg::kCrc32 : binlog::ChecksumAlg::kOff);
	Builder builder;
	size_t pos = 0;
	while (pos < size) {
		size_t left = size - pos;
		size_t n = left;
		if (left >= binlog::kHeaderSize) {
			uint32_t event_size = static_cast<uint32_t>(binlog::LoadLE(data + pos + 9, 4));
			if (event_size >= binlog::kHeaderSize && event_size <= left)
				n = event_size;
		}
		Bytes raw(data + pos, n);
		pos += n;
		binlog::Event ev;
		try {
			ev = decoder.Decode(raw, pos - n);
		} catch (const Error &) {
			continue; /* keep going: the decoder must stay sound after an error */
		}
		DecodeRowsOf(ev);
		if (const auto *p = ev.As<binlog::TransactionPayloadEvent>()) {
			size_t ipos = 0;
			binlog::Event inner;
			try {
				while (decoder.DecodeInner(*p, &ipos, ev.offset, inner))
					DecodeRowsOf(inner);
			} catch (const Error &) {
			}
		}
		builder.Feed(ev, decoder);
	}
}

/*
 * The source column information_schema would report for a table map
 * column (as far as the map tells), so that values can be rendered for
 * their default PostgreSQL type as the connector does.
 */
mysql::SourceColumn SourceColumnOf(const binlog::ColumnDef &c, size_t i)
{
	using binlog::ColumnType;
	mysql::SourceColumn s;
	s.name = c.name.empty() ? "c" + std::to_string(i) : c.name;
	s.is_unsigned = c.is_unsigned;
	s.nullable = c.nullable;
	const bool bin = c.charset == 63;
	s.charset = bin ? "binary" : c.charset == 8 ? "latin1" : "utf8mb4";
	std::string args;
	switch (c.real_type) {
	case ColumnType::kTiny: s.data_type = "tinyint"; break;
	case ColumnType::kShort: s.data_type = "smallint"; break;
	case ColumnType::kInt24: s.data_type = "mediumint"; break;
	case ColumnType::kLong: s.data_type = "int"; break;
	case ColumnType::kLongLong: s.data_type = "bigint"; break;
	case ColumnType::kFloat: s.data_type = "float"; break;
	case ColumnType::kDouble: s.data_type = "double"; break;
	case ColumnType::kYear: s.data_type = "year"; break;
	case ColumnType::kDate:
	case ColumnType::kNewDate: s.data_type = "date"; break;
	case ColumnType::kTime:
	case ColumnType::kTime2: s.data_type = "time"; break;
	case ColumnType::kDateTime:
	case ColumnType::kDateTime2: s.data_type = "datetime"; break;
	case ColumnType::kTimestamp:
	case ColumnType::kTimestamp2: s.data_type = "timestamp"; break;
	case ColumnType::kBit: s.data_type = "bit"; break;
	case ColumnType::kJson: s.data_type = "json"; break;
	case ColumnType::kNewDecimal: s.data_type = "decimal"; break;
	case ColumnType::kEnum: s.data_type = "enum"; break;
	case ColumnType::kSet: s.data_type = "set"; break;
	case ColumnType::kGeometry: s.data_type = "geometry"; break;
	case ColumnType::kVarchar:
	case ColumnType::kVarString: s.data_type = bin ? "varbinary" : "varchar"; break;
	case ColumnType::kString: s.data_type = bin ? "binary" : "char"; break;
	case ColumnType::kTinyBlob: s.data_type = bin ? "tinyblob" : "tinytext"; break;
	case ColumnType::kMediumBlob: s.data_type = bin ? "mediumblob" : "mediumtext"; break;
	case ColumnType::kLongBlob: s.data_type = bin ? "longblob" : "longtext"; break;
	case ColumnType::kBlob: s.data_type = bin ? "blob" : "text"; break;
	default: s.data_type = "vector"; break; /* no mapping: DefaultPgType refuses it */
	}
	if (s.data_type == "decimal") {
		s.precision = c.precision;
		s.scale = c.scale;
		args = "(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
	} else if (s.data_type == "time" || s.data_type == "datetime" || s.data_type == "timestamp") {
		s.datetime_precision = c.fsp;
		args = c.fsp ? "(" + std::to_string(c.fsp) + ")" : "";
	} else if (s.data_type == "bit") {
		s.precision = c.bit_count;
		args = "(" + std::to_string(c.bit_count) + ")";
	} else if (s.data_type == "varchar" || s.data_type == "varbinary" || s.data_type == "char" ||
			   s.data_type == "binary") {
		s.char_max_length = c.max_length;
		args = "(" + std::to_string(c.max_length) + ")";
	} else if ((s.data_type == "enum" || s.data_type == "set") && c.enum_set_values) {
		s.enum_values = *c.enum_set_values;
		args = "(";
		for (const std::string &l : s.enum_values)
			args += (args.size() > 1 ? "," : "") + QuotePgLiteral(l);
		args += ")";
	}
	s.column_type = s.data_type + args + (c.is_unsigned ? " unsigned" : "");
	return s;
}

/* PostgreSQL input text of every value must at least be free of NUL bytes, and right for some kinds. */
void CheckPgText(const std::string &text, PgKind kind, const std::string &what)
{
	if (text.find('\0') != std::string::npos)
		Violated("PostgreSQL input text holds a NUL byte", what);
	auto all_digits = [&](size_t from) {
		return from < text.size() && text.find_first_not_of("0123456789", from) == std::string::npos;
	};
	switch (kind) {
	case PgKind::Int2:
	case PgKind::Int4:
	case PgKind::Int8: {
		if (!all_digits(text[0] == '-' ? 1 : 0))
			Violated("integer text is not an integer", what + ": " + text);
		errno = 0;
		long long v = std::strtoll(text.c_str(), nullptr, 10);
		long long lo = kind == PgKind::Int2 ? -32768 : kind == PgKind::Int4 ? INT32_MIN : INT64_MIN;
		long long hi = kind == PgKind::Int2 ? 32767 : kind == PgKind::Int4 ? INT32_MAX : INT64_MAX;
		if (errno == ERANGE || v < lo || v > hi)
			Violated("integer text is out of range of its PostgreSQL type", what + ": " + text);
		break;
	}
	case PgKind::Jsonb:
		try {
			(void)json::Parse(text);
		} catch (const Error &e) {
			/* Duplicate keys: json::Parse refuses them, jsonb keeps the last. */
			if (std::string(e.what()).find("duplicate member") == std::string::npos)
				Violated("jsonb text is not JSON", what + ": " + text + "\n" + e.what());
		}
		break;
	default:
		break;
	}
}

/* Render every value of the rows as the connector would, for the default type and for text. */
void RenderAllRows(const binlog::RowsEvent &re)
{
	if (!re.table)
		return;
	mysql::SourceTable t;
	t.db = "db";
	t.name = "t";
	for (size_t i = 0; i < re.table->columns.size(); i++)
		t.columns.push_back(SourceColumnOf(re.table->columns[i], i));
	std::vector<ColumnConversion> def(t.columns.size()), text(t.columns.size());
	std::vector<bool> usable(t.columns.size(), false);
	for (size_t i = 0; i < t.columns.size(); i++) {
		try {
			def[i] = MakeConversion(t, i, DefaultPgType(t.columns[i]));
			text[i] = MakeConversion(t, i, PgColumnType{"text", PgKind::Text});
			usable[i] = true;
		} catch (const Error &) {
		}
	}
	binlog::RowIterator it(re);
	binlog::RowChange change;
	binlog::Value v;
	std::string out;
	while (it.Next(change)) {
		for (const binlog::RowImage *img : {&change.before, &change.after}) {
			for (size_t i = 0; i < img->ColumnCount() && i < usable.size(); i++) {
				if (!usable[i])
					continue;
				try {
					img->Get(i, v);
				} catch (const Error &) {
					continue;
				}
				try {
					if (BinlogValueToPgText(v, def[i], out))
						CheckPgText(out, def[i].kind, t.columns[i].column_type + " as " + PgKindName(def[i].kind));
				} catch (const Error &) {
				}
				try {
					if (BinlogValueToPgText(v, text[i], out))
						CheckPgText(out, PgKind::Text, t.columns[i].column_type + " as text");
				} catch (const Error &) {
				}
			}
		}
	}
}

bool IsRowsV2(uint8_t t)
{
	return t == 30 || t == 31 || t == 32 || t == 39 || t >= 169;
}

}  // namespace

void FuzzBinlog(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	uint8_t mode = data[0];
	if (mode & 2)
		BinlogStream(data + 1, size - 1, mode & 1, mode & 4);
	else
		BinlogFile(std::vector<uint8_t>(data + 1, data + size), mode & 1);
}

void FuzzRows(const uint8_t *data, size_t size)
{
	static const uint8_t kTypes[] = {23, 24, 25, 30, 31, 32, 39, 166, 167, 168, 169, 170, 171};
	if (size < 4)
		return;
	uint8_t type = kTypes[data[0] % sizeof kTypes];
	uint8_t flags = data[1];
	size_t tm_len = data[2] | (size_t(data[3]) << 8);
	if (tm_len > size - 4)
		return;
	Bytes tm_body(data + 4, tm_len);
	Bytes rows_body(data + 4 + tm_len, size - 4 - tm_len);
	try {
		auto tm = binlog::ParseTableMap(tm_body, (flags & 1) ? 6 : 8, 0);
		uint8_t rows_post = (flags & 2) ? 6 : IsRowsV2(type) ? 10 : 8;
		binlog::RowsEvent re = binlog::ParseRowsEvent(type, rows_body, rows_post, 0);
		re.table = tm;
		try {
			DecodeAllRows(re);
		} catch (const Error &) {
		}
		RenderAllRows(re);
	} catch (const Error &) {
	}
}

void FuzzBinlogJson(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	Bytes doc(data + 1, size - 1);
	std::string why;
	if (data[0] & 1) {
		std::vector<binlog::JsonDiffEntry> diffs;
		binlog::ParseJsonDiff(doc, diffs, &why);
		return;
	}
	std::string text;
	if (!binlog::JsonBinaryToText(doc, text, &why))
		return;
	/*
	 * The text goes to a jsonb column: it must be JSON.  json::Parse refuses
	 * \u0000 as jsonb does; pgtext refuses such values with a clear error.
	 * It also refuses duplicate keys, which MySQL never stores but jsonb
	 * would accept (keeping the last).
	 */
	try {
		(void)json::Parse(text);
	} catch (const Error &e) {
		if (text.find("\\u0000") == std::string::npos && std::string(e.what()).find("duplicate member") == std::string::npos)
			Violated("JsonBinaryToText output is not JSON", text + "\n" + e.what());
	}
}

void FuzzCompress(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	Bytes in(data + 1, size - 1);
	std::vector<uint8_t> out;
	std::string why;
	switch (data[0] % 3) {
	case 0:
		binlog::MariaUncompress(in, out, &why);
		break;
	case 1:
		if (in.size() >= 4)
			binlog::ZstdDecompress(in.subspan(4), binlog::LoadLE(in.data(), 4), out, &why);
		break;
	case 2: {
		/* A TRANSACTION_PAYLOAD_EVENT around the bytes, from a stream without checksums. */
		std::vector<uint8_t> raw(binlog::kHeaderSize, 0);
		raw[4] = static_cast<uint8_t>(binlog::EventType::kTransactionPayload);
		uint32_t total = static_cast<uint32_t>(binlog::kHeaderSize + in.size());
		for (int i = 0; i < 4; i++)
			raw[9 + i] = static_cast<uint8_t>(total >> (8 * i));
		raw.insert(raw.end(), in.begin(), in.end());
		binlog::Decoder decoder(binlog::Decoder::Options{false});
		decoder.SetChecksum(binlog::ChecksumAlg::kOff);
		try {
			binlog::Event ev = decoder.Decode(raw, 4);
			const auto *p = ev.As<binlog::TransactionPayloadEvent>();
			size_t ipos = 0;
			binlog::Event inner;
			while (p && decoder.DecodeInner(*p, &ipos, ev.offset, inner))
				DecodeRowsOf(inner);
		} catch (const Error &) {
		}
		break;
	}
	}
}

void FuzzDdl(const uint8_t *data, size_t size)
{
	std::string_view all(reinterpret_cast<const char *>(data), size);
	ddl::SchemaCatalog catalog;
	auto tables = std::make_shared<const TableSet>();
	size_t start = 0;
	while (start <= all.size()) {
		size_t end = all.find('\0', start);
		if (end == std::string_view::npos)
			end = all.size();
		std::string_view sql = all.substr(start, end - start);
		start = end + 1;
		ddl::Statement st;
		try {
			st = ddl::Parse(sql, "db");
		} catch (const Error &) {
			continue;
		}
		try {
			if (st.kind == ddl::StatementKind::CreateTable && !st.create.like)
				(void)ddl::ToSourceTable(st.create);
		} catch (const Error &) {
		}
		try {
			catalog.Apply(st);
		} catch (const Error &) {
		}
		try {
			if (auto plan = PlanSchemaChange(st, *tables, "db", {}, nullptr)) {
				CheckSql(plan->sql);
				tables = plan->tables;
			}
		} catch (const Error &) {
		}
	}
}

void FuzzJson(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	json::Value v;
	try {
		v = json::Parse(text);
	} catch (const Error &) {
		return;
	}
	std::string once = json::Write(v);
	std::string twice;
	try {
		twice = json::Write(json::Parse(once));
	} catch (const Error &e) {
		Violated("json::Write output does not parse", once + "\n" + e.what());
	}
	if (once != twice)
		Violated("json::Write(Parse(Write(v))) differs from Write(v)", once + "\n" + twice);
}

void FuzzRules(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);

	/* A table the rules may name: inventory.orders. */
	mysql::SourceTable t;
	t.db = "inventory";
	t.name = "orders";
	auto col = [&](const char *name, const char *type, const char *column_type) {
		mysql::SourceColumn c;
		c.name = name;
		c.data_type = type;
		c.column_type = column_type;
		t.columns.push_back(c);
	};
	col("id", "int", "int(11)");
	col("quantity", "int", "int(11)");
	col("name", "varchar", "varchar(255)");
	col("price", "decimal", "decimal(10,2)");
	col("created", "datetime", "datetime(6)");
	col("location", "geometry", "geometry");
	t.primary_key = {0};

	try {
		Mapping m;
		if (data[0] & 1) {
			std::vector<ObjmapRow> rows = ObjmapFromJson(text);
			std::vector<ObjmapRow> back = ObjmapFromJson(ObjmapToJson(rows));
			bool same = back.size() == rows.size();
			for (size_t i = 0; same && i < rows.size(); i++)
				same = back[i].objtype == rows[i].objtype && back[i].srcobj == rows[i].srcobj &&
					   back[i].dstobj == rows[i].dstobj;
			if (!same)
				Violated("ObjmapFromJson(ObjmapToJson(rows)) differs from rows", ObjmapToJson(rows));
			for (const ObjmapRow &r : rows) {
				try {
					ValidateObjmapRow(r, "fuzz");
				} catch (const Error &) {
				}
			}
			m = BuildMapping(nullptr, "", rows, "fuzz");
		} else {
			RuleFile rf = ParseRuleFile(text, "fuzz.json");
			m = BuildMapping(&rf, "fuzz.json", {}, "fuzz");
		}
		TypeRuleColumnInfo info;
		info.data_type = "decimal";
		info.precision = 10;
		info.scale = 2;
		for (const TypeRule *r : m.AllTypeRules())
			(void)RuleTypeSql(*r, info);
		(void)mysql::MakeTables({t}, &m);
	} catch (const Error &) {
	}
}

void FuzzOlr(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
	if (data[0] & 1) {
		const olr::OraDdl d = olr::ParseOracleDdl(text);
		for (const auto &c : d.columns) {
			const PgColumnType pg = olr::DefaultPgType(c.type);
			if (pg.sql.empty() || pg.sql.find('\0') != std::string::npos)
				Violated("an Oracle column type renders no PostgreSQL type", olr::TypeText(c.type));
		}
		return;
	}
	olr::MessageDecoder dec;
	const olr::Message *m = nullptr;
	try {
		m = &dec.Decode(text);
	} catch (const Error &) {
		return;
	}
	std::string out;
	for (const auto &p : m->payload())
		for (const auto *image : {&p.before, &p.after})
			for (const auto &c : *image)
				if (c.value.kind == olr::JValue::Kind::String) {
					out.clear();
					try {
						olr::AppendUnescaped(out, c.value);
					} catch (const Error &) {
					}
				}
}

}  // namespace synchdb::fuzz
