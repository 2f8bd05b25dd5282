/*
 * json.hpp
 *     MySQL binary JSON to JSON text.
 *
 * NOTES
 *   MySQL 5.7+ stores JSON columns in a binary format (WL#8132), the same
 *   in tables and in row events.  The format is documented in the MySQL
 *   source, sql-common/json_binary.h:
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/json__binary_8h.html
 *   The text produced here is the one MySQL prints for the value
 *   (CAST(col AS CHAR)): ", " and ": " separators, keys in stored order,
 *   doubles with a ".0" when integral, DATE/TIME/DATETIME opaque values as
 *   quoted strings with six fractional digits, DECIMAL as a bare number and
 *   other opaque values as "base64:typeNN:...".
 *
 *   MariaDB stores JSON as plain text in a LONGTEXT column, so it never
 *   reaches this code.
 */
#pragma once

#include <string>

#include "core/binlog/reader.hpp"

namespace synchdb::binlog {

/*
 * Append the JSON text of a binary JSON document to out.
 * An empty document (zero bytes) is rendered as "null", as MySQL does.
 * Returns false and sets *why if the document is malformed; never reads
 * outside data, recursion depth and output size are bounded.
 */
bool JsonBinaryToText(Bytes data, std::string &out, std::string *why);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
