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
 *   The reader's output goes through the engine's Emitter (EmitterSink in
 *   source.cpp), which applies the user's rules to the tables and plans
 *   the destination DDL of a changed Relation with AlterTableSql
 *   (core/schema_change.hpp), columns keeping their identity by name.
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
	/* The slot exists and has not been confirmed past pos (a slot cannot go back); pos is not beyond the WAL end. */
	std::string CheckOffset(const Position &pos) override;
	/* Drops the slot (waiting up to 10 s for a walsender to let go) and the publication. */
	void Drop() override;

private:
	SourceConfig config_;
	Endpoint ep_;
	std::vector<TableRef> filter_;
};

std::unique_ptr<Source> MakePostgresSource(SourceConfig config);

/*
 * synchdb_translate_datatype for this source: a built-in type (or array)
 * keeps its name, with length and scale as its modifiers; any other name
 * (an enum, a domain, an extension's type) becomes text, as the snapshot
 * maps it.  Then the connector's rules, when mapping is given.
 */
PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
