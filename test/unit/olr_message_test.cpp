/*
 * olr_message_test.cpp
 *     The OLR JSON decoder on every fixture message, on hostile input, and
 *     its speed (compared with core/json.hpp).
 */
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/sources/olr/message.hpp"
#include "olr_test_util.hpp"

using namespace synchdb;
using namespace synchdb::olr;

TEST(OlrMessage, DecodesEveryFixtureMessage)
{
	OLR_REQUIRE_FIXTURES();
	auto cases = olrtest::Cases();
	ASSERT_GE(cases.size(), 22u) << "expected the 23 cases with output.json";
	MessageDecoder dec;
	size_t n = 0, dml = 0;
	for (const auto &c : cases) {
		std::string open_xid;
		for (const auto &l : olrtest::Lines(olrtest::FixtureRoot() + "/" + c + "/output.json")) {
			const Message &m = dec.Decode(l);
			n++;
			ASSERT_TRUE(m.c_scn.has_value()) << c << ": " << l;
			ASSERT_TRUE(m.c_idx.has_value()) << c;
			ASSERT_EQ(m.payload().size(), 1u) << c;
			const Payload &p = m.payload()[0];
			ASSERT_FALSE(m.xid.empty()) << c;
			switch (p.op) {
			case Op::Begin:
				EXPECT_TRUE(open_xid.empty()) << c;
				open_xid = std::string(m.xid);
				EXPECT_TRUE(m.scn.has_value()) << c;
				EXPECT_EQ(*m.scn, *m.c_scn) << c << ": in 1.9.0 c_scn is the begin SCN";
				EXPECT_GT(TimestampUsec(m.tm, 7), 1700000000000000u) << c;
				break;
			case Op::Commit:
				EXPECT_EQ(open_xid, m.xid) << c;
				open_xid.clear();
				break;
			case Op::Insert:
				EXPECT_TRUE(p.has_after && !p.has_before) << c;
				dml++;
				break;
			case Op::Delete:
				EXPECT_TRUE(p.has_before && !p.has_after) << c;
				dml++;
				break;
			case Op::Update:
				EXPECT_TRUE(p.has_before && p.has_after) << c;
				dml++;
				break;
			default: ADD_FAILURE() << c << ": unexpected op " << p.op_text;
			}
			if (p.op == Op::Insert || p.op == Op::Update || p.op == Op::Delete) {
				EXPECT_EQ(p.owner, "OLR_TEST") << c;
				EXPECT_FALSE(p.table.empty()) << c;
				EXPECT_EQ(open_xid, m.xid) << c;
			}
		}
		EXPECT_TRUE(open_xid.empty()) << c << ": transaction left open";
	}
	EXPECT_GT(n, 400u);
	EXPECT_GT(dml, 300u);
}

TEST(OlrMessage, Values)
{
	MessageDecoder dec;
	const Message &m = dec.Decode(
		R"({"scns":"0x0000000000396b7e","tms":"1772311472","c_scn":3763070,"c_idx":2,"xid":"5.8.744","payload":[{"op":"u","schema":{"owner":"OLR_TEST","table":"T"},"before":{"ID":1,"S":"a\"b\\c\n\u00e9\ud83d\ude00","N":99999999999999999999999999999999999999,"Z":null},"after":{"ID":1,"S":"x"}}]})");
	EXPECT_EQ(*m.scn, 0x396b7eu);
	EXPECT_EQ(m.tm.raw, "1772311472");
	const Payload &p = m.payload()[0];
	EXPECT_EQ(p.op, Op::Update);
	ASSERT_EQ(p.before.size(), 4u);
	EXPECT_EQ(p.before[1].name, "S");
	EXPECT_TRUE(p.before[1].value.escaped);
	std::string s;
	AppendUnescaped(s, p.before[1].value);
	EXPECT_EQ(s, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
	EXPECT_EQ(p.before[2].value.kind, JValue::Kind::Number);
	EXPECT_EQ(p.before[2].value.raw, "99999999999999999999999999999999999999");
	EXPECT_TRUE(p.before[3].value.IsNull());
	ASSERT_EQ(p.after.size(), 2u); /* absent columns are not in the image */
}

