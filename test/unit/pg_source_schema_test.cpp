/*
 * pg_source_schema_test.cpp
 *     PostgreSQL source: connection errors, catalog reading of a type matrix,
 *     table filters, defaults, prerequisites (pure and live).
 *     Live tests need SYNCHDB_PGSRC_PORT (see pg_source_live.hpp).
 */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sources/postgres/connection.hpp"
#include "core/sources/postgres/history.hpp"
#include "core/sources/postgres/prerequisites.hpp"
#include "core/sources/postgres/schema.hpp"
#include "pg_source_live.hpp"

using namespace synchdb;
using namespace synchdb::pgsrc;

namespace {

const NeutralColumn &Col(const NeutralTable &t, const std::string &name)
{
	for (const auto &c : t.columns)
		if (c.name == name)
			return c;
	throw std::runtime_error("no column " + name);
}

const NeutralTable &Tab(const std::vector<NeutralTable> &ts, const std::string &name)
{
	for (const auto &t : ts)
		if (t.name == name)
			return t;
	throw std::runtime_error("no table " + name);
}

}  // namespace

/* ---------------------------------------------------------------- pure */

TEST(PgSourceSchema, TableList)
{
	EXPECT_TRUE(ParseTableList("", "db").empty());
	EXPECT_TRUE(ParseTableList("null", "db").empty());
	auto l = ParseTableList(" public.a , s.b,db.x.y,public.a", "db");
	ASSERT_EQ(l.size(), 3u);
	EXPECT_EQ(l[0].ToString(), "public.a");
	EXPECT_EQ(l[2].ToString(), "x.y");
	for (const char *bad : {"a", "a.b.c", "public.", ".a", "public.a,", "p.a b", "otherdb.x.y"})
		EXPECT_THROW(ParseTableList(bad, "db"), Error) << bad;
}

TEST(PgSourceSchema, ArrayLiteral)
{
	EXPECT_EQ(TextArrayLiteral({}), "{}");
	EXPECT_EQ(TextArrayLiteral({"a", "b\"c", "d\\e", "{,}"}), "{\"a\",\"b\\\"c\",\"d\\\\e\",\"{,}\"}");
}

TEST(PgSourceSchema, DefaultShapes)
{
	for (const char *ok : {"0", "-1.5", "true", "NULL", "now()", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP(3)",
	                       "'it''s'::text", "'{}'::integer[]", "'-1'::integer", "'abc'::character varying",
	                       "'2020-01-01'::date", "LOCALTIMESTAMP"})
		EXPECT_TRUE(IsSafeDefaultShape(ok)) << ok;
	for (const char *bad : {"nextval('s'::regclass)", "random()", "gen_random_uuid()", "'a'::text || 'b'::text",
	                        "'x'::\"Mood\"", "'x'", "'unterminated::text", "(1 + 2)", "upper('a'::text)",
	                        "'a'::text; DROP TABLE x", "CURRENT_TIMESTAMP(33)"})
		EXPECT_FALSE(IsSafeDefaultShape(bad)) << bad;
}

TEST(PgSourceSchema, ToNeutralMapping)
{
	SourceColumn c;
	c.name = "n";
	c.type_oid = 1700;
	c.typmod = (10 << 16 | 2) + 4;
	c.type_text = "numeric(10,2)";
	c.type_base = "numeric";
	c.default_expr = "0.00";
	c.default_builtin_only = true;
	NeutralColumn n = ToNeutral(c);
	EXPECT_EQ(n.type_name, "numeric");
	EXPECT_EQ(n.type_text, "numeric(10,2)");
	EXPECT_EQ(n.pg.sql, "numeric(10,2)");
	EXPECT_EQ(n.pg.kind, PgKind::Numeric);
	EXPECT_EQ(n.rule_info.precision, 10);
	EXPECT_EQ(n.rule_info.scale, 2);
	EXPECT_EQ(n.pg_default, "0.00");

	SourceColumn e;
	e.name = "mood";
	e.type_oid = 16500;
	e.type_text = e.type_base = "Mood";
	e.builtin = false;
	e.typtype = 'e';
	e.default_expr = "'happy'::\"Mood\"";
	NeutralColumn en = ToNeutral(e);
	EXPECT_EQ(en.type_name, "mood");
	EXPECT_EQ(en.pg.sql, "text");
	EXPECT_EQ(en.pg.kind, PgKind::Text);
	EXPECT_FALSE(en.pg_default);
}

