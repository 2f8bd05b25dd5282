/*
 * schema.hpp
 *     Definitions of the source tables, read from a MySQL or MariaDB
 *     server's information_schema.
 *
 * NOTES
 *   ReadSourceTables() makes a fixed number of queries per database (tables,
 *   columns, primary keys, and on MariaDB the json_valid() CHECKs that mark
 *   its JSON columns), never one per table or column, so that a database of
 *   thousands of tables is read quickly.
 *
 *   Column order is ORDINAL_POSITION order, which is the order of the
 *   columns in binlog row images; callers index row images with it.
 *
 *   COLUMN_DEFAULT is reported differently by the two servers: MariaDB
 *   10.2.7+ quotes string literals ('abc', with '' and backslash escapes),
 *   leaves numbers bare and reports expressions as text (current_timestamp());
 *   MySQL 8 reports literals unquoted and marks expressions with
 *   DEFAULT_GENERATED in EXTRA.  SourceColumn::default_value always uses the
 *   MariaDB form, so consumers handle one syntax (see NormalizeMySQLDefault).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/conninfo.hpp"
#include "core/sources/mysql/connection.hpp"

namespace synchdb::mysql {

struct SourceColumn {
	std::string name;		 /* as in the source */
	std::string data_type;	 /* DATA_TYPE, lower case: "int", "varchar", "enum", ... */
	std::string column_type; /* COLUMN_TYPE: "int(10) unsigned", "enum('a','b')", "tinyint(1)" */
	bool nullable = true;
	bool is_unsigned = false;
	bool auto_increment = false;
	bool generated = false; /* VIRTUAL/STORED (PERSISTENT) generated column */
	/*
	 * MariaDB's JSON: DATA_TYPE "longtext" with the automatic CHECK
	 * (json_valid(`col`)).  A JSON column with a user-written CHECK has no
	 * such constraint and cannot be told from LONGTEXT.
	 */
	bool json_alias = false;
	/*
	 * COLUMN_DEFAULT in MariaDB 10.2.7+ form: string literals quoted ('abc'),
	 * numbers and b'101' bare, NULL as the word NULL, expressions as text
	 * (current_timestamp(3)).  nullopt: no default.
	 */
	std::optional<std::string> default_value;
	int64_t char_max_length = -1; /* CHARACTER_MAXIMUM_LENGTH, -1 if none */
	int precision = -1;			  /* NUMERIC_PRECISION (digits; bits for BIT) */
	int scale = -1;				  /* NUMERIC_SCALE */
	int datetime_precision = -1;  /* DATETIME_PRECISION */
	std::string charset;		  /* CHARACTER_SET_NAME, "" if none */
	std::vector<std::string> enum_values; /* ENUM/SET labels, from column_type */
};

struct SourceTable {
	std::string db, name;
	std::vector<SourceColumn> columns; /* ORDINAL_POSITION order = binlog row image order */
	std::vector<size_t> primary_key;   /* indexes into columns, key order; empty = none */

	/* "db.name", for messages. */
	std::string QualifiedName() const { return db + "." + name; }
};

/*
 * Base tables of db (TABLE_TYPE 'BASE TABLE', and MariaDB's 'SYSTEM
 * VERSIONED'; not views or sequences), in byte order of their names.  When
 * filter is non-empty, only the tables it names (entries for other
 * databases are ignored); a table named in filter that is not a base table
 * of db is an error (42P01), so that a typing mistake never replicates
 * nothing silently.  Throws synchdb::Error on query failures.
 */
std::vector<SourceTable> ReadSourceTables(Connection &conn, const std::string &db,
										  const std::vector<TableName> &filter);

/*
 * Labels of ENUM/SET from a COLUMN_TYPE such as "enum('a','it''s','x\\y')":
 * quotes doubled or backslash-escaped, backslash escapes as in SQL string
 * literals.  Empty for other types.  Throws kDataCorrupted if the text is
 * malformed.
 */
std::vector<std::string> ParseEnumValues(const std::string &column_type);

/*
 * MySQL 8 COLUMN_DEFAULT (unquoted literals) to the MariaDB form used by
 * SourceColumn::default_value.  expression: EXTRA has DEFAULT_GENERATED.
 */
std::optional<std::string> NormalizeMySQLDefault(const std::optional<std::string> &column_default,
												 const std::string &data_type, bool expression);

/*
 * Fill the fields derived from the other ones: is_unsigned from
 * column_type, enum_values, lower-case data_type.  ReadSourceTables calls
 * it; tests that build columns by hand may too.
 */
void CompleteColumn(SourceColumn &c);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
