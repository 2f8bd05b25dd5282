/*
 * schema_live_test.cpp
 *     ReadSourceTables and the snapshot conversions against a real server.
 *
 * NOTES
 *   Runs only when SYNCHDB_TEST_MYSQL_PORT is set (a MariaDB or MySQL on
 *   127.0.0.1); otherwise every test is skipped.  The user comes from
 *   SYNCHDB_TEST_MYSQL_USER / SYNCHDB_TEST_MYSQL_PASSWORD (default root
 *   with no password) and needs CREATE and DROP: the test creates and
 *   drops the database synchdb_schema_live_test.
 *
 *     bash scripts/mariadb.sh start
 *     SYNCHDB_TEST_MYSQL_PORT=33306 SYNCHDB_TEST_MYSQL_USER=u \
 *       SYNCHDB_TEST_MYSQL_PASSWORD=p make unittest
 */
#include <gtest/gtest.h>

#include <mysql.h>

#include <cstdlib>
#include <memory>

#include "core/error.hpp"
#include "core/sources/mysql/schema.hpp"
#include "core/sources/mysql/pgtext.hpp"

using namespace synchdb;
using namespace synchdb::mysql;

namespace {

const char *kDb = "synchdb_schema_live_test";

std::unique_ptr<Connection> Connect()
{
	const char *port = std::getenv("SYNCHDB_TEST_MYSQL_PORT");
	if (!port || !*port)
		return nullptr;
	Endpoint ep;
	ep.connector = "schema_live_test";
	ep.host = "127.0.0.1";
	ep.port = std::atoi(port);
	const char *user = std::getenv("SYNCHDB_TEST_MYSQL_USER");
	const char *pw = std::getenv("SYNCHDB_TEST_MYSQL_PASSWORD");
	ep.user = user && *user ? user : "root";
	ep.password = pw ? pw : "";
	return std::make_unique<Connection>(ep);
}

class SchemaLive : public ::testing::Test {
protected:
	void SetUp() override
	{
		conn_ = Connect();
		if (!conn_)
			GTEST_SKIP() << "SYNCHDB_TEST_MYSQL_PORT is not set";
		conn_->Query(std::string("DROP DATABASE IF EXISTS ") + kDb);
		conn_->Query(std::string("CREATE DATABASE ") + kDb + " CHARACTER SET utf8mb4");
		conn_->Query(std::string("USE ") + kDb);
		conn_->Query("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'");
		conn_->Query("CREATE TABLE t1 ("
					 " id INT UNSIGNED AUTO_INCREMENT,"
					 " k2 VARCHAR(10) NOT NULL DEFAULT 'it''s',"
					 " ti TINYINT(1) DEFAULT 1,"
					 " ub BIGINT UNSIGNED,"
					 " dc DECIMAL(10,2) DEFAULT -1.50,"
					 " f FLOAT, d DOUBLE,"
					 " b1 BIT(1) DEFAULT b'1', b5 BIT(5) DEFAULT b'101', b64 BIT(64),"
					 " dt DATETIME(3), ts TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6), tm TIME(2), dd DATE,"
					 " y YEAR, c0 CHAR(0), c3 CHAR(3), lat VARCHAR(5) CHARACTER SET latin1,"
					 " e ENUM('a','it''s','x\\\\y') DEFAULT 'it''s', s SET('p','q'),"
					 " bn BINARY(2), vb VARBINARY(4), j JSON, g POINT,"
					 " gen INT AS (ti * 2) VIRTUAL,"
					 " PRIMARY KEY (k2, id), KEY (id))");
		conn_->Query("CREATE TABLE a_no_pk (x INT)");
		conn_->Query("CREATE VIEW v1 AS SELECT x FROM a_no_pk");
	}

	void TearDown() override
	{
		if (conn_)
			conn_->Query(std::string("DROP DATABASE IF EXISTS ") + kDb);
	}

	const SourceColumn &ColumnOf(const SourceTable &t, const std::string &name)
	{
		for (const SourceColumn &c : t.columns)
			if (c.name == name)
				return c;
		ADD_FAILURE() << "no column " << name;
		return t.columns.at(0);
	}

	std::unique_ptr<Connection> conn_;
};

}  // namespace

