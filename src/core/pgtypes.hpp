/*
 * pgtypes.hpp
 *     Destination types as every source names them: SQL text for CREATE
 *     TABLE plus a PgKind, and PostgreSQL quoting.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace synchdb {

enum class PgKind {
	Bool,
	Int2,
	Int4,
	Int8,
	Numeric,
	Float4,
	Float8,
	Text,
	Varchar,
	Char,
	Bytea,
	Bit,
	Varbit,
	Date,
	Time,
	Timestamp,
	Timestamptz,
	Jsonb,
	Uuid,
	Inet
};

/* "bool", "int4", ... for messages and tests. */
const char *PgKindName(PgKind kind);

/*
 * The kind of a PostgreSQL type named by a rule ("text", "varchar(20)",
 * "timestamp with time zone", "int8"); nullopt for a type synchdb has no
 * rendering of its own for (an extension's type such as PostGIS's
 * geometry, a domain): values then go to its input function in the form
 * of the column's default type.
 */
std::optional<PgKind> PgKindOfTypeName(std::string_view type);

struct PgColumnType {
	std::string sql; /* as written in CREATE TABLE: "integer", "numeric(10,2)", "timestamp(3) without time zone" */
	PgKind kind;
};

/* A PostgreSQL identifier, always double-quoted: a"b -> "a""b". */
std::string QuotePgIdent(std::string_view name);

/* A PostgreSQL string literal with standard_conforming_strings: it's -> 'it''s'. */
std::string QuotePgLiteral(std::string_view value);

}  // namespace synchdb

#include "core/cpp_only.hpp"
