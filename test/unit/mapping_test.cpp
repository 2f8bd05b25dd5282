/*
 * mapping_test.cpp
 *     Unit tests of the user's rule mapping: BuildMapping (rule file and
 *     object map rows), RewriteTransform, RuleTypeSql, the helpers of
 *     core/mapping.hpp, their application in MakeTableSet/MakeTableInfo
 *     (names, types, transforms, duplicates, precedence) and in
 *     PlanSchemaChange (DDL on mapped tables).
 *
 * NOTES
 *   Source tables are built from CREATE TABLE text with the DDL parser
 *   (ddl::Parse + ddl::ToSourceTable), so that columns look as
 *   information_schema would report them.  Rule files are parsed from JSON
 *   text with ParseRuleFile, named "rules.json" in messages.
 */
#include <gtest/gtest.h>

#include <functional>

#include "core/change.hpp"
#include "core/sources/mysql/tables.hpp"
#include "core/sources/mysql/ddl/parser.hpp"
#include "core/sources/mysql/ddl/schema.hpp"
#include "core/error.hpp"
#include "core/mapping.hpp"
#include "core/rule_file.hpp"
#include "core/schema_change.hpp"
#include "core/sources/mysql/ddl_planner.hpp"

using namespace synchdb;

namespace {

constexpr const char *kFile = "rules.json";
constexpr const char *kConn = "mysqlconn";

bool Has(const std::string &haystack, const std::string &needle)
{
	return haystack.find(needle) != std::string::npos;
}

/* The Error f throws; a test failure (and an empty Error) when it throws none. */
Error ErrorFrom(const std::function<void()> &f)
{
	try {
		f();
	} catch (const Error &e) {
		return e;
	}
	ADD_FAILURE() << "expected a synchdb::Error";
	return Error("", "no error");
}

Mapping FromFile(const std::string &json, const std::vector<ObjmapRow> &objmap = {})
{
	RuleFile rf = ParseRuleFile(json, kFile);
	return BuildMapping(&rf, kFile, objmap, kConn);
}

Mapping FromObjmap(const std::vector<ObjmapRow> &objmap)
{
	return BuildMapping(nullptr, "", objmap, kConn);
}

Error FileError(const std::string &json)
{
	return ErrorFrom([&] { FromFile(json); });
}

Error ObjmapError(const ObjmapRow &row)
{
	return ErrorFrom([&] { FromObjmap({row}); });
}

/* One datatype rule as a rule file. */
std::string DatatypeJson(const std::string &from, const std::string &to, int size = -1, bool autoinc = false)
{
	return R"({"transform_datatype_rules": [{"translate_from": ")" + from + R"(", "translate_from_autoinc": )" +
	       (autoinc ? "true" : "false") + R"(, "translate_to": ")" + to + R"(", "translate_to_size": )" +
	       std::to_string(size) + "}]}";
}

std::string ExpressionJson(const std::string &col, const std::string &expr)
{
	return R"({"transform_expression_rules": [{"transform_from": ")" + col + R"(", "transform_expression": ")" +
	       expr + R"("}]})";
}

mysql::SourceTable Table(const std::string &create, const std::string &db = "inventory")
{
	auto st = ddl::Parse(create, db);
	EXPECT_EQ(st.kind, ddl::StatementKind::CreateTable) << create;
	return ddl::ToSourceTable(st.create);
}

TableInfo Info(const std::string &create, const Mapping &m, const std::string &db = "inventory")
{
	return mysql::MakeTable(Table(create, db), &m);
}

TransformRule Rewrite(const std::string &e)
{
	return RewriteTransform(e, "test rule", sqlstate::kConfigFileError);
}

Error RewriteError(const std::string &e)
{
	return ErrorFrom([&] { Rewrite(e); });
}

TypeRule Rule(const std::string &type, int size)
{
	TypeRule r;
	r.type = type;
	r.size = size;
	return r;
}

TypeRuleColumnInfo Src(const std::string &data_type, long len = -1, int precision = -1, int scale = -1, int fsp = -1,
                       int bits = -1)
{
	TypeRuleColumnInfo c;
	c.data_type = data_type;
	c.char_length = len;
	c.precision = precision;
	c.scale = scale;
	c.fsp = fsp;
	c.bit_width = bits;
	return c;
}

std::string Joined(const SchemaChange &c)
{
	std::string s;
	for (const auto &q : c.sql)
		s += q + ";\n";
	return s;
}

SchemaChange Plan(const TableSet &before, const std::string &sql, const Mapping &m)
{
	auto plan = PlanSchemaChange(ddl::Parse(sql, "inventory"), before, "inventory", {}, &m);
	EXPECT_TRUE(plan.has_value()) << sql;
	return plan.value_or(SchemaChange{});
}

}  // namespace

/* ---------------------------------------------------------------------------------------------------------------
 * Helpers: NormalizeSourceTypeName, MappingKey, object map JSON, Mapping::Empty/AllTypeRules
 * ------------------------------------------------------------------------------------------------------------- */

TEST(MappingHelpers, NormalizeSourceTypeName)
{
	EXPECT_EQ(NormalizeSourceTypeName("VARCHAR"), "varchar");
	EXPECT_EQ(NormalizeSourceTypeName("  INT \t  UNSIGNED  "), "int unsigned");
	EXPECT_EQ(NormalizeSourceTypeName("Integer"), "int");
	EXPECT_EQ(NormalizeSourceTypeName("INTEGER UNSIGNED"), "int unsigned");
	EXPECT_EQ(NormalizeSourceTypeName("double   precision"), "double");
	EXPECT_EQ(NormalizeSourceTypeName("REAL"), "double");
	EXPECT_EQ(NormalizeSourceTypeName("DEC"), "decimal");
	EXPECT_EQ(NormalizeSourceTypeName("numeric"), "decimal");
	EXPECT_EQ(NormalizeSourceTypeName("FIXED"), "decimal");
	EXPECT_EQ(NormalizeSourceTypeName("GeomCollection"), "geometrycollection");
	/* Only whole words are replaced. */
	EXPECT_EQ(NormalizeSourceTypeName("decimal"), "decimal");
	EXPECT_EQ(NormalizeSourceTypeName("integers"), "integers");
	EXPECT_EQ(NormalizeSourceTypeName("realm"), "realm");
	EXPECT_EQ(NormalizeSourceTypeName("int"), "int");
	EXPECT_EQ(NormalizeSourceTypeName(""), "");
}

TEST(MappingHelpers, MappingKeyIsLowerCase)
{
	EXPECT_EQ(MappingKey("Inventory", "ORDERS"), "inventory.orders");
	EXPECT_EQ(MappingKey("Inventory", "ORDERS", "Qty"), "inventory.orders.qty");
	EXPECT_EQ(MappingKey("db", "t"), MappingKey("DB", "T"));
}

TEST(MappingHelpers, ObjmapJsonRoundTrip)
{
	std::vector<ObjmapRow> rows = {
		{"table", "inventory.orders", "schema1.orders"},
		{"column", "inventory.orders.quantity", "qty \"x\""},
		{"transform", "inventory.orders.note", "'it''s ' || %d || E'\\n' || 'é'"},
		{"datatype", "int|true", "bigint|0"},
	};
	std::string json = ObjmapToJson(rows);
	auto back = ObjmapFromJson(json);
	ASSERT_EQ(back.size(), rows.size());
	for (size_t i = 0; i < rows.size(); i++) {
		EXPECT_EQ(back[i].objtype, rows[i].objtype);
		EXPECT_EQ(back[i].srcobj, rows[i].srcobj);
		EXPECT_EQ(back[i].dstobj, rows[i].dstobj);
	}
	EXPECT_EQ(ObjmapToJson({}), "[]");
	EXPECT_TRUE(ObjmapFromJson("[]").empty());
	EXPECT_EQ(ObjmapToJson({{"table", "a.b", "c"}}), R"([["table","a.b","c"]])");
}

TEST(MappingHelpers, ObjmapFromJsonRejectsDamagedInput)
{
	EXPECT_EQ(ErrorFrom([] { ObjmapFromJson("{}"); }).sqlstate(), sqlstate::kInternalError);
	EXPECT_EQ(ErrorFrom([] { ObjmapFromJson(R"([["table","a.b"]])"); }).sqlstate(), sqlstate::kInternalError);
	EXPECT_EQ(ErrorFrom([] { ObjmapFromJson(R"([["table","a.b","c","d"]])"); }).sqlstate(), sqlstate::kInternalError);
	EXPECT_EQ(ErrorFrom([] { ObjmapFromJson(R"(["table"])"); }).sqlstate(), sqlstate::kInternalError);
	EXPECT_THROW(ObjmapFromJson("[[\"table\""), Error);
}

TEST(MappingHelpers, EmptyAndAllTypeRules)
{
	Mapping none = BuildMapping(nullptr, "", {}, kConn);
	EXPECT_TRUE(none.Empty());
	EXPECT_TRUE(none.AllTypeRules().empty());
	EXPECT_TRUE(FromFile("{}").Empty());

	Mapping m = FromFile(R"j({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "inventory.orders.qty", "translate_to": "numeric(12,2)"}]})j");
	EXPECT_FALSE(m.Empty());
	EXPECT_EQ(m.AllTypeRules().size(), 2u);
	EXPECT_FALSE(FromObjmap({{"table", "a.b", "c"}}).Empty());
	EXPECT_FALSE(FromObjmap({{"column", "a.b.c", "d"}}).Empty());
	EXPECT_FALSE(FromObjmap({{"transform", "a.b.c", "%d"}}).Empty());
}

/* ---------------------------------------------------------------------------------------------------------------
 * BuildMapping: the resolved structure
 * ------------------------------------------------------------------------------------------------------------- */

TEST(BuildMapping, TableRules)
{
	Mapping m = FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "Inventory.Orders", "destination_object": "Schema1.MyOrders"},
	    {"object_type": "table", "source_object": " inventory.items ", "destination_object": " things "}]})");
	ASSERT_EQ(m.tables.size(), 2u);
	ASSERT_TRUE(m.tables.count("inventory.orders"));
	/* Destination names exactly as written (no folding), source keys in lower case. */
	EXPECT_EQ(m.tables.at("inventory.orders").schema, "Schema1");
	EXPECT_EQ(m.tables.at("inventory.orders").table, "MyOrders");
	EXPECT_EQ(m.tables.at("inventory.orders").origin,
	          "rule file \"rules.json\": rule 1 of \"transform_objectname_rules\"");
	/* Without a schema: public; blanks around names are removed. */
	ASSERT_TRUE(m.tables.count("inventory.items"));
	EXPECT_EQ(m.tables.at("inventory.items").schema, "public");
	EXPECT_EQ(m.tables.at("inventory.items").table, "things");
}

TEST(BuildMapping, ColumnRules)
{
	Mapping m = FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "column", "source_object": "inventory.Orders.Quantity", "destination_object": "The Numba"}]})");
	ASSERT_TRUE(m.columns.count("inventory.orders.quantity"));
	EXPECT_EQ(m.columns.at("inventory.orders.quantity").column, "The Numba");
	EXPECT_EQ(m.columns.at("inventory.orders.quantity").origin,
	          "rule file \"rules.json\": rule 1 of \"transform_objectname_rules\"");
}

