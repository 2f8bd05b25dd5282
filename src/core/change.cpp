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

std::string SourcePosition::ToOffsetJson() const
{
	using json::Value;
	Value v = Value::MakeObject();
	v.Set("ts_sec", Value::MakeInt(ts_sec));
	v.Set("file", Value::MakeString(file));
	v.Set("pos", Value::MakeNumber(std::to_string(pos)));
	v.Set("row", Value::MakeInt(0));
	v.Set("server_id", Value::MakeInt(server_id));
	v.Set("event", Value::MakeInt(0));
	if (!gtid.empty())
		v.Set("gtids", Value::MakeString(gtid));
	return json::Write(v);
}

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

std::shared_ptr<const TableSet> MakeTableSet(std::vector<mysql::SourceTable> tables)
{
	auto set = std::make_shared<TableSet>();
	set->reserve(tables.size());
	for (auto &t : tables) {
		TableInfo info;
		info.pg_schema = DefaultPgName(t.db);
		info.pg_table = DefaultPgName(t.name);
		info.source = std::move(t);
		for (size_t i = 0; i < info.source.columns.size(); i++) {
			const auto &c = info.source.columns[i];
			PgColumnType pt;
			try {
				pt = DefaultPgType(c);
			} catch (const Error &e) {
				throw Error(e.sqlstate(),
				            "column " + Quoted(c.name) + " of table " + Quoted(info.SourceName()) + ": " + e.what(),
				            e.detail(), e.hint());
			}
			info.pg_columns.push_back(DefaultPgName(c.name));
			info.pg_types.push_back(pt);
			info.conversions.push_back(MakeConversion(info.source, i, pt));
		}
		set->push_back(std::move(info));
	}
	return set;
}

}  // namespace synchdb
