/*
 * schema.hpp
 *     From parsed DDL to the source-table descriptions of
 *     core/mysql/schema.hpp: a column definition as information_schema
 *     would report it, and schema tracking (the table definitions in
 *     force at a binlog position, kept up to date by applying DDL).
 */
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/sources/mysql/ddl/ast.hpp"
#include "core/sources/mysql/schema.hpp"

namespace synchdb::ddl {

/*
 * The SourceColumn that information_schema would report for def:
 * canonical data_type, column_type text ("int(10) unsigned",
 * "enum('a','b')"), lengths, precisions, nullability (PRIMARY KEY implies
 * NOT NULL), the default in MariaDB form.  table_charset is the table's
 * default character set, used for character columns that name none.
 */
mysql::SourceColumn ToSourceColumn(const ColumnDef &def, const std::string &table_charset = {});

/* The table a CREATE TABLE (without LIKE) makes. */
mysql::SourceTable ToSourceTable(const CreateTable &ct);

/*
 * Apply an ALTER TABLE's actions to t, in order (columns added, dropped,
 * moved, retyped, renamed; defaults; the primary key).  Throws
 * synchdb::Error (42703 undefined column, 42701 duplicate column) when an
 * action does not fit the table, so that a tracked schema that has gone
 * out of step is noticed.  Renaming the table changes t.db/t.name.
 */
void ApplyAlter(mysql::SourceTable &t, const AlterTable &alter);

/*
 * The tables of some databases, as DDL leaves them.  Apply() takes any
 * parsed statement: CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE and
 * CREATE/DROP DATABASE change the set; everything else changes nothing.
 * DDL on tables that are not tracked (created before tracking began and
 * never added with Put) is ignored, except CREATE.
 */
class SchemaCatalog {
public:
	void Put(mysql::SourceTable t);
	const mysql::SourceTable *Find(const std::string &db, const std::string &name) const;
	/* Apply one statement; true if the set of tables or a table changed. */
	bool Apply(const Statement &st);
	size_t size() const { return tables_.size(); }
	const std::map<std::pair<std::string, std::string>, mysql::SourceTable> &tables() const { return tables_; }

private:
	std::map<std::pair<std::string, std::string>, mysql::SourceTable> tables_;
};

}  // namespace synchdb::ddl

#include "core/cpp_only.hpp"