TEST(BuildMapping, TypeRulesByTypeName)
{
	Mapping m = FromFile(R"j({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_from_autoinc": true, "translate_to": "bigint", "translate_to_size": 0},
	    {"translate_from": "INTEGER", "translate_from_autoinc": false, "translate_to": "numeric", "translate_to_size": 10},
	    {"translate_from": "int   UNSIGNED", "translate_to": "numeric(20,0)"},
	    {"translate_from": "Double Precision", "translate_to": "real"},
	    {"translate_from": "GEOMETRY", "translate_to": "TEXT", "translate_to_size": 0}]})j");
	ASSERT_EQ(m.type_rules.size(), 5u);
	ASSERT_TRUE(m.type_rules.count("int|1"));
	EXPECT_EQ(m.type_rules.at("int|1").type, "bigint");
	EXPECT_EQ(m.type_rules.at("int|1").size, 0);
	ASSERT_TRUE(m.type_rules.count("int|0"));
	EXPECT_EQ(m.type_rules.at("int|0").type, "numeric");
	EXPECT_EQ(m.type_rules.at("int|0").size, 10);
	EXPECT_EQ(m.type_rules.at("int|0").origin, "rule file \"rules.json\": rule 2 of \"transform_datatype_rules\"");
	ASSERT_TRUE(m.type_rules.count("int unsigned|0"));
	EXPECT_EQ(m.type_rules.at("int unsigned|0").size, -1);
	EXPECT_TRUE(m.type_rules.count("double|0"));
	ASSERT_TRUE(m.type_rules.count("geometry|0"));
	/* The PostgreSQL type is kept as written. */
	EXPECT_EQ(m.type_rules.at("geometry|0").type, "TEXT");
	EXPECT_TRUE(m.column_types.empty());
}

TEST(BuildMapping, ColumnTypeRules)
{
	Mapping m = FromFile(R"j({"transform_datatype_rules": [
	    {"translate_from": "Inventory.Orders.Qty", "translate_to": "numeric(12,2)"},
	    {"translate_from": "inventory.orders.code.INT UNSIGNED", "translate_to": "text", "translate_to_size": 0},
	    {"translate_from": "inventory.orders.n.Integer", "translate_to": "bigint"}]})j");
	ASSERT_EQ(m.column_types.size(), 3u);
	EXPECT_EQ(m.column_types.at("inventory.orders.qty").type, "numeric(12,2)");
	EXPECT_EQ(m.column_types.at("inventory.orders.qty").only_type, "");
	EXPECT_EQ(m.column_types.at("inventory.orders.code|int unsigned").only_type, "int unsigned");
	EXPECT_EQ(m.column_types.at("inventory.orders.code|int unsigned").size, 0);
	EXPECT_EQ(m.column_types.at("inventory.orders.n|int").only_type, "int");
	EXPECT_TRUE(m.type_rules.empty());
}

TEST(BuildMapping, Transforms)
{
	Mapping m = FromFile(ExpressionJson("Inventory.Orders.Quantity", "case when %d < 500 then 0 else %d end"));
	ASSERT_TRUE(m.transforms.count("inventory.orders.quantity"));
	const auto &t = m.transforms.at("inventory.orders.quantity");
	EXPECT_EQ(t.written, "case when %d < 500 then 0 else %d end");
	EXPECT_EQ(t.sql, "case when  $1  < 500 then 0 else  $1  end");
	EXPECT_TRUE(t.uses_value);
	EXPECT_FALSE(t.uses_wkb);
	EXPECT_FALSE(t.uses_srid);
	EXPECT_EQ(t.origin, "rule file \"rules.json\": rule 1 of \"transform_expression_rules\"");
}

TEST(BuildMapping, ObjmapRows)
{
	Mapping m = FromObjmap({
		{"table", "Inventory.Orders", "s1.o"},
		{"COLUMN", "inventory.orders.qty", "quantity"},
		{"datatype", "INT|true", "bigint"},
		{"datatype", "int|false", "numeric|10"},
		{"datatype", "varchar", "text|0"},
		{"datatype", "inventory.orders.price", "numeric(12,2)"},
		{"datatype", "inventory.orders.code.varchar", "varchar| -1 "},
		{"transform", "inventory.orders.note", "upper(%d)"},
	});
	EXPECT_EQ(m.tables.at("inventory.orders").schema, "s1");
	EXPECT_EQ(m.tables.at("inventory.orders").table, "o");
	EXPECT_EQ(m.tables.at("inventory.orders").origin, "object map rule of connector \"mysqlconn\" (table, \"Inventory.Orders\")");
	EXPECT_EQ(m.columns.at("inventory.orders.qty").column, "quantity");
	EXPECT_EQ(m.type_rules.at("int|1").type, "bigint");
	EXPECT_EQ(m.type_rules.at("int|1").size, -1);
	EXPECT_EQ(m.type_rules.at("int|0").type, "numeric");
	EXPECT_EQ(m.type_rules.at("int|0").size, 10);
	EXPECT_EQ(m.type_rules.at("varchar|0").size, 0);
	EXPECT_EQ(m.column_types.at("inventory.orders.price").type, "numeric(12,2)");
	EXPECT_EQ(m.column_types.at("inventory.orders.code|varchar").only_type, "varchar");
	EXPECT_EQ(m.column_types.at("inventory.orders.code|varchar").size, -1);
	EXPECT_EQ(m.transforms.at("inventory.orders.note").sql, "upper( $1 )");
	EXPECT_EQ(m.transforms.at("inventory.orders.note").origin, "object map rule of connector \"mysqlconn\" (transform, \"inventory.orders.note\")");
}

TEST(BuildMapping, ObjmapOverridesRuleFileForTheSameSource)
{
	Mapping m = FromFile(R"({
	  "transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "INT", "translate_from_autoinc": true, "translate_to": "numeric"},
	    {"translate_from": "inventory.orders.qty", "translate_to": "smallint"}],
	  "transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.orders", "destination_object": "file.orders"},
	    {"object_type": "column", "source_object": "inventory.orders.qty", "destination_object": "file_qty"}],
	  "transform_expression_rules": [
	    {"transform_from": "inventory.orders.qty", "transform_expression": "%d + 1"}]})",
	                     {{"table", "INVENTORY.ORDERS", "objmap.orders"},
	                      {"column", "Inventory.Orders.Qty", "objmap_qty"},
	                      {"datatype", "integer", "text|0"},
	                      {"datatype", "inventory.orders.QTY", "real"},
	                      {"transform", "inventory.orders.qty", "%d + 2"}});
	EXPECT_EQ(m.tables.at("inventory.orders").schema, "objmap");
	EXPECT_EQ(m.columns.at("inventory.orders.qty").column, "objmap_qty");
	EXPECT_EQ(m.type_rules.at("int|0").type, "text");
	EXPECT_EQ(m.type_rules.at("int|0").origin, "object map rule of connector \"mysqlconn\" (datatype, \"integer\")");
	/* Another autoinc flag is another source: the file's rule stays. */
	EXPECT_EQ(m.type_rules.at("int|1").type, "numeric");
	EXPECT_EQ(m.column_types.at("inventory.orders.qty").type, "real");
	EXPECT_EQ(m.transforms.at("inventory.orders.qty").written, "%d + 2");
}

TEST(BuildMapping, LaterObjmapRowReplacesEarlierOne)
{
	Mapping m = FromObjmap({{"table", "a.b", "x"}, {"table", "A.B", "y"}});
	ASSERT_EQ(m.tables.size(), 1u);
	EXPECT_EQ(m.tables.at("a.b").table, "y");
}

/* ---------------------------------------------------------------------------------------------------------------
 * BuildMapping: rule file errors (F0000, naming the file, the section and the rule number)
 * ------------------------------------------------------------------------------------------------------------- */

TEST(BuildMappingErrors, RuleFileErrorsNameFileSectionAndRule)
{
	Error e = FileError(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.a", "destination_object": "x"},
	    {"object_type": "table", "source_object": "orders", "destination_object": "x"}]})");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()),
	          "invalid rule file \"rules.json\": rule 2 of \"transform_objectname_rules\": source table \"orders\" must "
	          "be written database.table, for example \"inventory.orders\"");
	EXPECT_EQ(e.hint(), "See the rule file reference in docs/rule-file.md.");
}

TEST(BuildMappingErrors, ObjectNameRules)
{
	struct Case {
		std::string type, src, dst, expect;
	} cases[] = {
		{"table", "a.b.c", "x", "source table \"a.b.c\" must be written database.table"},
		{"table", "a.", "x", "source table \"a.\" must be written database.table"},
		{"table", ".b", "x", "source table \".b\" must be written database.table"},
		{"table", "a.b", "s.t.u", "destination table \"s.t.u\" must be written schema.table or table"},
		{"table", "a.b", "s.", "destination table \"s.\" must be written schema.table or table"},
		{"table", "a.b", " . t", "destination table \" . t\" must be written schema.table or table"},
		{"table", "a.b", std::string(64, 'x'), "is longer than 63 bytes"},
		{"column", "a.b", "x", "source column \"a.b\" must be written database.table.column"},
		{"column", "a.b.c.d", "x", "source column \"a.b.c.d\" must be written database.table.column"},
		{"column", "a..c", "x", "source column \"a..c\" must be written database.table.column"},
		{"column", "a.b.c", "t.x", "destination column \"t.x\" must be a plain column name, without dots"},
		{"column", "a.b.c", "   ", "destination column is empty"},
	};
	for (const auto &c : cases) {
		std::string json = R"({"transform_objectname_rules": [{"object_type": ")" + c.type +
		                   R"(", "source_object": ")" + c.src + R"(", "destination_object": ")" + c.dst + R"("}]})";
		/* ParseRuleFile itself may refuse empty strings; BuildMapping must refuse the rest. */
		Error e = ErrorFrom([&] { FromFile(json); });
		EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError) << json;
		EXPECT_TRUE(Has(e.what(), "invalid rule file \"rules.json\"")) << e.what();
		EXPECT_TRUE(Has(e.what(), c.expect)) << e.what();
	}
	/* 63 bytes is fine. */
	EXPECT_NO_THROW(FromObjmap({{"table", "a.b", std::string(63, 'x')}}));
	EXPECT_NO_THROW(FromObjmap({{"column", "a.b.c", std::string(63, 'x')}}));
	EXPECT_TRUE(Has(ObjmapError({"table", "a.b", std::string(64, 's') + ".t"}).what(), "destination schema"));
}

