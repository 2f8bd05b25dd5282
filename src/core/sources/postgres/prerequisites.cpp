/*
 * prerequisites.cpp
 *     Replication prerequisites of a PostgreSQL source; see prerequisites.hpp.
 */
#include "core/sources/postgres/prerequisites.hpp"

#include <cstdlib>

#include "core/error.hpp"
#include "core/sources/postgres/connection.hpp"

namespace synchdb::pgsrc {

namespace {

int ToInt(std::string_view s)
{
	std::string t(s);
	char *end = nullptr;
	long v = std::strtol(t.c_str(), &end, 10);
	if (t.empty() || *end != '\0' || v < 0 || v > 1000000000)
		return 0;
	return static_cast<int>(v);
}

}  // namespace

SourceSettings ReadSourceSettings(Connection &conn, const std::vector<TableRef> &filter, const std::string &slot,
                                  const std::string &publication)
{
	SourceSettings s;
	s.where = conn.endpoint().Where();
	s.version_num = conn.ServerVersionNum();
	s.version = conn.ServerVersion();
	s.slot_name = slot;
	s.publication_name = publication;
	s.all_tables = filter.empty();
	Result r = conn.ExecParams(
		"SELECT current_user AS usr, r.rolsuper, r.rolreplication, current_setting('wal_level') AS wal_level,"
		" current_setting('max_replication_slots') AS max_slots,"
		" (SELECT count(*) FROM pg_replication_slots) AS used_slots,"
		" current_setting('max_wal_senders') AS max_senders,"
		" (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender') AS used_senders,"
		" EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot_exists,"
		" EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2) AS pub_exists,"
		" has_database_privilege(current_database(), 'CREATE') AS can_create, current_database() AS db"
		" FROM pg_roles r WHERE r.rolname = current_user",
		{slot, publication});
	if (r.Rows() != 1)
		throw Error(sqlstate::kInternalError, conn.Prefix() + "cannot read the source's settings");
	s.user = std::string(r.Get(0, r.Col("usr")));
	s.superuser = r.Get(0, r.Col("rolsuper")) == "t";
	s.replication = r.Get(0, r.Col("rolreplication")) == "t";
	s.wal_level = std::string(r.Get(0, r.Col("wal_level")));
	s.max_replication_slots = ToInt(r.Get(0, r.Col("max_slots")));
	s.used_replication_slots = ToInt(r.Get(0, r.Col("used_slots")));
	s.max_wal_senders = ToInt(r.Get(0, r.Col("max_senders")));
	s.used_wal_senders = ToInt(r.Get(0, r.Col("used_senders")));
	s.slot_exists = r.Get(0, r.Col("slot_exists")) == "t";
	s.publication_exists = r.Get(0, r.Col("pub_exists")) == "t";
	s.can_create_in_db = r.Get(0, r.Col("can_create")) == "t";
	s.database = std::string(r.Get(0, r.Col("db")));
	s.tables = ReadSourceTables(conn, filter);
	return s;
}

std::vector<Problem> FindProblems(const SourceSettings &s)
{
	std::vector<Problem> p;
	const std::string role = QuotePgIdent(s.user);
	if (s.version_num > 0 && s.version_num < 100000)
		p.push_back({"the source runs PostgreSQL " + s.version + "; logical replication with pgoutput needs 10 or later",
		             "upgrade the source server"});
	if (s.wal_level != "logical")
		p.push_back({"wal_level is " + Quoted(s.wal_level) + "; logical decoding needs \"logical\"",
		             "run ALTER SYSTEM SET wal_level = logical; and restart the source server"});
	if (!s.superuser && !s.replication)
		p.push_back({"user " + Quoted(s.user) + " has neither REPLICATION nor SUPERUSER",
		             "run ALTER ROLE " + role + " REPLICATION;"});
	if (!s.slot_exists && s.used_replication_slots >= s.max_replication_slots)
		p.push_back({"no free replication slot (max_replication_slots = " + std::to_string(s.max_replication_slots) +
		                 ", " + std::to_string(s.used_replication_slots) + " in use)",
		             "raise max_replication_slots (ALTER SYSTEM SET max_replication_slots = " +
		                 std::to_string(s.max_replication_slots + 1) +
		                 "; and restart) or drop an unused slot with pg_drop_replication_slot()"});
	if (s.used_wal_senders >= s.max_wal_senders)
		p.push_back({"no free WAL sender (max_wal_senders = " + std::to_string(s.max_wal_senders) + ", " +
		                 std::to_string(s.used_wal_senders) + " in use)",
		             "raise max_wal_senders (ALTER SYSTEM SET max_wal_senders = " +
		                 std::to_string(s.max_wal_senders + 1) + "; and restart)"});
	if (!s.publication_exists) {
		if (!s.superuser && !s.can_create_in_db)
			p.push_back({"user " + Quoted(s.user) + " may not create the publication " + Quoted(s.publication_name) +
			                 " (no CREATE privilege on the database)",
			             "run GRANT CREATE ON DATABASE " + QuotePgIdent(s.database) + " TO " + role +
			                 "; or create the publication as its owner"});
		if (s.all_tables && !s.superuser)
			p.push_back({"the connector replicates all tables, and CREATE PUBLICATION ... FOR ALL TABLES needs a "
			             "superuser",
			             "list the tables in the connector's table list, or have a superuser run CREATE PUBLICATION " +
			                 QuotePgIdent(s.publication_name) + " FOR ALL TABLES;"});
		if (!s.all_tables && !s.superuser) {
			std::string not_owned;
			for (const auto &t : s.tables)
				if (!t.user_is_owner)
					not_owned += std::string(not_owned.empty() ? "" : ", ") + Quoted(t.QualifiedName()) + " (owner " +
					             Quoted(t.owner) + ")";
			if (!not_owned.empty())
				p.push_back({"user " + Quoted(s.user) + " does not own " + not_owned +
				                 ", so it cannot add them to the publication " + Quoted(s.publication_name),
				             "have the owner (or a superuser) run CREATE PUBLICATION " +
				                 QuotePgIdent(s.publication_name) + " FOR TABLE ...; or GRANT <owner> TO " + role +
				                 ";"});
		}
	}
	std::string no_select, no_identity;
	for (const auto &t : s.tables) {
		if (!t.can_select && !s.superuser)
			no_select += std::string(no_select.empty() ? "" : ", ") + t.QuotedName();
		if (t.replident == 'n' || (t.replident == 'd' && t.primary_key.empty()) ||
		    (t.replident == 'i' && t.replident_index.empty()))
			no_identity += std::string(no_identity.empty() ? "" : ", ") + t.QuotedName();
	}
	if (!no_select.empty())
		p.push_back({"user " + Quoted(s.user) + " may not read " + no_select,
		             "run GRANT SELECT ON " + no_select + " TO " + role + ";"});
	if (!no_identity.empty())
		p.push_back({"tables without a replica identity (no primary key, or REPLICA IDENTITY NOTHING): " + no_identity +
		                 "; once published, PostgreSQL refuses UPDATE and DELETE on them",
		             "add a primary key, or run ALTER TABLE <table> REPLICA IDENTITY FULL;"});
	return p;
}

std::string DescribeProblems(const SourceSettings &s, const std::vector<Problem> &problems)
{
	std::string out = "the source PostgreSQL " + s.version + " at " + s.where + " is not ready for replication (" +
	                  std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems") + "):";
	for (size_t i = 0; i < problems.size(); ++i)
	{
		const std::string &fix = problems[i].fix;
		out += " " + std::to_string(i + 1) + ") " + problems[i].what + "; fix: " + fix;
		if (fix.empty() || (fix.back() != ';' && fix.back() != '.'))
			out += ".";
	}
	return out;
}

}  // namespace synchdb::pgsrc
