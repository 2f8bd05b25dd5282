/*
 * binlog_values_test.cpp
 *     Column values decoded from hand-built row-image bytes, every type at
 *     its edges.
 *
 * NOTES
 *   The encoders below follow the server's Field::pack / *_to_binary
 *   formulas independently of the decoder, so a mistake would have to be
 *   made twice to go unnoticed; where the MySQL documentation gives byte
 *   strings (DECIMAL, negative TIME2), they are used verbatim.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/json.hpp"
#include "core/sources/mysql/binlog/table_map.hpp"
#include "core/sources/mysql/binlog/value.hpp"

using namespace synchdb;
using namespace synchdb::binlog;

namespace {

using ByteVec = std::vector<uint8_t>;

Value Decode(const ColumnDef &col, const ByteVec &bytes)
{
	Value v;
	DecodeValue(col, Bytes(bytes.data(), bytes.size()), ValueContext{}, v);
	v.MakeOwned();
	return v;
}

ByteVec LE(uint64_t v, int n)
{
	ByteVec b;
	for (int i = 0; i < n; i++)
		b.push_back(static_cast<uint8_t>(v >> (8 * i)));
	return b;
}

ByteVec BE(uint64_t v, int n)
{
	ByteVec b;
	for (int i = n - 1; i >= 0; i--)
		b.push_back(static_cast<uint8_t>(v >> (8 * i)));
	return b;
}

ByteVec Cat(ByteVec a, const ByteVec &b)
{
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

/* ---- DECIMAL encoder (decimal2bin) ---- */
const int kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

ByteVec EncodeDecimal(const std::string &text, int precision, int scale)
{
	bool neg = !text.empty() && text[0] == '-';
	std::string t = neg ? text.substr(1) : text;
	std::string ip = t.substr(0, t.find('.'));
	std::string fp = t.find('.') == std::string::npos ? "" : t.substr(t.find('.') + 1);
	int intg = precision - scale;
	while (static_cast<int>(ip.size()) > intg && ip[0] == '0')
		ip.erase(0, 1); /* "0.5" in DECIMAL(1,1) has no integer digits */
	ip = std::string(intg - ip.size(), '0') + ip;
	fp = fp + std::string(scale - fp.size(), '0');
	ByteVec out;
	auto group = [&](const std::string &digits) {
		uint32_t v = digits.empty() ? 0 : std::stoul(digits);
		int n = digits.size() == 9 ? 4 : kDigitBytes[digits.size()];
		for (int i = n - 1; i >= 0; i--)
			out.push_back(static_cast<uint8_t>(v >> (8 * i)));
	};
	int lead = intg % 9;
	if (lead)
		group(ip.substr(0, lead));
	for (int i = lead; i < intg; i += 9)
		group(ip.substr(i, 9));
	for (int i = 0; i + 9 <= scale; i += 9)
		group(fp.substr(i, 9));
	if (scale % 9)
		group(fp.substr(scale - scale % 9));
	out[0] ^= 0x80;
	if (neg)
		for (auto &b : out)
			b ^= 0xff;
	return out;
}

ColumnDef DecimalCol(int precision, int scale)
{
	return MakeColumn(ColumnType::kNewDecimal, static_cast<uint16_t>(precision << 8 | scale));
}

/* ---- temporal encoders (my_*_packed_to_binary) ---- */
int64_t PackTime(bool neg, int64_t h, int64_t m, int64_t s, int64_t us)
{
	int64_t v = ((h << 12 | m << 6 | s) << 24) + us;
	return neg ? -v : v;
}

ByteVec EncodeTime2(int64_t packed, int fsp)
{
	int64_t intpart = packed >> 24;			  /* arithmetic: rounds down */
	int64_t frac = packed % (int64_t(1) << 24); /* C remainder: sign of packed */
	switch (fsp) {
	case 1:
	case 2:
		return Cat(BE(static_cast<uint64_t>(intpart + 0x800000), 3), {static_cast<uint8_t>(static_cast<int8_t>(frac / 10000))});
	case 3:
	case 4:
		return Cat(BE(static_cast<uint64_t>(intpart + 0x800000), 3), BE(static_cast<uint16_t>(static_cast<int16_t>(frac / 100)), 2));
	case 5:
	case 6:
		return BE(static_cast<uint64_t>(packed + 0x800000000000LL), 6);
	default:
		return BE(static_cast<uint64_t>(intpart + 0x800000), 3);
	}
}

