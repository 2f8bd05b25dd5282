/*
 * session.hpp
 *     The session settings of synchdb's background workers: a search_path
 *     that nobody but a superuser can change the meaning of.
 *
 * NOTES
 *   A worker runs as a privileged role in a database whose owner may not
 *   be trusted.  Every name the worker resolves without a schema (its own
 *   statements' functions and operators, the type names and functions of
 *   the user's rules and transform expressions) resolves through
 *   search_path, so that path holds only pg_catalog and the schemas that
 *   only superusers can change: schemas of installed extensions (PostGIS's
 *   types and functions) in which no role that is not a superuser may
 *   create objects (the schema's owner may, so the owner must be a
 *   superuser too; PostgreSQL 15's "public" qualifies only while the
 *   database's owner is a superuser).  pg_temp comes last, so that
 *   temporary objects never shadow anything.  This is the reasoning of
 *   PostgreSQL's own apply worker (CVE-2020-14349), which empties its
 *   search_path.
 */
#pragma once

#include <string>

namespace synchdb::pg {

/*
 * Pin the worker's search_path to pg_catalog, the trusted extension
 * schemas and pg_temp (PGC_S_OVERRIDE: no ALTER DATABASE/ROLE SET or
 * transform can change it).  Starts and commits its own transaction.
 * Returns the path set.
 */
std::string PinWorkerSearchPath();

/*
 * Refuse to write into a _synchdb schema that a role other than a
 * superuser could have prepared: the schema, offsets and attribute tables
 * must belong to superusers, no other role may create in the schema, and
 * the tables must have no triggers or rules.  Current transaction.
 */
void CheckPrivateSchema();

/*
 * _synchdb.tables: the destination tables synchdb created (or a superuser
 * adopted with synchdb_adopt_table); only those are ever truncated or
 * dropped.  Created in a database the first time; then the tables the
 * column map attr_table names are taken as synchdb's (made before the list
 * was kept).  _synchdb exists and was checked.
 */
class Spi;
void EnsureOwnedTables(Spi &spi, const std::string &attr_table);

}  // namespace synchdb::pg