TEST(BuildMappingErrors, DatatypeRules)
{
	struct Case {
		std::string from, to;
		int size;
		const char *expect;
	} cases[] = {
		{"VARCHAR(10)", "text", -1, "must be a type name without length or precision"},
		{"BOOLEAN", "bool", -1, "is not a MySQL or MariaDB data type synchdb knows (MySQL stores BOOLEAN as TINYINT)"},
		{"NOSUCHTYPE", "text", -1, "\"NOSUCHTYPE\" is not a MySQL or MariaDB data type synchdb knows"},
		{"VARCHAR UNSIGNED", "text", -1, "only numeric types can be UNSIGNED"},
		{"inventory.orders", "text", -1, "must be a MySQL type name (\"GEOMETRY\") or a column written"},
		{"a.b.c.d.e", "text", -1, "must be a MySQL type name"},
		{"a..c", "text", -1, "must be a MySQL type name"},
		{"inventory.orders.c.NOPE", "text", -1, "\"NOPE\" in \"inventory.orders.c.NOPE\" is not a MySQL or MariaDB"},
		{"INT", "bigint; drop table x", -1, "is not a PostgreSQL type name"},
		{"INT", "big--int", -1, "is not a PostgreSQL type name"},
		{"INT", "big/*x*/int", -1, "is not a PostgreSQL type name"},
		{"INT", "   ", -1, "the PostgreSQL type is empty"},
		{"INT", "numeric(10,2)", 5, "already has a size; give the size either in the type or as the size (5), not both"},
		{"INT", "varchar(20)", 30, "already has a size"},
	};
	for (const auto &c : cases) {
		Error e = FileError(DatatypeJson(c.from, c.to, c.size));
		EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError) << c.from;
		EXPECT_TRUE(Has(e.what(), "invalid rule file \"rules.json\": rule 1 of \"transform_datatype_rules\": "))
			<< e.what();
		EXPECT_TRUE(Has(e.what(), c.expect)) << e.what();
	}
	/* A type with a size given in it is fine with size -1 or 0. */
	EXPECT_NO_THROW(FromFile(DatatypeJson("INT", "numeric(10,2)", -1)));
	EXPECT_NO_THROW(FromFile(DatatypeJson("INT", "numeric(10,2)", 0)));
	/* Every type of the list is accepted; unsigned only for numbers. */
	for (const char *t : {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE", "BIT", "DATE",
	                      "DATETIME", "TIMESTAMP", "TIME", "YEAR", "CHAR", "VARCHAR", "BINARY", "VARBINARY", "TINYTEXT",
	                      "TEXT", "MEDIUMTEXT", "LONGTEXT", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB", "ENUM", "SET",
	                      "JSON", "GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
	                      "MULTIPOLYGON", "GEOMETRYCOLLECTION", "GEOMCOLLECTION", "UUID", "INET4", "INET6", "NUMERIC",
	                      "REAL", "DOUBLE PRECISION", "BIGINT UNSIGNED", "DECIMAL UNSIGNED", "FLOAT UNSIGNED"})
		EXPECT_NO_THROW(FromFile(DatatypeJson(t, "text"))) << t;
}

TEST(BuildMappingErrors, ExpressionRules)
{
	Error e = FileError(ExpressionJson("inventory.orders", "%d"));
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_TRUE(Has(e.what(), "invalid rule file \"rules.json\": rule 1 of \"transform_expression_rules\": source column "
	                          "\"inventory.orders\" must be written database.table.column"))
		<< e.what();
	e = FileError(ExpressionJson("a.b.c", "  "));
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_TRUE(Has(e.what(), "the expression is empty")) << e.what();
	/* Placeholder errors come from RewriteTransform with the rule's origin and the file's SQLSTATE. */
	e = FileError(R"j({"transform_expression_rules": [
	    {"transform_from": "a.b.c", "transform_expression": "%d"},
	    {"transform_from": "a.b.d", "transform_expression": "now()"}]})j");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()),
	          "invalid rule file \"rules.json\": rule 2 of \"transform_expression_rules\": transform expression: it "
	          "uses none of %d, %w, %s, so every row would get the same value");
	EXPECT_EQ(e.detail(), "The expression: now()");
}

TEST(BuildMappingErrors, SameSourceTwiceInOneFile)
{
	Error e = FileError(R"({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "varchar", "translate_to": "text"},
	    {"translate_from": "int", "translate_to": "numeric"}]})");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()), "invalid rule file \"rules.json\": rule 3 of \"transform_datatype_rules\": it names "
	                                 "the same source as rule 1");
	/* Same type, other autoinc flag: two sources. */
	EXPECT_NO_THROW(FromFile(R"({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "INT", "translate_from_autoinc": true, "translate_to": "bigint"}]})"));

	e = FileError(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.orders", "destination_object": "a"},
	    {"object_type": "table", "source_object": "Inventory.ORDERS", "destination_object": "b"}]})");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_TRUE(Has(e.what(), "rule 2 of \"transform_objectname_rules\": it names the same source as rule 1")) << e.what();
	/* A table and a column of the same spelling are different objects. */
	EXPECT_NO_THROW(FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "a.b", "destination_object": "x"},
	    {"object_type": "column", "source_object": "a.b.c", "destination_object": "y"}]})"));

	e = FileError(R"({"transform_expression_rules": [
	    {"transform_from": "a.b.c", "transform_expression": "%d"},
	    {"transform_from": "A.B.C", "transform_expression": "%d + 1"}]})");
	EXPECT_TRUE(Has(e.what(), "rule 2 of \"transform_expression_rules\": it names the same source as rule 1"))
		<< e.what();
}

TEST(BuildMappingErrors, SameSourceTypeSpelledTwoWays)
{
	/*
	 * BUG: the duplicate check of BuildMapping keys datatype rules by
	 * Lower(Trim(translate_from)), while the rules are stored under
	 * NormalizeSourceTypeName(): "INT" and "INTEGER" (or "INT UNSIGNED" and
	 * "INT  UNSIGNED") are the same source type, yet no "names the same
	 * source" error is raised and the later rule silently replaces the
	 * earlier one.  Likewise "a.b.c" and "a.b.c.INT" name one column but
	 * both pass and the second replaces the first (see the next test).
	 */
	Error e = FileError(R"({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "INTEGER", "translate_to": "numeric"}]})");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_TRUE(Has(e.what(), "rule 2 of \"transform_datatype_rules\": it names the same source as rule 1"))
		<< e.what();
}

TEST(BuildMappingErrors, TwoTypeSpecificRulesForOneColumn)
{
	/*
	 * BUG: "db.t.c.INT" and "db.t.c.VARCHAR" are accepted as two different
	 * sources (the duplicate check keys them apart) but are stored under the
	 * same column_types key "db.t.c", so the second replaces the first: an
	 * INT column c gets the default type instead of the INT rule's type.
	 */
	Mapping m = FromFile(R"({"transform_datatype_rules": [
	    {"translate_from": "inventory.t.c.INT", "translate_to": "bigint"},
	    {"translate_from": "inventory.t.c.VARCHAR", "translate_to": "text"}]})");
	TableInfo t = Info("CREATE TABLE t (c INT)", m);
	EXPECT_EQ(t.pg_types[0].sql, "bigint");
}

/* ---------------------------------------------------------------------------------------------------------------
 * BuildMapping / ValidateObjmapRow: object map errors (22023, naming the object map rule)
 * ------------------------------------------------------------------------------------------------------------- */

TEST(ObjmapErrors, MessageNamesConnectorAndRule)
{
	Error e = ObjmapError({"table", "orders", "x"});
	EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
	EXPECT_EQ(std::string(e.what()),
	          "invalid object map rule of connector \"mysqlconn\" (table, \"orders\"): source table \"orders\" must be "
	          "written database.table, for example \"inventory.orders\"");
	EXPECT_EQ(e.hint(), "See synchdb_add_objmap in docs/sql-reference.md.");
	/* ValidateObjmapRow gives the same error. */
	Error v = ErrorFrom([] { ValidateObjmapRow({"table", "orders", "x"}, kConn); });
	EXPECT_EQ(v.sqlstate(), e.sqlstate());
	EXPECT_EQ(std::string(v.what()), std::string(e.what()));
}

TEST(ObjmapErrors, EveryKindOfMistake)
{
	struct Case {
		ObjmapRow row;
		const char *expect;
	} cases[] = {
		{{"view", "a.b", "c"}, "object type \"view\" is not one of table, column, datatype, transform"},
		{{"", "a.b", "c"}, "is not one of table, column, datatype, transform"},
		{{"table", "a.b", "s.t.u"}, "destination table \"s.t.u\" must be written schema.table or table"},
		{{"table", "a.b", ""}, "must be written schema.table or table"},
		{{"column", "a.b", "c"}, "source column \"a.b\" must be written database.table.column"},
		{{"column", "a.b.c", "x.y"}, "must be a plain column name, without dots"},
		{{"column", "a.b.c", ""}, "destination column is empty"},
		{{"datatype", "int|maybe", "bigint"}, "the auto-increment flag after '|' must be true or false, not \"maybe\""},
		{{"datatype", "int|", "bigint"}, "the auto-increment flag after '|' must be true or false, not \"\""},
		{{"datatype", "a.b.c|true", "bigint"}, "a column rule takes no auto-increment flag"},
		{{"datatype", "int", "varchar|x"}, "the size after '|' must be an integer"},
		{{"datatype", "int", "varchar|"}, "the size after '|' must be an integer"},
		{{"datatype", "int", "varchar|-2"}, "(got \"-2\")"},
		{{"datatype", "int", "varchar|10485761"}, "(got \"10485761\")"},
		{{"datatype", "int", "varchar|12abc"}, "(got \"12abc\")"},
		{{"datatype", "int", "numeric(10,2)|5"}, "already has a size"},
		{{"datatype", "int", "|5"}, "the PostgreSQL type is empty"},
		{{"datatype", "int(11)", "bigint"}, "must be a type name without length or precision"},
		{{"datatype", "bool", "boolean"}, "(MySQL stores BOOLEAN as TINYINT)"},
		{{"datatype", "text unsigned", "text"}, "only numeric types can be UNSIGNED"},
		{{"datatype", "a.b", "text"}, "must be a MySQL type name (\"GEOMETRY\") or a column written"},
		{{"datatype", "a.b.c.nope", "text"}, "is not a MySQL or MariaDB data type synchdb knows"},
		{{"datatype", "int", "int'"}, "is not a PostgreSQL type name"},
		{{"transform", "a.b", "%d"}, "source column \"a.b\" must be written database.table.column"},
		{{"transform", "a.b.c", ""}, "the expression is empty"},
		{{"transform", "a.b.c", "now()"}, "it uses none of %d, %w, %s"},
		{{"transform", "a.b.c", "'x%dy'"}, "inside the string literal"},
	};
	for (const auto &c : cases) {
		Error e = ObjmapError(c.row);
		EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue) << c.row.srcobj;
		EXPECT_TRUE(Has(e.what(), c.expect)) << e.what();
		if (Has(c.expect, "uses none") || Has(c.expect, "string literal"))
			EXPECT_TRUE(Has(e.what(), "invalid object map rule of connector \"mysqlconn\" (transform, \"a.b.c\"): transform expression: "))
				<< e.what();
		else
			EXPECT_TRUE(Has(e.what(), "invalid object map rule of connector \"mysqlconn\" (" + c.row.objtype + ", \"" +
			                              c.row.srcobj + "\"): "))
				<< e.what();
		Error v = ErrorFrom([&] { ValidateObjmapRow(c.row, kConn); });
		EXPECT_EQ(v.sqlstate(), sqlstate::kInvalidParameterValue);
	}
}

TEST(ObjmapErrors, ValidRows)
{
	for (const ObjmapRow &row : std::vector<ObjmapRow>{
	         {"table", "inventory.orders", "orders2"},
	         {"Table", "inventory.orders", "s.orders2"},
	         {"column", "inventory.orders.a", "b"},
	         {"datatype", "int|TRUE", "bigint"},
	         {"datatype", " int unsigned | false ", " numeric | 20 "},
	         {"datatype", "inventory.orders.a", "text|0"},
	         {"datatype", "inventory.orders.a.varchar", "text|-1"},
	         {"datatype", "geometry", "geometry|10485760"},
	         {"transform", "inventory.orders.a", "%d"},
	         {"transform", "inventory.orders.g", "ST_GeomFromWKB(decode(%w, 'base64'), %s)"},
	     })
		EXPECT_NO_THROW(ValidateObjmapRow(row, kConn)) << row.objtype << " " << row.srcobj << " " << row.dstobj;
}

