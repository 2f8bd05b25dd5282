/*
 * guc.cpp
 *     Definition of synchdb's GUCs.
 */
#include "pg/guc.hpp"

#include "pg/postgres_headers.hpp"

namespace synchdb::pg::guc {

int max_connector_workers = 30;
bool auto_launcher = true;
int connect_timeout_ms = 10000;

void Define()
{
	DefineCustomIntVariable("synchdb.max_connector_workers",
	                        "Number of connector workers that can run at once (shared memory slots).", nullptr,
	                        &max_connector_workers, 30, 1, 1024, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("synchdb.synchdb_auto_launcher",
	                         "Start the active connectors of every database when the server starts.", nullptr,
	                         &auto_launcher, true, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("synchdb.connect_timeout_ms", "Timeout for connecting to a source database server.",
	                        nullptr, &connect_timeout_ms, 10000, 1000, 3600000, PGC_SIGHUP, GUC_UNIT_MS, nullptr,
	                        nullptr, nullptr);
	MarkGUCPrefixReserved("synchdb");
}

}  // namespace synchdb::pg::guc
