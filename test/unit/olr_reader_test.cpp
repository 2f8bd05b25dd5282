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

#include "error_of.hpp"
#include "core/emitter.hpp"
#include "core/error.hpp"
#include "core/sources/olr/ddl.hpp"
#include "core/sources/olr/reader.hpp"
#include "core/sources/olr/source.hpp"
#include "olr_test_util.hpp"

using namespace synchdb;
using namespace synchdb::olr;

namespace {


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
			if (auto *t = std::get_if<msg::Tables>(&m))
				s.history = t->history;
			else if (auto *d = std::get_if<msg::SchemaChange>(&m))
				s.history = d->history;
			else if (std::holds_alternative<msg::SnapshotDone>(m))
				s.snapshot_done = true;
			else if (std::holds_alternative<msg::Change>(m))
				s.changes++;
			else if (auto *c = std::get_if<msg::Commit>(&m)) {
				s.commits.push_back(c->pos);
				r->Confirm(c->pos);
				if (s.commits.size() >= max_commits)
					stop = true; /* a crash: later confirms are lost */
				(void) expected_commits;
			} else if (auto *f = std::get_if<msg::Failure>(&m)) {
				s.error = f->text;
				stop = true;
			} else if (auto *l = std::get_if<msg::SourceLost>(&m)) {
				s.error = l->text;
				stop = true;
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
			size_t confirms = 0;
			for (const auto &q : srv.Requests())
				confirms += q.code == RequestCode::Confirm;
			EXPECT_GE(confirms, 1u) << c;
			EXPECT_LE(confirms, txns - 1) << c << ": CONFIRM lags one transaction";
			if (c != "interleaved-transactions") {
				EXPECT_EQ(confirms, txns - 1) << c;
			}
		}
		/* A stop after the first commit, then a resumed session to the end: it confirms too. */
		{
			olrtest::OlrModel model(lines, 3);
			olrtest::StandInServer srv(model, "ORACLE");
			auto src = MakeOlrSource(Config(srv.port(), opts));
			StartPoint sp;
			sp.snapshot_with_data = false;
			Session first = RunReader(*src, sp, 1, txns);
			StartPoint rp;
			rp.resume = first.commits.back();
			rp.schema_history = first.history;
			Session rest = RunReader(*src, rp, SIZE_MAX, txns);
			EXPECT_EQ(rest.error, "") << c;
			EXPECT_EQ(first.changes + rest.changes, dml) << c;
			size_t confirms = 0;
			for (const auto &q : srv.Requests())
				confirms += q.code == RequestCode::Confirm;
			if (txns > 2) {
				EXPECT_GE(confirms, 1u) << c << ": the resumed session confirms";
			}
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

TEST(OlrDdl, OracleStatements)
{
	OraDdl c = ParseOracleDdl(
	    "CREATE TABLE test_table (\n id NUMBER PRIMARY KEY, n NUMBER(10,2), f FLOAT(10), d DATE, "
	    "ids INTERVAL DAY TO SECOND, iym INTERVAL YEAR TO MONTH, ts TIMESTAMP(3), tz TIMESTAMP WITH TIME ZONE, "
	    "ltz TIMESTAMP WITH LOCAL TIME ZONE, c CHAR(10), nc NCHAR(10), nv NVARCHAR2(50), v VARCHAR2(50 BYTE) "
	    "DEFAULT 'x,y' NOT NULL, r RAW(100), b BLOB, cl CLOB, \"Mixed\" LONG, i INTEGER, CONSTRAINT u UNIQUE (v))");
	ASSERT_EQ(c.kind, OraDdl::Kind::CreateTable) << c.why;
	EXPECT_EQ(c.table, "TEST_TABLE");
	ASSERT_EQ(c.columns.size(), 18u);
	EXPECT_EQ(c.primary_key, std::vector<std::string>{"ID"});
	EXPECT_FALSE(c.columns[0].nullable);
	EXPECT_EQ(TypeText(c.columns[1].type), "NUMBER(10,2)");
	EXPECT_EQ(DefaultPgType(c.columns[1].type).sql, "numeric(10,2)");
	EXPECT_EQ(DefaultPgType(c.columns[7].type).sql, "timestamp(6) with time zone");
	EXPECT_EQ(DefaultPgType(c.columns[12].type).sql, "varchar(50)");
	EXPECT_FALSE(c.columns[12].nullable);
	EXPECT_EQ(c.columns[16].name, "Mixed");
	EXPECT_EQ(DefaultPgType(c.columns[17].type).sql, "numeric(38,0)");

	OraDdl pk = ParseOracleDdl("create table o.t (a number(5), b varchar2(10), constraint t_pk primary key (a, b))");
	ASSERT_EQ(pk.kind, OraDdl::Kind::CreateTable) << pk.why;
	EXPECT_EQ(pk.owner, "O");
	EXPECT_EQ(pk.primary_key, (std::vector<std::string>{"A", "B"}));

	OraDdl add = ParseOracleDdl("ALTER TABLE OLR_TEST.TEST_DDL ADD (email VARCHAR2(200), n NUMBER DEFAULT 0 NOT NULL)");
	ASSERT_EQ(add.kind, OraDdl::Kind::AddColumns) << add.why;
	ASSERT_EQ(add.columns.size(), 2u);
	EXPECT_EQ(add.columns[0].name, "EMAIL");
	EXPECT_FALSE(add.columns[1].nullable);
	EXPECT_EQ(ParseOracleDdl("alter table t add x date").kind, OraDdl::Kind::AddColumns);
	OraDdl mod = ParseOracleDdl("ALTER TABLE t MODIFY (a NOT NULL, b VARCHAR2(300))");
	ASSERT_EQ(mod.kind, OraDdl::Kind::ModifyColumns) << mod.why;
	EXPECT_FALSE(mod.type_known[0]);
	EXPECT_TRUE(mod.null_given[0]);
	EXPECT_TRUE(mod.type_known[1]);
	EXPECT_EQ(ParseOracleDdl("ALTER TABLE t DROP COLUMN a").drop, std::vector<std::string>{"A"});
	EXPECT_EQ(ParseOracleDdl("ALTER TABLE t DROP (a, b)").drop, (std::vector<std::string>{"A", "B"}));
	OraDdl ren = ParseOracleDdl("ALTER TABLE t RENAME COLUMN a TO b");
	EXPECT_EQ(ren.kind, OraDdl::Kind::RenameColumn);
	EXPECT_EQ(ren.new_column, "B");
	EXPECT_EQ(ParseOracleDdl("ALTER TABLE t RENAME TO u").new_name, "U");
	EXPECT_EQ(ParseOracleDdl("RENAME t TO u").kind, OraDdl::Kind::RenameTable);
	EXPECT_EQ(ParseOracleDdl("DROP TABLE o.t PURGE").kind, OraDdl::Kind::DropTable);
	EXPECT_EQ(ParseOracleDdl("truncate table \"o\".\"t\"").table, "t");
	for (const char *other : {"CREATE INDEX i ON t (a)", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)",
	                          "GRANT SELECT ON t TO u", "CREATE TABLE t AS SELECT * FROM u", "",
	                          "ALTER TABLE t ADD (a FOOTYPE)", "CREATE TABLE t (a NUMBER(", "ALTER TABLE t MOVE"})
		EXPECT_EQ(ParseOracleDdl(other).kind, OraDdl::Kind::Other) << other;
}

/* DDL messages through the reader: tables created, altered, truncated, dropped; the others counted. */
TEST(OlrDdl, ReaderPlansTableChanges)
{
	auto msg = [](uint64_t scn, int idx, const std::string &xid, const std::string &payload) {
		return "{\"scn\":" + std::to_string(scn) + ",\"c_scn\":" + std::to_string(scn) +
		       ",\"c_idx\":" + std::to_string(idx) + ",\"xid\":\"" + xid + "\",\"payload\":[" + payload + "]}";
	};
	auto ddl = [](const std::string &sql) {
		return "{\"op\":\"ddl\",\"schema\":{\"owner\":\"OLR_TEST\",\"table\":\"T\"},\"sql\":\"" + sql + "\"}";
	};
	auto ins = [](const std::string &after) {
		return "{\"op\":\"c\",\"schema\":{\"owner\":\"OLR_TEST\",\"table\":\"T\"},\"after\":" + after + "}";
	};
	std::vector<std::string> lines = {
	    msg(100, 1, "1.1.1", "{\"op\":\"begin\"}"),
	    msg(100, 2, "1.1.1", ddl("CREATE TABLE t (id NUMBER(9) PRIMARY KEY, name VARCHAR2(20))")),
	    msg(100, 3, "1.1.1", "{\"op\":\"commit\"}"),
	    msg(110, 1, "1.1.2", "{\"op\":\"begin\"}"),
	    msg(110, 2, "1.1.2", ins("{\"ID\":1,\"NAME\":\"a\"}")),
	    msg(110, 3, "1.1.2", "{\"op\":\"commit\"}"),
	    msg(120, 1, "1.1.3", ddl("ALTER TABLE t ADD (email VARCHAR2(200))")),
	    msg(130, 1, "1.1.4", "{\"op\":\"begin\"}"),
	    msg(130, 2, "1.1.4", ins("{\"ID\":2,\"NAME\":\"b\",\"EMAIL\":\"b@x\"}")),
	    msg(130, 3, "1.1.4", "{\"op\":\"commit\"}"),
	    msg(140, 1, "1.1.5", ddl("CREATE INDEX t_i ON t (name)")),
	    msg(150, 1, "1.1.6", ddl("ALTER TABLE t RENAME COLUMN name TO full_name")),
	    msg(160, 1, "1.1.7", ddl("TRUNCATE TABLE t")),
	    msg(170, 1, "1.1.8", ddl("DROP TABLE t")),
	};
	olrtest::OlrModel model(lines, 1);
	olrtest::StandInServer srv(model, "ORACLE");
	auto src = MakeOlrSource(Config(srv.port(), ""));
	StartPoint sp;
	sp.snapshot_with_data = false;
	BoundedQueue<Batch> q(64);
	std::unique_ptr<Reader> r = src->NewReader(sp);
	std::thread th([&] {
		Emitter e(q);
		r->Run(e);
	});
	std::vector<std::string> sql, notices;
	size_t changes = 0, truncates = 0, commits = 0, skipped = 0;
	std::string error;
	auto last = std::chrono::steady_clock::now();
	while (std::chrono::steady_clock::now() - last < std::chrono::milliseconds(1500)) {
		auto b = q.Pop(std::chrono::milliseconds(50));
		if (!b)
			continue;
		last = std::chrono::steady_clock::now();
		for (Msg &m : *b) {
			if (auto *d = std::get_if<msg::SchemaChange>(&m))
				for (auto &x : d->sql)
					sql.push_back(x);
			else if (auto *c = std::get_if<msg::Change>(&m))
				(c->kind == ChangeKind::Truncate ? truncates : changes)++;
			else if (std::holds_alternative<msg::Commit>(m))
				commits++;
			else if (auto *n = std::get_if<msg::Notice>(&m)) {
				if (n->kind == NoticeKind::DdlSkipped)
					skipped++;
			} else if (auto *f = std::get_if<msg::Failure>(&m))
				error = f->text;
			else if (auto *l = std::get_if<msg::SourceLost>(&m))
				error = l->text;
		}
	}
	r->Stop();
	q.Close();
	th.join();
	EXPECT_EQ(error, "");
	EXPECT_EQ(changes, 2u);
	EXPECT_EQ(truncates, 1u);
	EXPECT_EQ(commits, 7u); /* 3 transactions, 4 DDL outside one (ADD, RENAME COLUMN, TRUNCATE, DROP) */
	EXPECT_EQ(skipped, 1u); /* CREATE INDEX */
	std::string all;
	for (auto &s : sql)
		all += s + ";\n";
	EXPECT_NE(all.find("CREATE TABLE IF NOT EXISTS \"olr_test\".\"t\""), std::string::npos) << all;
	EXPECT_NE(all.find("ADD COLUMN \"email\" varchar(200)"), std::string::npos) << all;
	EXPECT_NE(all.find("RENAME COLUMN \"name\" TO \"full_name\""), std::string::npos) << all;
	EXPECT_NE(all.find("DROP TABLE IF EXISTS \"olr_test\".\"t\""), std::string::npos) << all;
}

TEST(OlrConnector, SetOffsetTakesAnScnNotATransaction)
{
	olrtest::OlrModel model({}, 1);
	olrtest::StandInServer srv(model, "ORACLE");
	auto src = MakeOlrSource(Config(srv.port(), ""));
	Position p = src->ParseOffset(R"({"scn":"3806892","c_scn":3806892,"c_idx":1})");
	EXPECT_NE(src->CheckOffset(p).find("the stream restarts at SCN 3806892"), std::string::npos);
	Position x = src->ParseOffset(R"({"scn":3806533,"c_scn":3806533,"c_idx":5,"xid":"1.8.741"})");
	EXPECT_NE(ErrorOf([&] { src->CheckOffset(x); }).find("must not name a transaction"), std::string::npos);
	auto wrong = MakeOlrSource([&] {
		SourceConfig c = Config(srv.port(), "");
		c.conninfo.olr->source = "OTHER";
		return c;
	}());
	EXPECT_NE(ErrorOf([&] { wrong->CheckPrerequisites(); }).find("has no source named \"OTHER\""), std::string::npos);
}

/*
 * Throughput of the reader (socket, framing, decoder, rows) on a generated
 * stream of single-row insert transactions; not run by default:
 *   GTEST_ALSO_RUN_DISABLED_TESTS=1 GTEST_FILTER='*ReaderThroughput*' test/unit/synchdb_unittest
 */
TEST(OlrConnector, DISABLED_ReaderThroughput)
{
	OLR_REQUIRE_FIXTURES();
	const size_t txns = 100000;
	std::vector<std::string> lines;
	lines.reserve(txns * 3);
	for (size_t i = 0; i < txns; i++) {
		const std::string scn = std::to_string(5000000 + i), xid = "\"1.2." + std::to_string(i) + "\"";
		lines.push_back("{\"scns\":\"0x0\",\"tms\":\"1772311472\",\"c_scn\":" + scn + ",\"c_idx\":1,\"xid\":" + xid +
		                ",\"payload\":[{\"op\":\"begin\"}]}");
		lines.push_back("{\"c_scn\":" + scn + ",\"c_idx\":2,\"xid\":" + xid +
		                ",\"payload\":[{\"op\":\"c\",\"schema\":{\"owner\":\"OLR_TEST\",\"table\":\"TEST_TYPES\"},"
		                "\"after\":{\"ID\":" + std::to_string(i) +
		                ",\"COL_VARCHAR2\":\"hello world\",\"COL_CHAR\":\"fixed               \",\"COL_NVARCHAR2\":"
		                "\"unicode text\",\"COL_NUMBER\":12345.67,\"COL_FLOAT\":3.14,\"COL_DOUBLE\":2.71828,"
		                "\"COL_DATE\":\"1749983400\",\"COL_TIMESTAMP\":\"1749983400\",\"COL_RAW\":\"deadbeef\","
		                "\"COL_INTEGER\":42}}]}");
		lines.push_back("{\"c_scn\":" + scn + ",\"c_idx\":3,\"xid\":" + xid + ",\"payload\":[{\"op\":\"commit\"}]}");
	}
	olrtest::OlrModel model(lines, 1000);
	olrtest::StandInServer srv(model, "ORACLE");
	const std::string opts =
	    "{\"schema_checkpoint\":\"" + olrtest::CheckpointPath("data-types") + "\",\"timestamp\":7}";
	auto src = MakeOlrSource(Config(srv.port(), opts));
	StartPoint sp;
	sp.snapshot_with_data = false;
	const auto t0 = std::chrono::steady_clock::now();
	Session s = RunReader(*src, sp, SIZE_MAX, txns, 500);
	const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - 0.5;
	EXPECT_EQ(s.changes, txns);
	std::printf("reader: %zu messages (%zu row changes) in %.2f s: %.0f messages/s, %.0f changes/s\n",
	            lines.size(), s.changes, sec, lines.size() / sec, s.changes / sec);
}
