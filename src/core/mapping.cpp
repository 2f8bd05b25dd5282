/*
 * mapping.cpp
 *     Resolving rule files and object map rows into a Mapping.
 */
#include "core/mapping.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/strings.hpp"

namespace synchdb {

namespace {

/* Split at dots; parts may not be empty. */
std::vector<std::string> SplitDots(std::string_view s)
{
	std::vector<std::string> parts;
	size_t start = 0;
	for (;;) {
		size_t dot = s.find('.', start);
		parts.emplace_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
		if (dot == std::string_view::npos)
			break;
		start = dot + 1;
	}
	return parts;
}

bool AnyEmpty(const std::vector<std::string> &parts)
{
	return std::any_of(parts.begin(), parts.end(), [](const std::string &p) { return Trim(p).empty(); });
}

/* The MySQL/MariaDB data types rules may name (information_schema DATA_TYPE spelling). */
bool KnownSourceType(const std::string &t)
{
	static const char *const kTypes[] = {
		"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double", "bit",
		"date", "datetime", "timestamp", "time", "year", "char", "varchar", "binary", "varbinary",
		"tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob", "enum", "set",
		"json", "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
		"geometrycollection", "uuid", "inet4", "inet6"};
	return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char *k) { return t == k; });
}

bool NumericSourceType(const std::string &t)
{
	return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "bigint" || t == "decimal" ||
	       t == "float" || t == "double";
}

/* A PostgreSQL identifier as a rule gives it: not empty, at most 63 bytes, no NUL. */
std::string CheckPgName(std::string_view name, const char *what, const std::function<Error(const std::string &)> &fail)
{
	std::string n(Trim(name));
	if (n.empty())
		throw fail(std::string(what) + " is empty");
	if (n.size() > 63)
		throw fail(std::string(what) + " \"" + n + "\" is longer than 63 bytes, PostgreSQL's limit for names");
	if (n.find('\0') != std::string::npos)
		throw fail(std::string(what) + " contains a NUL byte");
	return n;
}

struct Builder {
	Mapping m;
	std::string connector;

	/* Errors: f(what) gives the Error for this rule. */
	using Fail = std::function<Error(const std::string &)>;

	void AddTable(std::string_view src, std::string_view dst, const std::string &origin, const Fail &fail)
	{
		auto s = SplitDots(Trim(src));
		if (s.size() != 2 || AnyEmpty(s))
			throw fail("source table \"" + std::string(src) +
			           "\" must be written database.table, for example \"inventory.orders\"");
		auto d = SplitDots(Trim(dst));
		if (d.size() > 2 || AnyEmpty(d))
			throw fail("destination table \"" + std::string(dst) +
			           "\" must be written schema.table or table, for example \"schema1.orders\"");
		TableNameRule r;
		r.schema = d.size() == 2 ? CheckPgName(d[0], "destination schema", fail) : std::string("public");
		r.table = CheckPgName(d.back(), "destination table", fail);
		r.origin = origin;
		m.tables[MappingKey(Trim(s[0]), Trim(s[1]))] = std::move(r);
	}

	void AddColumn(std::string_view src, std::string_view dst, const std::string &origin, const Fail &fail)
	{
		auto s = SplitDots(Trim(src));
		if (s.size() != 3 || AnyEmpty(s))
			throw fail("source column \"" + std::string(src) +
			           "\" must be written database.table.column, for example \"inventory.orders.quantity\"");
		if (Trim(dst).find('.') != std::string::npos)
			throw fail("destination column \"" + std::string(dst) + "\" must be a plain column name, without dots");
		ColumnNameRule r;
		r.column = CheckPgName(dst, "destination column", fail);
		r.origin = origin;
		m.columns[MappingKey(Trim(s[0]), Trim(s[1]), Trim(s[2]))] = std::move(r);
	}

