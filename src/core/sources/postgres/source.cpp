/*
 * source.cpp
 *     PostgresSource and the adapter from the engine's Emitter to the
 *     reader's Sink; see source.hpp.
 */
#include "core/sources/postgres/source.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/sources/postgres/position.hpp"
#include "core/sources/postgres/prerequisites.hpp"
#include "core/sources/postgres/slot.hpp"

#include "core/emitter.hpp"
#include "core/schema_change.hpp"

namespace synchdb::pgsrc {

namespace {

/* Sink over the engine's Emitter: neutral tables become the engine's TableSet (rules applied). */
class EmitterSink final : public Sink {
public:
	EmitterSink(Emitter &out, const Mapping *mapping) : out_(out), mapping_(mapping) {}

	void Tables(const std::vector<NeutralTable> &tables, const std::string &history) override
	{
		current_ = MakeTableSet(tables, mapping_);
		Guard([&] { out_.Tables(current_, history); });
	}
	void CopyRows(int table, std::string text) override
	{
		Guard([&] { out_.CopyRows(table, std::move(text)); });
	}
	void SnapshotEstimate(std::vector<int64_t> rows) override
	{
		Guard([&] { out_.SnapshotEstimate(std::move(rows)); });
	}
	void CopyEnd(int table, uint64_t rows) override
	{
		Guard([&] { out_.CopyEnd(table, rows); });
	}
	void SnapshotDone(Position pos) override
	{
		Guard([&] { out_.SnapshotDone(std::move(pos)); });
	}
	void Change(int table, ChangeKind kind, RowData before, RowData after) override
	{
		Guard([&] { out_.Change(table, kind, std::move(before), std::move(after)); });
	}
	void SchemaChange(const std::vector<NeutralTable> &tables, const TableChange &change,
	                  const std::string &history) override
	{
		auto after = MakeTableSet(tables, mapping_);
		std::vector<std::string> sql;
		if (change.table >= 0 && static_cast<size_t>(change.table) < after->size()) {
			const TableInfo &t = (*after)[change.table];
			const bool existed = !change.added && current_ && static_cast<size_t>(change.table) < current_->size();
			if (!existed) {
				sql.push_back("CREATE SCHEMA IF NOT EXISTS " + QuotePgIdent(t.pg_schema));
				sql.push_back(CreateTableSql(t));
			} else {
				/* pgoutput names columns, nothing more: a column keeps its identity by name. */
				const TableInfo &b = (*current_)[change.table];
				std::vector<int> from(t.source.columns.size(), -1);
				for (size_t i = 0; i < from.size(); i++)
					for (size_t k = 0; k < b.source.columns.size(); k++)
						if (b.source.columns[k].name == t.source.columns[i].name)
							from[i] = static_cast<int>(k);
				sql = AlterTableSql(b, t, from);
			}
		}
		current_ = after;
		const std::string summary = change.table >= 0 && static_cast<size_t>(change.table) < tables.size()
		                                ? change.Summary(tables[change.table])
		                                : std::string("schema change");
		Guard([&] { out_.SchemaChange(after, std::move(sql), summary, history); });
	}
	void Commit(Position pos) override
	{
		Guard([&] { out_.Commit(std::move(pos)); });
	}
	void Notice(std::string text) override
	{
		Guard([&] { out_.Notice(std::move(text)); });
	}
	void Warning(std::string text) override
	{
		Guard([&] { out_.Notice(std::move(text), NoticeKind::Warning); });
	}
	void Finished() override
	{
		Guard([&] { out_.Finished(); });
	}
	void Fail(const Error &e) override
	{
		Guard([&] { out_.Fail(e); });
	}
	void Flush() override
	{
		Guard([&] { out_.Flush(); });
	}

private:
	template <typename F>
	void Guard(F &&f)
	{
		try {
			f();
		} catch (const StopRequested &) {
			throw Stopped{};
		}
	}