/* ---------------------------------------------------------------------------------------------------------------
 * RewriteTransform
 * ------------------------------------------------------------------------------------------------------------- */

TEST(RewriteTransform, Placeholders)
{
	auto r = Rewrite("%d * 2");
	EXPECT_EQ(r.sql, " $1  * 2");
	EXPECT_EQ(r.written, "%d * 2");
	EXPECT_EQ(r.origin, "test rule");
	EXPECT_TRUE(r.uses_value);
	EXPECT_FALSE(r.uses_wkb || r.uses_srid);

	r = Rewrite("ST_SetSRID(ST_GeomFromWKB(decode(%w,'base64')),%s)");
	EXPECT_EQ(r.sql, "ST_SetSRID(ST_GeomFromWKB(decode( $2 ,'base64')), $3 )");
	EXPECT_FALSE(r.uses_value);
	EXPECT_TRUE(r.uses_wkb);
	EXPECT_TRUE(r.uses_srid);

	r = Rewrite("%s");
	EXPECT_EQ(r.sql, " $3 ");
	EXPECT_TRUE(r.uses_srid);
	EXPECT_FALSE(r.uses_wkb || r.uses_value);

	/* No spaces around: "a%db" would otherwise glue the parameter to its neighbours. */
	EXPECT_EQ(Rewrite("-%d").sql, "- $1 ");
	EXPECT_EQ(Rewrite("%d%d").sql, " $1  $1 ");
}

TEST(RewriteTransform, PercentSigns)
{
	EXPECT_EQ(Rewrite("%d %% 7").sql, " $1  % 7");
	EXPECT_EQ(Rewrite("%%%d").sql, "% $1 ");
	/* %% then d: a percent sign and the letter, not a placeholder. */
	auto r = Rewrite("%%d + %d");
	EXPECT_EQ(r.sql, "%d +  $1 ");
	/* Other letters after % are left alone; a % at the end too. */
	EXPECT_EQ(Rewrite("%d || '%x' || %D || 5%").sql, " $1  || '%x' || %D || 5%");
	EXPECT_EQ(Rewrite("%d || '50%%'").sql, " $1  || '50%'");
	EXPECT_TRUE(Has(RewriteError("%%d").what(), "uses none of %d, %w, %s"));
}

TEST(RewriteTransform, LiteralThatIsExactlyAPlaceholder)
{
	auto r = Rewrite("upper('%d')");
	EXPECT_EQ(r.sql, "upper( ($1)::text )");
	EXPECT_TRUE(r.uses_value);
	r = Rewrite("ST_GeomFromText('%w', '%s')");
	EXPECT_EQ(r.sql, "ST_GeomFromText( ($2)::text ,  ($3)::text )");
	EXPECT_TRUE(r.uses_wkb);
	EXPECT_TRUE(r.uses_srid);
	EXPECT_FALSE(r.uses_value);
	/* SynchDB 1.0's example. */
	r = Rewrite("'>>' || '%d' || '<<'");
	EXPECT_EQ(r.sql, "'>>' ||  ($1)::text  || '<<'");
	/* '%%' is a one-character literal, not a placeholder. */
	EXPECT_EQ(Rewrite("%d || '%%'").sql, " $1  || '%'");
}

TEST(RewriteTransform, PlaceholderInsideLongerLiteralIsAnError)
{
	Error e = RewriteError("'abc%d'");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()),
	          "invalid test rule: transform expression: placeholder %d inside the string literal 'abc%d' cannot be "
	          "replaced by a value; concatenate instead, for example 'abc' || %d, or write %% for a percent sign");
	EXPECT_EQ(e.detail(), "The expression: 'abc%d'");
	EXPECT_FALSE(e.hint().empty());
	EXPECT_TRUE(Has(RewriteError("%d || ' %w'").what(), "placeholder %w inside the string literal ' %w'"));
	EXPECT_TRUE(Has(RewriteError("%d || '%s '").what(), "placeholder %s inside the string literal"));
	EXPECT_TRUE(Has(RewriteError("%d || 'it''s %d'").what(), "placeholder %d inside the string literal 'it''s %d'"));
	EXPECT_TRUE(Has(RewriteError("'%d%d'").what(), "inside the string literal"));
	/* The SQLSTATE is the caller's. */
	EXPECT_EQ(ErrorFrom([] { RewriteTransform("'x%d'", "o", sqlstate::kInvalidParameterValue); }).sqlstate(),
	          sqlstate::kInvalidParameterValue);
}

TEST(RewriteTransform, DollarQuotes)
{
	/* Dollar-quoted text is copied (%% still becomes %), placeholders inside are errors. */
	EXPECT_EQ(Rewrite("%d || $$a b$$").sql, " $1  || $$a b$$");
	EXPECT_EQ(Rewrite("%d || $tag$ it's $$ $tag$").sql, " $1  || $tag$ it's $$ $tag$");
	EXPECT_EQ(Rewrite("%d || $q$100%%$q$").sql, " $1  || $q$100%$q$");
	Error e = RewriteError("%d || $$x%d$$");
	EXPECT_TRUE(Has(e.what(), "placeholder %d inside a dollar-quoted string cannot be replaced by a value")) << e.what();
	EXPECT_TRUE(Has(RewriteError("$tag$%w$tag$ || %d").what(), "placeholder %w inside a dollar-quoted string"));
	EXPECT_TRUE(Has(RewriteError("$$%s$$ || %d").what(), "placeholder %s inside a dollar-quoted string"));
	EXPECT_TRUE(Has(RewriteError("%d || $$abc").what(), "unterminated dollar-quoted string"));
	EXPECT_TRUE(Has(RewriteError("%d || $t$abc$$").what(), "unterminated dollar-quoted string"));
	/* A lone dollar is copied. */
	EXPECT_EQ(Rewrite("%d || '$'").sql, " $1  || '$'");
}

TEST(RewriteTransform, UserWrittenParametersAreErrors)
{
	Error e = RewriteError("$1 + 1");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_TRUE(Has(e.what(), "positional parameters ($1, $2, ...) are not allowed; write %d for the value")) << e.what();
	EXPECT_TRUE(Has(RewriteError("%d + $2").what(), "positional parameters"));
	EXPECT_TRUE(Has(RewriteError("%d + $10").what(), "positional parameters"));
	/* A $1 inside a literal, an identifier or a comment is text. */
	EXPECT_EQ(Rewrite("%d || '$1'").sql, " $1  || '$1'");
	EXPECT_EQ(Rewrite("%d || \"$1\"").sql, " $1  || \"$1\"");
	EXPECT_EQ(Rewrite("%d -- $1").sql, " $1  -- $1");
}

TEST(RewriteTransform, EscapeStrings)
{
	/* In E'' a backslash escapes the quote; the literal goes on after it. */
	EXPECT_EQ(Rewrite("%d || E'it\\'s'").sql, " $1  || E'it\\'s'");
	EXPECT_EQ(Rewrite("%d || e'a\\\\' || %d").sql, " $1  || e'a\\\\' ||  $1 ");
	EXPECT_TRUE(Has(RewriteError("%d || E'\\'%d'").what(), "inside the string literal"));
	/* In a standard literal a backslash is a plain character. */
	EXPECT_EQ(Rewrite("'a\\' || %d").sql, "'a\\' ||  $1 ");
	/* An identifier ending in E before a quote does not make an E'' string. */
	EXPECT_EQ(Rewrite("typE'\\' || %d").sql, "typE'\\' ||  $1 ");
	/* E'%d' is not SynchDB 1.0's quoted placeholder: it is a placeholder inside a literal. */
	EXPECT_TRUE(Has(RewriteError("E'%d'").what(), "inside the string literal"));
	EXPECT_TRUE(Has(RewriteError("%d || E'abc").what(), "unterminated string literal"));
}

TEST(RewriteTransform, QuotedIdentifiersAndCommentsAreLeftAlone)
{
	EXPECT_EQ(Rewrite("\"my%dfunc\"(%d)").sql, "\"my%dfunc\"( $1 )");
	EXPECT_EQ(Rewrite("\"a\"\"%d\"(%d)").sql, "\"a\"\"%d\"( $1 )");
	EXPECT_EQ(Rewrite("%d -- add %d and '%s'\n + 1").sql, " $1  -- add %d and '%s'\n + 1");
	EXPECT_EQ(Rewrite("/* %w 'x */ %d").sql, "/* %w 'x */  $1 ");
	EXPECT_EQ(Rewrite("/* a /* %d */ b */ %d").sql, "/* a /* %d */ b */  $1 ");
	/* Placeholders only in comments or identifiers: none. */
	EXPECT_TRUE(Has(RewriteError("1 -- %d").what(), "uses none of %d, %w, %s"));
	EXPECT_TRUE(Has(RewriteError("/* %d */ 1").what(), "uses none of %d, %w, %s"));
	EXPECT_TRUE(Has(RewriteError("\"%d\"").what(), "uses none of %d, %w, %s"));
	EXPECT_TRUE(Has(RewriteError("%d /* a /* b */").what(), "unterminated /* comment"));
	EXPECT_TRUE(Has(RewriteError("%d || \"abc").what(), "unterminated quoted identifier"));
	EXPECT_TRUE(Has(RewriteError("%d || 'abc").what(), "unterminated string literal"));
}

TEST(RewriteTransform, NoPlaceholder)
{
	Error e = RewriteError("now()");
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()),
	          "invalid test rule: transform expression: it uses none of %d, %w, %s, so every row would get the same "
	          "value");
	EXPECT_EQ(e.detail(), "The expression: now()");
	EXPECT_EQ(e.hint(), "Write %d for the value, %w for a geometry's WKB (base64) and %s for its SRID, %% for a percent "
	                    "sign.");
	EXPECT_TRUE(Has(RewriteError("'abc'").what(), "uses none"));
	EXPECT_TRUE(Has(RewriteError("").what(), "uses none"));
	EXPECT_TRUE(Has(RewriteError("100%").what(), "uses none"));
}

/* ---------------------------------------------------------------------------------------------------------------
 * RuleTypeSql
 * ------------------------------------------------------------------------------------------------------------- */

TEST(RuleTypeSql, KeepSourceSize)
{
	EXPECT_EQ(RuleTypeSql(Rule("varchar", -1), Src("varchar", 255)), "varchar(255)");
	EXPECT_EQ(RuleTypeSql(Rule("VARCHAR", -1), Src("char", 10)), "VARCHAR(10)");
	EXPECT_EQ(RuleTypeSql(Rule("character varying", -1), Src("varchar", 40)), "character varying(40)");
	EXPECT_EQ(RuleTypeSql(Rule("char", -1), Src("binary", 16)), "char(16)");
	EXPECT_EQ(RuleTypeSql(Rule("bpchar", -1), Src("char", 3)), "bpchar(3)");
	EXPECT_EQ(RuleTypeSql(Rule("text", -1), Src("varchar", 255)), "text");
	EXPECT_EQ(RuleTypeSql(Rule("bytea", -1), Src("varbinary", 255)), "bytea");
	/* No source size: the bare type. */
	EXPECT_EQ(RuleTypeSql(Rule("varchar", -1), Src("text")), "varchar");
	EXPECT_EQ(RuleTypeSql(Rule("varchar", -1), Src("varchar", 0)), "varchar");
	/* Sizes of another nature are not carried over. */
	EXPECT_EQ(RuleTypeSql(Rule("varchar", -1), Src("decimal", -1, 10, 2)), "varchar");
	EXPECT_EQ(RuleTypeSql(Rule("numeric", -1), Src("varchar", 20)), "numeric");
	EXPECT_EQ(RuleTypeSql(Rule("timestamp", -1), Src("date")), "timestamp");
}