	void AddType(std::string_view from, bool autoinc, std::string_view to, int size, const std::string &origin,
	             const Fail &fail)
	{
		TypeRule r;
		r.type = std::string(Trim(to));
		if (r.type.empty())
			throw fail("the PostgreSQL type is empty");
		if (r.type.find_first_of(";\"'") != std::string::npos || r.type.find("--") != std::string::npos ||
		    r.type.find("/*") != std::string::npos)
			throw fail("\"" + r.type + "\" is not a PostgreSQL type name");
		if (size < -1)
			throw fail("size " + std::to_string(size) + " is invalid: -1 keeps the source size, 0 means none, N forces N");
		if (size > 0 && r.type.find('(') != std::string::npos)
			throw fail("type \"" + r.type + "\" already has a size; give the size either in the type or as the size "
			           "(" + std::to_string(size) + "), not both");
		r.size = size;
		r.origin = origin;
		auto parts = SplitDots(Trim(from));
		if (parts.size() == 1) {
			std::string t = NormalizeSourceTypeName(parts[0]);
			std::string base = t;
			bool unsig = false;
			if (base.size() > 9 && base.compare(base.size() - 9, 9, " unsigned") == 0) {
				base.resize(base.size() - 9);
				unsig = true;
			}
			if (base.find('(') != std::string::npos)
				throw fail("source type \"" + std::string(from) +
				           "\" must be a type name without length or precision, for example \"VARCHAR\" or "
				           "\"INT UNSIGNED\"; to change one column, name it as database.table.column");
			if (!KnownSourceType(base))
				throw fail("\"" + std::string(from) + "\" is not a MySQL or MariaDB data type synchdb knows" +
				           (base == "bool" || base == "boolean" ? " (MySQL stores BOOLEAN as TINYINT)" : ""));
			if (unsig && !NumericSourceType(base))
				throw fail("source type \"" + std::string(from) + "\": only numeric types can be UNSIGNED");
			m.type_rules[t + (autoinc ? "|1" : "|0")] = std::move(r);
			return;
		}
		if ((parts.size() != 3 && parts.size() != 4) || AnyEmpty(parts))
			throw fail("source \"" + std::string(from) +
			           "\" must be a MySQL type name (\"GEOMETRY\") or a column written database.table.column");
		if (parts.size() == 4) {
			r.only_type = NormalizeSourceTypeName(parts[3]);
			std::string base = r.only_type;
			if (base.size() > 9 && base.compare(base.size() - 9, 9, " unsigned") == 0)
				base.resize(base.size() - 9);
			if (!KnownSourceType(base))
				throw fail("\"" + parts[3] + "\" in \"" + std::string(from) +
				           "\" is not a MySQL or MariaDB data type synchdb knows");
		}
		/* A rule limited to a type is kept apart from the column's other rules: "db.t.c|type". */
		std::string key = MappingKey(Trim(parts[0]), Trim(parts[1]), Trim(parts[2]));
		if (!r.only_type.empty())
			key += "|" + r.only_type;
		m.column_types[key] = std::move(r);
	}

	void AddTransform(std::string_view col, std::string_view expr, const std::string &origin, const Fail &fail,
	                  const char *state)
	{
		auto s = SplitDots(Trim(col));
		if (s.size() != 3 || AnyEmpty(s))
			throw fail("source column \"" + std::string(col) +
			           "\" must be written database.table.column, for example \"inventory.orders.quantity\"");
		if (Trim(expr).empty())
			throw fail("the expression is empty");
		TransformRule r = RewriteTransform(expr, origin, state);
		m.transforms[MappingKey(Trim(s[0]), Trim(s[1]), Trim(s[2]))] = std::move(r);
	}

