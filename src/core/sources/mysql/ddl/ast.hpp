/*
 * ast.hpp
 *     The typed result of parsing one MySQL/MariaDB DDL statement.
 *
 * NOTES
 *   One Statement per QUERY_EVENT text.  Its kind says what the caller must
 *   do: apply a table or database change, pass over a statement that needs
 *   nothing (NoOp, with the statement's name in `reason`), or report a
 *   statement it does not understand (NotUnderstood, with the reason).
 *   Statements that are DDL we understand but cannot replicate (CREATE
 *   TABLE ... SELECT) are not returned: Parse() throws kFeatureNotSupported.
 *
 *   Every table name is qualified: db is the statement's database or else
 *   the event's current database.
 *
 *   Column types keep the source's vocabulary: ColumnType::data_type is
 *   lower case and canonical ("int" for INTEGER, "decimal" for NUMERIC,
 *   "tinyint" for BOOL), so that ToSourceColumn() (schema.hpp) yields what
 *   information_schema would report and typemap.hpp applies unchanged.
 *   Defaults are kept in MariaDB's COLUMN_DEFAULT form (see
 *   mysql::SourceColumn::default_value).
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace synchdb::ddl {

struct QualifiedName {
	std::string db, name;
	bool operator==(const QualifiedName &) const = default;
	std::string ToString() const { return db + "." + name; }
};

struct ColumnType {
	std::string data_type;				  /* lower case, canonical: "int", "varchar", "decimal", "enum", ... */
	std::string written;				  /* as written, lower case, spaces collapsed: "integer", "double precision" */
	int64_t length = -1;				  /* (n) of char/varchar/binary/varbinary/bit/text/blob; display width of integers */
	int precision = -1, scale = -1;		  /* (M,D) of decimal/float/double */
	int fsp = -1;						  /* (n) of time/datetime/timestamp */
	bool is_unsigned = false, zerofill = false;
	bool binary = false;				  /* CHAR(10) BINARY */
	std::string charset, collation;		  /* lower case, "" if not given */
	std::vector<std::string> values;	  /* ENUM/SET labels, decoded */
	std::string srid;					  /* SRID n of spatial types, "" if none */
};

struct ColumnDef {
	std::string name;
	ColumnType type;
	std::optional<bool> nullable;			  /* NULL / NOT NULL as written; nullopt: not said */
	std::optional<std::string> default_value; /* MariaDB COLUMN_DEFAULT form: 'abc', 5, NULL, current_timestamp(3) */
	std::optional<std::string> on_update;	  /* ON UPDATE: current_timestamp() */
	bool auto_increment = false;
	bool primary_key = false; /* PRIMARY KEY (or KEY) on the column */
	bool unique = false;
	bool invisible = false;
	std::optional<std::string> comment;
	std::optional<std::string> generated_expr; /* GENERATED ALWAYS AS (expr): expr as written */
	bool generated_stored = false;			   /* STORED/PERSISTENT (else VIRTUAL) */
	std::vector<std::string> checks;		   /* CHECK (expr): expr as written */
};

enum class ConstraintKind { PrimaryKey, Unique, Index, Fulltext, Spatial, ForeignKey, Check, Period };

struct KeyPart {
	std::string column;		/* "" for a functional key part */
	int64_t prefix = -1;	/* col(10) */
	std::string expression; /* ((expr)) key part, as written */
	bool descending = false;
};

struct TableConstraint {
	ConstraintKind kind = ConstraintKind::Index;
	std::string name; /* CONSTRAINT name or index name, "" if none */
	std::vector<KeyPart> parts;
	QualifiedName ref_table; /* FOREIGN KEY */
	std::vector<std::string> ref_columns;
	std::string on_delete, on_update; /* "CASCADE", "SET NULL", ... upper case; "" if not given */
	std::string check_expr;			  /* CHECK (expr) as written */
};

struct TableOption {
	std::string name;  /* upper case: "ENGINE", "CHARSET", "COLLATE", "AUTO_INCREMENT", "COMMENT", "ROW_FORMAT" */
	std::string value; /* decoded; identifiers as written */
};

