/*
 * pgvalue_test.cpp
 *     Canonical input text read into PostgreSQL's internal values
 *     (core/pgvalue.hpp), the apply path's shortcut around the input
 *     functions.
 *
 * NOTES
 *   Expected dates and timestamps were computed independently (Python's
 *   datetime: days and microseconds since 2000-01-01, which is what
 *   PostgreSQL 15's date_in/timestamp_in store).  Floats are compared
 *   with strtod/strtof, which float8in/float4in use.  Every text the
 *   readers refuse goes to the input function, so the tests also pin the
 *   refusals: anything PostgreSQL would round, trim, pad differently,
 *   read in the session's time zone, or reject.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/pgvalue.hpp"

using namespace synchdb::pgvalue;

TEST(PgValue, Int)
{
	int64_t v = 0;
	EXPECT_TRUE(ReadInt("0", INT16_MIN, INT16_MAX, v));
	EXPECT_EQ(v, 0);
	EXPECT_TRUE(ReadInt("-0", INT16_MIN, INT16_MAX, v));
	EXPECT_EQ(v, 0);
	EXPECT_TRUE(ReadInt("-32768", INT16_MIN, INT16_MAX, v));
	EXPECT_EQ(v, -32768);
	EXPECT_TRUE(ReadInt("32767", INT16_MIN, INT16_MAX, v));
	EXPECT_EQ(v, 32767);
	EXPECT_FALSE(ReadInt("32768", INT16_MIN, INT16_MAX, v)); /* int2in raises out of range */
	EXPECT_FALSE(ReadInt("-32769", INT16_MIN, INT16_MAX, v));
	EXPECT_TRUE(ReadInt("2147483647", INT32_MIN, INT32_MAX, v));
	EXPECT_EQ(v, 2147483647);
	EXPECT_FALSE(ReadInt("2147483648", INT32_MIN, INT32_MAX, v));
	EXPECT_TRUE(ReadInt("-2147483648", INT32_MIN, INT32_MAX, v));
	EXPECT_EQ(v, INT32_MIN);
	EXPECT_TRUE(ReadInt("9223372036854775807", INT64_MIN, INT64_MAX, v));
	EXPECT_EQ(v, INT64_MAX);
	EXPECT_TRUE(ReadInt("-9223372036854775808", INT64_MIN, INT64_MAX, v));
	EXPECT_EQ(v, INT64_MIN);
	EXPECT_FALSE(ReadInt("9223372036854775808", INT64_MIN, INT64_MAX, v));
	EXPECT_FALSE(ReadInt("-9223372036854775809", INT64_MIN, INT64_MAX, v));
	EXPECT_FALSE(ReadInt("18446744073709551615", INT64_MIN, INT64_MAX, v));
	EXPECT_FALSE(ReadInt("99999999999999999999", INT64_MIN, INT64_MAX, v));
	EXPECT_TRUE(ReadInt("007", INT32_MIN, INT32_MAX, v));
	EXPECT_EQ(v, 7);
	/* Other spellings go to the input function. */
	for (const char *s : {"", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "１"})
		EXPECT_FALSE(ReadInt(s, INT64_MIN, INT64_MAX, v)) << s;
}

TEST(PgValue, Float)
{
	for (const char *s : {"0", "-0", "1.5", "-0.25", "0.1", "3.14159", "1e-07", "1.7976931348623157e308",
	                      "2.2250738585072014e-308", "123456789012345678901234567890", "1.5e+10", "1E5", ".5",
	                      "0.30000000000000004", "-1.2345678901234567e-100"}) {
		double d = 42;
		ASSERT_TRUE(ReadFloat8(s, d)) << s;
		double want = strtod(s, nullptr);
		EXPECT_EQ(std::memcmp(&d, &want, sizeof d), 0) << s; /* same bits, -0 included */
	}
	for (const char *s : {"0", "-0", "1.5", "0.1", "3.14159", "1e-07", "3.4028235e38", "1.17549435e-38", "16777217",
	                      "-2.5e-3"}) {
		float f = 42;
		ASSERT_TRUE(ReadFloat4(s, f)) << s;
		float want = strtof(s, nullptr);
		EXPECT_EQ(std::memcmp(&f, &want, sizeof f), 0) << s;
	}
	double d;
	float f;
	/* Out of range, subnormal, special values, other spellings: float8in/float4in decide. */
	for (const char *s : {"", "1e309", "-1e309", "1e-400", "4e-320", "inf", "-inf", "Infinity", "NaN", "nan", " 1",
	                      "1 ", "+1", "0x1p3", "1,5", "1e", "--1", "1.5.5"})
		EXPECT_FALSE(ReadFloat8(s, d)) << s;
	for (const char *s : {"3.5e38", "1e-39", "1e-46", "Infinity", "NaN", " 1"})
		EXPECT_FALSE(ReadFloat4(s, f)) << s;
}

TEST(PgValue, Bool)
{
	bool b = false;
	EXPECT_TRUE(ReadBool("t", b));
	EXPECT_TRUE(b);
	EXPECT_TRUE(ReadBool("1", b));
	EXPECT_TRUE(b);
	EXPECT_TRUE(ReadBool("f", b));
	EXPECT_FALSE(b);
	EXPECT_TRUE(ReadBool("0", b));
	EXPECT_FALSE(b);
	for (const char *s : {"", "2", "-1", "true", "yes", "T", " t"})
		EXPECT_FALSE(ReadBool(s, b)) << s;
}

