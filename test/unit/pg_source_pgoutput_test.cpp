/*
 * pg_source_pgoutput_test.cpp
 *     The pgoutput v1 decoder and the replication CopyData wrapping on
 *     hand-built byte strings: every message kind, then truncated and
 *     damaged input (must throw synchdb::Error XX001, never crash).
 */
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/error.hpp"
#include "core/sources/postgres/pgoutput.hpp"

using namespace synchdb;
using namespace synchdb::pgsrc;

namespace {

/* Builds wire bytes. */
struct B {
	std::string s;
	B &c(char v)
	{
		s.push_back(v);
		return *this;
	}
	B &u16(uint16_t v)
	{
		s.push_back(static_cast<char>(v >> 8));
		s.push_back(static_cast<char>(v));
		return *this;
	}
	B &u32(uint32_t v)
	{
		for (int i = 3; i >= 0; --i)
			s.push_back(static_cast<char>(v >> (8 * i)));
		return *this;
	}
	B &u64(uint64_t v)
	{
		for (int i = 7; i >= 0; --i)
			s.push_back(static_cast<char>(v >> (8 * i)));
		return *this;
	}
	B &str(const std::string &v)
	{
		s += v;
		s.push_back('\0');
		return *this;
	}
	B &text(const std::string &v)
	{
		c('t').u32(static_cast<uint32_t>(v.size()));
		s += v;
		return *this;
	}
};

std::string Relation()
{
	B b;
	b.c('R').u32(16390).str("public").str("t\"x").c('f').u16(3);
	b.c(1).str("id").u32(23).u32(0xffffffff);
	b.c(0).str("name").u32(1043).u32(24);
	b.c(0).str("note").u32(25).u32(0xffffffff);
	return b.s;
}

std::string Update()
{
	B b;
	b.c('U').u32(16390).c('O').u16(3).text("1").c('n').text("a\nb");
	b.c('N').u16(3).text("1").text("x'y\\z").c('u');
	return b.s;
}

std::vector<std::string> AllMessages()
{
	std::vector<std::string> v;
	v.push_back(B().c('B').u64(0x100).u64(12345).u32(777).s);
	v.push_back(B().c('C').c(0).u64(0x100).u64(0x180).u64(12345).s);
	v.push_back(B().c('O').u64(0x100).str("origin1").s);
	v.push_back(Relation());
	v.push_back(B().c('Y').u32(16400).str("public").str("mood").s);
	v.push_back(B().c('I').u32(16390).c('N').u16(3).text("1").c('n').text("").s);
	v.push_back(Update());
	v.push_back(B().c('D').u32(16390).c('K').u16(3).text("1").c('n').c('n').s);
	v.push_back(B().c('T').u32(2).c(3).u32(16390).u32(16391).s);
	v.push_back(B().c('M').c(1).u64(0x200).str("pfx").u32(3).s + "abc");
	return v;
}

void ExpectCorrupt(const std::string &buf)
{
	try {
		(void)DecodePgOutput(buf);
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted) << e.what();
		return;
	}
	ADD_FAILURE() << "no error for " << buf.size() << " bytes";
}

}  // namespace

TEST(PgOutput, Lsn)
{
	EXPECT_EQ(FormatLsn(0x16B374D848ULL), "16/B374D848");
	EXPECT_EQ(ParseLsn("16/B374D848"), 0x16B374D848ULL);
	EXPECT_EQ(ParseLsn("0/0"), 0u);
	EXPECT_EQ(ParseLsn("FFFFFFFF/FFFFFFFF"), ~0ULL);
	for (const char *bad : {"", "/", "1/", "/1", "x/1", "1/1/1", "123456789/0", "1 /2"})
		EXPECT_THROW(ParseLsn(bad), Error) << bad;
}

