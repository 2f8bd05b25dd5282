/*
 * olr_schema_test.cpp
 *     Oracle types, PostgreSQL defaults, value rendering, tables from the
 *     fixtures' schema checkpoints, and row images of every fixture message.
 */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sources/olr/schema.hpp"
#include "olr_test_util.hpp"

using namespace synchdb;
using namespace synchdb::olr;

namespace {

std::string Render(const OraColumnType &t, JValue::Kind k, std::string_view raw, int ts_format = 7)
{
	JValue v{k, false, raw};
	ValueFormat f;
	f.timestamp = ts_format;
	std::string out, why;
	if (!RenderValue(t, v, f, out, why))
		return "ERR:" + why;
	return out;
}

}  // namespace

TEST(OlrTypes, DefaultPgTypes)
{
	auto pg = [](int code, int64_t len, int prec, int scale, int form = 0) {
		return DefaultPgType(TypeFromCode(code, len, prec, scale, form)).sql;
	};
	EXPECT_EQ(pg(2, 22, 4, 0), "smallint");
	EXPECT_EQ(pg(2, 22, 9, 0), "integer");
	EXPECT_EQ(pg(2, 22, 18, 0), "bigint");
	EXPECT_EQ(pg(2, 22, 38, 0), "numeric(38)");
	EXPECT_EQ(pg(2, 22, 15, 2), "numeric(15,2)");
	EXPECT_EQ(pg(2, 22, -1, -1), "numeric");
	EXPECT_EQ(pg(2, 22, -1, 0), "numeric(38,0)");
	EXPECT_EQ(pg(2, 22, 126, -127), "real");
	EXPECT_EQ(pg(100, 4, -1, -1), "real");
	EXPECT_EQ(pg(101, 8, -1, -1), "double precision");
	EXPECT_EQ(pg(12, 7, -1, -1), "timestamp(0) without time zone");
	EXPECT_EQ(pg(180, 11, -1, 9), "timestamp(6) without time zone");
	EXPECT_EQ(pg(180, 11, -1, 3), "timestamp(3) without time zone");
	EXPECT_EQ(pg(181, 13, -1, 6), "timestamp(6) with time zone");
	EXPECT_EQ(pg(231, 11, -1, 6), "timestamp(6) with time zone");
	EXPECT_EQ(pg(182, 5, 2, 0), "interval year to month");
	EXPECT_EQ(pg(183, 11, 2, 6), "interval day to second(6)");
	EXPECT_EQ(pg(23, 100, -1, -1), "bytea");
	EXPECT_EQ(pg(113, 4000, -1, -1), "bytea");
	EXPECT_EQ(pg(1, 200, -1, -1, 1), "varchar(200)");
	EXPECT_EQ(pg(1, 400, -1, -1, 2), "varchar(200)"); /* NVARCHAR2: bytes / 2 */
	EXPECT_EQ(pg(96, 20, -1, -1, 1), "char(20)");
	EXPECT_EQ(pg(112, 4000, -1, -1, 1), "text");
	EXPECT_EQ(pg(112, 4000, -1, -1, 2), "text");
	EXPECT_EQ(pg(252, 1, -1, -1), "boolean");
	EXPECT_EQ(pg(69, 10, -1, -1), "text");
	EXPECT_EQ(pg(208, 4000, -1, -1), "text");
	EXPECT_EQ(pg(58, 2000, -1, -1), "text");
	EXPECT_EQ(pg(119, 8200, -1, -1), "jsonb");
	EXPECT_EQ(TypeText(TypeFromCode(2, 22, 15, 2, 0)), "NUMBER(15,2)");
	EXPECT_EQ(TypeText(TypeFromCode(1, 400, -1, -1, 2)), "NVARCHAR2(200)");
	EXPECT_EQ(TypeText(TypeFromCode(181, 13, -1, 6, 0)), "TIMESTAMP(6) WITH TIME ZONE");
	EXPECT_EQ(TypeName(TypeFromName("timestamp with local time zone", -1, -1, 6)), "timestamp with local time zone");
	EXPECT_EQ(DefaultPgType(TypeFromName("NUMBER", -1, 10, 2)).sql, "numeric(10,2)");
	EXPECT_EQ(DefaultPgType(TypeFromName("nvarchar2", 50, -1, -1)).sql, "varchar(50)");
}

