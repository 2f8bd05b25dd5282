/*
 * schema.cpp
 *     Reading source table definitions from information_schema.
 *
 * NOTES
 *   Four queries per database at most: TABLES, COLUMNS, KEY_COLUMN_USAGE
 *   (constraint PRIMARY) and, on MariaDB, CHECK_CONSTRAINTS.  Result rows
 *   are matched to tables in C++.  Names are compared byte for byte: the
 *   names come from the server itself, so no case folding is needed.
 */
#include "core/sources/mysql/schema.hpp"
#include "core/strings.hpp"
#include "core/sources/mysql/literal.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.hpp"

namespace synchdb::mysql {

namespace {

/* PostgreSQL's undefined_table; error.hpp has no name for it. */
constexpr const char *kUndefinedTable = "42P01";

/* Integer column of a result row; fallback for NULL or junk. */
int64_t IntField(const std::optional<std::string> &f, int64_t fallback)
{
	if (!f || f->empty())
		return fallback;
	try {
		size_t used = 0;
		long long v = std::stoll(*f, &used);
		return used == f->size() ? v : fallback;
	} catch (const std::exception &) {
		return fallback;
	}
}

std::string StrField(const std::optional<std::string> &f)
{
	return f ? *f : std::string();
}

/* Whitespace-separated words of EXTRA, upper case. */
std::set<std::string> ExtraWords(const std::string &extra)
{
	std::set<std::string> words;
	std::string w;
	for (char ch : extra + " ") {
		if (ch == ' ' || ch == '\t') {
			if (!w.empty())
				words.insert(w);
			w.clear();
		} else {
			w += (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
		}
	}
	return words;
}

/* A SQL IN list of quoted values. */
std::string InList(Connection &conn, const std::vector<std::string> &values)
{
	std::string out = "(";
	for (size_t i = 0; i < values.size(); i++) {
		if (i)
			out += ", ";
		out += conn.Literal(values[i]);
	}
	return out + ")";
}

bool IsNumericType(const std::string &t)
{
	static const std::set<std::string> kTypes = {"tinyint", "smallint", "mediumint", "int",	  "integer",
												 "bigint",	"decimal",	"numeric",	 "float", "double",
												 "real",	"year"};
	return kTypes.count(t) > 0;
}

}  // namespace

std::vector<std::string> ParseEnumValues(const std::string &column_type)
{
	std::vector<std::string> labels;
	std::string lower = Lower(column_type.substr(0, 4));
	size_t pos;
	if (lower == "enum")
		pos = 4;
	else if (lower.substr(0, 3) == "set")
		pos = 3;
	else
		return labels;

	auto bad = [&]() {
		return Error(sqlstate::kDataCorrupted, "cannot parse the labels of column type " + Quoted(column_type));
	};
	if (pos >= column_type.size() || column_type[pos] != '(')
		throw bad();
	pos++;
	for (;;) {
		if (pos >= column_type.size() || column_type[pos] != '\'')
			throw bad();
		pos++;
		std::string label;
		for (;;) {
			if (pos >= column_type.size())
				throw bad();
			char ch = column_type[pos++];
			if (ch == '\'') {
				if (pos < column_type.size() && column_type[pos] == '\'') {
					label += '\'';
					pos++;
					continue;
				}
				break;
			}
			if (ch == '\\' && pos < column_type.size()) {
				char e = column_type[pos++];
				AppendEscaped(e, label);
				continue;
			}
			label += ch;
		}
		labels.push_back(std::move(label));
		if (pos >= column_type.size())
			throw bad();
		if (column_type[pos] == ',') {
			pos++;
			continue;
		}
		if (column_type[pos] == ')')
			break;
		throw bad();
	}
	return labels;
}

std::optional<std::string> NormalizeMySQLDefault(const std::optional<std::string> &column_default,
												 const std::string &data_type, bool expression)
{
	if (!column_default)
		return std::nullopt;
	const std::string &d = *column_default;
	if (expression)
		return d;
	std::string t = Lower(data_type);
	if (IsNumericType(t))
		return d;
	if (t == "bit" && (d.rfind("b'", 0) == 0 || d.rfind("0x", 0) == 0))
		return d;
	/* A string literal: quote it the way MariaDB does (doubled quote, backslash escapes). */
	std::string out = "'";
	for (char ch : d) {
		switch (ch) {
		case '\'': out += "''"; break;
		case '\\': out += "\\\\"; break;
		case '\0': out += "\\0"; break;
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		default: out += ch; break;
		}
	}
	return out + "'";
}

void CompleteColumn(SourceColumn &c)
{
	c.data_type = Lower(c.data_type);
	std::string ct = Lower(c.column_type);
	c.is_unsigned = c.is_unsigned || ct.find(" unsigned") != std::string::npos;
	if (c.data_type == "enum" || c.data_type == "set")
		c.enum_values = ParseEnumValues(c.column_type);
}

std::vector<SourceTable> ReadSourceTables(Connection &conn, const std::string &db,
										  const std::vector<TableName> &filter)
{
	const std::string db_lit = conn.Literal(db);

	/* Which tables were asked for (entries for other databases are not ours). */
	std::vector<std::string> wanted;
	for (const TableName &tn : filter)
		if (tn.db == db && std::find(wanted.begin(), wanted.end(), tn.table) == wanted.end())
			wanted.push_back(tn.table);
	const bool filtered = !filter.empty();
	std::string name_cond;
	if (filtered) {
		if (wanted.empty())
			return {};
		name_cond = " AND TABLE_NAME IN " + InList(conn, wanted);
	}

	/* 1. Base tables. */
	std::map<std::string, SourceTable> tables;
	for (const Row &r : conn.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
								   db_lit + " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')" + name_cond)) {
		std::string name = StrField(r.at(0));
		if (filtered && std::find(wanted.begin(), wanted.end(), name) == wanted.end())
			continue; /* matched IN only by the server's case-insensitive comparison */
		SourceTable t;
		t.db = db;
		t.name = name;
		tables.emplace(name, std::move(t));
	}
	for (const std::string &w : wanted)
		if (!tables.count(w))
			throw Error(kUndefinedTable, "table " + Quoted(db + "." + w) + " does not exist on the source server",
						"The table list names it, but the database has no base table of that name "
						"(names are case-sensitive; views are not replicated).",
						"Correct the table list of the connector.");
	if (tables.empty())
		return {};