TEST(PgOutput, BeginCommitOrigin)
{
	auto b = std::get<BeginMsg>(DecodePgOutput(AllMessages()[0]));
	EXPECT_EQ(b.final_lsn, 0x100u);
	EXPECT_EQ(b.commit_time, 12345);
	EXPECT_EQ(b.xid, 777u);
	auto c = std::get<CommitMsg>(DecodePgOutput(AllMessages()[1]));
	EXPECT_EQ(c.commit_lsn, 0x100u);
	EXPECT_EQ(c.end_lsn, 0x180u);
	auto o = std::get<OriginMsg>(DecodePgOutput(AllMessages()[2]));
	EXPECT_EQ(o.name, "origin1");
}

TEST(PgOutput, RelationAndType)
{
	auto r = std::get<RelationMsg>(DecodePgOutput(Relation()));
	EXPECT_EQ(r.relid, 16390u);
	EXPECT_EQ(r.nspname, "public");
	EXPECT_EQ(r.relname, "t\"x");
	EXPECT_EQ(r.replident, 'f');
	ASSERT_EQ(r.columns.size(), 3u);
	EXPECT_TRUE(r.columns[0].key);
	EXPECT_EQ(r.columns[0].type_oid, 23u);
	EXPECT_EQ(r.columns[0].typmod, -1);
	EXPECT_EQ(r.columns[1].name, "name");
	EXPECT_EQ(r.columns[1].typmod, 24);
	auto y = std::get<TypeMsg>(DecodePgOutput(AllMessages()[4]));
	EXPECT_EQ(y.oid, 16400u);
	EXPECT_EQ(y.name, "mood");
	/* empty namespace = pg_catalog */
	auto r2 = std::get<RelationMsg>(DecodePgOutput(B().c('R').u32(1).str("").str("x").c('d').u16(0).s));
	EXPECT_EQ(r2.nspname, "pg_catalog");
}

TEST(PgOutput, RowMessages)
{
	/* Tuple values are views into the message: keep each buffer alive while its values are read. */
	const std::vector<std::string> all = AllMessages();
	auto i = std::get<InsertMsg>(DecodePgOutput(all[5]));
	ASSERT_EQ(i.new_tuple.columns.size(), 3u);
	EXPECT_EQ(i.new_tuple.columns[0].kind, TupleColumn::Kind::Text);
	EXPECT_EQ(i.new_tuple.columns[1].kind, TupleColumn::Kind::Null);
	EXPECT_EQ(i.new_tuple.columns[2].kind, TupleColumn::Kind::Text);
	EXPECT_EQ(i.new_tuple.columns[2].value, "");

	const std::string update = Update();
	auto u = std::get<UpdateMsg>(DecodePgOutput(update));
	EXPECT_EQ(u.old_kind, 'O');
	ASSERT_TRUE(u.old_tuple);
	EXPECT_EQ(u.old_tuple->columns[2].value, "a\nb");
	EXPECT_EQ(u.new_tuple.columns[1].value, "x'y\\z");
	EXPECT_EQ(u.new_tuple.columns[2].kind, TupleColumn::Kind::UnchangedToast);

	const std::string update2 = B().c('U').u32(5).c('N').u16(1).text("v").s;
	auto u2 = std::get<UpdateMsg>(DecodePgOutput(update2));
	EXPECT_EQ(u2.old_kind, 0);
	EXPECT_FALSE(u2.old_tuple);

	auto d = std::get<DeleteMsg>(DecodePgOutput(all[7]));
	EXPECT_EQ(d.old_kind, 'K');
	EXPECT_EQ(d.old_tuple.columns.size(), 3u);

	auto t = std::get<TruncateMsg>(DecodePgOutput(AllMessages()[8]));
	EXPECT_TRUE(t.cascade);
	EXPECT_TRUE(t.restart_identity);
	EXPECT_EQ(t.relids, (std::vector<uint32_t>{16390, 16391}));

	auto m = std::get<LogicalMsg>(DecodePgOutput(AllMessages()[9]));
	EXPECT_TRUE(m.transactional);
	EXPECT_EQ(m.prefix, "pfx");
	EXPECT_EQ(m.content, "abc");
}

