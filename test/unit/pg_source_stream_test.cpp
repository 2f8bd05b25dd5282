/*
 * pg_source_stream_test.cpp
 *     PostgreSQL source reader against a real source: snapshot through the
 *     exported slot snapshot, then the pgoutput stream (insert, update,
 *     delete, truncate; replica identity default, full, nothing; an
 *     unchanged TOASTed value; a column added), confirmations reaching the
 *     slot, resume, Drop.  Output goes through a real BoundedQueue.
 *     Needs SYNCHDB_PGSRC_PORT (see pg_source_live.hpp).
 */
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/error.hpp"
#include "core/queue.hpp"
#include "core/sources/postgres/position.hpp"
#include "core/sources/postgres/reader.hpp"
#include "core/sources/postgres/slot.hpp"
#include "core/sources/postgres/source.hpp"
#include "pg_source_live.hpp"

using namespace synchdb;
using namespace synchdb::pgsrc;
using namespace std::chrono_literals;

namespace {

struct Ev {
	enum Type { Tables, CopyRows, CopyEnd, SnapshotDone, Change, SchemaChange, Commit, Notice, Finished, Fail } type;
	int table = -1;
	ChangeKind kind = ChangeKind::Insert;
	RowData before, after;
	std::string text;
	uint64_t rows = 0;
	Position pos;
	std::vector<NeutralTable> tables;
	std::string sqlstate;
	std::string history;
};

using EvBatch = std::vector<Ev>;

/* A Sink that batches like the Emitter and pushes into a real BoundedQueue. */
class QueueSink final : public Sink {
public:
	explicit QueueSink(BoundedQueue<EvBatch> &q) : q_(q) {}
	void Tables(const std::vector<NeutralTable> &t, const std::string &h) override
	{
		Ev e{Ev::Tables};
		e.tables = t;
		e.history = h;
		Add(std::move(e));
	}
	void CopyRows(int table, std::string text) override
	{
		Ev e{Ev::CopyRows};
		e.table = table;
		e.text = std::move(text);
		Add(std::move(e));
	}
	void CopyEnd(int table, uint64_t rows) override
	{
		Ev e{Ev::CopyEnd};
		e.table = table;
		e.rows = rows;
		Add(std::move(e));
	}
	void SnapshotDone(Position pos) override
	{
		Ev e{Ev::SnapshotDone};
		e.pos = std::move(pos);
		Add(std::move(e));
	}
	void Change(int table, ChangeKind kind, RowData before, RowData after) override
	{
		Ev e{Ev::Change};
		e.table = table;
		e.kind = kind;
		e.before = std::move(before);
		e.after = std::move(after);
		Add(std::move(e));
	}
	void SchemaChange(const std::vector<NeutralTable> &t, const TableChange &c, const std::string &h) override
	{
		Ev e{Ev::SchemaChange};
		e.tables = t;
		e.history = h;
		e.table = c.table;
		e.text = c.Summary(t[c.table]);
		Add(std::move(e));
	}
	void Commit(Position pos) override
	{
		Ev e{Ev::Commit};
		e.pos = std::move(pos);
		Add(std::move(e));
	}
	void Notice(std::string text) override
	{
		Ev e{Ev::Notice};
		e.text = std::move(text);
		Add(std::move(e));
	}
	void Finished() override
	{
		Add(Ev{Ev::Finished});
		Flush();
	}
	void Fail(const Error &err) override
	{
		pending_.clear();
		Ev e{Ev::Fail};
		e.text = err.what();
		e.sqlstate = err.sqlstate();
		Add(std::move(e));
		Flush();
	}
	void Flush() override
	{
		if (pending_.empty())
			return;
		EvBatch b;
		b.swap(pending_);
		if (!q_.Push(std::move(b)))
			throw Stopped{};
	}

private:
	void Add(Ev e)
	{
		pending_.push_back(std::move(e));
		if (pending_.size() >= 64)
			Flush();
	}
	BoundedQueue<EvBatch> &q_;
	EvBatch pending_;
};

/* A reader on its own thread, its output collected from the queue. */
class Running {
public:
	Running(std::vector<TableRef> filter, StartPoint start, const std::string &connector = "pgsrc_test",
	        const std::function<void(PgReader &)> &setup = {})
		: queue_(4)
	{
		Endpoint ep = pgsrc_test::TestEndpoint();
		ep.connector = connector;
		reader_ = std::make_unique<PgReader>(ep, std::move(filter), std::move(start));
		reader_->SetStatusInterval(200ms);
		if (setup)
			setup(*reader_);
		thread_ = std::thread([this] {
			QueueSink sink(queue_);
			reader_->RunWith(sink);
			try {
				sink.Flush();
			} catch (const Stopped &) {
			}
			done_ = true;
		});
	}
	~Running() { StopAndJoin(); }
	void StopAndJoin()
	{
		if (!thread_.joinable())
			return;
		reader_->Stop();
		/* as the engine does: closing the queue makes a blocked Push return */
		queue_.Close();
		thread_.join();
		while (auto b = queue_.Pop(0ms))
			for (auto &e : *b)
				events_.push_back(std::move(e));
	}
	/* Collect events until pred(all events so far) or timeout; a Fail ends the wait. */
	bool WaitFor(const std::function<bool(const std::vector<Ev> &)> &pred, std::chrono::seconds timeout = 20s)
	{
		auto deadline = std::chrono::steady_clock::now() + timeout;
		while (!pred(events_)) {
			if (std::chrono::steady_clock::now() > deadline)
				return false;
			if (auto b = queue_.Pop(100ms))
				for (auto &e : *b) {
					if (e.type == Ev::Fail && !allow_fail)
						ADD_FAILURE() << "reader failed: " << e.sqlstate << " " << e.text;
					events_.push_back(std::move(e));
				}
		}
		return true;
	}
	size_t Count(Ev::Type t) const
	{
		return static_cast<size_t>(std::count_if(events_.begin(), events_.end(), [&](const Ev &e) { return e.type == t; }));
	}
	std::vector<Ev> &events() { return events_; }
	PgReader &reader() { return *reader_; }
	bool allow_fail = false;

private:
	BoundedQueue<EvBatch> queue_;
	std::unique_ptr<PgReader> reader_;
	std::thread thread_;
	std::atomic<bool> done_{false};
	std::vector<Ev> events_;
};

std::string Field(const RowData &r, size_t i)
{
	if (i >= r.fields.size())
		return "<missing>";
	if (r.fields[i].length == kUnchanged)
		return "<unchanged>";
	if (r.fields[i].length < 0)
		return "<null>";
	return std::string(r.Get(i));
}

std::string Row(const RowData &r)
{
	std::string s;
	for (size_t i = 0; i < r.fields.size(); ++i)
		s += (i ? "|" : "") + Field(r, i);
	return s;
}

int TableIndex(const std::vector<NeutralTable> &t, const std::string &name)
{
	for (size_t i = 0; i < t.size(); ++i)
		if (t[i].name == name)
			return static_cast<int>(i);
	return -1;
}

class PgStream : public ::testing::Test {
protected:
	void SetUp() override
	{
		PGSRC_SKIP_UNLESS_LIVE();
		conn_ = pgsrc_test::FreshDatabase();
	}
	void TearDown() override
	{
		if (!conn_)
			return;
		conn_.reset();
		Connection admin(pgsrc_test::TestEndpoint("postgres"), ConnKind::Normal);
		admin.Exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
		           std::string(pgsrc_test::kTestDb) + "' AND NOT active");
		admin.Exec(std::string("DROP DATABASE IF EXISTS ") + pgsrc_test::kTestDb + " WITH (FORCE)");
	}
	std::unique_ptr<Connection> conn_;
};