TEST(RuleTypeSql, Numeric)
{
	EXPECT_EQ(RuleTypeSql(Rule("numeric", -1), Src("decimal", -1, 12, 2)), "numeric(12,2)");
	EXPECT_EQ(RuleTypeSql(Rule("decimal", -1), Src("decimal", -1, 10, 0)), "decimal(10,0)");
	EXPECT_EQ(RuleTypeSql(Rule("NUMERIC", -1), Src("decimal", -1, 8, -1)), "NUMERIC(8,0)");
	EXPECT_EQ(RuleTypeSql(Rule("numeric", -1), Src("int", -1, 10, 0)), "numeric");
	EXPECT_EQ(RuleTypeSql(Rule("numeric", 0), Src("decimal", -1, 12, 2)), "numeric");
	EXPECT_EQ(RuleTypeSql(Rule("numeric", 20), Src("decimal", -1, 12, 2)), "numeric(20)");
	EXPECT_EQ(RuleTypeSql(Rule("numeric(30,4)", -1), Src("decimal", -1, 12, 2)), "numeric(30,4)");
	EXPECT_EQ(RuleTypeSql(Rule("numeric(30,4)", 0), Src("decimal", -1, 12, 2)), "numeric(30,4)");
	EXPECT_EQ(RuleTypeSql(Rule("bigint", -1), Src("decimal", -1, 12, 2)), "bigint");
}

TEST(RuleTypeSql, TimeTypes)
{
	EXPECT_EQ(RuleTypeSql(Rule("timestamp with time zone", -1), Src("datetime", -1, -1, -1, 3)),
	          "timestamp(3) with time zone");
	EXPECT_EQ(RuleTypeSql(Rule("TIMESTAMP WITHOUT TIME ZONE", -1), Src("timestamp", -1, -1, -1, 6)),
	          "TIMESTAMP(6) WITHOUT TIME ZONE");
	EXPECT_EQ(RuleTypeSql(Rule("time with time zone", -1), Src("time", -1, -1, -1, 2)), "time(2) with time zone");
	EXPECT_EQ(RuleTypeSql(Rule("time without time zone", 4), Src("time", -1, -1, -1, 2)), "time(4) without time zone");
	EXPECT_EQ(RuleTypeSql(Rule("timestamptz", -1), Src("datetime", -1, -1, -1, 0)), "timestamptz(0)");
	EXPECT_EQ(RuleTypeSql(Rule("timestamp", -1), Src("datetime", -1, -1, -1, 6)), "timestamp(6)");
	EXPECT_EQ(RuleTypeSql(Rule("timestamp with time zone", 0), Src("datetime", -1, -1, -1, 3)),
	          "timestamp with time zone");
	EXPECT_EQ(RuleTypeSql(Rule("timestamp with time zone", 2), Src("datetime", -1, -1, -1, 3)),
	          "timestamp(2) with time zone");
	EXPECT_EQ(RuleTypeSql(Rule("interval", -1), Src("time", -1, -1, -1, 3)), "interval(3)");
	/* No fractional digits known: bare. */
	EXPECT_EQ(RuleTypeSql(Rule("timestamp with time zone", -1), Src("datetime")), "timestamp with time zone");
	EXPECT_EQ(RuleTypeSql(Rule("text", -1), Src("datetime", -1, -1, -1, 3)), "text");
	EXPECT_EQ(RuleTypeSql(Rule("date", -1), Src("datetime", -1, -1, -1, 3)), "date");
}

TEST(RuleTypeSql, BitsAndExplicitSizes)
{
	EXPECT_EQ(RuleTypeSql(Rule("bit", -1), Src("bit", -1, -1, -1, -1, 5)), "bit(5)");
	EXPECT_EQ(RuleTypeSql(Rule("varbit", -1), Src("bit", -1, -1, -1, -1, 64)), "varbit(64)");
	EXPECT_EQ(RuleTypeSql(Rule("bit varying", -1), Src("bit", -1, -1, -1, -1, 8)), "bit varying(8)");
	EXPECT_EQ(RuleTypeSql(Rule("bigint", -1), Src("bit", -1, -1, -1, -1, 64)), "bigint");
	/* size 0: bare, whatever the source. */
	EXPECT_EQ(RuleTypeSql(Rule("varchar", 0), Src("varchar", 255)), "varchar");
	EXPECT_EQ(RuleTypeSql(Rule("bit", 0), Src("bit", -1, -1, -1, -1, 5)), "bit");
	/* size N: (N), whatever the source. */
	EXPECT_EQ(RuleTypeSql(Rule("varchar", 100), Src("varchar", 255)), "varchar(100)");
	EXPECT_EQ(RuleTypeSql(Rule("varchar", 100), Src("int")), "varchar(100)");
	EXPECT_EQ(RuleTypeSql(Rule("char", 1), Src("tinyint")), "char(1)");
	/* A type with its own size is used as written. */
	EXPECT_EQ(RuleTypeSql(Rule("varchar(20)", -1), Src("varchar", 255)), "varchar(20)");
	EXPECT_EQ(RuleTypeSql(Rule("text", 0), Src("varchar", 255)), "text");
}

TEST(RuleTypeSql, TypeWithParenthesisAndSizeIsABuildError)
{
	Error e = FileError(DatatypeJson("DECIMAL", "numeric(10,2)", 4));
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()),
	          "invalid rule file \"rules.json\": rule 1 of \"transform_datatype_rules\": type \"numeric(10,2)\" already "
	          "has a size; give the size either in the type or as the size (4), not both");
	e = ObjmapError({"datatype", "decimal", "numeric(10,2)|4"});
	EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
	EXPECT_TRUE(Has(e.what(), "already has a size")) << e.what();
}

/* ---------------------------------------------------------------------------------------------------------------
 * MakeTableSet / MakeTableInfo with a Mapping
 * ------------------------------------------------------------------------------------------------------------- */

TEST(MappedTables, NoMappingAndEmptyMappingKeepDefaults)
{
	const char *create = "CREATE TABLE Orders (Id INT PRIMARY KEY, Qty INT UNSIGNED, Note VARCHAR(20))";
	TableInfo plain = mysql::MakeTable(Table(create, "Inventory"), nullptr);
	Mapping empty;
	TableInfo mapped = mysql::MakeTable(Table(create, "Inventory"), &empty);
	for (const TableInfo *t : {&plain, &mapped}) {
		EXPECT_EQ(t->pg_schema, "inventory");
		EXPECT_EQ(t->pg_table, "orders");
		EXPECT_EQ(t->pg_columns, (std::vector<std::string>{"id", "qty", "note"}));
		ASSERT_EQ(t->pg_types.size(), 3u);
		EXPECT_EQ(t->pg_types[1].sql, "bigint");
		EXPECT_EQ(t->pg_types[2].sql, "varchar(20)");
		EXPECT_EQ(t->name_origin, "");
		EXPECT_EQ(t->type_origins, (std::vector<std::string>{"", "", ""}));
		EXPECT_FALSE(t->HasTransforms());
		EXPECT_EQ(t->transforms.size(), 3u);
		EXPECT_EQ(mysql::Native(*t).conversions.size(), 3u);
	}
}

TEST(MappedTables, TableAndColumnRenames)
{
	Mapping m = FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.orders", "destination_object": "Schema1.MyOrders"},
	    {"object_type": "column", "source_object": "inventory.orders.quantity", "destination_object": "The Numba"},
	    {"object_type": "column", "source_object": "inventory.other.id", "destination_object": "nope"}]})");
	TableInfo t = Info("CREATE TABLE orders (id INT PRIMARY KEY, quantity INT, note TEXT)", m);
	EXPECT_EQ(t.pg_schema, "Schema1");
	EXPECT_EQ(t.pg_table, "MyOrders");
	EXPECT_EQ(t.QualifiedPgName(), "\"Schema1\".\"MyOrders\"");
	EXPECT_EQ(t.name_origin, "rule file \"rules.json\": rule 1 of \"transform_objectname_rules\"");
	EXPECT_EQ(t.pg_columns, (std::vector<std::string>{"id", "The Numba", "note"}));
	/* The source side is unchanged. */
	EXPECT_EQ(t.SourceName(), "inventory.orders");
	EXPECT_EQ(t.source.columns[1].name, "quantity");
	/* Another table is not touched by these rules. */
	TableInfo o = Info("CREATE TABLE other2 (id INT)", m);
	EXPECT_EQ(o.QualifiedPgName(), "\"inventory\".\"other2\"");
	EXPECT_EQ(o.pg_columns, (std::vector<std::string>{"id"}));
	/* Table rule without a schema: public. */
	Mapping p = FromObjmap({{"table", "inventory.orders", "orders_copy"}});
	EXPECT_EQ(Info("CREATE TABLE orders (id INT)", p).QualifiedPgName(), "\"public\".\"orders_copy\"");
}

TEST(MappedTables, SourceNamesMatchCaseInsensitively)
{
	Mapping m = FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "INVENTORY.orders", "destination_object": "s.T"},
	    {"object_type": "column", "source_object": "inventory.ORDERS.qty", "destination_object": "Q"}],
	  "transform_datatype_rules": [{"translate_from": "Inventory.Orders.QTY", "translate_to": "bigint"}],
	  "transform_expression_rules": [{"transform_from": "INVENTORY.ORDERS.QTY", "transform_expression": "%d * 2"}]})");
	TableInfo t = Info("CREATE TABLE Orders (Qty INT)", m, "Inventory");
	EXPECT_EQ(t.QualifiedPgName(), "\"s\".\"T\"");
	EXPECT_EQ(t.pg_columns[0], "Q");
	EXPECT_EQ(t.pg_types[0].sql, "bigint");
	EXPECT_TRUE(t.transforms[0].Active());
}

