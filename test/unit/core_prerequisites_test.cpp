/* Unit tests of the source prerequisite checks (no server needed). */
#include <gtest/gtest.h>

#include "core/sources/mysql/prerequisites.hpp"

using namespace synchdb::mysql;

namespace {

SourceSettings Ready()
{
	SourceSettings s;
	s.where = "127.0.0.1:3306";
	s.user = "mysqluser";
	s.is_mariadb = true;
	s.log_bin = true;
	s.binlog_format = "ROW";
	s.binlog_row_image = "FULL";
	s.srcdb = "inventory";
	s.srcdb_visible = true;
	s.global_privileges = {"SELECT", "RELOAD", "REPLICATION SLAVE", "BINLOG MONITOR"};
	return s;
}

std::string All(const std::vector<Problem> &ps)
{
	std::string out;
	for (const auto &p : ps)
		out += p.what + " | " + p.fix + "\n";
	return out;
}

}  // namespace

TEST(Prerequisites, ReadyServerHasNoProblems)
{
	EXPECT_TRUE(FindProblems(Ready()).empty());
	auto s = Ready();
	s.global_privileges = {"ALL PRIVILEGES"};
	EXPECT_TRUE(FindProblems(s).empty());
	s = Ready();
	s.binlog_row_image.clear(); /* old server without the variable writes full images */
	EXPECT_TRUE(FindProblems(s).empty());
}

TEST(Prerequisites, BinlogOff)
{
	auto s = Ready();
	s.log_bin = false;
	auto p = FindProblems(s);
	ASSERT_EQ(p.size(), 1u) << All(p);
	EXPECT_EQ(p[0].what, "binary logging is off (log_bin=OFF)");
	EXPECT_NE(p[0].fix.find("log_bin"), std::string::npos);
}

TEST(Prerequisites, FormatAndImage)
{
	auto s = Ready();
	s.binlog_format = "MIXED";
	s.binlog_row_image = "MINIMAL";
	auto p = FindProblems(s);
	ASSERT_EQ(p.size(), 2u) << All(p);
	EXPECT_EQ(p[0].what, "binlog_format is MIXED, synchdb needs ROW");
	EXPECT_NE(p[0].fix.find("SET GLOBAL binlog_format=ROW"), std::string::npos);
	EXPECT_EQ(p[1].what, "binlog_row_image is MINIMAL, synchdb needs FULL");
}

TEST(Prerequisites, MissingPrivilegesNamedForTheServerKind)
{
	auto s = Ready();
	s.global_privileges = {};
	s.db_privileges = {"SELECT"};
	auto p = FindProblems(s);
	ASSERT_EQ(p.size(), 2u) << All(p);
	EXPECT_EQ(p[0].what, "user \"mysqluser\" lacks the REPLICATION SLAVE privilege");
	EXPECT_NE(p[1].what.find("BINLOG MONITOR"), std::string::npos);
	s.is_mariadb = false;
	p = FindProblems(s);
	ASSERT_EQ(p.size(), 3u) << All(p);
	EXPECT_NE(p[1].what.find("REPLICATION CLIENT"), std::string::npos);
	EXPECT_NE(p[2].what.find("RELOAD"), std::string::npos); /* MySQL's snapshot takes a short global read lock */
	s.db_privileges.clear();
	p = FindProblems(s);
	ASSERT_EQ(p.size(), 4u);
	EXPECT_NE(p[3].what.find("SELECT privilege on database \"inventory\""), std::string::npos);
	s.has_roles = true; /* privileges may come from a role we did not expand: do not block */
	EXPECT_TRUE(FindProblems(s).empty());
}

TEST(Prerequisites, DatabaseAndTables)
{
	auto s = Ready();
	s.srcdb_visible = false;
	auto p = FindProblems(s);
	ASSERT_EQ(p.size(), 1u);
	EXPECT_NE(p[0].what.find("source database \"inventory\" does not exist"), std::string::npos);
	s = Ready();
	s.missing_tables = {"inventory.nosuch", "inventory.other"};
	p = FindProblems(s);
	ASSERT_EQ(p.size(), 1u);
	EXPECT_NE(p[0].what.find("inventory.nosuch, inventory.other"), std::string::npos);
}

TEST(Prerequisites, DescribeNumbersEachProblem)
{
	auto s = Ready();
	s.log_bin = false;
	s.global_privileges = {"SELECT", "BINLOG MONITOR"};
	auto text = DescribeProblems(s, FindProblems(s));
	EXPECT_EQ(text.rfind("source server 127.0.0.1:3306 is not ready for replication: (1) binary logging is off", 0), 0u)
		<< text;
	EXPECT_NE(text.find("(2) user \"mysqluser\" lacks the REPLICATION SLAVE privilege"), std::string::npos) << text;
}

TEST(Prerequisites, GrantLines)
{
	auto p = PrivilegesFromGrant("GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `mysqluser`@`%` "
	                             "IDENTIFIED BY PASSWORD '*ABC'",
	                             "*.*");
	EXPECT_EQ(p, (std::vector<std::string>{"SELECT", "RELOAD", "REPLICATION SLAVE", "BINLOG MONITOR"}));
	EXPECT_EQ(PrivilegesFromGrant("GRANT SELECT ON `inventory`.* TO `nopriv`@`%`", "`inventory`.*"),
	          (std::vector<std::string>{"SELECT"}));
	EXPECT_TRUE(PrivilegesFromGrant("GRANT SELECT ON `inventory`.* TO `nopriv`@`%`", "*.*").empty());
	EXPECT_EQ(PrivilegesFromGrant("GRANT SELECT (`a`, `b`), INSERT ON `db`.`t` TO `u`@`%`", "`db`.`t`"),
	          (std::vector<std::string>{"INSERT"}));
	EXPECT_TRUE(PrivilegesFromGrant("GRANT `role1` TO `u`@`%`", "*.*").empty());
}
