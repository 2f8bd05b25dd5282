/*
 * schema.hpp
 *     The replicated tables of the source database, read from its catalogs,
 *     and their neutral description (source.hpp).
 *
 * NOTES
 *   Three catalog queries in all, whatever the number of tables: tables,
 *   columns, key indexes.  The table filter travels as query parameters
 *   (never spliced into SQL).
 *
 *   Which tables: the connector's table list, entries "schema.table" (or
 *   "srcdb.schema.table"), names as stored in the catalog (case-sensitive,
 *   not quoted); empty or "null" = every ordinary table (relkind 'r',
 *   partitions included as themselves, partitioned parents excluded) of
 *   every schema except pg_catalog, information_schema, pg_toast* and
 *   pg_temp*.  A listed table that does not exist is an error naming every
 *   such table (kUndefinedObject).
 *
 *   Which columns: attnum order, dropped and system columns skipped, and
 *   generated columns skipped too (pgoutput in PostgreSQL 15 does not send
 *   them, so the row images would not carry them).
 *
 *   Type naming (NeutralColumn):
 *     type_name  format_type(atttypid, NULL) in lower case: "integer",
 *                "numeric", "character varying", "timestamp with time zone",
 *                "integer[]", "character varying[]"; a user type as
 *                format_type writes it ("mood", "myschema.mood").  This is
 *                what type rules name.
 *     type_text  format_type(atttypid, atttypmod): "numeric(10,2)",
 *                "character varying(20)[]".
 *     pg         built-in types (oid < 16384), arrays of built-ins
 *                included: the same format_type text, kind from
 *                PgKindOfTypeName or Text.  Enums, domains, composite,
 *                extension types (oid >= 16384, and arrays of them): "text"
 *                (PgKind::Text); values pass through as their output text.
 *   Defaults kept (pg_default): only for columns of built-in types, only
 *   expressions that depend on no object of oid >= 16384 other than the
 *   table itself, and only of the shapes: a number, true/false, NULL, a
 *   quoted literal with a cast to a type name ('x'::text, '{}'::integer[]),
 *   now(), CURRENT_TIMESTAMP/CURRENT_DATE/CURRENT_TIME/LOCALTIMESTAMP/
 *   LOCALTIME (with an optional precision).  Everything else (nextval,
 *   functions, operators) is dropped.  Identity columns and serials set
 *   auto_increment.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/source.hpp"

namespace synchdb::pgsrc {

class Connection;

inline constexpr uint32_t kFirstNormalObjectId = 16384;

struct TableRef {
	std::string schema;
	std::string table;
	std::string ToString() const { return schema + "." + table; }
	bool operator==(const TableRef &) const = default;
};

/* Parse the connector's table list; throws kInvalidParameterValue naming the bad entry. */
std::vector<TableRef> ParseTableList(std::string_view list, std::string_view srcdb);

struct SourceColumn {
	std::string name;
	int attnum = 0;
	uint32_t type_oid = 0;
	int32_t typmod = -1;
	std::string type_text; /* format_type(atttypid, atttypmod) */
	std::string type_base; /* format_type(atttypid, NULL) */
	char typtype = 'b';    /* b base, c composite, d domain, e enum, p pseudo, r range, m multirange */
	char typcategory = 'U';
	uint32_t elem_oid = 0; /* array element type, 0 when not an array */
	bool builtin = true;   /* the type and (for arrays) its element are built-in */
	bool not_null = false;
	std::optional<std::string> default_expr; /* pg_get_expr text */
	bool default_builtin_only = false;       /* depends on nothing user-defined */
	bool identity = false;                   /* GENERATED ... AS IDENTITY, or a serial's nextval default */
};

struct SourceTable {
	uint32_t oid = 0;
	std::string schema;
	std::string name;
	char replident = 'd';
	std::string owner;
	bool user_is_owner = false;  /* member of the owning role */
	bool can_select = false;
	std::vector<SourceColumn> columns;   /* replicated columns, attnum order */
	std::vector<size_t> primary_key;     /* indexes into columns */
	std::vector<size_t> replident_index; /* columns of the REPLICA IDENTITY USING INDEX index */
	std::vector<std::string> skipped_generated; /* generated columns left out */

	std::string QualifiedName() const { return schema + "." + name; }
	/* "schema"."table" quoted. */
	std::string QuotedName() const;
	/* The columns the replica identity sends as the key: pk (default), index, all (full), none. */
	std::vector<size_t> IdentityColumns() const;
};

/* Read the tables the filter names (empty = all); throws kUndefinedObject naming missing tables. */
std::vector<SourceTable> ReadSourceTables(Connection &conn, const std::vector<TableRef> &filter);

/* The destination description (see NOTES). */
NeutralTable ToNeutral(const SourceTable &t);
NeutralColumn ToNeutral(const SourceColumn &c);

/* The default to keep for a column, nullopt = drop (see NOTES). */
std::optional<std::string> SafeDefault(const SourceColumn &c);

/* True when text is one of the default shapes kept (see NOTES); exposed for tests. */
bool IsSafeDefaultShape(std::string_view expr);

/* A text[] literal for a query parameter: {"a","b\"c"}. */
std::string TextArrayLiteral(const std::vector<std::string> &items);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
