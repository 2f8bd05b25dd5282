/*
 * pgvalue.hpp
 *     Canonical PostgreSQL input text read straight into PostgreSQL's
 *     internal representation of the common built-in types, without the
 *     type's input function.
 *
 * NOTES
 *   The apply path (src/pg/apply.cpp) converts every value the sources
 *   send as input text.  For the types below it first tries these readers,
 *   which accept only one strict, canonical spelling (the one synchdb's
 *   sources produce) and return false for anything else: the caller then
 *   calls the type's input function as before, which also raises the
 *   errors (out of range, bad syntax).  A reader that returns true gives
 *   exactly the value the input function would give for that text; the
 *   unit tests (test/unit/pgvalue_test.cpp) pin the values PostgreSQL 15
 *   computes.
 *
 *   Dates are days since 2000-01-01 (PostgreSQL's DateADT), times
 *   microseconds since midnight (TimeADT), timestamps microseconds since
 *   2000-01-01 00:00:00 (Timestamp / TimestampTz, UTC for the latter).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace synchdb::pgvalue {

/* "-123", "0", "42": an optional '-' and 1-19 digits within [min, max]. */
bool ReadInt(std::string_view s, int64_t min, int64_t max, int64_t &out);

/*
 * Decimal or exponent notation ("1.5", "-0.25", "1e-07") of a normal
 * finite value or zero, correctly rounded (what strtod/strtof give):
 * no whitespace, no '+', no infinities, NaN or subnormal results.
 */
bool ReadFloat8(std::string_view s, double &out);
bool ReadFloat4(std::string_view s, float &out);

/* "t", "f", "1", "0". */
bool ReadBool(std::string_view s, bool &out);

/* "YYYY-MM-DD", year 0001-9999, a real day. */
bool ReadDate(std::string_view s, int32_t &days);

/*
 * "HH:MM:SS" with an optional fraction of 1-6 digits, 00:00:00 to
 * 23:59:59.999999; precision: the column's (0-6) or -1 for none: more
 * fraction digits than that (which PostgreSQL would round) are refused.
 */
bool ReadTime(std::string_view s, int precision, int64_t &usec);

/*
 * "YYYY-MM-DD HH:MM:SS[.ffffff]"; with utc_suffix it must end in "+00"
 * (timestamptz: without an explicit zone the session's TimeZone would
 * apply, so such text is refused).  Same precision rule as ReadTime.
 */
bool ReadTimestamp(std::string_view s, int precision, bool utc_suffix, int64_t &usec);

/* bytea hex input "\x0aff": the decoded length, or -1 if s is not strictly that form. */
int64_t ByteaHexLength(std::string_view s);
/* Decode s (ByteaHexLength(s) >= 0) into out, which holds ByteaHexLength(s) bytes. */
void DecodeByteaHex(std::string_view s, char *out);

/* Whether every byte is below 0x80 (character count = byte count). */
bool IsAscii(std::string_view s);

}  // namespace synchdb::pgvalue

#include "core/cpp_only.hpp"
