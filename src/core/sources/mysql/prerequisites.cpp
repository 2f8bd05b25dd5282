/*
 * prerequisites.cpp
 *     Reading and judging a source server's replication settings.
 */
#include "core/sources/mysql/prerequisites.hpp"

#include <algorithm>
#include <cctype>

#include "core/sources/mysql/connection.hpp"

namespace synchdb::mysql {

namespace {

std::string Upper(std::string s)
{
	std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
	return s;
}

bool Has(const std::vector<std::string> &privs, const char *p)
{
	return std::find(privs.begin(), privs.end(), p) != privs.end();
}

std::string Trim(std::string s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.pop_back();
	size_t i = 0;
	while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
		i++;
	return s.substr(i);
}

}  // namespace

std::vector<std::string> PrivilegesFromGrant(const std::string &grant_line, const std::string &object)
{
	/* GRANT <priv>[, <priv>...] ON <object> TO ...  (object as the server prints it) */
	std::vector<std::string> out;
	if (grant_line.rfind("GRANT ", 0) != 0)
		return out;
	size_t on = grant_line.find(" ON " + object + " TO ");
	if (on == std::string::npos)
		return out;
	std::string list = grant_line.substr(6, on - 6);
	/* Split at commas outside parentheses: SELECT (`a`, `b`) is one item. */
	std::string item;
	int depth = 0;
	auto flush = [&] {
		std::string p = Trim(item);
		/* Column-level grants such as SELECT (`a`) do not cover whole tables: ignore them. */
		if (!p.empty() && p.find('(') == std::string::npos)
			out.push_back(Upper(p));
		item.clear();
	};
	for (char c : list) {
		if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		if (c == ',' && depth == 0)
			flush();
		else
			item += c;
	}
	flush();
	return out;
}

SourceSettings ReadSourceSettings(Connection &conn, const std::string &srcdb, const std::vector<TableName> &tables)
{
	SourceSettings s;
	s.where = conn.endpoint().Where();
	s.user = conn.endpoint().user;
	s.srcdb = srcdb;
	s.version = conn.ServerVersion();
	s.is_mariadb = conn.IsMariaDB();

	for (const Row &r : conn.Query("SHOW GLOBAL VARIABLES WHERE Variable_name IN "
	                               "('log_bin','binlog_format','binlog_row_image','version')")) {
		if (r.size() < 2 || !r[0] || !r[1])
			continue;
		const std::string name = *r[0], value = Upper(*r[1]);
		if (name == "log_bin")
			s.log_bin = value == "ON" || value == "1";
		else if (name == "binlog_format")
			s.binlog_format = value;
		else if (name == "binlog_row_image")
			s.binlog_row_image = value;
		else if (name == "version")
			s.version = *r[1];
	}

	s.srcdb_visible = conn.QueryValue("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " +
	                                  conn.Literal(srcdb))
	                      .value_or("0") != "0";
	for (const TableName &t : tables) {
		auto n = conn.QueryValue("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
		                         conn.Literal(t.db) + " AND TABLE_NAME = " + conn.Literal(t.table));
		if (n.value_or("0") == "0")
			s.missing_tables.push_back(t.ToString());
	}

	/* `db`.* as SHOW GRANTS prints it; MariaDB and MySQL both quote with backticks. */
	std::string db_object = "`" + srcdb + "`.*";
	for (const Row &r : conn.Query("SHOW GRANTS FOR CURRENT_USER()")) {
		if (r.empty() || !r[0])
			continue;
		const std::string &line = *r[0];
		auto g = PrivilegesFromGrant(line, "*.*");
		s.global_privileges.insert(s.global_privileges.end(), g.begin(), g.end());
		auto d = PrivilegesFromGrant(line, db_object);
		s.db_privileges.insert(s.db_privileges.end(), d.begin(), d.end());
		/* "GRANT `role` TO `user`@`host`": a role, whose privileges we do not expand. */
		if (line.rfind("GRANT `", 0) == 0 && line.find(" ON ") == std::string::npos)
			s.has_roles = true;
	}
	return s;
}

std::vector<Problem> FindProblems(const SourceSettings &s)
{
	std::vector<Problem> out;
	if (!s.log_bin)
		out.push_back({"binary logging is off (log_bin=OFF)",
		               "start the server with binary logging on, e.g. log_bin=mysql-bin in its configuration file "
		               "(this needs a restart)"});
	if (s.log_bin && s.binlog_format != "ROW")
		out.push_back({"binlog_format is " + (s.binlog_format.empty() ? std::string("unknown") : s.binlog_format) +
		                   ", synchdb needs ROW",
		               "run SET GLOBAL binlog_format=ROW and set binlog_format=ROW in the server's configuration "
		               "file"});
	if (s.log_bin && !s.binlog_row_image.empty() && s.binlog_row_image != "FULL")
		out.push_back({"binlog_row_image is " + s.binlog_row_image + ", synchdb needs FULL",
		               "run SET GLOBAL binlog_row_image=FULL and set binlog_row_image=FULL in the server's "
		               "configuration file"});

	const auto &g = s.global_privileges;
	const bool all = Has(g, "ALL PRIVILEGES") || Has(g, "ALL");
	const bool may_have_via_role = s.has_roles;
	if (!all && !may_have_via_role) {
		if (!Has(g, "REPLICATION SLAVE") && !Has(g, "REPLICATION REPLICA"))
			out.push_back({"user \"" + s.user + "\" lacks the REPLICATION SLAVE privilege",
			               "run GRANT REPLICATION SLAVE ON *.* TO the user on the source server"});
		const bool monitor = Has(g, "REPLICATION CLIENT") || Has(g, "BINLOG MONITOR") || Has(g, "SUPER");
		if (!monitor)
			out.push_back({"user \"" + s.user + "\" lacks the " +
			                   std::string(s.is_mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT") +
			                   " privilege (needed to read the binlog position)",
			               std::string("run GRANT ") + (s.is_mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT") +
			                   " ON *.* TO the user on the source server"});
		if (!s.is_mariadb && !Has(g, "RELOAD"))
			out.push_back({"user \"" + s.user + "\" lacks the RELOAD privilege (needed for the snapshot's short "
			                                   "FLUSH TABLES WITH READ LOCK)",
			               "run GRANT RELOAD ON *.* TO the user on the source server"});
		const bool select = Has(g, "SELECT") || Has(s.db_privileges, "SELECT") || Has(s.db_privileges, "ALL PRIVILEGES");
		if (!select)
			out.push_back({"user \"" + s.user + "\" lacks the SELECT privilege on database \"" + s.srcdb +
			                   "\" (needed for the initial snapshot)",
			               "run GRANT SELECT ON `" + s.srcdb + "`.* TO the user on the source server"});
	}
	if (!s.srcdb_visible)
		out.push_back({"source database \"" + s.srcdb + "\" does not exist or user \"" + s.user +
		                   "\" has no privilege on it",
		               "check the source database name of the connector, or grant SELECT on it"});
	else if (!s.missing_tables.empty()) {
		std::string list;
		for (const auto &t : s.missing_tables)
			list += (list.empty() ? "" : ", ") + t;
		out.push_back({"table(s) of the connector's table list not found on the source: " + list,
		               "correct the table list (names are case-sensitive on most servers)"});
	}
	return out;
}

std::string DescribeProblems(const SourceSettings &s, const std::vector<Problem> &problems)
{
	std::string out = "source server " + s.where + " is not ready for replication:";
	int i = 1;
	for (const auto &p : problems)
		out += " (" + std::to_string(i++) + ") " + p.what + "; to fix it, " + p.fix + ".";
	return out;
}

}  // namespace synchdb::mysql