const char *kBig = "(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 1000) AS i)";

}  // namespace

TEST_F(PgStream, SnapshotThenStream)
{
	conn_->Exec("CREATE TYPE mood AS ENUM ('sad', 'happy')");
	conn_->Exec("CREATE TABLE t_def (id int PRIMARY KEY, v text, big text)");
	conn_->Exec("CREATE TABLE t_full (id int, v text)");
	conn_->Exec("ALTER TABLE t_full REPLICA IDENTITY FULL");
	conn_->Exec("CREATE TABLE t_none (id int, v text)");
	conn_->Exec("ALTER TABLE t_none REPLICA IDENTITY NOTHING");
	conn_->Exec("CREATE TABLE t_types (id int PRIMARY KEY, n numeric(12,3), ts timestamptz, iv interval, b bytea,"
	            " j jsonb, a int[], m mood, u uuid, ip inet, r int4range, t text)");
	conn_->Exec("INSERT INTO t_def VALUES (1, 'one', " + std::string(kBig) + "), (2, NULL, 'small')");
	conn_->Exec("INSERT INTO t_full VALUES (1, 'f1')");
	conn_->Exec("INSERT INTO t_types VALUES (1, -12.5, '2024-02-29 12:34:56.789+02', '1 day 02:03:04', '\\x00ff',"
	            " '{\"k\": [1, \"x\"]}', '{1,NULL,3}', 'happy', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
	            " '10.0.0.1/8', '[1,5)', E'quote'' nl\\n tab\\t bs\\\\ end')");

	StartPoint sp;
	sp.snapshot_with_data = true;
	Running r({{"public", "t_def"}, {"public", "t_full"}, {"public", "t_none"}, {"public", "t_types"}}, sp);
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SnapshotDone; });
	}));
	auto &ev = r.events();
	ASSERT_EQ(ev[0].type, Ev::Notice) << "publication created first";
	ASSERT_EQ(ev[1].type, Ev::Tables);
	const auto tables = ev[1].tables;
	ASSERT_EQ(tables.size(), 4u);
	const int def = TableIndex(tables, "t_def"), full = TableIndex(tables, "t_full"), none = TableIndex(tables, "t_none"),
	          types = TableIndex(tables, "t_types");
	std::map<int, std::string> copied;
	std::map<int, uint64_t> counts;
	for (const auto &e : ev) {
		if (e.type == Ev::CopyRows)
			copied[e.table] += e.text;
		if (e.type == Ev::CopyEnd)
			counts[e.table] = e.rows;
	}
	EXPECT_EQ(counts[def], 2u);
	EXPECT_EQ(counts[full], 1u);
	EXPECT_EQ(counts[none], 0u);
	EXPECT_EQ(counts[types], 1u);
	EXPECT_EQ(copied[full], "1\tf1\n");
	EXPECT_EQ(copied[types],
	          "1\t-12.500\t2024-02-29 10:34:56.789+00\t1 day 02:03:04\t\\\\x00ff\t{\"k\": [1, \"x\"]}\t{1,NULL,3}\t"
	          "happy\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t10.0.0.1/8\t[1,5)\tquote' nl\\n tab\\t bs\\\\ end\n");
	EXPECT_NE(copied[def].find("2\t\\N\tsmall\n"), std::string::npos);
	const Ev done = ev.back(); /* a copy: ev grows below */
	ASSERT_EQ(done.type, Ev::SnapshotDone);
	PgPosition snap = ParsePgOffset(done.pos.offset);
	EXPECT_TRUE(snap.snapshot);
	EXPECT_GT(snap.lsn, 0u);

	/* the stream */
	conn_->Exec("INSERT INTO t_def VALUES (3, E'three\\nlines', 'x')");
	conn_->Exec("UPDATE t_def SET v = 'uno' WHERE id = 1");  /* big stays TOASTed, unchanged */
	conn_->Exec("UPDATE t_def SET id = 10 WHERE id = 2");    /* key change: old key sent */
	conn_->Exec("DELETE FROM t_def WHERE id = 3");
	conn_->Exec("UPDATE t_full SET v = 'f1b'");
	conn_->Exec("DELETE FROM t_full");
	conn_->Exec("INSERT INTO t_none VALUES (7, 'n')");
	conn_->Exec("UPDATE t_types SET t = E'a\\tb', b = NULL");
	conn_->Exec("BEGIN; INSERT INTO t_full VALUES (5, 'x'); TRUNCATE t_def, t_full; COMMIT");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::count_if(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Commit; }) >= 9;
	}));
	std::vector<std::string> seen;
	Position last_commit;
	Lsn prev = snap.lsn;
	for (const auto &e : ev) {
		if (e.type == Ev::Change) {
			const char *k[] = {"I", "U", "D", "T"};
			seen.push_back(tables[e.table].name + " " + k[static_cast<int>(e.kind)] + " [" + Row(e.before) + "] [" +
			               Row(e.after) + "]");
		} else if (e.type == Ev::Commit) {
			seen.push_back("commit");
			PgPosition p = ParsePgOffset(e.pos.offset);
			EXPECT_GT(p.lsn, prev);
			EXPECT_GT(p.txid, 0u);
			EXPECT_GT(p.lsn_commit, 0u);
			EXPECT_GT(e.pos.ts_usec, 1700000000000000ull);
			prev = p.lsn;
			last_commit = e.pos;
		} else if (e.type == Ev::Fail || e.type == Ev::SchemaChange) {
			seen.push_back("unexpected " + e.text);
		}
	}
	std::vector<std::string> want = {
		"t_def I [] [3|three\nlines|x]", "commit",
		"t_def U [1|<unchanged>|<unchanged>] [1|uno|<unchanged>]", "commit",
		"t_def U [2|<unchanged>|<unchanged>] [10|<null>|small]", "commit",
		"t_def D [3|<unchanged>|<unchanged>] []", "commit",
		"t_full U [1|f1] [1|f1b]", "commit",
		"t_full D [1|f1b] []", "commit",
		"t_none I [] [7|n]", "commit",
		"t_types U [1|<unchanged>|<unchanged>|<unchanged>|<unchanged>|<unchanged>|<unchanged>|<unchanged>|<unchanged>|"
		"<unchanged>|<unchanged>|<unchanged>] [1|-12.500|2024-02-29 10:34:56.789+00|1 day 02:03:04|<null>|"
		"{\"k\": [1, \"x\"]}|{1,NULL,3}|happy|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|10.0.0.1/8|[1,5)|a\tb]",
		"commit",
		"t_full I [] [5|x]", "t_def T [] []", "t_full T [] []", "commit"};
	EXPECT_EQ(seen, want);

	/* UPDATE on a published table without replica identity is refused by the source itself */
	EXPECT_THROW(conn_->Exec("UPDATE t_none SET v = 'z'"), Error);

	/* a column added: SchemaChange before the first change using it */
	conn_->Exec("ALTER TABLE t_full ADD COLUMN extra numeric(5,1) DEFAULT 1.5");
	conn_->Exec("INSERT INTO t_full VALUES (8, 'e', 2.5)");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::count_if(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Commit; }) >= 10;
	}));
	auto sc = std::find_if(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SchemaChange; });
	ASSERT_NE(sc, ev.end());
	EXPECT_EQ(sc->table, full);
	EXPECT_EQ(sc->text, "table \"public.t_full\": added column \"extra\" (numeric(5,1))");
	ASSERT_EQ(sc->tables[full].columns.size(), 3u);
	EXPECT_EQ(sc->tables[full].columns[2].pg.sql, "numeric(5,1)");
	EXPECT_EQ(Row((sc + 1)->after), "8|e|2.5");
	last_commit = std::find_if(ev.rbegin(), ev.rend(), [](const Ev &e) { return e.type == Ev::Commit; })->pos;

	/* confirmations reach the slot, never beyond */
	EXPECT_EQ(r.reader().Confirmed(), 0u);
	Position mid;
	for (const auto &e : ev)
		if (e.type == Ev::Commit) {
			mid = e.pos;
			break;
		}
	r.reader().Confirm(mid);
	r.reader().Confirm(done.pos); /* older: ignored */
	const Lsn mid_lsn = ParsePgOffset(mid.offset).lsn;
	EXPECT_EQ(r.reader().Confirmed(), mid_lsn);
	std::string slot = r.reader().SlotName();
	bool reached = false;
	for (int i = 0; i < 50 && !reached; ++i) {
		std::this_thread::sleep_for(100ms);
		auto info = FindSlot(*conn_, slot);
		ASSERT_TRUE(info);
		EXPECT_LE(info->confirmed_flush, mid_lsn);
		reached = info->confirmed_flush == mid_lsn;
	}
	EXPECT_TRUE(reached);
	r.reader().Confirm(last_commit);
	r.StopAndJoin();

	/* resume from the last commit: only what came after */
	conn_->Exec("INSERT INTO t_def VALUES (20, 'after', NULL)");
	StartPoint rs;
	rs.resume = last_commit;
	Running r2({{"public", "t_def"}, {"public", "t_full"}, {"public", "t_none"}, {"public", "t_types"}}, rs);
	ASSERT_TRUE(r2.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Commit; });
	}));
	std::vector<std::string> seen2;
	for (const auto &e : r2.events())
		if (e.type == Ev::Change)
			seen2.push_back(Row(e.after));
	EXPECT_EQ(seen2, (std::vector<std::string>{"20|after|<null>"}));
	EXPECT_EQ(r2.events()[0].type, Ev::Tables);
	/* Tables on resume come from the current catalog: t_full has its new column */
	EXPECT_EQ(r2.events()[0].tables[full].columns.size(), 3u);
	r2.StopAndJoin();
}

