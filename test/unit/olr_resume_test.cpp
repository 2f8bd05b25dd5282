/*
 * olr_resume_test.cpp
 *     Resume after a crash at every transaction boundary of every fixture
 *     case: nothing lost, nothing applied twice.  The server side is the
 *     OLR queue model of olr_test_util.hpp.
 */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sources/olr/resume.hpp"
#include "olr_test_util.hpp"

using namespace synchdb;
using namespace synchdb::olr;

namespace {

std::string TxnKey(const Message &m)
{
	return std::string(m.xid) + "@" + std::to_string(*m.c_scn);
}

/* The transactions of a case in commit order. */
std::vector<std::string> ExpectedTxns(const std::vector<std::string> &lines)
{
	std::vector<std::string> out;
	MessageDecoder dec;
	for (const auto &l : lines) {
		const auto &m = dec.Decode(l);
		if (m.payload().back().op == Op::Commit)
			out.push_back(std::string(m.xid) + "@" + std::to_string(*m.c_scn));
	}
	return out;
}

struct Engine {
	std::vector<std::string> applied;       /* durable, in order */
	std::optional<OlrPosition> committed;   /* durable offset */
	int sessions = 0;
};

/*
 * One reader session: resume from the engine's committed position, apply
 * whole transactions, confirm each after its "PostgreSQL commit"; crash
 * (return) after crash_after commits in this session (-1: run to the end).
 * confirm_last: whether the confirm of the last commit before the crash is sent.
 */
void Session(olrtest::OlrModel &model, Engine &eng, int crash_after, bool confirm_last)
{
	eng.sessions++;
	ResumePlan plan = PlanResume(eng.committed);
	ResumeFilter filter(plan.filter ? eng.committed : std::nullopt, 100000);
	model.Continue(plan.continue_c_scn, plan.continue_c_idx);
	ConfirmTracker tracker;
	MessageDecoder dec;
	std::vector<std::string> pending;
	uint64_t begin_scn = 0, begin_idx = 0;
	int commits = 0;
	std::string text;
	while (model.Next(text)) {
		const Message &m = dec.Decode(text);
		if (filter.Drop(m))
			continue;
		const auto &p = m.payload().front();
		if (p.op == Op::Begin) {
			pending.clear();
			begin_scn = m.scn.value_or(0);
			begin_idx = *m.c_idx;
			continue;
		}
		if (p.op != Op::Commit) {
			pending.push_back(text);
			continue;
		}
		/* PostgreSQL commit: rows and offset together. */
		eng.applied.push_back(TxnKey(m));
		OlrPosition pos;
		pos.scn = begin_scn;
		pos.c_scn = *m.c_scn;
		pos.c_idx = *m.c_idx;
		pos.xid = std::string(m.xid);
		eng.committed = ParseOffsetJson(ToOffsetJson(pos)); /* through the stored text */
		tracker.Emitted(pos, begin_idx);
		commits++;
		const bool crash = crash_after >= 0 && commits == crash_after;
		if (!crash || confirm_last)
			if (auto c = tracker.Confirmed(pos))
				model.Confirm(c->c_scn, InternalIdx(c->c_idx));
		if (crash)
			return;
	}
}

}  // namespace

TEST(OlrResume, OffsetJsonRoundTrip)
{
	OlrPosition p;
	p.scn = 3806533;
	p.c_scn = 3806533;
	p.c_idx = 5;
	p.xid = "1.8.741";
	EXPECT_EQ(ToOffsetJson(p), R"({"scn":3806533,"c_scn":3806533,"c_idx":5,"xid":"1.8.741"})");
	EXPECT_EQ(ParseOffsetJson(ToOffsetJson(p)), p);
	p.commit_scn = 3806560;
	EXPECT_EQ(ParseOffsetJson(ToOffsetJson(p)), p);
	/* Debezium-like: strings, hex. */
	auto d = ParseOffsetJson(R"({"scn":"3806533","commit_scn":"0x3a1560","snapshot_scn":"1"})");
	EXPECT_EQ(d.scn, 3806533u);
	EXPECT_EQ(*d.commit_scn, 0x3a1560u);
	EXPECT_TRUE(d.xid.empty());
	EXPECT_THROW(ParseOffsetJson("{}"), Error);
	EXPECT_THROW(ParseOffsetJson(R"({"scn":-1})"), Error);
	EXPECT_THROW(ParseOffsetJson(R"({"scn":"abc"})"), Error);
	EXPECT_THROW(ParseOffsetJson("[1]"), Error);
	try {
		ParseOffsetJson("{");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
	}
}

TEST(OlrResume, PlanAndCompare)
{
	auto none = PlanResume(std::nullopt);
	EXPECT_EQ(none.start_scn, 0u);
	EXPECT_EQ(none.continue_c_scn, 0u);
	EXPECT_FALSE(none.filter);
	OlrPosition user;
	user.scn = 100;
	user.c_scn = 90;
	user.c_idx = 4;
	auto u = PlanResume(user);
	EXPECT_EQ(u.start_scn, 100u);
	EXPECT_EQ(u.continue_c_scn, 90u);
	EXPECT_EQ(u.continue_c_idx, 3u); /* printed - 1 */
	EXPECT_FALSE(u.filter);
	user.xid = "1.2.3";
	auto x = PlanResume(user);
	EXPECT_EQ(x.continue_c_scn, 1u);
	EXPECT_TRUE(x.filter);

	OlrPosition a, b;
	a.c_scn = 5;
	a.c_idx = 2;
	b.c_scn = 5;
	b.c_idx = 3;
	EXPECT_LT(ComparePositions(a, b), 0);
	EXPECT_EQ(ComparePositions(a, a), 0);
	a.commit_scn = 10;
	b.commit_scn = 9;
	EXPECT_GT(ComparePositions(a, b), 0);
}