TEST(MappedTables, TypeRulesByTypeName)
{
	Mapping m = FromFile(R"({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_from_autoinc": true, "translate_to": "bigint", "translate_to_size": 0},
	    {"translate_from": "INT", "translate_from_autoinc": false, "translate_to": "numeric", "translate_to_size": 10},
	    {"translate_from": "VARCHAR", "translate_to": "varchar", "translate_to_size": -1},
	    {"translate_from": "CHAR", "translate_to": "text", "translate_to_size": -1},
	    {"translate_from": "DECIMAL", "translate_to": "numeric"},
	    {"translate_from": "DATETIME", "translate_to": "timestamp with time zone"},
	    {"translate_from": "BIGINT UNSIGNED", "translate_to": "bigint", "translate_to_size": 0}]})");
	TableInfo t = Info("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, n INT, s VARCHAR(255), c CHAR(4), "
	                   "d DECIMAL(12,2), ts DATETIME(3), u BIGINT UNSIGNED, b BIGINT, iu INT UNSIGNED)",
	                   m);
	ASSERT_EQ(t.pg_types.size(), 9u);
	EXPECT_EQ(t.pg_types[0].sql, "bigint");
	EXPECT_EQ(t.pg_types[0].kind, PgKind::Int8);
	EXPECT_EQ(t.type_origins[0], "rule file \"rules.json\": rule 1 of \"transform_datatype_rules\"");
	EXPECT_EQ(t.pg_types[1].sql, "numeric(10)");
	EXPECT_EQ(t.pg_types[1].kind, PgKind::Numeric);
	EXPECT_EQ(t.type_origins[1], "rule file \"rules.json\": rule 2 of \"transform_datatype_rules\"");
	EXPECT_EQ(t.pg_types[2].sql, "varchar(255)");
	EXPECT_EQ(t.pg_types[2].kind, PgKind::Varchar);
	EXPECT_EQ(t.pg_types[3].sql, "text");
	EXPECT_EQ(t.pg_types[3].kind, PgKind::Text);
	EXPECT_EQ(t.pg_types[4].sql, "numeric(12,2)");
	EXPECT_EQ(t.pg_types[5].sql, "timestamp(3) with time zone");
	EXPECT_EQ(t.pg_types[5].kind, PgKind::Timestamptz);
	EXPECT_EQ(t.pg_types[6].sql, "bigint");
	/* No rule: defaults, no origin. */
	EXPECT_EQ(t.pg_types[7].sql, "bigint");
	EXPECT_EQ(t.type_origins[7], "");
	/* INT rules do not apply to INT UNSIGNED. */
	EXPECT_EQ(t.pg_types[8].sql, "bigint");
	EXPECT_EQ(t.type_origins[8], "");
	/* The conversion follows the rule's type. */
	EXPECT_EQ(mysql::Native(t).conversions[3].kind, PgKind::Text);
	EXPECT_EQ(mysql::Native(t).conversions[0].kind, PgKind::Int8);
}

TEST(MappedTables, AutoincFlagSelectsTheRule)
{
	/* Only a rule for auto-increment INT columns: plain INT columns keep the default. */
	Mapping a = FromFile(DatatypeJson("INT", "bigint", 0, true));
	TableInfo t = Info("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, n INT)", a);
	EXPECT_EQ(t.pg_types[0].sql, "bigint");
	EXPECT_EQ(t.pg_types[1].sql, "integer");
	/* And the other way round. */
	Mapping n = FromObjmap({{"datatype", "int|false", "bigint|0"}});
	t = Info("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, n INT)", n);
	EXPECT_EQ(t.pg_types[0].sql, "integer");
	EXPECT_EQ(t.pg_types[1].sql, "bigint");
	EXPECT_EQ(t.type_origins[1], "object map rule of connector \"mysqlconn\" (datatype, \"int|false\")");
}

TEST(MappedTables, SizesMinusOneZeroAndN)
{
	auto type_of = [](int size) {
		Mapping m = FromFile(DatatypeJson("VARCHAR", "varchar", size));
		return Info("CREATE TABLE t (s VARCHAR(255))", m).pg_types[0].sql;
	};
	EXPECT_EQ(type_of(-1), "varchar(255)");
	EXPECT_EQ(type_of(0), "varchar");
	EXPECT_EQ(type_of(32), "varchar(32)");
	Mapping text = FromFile(DatatypeJson("VARCHAR", "text", -1));
	EXPECT_EQ(Info("CREATE TABLE t (s VARCHAR(255))", text).pg_types[0].sql, "text");
	Mapping bits = FromFile(DatatypeJson("BIT", "varbit", -1));
	EXPECT_EQ(Info("CREATE TABLE t (b BIT(7))", bits).pg_types[0].sql, "varbit(7)");
	Mapping tm = FromFile(DatatypeJson("TIME", "time", -1));
	EXPECT_EQ(Info("CREATE TABLE t (x TIME(2))", tm).pg_types[0].sql, "time(2)");
}

TEST(MappedTables, ColumnTypeRules)
{
	Mapping m = FromFile(R"j({"transform_datatype_rules": [
	    {"translate_from": "inventory.t.price", "translate_to": "numeric(12,2)"},
	    {"translate_from": "inventory.t.code.VARCHAR", "translate_to": "text", "translate_to_size": 0},
	    {"translate_from": "inventory.t.other.VARCHAR", "translate_to": "text", "translate_to_size": 0},
	    {"translate_from": "inventory.t.big.INT UNSIGNED", "translate_to": "bigint", "translate_to_size": 0}]})j");
	TableInfo t = Info("CREATE TABLE t (price DOUBLE, code VARCHAR(8), other INT, big INT UNSIGNED, big2 INT UNSIGNED)",
	                   m);
	EXPECT_EQ(t.pg_types[0].sql, "numeric(12,2)");
	EXPECT_EQ(t.pg_types[0].kind, PgKind::Numeric);
	EXPECT_EQ(t.type_origins[0], "rule file \"rules.json\": rule 1 of \"transform_datatype_rules\"");
	EXPECT_EQ(t.pg_types[1].sql, "text");
	/* "db.table.column.TYPE" applies only while the column has that type. */
	EXPECT_EQ(t.pg_types[2].sql, "integer");
	EXPECT_EQ(t.type_origins[2], "");
	EXPECT_EQ(t.pg_types[3].sql, "bigint");
	EXPECT_EQ(t.pg_types[4].sql, "bigint"); /* default for INT UNSIGNED anyway */
	EXPECT_EQ(t.type_origins[4], "");
}

TEST(MappedTables, ColumnRuleBeatsTypeRule)
{
	Mapping m = FromFile(R"j({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "inventory.t.b", "translate_to": "numeric(12,2)"},
	    {"translate_from": "inventory.t.c.VARCHAR", "translate_to": "text"}]})j");
	TableInfo t = Info("CREATE TABLE t (a INT, b INT, c INT)", m);
	EXPECT_EQ(t.pg_types[0].sql, "bigint");
	EXPECT_EQ(t.pg_types[1].sql, "numeric(12,2)");
	/* A column rule for another type does not apply: the type rule does. */
	EXPECT_EQ(t.pg_types[2].sql, "bigint");
	EXPECT_EQ(t.type_origins[2], "rule file \"rules.json\": rule 1 of \"transform_datatype_rules\"");

	/* A rule file column rule beats an object map type rule (column beats type, whatever the origin). */
	Mapping o = FromFile(R"({"transform_datatype_rules": [{"translate_from": "inventory.t.b", "translate_to": "real"}]})",
	                     {{"datatype", "int", "text|0"}});
	t = Info("CREATE TABLE t (a INT, b INT)", o);
	EXPECT_EQ(t.pg_types[0].sql, "text");
	EXPECT_EQ(t.pg_types[1].sql, "real");
}

TEST(MappedTables, ObjmapRowsOverrideRuleFile)
{
	Mapping m = FromFile(R"({
	  "transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint"},
	    {"translate_from": "inventory.orders.note", "translate_to": "varchar", "translate_to_size": 10}],
	  "transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.orders", "destination_object": "file.orders"},
	    {"object_type": "column", "source_object": "inventory.orders.qty", "destination_object": "file_qty"}],
	  "transform_expression_rules": [
	    {"transform_from": "inventory.orders.qty", "transform_expression": "%d + 1"}]})",
	                     {{"table", "inventory.orders", "objmap.orders"},
	                      {"column", "inventory.orders.qty", "objmap_qty"},
	                      {"datatype", "int|false", "numeric|0"},
	                      {"datatype", "inventory.orders.note", "text"},
	                      {"transform", "inventory.orders.qty", "%d + 2"}});
	TableInfo t = Info("CREATE TABLE orders (id INT, qty INT, note VARCHAR(5))", m);
	EXPECT_EQ(t.QualifiedPgName(), "\"objmap\".\"orders\"");
	EXPECT_EQ(t.name_origin, "object map rule of connector \"mysqlconn\" (table, \"inventory.orders\")");
	EXPECT_EQ(t.pg_columns, (std::vector<std::string>{"id", "objmap_qty", "note"}));
	EXPECT_EQ(t.pg_types[0].sql, "numeric");
	EXPECT_EQ(t.pg_types[2].sql, "text");
	EXPECT_EQ(t.transforms[1].written, "%d + 2");
	EXPECT_EQ(t.transforms[1].origin, "object map rule of connector \"mysqlconn\" (transform, \"inventory.orders.qty\")");
}

TEST(MappedTables, TransformsWithTheirInputType)
{
	Mapping m = FromFile(R"({
	  "transform_datatype_rules": [{"translate_from": "inventory.t.qty", "translate_to": "text"}],
	  "transform_expression_rules": [
	    {"transform_from": "inventory.t.qty", "transform_expression": "case when %d < 500 then 0 else %d end"},
	    {"transform_from": "inventory.t.d", "transform_expression": "%d + 1"}]})");
	TableInfo t = Info("CREATE TABLE t (id INT, qty INT UNSIGNED, d DECIMAL(8,3))", m);
	EXPECT_TRUE(t.HasTransforms());
	EXPECT_FALSE(t.transforms[0].Active());
	const ColumnTransform &x = t.transforms[1];
	EXPECT_TRUE(x.Active());
	EXPECT_EQ(x.written, "case when %d < 500 then 0 else %d end");
	EXPECT_EQ(x.sql, "case when  $1  < 500 then 0 else  $1  end");
	EXPECT_FALSE(x.spatial);
	EXPECT_EQ(x.origin, "rule file \"rules.json\": rule 1 of \"transform_expression_rules\"");
	/* The value comes in the column's default type; the column has the rule's type. */
	EXPECT_EQ(x.input.sql, "bigint");
	EXPECT_EQ(x.input.kind, PgKind::Int8);
	EXPECT_EQ(t.pg_types[1].sql, "text");
	EXPECT_EQ(mysql::Native(t).conversions[1].kind, PgKind::Int8);
	EXPECT_EQ(t.transforms[2].input.sql, "numeric(8,3)");
	EXPECT_EQ(mysql::Native(t).conversions[2].kind, PgKind::Numeric);
}

TEST(MappedTables, GeometryTransformsAndTypes)
{
	Mapping m = FromFile(R"j({
	  "transform_datatype_rules": [{"translate_from": "GEOMETRY", "translate_to": "geometry", "translate_to_size": 0},
	                               {"translate_from": "POINT", "translate_to": "TEXT", "translate_to_size": 0}],
	  "transform_expression_rules": [
	    {"transform_from": "inventory.t.g", "transform_expression": "ST_SetSRID(ST_GeomFromWKB(decode(%w, 'base64')), %s)"}]})j");
	TableInfo t = Info("CREATE TABLE t (id INT, g GEOMETRY, p POINT)", m);
	/* An extension's type synchdb does not know: geometries go as text (hex EWKB). */
	EXPECT_EQ(t.pg_types[1].sql, "geometry");
	EXPECT_EQ(t.pg_types[1].kind, PgKind::Text);
	EXPECT_EQ(t.pg_types[2].sql, "TEXT");
	EXPECT_EQ(t.pg_types[2].kind, PgKind::Text);
	const ColumnTransform &x = t.transforms[1];
	EXPECT_TRUE(x.Active());
	EXPECT_TRUE(x.spatial);
	EXPECT_EQ(x.input.sql, "text");
	EXPECT_EQ(x.input.kind, PgKind::Text);
	EXPECT_EQ(x.sql, "ST_SetSRID(ST_GeomFromWKB(decode( $2 , 'base64')),  $3 )");
	EXPECT_EQ(mysql::Native(t).conversions[1].kind, PgKind::Text);
	EXPECT_TRUE(mysql::Native(t).conversions[1].spatial);
}