TEST_F(PgStream, StopIsPromptAndInitialOnlyLeavesNoSlot)
{
	conn_->Exec("CREATE TABLE t (id int PRIMARY KEY)");
	conn_->Exec("INSERT INTO t SELECT generate_series(1, 20000)");
	StartPoint sp;
	sp.snapshot_with_data = true;
	sp.stop_after_snapshot = true;
	Running r({}, sp, "initial_only");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Finished; });
	}));
	uint64_t rows = 0;
	size_t bytes = 0, chunks = 0;
	for (const auto &e : r.events()) {
		if (e.type == Ev::CopyEnd)
			rows += e.rows;
		if (e.type == Ev::CopyRows) {
			bytes += e.text.size();
			++chunks;
			EXPECT_EQ(e.text.back(), '\n');
			EXPECT_LE(e.text.size(), 64u * 1024 + 64);
		}
	}
	EXPECT_EQ(rows, 20000u);
	EXPECT_GE(chunks, 2u);
	r.StopAndJoin();
	/* the walsender ends (and drops its temporary slot) shortly after the connection closes */
	bool gone = false;
	for (int i = 0; i < 50 && !gone; ++i) {
		gone = !FindSlot(*conn_, "synchdb_initial_only");
		if (!gone)
			std::this_thread::sleep_for(100ms);
	}
	EXPECT_TRUE(gone) << "temporary slot gone with its connection";

	/* a streaming reader stops within about a second */
	StartPoint never;
	Running s({}, never, "stopper");
	ASSERT_TRUE(s.WaitFor([](const auto &ev) { return !ev.empty(); }));
	std::this_thread::sleep_for(300ms);
	auto t0 = std::chrono::steady_clock::now();
	s.StopAndJoin();
	EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
	EXPECT_TRUE(FindSlot(*conn_, "synchdb_stopper"));
}

