/*
 * history.hpp
 *     The schema history blob of the PostgreSQL source: the replicated
 *     tables as the reader knows them at a position.
 *
 * NOTES
 *   pgoutput describes each table (Relation message) as of the WAL being
 *   decoded, which after a restart may be older than the current catalog
 *   (a column added after the stored position).  Starting from the tables
 *   as they were at the stored position, rather than from the catalog,
 *   keeps the reader from reporting a column as dropped and then added
 *   again.  The blob is JSON:
 *
 *     {"v":1,"tables":[{"oid":16390,"schema":"public","name":"t",
 *       "replident":"d","pk":[0],"ri":[],
 *       "columns":[{"name":"id","attnum":1,"type":23,"typmod":-1,
 *                   "text":"integer","base":"integer","typtype":"b",
 *                   "cat":"N","elem":0,"builtin":true,"notnull":true,
 *                   "default":null,"default_builtin":false,
 *                   "identity":false}]}]}
 *
 *   Everything read back is checked (types, ranges, indexes within the
 *   column list); a damaged blob is kDataCorrupted.
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/sources/postgres/schema.hpp"

namespace synchdb::pgsrc {

std::string TablesToHistory(const std::vector<SourceTable> &tables);
std::vector<SourceTable> TablesFromHistory(std::string_view blob);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
