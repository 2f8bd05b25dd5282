/*
 * apply.hpp
 *     Applying a connector's changes to the destination database.
 *
 * NOTES
 *   Runs on the worker's main thread, the only thread that calls
 *   PostgreSQL.  Follows PostgreSQL's own logical replication apply worker:
 *   rows are written through the executor helpers
 *   (ExecSimpleRelationInsert/Update/Delete, RelationFindReplTupleByIndex
 *   or, for a table without a primary key, RelationFindReplTupleSeq on the
 *   full before image), snapshots are loaded through COPY (BeginCopyFrom
 *   with a data-source callback, as table synchronisation does), and
 *   session_replication_role is "replica", so that ordinary triggers and
 *   foreign keys do not fire on replicated rows.
 *
 *   Exactly once: the source position of the last applied transaction is
 *   written to _synchdb.offsets in the same PostgreSQL transaction as the
 *   rows; a crash loses both or neither, and the worker resumes from the
 *   stored position.
 */
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/error.hpp"

namespace synchdb::pg {

class Transforms;

/*
 * A snapshot commits in groups of tables (docs/design.md, "A snapshot in
 * groups of tables"): at most synchdb.snapshot_tables_per_transaction
 * tables, or table definitions of this many bytes, are created or copied
 * per destination transaction, so the locks and catalog changes a
 * transaction holds stay bounded whatever the number of tables.
 */
constexpr size_t kSnapshotGroupBytes = 1 << 20;
/* A change at least this big (values' text) is inserted at once instead of buffered for a multi-insert. */
constexpr size_t kBigRowBytes = 1 << 20;

/* Where the COPY callback pulls snapshot data from (the worker's message cursor). */
class MsgSource {
public:
	virtual ~MsgSource() = default;
	/* Next message, waiting up to wait; nullptr if none arrived in time. Valid until the next call. */
	virtual const Msg *Next(std::chrono::milliseconds wait) = 0;
	/* Un-read the message Next() returned last (the next call returns it again). */
	virtual void PutBack() = 0;
};

struct StoredOffset {
	bool exists = false;
	bool snapshot_done = false;
	Position pos;
	std::string history; /* the source's schema history at pos, "" if none */
};

struct ApplyStats {
	uint64_t inserts = 0, updates = 0, deletes = 0, truncates = 0, txns = 0, snapshot_rows = 0, ddls = 0;
	uint64_t skipped = 0; /* changes written to _synchdb.dead_letters */
	uint64_t snapshot_groups = 0; /* transactions a snapshot committed before its end */
};

class Applier {
public:
	/*
	 * defdb/connector identify the connector; incarnation changes when it
	 * is re-created (legacy_incarnation: the form synchdb 1.0 stored, still
	 * accepted when reading).
	 */
	Applier(std::string defdb, std::string connector, std::string connector_type, std::string incarnation,
	        std::string legacy_incarnation);
	~Applier();

	/* Own transaction: create _synchdb.offsets if needed; set session options. */
	void Prepare();
	/* Own transaction. */
	StoredOffset LoadOffset();

	void BeginTxn();
	bool InTxn() const;
	/* Create the destination schemas and tables if missing (current transaction). */
	void DefineTables(std::shared_ptr<const TableSet> tables, std::string history, bool truncate);
	/*
	 * Where DefineTables publishes the destination's column types for the
	 * reader's binary COPY rows (core/binarycopy.hpp); null: text only.
	 */
	void SetCopyFormats(std::shared_ptr<binarycopy::Formats> formats) { copy_formats_ = std::move(formats); }
	/* COPY the snapshot rows of one table, pulling CopyData until its CopyEnd (text and binary runs). */
	uint64_t CopyTable(int table, MsgSource &source);
	/*
	 * The snapshot rows of a table are all in (after CopyTable, or its
	 * CopyEnd for an empty table).  Commits the snapshot's current group when
	 * it is full (synchdb.snapshot_tables_per_transaction tables or kSnapshotGroupBytes of
	 * table definitions), with the primary keys of the tables copied so far.
	 */
	void SnapshotTableCopied(int table);
	/* Run a schema change's statements and switch to its tables (current transaction). */
	void ApplySchemaChange(const msg::SchemaChange &m);
	/* Apply one Change message (current transaction). */
	void Apply(const msg::Change &m);
	/*
	 * Apply one Change in a subtransaction; if PostgreSQL refuses it, roll
	 * the subtransaction back and write the change to _synchdb.dead_letters
	 * instead (same transaction).  Returns whether it was applied.
	 */
	bool ApplyOrSetAside(const msg::Change &m);
	/* The source transaction ending at pos was applied: messages about later values name it. */
	void NoteSourcePosition(const Position &pos);
	/* Write the position and commit (a finished snapshot first adds the keys it deferred). */
	void Commit(const Position &pos, bool snapshot_done);
	/* Roll back the current transaction, if any. */
	void Abort();

