/*
 * schema_json.hpp
 *     Source table definitions to JSON and back, for the schema history the
 *     worker keeps in PostgreSQL beside its position.
 *
 * NOTES
 *   After a restart the connector resumes at its stored binlog position;
 *   the source's information_schema describes the tables as they are now,
 *   possibly after DDL that lies ahead in the binlog.  So the definitions
 *   that were current at the stored position are committed with it, and
 *   read back instead of information_schema.
 */
#pragma once

#include <string>
#include <vector>

#include "core/sources/mysql/schema.hpp"

namespace synchdb::mysql {

std::string TablesToJson(const std::vector<SourceTable> &tables);
/* Throws synchdb::Error naming the connector's history when the text is not what TablesToJson wrote. */
std::vector<SourceTable> TablesFromJson(const std::string &text);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
