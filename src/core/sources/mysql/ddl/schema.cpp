/*
 * schema.cpp
 *     Parsed DDL -> mysql::SourceColumn/SourceTable, and schema tracking.
 *
 * NOTES
 *   The values follow what information_schema.COLUMNS reports on MySQL 8
 *   and MariaDB for the same definition (NUMERIC_PRECISION of integers,
 *   CHARACTER_MAXIMUM_LENGTH of TEXT types, ...), so that a table known
 *   from DDL and one read from the server map to the same PostgreSQL
 *   types.  Integer display widths are kept in column_type only when
 *   written (MySQL 8 style), except tinyint(1) for BOOL.
 */
#include "core/sources/mysql/ddl/schema.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace synchdb::ddl {

namespace {

constexpr const char *kUndefinedColumn = "42703";
constexpr const char *kDuplicateColumn = "42701";

bool In(const std::string &s, std::initializer_list<const char *> list)
{
	for (const char *x : list)
		if (s == x)
			return true;
	return false;
}

bool IsCharacterType(const std::string &t)
{
	return In(t, {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"});
}

std::string QuoteLabel(const std::string &s)
{
	std::string out = "'";
	for (char c : s) {
		if (c == '\'')
			out += "''";
		else if (c == '\\')
			out += "\\\\";
		else
			out += c;
	}
	return out + "'";
}

long FindColumn(const mysql::SourceTable &t, const std::string &name)
{
	/* Column names are case-insensitive in MySQL. */
	for (size_t i = 0; i < t.columns.size(); i++) {
		const std::string &n = t.columns[i].name;
		if (n.size() == name.size() &&
			std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
				return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
			}))
			return static_cast<long>(i);
	}
	return -1;
}

[[noreturn]] void NoColumn(const mysql::SourceTable &t, const std::string &name, const AlterAction &a)
{
	throw Error(kUndefinedColumn,
				"column " + Quoted(name) + " of table " + Quoted(t.QualifiedName()) + " does not exist in the tracked schema",
				"ALTER TABLE action: " + a.text);
}

}  // namespace