enum class StatementKind {
	CreateTable,	/* create (create.like set for CREATE TABLE a LIKE b) */
	AlterTable,		/* alter */
	DropTable,		/* drop */
	RenameTable,	/* rename */
	TruncateTable,	/* truncate */
	CreateDatabase, /* database */
	DropDatabase,	/* database */
	NoOp,			/* nothing to do; reason names the statement, "CREATE VIEW" */
	NotUnderstood	/* not a DDL we understand; reason says why */
};

struct CreateTable {
	QualifiedName table;
	bool if_not_exists = false;
	bool or_replace = false; /* MariaDB CREATE OR REPLACE TABLE */
	std::vector<ColumnDef> columns;
	std::vector<TableConstraint> constraints;
	std::vector<TableOption> options;
	std::optional<QualifiedName> like; /* CREATE TABLE a LIKE b */
	bool partitioned = false;		   /* a PARTITION BY clause was skipped */

	/* The value of an option (upper-case name), nullopt if not given. */
	std::optional<std::string> Option(const std::string &name) const
	{
		std::optional<std::string> v;
		for (const TableOption &o : options)
			if (o.name == name)
				v = o.value;
		return v;
	}
};

enum class AlterKind {
	AddColumn,		/* column, position */
	DropColumn,		/* name, if_exists */
	ModifyColumn,	/* column, position */
	ChangeColumn,	/* name (old), column (new name and definition), position */
	RenameColumn,	/* name -> new_name */
	SetDefault,		/* name, default_value */
	DropDefault,	/* name */
	AddPrimaryKey,	/* constraint */
	DropPrimaryKey, /* */
	RenameTable,	/* new_table */
	ConvertCharset, /* charset, collation: text columns change charset */
	/* Below: nothing to do for the replica's columns. */
	AddIndex,		/* constraint: UNIQUE/KEY/INDEX/FULLTEXT/SPATIAL/FOREIGN KEY/CHECK */
	DropIndex,		/* name: DROP INDEX/KEY/FOREIGN KEY/CONSTRAINT/CHECK */
	TableOptions,	/* options: ENGINE=, AUTO_INCREMENT=, COMMENT=, DEFAULT CHARSET= ... */
	Other			/* text: ALGORITHM=, LOCK=, FORCE, ORDER BY, RENAME INDEX, partition operations, ... */
};

struct ColumnPosition {
	enum Kind { Last, First, After } kind = Last;
	std::string after; /* After: the column */
};

struct AlterAction {
	AlterKind kind = AlterKind::Other;
	ColumnDef column;
	std::string name, new_name;
	bool if_exists = false; /* IF EXISTS / IF NOT EXISTS (MariaDB) */
	ColumnPosition position;
	std::optional<std::string> default_value;
	TableConstraint constraint;
	QualifiedName new_table;
	std::vector<TableOption> options;
	std::string charset, collation;
	std::string text;		/* the action as written */
	bool data_loss = false; /* DROP/TRUNCATE/EXCHANGE PARTITION: rows change without row events */

	/* True for the actions that change nothing the replica tracks. */
	bool NeedsNothing() const { return kind >= AlterKind::AddIndex; }
};

struct AlterTable {
	QualifiedName table;
	bool if_exists = false;
	std::vector<AlterAction> actions;
};

struct DropTable {
	std::vector<QualifiedName> tables;
	bool if_exists = false;
};

struct RenameTable {
	std::vector<std::pair<QualifiedName, QualifiedName>> renames; /* from, to; applied in order */
};

struct DatabaseStmt {
	std::string name;
	bool if_exists = false; /* IF NOT EXISTS for CREATE */
	std::vector<TableOption> options;
};

struct Statement {
	StatementKind kind = StatementKind::NotUnderstood;
	std::string reason; /* NoOp: the statement's name ("DROP TEMPORARY TABLE"); NotUnderstood: why */
	CreateTable create;
	AlterTable alter;
	DropTable drop;
	RenameTable rename;
	QualifiedName truncate;
	DatabaseStmt database;
};

const char *StatementKindName(StatementKind kind);
const char *AlterKindName(AlterKind kind);

}  // namespace synchdb::ddl

#include "core/cpp_only.hpp"
