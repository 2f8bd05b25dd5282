/*
 * source_reader.hpp
 *     The reader thread of a MySQL/MariaDB connector.
 *
 * NOTES
 *   Owns the source connections.  In order: reads the definitions of the
 *   replicated tables; if asked, takes a consistent snapshot (one read view
 *   plus the binlog position it corresponds to) and sends every row in
 *   COPY text format; then streams the binlog from the start position,
 *   decoding row events with the core decoder and sending one Change per
 *   row and one Commit per source transaction.
 *
 *   It never calls PostgreSQL and runs with all signals blocked.  Every
 *   failure ends up as a message: Error (stop the connector) or SourceLost
 *   (the connection dropped; the main thread restarts the reader from its
 *   last committed position).
 */
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/conninfo.hpp"
#include "core/emitter.hpp"
#include "core/sources/mysql/connection.hpp"
#include "core/sources/mysql/pgtext.hpp"
#include "core/sources/mysql/position.hpp"
#include "core/sources/mysql/schema.hpp"
#include "core/source.hpp"

namespace synchdb::mysql {

struct ReaderConfig {
	Endpoint endpoint;
	std::string srcdb;
	std::vector<TableName> filter;
	/* Take a snapshot with data (true), schema only (false), or none (nullopt: stream from start). */
	std::optional<bool> snapshot_with_data;
	bool stop_after_snapshot = false;
	std::optional<BinlogPosition> start; /* stream from here (when no snapshot) */
	/* Definitions current at start (schema history); read from information_schema when absent. */
	std::optional<std::vector<SourceTable>> known_tables;
	/* The user's rules (rule file and object map); null for the defaults. */
	std::shared_ptr<const Mapping> mapping;
	uint32_t replica_server_id = 0;
	size_t batch_rows = 512;
	size_t copy_chunk_bytes = 64 * 1024;
	/* Temporal values PostgreSQL cannot hold (pgtext.hpp); set on the reader thread. */
	InvalidValuePolicy invalid_values = InvalidValuePolicy::Error;
	/* Snapshot rows in binary COPY format where the destination allows (null: text only). */
	std::shared_ptr<binarycopy::Formats> copy_formats;
};

class SourceReader : public Reader {
public:
	explicit SourceReader(ReaderConfig config);

	/* Thread body: never throws. */
	void Run(Emitter &out) noexcept override;
	/* Ask Run() to return soon (checked between events and rows). */
	void Stop() override { stop_ = true; }

private:
	void RunOrThrow();
	std::shared_ptr<const TableSet> ReadTables(Connection &conn);
	BinlogPosition CurrentPosition(Connection &conn);
	/* The connected server's @@server_id, and MariaDB's GTID state at p's file and offset, into p. */
	void AddServerAndGtids(Connection &conn, BinlogPosition &p);
	/*
	 * Whether pos must be resumed by GTID on the connected server (its file
	 * is not there, or is another server's); throws the error with the fix
	 * when it must and cannot.  Sets server_id_.
	 */
	bool NeedsGtidResume(Connection &conn, const BinlogPosition &pos);
	void Snapshot(bool with_data);
	void Stream(BinlogPosition pos);
	void CopyTable(Connection &conn, int index);
	void SendEstimates(Connection &conn);

	void Add(Msg m);
	void Flush();
	int FindTable(const std::string &db, const std::string &table) const;

	ReaderConfig config_;
	Emitter *out_ = nullptr;
	std::shared_ptr<const TableSet> tables_;
	std::atomic<bool> stop_{false};
	uint32_t server_id_ = 0; /* @@server_id of the server streamed from */
};

/* Replica server id for a connector: stable, never 0. */
uint32_t ReplicaServerId(const std::string &connector, const std::string &dstdb);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
