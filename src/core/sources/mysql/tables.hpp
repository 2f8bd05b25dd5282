/*
 * tables.hpp
 *     MySQL/MariaDB tables as the engine sees them: the neutral description
 *     (source.hpp) of an information_schema definition, and what the reader
 *     keeps per table to convert its values.
 */
#pragma once

#include <memory>
#include <vector>

#include "core/change.hpp"
#include "core/sources/mysql/schema.hpp"
#include "core/sources/mysql/pgtext.hpp"

namespace synchdb::mysql {

/* The MySQL reader's own data of a replicated table (TableInfo::native). */
struct MyTableData : SourceTableData {
	SourceTable table;                          /* the definition at the current position */
	std::vector<ColumnConversion> conversions;  /* per column: to its type, or to its transform's input type */
};

/*
 * The neutral description of a column: type_name as rules name it ("int
 * unsigned", "json" for MariaDB's JSON alias), default PostgreSQL type and
 * default expression.  Throws kFeatureNotSupported naming the column and
 * table for a type with no mapping.
 */
NeutralColumn ToNeutral(const SourceColumn &c, const std::string &table);
NeutralTable ToNeutral(const SourceTable &t);

/* The destination definition of a table under the rules, with its conversions. */
TableInfo MakeTable(SourceTable t, const Mapping *mapping = nullptr);
std::shared_ptr<const TableSet> MakeTables(std::vector<SourceTable> tables, const Mapping *mapping = nullptr);

/* The MySQL data of a table made by MakeTable. */
const MyTableData &Native(const TableInfo &t);

/* The definitions of a set, for schema history and DDL planning. */
std::vector<SourceTable> SourceTables(const TableSet &set);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
