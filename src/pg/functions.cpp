/*
 * functions.cpp
 *     The SQL-callable functions of synchdb (docs/sql-reference.md).
 *
 * NOTES
 *   Each function is a thin C entry point whose body runs in InvokeCpp, so
 *   that C++ exceptions become PostgreSQL errors with their SQLSTATE.  The
 *   functions are not STRICT: a NULL argument is an error that names the
 *   argument, never a silent NULL result.
 */
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <new>
#include <stdexcept>

#include "core/conninfo.hpp"
#include "core/error.hpp"
#include "core/source.hpp"
#include "core/json.hpp"
#include "core/mapping.hpp"
#include "core/progress.hpp"
#include "core/schema_change.hpp"
#include "core/strings.hpp"
#include "pg/connectors.hpp"
#include "pg/crypto.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/session.hpp"
#include "pg/shmem.hpp"
#include "pg/spi.hpp"
#include "pg/transform.hpp"
#include "pg/usercontext.hpp"

extern "C" {
#include "catalog/pg_authid_d.h" /* ROLE_PG_READ_SERVER_FILES */
#include "utils/acl.h"           /* has_privs_of_role */
#include "utils/lsyscache.h"
#include "catalog/pg_class_d.h"
#include "utils/tuplestore.h"
}

namespace synchdb::pg {
namespace {

/* Text argument; NULL is an error naming the argument unless allowed. */
std::string TextArg(FunctionCallInfo fcinfo, int n, const char *argname, bool allow_null = false)
{
	if (PG_ARGISNULL(n)) {
		if (allow_null)
			return "";
		throw Error(sqlstate::kNullValueNotAllowed, std::string("argument \"") + argname + "\" must not be NULL");
	}
	/* Detoasting allocates, and may fail: through the guard, since std::string lives on this frame's caller. */
	text *t = PgCall([&] { return PG_GETARG_TEXT_PP(n); });
	return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* Connector names are identifiers: canonical lower case. */
std::string NameArg(FunctionCallInfo fcinfo, int n)
{
	return NormalizeConnectorName(TextArg(fcinfo, n, "name"));
}

constexpr int kStopTimeoutMs = 60000;

/* Object map sources match case-insensitively: store them in one spelling (lower case, single blanks). */
std::string NormalizeSrcobj(const std::string &s)
{
	std::string out = LowerCollapsed(s);
	/* No blanks around the separators: "inventory . orders" is "inventory.orders", "int | true" "int|true". */
	for (const char *sep : {" |", "| ", " .", ". "})
		for (size_t at; (at = out.find(sep)) != std::string::npos;)
			out.erase(sep[0] == ' ' ? at : at + 1, 1);
	return out;
}

/*
 * The connector exists and the caller may control it: a superuser, or (a
 * member of) the role that owns it; else 42704 / 42501 naming the fix.
 */
void RequireConnector(const std::string &name)
{
	if (!LoadConnInfoRow(name))
		throw Error(sqlstate::kUndefinedObject, "connector " + Quoted(name) + " does not exist", {},
		            "SELECT name FROM synchdb_conninfo lists the connectors of this database.");
	(void) RequireControl(name);
}

/* The slots as they are now, copied under the lock (without the conninfo buffers); tuples are built after. */
std::vector<ConnectorSlot> CopySlots()
{
	SharedState *sh = Shared();
	std::vector<ConnectorSlot> copy(static_cast<size_t>(sh->nslots));
	LWLockAcquire(sh->lock, LW_SHARED);
	for (int i = 0; i < sh->nslots; i++)
		memcpy(&copy[i], &sh->slots[i], offsetof(ConnectorSlot, conninfo));
	LWLockRelease(sh->lock);
	return copy;
}

/*
 * Text for the state view: err may quote raw source bytes or have been cut
 * in the middle of a character; replace every invalid UTF-8 sequence with
 * '?' so that clients can always read the view.
 */
Datum SafeText(const char *s)
{
	/* Plain C: called inside PgCall. */
	size_t len = strlen(s);
	char *out = (char *) palloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		const unsigned char *p = reinterpret_cast<const unsigned char *>(s + i);
		int n = pg_utf_mblen(p);
		if (i + n <= len && pg_utf8_islegal(p, n)) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			out[o++] = '?';
			i++;
		}
	}
	out[o] = '\0';
	return CStringGetTextDatum(out);
}

/* synchdb.error_handling_strategy's current value. */
const char *GucStrategyName()
{
	switch (guc::error_handling_strategy) {
	case guc::kSkip: return "skip";
	case guc::kRetry: return "retry";
	default: return "exit";
	}
}

/* The rate and time left of a slot's snapshot, worked out now: left -1 when unknown. */
struct SnapshotNow {
	double rate = 0;
	double left = -1;
};
SnapshotNow SnapshotFiguresNow(const ConnectorSlot &s)
{
	SnapshotNow n;
	if (s.snap_begin_ms == 0)
		return n;
	const bool running = s.pid != 0 || s.launching;
	if (s.snap_end_ms == 0 && !running)
		return n; /* cut short when its worker stopped: nothing more will come */
	const int64 until = s.snap_end_ms ? s.snap_end_ms : NowUnixMs();
	n.rate = SnapshotRate(s.rows_copied, s.snap_rows_expected, static_cast<double>(until - s.snap_begin_ms) / 1000.0,
	                      n.left);
	if (s.snap_end_ms)
		n.left = 0;
	return n;
}

/* schema.table of a relation, quoted, for messages. */
std::string QuotedRelName(Oid relid)
{
	const char *nsp = nullptr, *rel = nullptr;
	PgCall([&] {
		char *n = get_namespace_name(get_rel_namespace(relid));
		char *r = get_rel_name(relid);
		nsp = n ? quote_identifier(n) : nullptr;
		rel = r ? quote_identifier(r) : nullptr;
	});
	return nsp && rel ? std::string(nsp) + "." + rel : std::string();
}

/* Live objects of the guard self-test: proves that unwinding ran destructors. */
std::atomic<long> selftest_live{0};
struct Tracked {
	std::string payload = std::string(256, 'x'); /* heap memory that must be freed */
	Tracked() { selftest_live++; }
	~Tracked() { selftest_live--; }
};

}  // namespace
}  // namespace synchdb::pg

using namespace synchdb;
using namespace synchdb::pg;