	void AddObjmap(const ObjmapRow &row)
	{
		const std::string origin =
			"object map rule of connector " + Quoted(connector) + " (" + row.objtype + ", \"" + row.srcobj + "\")";
		Fail fail = [&](const std::string &what) {
			return Error(sqlstate::kInvalidParameterValue,
			             "invalid object map rule of connector " + Quoted(connector) + " (" + row.objtype + ", \"" +
			                 row.srcobj + "\"): " + what,
			             {}, "See synchdb_add_objmap in docs/sql-reference.md.");
		};
		const std::string type = Lower(Trim(row.objtype));
		if (type == "table")
			AddTable(row.srcobj, row.dstobj, origin, fail);
		else if (type == "column")
			AddColumn(row.srcobj, row.dstobj, origin, fail);
		else if (type == "datatype") {
			/* srcobj "type|autoinc" or a column; dstobj "pgtype|size". */
			std::string src = row.srcobj;
			bool autoinc = false;
			if (size_t bar = src.find('|'); bar != std::string::npos) {
				std::string flag = Lower(Trim(src.substr(bar + 1)));
				if (flag != "true" && flag != "false")
					throw fail("the auto-increment flag after '|' must be true or false, not \"" + flag + "\"");
				autoinc = flag == "true";
				src = src.substr(0, bar);
				if (src.find('.') != std::string::npos)
					throw fail("a column rule takes no auto-increment flag");
			}
			std::string dst = row.dstobj;
			int size = -1;
			if (size_t bar = dst.rfind('|'); bar != std::string::npos) {
				std::string n(Trim(dst.substr(bar + 1)));
				char *end = nullptr;
				long v = n.empty() ? -2 : std::strtol(n.c_str(), &end, 10);
				if (n.empty() || *end != '\0' || v < -1 || v > 10485760)
					throw fail("the size after '|' must be an integer: -1 keeps the source size, 0 means none, N "
					           "forces N (got \"" + n + "\")");
				size = static_cast<int>(v);
				dst = dst.substr(0, bar);
			}
			AddType(src, autoinc, dst, size, origin, fail);
		} else if (type == "transform")
			AddTransform(row.srcobj, row.dstobj, origin, fail, sqlstate::kInvalidParameterValue);
		else
			throw fail("object type \"" + row.objtype + "\" is not one of table, column, datatype, transform");
	}
};

/* Does the type name take a length/precision modifier in PostgreSQL? */
bool TakesSize(const std::string &base)
{
	static const char *const kSized[] = {"varchar", "character varying", "char", "character", "bpchar", "bit",
	                                     "varbit", "bit varying", "numeric", "decimal", "time", "timetz",
	                                     "timestamp", "timestamptz", "interval"};
	return std::any_of(std::begin(kSized), std::end(kSized), [&](const char *k) { return base == k; });
}

}  // namespace

std::string NormalizeSourceTypeName(std::string_view type)
{
	std::string out = LowerCollapsed(type);
	auto replace_head = [&](const char *from, const char *to) {
		size_t n = std::char_traits<char>::length(from);
		if (out.compare(0, n, from) == 0 && (out.size() == n || out[n] == ' '))
			out = to + out.substr(n);
	};
	replace_head("integer", "int");
	replace_head("double precision", "double");
	replace_head("real", "double");
	replace_head("dec", "decimal");
	replace_head("numeric", "decimal");
	replace_head("fixed", "decimal");
	replace_head("geomcollection", "geometrycollection");
	return out;
}

std::string MappingKey(std::string_view db, std::string_view table)
{
	return Lower(db) + "." + Lower(table);
}

std::string MappingKey(std::string_view db, std::string_view table, std::string_view column)
{
	return Lower(db) + "." + Lower(table) + "." + Lower(column);
}

std::vector<const TypeRule *> Mapping::AllTypeRules() const
{
	std::vector<const TypeRule *> out;
	for (const auto &[k, r] : type_rules)
		out.push_back(&r);
	for (const auto &[k, r] : column_types)
		out.push_back(&r);
	return out;
}

