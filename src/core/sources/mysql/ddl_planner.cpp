/*
 * ddl_planner.cpp
 *     MySQL/MariaDB DDL statements to table changes (the neutral step in
 *     core/schema_change.hpp does the PostgreSQL side).
 */
#include "core/sources/mysql/ddl_planner.hpp"

#include <algorithm>
#include <map>

#include "core/sources/mysql/ddl/parser.hpp"
#include "core/sources/mysql/ddl/schema.hpp"
#include "core/error.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/sources/mysql/typemap.hpp"

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
