/*
 * ddl_planner.hpp
 *     Source DDL to destination DDL for MySQL/MariaDB: what a statement in
 *     the binlog means for the replicated tables and for PostgreSQL.
 *
 * NOTES
 *   The reader thread parses each DDL statement of the binlog (ddl/), and
 *   PlanSchemaChange() decides, against the tables replicated at that
 *   binlog position, which of them the statement touches and what they look
 *   like afterwards (so that the rows that follow are decoded with the
 *   schema of their position); the statements that bring the destination
 *   along come from the neutral step (core/schema_change.hpp).  The main
 *   thread runs them in the transaction that commits the DDL's position.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/conninfo.hpp"
#include "core/schema_change.hpp"
#include "core/sources/mysql/ddl/ast.hpp"

namespace synchdb {

struct SchemaChange {
	std::shared_ptr<const TableSet> tables; /* the replicated tables after the statement */
	std::vector<std::string> sql;           /* PostgreSQL statements, in order */
	std::string summary;                    /* for the log: "ALTER TABLE inventory.orders (2 actions)" */
};

/*
 * nullopt when the statement concerns no replicated table (another database,
 * a table outside the table list, a statement that needs nothing).
 * Throws synchdb::Error for a change the destination cannot follow.
 */
std::optional<SchemaChange> PlanSchemaChange(const ddl::Statement &st, const TableSet &before, const std::string &srcdb,
                                             const std::vector<TableName> &filter, const Mapping *mapping = nullptr);

/*
 * The PostgreSQL type the default mapping gives a MySQL/MariaDB column type
 * (synchdb_translate_datatype): type as written ("int unsigned", "decimal",
 * "enum('a','b')"), length and scale as in information_schema, -1 or 0 for
 * none.  An unknown type is an error, never a silent text.
 */
PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale,
                               const Mapping *mapping = nullptr);

}  // namespace synchdb

#include "core/cpp_only.hpp"