TEST(OlrTypes, Rendering)
{
	using K = JValue::Kind;
	auto T = [](int code, int prec = -1, int scale = -1) { return TypeFromCode(code, 22, prec, scale, 1); };
	EXPECT_EQ(Render(T(2), K::Number, "0.000000000000000000000000000000000001"), "0.000000000000000000000000000000000001");
	EXPECT_EQ(Render(T(101), K::Number, "1e+100"), "1e+100");
	EXPECT_EQ(Render(T(100), K::String, "NaN"), "NaN");
	EXPECT_EQ(Render(T(101), K::String, "-Infinity"), "-Infinity");
	/* DATE/TIMESTAMP in every numeric unit and ISO. */
	EXPECT_EQ(Render(T(12), K::String, "1749983400", 7), "2025-06-15 10:30:00");
	EXPECT_EQ(Render(T(12), K::Number, "946684800", 3), "2000-01-01 00:00:00");
	EXPECT_EQ(Render(T(180), K::Number, "1704067200000000000", 0), "2024-01-01 00:00:00");
	EXPECT_EQ(Render(T(180), K::Number, "1749983400123456789", 0), "2025-06-15 10:30:00.123456789");
	EXPECT_EQ(Render(T(180), K::Number, "1749983400123456", 1), "2025-06-15 10:30:00.123456");
	EXPECT_EQ(Render(T(180), K::String, "1749983400123", 6), "2025-06-15 10:30:00.123");
	EXPECT_EQ(Render(T(12), K::Number, "-1", 3), "1969-12-31 23:59:59");
	EXPECT_EQ(Render(T(12), K::Number, "-62135596800", 3), "0001-01-01 00:00:00");
	EXPECT_EQ(Render(T(12), K::Number, "-62135596801", 3), "0001-12-31 23:59:59 BC");
	EXPECT_EQ(Render(T(180), K::String, "2025-06-15T10:30:00.5Z", 9), "2025-06-15 10:30:00.5");
	EXPECT_EQ(Render(T(180), K::String, "2025-06-15T10:30:00", 13), "2025-06-15 10:30:00");
	EXPECT_EQ(Render(T(181), K::String, "1749983400000000000,+02:00", 0), "2025-06-15 10:30:00+00");
	EXPECT_EQ(Render(T(181), K::String, "2025-06-15T12:30:00+02:00", 8), "2025-06-15 10:30:00+00");
	EXPECT_EQ(Render(T(12), K::String, "yesterday", 7).substr(0, 4), "ERR:");
	/* RAW/BLOB hex to bytea. */
	EXPECT_EQ(Render(T(23), K::String, "deadbeef"), "\\xdeadbeef");
	EXPECT_EQ(Render(T(23), K::String, "dead0"), "ERR:odd number of hex digits");
	EXPECT_EQ(Render(T(113), K::String, "zz").substr(0, 4), "ERR:");
	/* BOOLEAN 1/0. */
	EXPECT_EQ(Render(T(252), K::Number, "1"), "t");
	EXPECT_EQ(Render(T(252), K::Number, "0"), "f");
	EXPECT_EQ(Render(T(252), K::Number, "2").substr(0, 4), "ERR:");
	/* Text keeps blanks. */
	EXPECT_EQ(Render(T(96), K::String, "fixed               "), "fixed               ");
	EXPECT_EQ(Render(T(2), K::String, "12").substr(0, 4), "ERR:");
}

TEST(OlrSchema, TablesFromCheckpoint)
{
	OLR_REQUIRE_FIXTURES();
	Catalog cat;
	cat.LoadCheckpoint(olrtest::ReadFile(olrtest::CheckpointPath("data-types")));
	const OlrTable *t = cat.Find("OLR_TEST", "TEST_TYPES");
	ASSERT_NE(t, nullptr);
	ASSERT_EQ(t->columns.size(), 11u);
	ASSERT_EQ(t->primary_key, std::vector<size_t>{0});
	NeutralTable n = t->ToNeutral({});
	EXPECT_EQ(n.QualifiedName(), "olr_test.test_types");
	std::vector<std::string> got;
	for (const auto &c : n.columns)
		got.push_back(c.name + " " + c.type_text + " " + c.pg.sql + (c.nullable ? "" : " not null"));
	std::vector<std::string> want = {
		"id NUMBER numeric not null",
		"col_varchar2 VARCHAR2(200) varchar(200)",
		"col_char CHAR(20) char(20)",
		"col_nvarchar2 NVARCHAR2(200) varchar(200)",
		"col_number NUMBER(15,2) numeric(15,2)",
		"col_float BINARY_FLOAT real",
		"col_double BINARY_DOUBLE double precision",
		"col_date DATE timestamp(0) without time zone",
		"col_timestamp TIMESTAMP(6) timestamp(6) without time zone",
		"col_raw RAW(100) bytea",
		"col_integer NUMBER(*,0) numeric(38,0)",
	};
	EXPECT_EQ(got, want);
	NeutralTable as_is = t->ToNeutral(SchemaOptions{false});
	EXPECT_EQ(as_is.QualifiedName(), "OLR_TEST.TEST_TYPES");
	EXPECT_EQ(as_is.columns[0].name, "ID");
	/* Partitioned tables appear once, under the table's name. */
	Catalog p;
	p.LoadCheckpoint(olrtest::ReadFile(olrtest::CheckpointPath("partitioned-table")));
	EXPECT_NE(p.Find("OLR_TEST", "TEST_RANGE_PART"), nullptr);
	EXPECT_NE(p.Find("OLR_TEST", "TEST_LIST_PART"), nullptr);
	EXPECT_THROW(Catalog().LoadCheckpoint("{\"x\":1}"), Error);
	EXPECT_THROW(Catalog().LoadCheckpoint("{"), Error);
}

