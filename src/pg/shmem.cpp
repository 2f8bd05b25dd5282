/*
 * shmem.cpp
 *     Connector slots in shared memory.
 */
#include "core/error.hpp"
#include "pg/guc.hpp"
#include "pg/shmem.hpp"

namespace synchdb::pg {

namespace {

SharedState *shared = nullptr;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

Size SharedSize()
{
	return add_size(offsetof(SharedState, slots), mul_size(sizeof(ConnectorSlot), guc::max_connector_workers));
}

void ShmemRequest()
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(SharedSize());
	RequestNamedLWLockTranche("synchdb", 1);
}

void ShmemStartup()
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	bool found = false;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = static_cast<SharedState *>(ShmemInitStruct("synchdb", SharedSize(), &found));
	if (!found) {
		memset(shared, 0, SharedSize());
		shared->lock = &(GetNamedLWLockTranche("synchdb"))->lock;
		shared->nslots = guc::max_connector_workers;
		shared->next_generation = 1;
	}
	LWLockRelease(AddinShmemInitLock);
}

ConnectorSlot *CheckedSlot(int slot, uint64 generation)
{
	if (!shared || slot < 0 || slot >= shared->nslots)
		return nullptr;
	ConnectorSlot *s = &shared->slots[slot];
	return s->generation == generation ? s : nullptr;
}

}  // namespace

extern "C" {
static void synchdb_shmem_request(void)
{
	ShmemRequest();
}
static void synchdb_shmem_startup(void)
{
	ShmemStartup();
}
}

void InstallShmemHooks()
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = synchdb_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = synchdb_shmem_startup;
}

void InitSynchdbWorker(BackgroundWorker *worker, const char *function, const char *type)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker->bgw_library_name, "synchdb", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker->bgw_type, type, BGW_MAXLEN);
	strlcpy(worker->bgw_name, type, BGW_MAXLEN);
}

SharedState *SharedOrNull()
{
	return shared;
}

SharedState *Shared()
{
	if (!shared)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "synchdb is not loaded through shared_preload_libraries",
		            "Connector workers need shared memory that synchdb reserves when the server starts.",
		            "Add synchdb to shared_preload_libraries in postgresql.conf and restart the server.");
	return shared;
}

ConnectorSlot *FindSlot(SharedState *s, Oid dboid, const char *name)
{
	for (int i = 0; i < s->nslots; i++) {
		ConnectorSlot *slot = &s->slots[i];
		if (slot->in_use && slot->dboid == dboid && strcmp(slot->name, name) == 0)
			return slot;
	}
	return nullptr;
}

bool SlotRunning(const ConnectorSlot *slot)
{
	return slot->in_use && (slot->pid != 0 || slot->launching);
}

void SetSlotState(int slot, uint64 generation, ConnectorState state)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation))
		s->state = state;
	LWLockRelease(shared->lock);
}

void SetSlotStage(int slot, uint64 generation, ConnectorStage stage)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation))
		s->stage = stage;
	LWLockRelease(shared->lock);
}

void SetSlotError(int slot, uint64 generation, const char *err)
{
	char safe[kErrLen];
	EscapeControlsInto(err, safe, sizeof(safe)); /* one line, whatever names it quotes */
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation))
		strlcpy(s->err, safe, sizeof(s->err));
	LWLockRelease(shared->lock);
}

bool TakeReloadRequest(int slot, uint64 generation, char *payload)
{
	bool taken = false;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation)) {
		if (s->reload_requested) {
			s->reload_requested = false;
			memcpy(payload, s->conninfo, kConnInfoLen);
			taken = true;
		}
	}
	LWLockRelease(shared->lock);
	return taken;
}

bool PauseWanted(int slot)
{
	return shared && slot >= 0 && slot < shared->nslots &&
	       *static_cast<volatile bool *>(&shared->slots[slot].pause_wanted);
}

bool ReloadPending(int slot)
{
	/* A racy read of a bool; TakeReloadRequest confirms under the lock. */
	return shared && slot >= 0 && slot < shared->nslots &&
	       *static_cast<volatile bool *>(&shared->slots[slot].reload_requested);
}

void SetSlotOffset(int slot, uint64 generation, const char *offset)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation))
		strlcpy(s->offset, offset ? offset : "", sizeof(s->offset));
	LWLockRelease(shared->lock);
}

void SetSnapshotProgress(int slot, uint64 generation, const SnapshotSlotFigures &f)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation)) {
		s->tables_done = f.tables_done;
		s->tables_total = f.tables_total;
		s->rows_copied = f.rows;
		s->snap_rows_expected = f.rows_expected;
		s->snap_begin_ms = f.begin_ms;
		s->snap_end_ms = f.end_ms;
	}
	LWLockRelease(shared->lock);
}