TransformRule RewriteTransform(std::string_view e, const std::string &origin, const char *state)
{
	TransformRule r;
	r.written = std::string(e);
	r.origin = origin;
	auto fail = [&](const std::string &what) {
		return Error(state, "invalid " + origin + ": transform expression: " + what, "The expression: " + r.written,
		             "Write %d for the value, %w for a geometry's WKB (base64) and %s for its SRID, %% for a "
		             "percent sign.");
	};
	std::string &out = r.sql;
	/* The text of a literal: %% becomes %, a placeholder cannot be a parameter there. */
	auto LiteralBody = [&](std::string_view body, const std::string &where, const char *advice) {
		std::string copy;
		for (size_t k = 0; k < body.size(); k++) {
			if (body[k] == '%' && k + 1 < body.size()) {
				if (body[k + 1] == '%') {
					copy += '%';
					k++;
					continue;
				}
				if (body[k + 1] == 'd' || body[k + 1] == 'w' || body[k + 1] == 's')
					throw fail(std::string("placeholder %") + body[k + 1] + " inside " + where +
					           " cannot be replaced by a value; " + advice + " %" + body[k + 1] +
					           ", or write %% for a percent sign");
			}
			copy += body[k];
		}
		return copy;
	};
	auto placeholder = [&](char c) -> const char * {
		switch (c) {
		case 'd': r.uses_value = true; return "$1";
		case 'w': r.uses_wkb = true; return "$2";
		case 's': r.uses_srid = true; return "$3";
		default: return nullptr;
		}
	};
	size_t i = 0;
	const size_t n = e.size();
	while (i < n) {
		char c = e[i];
		if (c == '%') {
			if (i + 1 < n && e[i + 1] == '%') {
				out += '%';
				i += 2;
				continue;
			}
			if (i + 1 < n) {
				if (const char *p = placeholder(e[i + 1])) {
					out += ' ';
					out += p;
					out += ' ';
					i += 2;
					continue;
				}
			}
			out += c;
			i++;
			continue;
		}
		if (c == '-' && i + 1 < n && e[i + 1] == '-') {
			size_t end = e.find('\n', i);
			end = end == std::string_view::npos ? n : end;
			out.append(e.substr(i, end - i));
			i = end;
			continue;
		}
		if (c == '/' && i + 1 < n && e[i + 1] == '*') {
			int depth = 0;
			size_t j = i;
			while (j < n) {
				if (e.compare(j, 2, "/*") == 0) {
					depth++;
					j += 2;
				} else if (e.compare(j, 2, "*/") == 0) {
					depth--;
					j += 2;
					if (depth == 0)
						break;
				} else
					j++;
			}
			if (depth != 0)
				throw fail("unterminated /* comment");
			out.append(e.substr(i, j - i));
			i = j;
			continue;
		}
		if (c == '"') {
			size_t j = i + 1;
			for (;;) {
				if (j >= n)
					throw fail("unterminated quoted identifier");
				if (e[j] == '"') {
					if (j + 1 < n && e[j + 1] == '"') {
						j += 2;
						continue;
					}
					break;
				}
				j++;
			}
			out.append(e.substr(i, j + 1 - i));
			i = j + 1;
			continue;
		}
		if (c == '$' && !out.empty() &&
		    (std::isalnum(static_cast<unsigned char>(out.back())) || out.back() == '_' || out.back() == '$')) {
			out += c; /* part of an identifier (PostgreSQL allows $ after the first character) */
			i++;
			continue;
		}
		if (c == '$') {
			/* Dollar quoting: $tag$ ... $tag$ (a tag is empty or an identifier). */
			size_t j = i + 1;
			while (j < n && (std::isalnum(static_cast<unsigned char>(e[j])) || e[j] == '_'))
				j++;
			const bool digits_only = j > i + 1 && std::all_of(e.begin() + i + 1, e.begin() + j,
			                                                    [](char ch) { return ch >= '0' && ch <= '9'; });
			if (j < n && e[j] == '$' && !digits_only) {
				std::string tag(e.substr(i, j + 1 - i));
				size_t close = e.find(tag, j + 1);
				if (close == std::string_view::npos)
					throw fail("unterminated dollar-quoted string");
				std::string_view body = e.substr(j + 1, close - j - 1);
				out += tag;
				out += LiteralBody(body, "a dollar-quoted string", "write it outside the string, as");
				out += tag;
				i = close + tag.size();
				continue;
			}
			if (digits_only)
				throw fail("positional parameters ($1, $2, ...) are not allowed; write %d for the value");
			out += c;
			i++;
			continue;
		}
		if (c == '\'') {
			/* A string literal; E'' when preceded by E (backslash escapes). */
			const bool escaped = !out.empty() && (out.back() == 'E' || out.back() == 'e') &&
			                     (out.size() == 1 || !(std::isalnum(static_cast<unsigned char>(out[out.size() - 2])) ||
			                                           out[out.size() - 2] == '_'));
			size_t j = i + 1;
			std::string body;
			for (;;) {
				if (j >= n)
					throw fail("unterminated string literal");
				if (escaped && e[j] == '\\' && j + 1 < n) {
					body += e[j];
					body += e[j + 1];
					j += 2;
					continue;
				}
				if (e[j] == '\'') {
					if (j + 1 < n && e[j + 1] == '\'') {
						body += "''";
						j += 2;
						continue;
					}
					break;
				}
				body += e[j];
				j++;
			}
			/* SynchDB 1.0 style: a literal that is exactly a placeholder is the value as text. */
			if (!escaped && body.size() == 2 && body[0] == '%' && placeholder(body[1])) {
				const char *p = placeholder(body[1]);
				out += " (";
				out += p;
				out += ")::text ";
				i = j + 1;
				continue;
			}
			out += '\'';
			out += LiteralBody(body, "the string literal '" + body + "'",
			                   "concatenate instead, for example 'abc' ||");
			out += '\'';
			i = j + 1;
			continue;
		}
		out += c;
		i++;
	}
	if (!r.uses_value && !r.uses_wkb && !r.uses_srid)
		throw fail("it uses none of %d, %w, %s, so every row would get the same value");
	return r;
}

