/* Unit tests of ChangeBuilder: captured binlogs to change messages, as the reader thread produces them. */
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/sources/mysql/binlog/file_reader.hpp"
#include "core/sources/mysql/position.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/sources/mysql/change_builder.hpp"

using namespace synchdb;

namespace {

std::string Fixture(const std::string &name)
{
	const char *dir = std::getenv("SYNCHDB_FIXTURES");
	return std::string(dir ? dir : "test/fixtures") + "/mysql-binlogs/" + name;
}

mysql::SourceColumn Column(const std::string &name, const std::string &type)
{
	mysql::SourceColumn c;
	c.name = name;
	c.data_type = type;
	c.column_type = type;
	return c;
}

/* The first table map of a file: schema, table and column count. */
std::tuple<std::string, std::string, size_t> FirstTable(const std::string &file)
{
	binlog::FileReader reader(Fixture(file));
	binlog::Event ev;
	while (reader.Next(ev))
		if (const auto *tm = ev.As<binlog::TableMapEvent>())
			return {tm->table->schema, tm->table->table, tm->table->columns.size()};
	return {};
}

/* The column names the first table map of a file carries ("" where it has none). */
std::vector<std::string> ColumnNames(const std::string &file)
{
	binlog::FileReader reader(Fixture(file));
	binlog::Event ev;
	std::vector<std::string> names;
	while (reader.Next(ev))
		if (const auto *tm = ev.As<binlog::TableMapEvent>()) {
			for (const auto &c : tm->table->columns)
				names.push_back(c.name);
			break;
		}
	return names;
}

struct Collected {
	std::vector<Msg> msgs;
	int flushes = 0;
};

Collected Replay(const std::string &file, std::shared_ptr<const TableSet> tables, const std::string &db)
{
	Collected out;
	mysql::ChangeBuilder b(tables, db, {}, "test", mysql::BinlogPosition{"binlog.000001", 4, "", 0, 0},
	                       [&](Msg &&m, bool flush) {
		                       out.msgs.push_back(std::move(m));
		                       out.flushes += flush;
	                       });
	binlog::FileReader reader(Fixture(file));
	binlog::Event ev;
	while (reader.Next(ev))
		if (!ev.in_payload) /* the builder opens payloads itself, as in the stream */
			b.OnEvent(ev, reader.GetDecoder());
	return out;
}

}  // namespace

TEST(ChangeBuilder, MysqlCompressedTransactionBecomesOneInsertAndACommit)
{
	auto [db, table, ncols] = FirstTable("transaction_compression.000001");
	ASSERT_EQ(table, "tb1");
	ASSERT_EQ(ncols, 1u);
	mysql::SourceTable t;
	t.db = db;
	t.name = table;
	t.columns = {Column("a", "int")};
	auto set = mysql::MakeTables({t});
	Collected c = Replay("transaction_compression.000001", set, db);

	std::vector<const msg::Change *> changes;
	std::vector<const msg::Commit *> commits;
	for (const Msg &m : c.msgs) {
		if (const auto *ch = std::get_if<msg::Change>(&m))
			changes.push_back(ch);
		if (const auto *co = std::get_if<msg::Commit>(&m))
			commits.push_back(co);
	}
	ASSERT_EQ(changes.size(), 1u);
	EXPECT_EQ(changes[0]->kind, ChangeKind::Insert);
	ASSERT_EQ(changes[0]->after.fields.size(), 1u);
	EXPECT_EQ(changes[0]->after.Get(0), "1");
	ASSERT_GE(commits.size(), 1u);
	/* The commit after the insert points past the whole payload event. */
	const msg::Commit *after_insert = nullptr;
	bool seen_insert = false;
	for (const Msg &m : c.msgs) {
		if (std::get_if<msg::Change>(&m) == changes[0])
			seen_insert = true;
		else if (seen_insert && std::holds_alternative<msg::Commit>(m)) {
			after_insert = &std::get<msg::Commit>(m);
			break;
		}
	}
	ASSERT_NE(after_insert, nullptr);
	EXPECT_GT(mysql::BinlogPosition::FromOffsetJson(after_insert->pos.offset).pos, 274u);
	EXPECT_EQ(mysql::BinlogPosition::FromOffsetJson(after_insert->pos.offset).file, "binlog.000001");
}

TEST(ChangeBuilder, TablesNotReplicatedAreSkipped)
{
	auto [db, table, ncols] = FirstTable("transaction_compression.000001");
	mysql::SourceTable t;
	t.db = db;
	t.name = "some_other_table";
	t.columns = {Column("a", "int")};
	Collected c = Replay("transaction_compression.000001", mysql::MakeTables({t}), db);
	for (const Msg &m : c.msgs)
		EXPECT_FALSE(std::holds_alternative<msg::Change>(m));
}

