/* One reading of MySQL's string-literal escapes and identifier quoting (sources/mysql/literal.hpp). */
#include <gtest/gtest.h>

#include "core/sources/mysql/literal.hpp"
#include "core/sources/mysql/schema.hpp"

using namespace synchdb;

TEST(MySqlLiteral, EscapesAsTheServerReadsThem)
{
	std::string out;
	for (char e : std::string("0nrtbZ%_q'\\"))
		mysql::AppendEscaped(e, out);
	EXPECT_EQ(out, std::string("\0\n\r\t\b\x1a\\%\\_q'\\", 13));
}

TEST(MySqlLiteral, EnumLabelsUseTheSameEscapes)
{
	/* ENUM labels once dropped the backslash of \% and \_ while the DDL lexer kept it. */
	auto labels = mysql::ParseEnumValues("enum('a\\%b','c\\Zd','it''s')");
	ASSERT_EQ(labels.size(), 3u);
	EXPECT_EQ(labels[0], "a\\%b");
	EXPECT_EQ(labels[1], "c\x1a" "d");
	EXPECT_EQ(labels[2], "it's");
}

TEST(MySqlLiteral, BacktickQuote)
{
	EXPECT_EQ(mysql::BacktickQuote("a`b"), "`a``b`");
	EXPECT_EQ(mysql::BacktickQuote(""), "``");
}