extern "C" {

PG_FUNCTION_INFO_V1(synchdb_add_conninfo);
PG_FUNCTION_INFO_V1(synchdb_del_conninfo);
PG_FUNCTION_INFO_V1(synchdb_add_extra_conninfo);
PG_FUNCTION_INFO_V1(synchdb_del_extra_conninfo);
PG_FUNCTION_INFO_V1(synchdb_start_engine_bgw);
PG_FUNCTION_INFO_V1(synchdb_stop_engine_bgw);
PG_FUNCTION_INFO_V1(synchdb_get_state);
PG_FUNCTION_INFO_V1(synchdb_guard_selftest);
PG_FUNCTION_INFO_V1(synchdb_get_stats);
PG_FUNCTION_INFO_V1(synchdb_translate_datatype);
PG_FUNCTION_INFO_V1(synchdb_add_objmap);
PG_FUNCTION_INFO_V1(synchdb_del_objmap);
PG_FUNCTION_INFO_V1(synchdb_reload_objmap);
PG_FUNCTION_INFO_V1(synchdb_pause_engine);
PG_FUNCTION_INFO_V1(synchdb_resume_engine);
PG_FUNCTION_INFO_V1(synchdb_set_offset);
PG_FUNCTION_INFO_V1(synchdb_reset_stats);
PG_FUNCTION_INFO_V1(synchdb_metrics);
PG_FUNCTION_INFO_V1(synchdb_add_olr_conninfo);
PG_FUNCTION_INFO_V1(synchdb_del_olr_conninfo);
PG_FUNCTION_INFO_V1(synchdb_restart_connector);
PG_FUNCTION_INFO_V1(synchdb_alter_conninfo);
PG_FUNCTION_INFO_V1(synchdb_rebind_conninfo);
PG_FUNCTION_INFO_V1(synchdb_adopt_table);
PG_FUNCTION_INFO_V1(synchdb_rotate_key);
PG_FUNCTION_INFO_V1(synchdb_set_connector_option);
PG_FUNCTION_INFO_V1(synchdb_set_owner);

/*
 * synchdb_add_conninfo(name, hostname, port, user, pwd, srcdb, dstdb, table, connector, rulefile)
 */
Datum synchdb_add_conninfo(PG_FUNCTION_ARGS)
{
	/*
	 * The call's text holds the password: pg_stat_activity shows this instead
	 * (also once the session is idle), and errors are logged without it.
	 */
	pgstat_report_activity(STATE_RUNNING, "SELECT synchdb_add_conninfo(...) /* text hidden by synchdb: it holds a password */");
	return InvokeCpp([&]() -> Datum {
		if (PG_ARGISNULL(2))
			throw Error(sqlstate::kNullValueNotAllowed, "argument \"port\" must not be NULL");
		std::string password = TextArg(fcinfo, 4, "password");
		ConnInfo ci = MakeConnInfo(TextArg(fcinfo, 0, "name"), TextArg(fcinfo, 1, "hostname"), PG_GETARG_INT32(2),
		                           TextArg(fcinfo, 3, "username"), TextArg(fcinfo, 5, "source database"),
		                           TextArg(fcinfo, 6, "destination database"), TextArg(fcinfo, 7, "table", true),
		                           TextArg(fcinfo, 8, "connector"), TextArg(fcinfo, 9, "rule file", true));
		CheckConnInfoInPostgres(ci);
		/* Its worker logs in to the destination as the caller, the connector's owner. */
		const char *dst = ci.dstdb.c_str();
		const bool can_connect = PgCall([&] {
			return superuser() ||
			       pg_database_aclcheck(get_database_oid(dst, false), GetUserId(), ACL_CONNECT) == ACLCHECK_OK;
		});
		if (!can_connect)
			throw Error(sqlstate::kInsufficientPrivilege,
			            "role " + Quoted(RoleName(GetUserId())) + " may not connect to destination database " +
			                Quoted(ci.dstdb),
			            "The connector's worker logs in to its destination database as the role that defines the "
			            "connector.",
			            "Ask the database's owner or a superuser to GRANT CONNECT ON DATABASE " +
			                EscapeControls(QuotePgIdent(ci.dstdb)) + " to you, or name a database you may use.");
		ci.pwd = EncryptPassword(password);
		Scrub(password);
		InsertConnInfo(ci);
		return Int32GetDatum(0);
	}, true);
}

/*
 * What a deleted connector holds at its source (a PostgreSQL source's slot
 * and publication) is released; when the source cannot be reached, a
 * WARNING says what was left behind and how to remove it, and the
 * connector is deleted all the same.
 */
static void ReleaseAtSource(const std::string &name)
{
	auto row = LoadConnInfoRow(name);
	if (!row)
		return;
	ConnInfo ci = ConnInfoFromJson(name, json::Parse(row->data));
	if (!HasSource(ci.Type()))
		return;
	/* A copy's slot and publication at the source are the original's: left alone. */
	if (const std::string stamp = ForeignIdentity(name); !stamp.empty()) {
		PgCall([&] {
			ereport(NOTICE, (errmsg("connector \"%s\" is deleted; it was defined in another database, of which this "
			                        "one is a copy, so what it holds at its source is left to the original",
			                        name.c_str())));
		});
		return;
	}
	SourceConfig sc;
	sc.conninfo = ci;
	sc.connect_timeout_s = std::max(1, guc::connect_timeout_ms / 1000);
	try {
		DecryptSecrets(sc); /* a secret that cannot be decrypted must not keep the connector from being deleted */
		MakeSource(std::move(sc))->Drop();
	} catch (const Error &e) {
		std::string msg = e.what();
		std::string hint = e.hint();
		PgCall([&] {
			ereport(WARNING, (errmsg("connector \"%s\" is deleted, but what it holds at its source could not be "
			                         "released: %s",
			                         name.c_str(), msg.c_str()),
			                  hint.empty() ? 0 : errhint("%s", hint.c_str())));
		});
	}
}

/* synchdb_del_conninfo(name): stops the worker first. */
Datum synchdb_del_conninfo(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		if (SharedOrNull())
			StopConnectorWorker(name, kStopTimeoutMs);
		ReleaseAtSource(name);
		DeleteConnInfo(name);
		{
			AsSuperuser su;
			Spi spi;
			spi.Exec("DELETE FROM " + ExtensionSchema() + ".synchdb_objmap WHERE name = $1", {name});
			spi.Exec("DELETE FROM " + ExtensionSchema() + ".synchdb_attribute WHERE name = $1 AND dbname = "
			         "current_database()",
			         {name});
		}
		ReleaseSlot(name);
		return Int32GetDatum(0);
	});
}

/* A running connector keeps the settings it started with. */
static void NoticeIfRunning(const std::string &name)
{
	SharedState *sh = SharedOrNull();
	if (!sh)
		return;
	LWLockAcquire(sh->lock, LW_SHARED);
	ConnectorSlot *s = FindSlot(sh, MyDatabaseId, name.c_str());
	const bool running = s && SlotRunning(s);
	LWLockRelease(sh->lock);
	if (running)
		PgCall([&] {
			ereport(NOTICE, (errmsg("connector \"%s\" is running; its TLS settings change when it is started again",
			                        name.c_str()),
			                 errhint("Stop it with synchdb_stop_engine_bgw() and start it again.")));
		});
}

