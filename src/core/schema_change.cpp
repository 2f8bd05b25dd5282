/*
 * schema_change.cpp
 *     Planning the destination side of source DDL.
 */
#include "core/schema_change.hpp"

#include <algorithm>
#include <map>

#include "core/ddl/parser.hpp"
#include "core/ddl/schema.hpp"
#include "core/error.hpp"
#include "core/mysql/tables.hpp"
#include "core/typemap.hpp"

namespace synchdb {

namespace {

bool InScope(const ddl::QualifiedName &n, const std::string &srcdb, const std::vector<TableName> &filter)
{
	if (n.db != srcdb)
		return false;
	if (filter.empty())
		return true;
	return std::any_of(filter.begin(), filter.end(),
	                   [&](const TableName &t) { return t.db == n.db && t.table == n.name; });
}

int Find(const TableSet &set, const ddl::QualifiedName &n)
{
	for (size_t i = 0; i < set.size(); i++)
		if (set[i].source.db == n.db && set[i].source.name == n.name)
			return static_cast<int>(i);
	return -1;
}

/* A destination table for a source table, as the snapshot makes them. */
TableInfo MakeInfo(mysql::SourceTable t, const Mapping *mapping)
{
	return mysql::MakeTable(std::move(t), mapping);
}

int ColumnIndex(const TableInfo &t, const std::string &source_name)
{
	for (size_t i = 0; i < t.source.columns.size(); i++)
		if (t.source.columns[i].name == source_name)
			return static_cast<int>(i);
	return -1;
}

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

void PlanAlter(const ddl::AlterTable &alter, TableSet &set, int idx, const std::string &srcdb,
               const std::vector<TableName> &filter, std::vector<std::string> &sql, const Mapping *mapping)
{
	const TableInfo before = set[idx];
	mysql::SourceTable source = mysql::Native(before).table;
	ddl::ApplyAlter(source, alter);
	TableInfo after = MakeInfo(source, mapping);

	bool renamed = false;
	for (const auto &a : alter.actions)
		if (a.kind == ddl::AlterKind::RenameTable)
			renamed = true;
	if (renamed && !InScope(ddl::QualifiedName{after.source.db, after.source.name}, srcdb, filter)) {
		sql.push_back("DROP TABLE IF EXISTS " + before.QualifiedPgName());
		set.erase(set.begin() + idx);
		return;
	}

	/* Columns: follow each source column by its identity through the actions. */
	std::vector<std::string> renamed_from(after.source.columns.size()); /* new column -> old source name */
	for (size_t i = 0; i < after.source.columns.size(); i++)
		renamed_from[i] = after.source.columns[i].name;
	for (const auto &a : alter.actions) {
		if (a.kind == ddl::AlterKind::ChangeColumn || a.kind == ddl::AlterKind::RenameColumn) {
			const std::string &newname = a.kind == ddl::AlterKind::ChangeColumn ? a.column.name : a.new_name;
			int ni = ColumnIndex(after, newname);
			if (ni >= 0 && ColumnIndex(before, a.name) >= 0)
				renamed_from[ni] = a.name;
		}
	}
	std::vector<int> from(after.source.columns.size());
	for (size_t i = 0; i < from.size(); i++)
		from[i] = ColumnIndex(before, renamed_from[i]);
	const bool key_touched = std::any_of(alter.actions.begin(), alter.actions.end(), [](const ddl::AlterAction &a) {
		return a.kind == ddl::AlterKind::DropPrimaryKey || a.kind == ddl::AlterKind::AddPrimaryKey;
	});
	for (std::string &s : AlterTableSql(before, after, from, key_touched))
		sql.push_back(std::move(s));
	set[idx] = std::move(after);
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

PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping)
{
	std::string written = type;
	while (!written.empty() && written.back() == ' ')
		written.pop_back();
	if (written.empty() || written.find_first_of(";`") != std::string::npos)
		throw Error(sqlstate::kInvalidParameterValue, "invalid MySQL data type " + Quoted(type));
	if (length > 0 && written.find('(') == std::string::npos) {
		/* "int unsigned" with length 10 is written "int(10) unsigned". */
		size_t space = written.find(' ');
		std::string args = "(" + std::to_string(length) + (scale > 0 ? "," + std::to_string(scale) : "") + ")";
		written = space == std::string::npos ? written + args : written.substr(0, space) + args + written.substr(space);
	}
	ddl::Statement st;
	try {
		st = ddl::Parse("CREATE TABLE t (c " + written + ")", "db");
	} catch (const Error &) {
		throw Error(sqlstate::kInvalidParameterValue, "invalid MySQL data type " + Quoted(written), {},
		            "Give a type as MySQL writes it, for example \"int unsigned\", \"decimal\" with length and "
		            "scale, or \"enum('a','b')\".");
	}
	if (st.kind != ddl::StatementKind::CreateTable || st.create.columns.size() != 1)
		throw Error(sqlstate::kInvalidParameterValue, "invalid MySQL data type " + Quoted(written));
	mysql::SourceColumn col = ddl::ToSourceColumn(st.create.columns[0]);
	PgColumnType def = DefaultPgType(col); /* an unmappable type is an error in its own words */
	if (!mapping)
		return def;
	/* The connector's type rules (a type rule can only match by type: no table or column is named). */
	mysql::SourceTable t;
	t.columns.push_back(std::move(col));
	return mysql::MakeTable(std::move(t), mapping).pg_types[0];
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

std::optional<SchemaChange> PlanSchemaChange(const ddl::Statement &st, const TableSet &before, const std::string &srcdb,
                                             const std::vector<TableName> &filter, const Mapping *mapping)
{
	auto set = std::make_shared<TableSet>(before);
	SchemaChange change;
	using K = ddl::StatementKind;
	switch (st.kind) {
	case K::CreateTable: {
		const auto &c = st.create;
		if (!InScope(c.table, srcdb, filter))
			return std::nullopt;
		int existing = Find(*set, c.table);
		mysql::SourceTable source;
		if (c.like) {
			int from = Find(*set, *c.like);
			if (from < 0)
				throw Error(sqlstate::kFeatureNotSupported,
				            "cannot replicate CREATE TABLE " + c.table.ToString() + " LIKE " + c.like->ToString(),
				            "The table it copies is not replicated, so its definition is not known.",
				            "Add the table to the connector's table list, or restart the connector with snapshot mode "
				            "'always'.");
			source = mysql::Native((*set)[from]).table;
			source.db = c.table.db;
			source.name = c.table.name;
		} else
			source = ddl::ToSourceTable(c);
		if (existing >= 0) {
			if (c.if_not_exists && !c.or_replace)
				return std::nullopt;
			change.sql.push_back("DROP TABLE IF EXISTS " + (*set)[existing].QualifiedPgName());
			set->erase(set->begin() + existing);
		}
		TableInfo info = MakeInfo(std::move(source), mapping);
		change.sql.push_back("CREATE SCHEMA IF NOT EXISTS " + QuotePgIdent(info.pg_schema));
		change.sql.push_back(CreateTableSql(info));
		change.summary = "CREATE TABLE " + c.table.ToString();
		set->push_back(std::move(info));
		break;
	}
	case K::DropTable: {
		for (const auto &n : st.drop.tables) {
			int i = Find(*set, n);
			if (i < 0)
				continue;
			change.sql.push_back("DROP TABLE IF EXISTS " + (*set)[i].QualifiedPgName());
			set->erase(set->begin() + i);
		}
		if (change.sql.empty())
			return std::nullopt;
		change.summary = "DROP TABLE";
		break;
	}
	case K::RenameTable: {
		bool touched = false;
		for (const auto &[from, to] : st.rename.renames) {
			int i = Find(*set, from);
			if (i < 0) {
				if (InScope(to, srcdb, filter))
					throw Error(sqlstate::kFeatureNotSupported,
					            "cannot replicate RENAME TABLE " + from.ToString() + " TO " + to.ToString(),
					            "The renamed table comes from outside the replicated tables, so its rows are not "
					            "known.",
					            "Restart the connector with snapshot mode 'always'.");
				continue;
			}
			ddl::AlterTable alter;
			alter.table = from;
			ddl::AlterAction a;
			a.kind = ddl::AlterKind::RenameTable;
			a.new_table = to;
			alter.actions.push_back(a);
			PlanAlter(alter, *set, i, srcdb, filter, change.sql, mapping);
			touched = true;
		}
		/* A rename may need no destination statement (same destination name), but the tables change. */
		if (!touched)
			return std::nullopt;
		change.summary = "RENAME TABLE";
		break;
	}
	case K::AlterTable: {
		int i = Find(*set, st.alter.table);
		if (i < 0)
			return std::nullopt;
		if (std::all_of(st.alter.actions.begin(), st.alter.actions.end(),
		                [](const ddl::AlterAction &a) { return a.NeedsNothing(); }))
			return std::nullopt;
		PlanAlter(st.alter, *set, i, srcdb, filter, change.sql, mapping);
		change.summary = "ALTER TABLE " + st.alter.table.ToString();
		break;
	}
	case K::DropDatabase: {
		if (st.database.name != srcdb)
			return std::nullopt;
		for (const auto &t : *set)
			change.sql.push_back("DROP TABLE IF EXISTS " + t.QualifiedPgName());
		set->clear();
		change.summary = "DROP DATABASE " + srcdb;
		break;
	}
	default:
		return std::nullopt;
	}
	/* Two source tables must never write into one destination table. */
	std::map<std::pair<std::string, std::string>, const TableInfo *> seen;
	for (const TableInfo &t : *set) {
		auto [it, fresh] = seen.emplace(std::make_pair(t.pg_schema, t.pg_table), &t);
		if (!fresh)
			throw Error(sqlstate::kDuplicateObject,
			            "source tables " + Quoted(it->second->SourceName()) + " and " + Quoted(t.SourceName()) +
			                " both map to destination table " + t.QualifiedPgName(),
			            {}, "Change the table rules (rule file or synchdb_objmap) so that every table gets its own "
			                "destination.");
	}
	/*
	 * The statements reach SPI as C strings: one holding a NUL byte (a name
	 * from a damaged statement; defaults holding NUL are left out already)
	 * would be cut short.  The message shows the NUL as \0 for the same reason.
	 */
	for (const std::string &q : change.sql)
		if (q.find('\0') != std::string::npos) {
			std::string what;
			for (char ch : change.summary)
				what += ch ? std::string(1, ch) : std::string("\\0");
			throw Error(sqlstate::kDataException,
			            "cannot replicate " + what + ": a name in it holds a NUL byte, which PostgreSQL cannot hold", {},
			            "Rename the object on the source server, or exclude the table from replication.");
		}
	change.tables = std::move(set);
	return change;
}

}  // namespace synchdb
