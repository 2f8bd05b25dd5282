/*
 * usercontext.hpp
 *     Running part of a connector's work as another role (docs/security.md,
 *     "Workers run as the connector's owner").
 *
 * NOTES
 *   A connector's worker logs in as the role that owns the connector.  Two
 *   kinds of work run as another role, each in a security-restricted
 *   context (SECURITY_RESTRICTED_OPERATION | SECURITY_LOCAL_USERID_CHANGE,
 *   as PostgreSQL does for maintenance commands and PostgreSQL 16 for
 *   subscriptions applying into a table owned by someone else):
 *
 *   - synchdb's own tables (_synchdb.*, synchdb_conninfo, synchdb_objmap,
 *     synchdb_attribute) are read and written as the bootstrap superuser
 *     (AsSuperuser), by fixed statements of ours only;
 *   - the apply of a destination table owned by another role than the
 *     connector's owner runs as that table's owner (RunAs with nest_gucs):
 *     its triggers, CHECK constraints, defaults, index expressions and
 *     domain checks run as their owner, never as the connector's owner; the
 *     settings they change are undone when the apply of the table ends.
 *
 *   RunAs is a scope: the user id and security context are restored by its
 *   destructor, also while a C++ exception (a PgError from PgCall) unwinds,
 *   so they are back before the error leaves the scope.  Done() ends the
 *   scope normally, undoing the settings changed inside (GUC nest level);
 *   on an error the transaction's (or subtransaction's) abort undoes them.
 *   Never commit a transaction inside a scope.  Main thread only.
 */
#pragma once

#include <string>

#include "pg/postgres_headers.hpp"

extern "C" {
#include "catalog/pg_authid_d.h" /* BOOTSTRAP_SUPERUSERID */
}

namespace synchdb::pg {

class RunAs {
public:
	/* role InvalidOid: nothing changes (the fast path). */
	explicit RunAs(Oid role, bool nest_gucs = false) noexcept;
	~RunAs();
	RunAs(const RunAs &) = delete;
	RunAs &operator=(const RunAs &) = delete;
	/* Normal end: settings changed inside are undone, then the user is restored. */
	void Done();

private:
	bool active_ = false;
	Oid saved_user_ = InvalidOid;
	int saved_context_ = 0;
	int guc_level_ = -1;
};

/* synchdb's own tables: as the bootstrap superuser, security-restricted. */
class AsSuperuser : public RunAs {
public:
	AsSuperuser() noexcept : RunAs(BOOTSTRAP_SUPERUSERID) {}
};

/*
 * The role a destination table's apply runs as: InvalidOid when the table
 * belongs to the current user (no switch), else its owner, after checking
 * that the current user may act as it (is a member of it, as SET ROLE
 * needs); else an error naming the connector, table, both roles and the fix.
 */
Oid ApplyRoleFor(Oid relid, const std::string &connector, const std::string &table);

/* A role's name for messages ("role with OID n" if it is gone). */
std::string RoleName(Oid role);

}  // namespace synchdb::pg
