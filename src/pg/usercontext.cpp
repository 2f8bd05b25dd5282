/*
 * usercontext.cpp
 *     Switching the user id for parts of a connector's work (usercontext.hpp).
 */
#include "core/error.hpp"
#include "core/pgtypes.hpp"
#include "core/strings.hpp"
#include "pg/guard.hpp"
#include "pg/usercontext.hpp"

extern "C" {
#include "catalog/pg_authid_d.h"
#include "catalog/pg_class.h"
#include "utils/syscache.h"
}

namespace synchdb::pg {

RunAs::RunAs(Oid role, bool nest_gucs) noexcept
{
	if (!OidIsValid(role))
		return;
	/* Neither call can raise an error: plain assignments of backend globals. */
	GetUserIdAndSecContext(&saved_user_, &saved_context_);
	SetUserIdAndSecContext(role, saved_context_ | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (nest_gucs)
		guc_level_ = NewGUCNestLevel();
	active_ = true;
}

RunAs::~RunAs()
{
	if (active_)
		SetUserIdAndSecContext(saved_user_, saved_context_);
}

void RunAs::Done()
{
	if (!active_)
		return;
	if (guc_level_ >= 0) {
		const int level = guc_level_;
		guc_level_ = -1;
		PgCall([&] { AtEOXact_GUC(false, level); });
	}
	SetUserIdAndSecContext(saved_user_, saved_context_);
	active_ = false;
}

std::string RoleName(Oid role)
{
	const char *n = PgCall([&] { return GetUserNameFromId(role, true); });
	return n ? std::string(n) : "role with OID " + std::to_string(role);
}

Oid ApplyRoleFor(Oid relid, const std::string &connector, const std::string &table)
{
	const Oid me = GetUserId();
	Oid owner = InvalidOid;
	PgCall([&] {
		HeapTuple tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		if (HeapTupleIsValid(tp)) {
			owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
			ReleaseSysCache(tp);
		}
	});
	if (!OidIsValid(owner) || owner == me)
		return InvalidOid;
	if (!PgCall([&] { return is_member_of_role(me, owner); }))
		throw Error(sqlstate::kInsufficientPrivilege,
		            "connector " + Quoted(connector) + " cannot apply into table " + EscapeControls(table) +
		                ": it belongs to role " + Quoted(RoleName(owner)) + ", and the connector's owner " +
		                Quoted(RoleName(me)) + " is not a member of that role",
		            "Changes to a table owned by another role are applied as that role (its triggers and "
		            "constraints run as their owner), which the connector's owner must be allowed to become, as with "
		            "SET ROLE.",
		            "GRANT " + EscapeControls(QuotePgIdent(RoleName(owner))) + " TO " + EscapeControls(QuotePgIdent(RoleName(me))) +
		                "; or ALTER TABLE " + EscapeControls(table) + " OWNER TO " +
		                EscapeControls(QuotePgIdent(RoleName(me))) + "; or map the source table elsewhere.");
	return owner;
}

}  // namespace synchdb::pg
