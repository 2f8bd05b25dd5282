/*
 * typemap_test.cpp
 *     Every row of the default type mapping (docs/type-mapping.md), the
 *     default expressions, identifier quoting, and the COLUMN_TYPE and
 *     COLUMN_DEFAULT parsing of mysql/schema.
 *
 * NOTES
 *   Columns are built by hand the way information_schema reports them on
 *   MariaDB 10.11 (schema_live_test.cpp checks that against a server).
 */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sources/mysql/schema.hpp"
#include "core/sources/mysql/typemap.hpp"

using namespace synchdb;
using synchdb::mysql::SourceColumn;

namespace {

SourceColumn Col(const std::string &data_type, const std::string &column_type)
{
	SourceColumn c;
	c.name = "c";
	c.data_type = data_type;
	c.column_type = column_type;
	mysql::CompleteColumn(c);
	return c;
}

SourceColumn WithDefault(SourceColumn c, const std::string &d)
{
	c.default_value = d;
	return c;
}

void ExpectType(const std::string &data_type, const std::string &column_type, const std::string &sql, PgKind kind)
{
	PgColumnType t = DefaultPgType(Col(data_type, column_type));
	EXPECT_EQ(t.sql, sql) << column_type;
	EXPECT_EQ(t.kind, kind) << column_type;
}

std::optional<std::string> Default(const SourceColumn &c)
{
	return PgDefaultExpression(c, DefaultPgType(c));
}

}  // namespace

TEST(TypeMap, Integers)
{
	ExpectType("tinyint", "tinyint(4)", "smallint", PgKind::Int2);
	ExpectType("tinyint", "tinyint(3) unsigned", "smallint", PgKind::Int2);
	ExpectType("tinyint", "tinyint(1)", "smallint", PgKind::Int2); /* BOOL: may hold 2..127 */
	ExpectType("smallint", "smallint(6)", "smallint", PgKind::Int2);
	ExpectType("smallint", "smallint(5) unsigned", "integer", PgKind::Int4);
	ExpectType("mediumint", "mediumint(9)", "integer", PgKind::Int4);
	ExpectType("mediumint", "mediumint(8) unsigned", "integer", PgKind::Int4);
	ExpectType("int", "int(11)", "integer", PgKind::Int4);
	ExpectType("int", "int(10) unsigned", "bigint", PgKind::Int8);
	ExpectType("int", "int unsigned", "bigint", PgKind::Int8); /* MySQL 8 drops display widths */
	ExpectType("bigint", "bigint(20)", "bigint", PgKind::Int8);
	ExpectType("bigint", "bigint(20) unsigned", "numeric(20,0)", PgKind::Numeric);
	ExpectType("year", "year(4)", "integer", PgKind::Int4);
}

TEST(TypeMap, AutoIncrementKeepsTheIntegerType)
{
	SourceColumn c = Col("int", "int(10) unsigned");
	c.auto_increment = true;
	c.default_value = "NULL";
	EXPECT_EQ(DefaultPgType(c).sql, "bigint");
	EXPECT_EQ(Default(c), std::nullopt);
}

TEST(TypeMap, ExactAndApproximateNumbers)
{
	ExpectType("decimal", "decimal(10,2)", "numeric(10,2)", PgKind::Numeric);
	ExpectType("decimal", "decimal(65,30) unsigned", "numeric(65,30)", PgKind::Numeric);
	ExpectType("decimal", "decimal(5,0)", "numeric(5,0)", PgKind::Numeric);
	SourceColumn c = Col("decimal", "decimal(12,4)");
	c.precision = 12;
	c.scale = 4;
	EXPECT_EQ(DefaultPgType(c).sql, "numeric(12,4)");
	ExpectType("float", "float", "real", PgKind::Float4);
	ExpectType("float", "float(7,4) unsigned", "real", PgKind::Float4);
	ExpectType("double", "double", "double precision", PgKind::Float8);
	ExpectType("double", "double(10,3)", "double precision", PgKind::Float8);
	ExpectType("real", "real", "double precision", PgKind::Float8);
}

TEST(TypeMap, Bits)
{
	ExpectType("bit", "bit(1)", "boolean", PgKind::Bool);
	ExpectType("bit", "bit(2)", "bit(2)", PgKind::Bit);
	ExpectType("bit", "bit(64)", "bit(64)", PgKind::Bit);
	SourceColumn c = Col("bit", "bit(5)");
	c.precision = 5;
	EXPECT_EQ(DefaultPgType(c).sql, "bit(5)");
	EXPECT_EQ(SourceBitWidth(c), 5);
}