TEST(PgOutput, CopyWrapping)
{
	std::string w = B().c('w').u64(0x10).u64(0x20).u64(99).s + Relation();
	auto x = std::get<XLogData>(DecodeCopyMessage(w));
	EXPECT_EQ(x.start, 0x10u);
	EXPECT_EQ(x.wal_end, 0x20u);
	EXPECT_EQ(x.send_time, 99);
	EXPECT_EQ(x.data, Relation());
	auto k = std::get<Keepalive>(DecodeCopyMessage(B().c('k').u64(0x30).u64(5).c(1).s));
	EXPECT_EQ(k.wal_end, 0x30u);
	EXPECT_TRUE(k.reply_requested);

	EXPECT_THROW(DecodeCopyMessage(""), Error);
	EXPECT_THROW(DecodeCopyMessage("z"), Error);
	EXPECT_THROW(DecodeCopyMessage(B().c('k').u64(0x30).u64(5).c(2).s), Error);
	EXPECT_THROW(DecodeCopyMessage(B().c('k').u64(0x30).u64(5).c(1).c(0).s), Error);
	EXPECT_THROW(DecodeCopyMessage(B().c('w').u64(1).s), Error);

	std::string st = EncodeStandbyStatus(1, 2, 3, 4, true);
	ASSERT_EQ(st.size(), 34u);
	EXPECT_EQ(st[0], 'r');
	EXPECT_EQ(st[16], 2);
	EXPECT_EQ(st[33], 1);
}

TEST(PgOutput, TruncatedEverywhere)
{
	for (const std::string &msg : AllMessages())
		for (size_t n = 0; n < msg.size(); ++n)
			ExpectCorrupt(msg.substr(0, n));
}

TEST(PgOutput, TrailingBytes)
{
	for (const std::string &msg : AllMessages())
		ExpectCorrupt(msg + "x");
}

TEST(PgOutput, DamagedFieldsNamed)
{
	/* a column length far beyond the buffer */
	std::string huge = B().c('I').u32(1).c('N').u16(1).c('t').u32(0x7ffffff0).s + "ab";
	try {
		DecodePgOutput(huge);
		FAIL();
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.what()).find("new tuple column 1 length"), std::string::npos) << e.what();
	}
	/* a column count far beyond the buffer: no big allocation, clear message */
	try {
		DecodePgOutput(B().c('I').u32(1).c('N').u16(65535).c('n').s);
		FAIL();
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.what()).find("claims 65535 columns"), std::string::npos) << e.what();
	}
	ExpectCorrupt(B().c('T').u32(0xffffffff).c(0).u32(1).s);
	ExpectCorrupt(B().c('R').u32(1).str("s").str("t").c('d').u16(60000).s);
	ExpectCorrupt(B().c('R').u32(1).str("s").str("t").c('q').u16(0).s);
	ExpectCorrupt(B().c('I').u32(1).c('X').u16(0).s);
	ExpectCorrupt(B().c('I').u32(1).c('N').u16(1).c('b').u32(1).c('x').s);
	ExpectCorrupt(B().c('I').u32(1).c('N').u16(1).c('?').s);
	ExpectCorrupt(B().c('I').u32(1).c('N').u16(1).c('t').u32(0x80000000).s);
	ExpectCorrupt(B().c('U').u32(1).c('K').u16(0).c('K').u16(0).s);
	ExpectCorrupt(B().c('D').u32(1).c('N').u16(0).s);
	ExpectCorrupt(B().c('C').c(0).u64(0x200).u64(0x100).u64(0).s);
	ExpectCorrupt("S");
	ExpectCorrupt("");
}

TEST(PgOutput, RandomDamageNeverCrashes)
{
	std::mt19937 rng(42);
	for (const std::string &msg : AllMessages())
		for (int round = 0; round < 2000; ++round) {
			std::string m = msg;
			int flips = 1 + static_cast<int>(rng() % 3);
			for (int f = 0; f < flips; ++f)
				m[rng() % m.size()] = static_cast<char>(rng());
			try {
				(void)DecodePgOutput(m);
			} catch (const Error &e) {
				ASSERT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
			}
		}
}
