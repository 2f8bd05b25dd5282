/*
 * source.hpp
 *     The MySQL/MariaDB source plug-in (connector type "mysql").
 */
#pragma once

#include <memory>

#include "core/source.hpp"

namespace synchdb::mysql {

std::unique_ptr<Source> MakeMySQLSource(SourceConfig config);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