TEST(OlrMessage, DdlCheckpointAndSchemaColumns)
{
	OLR_REQUIRE_FIXTURES();
	MessageDecoder dec;
	std::string ddl = olrtest::ReadFile(olrtest::FixtureRoot() + "/synchdb-doc-examples/ddl-create-table.json");
	const Message &m = dec.Decode(ddl);
	EXPECT_EQ(*m.scn, 2930816u);
	EXPECT_EQ(m.xid, "0x0008.011.000004c7");
	EXPECT_EQ(m.db, "FREE");
	EXPECT_EQ(m.payload()[0].op, Op::Ddl);
	EXPECT_EQ(*m.payload()[0].obj, 74234u);
	std::string sql;
	AppendUnescaped(sql, m.payload()[0].sql);
	EXPECT_EQ(sql.rfind("CREATE TABLE test_table (\n", 0), 0u);

	std::string ins = olrtest::ReadFile(olrtest::FixtureRoot() + "/synchdb-doc-examples/dml-insert-schema-columns.json");
	const Message &i = dec.Decode(ins);
	const Payload &p = i.payload()[0];
	ASSERT_TRUE(p.has_columns);
	ASSERT_EQ(p.columns.size(), 5u);
	EXPECT_EQ(p.columns[1].name, "ORDER_DATE");
	EXPECT_EQ(p.columns[1].type, "date");
	EXPECT_EQ(*p.columns[0].precision, -1);
	EXPECT_FALSE(p.columns[0].nullable);
	EXPECT_EQ(p.rid, "AAAR6+AAFAAAACGAAA");
	EXPECT_EQ(*p.num, 0u);
	EXPECT_EQ(TimestampUsec(i.tm, 0), 1752686342000000u);

	const Message &c = dec.Decode(
		R"({"scn":5,"tm":1,"c_scn":5,"c_idx":1,"payload":[{"op":"chkpt","seq":12,"offset":4096,"redo":true}]})");
	EXPECT_EQ(c.payload()[0].op, Op::Checkpoint);
	EXPECT_EQ(*c.payload()[0].seq, 12u);
	EXPECT_EQ(*c.payload()[0].offset, 4096u);
	EXPECT_TRUE(c.payload()[0].redo);
	EXPECT_TRUE(c.xid.empty());
}

TEST(OlrMessage, RejectsMalformedInput)
{
	MessageDecoder dec;
	const char *bad[] = {
		"",
		"{",
		"[]",
		"{\"c_scn\":1}",                                       /* no payload */
		"{\"payload\":[{\"op\":\"c\"}]} x",                     /* trailing garbage */
		"{\"payload\":[{}]}",                                   /* no op */
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":01}}]}",  /* leading zero */
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":\"x\x01\"}}]}", /* control character */
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":\"\\q\"}}]}",   /* bad escape */
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":\"\\u12\"}}]}", /* short \\u */
		"{\"c_scn\":-1,\"payload\":[]}",
		"{\"c_scn\":18446744073709551616,\"payload\":[]}",      /* overflow */
		"{\"scns\":\"0xzz\",\"payload\":[]}",
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":tru}}]}",
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":1,}}]}",
		"{\"payload\":[{\"op\":\"c\",\"after\":{\"A\":1},\"after\":{}}]}",
	};
	for (const char *b : bad) {
		try {
			dec.Decode(b);
			ADD_FAILURE() << "accepted: " << b;
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted) << b;
		}
	}
	/* Deep nesting is refused, not a stack overflow. */
	std::string deep = "{\"x\":" + std::string(100000, '[') + "],\"payload\":[]}";
	EXPECT_THROW(dec.Decode(deep), Error);
	/* Unpaired surrogate and NUL are refused when unescaped. */
	const Message &m = dec.Decode(R"({"payload":[{"op":"c","after":{"A":"\ud800x","B":"\u0000"}}]})");
	std::string s;
	EXPECT_THROW(AppendUnescaped(s, m.payload()[0].after[0].value), Error);
	EXPECT_THROW(AppendUnescaped(s, m.payload()[0].after[1].value), Error);
}

TEST(OlrMessage, Speed)
{
	OLR_REQUIRE_FIXTURES();
	std::vector<std::string> all;
	size_t bytes = 0;
	for (const auto &c : olrtest::Cases())
		for (auto &l : olrtest::Lines(olrtest::FixtureRoot() + "/" + c + "/output.json")) {
			bytes += l.size();
			all.push_back(std::move(l));
		}
	ASSERT_FALSE(all.empty());
	MessageDecoder dec;
	const int reps = 200;
	size_t cols = 0;
	auto t0 = std::chrono::steady_clock::now();
	for (int r = 0; r < reps; r++)
		for (const auto &l : all) {
			const auto &m = dec.Decode(l);
			cols += m.payload()[0].after.size() + m.payload()[0].before.size();
		}
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	double rate = all.size() * reps / s;

	const int reps2 = 20;
	auto t1 = std::chrono::steady_clock::now();
	for (int r = 0; r < reps2; r++)
		for (const auto &l : all)
			cols += json::Parse(l).Members().size();
	double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
	double rate2 = all.size() * reps2 / s2;
	printf("[ OLR speed ] %zu fixture messages (%.0f bytes avg): decoder %.0f msg/s (%.1f MB/s); core json::Parse %.0f "
	       "msg/s\n",
	       all.size(), double(bytes) / all.size(), rate, bytes * reps / s / 1e6, rate2);
	RecordProperty("decoder_msgs_per_s", static_cast<int>(rate));
	RecordProperty("core_json_msgs_per_s", static_cast<int>(rate2));
	EXPECT_GT(cols, 0u);
	/* A loose floor: shared CI machines vary; the target is several hundred thousand per second. */
	EXPECT_GT(rate, 50000.0);
}