mysql::SourceColumn ToSourceColumn(const ColumnDef &def, const std::string &table_charset)
{
	const ColumnType &t = def.type;
	mysql::SourceColumn c;
	c.name = def.name;
	c.data_type = t.data_type;
	const std::string &dt = t.data_type;
	std::string ct = dt;
	auto paren = [](long v) { return "(" + std::to_string(v) + ")"; };

	if (In(dt, {"tinyint", "smallint", "mediumint", "int", "bigint"})) {
		if (t.length >= 0)
			ct += paren(t.length);
		c.precision = dt == "tinyint" ? 3 : dt == "smallint" ? 5 : dt == "mediumint" ? 7 : dt == "int" ? 10
					: t.is_unsigned ? 20 : 19;
		c.scale = 0;
	} else if (dt == "decimal") {
		c.precision = t.precision >= 0 ? t.precision : 10;
		c.scale = t.scale >= 0 ? t.scale : 0;
		ct += "(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
	} else if (dt == "float" || dt == "double") {
		if (t.precision >= 0) {
			ct += "(" + std::to_string(t.precision) + "," + std::to_string(t.scale < 0 ? 0 : t.scale) + ")";
			c.precision = t.precision;
			c.scale = t.scale < 0 ? 0 : t.scale;
		} else {
			c.precision = dt == "float" ? 12 : 22;
		}
	} else if (dt == "bit") {
		c.precision = static_cast<int>(t.length >= 0 ? t.length : 1);
		ct += paren(c.precision);
	} else if (In(dt, {"char", "binary"})) {
		c.char_max_length = t.length >= 0 ? t.length : 1;
		ct += paren(c.char_max_length);
	} else if (In(dt, {"varchar", "varbinary"})) {
		c.char_max_length = t.length;
		if (t.length >= 0)
			ct += paren(t.length);
	} else if (In(dt, {"tinytext", "tinyblob"})) {
		c.char_max_length = 255;
	} else if (In(dt, {"text", "blob"})) {
		c.char_max_length = 65535;
	} else if (In(dt, {"mediumtext", "mediumblob"})) {
		c.char_max_length = 16777215;
	} else if (In(dt, {"longtext", "longblob"})) {
		c.char_max_length = 4294967295LL;
	} else if (In(dt, {"time", "datetime", "timestamp"})) {
		c.datetime_precision = t.fsp >= 0 ? t.fsp : 0;
		if (t.fsp > 0)
			ct += paren(t.fsp);
	} else if (dt == "enum" || dt == "set") {
		ct += "(";
		for (size_t i = 0; i < t.values.size(); i++)
			ct += (i ? "," : "") + QuoteLabel(t.values[i]);
		ct += ")";
		c.enum_values = t.values;
	}
	if (t.is_unsigned && In(dt, {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double"}))
		ct += " unsigned";
	if (t.zerofill)
		ct += " zerofill";
	c.column_type = ct;
	c.is_unsigned = t.is_unsigned;

	if (IsCharacterType(dt)) {
		std::string cs = t.charset;
		if (cs.empty() && !t.collation.empty())
			cs = t.collation.substr(0, t.collation.find('_'));
		if (cs.empty())
			cs = table_charset;
		c.charset = cs;
	}
	/* MariaDB's JSON: LONGTEXT with CHECK (json_valid(`col`)). */
	if (dt == "longtext")
		for (const std::string &chk : def.checks)
			if (chk == "json_valid(`" + def.name + "`)" || chk == "json_valid(" + def.name + ")")
				c.json_alias = true;
	c.auto_increment = def.auto_increment;
	c.generated = def.generated_expr.has_value();
	c.nullable = def.primary_key ? false : def.nullable.value_or(true);
	if (!c.auto_increment && !c.generated)
		c.default_value = def.default_value;
	return c;
}

mysql::SourceTable ToSourceTable(const CreateTable &ct)
{
	mysql::SourceTable t;
	t.db = ct.table.db;
	t.name = ct.table.name;
	const std::string cs = ct.Option("CHARSET").value_or(
		ct.Option("COLLATE") ? ct.Option("COLLATE")->substr(0, ct.Option("COLLATE")->find('_')) : std::string());
	for (const ColumnDef &d : ct.columns) {
		if (d.primary_key)
			t.primary_key = {t.columns.size()};
		t.columns.push_back(ToSourceColumn(d, cs));
	}
	for (const TableConstraint &k : ct.constraints)
		if (k.kind == ConstraintKind::PrimaryKey) {
			t.primary_key.clear();
			for (const KeyPart &p : k.parts) {
				long i = FindColumn(t, p.column);
				if (i >= 0) {
					t.primary_key.push_back(static_cast<size_t>(i));
					t.columns[i].nullable = false;
				}
			}
		}
	return t;
}

void ApplyAlter(mysql::SourceTable &t, const AlterTable &alter)
{
	/* Work with key column names, so that moves and renames keep the key. */
	std::vector<std::string> pk;
	for (size_t i : t.primary_key)
		if (i < t.columns.size())
			pk.push_back(t.columns[i].name);
	auto rename_pk = [&](const std::string &from, const std::string &to) {
		for (std::string &n : pk)
			if (n == from)
				n = to;
	};
	auto place = [&](mysql::SourceColumn col, const ColumnPosition &pos, size_t default_at, const AlterAction &a) {
		size_t at = default_at;
		if (pos.kind == ColumnPosition::First)
			at = 0;
		else if (pos.kind == ColumnPosition::After) {
			long i = FindColumn(t, pos.after);
			if (i < 0)
				NoColumn(t, pos.after, a);
			at = static_cast<size_t>(i) + 1;
		}
		t.columns.insert(t.columns.begin() + static_cast<long>(at), std::move(col));
	};
	auto replace = [&](const AlterAction &a, const std::string &old_name) {
		long i = FindColumn(t, old_name);
		if (i < 0) {
			if (a.if_exists)
				return;
			NoColumn(t, old_name, a);
		}
		mysql::SourceColumn col = ToSourceColumn(a.column, t.columns[i].charset);
		if (old_name != col.name && FindColumn(t, col.name) >= 0 && FindColumn(t, col.name) != i)
			throw Error(kDuplicateColumn, "column " + Quoted(col.name) + " already exists in " + Quoted(t.QualifiedName()),
						"ALTER TABLE action: " + a.text);
		rename_pk(t.columns[i].name, col.name);
		if (std::find(pk.begin(), pk.end(), col.name) != pk.end())
			col.nullable = false;
		if (a.column.primary_key)
			pk = {col.name};
		t.columns.erase(t.columns.begin() + i);
		place(std::move(col), a.position, static_cast<size_t>(i), a);
	};

	for (const AlterAction &a : alter.actions) {
		switch (a.kind) {
		case AlterKind::AddColumn: {
			if (FindColumn(t, a.column.name) >= 0) {
				if (a.if_exists)
					break;
				throw Error(kDuplicateColumn,
							"column " + Quoted(a.column.name) + " already exists in " + Quoted(t.QualifiedName()),
							"ALTER TABLE action: " + a.text);
			}
			std::string cs;
			for (const mysql::SourceColumn &c : t.columns)
				if (!c.charset.empty()) {
					cs = c.charset;
					break;
				}
			mysql::SourceColumn col = ToSourceColumn(a.column, cs);
			if (a.column.primary_key)
				pk = {col.name};
			place(std::move(col), a.position, t.columns.size(), a);
			break;
		}
		case AlterKind::DropColumn: {
			long i = FindColumn(t, a.name);
			if (i < 0) {
				if (a.if_exists)
					break;
				NoColumn(t, a.name, a);
			}
			std::string n = t.columns[i].name;
			pk.erase(std::remove(pk.begin(), pk.end(), n), pk.end());
			t.columns.erase(t.columns.begin() + i);
			break;
		}
		case AlterKind::ModifyColumn: replace(a, a.column.name); break;
		case AlterKind::ChangeColumn: replace(a, a.name); break;
		case AlterKind::RenameColumn: {
			long i = FindColumn(t, a.name);
			if (i < 0) {
				if (a.if_exists)
					break;
				NoColumn(t, a.name, a);
			}
			long j = FindColumn(t, a.new_name);
			if (j >= 0 && j != i)
				throw Error(kDuplicateColumn,
							"column " + Quoted(a.new_name) + " already exists in " + Quoted(t.QualifiedName()),
							"ALTER TABLE action: " + a.text);
			rename_pk(t.columns[i].name, a.new_name);
			t.columns[i].name = a.new_name;
			break;
		}
		case AlterKind::SetDefault:
		case AlterKind::DropDefault: {
			long i = FindColumn(t, a.name);
			if (i < 0) {
				if (a.if_exists)
					break;
				NoColumn(t, a.name, a);
			}
			t.columns[i].default_value = a.kind == AlterKind::SetDefault ? a.default_value : std::nullopt;
			break;
		}
		case AlterKind::AddPrimaryKey:
			pk.clear();
			for (const KeyPart &p : a.constraint.parts) {
				long i = FindColumn(t, p.column);
				if (i < 0)
					NoColumn(t, p.column, a);
				t.columns[i].nullable = false;
				pk.push_back(t.columns[i].name);
			}
			break;
		case AlterKind::DropPrimaryKey: pk.clear(); break;
		case AlterKind::RenameTable:
			t.db = a.new_table.db;
			t.name = a.new_table.name;
			break;
		case AlterKind::ConvertCharset:
			for (mysql::SourceColumn &c : t.columns)
				if (IsCharacterType(c.data_type))
					c.charset = a.charset;
			break;
		default: break;
		}
	}
	t.primary_key.clear();
	for (const std::string &n : pk) {
		long i = FindColumn(t, n);
		if (i >= 0)
			t.primary_key.push_back(static_cast<size_t>(i));
	}
}

void SchemaCatalog::Put(mysql::SourceTable t)
{
	auto key = std::make_pair(t.db, t.name);
	tables_[key] = std::move(t);
}

const mysql::SourceTable *SchemaCatalog::Find(const std::string &db, const std::string &name) const
{
	auto it = tables_.find({db, name});
	return it == tables_.end() ? nullptr : &it->second;
}

bool SchemaCatalog::Apply(const Statement &st)
{
	switch (st.kind) {
	case StatementKind::CreateTable: {
		const CreateTable &ct = st.create;
		auto key = std::make_pair(ct.table.db, ct.table.name);
		if (ct.if_not_exists && !ct.or_replace && tables_.count(key))
			return false;
		if (ct.like) {
			const mysql::SourceTable *src = Find(ct.like->db, ct.like->name);
			if (!src)
				return false;
			mysql::SourceTable t = *src;
			t.db = ct.table.db;
			t.name = ct.table.name;
			tables_[key] = std::move(t);
			return true;
		}
		tables_[key] = ToSourceTable(ct);
		return true;
	}
	case StatementKind::AlterTable: {
		auto it = tables_.find({st.alter.table.db, st.alter.table.name});
		if (it == tables_.end())
			return false;
		mysql::SourceTable t = it->second;
		ApplyAlter(t, st.alter);
		tables_.erase(it);
		Put(std::move(t));
		return true;
	}
	case StatementKind::DropTable: {
		bool changed = false;
		for (const QualifiedName &q : st.drop.tables)
			changed = tables_.erase({q.db, q.name}) > 0 || changed;
		return changed;
	}
	case StatementKind::RenameTable: {
		bool changed = false;
		for (const auto &[from, to] : st.rename.renames) {
			auto it = tables_.find({from.db, from.name});
			if (it == tables_.end())
				continue;
			mysql::SourceTable t = std::move(it->second);
			tables_.erase(it);
			t.db = to.db;
			t.name = to.name;
			Put(std::move(t));
			changed = true;
		}
		return changed;
	}
	case StatementKind::DropDatabase: {
		bool changed = false;
		for (auto it = tables_.begin(); it != tables_.end();) {
			if (it->first.first == st.database.name) {
				it = tables_.erase(it);
				changed = true;
			} else
				++it;
		}
		return changed;
	}
	default: return false;
	}
}

}  // namespace synchdb::ddl
