/*
 * change.cpp
 *     Source positions and destination table definitions.
 */
#include "core/change.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb {

std::string TableInfo::QualifiedPgName() const
{
	return QuotePgIdent(pg_schema) + "." + QuotePgIdent(pg_table);
}

namespace {

/* Default destination names: the source names in lower case. */
std::string DefaultPgName(std::string_view s)
{
	std::string out(s);
	std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
	return out;
}

}  // namespace

bool TableInfo::HasTransforms() const
{
	for (const auto &t : transforms)
		if (t.Active())
			return true;
	return false;
}

TableInfo MakeTableInfo(NeutralTable t, const Mapping *mapping)
{
	TableInfo info;
	const std::string tkey = MappingKey(t.db, t.name);
	const TableNameRule *trule = nullptr;
	if (mapping)
		if (auto it = mapping->tables.find(tkey); it != mapping->tables.end())
			trule = &it->second;
	info.pg_schema = trule ? trule->schema : DefaultPgName(t.db);
	info.pg_table = trule ? trule->table : DefaultPgName(t.name);
	info.name_origin = trule ? trule->origin : std::string();
	info.source = std::move(t);
	/* PostgreSQL would cut a longer name to 63 bytes: two source tables could land in one destination table. */
	if (info.pg_schema.size() > 63 || info.pg_table.size() > 63)
		throw Error(sqlstate::kNameTooLong,
		            "source table " + Quoted(info.SourceName()) + " would get a destination name longer than 63 bytes, "
		            "PostgreSQL's limit for names",
		            {}, "Map it to a shorter name with synchdb_add_objmap(<connector>, 'table', '" +
		                    EscapeControls(MappingKey(info.source.db, info.source.name)) + "', '<schema>.<table>').");
	for (size_t i = 0; i < info.source.columns.size(); i++) {
		const NeutralColumn &c = info.source.columns[i];
		const PgColumnType def = c.pg;
		const std::string ckey = MappingKey(info.source.db, info.source.name, c.name);
		std::string name = DefaultPgName(c.name);
		PgColumnType pt = def;
		std::string type_origin;
		ColumnTransform xf;
		if (mapping) {
			if (auto it = mapping->columns.find(ckey); it != mapping->columns.end())
				name = it->second.column;
			const std::string &stype = c.type_name;
			const TypeRule *rule = nullptr;
			if (auto it = mapping->column_types.find(ckey + "|" + stype); it != mapping->column_types.end())
				rule = &it->second; /* "db.table.column.TYPE" */
			else if (auto it1 = mapping->column_types.find(ckey); it1 != mapping->column_types.end())
				rule = &it1->second;
			else if (auto it2 = mapping->type_rules.find(stype + (c.auto_increment ? "|1" : "|0"));
			         it2 != mapping->type_rules.end())
				rule = &it2->second;
			if (rule) {
				pt.sql = RuleTypeSql(*rule, c.rule_info);
				pt.kind = PgKindOfTypeName(pt.sql).value_or(c.spatial ? PgKind::Text : def.kind);
				type_origin = rule->origin;
			}
			if (auto it = mapping->transforms.find(ckey); it != mapping->transforms.end()) {
				const TransformRule &r = it->second;
				if ((r.uses_wkb || r.uses_srid) && !c.spatial)
					throw Error(r.origin.find("rule file") != std::string::npos ? sqlstate::kConfigFileError
					                                                             : sqlstate::kInvalidParameterValue,
					            "invalid " + r.origin + ": transform expression uses %w or %s, but column " +
					                Quoted(c.name) + " of table " + Quoted(info.SourceName()) + " has type " +
					                c.rule_info.data_type + ", not a geometry",
					            {}, "Use %d for the value of a column that is not a geometry.");
				xf.written = r.written;
				xf.sql = r.sql;
				xf.origin = r.origin;
				xf.spatial = c.spatial;
				xf.input = c.spatial ? PgColumnType{"text", PgKind::Text} : def;
			}
		}
		if (name.size() > 63)
			throw Error(sqlstate::kNameTooLong,
			            "column " + Quoted(c.name) + " of source table " + Quoted(info.SourceName()) +
			                " would get a destination name longer than 63 bytes, PostgreSQL's limit for names",
			            {}, "Map it to a shorter name with a column rule (synchdb_add_objmap(<connector>, 'column', "
			                "...)).");
		for (size_t k = 0; k < info.pg_columns.size(); k++)
			if (info.pg_columns[k] == name)
				throw Error(sqlstate::kDuplicateObject,
				            "columns " + Quoted(info.source.columns[k].name) + " and " + Quoted(c.name) + " of table " +
				                Quoted(info.SourceName()) + " both map to destination column " + Quoted(name),
				            {}, "Change the column rules (rule file or synchdb_objmap) so that every column gets its "
				                "own name.");
		info.pg_columns.push_back(name);
		info.pg_defaults.push_back(type_origin.empty() ? c.pg_default : std::nullopt);
		info.pg_types.push_back(pt);
		info.transforms.push_back(std::move(xf));
		info.type_origins.push_back(std::move(type_origin));
	}
	return info;
}

std::shared_ptr<const TableSet> MakeTableSet(std::vector<TableInfo> tables)
{
	auto set = std::make_shared<TableSet>();
	set->reserve(tables.size());
	for (auto &info : tables) {
		for (const auto &other : *set)
			if (other.pg_schema == info.pg_schema && other.pg_table == info.pg_table)
				throw Error(sqlstate::kDuplicateObject,
				            "source tables " + Quoted(other.SourceName()) + " and " + Quoted(info.SourceName()) +
				                " both map to destination table " + info.QualifiedPgName(),
				            {}, "Change the table rules (rule file or synchdb_objmap) so that every table gets its own "
				                "destination.");
		set->push_back(std::move(info));
	}
	return set;
}

std::shared_ptr<const TableSet> MakeTableSet(std::vector<NeutralTable> tables, const Mapping *mapping)
{
	std::vector<TableInfo> infos;
	infos.reserve(tables.size());
	for (auto &t : tables)
		infos.push_back(MakeTableInfo(std::move(t), mapping));
	return MakeTableSet(std::move(infos));
}

}  // namespace synchdb