ByteVec FracBytes(uint32_t us, int fsp)
{
	switch (fsp) {
	case 1:
	case 2:
		return BE(us / 10000, 1);
	case 3:
	case 4:
		return BE(us / 100, 2);
	case 5:
	case 6:
		return BE(us, 3);
	default:
		return {};
	}
}

ByteVec EncodeDateTime2(int y, int mo, int d, int h, int mi, int s, uint32_t us, int fsp)
{
	uint64_t ymd = (static_cast<uint64_t>(y * 13 + mo) << 5) | d;
	uint64_t hms = static_cast<uint64_t>(h) << 12 | mi << 6 | s;
	uint64_t intpart = ymd << 17 | hms;
	return Cat(BE(intpart + 0x8000000000ULL, 5), FracBytes(us, fsp));
}

uint32_t Truncate(uint32_t us, int fsp)
{
	static const uint32_t div[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
	return us / div[fsp] * div[fsp];
}

}  // namespace

TEST(BinlogValues, IntegersAtTheirEdges)
{
	struct Case {
		ColumnType type;
		int bytes;
		int64_t min;
		int64_t max;
		uint64_t umax;
	};
	const Case cases[] = {
		{ColumnType::kTiny, 1, -128, 127, 255},
		{ColumnType::kShort, 2, -32768, 32767, 65535},
		{ColumnType::kInt24, 3, -8388608, 8388607, 16777215},
		{ColumnType::kLong, 4, INT32_MIN, INT32_MAX, UINT32_MAX},
		{ColumnType::kLongLong, 8, INT64_MIN, INT64_MAX, UINT64_MAX},
	};
	for (const Case &c : cases) {
		SCOPED_TRACE(ColumnTypeName(static_cast<uint8_t>(c.type)));
		ColumnDef s = MakeColumn(c.type);
		ColumnDef u = MakeColumn(c.type, 0, true);
		for (int64_t v : {c.min, int64_t(-1), int64_t(0), int64_t(1), c.max}) {
			Value d = Decode(s, LE(static_cast<uint64_t>(v), c.bytes));
			EXPECT_EQ(d.kind, ValueKind::kInt);
			EXPECT_EQ(d.int_value, v);
		}
		for (uint64_t v : {uint64_t(0), uint64_t(1), static_cast<uint64_t>(c.max), static_cast<uint64_t>(c.max) + 1, c.umax}) {
			Value d = Decode(u, LE(v, c.bytes));
			EXPECT_EQ(d.kind, ValueKind::kUInt);
			EXPECT_EQ(d.uint_value, v);
		}
	}
	Value big = Decode(MakeColumn(ColumnType::kLongLong, 0, true), ByteVec(8, 0xff));
	EXPECT_EQ(big.uint_value, 18446744073709551615ULL);
	EXPECT_EQ(big.ToString(), "18446744073709551615");
	EXPECT_EQ(Decode(MakeColumn(ColumnType::kLongLong), ByteVec(8, 0xff)).int_value, -1);
}

TEST(BinlogValues, FloatAndDouble)
{
	auto f32 = [](float f) {
		uint32_t bits;
		std::memcpy(&bits, &f, 4);
		return LE(bits, 4);
	};
	auto f64 = [](double d) {
		uint64_t bits;
		std::memcpy(&bits, &d, 8);
		return LE(bits, 8);
	};
	ColumnDef fc = MakeColumn(ColumnType::kFloat, 4);
	ColumnDef dc = MakeColumn(ColumnType::kDouble, 8);
	EXPECT_EQ(Decode(fc, f32(1.5f)).double_value, 1.5);
	EXPECT_EQ(Decode(fc, f32(-3.25e10f)).double_value, static_cast<double>(-3.25e10f));
	EXPECT_EQ(Decode(fc, f32(std::numeric_limits<float>::max())).double_value, std::numeric_limits<float>::max());
	EXPECT_EQ(Decode(fc, f32(0.1f)).kind, ValueKind::kFloat);
	EXPECT_EQ(Decode(dc, f64(3.141592653589793)).double_value, 3.141592653589793);
	EXPECT_EQ(Decode(dc, f64(-1e308)).double_value, -1e308);
	EXPECT_EQ(Decode(dc, f64(std::numeric_limits<double>::denorm_min())).double_value,
			  std::numeric_limits<double>::denorm_min());
	EXPECT_TRUE(std::signbit(Decode(dc, f64(-0.0)).double_value));
	EXPECT_EQ(Decode(dc, f64(1.0)).kind, ValueKind::kDouble);
}

