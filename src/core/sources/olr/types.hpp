/*
 * types.hpp
 *     Oracle column types as OpenLogReplicator describes them, their
 *     default PostgreSQL types, and the rendering of OLR's JSON values
 *     as PostgreSQL input text.
 *
 * NOTES
 *   Default types follow shared/reference/synchdb-features.md 5.3 (the
 *   SynchDB table), with NUMBER(p,s) kept exact: NUMBER(p,0) -> smallint,
 *   integer, bigint for p <= 4, 9, 18, numeric(p) above; NUMBER(p,s) ->
 *   numeric(p,s); NUMBER and FLOAT(b) -> numeric (the table's "float ->
 *   real" is followed only for BINARY_FLOAT; Oracle FLOAT(b) values come as
 *   exact decimal text and would lose digits in real).
 *
 *   Rendering (value formats of OLR 1.9, observed in the fixtures):
 *     NUMBER            JSON number text, kept as is (38 digits exact)
 *     BINARY_FLOAT/DBL  JSON number text; "NaN"/"Infinity" strings mapped
 *     DATE, TIMESTAMP   per format.timestamp: 0..3 numbers (ns/us/ms/s
 *                       since the epoch), 4..7 the same as strings, 8..15
 *                       ISO-8601 strings -> "YYYY-MM-DD HH:MI:SS[.f]"
 *     TIMESTAMP WITH TZ "<unix ns>,<zone>" (format.timestamp-tz 0) or ISO;
 *                       rendered as the UTC instant with "+00"
 *     RAW, BLOB         lower-case hex -> bytea "\x…"
 *     text types        the JSON string, unescaped
 *     BOOLEAN           1/0 or true/false -> t/f
 *     INTERVAL          strings passed through (PostgreSQL reads ISO-8601
 *                       and SQL forms); numbers for DAY TO SECOND as
 *                       seconds (format not checked against OLR)
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/sources/olr/message.hpp"
#include "core/pgtypes.hpp"

namespace synchdb::olr {

enum class OraType : uint8_t {
	Unknown,
	Varchar2,
	NVarchar2,
	Char,
	NChar,
	Number,
	Float,
	BinaryFloat,
	BinaryDouble,
	Date,
	Timestamp,
	TimestampTz,
	TimestampLtz,
	IntervalYM,
	IntervalDS,
	Raw,
	LongRaw,
	Long,
	Clob,
	NClob,
	Blob,
	Boolean,
	Rowid,
	Urowid,
	XmlType,
	Json,
	Bfile,
};

struct OraColumnType {
	OraType type = OraType::Unknown;
	int64_t length = -1;   /* bytes (VARCHAR2, RAW, CHAR; NVARCHAR2/NCHAR in characters) */
	int precision = -1;    /* NUMBER precision, FLOAT binary precision; -1 none */
	int scale = -1;        /* NUMBER scale; TIMESTAMP/INTERVAL DS fractional digits; -1 none */
	int leading = -1;      /* INTERVAL leading field precision */
	std::string unknown;   /* the source's name or code when Unknown */
};

/* From the dictionary (sys-col: type#, length, precision#, scale, charset-form). */
OraColumnType TypeFromCode(int code, int64_t length, int precision, int scale, int charset_form);
/* From OLR's schema columns ("number", "varchar2", "timestamp with time zone", ...). */
OraColumnType TypeFromName(std::string_view name, int64_t length, int precision, int scale);

/* "number", "varchar2", "timestamp with time zone", ... (lower case, what rules name). */
std::string TypeName(const OraColumnType &t);
/* "NUMBER(15,2)", "VARCHAR2(200)", "TIMESTAMP(6)", ... */
std::string TypeText(const OraColumnType &t);
/* The default PostgreSQL type. */
PgColumnType DefaultPgType(const OraColumnType &t);

/* OLR's value formats (the "format" block of OpenLogReplicator.json). */
struct ValueFormat {
	int timestamp = 0;     /* format.timestamp 0..15 (OLR default 0: ns since the epoch, number) */
	int timestamp_tz = 0;  /* format.timestamp-tz */
};

/*
 * Append the PostgreSQL input text of v (never Null or Absent) for a
 * column of type t to out.  Returns false, with why set, when the value
 * does not fit the type (the caller names table and column).
 */
bool RenderValue(const OraColumnType &t, const JValue &v, const ValueFormat &f, std::string &out, std::string &why);

/* "YYYY-MM-DD HH:MI:SS[.fraction]" (BC suffix before year 1) of a time since the epoch. */
void AppendEpochTimestamp(std::string &out, int64_t seconds, uint32_t nanos);
/* Parse "YYYY-MM-DD[T ]HH:MI:SS[.f][Z|±hh[:mm]]" into microseconds since the epoch (UTC). */
bool ParseIsoTimestampUsec(std::string_view s, int64_t &usec);

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