TEST(TypeMap, Temporal)
{
	ExpectType("date", "date", "date", PgKind::Date);
	ExpectType("datetime", "datetime", "timestamp(0) without time zone", PgKind::Timestamp);
	ExpectType("datetime", "datetime(6)", "timestamp(6) without time zone", PgKind::Timestamp);
	ExpectType("timestamp", "timestamp", "timestamp(0) with time zone", PgKind::Timestamptz);
	ExpectType("timestamp", "timestamp(3)", "timestamp(3) with time zone", PgKind::Timestamptz);
	ExpectType("time", "time", "time(0) without time zone", PgKind::Time);
	ExpectType("time", "time(2)", "time(2) without time zone", PgKind::Time);
	SourceColumn c = Col("datetime", "datetime(4)");
	c.datetime_precision = 4;
	EXPECT_EQ(DefaultPgType(c).sql, "timestamp(4) without time zone");
	EXPECT_EQ(SourceFractionalDigits(c), 4);
}

TEST(TypeMap, Strings)
{
	ExpectType("char", "char(10)", "char(10)", PgKind::Char);
	ExpectType("varchar", "varchar(255)", "varchar(255)", PgKind::Varchar);
	ExpectType("varchar", "varchar(65535)", "varchar(65535)", PgKind::Varchar);
	ExpectType("char", "char(0)", "varchar(1)", PgKind::Varchar);
	ExpectType("varchar", "varchar(0)", "varchar(1)", PgKind::Varchar);
	SourceColumn c = Col("char", "char(0)");
	c.char_max_length = 0;
	EXPECT_EQ(DefaultPgType(c).sql, "varchar(1)");
	for (const char *t : {"tinytext", "text", "mediumtext", "longtext"})
		ExpectType(t, t, "text", PgKind::Text);
	ExpectType("enum", "enum('a','b')", "text", PgKind::Text);
	ExpectType("set", "set('a','b')", "text", PgKind::Text);
}

TEST(TypeMap, BinaryAndSpatial)
{
	ExpectType("binary", "binary(16)", "bytea", PgKind::Bytea);
	ExpectType("binary", "binary(0)", "bytea", PgKind::Bytea);
	ExpectType("varbinary", "varbinary(10)", "bytea", PgKind::Bytea);
	for (const char *t : {"tinyblob", "blob", "mediumblob", "longblob"})
		ExpectType(t, t, "bytea", PgKind::Bytea);
	for (const char *t : {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
						  "multipolygon", "geometrycollection", "geomcollection"})
		ExpectType(t, t, "bytea", PgKind::Bytea);
}

TEST(TypeMap, JsonUuidInet)
{
	ExpectType("json", "json", "jsonb", PgKind::Jsonb);
	ExpectType("longtext", "longtext", "text", PgKind::Text); /* MariaDB JSON without its CHECK */
	SourceColumn c = Col("longtext", "longtext");
	c.json_alias = true;
	EXPECT_EQ(DefaultPgType(c).sql, "jsonb");
	ExpectType("uuid", "uuid", "uuid", PgKind::Uuid);
	ExpectType("inet6", "inet6", "inet", PgKind::Inet);
	ExpectType("inet4", "inet4", "inet", PgKind::Inet);
}

TEST(TypeMap, UpperCaseDataTypeIsAccepted)
{
	SourceColumn c;
	c.name = "c";
	c.data_type = "INT";
	c.column_type = "INT UNSIGNED";
	EXPECT_EQ(DefaultPgType(c).sql, "bigint");
}

TEST(TypeMap, UnsupportedTypeThrows)
{
	SourceColumn c = Col("vector", "vector(3)");
	c.name = "emb";
	try {
		DefaultPgType(c);
		FAIL() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
		EXPECT_STREQ(e.message(), "column \"emb\" has type \"vector(3)\", which synchdb cannot map to a PostgreSQL type");
		EXPECT_FALSE(e.hint().empty());
	}
}

TEST(TypeMap, QuoteIdentAndLiteral)
{
	EXPECT_EQ(QuotePgIdent("abc"), "\"abc\"");
	EXPECT_EQ(QuotePgIdent("a\"b"), "\"a\"\"b\"");
	EXPECT_EQ(QuotePgIdent(""), "\"\"");
	EXPECT_EQ(QuotePgIdent("Mixed Case"), "\"Mixed Case\"");
	EXPECT_EQ(QuotePgLiteral("it's"), "'it''s'");
	EXPECT_EQ(QuotePgLiteral("a\\b"), "E'a\\\\b'");
	EXPECT_EQ(QuotePgLiteral(""), "''");
}