	Emitter &out_;
	const Mapping *mapping_;
	std::shared_ptr<const TableSet> current_; /* the tables as last sent */
};

}  // namespace

void PostgresReader::Run(Emitter &out) noexcept
{
	EmitterSink sink(out, mapping_.get());
	reader_.RunWith(sink);
}

PostgresSource::PostgresSource(SourceConfig config)
	: config_(std::move(config)), ep_(EndpointFromConfig(config_)),
	  filter_(ParseTableList(config_.conninfo.table, config_.conninfo.srcdb))
{
}

PostgresSource::~PostgresSource()
{
	std::fill(config_.password.begin(), config_.password.end(), '\0');
	std::fill(ep_.password.begin(), ep_.password.end(), '\0');
	Scrub(config_.tls_key_passphrase);
	Scrub(ep_.tls_key_passphrase);
}

std::string PostgresSource::CheckPrerequisites()
{
	CheckTlsFiles(ep_.tls); /* the files may have changed since the definition; name them clearly */
	Connection conn(ep_, ConnKind::Normal);
	const std::string name = ObjectName(ep_.connector);
	SourceSettings s = ReadSourceSettings(conn, filter_, name, name);
	std::vector<Problem> problems = FindProblems(s);
	if (!problems.empty())
		throw Error(sqlstate::kObjectNotInPrerequisiteState, conn.Prefix() + DescribeProblems(s, problems));
	/* a replication connection must be allowed too (pg_hba.conf has separate lines for it) */
	Connection repl(ep_, ConnKind::Replication);
	return conn.Describe() + ", database " + Quoted(ep_.dbname) + ", " + std::to_string(s.tables.size()) +
	       (s.tables.size() == 1 ? " table" : " tables");
}

std::unique_ptr<Reader> PostgresSource::NewReader(const StartPoint &start)
{
	auto r = std::make_unique<PostgresReader>(ep_, filter_, start, start.mapping);
	/* An idle heartbeat by default, so the slot advances while only other tables write (0 turns it off). */
	int64_t heartbeat_s = 10;
	uint64_t retention_mb = 1024;
	if (config_.extra.IsObject()) {
		if (const json::Value *h = config_.extra.Find("heartbeat_interval_s"); h && h->AsInt() && *h->AsInt() >= 0 &&
		                                                                        *h->AsInt() <= 86400)
			heartbeat_s = *h->AsInt();
		if (const json::Value *w = config_.extra.Find("wal_retention_warning_mb"); w && w->AsInt() && *w->AsInt() >= 0)
			retention_mb = static_cast<uint64_t>(*w->AsInt());
	}
	r->reader().SetHeartbeatInterval(std::chrono::seconds(heartbeat_s));
	r->reader().SetRetentionWarning(retention_mb << 20);
	return r;
}

Position PostgresSource::ParseOffset(std::string_view offset_json) const
{
	return ParsePgOffset(offset_json).ToPosition();
}

int PostgresSource::Compare(const Position &a, const Position &b) const
{
	return ComparePositions(a, b);
}

std::string PostgresSource::CheckOffset(const Position &pos)
{
	const PgPosition p = ParsePgOffset(pos.offset);
	Connection conn(ep_, ConnKind::Normal);
	const std::string slot = ObjectName(ep_.connector);
	auto info = FindSlot(conn, slot);
	if (!info)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(ep_.connector) + ": replication slot " + Quoted(slot) + " does not exist on " +
		                ep_.Where(),
		            {}, "Start the connector with a snapshot mode that takes a snapshot: it creates the slot.");
	if (info->confirmed_flush > p.lsn)
		throw Error(sqlstate::kInvalidParameterValue,
		            "connector " + Quoted(ep_.connector) + ": replication slot " + Quoted(slot) +
		                " is confirmed up to " + FormatLsn(info->confirmed_flush) + ", after LSN " + FormatLsn(p.lsn) +
		                "; a slot cannot go back, the changes before it are gone",
		            {}, "Give an LSN at or after " + FormatLsn(info->confirmed_flush) +
		                    ", or take a new snapshot (snapshot mode 'always').");
	const Lsn end = ParseLsn(conn.Value("SELECT pg_current_wal_lsn()").value_or("0/0"));
	if (p.lsn > end)
		throw Error(sqlstate::kInvalidParameterValue,
		            "connector " + Quoted(ep_.connector) + ": LSN " + FormatLsn(p.lsn) +
		                " is beyond the source's current WAL end " + FormatLsn(end),
		            {}, "Give an LSN the source has written (SELECT pg_current_wal_lsn() on the source).");
	return ep_.Where() + ", slot " + slot + " confirmed up to " + FormatLsn(info->confirmed_flush);
}

void PostgresSource::Drop()
{
	Connection conn(ep_, ConnKind::Normal);
	const std::string name = ObjectName(ep_.connector);
	DropSlot(conn, name);
	DropPublication(conn, name);
}

std::unique_ptr<Source> MakePostgresSource(SourceConfig config)
{
	return std::make_unique<PostgresSource>(std::move(config));
}

PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping)
{
	std::string written = type;
	while (!written.empty() && written.back() == ' ')
		written.pop_back();
	while (!written.empty() && written.front() == ' ')
		written.erase(0, 1);
	if (written.empty() || written.size() > 200 || written.find_first_of(";'\"\\") != std::string::npos)
		throw Error(sqlstate::kInvalidParameterValue, "invalid PostgreSQL data type " + Quoted(type), {},
		            "Give a type as PostgreSQL writes it, for example \"integer\", \"numeric\" with length and "
		            "scale, or \"timestamp with time zone\".");
	std::string lower;
	for (char c : written)
		lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	if (length > 0 && written.find('(') == std::string::npos)
		written += "(" + std::to_string(length) + (scale > 0 ? "," + std::to_string(scale) : "") + ")";
	NeutralColumn c;
	c.name = "c";
	c.type_name = lower;
	c.type_text = written;
	const auto kind = PgKindOfTypeName(written);
	const bool array = lower.size() > 2 && lower.compare(lower.size() - 2, 2, "[]") == 0;
	if (kind || array)
		c.pg = PgColumnType{written, kind.value_or(PgKind::Text)};
	else
		c.pg = PgColumnType{"text", PgKind::Text};
	c.rule_info.data_type = lower;
	c.rule_info.char_length = static_cast<long>(length);
	c.rule_info.precision = static_cast<int>(length);
	c.rule_info.scale = static_cast<int>(scale);
	if (!mapping)
		return c.pg;
	NeutralTable t;
	t.columns.push_back(std::move(c));
	return MakeTableInfo(std::move(t), mapping).pg_types[0];
}

}  // namespace synchdb::pgsrc