std::string RuleTypeSql(const TypeRule &rule, const TypeRuleColumnInfo &col)
{
	std::string t = rule.type;
	if (rule.size == 0 || t.find('(') != std::string::npos)
		return t;
	/* "timestamp with time zone", "time without time zone": the size goes after the first word. */
	std::string lower = NormalizeSourceTypeName(t);
	std::string head = lower, tail;
	std::string written_head = t, written_tail;
	for (const char *w : {"timestamp ", "time "}) {
		size_t len = std::char_traits<char>::length(w);
		if (lower.compare(0, len, w) == 0 && (lower.find("zone") != std::string::npos)) {
			head = lower.substr(0, len - 1);
			size_t sp = t.find_first_of(" \t");
			written_head = t.substr(0, sp);
			written_tail = t.substr(sp);
			break;
		}
	}
	auto with = [&](const std::string &args) { return written_head + "(" + args + ")" + written_tail; };
	if (rule.size > 0)
		return with(std::to_string(rule.size));
	/* -1: keep the source's size if both sides have one of the same nature. */
	if (!TakesSize(head))
		return t;
	const std::string &s = col.data_type;
	const bool src_chars = s == "char" || s == "varchar" || s == "binary" || s == "varbinary";
	const bool dst_chars = head == "varchar" || head == "character varying" || head == "char" ||
	                       head == "character" || head == "bpchar";
	if (src_chars && dst_chars && col.char_length > 0)
		return with(std::to_string(col.char_length));
	if ((s == "decimal" || s == "numeric") && (head == "numeric" || head == "decimal") && col.precision > 0)
		return with(std::to_string(col.precision) + "," + std::to_string(std::max(0, col.scale)));
	const bool src_time = s == "datetime" || s == "timestamp" || s == "time";
	const bool dst_time = head == "time" || head == "timetz" || head == "timestamp" || head == "timestamptz" ||
	                      head == "interval";
	if (src_time && dst_time && col.fsp >= 0)
		return with(std::to_string(col.fsp));
	if (s == "bit" && (head == "bit" || head == "varbit" || head == "bit varying") && col.bit_width > 0)
		return with(std::to_string(col.bit_width));
	return t;
}

void ValidateObjmapRow(const ObjmapRow &row, std::string_view connector)
{
	Builder b;
	b.connector = std::string(connector);
	b.AddObjmap(row);
}

