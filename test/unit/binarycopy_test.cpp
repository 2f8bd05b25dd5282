/*
 * binarycopy_test.cpp
 *     Binary COPY fields from canonical input text (core/binarycopy.hpp).
 *
 * NOTES
 *   Expected bytes were computed independently: days and microseconds
 *   since 2000-01-01 with Python's datetime, IEEE bits with Python's
 *   struct.pack('>d'/'>f'), numeric digits by hand from the base-10000
 *   layout of PostgreSQL's numeric_send (and checked against numeric_send
 *   of PostgreSQL 15 on the same texts).  Every text Encode refuses goes
 *   in a text-format row to the input function, so refusals are pinned
 *   too.
 */
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "core/binarycopy.hpp"

using namespace synchdb::binarycopy;

namespace {

std::string Hex(const std::string &s)
{
	static const char k[] = "0123456789abcdef";
	std::string h;
	for (unsigned char c : s) {
		h += k[c >> 4];
		h += k[c & 15];
	}
	return h;
}

/* The field's hex (length word included), or "refused". */
std::string Field(Kind k, std::string_view s)
{
	std::string out = "xx";
	if (!AppendField(out, k, s)) {
		EXPECT_EQ(out, "xx") << "a refusal must leave the output as it was";
		return "refused";
	}
	return Hex(out.substr(2));
}

}  // namespace

TEST(BinaryCopy, HeaderAndRow)
{
	std::string out;
	AppendHeader(out);
	EXPECT_EQ(Hex(out), "5047434f50590aff0d0a00" "00000000" "00000000");
	out.clear();
	AppendRowStart(out, 26);
	AppendNull(out);
	EXPECT_EQ(Hex(out), "001a" "ffffffff");
}

TEST(BinaryCopy, Integers)
{
	EXPECT_EQ(Field(Kind::Int2, "-2"), "00000002" "fffe");
	EXPECT_EQ(Field(Kind::Int2, "32767"), "00000002" "7fff");
	EXPECT_EQ(Field(Kind::Int2, "32768"), "refused"); /* int2in: out of range */
	EXPECT_EQ(Field(Kind::Int4, "123"), "00000004" "0000007b");
	EXPECT_EQ(Field(Kind::Int4, "-2147483648"), "00000004" "80000000");
	EXPECT_EQ(Field(Kind::Int4, " 1"), "refused");
	EXPECT_EQ(Field(Kind::Int4, "+1"), "refused");
	EXPECT_EQ(Field(Kind::Int4, "1.0"), "refused");
	EXPECT_EQ(Field(Kind::Int8, "9223372036854775807"), "00000008" "7fffffffffffffff");
	EXPECT_EQ(Field(Kind::Int8, "-1"), "00000008" "ffffffffffffffff");
	EXPECT_EQ(Field(Kind::Int8, "9223372036854775808"), "refused");
}

TEST(BinaryCopy, FloatsAndBool)
{
	EXPECT_EQ(Field(Kind::Float8, "1.5"), "00000008" "3ff8000000000000");
	EXPECT_EQ(Field(Kind::Float8, "-2.25e-5"), "00000008" "bef797cc39ffd60f");
	EXPECT_EQ(Field(Kind::Float4, "0.1"), "00000004" "3dcccccd");
	EXPECT_EQ(Field(Kind::Float8, "inf"), "refused");
	EXPECT_EQ(Field(Kind::Float8, "NaN"), "refused");
	EXPECT_EQ(Field(Kind::Float4, "1e39"), "refused"); /* float4in: out of range */
	EXPECT_EQ(Field(Kind::Bool, "1"), "00000001" "01");
	EXPECT_EQ(Field(Kind::Bool, "f"), "00000001" "00");
	EXPECT_EQ(Field(Kind::Bool, "5"), "refused"); /* boolin refuses it; boolrecv would read true */
}

TEST(BinaryCopy, DateTime)
{
	EXPECT_EQ(Field(Kind::Date, "2020-01-01"), "00000004" "00001c89");            /* 7305 */
	EXPECT_EQ(Field(Kind::Date, "0001-01-01"), "00000004" "fff4dbf9");            /* -730119 */
	EXPECT_EQ(Field(Kind::Date, "2021-02-29"), "refused");                        /* date_in: out of range */
	EXPECT_EQ(Field(Kind::Date, "0000-00-00"), "refused");
	EXPECT_EQ(Field(Kind::Time, "13:14:15.25"), "00000008" "0000000b18796850");  /* 47655250000 */
	EXPECT_EQ(Field(Kind::Time, "24:00:00"), "refused");                          /* to time_in */
	EXPECT_EQ(Field(Kind::Timestamp, "2020-01-01 00:00:01.5"), "00000008" "00023e0786d94360"); /* 631152001500000 */
	EXPECT_EQ(Field(Kind::Timestamp, "1999-12-31 23:59:59.999999"), "00000008" "ffffffffffffffff");
	EXPECT_EQ(Field(Kind::Timestamp, "2020-01-01 00:00:01.5+00"), "refused");
	EXPECT_EQ(Field(Kind::Timestamptz, "2020-01-01 00:00:01.5+00"), "00000008" "00023e0786d94360");
	EXPECT_EQ(Field(Kind::Timestamptz, "2020-01-01 00:00:01.5"), "refused"); /* read in the session's zone */
	EXPECT_EQ(Field(Kind::Timestamptz, "2020-01-01 00:00:01.5+02"), "refused");
	EXPECT_EQ(Field(Kind::Timestamp, "-infinity"), "refused");
}

