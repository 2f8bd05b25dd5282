/*
 * olr_reader_test.cpp
 *     The OpenLogReplicator connector pieces above the protocol layer: the
 *     definition (connector type olr, synchdb_add_olr_conninfo), settings,
 *     the schema history, and the reader against the stand-in server of
 *     olr_test_util.hpp, with a stop and resume after every transaction.
 */
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "core/emitter.hpp"
#include "core/error.hpp"
#include "core/sources/olr/reader.hpp"
#include "core/sources/olr/source.hpp"
#include "olr_test_util.hpp"

using namespace synchdb;
using namespace synchdb::olr;

namespace {

std::string ErrorOf(const std::function<void()> &f)
{
	try {
		f();
	} catch (const Error &e) {
		return e.sqlstate() + ": " + e.what();
	}
	return "no error";
}

SourceConfig Config(uint16_t port, const std::string &options)
{
	SourceConfig sc;
	sc.conninfo = MakeConnInfo("olrconn", "127.0.0.1", 1521, "u", "OLR_TEST", "postgres", "", "olr", "");
	sc.conninfo.olr = MakeOlrConnInfo("127.0.0.1", port, "ORACLE", options);
	return sc;
}

/* What a reader session produced. */
struct Session {
	size_t changes = 0;
	std::vector<Position> commits;
	std::string history;
	std::string error;
	bool snapshot_done = false;
};

/*
 * Run a reader until it has emitted max_commits commits (or the case is
 * done: nothing for idle_ms), confirming each commit as the engine does.
 */
Session RunReader(Source &src, const StartPoint &start, size_t max_commits, size_t expected_commits, int idle_ms = 1500)
{
	Session s;
	BoundedQueue<Batch> q(64);
	std::unique_ptr<Reader> r = src.NewReader(start);
	std::thread th([&] {
		Emitter e(q);
		r->Run(e);
	});
	auto last = std::chrono::steady_clock::now();
	bool stop = false;
	while (!stop) {
		auto b = q.Pop(std::chrono::milliseconds(50));
		if (!b) {
			if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(idle_ms))
				break;
			continue;
		}
		last = std::chrono::steady_clock::now();
		for (Msg &m : *b) {
			if (stop)
				break;
			switch (m.type) {
			case MsgType::Tables:
			case MsgType::Ddl: s.history = m.history; break;
			case MsgType::SnapshotDone: s.snapshot_done = true; break;
			case MsgType::Change: s.changes++; break;
			case MsgType::Commit:
				s.commits.push_back(m.pos);
				r->Confirm(m.pos);
				if (s.commits.size() >= max_commits || s.commits.size() >= expected_commits)
					stop = true;
				break;
			case MsgType::Error:
			case MsgType::SourceLost:
				s.error = m.text;
				stop = true;
				break;
			default: break;
			}
		}
	}
	r->Stop();
	q.Close();
	th.join();
	return s;
}

}  // namespace

TEST(OlrConnector, DefinitionAndEndpoint)
{
	ConnInfo ci = MakeConnInfo("OlrConn", "h", 1521, "u", "OLR_TEST", "postgres", "OLR_TEST.T1, OLR_TEST.T2", "OLR",
	                           "");
	EXPECT_EQ(ci.connector, "olr");
	EXPECT_EQ(ci.Type(), ConnectorType::Olr);
	ASSERT_EQ(ci.Tables().size(), 2u);
	EXPECT_EQ(ci.Tables()[1].table, "T2");
	EXPECT_NE(ErrorOf([] { MakeConnInfo("c", "h", 1, "u", "OLR_TEST", "postgres", "OTHER.T1", "olr", ""); }),
	          "no error");
	try {
		MakeConnInfo("c", "h", 1, "u", "OLR_TEST", "postgres", "OLR_TEST.X.T1", "olr", "");
		ADD_FAILURE() << "three-part entry accepted";
	} catch (const Error &e) {
		EXPECT_NE(e.detail().find("OWNER.TABLE"), std::string::npos) << e.detail();
	}

	ci.olr = MakeOlrConnInfo(" olrhost ", 7070, "ORACLE", R"({"timestamp": 7})");
	ConnInfo back = ConnInfoFromJson("olrconn", ConnInfoToJson(ci));
	ASSERT_TRUE(back.olr);
	EXPECT_EQ(back.olr->host, "olrhost");
	EXPECT_EQ(back.olr->port, 7070);
	EXPECT_EQ(back.olr->source, "ORACLE");
	EXPECT_EQ(back.olr->options, R"({"timestamp":7})");
	ConnInfo none = ConnInfoFromJson("c", ConnInfoToJson(MakeConnInfo("c", "h", 1, "u", "d", "postgres", "", "mysql", "")));
	EXPECT_FALSE(none.olr);

	EXPECT_EQ(ErrorOf([] { MakeOlrConnInfo("h", 0, "S", ""); }).substr(0, 5), "22023");
	EXPECT_EQ(ErrorOf([] { MakeOlrConnInfo("", 1, "S", ""); }).substr(0, 5), "22023");
	EXPECT_EQ(ErrorOf([] { MakeOlrConnInfo("h", 1, " ", ""); }).substr(0, 5), "22023");
	EXPECT_EQ(ErrorOf([] { MakeOlrConnInfo("h", 1, "S", "[1]"); }).substr(0, 5), "22023");
	EXPECT_EQ(ErrorOf([] { MakeOlrConnInfo("h", 1, "S", "{"); }).substr(0, 5), "22023");
}