TEST_F(PgStream, AllTablesPicksUpNewTableAndDropCleansUp)
{
	conn_->Exec("CREATE TABLE a (id int PRIMARY KEY)");
	StartPoint sp;
	sp.snapshot_with_data = false; /* schema only */
	Running r({}, sp, "alltables");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SnapshotDone; });
	}));
	EXPECT_EQ(r.Count(Ev::CopyRows), 0u);
	conn_->Exec("CREATE TABLE \"B x\" (k text PRIMARY KEY, \"we\"\"ird\" int)");
	conn_->Exec("INSERT INTO \"B x\" VALUES ('k1', 5)");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Commit; });
	}));
	auto sc = std::find_if(r.events().begin(), r.events().end(), [](const Ev &e) { return e.type == Ev::SchemaChange; });
	ASSERT_NE(sc, r.events().end());
	EXPECT_EQ(sc->text, "table \"public.B x\" added to replication (2 columns)");
	ASSERT_EQ(sc->tables.size(), 2u);
	EXPECT_EQ(sc->tables[1].columns[1].name, "we\"ird");
	EXPECT_EQ(sc->tables[1].primary_key, (std::vector<size_t>{0}));
	EXPECT_EQ(Row((sc + 1)->after), "k1|5");
	r.StopAndJoin();

	SourceConfig cfg;
	cfg.conninfo.name = "alltables";
	cfg.conninfo.hostname = "127.0.0.1";
	cfg.conninfo.port = pgsrc_test::TestEndpoint().port;
	cfg.conninfo.user = pgsrc_test::TestEndpoint().user;
	cfg.conninfo.srcdb = pgsrc_test::kTestDb;
	cfg.conninfo.table = "null";
	PostgresSource src(cfg);
	EXPECT_NE(src.CheckPrerequisites().find("PostgreSQL 15"), std::string::npos);
	Position p = src.ParseOffset("{\"lsn\":\"0/16B3748\",\"txId\":7}");
	EXPECT_EQ(p.offset, "{\"lsn\":23803720,\"txId\":7,\"ts_usec\":0}");
	EXPECT_LT(src.Compare(p, src.ParseOffset("{\"lsn\":23803721}")), 0);
	EXPECT_THROW(src.ParseOffset("{\"txId\":7}"), Error);
	EXPECT_THROW(src.ParseOffset("{\"lsn\":-1}"), Error);
	EXPECT_THROW(src.ParseOffset("[1]"), Error);
	ASSERT_TRUE(FindSlot(*conn_, "synchdb_alltables"));
	src.Drop();
	EXPECT_FALSE(FindSlot(*conn_, "synchdb_alltables"));
	EXPECT_EQ(conn_->Value("SELECT count(*) FROM pg_publication WHERE pubname = 'synchdb_alltables'"), "0");
	src.Drop(); /* idempotent */
}

