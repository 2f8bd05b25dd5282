/*
 * schema_change.hpp
 *     The neutral step from one table shape to the next: the PostgreSQL
 *     statements that create a destination table or bring it from one
 *     definition to the next, whatever source described the change
 *     (MySQL's DDL parser through sources/mysql/ddl_planner, PostgreSQL's
 *     Relation messages, ...).  Renames stay renames (data kept), type
 *     changes use USING casts, defaults and NOT NULL follow, a primary key
 *     added or dropped follows.  Every identifier is quoted.  The main
 *     thread runs the statements in the transaction that commits the
 *     change's source position.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/conninfo.hpp"

namespace synchdb {

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
