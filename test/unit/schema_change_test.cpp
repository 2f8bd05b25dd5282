/* Unit tests of PlanSchemaChange (source DDL to PostgreSQL DDL) and the schema history format. */
#include <gtest/gtest.h>

#include "core/sources/mysql/ddl/parser.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/error.hpp"
#include "core/sources/mysql/schema_json.hpp"
#include "core/schema_change.hpp"
#include "core/sources/mysql/ddl_planner.hpp"

using namespace synchdb;

namespace {

std::shared_ptr<const TableSet> Tables(std::initializer_list<const char *> creates)
{
	std::vector<mysql::SourceTable> out;
	for (const char *c : creates) {
		auto st = ddl::Parse(c, "inventory");
		auto plan = PlanSchemaChange(st, TableSet{}, "inventory", {});
		EXPECT_TRUE(plan.has_value()) << c;
		out.push_back(mysql::Native(plan->tables->at(0)).table);
	}
	return mysql::MakeTables(out);
}

SchemaChange Plan(const TableSet &before, const char *sql, std::vector<TableName> filter = {})
{
	auto plan = PlanSchemaChange(ddl::Parse(sql, "inventory"), before, "inventory", filter);
	EXPECT_TRUE(plan.has_value()) << sql;
	return plan.value_or(SchemaChange{});
}

std::string Joined(const SchemaChange &c)
{
	std::string s;
	for (const auto &q : c.sql)
		s += q + ";\n";
	return s;
}

}  // namespace

TEST(SchemaChange, CreateTable)
{
	auto c = Plan(TableSet{}, "CREATE TABLE t1 (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL DEFAULT 'x', b INT UNSIGNED)");
	EXPECT_EQ(Joined(c), "CREATE SCHEMA IF NOT EXISTS \"inventory\";\n"
	                     "CREATE TABLE IF NOT EXISTS \"inventory\".\"t1\" (\"id\" integer NOT NULL, \"a\" varchar(10) "
	                     "DEFAULT 'x' NOT NULL, \"b\" bigint, PRIMARY KEY (\"id\"));\n");
	ASSERT_EQ(c.tables->size(), 1u);
	EXPECT_EQ(c.tables->at(0).pg_types[2].sql, "bigint");
}

/* PostgreSQL statements cannot carry a NUL byte (found by the binlog fuzz target). */
TEST(SchemaChange, NulInNameIsAClearError)
{
	try {
		PlanSchemaChange(ddl::Parse(std::string("CREATE TABLE `t\0x` (c INT)", 26), "inventory"), TableSet{}, "inventory",
		                 {});
		ADD_FAILURE() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kDataException);
		EXPECT_NE(std::string(e.what()).find("inventory.t\\0x: a name in it holds a NUL byte"), std::string::npos)
			<< e.what();
	}
	/* A default holding NUL (MySQL's '\0') is left out, as before; the backslash-zero text stays. */
	EXPECT_EQ(Joined(Plan(TableSet{}, "CREATE TABLE t (c VARCHAR(10) DEFAULT 'a\\0b')")).find("DEFAULT"),
	          std::string::npos);
	auto c = Plan(TableSet{}, "CREATE TABLE t (c VARCHAR(10) DEFAULT 'a\\\\0b')");
	EXPECT_NE(Joined(c).find("DEFAULT E'a\\\\0b'"), std::string::npos) << Joined(c);
}

TEST(SchemaChange, OtherDatabasesAndTablesOutsideTheListAreLeftAlone)
{
	auto set = Tables({"CREATE TABLE orders (id INT PRIMARY KEY)"});
	EXPECT_FALSE(PlanSchemaChange(ddl::Parse("CREATE TABLE other.t (id INT)", "inventory"), *set, "inventory", {}));
	EXPECT_FALSE(PlanSchemaChange(ddl::Parse("CREATE TABLE t (id INT)", "inventory"), *set, "inventory",
	                              {TableName{"inventory", "", "orders"}}));
	EXPECT_FALSE(PlanSchemaChange(ddl::Parse("ALTER TABLE orders ADD INDEX k (id)", "inventory"), *set, "inventory", {}));
	EXPECT_FALSE(PlanSchemaChange(ddl::Parse("DROP TABLE nosuch", "inventory"), *set, "inventory", {}));
}