TEST(BinlogValues, DecimalDocumentedBytes)
{
	/* The example of the MySQL documentation: DECIMAL(14,4) 1234567890.1234 and its negation. */
	EXPECT_EQ(EncodeDecimal("1234567890.1234", 14, 4), (ByteVec{0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2}));
	EXPECT_EQ(Decode(DecimalCol(14, 4), {0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2}).Bytes(), "1234567890.1234");
	EXPECT_EQ(Decode(DecimalCol(14, 4), {0x7E, 0xF2, 0x04, 0xC7, 0x2D, 0xFB, 0x2D}).Bytes(), "-1234567890.1234");
}

TEST(BinlogValues, DecimalPrecisionsAndScales)
{
	struct Case {
		int p, s;
		std::string text;
	};
	const std::string n35(35, '9'), n30(30, '9');
	const Case cases[] = {
		{10, 2, "12345678.90"},
		{10, 2, "-12345678.90"},
		{10, 2, "0.00"},
		{10, 2, "-0.01"},
		{10, 4, "1234.5600"},
		{10, 4, "-1234.5600"},
		{5, 0, "99999"},
		{5, 0, "-99999"},
		{1, 0, "0"},
		{1, 0, "-9"},
		{1, 1, "0.5"},
		{9, 9, "0.123456789"},
		{9, 9, "-0.000000001"},
		{18, 9, "123456789.987654321"},
		{19, 0, "9223372036854775807"},
		{20, 0, "-18446744073709551615"},
		{38, 10, "1234567890123456789012345678.0123456789"},
		{65, 0, std::string(65, '9')},
		{65, 30, n35 + "." + n30},
		{65, 30, "-" + n35 + "." + n30},
		{65, 30, "0." + std::string(29, '0') + "1"},
		{65, 30, "-1." + std::string(30, '0')},
	};
	for (const Case &c : cases) {
		SCOPED_TRACE(c.text);
		ColumnDef col = DecimalCol(c.p, c.s);
		ByteVec bytes = EncodeDecimal(c.text, c.p, c.s);
		EXPECT_EQ(bytes.size(), col.fixed_size);
		Value v = Decode(col, bytes);
		EXPECT_EQ(v.kind, ValueKind::kDecimal);
		EXPECT_EQ(v.Bytes(), c.text);
	}
	/* A wrong size or an out-of-range digit group is corruption, not garbage. */
	EXPECT_THROW(Decode(DecimalCol(10, 2), {0x80, 0x00}), Error);
	EXPECT_THROW(Decode(DecimalCol(9, 0), {0xbf, 0xff, 0xff, 0xff}), Error);
}

TEST(BinlogValues, BitWidths)
{
	for (int n = 1; n <= 64; n++) {
		SCOPED_TRACE(n);
		ColumnDef col = MakeColumn(ColumnType::kBit, static_cast<uint16_t>((n / 8) << 8 | (n % 8)));
		int bytes = (n + 7) / 8;
		EXPECT_EQ(col.fixed_size, static_cast<uint32_t>(bytes));
		uint64_t all = n == 64 ? UINT64_MAX : (uint64_t(1) << n) - 1;
		uint64_t pattern = 0xA5C3F00F12345678ULL & all;
		for (uint64_t v : {uint64_t(0), uint64_t(1), pattern, all}) {
			Value d = Decode(col, BE(v, bytes));
			EXPECT_EQ(d.kind, ValueKind::kBit);
			EXPECT_EQ(d.uint_value, v);
			EXPECT_EQ(d.bit_count, n);
		}
	}
}

TEST(BinlogValues, Dates)
{
	ColumnDef col = MakeColumn(ColumnType::kDate);
	auto enc = [](int y, int m, int d) { return LE(static_cast<uint64_t>(y) << 9 | m << 5 | d, 3); };
	Value v = Decode(col, enc(2024, 2, 29));
	EXPECT_EQ(v.kind, ValueKind::kDate);
	EXPECT_EQ(v.ToString(), "2024-02-29");
	EXPECT_EQ(Decode(col, enc(0, 0, 0)).ToString(), "0000-00-00");
	Value z = Decode(col, enc(0, 0, 0));
	EXPECT_EQ(z.year, 0);
	EXPECT_EQ(z.month, 0);
	EXPECT_EQ(z.day, 0);
	EXPECT_EQ(Decode(col, enc(1000, 1, 1)).ToString(), "1000-01-01");
	EXPECT_EQ(Decode(col, enc(9999, 12, 31)).ToString(), "9999-12-31");
	EXPECT_EQ(Decode(col, enc(2024, 0, 0)).ToString(), "2024-00-00");
}

