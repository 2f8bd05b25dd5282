/* Unit tests of connector definition validation. */
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "core/conninfo.hpp"
#include "core/error.hpp"

using namespace synchdb;

namespace {


}  // namespace

TEST(ConnInfo, NamesFollowIdentifierRules)
{
	EXPECT_EQ(NormalizeConnectorName("MySQLConn"), "mysqlconn");
	EXPECT_EQ(NormalizeConnectorName("_c1"), "_c1");
	EXPECT_EQ(ErrorOf([] { NormalizeConnectorName("1abc"); }), "42602: invalid connector name \"1abc\"");
	EXPECT_EQ(ErrorOf([] { NormalizeConnectorName("a-b"); }), "42602: invalid connector name \"a-b\"");
	EXPECT_EQ(ErrorOf([] { NormalizeConnectorName(""); }), "42602: connector name must not be empty");
	EXPECT_NE(ErrorOf([] { NormalizeConnectorName(std::string(64, 'a')); }).find("too long"), std::string::npos);
	EXPECT_EQ(NormalizeConnectorName(std::string(63, 'a')), std::string(63, 'a'));
}

TEST(ConnInfo, ConnectorTypesAnyCase)
{
	EXPECT_EQ(ParseConnectorType("MySQL"), ConnectorType::MySQL);
	EXPECT_EQ(ParseConnectorType("SQLSERVER"), ConnectorType::SqlServer);
	EXPECT_EQ(ParseConnectorType("oracle"), ConnectorType::Oracle);
	EXPECT_EQ(ParseConnectorType("Postgres"), ConnectorType::Postgres);
	try {
		ParseConnectorType("db2");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.hint(), "Valid connector types are: mysql, sqlserver, oracle, postgres, olr.");
	}
}

TEST(ConnInfo, SnapshotModes)
{
	EXPECT_EQ(ParseSnapshotMode("initial"), SnapshotMode::Initial);
	EXPECT_EQ(ParseSnapshotMode("NO_DATA"), SnapshotMode::NoData);
	EXPECT_EQ(ParseSnapshotMode("initial_only"), SnapshotMode::InitialOnly);
	EXPECT_EQ(ParseSnapshotMode("never"), SnapshotMode::Never);
	EXPECT_EQ(ParseSnapshotMode("always"), SnapshotMode::Always);
	EXPECT_EQ(ParseSnapshotMode("SchemaSync"), SnapshotMode::SchemaSync);
	EXPECT_STREQ(SnapshotModeName(SnapshotMode::SchemaSync), "schemasync");
	EXPECT_THROW(ParseSnapshotMode("schemasync2"), Error);
}

TEST(ConnInfo, TableLists)
{
	EXPECT_TRUE(ParseTableList("", ConnectorType::MySQL, "inventory").empty());
	EXPECT_TRUE(ParseTableList("null", ConnectorType::MySQL, "inventory").empty());
	auto t = ParseTableList(" inventory.orders , inventory.customers,inventory.orders", ConnectorType::MySQL, "inventory");
	ASSERT_EQ(t.size(), 2u); /* duplicates folded */
	EXPECT_EQ(t[0].ToString(), "inventory.orders");
	EXPECT_EQ(t[1].table, "customers");
	auto s = ParseTableList("testDB.dbo.orders", ConnectorType::SqlServer, "testDB");
	ASSERT_EQ(s.size(), 1u);
	EXPECT_EQ(s[0].schema, "dbo");

	EXPECT_NE(ErrorOf([] { ParseTableList("inventory.dbo.orders", ConnectorType::MySQL, "inventory"); })
	              .find("invalid table list entry"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { ParseTableList("orders", ConnectorType::MySQL, "inventory"); }).find("invalid table list"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { ParseTableList("inventory.", ConnectorType::MySQL, "inventory"); }).find("invalid"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { ParseTableList("inventory.a,,inventory.c", ConnectorType::MySQL, "inventory"); }).find("empty entry"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { ParseTableList("other.orders", ConnectorType::MySQL, "inventory"); })
	              .find("not in source database"),
	          std::string::npos);
}