TEST(SchemaChange, AlterColumns)
{
	auto set = Tables({"CREATE TABLE t1 (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL DEFAULT 'x', b INT)"});
	auto c = Plan(*set, "ALTER TABLE t1 CHANGE b b2 BIGINT, MODIFY a VARCHAR(50) NULL, ADD COLUMN n INT NOT NULL, "
	                    "ADD COLUMN d DATE");
	EXPECT_EQ(Joined(c), "ALTER TABLE \"inventory\".\"t1\" ALTER COLUMN \"a\" TYPE varchar(50) USING \"a\"::varchar(50);\n"
	                     /* MODIFY restates the whole column: no DEFAULT clause drops the default */
	                     "ALTER TABLE \"inventory\".\"t1\" ALTER COLUMN \"a\" DROP DEFAULT;\n"
	                     "ALTER TABLE \"inventory\".\"t1\" ALTER COLUMN \"a\" DROP NOT NULL;\n"
	                     "ALTER TABLE \"inventory\".\"t1\" RENAME COLUMN \"b\" TO \"b2\";\n"
	                     "ALTER TABLE \"inventory\".\"t1\" ALTER COLUMN \"b2\" TYPE bigint USING \"b2\"::bigint;\n"
	                     "ALTER TABLE \"inventory\".\"t1\" ADD COLUMN \"n\" integer NOT NULL DEFAULT 0;\n"
	                     "ALTER TABLE \"inventory\".\"t1\" ALTER COLUMN \"n\" DROP DEFAULT;\n"
	                     "ALTER TABLE \"inventory\".\"t1\" ADD COLUMN \"d\" date;\n")
		<< Joined(c);
	auto d = Plan(*c.tables, "ALTER TABLE t1 DROP COLUMN d, RENAME COLUMN a TO a2");
	EXPECT_EQ(Joined(d), "ALTER TABLE \"inventory\".\"t1\" DROP COLUMN IF EXISTS \"d\";\n"
	                     "ALTER TABLE \"inventory\".\"t1\" RENAME COLUMN \"a\" TO \"a2\";\n")
		<< Joined(d);
}

TEST(SchemaChange, PrimaryKeysAndRenames)
{
	auto set = Tables({"CREATE TABLE t1 (id INT PRIMARY KEY, k INT NOT NULL)"});
	auto c = Plan(*set, "ALTER TABLE t1 DROP PRIMARY KEY, ADD PRIMARY KEY (id, k)");
	std::string sql = Joined(c);
	EXPECT_NE(sql.find("contype = 'p'"), std::string::npos) << sql;
	EXPECT_NE(sql.find("ADD PRIMARY KEY (\"id\", \"k\")"), std::string::npos) << sql;
	auto r = Plan(*c.tables, "RENAME TABLE t1 TO t2");
	EXPECT_EQ(Joined(r), "ALTER TABLE \"inventory\".\"t1\" RENAME TO \"t2\";\n");
	EXPECT_EQ(r.tables->at(0).source.name, "t2");
	auto out = Plan(*r.tables, "RENAME TABLE t2 TO elsewhere.t2");
	EXPECT_EQ(Joined(out), "DROP TABLE IF EXISTS \"inventory\".\"t2\";\n");
	EXPECT_TRUE(out.tables->empty());
	EXPECT_THROW(PlanSchemaChange(ddl::Parse("RENAME TABLE elsewhere.x TO t9", "inventory"), TableSet{}, "inventory", {}),
	             Error);
}

TEST(SchemaChange, QuotedIdentifiers)
{
	auto c = Plan(TableSet{}, "CREATE TABLE `odd \"name\"` (`select` INT PRIMARY KEY)");
	EXPECT_NE(Joined(c).find("\"inventory\".\"odd \"\"name\"\"\" (\"select\" integer NOT NULL"), std::string::npos)
		<< Joined(c);
}

TEST(SchemaHistory, RoundTrip)
{
	auto set = Tables({"CREATE TABLE t1 (id BIGINT UNSIGNED PRIMARY KEY, e ENUM('a','b''c'), d DECIMAL(10,2) DEFAULT 1.5, "
	                   "ts TIMESTAMP(3) NULL, j JSON)"});
	std::vector<mysql::SourceTable> sources{mysql::Native(set->at(0)).table};
	auto back = mysql::TablesFromJson(mysql::TablesToJson(sources));
	ASSERT_EQ(back.size(), 1u);
	EXPECT_EQ(mysql::TablesToJson(back), mysql::TablesToJson(sources));
	EXPECT_EQ(back[0].columns[1].enum_values, (std::vector<std::string>{"a", "b'c"}));
	EXPECT_TRUE(back[0].columns[0].is_unsigned);
	EXPECT_EQ(back[0].primary_key, std::vector<size_t>{0});
	EXPECT_THROW(mysql::TablesFromJson("{}"), Error);
	EXPECT_THROW(mysql::TablesFromJson("[{\"db\":\"x\"}]"), Error);
}
