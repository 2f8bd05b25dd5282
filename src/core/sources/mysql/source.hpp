/*
 * source.hpp
 *     The MySQL/MariaDB source plug-in (connector type "mysql").
 */
#pragma once

#include <memory>

#include "core/source.hpp"

namespace synchdb::mysql {

std::unique_ptr<Source> MakeMySQLSource(SourceConfig config);

/* synchdb_translate_datatype for MySQL/MariaDB types (schema_change.hpp). */
PgColumnType TranslateDatatype(const std::string &type, int64_t length, int64_t scale, const Mapping *mapping);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