TEST(BinlogValues, Time2DocumentedNegativeFractions)
{
	/* The table in my_time_packed_from_binary (fsp 2). */
	ColumnDef col = MakeColumn(ColumnType::kTime2, 2);
	EXPECT_EQ(Decode(col, {0x80, 0x00, 0x00, 0x00}).ToString(), "00:00:00.00");
	EXPECT_EQ(Decode(col, {0x7F, 0xFF, 0xFF, 0xFF}).ToString(), "-00:00:00.01");
	EXPECT_EQ(Decode(col, {0x7F, 0xFF, 0xFF, 0x9D}).ToString(), "-00:00:00.99");
	EXPECT_EQ(Decode(col, {0x7F, 0xFF, 0xFF, 0x00}).ToString(), "-00:00:01.00");
	EXPECT_EQ(Decode(col, {0x7F, 0xFF, 0xFE, 0xFF}).ToString(), "-00:00:01.01");
	EXPECT_EQ(Decode(col, {0x7F, 0xFF, 0xFE, 0xF6}).ToString(), "-00:00:01.10");
}

TEST(BinlogValues, Time2AllPrecisions)
{
	struct T {
		bool neg;
		int h, m, s;
		uint32_t us;
	};
	const T cases[] = {
		{false, 0, 0, 0, 0},	   {false, 12, 34, 56, 789012}, {true, 12, 34, 56, 789012},
		{false, 838, 59, 59, 0},   {true, 838, 59, 59, 0},		{false, 25, 0, 0, 500000},
		{true, 0, 0, 0, 1},		   {true, 0, 0, 1, 100000},		{false, 100, 0, 0, 999999},
		{true, 507, 48, 27, 0},
	};
	for (int fsp = 0; fsp <= 6; fsp++) {
		ColumnDef col = MakeColumn(ColumnType::kTime2, static_cast<uint16_t>(fsp));
		EXPECT_EQ(col.fixed_size, 3u + (fsp + 1) / 2);
		for (const T &t : cases) {
			uint32_t us = Truncate(t.us, fsp);
			if (t.neg && t.h == 0 && t.m == 0 && t.s == 0 && us == 0)
				continue; /* -00:00:00 does not exist */
			SCOPED_TRACE(std::to_string(fsp) + " " + (t.neg ? "-" : "") + std::to_string(t.h) + ":" +
						 std::to_string(t.m) + ":" + std::to_string(t.s) + "." + std::to_string(us));
			ByteVec b = EncodeTime2(PackTime(t.neg, t.h, t.m, t.s, us), fsp);
			ASSERT_EQ(b.size(), col.fixed_size);
			Value v = Decode(col, b);
			EXPECT_EQ(v.kind, ValueKind::kTime);
			EXPECT_EQ(v.negative, t.neg);
			EXPECT_EQ(v.hours, static_cast<uint32_t>(t.h));
			EXPECT_EQ(v.minute, t.m);
			EXPECT_EQ(v.second, t.s);
			EXPECT_EQ(v.micros, us);
			EXPECT_EQ(v.fsp, fsp);
		}
	}
	EXPECT_THROW(Decode(MakeColumn(ColumnType::kTime2, 7), ByteVec(6, 0x80)), Error);
	ColumnDef c6 = MakeColumn(ColumnType::kTime2, 6);
	EXPECT_EQ(Decode(c6, EncodeTime2(PackTime(true, 838, 59, 59, 0), 6)).ToString(), "-838:59:59.000000");
	EXPECT_EQ(Decode(c6, EncodeTime2(PackTime(false, 838, 59, 59, 0), 6)).ToString(), "838:59:59.000000");
}

