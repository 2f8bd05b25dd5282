/*
 * connectors.cpp
 *     Connector definitions and worker launch.
 */
#include "pg/connectors.hpp"

#include <signal.h>

#include "core/error.hpp"
#include "core/source.hpp"
#include "core/json.hpp"
#include "core/mapping.hpp"
#include "core/rule_file.hpp"
#include "pg/crypto.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/shmem.hpp"
#include "pg/spi.hpp"
#include "pg/transform.hpp"
#include "pg/usercontext.hpp"

extern "C" {
#include "access/xlog.h" /* GetSystemIdentifier */
#include "catalog/pg_authid.h"
#include "utils/syscache.h"
}

namespace synchdb::pg {

namespace {

Error UnknownConnector(const std::string &name)
{
	return Error(sqlstate::kUndefinedObject, "connector " + Quoted(name) + " does not exist",
	             "No row of synchdb_conninfo in this database has that name.",
	             "Create it with synchdb_add_conninfo(); SELECT name FROM synchdb_conninfo lists the connectors.");
}

/* Sleep briefly on our latch, honouring interrupts (query cancel, terminate). */
void NapAndCheckInterrupts(long ms)
{
	PgCall([&] {
		int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	});
}

/* Pick the slot for a connector: its own, a free one, or the least recently used stopped one. */
int ChooseSlot(SharedState *sh, const char *name)
{
	int free_slot = -1, reuse = -1;
	for (int i = 0; i < sh->nslots; i++) {
		ConnectorSlot *s = &sh->slots[i];
		if (s->in_use && s->dboid == MyDatabaseId && strcmp(s->name, name) == 0)
			return i;
		if (!s->in_use && free_slot < 0)
			free_slot = i;
		if (s->in_use && !SlotRunning(s) && (reuse < 0 || s->last_used < sh->slots[reuse].last_used))
			reuse = i;
	}
	return free_slot >= 0 ? free_slot : reuse;
}

}  // namespace

std::string ActiveStamp();

std::optional<ConnInfoRow> LoadConnInfoRow(const std::string &name)
{
	AsSuperuser su; /* synchdb_conninfo is not readable by the roles that own connectors */
	Spi spi;
	spi.Exec("SELECT isactive, data::text FROM " + ExtensionSchema() + ".synchdb_conninfo WHERE name = $1", {name},
	         true);
	if (SPI_processed == 0)
		return std::nullopt;
	ConnInfoRow row;
	row.isactive = spi.Value(0, 0).value_or("f") == "t";
	row.data = spi.Value(0, 1).value_or("{}");
	return row;
}

ConnectorOwner OwnerOf(const std::string &data)
{
	ConnectorOwner o;
	const json::Value v = json::Parse(data);
	if (const json::Value *id = v.Find("owner"); id && id->IsNumber())
		o.oid = static_cast<unsigned int>(id->AsInt().value_or(0));
	if (const json::Value *n = v.Find("owner_name"); n && n->IsString())
		o.name = n->AsString();
	return o;
}

ConnInfoRow RequireControl(const std::string &name)
{
	auto row = LoadConnInfoRow(name);
	if (!row)
		throw UnknownConnector(name);
	if (PgCall([] { return superuser(); }))
		return *row;
	const ConnectorOwner owner = OwnerOf(row->data);
	const Oid me = GetUserId();
	if (OidIsValid(owner.oid) && PgCall([&] { return has_privs_of_role(me, owner.oid); }))
		return *row;
	if (!OidIsValid(owner.oid))
		throw Error(sqlstate::kInsufficientPrivilege,
		            "connector " + Quoted(name) + " has no owner, so only superusers may change or control it",
		            "It was defined before synchdb recorded owners; its worker runs as the bootstrap superuser.",
		            "Ask a superuser to give it an owner: SELECT synchdb_set_owner('" + name + "', 'role');");
	throw Error(sqlstate::kInsufficientPrivilege,
	            "must be the owner of connector " + Quoted(name) + " (role " + Quoted(RoleName(owner.oid)) +
	                ") or a superuser; role " + Quoted(RoleName(me)) + " is neither",
	            "A connector is controlled, changed and deleted by its owner and by superusers only.",
	            "Ask its owner or a superuser to do it.");
}

void SetConnInfoOwner(const std::string &name, unsigned int role)
{
	json::Value v = json::Value::MakeObject();
	v.Set("owner", json::Value::MakeInt(role));
	v.Set("owner_name", json::Value::MakeString(RoleName(role)));
	AsSuperuser su;
	Spi spi;
	if (spi.Exec("UPDATE " + ExtensionSchema() +
	                 ".synchdb_conninfo SET data = data OPERATOR(pg_catalog.||) $2::pg_catalog.jsonb "
	                 "WHERE name OPERATOR(pg_catalog.=) $1",
	             {name, json::Write(v)}) == 0)
		throw UnknownConnector(name);
}

std::optional<Error> OwnerCannotRun(const std::string &name, const ConnectorOwner &owner, const std::string &dstdb)
{
	const Oid role = owner.oid;
	bool exists = false, can_login = false, is_super = false;
	PgCall([&] {
		HeapTuple tp = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
		if (HeapTupleIsValid(tp)) {
			Form_pg_authid a = (Form_pg_authid) GETSTRUCT(tp);
			exists = true;
			can_login = a->rolcanlogin;
			is_super = a->rolsuper;
			ReleaseSysCache(tp);
		}
	});
	const std::string fix_owner = "SELECT synchdb_set_owner('" + name + "', 'role') as a superuser gives it another owner";
	if (!exists)
		return Error(sqlstate::kUndefinedObject,
		             "connector " + Quoted(name) + " cannot start: its owner (role " +
		                 (owner.name.empty() ? std::string("with OID ") + std::to_string(role) : Quoted(owner.name)) +
		                 ") no longer exists",
		             "A connector's worker logs in as the role that owns the connector.", fix_owner + ".");
	const std::string rname = RoleName(role);
	if (!can_login)
		return Error(sqlstate::kInvalidAuthorization,
		             "connector " + Quoted(name) + " cannot start: its owner, role " + Quoted(rname) +
		                 ", may not log in (NOLOGIN)",
		             "A connector's worker logs in as the role that owns the connector.",
		             "ALTER ROLE " + EscapeControls(QuotePgIdent(rname)) + " LOGIN; or " + fix_owner + ".");
	const char *db = dstdb.c_str();
	const bool can_connect = is_super || PgCall([&] {
		Oid dboid = get_database_oid(db, true);
		return !OidIsValid(dboid) || pg_database_aclcheck(dboid, role, ACL_CONNECT) == ACLCHECK_OK;
	});
	if (!can_connect)
		return Error(sqlstate::kInsufficientPrivilege,
		             "connector " + Quoted(name) + " cannot start: its owner, role " + Quoted(rname) +
		                 ", has no CONNECT privilege on its destination database " + Quoted(dstdb),
		             "A connector's worker logs in to its destination database as the role that owns the connector.",
		             "GRANT CONNECT ON DATABASE " + EscapeControls(QuotePgIdent(dstdb)) + " TO " +
		                 EscapeControls(QuotePgIdent(rname)) + "; or " + fix_owner + ".");
	return std::nullopt;
}

void InsertConnInfo(const ConnInfo &ci)
{
	if (LoadConnInfoRow(ci.name))
		throw Error(sqlstate::kDuplicateObject, "connector " + Quoted(ci.name) + " already exists", {},
		            "Choose another name, or delete the existing connector with synchdb_del_conninfo('" + ci.name +
		                "') first.");
	json::Value data = ConnInfoToJson(ci);
	data.Set("defined_in", json::Value::MakeString(ActiveStamp()));
	/* The connector's owner: its worker logs in as this role (docs/security.md). */
	const Oid owner = GetUserId();
	data.Set("owner", json::Value::MakeInt(owner));
	data.Set("owner_name", json::Value::MakeString(RoleName(owner)));
	AsSuperuser su;
	Spi spi;
	spi.Exec("INSERT INTO " + ExtensionSchema() + ".synchdb_conninfo (name, isactive, data) VALUES ($1, false, $2::jsonb)",
	         {ci.name, json::Write(data)});
}

void DeleteConnInfo(const std::string &name)
{
	AsSuperuser su;
	Spi spi;
	if (spi.Exec("DELETE FROM " + ExtensionSchema() + ".synchdb_conninfo WHERE name = $1", {name}) == 0)
		throw UnknownConnector(name);
}

/*
 * Where a connector was made active: this cluster's system identifier and
 * this database's OID.  A copy of the database (CREATE DATABASE ... TEMPLATE,
 * pg_dump and restore, a file-level copy of the cluster) carries the row
 * with the original's stamp, so its launcher can tell it is a copy.
 */
std::string ActiveStamp()
{
	const uint64 sysid = PgCall([] { return GetSystemIdentifier(); });
	return std::to_string(sysid) + "/" + std::to_string(MyDatabaseId);
}

void SetConnInfoActive(const std::string &name, bool active)
{
	AsSuperuser su;
	Spi spi;
	if (active)
		spi.Exec("UPDATE " + ExtensionSchema() +
		             ".synchdb_conninfo SET isactive = true, data = pg_catalog.jsonb_set(data, '{active_in}', "
		             "pg_catalog.to_jsonb($2::pg_catalog.text)) WHERE name OPERATOR(pg_catalog.=) $1",
		         {name, ActiveStamp()});
	else
		spi.Exec("UPDATE " + ExtensionSchema() +
		             ".synchdb_conninfo SET isactive = false WHERE name OPERATOR(pg_catalog.=) $1",
		         {name});
}

void SetConnInfoTls(const std::string &name, const TlsSettings &tls)
{
	AsSuperuser su;
	json::Value keys = json::Value::MakeObject();
	TlsSettingsToJson(tls, keys);
	Spi spi;
	spi.Exec("UPDATE " + ExtensionSchema() +
	             ".synchdb_conninfo SET data = (data OPERATOR(pg_catalog.-) "
	             "'{ssl_mode,ssl_ca,ssl_cert,ssl_key,ssl_key_pass}'::pg_catalog.text[]) OPERATOR(pg_catalog.||) "
	             "$2::pg_catalog.jsonb WHERE name OPERATOR(pg_catalog.=) $1",
	         {name, json::Write(keys)});
}

/* The identity a row carries: where it was defined, else (older rows) where it was made active. */
static constexpr const char *kStampSql =
	"coalesce(data OPERATOR(pg_catalog.->>) 'defined_in', data OPERATOR(pg_catalog.->>) 'active_in', '')";

ActiveConnectors ActiveConnectorNames()
{
	AsSuperuser su;
	Spi spi;
	uint64_t n = spi.Exec(std::string("SELECT name, ") + kStampSql + " FROM " + ExtensionSchema() +
	                          ".synchdb_conninfo WHERE isactive ORDER BY name",
	                      {}, true);
	const std::string here = ActiveStamp();
	ActiveConnectors out;
	for (uint64_t i = 0; i < n; i++) {
		const std::string stamp = spi.Value(i, 1).value_or("");
		/* No stamp: made active before synchdb kept one; it runs as before. */
		(stamp.empty() || stamp == here ? out.here : out.copied).push_back(spi.Value(i, 0).value_or(""));
	}
	return out;
}

std::string ForeignIdentity(const std::string &name)
{
	AsSuperuser su;
	Spi spi;
	if (spi.Exec(std::string("SELECT ") + kStampSql + " FROM " + ExtensionSchema() +
	                 ".synchdb_conninfo WHERE name OPERATOR(pg_catalog.=) $1",
	             {name}, true) == 0)
		return "";
	const std::string stamp = spi.Value(0, 0).value_or("");
	return stamp.empty() || stamp == ActiveStamp() ? "" : stamp;
}

std::string CopiedConnectorText(const std::string &name, const std::string &stamp)
{
	const size_t slash = stamp.find('/');
	return "connector " + Quoted(name) + " was defined in another database (system identifier " +
	       stamp.substr(0, slash) + ", database OID " + (slash == std::string::npos ? "?" : stamp.substr(slash + 1)) +
	       "), of which this one is a copy; it does not start here";
}

Error CopiedConnector(const std::string &name, const std::string &stamp)
{
	return Error(sqlstate::kObjectNotInPrerequisiteState, CopiedConnectorText(name, stamp),
	             "A copy of a database (CREATE DATABASE ... TEMPLATE, pg_dump and restore, pg_upgrade) carries the "
	             "definitions of its connectors; started, a copy would replicate into itself and compete with the "
	             "original for the source's position.",
	             "If this database should run it, bind it here with SELECT synchdb_rebind_conninfo('" + name +
	                 "'), then start it; else remove it with SELECT synchdb_del_conninfo('" + name +
	                 "') (what it holds at the source is left to the original).");
}

void RebindConnInfo(const std::string &name)
{
	AsSuperuser su;
	Spi spi;
	if (spi.Exec("UPDATE " + ExtensionSchema() +
	                 ".synchdb_conninfo SET data = pg_catalog.jsonb_set(data OPERATOR(pg_catalog.-) 'active_in'::pg_catalog.text, "
	                 "'{defined_in}', pg_catalog.to_jsonb($2::pg_catalog.text)) WHERE name OPERATOR(pg_catalog.=) $1",
	             {name, ActiveStamp()}) == 0)
		throw UnknownConnector(name);
}

void CheckConnInfoInPostgres(const ConnInfo &ci, const std::vector<ObjmapRow> &objmap)
{
	const char *dstdb = ci.dstdb.c_str();
	Oid db = PgCall([&] { return get_database_oid(dstdb, true); });
	if (!OidIsValid(db))
		throw Error(sqlstate::kUndefinedObject, "destination database " + Quoted(ci.dstdb) + " does not exist", {},
		            "Create it first with CREATE DATABASE " + ci.dstdb + ", or name an existing database.");
	LoadMapping(ci, objmap);
}

std::string SlotPayload(const std::string &data, const std::vector<ObjmapRow> &objmap)
{
	json::Value v = json::Parse(data);
	v.Set("objmap", json::Parse(ObjmapToJson(objmap)));
	return json::Write(v);
}

namespace {

/* Reloads asked for in the current transaction: handed to the workers when it commits. */
struct PendingReload {
	Oid db;
	std::string name;
	std::string payload;
	SubTransactionId subid; /* the subtransaction that asked; dropped if it rolls back */
};
std::vector<PendingReload> *pending_reloads = nullptr;

/* Called from C like ReloadXactCallback: erase() frees only, nothing here can raise. */
void ReloadSubXactCallback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (!pending_reloads)
		return;
	for (auto it = pending_reloads->begin(); it != pending_reloads->end();) {
		if (it->subid == mySubid && event == SUBXACT_EVENT_ABORT_SUB) {
			it = pending_reloads->erase(it);
			continue;
		}
		if (it->subid == mySubid && event == SUBXACT_EVENT_COMMIT_SUB)
			it->subid = parentSubid;
		++it;
	}
}

/*
 * A transaction callback is called from C (xact.c) and may ereport: it holds
 * no C++ object with a destructor on its frame at any call that can raise
 * (LWLockAcquire, ereport), and allocates nothing (clear() frees only), so a
 * longjmp through it skips nothing.  Keep it that way.
 */
void ReloadXactCallback(XactEvent event, void *arg)
{
	if (!pending_reloads || pending_reloads->empty())
		return;
	if (event == XACT_EVENT_PRE_PREPARE) {
		pending_reloads->clear();
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("cannot PREPARE a transaction that called synchdb_reload_objmap"),
		                errhint("Call synchdb_reload_objmap outside the prepared transaction.")));
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT) {
		if (SharedState *sh = SharedOrNull()) {
			LWLockAcquire(sh->lock, LW_EXCLUSIVE);
			for (const PendingReload &r : *pending_reloads) {
				ConnectorSlot *s = FindSlot(sh, r.db, r.name.c_str());
				if (s && SlotRunning(s)) {
					strlcpy(s->conninfo, r.payload.c_str(), sizeof(s->conninfo));
					s->reload_requested = true;
				}
			}
			LWLockRelease(sh->lock);
		}
		pending_reloads->clear();
	} else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PREPARE)
		pending_reloads->clear();
}

}  // namespace

