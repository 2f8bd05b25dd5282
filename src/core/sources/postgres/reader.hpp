/*
 * reader.hpp
 *     The reader thread of a PostgreSQL connector: snapshot through an
 *     exported slot snapshot, then the pgoutput stream.
 *
 * NOTES
 *   Run order:
 *     1. normal connection; the listed tables (or all) from the catalogs;
 *        the publication created or aligned (slot.hpp) before the slot
 *        exists, since pgoutput looks publications up as of each change;
 *     2. snapshot (StartPoint::snapshot_with_data set): an existing slot of
 *        this connector is dropped (its position cannot match a new
 *        snapshot) and created again on the replication connection with
 *        an exported snapshot (TEMPORARY when stop_after_snapshot, so an
 *        initial_only connector leaves no slot behind); the normal
 *        connection runs BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
 *        SET TRANSACTION SNAPSHOT, reads the tables again inside it (the
 *        definitions as of the snapshot), emits Tables, then per table
 *        COPY (SELECT <columns> FROM <table>) TO STDOUT in text format,
 *        ~64 KB chunks of whole rows, CopyEnd, and SnapshotDone at the
 *        slot's consistent point;
 *        resume (no snapshot): Tables from the schema history handed
 *        back with the position (history.hpp; the current catalogs when
 *        there is none, and for listed tables the history lacks), the slot
 *        must exist (else kObjectNotInPrerequisiteState: the changes since
 *        the stored position are gone); no resume and no snapshot: the
 *        slot is created (or kept) and streaming starts where it is;
 *     3. START_REPLICATION SLOT ... LOGICAL <lsn> (proto_version '1',
 *        publication_names '"<publication>"'), decoding pgoutput (see
 *        sink.hpp for what is emitted and the RowData conventions).
 *
 *   Before START_REPLICATION the reader waits (up to 90 s, noticing
 *   Stop) for a walsender of an earlier, lost connection to release the
 *   slot; a slot still in use is kUnableToConnect (the engine retries).
 *
 *   Standby status updates go out every status interval (10 s) and when
 *   a keepalive asks for one: written = the last WAL position received,
 *   flushed = applied = the last position given to Confirm() (0 = none
 *   yet, which the server ignores), never beyond.  Confirm() is an atomic
 *   store (max), safe from any thread.
 *
 *   Idle heartbeat (off unless SetHeartbeatInterval, i.e. the connector's
 *   extra setting "heartbeat_interval_s"): PostgreSQL 15's pgoutput sends
 *   nothing for transactions that touch no published table, so without
 *   changes to the replicated tables the confirmed position never moves
 *   and the slot keeps all WAL written since (disk fills on a busy
 *   source).  With a heartbeat, when no transaction is open and the
 *   server's keepalives show WAL beyond the last emitted position, the
 *   reader emits a Commit with no Changes at that WAL end (txId 0): at the
 *   first such keepalive after a transaction of ours (the stream went idle:
 *   the position then follows the WAL end at once, as PostgreSQL's apply
 *   worker reports its received position as flushed when nothing is
 *   pending; in the same destination commit group as that transaction
 *   when it arrives in time), otherwise at most once per interval.  When
 *   the engine stores and confirms it, the slot advances (confirmed and,
 *   past the server's next running-transactions record, restart_lsn: the
 *   WAL a restart decodes again).  Safe because a keepalive's WAL end is past every
 *   transaction already sent (PostgreSQL's own apply worker reports it as
 *   flushed in the same situation).
 *
 *   The reader waits on its sockets at most 1 s at a time and then looks
 *   at Stop(); it flushes the sink before every wait.  It never calls
 *   PostgreSQL (server) code, and reports every failure through the sink
 *   (Fail): connection trouble as kConnectionFailure/kUnableToConnect, so
 *   the engine reconnects and resumes.
 *
 *   Relation messages are compared with the known tables (names, type
 *   OIDs and modifiers, in order); a difference becomes SchemaChange with
 *   the new definition (types looked up on the normal connection, which
 *   stays open while streaming; columns kept from before keep their
 *   nullability and default).  With an empty table list, a table not seen
 *   before is added; with a list, tables outside it are skipped.
 */
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/source.hpp"
#include "core/sources/postgres/connection.hpp"
#include "core/sources/postgres/pgoutput.hpp"
#include "core/sources/postgres/position.hpp"
#include "core/sources/postgres/schema.hpp"
#include "core/sources/postgres/sink.hpp"

