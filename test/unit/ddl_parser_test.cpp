/*
 * ddl_parser_test.cpp
 *     The MySQL/MariaDB DDL parser (src/core/ddl): a corpus of real-world
 *     statements (test/fixtures/ddl/corpus.sql), detailed AST checks,
 *     rejected statements, truncation robustness, and schema tracking.
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/sources/mysql/ddl/lexer.hpp"
#include "core/sources/mysql/ddl/parser.hpp"
#include "core/sources/mysql/ddl/schema.hpp"
#include "core/error.hpp"
#include "core/sources/mysql/typemap.hpp"

using namespace synchdb;
using namespace synchdb::ddl;

namespace {

struct CorpusEntry {
	std::string expect, sql;
};

std::vector<CorpusEntry> Corpus()
{
	const char *env = std::getenv("SYNCHDB_FIXTURES");
	std::string base = env && *env ? env : "test/fixtures";
	std::ifstream in(base + "/ddl/corpus.sql");
	std::vector<CorpusEntry> out;
	std::string line;
	CorpusEntry cur;
	bool have = false;
	auto flush = [&]() {
		if (have && !cur.sql.empty())
			out.push_back(cur);
		cur = {};
		have = false;
	};
	while (std::getline(in, line)) {
		if (line == "-- ----") {
			flush();
			continue;
		}
		if (line.rfind("-- expect: ", 0) == 0) {
			cur.expect = line.substr(11);
			have = true;
			continue;
		}
		if (have)
			cur.sql += (cur.sql.empty() ? "" : "\n") + line;
	}
	flush();
	return out;
}

Statement P(const std::string &sql, const std::string &db = "app")
{
	return Parse(sql, db);
}

const ColumnDef &Col(const Statement &st, size_t i)
{
	return st.create.columns.at(i);
}

std::string ErrorOf(const std::string &sql, std::string *state = nullptr)
{
	try {
		Parse(sql, "app");
	} catch (const Error &e) {
		if (state)
			*state = e.sqlstate();
		return e.message();
	}
	return "";
}

}  // namespace

TEST(DdlCorpus, EveryStatementParsesToItsKind)
{
	std::vector<CorpusEntry> corpus = Corpus();
	ASSERT_GE(corpus.size(), 40u);
	for (const CorpusEntry &e : corpus) {
		try {
			Statement st = Parse(e.sql, "app");
			EXPECT_EQ(StatementKindName(st.kind), e.expect) << e.sql << "\nreason: " << st.reason;
		} catch (const Error &err) {
			ADD_FAILURE() << e.sql << "\n" << err.message();
		}
	}
}

TEST(DdlCorpus, TruncationNeverCrashes)
{
	/* Every prefix of every statement: parse or synchdb::Error, nothing else. */
	size_t parsed = 0, errors = 0;
	for (const CorpusEntry &e : Corpus()) {
		for (size_t n = 0; n <= e.sql.size(); n++) {
			try {
				Parse(std::string_view(e.sql).substr(0, n), "app");
				parsed++;
			} catch (const Error &) {
				errors++;
			}
		}
	}
	EXPECT_GT(parsed, 0u);
	EXPECT_GT(errors, 0u);
}