TEST_F(SchemaLive, ReadsTablesColumnsKeysAndDefaults)
{
	std::vector<SourceTable> tables = ReadSourceTables(*conn_, kDb, {});
	ASSERT_EQ(tables.size(), 2u); /* not the view */
	EXPECT_EQ(tables[0].name, "a_no_pk");
	EXPECT_TRUE(tables[0].primary_key.empty());
	const SourceTable &t = tables[1];
	EXPECT_EQ(t.name, "t1");
	EXPECT_EQ(t.db, kDb);
	ASSERT_EQ(t.columns.size(), 25u);
	EXPECT_EQ(t.columns[0].name, "id");
	EXPECT_EQ(t.columns[24].name, "gen");
	EXPECT_EQ(t.primary_key, (std::vector<size_t>{1, 0}));

	const SourceColumn &id = t.columns[0];
	EXPECT_TRUE(id.auto_increment);
	EXPECT_TRUE(id.is_unsigned);
	EXPECT_FALSE(id.nullable);
	EXPECT_EQ(DefaultPgType(id).sql, "bigint");

	const SourceColumn &k2 = ColumnOf(t, "k2");
	EXPECT_EQ(k2.char_max_length, 10);
	EXPECT_EQ(k2.charset, "utf8mb4");
	EXPECT_EQ(PgDefaultExpression(k2, DefaultPgType(k2)), "'it''s'");

	EXPECT_EQ(DefaultPgType(ColumnOf(t, "ti")).sql, "smallint");
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "ub")).sql, "numeric(20,0)");
	const SourceColumn &dc = ColumnOf(t, "dc");
	EXPECT_EQ(DefaultPgType(dc).sql, "numeric(10,2)");
	EXPECT_EQ(PgDefaultExpression(dc, DefaultPgType(dc)), "-1.50");
	const SourceColumn &b1 = ColumnOf(t, "b1");
	EXPECT_EQ(DefaultPgType(b1).sql, "boolean");
	EXPECT_EQ(PgDefaultExpression(b1, DefaultPgType(b1)), "true");
	const SourceColumn &b5 = ColumnOf(t, "b5");
	EXPECT_EQ(DefaultPgType(b5).sql, "bit(5)");
	EXPECT_EQ(PgDefaultExpression(b5, DefaultPgType(b5)), "B'00101'");
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "dt")).sql, "timestamp(3) without time zone");
	const SourceColumn &ts = ColumnOf(t, "ts");
	EXPECT_EQ(DefaultPgType(ts).sql, "timestamp(6) with time zone");
	EXPECT_EQ(PgDefaultExpression(ts, DefaultPgType(ts)), "CURRENT_TIMESTAMP");
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "tm")).sql, "time(2) without time zone");
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "c0")).sql, "varchar(1)");
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "c3")).sql, "char(3)");
	EXPECT_EQ(ColumnOf(t, "lat").charset, "latin1");
	const SourceColumn &e = ColumnOf(t, "e");
	EXPECT_EQ(e.enum_values, (std::vector<std::string>{"a", "it's", "x\\y"}));
	EXPECT_EQ(PgDefaultExpression(e, DefaultPgType(e)), "'it''s'");
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "j")).sql, "jsonb"); /* MySQL json, or MariaDB's longtext + CHECK */
	EXPECT_EQ(DefaultPgType(ColumnOf(t, "g")).sql, "bytea");
	EXPECT_TRUE(ColumnOf(t, "gen").generated);
	EXPECT_FALSE(ColumnOf(t, "dc").generated);
}

TEST_F(SchemaLive, Filter)
{
	std::vector<SourceTable> tables = ReadSourceTables(*conn_, kDb, {TableName{kDb, "", "t1"}});
	ASSERT_EQ(tables.size(), 1u);
	EXPECT_EQ(tables[0].name, "t1");
	EXPECT_EQ(tables[0].columns.size(), 25u);
	try {
		ReadSourceTables(*conn_, kDb, {TableName{kDb, "", "v1"}});
		FAIL() << "a view was accepted";
	} catch (const Error &err) {
		EXPECT_EQ(err.sqlstate(), "42P01");
		EXPECT_STREQ(err.message(),
					 "table \"synchdb_schema_live_test.v1\" does not exist on the source server");
	}
	EXPECT_THROW(ReadSourceTables(*conn_, kDb, {TableName{kDb, "", "T1"}}), Error);
	EXPECT_TRUE(ReadSourceTables(*conn_, "synchdb_no_such_db", {}).empty());
}