TEST(PgValue, Date)
{
	int32_t d = 0;
	struct {
		const char *text;
		int32_t days;
	} cases[] = {{"2000-01-01", 0},       {"0001-01-01", -730119}, {"9999-12-31", 2921939}, {"2020-02-29", 7364},
	             {"1970-01-01", -10957},  {"1900-03-01", -36465},  {"2000-03-01", 60},      {"1600-02-29", -146038},
	             {"1999-12-31", -1}};
	for (const auto &c : cases) {
		ASSERT_TRUE(ReadDate(c.text, d)) << c.text;
		EXPECT_EQ(d, c.days) << c.text;
	}
	for (const char *s : {"0000-01-01", "0000-00-00", "2021-02-29", "1900-02-29", "2020-13-01", "2020-04-31",
	                      "2020-1-01", "20200101", "2020-01-01 ", "-infinity", "infinity", "10000-01-01",
	                      "2020-01-01 00:00:00"})
		EXPECT_FALSE(ReadDate(s, d)) << s;
}

TEST(PgValue, Time)
{
	int64_t t = 0;
	EXPECT_TRUE(ReadTime("00:00:00", -1, t));
	EXPECT_EQ(t, 0);
	EXPECT_TRUE(ReadTime("13:14:15.000123", -1, t));
	EXPECT_EQ(t, 47655000123LL);
	EXPECT_TRUE(ReadTime("23:59:59.999999", 6, t));
	EXPECT_EQ(t, 86399999999LL);
	EXPECT_TRUE(ReadTime("01:02:03.5", 1, t));
	EXPECT_EQ(t, 3723500000LL);
	EXPECT_TRUE(ReadTime("01:02:03.50", 3, t));
	EXPECT_EQ(t, 3723500000LL);
	/* time(0) would round .5; 24:00:00 and the rest: time_in decides. */
	for (const char *s : {"01:02:03.5"})
		EXPECT_FALSE(ReadTime(s, 0, t)) << s;
	for (const char *s : {"24:00:00", "-00:00:01", "25:00:00", "12:60:00", "12:00:60", "1:02:03", "01:02",
	                      "01:02:03.", "01:02:03.1234567", "838:59:59", "01:02:03+00"})
		EXPECT_FALSE(ReadTime(s, -1, t)) << s;
}

TEST(PgValue, Timestamp)
{
	int64_t t = 0;
	struct {
		const char *text;
		int64_t usec;
	} cases[] = {{"2000-01-01 00:00:00", 0},
	             {"2020-01-01 00:00:01.5", 631152001500000LL},
	             {"2020-01-01 00:00:01.500000", 631152001500000LL},
	             {"1969-12-31 23:59:59.999999", -946684800000001LL},
	             {"0001-01-01 00:00:00", -63082281600000000LL},
	             {"9999-12-31 23:59:59.999999", 252455615999999999LL},
	             {"2024-06-30 12:34:56.123456", 773066096123456LL}};
	for (const auto &c : cases) {
		ASSERT_TRUE(ReadTimestamp(c.text, -1, false, t)) << c.text;
		EXPECT_EQ(t, c.usec) << c.text;
		/* timestamptz: only with an explicit +00, the same instant. */
		std::string tz = std::string(c.text) + "+00";
		ASSERT_TRUE(ReadTimestamp(tz, 6, true, t)) << tz;
		EXPECT_EQ(t, c.usec) << tz;
		EXPECT_FALSE(ReadTimestamp(c.text, -1, true, t)) << c.text << " is in the session's time zone";
		EXPECT_FALSE(ReadTimestamp(tz, -1, false, t)) << tz;
	}
	EXPECT_TRUE(ReadTimestamp("2020-01-01 00:00:01.25", 2, false, t));
	EXPECT_FALSE(ReadTimestamp("2020-01-01 00:00:01.125", 2, false, t)); /* timestamp(2) rounds */
	for (const char *s : {"0000-00-00 00:00:00", "2020-02-30 00:00:00", "2020-01-01T00:00:00", "2020-01-01 24:00:00",
	                      "2020-01-01  00:00:00", "2020-01-01 00:00:00.1234567", "2020-01-01 00:00:00+01",
	                      "2020-01-01 00:00:00 +00", "infinity", "2020-01-01"})
		EXPECT_FALSE(ReadTimestamp(s, -1, false, t)) << s;
	EXPECT_FALSE(ReadTimestamp("2020-01-01 00:00:00+01", -1, true, t));
	EXPECT_FALSE(ReadTimestamp("2020-01-01 00:00:00+00:00", -1, true, t));
}

TEST(PgValue, ByteaAndAscii)
{
	EXPECT_EQ(ByteaHexLength("\\x"), 0);
	EXPECT_EQ(ByteaHexLength("\\x00ffAb"), 3);
	char out[3];
	DecodeByteaHex("\\x00ffAb", out);
	EXPECT_EQ(std::string(out, 3), std::string("\x00\xff\xab", 3));
	for (const char *s : {"", "\\", "x00", "\\x0", "\\x0g", "\\x00 ff", "\\X00", "abc"})
		EXPECT_EQ(ByteaHexLength(s), -1) << s;
	EXPECT_TRUE(IsAscii(""));
	EXPECT_TRUE(IsAscii("plain ascii text longer than eight bytes ~\x7f"));
	EXPECT_FALSE(IsAscii("caf\xc3\xa9"));
	EXPECT_FALSE(IsAscii("0123456789abcde\xc3\xa9"));
}
