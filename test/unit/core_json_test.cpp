/* Unit tests of the core JSON parser and writer. */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json.hpp"

using namespace synchdb;

TEST(Json, ParsesAndWritesBack)
{
	auto v = json::Parse(R"( {"a": 1, "b": [true, false, null], "c": "x\"y\\z", "d": -12.5e3} )");
	ASSERT_TRUE(v.IsObject());
	EXPECT_EQ(v.Find("a")->AsInt(), 1);
	EXPECT_EQ(v.Find("b")->Items().size(), 3u);
	EXPECT_EQ(v.Find("c")->AsString(), "x\"y\\z");
	EXPECT_EQ(v.Find("d")->NumberText(), "-12.5e3");
	EXPECT_FALSE(v.Find("d")->AsInt().has_value());
	EXPECT_EQ(json::Write(v), R"({"a":1,"b":[true,false,null],"c":"x\"y\\z","d":-12.5e3})");
}

TEST(Json, KeepsBigIntegersExact)
{
	auto v = json::Parse(R"({"pos": 18446744073709551615, "small": 9223372036854775807})");
	EXPECT_EQ(v.Find("pos")->NumberText(), "18446744073709551615");
	EXPECT_FALSE(v.Find("pos")->AsInt().has_value()); /* beyond int64: no silent wrap */
	EXPECT_EQ(*v.Find("small")->AsInt(), INT64_MAX);
}

TEST(Json, UnicodeEscapes)
{
	auto v = json::Parse(R"(["\u00e9", "\ud83d\ude00", "\n\t"])");
	EXPECT_EQ(v.Items()[0].AsString(), "\xC3\xA9");
	EXPECT_EQ(v.Items()[1].AsString(), "\xF0\x9F\x98\x80");
	std::string out;
	json::AppendQuoted(out, std::string("a\x01\n", 3));
	EXPECT_EQ(out, "\"a\\u0001\\n\"");
}

TEST(Json, ErrorsNameLineAndColumn)
{
	try {
		json::Parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
		FAIL() << "expected an error";
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), "22P02");
		EXPECT_NE(std::string(e.what()).find("line 3, column 7"), std::string::npos) << e.what();
	}
}

TEST(Json, RejectsMalformedDocuments)
{
	for (const char *bad : {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "tru", "\"abc", "\"\\x\"", "{} x",
	                        "{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\u0000\"", "[\"a\nb\"]"})
		EXPECT_THROW(json::Parse(bad), Error) << bad;
}

TEST(Json, DeepNestingIsRefusedNotACrash)
{
	std::string deep(100000, '[');
	EXPECT_THROW(json::Parse(deep), Error);
}
