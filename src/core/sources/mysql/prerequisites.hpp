/*
 * prerequisites.hpp
 *     What a MySQL/MariaDB source must offer before a connector can
 *     replicate from it, and the words a DBA needs to fix what is missing.
 *
 * NOTES
 *   ReadSourceSettings() asks the server (one connection, a few queries);
 *   FindProblems() is a pure function of what was read, so every message is
 *   unit-tested without a server.  A connector starts only when the list of
 *   problems is empty.
 */
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/conninfo.hpp"

namespace synchdb::mysql {

class Connection;

struct SourceSettings {
	std::string where;        /* host:port */
	std::string user;
	std::string version;      /* VERSION() */
	bool is_mariadb = false;
	bool log_bin = false;
	std::string binlog_format;    /* ROW, STATEMENT, MIXED */
	std::string binlog_row_image; /* FULL, MINIMAL, NOBLOB; empty = server has no such variable (FULL) */
	std::string srcdb;
	bool srcdb_visible = false;
	std::vector<std::string> missing_tables; /* entries of the table list not found */
	/* From SHOW GRANTS: privileges held on *.*, and on the source database. */
	std::vector<std::string> global_privileges;
	std::vector<std::string> db_privileges;
	bool has_roles = false;   /* privileges may come through roles we did not expand */
};

struct Problem {
	std::string what; /* "binary logging is off (log_bin=OFF)" */
	std::string fix;  /* "start the server with --log-bin=mysql-bin" */
};

SourceSettings ReadSourceSettings(Connection &conn, const std::string &srcdb, const std::vector<TableName> &tables);

std::vector<Problem> FindProblems(const SourceSettings &s);

/* One paragraph for synchdb_state_view.err and the server log. */
std::string DescribeProblems(const SourceSettings &s, const std::vector<Problem> &problems);

/* Privileges named in one SHOW GRANTS line for the given object ("*.*" or "`db`.*"); upper case. */
std::vector<std::string> PrivilegesFromGrant(const std::string &grant_line, const std::string &object);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