void ZeroSnapshotFigures(ConnectorSlot *s)
{
	s->tables_done = s->tables_total = 0;
	s->rows_copied = 0;
	s->snap_rows_expected = -1;
	s->snap_begin_ms = s->snap_end_ms = 0;
}

void SetSlotOptions(int slot, uint64 generation, const char *strategy, const char *invalid_policy)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation)) {
		strlcpy(s->eff_strategy, strategy, sizeof(s->eff_strategy));
		strlcpy(s->eff_invalid_policy, invalid_policy, sizeof(s->eff_invalid_policy));
	}
	LWLockRelease(shared->lock);
}

int64 NowUnixMs()
{
	/* TimestampTz counts microseconds from 2000-01-01 */
	return GetCurrentTimestamp() / 1000 +
	       static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
}

void ZeroSlotCounters(ConnectorSlot *s)
{
	s->stat_inserts = s->stat_updates = s->stat_deletes = s->stat_truncates = 0;
	s->stat_ddls = s->stat_ddls_skipped = s->stat_ddls_noop = s->stat_txns = s->stat_snapshot_rows = 0;
	s->stat_values_replaced = s->stat_changes_skipped = 0;
	s->stat_source_txns = 0;
	s->stat_first_src_ms = s->stat_first_pg_ms = s->stat_last_src_ms = s->stat_last_pg_ms = 0;
	/* A finished snapshot's figures are counters too; a running one's are its progress, and stay. */
	if (s->snap_end_ms != 0)
		ZeroSnapshotFigures(s);
	s->last_skipped_ddl[0] = '\0';
	s->stat_since = GetCurrentTimestamp();
}

bool RequestStatsReset(Oid dboid, const char *name)
{
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = FindSlot(shared, dboid, name);
	if (s) {
		ZeroSlotCounters(s);
		s->stats_reset_requested = SlotRunning(s);
	}
	LWLockRelease(shared->lock);
	return s != nullptr;
}

bool SetSlotStats(int slot, uint64 generation, const SlotStats &st, const char *last_skipped_ddl)
{
	bool reset = false;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	if (ConnectorSlot *s = CheckedSlot(slot, generation)) {
		const TimestampTz now = GetCurrentTimestamp();
		s->stat_last_commit = now;
		if (st.source_ts_usec > 0) {
			/* TimestampTz counts from 2000-01-01; source times from 1970-01-01 */
			const int64 src = static_cast<int64>(st.source_ts_usec) -
			                  static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
			s->stat_lag_ms = now > src ? (now - src) / 1000 : 0;
		}
		if (s->stats_reset_requested) {
			s->stats_reset_requested = false;
			ZeroSlotCounters(s);
			reset = true;
			LWLockRelease(shared->lock);
			return reset;
		}
		s->stat_inserts = st.inserts;
		s->stat_updates = st.updates;
		s->stat_deletes = st.deletes;
		s->stat_truncates = st.truncates;
		s->stat_ddls = st.ddls;
		s->stat_ddls_skipped = st.ddls_skipped;
		s->stat_ddls_noop = st.ddls_noop;
		s->stat_txns = st.txns;
		s->stat_snapshot_rows = st.snapshot_rows;
		s->stat_values_replaced = st.values_replaced;
		s->stat_changes_skipped = st.changes_skipped;
		s->stat_source_txns = st.source_txns;
		s->stat_first_src_ms = st.first_src_ms;
		s->stat_first_pg_ms = st.first_pg_ms;
		s->stat_last_src_ms = st.source_ts_usec > 0 ? static_cast<int64>(st.source_ts_usec / 1000) : 0;
		s->stat_last_pg_ms = NowUnixMs();
		if (last_skipped_ddl)
			strlcpy(s->last_skipped_ddl, last_skipped_ddl, sizeof(s->last_skipped_ddl));
	}
	LWLockRelease(shared->lock);
	return reset;
}

const char *ConnectorStateName(ConnectorState s)
{
	switch (s) {
	case ConnectorState::Stopped: return "stopped";
	case ConnectorState::Initializing: return "initializing";
	case ConnectorState::Paused: return "paused";
	case ConnectorState::Syncing: return "syncing";
	case ConnectorState::Parsing: return "parsing";
	case ConnectorState::Converting: return "converting";
	case ConnectorState::Executing: return "executing";
	case ConnectorState::UpdatingOffset: return "updating offset";
	case ConnectorState::Restarting: return "restarting";
	case ConnectorState::Unknown: return "unknown";
	}
	return "unknown";
}

const char *ConnectorStageName(ConnectorStage s)
{
	switch (s) {
	case ConnectorStage::None: return "";
	case ConnectorStage::InitialSnapshot: return "initial snapshot";
	case ConnectorStage::ChangeDataCapture: return "change data capture";
	case ConnectorStage::SchemaSync: return "schema sync";
	}
	return "";
}

}  // namespace synchdb::pg
