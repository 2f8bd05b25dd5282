/*
 * shmem.hpp
 *     Shared memory: one slot per connector worker.
 *
 * NOTES
 *   synchdb.max_connector_workers slots are requested at postmaster start
 *   (shmem_request_hook), so synchdb must be in shared_preload_libraries for
 *   workers to run.  A slot is bound to a connector (database OID + name)
 *   when the connector is started and stays bound after its worker exits, so
 *   that the state view keeps showing the last error and offset; a stopped
 *   slot is reused by the same connector, or by another connector when no
 *   free slot is left.
 *
 *   All fields are protected by the synchdb LWLock except the worker's own
 *   progress fields (state, stage, err, offset), which only the worker
 *   writes, also under the lock, and readers copy under the lock.
 *
 *   The conninfo buffer carries the connector's definition (as stored in
 *   synchdb_conninfo, password still encrypted) from the starting backend to
 *   the worker, which may run in another database.
 */
#pragma once

#include "pg/postgres_headers.hpp"

namespace synchdb::pg {

enum class ConnectorState : uint8 {
	Stopped = 0,
	Initializing,
	Paused,
	Syncing,
	Parsing,
	Converting,
	Executing,
	UpdatingOffset,
	Restarting,
	Unknown,
};
const char *ConnectorStateName(ConnectorState s);

enum class ConnectorStage : uint8 { None = 0, InitialSnapshot, ChangeDataCapture, SchemaSync };
const char *ConnectorStageName(ConnectorStage s);

constexpr int kErrLen = 1024;
constexpr int kOffsetLen = 1024;
constexpr int kConnInfoLen = 16384;

struct ConnectorSlot {
	bool in_use;               /* bound to a connector */
	Oid dboid;                 /* database holding the definition */
	char name[NAMEDATALEN];
	char dstdb[NAMEDATALEN];
	char defdb[NAMEDATALEN];   /* name of the database holding the definition */
	char connector_type[16];
	char snapshot_mode[16];
	pid_t pid;                 /* worker pid, 0 when no worker runs */
	bool launching;            /* registered, worker not attached yet */
	ConnectorState state;
	ConnectorStage stage;
	uint64 generation;         /* bumped at each launch */
	TimestampTz last_used;     /* for reusing stopped slots */
	int tables_total;          /* snapshot progress: of the snapshot running now, or the last one */
	int tables_done;
	uint64 rows_copied;
	int64 snap_rows_expected;  /* rows in all as best known now (source estimates); -1 unknown */
	int64 snap_begin_ms;       /* Unix milliseconds; 0 none */
	int64 snap_end_ms;         /* 0 while it runs (or none) */
	/* Statistics since the worker started (synchdb_stats_view). */
	uint64 stat_inserts, stat_updates, stat_deletes, stat_truncates;
	uint64 stat_ddls, stat_ddls_skipped, stat_ddls_noop, stat_txns, stat_snapshot_rows;
	uint64 stat_values_replaced; /* under synchdb.invalid_value_policy */
	uint64 stat_changes_skipped; /* set aside in _synchdb.dead_letters (error_handling_strategy skip) */
	int64 stat_lag_ms;           /* at the last commit: its time minus the source's commit time; -1 unknown */
	TimestampTz stat_last_commit;/* when the worker last committed a position; 0 never */
	TimestampTz stat_since;      /* counters count from here (worker start or synchdb_reset_stats) */
	bool stats_reset_requested;  /* synchdb_reset_stats: the worker zeroes its counters at its next commit */
	uint64 stat_source_txns;     /* source transactions applied (synchdb_cdcstats.txs) */
	int64 stat_first_src_ms, stat_first_pg_ms; /* the last batch's first source transaction: source commit time, */
	int64 stat_last_src_ms, stat_last_pg_ms;   /* its first apply time; its last: source commit, destination commit */
	char eff_strategy[8];        /* error_handling_strategy in effect (connector option or GUC); "" no worker yet */
	char eff_invalid_policy[8];  /* invalid_value_policy in effect */
	char last_skipped_ddl[256];
	char err[kErrLen];         /* "" = no error */
	char offset[kOffsetLen];   /* "" = no offset */
	bool reload_requested;     /* synchdb_reload_objmap: conninfo holds the new object map */
	bool pause_wanted;         /* synchdb_pause_engine: park between transactions; cleared by resume */
	char conninfo[kConnInfoLen];
};

struct SharedState {
	LWLock *lock;
	int nslots;
	uint64 next_generation;
	ConnectorSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

/*
 * A background worker of synchdb's library: shared memory and a database
 * connection, started once recovery has finished, not restarted; function
 * is the entry point, type what pg_stat_activity shows.  The caller sets
 * the name, argument, restart time and notify pid as needed.
 */
void InitSynchdbWorker(BackgroundWorker *worker, const char *function, const char *type);

/* Hooks installation, from _PG_init when preloaded. */
void InstallShmemHooks();

/* The shared state; throws a clear error if synchdb was not preloaded. */
SharedState *Shared();
/* nullptr when not preloaded (no throw). */
SharedState *SharedOrNull();

/* Slot lookup under the lock (caller holds it). */
ConnectorSlot *FindSlot(SharedState *s, Oid dboid, const char *name);
bool SlotRunning(const ConnectorSlot *slot);

/* Set the worker-owned fields of a slot (takes the lock). */
void SetSlotState(int slot, uint64 generation, ConnectorState state);
void SetSlotStage(int slot, uint64 generation, ConnectorStage stage);
void SetSlotError(int slot, uint64 generation, const char *err);
void SetSlotOffset(int slot, uint64 generation, const char *offset);
/* A snapshot's figures (synchdb_snapstats); times in Unix milliseconds, 0 none. */
struct SnapshotSlotFigures {
	int tables_done = 0, tables_total = 0;
	uint64 rows = 0;
	int64 rows_expected = -1;
	int64 begin_ms = 0, end_ms = 0;
};
void SetSnapshotProgress(int slot, uint64 generation, const SnapshotSlotFigures &f);
/* Zero a slot's snapshot figures (caller holds the lock). */
void ZeroSnapshotFigures(ConnectorSlot *s);
/* The options a worker runs with, for the state view. */
void SetSlotOptions(int slot, uint64 generation, const char *strategy, const char *invalid_policy);
/* Now, in Unix milliseconds. */
int64 NowUnixMs();

struct SlotStats {
	uint64 inserts, updates, deletes, truncates, ddls, ddls_skipped, ddls_noop, txns, snapshot_rows;
	uint64 values_replaced;
	uint64 changes_skipped;
	int64 source_ts_usec; /* source commit time of the position committed (Unix microseconds); 0 unknown */
	uint64 source_txns;
	int64 first_src_ms, first_pg_ms; /* the batch committed: see ConnectorSlot; 0 unknown */
};
/*
 * Publish the worker's counters.  Returns true (and publishes zeros) when
 * synchdb_reset_stats asked for a reset: the worker then zeroes its own.
 */
bool SetSlotStats(int slot, uint64 generation, const SlotStats &stats, const char *last_skipped_ddl);
/* Zero a slot's counters and start stats_since now (caller holds the lock). */
void ZeroSlotCounters(ConnectorSlot *s);
/* synchdb_reset_stats: zero the shown counters now and have the worker zero its own. False: no such slot. */
bool RequestStatsReset(Oid dboid, const char *name);

/* Worker: whether a reload was requested; if so, clears it and copies the slot's payload (kConnInfoLen bytes). */
bool TakeReloadRequest(int slot, uint64 generation, char *payload);
/* Cheap unlocked check, for the apply loop. */
bool ReloadPending(int slot);
/* Cheap unlocked check: synchdb_pause_engine asked this slot's worker to pause (and no resume since). */
bool PauseWanted(int slot);


}  // namespace synchdb::pg