TEST(TypeMapDefault, NoneNullAndGenerated)
{
	EXPECT_EQ(Default(Col("int", "int(11)")), std::nullopt);
	EXPECT_EQ(Default(WithDefault(Col("int", "int(11)"), "NULL")), "NULL");
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(5)"), "null")), "NULL");
	SourceColumn g = WithDefault(Col("int", "int(11)"), "5");
	g.generated = true;
	EXPECT_EQ(Default(g), std::nullopt);
}

TEST(TypeMapDefault, Strings)
{
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "'abc'")), "'abc'");
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "'it''s'")), "'it''s'");
	/* MariaDB's backslash escapes: 'it''s \\ \n' is it's, a backslash and a newline */
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "'it''s \\\\ \\n'")), "E'it''s \\\\ \n'");
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "''")), "''");
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "'NULL'")), "'NULL'");
	EXPECT_EQ(Default(WithDefault(Col("char", "char(3)"), "'x'")), "'x'");
	EXPECT_EQ(Default(WithDefault(Col("enum", "enum('a','it''s')"), "'it''s'")), "'it''s'");
	EXPECT_EQ(Default(WithDefault(Col("set", "set('a','b')"), "'a,b'")), "'a,b'");
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "'a\\0b'")), std::nullopt); /* NUL */
	EXPECT_EQ(Default(WithDefault(Col("varchar", "varchar(10)"), "'broken")), std::nullopt);
}

TEST(TypeMapDefault, Numbers)
{
	EXPECT_EQ(Default(WithDefault(Col("int", "int(11)"), "0")), "0");
	EXPECT_EQ(Default(WithDefault(Col("int", "int(11)"), "-5")), "-5");
	EXPECT_EQ(Default(WithDefault(Col("decimal", "decimal(10,2)"), "-1.50")), "-1.50");
	EXPECT_EQ(Default(WithDefault(Col("float", "float"), "1.5e10")), "1.5e10");
	EXPECT_EQ(Default(WithDefault(Col("bigint", "bigint(20) unsigned"), "18446744073709551615")),
			  "18446744073709551615");
	EXPECT_EQ(Default(WithDefault(Col("int", "int(11)"), "'7'")), "7"); /* normalized from MySQL */
	EXPECT_EQ(Default(WithDefault(Col("year", "year(4)"), "2024")), "2024");
	EXPECT_EQ(Default(WithDefault(Col("int", "int(11)"), "(1 + 1)")), std::nullopt);
	EXPECT_EQ(Default(WithDefault(Col("int", "int(11)"), "'abc'")), std::nullopt);
}

TEST(TypeMapDefault, Bits)
{
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(1)"), "b'1'")), "true");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(1)"), "b'0'")), "false");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(1)"), "1")), "true");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(1)"), "0")), "false");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(5)"), "b'101'")), "B'00101'");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(5)"), "5")), "B'00101'");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(3)"), "b'0000101'")), "B'101'");
	EXPECT_EQ(Default(WithDefault(Col("bit", "bit(2)"), "b'111'")), std::nullopt);
}

TEST(TypeMapDefault, Temporal)
{
	SourceColumn ts = Col("timestamp", "timestamp(3)");
	EXPECT_EQ(Default(WithDefault(ts, "current_timestamp(3)")), "CURRENT_TIMESTAMP");
	EXPECT_EQ(Default(WithDefault(ts, "CURRENT_TIMESTAMP(3)")), "CURRENT_TIMESTAMP");
	EXPECT_EQ(Default(WithDefault(ts, "current_timestamp()")), "CURRENT_TIMESTAMP");
	EXPECT_EQ(Default(WithDefault(ts, "CURRENT_TIMESTAMP")), "CURRENT_TIMESTAMP");
	EXPECT_EQ(Default(WithDefault(ts, "now()")), "CURRENT_TIMESTAMP");
	EXPECT_EQ(Default(WithDefault(ts, "'2024-01-01 00:00:00'")), std::nullopt); /* session time zone */
	EXPECT_EQ(Default(WithDefault(ts, "'0000-00-00 00:00:00'")), std::nullopt);
	SourceColumn dt = Col("datetime", "datetime(6)");
	EXPECT_EQ(Default(WithDefault(dt, "current_timestamp(6)")), "CURRENT_TIMESTAMP");
	EXPECT_EQ(Default(WithDefault(dt, "'2024-01-02 03:04:05.250000'")), "'2024-01-02 03:04:05.250000'");
	EXPECT_EQ(Default(WithDefault(dt, "'0000-00-00 00:00:00'")), std::nullopt);
	EXPECT_EQ(Default(WithDefault(dt, "'2024-00-10 00:00:00'")), std::nullopt);
	EXPECT_EQ(Default(WithDefault(dt, "(current_timestamp() + interval 1 day)")), std::nullopt);
	SourceColumn d = Col("date", "date");
	EXPECT_EQ(Default(WithDefault(d, "'2024-01-02'")), "'2024-01-02'");
	EXPECT_EQ(Default(WithDefault(d, "'0000-00-00'")), std::nullopt);
	EXPECT_EQ(Default(WithDefault(d, "curdate()")), "CURRENT_DATE");
	SourceColumn t = Col("time", "time(2)");
	EXPECT_EQ(Default(WithDefault(t, "'12:30:00.00'")), "'12:30:00.00'");
	EXPECT_EQ(Default(WithDefault(t, "'-838:59:59.00'")), std::nullopt);
}