TEST(OlrConnector, Settings)
{
	SourceConfig sc = Config(7070, R"({"schema_checkpoint":"olr/x.json","timestamp":7,"lower_case_names":false})");
	sc.extra = json::Value::MakeObject();
	sc.extra.Set("data_directory", json::Value::MakeString("/data"));
	OlrSettings s = SettingsFromConfig(sc);
	EXPECT_EQ(s.schema_checkpoint, "/data/olr/x.json");
	EXPECT_EQ(s.format.timestamp, 7);
	EXPECT_FALSE(s.names.lower_case_names);
	EXPECT_TRUE(s.Replicated("olr_test", "ANY"));
	EXPECT_FALSE(s.Replicated("OTHER", "ANY"));

	EXPECT_NE(ErrorOf([&] { SettingsFromConfig(Config(1, R"({"bogus":1})")); }).find("\"bogus\" is unknown"),
	          std::string::npos);
	EXPECT_NE(ErrorOf([&] { SettingsFromConfig(Config(1, R"({"timestamp":99})")); }).find("from 0 to 15"),
	          std::string::npos);
	SourceConfig outside = Config(1, R"({"schema_checkpoint":"../etc/passwd"})");
	outside.extra = sc.extra;
	EXPECT_EQ(ErrorOf([&] { SettingsFromConfig(outside); }).substr(0, 5), "22023");
	SourceConfig no_endpoint = Config(1, "");
	no_endpoint.conninfo.olr.reset();
	EXPECT_NE(ErrorOf([&] { SettingsFromConfig(no_endpoint); }).find("no OpenLogReplicator endpoint"),
	          std::string::npos);
}

TEST(OlrConnector, TranslateDatatype)
{
	EXPECT_EQ(TranslateDatatype("number", 10, 0, nullptr).sql, "bigint");
	EXPECT_EQ(TranslateDatatype("NUMBER", 4, 0, nullptr).sql, "smallint");
	EXPECT_EQ(TranslateDatatype("number", -1, -1, nullptr).sql, "numeric");
	EXPECT_EQ(TranslateDatatype("binary_double", -1, -1, nullptr).sql, "double precision");
	EXPECT_EQ(TranslateDatatype("binary_float", -1, -1, nullptr).sql, "real");
	EXPECT_EQ(TranslateDatatype("raw", 16, -1, nullptr).sql, "bytea");
	EXPECT_EQ(ErrorOf([] { TranslateDatatype("nosuchtype", -1, -1, nullptr); }).substr(0, 5), "22023");
}