namespace synchdb::pgsrc {

class PgReader {
public:
	PgReader(Endpoint ep, std::vector<TableRef> filter, StartPoint start);
	~PgReader();

	/* Never throws; failures go to out.Fail. */
	void RunWith(Sink &out) noexcept;
	void Stop() { stop_.store(true); }
	/* Thread-safe; positions that do not parse are ignored (they are the engine's own). */
	void Confirm(const Position &pos);
	Lsn Confirmed() const { return confirmed_.load(); }

	/* For tests. */
	void SetStatusInterval(std::chrono::milliseconds ms) { status_interval_ = ms; }
	void SetSlotWait(std::chrono::seconds s) { slot_wait_ = s; }
	/* Empty Commits while idle (see NOTES); 0 = off (the default). */
	void SetHeartbeatInterval(std::chrono::milliseconds ms) { heartbeat_interval_ = ms; }
	/* Warn (state view, log) while the slot holds back more WAL than this; 0 = never. */
	void SetRetentionWarning(uint64_t bytes) { retention_warn_bytes_ = bytes; }
	const std::string &SlotName() const { return slot_; }
	const std::string &PublicationName() const { return pub_; }

private:
	struct RelState {
		int table = -1; /* -1: not replicated, skip */
		std::vector<bool> key;
	};

	void Run(Sink &out);
	void Snapshot(Sink &out, Connection &repl);
	void SendEstimates(Sink &out);
	void WaitSlotFree(Sink &out);
	void Stream(Sink &out, Connection &repl, Lsn start);
	void Handle(Sink &out, const PgOutputMessage &m);
	void OnRelation(Sink &out, const RelationMsg &r);
	/* A column from a Relation message plus the catalog: its type, NOT NULL, and for a column added
	 * after the rows existed the value those rows took (its "missing value"), as its default. */
	SourceColumn LookupColumn(const RelationColumn &rc, uint32_t relid);
	RowData MakeRow(const Tuple &t, const RelState &rel, const std::vector<bool> *only, bool allow_unchanged,
	                const char *what) const;
	const RelState &Rel(uint32_t relid, const char *what) const;
	void SendStatus(Connection &repl);
	Lsn sent_flush_ = 0; /* the flush position last reported to the server */
	static constexpr std::chrono::seconds kConfirmedStatusInterval{1};
	void SetTables(std::vector<SourceTable> src);

	Endpoint ep_;
	std::vector<TableRef> filter_;
	StartPoint start_;
	std::string slot_, pub_;
	std::atomic<bool> stop_{false};
	std::atomic<Lsn> confirmed_{0};
	std::chrono::milliseconds status_interval_{10000};
	std::chrono::seconds slot_wait_{90}; /* longer than the default wal_sender_timeout (60 s) */

	std::unique_ptr<Connection> conn_; /* normal: catalogs, snapshot, type lookups */
	std::vector<SourceTable> src_;
	std::vector<NeutralTable> tables_;
	std::map<uint32_t, RelState> rels_;
	std::string history_; /* TablesToHistory(src_) */

	/* stream state */
	bool in_txn_ = false;
	BeginMsg begin_;
	Lsn received_ = 0;
	Lsn emitted_ = 0; /* the last position emitted (Commit) */
	std::chrono::milliseconds heartbeat_interval_{0};
	void CheckRetention(Sink &out);
	static constexpr std::chrono::seconds kRetentionCheckInterval{15};
	std::chrono::steady_clock::time_point last_retention_check_{};
	uint64_t retention_warn_bytes_ = uint64_t{1} << 30;
	bool retention_warned_ = false;
	std::chrono::steady_clock::time_point last_heartbeat_{};
	bool committed_since_heartbeat_ = false; /* a Commit of ours went out after the last heartbeat */
	std::chrono::steady_clock::time_point last_status_{};
};

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
