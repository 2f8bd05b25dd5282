/*
 * guc.cpp
 *     Definition of synchdb's GUCs.
 */
#include "pg/guc.hpp"

#include "pg/postgres_headers.hpp"

namespace synchdb::pg::guc {

int max_connector_workers = 30;
bool auto_launcher = true;
bool snapshot_binary_copy = true;
int connect_timeout_ms = 10000;
int wal_retention_warning_mb = 1024;
int source_heartbeat_s = 10;
int snapshot_tables_per_txn = 256;
int invalid_value_policy = 1; /* null */
int error_handling_strategy = 0; /* exit */

namespace {
const struct config_enum_entry kInvalidValuePolicies[] = {
	{"error", 0, false},
	{"null", 1, false},
	{"replace", 2, false},
	{nullptr, 0, false},
};
}  // namespace

namespace {
const struct config_enum_entry kErrorStrategies[] = {
	{"exit", 0, false},
	{"skip", 1, false},
	{"retry", 2, false},
	{nullptr, 0, false},
};
}  // namespace

const char *InvalidValuePolicyName()
{
	return kInvalidValuePolicies[invalid_value_policy].name;
}

void Define()
{
	DefineCustomIntVariable("synchdb.max_connector_workers",
	                        "Number of connector workers that can run at once (shared memory slots).", nullptr,
	                        &max_connector_workers, 30, 1, 1024, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("synchdb.synchdb_auto_launcher",
	                         "Start the active connectors of every database when the server starts.", nullptr,
	                         &auto_launcher, true, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("synchdb.snapshot_binary_copy",
	                         "Load snapshot rows with binary COPY where every destination column allows it.", nullptr,
	                         &snapshot_binary_copy, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("synchdb.connect_timeout_ms", "Timeout for connecting to a source database server.",
	                        nullptr, &connect_timeout_ms, 10000, 1000, 3600000, PGC_SIGHUP, GUC_UNIT_MS, nullptr,
	                        nullptr, nullptr);
	DefineCustomIntVariable("synchdb.wal_retention_warning_mb",
	                        "Warn when a PostgreSQL source's replication slot holds back more WAL than this (0: never).",
	                        nullptr, &wal_retention_warning_mb, 1024, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MB, nullptr,
	                        nullptr, nullptr);
	DefineCustomIntVariable("synchdb.source_heartbeat_interval",
	                        "How often an idle PostgreSQL source's position is stored and confirmed, so its slot "
	                        "releases WAL that only other tables wrote (0: never).",
	                        nullptr, &source_heartbeat_s, 10, 0, 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr,
	                        nullptr);
	DefineCustomIntVariable("synchdb.snapshot_tables_per_transaction",
	                        "How many tables a snapshot creates or copies per destination transaction (each group "
	                        "also ends after 1 MB of table definitions).",
	                        nullptr, &snapshot_tables_per_txn, 256, 1, INT_MAX, PGC_SIGHUP, 0, nullptr, nullptr,
	                        nullptr);
	DefineCustomEnumVariable("synchdb.invalid_value_policy",
	                         "What a connector does with a source date, time or timestamp PostgreSQL cannot hold "
	                         "as mapped (zero dates, out of range): error, null, or replace.",
	                         nullptr, &invalid_value_policy, 1, kInvalidValuePolicies, PGC_SIGHUP, 0, nullptr,
	                         nullptr, nullptr);
	DefineCustomEnumVariable("synchdb.error_handling_strategy",
	                         "What a connector does when PostgreSQL refuses a change: exit (stop), skip (set the "
	                         "change aside in _synchdb.dead_letters and go on) or retry (with a growing wait).",
	                         nullptr, &error_handling_strategy, 0, kErrorStrategies, PGC_SIGHUP, 0, nullptr, nullptr,
	                         nullptr);
	MarkGUCPrefixReserved("synchdb");
}

}  // namespace synchdb::pg::guc