/*
 * synchdb_add_extra_conninfo(name, sslmode, ssl_ca, ssl_cert, ssl_key, ssl_key_pass):
 * the TLS settings of the connector's source connections (core/tls.hpp);
 * replaces earlier ones.  The files are the server's: only superusers and
 * members of pg_read_server_files may name them.
 */
Datum synchdb_add_extra_conninfo(PG_FUNCTION_ARGS)
{
	/* The call's text may hold the key's passphrase: as for synchdb_add_conninfo. */
	pgstat_report_activity(STATE_RUNNING,
	                       "SELECT synchdb_add_extra_conninfo(...) /* text hidden by synchdb: it may hold a passphrase */");
	return InvokeCpp([&]() -> Datum {
		std::string pass = TextArg(fcinfo, 5, "ssl_key_pass", true);
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		const bool allowed = PgCall([] {
			return superuser() || has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
		});
		if (!allowed)
			throw Error(sqlstate::kInsufficientPrivilege,
			            "only superusers and members of pg_read_server_files may set TLS files",
			            "The connector's worker reads them with the database server's operating system user.",
			            "Ask a superuser to run it, or to GRANT pg_read_server_files to you.");
		TlsSettings tls = MakeTlsSettings(TextArg(fcinfo, 1, "sslmode"), TextArg(fcinfo, 2, "ssl_ca", true),
		                                  TextArg(fcinfo, 3, "ssl_cert", true), TextArg(fcinfo, 4, "ssl_key", true),
		                                  !pass.empty());
		tls.key_pass = pass.empty() ? std::string() : EncryptPassword(pass);
		Scrub(pass);
		SetConnInfoTls(name, tls);
		NoticeIfRunning(name);
		return Int32GetDatum(0);
	}, true);
}

/* synchdb_del_extra_conninfo(name): back to the defaults (sslmode preferred, no files). */
Datum synchdb_del_extra_conninfo(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		SetConnInfoTls(name, TlsSettings{});
		NoticeIfRunning(name);
		return Int32GetDatum(0);
	});
}

/* synchdb_start_engine_bgw(name [, snapshot_mode]) */
Datum synchdb_start_engine_bgw(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		SnapshotMode mode = SnapshotMode::Initial;
		if (PG_NARGS() > 1)
			mode = ParseSnapshotMode(TextArg(fcinfo, 1, "snapshot_mode"));
		(void) RequireControl(name);
		StartConnector(name, mode);
		return Int32GetDatum(0);
	});
}