bool RequestReload(const std::string &name)
{
	auto row = LoadConnInfoRow(name);
	if (!row)
		throw UnknownConnector(name);
	ConnInfo ci = ConnInfoFromJson(name, json::Parse(row->data));
	std::vector<ObjmapRow> objmap = ReadObjmap(name);
	CheckConnInfoInPostgres(ci, objmap);
	std::string payload = SlotPayload(row->data, objmap);
	if (payload.size() >= static_cast<size_t>(kConnInfoLen))
		throw Error(sqlstate::kProgramLimitExceeded,
		            "the object map of connector " + Quoted(name) + " is too large to hand to its worker (" +
		                std::to_string(payload.size()) + " bytes with the definition, at most " +
		                std::to_string(kConnInfoLen - 1) + ")",
		            {}, "Use fewer object map rules, or move rules to the connector's rule file.");
	SharedState *sh = SharedOrNull();
	if (!sh)
		return false;
	LWLockAcquire(sh->lock, LW_SHARED);
	ConnectorSlot *s = FindSlot(sh, MyDatabaseId, name.c_str());
	const bool running = s && SlotRunning(s);
	LWLockRelease(sh->lock);
	if (!running)
		return false;
	/*
	 * The object map just read includes this transaction's own changes:
	 * hand it over only if the transaction commits, so a rolled-back rule
	 * is never applied.
	 */
	if (!pending_reloads) {
		pending_reloads = new std::vector<PendingReload>();
		PgCall([] {
			RegisterXactCallback(ReloadXactCallback, nullptr);
			RegisterSubXactCallback(ReloadSubXactCallback, nullptr);
		});
	}
	for (auto it = pending_reloads->begin(); it != pending_reloads->end();)
		it = it->db == MyDatabaseId && it->name == name ? pending_reloads->erase(it) : it + 1;
	const SubTransactionId subid = PgCall([] { return GetCurrentSubTransactionId(); });
	pending_reloads->push_back({MyDatabaseId, name, payload, subid});
	return true;
}