Mapping BuildMapping(const RuleFile *rules, std::string_view rule_file_label, const std::vector<ObjmapRow> &objmap,
                     std::string_view connector)
{
	Builder b;
	b.connector = std::string(connector);
	const std::string file(rule_file_label);
	if (rules) {
		auto rule_fail = [&](const char *section, size_t i) {
			return [file, section, i](const std::string &what) {
				return Error(sqlstate::kConfigFileError,
				             "invalid rule file " + Quoted(file) + ": rule " + std::to_string(i + 1) + " of \"" +
				                 section + "\": " + what,
				             {}, "See the rule file reference in docs/rule-file.md.");
			};
		};
		auto origin = [&](const char *section, size_t i) {
			return "rule file " + Quoted(file) + ": rule " + std::to_string(i + 1) + " of \"" + section + "\"";
		};
		/* A source object named twice in one file is a mistake, not an override. */
		auto once = [&](std::map<std::string, size_t> &seen, const std::string &key, const char *section, size_t i) {
			auto [it, fresh] = seen.emplace(key, i);
			if (!fresh)
				throw rule_fail(section, i)("it names the same source as rule " + std::to_string(it->second + 1));
		};
		std::map<std::string, size_t> seen_types, seen_names, seen_exprs;
		for (size_t i = 0; i < rules->datatype_rules.size(); i++) {
			const auto &d = rules->datatype_rules[i];
			const char *sec = "transform_datatype_rules";
			once(seen_types, NormalizeSourceTypeName(d.translate_from) + (d.translate_from_autoinc ? "|1" : "|0"), sec,
			     i);
			b.AddType(d.translate_from, d.translate_from_autoinc, d.translate_to, d.translate_to_size, origin(sec, i),
			          rule_fail(sec, i));
		}
		for (size_t i = 0; i < rules->objectname_rules.size(); i++) {
			const auto &o = rules->objectname_rules[i];
			const char *sec = "transform_objectname_rules";
			once(seen_names, o.object_type + ":" + Lower(Trim(o.source_object)), sec, i);
			if (o.object_type == "table")
				b.AddTable(o.source_object, o.destination_object, origin(sec, i), rule_fail(sec, i));
			else
				b.AddColumn(o.source_object, o.destination_object, origin(sec, i), rule_fail(sec, i));
		}
		for (size_t i = 0; i < rules->expression_rules.size(); i++) {
			const auto &x = rules->expression_rules[i];
			const char *sec = "transform_expression_rules";
			once(seen_exprs, Lower(Trim(x.transform_from)), sec, i);
			b.AddTransform(x.transform_from, x.transform_expression, origin(sec, i), rule_fail(sec, i),
			               sqlstate::kConfigFileError);
		}
	}
	/* Object map rules come second: they replace rule file rules for the same source. */
	for (const auto &row : objmap)
		b.AddObjmap(row);
	return std::move(b.m);
}

std::string ObjmapToJson(const std::vector<ObjmapRow> &rows)
{
	json::Value arr = json::Value::MakeArray();
	for (const auto &r : rows) {
		json::Value item = json::Value::MakeArray();
		item.Push(json::Value::MakeString(r.objtype));
		item.Push(json::Value::MakeString(r.srcobj));
		item.Push(json::Value::MakeString(r.dstobj));
		arr.Push(std::move(item));
	}
	return json::Write(arr);
}

std::vector<ObjmapRow> ObjmapFromJson(std::string_view text)
{
	std::vector<ObjmapRow> rows;
	json::Value v = json::Parse(text);
	if (!v.IsArray())
		throw Error(sqlstate::kInternalError, "object map handed to the worker is not an array");
	for (const auto &item : v.Items()) {
		if (!item.IsArray() || item.Items().size() != 3)
			throw Error(sqlstate::kInternalError, "object map handed to the worker is damaged");
		rows.push_back({item.Items()[0].AsString(), item.Items()[1].AsString(), item.Items()[2].AsString()});
	}
	return rows;
}

}  // namespace synchdb
