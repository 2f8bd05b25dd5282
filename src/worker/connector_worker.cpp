/*
 * connector_worker.cpp
 *     The background worker of one connector.
 *
 * NOTES
 *   Life cycle:
 *     1. attach to the shared-memory slot given in bgw_main_arg, checking the
 *        generation in bgw_extra (a stale launch exits quietly); register a
 *        before_shmem_exit callback that marks the slot stopped;
 *     2. connect to the destination database as the bootstrap superuser;
 *     3. read the definition handed over in the slot, decrypt the password;
 *     4. connect to the source and check its replication prerequisites;
 *        anything missing is written to the slot's err, in words a DBA can
 *        act on, and the worker exits;
 *     5. run (state "syncing") until told to stop, checking that the source
 *        still answers and reconnecting with backoff when it does not.
 *   Any error that ends the worker is copied into the slot's err before the
 *   process exits, so synchdb_state_view shows it after the fact.
 *
 *   Signals: SIGTERM uses PostgreSQL's die(), so it is acted on at
 *   CHECK_FOR_INTERRUPTS() points; the main loop also tests ProcDiePending
 *   to leave cleanly (closing the source connection) without raising FATAL.
 */
#include <algorithm>
#include <memory>
#include <string>

#include "core/conninfo.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/mysql/connection.hpp"
#include "core/mysql/prerequisites.hpp"
#include "pg/crypto.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/shmem.hpp"

extern "C" {
PGDLLEXPORT void synchdb_connector_main(Datum arg);
}