namespace {
void SetConnInfoPaused(const std::string &name, bool paused);
}

int StartConnector(const std::string &name, SnapshotMode mode)
{
	SharedState *sh = Shared();
	auto row = LoadConnInfoRow(name);
	if (!row)
		throw UnknownConnector(name);
	const json::Value data = json::Parse(row->data);
	ConnInfo ci = ConnInfoFromJson(name, data);
	const json::Value *paused_v = data.Find("paused");
	/* schemasync: paused from the start; the worker takes the pause once the tables exist. */
	const bool paused = (paused_v && paused_v->IsBool() && paused_v->AsBool()) || mode == SnapshotMode::SchemaSync;
	if (!HasSource(ci.Type()))
		throw Error(sqlstate::kFeatureNotSupported,
		            std::string(ConnectorTypeDisplayName(ci.Type())) + " connectors are not available yet",
		            "Connector " + Quoted(name) + " has type \"" + ci.connector +
		                "\"; this version of synchdb runs MySQL and MariaDB sources (type \"mysql\") only.",
		            "Keep the definition; it will start once synchdb supports " +
		                std::string(ConnectorTypeDisplayName(ci.Type())) + ".");
	if (const std::string stamp = ForeignIdentity(name); !stamp.empty())
		throw CopiedConnector(name, stamp);
	std::vector<ObjmapRow> objmap = ReadObjmap(name);
	CheckConnInfoInPostgres(ci, objmap);
	CheckTlsFiles(ci.tls); /* a file moved since synchdb_add_extra_conninfo: say so now, not in the worker */
	const std::string payload = SlotPayload(row->data, objmap);
	if (payload.size() >= static_cast<size_t>(kConnInfoLen))
		throw Error(sqlstate::kProgramLimitExceeded,
		            "definition of connector " + Quoted(name) + " is too large (" + std::to_string(payload.size()) +
		                " bytes with its object map, at most " + std::to_string(kConnInfoLen - 1) + ")",
		            {}, "Shorten the table list (leave it empty to replicate every table of the source database), or "
		                "move object map rules to the connector's rule file.");

	const std::string defdb = CurrentDatabaseName();

	/* Who the worker logs in as: the connector's owner (docs/security.md). */
	const ConnectorOwner owner = OwnerOf(row->data);
	std::optional<Error> refused;
	if (owner.oid == 0)
		PgCall([&] {
			ereport(WARNING,
			        (errmsg("connector \"%s\" has no owner; its worker runs as the bootstrap superuser", name.c_str()),
			         errdetail("It was defined before synchdb recorded the role that defines a connector; the workers "
			                   "of connectors with an owner run as that role."),
			         errhint("Give it an owner that may write its destination tables: SELECT synchdb_set_owner('%s', "
			                 "'role');",
			                 name.c_str())));
		});
	else
		refused = OwnerCannotRun(name, owner, ci.dstdb);
	const char *dstdb_c = ci.dstdb.c_str();
	const Oid dst_oid = PgCall([&] { return get_database_oid(dstdb_c, false); });
	const Oid run_as = owner.oid; /* InvalidOid: the bootstrap superuser */

	/* Bind a slot. */
	int idx = -1;
	uint64 generation = 0;
	{
		LWLockAcquire(sh->lock, LW_EXCLUSIVE);
		ConnectorSlot *mine = FindSlot(sh, MyDatabaseId, name.c_str());
		if (mine && SlotRunning(mine)) {
			pid_t pid = mine->pid;
			LWLockRelease(sh->lock);
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            "connector " + Quoted(name) + " is already running" +
			                (pid ? " (pid " + std::to_string(pid) + ")" : std::string()),
			            {}, "Stop it first with synchdb_stop_engine_bgw('" + name + "').");
		}
		idx = ChooseSlot(sh, name.c_str());
		if (idx < 0) {
			int n = sh->nslots;
			LWLockRelease(sh->lock);
			throw Error(sqlstate::kProgramLimitExceeded,
			            "cannot start connector " + Quoted(name) + ": all " + std::to_string(n) +
			                " connector slots are in use",
			            std::to_string(n) + " connectors are running.",
			            "Stop a connector with synchdb_stop_engine_bgw(), or raise synchdb.max_connector_workers "
			            "(takes effect after a server restart).");
		}
		ConnectorSlot *s = &sh->slots[idx];
		const bool same = s->in_use && s->dboid == MyDatabaseId && strcmp(s->name, name.c_str()) == 0;
		s->in_use = true;
		s->dboid = MyDatabaseId;
		strlcpy(s->name, name.c_str(), sizeof(s->name));
		strlcpy(s->dstdb, ci.dstdb.c_str(), sizeof(s->dstdb));
		strlcpy(s->defdb, defdb.c_str(), sizeof(s->defdb));
		ZeroSnapshotFigures(s);
		ZeroSlotCounters(s);
		s->eff_strategy[0] = s->eff_invalid_policy[0] = '\0';
		s->stat_lag_ms = -1;
		s->stat_last_commit = 0;
		s->stats_reset_requested = false;
		strlcpy(s->connector_type, ci.connector.c_str(), sizeof(s->connector_type));
		strlcpy(s->snapshot_mode, SnapshotModeName(mode), sizeof(s->snapshot_mode));
		strlcpy(s->conninfo, payload.c_str(), sizeof(s->conninfo));
		s->reload_requested = false;
		s->pause_wanted = paused; /* synchdb_pause_engine, remembered across restarts */
		s->pid = 0;
		s->launching = true;
		s->state = ConnectorState::Initializing;
		s->stage = ConnectorStage::None;
		s->err[0] = '\0';
		if (!same)
			s->offset[0] = '\0';
		s->generation = generation = sh->next_generation++;
		s->last_used = GetCurrentTimestamp();
		LWLockRelease(sh->lock);
	}

	auto fail_slot = [&](const char *err) {
		LWLockAcquire(sh->lock, LW_EXCLUSIVE);
		ConnectorSlot *s = &sh->slots[idx];
		if (s->generation == generation) {
			s->launching = false;
			s->state = ConnectorState::Stopped;
			strlcpy(s->err, err, sizeof(s->err));
		}
		LWLockRelease(sh->lock);
	};

	/* A refused owner shows in the state view (err) and the log, and nothing is started. */
	if (refused) {
		const std::string shown = std::string(refused->what()) + "; hint: " + refused->hint();
		fail_slot(shown.c_str());
		throw *refused;
	}

	/* Register the worker. */
	BackgroundWorker worker;
	InitSynchdbWorker(&worker, "synchdb_connector_main", "synchdb connector");
	snprintf(worker.bgw_name, BGW_MAXLEN, "synchdb engine: %s@%s:%d -> %s", name.c_str(), ci.hostname.c_str(),
	         ci.port, ci.dstdb.c_str());
	worker.bgw_main_arg = Int32GetDatum(idx);
	memcpy(worker.bgw_extra, &generation, sizeof(generation));
	memcpy(worker.bgw_extra + sizeof(generation), &dst_oid, sizeof(Oid));
	memcpy(worker.bgw_extra + sizeof(generation) + sizeof(Oid), &run_as, sizeof(Oid));
	worker.bgw_notify_pid = MyProcPid;

	BackgroundWorkerHandle *handle = nullptr;
	BackgroundWorker *wp = &worker;
	BackgroundWorkerHandle **hp = &handle;
	bool registered = false;
	try {
		registered = PgCall([&] { return RegisterDynamicBackgroundWorker(wp, hp); });
	} catch (...) {
		fail_slot("could not register a background worker");
		throw;
	}
	if (!registered) {
		fail_slot("could not register a background worker: no free background worker slot");
		throw Error(sqlstate::kProgramLimitExceeded,
		            "could not start a background worker for connector " + Quoted(name),
		            "All background worker slots are taken (max_worker_processes = " +
		                std::to_string(max_worker_processes) + ").",
		            "Raise max_worker_processes to at least synchdb.max_connector_workers + 2 plus what other "
		            "extensions use, and restart the server.");
	}

	pid_t pid = 0;
	BgwHandleStatus status = PgCall([&] { return WaitForBackgroundWorkerStartup(handle, &pid); });
	if (status == BGWH_POSTMASTER_DIED)
		throw Error(sqlstate::kConnectionFailure, "postmaster died while starting connector " + Quoted(name));

	/* Wait until the worker has attached to its slot or exited. */
	for (int waited = 0;; waited += 10) {
		LWLockAcquire(sh->lock, LW_SHARED);
		ConnectorSlot *s = &sh->slots[idx];
		bool attached = s->generation != generation || !s->launching;
		pid_t slot_pid = s->generation == generation ? s->pid : 0;
		LWLockRelease(sh->lock);
		if (attached) {
			pid = slot_pid;
			break;
		}
		pid_t p;
		if (GetBackgroundWorkerPid(handle, &p) == BGWH_STOPPED || waited > 30000) {
			fail_slot("the connector worker exited before it attached to its slot; see the server log");
			pid = 0;
			break;
		}
		NapAndCheckInterrupts(10);
	}

	/* initial_only is a one-off job: it is not relaunched when the server restarts. */
	if (mode != SnapshotMode::InitialOnly)
		SetConnInfoActive(name, true);
	if (mode == SnapshotMode::SchemaSync)
		SetConnInfoPaused(name, true); /* a server restart finds it paused too */
	return pid;
}

