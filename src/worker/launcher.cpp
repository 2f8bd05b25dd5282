/*
 * launcher.cpp
 *     The auto-launcher: relaunches active connectors when the server starts.
 *
 * NOTES
 *   Connector definitions live in every database that has the extension, so
 *   one process cannot read them all.  The auto-launcher (a static worker,
 *   registered by _PG_init when synchdb is preloaded and
 *   synchdb.synchdb_auto_launcher is on) connects to no database, lists the
 *   databases from the shared catalog pg_database, and for each starts a
 *   short-lived "database launcher" that connects to that database, and, if
 *   the extension is installed there, starts every connector whose
 *   synchdb_conninfo.isactive is true.  Database launchers run one at a time.
 *
 *   The auto-launcher then sleeps until shutdown.  It is registered with a
 *   restart time, so after a crash-restart of the cluster (which forgets the
 *   connector workers) it runs again and brings the connectors back.
 */
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/connectors.hpp"
#include "pg/guard.hpp"
#include "pg/shmem.hpp"

extern "C" {
PGDLLEXPORT void synchdb_launcher_main(Datum arg);
PGDLLEXPORT void synchdb_db_launcher_main(Datum arg);
}

namespace synchdb::pg {
namespace {

struct DbEntry {
	Oid oid;
	char name[NAMEDATALEN];
};

/* Databases that accept connections; plain C (no C++ objects), in a transaction. */
List *ListDatabases(void)
{
	List *result = NIL;
	MemoryContext caller = CurrentMemoryContext;
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	Relation rel = table_open(DatabaseRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple tup;
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection))) {
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		/* An invalid database (a DROP DATABASE that was interrupted) refuses connections: FATAL in its launcher. */
		if (!db->datallowconn || db->datistemplate || database_is_invalid_form(db))
			continue;
		MemoryContext old = MemoryContextSwitchTo(caller);
		DbEntry *e = (DbEntry *) palloc(sizeof(DbEntry));
		e->oid = db->oid;
		strlcpy(e->name, NameStr(db->datname), NAMEDATALEN);
		result = lappend(result, e);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return result;
}

void LaunchDatabaseLauncher(const DbEntry *db)
{
	BackgroundWorker worker;
	InitSynchdbWorker(&worker, "synchdb_db_launcher_main", "synchdb database launcher");
	snprintf(worker.bgw_name, BGW_MAXLEN, "synchdb launcher for database %s", db->name);
	worker.bgw_main_arg = ObjectIdGetDatum(db->oid);
	worker.bgw_notify_pid = MyProcPid;

	BackgroundWorkerHandle *handle;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle)) {
		ereport(WARNING, (errmsg("synchdb could not start a launcher for database \"%s\"", db->name),
		                  errhint("Raise max_worker_processes.")));
		return;
	}
	pid_t pid;
	if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED)
		(void) WaitForBackgroundWorkerShutdown(handle);
}

}  // namespace
}  // namespace synchdb::pg

using namespace synchdb;
using namespace synchdb::pg;

extern "C" {

void synchdb_launcher_main(Datum arg)
{
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	List *dbs = ListDatabases();
	ListCell *lc;
	foreach (lc, dbs) {
		CHECK_FOR_INTERRUPTS();
		LaunchDatabaseLauncher((DbEntry *) lfirst(lc));
	}
	ereport(LOG, (errmsg("synchdb auto launcher checked %d database(s) for active connectors", list_length(dbs))));

	/* Stay, so that a crash-restart runs us again; leave on shutdown. */
	for (;;) {
		int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

void synchdb_db_launcher_main(Datum arg)
{
	Oid dboid = DatumGetObjectId(arg);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	/* Nothing the database's owner can create may shadow a name in our statements. */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	bool has_extension = OidIsValid(get_extension_oid("synchdb", true));
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (!has_extension)
		return;

	/* Names first, in one transaction; then each start in its own, so one failure does not stop the others. */
	MemoryContext top = TopMemoryContext;
	List *names = NIL;
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	InvokeCpp([&] {
		ActiveConnectors active = ActiveConnectorNames();
		for (const std::string &n : active.here) {
			const char *c = n.c_str();
			PgCall([&] {
				MemoryContext old = MemoryContextSwitchTo(top);
				names = lappend(names, pstrdup(c));
				MemoryContextSwitchTo(old);
			});
		}
		for (const std::string &n : active.copied) {
			const char *c = n.c_str();
			PgCall([&] {
				ereport(WARNING,
				        (errmsg("synchdb did not start connector \"%s\": it was made active in another database, of "
				                "which this one is a copy",
				                c),
				         errdetail("A copied connector would replicate into the copy and take a new snapshot of its "
				                   "tables."),
				         errhint("If this database should run it, bind it here with SELECT "
				                 "synchdb_rebind_conninfo('%s') and start it; else SELECT synchdb_del_conninfo('%s') "
				                 "removes it.",
				                 c, c)));
			});
		}
	});
	PopActiveSnapshot();
	CommitTransactionCommand();

	ListCell *lc;
	foreach (lc, names) {
		const char *name = (const char *) lfirst(lc);
		MemoryContext ctx = CurrentMemoryContext;
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		PG_TRY();
		{
			InvokeCpp([&] { StartConnector(name, SnapshotMode::Initial); });
			ereport(LOG, (errmsg("synchdb relaunched connector \"%s\"", name)));
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(ctx);
			ErrorData *edata = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();
			ereport(WARNING, (errmsg("synchdb could not relaunch connector \"%s\": %s", name, edata->message)));
			FreeErrorData(edata);
		}
		PG_END_TRY();
	}
}

}  // extern "C"