TEST(BinaryCopy, Numeric)
{
	/* ndigits, weight, sign, dscale, digits. */
	EXPECT_EQ(Field(Kind::Numeric, "12345.6789"), "0000000e" "0003" "0001" "0000" "0004" "0001" "0929" "1a85");
	EXPECT_EQ(Field(Kind::Numeric, "-0.05"), "0000000a" "0001" "ffff" "4000" "0002" "01f4");
	EXPECT_EQ(Field(Kind::Numeric, "0.00"), "00000008" "0000" "0000" "0000" "0002");
	EXPECT_EQ(Field(Kind::Numeric, "-0"), "00000008" "0000" "0000" "0000" "0000");
	EXPECT_EQ(Field(Kind::Numeric, "100000000"), "0000000a" "0001" "0002" "0000" "0000" "0001");
	EXPECT_EQ(Field(Kind::Numeric, "18446744073709551615"),
	          "00000012" "0005" "0004" "0000" "0000" "0734" "1a58" "02e1" "03bb" "064f"); /* 1844 6744 0737 0955 1615 */
	EXPECT_EQ(Field(Kind::Numeric, "1e5"), "refused");
	EXPECT_EQ(Field(Kind::Numeric, ".5"), "refused");
	EXPECT_EQ(Field(Kind::Numeric, "5."), "refused");
	EXPECT_EQ(Field(Kind::Numeric, "NaN"), "refused");
	EXPECT_EQ(Field(Kind::Numeric, ""), "refused");
	EXPECT_EQ(Field(Kind::Numeric, "+1"), "refused");
}

TEST(BinaryCopy, TextBytesBits)
{
	EXPECT_EQ(Field(Kind::Text, "ab"), "00000002" "6162");
	EXPECT_EQ(Field(Kind::Text, ""), "00000000");
	EXPECT_EQ(Field(Kind::Jsonb, "{}"), "00000003" "01" "7b7d");
	EXPECT_EQ(Field(Kind::Bytea, "\\x00fF"), "00000002" "00ff");
	EXPECT_EQ(Field(Kind::Bytea, "\\x"), "00000000");
	EXPECT_EQ(Field(Kind::Bytea, "abc"), "refused"); /* escape format: to byteain */
	EXPECT_EQ(Field(Kind::Bit, "10100101"), "00000005" "00000008" "a5");
	EXPECT_EQ(Field(Kind::Bit, "101"), "00000005" "00000003" "a0");
	EXPECT_EQ(Field(Kind::Bit, "x0f"), "refused");
	EXPECT_EQ(Field(Kind::Bit, ""), "refused");
	EXPECT_EQ(Field(Kind::None, "1"), "refused");
}

TEST(BinaryCopy, FormatsHandOver)
{
	Formats f;
	int set = 0;
	std::vector<Kind> got;
	std::thread reader([&] { got = f.Await(&set, 1, [] { return false; }, std::chrono::seconds(10)); });
	f.Publish(&set, {{Kind::Int4}, {Kind::Int8, Kind::Text}});
	reader.join();
	EXPECT_EQ(got, (std::vector<Kind>{Kind::Int8, Kind::Text}));
	/* Another table set, a stop, or no answer in time: text. */
	int other = 0;
	EXPECT_TRUE(f.Await(&other, 0, [] { return true; }, std::chrono::seconds(10)).empty());
	EXPECT_TRUE(f.Await(&other, 0, [] { return false; }, std::chrono::milliseconds(60)).empty());
	EXPECT_TRUE(f.Await(&set, 5, [] { return false; }, std::chrono::seconds(1)).empty());
}

TEST(BinaryCopy, CountRowsOfAChunk)
{
	/* Rows of 2 fields: an int4 and a NULL, then an int4 and a text holding newlines and a byte 0x0a. */
	std::string chunk;
	AppendRowStart(chunk, 2);
	ASSERT_TRUE(AppendField(chunk, Kind::Int4, "10"));
	AppendNull(chunk);
	AppendRowStart(chunk, 2);
	ASSERT_TRUE(AppendField(chunk, Kind::Int4, "10"));
	ASSERT_TRUE(AppendField(chunk, Kind::Text, "a\nb\n\n"));
	EXPECT_EQ(CountRows(chunk), 2u);
	EXPECT_EQ(CountRows(std::string_view(chunk).substr(0, chunk.size() - 1)), 1u) << "a truncated row is not counted";
	EXPECT_EQ(CountRows(""), 0u);
}