TEST(BinlogValues, DateTime2AllPrecisions)
{
	for (int fsp = 0; fsp <= 6; fsp++) {
		SCOPED_TRACE(fsp);
		ColumnDef col = MakeColumn(ColumnType::kDateTime2, static_cast<uint16_t>(fsp));
		EXPECT_EQ(col.fixed_size, 5u + (fsp + 1) / 2);
		uint32_t us = Truncate(123456, fsp);
		Value v = Decode(col, EncodeDateTime2(2024, 1, 15, 13, 45, 30, us, fsp));
		EXPECT_EQ(v.kind, ValueKind::kDateTime);
		EXPECT_EQ(v.year, 2024);
		EXPECT_EQ(v.month, 1);
		EXPECT_EQ(v.day, 15);
		EXPECT_EQ(v.hour, 13);
		EXPECT_EQ(v.minute, 45);
		EXPECT_EQ(v.second, 30);
		EXPECT_EQ(v.micros, us);
		Value max = Decode(col, EncodeDateTime2(9999, 12, 31, 23, 59, 59, Truncate(999999, fsp), fsp));
		EXPECT_EQ(max.year, 9999);
		EXPECT_EQ(max.micros, Truncate(999999, fsp));
		Value min = Decode(col, EncodeDateTime2(1000, 1, 1, 0, 0, 0, 0, fsp));
		EXPECT_EQ(min.year, 1000);
		Value zero = Decode(col, EncodeDateTime2(0, 0, 0, 0, 0, 0, 0, fsp));
		EXPECT_EQ(zero.year, 0);
		EXPECT_EQ(zero.month, 0);
		EXPECT_EQ(zero.day, 0);
	}
	EXPECT_EQ(Decode(MakeColumn(ColumnType::kDateTime2, 6), EncodeDateTime2(2012, 3, 18, 11, 30, 45, 654321, 6)).ToString(),
			  "2012-03-18 11:30:45.654321");
	EXPECT_EQ(Decode(MakeColumn(ColumnType::kDateTime2, 0), EncodeDateTime2(2012, 3, 18, 11, 30, 45, 0, 0)).ToString(),
			  "2012-03-18 11:30:45");
}

TEST(BinlogValues, Timestamp2AllPrecisions)
{
	for (int fsp = 0; fsp <= 6; fsp++) {
		SCOPED_TRACE(fsp);
		ColumnDef col = MakeColumn(ColumnType::kTimestamp2, static_cast<uint16_t>(fsp));
		EXPECT_EQ(col.fixed_size, 4u + (fsp + 1) / 2);
		for (uint32_t secs : {0u, 1u, 1700000000u, 2147483647u}) {
			uint32_t us = Truncate(987654, fsp);
			Value v = Decode(col, Cat(BE(secs, 4), FracBytes(us, fsp)));
			EXPECT_EQ(v.kind, ValueKind::kTimestamp);
			EXPECT_EQ(v.int_value, secs);
			EXPECT_EQ(v.micros, us);
		}
	}
}

TEST(BinlogValues, OldTemporalTypesAndYear)
{
	ColumnDef t = MakeColumn(ColumnType::kTime);
	Value neg = Decode(t, LE(static_cast<uint64_t>(-8385959), 3));
	EXPECT_EQ(neg.ToString(), "-838:59:59");
	EXPECT_EQ(Decode(t, LE(123456, 3)).ToString(), "12:34:56");
	ColumnDef dt = MakeColumn(ColumnType::kDateTime);
	EXPECT_EQ(Decode(dt, LE(20240115134530ULL, 8)).ToString(), "2024-01-15 13:45:30");
	EXPECT_EQ(Decode(dt, LE(0, 8)).ToString(), "0000-00-00 00:00:00");
	ColumnDef ts = MakeColumn(ColumnType::kTimestamp);
	EXPECT_EQ(Decode(ts, LE(1650493084, 4)).int_value, 1650493084);
	ColumnDef y = MakeColumn(ColumnType::kYear);
	EXPECT_EQ(Decode(y, {0}).int_value, 0);
	EXPECT_EQ(Decode(y, {1}).int_value, 1901);
	EXPECT_EQ(Decode(y, {124}).int_value, 2024);
	EXPECT_EQ(Decode(y, {255}).int_value, 2155);
	EXPECT_EQ(Decode(y, {255}).kind, ValueKind::kYear);
}