TEST(PgSourceSchema, ProblemsPure)
{
	SourceSettings s;
	s.where = "h:1";
	s.user = "u\"x";
	s.version = "15.4";
	s.version_num = 150004;
	s.wal_level = "replica";
	s.max_replication_slots = 2;
	s.used_replication_slots = 2;
	s.max_wal_senders = 1;
	s.used_wal_senders = 1;
	s.publication_name = "synchdb_c";
	s.all_tables = true;
	SourceTable t;
	t.schema = "public";
	t.name = "nokey";
	t.replident = 'd';
	t.owner = "other";
	s.tables.push_back(t);
	auto p = FindProblems(s);
	std::string all = DescribeProblems(s, p);
	EXPECT_EQ(p.size(), 8u) << all;
	EXPECT_NE(all.find("ALTER SYSTEM SET wal_level = logical"), std::string::npos) << all;
	EXPECT_NE(all.find("ALTER ROLE \"u\"\"x\" REPLICATION"), std::string::npos) << all;
	EXPECT_NE(all.find("max_replication_slots"), std::string::npos) << all;
	EXPECT_NE(all.find("max_wal_senders"), std::string::npos) << all;
	EXPECT_NE(all.find("FOR ALL TABLES"), std::string::npos) << all;
	EXPECT_NE(all.find("GRANT SELECT ON \"public\".\"nokey\""), std::string::npos) << all;
	EXPECT_NE(all.find("REPLICA IDENTITY FULL"), std::string::npos) << all;

	s.wal_level = "logical";
	s.superuser = true;
	s.used_replication_slots = 0;
	s.used_wal_senders = 0;
	s.tables[0].primary_key = {0};
	s.tables[0].can_select = true;
	EXPECT_TRUE(FindProblems(s).empty()) << DescribeProblems(s, FindProblems(s));

	s.superuser = false;
	s.replication = true;
	s.all_tables = false;
	s.can_create_in_db = true;
	p = FindProblems(s);
	ASSERT_EQ(p.size(), 1u);
	EXPECT_NE(p[0].what.find("does not own \"public.nokey\" (owner \"other\")"), std::string::npos) << p[0].what;
	s.publication_exists = true;
	EXPECT_TRUE(FindProblems(s).empty());
}

TEST(PgSourceSchema, HistoryRoundTrip)
{
	SourceTable t;
	t.oid = 4000000000u;
	t.schema = "s\"q";
	t.name = "t\nx";
	t.replident = 'f';
	SourceColumn a;
	a.name = "id";
	a.attnum = 1;
	a.type_oid = 23;
	a.type_text = a.type_base = "integer";
	a.typcategory = 'N';
	a.not_null = true;
	SourceColumn b;
	b.name = "m";
	b.attnum = 3;
	b.type_oid = 16500;
	b.typmod = -1;
	b.type_text = b.type_base = "mood[]";
	b.typcategory = 'A';
	b.elem_oid = 16499;
	b.builtin = false;
	b.default_expr = "'{}'::mood[]";
	t.columns = {a, b};
	t.primary_key = {0};
	t.replident_index = {1, 0};
	std::string h = TablesToHistory({t, t});
	auto back = TablesFromHistory(h);
	ASSERT_EQ(back.size(), 2u);
	EXPECT_EQ(TablesToHistory(back), h);
	EXPECT_EQ(back[0].oid, 4000000000u);
	EXPECT_EQ(back[0].name, "t\nx");
	EXPECT_EQ(back[0].columns[1].default_expr, "'{}'::mood[]");
	EXPECT_FALSE(back[0].columns[0].default_expr);
	EXPECT_EQ(back[0].replident_index, (std::vector<size_t>{1, 0}));
	EXPECT_EQ(TablesFromHistory("{\"v\":1,\"tables\":[]}").size(), 0u);
	for (std::string bad : {std::string(""), std::string("[]"), std::string("{\"v\":2,\"tables\":[]}"),
	                        h.substr(0, h.size() / 2), std::string("{\"v\":1,\"tables\":[{\"oid\":-1}]}")}) {
		try {
			TablesFromHistory(bad);
			ADD_FAILURE() << bad;
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted) << bad;
		}
	}
	/* a key index beyond the columns */
	std::string oob = h;
	oob.replace(oob.find("\"pk\":[0]"), 8, "\"pk\":[9]");
	EXPECT_THROW(TablesFromHistory(oob), Error);
}

