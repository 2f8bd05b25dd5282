/*
 * source.hpp
 *     The one interface between the engine (the worker's main thread, the
 *     apply path, the offsets) and a source plug-in (MySQL/MariaDB,
 *     PostgreSQL, OpenLogReplicator, ...).
 *
 * NOTES
 *   A source lives in one folder, src/core/sources/<name>/, and is made
 *   known by one line in src/core/sources/registry.cpp.  Nothing outside
 *   its folder knows which source it is.
 *
 *   What a source owes the engine:
 *     - a description of each replicated table in neutral terms
 *       (NeutralTable below): names as in the source, each column's
 *       source type in the source's own words plus its default PostgreSQL
 *       type and default expression, the primary key;
 *     - rows as PostgreSQL input text (RowData in change.hpp): the main
 *       thread only runs the destination types' input functions;
 *     - positions as opaque text: the source renders its position as the
 *       offset JSON that synchdb_state_view shows (Debezium's shape for
 *       that connector type), parses one back, orders two;
 *     - a schema history blob: whatever text the source needs to decode
 *       the rows that follow a stored position (stored with it, handed
 *       back on resume), "" if it needs none;
 *     - a reader that runs on its own thread with every signal blocked,
 *       never calls PostgreSQL, and reports everything through the
 *       Emitter, including its failures.
 *
 *   The source position a Commit carries is written to _synchdb.offsets
 *   in the same PostgreSQL transaction as the rows of that source
 *   transaction.  After that transaction commits, the engine calls
 *   Reader::Confirm(position) so the source may release what it holds
 *   (PostgreSQL: the slot's confirmed_flush_lsn; OpenLogReplicator:
 *   CONFIRM).  Confirm is called from the main thread while the reader
 *   thread runs: implementations make it thread-safe.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/binarycopy.hpp"
#include "core/conninfo.hpp"
#include "core/mapping.hpp"
#include "core/pgtypes.hpp"

namespace synchdb {

/* A source position; opaque to the engine. */
struct Position {
	std::string offset; /* the offset JSON shown in last_dbz_offset; "" = none */
	uint64_t ts_usec = 0; /* source commit time, microseconds since the epoch; 0 = unknown */
	std::string label;    /* for messages: "binlog position mysql-bin.000003:1234", "LSN 0/16B3F20"; may be empty */
	bool Valid() const { return !offset.empty(); }
};

/* A column as a source describes it. */
struct NeutralColumn {
	std::string name;         /* as in the source */
	std::string type_name;    /* the type as rules name it, lower case: "int", "varchar", "numeric", "number" */
	std::string type_text;    /* the type as the source writes it: "int(10) unsigned", "character varying(20)" */
	PgColumnType pg;          /* the default PostgreSQL type */
	std::optional<std::string> pg_default; /* PostgreSQL default expression; nullopt = none */
	bool nullable = true;
	bool auto_increment = false;
	bool spatial = false;     /* a geometry: transforms may use %w and %s; rules see hex EWKB text */
	TypeRuleColumnInfo rule_info; /* sizes a type rule may keep ("-1 keep the source size") */
};

/* A table as a source describes it. */
struct NeutralTable {
	std::string db;     /* the source namespace rules name: MySQL database, PostgreSQL schema, Oracle owner */
	std::string name;
	std::vector<NeutralColumn> columns; /* in row-image order: RowData fields follow it */
	std::vector<size_t> primary_key;    /* indexes into columns, key order; empty = none */
	std::string QualifiedName() const { return db + "." + name; }
};

/* Everything a source needs to run a connector. */
struct SourceConfig {
	ConnInfo conninfo;          /* the definition: name, host, port, user, srcdb, table list, type */
	std::string password;       /* clear text; the source scrubs its copies when done */
	std::string tls_key_passphrase; /* clear text passphrase of conninfo.tls.key; "" = none; scrubbed likewise */
	std::string destination;    /* "defdb/dstdb", for names derived from the connector (replica ids, slots) */
	int connect_timeout_s = 10;
	json::Value extra;          /* per-source settings (OpenLogReplicator host/port, TLS, ...) */
};

/* Where a reader starts. */
struct StartPoint {
	/* Take a snapshot with data (true), schema only (false), or none (nullopt: stream from resume). */
	std::optional<bool> snapshot_with_data;
	bool stop_after_snapshot = false;
	std::optional<Position> resume;  /* the committed position to stream from */
	std::string schema_history;      /* stored with resume; "" = read the current definitions */
	std::shared_ptr<const Mapping> mapping; /* the user's rules now; null for the defaults */
	/*
	 * The destination's column types for snapshot rows in binary COPY
	 * format (core/binarycopy.hpp), published by the main thread once the
	 * snapshot's tables exist; null: text format only.
	 */
	std::shared_ptr<binarycopy::Formats> copy_formats;
};

class Emitter; /* engine side: turns calls into messages for the main thread (change.hpp) */

/* The reader thread body of one connector run. */
class Reader {
public:
	virtual ~Reader() = default;
	/* Thread body: never throws; failures go to the emitter as Error or SourceLost. */
	virtual void Run(Emitter &out) noexcept = 0;
	/* Ask Run() to return soon.  Thread-safe. */
	virtual void Stop() = 0;
	/* The destination committed everything up to pos.  Thread-safe. */
	virtual void Confirm(const Position &pos) {}
};

class Source {
public:
	virtual ~Source() = default;
	/*
	 * Connect and check the source's replication prerequisites; throws
	 * synchdb::Error whose message says what is missing and how to fix it.
	 * Returns a description for the log ("MariaDB 10.11.6 at 127.0.0.1:3306").
	 */
	virtual std::string CheckPrerequisites() = 0;
	virtual std::unique_ptr<Reader> NewReader(const StartPoint &start) = 0;
	/* Parse an offset JSON (synchdb_set_offset); throws kInvalidParameterValue naming what is wrong. */
	virtual Position ParseOffset(std::string_view offset_json) const = 0;
	/*
	 * synchdb_set_offset: connect and check that the source can stream from
	 * pos (the binlog file is still there, the slot has not moved past it);
	 * throws synchdb::Error with the fix.  Returns a description for the log.
	 */
	virtual std::string CheckOffset(const Position &pos) { return {}; }
	/* <0, 0, >0 as a is before, at, after b. */
	virtual int Compare(const Position &a, const Position &b) const = 0;
	/* The connector is being deleted: release what it holds at the source (slots, publications). */
	virtual void Drop() {}
};

/* The source for a connector type (registry.cpp); throws kFeatureNotSupported for one not built. */
std::unique_ptr<Source> MakeSource(SourceConfig config);

/* Whether this build has a source for the connector type. */
bool HasSource(ConnectorType type);

/*
 * The destination type the connector type's default mapping gives a source
 * type (synchdb_translate_datatype), then the rules when mapping is given.
 */
PgColumnType TranslateDatatype(ConnectorType type, const std::string &source_type, int64_t length, int64_t scale,
                               const Mapping *mapping);

}  // namespace synchdb

#include "core/cpp_only.hpp"