namespace synchdb::pg {
namespace {

int my_slot = -1;
uint64 my_generation = 0;

/* before_shmem_exit: the slot no longer has a worker. */
void DetachSlot(int code, Datum arg)
{
	SharedState *sh = SharedOrNull();
	if (!sh || my_slot < 0)
		return;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = &sh->slots[my_slot];
	if (s->generation == my_generation) {
		s->pid = 0;
		s->launching = false;
		s->state = ConnectorState::Stopped;
		s->last_used = GetCurrentTimestamp();
	}
	LWLockRelease(sh->lock);
}

/* Copy the current error (we are in PG_CATCH) into the slot. */
void RecordErrorInSlot()
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	ErrorData *edata = CopyErrorData();
	MemoryContextSwitchTo(old);
	char buf[kErrLen];
	if (edata->detail)
		snprintf(buf, sizeof(buf), "%s: %s", edata->message, edata->detail);
	else
		snprintf(buf, sizeof(buf), "%s", edata->message ? edata->message : "unknown error");
	SetSlotError(my_slot, my_generation, buf);
	FreeErrorData(edata);
}

/* Sleep on the latch up to ms; false when asked to stop. */
bool Nap(long ms)
{
	if (ProcDiePending)
		return false;
	PgCall([&] {
		int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		if (ConfigReloadPending) {
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
	});
	return !ProcDiePending;
}

class ConnectorWorker {
public:
	ConnectorWorker(int slot, uint64 generation, std::string conninfo_json)
		: slot_(slot), generation_(generation), json_(std::move(conninfo_json))
	{
	}

	void Run()
	{
		SharedState *sh = Shared();
		char name[NAMEDATALEN];
		LWLockAcquire(sh->lock, LW_SHARED);
		strlcpy(name, sh->slots[slot_].name, sizeof(name));
		LWLockRelease(sh->lock);

		ConnInfo ci = ConnInfoFromJson(name, json::Parse(json_));
		mysql::Endpoint ep;
		ep.connector = ci.name;
		ep.host = ci.hostname;
		ep.port = ci.port;
		ep.user = ci.user;
		ep.connect_timeout_s = std::max(1, guc::connect_timeout_ms / 1000);
		PgCall([] {
			StartTransactionCommand();
		});
		ep.password = DecryptPassword(ci.pwd, ci.name);
		PgCall([] { CommitTransactionCommand(); });

		auto conn = std::make_unique<mysql::Connection>(ep);
		CheckPrerequisites(*conn, ci);
		PgCall([&] {
			ereport(LOG, (errmsg("synchdb connector \"%s\" connected to %s (%s); source is ready for replication",
			                     ci.name.c_str(), ep.Where().c_str(), conn->ServerVersion().c_str())));
		});

		SetSlotState(slot_, generation_, ConnectorState::Syncing);
		SetSlotStage(slot_, generation_, ConnectorStage::ChangeDataCapture);

		/*
		 * Keep the source connection alive until told to stop.  Streaming the
		 * binlog into the destination replaces this loop.
		 */
		long backoff_ms = 1000;
		while (Nap(5000)) {
			if (conn && conn->Ping()) {
				backoff_ms = 1000;
				continue;
			}
			conn.reset();
			SetSlotError(slot_, generation_,
			             ("lost the connection to source server " + ep.Where() + "; reconnecting").c_str());
			try {
				conn = std::make_unique<mysql::Connection>(ep);
				SetSlotError(slot_, generation_, "");
			} catch (const Error &e) {
				SetSlotError(slot_, generation_, (std::string(e.what()) + "; retrying in " +
				                                  std::to_string(backoff_ms / 1000) + " s")
				                                     .c_str());
				if (!Nap(backoff_ms))
					break;
				backoff_ms = std::min(backoff_ms * 2, 60000L);
			}
		}
		Scrub(ep.password);
	}

private:
	void CheckPrerequisites(mysql::Connection &conn, const ConnInfo &ci)
	{
		auto settings = mysql::ReadSourceSettings(conn, ci.srcdb, ci.Tables());
		auto problems = mysql::FindProblems(settings);
		if (problems.empty())
			return;
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(ci.name) + ": " + mysql::DescribeProblems(settings, problems));
	}

	int slot_;
	uint64 generation_;
	std::string json_;
};

/* Attach to the slot; false if this launch is stale. Plain C. */
bool AttachSlot(int slot, uint64 generation, char *conninfo, char *dstdb)
{
	SharedState *sh = SharedOrNull();
	if (!sh || slot < 0 || slot >= sh->nslots)
		return false;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = &sh->slots[slot];
	bool ok = s->generation == generation && s->launching;
	if (ok) {
		s->pid = MyProcPid;
		s->launching = false;
		s->state = ConnectorState::Initializing;
		strlcpy(conninfo, s->conninfo, kConnInfoLen);
		strlcpy(dstdb, s->dstdb, NAMEDATALEN);
	}
	LWLockRelease(sh->lock);
	return ok;
}

}  // namespace
}  // namespace synchdb::pg

using namespace synchdb;
using namespace synchdb::pg;

extern "C" {

void synchdb_connector_main(Datum arg)
{
	const int slot = DatumGetInt32(arg);
	uint64 generation;
	memcpy(&generation, MyBgworkerEntry->bgw_extra, sizeof(generation));

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	static char conninfo[kConnInfoLen];
	char dstdb[NAMEDATALEN];
	if (!AttachSlot(slot, generation, conninfo, dstdb))
		return; /* stale launch: the slot was reassigned */
	my_slot = slot;
	my_generation = generation;
	before_shmem_exit(DetachSlot, (Datum) 0);

	PG_TRY();
	{
		/* A missing database is FATAL, which no handler sees: say so beforehand. */
		char note[kErrLen];
		snprintf(note, sizeof(note),
		         "could not connect to destination database \"%s\"; see the server log (does the database exist?)",
		         dstdb);
		SetSlotError(slot, generation, note);
		BackgroundWorkerInitializeConnection(dstdb, NULL, 0);
		SetSlotError(slot, generation, "");
		InvokeCpp([&] {
			ConnectorWorker worker(slot, generation, conninfo);
			worker.Run();
		});
	}
	PG_CATCH();
	{
		RecordErrorInSlot();
		PG_RE_THROW();
	}
	PG_END_TRY();
}

}  // extern "C"