TEST(BinlogValues, StringsAndBinary)
{
	const std::string text = "h\xc3\xa9llo \xf0\x9f\x90\x98"; /* héllo 🐘 */
	ColumnDef vc = MakeColumn(ColumnType::kVarchar, 400, false, 255);
	EXPECT_EQ(vc.length_bytes, 2);
	Value v = Decode(vc, ByteVec(text.begin(), text.end()));
	EXPECT_EQ(v.kind, ValueKind::kString);
	EXPECT_EQ(v.Bytes(), text);
	EXPECT_EQ(v.charset, 255u);
	Value empty = Decode(vc, {});
	EXPECT_EQ(empty.kind, ValueKind::kString);
	EXPECT_EQ(empty.Bytes(), "");
	EXPECT_FALSE(empty.IsNull());

	ColumnDef bin = MakeColumn(ColumnType::kBlob, 2, false, 63);
	Value b = Decode(bin, {0x00, 0xff, 0x00});
	EXPECT_EQ(b.kind, ValueKind::kBinary);
	EXPECT_EQ(b.Bytes(), std::string("\0\xff\0", 3));

	/* CHAR: real type packed in the metadata; CHAR(255) utf8mb4 = 1020 bytes. */
	uint16_t meta = static_cast<uint16_t>(((0xfe ^ ((1020 & 0x300) >> 4)) << 8) | (1020 & 0xff));
	ColumnDef ch = MakeColumn(ColumnType::kString, meta, false, 255);
	EXPECT_EQ(ch.real_type, ColumnType::kString);
	EXPECT_EQ(ch.max_length, 1020u);
	EXPECT_EQ(ch.length_bytes, 2);
	ColumnDef ch10 = MakeColumn(ColumnType::kString, 0xfe28);
	EXPECT_EQ(ch10.max_length, 40u);
	EXPECT_EQ(ch10.length_bytes, 1);

	/* Views by default, owned on request. */
	ByteVec buf = {'a', 'b'};
	Value view;
	DecodeValue(vc, Bytes(buf.data(), buf.size()), ValueContext{}, view);
	EXPECT_EQ(view.Bytes().data(), reinterpret_cast<const char *>(buf.data()));
	view.MakeOwned();
	EXPECT_NE(view.Bytes().data(), reinterpret_cast<const char *>(buf.data()));
	EXPECT_EQ(view.Bytes(), "ab");
}

TEST(BinlogValues, EnumAndSet)
{
	ColumnDef e = MakeColumn(ColumnType::kString, 0xf701);
	EXPECT_EQ(e.real_type, ColumnType::kEnum);
	EXPECT_EQ(e.fixed_size, 1u);
	e.enum_set_values = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"var1", "variant2", "foo"});
	Value v = Decode(e, {2});
	EXPECT_EQ(v.kind, ValueKind::kEnum);
	EXPECT_EQ(v.uint_value, 2u);
	EXPECT_EQ(v.Label(), "variant2");
	EXPECT_EQ(Decode(e, {0}).Label(), "");
	EXPECT_EQ(Decode(e, {9}).Label(), ""); /* out of range: no label, no crash */

	ColumnDef e2 = MakeColumn(ColumnType::kString, 0xf702);
	EXPECT_EQ(Decode(e2, LE(300, 2)).uint_value, 300u);

	ColumnDef s = MakeColumn(ColumnType::kString, 0xf801);
	EXPECT_EQ(s.real_type, ColumnType::kSet);
	s.enum_set_values = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"one", "two", "three", "four"});
	Value sv = Decode(s, {0b1010});
	EXPECT_EQ(sv.kind, ValueKind::kSet);
	EXPECT_EQ(sv.uint_value, 10u);
	EXPECT_EQ(sv.SetLabels(), (std::vector<std::string_view>{"two", "four"}));
	ColumnDef s8 = MakeColumn(ColumnType::kString, 0xf808);
	EXPECT_EQ(Decode(s8, ByteVec(8, 0xff)).uint_value, UINT64_MAX);
	EXPECT_TRUE(Decode(s8, ByteVec(8, 0xff)).SetLabels().empty());
}

TEST(BinlogValues, Geometry)
{
	ColumnDef g = MakeColumn(ColumnType::kGeometry, 4);
	/* SRID 4326, WKB POINT(1 2) little-endian. */
	ByteVec wkb = {0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40};
	Value v = Decode(g, Cat(LE(4326, 4), wkb));
	EXPECT_EQ(v.kind, ValueKind::kGeometry);
	EXPECT_EQ(v.srid, 4326u);
	EXPECT_EQ(v.Bytes(), std::string(wkb.begin(), wkb.end()));
	EXPECT_THROW(Decode(g, {1, 2}), Error);
}

TEST(BinlogValues, UnsupportedTypes)
{
	ValueContext ctx;
	TableMap tm;
	tm.schema = "db";
	tm.table = "t";
	ctx.table = &tm;
	ctx.column_index = 1;
	for (ColumnType t : {ColumnType::kVector, ColumnType::kTypedArray, ColumnType::kDecimal}) {
		ColumnDef c = MakeColumn(t, 4);
		ByteVec bytes = {1, 2, 3, 4};
		Value v;
		try {
			DecodeValue(c, Bytes(bytes.data(), bytes.size()), ctx, v);
			FAIL() << "decoded " << ColumnTypeName(static_cast<uint8_t>(t));
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
			if (t == ColumnType::kVector) {
				EXPECT_STREQ(e.what(), "column 2 of table \"db\".\"t\" has type VECTOR, which synchdb does not support");
			}
		}
	}
}