TEST(MappedTables, WkbOrSridOnANonGeometryIsAnError)
{
	Mapping f = FromFile(ExpressionJson("inventory.t.qty", "%d + length(%w)"));
	Error e = ErrorFrom([&] { Info("CREATE TABLE t (qty INT)", f); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kConfigFileError);
	EXPECT_EQ(std::string(e.what()),
	          "invalid rule file \"rules.json\": rule 1 of \"transform_expression_rules\": transform expression "
	          "uses %w or %s, but column \"qty\" of table \"inventory.t\" has type int, not a geometry");
	EXPECT_EQ(e.hint(), "Use %d for the value of a column that is not a geometry.");

	Mapping o = FromObjmap({{"transform", "inventory.t.qty", "%s"}});
	e = ErrorFrom([&] { mysql::MakeTables({Table("CREATE TABLE t (qty VARCHAR(4))")}, &o); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
	EXPECT_TRUE(Has(e.what(), "invalid object map rule of connector \"mysqlconn\" (transform, \"inventory.t.qty\"): "
	                          "transform expression uses %w or %s, but column \"qty\" of table \"inventory.t\" has type varchar"))
		<< e.what();
	/* %d on a geometry is fine (the value is its hex EWKB). */
	Mapping d = FromObjmap({{"transform", "inventory.t.g", "ST_GeomFromEWKB(decode(%d, 'hex'))"}});
	EXPECT_NO_THROW(Info("CREATE TABLE t (g POINT)", d));
}

TEST(MappedTables, DuplicateDestinationTables)
{
	Mapping m = FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.a", "destination_object": "s.same"},
	    {"object_type": "table", "source_object": "inventory.b", "destination_object": "s.same"}]})");
	Error e = ErrorFrom([&] {
		mysql::MakeTables({Table("CREATE TABLE a (id INT)"), Table("CREATE TABLE b (id INT)")}, &m);
	});
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
	EXPECT_EQ(std::string(e.what()), "source tables \"inventory.a\" and \"inventory.b\" both map to destination table "
	                                 "\"s\".\"same\"");
	EXPECT_FALSE(e.hint().empty());

	/* A rule naming another table's default destination. */
	Mapping r = FromObjmap({{"table", "inventory.a", "inventory.b"}});
	e = ErrorFrom([&] { mysql::MakeTables({Table("CREATE TABLE a (id INT)"), Table("CREATE TABLE b (id INT)")}, &r); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
	EXPECT_TRUE(Has(e.what(), "both map to destination table \"inventory\".\"b\"")) << e.what();

	/* Source names differing only in case fold to the same default destination. */
	e = ErrorFrom([&] { mysql::MakeTables({Table("CREATE TABLE Orders (id INT)"), Table("CREATE TABLE orders (id INT)")}); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);

	/* Destination names are case-sensitive: "Same" and "same" are two tables. */
	Mapping c = FromObjmap({{"table", "inventory.a", "s.Same"}, {"table", "inventory.b", "s.same"}});
	auto set = mysql::MakeTables({Table("CREATE TABLE a (id INT)"), Table("CREATE TABLE b (id INT)")}, &c);
	ASSERT_EQ(set->size(), 2u);
	EXPECT_EQ(set->at(0).QualifiedPgName(), "\"s\".\"Same\"");
	EXPECT_EQ(set->at(1).QualifiedPgName(), "\"s\".\"same\"");
	/* Same table name, other schema: fine. */
	Mapping s = FromObjmap({{"table", "inventory.a", "s1.t"}, {"table", "inventory.b", "s2.t"}});
	EXPECT_EQ(mysql::MakeTables({Table("CREATE TABLE a (id INT)"), Table("CREATE TABLE b (id INT)")}, &s)->size(), 2u);
}

TEST(MappedTables, DuplicateDestinationColumns)
{
	Mapping m = FromObjmap({{"column", "inventory.t.a", "b"}});
	Error e = ErrorFrom([&] { Info("CREATE TABLE t (a INT, b INT)", m); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
	EXPECT_EQ(std::string(e.what()), "columns \"a\" and \"b\" of table \"inventory.t\" both map to destination column \"b\"");
	EXPECT_FALSE(e.hint().empty());

	Mapping two = FromFile(R"({"transform_objectname_rules": [
	    {"object_type": "column", "source_object": "inventory.t.a", "destination_object": "x"},
	    {"object_type": "column", "source_object": "inventory.t.b", "destination_object": "x"}]})");
	e = ErrorFrom([&] { mysql::MakeTables({Table("CREATE TABLE t (a INT, b INT)")}, &two); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
	EXPECT_TRUE(Has(e.what(), "columns \"a\" and \"b\" of table \"inventory.t\" both map to destination column \"x\""))
		<< e.what();
	/* Swapping two names is fine. */
	Mapping swap = FromObjmap({{"column", "inventory.t.a", "b"}, {"column", "inventory.t.b", "a"}});
	EXPECT_EQ(Info("CREATE TABLE t (a INT, b INT)", swap).pg_columns, (std::vector<std::string>{"b", "a"}));
	/* Case matters in destinations. */
	Mapping cs = FromObjmap({{"column", "inventory.t.a", "B"}});
	EXPECT_EQ(Info("CREATE TABLE t (a INT, b INT)", cs).pg_columns, (std::vector<std::string>{"B", "b"}));
}

TEST(MappedTables, MakeTableSetAppliesTheMappingToEveryTable)
{
	Mapping m = FromFile(R"({
	  "transform_datatype_rules": [{"translate_from": "INT", "translate_to": "bigint"}],
	  "transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.a", "destination_object": "x.a2"}]})");
	auto set = mysql::MakeTables({Table("CREATE TABLE a (id INT)"), Table("CREATE TABLE b (id INT)")}, &m);
	ASSERT_EQ(set->size(), 2u);
	EXPECT_EQ(set->at(0).QualifiedPgName(), "\"x\".\"a2\"");
	EXPECT_EQ(set->at(1).QualifiedPgName(), "\"inventory\".\"b\"");
	EXPECT_EQ(set->at(0).pg_types[0].sql, "bigint");
	EXPECT_EQ(set->at(1).pg_types[0].sql, "bigint");
}

/* ---------------------------------------------------------------------------------------------------------------
 * PlanSchemaChange with a Mapping
 * ------------------------------------------------------------------------------------------------------------- */

namespace {

/* The rules of the DDL tests: orders renamed and moved, a column renamed, INT retyped. */
Mapping DdlRules()
{
	return FromFile(R"({
	  "transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint", "translate_to_size": 0},
	    {"translate_from": "inventory.orders.note.VARCHAR", "translate_to": "text", "translate_to_size": 0}],
	  "transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.orders", "destination_object": "Sales.Orders2"},
	    {"object_type": "column", "source_object": "inventory.orders.qty", "destination_object": "Quantity"},
	    {"object_type": "column", "source_object": "inventory.orders.added", "destination_object": "Added Col"},
	    {"object_type": "table", "source_object": "inventory.archive", "destination_object": "old.archive_dst"}]})");
}

}  // namespace

TEST(MappedSchemaChange, CreateTableUsesDestinationNamesAndTypes)
{
	Mapping m = DdlRules();
	auto c = Plan(TableSet{}, "CREATE TABLE orders (id INT PRIMARY KEY, qty INT NOT NULL DEFAULT 1, note VARCHAR(10))", m);
	EXPECT_EQ(Joined(c), "CREATE SCHEMA IF NOT EXISTS \"Sales\";\n"
	                     "CREATE TABLE IF NOT EXISTS \"Sales\".\"Orders2\" (\"id\" bigint NOT NULL, \"Quantity\" bigint "
	                     "DEFAULT 1 NOT NULL, \"note\" text, PRIMARY KEY (\"id\"));\n")
		<< Joined(c);
	ASSERT_EQ(c.tables->size(), 1u);
	EXPECT_EQ(c.tables->at(0).source.name, "orders");
	EXPECT_EQ(c.tables->at(0).pg_table, "Orders2");
	EXPECT_EQ(c.summary, "CREATE TABLE inventory.orders");
	/* Without a mapping: the defaults. */
	auto d = PlanSchemaChange(ddl::Parse("CREATE TABLE orders (id INT)", "inventory"), TableSet{}, "inventory", {});
	ASSERT_TRUE(d.has_value());
	EXPECT_EQ(Joined(*d), "CREATE SCHEMA IF NOT EXISTS \"inventory\";\n"
	                      "CREATE TABLE IF NOT EXISTS \"inventory\".\"orders\" (\"id\" integer);\n");
}

TEST(MappedSchemaChange, AlterTableAddColumnOnARenamedTable)
{
	Mapping m = DdlRules();
	auto c = Plan(TableSet{}, "CREATE TABLE orders (id INT PRIMARY KEY, qty INT)", m);
	auto a = Plan(*c.tables, "ALTER TABLE orders ADD COLUMN added INT, ADD COLUMN other VARCHAR(5) NOT NULL", m);
	EXPECT_EQ(Joined(a), "ALTER TABLE \"Sales\".\"Orders2\" ADD COLUMN \"Added Col\" bigint;\n"
	                     "ALTER TABLE \"Sales\".\"Orders2\" ADD COLUMN \"other\" varchar(5) NOT NULL DEFAULT '';\n"
	                     "ALTER TABLE \"Sales\".\"Orders2\" ALTER COLUMN \"other\" DROP DEFAULT;\n")
		<< Joined(a);
	ASSERT_EQ(a.tables->size(), 1u);
	EXPECT_EQ(a.tables->at(0).pg_columns, (std::vector<std::string>{"id", "Quantity", "Added Col", "other"}));
	/* Dropping a renamed column names its destination. */
	auto d = Plan(*a.tables, "ALTER TABLE orders DROP COLUMN qty", m);
	EXPECT_EQ(Joined(d), "ALTER TABLE \"Sales\".\"Orders2\" DROP COLUMN IF EXISTS \"Quantity\";\n") << Joined(d);
}

TEST(MappedSchemaChange, ColumnRenamesAndRetypesFollowTheRules)
{
	Mapping m = DdlRules();
	auto c = Plan(TableSet{}, "CREATE TABLE orders (id INT PRIMARY KEY, amount INT, note INT)", m);
	/* A source rename onto a name with a rule: the destination rename goes to the rule's name. */
	auto r = Plan(*c.tables, "ALTER TABLE orders CHANGE amount qty INT", m);
	EXPECT_EQ(Joined(r), "ALTER TABLE \"Sales\".\"Orders2\" RENAME COLUMN \"amount\" TO \"Quantity\";\n") << Joined(r);
	/* The type-specific column rule starts to apply when the column becomes VARCHAR. */
	auto t = Plan(*r.tables, "ALTER TABLE orders MODIFY note VARCHAR(30)", m);
	EXPECT_EQ(Joined(t), "ALTER TABLE \"Sales\".\"Orders2\" ALTER COLUMN \"note\" TYPE text USING \"note\"::text;\n")
		<< Joined(t);
	/* MODIFY to SMALLINT: no rule for SMALLINT, back to the default. */
	auto s = Plan(*t.tables, "ALTER TABLE orders MODIFY note SMALLINT", m);
	EXPECT_EQ(Joined(s), "ALTER TABLE \"Sales\".\"Orders2\" ALTER COLUMN \"note\" TYPE smallint USING "
	                     "\"note\"::smallint;\n")
		<< Joined(s);
	/* Back to INT: the INT rule's type. */
	auto n = Plan(*s.tables, "ALTER TABLE orders MODIFY note INT", m);
	EXPECT_EQ(Joined(n), "ALTER TABLE \"Sales\".\"Orders2\" ALTER COLUMN \"note\" TYPE bigint USING \"note\"::bigint;\n")
		<< Joined(n);
}

