/* Unit tests of rule file parsing. */
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "core/rule_file.hpp"

using namespace synchdb;

namespace {

std::string ErrorOf(std::string_view text)
{
	try {
		ParseRuleFile(text, "myrule.json");
	} catch (const Error &e) {
		return e.what();
	}
	return "no error";
}

}  // namespace

TEST(RuleFile, ParsesAllSections)
{
	auto rf = ParseRuleFile(R"({
	  "transform_datatype_rules": [
	    {"translate_from": "GEOMETRY", "translate_from_autoinc": false, "translate_to": "TEXT", "translate_to_size": 0},
	    {"translate_from": "inventory.orders.quantity", "translate_to": "bigint"}
	  ],
	  "transform_objectname_rules": [
	    {"object_type": "table", "source_object": "inventory.orders", "destination_object": "schema1.orders"},
	    {"object_type": "column", "source_object": "inventory.orders.quantity", "destination_object": "the_numba"}
	  ],
	  "transform_expression_rules": [
	    {"transform_from": "inventory.orders.quantity", "transform_expression": "case when %d < 500 then 0 else %d end"}
	  ]
	})",
	                        "myrule.json");
	ASSERT_EQ(rf.datatype_rules.size(), 2u);
	EXPECT_EQ(rf.datatype_rules[0].translate_to_size, 0);
	EXPECT_EQ(rf.datatype_rules[1].translate_to_size, -1);
	EXPECT_FALSE(rf.datatype_rules[1].translate_from_autoinc);
	ASSERT_EQ(rf.objectname_rules.size(), 2u);
	EXPECT_EQ(rf.objectname_rules[1].object_type, "column");
	ASSERT_EQ(rf.expression_rules.size(), 1u);
	EXPECT_TRUE(ParseRuleFile("{}", "empty.json").datatype_rules.empty());
}

TEST(RuleFile, ErrorsNameFileRuleAndKey)
{
	EXPECT_EQ(ErrorOf(R"({"transform_datatype_rules": [{"translate_from": "INT", "translate_to": "bigint", "size": 3}]})"),
	          "invalid rule file \"myrule.json\": rule 1 of \"transform_datatype_rules\" has unknown key \"size\" "
	          "(valid keys: translate_from, translate_from_autoinc, translate_to, translate_to_size)");
	EXPECT_EQ(ErrorOf(R"({"transform_objectname_rules": [{"object_type": "table", "source_object": "a.b", "destination_object": "c"},
	                                                    {"object_type": "view", "source_object": "a.b", "destination_object": "c"}]})"),
	          "invalid rule file \"myrule.json\": rule 2 of \"transform_objectname_rules\" key \"object_type\" is \"view\"; "
	          "it must be \"table\" or \"column\"");
	EXPECT_EQ(ErrorOf(R"({"transform_expression_rules": [{"transform_from": "a.b.c"}]})"),
	          "invalid rule file \"myrule.json\": rule 1 of \"transform_expression_rules\" is missing key "
	          "\"transform_expression\"");
	EXPECT_EQ(ErrorOf(R"({"ssl_rules": {}})"), "invalid rule file \"myrule.json\": unknown section \"ssl_rules\"");
	EXPECT_EQ(ErrorOf(R"({"transform_datatype_rules": {}})"),
	          "invalid rule file \"myrule.json\": section \"transform_datatype_rules\" must be an array of rules");
	EXPECT_EQ(ErrorOf(R"({"transform_datatype_rules": [{"translate_from": "INT", "translate_to": 5}]})"),
	          "invalid rule file \"myrule.json\": rule 1 of \"transform_datatype_rules\" key \"translate_to\" must be a "
	          "string, not a number");
	EXPECT_EQ(ErrorOf(R"({"transform_datatype_rules": [{"translate_from": "INT", "translate_to": "x", "translate_to_size": -2}]})")
	              .find("translate_to_size"),
	          std::string("invalid rule file \"myrule.json\": rule 1 of \"transform_datatype_rules\" key \"").size());
	EXPECT_EQ(ErrorOf("[]"), "invalid rule file \"myrule.json\": the document is an array, expected an object");
	EXPECT_NE(ErrorOf("{\"transform_datatype_rules\": [}").find("invalid JSON at line 1"), std::string::npos);
}

TEST(RuleFile, LoadReportsMissingFiles)
{
	try {
		LoadRuleFile("/nonexistent/dir/rule.json");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), "58P01");
		EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
	}
	std::string path = testing::TempDir() + "/synchdb_rule_test.json";
	std::ofstream(path) << R"({"transform_datatype_rules": []})";
	EXPECT_NO_THROW(LoadRuleFile(path));
}