TEST(ChangeBuilder, ChangedShapeIsAClearError)
{
	auto [db, table, ncols] = FirstTable("transaction_compression.000001");
	mysql::SourceTable t;
	t.db = db;
	t.name = table;
	t.columns = {Column("a", "int"), Column("b", "int")};
	try {
		Replay("transaction_compression.000001", mysql::MakeTables({t}), db);
		FAIL() << "expected an error";
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), "0A000");
		EXPECT_NE(std::string(e.what()).find("now has 1 columns, 2 when the connector started"), std::string::npos)
			<< e.what();
	}
}

TEST(ChangeBuilder, MariadbFileWithGtidsAndRowsEvents)
{
	auto [db, table, ncols] = FirstTable("mariadb-bin.000001");
	ASSERT_FALSE(table.empty());
	mysql::SourceTable t;
	t.db = db;
	t.name = table;
	/* The file's table map names its columns (binlog_row_metadata=FULL): track them under those names. */
	const std::vector<std::string> names = ColumnNames("mariadb-bin.000001");
	for (size_t i = 0; i < ncols; i++)
		t.columns.push_back(Column(i < names.size() && !names[i].empty() ? names[i] : "c" + std::to_string(i), "text"));
	/* Whatever the column types, text conversion must not fail on this file; commits carry GTIDs. */
	Collected c;
	try {
		c = Replay("mariadb-bin.000001", mysql::MakeTables({t}), db);
	} catch (const Error &e) {
		GTEST_SKIP() << "columns are not all text-convertible: " << e.what();
	}
	bool gtid = false;
	for (const Msg &m : c.msgs)
		if (const auto *co = std::get_if<msg::Commit>(&m);
		    co && !mysql::BinlogPosition::FromOffsetJson(co->pos.offset).gtid.empty())
			gtid = true;
	EXPECT_TRUE(gtid);
	EXPECT_GT(c.flushes, 0);
}

namespace {

binlog::Event QueryEv(const std::string &schema, const std::string &sql, uint32_t next_pos)
{
	binlog::Event e;
	e.header.type_code = static_cast<uint8_t>(binlog::EventType::kQuery);
	e.header.log_pos = next_pos;
	e.header.server_id = 1;
	binlog::QueryEvent q;
	q.schema = schema;
	q.query = sql;
	e.data = q;
	return e;
}

}  // namespace

TEST(ChangeBuilder, DdlBecomesASchemaChangeAndUnknownDdlIsCounted)
{
	std::vector<Msg> msgs;
	auto empty = std::make_shared<const TableSet>();
	mysql::ChangeBuilder b(empty, "inventory", {}, "test", mysql::BinlogPosition{"binlog.000001", 4, "", 0, 0},
	                       [&](Msg &&m, bool) { msgs.push_back(std::move(m)); });
	binlog::Decoder d;
	b.OnEvent(QueryEv("inventory", "CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(5))", 100), d);
	ASSERT_GE(msgs.size(), 2u);
	const auto *ddl = std::get_if<msg::SchemaChange>(&msgs[0]);
	ASSERT_NE(ddl, nullptr);
	ASSERT_EQ(ddl->tables->size(), 1u);
	EXPECT_EQ(ddl->tables->at(0).source.name, "t1");
	const auto *commit = std::get_if<msg::Commit>(&msgs[1]); /* a DDL statement is its own transaction */
	ASSERT_NE(commit, nullptr);
	EXPECT_EQ(mysql::BinlogPosition::FromOffsetJson(commit->pos.offset).pos, 100u);

	msgs.clear();
	b.OnEvent(QueryEv("inventory", "ALTER TABLE t1 FROBNICATE EVERYTHING", 200), d);
	ASSERT_GE(msgs.size(), 2u);
	const auto *notice = std::get_if<msg::Notice>(&msgs[0]);
	ASSERT_NE(notice, nullptr);
	EXPECT_EQ(notice->kind, NoticeKind::DdlSkipped); /* counted as a DDL statement passed over */
	EXPECT_NE(notice->text.find("binlog.000001:200"), std::string::npos) << notice->text;

	msgs.clear();
	b.OnEvent(QueryEv("otherdb", "CREATE TABLE x (id INT)", 300), d);
	ASSERT_EQ(msgs.size(), 1u); /* another database: only the commit that advances the position */
	EXPECT_TRUE(std::holds_alternative<msg::Commit>(msgs[0]));
}