TEST(ConnInfo, RuleFilePathsStayInTheDataDirectory)
{
	EXPECT_EQ(ResolveRuleFilePath("myrule.json", "/var/lib/pg/data"), "/var/lib/pg/data/myrule.json");
	EXPECT_EQ(ResolveRuleFilePath("rules/a.json", "/var/lib/pg/data/"), "/var/lib/pg/data/rules/a.json");
	EXPECT_EQ(ResolveRuleFilePath("/var/lib/pg/data/a.json", "/var/lib/pg/data"), "/var/lib/pg/data/a.json");
	EXPECT_THROW(ResolveRuleFilePath("../a.json", "/d"), Error);
	EXPECT_THROW(ResolveRuleFilePath("x/../../a.json", "/d"), Error);
	EXPECT_THROW(ResolveRuleFilePath("/etc/passwd", "/d"), Error);
	EXPECT_THROW(ResolveRuleFilePath("/dx/a.json", "/d"), Error);
}

TEST(ConnInfo, MakeValidatesEveryArgument)
{
	auto ci = MakeConnInfo("MySQLConn", "127.0.0.1", 3306, "mysqluser", "inventory", "postgres", "", "MySQL", "");
	EXPECT_EQ(ci.name, "mysqlconn");
	EXPECT_EQ(ci.connector, "mysql");
	EXPECT_EQ(ci.table, "null");
	EXPECT_EQ(ci.rulefile, "null");
	EXPECT_FALSE(ci.HasRuleFile());

	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 0, "u", "s", "d", "", "mysql", ""); }).find("port 0 is out of range"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 65536, "u", "s", "d", "", "mysql", ""); }).find("out of range"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", " ", 1, "u", "s", "d", "", "mysql", ""); }).find("hostname must not be empty"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 1, "", "s", "d", "", "mysql", ""); }).find("user name must not be empty"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 1, "u", "", "d", "", "mysql", ""); }).find("source database"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 1, "u", "s", "", "", "mysql", ""); }).find("destination database"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 1, "u", "s", "d", "", "db2", ""); }).find("unsupported connector type"),
	          std::string::npos);
}

TEST(ConnInfo, JsonRoundTripWithSeedKeys)
{
	auto ci = MakeConnInfo("c1", "db.example", 3306, "u", "inventory", "postgres",
	                       "inventory.orders,inventory.customers", "mysql", "myrule.json");
	ci.pwd = "\\xc30d";
	auto j = ConnInfoToJson(ci);
	for (const char *k : {"hostname", "port", "user", "pwd", "srcdb", "dstdb", "table", "connector", "rulefile"})
		EXPECT_NE(j.Find(k), nullptr) << k;
	auto back = ConnInfoFromJson("c1", json::Parse(json::Write(j)));
	EXPECT_EQ(back.hostname, "db.example");
	EXPECT_EQ(back.port, 3306);
	EXPECT_EQ(back.pwd, "\\xc30d");
	EXPECT_EQ(back.Tables().size(), 2u);
	EXPECT_EQ(back.rulefile, "myrule.json");
}

TEST(ConnInfo, IncarnationFollowsThePasswordUntilPinned)
{
	auto ci = MakeConnInfo("c1", "h", 3306, "u", "s", "d", "", "mysql", "");
	ci.pwd = "\\xc30d01";
	const std::string first = Incarnation(ci);
	/* The value synchdb has always stored: FNV-1a 64 of the encrypted password, "v2:<hex>". */
	EXPECT_EQ(first, PasswordIncarnation("\\xc30d01"));
	EXPECT_EQ(first.rfind("v2:", 0), 0u);
	EXPECT_EQ(first.size(), 3u + 16u);
	EXPECT_EQ(PasswordIncarnation(""), "v2:cbf29ce484222325"); /* the FNV-1a 64 offset basis */
	auto other = ci;
	other.pwd = "\\xc30d02"; /* re-created: pgcrypto salts every encryption anew */
	EXPECT_NE(Incarnation(other), first);
	/* synchdb_alter_conninfo pins it before the password changes: the position stays the connector's. */
	ci.incarnation = first;
	ci.pwd = "\\xc30d02";
	EXPECT_EQ(Incarnation(ci), first);
	auto back = ConnInfoFromJson("c1", json::Parse(json::Write(ConnInfoToJson(ci))));
	EXPECT_EQ(back.incarnation, first);
	EXPECT_EQ(Incarnation(back), first);
	/* Not pinned: no key written, none read back. */
	EXPECT_EQ(ConnInfoToJson(other).Find("incarnation"), nullptr);
	EXPECT_EQ(ConnInfoFromJson("c1", json::Parse(json::Write(ConnInfoToJson(other)))).incarnation, "");
}

