/*
 * prerequisites.hpp
 *     What a PostgreSQL source must offer before a connector can replicate
 *     from it, and the statements a DBA runs to fix what is missing.
 *
 * NOTES
 *   ReadSourceSettings() asks the server (one normal connection, a handful
 *   of queries, the tables through schema.hpp's three catalog queries);
 *   FindProblems() is a pure function of what was read, so every message
 *   is unit-tested without a server.  All problems are reported at once.
 *
 *   Checked:
 *     - server version 10 or later (pgoutput);
 *     - wal_level = logical;
 *     - the user is superuser or has REPLICATION;
 *     - a free replication slot (unless the connector's slot exists) and a
 *       free WAL sender;
 *     - the publication: exists, or the user may create it (CREATE on the
 *       database; owner of every listed table, superuser for FOR ALL
 *       TABLES);
 *     - SELECT on every replicated table (the snapshot reads them);
 *     - every table can be published without breaking the source
 *       application: PostgreSQL refuses UPDATE and DELETE on a published
 *       table that has no replica identity (REPLICA IDENTITY NOTHING, or
 *       DEFAULT without a primary key).
 */
#pragma once

#include <string>
#include <vector>

#include "core/sources/postgres/schema.hpp"

namespace synchdb::pgsrc {

class Connection;

struct SourceSettings {
	std::string where;
	std::string user;
	std::string database;
	int version_num = 0;
	std::string version;
	std::string wal_level;
	bool superuser = false;
	bool replication = false;
	int max_replication_slots = 0;
	int used_replication_slots = 0;
	int max_wal_senders = 0;
	int used_wal_senders = 0;
	bool slot_exists = false;
	bool publication_exists = false;
	bool can_create_in_db = false;
	std::string slot_name;
	std::string publication_name;
	bool all_tables = false; /* no table list */
	std::vector<SourceTable> tables;
};

struct Problem {
	std::string what;
	std::string fix;
};

/* Throws only when the server cannot be asked (connection, missing listed table). */
SourceSettings ReadSourceSettings(Connection &conn, const std::vector<TableRef> &filter, const std::string &slot,
                                  const std::string &publication);

std::vector<Problem> FindProblems(const SourceSettings &s);

/* One paragraph: "3 problems: 1) ...; fix: ...". */
std::string DescribeProblems(const SourceSettings &s, const std::vector<Problem> &problems);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
