/*
 * source.hpp
 *     PostgresSource: the Source (core/source.hpp) of connector type
 *     "postgres", a second PostgreSQL cluster read through logical
 *     replication (pgoutput).
 *
 * NOTES
 *   registry.cpp makes it with MakePostgresSource(config).  Config used:
 *   conninfo.name (slot/publication names, messages), hostname, port
 *   (default 5432), user, srcdb (the source database), table (the table
 *   list, schema.table entries; schema.hpp), password, connect_timeout_s,
 *   extra "sslmode" (optional libpq sslmode), extra "heartbeat_interval_s"
 *   (empty Commits while idle so the slot advances; reader.hpp; off when
 *   absent).
 *
 *   The reader's output goes through the engine's Emitter; the adapter
 *   (EmitterSink in source.cpp) compiles only when SYNCHDB_PGSOURCE_EMITTER
 *   is defined, because core/change.hpp does not yet carry the Msg fields
 *   core/emitter.hpp uses (history, notice, a Position pos) nor a
 *   MakeTableSet taking NeutralTables.  Without it PostgresReader::Run
 *   returns at once: define the macro (or drop the #if) when wiring.
 */
#pragma once

#include <memory>

#include "core/source.hpp"
#include "core/sources/postgres/connection.hpp"
#include "core/sources/postgres/reader.hpp"
#include "core/sources/postgres/schema.hpp"

namespace synchdb::pgsrc {

class PostgresReader final : public Reader {
public:
	PostgresReader(Endpoint ep, std::vector<TableRef> filter, StartPoint start,
	               std::shared_ptr<const Mapping> mapping)
		: reader_(std::move(ep), std::move(filter), std::move(start)), mapping_(std::move(mapping))
	{
	}
	void Run(Emitter &out) noexcept override;
	void Stop() override { reader_.Stop(); }
	void Confirm(const Position &pos) override { reader_.Confirm(pos); }
	PgReader &reader() { return reader_; }

private:
	PgReader reader_;
	std::shared_ptr<const Mapping> mapping_;
};

class PostgresSource final : public Source {
public:
	explicit PostgresSource(SourceConfig config);
	~PostgresSource() override;

	std::string CheckPrerequisites() override;
	std::unique_ptr<Reader> NewReader(const StartPoint &start) override;
	Position ParseOffset(std::string_view offset_json) const override;
	int Compare(const Position &a, const Position &b) const override;
	/* Drops the slot (waiting up to 10 s for a walsender to let go) and the publication. */
	void Drop() override;

private:
	SourceConfig config_;
	Endpoint ep_;
	std::vector<TableRef> filter_;
};

std::unique_ptr<Source> MakePostgresSource(SourceConfig config);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
