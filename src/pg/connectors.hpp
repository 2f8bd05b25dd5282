/*
 * connectors.hpp
 *     The control plane: connector definitions in synchdb_conninfo, and
 *     starting and stopping their workers.
 *
 * NOTES
 *   Called from the SQL functions and from the per-database launcher, in a
 *   transaction of the database that holds the definitions.  Starting a
 *   connector binds it to a shared-memory slot, hands the definition to the
 *   slot, registers a dynamic background worker that connects to the
 *   connector's destination database, waits until the worker has attached
 *   to its slot (or exited), and marks the definition active so that it is
 *   relaunched when the server restarts.
 */
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/conninfo.hpp"
#include "core/error.hpp"
#include "core/mapping.hpp"

namespace synchdb::pg {

struct ConnInfoRow {
	bool isactive = false;
	std::string data; /* jsonb as text */
};

std::optional<ConnInfoRow> LoadConnInfoRow(const std::string &name);

/*
 * Owners (docs/security.md): synchdb_add_conninfo records the calling role
 * in data->>'owner' (OID) and data->>'owner_name' (for messages); its worker
 * logs in as that role.  Older definitions have none (oid 0): they run as
 * the bootstrap superuser, with a WARNING at each start.
 */
struct ConnectorOwner {
	unsigned int oid = 0;
	std::string name;
};
ConnectorOwner OwnerOf(const std::string &data);
/* The definition, when the caller may control the connector (a superuser, or its owner); else 42501 / 42704. */
ConnInfoRow RequireControl(const std::string &name);
/* synchdb_set_owner: the connector's owner becomes role. */
void SetConnInfoOwner(const std::string &name, unsigned int role);
/* Why the owner cannot run the connector (dropped, NOLOGIN, no CONNECT on dstdb); nullopt when it can. */
std::optional<Error> OwnerCannotRun(const std::string &name, const ConnectorOwner &owner, const std::string &dstdb);
void InsertConnInfo(const ConnInfo &ci);
void DeleteConnInfo(const std::string &name);
void SetConnInfoActive(const std::string &name, bool active);
/* Replace the connector's TLS keys of synchdb_conninfo.data (ssl_*) with tls's; none when !tls.given. */
void SetConnInfoTls(const std::string &name, const TlsSettings &tls);
/* Connectors marked active: made active here, or in the database this one is a copy of (not started). */
struct ActiveConnectors {
	std::vector<std::string> here;
	std::vector<std::string> copied;
};
ActiveConnectors ActiveConnectorNames();
/*
 * Copies: each definition carries the identity of the database it was
 * defined in (data->>'defined_in': the cluster's system identifier and the
 * database's OID).  ForeignIdentity: that identity when it is not this
 * database's (a copy), else "".  CopiedConnector: the refusal to start such
 * a connector, naming the fix; RebindConnInfo (synchdb_rebind_conninfo)
 * makes this database the connector's own.
 */
std::string ForeignIdentity(const std::string &name);
std::string CopiedConnectorText(const std::string &name, const std::string &stamp);
Error CopiedConnector(const std::string &name, const std::string &stamp);
void RebindConnInfo(const std::string &name);

/*
 * Check what needs PostgreSQL: the destination database exists; the rule
 * file and the object map rows make valid rules (types exist, expressions
 * parse).
 */
void CheckConnInfoInPostgres(const ConnInfo &ci, const std::vector<ObjmapRow> &objmap = {});

/*
 * What the slot hands the worker: the definition (synchdb_conninfo.data)
 * with the connector's enabled object map rows added as "objmap".
 */
std::string SlotPayload(const std::string &data, const std::vector<ObjmapRow> &objmap);

/*
 * synchdb_reload_objmap: validate the rules, hand the running worker the
 * current object map and ask it to apply it.  Returns false when the
 * connector is not running (the rules then apply at its next start).
 */
bool RequestReload(const std::string &name);

/* Start the connector's worker; returns the worker's pid (0 if it already exited). */
int StartConnector(const std::string &name, SnapshotMode mode);

/*
 * Stop the connector's worker in this database if one runs, waiting up to
 * timeout_ms for it to exit.  Returns false if none was running.
 */
bool StopConnectorWorker(const std::string &name, int timeout_ms);

/*
 * synchdb_pause_engine: ask the running worker to pause between source
 * transactions (after its initial snapshot) and remember it, so that the
 * connector comes back paused after a server restart.  Waits up to
 * timeout_ms for the worker to show "paused"; during an initial snapshot
 * it returns at once (the pause follows the snapshot) and says so.
 */
void PauseConnector(const std::string &name, int timeout_ms);
/* synchdb_resume_engine: the paused worker goes on from its committed position. */
void ResumeConnector(const std::string &name, int timeout_ms);
/*
 * synchdb_restart_connector: stop the running worker (what it applied is
 * committed with its position) and start it again with the given snapshot
 * mode, reading the definition again (synchdb_alter_conninfo).  Returns the
 * new worker's pid.
 */
int RestartConnector(const std::string &name, SnapshotMode mode, int timeout_ms);
/* synchdb_alter_conninfo: hostname, port, user, pwd (encrypted) and incarnation of ci replace the stored ones. */
void UpdateConnInfoEndpoint(const ConnInfo &ci);
/* Whether the connector's worker runs in this database. */
bool ConnectorRunning(const std::string &name);
/* Whether the connector is paused (requested and remembered); used by synchdb_stop_engine_bgw. */
void ForgetPause(const std::string &name);
/*
 * synchdb_set_offset: the connector is paused or stopped and its offsets are
 * in this database; the offset is checked by its source (shape, then against
 * the server) and replaces the stored position.  Returns the source's
 * description of the check for the log.
 */
std::string SetConnectorOffset(const std::string &name, const std::string &offset_json);

/* Forget the connector's slot (after synchdb_del_conninfo). */
void ReleaseSlot(const std::string &name);


}  // namespace synchdb::pg
