/*
 * core_strings_test.cpp
 *     EscapeControls / EscapeControlsInto / Quoted: text from outside cannot
 *     start a line of its own in a log line or the state view.
 */
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/strings.hpp"

using namespace synchdb;

TEST(EscapeControls, LeavesPlainTextAlone)
{
	EXPECT_EQ(EscapeControls("inventory.orders"), "inventory.orders");
	EXPECT_EQ(EscapeControls("caf\xc3\xa9 \"x\" back\\slash"), "caf\xc3\xa9 \"x\" back\\slash");
	EXPECT_EQ(EscapeControls(""), "");
}

TEST(EscapeControls, EscapesEveryControlCharacter)
{
	EXPECT_EQ(EscapeControls("a\nLOG:  forged"), "a\\nLOG:  forged");
	EXPECT_EQ(EscapeControls("a\r\nb\tc"), "a\\r\\nb\\tc");
	EXPECT_EQ(EscapeControls(std::string("x\x01y\x1f\x7fz")), "x\\x01y\\x1f\\x7fz");
	EXPECT_EQ(EscapeControls(std::string("nul\0in", 6)), "nul\\x00in");
	for (int c = 0; c < 0x20; c++) {
		const std::string out = EscapeControls(std::string(1, static_cast<char>(c)));
		for (char ch : out)
			EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << "control character " << c;
	}
}

TEST(EscapeControls, IntoBufferCutsWholeSequences)
{
	char buf[8];
	EscapeControlsInto("ab\ncd\nef", buf, sizeof(buf));
	EXPECT_STREQ(buf, "ab\\ncd"); /* the second "\\n" does not fit whole */
	EscapeControlsInto("abcdef\x01", buf, sizeof(buf));
	EXPECT_STREQ(buf, "abcdef"); /* "\x01" does not fit whole: left out */
	EscapeControlsInto(nullptr, buf, sizeof(buf));
	EXPECT_STREQ(buf, "");
	char big[64];
	EscapeControlsInto("t\n\rx", big, sizeof(big));
	EXPECT_STREQ(big, "t\\n\\rx");
}

TEST(EscapeControls, QuotedNamesAreOneLine)
{
	EXPECT_EQ(Quoted("orders"), "\"orders\"");
	EXPECT_EQ(Quoted("evil\nERROR:  forged"), "\"evil\\nERROR:  forged\"");
}
