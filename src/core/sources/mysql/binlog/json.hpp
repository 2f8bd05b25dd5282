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

#include <cstdint>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/reader.hpp"

namespace synchdb::binlog {

/*
 * Append the JSON text of a binary JSON document to out.
 * An empty document (zero bytes) is rendered as "null", as MySQL does.
 * Returns false and sets *why if the document is malformed; never reads
 * outside data, recursion depth and output size are bounded.
 */
bool JsonBinaryToText(Bytes data, std::string &out, std::string *why);

/*
 * Partial JSON updates (PARTIAL_UPDATE_ROWS_EVENT with
 * binlog_row_value_options=PARTIAL_JSON): the after-image value of a JSON
 * column is a list of diffs instead of a document (sql/json_diff.h in the
 * MySQL source, Json_diff_vector::write_binary):
 *
 *     diff       ::= operation (1 byte: 0 REPLACE, 1 INSERT, 2 REMOVE)
 *                    path (packed length + JSON path text, e.g. "$.age")
 *                    [not REMOVE: value (packed length + binary JSON)]
 *
 * The diffs apply in order to the before image of the column.
 */
enum class JsonDiffOp : uint8_t { kReplace = 0, kInsert = 1, kRemove = 2 };

struct JsonDiffEntry {
	JsonDiffOp op = JsonDiffOp::kReplace;
	std::string path;
	std::string value; /* JSON text of the new value; empty for kRemove */
};

/*
 * Parse the diffs of a partial JSON value (the bytes of a kJsonDiff Value).
 * Returns false and sets *why if they are malformed.
 */
bool ParseJsonDiff(Bytes data, std::vector<JsonDiffEntry> &out, std::string *why);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
