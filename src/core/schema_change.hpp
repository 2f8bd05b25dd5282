/*
 * schema_change.hpp
 *     Source DDL to destination DDL: what a statement in the binlog means
 *     for the replicated tables and for PostgreSQL.
 *
 * NOTES
 *   The reader thread parses each DDL statement of the binlog (core/ddl),
 *   and PlanSchemaChange() decides, against the tables replicated at that
 *   binlog position, which of them the statement touches, what they look
 *   like afterwards (so that the rows that follow are decoded with the
 *   schema of their position), and which PostgreSQL statements bring the
 *   destination along: renames stay renames (data kept), type changes use
 *   USING casts, defaults and NOT NULL follow, a primary key added or
 *   dropped follows.  Every identifier is quoted.  The main thread runs the
 *   statements in the transaction that commits the DDL's binlog position.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/conninfo.hpp"
#include "core/ddl/ast.hpp"

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

/*
 * CREATE TABLE IF NOT EXISTS for a destination table (columns, defaults,
 * NOT NULL, and the primary key unless with_key is false: a snapshot into
 * a new table adds the key after the rows, which builds it faster).
 */
std::string CreateTableSql(const TableInfo &t, bool with_key = true);

/*
 * The neutral step from one table shape to the next, for any source: the
 * statements that turn destination table `before` into `after`.  from[i]
 * is the index in before of after's column i (the same column, perhaps
 * renamed or retyped), -1 for a new column; before's columns that no entry
 * names are dropped.  Renames stay renames (data kept), type changes use
 * USING casts, defaults and NOT NULL follow, the primary key is rebuilt
 * when it changed (or rebuild_key).  The destination table may move to
 * another schema or name (rules follow the source's rename).
 */
std::vector<std::string> AlterTableSql(const TableInfo &before, const TableInfo &after, const std::vector<int> &from,
                                       bool rebuild_key = false);

/* ALTER TABLE ... ADD PRIMARY KEY for a table created without it; "" if it has none. */
std::string AddPrimaryKeySql(const TableInfo &t);

}  // namespace synchdb

#include "core/cpp_only.hpp"
