/*
 * table_map.cpp
 *     Parsing of TABLE_MAP_EVENT, including the optional metadata.
 *
 * NOTES
 *   The layout is described in table_map.hpp.  Metadata conventions used
 *   for ColumnDef::meta (so that tests can build columns by hand):
 *     1-byte metadata            the byte
 *     VARCHAR / VAR_STRING       the 2-byte little-endian maximum length
 *     NEWDECIMAL                 precision << 8 | scale
 *     BIT                        bytes << 8 | (bits % 8)
 *     STRING / ENUM / SET        first byte << 8 | second byte
 *
 *   Optional metadata (MySQL 8.0.1+ with binlog_row_metadata, MariaDB
 *   10.5+): see "Table_map_event::Optional_metadata_field_type" in
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Table__map__event.html
 *   Several fields are lists over a subset of the columns ("numeric
 *   columns", "character columns", "ENUM columns", ...), so the subsets are
 *   computed here exactly as the server does when writing them.  Unknown
 *   field types are skipped by their length.
 */
#include "core/sources/mysql/binlog/table_map.hpp"

#include <algorithm>

namespace synchdb::binlog {

std::string TableMap::QualifiedName() const
{
	return Quoted(schema) + "." + Quoted(table);
}

/* Size in bytes of a binary DECIMAL(precision, scale); see value.cpp. */
static uint32_t DecimalBinarySize(uint32_t precision, uint32_t scale)
{
	static const uint8_t kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
	uint32_t intg = precision > scale ? precision - scale : 0;
	return (intg / 9) * 4 + kDigitBytes[intg % 9] + (scale / 9) * 4 + kDigitBytes[scale % 9];
}

void PrepareColumn(ColumnDef &col)
{
	col.real_type = col.type;
	col.wire = WireKind::kFixed;
	col.length_bytes = 0;
	col.fixed_size = 0;

	switch (col.type) {
	case ColumnType::kTiny:
		col.fixed_size = 1;
		break;
	case ColumnType::kShort:
		col.fixed_size = 2;
		break;
	case ColumnType::kInt24:
		col.fixed_size = 3;
		break;
	case ColumnType::kLong:
		col.fixed_size = 4;
		break;
	case ColumnType::kLongLong:
		col.fixed_size = 8;
		break;
	case ColumnType::kFloat:
		col.fixed_size = 4;
		break;
	case ColumnType::kDouble:
		col.fixed_size = 8;
		break;
	case ColumnType::kNull:
		col.fixed_size = 0;
		break;
	case ColumnType::kYear:
		col.fixed_size = 1;
		break;
	case ColumnType::kDate:
	case ColumnType::kNewDate:
	case ColumnType::kTime:
		col.fixed_size = 3;
		break;
	case ColumnType::kTimestamp:
		col.fixed_size = 4;
		break;
	case ColumnType::kDateTime:
		col.fixed_size = 8;
		break;
	case ColumnType::kTime2:
		col.fsp = static_cast<uint8_t>(col.meta);
		col.fixed_size = 3 + (std::min<uint32_t>(col.fsp, 6) + 1) / 2;
		break;
	case ColumnType::kDateTime2:
		col.fsp = static_cast<uint8_t>(col.meta);
		col.fixed_size = 5 + (std::min<uint32_t>(col.fsp, 6) + 1) / 2;
		break;
	case ColumnType::kTimestamp2:
		col.fsp = static_cast<uint8_t>(col.meta);
		col.fixed_size = 4 + (std::min<uint32_t>(col.fsp, 6) + 1) / 2;
		break;
	case ColumnType::kNewDecimal:
		col.precision = static_cast<uint8_t>(col.meta >> 8);
		col.scale = static_cast<uint8_t>(col.meta & 0xff);
		col.fixed_size = DecimalBinarySize(col.precision, col.scale);
		break;
	case ColumnType::kBit: {
		uint32_t bits = col.meta & 0xff;
		uint32_t bytes = col.meta >> 8;
		col.bit_count = static_cast<uint8_t>(std::min<uint32_t>(bytes * 8 + bits, 255));
		col.fixed_size = bytes + (bits > 0 ? 1 : 0);
		break;
	}
	case ColumnType::kVarchar:
	case ColumnType::kVarString:
		col.max_length = col.meta;
		col.wire = WireKind::kLengthPrefixed;
		col.length_bytes = col.max_length > 255 ? 2 : 1;
		break;
	case ColumnType::kTinyBlob:
	case ColumnType::kMediumBlob:
	case ColumnType::kLongBlob:
	case ColumnType::kBlob:
	case ColumnType::kGeometry:
	case ColumnType::kJson:
	case ColumnType::kVector:
		col.wire = WireKind::kLengthPrefixed;
		col.length_bytes = static_cast<uint8_t>(col.meta & 0xff);
		/* A length-of-length outside 1..4 cannot come from a server. */
		if (col.length_bytes < 1 || col.length_bytes > 4)
			col.wire = WireKind::kUndecodable;
		break;
	case ColumnType::kString:
	case ColumnType::kEnum:
	case ColumnType::kSet: {
		uint8_t b0 = static_cast<uint8_t>(col.meta >> 8);
		uint8_t b1 = static_cast<uint8_t>(col.meta & 0xff);
		uint32_t length = b1;
		uint8_t real = b0;
		if (col.type == ColumnType::kString && b0 != 0) {
			/*
			 * The length of CHAR(n) can exceed 255 bytes (n <= 255 characters
			 * of up to 4 bytes each), so bits 8-9 of the length are stored
			 * inverted in bits 4-5 of the real-type byte (see
			 * Field_string::do_save_field_metadata in the MySQL source).
			 */
			if ((b0 & 0x30) != 0x30) {
				length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
				real = b0 | 0x30;
			}
		} else if (col.type != ColumnType::kString) {
			/* A bare ENUM/SET type code (not packed into STRING). */
			real = static_cast<uint8_t>(col.type);
		} else {
			real = static_cast<uint8_t>(ColumnType::kString);
		}
		col.real_type = static_cast<ColumnType>(real);
		col.max_length = length;
		if (col.real_type == ColumnType::kEnum || col.real_type == ColumnType::kSet) {
			/* ENUM: 1 or 2 bytes index; SET: 1-8 bytes bitmask. */
			col.fixed_size = length;
			if (length < 1 || length > 8)
				col.wire = WireKind::kUndecodable;
		} else if (col.real_type == ColumnType::kString) {
			col.wire = WireKind::kLengthPrefixed;
			col.length_bytes = length > 255 ? 2 : 1;
		} else {
			col.wire = WireKind::kUndecodable;
		}
		break;
	}
	case ColumnType::kDecimal:
	case ColumnType::kTypedArray:
	default:
		col.wire = WireKind::kUndecodable;
		break;
	}
}

ColumnDef MakeColumn(ColumnType type, uint16_t meta, bool is_unsigned, uint32_t charset)
{
	ColumnDef col;
	col.type = type;
	col.meta = meta;
	col.is_unsigned = is_unsigned;
	col.charset = charset;
	PrepareColumn(col);
	return col;
}

/* Number of metadata bytes a column type carries in the metadata block. */
static int MetadataBytes(uint8_t type)
{
	switch (static_cast<ColumnType>(type)) {
	case ColumnType::kFloat:
	case ColumnType::kDouble:
	case ColumnType::kTinyBlob:
	case ColumnType::kMediumBlob:
	case ColumnType::kLongBlob:
	case ColumnType::kBlob:
	case ColumnType::kGeometry:
	case ColumnType::kJson:
	case ColumnType::kVector:
	case ColumnType::kTime2:
	case ColumnType::kDateTime2:
	case ColumnType::kTimestamp2:
		return 1;
	case ColumnType::kVarchar:
	case ColumnType::kVarString:
	case ColumnType::kBit:
	case ColumnType::kNewDecimal:
	case ColumnType::kString:
	case ColumnType::kEnum:
	case ColumnType::kSet:
		return 2;
	case ColumnType::kTypedArray:
		return -1; /* element type byte + element metadata */
	default:
		return 0;
	}
}

/* Read one column's metadata from the metadata block into col.meta. */
static void ReadColumnMeta(ByteReader &r, ColumnDef &col)
{
	int n = MetadataBytes(static_cast<uint8_t>(col.type));
	switch (n) {
	case 0:
		col.meta = 0;
		break;
	case 1:
		col.meta = r.U8();
		break;
	case 2:
		switch (col.type) {
		case ColumnType::kVarchar:
		case ColumnType::kVarString:
			col.meta = r.U16();
			break;
		case ColumnType::kBit: {
			uint8_t bits = r.U8();
			uint8_t bytes = r.U8();
			col.meta = static_cast<uint16_t>(bytes << 8 | bits);
			break;
		}
		default: {
			/* NEWDECIMAL (precision, scale), STRING/ENUM/SET (real type, length) */
			uint8_t b0 = r.U8();
			uint8_t b1 = r.U8();
			col.meta = static_cast<uint16_t>(b0 << 8 | b1);
			break;
		}
		}
		break;
	default: {
		/* TYPED_ARRAY: the element type, then that type's metadata. */
		uint8_t element = r.U8();
		int inner = MetadataBytes(element);
		if (inner > 0)
			r.Skip(static_cast<size_t>(inner));
		col.meta = element;
		break;
	}
	}
}

/* Column subsets used by the optional metadata lists. */
static bool IsNumeric(const ColumnDef &c)
{
	switch (c.type) {
	case ColumnType::kTiny:
	case ColumnType::kShort:
	case ColumnType::kInt24:
	case ColumnType::kLong:
	case ColumnType::kLongLong:
	case ColumnType::kFloat:
	case ColumnType::kDouble:
	case ColumnType::kNewDecimal:
	case ColumnType::kDecimal:
		return true;
	default:
		return false;
	}
}

static bool IsEnumOrSet(const ColumnDef &c)
{
	return c.real_type == ColumnType::kEnum || c.real_type == ColumnType::kSet;
}

static bool IsCharacter(const ColumnDef &c)
{
	switch (c.real_type) {
	case ColumnType::kString:
	case ColumnType::kVarchar:
	case ColumnType::kVarString:
	case ColumnType::kTinyBlob:
	case ColumnType::kMediumBlob:
	case ColumnType::kLongBlob:
	case ColumnType::kBlob:
	case ColumnType::kVector: /* MySQL 9 lists VECTOR among the character columns (binary charset) */
		return true;
	default:
		return false;
	}
}

/* Indexes of the columns satisfying pred, in column order. */
template <typename Pred>
static std::vector<size_t> ColumnsWhere(const TableMap &tm, Pred pred)
{
	std::vector<size_t> out;
	for (size_t i = 0; i < tm.columns.size(); i++)
		if (pred(tm.columns[i]))
			out.push_back(i);
	return out;
}

/* Bit i (most significant bit first) of a bitmap. */
static bool MsbBit(Bytes bitmap, size_t i)
{
	return (bitmap[i / 8] >> (7 - i % 8)) & 1;
}

/*
 * DEFAULT_CHARSET style field: default collation, then (column index within
 * the subset, collation) pairs for the columns that differ.
 */
static void ApplyDefaultCharset(ByteReader &r, TableMap &tm, const std::vector<size_t> &subset)
{
	uint64_t dflt = r.Packed();
	for (size_t idx : subset)
		tm.columns[idx].charset = static_cast<uint32_t>(dflt);
	while (!r.AtEnd()) {
		uint64_t pos = r.Packed();
		uint64_t coll = r.Packed();
		if (pos >= subset.size())
			ThrowCorrupt(r.EventOffset(), r.What(), "charset entry for column " + std::to_string(pos) + " out of range");
		tm.columns[subset[pos]].charset = static_cast<uint32_t>(coll);
	}
}

/* COLUMN_CHARSET style field: one collation per column of the subset. */
static void ApplyColumnCharset(ByteReader &r, TableMap &tm, const std::vector<size_t> &subset)
{
	for (size_t idx : subset) {
		if (r.AtEnd())
			break;
		tm.columns[idx].charset = static_cast<uint32_t>(r.Packed());
	}
}

static void ParseOptionalMetadata(ByteReader &r, TableMap &tm)
{
	while (!r.AtEnd()) {
		uint8_t type = r.U8();
		Bytes value = r.PackedBytes();
		ByteReader f(value, r.EventOffset(), r.What());

		switch (static_cast<OptionalMetadataType>(type)) {
		case OptionalMetadataType::kSignedness: {
			auto numeric = ColumnsWhere(tm, IsNumeric);
			f.Need((numeric.size() + 7) / 8);
			for (size_t i = 0; i < numeric.size(); i++)
				tm.columns[numeric[i]].is_unsigned = MsbBit(value, i);
			tm.has_signedness = true;
			break;
		}
		case OptionalMetadataType::kDefaultCharset:
			ApplyDefaultCharset(f, tm, ColumnsWhere(tm, IsCharacter));
			tm.has_charsets = true;
			break;
		case OptionalMetadataType::kColumnCharset:
			ApplyColumnCharset(f, tm, ColumnsWhere(tm, IsCharacter));
			tm.has_charsets = true;
			break;
		case OptionalMetadataType::kEnumAndSetDefaultCharset:
			ApplyDefaultCharset(f, tm, ColumnsWhere(tm, IsEnumOrSet));
			break;
		case OptionalMetadataType::kEnumAndSetColumnCharset:
			ApplyColumnCharset(f, tm, ColumnsWhere(tm, IsEnumOrSet));
			break;
		case OptionalMetadataType::kColumnName:
			for (auto &col : tm.columns) {
				if (f.AtEnd())
					break;
				col.name = std::string(AsText(f.PackedBytes()));
			}
			tm.has_column_names = true;
			break;
		case OptionalMetadataType::kSetStrValue:
		case OptionalMetadataType::kEnumStrValue: {
			ColumnType want = static_cast<OptionalMetadataType>(type) == OptionalMetadataType::kSetStrValue
				? ColumnType::kSet
				: ColumnType::kEnum;
			for (auto &col : tm.columns) {
				if (col.real_type != want)
					continue;
				if (f.AtEnd())
					break;
				uint64_t count = f.Packed();
				/* Each label takes at least one byte: bound the count by the input. */
				f.CheckedSize(count);
				auto labels = std::make_shared<std::vector<std::string>>();
				labels->reserve(count);
				for (uint64_t k = 0; k < count; k++)
					labels->emplace_back(AsText(f.PackedBytes()));
				col.enum_set_values = std::move(labels);
			}
			break;
		}
		case OptionalMetadataType::kGeometryType:
			for (auto &col : tm.columns) {
				if (col.type != ColumnType::kGeometry)
					continue;
				if (f.AtEnd())
					break;
				col.geometry_type = static_cast<uint32_t>(f.Packed());
			}
			break;
		case OptionalMetadataType::kSimplePrimaryKey:
			while (!f.AtEnd()) {
				uint64_t idx = f.Packed();
				if (idx >= tm.columns.size())
					ThrowCorrupt(r.EventOffset(), r.What(), "primary key column " + std::to_string(idx) + " out of range");
				tm.primary_key.push_back(static_cast<uint32_t>(idx));
				tm.primary_key_prefix.push_back(0);
			}
			break;
		case OptionalMetadataType::kPrimaryKeyWithPrefix:
			while (!f.AtEnd()) {
				uint64_t idx = f.Packed();
				uint64_t prefix = f.Packed();
				if (idx >= tm.columns.size())
					ThrowCorrupt(r.EventOffset(), r.What(), "primary key column " + std::to_string(idx) + " out of range");
				tm.primary_key.push_back(static_cast<uint32_t>(idx));
				tm.primary_key_prefix.push_back(static_cast<uint32_t>(prefix));
			}
			break;
		case OptionalMetadataType::kColumnVisibility:
			f.Need((tm.columns.size() + 7) / 8);
			for (size_t i = 0; i < tm.columns.size(); i++)
				tm.columns[i].visible = MsbBit(value, i);
			break;
		case OptionalMetadataType::kVectorDimensionality:
			for (auto &col : tm.columns) {
				if (col.type != ColumnType::kVector)
					continue;
				if (f.AtEnd())
					break;
				col.vector_dimensions = static_cast<uint32_t>(f.Packed());
			}
			break;
		default:
			/* Unknown field: skipped by its length. */
			break;
		}
	}
}

std::shared_ptr<const TableMap> ParseTableMap(Bytes body, uint8_t post_header_len, uint64_t event_offset)
{
	ByteReader r(body, event_offset, "TABLE_MAP_EVENT");
	auto tm = std::make_shared<TableMap>();

	if (post_header_len == 6) {
		tm->table_id = r.U32();
	} else {
		tm->table_id = r.U48();
	}
	tm->flags = r.U16();
	/* A post-header longer than we know: skip the rest of it. */
	if (post_header_len > 8)
		r.Skip(post_header_len - 8);

	tm->schema = std::string(AsText(r.ShortBytes()));
	r.Skip(1); /* NUL */
	tm->table = std::string(AsText(r.ShortBytes()));
	r.Skip(1); /* NUL */

	uint64_t ncols = r.Packed();
	/* Each column has at least its type byte. */
	Bytes types = r.Take(r.CheckedSize(ncols));
	tm->columns.resize(types.size());
	for (size_t i = 0; i < types.size(); i++)
		tm->columns[i].type = static_cast<ColumnType>(types[i]);

	Bytes meta_block = r.PackedBytes();
	ByteReader m(meta_block, event_offset, "TABLE_MAP_EVENT");
	for (auto &col : tm->columns) {
		ReadColumnMeta(m, col);
		PrepareColumn(col);
		if (col.type == ColumnType::kJson)
			tm->json_column_count++;
	}

	/* The null bitmap is least-significant-bit first, unlike optional metadata. */
	Bytes nulls = r.Take((tm->columns.size() + 7) / 8);
	for (size_t i = 0; i < tm->columns.size(); i++)
		tm->columns[i].nullable = (nulls[i / 8] >> (i % 8)) & 1;

	if (!r.AtEnd())
		ParseOptionalMetadata(r, *tm);

	return tm;
}

}  // namespace synchdb::binlog