	/* 2. Columns, in ordinal order. */
	const bool mariadb = conn.IsMariaDB();
	for (const Row &r :
		 conn.Query("SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
					"CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, "
					"CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
					db_lit + name_cond + " ORDER BY TABLE_NAME, ORDINAL_POSITION")) {
		auto it = tables.find(StrField(r.at(0)));
		if (it == tables.end())
			continue; /* a view's columns */
		SourceColumn c;
		c.name = StrField(r.at(1));
		c.data_type = StrField(r.at(2));
		c.column_type = StrField(r.at(3));
		c.nullable = StrField(r.at(4)) == "YES";
		std::set<std::string> extra = ExtraWords(StrField(r.at(6)));
		c.auto_increment = extra.count("AUTO_INCREMENT") > 0;
		c.generated = extra.count("VIRTUAL") || extra.count("STORED") || extra.count("PERSISTENT") ||
					  extra.count("GENERATED");
		if (mariadb)
			c.default_value = r.at(5);
		else
			c.default_value = NormalizeMySQLDefault(r.at(5), c.data_type, extra.count("DEFAULT_GENERATED") > 0);
		c.char_max_length = IntField(r.at(7), -1);
		c.precision = static_cast<int>(IntField(r.at(8), -1));
		c.scale = static_cast<int>(IntField(r.at(9), -1));
		c.datetime_precision = static_cast<int>(IntField(r.at(10), -1));
		c.charset = StrField(r.at(11));
		CompleteColumn(c);
		it->second.columns.push_back(std::move(c));
	}

	auto find_column = [](SourceTable &t, const std::string &name) -> long {
		for (size_t i = 0; i < t.columns.size(); i++)
			if (t.columns[i].name == name)
				return static_cast<long>(i);
		return -1;
	};

	/* 3. Primary keys. */
	for (const Row &r : conn.Query("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
								   "WHERE TABLE_SCHEMA = " +
								   db_lit + name_cond +
								   " AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION")) {
		auto it = tables.find(StrField(r.at(0)));
		if (it == tables.end())
			continue;
		long idx = find_column(it->second, StrField(r.at(1)));
		if (idx >= 0)
			it->second.primary_key.push_back(static_cast<size_t>(idx));
	}

	/*
	 * 4. MariaDB's JSON is LONGTEXT plus CHECK (json_valid(`col`)) named
	 * after the column.  CHECK_CONSTRAINTS exists since 10.2.22; on older
	 * servers the query fails and JSON columns stay text.
	 */
	if (mariadb) {
		std::vector<Row> checks;
		try {
			checks = conn.Query("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM "
								"information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = " +
								db_lit + name_cond);
		} catch (const Error &) {
			checks.clear();
		}
		for (const Row &r : checks) {
			auto it = tables.find(StrField(r.at(0)));
			if (it == tables.end())
				continue;
			std::string col = StrField(r.at(1));
			long idx = find_column(it->second, col);
			if (idx < 0)
				continue;
			SourceColumn &c = it->second.columns[idx];
			std::string quoted = "`";
			for (char ch : col)
				quoted += ch == '`' ? std::string("``") : std::string(1, ch);
			quoted += "`";
			if (c.data_type == "longtext" && StrField(r.at(2)) == "json_valid(" + quoted + ")")
				c.json_alias = true;
		}
	}

	std::vector<SourceTable> out;
	out.reserve(tables.size());
	for (auto &[name, t] : tables) /* std::map: byte order of names */
		out.push_back(std::move(t));
	return out;
}

}  // namespace synchdb::mysql