/* ---- binary JSON ---- */
namespace {

std::string Json(const ByteVec &doc)
{
	std::string out, why;
	if (!JsonBinaryToText(Bytes(doc.data(), doc.size()), out, &why))
		return "ERROR: " + why;
	return out;
}

}  // namespace

TEST(BinlogJson, Scalars)
{
	EXPECT_EQ(Json({}), "null");
	EXPECT_EQ(Json({0x04, 0x00}), "null");
	EXPECT_EQ(Json({0x04, 0x01}), "true");
	EXPECT_EQ(Json({0x04, 0x02}), "false");
	EXPECT_EQ(Json(Cat({0x05}, LE(static_cast<uint16_t>(-32768), 2))), "-32768");
	EXPECT_EQ(Json(Cat({0x06}, LE(65535, 2))), "65535");
	EXPECT_EQ(Json(Cat({0x07}, LE(static_cast<uint32_t>(INT32_MIN), 4))), "-2147483648");
	EXPECT_EQ(Json(Cat({0x08}, LE(UINT32_MAX, 4))), "4294967295");
	EXPECT_EQ(Json(Cat({0x09}, LE(static_cast<uint64_t>(INT64_MIN), 8))), "-9223372036854775808");
	EXPECT_EQ(Json(Cat({0x0a}, LE(UINT64_MAX, 8))), "18446744073709551615");
	auto dbl = [](double d) {
		uint64_t bits;
		std::memcpy(&bits, &d, 8);
		return Cat({0x0b}, LE(bits, 8));
	};
	EXPECT_EQ(Json(dbl(1.5)), "1.5");
	EXPECT_EQ(Json(dbl(1.0)), "1.0");
	EXPECT_EQ(Json(dbl(-0.25)), "-0.25");
	EXPECT_EQ(Json(dbl(1e100)), "1e100");
	EXPECT_EQ(Json(dbl(1e-7)), "1e-7");
	EXPECT_EQ(Json(dbl(1.5e-300)), "1.5e-300");
	EXPECT_EQ(Json(dbl(0.0001)), "0.0001");
	EXPECT_EQ(Json(dbl(123456.789)), "123456.789");
	EXPECT_EQ(Json(dbl(-2e16)), "-20000000000000000.0");
	EXPECT_EQ(Json(dbl(1.5e17)), "1.5e17");
	EXPECT_EQ(Json(dbl(0.0)), "0.0");
	EXPECT_EQ(Json({0x0c, 0x03, 'a', '"', '\n'}), R"("a\"\n")");
	EXPECT_EQ(Json({0x0c, 0x02, 0x01, '\\'}), R"("\u0001\\")");
	/* A 200-byte string: two-byte data length. */
	ByteVec longstr = {0x0c, 0xc8, 0x01};
	longstr.insert(longstr.end(), 200, 'x');
	EXPECT_EQ(Json(longstr), "\"" + std::string(200, 'x') + "\"");
}

TEST(BinlogJson, Opaque)
{
	/* DECIMAL(5,2) 123.45 */
	ByteVec dec = EncodeDecimal("123.45", 5, 2);
	ByteVec d = {0x0f, 246, static_cast<uint8_t>(2 + dec.size()), 5, 2};
	d.insert(d.end(), dec.begin(), dec.end());
	EXPECT_EQ(Json(d), "123.45");
	/* DATETIME 2012-03-18 11:30:45.5 as a packed longlong. */
	uint64_t ymd = (2012ULL * 13 + 3) << 5 | 18;
	uint64_t packed = ((ymd << 17 | (11 << 12 | 30 << 6 | 45)) << 24) + 500000;
	EXPECT_EQ(Json(Cat({0x0f, 12, 8}, LE(packed, 8))), R"("2012-03-18 11:30:45.500000")");
	EXPECT_EQ(Json(Cat({0x0f, 10, 8}, LE(packed, 8))), R"("2012-03-18")");
	/* TIME -12:00:00.000001 */
	uint64_t t = static_cast<uint64_t>(-(static_cast<int64_t>(12 << 12) << 24) - 1);
	EXPECT_EQ(Json(Cat({0x0f, 11, 8}, LE(t, 8))), R"("-12:00:00.000001")");
	/* Anything else: base64. */
	EXPECT_EQ(Json({0x0f, 252, 3, 'a', 'b', 'c'}), R"("base64:type252:YWJj")");
	EXPECT_EQ(Json({0x0f, 16, 1, 0xff}), R"("base64:type16:/w==")");
}