/* What the naive CONTINUE from the last applied position loses (OLR 1.9.0 quirk). */
TEST(OlrResume, NaiveContinueLosesInterleavedTransaction)
{
	OLR_REQUIRE_FIXTURES();
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/interleaved-transactions/output.json");
	ASSERT_FALSE(lines.empty());
	olrtest::OlrModel model(lines, 1000);
	/* Applied up to the commit of 10.1.985 (c_scn 3806547, printed c_idx 3). */
	model.Continue(3806547, 2);
	MessageDecoder dec;
	std::string t;
	std::vector<std::string> xids;
	while (model.Next(t)) {
		const auto &m = dec.Decode(t);
		if (m.payload().front().op == Op::Begin)
			xids.emplace_back(m.xid);
	}
	/* 1.8.741 committed later but began at 3806533: skipped by OLR. */
	EXPECT_EQ(xids, (std::vector<std::string>{"10.27.984", "2.1.752"}));
}

class OlrResumeCases : public ::testing::TestWithParam<size_t> {};

TEST_P(OlrResumeCases, CrashAtEveryTransactionBoundary)
{
	OLR_REQUIRE_FIXTURES();
	const size_t per_buffer = GetParam();
	auto cases = olrtest::Cases();
	ASSERT_GE(cases.size(), 20u);
	size_t scenarios = 0;
	for (const auto &c : cases) {
		auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/" + c + "/output.json");
		auto expected = ExpectedTxns(lines);
		ASSERT_FALSE(expected.empty()) << c;
		for (size_t k = 1; k <= expected.size(); k++) {
			for (bool confirm_last : {false, true}) {
				olrtest::OlrModel model(lines, per_buffer);
				Engine eng;
				Session(model, eng, static_cast<int>(k), confirm_last);
				Session(model, eng, -1, true);
				EXPECT_EQ(eng.applied, expected) << c << ": crash after " << k << " transactions, confirm_last "
				                                 << confirm_last << ", " << per_buffer << " messages per buffer";
				scenarios++;
			}
		}
		/* A crash after every single transaction. */
		olrtest::OlrModel model(lines, per_buffer);
		Engine eng;
		for (size_t k = 0; k < expected.size() + 1; k++)
			Session(model, eng, 1, k % 2 == 0);
		EXPECT_EQ(eng.applied, expected) << c << ": crash after every transaction";
		scenarios++;
	}
	RecordProperty("scenarios", static_cast<int>(scenarios));
}

INSTANTIATE_TEST_SUITE_P(BufferSizes, OlrResumeCases, ::testing::Values(1, 3, 8, 100000));

TEST(OlrResume, ConfirmTrackerLagsOneTransaction)
{
	ConfirmTracker t;
	OlrPosition a, b, c;
	a.c_scn = 1;
	a.xid = "a";
	b.c_scn = 2;
	b.xid = "b";
	c.c_scn = 3;
	c.xid = "c";
	t.Emitted(a, 1);
	t.Emitted(b, 1);
	t.Emitted(c, 1);
	EXPECT_FALSE(t.Confirmed(a).has_value());
	auto r = t.Confirmed(c);
	ASSERT_TRUE(r.has_value());
	EXPECT_EQ(r->xid, "b");
	EXPECT_EQ(t.pending(), 1u);
	/* A transaction that began before its predecessor's position: nothing to confirm yet. */
	OlrPosition d;
	d.c_scn = 2;
	d.c_idx = 3;
	d.xid = "d";
	t.Emitted(d, 1);
	EXPECT_FALSE(t.Confirmed(d).has_value());
}

TEST(OlrResume, FilterGivesUpWhenTheAppliedTransactionNeverComes)
{
	OlrPosition p;
	p.c_scn = 5;
	p.c_idx = 3;
	p.xid = "9.9.9";
	ResumeFilter f(p, 3);
	MessageDecoder dec;
	std::string msg = R"({"c_scn":7,"c_idx":2,"xid":"1.1.1","payload":[{"op":"c","schema":{"owner":"A","table":"B"},"after":{"X":1}}]})";
	EXPECT_TRUE(f.Drop(dec.Decode(msg)));
	EXPECT_TRUE(f.Drop(dec.Decode(msg)));
	EXPECT_TRUE(f.Drop(dec.Decode(msg)));
	EXPECT_THROW(f.Drop(dec.Decode(msg)), Error);
}

TEST(OlrResume, FilterByCommitScn)
{
	OlrPosition p;
	p.c_scn = 50;
	p.c_idx = 3;
	p.xid = "1.1.1";
	p.commit_scn = 100;
	ResumeFilter f(p);
	MessageDecoder dec;
	/* A transaction committed earlier: dropped; a later one: kept, filter done. */
	EXPECT_TRUE(f.Drop(dec.Decode(R"({"scn":40,"e_scn":90,"c_scn":40,"c_idx":1,"xid":"2.2.2","payload":[{"op":"begin"}]})")));
	EXPECT_TRUE(f.Drop(dec.Decode(R"({"e_scn":90,"c_scn":40,"c_idx":2,"xid":"2.2.2","payload":[{"op":"commit"}]})")));
	EXPECT_FALSE(f.Drop(dec.Decode(R"({"scn":30,"e_scn":120,"c_scn":30,"c_idx":1,"xid":"3.3.3","payload":[{"op":"begin"}]})")));
	EXPECT_FALSE(f.Active());
}