TEST_F(PgStream, ResumeWithHistorySeesTheOldShapeFirst)
{
	conn_->Exec("CREATE TABLE t (id int PRIMARY KEY, v text)");
	StartPoint sp;
	sp.snapshot_with_data = true;
	Position snap;
	std::string history;
	{
		Running r({{"public", "t"}}, sp);
		ASSERT_TRUE(r.WaitFor([](const auto &ev) {
			return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SnapshotDone; });
		}));
		for (const auto &e : r.events()) {
			if (e.type == Ev::Tables)
				history = e.history;
			if (e.type == Ev::SnapshotDone)
				snap = e.pos;
		}
	}
	ASSERT_FALSE(history.empty());
	/* while the connector is down: a change in the old shape, then a column added */
	conn_->Exec("INSERT INTO t VALUES (1, 'old shape')");
	conn_->Exec("ALTER TABLE t ADD COLUMN c int");
	conn_->Exec("INSERT INTO t VALUES (2, 'new shape', 3)");

	auto run = [&](const std::string &h) {
		StartPoint rs;
		rs.resume = snap;
		rs.schema_history = h;
		Running r({{"public", "t"}}, rs);
		EXPECT_TRUE(r.WaitFor([](const auto &ev) {
			return std::count_if(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Commit; }) >= 2;
		}));
		std::vector<std::string> seen;
		for (const auto &e : r.events()) {
			if (e.type == Ev::Tables)
				seen.push_back("tables " + std::to_string(e.tables[0].columns.size()));
			if (e.type == Ev::SchemaChange)
				seen.push_back(e.text);
			if (e.type == Ev::Change)
				seen.push_back(Row(e.after));
		}
		return seen;
	};
	EXPECT_EQ(run(history), (std::vector<std::string>{"tables 2", "1|old shape",
	                                                  "table \"public.t\": added column \"c\" (integer)",
	                                                  "2|new shape|3"}));
	/* without the history the catalog's newer shape comes first: the old rows look like a dropped column */
	EXPECT_EQ(run(""), (std::vector<std::string>{"tables 3", "table \"public.t\": dropped column \"c\"",
	                                             "1|old shape", "table \"public.t\": added column \"c\" (integer)",
	                                             "2|new shape|3"}));
	/* a damaged history is an error, not a guess */
	StartPoint bad;
	bad.resume = snap;
	bad.schema_history = "{\"v\":1,\"tables\":[{\"oid\":1}]}";
	Running r({{"public", "t"}}, bad);
	r.allow_fail = true;
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Fail; });
	}));
	const Ev &f = r.events().back();
	EXPECT_EQ(f.sqlstate, sqlstate::kDataCorrupted);
	EXPECT_NE(f.text.find("schema history is damaged"), std::string::npos) << f.text;
}