/* synchdb_stop_engine_bgw(name): stop the worker, mark the connector inactive. */
Datum synchdb_stop_engine_bgw(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		SetConnInfoActive(name, false);
		ForgetPause(name); /* a stopped connector starts running again */
		bool was_running = StopConnectorWorker(name, kStopTimeoutMs);
		if (!was_running)
			PgCall([&] {
				ereport(NOTICE, (errmsg("connector \"%s\" was not running; it is now marked inactive", name.c_str())));
			});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_get_state(): one row per connector: those bound to a slot (in any
 * database: running, or stopped with their last error and offset), then
 * those defined in this database that never ran since the server started
 * (id NULL, stopped).  Free slots are not shown.
 *   id, connector, conninfo_name, pid, state, err, last_dbz_offset, stage, dbname,
 *   snapshot_tables_done, snapshot_tables_total, snapshot_rows
 */
Datum synchdb_get_state(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::vector<ConnectorSlot> copy = CopySlots();
		const int n = static_cast<int>(copy.size());
		struct Unbound {
			std::string name, type, err;
		};
		std::vector<Unbound> unbound;
		/* The options of this database's connectors: their own, else the GUC's. */
		std::map<std::string, std::pair<std::string, std::string>> options;
		{
			AsSuperuser su; /* names and types only; the view's readers need no grant on synchdb_conninfo */
			Spi spi;
			const uint64_t rows = spi.Exec(
				"SELECT name, coalesce(data OPERATOR(pg_catalog.->>) 'connector', ''), "
				"data OPERATOR(pg_catalog.->) 'options' OPERATOR(pg_catalog.->>) 'error_handling_strategy', "
				"data OPERATOR(pg_catalog.->) 'options' OPERATOR(pg_catalog.->>) 'invalid_value_policy' FROM " +
					ExtensionSchema() + ".synchdb_conninfo ORDER BY name",
				{}, true);
			for (uint64_t r = 0; r < rows; r++) {
				Unbound u{spi.Value(r, 0).value_or(""), spi.Value(r, 1).value_or(""), ""};
				options[u.name] = {spi.Value(r, 2).value_or(GucStrategyName()),
				                   spi.Value(r, 3).value_or(guc::InvalidValuePolicyName())};
				const bool bound = std::any_of(copy.begin(), copy.end(), [&](const ConnectorSlot &s) {
					return s.in_use && s.dboid == MyDatabaseId && u.name == s.name;
				});
				if (!bound)
					unbound.push_back(std::move(u));
			}
		}
		/* A copied definition says why it does not run, and how to make it. */
		for (Unbound &u : unbound)
			if (const std::string stamp = ForeignIdentity(u.name); !stamp.empty())
				u.err = CopiedConnectorText(u.name, stamp) + "; bind it here with SELECT synchdb_rebind_conninfo('" +
				        u.name + "') or remove it with synchdb_del_conninfo()";
		const std::string here = CurrentDatabaseName();

		PgCall([&] {
			InitMaterializedSRF(fcinfo, 0);
			ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
			for (const Unbound &u : unbound) {
				Datum values[14];
				bool nulls[14] = {false};
				nulls[0] = true;
				values[1] = CStringGetTextDatum(u.type.c_str());
				values[2] = CStringGetTextDatum(u.name.c_str());
				values[3] = Int32GetDatum(-1);
				values[4] = CStringGetTextDatum(ConnectorStateName(ConnectorState::Stopped));
				values[5] = u.err.empty() ? CStringGetTextDatum("no error") : SafeText(u.err.c_str());
				values[6] = CStringGetTextDatum("no offset");
				values[7] = CStringGetTextDatum(ConnectorStageName(ConnectorStage::None));
				values[8] = CStringGetTextDatum(here.c_str());
				values[9] = Int32GetDatum(0);
				values[10] = Int32GetDatum(0);
				values[11] = Int64GetDatum(0);
				const auto &o = options[u.name];
				values[12] = CStringGetTextDatum(o.first.c_str());
				values[13] = CStringGetTextDatum(o.second.c_str());
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
			for (int i = 0; i < n; i++) {
				const ConnectorSlot &s = copy[i];
				if (!s.in_use)
					continue;
				Datum values[14];
				bool nulls[14] = {false};
				const bool running = s.in_use && (s.pid != 0 || s.launching);
				values[0] = Int32GetDatum(i);
				values[1] = CStringGetTextDatum(s.in_use ? s.connector_type : "null");
				values[2] = CStringGetTextDatum(s.in_use ? s.name : "");
				values[3] = Int32GetDatum(s.pid != 0 ? s.pid : -1);
				values[4] = CStringGetTextDatum(
					ConnectorStateName(running ? s.state : ConnectorState::Stopped));
				values[5] = SafeText(s.err[0] ? s.err : "no error");
				values[6] = CStringGetTextDatum(s.offset[0] ? s.offset : "no offset");
				values[7] = CStringGetTextDatum(ConnectorStageName(s.stage));
				const char *db = s.in_use ? s.defdb : nullptr;
				values[8] = CStringGetTextDatum(db ? db : "");
				values[9] = Int32GetDatum(s.tables_done);
				values[10] = Int32GetDatum(s.tables_total);
				values[11] = Int64GetDatum(static_cast<int64>(s.rows_copied));
				/* In effect: what the running worker took; else what it would take (its definition, the GUCs). */
				const auto def = s.dboid == MyDatabaseId ? options.find(s.name) : options.end();
				const char *strategy = running && s.eff_strategy[0] ? s.eff_strategy
				                       : def != options.end()         ? def->second.first.c_str()
				                       : s.eff_strategy[0]            ? s.eff_strategy
				                                                      : nullptr;
				const char *policy = running && s.eff_invalid_policy[0] ? s.eff_invalid_policy
				                     : def != options.end()               ? def->second.second.c_str()
				                     : s.eff_invalid_policy[0]            ? s.eff_invalid_policy
				                                                          : nullptr;
				values[12] = strategy ? CStringGetTextDatum(strategy) : (Datum) 0;
				nulls[12] = !strategy;
				values[13] = policy ? CStringGetTextDatum(policy) : (Datum) 0;
				nulls[13] = !policy;
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		});
		return (Datum) 0;
	});
}

/*
 * synchdb_get_stats(): one row per connector bound to a slot; counters since its worker started.
 */
Datum synchdb_get_stats(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::vector<ConnectorSlot> copy = CopySlots();
		const int n = static_cast<int>(copy.size());
		PgCall([&] {
			InitMaterializedSRF(fcinfo, 0);
			ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
			for (int i = 0; i < n; i++) {
				const ConnectorSlot &s = copy[i];
				if (!s.in_use)
					continue;
				Datum values[35];
				bool nulls[35] = {false};
				values[0] = CStringGetTextDatum(s.name);
				values[1] = CStringGetTextDatum(s.defdb);
				values[2] = Int64GetDatum(static_cast<int64>(s.stat_inserts));
				values[3] = Int64GetDatum(static_cast<int64>(s.stat_updates));
				values[4] = Int64GetDatum(static_cast<int64>(s.stat_deletes));
				values[5] = Int64GetDatum(static_cast<int64>(s.stat_truncates));
				values[6] = Int64GetDatum(static_cast<int64>(s.stat_ddls));
				values[7] = Int64GetDatum(static_cast<int64>(s.stat_ddls_skipped));
				values[8] = Int64GetDatum(static_cast<int64>(s.stat_ddls_noop));
				values[9] = Int64GetDatum(static_cast<int64>(s.stat_txns));
				values[10] = Int64GetDatum(static_cast<int64>(s.stat_snapshot_rows));
				if (s.last_skipped_ddl[0])
					values[11] = SafeText(s.last_skipped_ddl);
				else
					nulls[11] = true;
				values[12] = Int64GetDatum(static_cast<int64>(s.stat_values_replaced));
				values[13] = Int64GetDatum(static_cast<int64>(s.stat_changes_skipped));
				values[14] = Int64GetDatum(s.stat_lag_ms);
				nulls[14] = s.stat_lag_ms < 0;
				values[15] = TimestampTzGetDatum(s.stat_last_commit);
				nulls[15] = s.stat_last_commit == 0;
				values[16] = TimestampTzGetDatum(s.stat_since);
				nulls[16] = s.stat_since == 0;
				/* SynchDB's shapes */
				const uint64 dmls = s.stat_inserts + s.stat_updates + s.stat_deletes + s.stat_truncates;
				const uint64 total = dmls + s.stat_changes_skipped + s.stat_ddls + s.stat_ddls_skipped +
				                     s.stat_ddls_noop + s.stat_snapshot_rows;
				values[17] = Int64GetDatum(static_cast<int64>(s.stat_changes_skipped));
				values[18] = Int64GetDatum(static_cast<int64>(total));
				values[19] = Int64GetDatum(static_cast<int64>(s.stat_txns));
				values[20] = Int64GetDatum(s.stat_txns ? static_cast<int64>(total / s.stat_txns) : 0);
				values[21] = Int64GetDatum(s.stat_first_src_ms);
				values[22] = Int64GetDatum(s.stat_first_pg_ms);
				values[23] = Int64GetDatum(s.stat_last_src_ms);
				values[24] = Int64GetDatum(s.stat_last_pg_ms);
				values[25] = Int64GetDatum(static_cast<int64>(dmls));
				values[26] = Int64GetDatum(static_cast<int64>(s.stat_source_txns));
				const SnapshotNow sn = SnapshotFiguresNow(s);
				values[27] = Int32GetDatum(s.tables_done);
				values[28] = Int32GetDatum(s.tables_total);
				values[29] = Int64GetDatum(static_cast<int64>(s.rows_copied));
				values[30] = Int64GetDatum(s.snap_rows_expected);
				nulls[30] = s.snap_rows_expected < 0;
				values[31] = Float8GetDatum(sn.rate);
				values[32] = Float8GetDatum(sn.left);
				nulls[32] = sn.left < 0;
				values[33] = Int64GetDatum(s.snap_begin_ms);
				values[34] = Int64GetDatum(s.snap_end_ms);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		});
		return (Datum) 0;
	});
}

/*
 * synchdb_translate_datatype(connector, type, length, scale, precision):
 * the PostgreSQL type of the default mapping.
 */
