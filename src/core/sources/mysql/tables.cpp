/*
 * tables.cpp
 *     MySQL/MariaDB table definitions in neutral terms (see tables.hpp).
 */
#include "core/sources/mysql/tables.hpp"

#include "core/error.hpp"
#include "core/mapping.hpp"
#include "core/sources/mysql/typemap.hpp"

namespace synchdb::mysql {

NeutralColumn ToNeutral(const SourceColumn &c, const std::string &table)
{
	NeutralColumn n;
	n.name = c.name;
	const bool u = c.is_unsigned || c.column_type.find(" unsigned") != std::string::npos;
	/* MariaDB's JSON is LONGTEXT with a CHECK; rules see it as JSON, as its default mapping does. */
	const std::string base = c.json_alias ? std::string("json") : NormalizeSourceTypeName(c.data_type);
	n.type_name = base + (u ? " unsigned" : "");
	n.type_text = c.column_type.empty() ? c.data_type : c.column_type;
	try {
		n.pg = DefaultPgType(c);
	} catch (const Error &e) {
		throw Error(e.sqlstate(), "column " + Quoted(c.name) + " of table " + Quoted(table) + ": " + e.what(),
		            e.detail(), e.hint());
	}
	n.pg_default = PgDefaultExpression(c, n.pg);
	n.nullable = c.nullable;
	n.auto_increment = c.auto_increment;
	n.spatial = IsSpatialType(c.data_type);
	n.rule_info.data_type = base;
	n.rule_info.char_length = static_cast<long>(c.char_max_length);
	n.rule_info.precision = c.precision;
	n.rule_info.scale = c.scale;
	if (c.data_type == "datetime" || c.data_type == "timestamp" || c.data_type == "time")
		n.rule_info.fsp = SourceFractionalDigits(c);
	if (c.data_type == "bit")
		n.rule_info.bit_width = SourceBitWidth(c);
	return n;
}

NeutralTable ToNeutral(const SourceTable &t)
{
	NeutralTable n;
	n.db = t.db;
	n.name = t.name;
	const std::string qualified = t.db + "." + t.name;
	n.columns.reserve(t.columns.size());
	for (const SourceColumn &c : t.columns)
		n.columns.push_back(ToNeutral(c, qualified));
	n.primary_key = t.primary_key;
	return n;
}

TableInfo MakeTable(SourceTable t, const Mapping *mapping)
{
	TableInfo info = MakeTableInfo(ToNeutral(t), mapping);
	auto data = std::make_shared<MyTableData>();
	data->conversions.reserve(t.columns.size());
	for (size_t i = 0; i < t.columns.size(); i++) {
		/* A default follows the column's final type (a type rule may change what it looks like). */
		info.pg_defaults[i] = PgDefaultExpression(t.columns[i], info.pg_types[i]);
		const ColumnTransform &xf = info.transforms[i];
		data->conversions.push_back(MakeConversion(t, i, xf.Active() ? xf.input : info.pg_types[i]));
	}
	data->table = std::move(t);
	info.native = std::move(data);
	return info;
}

std::shared_ptr<const TableSet> MakeTables(std::vector<SourceTable> tables, const Mapping *mapping)
{
	std::vector<TableInfo> infos;
	infos.reserve(tables.size());
	for (auto &t : tables)
		infos.push_back(MakeTable(std::move(t), mapping));
	return MakeTableSet(std::move(infos));
}

const MyTableData &Native(const TableInfo &t)
{
	const auto *d = dynamic_cast<const MyTableData *>(t.native.get());
	if (!d)
		throw Error(sqlstate::kInternalError, "table " + Quoted(t.SourceName()) + " has no MySQL definition");
	return *d;
}

std::vector<SourceTable> SourceTables(const TableSet &set)
{
	std::vector<SourceTable> out;
	out.reserve(set.size());
	for (const TableInfo &t : set)
		out.push_back(Native(t).table);
	return out;
}

}  // namespace synchdb::mysql
