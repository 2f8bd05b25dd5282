/*
 * schema_change.cpp
 *     The neutral step from one table shape to the next, as PostgreSQL DDL.
 */
#include "core/schema_change.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/pgtypes.hpp"

namespace synchdb {

namespace {

/* The value MySQL gives existing rows for a NOT NULL column added without a default. */
std::optional<std::string> ImplicitDefault(PgKind kind)
{
	switch (kind) {
	case PgKind::Bool: return "false";
	case PgKind::Int2:
	case PgKind::Int4:
	case PgKind::Int8:
	case PgKind::Numeric:
	case PgKind::Float4:
	case PgKind::Float8: return "0";
	case PgKind::Text:
	case PgKind::Varchar:
	case PgKind::Char: return "''";
	case PgKind::Bytea: return "'\\x'::bytea";
	default: return std::nullopt; /* zero dates and the like: PostgreSQL has no equivalent */
	}
}

/* ALTER TABLE ... ADD COLUMN for column i of t. */
void AddColumnSql(const TableInfo &t, size_t i, std::vector<std::string> &sql)
{
	const auto &col = t.source.columns[i];
	const std::string table = t.QualifiedPgName();
	const std::string name = QuotePgIdent(t.pg_columns[i]);
	std::string s = "ALTER TABLE " + table + " ADD COLUMN " + name + " " + t.pg_types[i].sql;
	const auto &dflt = t.pg_defaults[i];
	if (dflt)
		s += " DEFAULT " + *dflt;
	if (!col.nullable) {
		if (!dflt) {
			/* Existing rows get MySQL's implicit default, then the column keeps no default. */
			if (auto implicit = ImplicitDefault(t.pg_types[i].kind)) {
				sql.push_back(s + " NOT NULL DEFAULT " + *implicit);
				sql.push_back("ALTER TABLE " + table + " ALTER COLUMN " + name + " DROP DEFAULT");
				return;
			}
			sql.push_back(s); /* left nullable: no PostgreSQL value matches MySQL's implicit one */
			return;
		}
		s += " NOT NULL";
	}
	sql.push_back(s);
}

/* Bring column `to` (index in after) of the destination in line with its old definition `from`. */
void AlterColumnSql(const TableInfo &before, int from, const TableInfo &after, int to, std::vector<std::string> &sql)
{
	const std::string table = after.QualifiedPgName();
	const std::string old_name = before.pg_columns[from];
	const std::string new_name = after.pg_columns[to];
	if (old_name != new_name)
		sql.push_back("ALTER TABLE " + table + " RENAME COLUMN " + QuotePgIdent(old_name) + " TO " +
		              QuotePgIdent(new_name));
	const std::string col = QuotePgIdent(new_name);
	if (before.pg_types[from].sql != after.pg_types[to].sql)
		sql.push_back("ALTER TABLE " + table + " ALTER COLUMN " + col + " TYPE " + after.pg_types[to].sql + " USING " +
		              col + "::" + after.pg_types[to].sql);
	const auto &old_default = before.pg_defaults[from];
	const auto &new_default = after.pg_defaults[to];
	if (old_default != new_default || before.pg_types[from].sql != after.pg_types[to].sql) {
		if (new_default)
			sql.push_back("ALTER TABLE " + table + " ALTER COLUMN " + col + " SET DEFAULT " + *new_default);
		else if (old_default)
			sql.push_back("ALTER TABLE " + table + " ALTER COLUMN " + col + " DROP DEFAULT");
	}
	if (before.source.columns[from].nullable != after.source.columns[to].nullable)
		sql.push_back("ALTER TABLE " + table + " ALTER COLUMN " + col +
		              (after.source.columns[to].nullable ? " DROP NOT NULL" : " SET NOT NULL"));
}

std::string DropPrimaryKeySql(const std::string &qualified_table)
{
	/* The constraint keeps its first name through table renames: look it up. */
	std::string lit = QuotePgLiteral(qualified_table);
	return "DO $synchdb$ DECLARE c name; BEGIN SELECT conname INTO c FROM pg_constraint WHERE conrelid = " + lit +
	       "::regclass AND contype = 'p'; IF c IS NOT NULL THEN EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', " +
	       lit + ", c); END IF; END $synchdb$";
}

std::string PrimaryKeyList(const TableInfo &t)
{
	std::string s;
	for (size_t k = 0; k < t.source.primary_key.size(); k++)
		s += (k ? ", " : "") + QuotePgIdent(t.pg_columns[t.source.primary_key[k]]);
	return s;
}

}  // namespace

std::vector<std::string> AlterTableSql(const TableInfo &before, const TableInfo &after, const std::vector<int> &from,
                                       bool rebuild_key)
{
	std::vector<std::string> sql;
	/* A rename first, so that the column statements name the new table. */
	if (after.pg_schema != before.pg_schema)
		sql.push_back("ALTER TABLE " + before.QualifiedPgName() + " SET SCHEMA " + QuotePgIdent(after.pg_schema));
	if (after.pg_table != before.pg_table)
		sql.push_back("ALTER TABLE " + QuotePgIdent(after.pg_schema) + "." + QuotePgIdent(before.pg_table) +
		              " RENAME TO " + QuotePgIdent(after.pg_table));
	/* Dropped columns: in before, the origin of no column after. */
	for (size_t i = 0; i < before.source.columns.size(); i++)
		if (std::find(from.begin(), from.end(), static_cast<int>(i)) == from.end())
			sql.push_back("ALTER TABLE " + after.QualifiedPgName() + " DROP COLUMN IF EXISTS " +
			              QuotePgIdent(before.pg_columns[i]));
	/* Primary key dropped or changed: drop before altering columns. */
	const bool pk_changed = rebuild_key || PrimaryKeyList(before) != PrimaryKeyList(after);
	if (pk_changed && !before.source.primary_key.empty())
		sql.push_back(DropPrimaryKeySql(after.QualifiedPgName()));
	/* Kept (possibly renamed or retyped) and added columns. */
	for (size_t i = 0; i < after.source.columns.size(); i++) {
		if (i < from.size() && from[i] >= 0)
			AlterColumnSql(before, from[i], after, static_cast<int>(i), sql);
		else
			AddColumnSql(after, i, sql);
	}
	if (pk_changed && !after.source.primary_key.empty())
		sql.push_back("ALTER TABLE " + after.QualifiedPgName() + " ADD PRIMARY KEY (" + PrimaryKeyList(after) + ")");
	return sql;
}

std::string AddPrimaryKeySql(const TableInfo &t)
{
	if (t.source.primary_key.empty())
		return {};
	return "ALTER TABLE " + t.QualifiedPgName() + " ADD PRIMARY KEY (" + PrimaryKeyList(t) + ")";
}

std::string CreateTableSql(const TableInfo &t, bool with_key)
{
	std::string sql = "CREATE TABLE IF NOT EXISTS " + t.QualifiedPgName() + " (";
	for (size_t i = 0; i < t.pg_columns.size(); i++) {
		const auto &col = t.source.columns[i];
		sql += (i ? ", " : "") + QuotePgIdent(t.pg_columns[i]) + " " + t.pg_types[i].sql;
		if (const auto &d = t.pg_defaults[i])
			sql += " DEFAULT " + *d;
		if (!col.nullable)
			sql += " NOT NULL";
	}
	if (with_key && !t.source.primary_key.empty())
		sql += ", PRIMARY KEY (" + PrimaryKeyList(t) + ")";
	return sql + ")";
}

}  // namespace synchdb
