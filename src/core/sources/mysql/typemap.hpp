/*
 * typemap.hpp
 *     The default mapping of MySQL/MariaDB column types to PostgreSQL
 *     types, and of column defaults to PostgreSQL default expressions.
 *
 * NOTES
 *   The table is documented in docs/type-mapping.md; keep the two in step.
 *   The mapping is chosen so that every value the source can hold is
 *   representable exactly in the target type (integers never narrow,
 *   unsigned types widen, fractional seconds keep their precision), with
 *   the exceptions the document lists (zero dates, TIME outside 0..24 h).
 *
 *   Nothing here knows PostgreSQL's catalogs: types are SQL text for
 *   CREATE TABLE plus a PgKind that the value conversions (pgtext.hpp)
 *   dispatch on.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/pgtypes.hpp"
#include "core/sources/mysql/schema.hpp"

namespace synchdb {

/*
 * The default PostgreSQL type of a source column.  Throws
 * kFeatureNotSupported (naming the column) for types with no mapping, such
 * as VECTOR.
 */
PgColumnType DefaultPgType(const mysql::SourceColumn &c);

/*
 * The column's default as a PostgreSQL expression for CREATE TABLE, or
 * nullopt when the column has none or PostgreSQL cannot express it (the
 * caller then leaves DEFAULT out).  Auto-increment and generated columns
 * get nullopt: the caller decides about identity, and generated values
 * come from the source.  See docs/type-mapping.md, "Defaults".
 */
std::optional<std::string> PgDefaultExpression(const mysql::SourceColumn &c, const PgColumnType &t);

/* Fractional second digits (0..6) of a DATETIME/TIMESTAMP/TIME column. */
int SourceFractionalDigits(const mysql::SourceColumn &c);

/* Width of a BIT(n) column (1 when not given). */
int SourceBitWidth(const mysql::SourceColumn &c);

}  // namespace synchdb

#include "core/cpp_only.hpp"
