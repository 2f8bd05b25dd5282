/*
 * ddl.hpp
 *     A small reader of the Oracle DDL texts OpenLogReplicator sends in
 *     "ddl" messages (flag 0x20): what a statement does to a table.
 *
 * NOTES
 *   Understood: CREATE TABLE (columns, types, NOT NULL, inline and
 *   out-of-line PRIMARY KEY), DROP TABLE, TRUNCATE TABLE, RENAME a TO b,
 *   ALTER TABLE ... ADD (columns) / ADD column, DROP COLUMN c / DROP (c, ..),
 *   MODIFY (columns) / MODIFY column, RENAME COLUMN a TO b, RENAME TO b.
 *   Everything else (indexes, constraints other than the key, storage
 *   clauses, grants, ...) is Kind::Other: the caller reports it as a
 *   DDL passed over.  Unquoted names are upper case, as Oracle stores
 *   them; quoted names keep their case.  DEFAULT expressions are skipped
 *   (the destination gets no default: OLR sends every inserted value).
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/sources/olr/schema.hpp"

namespace synchdb::olr {

struct OraDdl {
	enum class Kind { Other, CreateTable, DropTable, Truncate, RenameTable, AddColumns, DropColumns, ModifyColumns,
		              RenameColumn };
	Kind kind = Kind::Other;
	std::string owner, table;     /* the table; owner "" = the session's schema */
	std::string new_owner, new_name; /* RenameTable */
	std::string column, new_column;  /* RenameColumn */
	std::vector<OlrColumn> columns;  /* CreateTable, AddColumns, ModifyColumns (type_known says which types came) */
	std::vector<bool> type_known;    /* ModifyColumns: whether the statement gave the column's type */
	std::vector<bool> null_given;    /* ModifyColumns: whether NULL / NOT NULL was given */
	std::vector<std::string> drop;   /* DropColumns */
	std::vector<std::string> primary_key; /* CreateTable */
	std::string why;                 /* Other: what was not understood */
};

OraDdl ParseOracleDdl(std::string_view sql);

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