bool StopConnectorWorker(const std::string &name, int timeout_ms)
{
	SharedState *sh = Shared();
	LWLockAcquire(sh->lock, LW_SHARED);
	ConnectorSlot *s = FindSlot(sh, MyDatabaseId, name.c_str());
	if (!s || !SlotRunning(s)) {
		LWLockRelease(sh->lock);
		return false;
	}
	const int idx = static_cast<int>(s - sh->slots);
	const uint64 generation = s->generation;
	LWLockRelease(sh->lock);

	bool signalled = false;
	for (int waited = 0;; waited += 10) {
		LWLockAcquire(sh->lock, LW_SHARED);
		s = &sh->slots[idx];
		const bool gone = s->generation != generation || !SlotRunning(s);
		const pid_t pid = s->pid;
		LWLockRelease(sh->lock);
		if (gone)
			return true;
		if (pid != 0 && !signalled) {
			kill(pid, SIGTERM);
			signalled = true;
		}
		if (waited >= timeout_ms)
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            "connector " + Quoted(name) + " did not stop within " + std::to_string(timeout_ms / 1000) +
			                " seconds",
			            pid ? "Its worker has pid " + std::to_string(pid) + "." : std::string(),
			            "Try again; if it still runs, pg_terminate_backend() on its pid ends it.");
		NapAndCheckInterrupts(10);
	}
}