Datum synchdb_translate_datatype(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		/* A connector type ('mysql': the defaults) or a connector's name (its rules too). */
		const std::string first = TextArg(fcinfo, 0, "connector");
		std::shared_ptr<const Mapping> mapping;
		ConnectorType ct;
		try {
			ct = ParseConnectorType(first);
		} catch (const Error &) {
			auto row = LoadConnInfoRow(NormalizeConnectorName(first));
			if (row)
				row = RequireControl(NormalizeConnectorName(first)); /* its rules are its owner's */
			if (!row)
				throw Error(sqlstate::kUndefinedObject,
				            Quoted(first) + " is neither a connector type nor a connector of this database", {},
				            "Give a connector type (mysql) for the default mapping, or a connector's name for the "
				            "mapping its rules give.");
			ConnInfo ci = ConnInfoFromJson(NormalizeConnectorName(first), json::Parse(row->data));
			ct = ci.Type();
			mapping = LoadMapping(ci, ReadObjmap(ci.name));
		}
		std::string type = TextArg(fcinfo, 1, "type");
		int64 length = PG_ARGISNULL(2) ? -1 : PG_GETARG_INT64(2);
		int64 scale = PG_ARGISNULL(3) ? -1 : PG_GETARG_INT64(3);
		/* precision: MySQL's types take their precision as the length argument; accepted for compatibility. */
		PgColumnType pt = TranslateDatatype(ct, type, length, scale, mapping.get());
		const char *sql = pt.sql.c_str();
		return PgCall([&] { return CStringGetTextDatum(sql); });
	});
}

/*
 * synchdb_add_objmap(name, objtype, srcobj, dstobj): add or replace (and
 * enable) a rule of the connector's object map.
 */
Datum synchdb_add_objmap(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		ObjmapRow row{TextArg(fcinfo, 1, "objtype"), NormalizeSrcobj(TextArg(fcinfo, 2, "srcobj")),
		              TextArg(fcinfo, 3, "dstobj")};
		for (auto &ch : row.objtype)
			ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
		RequireConnector(name);
		const ConnInfoRow ctl = RequireControl(name);
		/*
		 * A transform expression is evaluated by the connector's worker as
		 * the connector's owner (or as the owner of a table owned by another
		 * role, which the connector's owner may become): its owner may write
		 * it.  A connector without owner runs as the bootstrap superuser:
		 * superusers only.
		 */
		if (row.objtype == "transform" && !PgCall([] { return superuser(); }) && OwnerOf(ctl.data).oid == 0)
			throw Error(sqlstate::kInsufficientPrivilege,
			            "only superusers can add transform rules to connector " + Quoted(name) + ", which has no owner",
			            "A transform expression is evaluated by the connector's worker, which runs as the bootstrap "
			            "superuser for a connector without owner.",
			            "Ask a superuser to add the rule, or to give the connector an owner with synchdb_set_owner().");
		ValidateObjmapRow(row, name);
		/* The rule must also work with the others and against the catalogs. */
		auto conn = LoadConnInfoRow(name);
		ConnInfo ci = ConnInfoFromJson(name, json::Parse(conn->data));
		std::vector<ObjmapRow> rows = ReadObjmap(name);
		rows.push_back(row);
		LoadMapping(ci, rows);
		AsSuperuser su; /* checked above; the table's guard trigger admits superusers only */
		Spi spi;
		spi.Exec("INSERT INTO " + ExtensionSchema() +
		             ".synchdb_objmap (name, objtype, enabled, srcobj, dstobj) VALUES ($1, $2, true, $3, $4) "
		             "ON CONFLICT (name, objtype, srcobj) DO UPDATE SET enabled = true, dstobj = excluded.dstobj",
		         {name, row.objtype, row.srcobj, row.dstobj});
		return Int32GetDatum(0);
	});
}

/* synchdb_del_objmap(name, objtype, srcobj): disable a rule (kept in the table, enabled = false). */
Datum synchdb_del_objmap(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		std::string objtype = TextArg(fcinfo, 1, "objtype");
		for (auto &ch : objtype)
			ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
		std::string srcobj = NormalizeSrcobj(TextArg(fcinfo, 2, "srcobj"));
		RequireConnector(name);
		AsSuperuser su;
		Spi spi;
		if (spi.Exec("UPDATE " + ExtensionSchema() +
		                 ".synchdb_objmap SET enabled = false WHERE name = $1 AND objtype = $2 AND srcobj = $3",
		             {name, objtype, srcobj}) == 0)
			throw Error(sqlstate::kUndefinedObject,
			            "connector " + Quoted(name) + " has no object map rule (" + objtype + ", \"" + srcobj + "\")",
			            {}, "SELECT * FROM synchdb_objmap WHERE name = '" + name + "' lists its rules.");
		return Int32GetDatum(0);
	});
}

/* synchdb_reload_objmap(name): a running connector applies its current rules now. */
Datum synchdb_reload_objmap(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		if (!RequestReload(name))
			PgCall([&] {
				ereport(NOTICE, (errmsg("connector \"%s\" is not running; its rules apply when it starts", name.c_str())));
			});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_add_olr_conninfo(name, olr_host, olr_port, olr_source [, olr_options]):
 * the OpenLogReplicator endpoint of a connector, kept in its definition
 * (synchdb_conninfo.data keys olr_host, olr_port, olr_source, olr_options).
 * Replaces an earlier one; a running connector uses it from its next start.
 */
Datum synchdb_add_olr_conninfo(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		if (PG_ARGISNULL(2))
			throw Error(sqlstate::kNullValueNotAllowed, "argument \"olr_port\" must not be NULL");
		OlrConnInfo o = MakeOlrConnInfo(TextArg(fcinfo, 1, "olr_host"), PG_GETARG_INT32(2),
		                                TextArg(fcinfo, 3, "olr_source"),
		                                PG_NARGS() > 4 ? TextArg(fcinfo, 4, "olr_options", true) : std::string());
		RequireConnector(name);
		ConnInfo ci;
		ci.olr = o;
		json::Value v = ConnInfoToJson(ci);
		json::Value keys = json::Value::MakeObject();
		for (const char *k : {"olr_host", "olr_port", "olr_source", "olr_options"})
			if (const json::Value *x = v.Find(k))
				keys.Set(k, *x);
		AsSuperuser su;
		Spi spi;
		spi.Exec("UPDATE " + ExtensionSchema() +
		             ".synchdb_conninfo SET data = (data OPERATOR(pg_catalog.-) 'olr_options'::pg_catalog.text) "
		             "OPERATOR(pg_catalog.||) $2::pg_catalog.jsonb WHERE name OPERATOR(pg_catalog.=) $1",
		         {name, json::Write(keys)});
		return Int32GetDatum(0);
	});
}