TEST(ConnInfo, DamagedDefinitionsSayHowToRecover)
{
	auto err = ErrorOf([] { ConnInfoFromJson("c1", json::Parse(R"({"hostname":"h","port":"x"})")); });
	EXPECT_NE(err.find("definition of connector \"c1\" in synchdb_conninfo is damaged"), std::string::npos) << err;
	err = ErrorOf([] {
		ConnInfoFromJson("c1", json::Parse(R"({"hostname":"h","port":1,"user":"u","pwd":"p","srcdb":"s","dstdb":"d","connector":"db2"})"));
	});
	EXPECT_NE(err.find("unsupported connector type"), std::string::npos) << err;
}

TEST(ConnInfo, PostgresTableListNamesSchemaAndTable)
{
	auto t = ParseTableList("public.orders, sales.items,src.public.x", ConnectorType::Postgres, "src");
	ASSERT_EQ(t.size(), 3u);
	EXPECT_EQ(t[0].db, "src");
	EXPECT_EQ(t[0].schema, "public");
	EXPECT_EQ(t[0].table, "orders");
	EXPECT_EQ(t[1].schema, "sales");
	EXPECT_EQ(t[2].table, "x");
	EXPECT_THROW(ParseTableList("orders", ConnectorType::Postgres, "src"), Error);
	EXPECT_THROW(ParseTableList("other.public.x", ConnectorType::Postgres, "src"), Error);
}

TEST(ConnInfo, ConnectorOptions)
{
	EXPECT_EQ(NormalizeConnectorOption(" Error_Handling_Strategy "), "error_handling_strategy");
	EXPECT_EQ(NormalizeConnectorOption("invalid_value_policy"), "invalid_value_policy");
	EXPECT_EQ(ErrorOf([] { NormalizeConnectorOption("error_strategy"); }),
	          "22023: unknown connector option \"error_strategy\"");
	EXPECT_EQ(NormalizeConnectorOptionValue("error_handling_strategy", "SKIP"), "skip");
	EXPECT_EQ(NormalizeConnectorOptionValue("invalid_value_policy", " replace"), "replace");
	EXPECT_EQ(ErrorOf([] { NormalizeConnectorOptionValue("error_handling_strategy", "null"); }),
	          "22023: invalid value \"null\" for connector option \"error_handling_strategy\"");
	EXPECT_EQ(ErrorOf([] { NormalizeConnectorOptionValue("invalid_value_policy", "skip"); }),
	          "22023: invalid value \"skip\" for connector option \"invalid_value_policy\"");
	try {
		NormalizeConnectorOptionValue("invalid_value_policy", "skip");
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.hint()).find("error, null, replace"), std::string::npos) << e.hint();
	}
}

TEST(ConnInfo, OptionsRoundTripInTheDefinition)
{
	ConnInfo ci = MakeConnInfo("c", "127.0.0.1", 3306, "u", "inventory", "postgres", "", "mysql", "");
	ci.pwd = "\\x00";
	ci.options = {{"error_handling_strategy", "skip"}};
	json::Value v = ConnInfoToJson(ci);
	ConnInfo back = ConnInfoFromJson("c", v);
	EXPECT_EQ(back.Option("error_handling_strategy"), "skip");
	EXPECT_EQ(back.Option("invalid_value_policy"), "") << "not set: follows the GUC";

	json::Value bad = json::Parse(R"({"hostname":"h","port":1,"user":"u","pwd":"p","srcdb":"d","dstdb":"postgres",
	    "connector":"mysql","options":{"error_handling_strategy":"ignore"}})");
	EXPECT_NE(ErrorOf([&] { ConnInfoFromJson("c", bad); }).find("has an invalid option"), std::string::npos);
}