TEST(MappedSchemaChange, RenameTableMovesBetweenRules)
{
	Mapping m = DdlRules();
	auto c = Plan(TableSet{}, "CREATE TABLE orders (id INT PRIMARY KEY, qty INT)", m);
	/* To a name without a rule: back to the default schema and name; the column loses its rule name. */
	auto r = Plan(*c.tables, "RENAME TABLE orders TO orders_old", m);
	EXPECT_EQ(Joined(r), "ALTER TABLE \"Sales\".\"Orders2\" SET SCHEMA \"inventory\";\n"
	                     "ALTER TABLE \"inventory\".\"Orders2\" RENAME TO \"orders_old\";\n"
	                     "ALTER TABLE \"inventory\".\"orders_old\" RENAME COLUMN \"Quantity\" TO \"qty\";\n")
		<< Joined(r);
	ASSERT_EQ(r.tables->size(), 1u);
	EXPECT_EQ(r.tables->at(0).QualifiedPgName(), "\"inventory\".\"orders_old\"");
	/* To a name with a rule: into the rule's schema and name. */
	auto a = Plan(*r.tables, "ALTER TABLE orders_old RENAME TO archive", m);
	EXPECT_EQ(Joined(a), "ALTER TABLE \"inventory\".\"orders_old\" SET SCHEMA \"old\";\n"
	                     "ALTER TABLE \"old\".\"orders_old\" RENAME TO \"archive_dst\";\n")
		<< Joined(a);
	EXPECT_EQ(a.tables->at(0).QualifiedPgName(), "\"old\".\"archive_dst\"");
	/* DROP TABLE names the destination. */
	auto d = Plan(*a.tables, "DROP TABLE archive", m);
	EXPECT_EQ(Joined(d), "DROP TABLE IF EXISTS \"old\".\"archive_dst\";\n");
}

TEST(MappedSchemaChange, AddColumnClashingWithARenamedColumnIsAnError)
{
	Mapping m = DdlRules();
	auto c = Plan(TableSet{}, "CREATE TABLE orders (id INT PRIMARY KEY, qty INT)", m);
	/* "Quantity" folds to the default "quantity", which differs from the rule's "Quantity": no clash... */
	EXPECT_NO_THROW(PlanSchemaChange(ddl::Parse("ALTER TABLE orders ADD COLUMN Quantity INT", "inventory"), *c.tables,
	                                 "inventory", {}, &m));
	/* ...but a column whose rule names an existing destination column clashes. */
	Mapping clash = FromObjmap({{"column", "inventory.orders.added", "qty"}});
	auto t = PlanSchemaChange(ddl::Parse("CREATE TABLE orders (id INT, qty INT)", "inventory"), TableSet{}, "inventory",
	                          {}, &clash);
	ASSERT_TRUE(t.has_value());
	Error e = ErrorFrom([&] {
		PlanSchemaChange(ddl::Parse("ALTER TABLE orders ADD COLUMN added INT", "inventory"), *t->tables, "inventory", {},
		                 &clash);
	});
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
	EXPECT_TRUE(Has(e.what(), "both map to destination column \"qty\"")) << e.what();
}

TEST(MappedSchemaChange, CreateTableOntoAnotherTablesDestinationIsAnError)
{
	/*
	 * BUG: MakeTableSet refuses two source tables mapped to one destination
	 * table (42710), but PlanSchemaChange does not check: a CREATE TABLE (or
	 * RENAME TABLE) in the binlog whose destination is already another
	 * replicated table's gives "CREATE TABLE IF NOT EXISTS" of the existing
	 * table (a no-op) and both source tables then write into it.
	 */
	Mapping m = FromObjmap({{"table", "inventory.a", "s.same"}, {"table", "inventory.b", "s.same"}});
	auto c = Plan(TableSet{}, "CREATE TABLE a (id INT)", m);
	Error e = ErrorFrom([&] {
		PlanSchemaChange(ddl::Parse("CREATE TABLE b (id INT)", "inventory"), *c.tables, "inventory", {}, &m);
	});
	EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
}

TEST(MappedTables, JsonRuleOnMariaDbJsonColumn)
{
	/* MySQL's JSON (DATA_TYPE json): a JSON rule applies. */
	Mapping m = FromFile(DatatypeJson("JSON", "text", 0));
	EXPECT_EQ(Info("CREATE TABLE t (j JSON)", m).pg_types[0].sql, "text");
	/*
	 * BUG: MariaDB reports JSON columns as DATA_TYPE longtext with the
	 * json_valid CHECK (SourceColumn::json_alias), and DefaultPgType maps them
	 * to jsonb like MySQL's JSON; but MakeTableInfo looks type rules up by
	 * DATA_TYPE only, so a "JSON" rule never applies to a MariaDB JSON column
	 * and a "LONGTEXT" rule retypes it.
	 */
	mysql::SourceTable t;
	t.db = "inventory";
	t.name = "t";
	mysql::SourceColumn c;
	c.name = "j";
	c.data_type = "longtext";
	c.column_type = "longtext";
	c.json_alias = true;
	t.columns.push_back(c);
	EXPECT_EQ(DefaultPgType(c).sql, "jsonb");
	EXPECT_EQ(mysql::MakeTable(t, &m).pg_types[0].sql, "text");
	Mapping lt = FromFile(DatatypeJson("LONGTEXT", "varchar", 0));
	EXPECT_EQ(mysql::MakeTable(t, &lt).pg_types[0].sql, "jsonb");
}

TEST(RewriteTransform, DollarSignsInsideIdentifiers)
{
	/*
	 * BUG (minor): PostgreSQL identifiers may contain '$' after their first
	 * character (my$func, col$1), and a dollar quote cannot start inside an
	 * identifier; RewriteTransform treats "$1" in "my$1(%d)" as a positional
	 * parameter and "$q$" in "x$q$(%d)" as the start of a dollar quote.
	 */
	EXPECT_EQ(Rewrite("my$1(%d)").sql, "my$1( $1 )");
	EXPECT_EQ(Rewrite("x$q$(%d)").sql, "x$q$( $1 )");
}

TEST(MappedSchemaChange, RenameThatNeedsNoDestinationStatement)
{
	/*
	 * BUG: RENAME TABLE whose destination does not change (the old and new
	 * source names map to the same destination: by rules, or by case only,
	 * orders -> Orders) yields no SQL, and PlanSchemaChange then returns
	 * nullopt: the tracked table keeps its old source name, so the rows that
	 * follow (for the new name) are not recognised.
	 */
	Mapping m = FromObjmap({{"table", "inventory.orders", "s.o"}, {"table", "inventory.orders_new", "s.o"}});
	auto c = Plan(TableSet{}, "CREATE TABLE orders (id INT)", m);
	auto r = PlanSchemaChange(ddl::Parse("RENAME TABLE orders TO orders_new", "inventory"), *c.tables, "inventory", {},
	                          &m);
	EXPECT_TRUE(r.has_value());
	if (r) {
		EXPECT_EQ(r->tables->at(0).source.name, "orders_new");
		EXPECT_TRUE(r->sql.empty());
	}
	/* The same without rules: a rename that changes only the case of the name. */
	auto d = PlanSchemaChange(ddl::Parse("CREATE TABLE orders (id INT)", "inventory"), TableSet{}, "inventory", {});
	ASSERT_TRUE(d.has_value());
	auto e = PlanSchemaChange(ddl::Parse("RENAME TABLE orders TO Orders", "inventory"), *d->tables, "inventory", {});
	EXPECT_TRUE(e.has_value());
	if (e) {
		EXPECT_EQ(e->tables->at(0).source.name, "Orders");
	}
}

TEST(MappedSchemaChange, TranslateDatatypeWithTypeRules)
{
	Mapping m = FromFile(R"j({"transform_datatype_rules": [
	    {"translate_from": "INT", "translate_to": "bigint", "translate_to_size": 0},
	    {"translate_from": "INT", "translate_from_autoinc": true, "translate_to": "numeric"},
	    {"translate_from": "VARCHAR", "translate_to": "varchar", "translate_to_size": -1},
	    {"translate_from": "DECIMAL UNSIGNED", "translate_to": "numeric"},
	    {"translate_from": "inventory.t.c", "translate_to": "text"}]})j");
	EXPECT_EQ(TranslateDatatype("int", 0, 0).sql, "integer");
	EXPECT_EQ(TranslateDatatype("int", 0, 0, &m).sql, "bigint");
	EXPECT_EQ(TranslateDatatype("int", 0, 0, &m).kind, PgKind::Int8);
	EXPECT_EQ(TranslateDatatype("INT", 11, 0, &m).sql, "bigint");
	/* Another type, unsigned: no rule. */
	EXPECT_EQ(TranslateDatatype("int unsigned", 0, 0, &m).sql, "bigint");
	EXPECT_EQ(TranslateDatatype("smallint", 0, 0, &m).sql, "smallint");
	/* Size -1 keeps the given length, precision and scale. */
	EXPECT_EQ(TranslateDatatype("varchar", 40, 0, &m).sql, "varchar(40)");
	EXPECT_EQ(TranslateDatatype("decimal unsigned", 12, 3, &m).sql, "numeric(12,3)");
	/* Without a table or a column, column rules never match. */
	EXPECT_EQ(TranslateDatatype("text", 0, 0, &m).sql, "text");
	EXPECT_EQ(TranslateDatatype("double", 0, 0, &m).sql, "double precision");
	Mapping none;
	EXPECT_EQ(TranslateDatatype("int", 0, 0, &none).sql, "integer");
}

TEST(MappedTables, DestinationNamesOver63BytesAreRefused)
{
	/* PostgreSQL would cut them: two source tables (or columns) could land in one. */
	Mapping none;
	const std::string t64(64, 't'), c64(64, 'c');
	Error e = ErrorFrom([&] { Info("CREATE TABLE " + t64 + " (id INT)", none); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kNameTooLong);
	EXPECT_TRUE(Has(e.what(), "longer than 63 bytes")) << e.what();
	EXPECT_TRUE(Has(e.hint(), "synchdb_add_objmap")) << e.hint();
	e = ErrorFrom([&] { Info("CREATE TABLE t (" + c64 + " INT)", none); });
	EXPECT_EQ(e.sqlstate(), sqlstate::kNameTooLong);
	/* A rule gives a shorter name: accepted. */
	Mapping m = FromObjmap({{"table", "inventory." + t64, "s.short"}});
	EXPECT_EQ(Info("CREATE TABLE " + t64 + " (id INT)", m).pg_table, "short");
	EXPECT_EQ(Info("CREATE TABLE " + std::string(63, 't') + " (id INT)", none).pg_table, std::string(63, 't'));
}