/* ---------------------------------------------------------------- live */

TEST(PgSourceLive, ConnectionErrors)
{
	PGSRC_SKIP_UNLESS_LIVE();
	Endpoint ep = pgsrc_test::TestEndpoint("postgres");
	{
		Connection c(ep, ConnKind::Normal);
		EXPECT_EQ(c.Value("SHOW application_name"), "synchdb_pgsrc_test");
		EXPECT_EQ(c.Value("SHOW DateStyle"), "ISO, YMD");
		EXPECT_EQ(c.Value("SHOW TimeZone"), "UTC");
		EXPECT_GE(c.ServerVersionNum(), 100000);
		try {
			c.Exec("SELECT * FROM no_such_table");
			FAIL();
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), "42P01");
			EXPECT_NE(std::string(e.what()).find("connector \"pgsrc_test\""), std::string::npos) << e.what();
		}
		/* still usable after an error */
		EXPECT_EQ(c.Value("SELECT 1"), "1");
		Result r = c.ExecParams("SELECT $1::text, $2::text IS NULL", {std::string("a'b"), std::nullopt});
		EXPECT_EQ(r.Get(0, 0), "a'b");
		EXPECT_EQ(r.Get(0, 1), "t");
	}
	{
		Connection rc(ep, ConnKind::Replication);
		Result r = rc.Exec("IDENTIFY_SYSTEM");
		EXPECT_EQ(r.Rows(), 1);
	}
	Endpoint bad = ep;
	bad.port = 1; /* nothing listens there */
	try {
		Connection c(bad, ConnKind::Normal);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kUnableToConnect) << e.what();
		EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
	}
	Endpoint nodb = ep;
	nodb.dbname = "synchdb_no_such_db";
	try {
		Connection c(nodb, ConnKind::Normal);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), kInvalidCatalogName) << e.what();
	}
	Endpoint norole = ep;
	norole.user = "synchdb_no_such_role";
	try {
		Connection c(norole, ConnKind::Normal);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidAuthorization) << e.what();
	}
}

TEST(PgSourceLive, WrongPassword)
{
	PGSRC_SKIP_UNLESS_LIVE();
	Connection admin(pgsrc_test::TestEndpoint("postgres"), ConnKind::Normal);
	if (admin.Value("SELECT count(*) FROM pg_hba_file_rules WHERE 'synchdb_pwtest' = ANY (user_name)"
	                " AND auth_method LIKE 'scram%'") == "0")
		GTEST_SKIP() << "pg_hba.conf has no scram-sha-256 line for synchdb_pwtest";
	admin.Exec("DROP ROLE IF EXISTS synchdb_pwtest");
	admin.Exec("CREATE ROLE synchdb_pwtest LOGIN PASSWORD 'right-secret'");
	Endpoint ep = pgsrc_test::TestEndpoint("postgres");
	ep.user = "synchdb_pwtest";
	ep.password = "wrong-secret-xyz";
	for (ConnKind kind : {ConnKind::Normal, ConnKind::Replication}) {
		try {
			Connection c(ep, kind);
			ADD_FAILURE();
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidPassword) << e.what();
			std::string all = std::string(e.what()) + e.detail() + e.hint();
			EXPECT_EQ(all.find("wrong-secret-xyz"), std::string::npos) << all;
		}
	}
	ep.password = "";
	try {
		Connection c(ep, ConnKind::Normal);
		ADD_FAILURE();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidPassword) << e.what();
	}
	ep.password = "right-secret";
	{
		Connection ok(ep, ConnKind::Normal);
		EXPECT_EQ(ok.Value("SELECT current_user"), "synchdb_pwtest");
	}
	admin.Exec("DROP ROLE synchdb_pwtest");
}