	size_t ChangesInTxn() const { return changes_in_txn_; }
	const ApplyStats &Stats() const { return stats_; }
	const std::shared_ptr<const TableSet> &Tables() const { return tables_; }

	struct RelState; /* per-relation executor state, defined in apply.cpp */

private:
	RelState *OpenRel(int table);
	void CloseRels();
	/* Write the INSERTs buffered for table_multi_insert (before anything else touches the tables). */
	void FlushInserts();
	void ResolveTables();
	/* The destination's binary COPY kinds of the tables' columns, for the reader (copy_formats_). */
	void PublishCopyFormats();
	/* A big snapshot row the source sent alone, as an insert: applied at once through the row path. */
	void ApplySnapshotRow(int table, const msg::Change &row, uint64_t n);
	/* Snapshot rows of a table with transform expressions: row by row instead of COPY. */
	uint64_t InsertSnapshotRows(int table, MsgSource &source);
	/* Bring existing destination tables in line with the rules (renames, retypes), before CREATE IF NOT EXISTS. */
	void ReconcileDestination(class Spi &spi);
	/* Rewrite the connector's rows of synchdb_attribute from the current tables. */
	void WriteAttributes(class Spi &spi);
	/* Whether a destination table exists, and whether it is synchdb's (_synchdb.tables: created or adopted). */
	struct OwnedTable {
		bool exists = false;
		bool synchdbs = false;
		bool has_key = false; /* it has a primary key */
	};
	/* Count a table into the snapshot's current group; whether the group is full. */
	bool AddToSnapshotGroup(size_t definition_bytes);
	/*
	 * Commit the snapshot's current group (adding the keys of the tables
	 * copied so far); snapshot_started: rows of a new snapshot may be in, so
	 * a stored snapshot_done is cleared in the same commit.
	 */
	void CommitSnapshotGroup(bool snapshot_started);
	OwnedTable LookUpOwnedTable(class Spi &spi, const std::string &qualified);
	/* Record the tables (those that exist now) as created by this connector. */
	void RecordCreatedTables(class Spi &spi, const std::vector<std::string> &qualified);
	/* CREATE SCHEMA (quoted) unless it exists. */
	void EnsureSchema(class Spi &spi, const std::string &quoted);
	/* TRUNCATE a destination table, as its owner when that is not the connector's owner. */
	void TruncateAsOwner(class Spi &spi, const TableInfo &t);
	/* The refusal to empty or drop a table that is not synchdb's, naming it and the fix. */
	Error NotSynchdbsTable(const std::string &qualified, const std::string &what) const;

	std::string defdb_;
	std::string connector_;
	std::string connector_type_;
	std::string incarnation_;
	std::string legacy_incarnation_;
	std::shared_ptr<const TableSet> tables_;
	std::string history_; /* the source's schema history for tables_, stored with the next position */
	std::vector<unsigned int> relids_;
	std::vector<RelState *> rels_; /* per table, in the current transaction */
	size_t changes_in_txn_ = 0;
	ApplyStats stats_;
	bool snapshot_done_ = false;
	bool tables_dirty_ = false; /* the table definitions changed since the last commit */
	std::unique_ptr<Transforms> transforms_;
	std::shared_ptr<binarycopy::Formats> copy_formats_;
	std::string attr_table_;    /* where synchdb_attribute rows go in this database */
	std::string where_;         /* the position of the values being applied, for messages */
	std::string batch_where_;   /* the source transactions buffered INSERTs may come from, for messages */
	msg::Change scratch_;       /* a snapshot row applied through the row path */
	std::string copy_scratch_;
	std::vector<int> deferred_keys_; /* tables created by this snapshot without their primary key yet */
	std::vector<bool> copied_;       /* per table: its snapshot rows are all in */
	size_t group_tables_ = 0;        /* tables in the snapshot's current group */
	size_t group_bytes_ = 0;         /* their definitions' size (CREATE TABLE text) */
	size_t group_max_tables_ = 256;  /* synchdb.snapshot_tables_per_transaction when the tables were defined */
	bool batching_ = false; /* some relation has buffered INSERTs */
};

}  // namespace synchdb::pg
