/*
 * guc.hpp
 *     synchdb's configuration parameters (docs/gucs.md).
 */
#pragma once

namespace synchdb::pg::guc {

extern int max_connector_workers;   /* synchdb.max_connector_workers, postmaster */
extern bool auto_launcher;          /* synchdb.synchdb_auto_launcher, postmaster */
extern int connect_timeout_ms;      /* synchdb.connect_timeout_ms, sighup */
enum ErrorStrategy { kExit = 0, kSkip = 1, kRetry = 2 };
extern int error_handling_strategy;  /* synchdb.error_handling_strategy (ErrorStrategy), sighup, read at connector start */
extern int invalid_value_policy;     /* synchdb.invalid_value_policy (enum), sighup, read at connector start */
/* "error", "null" or "replace": the current synchdb.invalid_value_policy. */
const char *InvalidValuePolicyName();
extern int wal_retention_warning_mb; /* synchdb.wal_retention_warning_mb, sighup (PostgreSQL sources) */
extern int source_heartbeat_s;      /* synchdb.source_heartbeat_interval, sighup (PostgreSQL sources) */
extern bool snapshot_binary_copy;   /* synchdb.snapshot_binary_copy, sighup, read at connector start */
extern int snapshot_tables_per_txn; /* synchdb.snapshot_tables_per_transaction, sighup, read at snapshot start */

void Define();

}  // namespace synchdb::pg::guc