TEST_F(PgStream, FullIdentityToastAndLostConnection)
{
	conn_->Exec("CREATE TABLE f (id int, v text, big text)");
	conn_->Exec("ALTER TABLE f REPLICA IDENTITY FULL");
	conn_->Exec("INSERT INTO f VALUES (1, 'a', " + std::string(kBig) + ")");
	const std::string big = *conn_->Value(std::string("SELECT ") + kBig);
	StartPoint sp;
	sp.snapshot_with_data = false;
	Running r({{"public", "f"}}, sp, "lost");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SnapshotDone; });
	}));
	conn_->Exec("UPDATE f SET v = 'b'");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Commit; });
	}));
	auto ch = std::find_if(r.events().begin(), r.events().end(), [](const Ev &e) { return e.type == Ev::Change; });
	ASSERT_NE(ch, r.events().end());
	/* the full old row carries the TOASTed value; the new row marks it unchanged */
	EXPECT_EQ(Row(ch->before), "1|a|" + big);
	EXPECT_EQ(Row(ch->after), "1|b|<unchanged>");

	/* a second reader on the same slot waits, then reports a connection problem (the engine retries) */
	{
		StartPoint never;
		Running other({{"public", "f"}}, never, "lost", [](PgReader &p) { p.SetSlotWait(1s); });
		other.allow_fail = true;
		ASSERT_TRUE(other.WaitFor([](const auto &ev) {
			return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Fail; });
		}));
		const Ev &f = other.events().back();
		EXPECT_EQ(f.sqlstate, sqlstate::kUnableToConnect) << f.text;
		EXPECT_NE(f.text.find("is in use by process"), std::string::npos) << f.text;
	}

	/* the walsender goes away: SourceLost class, not an error that stops the connector */
	r.allow_fail = true;
	conn_->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender'"
	            " AND application_name = 'synchdb_lost'");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Fail; });
	}));
	const Ev &f = r.events().back();
	EXPECT_EQ(f.sqlstate, sqlstate::kConnectionFailure) << f.text;
}