TEST(BinlogJson, Containers)
{
	/* Small object {"a": 1, "bb": [true, "x"]} built by hand. */
	/* array [true, "x"]: count 2, size, entries (04 01 00) (0c off), then "x" */
	ByteVec arr = Cat(Cat(LE(2, 2), LE(2 + 2 + 3 + 3 + 2, 2)), {0x04, 0x01, 0x00, 0x0c});
	arr = Cat(arr, LE(10, 2));
	arr = Cat(arr, {0x01, 'x'});
	ASSERT_EQ(arr.size(), 12u);
	EXPECT_EQ(Json(Cat({0x02}, arr)), R"([true, "x"])");

	/* object: count 2, size, key entries (off,len)x2, value entries x2, keys, values */
	size_t header = 4 + 2 * 4 + 2 * 3;
	size_t keys_at = header;
	size_t arr_at = keys_at + 3;
	ByteVec obj = Cat(LE(2, 2), LE(arr_at + arr.size(), 2));
	obj = Cat(obj, Cat(LE(keys_at, 2), LE(1, 2)));
	obj = Cat(obj, Cat(LE(keys_at + 1, 2), LE(2, 2)));
	obj = Cat(obj, Cat({0x05}, LE(1, 2)));
	obj = Cat(obj, Cat({0x02}, LE(arr_at, 2)));
	obj = Cat(obj, {'a', 'b', 'b'});
	obj = Cat(obj, arr);
	EXPECT_EQ(Json(Cat({0x00}, obj)), R"({"a": 1, "bb": [true, "x"]})");

	/* Large array [int32 inline, uint32 inline, empty small object]. */
	ByteVec big = Cat(LE(3, 4), LE(8 + 3 * 5 + 4, 4));
	big = Cat(big, Cat({0x07}, LE(static_cast<uint32_t>(-5), 4)));
	big = Cat(big, Cat({0x08}, LE(4000000000u, 4)));
	big = Cat(big, Cat({0x00}, LE(8 + 15, 4)));
	big = Cat(big, Cat(LE(0, 2), LE(4, 2)));
	EXPECT_EQ(Json(Cat({0x03}, big)), R"([-5, 4000000000, {}])");

	/* Empty containers. */
	EXPECT_EQ(Json(Cat({0x02}, Cat(LE(0, 2), LE(4, 2)))), "[]");
	EXPECT_EQ(Json(Cat({0x01}, Cat(LE(0, 4), LE(8, 4)))), "{}");
}

TEST(BinlogJson, MalformedDocumentsFailCleanly)
{
	EXPECT_EQ(Json({0x0c}).rfind("ERROR", 0), 0u);
	EXPECT_EQ(Json({0x0c, 0x05, 'a'}).rfind("ERROR", 0), 0u);
	EXPECT_EQ(Json({0x04, 0x07}).rfind("ERROR", 0), 0u);
	EXPECT_EQ(Json({0x0e, 0x00}).rfind("ERROR", 0), 0u);
	EXPECT_EQ(Json({0x02, 0xff, 0xff, 0x04, 0x00}).rfind("ERROR", 0), 0u);
	EXPECT_EQ(Json({0x0c, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}).rfind("ERROR", 0), 0u);

	/* An array whose entries all point at itself: bounded, not infinite. */
	ByteVec self = Cat(LE(3, 2), LE(13, 2));
	for (int i = 0; i < 3; i++)
		self = Cat(self, Cat({0x02}, LE(0, 2)));
	EXPECT_EQ(Json(Cat({0x02}, self)).rfind("ERROR", 0), 0u);

	/* Deep nesting: 1000 nested arrays, each pointing at the next. */
	ByteVec deep = Cat(LE(0, 2), LE(4, 2));
	for (int i = 0; i < 1000; i++)
		deep = Cat(Cat(Cat(LE(1, 2), LE(7 + deep.size(), 2)), Cat({0x02}, LE(7, 2))), deep);
	EXPECT_EQ(Json(Cat({0x02}, deep)).rfind("ERROR", 0), 0u);

	/* In a column: kDataCorrupted. */
	ColumnDef j = MakeColumn(ColumnType::kJson, 4);
	try {
		Decode(j, {0x0c, 0x05, 'a'});
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
	}
	EXPECT_EQ(Decode(j, {}).Bytes(), "null");
}