/* synchdb_del_olr_conninfo(name): remove the OpenLogReplicator endpoint from the definition. */
Datum synchdb_del_olr_conninfo(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		AsSuperuser su;
		Spi spi;
		spi.Exec("UPDATE " + ExtensionSchema() +
		             ".synchdb_conninfo SET data = data OPERATOR(pg_catalog.-) "
		             "'{olr_host,olr_port,olr_source,olr_options}'::pg_catalog.text[] WHERE name OPERATOR(pg_catalog.=) $1",
		         {name});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_rebind_conninfo(name): a connector copied with its database
 * (ForeignIdentity) becomes this database's own; it can then be started.
 */
Datum synchdb_rebind_conninfo(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		const bool was_copy = !ForeignIdentity(name).empty();
		RebindConnInfo(name);
		if (!was_copy)
			PgCall([&] {
				ereport(NOTICE, (errmsg("connector \"%s\" was already bound to this database", name.c_str())));
			});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_adopt_table(tbl regclass): the destination table may be emptied
 * by a snapshot and dropped with the source's DDL, as if synchdb had created
 * it (_synchdb.tables).  Superusers only: the worker that will do it runs as
 * the bootstrap superuser.
 */
Datum synchdb_adopt_table(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		if (PG_ARGISNULL(0))
			throw Error(sqlstate::kNullValueNotAllowed, "argument \"tbl\" must not be NULL");
		const Oid relid = PG_GETARG_OID(0);
		if (!PgCall([] { return superuser(); }))
			throw Error(sqlstate::kInsufficientPrivilege, "only superusers can adopt tables for synchdb",
			            "An adopted table may be emptied and dropped by the worker of any connector replicating into it.",
			            "Ask a superuser to run it.");
		const char relkind = PgCall([&] { return get_rel_relkind(relid); });
		if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
			throw Error(sqlstate::kWrongObjectType,
			            (relkind ? EscapeControls(QuotedRelName(relid)) : "object with OID " + std::to_string(relid)) +
			                " is not a table",
			            {}, "Name a table, for example synchdb_adopt_table('public.orders').");
		Spi spi;
		spi.Exec("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('synchdb metadata'))");
		CheckPrivateSchema();
		spi.Exec("CREATE SCHEMA IF NOT EXISTS _synchdb");
		EnsureOwnedTables(spi, ExtensionSchema() + ".synchdb_attribute");
		CheckPrivateSchema();
		if (spi.Exec("INSERT INTO _synchdb.tables (relid, dbname, connector, how) VALUES ($1::pg_catalog.oid, "
		             "pg_catalog.current_database(), '', 'adopted') ON CONFLICT (relid) DO NOTHING",
		             {std::to_string(relid)}) == 0)
			PgCall([&] {
				ereport(NOTICE, (errmsg("table %s is already synchdb's", EscapeControls(QuotedRelName(relid)).c_str())));
			});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_set_owner(name, role): the role the connector's worker logs in
 * as, and which may control the connector.  Superusers only.  A running
 * connector keeps its role until it is started again.
 */
Datum synchdb_set_owner(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::string name = NameArg(fcinfo, 0);
		const std::string role = TextArg(fcinfo, 1, "role");
		if (!PgCall([] { return superuser(); }))
			throw Error(sqlstate::kInsufficientPrivilege, "only superusers can change the owner of a connector",
			            "The owner's privileges are those the connector's worker applies with.",
			            "Ask a superuser to run it.");
		if (!LoadConnInfoRow(name))
			throw Error(sqlstate::kUndefinedObject, "connector " + Quoted(name) + " does not exist", {},
			            "SELECT name FROM synchdb_conninfo lists the connectors of this database.");
		const char *r = role.c_str();
		const Oid oid = PgCall([&] { return get_role_oid(r, true); });
		if (!OidIsValid(oid))
			throw Error(sqlstate::kUndefinedObject, "role " + Quoted(role) + " does not exist", {},
			            "Create it with CREATE ROLE ... LOGIN, or name an existing role (SELECT rolname FROM pg_roles).");
		SetConnInfoOwner(name, oid);
		/* What would keep it from starting, said now. */
		auto row = LoadConnInfoRow(name);
		ConnInfo ci = ConnInfoFromJson(name, json::Parse(row->data));
		if (auto refused = OwnerCannotRun(name, OwnerOf(row->data), ci.dstdb)) {
			const std::string msg = refused->what();
			const std::string hint = refused->hint();
			PgCall([&] { ereport(WARNING, (errmsg("%s", msg.c_str()), errhint("%s", hint.c_str()))); });
		}
		if (ConnectorRunning(name))
			PgCall([&] {
				ereport(NOTICE, (errmsg("connector \"%s\" is running; it runs as its new owner once it is started again",
				                        name.c_str()),
				                 errhint("Restart it with synchdb_restart_connector('%s').", name.c_str())));
			});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_rotate_key(): a new key for the stored secrets; this database's
 * are re-encrypted under it in this transaction.  Superusers only.
 */
Datum synchdb_rotate_key(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		if (!PgCall([] { return superuser(); }))
			throw Error(sqlstate::kInsufficientPrivilege, "only superusers can rotate synchdb's key", {},
			            "Ask a superuser to run it.");
		return Int32GetDatum(RotateKey());
	});
}

/*
 * synchdb_guard_selftest(kind): exercises the error guards for the tests.
 * Not created by the extension's script: the regression tests create it
 * (CREATE FUNCTION ... AS '$libdir/synchdb'), which only a superuser can.
 *   'cpp_error'     a synchdb::Error leaves a frame holding C++ objects
 *   'pg_error'      ereport(ERROR) inside a C++ frame, through PgCall
 *   'bad_alloc'     std::bad_alloc
 *   'std_exception' another std::exception
 *   'ok'            no error; returns 1
 *   'live'          number of self-test objects alive now (0 after any error)
 *   'heap_bytes'    bytes of C++ heap in use (malloc), to check for leaks
 */
Datum synchdb_guard_selftest(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string kind = TextArg(fcinfo, 0, "kind");
		if (kind == "live")
			return Int64GetDatum(selftest_live.load());
		if (kind == "heap_bytes")
			return Int64GetDatum(static_cast<int64>(mallinfo2().uordblks));
		Tracked a;
		std::vector<Tracked> many(4);
		if (kind == "cpp_error")
			throw Error(sqlstate::kInvalidParameterValue, "synchdb self-test: C++ exception crossing the SQL boundary",
			            "detail survives", "hint survives");
		if (kind == "pg_error") {
			Tracked inner;
			PgCall([] { return DirectFunctionCall1(int4in, CStringGetDatum("not a number")); });
		}
		if (kind == "bad_alloc")
			throw std::bad_alloc();
		if (kind == "std_exception")
			throw std::runtime_error("synchdb self-test: plain std::exception");
		if (kind == "ok")
			return Int64GetDatum(1);
		throw Error(sqlstate::kInvalidParameterValue, "unknown self-test " + Quoted(kind));
	});
}

}  // extern "C"

