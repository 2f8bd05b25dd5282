/*
 * parser.hpp
 *     MySQL/MariaDB DDL statement -> ast.hpp.
 *
 * NOTES
 *   Input is one statement as it appears in a binlog QUERY_EVENT; the
 *   event's current database qualifies unqualified table names.  Errors
 *   are synchdb::Error: 42601 for text that is not valid in the part of
 *   the grammar we parse (the message quotes the fragment and its byte
 *   position), kFeatureNotSupported for DDL we understand but cannot
 *   replicate (CREATE TABLE ... SELECT).  See docs/ddl.md.
 */
#pragma once

#include <string>
#include <string_view>

#include "core/sources/mysql/ddl/ast.hpp"

namespace synchdb::ddl {

inline constexpr const char *kSyntaxErrorState = "42601";

Statement Parse(std::string_view sql, const std::string &current_db);

}  // namespace synchdb::ddl

#include "core/cpp_only.hpp"
