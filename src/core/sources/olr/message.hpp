/*
 * message.hpp
 *     A zero-copy decoder of OpenLogReplicator's JSON messages.
 *
 * NOTES
 *   One frame is one JSON document: header keys (scn/scns, tm/tms, c_scn,
 *   c_idx, xid/xidn, db, ...) and "payload", an array of operations
 *   (begin, commit, c, u, d, ddl, chkpt).  See the reference and
 *   shared/fixtures/olr/README.md for the shapes.
 *
 *   The decoder is a specialised scanner, not a document model: it
 *   validates the JSON grammar, records each value as a view into the
 *   frame (strings undecoded, with a flag when they hold escapes; numbers
 *   as their text, so 38-digit NUMBERs stay exact) and fills a Message it
 *   reuses between frames (no allocation per message once warm).  Views
 *   are valid until the next Decode() and as long as the frame's bytes.
 *
 *   A column that is not in an image is absent (not in the vector); a
 *   column whose value is JSON null is present with Kind::Null.  OLR leaves
 *   NULL columns out of insert and delete images and unchanged columns out
 *   of update images (format "column" 0), so the row builder decides what
 *   absence means per operation.
 *
 *   Malformed input throws synchdb::Error kDataCorrupted naming the byte
 *   offset.  Nesting deeper than kMaxDepth is refused.
 */
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace synchdb::olr {

enum class Op : uint8_t { Begin, Commit, Insert, Update, Delete, Ddl, Checkpoint, Other };

const char *OpName(Op op);

/* A JSON value as it appears in the frame. */
struct JValue {
	enum class Kind : uint8_t { Absent, Null, False, True, Number, String, Composite };
	Kind kind = Kind::Absent;
	bool escaped = false;  /* String: raw holds backslash escapes */
	std::string_view raw;  /* Number: its text; String: between the quotes, undecoded; Composite: the JSON text */

	bool Present() const { return kind != Kind::Absent; }
	bool IsNull() const { return kind == Kind::Null; }
};

/* Append the decoded text of a String value (escapes resolved, \u to UTF-8); throws on bad escapes. */
void AppendUnescaped(std::string &out, const JValue &v);
/* The decoded text of a String value (a view when it has no escapes, else into scratch). */
std::string_view StringValue(const JValue &v, std::string &scratch);

struct ColumnRef {
	std::string_view name;
	JValue value;
};

/* A column of schema.columns (format "schema" bit 0x1/0x2). */
struct SchemaColumnRef {
	std::string_view name;
	std::string_view type; /* as OLR names it: "number", "varchar2", "timestamp with time zone", ... */
	std::optional<int64_t> length, precision, scale;
	bool nullable = true;
};

struct Payload {
	Op op = Op::Other;
	std::string_view op_text;
	std::string_view owner, table;
	std::optional<uint64_t> obj;
	bool has_columns = false;
	std::vector<SchemaColumnRef> columns;
	bool has_before = false, has_after = false;
	std::vector<ColumnRef> before, after;
	JValue sql;            /* ddl */
	std::string_view rid;
	std::optional<uint64_t> seq, offset, num; /* chkpt: redo sequence and offset; num */
	bool redo = false;                        /* chkpt at a log switch */

	void Reset();
};

struct Message {
	std::optional<uint64_t> scn;    /* "scn", or "scns" (hex text) */
	std::optional<uint64_t> b_scn;  /* begin SCN (scn-type 0x2) */
	std::optional<uint64_t> e_scn;  /* commit SCN (scn-type 0x8) */
	JValue tm;                      /* "tm" (number) or "tms" (string), unit per format.timestamp */
	JValue b_tm, e_tm;
	std::optional<uint64_t> c_scn;
	std::optional<uint64_t> c_idx;
	std::string_view xid;           /* "xid" text (format xid 0, 1, 3) */
	std::optional<uint64_t> xidn;   /* "xidn" (format xid 2) */
	std::string_view db, usr;
	std::optional<uint64_t> rth;

	std::span<const Payload> payload() const { return {payloads_.data(), npayload_}; }

	/* The decoder's storage: reused between frames; only the first npayload_ are valid. */
	std::vector<Payload> payloads_;
	size_t npayload_ = 0;
};

/* Upper bound on nesting. */
inline constexpr int kMaxDepth = 64;

class MessageDecoder {
public:
	/* Decode one frame; the result refers to text and to the decoder until the next call. */
	const Message &Decode(std::string_view text);

private:
	Message msg_;
	std::deque<std::string> keys_; /* decoded object keys that held escapes */
	std::string scratch_;
};

/* Parse "0x…" hex or decimal digits into a uint64; nullopt on bad text or overflow. */
std::optional<uint64_t> ParseScnText(std::string_view s);
/* Decimal digits only (JSON number without sign, fraction, exponent). */
std::optional<uint64_t> ParseU64(std::string_view s);

/*
 * A timestamp of the header (tm/tms) as microseconds since the epoch.
 * Numbers and numeric strings are read with the unit of format.timestamp
 * (0 ns, 1 us, 2 ms, 3 s; with 4..7 the same as strings); when unit < 0 it
 * is guessed from the magnitude.  ISO-8601 strings are parsed.  0 when unknown.
 */
uint64_t TimestampUsec(const JValue &v, int unit = -1);

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