TEST(DdlCorpus, ByteFlipsNeverCrash)
{
	uint32_t seed = 12345;
	auto rnd = [&]() { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
	const char kChars[] = "(),;'`\"\\/*!-#0aZ \n.";
	for (const CorpusEntry &e : Corpus())
		for (int k = 0; k < 30; k++) {
			std::string s = e.sql;
			for (int j = 0; j < 3; j++)
				s[rnd() % s.size()] = kChars[rnd() % (sizeof(kChars) - 1)];
			try {
				Parse(s, "app");
			} catch (const Error &) {
			}
		}
}

TEST(DdlLexer, Tokens)
{
	auto t = Lex("`a``b` 'it''s\\n' \"dq\" _utf8mb4'x' X'4142' 0x41 b'101' 0b11 1.5e3 .5 @@x -- c\n# c\n/* c */ 1abc");
	ASSERT_EQ(t.size(), 14u);
	EXPECT_EQ(t[0].kind, TokenKind::QuotedIdent);
	EXPECT_EQ(t[0].text, "a`b");
	EXPECT_EQ(t[1].text, "it's\n");
	EXPECT_EQ(t[2].kind, TokenKind::String);
	EXPECT_TRUE(t[2].double_quoted);
	EXPECT_EQ(t[3].kind, TokenKind::Word);
	EXPECT_EQ(t[4].kind, TokenKind::String);
	EXPECT_EQ(t[5].kind, TokenKind::Hex);
	EXPECT_EQ(t[5].text, "4142");
	EXPECT_EQ(t[6].kind, TokenKind::Hex);
	EXPECT_EQ(t[7].kind, TokenKind::Bits);
	EXPECT_EQ(t[8].kind, TokenKind::Bits);
	EXPECT_EQ(t[9].kind, TokenKind::Number);
	EXPECT_EQ(t[9].text, "1.5e3");
	EXPECT_EQ(t[10].text, ".5");
	EXPECT_EQ(t[11].kind, TokenKind::Variable);
	EXPECT_EQ(t[12].kind, TokenKind::Word);
	EXPECT_EQ(t[12].text, "1abc");
	EXPECT_EQ(t[13].kind, TokenKind::End);
	/* Versioned comments are code. */
	auto v = Lex("a /*!50100 b */ c /*M!100100 d*/");
	ASSERT_EQ(v.size(), 5u);
	EXPECT_EQ(v[1].text, "b");
	EXPECT_EQ(v[3].text, "d");
	/* "--" without a space is two minus signs. */
	EXPECT_EQ(Lex("1--2").size(), 5u);
}

TEST(DdlParser, CreateTableColumns)
{
	Statement st = P("CREATE TABLE IF NOT EXISTS Shop.`Order Items` (\n"
					 " id INT UNSIGNED NOT NULL AUTO_INCREMENT,\n"
					 " price DECIMAL(10,2) NOT NULL DEFAULT '0.00' COMMENT 'price',\n"
					 " name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT _utf8mb4'n\\'a',\n"
					 " kind ENUM('a''b','c\\\\d', 'e') DEFAULT 'e',\n"
					 " ts TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),\n"
					 " flag BOOLEAN DEFAULT TRUE,\n"
					 " bits BIT(5) DEFAULT b'101',\n"
					 " neg INT DEFAULT -5,\n"
					 " h VARBINARY(4) DEFAULT X'4142' INVISIBLE,\n"
					 " g INT GENERATED ALWAYS AS ((`id` + 1)) STORED,\n"
					 " c INT CHECK (c > 0),\n"
					 " PRIMARY KEY (id),\n"
					 " UNIQUE KEY uk_name (name(10)),\n"
					 " CONSTRAINT fk FOREIGN KEY (kind) REFERENCES other.t (k) ON DELETE SET NULL\n"
					 ") ENGINE = InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4 COMMENT='x' ROW_FORMAT=COMPRESSED;");
	ASSERT_EQ(st.kind, StatementKind::CreateTable);
	EXPECT_EQ(st.create.table, (QualifiedName{"Shop", "Order Items"}));
	EXPECT_TRUE(st.create.if_not_exists);
	ASSERT_EQ(st.create.columns.size(), 11u);
	EXPECT_EQ(Col(st, 0).type.data_type, "int");
	EXPECT_TRUE(Col(st, 0).type.is_unsigned);
	EXPECT_EQ(Col(st, 0).nullable, false);
	EXPECT_TRUE(Col(st, 0).auto_increment);
	EXPECT_EQ(Col(st, 1).type.precision, 10);
	EXPECT_EQ(Col(st, 1).type.scale, 2);
	EXPECT_EQ(Col(st, 1).default_value, "'0.00'");
	EXPECT_EQ(Col(st, 1).comment, "price");
	EXPECT_EQ(Col(st, 2).type.charset, "utf8mb4");
	EXPECT_EQ(Col(st, 2).type.collation, "utf8mb4_bin");
	EXPECT_EQ(Col(st, 2).default_value, "'n''a'");
	EXPECT_EQ(Col(st, 3).type.values, (std::vector<std::string>{"a'b", "c\\d", "e"}));
	EXPECT_EQ(Col(st, 4).type.fsp, 3);
	EXPECT_EQ(Col(st, 4).default_value, "current_timestamp(3)");
	EXPECT_EQ(Col(st, 4).on_update, "current_timestamp(3)");
	EXPECT_EQ(Col(st, 5).type.data_type, "tinyint");
	EXPECT_EQ(Col(st, 5).default_value, "1");
	EXPECT_EQ(Col(st, 6).default_value, "b'101'");
	EXPECT_EQ(Col(st, 7).default_value, "-5");
	EXPECT_EQ(Col(st, 8).default_value, "'AB'");
	EXPECT_TRUE(Col(st, 8).invisible);
	EXPECT_EQ(Col(st, 9).generated_expr, "(`id` + 1)");
	EXPECT_TRUE(Col(st, 9).generated_stored);
	EXPECT_EQ(Col(st, 10).checks, (std::vector<std::string>{"c > 0"}));
	ASSERT_EQ(st.create.constraints.size(), 3u);
	EXPECT_EQ(st.create.constraints[0].kind, ConstraintKind::PrimaryKey);
	EXPECT_EQ(st.create.constraints[1].name, "uk_name");
	EXPECT_EQ(st.create.constraints[1].parts[0].prefix, 10);
	EXPECT_EQ(st.create.constraints[2].kind, ConstraintKind::ForeignKey);
	EXPECT_EQ(st.create.constraints[2].name, "fk");
	EXPECT_EQ(st.create.constraints[2].ref_table, (QualifiedName{"other", "t"}));
	EXPECT_EQ(st.create.constraints[2].on_delete, "SET NULL");
	EXPECT_EQ(st.create.Option("ENGINE"), "InnoDB");
	EXPECT_EQ(st.create.Option("AUTO_INCREMENT"), "42");
	EXPECT_EQ(st.create.Option("CHARSET"), "utf8mb4");
	EXPECT_EQ(st.create.Option("ROW_FORMAT"), "COMPRESSED");
}

TEST(DdlParser, TypeAliases)
{
	Statement st = P("create table t (a integer, b numeric, c real, d double precision, e nvarchar(5), f long, "
					 "g float(30), h text(70000), i char varying(3), j int8, k varchar(3) charset binary, l serial)");
	ASSERT_EQ(st.create.columns.size(), 12u);
	const char *want[] = {"int", "decimal", "double", "double", "varchar", "mediumtext",
						  "double", "mediumtext", "varchar", "bigint", "varbinary", "bigint"};
	for (size_t i = 0; i < 12; i++)
		EXPECT_EQ(Col(st, i).type.data_type, want[i]) << i;
	EXPECT_TRUE(Col(st, 11).auto_increment);
	EXPECT_TRUE(Col(st, 11).type.is_unsigned);
}

TEST(DdlParser, AlterActions)
{
	Statement st = Parse(
		"ALTER TABLE t1 ADD COLUMN c2 INT FIRST, DROP COLUMN IF EXISTS c3, MODIFY c4 BIGINT UNSIGNED NOT NULL AFTER c2, "
		"CHANGE COLUMN a b VARCHAR(5), RENAME COLUMN c5 TO c6, ALTER COLUMN c7 SET DEFAULT 'x', ALTER c8 DROP DEFAULT, "
		"DROP PRIMARY KEY, ADD PRIMARY KEY (c2, c4), ADD KEY k (c2), ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE, "
		"RENAME AS t2",
		"db");
	ASSERT_EQ(st.kind, StatementKind::AlterTable);
	EXPECT_EQ(st.alter.table, (QualifiedName{"db", "t1"}));
	std::vector<AlterKind> kinds;
	for (auto &a : st.alter.actions)
		kinds.push_back(a.kind);
	std::vector<AlterKind> want = {AlterKind::AddColumn,	 AlterKind::DropColumn,		AlterKind::ModifyColumn,
								   AlterKind::ChangeColumn,	 AlterKind::RenameColumn,	AlterKind::SetDefault,
								   AlterKind::DropDefault,	 AlterKind::DropPrimaryKey, AlterKind::AddPrimaryKey,
								   AlterKind::AddIndex,		 AlterKind::TableOptions,	AlterKind::Other,
								   AlterKind::Other,		 AlterKind::RenameTable};
	ASSERT_EQ(kinds, want);
	auto &a = st.alter.actions;
	EXPECT_EQ(a[0].position.kind, ColumnPosition::First);
	EXPECT_TRUE(a[1].if_exists);
	EXPECT_EQ(a[2].position.after, "c2");
	EXPECT_EQ(a[3].name, "a");
	EXPECT_EQ(a[3].column.name, "b");
	EXPECT_EQ(a[4].new_name, "c6");
	EXPECT_EQ(a[5].default_value, "'x'");
	EXPECT_EQ(a[8].constraint.parts.size(), 2u);
	EXPECT_EQ(a[13].new_table, (QualifiedName{"db", "t2"}));
	EXPECT_TRUE(a[10].NeedsNothing());
	EXPECT_FALSE(a[0].NeedsNothing());
	EXPECT_EQ(a[11].text, "ALGORITHM=INPLACE");
}

TEST(DdlParser, OtherStatements)
{
	Statement d = P("DROP TABLE IF EXISTS a, other.b RESTRICT");
	ASSERT_EQ(d.kind, StatementKind::DropTable);
	EXPECT_TRUE(d.drop.if_exists);
	EXPECT_EQ(d.drop.tables, (std::vector<QualifiedName>{{"app", "a"}, {"other", "b"}}));
	Statement r = P("rename table a to b, b to c");
	ASSERT_EQ(r.rename.renames.size(), 2u);
	EXPECT_EQ(r.rename.renames[1].second, (QualifiedName{"app", "c"}));
	EXPECT_EQ(P("TRUNCATE TABLE x.y").truncate, (QualifiedName{"x", "y"}));
	Statement l = P("CREATE TABLE a (LIKE b.c)");
	ASSERT_TRUE(l.create.like);
	EXPECT_EQ(*l.create.like, (QualifiedName{"b", "c"}));
	Statement db = P("CREATE SCHEMA IF NOT EXISTS `x` DEFAULT CHARACTER SET utf8mb4");
	EXPECT_EQ(db.kind, StatementKind::CreateDatabase);
	EXPECT_EQ(db.database.name, "x");
	EXPECT_TRUE(db.database.if_exists);
	EXPECT_EQ(P("DROP TEMPORARY TABLE t").reason, "DROP TEMPORARY TABLE");
	EXPECT_EQ(P("create view v as select 1").reason, "CREATE VIEW");
	EXPECT_EQ(P("SET PASSWORD FOR 'x'@'y' = 'z'").kind, StatementKind::NoOp);
	EXPECT_EQ(P("UPDATE t SET a=1").kind, StatementKind::NotUnderstood);
	EXPECT_EQ(P("").kind, StatementKind::NotUnderstood);
	EXPECT_EQ(P("create table `select` (`from` int)").create.columns[0].name, "from");
}

TEST(DdlParser, Rejected)
{
	std::string state;
	std::string m = ErrorOf("CREATE TABLE t AS SELECT * FROM u", &state);
	EXPECT_EQ(state, sqlstate::kFeatureNotSupported);
	EXPECT_NE(m.find("CREATE TABLE ... SELECT"), std::string::npos) << m;
	ErrorOf("CREATE TABLE t (a INT) SELECT 1", &state);
	EXPECT_EQ(state, sqlstate::kFeatureNotSupported);
	m = ErrorOf("CREATE TABLE t (a INT(", &state);
	EXPECT_EQ(state, "42601");
	EXPECT_NE(m.find("position"), std::string::npos) << m;
	m = ErrorOf("CREATE TABLE t (a FOO)", &state);
	EXPECT_EQ(state, "42601");
	EXPECT_NE(m.find("\"FOO)\""), std::string::npos) << m;
	EXPECT_NE(m.find("position 18"), std::string::npos) << m;
	m = ErrorOf("ALTER TABLE t ADD COLUMN a INT BOGUS", &state);
	EXPECT_EQ(state, "42601");
	EXPECT_NE(m.find("BOGUS"), std::string::npos) << m;
	m = ErrorOf("CREATE TABLE t (a VARCHAR(10) DEFAULT 'x)", &state);
	EXPECT_NE(m.find("unterminated string"), std::string::npos) << m;
	EXPECT_EQ(ErrorOf("ALTER TABLE t FROBNICATE"),
			  "syntax error in DDL statement: expected an ALTER TABLE action near \"FROBNICATE\" at position 14");
	EXPECT_TRUE(P("ALTER TABLE t").alter.actions.empty()); /* valid, does nothing */
	try {
		Parse("DROP TABLE t", "");
		ADD_FAILURE();
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.message()).find("no database"), std::string::npos);
	}
}

