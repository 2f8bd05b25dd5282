/*
 * registry.cpp
 *     Which source plug-in serves which connector type: the one place that
 *     names the sources.  Adding a source adds its folder and one line to
 *     kSources.
 */
#include <memory>

#include "core/error.hpp"
#include "core/sources/mysql/source.hpp"
#include "core/sources/olr/source.hpp"
#include "core/sources/postgres/source.hpp"
#include "core/source.hpp"

namespace synchdb {

namespace {

struct Registration {
	ConnectorType type;
	std::unique_ptr<Source> (*make)(SourceConfig);
	PgColumnType (*translate)(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping);
};

constexpr Registration kSources[] = {
	{ConnectorType::MySQL, mysql::MakeMySQLSource, mysql::TranslateDatatype},
	{ConnectorType::Postgres, pgsrc::MakePostgresSource, pgsrc::TranslateDatatype},
	{ConnectorType::Olr, olr::MakeOlrSource, olr::TranslateDatatype},
};

}  // namespace

std::unique_ptr<Source> MakeSource(SourceConfig config)
{
	const ConnectorType type = config.conninfo.Type();
	for (const Registration &r : kSources)
		if (r.type == type)
			return r.make(std::move(config));
	throw Error(sqlstate::kFeatureNotSupported,
	            std::string(ConnectorTypeDisplayName(type)) + " connectors cannot run yet: this build has no " +
	                ConnectorTypeDisplayName(type) + " source",
	            {}, "Use a connector of a type this build supports (mysql, postgres, olr).");
}

PgColumnType TranslateDatatype(ConnectorType type, const std::string &source_type, int64_t length, int64_t scale,
                               const Mapping *mapping)
{
	for (const Registration &r : kSources)
		if (r.type == type)
			return r.translate(source_type, length, scale, mapping);
	throw Error(sqlstate::kFeatureNotSupported,
	            std::string("type translation for ") + ConnectorTypeDisplayName(type) + " is not available yet", {},
	            "Connector types with a source in this build: mysql, postgres, olr.");
}

bool HasSource(ConnectorType type)
{
	for (const Registration &r : kSources)
		if (r.type == type)
			return true;
	return false;
}

}  // namespace synchdb