namespace {

void SetConnInfoPaused(const std::string &name, bool paused)
{
	AsSuperuser su;
	Spi spi;
	if (paused)
		spi.Exec("UPDATE " + ExtensionSchema() +
		             ".synchdb_conninfo SET data = pg_catalog.jsonb_set(data, '{paused}', 'true'::pg_catalog.jsonb) "
		             "WHERE name OPERATOR(pg_catalog.=) $1",
		         {name});
	else
		spi.Exec("UPDATE " + ExtensionSchema() +
		             ".synchdb_conninfo SET data = data OPERATOR(pg_catalog.-) 'paused'::pg_catalog.text "
		             "WHERE name OPERATOR(pg_catalog.=) $1",
		         {name});
}

struct SlotView {
	bool found = false;
	bool running = false;
	bool pause_wanted = false;
	int idx = -1;
	uint64 generation = 0;
	ConnectorState state = ConnectorState::Stopped;
	ConnectorStage stage = ConnectorStage::None;
	pid_t pid = 0;
	std::string err;
};

SlotView ViewSlot(SharedState *sh, const std::string &name)
{
	SlotView v;
	LWLockAcquire(sh->lock, LW_SHARED);
	if (ConnectorSlot *s = FindSlot(sh, MyDatabaseId, name.c_str())) {
		v.found = true;
		v.running = SlotRunning(s);
		v.pause_wanted = s->pause_wanted;
		v.idx = static_cast<int>(s - sh->slots);
		v.generation = s->generation;
		v.state = s->state;
		v.stage = s->stage;
		v.pid = s->pid;
		v.err = s->err;
	}
	LWLockRelease(sh->lock);
	return v;
}

/* Sets pause_wanted of the slot's current worker; false when the worker changed or stopped meanwhile. */
bool SetPauseWanted(SharedState *sh, int idx, uint64 generation, bool want)
{
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = &sh->slots[idx];
	const bool same = s->generation == generation && SlotRunning(s);
	if (same)
		s->pause_wanted = want;
	LWLockRelease(sh->lock);
	return same;
}

Error NotRunning(const std::string &name, const char *what)
{
	return Error(sqlstate::kObjectNotInPrerequisiteState,
	             "connector " + Quoted(name) + " is not running, so it cannot be " + what, {},
	             "Start it with synchdb_start_engine_bgw('" + name + "').");
}

}  // namespace

