/*
 * slot.hpp
 *     The replication slot and the publication a PostgreSQL connector owns
 *     on its source.
 *
 * NOTES
 *   Both are named ObjectName(connector): "synchdb_" + the connector name,
 *   lower case, every byte outside [a-z0-9_] replaced by '_'; when that is
 *   longer than 63 bytes it is cut to 54 bytes and "_" + 8 hex digits of a
 *   hash (FNV-1a) of the full connector name are appended, so two long
 *   names stay distinct.  (Connector names are already [a-z_][a-z0-9_]*
 *   of at most 63 bytes, so in practice this is "synchdb_<connector>",
 *   possibly shortened.)  Two destinations with connectors of the same name
 *   on one source database would share the slot: do not do that.
 *
 *   The publication is created if missing, FOR TABLE <the listed tables>
 *   or FOR ALL TABLES when the list is empty; an existing list publication
 *   whose tables differ from the list is changed with ALTER PUBLICATION
 *   ... SET TABLE; an existing FOR ALL TABLES publication is left alone
 *   (changes of tables outside the list are skipped by the reader).
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sources/postgres/pgoutput.hpp"
#include "core/sources/postgres/schema.hpp"

namespace synchdb::pgsrc {

class Connection;

std::string ObjectName(std::string_view connector);

/* Create or align the publication; returns a line for the log ("" when nothing changed). */
std::string EnsurePublication(Connection &conn, const std::string &name, const std::vector<SourceTable> &tables,
                              bool all_tables);
void DropPublication(Connection &conn, const std::string &name);

struct SlotInfo {
	std::string plugin;
	std::string database;
	bool active = false;
	int active_pid = 0;
	Lsn confirmed_flush = 0;
};
/* The slot's row in pg_replication_slots; nullopt when it does not exist. */
std::optional<SlotInfo> FindSlot(Connection &conn, const std::string &name);

struct CreatedSlot {
	std::string name;
	Lsn consistent_point = 0;
	std::string snapshot_name; /* "" without export */
};
/* On a replication connection; export: keep the snapshot exported until the next command on repl. */
CreatedSlot CreateSlot(Connection &repl, const std::string &name, bool temporary, bool export_snapshot);

/* Drops the slot if it exists; waits up to wait_s for a walsender using it to go away. */
void DropSlot(Connection &conn, const std::string &name, int wait_s = 10);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
