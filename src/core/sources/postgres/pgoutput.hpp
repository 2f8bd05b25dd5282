/*
 * pgoutput.hpp
 *     Decoder of the logical replication stream: the CopyData wrapping of
 *     START_REPLICATION (XLogData 'w', primary keepalive 'k') and the
 *     pgoutput plugin's protocol version 1 messages inside XLogData.
 *
 * NOTES
 *   Layouts follow PostgreSQL's "Logical Streaming Replication Protocol"
 *   and "Logical Replication Message Formats" chapters (PostgreSQL 15),
 *   version 1 (no streamed transactions, no two-phase).  All integers are
 *   big-endian; strings are NUL-terminated.
 *
 *   Input is hostile: every read is bounds-checked, every count read from
 *   the wire is checked against the bytes that remain before anything is
 *   reserved, and bytes after the end of a message are an error.  Anything
 *   malformed throws synchdb::Error(kDataCorrupted) naming the message and
 *   the field ("pgoutput Insert message: tuple column 3 length 900 exceeds
 *   the 12 bytes left").
 *
 *   Decoded messages are plain structs holding copies of the bytes, so the
 *   caller may free the wire buffer.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace synchdb::pgsrc {

using Lsn = uint64_t;

/* "16/B374D848" <-> 0x16B374D848; ParseLsn throws kInvalidParameterValue. */
std::string FormatLsn(Lsn lsn);
Lsn ParseLsn(std::string_view text);

/* PostgreSQL timestamps count microseconds from 2000-01-01; Unix microseconds = pg + this. */
inline constexpr int64_t kPgEpochOffsetUsec = 946684800LL * 1000000LL;

/* ------------------------------------------------------- replication wrapper */

struct XLogData {
	Lsn start = 0;       /* WAL start of the data */
	Lsn wal_end = 0;     /* current end of WAL on the server */
	int64_t send_time = 0; /* server clock, PostgreSQL epoch microseconds */
	std::string_view data; /* one pgoutput message, inside the CopyData payload (valid while it is) */
};

struct Keepalive {
	Lsn wal_end = 0;
	int64_t send_time = 0;
	bool reply_requested = false;
};

using CopyMessage = std::variant<XLogData, Keepalive>;

/* One CopyData payload of a START_REPLICATION stream. */
CopyMessage DecodeCopyMessage(std::string_view buf);

/* Standby status update ('r'): written, flushed, applied LSNs; clock in PostgreSQL epoch microseconds. */
std::string EncodeStandbyStatus(Lsn written, Lsn flushed, Lsn applied, int64_t now_pg_usec, bool reply_requested);

/* ------------------------------------------------------------- pgoutput v1 */

struct TupleColumn {
	enum class Kind : uint8_t { Null, UnchangedToast, Text };
	Kind kind = Kind::Null;
	std::string_view value; /* Text only: the type's output text, inside the decoded message (valid while it is) */
};

struct Tuple {
	std::vector<TupleColumn> columns;
};

struct BeginMsg {
	Lsn final_lsn = 0;
	int64_t commit_time = 0; /* PostgreSQL epoch microseconds */
	uint32_t xid = 0;
};

struct CommitMsg {
	uint8_t flags = 0;
	Lsn commit_lsn = 0;
	Lsn end_lsn = 0;
	int64_t commit_time = 0;
};

struct OriginMsg {
	Lsn commit_lsn = 0;
	std::string name;
};

struct RelationColumn {
	bool key = false; /* part of the replica identity */
	std::string name;
	uint32_t type_oid = 0;
	int32_t typmod = -1;
};

struct RelationMsg {
	uint32_t relid = 0;
	std::string nspname; /* "" on the wire means pg_catalog; decoded as "pg_catalog" */
	std::string relname;
	char replident = 'd'; /* d default, n nothing, f full, i index */
	std::vector<RelationColumn> columns;
};

struct TypeMsg {
	uint32_t oid = 0;
	std::string nspname;
	std::string name;
};

struct InsertMsg {
	uint32_t relid = 0;
	Tuple new_tuple;
};

struct UpdateMsg {
	uint32_t relid = 0;
	char old_kind = 0;            /* 0: no old tuple; 'K': key columns only; 'O': full old row */
	std::optional<Tuple> old_tuple;
	Tuple new_tuple;
};

struct DeleteMsg {
	uint32_t relid = 0;
	char old_kind = 'K'; /* 'K' or 'O' */
	Tuple old_tuple;
};

struct TruncateMsg {
	bool cascade = false;
	bool restart_identity = false;
	std::vector<uint32_t> relids;
};

struct LogicalMsg {
	bool transactional = false;
	Lsn lsn = 0;
	std::string prefix;
	std::string content;
};

using PgOutputMessage = std::variant<BeginMsg, CommitMsg, OriginMsg, RelationMsg, TypeMsg, InsertMsg, UpdateMsg,
                                     DeleteMsg, TruncateMsg, LogicalMsg>;

/* One pgoutput message (the data of an XLogData). */
PgOutputMessage DecodePgOutput(std::string_view buf);

/* "Insert", "Relation", ... for messages; "unknown" otherwise. */
const char *PgOutputMessageName(char tag);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
