/* Unit tests of MySQL/MariaDB positions: offset JSON, GTID-only positions, MariaDB GTID lists. */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sources/mysql/position.hpp"

using namespace synchdb;
using mysql::BinlogPosition;

namespace {

std::string ErrorOf(std::string_view json)
{
	try {
		BinlogPosition::FromOffsetJson(json);
	} catch (const Error &e) {
		return e.what();
	}
	return "";
}

}  // namespace

TEST(MariaGtidList, ParsesDomainsAndRefusesJunk)
{
	auto l = mysql::ParseMariaGtidList("0-1-42, 1-5-7");
	ASSERT_TRUE(l);
	ASSERT_EQ(l->size(), 2u);
	EXPECT_EQ((*l)[0].ToString(), "0-1-42");
	EXPECT_EQ((*l)[1].domain, 1u);
	EXPECT_EQ((*l)[1].server, 5u);
	EXPECT_EQ((*l)[1].seq, 7u);
	EXPECT_TRUE(mysql::ParseMariaGtidList("")->empty());
	EXPECT_FALSE(mysql::ParseMariaGtidList("0-1"));
	EXPECT_FALSE(mysql::ParseMariaGtidList("0-1-42,"));
	EXPECT_FALSE(mysql::ParseMariaGtidList("0-1-42 0-1-43"));
	EXPECT_FALSE(mysql::ParseMariaGtidList("0-1-42,0-2-43")) << "one GTID per domain";
	EXPECT_FALSE(mysql::ParseMariaGtidList("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"));
	EXPECT_FALSE(mysql::ParseMariaGtidList("-1-1-1"));
}

TEST(MariaGtidList, MergeReplacesTheDomainEntry)
{
	EXPECT_EQ(mysql::MergeMariaGtid("", {0, 1, 1}), "0-1-1");
	EXPECT_EQ(mysql::MergeMariaGtid("0-1-41", {0, 1, 42}), "0-1-42");
	EXPECT_EQ(mysql::MergeMariaGtid("0-1-41,1-2-9", {1, 3, 10}), "0-1-41,1-3-10");
	EXPECT_EQ(mysql::MergeMariaGtid("0-1-41", {2, 1, 5}), "0-1-41,2-1-5");
	/* A failover: the domain's next GTIDs come from the promoted server. */
	EXPECT_EQ(mysql::MergeMariaGtid("0-1-41", {0, 2, 42}), "0-2-42");
	/* A MySQL GTID (another source's form) is replaced, not mixed in. */
	EXPECT_EQ(mysql::MergeMariaGtid("3E11FA47-71CA-11E1-9E33-C80AA9429562:5", {0, 1, 1}), "0-1-1");
}

TEST(BinlogPositionJson, RoundTripsFileServerAndGtids)
{
	BinlogPosition p;
	p.file = "mysql-bin.000003";
	p.pos = 1234;
	p.gtid = "0-1-42,1-1-7";
	p.server_id = 1;
	p.file_server_id = 2;
	const std::string json = p.ToOffsetJson();
	EXPECT_NE(json.find("\"file_server_id\":2"), std::string::npos) << json;
	BinlogPosition q = BinlogPosition::FromOffsetJson(json);
	EXPECT_EQ(q.file, p.file);
	EXPECT_EQ(q.pos, p.pos);
	EXPECT_EQ(q.gtid, p.gtid);
	EXPECT_EQ(q.file_server_id, 2u);
	EXPECT_FALSE(q.inside_transaction);
	/* Positions written before file_server_id existed: unknown (0). */
	EXPECT_EQ(BinlogPosition::FromOffsetJson(R"({"file":"f.000001","pos":4})").file_server_id, 0u);
}

TEST(BinlogPositionJson, GtidOnlyPositions)
{
	BinlogPosition p = BinlogPosition::FromOffsetJson(R"({"gtids":"0-1-42"})");
	EXPECT_TRUE(p.Valid());
	EXPECT_FALSE(p.HasFile());
	EXPECT_EQ(p.gtid, "0-1-42");
	EXPECT_EQ(p.ToPosition().label, "GTID position 0-1-42");
	/* Written back without file and pos, read back the same. */
	EXPECT_EQ(BinlogPosition::FromOffsetJson(p.ToOffsetJson()).gtid, "0-1-42");
	EXPECT_NE(ErrorOf(R"({"gtids":"0-1"})").find("MariaDB GTID list"), std::string::npos);
	EXPECT_NE(ErrorOf(R"({"gtids":"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"})").find("MySQL GTID set"),
	          std::string::npos);
	EXPECT_NE(ErrorOf(R"({"gtids":"0-1-42","pos":5})").find("no \"file\""), std::string::npos);
	EXPECT_NE(ErrorOf(R"({"pos":5})").find("nor \"gtids\""), std::string::npos);
	EXPECT_NE(ErrorOf(R"([1])").find("not a JSON object"), std::string::npos);
	/* A file position may carry a MySQL GTID, as the view shows it. */
	EXPECT_EQ(ErrorOf(R"({"file":"b.000001","pos":4,"gtids":"3E11FA47-71CA-11E1-9E33-C80AA9429562:5"})"), "");
}

TEST(BinlogPositionJson, RowOrEventMarksAPointInsideATransaction)
{
	EXPECT_TRUE(BinlogPosition::FromOffsetJson(R"({"file":"b.000001","pos":4,"row":2,"event":0})").inside_transaction);
	EXPECT_TRUE(BinlogPosition::FromOffsetJson(R"({"file":"b.000001","pos":4,"event":1})").inside_transaction);
	EXPECT_FALSE(BinlogPosition::FromOffsetJson(R"({"file":"b.000001","pos":4,"row":0,"event":0})").inside_transaction);
}
