/*
 * pgvalue.cpp
 *     Canonical input text into PostgreSQL's internal values (pgvalue.hpp).
 */
#include "core/pgvalue.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace synchdb::pgvalue {

namespace {

/* Exactly n digits at pos. */
inline bool Digits(std::string_view s, size_t &pos, int n, unsigned &out)
{
	if (pos + n > s.size())
		return false;
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		unsigned char c = static_cast<unsigned char>(s[pos + i]) - '0';
		if (c > 9)
			return false;
		v = v * 10 + c;
	}
	pos += n;
	out = v;
	return true;
}

inline bool Expect(std::string_view s, size_t &pos, char c)
{
	if (pos < s.size() && s[pos] == c) {
		pos++;
		return true;
	}
	return false;
}

/* An optional ".d{1,6}" as microseconds; digits: how many there were (0 if none). */
inline bool Fraction(std::string_view s, size_t &pos, int precision, uint32_t &micros)
{
	micros = 0;
	if (!Expect(s, pos, '.'))
		return true;
	int digits = 0;
	uint32_t v = 0;
	while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
		if (++digits > 6)
			return false;
		v = v * 10 + static_cast<uint32_t>(s[pos++] - '0');
	}
	if (digits == 0 || (precision >= 0 && digits > precision))
		return false;
	for (int i = digits; i < 6; i++)
		v *= 10;
	micros = v;
	return true;
}

inline bool Leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

inline bool DateOk(unsigned y, unsigned m, unsigned d)
{
	static const unsigned char kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	unsigned max = kDays[m - 1] + (m == 2 && Leap(y) ? 1 : 0);
	return d <= max;
}

/* Days from 2000-01-01 to y-m-d (proleptic Gregorian). */
inline int32_t DaysFrom2000(unsigned y, unsigned m, unsigned d)
{
	/* Count from 0000-03-01 so that leap days fall at the end of a year. */
	int64_t yy = static_cast<int64_t>(y) - (m <= 2 ? 1 : 0);
	int64_t era = yy / 400; /* yy >= 0 here */
	int64_t yoe = yy - era * 400;
	int64_t mp = (m + 9) % 12; /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days1970 = era * 146097 + doe - 719468;
	return static_cast<int32_t>(days1970 - 10957);
}

inline bool ReadDateAt(std::string_view s, size_t &pos, int32_t &days)
{
	unsigned y, m, d;
	if (!Digits(s, pos, 4, y) || !Expect(s, pos, '-') || !Digits(s, pos, 2, m) || !Expect(s, pos, '-') ||
	    !Digits(s, pos, 2, d) || !DateOk(y, m, d))
		return false;
	days = DaysFrom2000(y, m, d);
	return true;
}

inline bool ReadClockAt(std::string_view s, size_t &pos, int precision, int64_t &usec)
{
	unsigned h, mi, se;
	uint32_t micros;
	if (!Digits(s, pos, 2, h) || !Expect(s, pos, ':') || !Digits(s, pos, 2, mi) || !Expect(s, pos, ':') ||
	    !Digits(s, pos, 2, se) || !Fraction(s, pos, precision, micros) || h > 23 || mi > 59 || se > 59)
		return false;
	usec = ((static_cast<int64_t>(h) * 60 + mi) * 60 + se) * 1000000 + micros;
	return true;
}

/* Whether s, which from_chars read as zero, spells zero (no nonzero digit before an exponent). */
bool SpellsZero(std::string_view s)
{
	for (char c : s) {
		if (c == 'e' || c == 'E')
			break;
		if (c >= '1' && c <= '9')
			return false;
	}
	return true;
}

template <typename F>
bool ReadFloat(std::string_view s, F &out)
{
	if (s.empty() || s.size() > 64)
		return false;
	/* from_chars takes no '+' and no whitespace; refuse letters other than an exponent (inf, nan, hex). */
	for (char c : s) {
		bool ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+';
		if (!ok)
			return false;
	}
	if (s[0] == '+')
		return false;
	F v;
	auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
	if (r.ec != std::errc() || r.ptr != s.data() + s.size())
		return false;
	if (std::isnormal(v) || (v == 0 && SpellsZero(s))) {
		out = v;
		return true;
	}
	return false;
}

}  // namespace

bool ReadInt(std::string_view s, int64_t min, int64_t max, int64_t &out)
{
	size_t pos = 0;
	bool neg = Expect(s, pos, '-');
	size_t n = s.size() - pos;
	if (n == 0 || n > 19)
		return false;
	uint64_t v = 0;
	for (; pos < s.size(); pos++) {
		unsigned char c = static_cast<unsigned char>(s[pos]) - '0';
		if (c > 9)
			return false;
		v = v * 10 + c; /* 19 digits fit in uint64_t */
	}
	if (neg) {
		if (v > static_cast<uint64_t>(INT64_MAX) + 1)
			return false;
		int64_t r = v == static_cast<uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<int64_t>(v);
		if (r < min)
			return false;
		out = r;
		return true;
	}
	if (v > static_cast<uint64_t>(INT64_MAX) || static_cast<int64_t>(v) > max)
		return false;
	out = static_cast<int64_t>(v);
	return true;
}

bool ReadFloat8(std::string_view s, double &out)
{
	return ReadFloat(s, out);
}

bool ReadFloat4(std::string_view s, float &out)
{
	return ReadFloat(s, out);
}

bool ReadBool(std::string_view s, bool &out)
{
	if (s.size() != 1)
		return false;
	switch (s[0]) {
	case 't':
	case '1':
		out = true;
		return true;
	case 'f':
	case '0':
		out = false;
		return true;
	default:
		return false;
	}
}

bool ReadDate(std::string_view s, int32_t &days)
{
	size_t pos = 0;
	return ReadDateAt(s, pos, days) && pos == s.size();
}

bool ReadTime(std::string_view s, int precision, int64_t &usec)
{
	size_t pos = 0;
	return ReadClockAt(s, pos, precision, usec) && pos == s.size();
}

bool ReadTimestamp(std::string_view s, int precision, bool utc_suffix, int64_t &usec)
{
	size_t pos = 0;
	int32_t days;
	int64_t clock;
	if (!ReadDateAt(s, pos, days) || !Expect(s, pos, ' ') || !ReadClockAt(s, pos, precision, clock))
		return false;
	if (utc_suffix) {
		if (s.size() - pos != 3 || s.compare(pos, 3, "+00") != 0)
			return false;
	} else if (pos != s.size())
		return false;
	usec = static_cast<int64_t>(days) * 86400000000LL + clock;
	return true;
}

int64_t ByteaHexLength(std::string_view s)
{
	if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || (s.size() - 2) % 2 != 0)
		return -1;
	for (size_t i = 2; i < s.size(); i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return -1;
	}
	return static_cast<int64_t>((s.size() - 2) / 2);
}

void DecodeByteaHex(std::string_view s, char *out)
{
	auto nib = [](char c) -> unsigned {
		return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
	};
	for (size_t i = 2; i + 1 < s.size(); i += 2)
		*out++ = static_cast<char>(nib(s[i]) << 4 | nib(s[i + 1]));
}

bool IsAscii(std::string_view s)
{
	const unsigned char *p = reinterpret_cast<const unsigned char *>(s.data());
	size_t n = s.size(), i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			return false;
	}
	for (; i < n; i++)
		if (p[i] & 0x80)
			return false;
	return true;
}

}  // namespace synchdb::pgvalue
