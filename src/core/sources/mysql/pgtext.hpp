/*
 * pgtext.hpp
 *     Source values rendered as PostgreSQL input text, and COPY text fields.
 *
 * NOTES
 *   The PostgreSQL layer converts every value with the target type's input
 *   function, so the core renders each source value, from the binlog (CDC)
 *   or from a snapshot's text-protocol rows, as text that input function
 *   accepts and that means exactly the source value:
 *
 *   - no value is ever turned into NULL or NULL into a value: the strings
 *     '' and 'NULL' stay strings;
 *   - no time zone is applied anywhere: DATETIME is wall-clock text,
 *     TIMESTAMP is UTC with an explicit "+00" (binlog epochs are converted
 *     with our own civil-date arithmetic, valid before 1970 too; snapshot
 *     text is UTC because the caller sets the session time_zone to
 *     '+00:00');
 *   - fractional seconds keep exactly their digits;
 *   - values PostgreSQL cannot represent raise kDataException naming the
 *     value, column and table, with a hint (text with NUL bytes, bad BIT
 *     or geometry data); temporal ones (zero dates, TIME outside
 *     00:00:00..24:00:00 into time) follow the thread's
 *     InvalidValuePolicy: an error, or NULL / a replacement that is
 *     counted and reported (TakeReplacements).
 *
 *   Cost: BinlogValueToPgText and SnapshotValueToPgText only append to the
 *   caller's string, which keeps its capacity between calls, so converting
 *   a row allocates nothing once the buffers have grown.
 */
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sources/mysql/binlog/value.hpp"
#include "core/sources/mysql/schema.hpp"
#include "core/copytext.hpp"
#include "core/sources/mysql/typemap.hpp"

namespace synchdb {

/* How source string bytes become UTF-8. */
enum class TextEncoding : uint8_t {
	kUtf8,	  /* utf8mb4, utf8mb3, ascii, or unknown: bytes pass through */
	kLatin1,  /* MySQL's latin1, which is cp1252 */
	kBinary,  /* no character set */
	kOther	  /* another character set: values are refused */
};

/* What a column needs to be converted; built once per table, used per row. */
struct ColumnConversion {
	std::string table;	   /* "db.table", for messages */
	std::string column;	   /* source column name, for messages */
	PgKind kind = PgKind::Text;
	std::string data_type; /* source DATA_TYPE */
	bool is_unsigned = false;
	int fsp = 0;		   /* fractional second digits of the source */
	int bit_width = 0;	   /* BIT(n) */
	int fixed_bytes = 0;   /* BINARY(n), UUID, INET6, INET4: the binlog drops trailing 0x00 bytes, pad back to n */
	bool spatial = false;  /* GEOMETRY and its subtypes: bytea gets the WKB, any other kind the EWKB in hex */
	bool nullable = true;
	std::string charset;   /* source CHARACTER_SET_NAME, "" if none */
	TextEncoding encoding = TextEncoding::kUtf8; /* from charset */
	std::vector<std::string> enum_values;		 /* ENUM/SET labels when the binlog carries none */
};

/*
 * What happens to a temporal value PostgreSQL cannot hold as mapped (zero
 * or partial dates, datetimes out of range, TIME beyond 00:00:00..24:00:00
 * into time): docs/type-mapping.md "Values PostgreSQL cannot hold".
 */
enum class InvalidValuePolicy : uint8_t {
	Error,   /* stop the connector, naming the value (kDataException) */
	Null,    /* NULL where the column allows it, else the replacement */
	Replace, /* the replacement: -infinity for dates and timestamps, 00:00:00 for time */
};
/* "error", "null", "replace"; nullopt for anything else. */
std::optional<InvalidValuePolicy> ParseInvalidValuePolicy(std::string_view text);

/*
 * The policy of the calling thread's conversions (a reader thread sets it
 * once; Error until then), and what it replaced: the number of values since
 * the last Take, and one message for each column's first replacement on
 * this thread (table, column, value, why, what it became).
 */
void SetInvalidValuePolicy(InvalidValuePolicy policy);
struct Replacements {
	uint64_t count = 0;
	std::vector<std::string> first_per_column;
};
Replacements TakeReplacements();
/* The log text of r's first-per-column messages, each followed by " (" + where + ")". */
std::string DescribeReplacements(const Replacements &r, const std::string &where);
class Emitter;
/* TakeReplacements, sent as one ValuesReplaced notice when any ("where": "in the snapshot", ...). */
void ReportReplacements(Emitter &out, const std::string &where);

/* The conversion of column column_index of t to the PostgreSQL type pg. */
ColumnConversion MakeConversion(const mysql::SourceTable &t, size_t column_index, const PgColumnType &pg);

/*
 * CDC: a decoded binlog value as PostgreSQL input text for c's type.
 * Returns false for SQL NULL (out is then empty).  out is cleared first.
 * Throws kDataException for values PostgreSQL cannot represent and
 * kFeatureNotSupported for values synchdb cannot convert (partial JSON
 * updates, unknown character sets).
 */
bool BinlogValueToPgText(const binlog::Value &v, const ColumnConversion &c, std::string &out);
/*
 * The same, appended to out: a big string or binary value is written once,
 * straight into the row's buffer, instead of into a scratch string first.
 */
bool BinlogValueAppendPgText(const binlog::Value &v, const ColumnConversion &c, std::string &out);

/*
 * Snapshot: the SELECT expression for column c of its table, a plain
 * backquoted name for most types.  BIT columns are read as
 * CAST(`c` AS UNSIGNED).  Geometries are read in their internal form, the
 * 4-byte SRID then the WKB: the bytes the binlog carries, so that snapshot
 * and CDC rows agree byte for byte (ST_AsWKB could reorder axes of
 * geographic SRSs on MySQL 8).  Expressions are aliased to the column's
 * name.
 */
std::string SnapshotSelectExpr(const mysql::SourceColumn &c);

/*
 * Snapshot: one field of a text-protocol row (mysql_fetch_row + lengths,
 * data == nullptr for NULL) as PostgreSQL input text.  Same contract as
 * BinlogValueToPgText.  The session must use character set utf8mb4 and
 * time_zone '+00:00'.
 */
bool SnapshotValueToPgText(const char *data, size_t len, const ColumnConversion &c, std::string &out);
/* The same, appended to out (big values are written in place: no second copy of a huge text). */
bool SnapshotValueAppendPgText(const char *data, size_t len, const ColumnConversion &c, std::string &out);

/*
 * Whether MySQL text for a temporal value ("2024-01-02", "2024-01-02
 * 10:11:12.5", "-838:59:59") is a valid value of the PostgreSQL kind Date,
 * Timestamp, Timestamptz or Time.  False for zero dates, invalid days,
 * times outside 00:00:00..24:00:00 and malformed text.
 */
bool TemporalTextIsRepresentable(std::string_view text, PgKind kind);

/* Whether a source DATA_TYPE is GEOMETRY or one of its subtypes. */
bool IsSpatialType(std::string_view data_type);

/* Days since 1970-01-01 to a proleptic Gregorian date, valid for any int64 input in range. */
void CivilFromDays(int64_t days, int64_t &year, unsigned &month, unsigned &day);

}  // namespace synchdb

#include "core/cpp_only.hpp"