void PauseConnector(const std::string &name, int timeout_ms)
{
	SharedState *sh = Shared();
	if (!LoadConnInfoRow(name))
		throw UnknownConnector(name);
	SlotView v = ViewSlot(sh, name);
	if (!v.running)
		throw NotRunning(name, "paused");
	if (v.pause_wanted && v.state == ConnectorState::Paused) {
		PgCall([&] { ereport(NOTICE, (errmsg("connector \"%s\" is already paused", name.c_str()))); });
		return;
	}
	SetConnInfoPaused(name, true);
	if (!SetPauseWanted(sh, v.idx, v.generation, true))
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(name) + " stopped while it was being paused", v.err.empty() ? "" : "Its last error: " + v.err,
		            "See synchdb_state_view; start it again with synchdb_start_engine_bgw('" + name + "').");
	for (int waited = 0;; waited += 20) {
		v = ViewSlot(sh, name);
		if (!v.running)
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            "connector " + Quoted(name) + " stopped while it was being paused",
			            v.err.empty() ? "" : "Its last error: " + v.err,
			            "It stays marked paused: started again, it waits for synchdb_resume_engine('" + name + "').");
		if (v.state == ConnectorState::Paused)
			return;
		if (v.stage == ConnectorStage::InitialSnapshot || waited >= timeout_ms) {
			const bool snap = v.stage == ConnectorStage::InitialSnapshot;
			PgCall([&] {
				ereport(NOTICE,
				        (errmsg("connector \"%s\" will pause %s", name.c_str(),
				                snap ? "once its initial snapshot is complete"
				                     : "at the end of the source transaction it is applying"),
				         errhint("synchdb_state_view shows \"paused\" when it has.")));
			});
			return;
		}
		NapAndCheckInterrupts(20);
	}
}