TEST(PgSourceLive, TypeMatrix)
{
	PGSRC_SKIP_UNLESS_LIVE();
	auto conn = pgsrc_test::FreshDatabase();
	conn->Exec("CREATE TYPE mood AS ENUM ('sad', 'happy')");
	conn->Exec("CREATE DOMAIN posint AS integer CHECK (VALUE > 0)");
	conn->Exec("CREATE SCHEMA \"Odd \"\"Schema\"");
	conn->Exec("CREATE SEQUENCE myseq");
	conn->Exec(R"(CREATE TABLE public.matrix (
		id serial PRIMARY KEY,
		n numeric(10,2) NOT NULL DEFAULT 0.5,
		n2 numeric,
		ts timestamptz DEFAULT now(),
		ts3 timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP,
		iv interval,
		b bytea,
		j json,
		jb jsonb DEFAULT '{}'::jsonb,
		ia integer[] DEFAULT '{}',
		ta text[],
		m mood DEFAULT 'happy',
		ma mood[],
		d posint,
		r int4range,
		u uuid DEFAULT gen_random_uuid(),
		ip inet,
		money money,
		vc varchar(20) DEFAULT 'it''s',
		t text DEFAULT 'a' || 'b',
		s bigint DEFAULT nextval('myseq'),
		g integer GENERATED ALWAYS AS (id * 2) STORED,
		ident bigint GENERATED BY DEFAULT AS IDENTITY,
		bits bit(5),
		dropme integer
	))");
	conn->Exec("ALTER TABLE public.matrix DROP COLUMN dropme");
	conn->Exec("CREATE TABLE \"Odd \"\"Schema\".\"Mixed.Case\" (k text, v text, PRIMARY KEY (v, k))");
	conn->Exec("CREATE TABLE public.nokey (a int)");
	conn->Exec("CREATE TABLE public.ri_index (a int NOT NULL, b int)");
	conn->Exec("CREATE UNIQUE INDEX ri_idx ON public.ri_index (a)");
	conn->Exec("ALTER TABLE public.ri_index REPLICA IDENTITY USING INDEX ri_idx");
	conn->Exec("CREATE TABLE public.parted (a int) PARTITION BY RANGE (a)");
	conn->Exec("CREATE VIEW public.v AS SELECT 1 AS x");

	auto all = ReadSourceTables(*conn, {});
	std::vector<std::string> names;
	for (const auto &t : all)
		names.push_back(t.QualifiedName());
	EXPECT_EQ(names, (std::vector<std::string>{"Odd \"Schema.Mixed.Case", "public.matrix", "public.nokey",
	                                           "public.ri_index"}));
	std::vector<NeutralTable> nt;
	for (const auto &t : all)
		nt.push_back(ToNeutral(t));
	const NeutralTable &m = Tab(nt, "matrix");
	EXPECT_EQ(m.db, "public");
	std::vector<std::string> cols;
	for (const auto &c : m.columns)
		cols.push_back(c.name);
	EXPECT_EQ(cols, (std::vector<std::string>{"id", "n", "n2", "ts", "ts3", "iv", "b", "j", "jb", "ia", "ta", "m",
	                                          "ma", "d", "r", "u", "ip", "money", "vc", "t", "s", "ident", "bits"}));
	EXPECT_EQ(m.primary_key, (std::vector<size_t>{0}));
	EXPECT_TRUE(Col(m, "id").auto_increment);
	EXPECT_FALSE(Col(m, "id").pg_default);
	EXPECT_FALSE(Col(m, "id").nullable);
	EXPECT_EQ(Col(m, "id").pg.sql, "integer");
	EXPECT_EQ(Col(m, "n").type_name, "numeric");
	EXPECT_EQ(Col(m, "n").type_text, "numeric(10,2)");
	EXPECT_EQ(Col(m, "n").pg.sql, "numeric(10,2)");
	EXPECT_EQ(Col(m, "n").pg_default, "0.5");
	EXPECT_FALSE(Col(m, "n").nullable);
	EXPECT_EQ(Col(m, "n2").pg.sql, "numeric");
	EXPECT_EQ(Col(m, "ts").type_name, "timestamp with time zone");
	EXPECT_EQ(Col(m, "ts").pg.kind, PgKind::Timestamptz);
	EXPECT_EQ(Col(m, "ts").pg_default, "now()");
	EXPECT_EQ(Col(m, "ts3").pg.sql, "timestamp(3) without time zone");
	EXPECT_EQ(Col(m, "ts3").pg_default, "CURRENT_TIMESTAMP");
	EXPECT_EQ(Col(m, "ts3").rule_info.fsp, 3);
	EXPECT_EQ(Col(m, "iv").pg.sql, "interval");
	EXPECT_EQ(Col(m, "iv").pg.kind, PgKind::Text);
	EXPECT_EQ(Col(m, "b").pg.kind, PgKind::Bytea);
	EXPECT_EQ(Col(m, "j").pg.sql, "json");
	EXPECT_EQ(Col(m, "jb").pg.sql, "jsonb");
	EXPECT_EQ(Col(m, "jb").pg_default, "'{}'::jsonb");
	EXPECT_EQ(Col(m, "ia").type_name, "integer[]");
	EXPECT_EQ(Col(m, "ia").pg.sql, "integer[]");
	EXPECT_EQ(Col(m, "ia").pg.kind, PgKind::Text);
	EXPECT_EQ(Col(m, "ia").pg_default, "'{}'::integer[]");
	EXPECT_EQ(Col(m, "ta").pg.sql, "text[]");
	EXPECT_EQ(Col(m, "m").type_name, "mood");
	EXPECT_EQ(Col(m, "m").pg.sql, "text");
	EXPECT_FALSE(Col(m, "m").pg_default);
	EXPECT_EQ(Col(m, "ma").type_name, "mood[]");
	EXPECT_EQ(Col(m, "ma").pg.sql, "text");
	EXPECT_EQ(Col(m, "d").type_name, "posint");
	EXPECT_EQ(Col(m, "d").pg.sql, "text");
	EXPECT_EQ(Col(m, "r").pg.sql, "int4range");
	EXPECT_EQ(Col(m, "u").pg.kind, PgKind::Uuid);
	EXPECT_FALSE(Col(m, "u").pg_default); /* volatile function: dropped */
	EXPECT_EQ(Col(m, "ip").pg.kind, PgKind::Inet);
	EXPECT_EQ(Col(m, "money").pg.sql, "money");
	EXPECT_EQ(Col(m, "vc").pg.sql, "character varying(20)");
	EXPECT_EQ(Col(m, "vc").pg.kind, PgKind::Varchar);
	EXPECT_EQ(Col(m, "vc").rule_info.char_length, 20);
	EXPECT_EQ(Col(m, "vc").pg_default, "'it''s'::character varying");
	EXPECT_FALSE(Col(m, "t").pg_default);
	EXPECT_FALSE(Col(m, "s").pg_default);
	EXPECT_TRUE(Col(m, "ident").auto_increment);
	EXPECT_EQ(Col(m, "bits").pg.sql, "bit(5)");
	EXPECT_EQ(Col(m, "bits").rule_info.bit_width, 5);

	const NeutralTable &odd = Tab(nt, "Mixed.Case");
	EXPECT_EQ(odd.db, "Odd \"Schema");
	EXPECT_EQ(odd.primary_key, (std::vector<size_t>{1, 0}));
	const SourceTable &ri = all[3];
	EXPECT_EQ(ri.replident, 'i');
	EXPECT_EQ(ri.IdentityColumns(), (std::vector<size_t>{0}));
	EXPECT_TRUE(all[1].user_is_owner);
	EXPECT_TRUE(all[1].can_select);
	EXPECT_EQ(all[1].skipped_generated, (std::vector<std::string>{"g"}));

	/* filter */
	auto some = ReadSourceTables(*conn, {{"Odd \"Schema", "Mixed.Case"}, {"public", "nokey"}});
	ASSERT_EQ(some.size(), 2u);
	try {
		ReadSourceTables(*conn, {{"public", "nokey"}, {"public", "nope'); DROP TABLE x; --"}, {"x", "y"}});
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedObject);
		EXPECT_NE(std::string(e.what()).find("tables \"public.nope'); DROP TABLE x; --\", \"x.y\" do not exist"),
		          std::string::npos)
			<< e.what();
	}
	/* a view or partitioned parent is not a table */
	EXPECT_THROW(ReadSourceTables(*conn, {{"public", "v"}}), Error);
	EXPECT_THROW(ReadSourceTables(*conn, {{"public", "parted"}}), Error);
}