TEST(DdlSchema, SourceColumnsMapLikeInformationSchema)
{
	Statement st = P("CREATE TABLE t (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, d DECIMAL(10,2) DEFAULT '1.50', "
					 "ok BOOL NOT NULL DEFAULT FALSE, e ENUM('x','y''z'), ts DATETIME(3) DEFAULT NOW(3), "
					 "v VARCHAR(20), b BIT(4) DEFAULT b'11', j JSON, c CHAR) DEFAULT CHARSET=latin1");
	mysql::SourceTable t = ToSourceTable(st.create);
	ASSERT_EQ(t.columns.size(), 9u);
	EXPECT_EQ(t.primary_key, (std::vector<size_t>{0}));
	const mysql::SourceColumn &id = t.columns[0];
	EXPECT_EQ(id.column_type, "int unsigned");
	EXPECT_FALSE(id.nullable);
	EXPECT_TRUE(id.auto_increment);
	EXPECT_EQ(DefaultPgType(id).sql, "bigint");
	EXPECT_EQ(DefaultPgType(t.columns[1]).sql, "numeric(10,2)");
	EXPECT_EQ(PgDefaultExpression(t.columns[1], DefaultPgType(t.columns[1])), "1.50");
	EXPECT_EQ(t.columns[2].column_type, "tinyint(1)");
	EXPECT_EQ(PgDefaultExpression(t.columns[2], DefaultPgType(t.columns[2])), "0");
	EXPECT_EQ(t.columns[3].column_type, "enum('x','y''z')");
	EXPECT_EQ(t.columns[3].enum_values, mysql::ParseEnumValues(t.columns[3].column_type));
	EXPECT_EQ(t.columns[3].charset, "latin1");
	EXPECT_EQ(DefaultPgType(t.columns[4]).sql, "timestamp(3) without time zone");
	EXPECT_EQ(t.columns[4].default_value, "current_timestamp(3)");
	EXPECT_EQ(PgDefaultExpression(t.columns[4], DefaultPgType(t.columns[4])), "CURRENT_TIMESTAMP");
	EXPECT_EQ(DefaultPgType(t.columns[5]).sql, "varchar(20)");
	EXPECT_EQ(DefaultPgType(t.columns[6]).sql, "bit(4)");
	EXPECT_EQ(PgDefaultExpression(t.columns[6], DefaultPgType(t.columns[6])), "B'0011'");
	EXPECT_EQ(DefaultPgType(t.columns[7]).sql, "jsonb");
	EXPECT_EQ(DefaultPgType(t.columns[8]).sql, "char(1)");
	Statement mj = P("CREATE TABLE m (j longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`j`)))");
	EXPECT_EQ(DefaultPgType(ToSourceTable(mj.create).columns[0]).sql, "jsonb");
	/* Every corpus CREATE TABLE maps (or throws only kFeatureNotSupported). */
	for (const CorpusEntry &e : Corpus()) {
		Statement s = Parse(e.sql, "app");
		if (s.kind != StatementKind::CreateTable || s.create.like)
			continue;
		for (const mysql::SourceColumn &c : ToSourceTable(s.create).columns)
			EXPECT_NO_THROW(PgDefaultExpression(c, DefaultPgType(c))) << c.name << " in " << e.sql;
	}
}