void ResumeConnector(const std::string &name, int timeout_ms)
{
	SharedState *sh = Shared();
	if (!LoadConnInfoRow(name))
		throw UnknownConnector(name);
	SlotView v = ViewSlot(sh, name);
	if (!v.running)
		throw NotRunning(name, "resumed");
	if (!v.pause_wanted)
		throw Error(sqlstate::kObjectNotInPrerequisiteState, "connector " + Quoted(name) + " is not paused", {},
		            "Pause it with synchdb_pause_engine('" + name + "').");
	SetConnInfoPaused(name, false);
	if (!SetPauseWanted(sh, v.idx, v.generation, false))
		throw NotRunning(name, "resumed");
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		v = ViewSlot(sh, name);
		if (!v.running || v.state != ConnectorState::Paused)
			return;
		NapAndCheckInterrupts(20);
	}
}

int RestartConnector(const std::string &name, SnapshotMode mode, int timeout_ms)
{
	if (!LoadConnInfoRow(name))
		throw UnknownConnector(name);
	SlotView v = ViewSlot(Shared(), name);
	if (!v.running)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(name) + " is not running, so it cannot be restarted", {},
		            "Start it with synchdb_start_engine_bgw('" + name + "', '" + SnapshotModeName(mode) + "').");
	/* Everything applied is committed with its position; the new worker reads the definition again. */
	StopConnectorWorker(name, timeout_ms);
	return StartConnector(name, mode);
}

