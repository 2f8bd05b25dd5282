/*
 * mapping.hpp
 *     The user's rules for a connector's destination: table and column
 *     names, data types and value transforms, from its rule file and its
 *     object map (synchdb_objmap), resolved into one lookup structure.
 *
 * NOTES
 *   Precedence (docs/rule-file.md, "Precedence"):
 *     1. an object map rule beats a rule file rule for the same source
 *        object (same table, same column, same type and autoinc flag);
 *     2. for data types, a rule naming the column beats a rule naming the
 *        column's type, which beats the default mapping.
 *   Source names match case-insensitively; destination names are used
 *   exactly as written (no case folding), like quoted identifiers.
 *
 *   Everything that can be checked without PostgreSQL's catalogs or the
 *   source's tables is checked here: the shape of every source and
 *   destination object, source type names, sizes, and the placeholders of
 *   expressions.  Whether a PostgreSQL type exists and whether an
 *   expression is valid SQL is checked by the PostgreSQL layer
 *   (pg/transform.hpp); whether a %w/%s expression is on a geometry column
 *   is checked when the tables are known (MakeTableSet).
 *
 *   Expressions are rewritten once into SQL with parameters: %d becomes $1
 *   (the value, typed as the column's default PostgreSQL type), %w becomes
 *   $2 (the geometry's WKB, base64 text), %s becomes $3 (its SRID,
 *   integer), %% a single %.  SynchDB 1.0 substituted text, so rule files
 *   quote placeholders of text values ('%d', '%w'); a string literal that
 *   is exactly a placeholder becomes the parameter as text.  A placeholder
 *   inside a longer literal cannot be a parameter and is an error.
 */
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/rule_file.hpp"

namespace synchdb {

/* One row of synchdb_objmap (enabled rows only). */
struct ObjmapRow {
	std::string objtype; /* table, column, datatype, transform */
	std::string srcobj;
	std::string dstobj;
};

struct TableNameRule {
	std::string schema; /* destination schema */
	std::string table;  /* destination table */
	std::string origin; /* where the rule comes from, for messages */
};

struct ColumnNameRule {
	std::string column;
	std::string origin;
};

struct TypeRule {
	std::string type;       /* PostgreSQL type name as written: "text", "varchar", "numeric(12,2)" */
	int size = -1;          /* -1 keep the source size, 0 none, N force N */
	std::string only_type;  /* column rules "db.table.column.TYPE": applies only to that source type */
	std::string origin;
};

struct TransformRule {
	std::string written; /* as the user wrote it */
	std::string sql;     /* with $1 (value), $2 (WKB base64), $3 (SRID) */
	bool uses_value = false, uses_wkb = false, uses_srid = false;
	std::string origin;
};

struct Mapping {
	std::map<std::string, TableNameRule> tables;    /* "db.table" (lower case) */
	std::map<std::string, ColumnNameRule> columns;  /* "db.table.column" (lower case) */
	std::map<std::string, TypeRule> column_types;   /* "db.table.column" (lower case) */
	std::map<std::string, TypeRule> type_rules;     /* "<type>|<0 or 1 autoinc>", type normalized */
	std::map<std::string, TransformRule> transforms; /* "db.table.column" (lower case) */

	bool Empty() const
	{
		return tables.empty() && columns.empty() && column_types.empty() && type_rules.empty() && transforms.empty();
	}
	/* Every type rule, column and type-wide, for validation. */
	std::vector<const TypeRule *> AllTypeRules() const;
};

/*
 * Resolve a rule file (may be null; rule_file_label names it in messages)
 * and object map rows into a Mapping.  Throws synchdb::Error naming the
 * file and rule (F0000) or the object map rule (22023).
 */
Mapping BuildMapping(const RuleFile *rules, std::string_view rule_file_label, const std::vector<ObjmapRow> &objmap,
                     std::string_view connector);

/* Check one object map row as synchdb_add_objmap receives it (throws 22023). */
void ValidateObjmapRow(const ObjmapRow &row, std::string_view connector);

/* Rewrite an expression's placeholders (see NOTES); origin names the rule in errors. */
TransformRule RewriteTransform(std::string_view expression, const std::string &origin, const char *sqlstate);

/* MySQL type names as rules write them: lower case, single spaces; "integer" -> "int". */
std::string NormalizeSourceTypeName(std::string_view type);

struct TypeRuleColumnInfo {
	std::string data_type;   /* source DATA_TYPE */
	long char_length = -1;   /* CHAR/VARCHAR/BINARY/VARBINARY length */
	int precision = -1, scale = -1;
	int fsp = -1;            /* DATETIME/TIMESTAMP/TIME fractional digits */
	int bit_width = -1;
};

/*
 * The PostgreSQL type text for a type rule applied to a column whose
 * default-mapped type is `def` (size -1 keeps the source's length,
 * precision or fractional digits when the PostgreSQL type takes one).
 */
std::string RuleTypeSql(const TypeRule &rule, const TypeRuleColumnInfo &col);


/* Source objects as "db.table" / "db.table.column" map keys. */
std::string MappingKey(std::string_view db, std::string_view table);
std::string MappingKey(std::string_view db, std::string_view table, std::string_view column);

/* Objmap rows to and from the JSON handed to the worker: [["table","db.t","s.t"], ...]. */
std::string ObjmapToJson(const std::vector<ObjmapRow> &rows);
std::vector<ObjmapRow> ObjmapFromJson(std::string_view json);

}  // namespace synchdb

#include "core/cpp_only.hpp"