TEST(DdlSchema, TrackingSequence)
{
	SchemaCatalog cat;
	auto apply = [&](const std::string &sql) { return cat.Apply(Parse(sql, "app")); };
	EXPECT_TRUE(apply("CREATE TABLE t (a INT, b VARCHAR(10), c INT, PRIMARY KEY (a))"));
	EXPECT_TRUE(apply("ALTER TABLE t ADD COLUMN z INT FIRST, ADD y TEXT AFTER b, MODIFY c BIGINT NOT NULL AFTER z"));
	auto names = [&](const std::string &table) {
		std::vector<std::string> out;
		const mysql::SourceTable *t = cat.Find("app", table);
		if (t)
			for (auto &c : t->columns)
				out.push_back(c.name);
		return out;
	};
	EXPECT_EQ(names("t"), (std::vector<std::string>{"z", "c", "a", "b", "y"}));
	EXPECT_EQ(cat.Find("app", "t")->columns[1].data_type, "bigint");
	EXPECT_EQ(cat.Find("app", "t")->primary_key, (std::vector<size_t>{2}));
	EXPECT_TRUE(apply("ALTER TABLE t CHANGE a id BIGINT UNSIGNED NOT NULL FIRST, RENAME COLUMN b TO name, "
					  "ALTER name SET DEFAULT 'n', DROP COLUMN y"));
	EXPECT_EQ(names("t"), (std::vector<std::string>{"id", "z", "c", "name"}));
	const mysql::SourceTable *t = cat.Find("app", "t");
	EXPECT_EQ(t->primary_key, (std::vector<size_t>{0}));
	EXPECT_EQ(t->columns[0].column_type, "bigint unsigned");
	EXPECT_EQ(t->columns[3].default_value, "'n'");
	EXPECT_TRUE(apply("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (z, id), ALTER COLUMN name DROP DEFAULT"));
	t = cat.Find("app", "t");
	EXPECT_EQ(t->primary_key, (std::vector<size_t>{1, 0}));
	EXPECT_FALSE(t->columns[1].nullable);
	EXPECT_FALSE(t->columns[3].default_value);
	EXPECT_TRUE(apply("ALTER TABLE t ADD (p INT, q INT), ENGINE=InnoDB, ALGORITHM=COPY"));
	EXPECT_EQ(names("t").size(), 6u);
	EXPECT_TRUE(apply("CREATE TABLE u LIKE t"));
	EXPECT_TRUE(apply("RENAME TABLE t TO tmp, u TO t, tmp TO u"));
	EXPECT_TRUE(apply("ALTER TABLE u RENAME TO other.v"));
	EXPECT_EQ(cat.Find("app", "u"), nullptr);
	ASSERT_NE(cat.Find("other", "v"), nullptr);
	EXPECT_EQ(cat.Find("other", "v")->name, "v");
	EXPECT_FALSE(apply("TRUNCATE t"));
	EXPECT_FALSE(apply("ALTER TABLE untracked ADD x INT"));
	EXPECT_TRUE(apply("DROP TABLE IF EXISTS t, nothere"));
	EXPECT_TRUE(apply("DROP DATABASE other"));
	EXPECT_EQ(cat.size(), 0u);
	/* Out of step: a column that is not there. */
	apply("CREATE TABLE w (a INT)");
	try {
		apply("ALTER TABLE w DROP COLUMN nope");
		ADD_FAILURE();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), "42703");
	}
	EXPECT_NO_THROW(apply("ALTER TABLE w DROP COLUMN IF EXISTS nope"));
	EXPECT_THROW(apply("ALTER TABLE w ADD a INT"), Error);
}