TEST(TypeMapDefault, BinaryUuidJson)
{
	EXPECT_EQ(Default(WithDefault(Col("binary", "binary(3)"), "'ab\\0'")), "E'\\\\x616200'");
	EXPECT_EQ(Default(WithDefault(Col("uuid", "uuid"), "uuid()")), "gen_random_uuid()");
	EXPECT_EQ(Default(WithDefault(Col("uuid", "uuid"), "'12345678-9abc-4def-8123-456789abcdef'")),
			  "'12345678-9abc-4def-8123-456789abcdef'");
	EXPECT_EQ(Default(WithDefault(Col("json", "json"), "'{}'")), "'{}'");
}

TEST(Schema, EnumLabels)
{
	EXPECT_EQ(mysql::ParseEnumValues("enum('a','b')"), (std::vector<std::string>{"a", "b"}));
	EXPECT_EQ(mysql::ParseEnumValues("enum('it''s','a\\\\b','x,y','')"),
			  (std::vector<std::string>{"it's", "a\\b", "x,y", ""}));
	EXPECT_EQ(mysql::ParseEnumValues("set('x','y')"), (std::vector<std::string>{"x", "y"}));
	EXPECT_EQ(mysql::ParseEnumValues("ENUM('A')"), (std::vector<std::string>{"A"}));
	EXPECT_TRUE(mysql::ParseEnumValues("varchar(3)").empty());
	EXPECT_THROW(mysql::ParseEnumValues("enum('a"), Error);
	EXPECT_THROW(mysql::ParseEnumValues("enum(a)"), Error);
	SourceColumn c = Col("enum", "enum('p','q')");
	EXPECT_EQ(c.enum_values, (std::vector<std::string>{"p", "q"}));
}

TEST(Schema, CompleteColumn)
{
	SourceColumn c = Col("INT", "int(10) unsigned");
	EXPECT_EQ(c.data_type, "int");
	EXPECT_TRUE(c.is_unsigned);
	EXPECT_FALSE(Col("int", "int(11)").is_unsigned);
}

TEST(Schema, MySQLDefaultsNormalized)
{
	using mysql::NormalizeMySQLDefault;
	EXPECT_EQ(NormalizeMySQLDefault(std::nullopt, "int", false), std::nullopt);
	EXPECT_EQ(NormalizeMySQLDefault("abc", "varchar", false), "'abc'");
	EXPECT_EQ(NormalizeMySQLDefault("it's", "varchar", false), "'it''s'");
	EXPECT_EQ(NormalizeMySQLDefault("a\\b", "varchar", false), "'a\\\\b'");
	EXPECT_EQ(NormalizeMySQLDefault("", "varchar", false), "''");
	EXPECT_EQ(NormalizeMySQLDefault("5", "int", false), "5");
	EXPECT_EQ(NormalizeMySQLDefault("b'101'", "bit", false), "b'101'");
	EXPECT_EQ(NormalizeMySQLDefault("CURRENT_TIMESTAMP", "timestamp", true), "CURRENT_TIMESTAMP");
	EXPECT_EQ(NormalizeMySQLDefault("2024-01-01 00:00:00", "datetime", false), "'2024-01-01 00:00:00'");
	/* and the result reads back */
	SourceColumn c = Col("varchar", "varchar(9)");
	c.default_value = NormalizeMySQLDefault("it's \\", "varchar", false);
	EXPECT_EQ(Default(c), "E'it''s \\\\'");
}
