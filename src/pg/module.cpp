/*
 * module.cpp
 *     _PG_init: GUCs, shared memory, the auto-launcher, and the utility hook
 *     that refuses DROP EXTENSION synchdb while connectors run.
 */
#include "pg/connectors.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/shmem.hpp"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

namespace synchdb::pg {
namespace {

ProcessUtility_hook_type prev_process_utility = nullptr;

/* Does this statement drop the synchdb extension? Plain C: no C++ objects. */
bool DropsSynchdb(Node *stmt)
{
	if (!IsA(stmt, DropStmt))
		return false;
	DropStmt *drop = (DropStmt *) stmt;
	if (drop->removeType != OBJECT_EXTENSION)
		return false;
	ListCell *lc;
	foreach (lc, drop->objects) {
		Node *obj = (Node *) lfirst(lc);
		if (!IsA(obj, String))
			continue;
		if (strcmp(strVal(obj), "synchdb") == 0)
			return true;
		/* synchdb requires pgcrypto: DROP EXTENSION pgcrypto CASCADE drops synchdb too. */
		if (strcmp(strVal(obj), "pgcrypto") == 0 && drop->behavior == DROP_CASCADE)
			return true;
	}
	return false;
}

void RefuseDropWhileRunning()
{
	SharedState *sh = SharedOrNull();
	if (!sh)
		return;
	StringInfoData names;
	initStringInfo(&names);
	int count = 0;
	LWLockAcquire(sh->lock, LW_SHARED);
	for (int i = 0; i < sh->nslots; i++) {
		const ConnectorSlot *s = &sh->slots[i];
		if (s->dboid == MyDatabaseId && SlotRunning(s))
			appendStringInfo(&names, "%s\"%s\"", count++ ? ", " : "", s->name);
	}
	LWLockRelease(sh->lock);
	if (count > 0)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("cannot drop extension synchdb while connectors are running"),
		                errdetail("Running connectors: %s.", names.data),
		                errhint("Stop them first with synchdb_stop_engine_bgw().")));
}

/* After DROP EXTENSION: the database's stopped connectors no longer exist. */
void ForgetStoppedSlots()
{
	SharedState *sh = SharedOrNull();
	if (!sh)
		return;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	for (int i = 0; i < sh->nslots; i++) {
		ConnectorSlot *s = &sh->slots[i];
		if (s->in_use && s->dboid == MyDatabaseId && !SlotRunning(s))
			memset(s, 0, sizeof(*s));
	}
	LWLockRelease(sh->lock);
}

}  // namespace
}  // namespace synchdb::pg

using namespace synchdb::pg;

extern "C" {

static void synchdb_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
                                    ProcessUtilityContext context, ParamListInfo params,
                                    QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	bool drops = DropsSynchdb(pstmt->utilityStmt);
	if (drops)
		RefuseDropWhileRunning();
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	if (drops)
		ForgetStoppedSlots();
}

void _PG_init(void)
{
	guc::Define();

	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = synchdb_process_utility;

	if (!process_shared_preload_libraries_in_progress)
		return;

	InstallShmemHooks();

	if (guc::auto_launcher) {
		BackgroundWorker worker;
		InitSynchdbWorker(&worker, "synchdb_launcher_main", "synchdb auto launcher");
		/* Restarted after a crash-restart of the cluster, so connectors come back. */
		worker.bgw_restart_time = 5;
		RegisterBackgroundWorker(&worker);
	}
}

}  // extern "C"