TEST(PgSourceLive, Prerequisites)
{
	PGSRC_SKIP_UNLESS_LIVE();
	auto conn = pgsrc_test::FreshDatabase();
	conn->Exec("CREATE TABLE public.good (id int PRIMARY KEY, v text)");
	conn->Exec("CREATE TABLE public.nokey (a int)");
	conn->Exec("DROP ROLE IF EXISTS synchdb_pgsrc_plain");
	conn->Exec("CREATE ROLE synchdb_pgsrc_plain LOGIN");
	{
		/* superuser, listed good table: ready */
		auto s = ReadSourceSettings(*conn, {{"public", "good"}}, "synchdb_x", "synchdb_x");
		auto p = FindProblems(s);
		EXPECT_TRUE(p.empty()) << DescribeProblems(s, p);
		EXPECT_TRUE(s.superuser);
		EXPECT_EQ(s.wal_level, "logical");
	}
	{
		/* a plain role: no REPLICATION, no CREATE, not owner, no SELECT, all tables needs superuser, nokey */
		Endpoint ep = pgsrc_test::TestEndpoint();
		ep.user = "synchdb_pgsrc_plain";
		Connection plain(ep, ConnKind::Normal);
		auto s = ReadSourceSettings(plain, {}, "synchdb_x", "synchdb_x");
		auto p = FindProblems(s);
		std::string all = DescribeProblems(s, p);
		EXPECT_EQ(p.size(), 5u) << all;
		EXPECT_NE(all.find("ALTER ROLE \"synchdb_pgsrc_plain\" REPLICATION"), std::string::npos) << all;
		EXPECT_NE(all.find("GRANT CREATE ON DATABASE"), std::string::npos) << all;
		EXPECT_NE(all.find("FOR ALL TABLES"), std::string::npos) << all;
		EXPECT_NE(all.find("GRANT SELECT ON \"public\".\"good\", \"public\".\"nokey\""), std::string::npos) << all;
		EXPECT_NE(all.find("\"public\".\"nokey\"; once published"), std::string::npos) << all;

		auto s2 = ReadSourceSettings(plain, {{"public", "good"}}, "synchdb_x", "synchdb_x");
		auto p2 = FindProblems(s2);
		std::string all2 = DescribeProblems(s2, p2);
		EXPECT_NE(all2.find("does not own \"public.good\" (owner \"postgres\")"), std::string::npos) << all2;
	}
	{
		Endpoint ep = pgsrc_test::TestEndpoint();
		ep.user = "synchdb_pgsrc_plain";
		try {
			Connection repl(ep, ConnKind::Replication);
			ADD_FAILURE() << "replication connection without REPLICATION";
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege) << e.what();
			EXPECT_NE(e.hint().find("REPLICATION"), std::string::npos) << e.hint();
		}
		conn->Exec("REVOKE CONNECT ON DATABASE synchdb_pgsrc_test FROM PUBLIC");
		try {
			Connection c(ep, ConnKind::Normal);
			ADD_FAILURE() << "connection without CONNECT";
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege) << e.what();
			EXPECT_NE(e.hint().find("GRANT CONNECT ON DATABASE \"synchdb_pgsrc_test\""), std::string::npos)
				<< e.hint();
		}
		conn->Exec("GRANT CONNECT ON DATABASE synchdb_pgsrc_test TO PUBLIC");
	}
	conn->Exec("ALTER ROLE synchdb_pgsrc_plain REPLICATION");
	conn->Exec("ALTER TABLE public.good OWNER TO synchdb_pgsrc_plain");
	conn->Exec("GRANT CREATE ON DATABASE synchdb_pgsrc_test TO synchdb_pgsrc_plain");
	{
		Endpoint ep = pgsrc_test::TestEndpoint();
		ep.user = "synchdb_pgsrc_plain";
		Connection plain(ep, ConnKind::Normal);
		auto s = ReadSourceSettings(plain, {{"public", "good"}}, "synchdb_x", "synchdb_x");
		auto p = FindProblems(s);
		EXPECT_TRUE(p.empty()) << DescribeProblems(s, p);
	}
	conn.reset();
	Connection admin(pgsrc_test::TestEndpoint("postgres"), ConnKind::Normal);
	admin.Exec(std::string("DROP DATABASE ") + pgsrc_test::kTestDb + " WITH (FORCE)");
	admin.Exec("DROP ROLE synchdb_pgsrc_plain");
}