TEST(OlrSchema, TableFromSchemaColumns)
{
	MessageDecoder dec;
	const Message &m = dec.Decode(
		R"({"c_scn":1,"c_idx":1,"payload":[{"op":"c","schema":{"owner":"DBZ","table":"ORDERS","obj":7,"columns":[{"name":"ID","type":"number","precision":10,"scale":0,"nullable":false},{"name":"D","type":"timestamp with time zone","scale":6,"nullable":true}]},"after":{"ID":1,"D":"1749983400000000000,UTC"}}]})");
	Catalog cat;
	const OlrTable *t = cat.UpdateFromPayload(m.payload()[0]);
	ASSERT_NE(t, nullptr);
	NeutralTable n = t->ToNeutral({});
	EXPECT_EQ(n.columns[0].pg.sql, "bigint");
	EXPECT_FALSE(n.columns[0].nullable);
	EXPECT_EQ(n.columns[1].pg.sql, "timestamp(6) with time zone");
	RowData row;
	RowBuildResult res;
	BuildRow(*t, m.payload()[0].after, true, ValueFormat{}, row, res);
	ASSERT_TRUE(res.ok()) << res.error;
	EXPECT_EQ(row.Get(1), "2025-06-15 10:30:00+00");
}

/* Every row of every case renders with the types of its checkpoint. */
TEST(OlrSchema, RowsOfEveryFixture)
{
	OLR_REQUIRE_FIXTURES();
	MessageDecoder dec;
	ValueFormat fmt;
	fmt.timestamp = 7;
	size_t rows = 0, absent = 0, nulls = 0;
	std::vector<std::string> unknown;
	for (const auto &c : olrtest::Cases()) {
		std::string ck = olrtest::CheckpointPath(c);
		if (ck.empty())
			continue;
		Catalog cat;
		cat.LoadCheckpoint(olrtest::ReadFile(ck));
		for (const auto &l : olrtest::Lines(olrtest::FixtureRoot() + "/" + c + "/output.json")) {
			const Message &m = dec.Decode(l);
			const Payload &p = m.payload()[0];
			if (p.op != Op::Insert && p.op != Op::Update && p.op != Op::Delete)
				continue;
			const OlrTable *t = cat.Find(p.owner, p.table);
			ASSERT_NE(t, nullptr) << c << ": " << p.owner << "." << p.table;
			RowData before, after;
			RowBuildResult res;
			const bool upd = p.op == Op::Update;
			if (p.has_before)
				BuildRow(*t, p.before, !upd, fmt, before, res);
			if (p.has_after)
				BuildRow(*t, p.after, !upd, fmt, after, res);
			EXPECT_TRUE(res.error.empty()) << c << ": " << res.error;
			for (auto &u : res.unknown_columns)
				unknown.push_back(c + ":" + t->name + "." + u);
			for (const RowData *r : {&before, &after})
				for (size_t i = 0; i < r->fields.size(); i++) {
					if (IsAbsent(*r, i))
						absent++;
					else if (r->IsNull(i))
						nulls++;
				}
			rows++;
		}
	}
	EXPECT_GT(rows, 300u);
	EXPECT_GT(absent, 0u);
	EXPECT_GT(nulls, 0u);
	/* The checkpoint of ddl-add-column predates ADD (email): its rows carry a column the dictionary lacks. */
	for (const auto &u : unknown)
		EXPECT_EQ(u, "ddl-add-column:TEST_DDL.EMAIL");
	EXPECT_FALSE(unknown.empty());
}

TEST(OlrSchema, UpdateKeepsAbsentColumnsDistinctFromNull)
{
	OLR_REQUIRE_FIXTURES();
	Catalog cat;
	cat.LoadCheckpoint(olrtest::ReadFile(olrtest::CheckpointPath("data-types")));
	const OlrTable *t = cat.Find("OLR_TEST", "TEST_TYPES");
	ASSERT_NE(t, nullptr);
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/data-types/output.json");
	MessageDecoder dec;
	const Message &m = dec.Decode(lines[5]); /* the update */
	ASSERT_EQ(m.payload()[0].op, Op::Update);
	ValueFormat fmt;
	fmt.timestamp = 7;
	RowData after;
	RowBuildResult res;
	BuildRow(*t, m.payload()[0].after, false, fmt, after, res);
	ASSERT_TRUE(res.ok());
	EXPECT_EQ(after.Get(0), "1");
	EXPECT_EQ(after.Get(1), "updated text");
	EXPECT_TRUE(IsAbsent(after, 2)); /* COL_CHAR unchanged */
	EXPECT_EQ(after.Get(5), "9.99");
	EXPECT_EQ(after.Get(7), "2026-01-01 12:00:00");
	EXPECT_EQ(after.Get(9), "\\x00ff00ff");
	EXPECT_TRUE(IsAbsent(after, 10));
	/* The same image as an insert: absent = NULL. */
	RowData ins;
	BuildRow(*t, m.payload()[0].after, true, fmt, ins, res);
	EXPECT_TRUE(ins.IsNull(2));
	EXPECT_FALSE(IsAbsent(ins, 2));
}
