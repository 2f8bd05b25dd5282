/*
 * guc.hpp
 *     synchdb's configuration parameters (docs/gucs.md).
 */
#pragma once

namespace synchdb::pg::guc {

extern int max_connector_workers;   /* synchdb.max_connector_workers, postmaster */
extern bool auto_launcher;          /* synchdb.synchdb_auto_launcher, postmaster */
extern int connect_timeout_ms;      /* synchdb.connect_timeout_ms, sighup */

void Define();

}  // namespace synchdb::pg::guc