TEST(OlrConnector, SchemaHistoryRoundTrip)
{
	OLR_REQUIRE_FIXTURES();
	Catalog c;
	c.LoadCheckpoint(olrtest::ReadFile(olrtest::CheckpointPath("data-types")));
	ASSERT_GT(c.size(), 0u);
	const std::string h = Catalog::ToHistory(c.Tables());
	Catalog d;
	d.LoadHistory(h);
	ASSERT_EQ(d.size(), c.size());
	for (const OlrTable *t : c.Tables()) {
		const OlrTable *u = d.Find(t->owner, t->name);
		ASSERT_NE(u, nullptr);
		EXPECT_EQ(u->primary_key, t->primary_key);
		ASSERT_EQ(u->columns.size(), t->columns.size());
		for (size_t i = 0; i < t->columns.size(); i++) {
			EXPECT_EQ(u->columns[i].name, t->columns[i].name);
			EXPECT_EQ(TypeText(u->columns[i].type), TypeText(t->columns[i].type));
			EXPECT_EQ(u->columns[i].nullable, t->columns[i].nullable);
		}
	}
	EXPECT_EQ(Catalog::ToHistory(d.Tables()), h);
	Catalog e;
	EXPECT_EQ(ErrorOf([&] { e.LoadHistory("{\"tables\":[{\"owner\":\"A\"}]}"); }).substr(0, 5), "XX001");
}

/* The reader against the stand-in: every change once, in order, across a stop and resume after every commit. */
TEST(OlrConnector, ReaderResumesWithoutLossOrRepeat)
{
	OLR_REQUIRE_FIXTURES();
	for (const std::string c : {"basic-crud", "interleaved-transactions", "large-transaction", "multi-table"}) {
		auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/" + c + "/output.json");
		size_t dml = 0, txns = 0;
		{
			MessageDecoder dec;
			for (const auto &l : lines) {
				const auto &m = dec.Decode(l);
				for (const auto &p : m.payload()) {
					dml += p.op == Op::Insert || p.op == Op::Update || p.op == Op::Delete;
					txns += p.op == Op::Commit;
				}
			}
		}
		const std::string opts =
		    "{\"schema_checkpoint\":\"" + olrtest::CheckpointPath(c) + "\",\"timestamp\":7}";
		/* One session to the end. */
		{
			olrtest::OlrModel model(lines, 3);
			olrtest::StandInServer srv(model, "ORACLE");
			auto src = MakeOlrSource(Config(srv.port(), opts));
			EXPECT_NE(src->CheckPrerequisites().find("OpenLogReplicator at 127.0.0.1"), std::string::npos);
			StartPoint sp;
			sp.snapshot_with_data = false;
			Session s = RunReader(*src, sp, SIZE_MAX, txns);
			EXPECT_EQ(s.error, "") << c;
			EXPECT_TRUE(s.snapshot_done) << c;
			EXPECT_EQ(s.changes, dml) << c;
			EXPECT_EQ(s.commits.size(), txns) << c;
		}
		/* A stop after every commit; each new reader resumes from the last commit with the stored history. */
		{
			olrtest::OlrModel model(lines, 3);
			olrtest::StandInServer srv(model, "ORACLE");
			auto src = MakeOlrSource(Config(srv.port(), opts));
			StartPoint sp;
			sp.snapshot_with_data = false;
			Session first = RunReader(*src, sp, 1, txns);
			ASSERT_EQ(first.error, "") << c;
			size_t changes = first.changes;
			std::vector<std::string> seen;
			for (const auto &p : first.commits)
				seen.push_back(p.offset);
			Position at = first.commits.back();
			std::string history = first.history;
			for (size_t k = 1; k < txns; k++) {
				StartPoint rp;
				rp.resume = at;
				rp.schema_history = history;
				Session s = RunReader(*src, rp, 1, txns - seen.size());
				ASSERT_EQ(s.error, "") << c << " after " << k << " commits";
				ASSERT_EQ(s.commits.size(), 1u) << c << " after " << k << " commits";
				changes += s.changes;
				seen.push_back(s.commits.back().offset);
				at = s.commits.back();
				if (!s.history.empty())
					history = s.history;
			}
			EXPECT_EQ(changes, dml) << c;
			EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), txns) << c << ": no commit twice";
			/* Nothing more after the last one. */
			StartPoint rp;
			rp.resume = at;
			rp.schema_history = history;
			Session tail = RunReader(*src, rp, 1, 1, 800);
			EXPECT_EQ(tail.error, "") << c;
			EXPECT_EQ(tail.changes, 0u) << c;
			EXPECT_TRUE(tail.commits.empty()) << c;
		}
	}
}

TEST(OlrConnector, SnapshotWithDataIsRefusedWithTheFix)
{
	auto src = MakeOlrSource(Config(1, ""));
	StartPoint sp;
	sp.snapshot_with_data = true;
	Session s = RunReader(*src, sp, 1, 1, 500);
	EXPECT_NE(s.error.find("cannot copy the initial data"), std::string::npos) << s.error;
}
