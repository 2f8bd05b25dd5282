/*
 * source.cpp
 *     PostgresSource and the adapter from the engine's Emitter to the
 *     reader's Sink; see source.hpp.
 */
#include "core/sources/postgres/source.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/sources/postgres/position.hpp"
#include "core/sources/postgres/prerequisites.hpp"
#include "core/sources/postgres/slot.hpp"

#ifdef SYNCHDB_PGSOURCE_EMITTER
#include "core/emitter.hpp"
#endif

namespace synchdb::pgsrc {

#ifdef SYNCHDB_PGSOURCE_EMITTER
namespace {

/* Sink over the engine's Emitter: neutral tables become the engine's TableSet (rules applied). */
class EmitterSink final : public Sink {
public:
	EmitterSink(Emitter &out, const Mapping *mapping) : out_(out), mapping_(mapping) {}

	void Tables(const std::vector<NeutralTable> &tables, const std::string &history) override
	{
		Guard([&] { out_.Tables(MakeTableSet(tables, mapping_), history); });
	}
	void CopyRows(int table, std::string text) override
	{
		Guard([&] { out_.CopyRows(table, std::move(text)); });
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
		Guard([&] {
			out_.SchemaChange(MakeTableSet(tables, mapping_), {}, change.Summary(tables[change.table]), history);
		});
	}
	void Commit(Position pos) override
	{
		Guard([&] { out_.Commit(std::move(pos)); });
	}
	void Notice(std::string text) override
	{
		Guard([&] { out_.Notice(std::move(text)); });
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
};

}  // namespace

void PostgresReader::Run(Emitter &out) noexcept
{
	EmitterSink sink(out, mapping_.get());
	reader_.RunWith(sink);
}
#else
void PostgresReader::Run(Emitter &) noexcept
{
	/* not wired yet: see source.hpp, NOTES */
}
#endif

PostgresSource::PostgresSource(SourceConfig config)
	: config_(std::move(config)), ep_(EndpointFromConfig(config_)),
	  filter_(ParseTableList(config_.conninfo.table, config_.conninfo.srcdb))
{
}

PostgresSource::~PostgresSource()
{
	std::fill(config_.password.begin(), config_.password.end(), '\0');
	std::fill(ep_.password.begin(), ep_.password.end(), '\0');
}

std::string PostgresSource::CheckPrerequisites()
{
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
	if (config_.extra.IsObject())
		if (const json::Value *h = config_.extra.Find("heartbeat_interval_s"); h && h->IsNumber())
			if (auto s = h->AsInt(); s && *s > 0 && *s <= 86400)
				r->reader().SetHeartbeatInterval(std::chrono::seconds(*s));
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

}  // namespace synchdb::pgsrc