TEST_F(SchemaLive, SnapshotRowsConvert)
{
	conn_->Query("INSERT INTO t1 (k2, ti, ub, dc, f, d, b1, b5, b64, dt, ts, tm, dd, y, c0, c3, lat, e, s, bn, vb, j, g)"
				 " VALUES ('', 2, 18446744073709551615, -12345678.91, 0.1, 1e300, b'0', b'00011',"
				 " 18446744073709551615, '0999-01-02 03:04:05.120', '2038-01-19 03:14:07.000001', '24:00:00.00',"
				 " '2024-02-29', 1901, '', 'NUL', 'caf\xC3\xA9\xE2\x82\xAC', 'x\\\\y', 'p,q', x'00ff', '', '{\"a\": null}',"
				 " ST_GeomFromText('POINT(1 2)', 4326))");
	conn_->Query("INSERT INTO t1 (k2, dd, tm) VALUES ('NULL', '0000-00-00', '-01:00:00')");

	std::vector<SourceTable> tables = ReadSourceTables(*conn_, kDb, {TableName{kDb, "", "t1"}});
	ASSERT_EQ(tables.size(), 1u);
	const SourceTable &t = tables[0];
	std::string select = "SELECT ";
	std::vector<ColumnConversion> convs;
	for (size_t i = 0; i < t.columns.size(); i++) {
		select += (i ? ", " : "") + SnapshotSelectExpr(t.columns[i]);
		convs.push_back(MakeConversion(t, i, DefaultPgType(t.columns[i])));
	}
	select += std::string(" FROM ") + kDb + ".t1 ORDER BY id";

	MYSQL *m = conn_->raw();
	ASSERT_EQ(mysql_query(m, select.c_str()), 0) << mysql_error(m);
	MYSQL_RES *res = mysql_store_result(m);
	ASSERT_NE(res, nullptr);
	std::vector<std::vector<std::optional<std::string>>> rows;
	std::vector<std::string> errors;
	while (MYSQL_ROW row = mysql_fetch_row(res)) {
		unsigned long *lengths = mysql_fetch_lengths(res);
		std::vector<std::optional<std::string>> out_row;
		for (size_t i = 0; i < convs.size(); i++) {
			std::string out;
			try {
				if (SnapshotValueToPgText(row[i], lengths[i], convs[i], out))
					out_row.emplace_back(out);
				else
					out_row.emplace_back(std::nullopt);
			} catch (const Error &e) {
				errors.push_back(e.message());
				out_row.emplace_back("ERROR");
			}
		}
		rows.push_back(std::move(out_row));
	}
	mysql_free_result(res);
	ASSERT_EQ(rows.size(), 2u);

	auto at = [&](size_t r, const std::string &name) -> std::optional<std::string> {
		for (size_t i = 0; i < t.columns.size(); i++)
			if (t.columns[i].name == name)
				return rows[r][i];
		return "no such column";
	};
	EXPECT_EQ(at(0, "k2"), "");
	EXPECT_EQ(at(0, "ti"), "2");
	EXPECT_EQ(at(0, "ub"), "18446744073709551615");
	EXPECT_EQ(at(0, "dc"), "-12345678.91");
	EXPECT_EQ(at(0, "f"), "0.1");
	EXPECT_EQ(at(0, "d"), "1e300");
	EXPECT_EQ(at(0, "b1"), "f");
	EXPECT_EQ(at(0, "b5"), "00011");
	EXPECT_EQ(at(0, "b64"), std::string(64, '1'));
	EXPECT_EQ(at(0, "dt"), "0999-01-02 03:04:05.120");
	EXPECT_EQ(at(0, "ts"), "2038-01-19 03:14:07.000001+00");
	EXPECT_EQ(at(0, "tm"), "24:00:00.00");
	EXPECT_EQ(at(0, "dd"), "2024-02-29");
	EXPECT_EQ(at(0, "y"), "1901");
	EXPECT_EQ(at(0, "c0"), "");
	EXPECT_EQ(at(0, "c3"), "NUL");
	EXPECT_EQ(at(0, "lat"), "caf\xC3\xA9\xE2\x82\xAC");
	EXPECT_EQ(at(0, "e"), "x\\y");
	EXPECT_EQ(at(0, "s"), "p,q");
	EXPECT_EQ(at(0, "bn"), "\\x00ff");
	EXPECT_EQ(at(0, "vb"), "\\x");
	EXPECT_EQ(at(0, "g"), "\\x0101000000000000000000f03f0000000000000040");
	EXPECT_EQ(at(0, "gen"), "4");
	EXPECT_EQ(at(1, "k2"), "NULL");
	EXPECT_EQ(at(1, "ub"), std::nullopt);
	EXPECT_EQ(at(1, "dd"), "ERROR");
	EXPECT_EQ(at(1, "tm"), "ERROR");
	ASSERT_EQ(errors.size(), 2u);
	EXPECT_EQ(errors[0], "value \"-01:00:00.00\" of column \"tm\" of table \"synchdb_schema_live_test.t1\" cannot "
						 "be represented in PostgreSQL type time without time zone");
	EXPECT_EQ(errors[1], "value \"0000-00-00\" of column \"dd\" of table \"synchdb_schema_live_test.t1\" cannot be "
						 "represented in PostgreSQL type date");
}