TEST_F(PgStream, IdleHeartbeatAdvancesTheSlot)
{
	conn_->Exec("CREATE TABLE mine (id int PRIMARY KEY)");
	conn_->Exec("CREATE TABLE other (id int PRIMARY KEY)");
	StartPoint sp;
	sp.snapshot_with_data = false;
	Running r({{"public", "mine"}}, sp, "beat", [](PgReader &p) { p.SetHeartbeatInterval(300ms); });
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SnapshotDone; });
	}));
	const Lsn snap = ParsePgOffset(r.events().back().pos.offset).lsn;
	/* WAL of a table outside the publication only */
	conn_->Exec("INSERT INTO other SELECT generate_series(1, 1000)");
	const Lsn after_other = ParseLsn(*conn_->Value("SELECT pg_current_wal_lsn()"));
	ASSERT_TRUE(r.WaitFor([&](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [&](const Ev &e) {
			return e.type == Ev::Commit && ParsePgOffset(e.pos.offset).lsn >= after_other;
		});
	}));
	EXPECT_EQ(r.Count(Ev::Change), 0u);
	Position beat;
	for (const auto &e : r.events())
		if (e.type == Ev::Commit) {
			PgPosition p = ParsePgOffset(e.pos.offset);
			EXPECT_EQ(p.txid, 0u);
			EXPECT_GT(p.lsn, snap);
			beat = e.pos;
		}
	/* a real transaction after the heartbeat still comes through, after it */
	conn_->Exec("INSERT INTO mine VALUES (1)");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::Change; });
	}));
	r.reader().Confirm(beat);
	const Lsn beat_lsn = ParsePgOffset(beat.offset).lsn;
	bool reached = false;
	for (int i = 0; i < 50 && !reached; ++i) {
		std::this_thread::sleep_for(100ms);
		reached = FindSlot(*conn_, "synchdb_beat")->confirmed_flush == beat_lsn;
	}
	EXPECT_TRUE(reached);
}