/* synchdb_restart_connector(name [, snapshot_mode]): stop and start again, reading the definition again. */
Datum synchdb_restart_connector(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		SnapshotMode mode = SnapshotMode::Initial;
		if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
			mode = ParseSnapshotMode(TextArg(fcinfo, 1, "snapshot_mode"));
		(void) RequireControl(name);
		return Int32GetDatum(RestartConnector(name, mode, kStopTimeoutMs));
	});
}

/*
 * synchdb_alter_conninfo(name, hostname, port, username, pwd): NULL keeps a
 * value.  The connector keeps its stored position: its incarnation (which
 * definition wrote the position, derived from the encrypted password) is
 * pinned before the password changes.  A running connector takes the new
 * values at its next start (synchdb_restart_connector).
 */
Datum synchdb_alter_conninfo(PG_FUNCTION_ARGS)
{
	pgstat_report_activity(STATE_RUNNING, "SELECT synchdb_alter_conninfo(...) /* text hidden by synchdb: it may hold a password */");
	return InvokeCpp([&]() -> Datum {
		std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		auto row = LoadConnInfoRow(name);
		ConnInfo ci = ConnInfoFromJson(name, json::Parse(row->data));
		if (PG_ARGISNULL(1) && PG_ARGISNULL(2) && PG_ARGISNULL(3) && PG_ARGISNULL(4))
			throw Error(sqlstate::kInvalidParameterValue, "nothing to change for connector " + Quoted(name), {},
			            "Give at least one of hostname, port, username and pwd; NULL keeps the stored value.");
		const std::string host = PG_ARGISNULL(1) ? ci.hostname : TextArg(fcinfo, 1, "hostname");
		const int64_t port = PG_ARGISNULL(2) ? ci.port : PG_GETARG_INT32(2);
		const std::string user = PG_ARGISNULL(3) ? ci.user : TextArg(fcinfo, 3, "username");
		/* The same checks as synchdb_add_conninfo. */
		ConnInfo checked = MakeConnInfo(name, host, port, user, ci.srcdb, ci.dstdb,
		                                IsUnset(ci.table) ? std::string() : ci.table, ci.connector,
		                                IsUnset(ci.rulefile) ? std::string() : ci.rulefile);
		ci.incarnation = Incarnation(ci); /* pinned: the position stays this connector's */
		ci.hostname = checked.hostname;
		ci.port = checked.port;
		ci.user = checked.user;
		if (!PG_ARGISNULL(4)) {
			std::string password = TextArg(fcinfo, 4, "password");
			ci.pwd = EncryptPassword(password);
			Scrub(password);
		}
		UpdateConnInfoEndpoint(ci);
		if (ConnectorRunning(name))
			PgCall([&] {
				ereport(NOTICE, (errmsg("connector \"%s\" is running; it uses the new settings once it is started again",
				                        name.c_str()),
				                 errhint("Restart it with synchdb_restart_connector('%s').", name.c_str())));
			});
		return Int32GetDatum(0);
	}, true);
}

/* synchdb_pause_engine(name): pause between source transactions; remembered across server restarts. */
Datum synchdb_pause_engine(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		(void) RequireControl(NameArg(fcinfo, 0));
		PauseConnector(NameArg(fcinfo, 0), kStopTimeoutMs);
		return Int32GetDatum(0);
	});
}

/* synchdb_resume_engine(name): a paused connector goes on from its committed position. */
Datum synchdb_resume_engine(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		(void) RequireControl(NameArg(fcinfo, 0));
		ResumeConnector(NameArg(fcinfo, 0), kStopTimeoutMs);
		return Int32GetDatum(0);
	});
}

/* synchdb_set_offset(name, offset): the position a paused or stopped connector resumes from. */
Datum synchdb_set_offset(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::string name = NameArg(fcinfo, 0);
		const std::string offset = TextArg(fcinfo, 1, "offset");
		(void) RequireControl(name);
		const std::string checked = SetConnectorOffset(name, offset);
		PgCall([&] {
			ereport(LOG, (errmsg("synchdb connector \"%s\": offset set to %s (%s)", name.c_str(), offset.c_str(),
			                     checked.c_str())));
		});
		return Int32GetDatum(0);
	});
}

/*
 * synchdb_set_connector_option(name, option, value): the connector's own
 * error_handling_strategy or invalid_value_policy, kept in its definition
 * (synchdb_conninfo.data->'options'); NULL: it follows the GUC again.
 */
Datum synchdb_set_connector_option(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::string name = NameArg(fcinfo, 0);
		const std::string option = NormalizeConnectorOption(TextArg(fcinfo, 1, "option"));
		const std::string value =
			PG_ARGISNULL(2) ? std::string() : NormalizeConnectorOptionValue(option, TextArg(fcinfo, 2, "value"));
		RequireConnector(name);
		AsSuperuser su; /* checked above: the caller needs no grant on synchdb_conninfo */
		Spi spi;
		if (value.empty())
			/* The last option gone, the key goes too. */
			spi.Exec("UPDATE " + ExtensionSchema() +
			             ".synchdb_conninfo SET data = CASE WHEN data OPERATOR(pg_catalog.->) 'options' "
			             "OPERATOR(pg_catalog.-) $2::pg_catalog.text OPERATOR(pg_catalog.=) '{}'::pg_catalog.jsonb "
			             "THEN data OPERATOR(pg_catalog.-) 'options'::pg_catalog.text "
			             "ELSE data OPERATOR(pg_catalog.#-) ARRAY['options'::pg_catalog.text, $2::pg_catalog.text] END "
			             "WHERE name OPERATOR(pg_catalog.=) $1",
			         {name, option});
		else
			spi.Exec("UPDATE " + ExtensionSchema() +
			             ".synchdb_conninfo SET data = data OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object("
			             "'options', coalesce(data OPERATOR(pg_catalog.->) 'options', '{}'::pg_catalog.jsonb) "
			             "OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($2::pg_catalog.text, "
			             "$3::pg_catalog.text)) WHERE name OPERATOR(pg_catalog.=) $1",
			         {name, option, value});
		if (ConnectorRunning(name)) {
			const bool reloads = option == "error_handling_strategy";
			PgCall([&] {
				ereport(NOTICE,
				        (errmsg("connector \"%s\" is running; it uses the new %s once it is %s", name.c_str(),
				                option.c_str(), reloads ? "reloaded or restarted" : "restarted"),
				         reloads ? errhint("Apply it now with synchdb_reload_objmap('%s'), between source transactions.",
				                           name.c_str())
				                 : errhint("Restart it with synchdb_restart_connector('%s').", name.c_str())));
			});
		}
		return Int32GetDatum(0);
	});
}

