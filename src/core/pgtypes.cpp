/*
 * pgtypes.cpp
 *     PostgreSQL destination types and identifiers (see pgtypes.hpp).
 */
#include "core/pgtypes.hpp"

#include <algorithm>
#include <cctype>

#include "core/strings.hpp"

namespace synchdb {

const char *PgKindName(PgKind kind)
{
	switch (kind) {
	case PgKind::Bool: return "bool";
	case PgKind::Int2: return "int2";
	case PgKind::Int4: return "int4";
	case PgKind::Int8: return "int8";
	case PgKind::Numeric: return "numeric";
	case PgKind::Float4: return "float4";
	case PgKind::Float8: return "float8";
	case PgKind::Text: return "text";
	case PgKind::Varchar: return "varchar";
	case PgKind::Char: return "bpchar";
	case PgKind::Bytea: return "bytea";
	case PgKind::Bit: return "bit";
	case PgKind::Varbit: return "varbit";
	case PgKind::Date: return "date";
	case PgKind::Time: return "time";
	case PgKind::Timestamp: return "timestamp";
	case PgKind::Timestamptz: return "timestamptz";
	case PgKind::Jsonb: return "jsonb";
	case PgKind::Uuid: return "uuid";
	case PgKind::Inet: return "inet";
	}
	return "?";
}

std::optional<PgKind> PgKindOfTypeName(std::string_view type)
{
	std::string t = Lower(type);
	if (size_t paren = t.find('('); paren != std::string::npos) {
		size_t close = t.find(')', paren);
		t = t.substr(0, paren) + (close == std::string::npos ? "" : t.substr(close + 1));
	}
	std::string n = LowerCollapsed(t);
	if (n.rfind("pg_catalog.", 0) == 0)
		n = n.substr(11);
	static const struct {
		const char *name;
		PgKind kind;
	} kNames[] = {
		{"bool", PgKind::Bool}, {"boolean", PgKind::Bool}, {"smallint", PgKind::Int2}, {"int2", PgKind::Int2},
		{"integer", PgKind::Int4}, {"int", PgKind::Int4}, {"int4", PgKind::Int4}, {"bigint", PgKind::Int8},
		{"int8", PgKind::Int8}, {"numeric", PgKind::Numeric}, {"decimal", PgKind::Numeric}, {"real", PgKind::Float4},
		{"float4", PgKind::Float4}, {"double precision", PgKind::Float8}, {"float8", PgKind::Float8},
		{"float", PgKind::Float8}, {"text", PgKind::Text}, {"varchar", PgKind::Varchar},
		{"character varying", PgKind::Varchar}, {"char", PgKind::Char}, {"character", PgKind::Char},
		{"bpchar", PgKind::Char}, {"bytea", PgKind::Bytea}, {"bit", PgKind::Bit}, {"varbit", PgKind::Varbit},
		{"bit varying", PgKind::Varbit}, {"date", PgKind::Date}, {"time", PgKind::Time},
		{"time without time zone", PgKind::Time}, {"timestamp", PgKind::Timestamp},
		{"timestamp without time zone", PgKind::Timestamp}, {"timestamptz", PgKind::Timestamptz},
		{"timestamp with time zone", PgKind::Timestamptz}, {"json", PgKind::Jsonb}, {"jsonb", PgKind::Jsonb},
		{"uuid", PgKind::Uuid}, {"inet", PgKind::Inet}, {"cidr", PgKind::Inet},
		/* no value conversion of its own: the source's text goes to interval's input (MySQL TIME as written) */
		{"interval", PgKind::Text}};
	for (const auto &e : kNames)
		if (n == e.name)
			return e.kind;
	return std::nullopt;
}

std::string QuotePgIdent(std::string_view name)
{
	std::string out;
	out.reserve(name.size() + 2);
	out += '"';
	for (char ch : name) {
		if (ch == '"')
			out += '"';
		out += ch;
	}
	out += '"';
	return out;
}

std::string QuotePgLiteral(std::string_view value)
{
	/* E'' with doubled backslashes is right whatever standard_conforming_strings says. */
	bool has_backslash = value.find('\\') != std::string_view::npos;
	std::string out;
	out.reserve(value.size() + 3);
	if (has_backslash)
		out += 'E';
	out += '\'';
	for (char ch : value) {
		if (ch == '\'')
			out += '\'';
		else if (ch == '\\')
			out += '\\';
		out += ch;
	}
	out += '\'';
	return out;
}

}  // namespace synchdb