TEST_F(PgStream, HeartbeatFollowsTheWalEndOnceTheStreamGoesIdleAfterOurTransaction)
{
	conn_->Exec("CREATE TABLE mine (id int PRIMARY KEY)");
	conn_->Exec("CREATE TABLE other (id int PRIMARY KEY)");
	StartPoint sp;
	sp.snapshot_with_data = false;
	/* an interval far beyond the test: only "idle after a transaction of ours" can emit the heartbeat */
	Running r({{"public", "mine"}}, sp, "idlebeat", [](PgReader &p) { p.SetHeartbeatInterval(600s); });
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::SnapshotDone; });
	}));
	/* without a transaction of ours, WAL of other tables does not make a heartbeat before the interval */
	conn_->Exec("INSERT INTO other SELECT generate_series(1, 100)");
	std::this_thread::sleep_for(1500ms);
	EXPECT_EQ(r.Count(Ev::Commit), 0u);

	conn_->Exec("INSERT INTO mine VALUES (1)");
	conn_->Exec("INSERT INTO other SELECT generate_series(101, 1100)");
	const Lsn after_other = ParseLsn(*conn_->Value("SELECT pg_current_wal_lsn()"));
	ASSERT_TRUE(r.WaitFor([&](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [&](const Ev &e) {
			return e.type == Ev::Commit && ParsePgOffset(e.pos.offset).txid == 0 &&
			       ParsePgOffset(e.pos.offset).lsn >= after_other;
		});
	}));
	/* our transaction first, then the heartbeat past it */
	std::vector<Ev::Type> kinds;
	for (const auto &e : r.events())
		if (e.type == Ev::Change || e.type == Ev::Commit)
			kinds.push_back(e.type);
	ASSERT_GE(kinds.size(), 3u);
	EXPECT_EQ(kinds[0], Ev::Change);
	EXPECT_EQ(kinds[1], Ev::Commit);
	EXPECT_EQ(kinds.back(), Ev::Commit);
}

TEST_F(PgStream, StopDuringSnapshot)
{
	conn_->Exec("CREATE TABLE big (id int PRIMARY KEY, pad text)");
	conn_->Exec("INSERT INTO big SELECT i, repeat('x', 200) FROM generate_series(1, 200000) AS i");
	StartPoint sp;
	sp.snapshot_with_data = true;
	Running r({}, sp, "stopcopy");
	ASSERT_TRUE(r.WaitFor([](const auto &ev) {
		return std::any_of(ev.begin(), ev.end(), [](const Ev &e) { return e.type == Ev::CopyRows; });
	}));
	/* nobody reads the queue (4 batches): the reader blocks on it */
	std::this_thread::sleep_for(300ms);
	auto t0 = std::chrono::steady_clock::now();
	r.StopAndJoin();
	EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
	EXPECT_EQ(r.Count(Ev::SnapshotDone), 0u);
	EXPECT_EQ(r.Count(Ev::Fail), 0u);
}

TEST(PgSourceNames, ObjectName)
{
	EXPECT_EQ(ObjectName("mysrc"), "synchdb_mysrc");
	EXPECT_EQ(ObjectName("My-Src.1"), "synchdb_my_src_1");
	std::string longname(63, 'a');
	std::string n = ObjectName(longname);
	EXPECT_EQ(n.size(), 63u);
	EXPECT_NE(n, ObjectName(std::string(62, 'a') + "b"));
}

TEST(PgSourceNames, Offsets)
{
	PgPosition p;
	p.lsn = 100;
	p.lsn_commit = 90;
	p.txid = 5;
	p.ts_usec = 7;
	EXPECT_EQ(p.ToOffsetJson(), "{\"lsn\":100,\"lsn_commit\":90,\"txId\":5,\"ts_usec\":7}");
	PgPosition q = ParsePgOffset(p.ToOffsetJson());
	EXPECT_EQ(q.lsn, 100u);
	EXPECT_EQ(q.lsn_commit, 90u);
	EXPECT_EQ(q.txid, 5u);
	EXPECT_EQ(q.ts_usec, 7u);
	EXPECT_EQ(ParsePgOffset("{\"lsn\":18446744073709551615}").lsn, ~0ull);
	for (const char *bad : {"", "{", "{\"lsn\":0}", "{\"lsn\":1.5}", "{\"lsn\":18446744073709551616}",
	                        "{\"lsn\":\"zz\"}", "{\"lsn\":1,\"snapshot\":1}", "{\"lsn\":1,\"txId\":\"x\"}"})
		EXPECT_THROW(ParsePgOffset(bad), Error) << bad;
}