/* synchdb_reset_stats(name): the connector's counters start from zero. */
Datum synchdb_reset_stats(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::string name = NameArg(fcinfo, 0);
		RequireConnector(name);
		Shared(); /* a clear error when synchdb is not preloaded */
		if (!RequestStatsReset(MyDatabaseId, name.c_str()))
			PgCall([&] {
				ereport(NOTICE, (errmsg("connector \"%s\" has not run since the server started: it has no counters",
				                        name.c_str())));
			});
		return Int32GetDatum(0);
	});
}

namespace {

/* A Prometheus label value: backslash, double quote and newline escaped. */
std::string PromLabel(const char *v)
{
	std::string out;
	for (const char *p = v; *p; ++p) {
		if (*p == '\\' || *p == '"')
			out += '\\', out += *p;
		else if (*p == '\n')
			out += "\\n";
		else
			out += *p;
	}
	return out;
}

}  // namespace

/*
 * synchdb_metrics(): every connector bound to a slot, in the Prometheus text
 * exposition format (docs/sql-reference.md#synchdb_metrics).
 */
Datum synchdb_metrics(PG_FUNCTION_ARGS)
{
	return InvokeCpp([&]() -> Datum {
		const std::vector<ConnectorSlot> copy = CopySlots();
		struct Metric {
			const char *name, *type, *help;
		};
		static const Metric kMetrics[] = {
			{"synchdb_up", "gauge", "1 when the connector's worker runs (any state but stopped), else 0."},
			{"synchdb_paused", "gauge", "1 when the connector is paused."},
			{"synchdb_changes_total", "counter", "Row changes applied by change data capture, by operation."},
			{"synchdb_transactions_total", "counter", "Destination transactions committed with a source position."},
			{"synchdb_snapshot_rows_total", "counter", "Rows copied by snapshots."},
			{"synchdb_ddl_total", "counter", "Source DDL statements: replicated, skipped (not understood), no_action."},
			{"synchdb_values_replaced_total", "counter", "Values replaced under synchdb.invalid_value_policy."},
			{"synchdb_changes_skipped_total", "counter", "Changes set aside in _synchdb.dead_letters."},
			{"synchdb_lag_seconds", "gauge", "At the last commit: its time minus the source's commit time."},
			{"synchdb_last_commit_timestamp_seconds", "gauge", "Unix time of the connector's last commit."},
			{"synchdb_snapshot_tables", "gauge", "Tables of the current snapshot: done and total."},
			{"synchdb_snapshot_rows", "gauge", "Rows the current (or last) snapshot has copied."},
			{"synchdb_snapshot_rows_expected", "gauge", "Rows of the current snapshot in all, from the source's estimates."},
			{"synchdb_snapshot_rows_per_second", "gauge", "Rows per second of the current snapshot since it began."},
			{"synchdb_snapshot_seconds_left", "gauge", "Estimated time left of the current snapshot (0 once done)."},
			{"synchdb_batches_total", "counter", "Batches applied (destination transactions), as synchdb_genstats."},
		};
		std::string out;
		for (const Metric &m : kMetrics) {
			out += std::string("# HELP ") + m.name + " " + m.help + "\n# TYPE " + m.name + " " + m.type + "\n";
			for (const ConnectorSlot &s : copy) {
				if (!s.in_use)
					continue;
				const bool running = s.pid != 0 || s.launching;
				const std::string labels = "connector=\"" + PromLabel(s.name) + "\",dbname=\"" + PromLabel(s.defdb) +
				                           "\",type=\"" + PromLabel(s.connector_type) + "\"";
				auto line = [&](const std::string &extra, const std::string &value) {
					out += std::string(m.name) + "{" + labels + extra + "} " + value + "\n";
				};
				const std::string name = m.name;
				if (name == "synchdb_up")
					line("", running ? "1" : "0");
				else if (name == "synchdb_paused")
					line("", running && s.state == ConnectorState::Paused ? "1" : "0");
				else if (name == "synchdb_changes_total") {
					line(",op=\"insert\"", std::to_string(s.stat_inserts));
					line(",op=\"update\"", std::to_string(s.stat_updates));
					line(",op=\"delete\"", std::to_string(s.stat_deletes));
					line(",op=\"truncate\"", std::to_string(s.stat_truncates));
				} else if (name == "synchdb_transactions_total")
					line("", std::to_string(s.stat_txns));
				else if (name == "synchdb_snapshot_rows_total")
					line("", std::to_string(s.stat_snapshot_rows));
				else if (name == "synchdb_ddl_total") {
					line(",result=\"replicated\"", std::to_string(s.stat_ddls));
					line(",result=\"skipped\"", std::to_string(s.stat_ddls_skipped));
					line(",result=\"no_action\"", std::to_string(s.stat_ddls_noop));
				} else if (name == "synchdb_values_replaced_total")
					line("", std::to_string(s.stat_values_replaced));
				else if (name == "synchdb_changes_skipped_total")
					line("", std::to_string(s.stat_changes_skipped));
				else if (name == "synchdb_lag_seconds") {
					if (s.stat_lag_ms >= 0) {
						char buf[32];
						snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(s.stat_lag_ms) / 1000.0);
						line("", buf);
					}
				} else if (name == "synchdb_last_commit_timestamp_seconds") {
					if (s.stat_last_commit != 0)
						line("", std::to_string(timestamptz_to_time_t(s.stat_last_commit)));
				} else if (name == "synchdb_snapshot_tables") {
					line(",which=\"done\"", std::to_string(s.tables_done));
					line(",which=\"total\"", std::to_string(s.tables_total));
				} else if (name == "synchdb_snapshot_rows")
					line("", std::to_string(s.rows_copied));
				else if (name == "synchdb_snapshot_rows_expected") {
					if (s.snap_rows_expected >= 0)
						line("", std::to_string(s.snap_rows_expected));
				} else if (name == "synchdb_snapshot_rows_per_second" || name == "synchdb_snapshot_seconds_left") {
					const SnapshotNow sn = SnapshotFiguresNow(s);
					const double v = name == "synchdb_snapshot_rows_per_second" ? sn.rate : sn.left;
					if (s.snap_begin_ms != 0 && v >= 0) {
						char buf[32];
						snprintf(buf, sizeof(buf), "%.3f", v);
						line("", buf);
					}
				} else if (name == "synchdb_batches_total")
					line("", std::to_string(s.stat_txns));
			}
		}
		return PgCall([&] { return PointerGetDatum(cstring_to_text_with_len(out.data(), static_cast<int>(out.size()))); });
	});
}
