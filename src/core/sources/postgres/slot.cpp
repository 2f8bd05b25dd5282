/*
 * slot.cpp
 *     Slot and publication of a PostgreSQL connector; see slot.hpp.
 */
#include "core/sources/postgres/slot.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/sources/postgres/connection.hpp"

namespace synchdb::pgsrc {

std::string ObjectName(std::string_view connector)
{
	std::string n = "synchdb_";
	for (char c : connector) {
		unsigned char u = static_cast<unsigned char>(c);
		if (u >= 'A' && u <= 'Z')
			n += static_cast<char>(u - 'A' + 'a');
		else if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '_')
			n += c;
		else
			n += '_';
	}
	if (n.size() <= 63)
		return n;
	uint32_t h = 2166136261u;
	for (char c : connector) {
		h ^= static_cast<unsigned char>(c);
		h *= 16777619u;
	}
	char hex[16];
	std::snprintf(hex, sizeof hex, "_%08x", h);
	return n.substr(0, 54) + hex;
}

std::string EnsurePublication(Connection &conn, const std::string &name, const std::vector<SourceTable> &tables,
                              bool all_tables)
{
	Result r = conn.ExecParams("SELECT puballtables FROM pg_publication WHERE pubname = $1", {name});
	std::string list;
	for (const auto &t : tables)
		list += (list.empty() ? "" : ", ") + t.QuotedName();
	if (r.Rows() == 0) {
		if (all_tables)
			conn.Exec("CREATE PUBLICATION " + QuotePgIdent(name) + " FOR ALL TABLES");
		else if (tables.empty())
			conn.Exec("CREATE PUBLICATION " + QuotePgIdent(name));
		else
			conn.Exec("CREATE PUBLICATION " + QuotePgIdent(name) + " FOR TABLE " + list);
		return "created publication " + Quoted(name) + (all_tables ? " for all tables" : " for " + list);
	}
	if (r.Get(0, 0) == "t" || all_tables)
		return "";
	Result pt = conn.ExecParams("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1", {name});
	std::set<std::pair<std::string, std::string>> have, want;
	for (int i = 0; i < pt.Rows(); ++i)
		have.emplace(std::string(pt.Get(i, 0)), std::string(pt.Get(i, 1)));
	for (const auto &t : tables)
		want.emplace(t.schema, t.name);
	if (have == want)
		return "";
	if (tables.empty())
		throw Error(sqlstate::kInvalidParameterValue,
		            conn.Prefix() + "publication " + Quoted(name) + " lists tables but the connector has none");
	conn.Exec("ALTER PUBLICATION " + QuotePgIdent(name) + " SET TABLE " + list);
	return "publication " + Quoted(name) + " now publishes " + list;
}

void DropPublication(Connection &conn, const std::string &name)
{
	conn.Exec("DROP PUBLICATION IF EXISTS " + QuotePgIdent(name));
}

std::optional<SlotInfo> FindSlot(Connection &conn, const std::string &name)
{
	Result r = conn.ExecParams("SELECT plugin, database, active, active_pid, confirmed_flush_lsn::text AS cf"
	                           " FROM pg_replication_slots WHERE slot_name = $1",
	                           {name});
	if (r.Rows() == 0)
		return std::nullopt;
	SlotInfo s;
	s.plugin = std::string(r.Get(0, r.Col("plugin")));
	s.database = std::string(r.Get(0, r.Col("database")));
	s.active = r.Get(0, r.Col("active")) == "t";
	if (!r.IsNull(0, r.Col("active_pid")))
		s.active_pid = std::atoi(std::string(r.Get(0, r.Col("active_pid"))).c_str());
	if (!r.IsNull(0, r.Col("cf")))
		s.confirmed_flush = ParseLsn(r.Get(0, r.Col("cf")));
	return s;
}

CreatedSlot CreateSlot(Connection &repl, const std::string &name, bool temporary, bool export_snapshot)
{
	std::string sql = "CREATE_REPLICATION_SLOT " + QuotePgIdent(name) + (temporary ? " TEMPORARY" : "") +
	                  " LOGICAL pgoutput";
	if (repl.ServerVersionNum() >= 150000)
		sql += export_snapshot ? " (SNAPSHOT 'export')" : " (SNAPSHOT 'nothing')";
	else
		sql += export_snapshot ? " EXPORT_SNAPSHOT" : " NOEXPORT_SNAPSHOT";
	Result r = repl.Exec(sql);
	if (r.Rows() != 1)
		throw Error(sqlstate::kDataCorrupted, repl.Prefix() + "CREATE_REPLICATION_SLOT returned no row");
	CreatedSlot s;
	s.name = std::string(r.Get(0, r.Col("slot_name")));
	s.consistent_point = ParseLsn(r.Get(0, r.Col("consistent_point")));
	s.snapshot_name = std::string(r.Get(0, r.Col("snapshot_name")));
	if (export_snapshot && s.snapshot_name.empty())
		throw Error(sqlstate::kDataCorrupted, repl.Prefix() + "CREATE_REPLICATION_SLOT exported no snapshot");
	return s;
}

void DropSlot(Connection &conn, const std::string &name, int wait_s)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
	for (;;) {
		auto info = FindSlot(conn, name);
		if (!info)
			return;
		if (!info->active) {
			/* the slot may have gone, or become active, meanwhile: the server says which */
			conn.ExecParams("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
			                " WHERE slot_name = $1 AND NOT active",
			                {name});
			if (!FindSlot(conn, name))
				return;
		}
		if (std::chrono::steady_clock::now() >= deadline)
			throw Error(sqlstate::kObjectNotInPrerequisiteState,
			            conn.Prefix() + "replication slot " + Quoted(name) + " is in use and cannot be dropped", {},
			            "Stop whatever streams from it (see pg_stat_replication), or drop it later with "
			            "SELECT pg_drop_replication_slot('" + name + "');");
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
	}
}

}  // namespace synchdb::pgsrc