void UpdateConnInfoEndpoint(const ConnInfo &ci)
{
	json::Value v = json::Value::MakeObject();
	v.Set("hostname", json::Value::MakeString(ci.hostname));
	v.Set("port", json::Value::MakeInt(ci.port));
	v.Set("user", json::Value::MakeString(ci.user));
	v.Set("pwd", json::Value::MakeString(ci.pwd));
	v.Set("incarnation", json::Value::MakeString(ci.incarnation));
	AsSuperuser su;
	Spi spi;
	if (spi.Exec("UPDATE " + ExtensionSchema() +
	                 ".synchdb_conninfo SET data = data OPERATOR(pg_catalog.||) $2::pg_catalog.jsonb "
	                 "WHERE name OPERATOR(pg_catalog.=) $1",
	             {ci.name, json::Write(v)}) == 0)
		throw UnknownConnector(ci.name);
}

bool ConnectorRunning(const std::string &name)
{
	SharedState *sh = SharedOrNull();
	return sh && ViewSlot(sh, name).running;
}

void ForgetPause(const std::string &name)
{
	SetConnInfoPaused(name, false);
}

std::string SetConnectorOffset(const std::string &name, const std::string &offset_json)
{
	auto row = LoadConnInfoRow(name);
	if (!row)
		throw UnknownConnector(name);
	ConnInfo ci = ConnInfoFromJson(name, json::Parse(row->data));
	if (SharedState *sh = SharedOrNull()) {
		SlotView v = ViewSlot(sh, name);
		if (v.running && !(v.pause_wanted && v.state == ConnectorState::Paused))
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            "connector " + Quoted(name) + " is running; its offset can only be set while it is paused or "
			                                          "stopped",
			            {}, "Pause it with synchdb_pause_engine('" + name + "') (or stop it), set the offset, then "
			                "resume (or start) it.");
	}
	const std::string here = CurrentDatabaseName();
	if (ci.dstdb != here)
		throw Error(sqlstate::kFeatureNotSupported,
		            "the position of connector " + Quoted(name) + " is kept in its destination database " +
		                Quoted(ci.dstdb) + ", not in this one (" + Quoted(here) + ")",
		            {}, "synchdb_set_offset works for connectors whose destination is the database they are defined "
		                "in.");
	if (!HasSource(ci.Type()))
		throw Error(sqlstate::kFeatureNotSupported,
		            std::string(ConnectorTypeDisplayName(ci.Type())) + " connectors are not available yet");
	SourceConfig sc;
	sc.conninfo = ci;
	sc.password = DecryptPassword(ci.pwd, ci.name);
	sc.connect_timeout_s = std::max(1, guc::connect_timeout_ms / 1000);
	std::unique_ptr<Source> source = MakeSource(std::move(sc));
	const Position pos = source->ParseOffset(offset_json);
	const std::string checked = source->CheckOffset(pos);
	AsSuperuser su; /* _synchdb belongs to superusers; the caller is the connector's owner or a superuser */
	Spi spi;
	spi.Exec("SELECT pg_catalog.to_regclass('_synchdb.offsets') IS NOT NULL", {}, true);
	const bool have_table = spi.Value(0, 0).value_or("f") == "t";
	uint64_t n = 0;
	if (have_table)
		n = spi.Exec("UPDATE _synchdb.offsets SET position = $3, ts_usec = $4::pg_catalog.int8, "
		             "updated_at = pg_catalog.now() WHERE dbname OPERATOR(pg_catalog.=) $1 "
		             "AND connector OPERATOR(pg_catalog.=) $2 AND snapshot_done",
		             {here, name, pos.offset, std::to_string(pos.ts_usec)});
	if (n == 0)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(name) + " has no stored position to replace: it has not completed its "
		                                          "initial snapshot",
		            {}, "Start it once (snapshot mode 'no_data' creates the tables without copying rows), pause it, "
		                "then set the offset.");
	if (SharedState *sh = SharedOrNull()) {
		LWLockAcquire(sh->lock, LW_EXCLUSIVE);
		if (ConnectorSlot *s = FindSlot(sh, MyDatabaseId, name.c_str()))
			strlcpy(s->offset, pos.offset.c_str(), sizeof(s->offset));
		LWLockRelease(sh->lock);
	}
	return checked;
}

void ReleaseSlot(const std::string &name)
{
	SharedState *sh = SharedOrNull();
	if (!sh)
		return;
	LWLockAcquire(sh->lock, LW_EXCLUSIVE);
	ConnectorSlot *s = FindSlot(sh, MyDatabaseId, name.c_str());
	if (s && !SlotRunning(s))
		memset(s, 0, sizeof(*s));
	LWLockRelease(sh->lock);
}

}  // namespace synchdb::pg
