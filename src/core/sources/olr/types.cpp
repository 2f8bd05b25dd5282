/*
 * types.cpp
 *     Oracle types, their PostgreSQL defaults, value rendering.
 */
#include "core/sources/olr/types.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace synchdb::olr {

namespace {

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = static_cast<unsigned>(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t &y, unsigned &m, unsigned &d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = static_cast<unsigned>(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = static_cast<int64_t>(yoe) + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
}

bool Digits(std::string_view s, size_t pos, size_t n, int &v)
{
	if (pos + n > s.size())
		return false;
	v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[pos + i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	return true;
}

/* A signed decimal integer (no fraction) that fits int64. */
bool ParseI64(std::string_view s, int64_t &v)
{
	bool neg = !s.empty() && s[0] == '-';
	auto u = ParseU64(neg ? s.substr(1) : s);
	if (!u || *u > static_cast<uint64_t>(INT64_MAX))
		return false;
	v = neg ? -static_cast<int64_t>(*u) : static_cast<int64_t>(*u);
	return true;
}

bool IsHex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Floor division of an epoch count by a unit into seconds and nanoseconds. */
void SplitEpoch(int64_t count, int64_t per_sec, int64_t &sec, uint32_t &nanos)
{
	sec = count / per_sec;
	int64_t rem = count % per_sec;
	if (rem < 0) {
		rem += per_sec;
		sec -= 1;
	}
	nanos = static_cast<uint32_t>(rem * (1000000000 / per_sec));
}

bool RenderTimestamp(const JValue &v, const ValueFormat &f, bool with_tz, std::string &out, std::string &why)
{
	std::string_view t = v.raw;
	if (v.kind == JValue::Kind::String && v.escaped) {
		why = "timestamp text with escapes";
		return false;
	}
	if (v.kind != JValue::Kind::String && v.kind != JValue::Kind::Number) {
		why = "expected a number or a string";
		return false;
	}
	/* TIMESTAMP WITH TIME ZONE, format 0: "<unix ns>,<zone>". */
	std::string_view zone;
	if (size_t comma = t.find(','); comma != std::string_view::npos) {
		zone = t.substr(comma + 1);
		t = t.substr(0, comma);
	}
	int64_t count;
	if (ParseI64(t, count)) {
		/* Epoch number: unit from format.timestamp (0 ns, 1 us, 2 ms, 3 s; 4..7 the same as strings). */
		int unit = (f.timestamp >= 0 && f.timestamp < 8) ? f.timestamp % 4 : 0;
		if (!zone.empty())
			unit = 0; /* the tz form always carries nanoseconds */
		static const int64_t kPerSec[4] = {1000000000, 1000000, 1000, 1};
		int64_t sec;
		uint32_t nanos;
		SplitEpoch(count, kPerSec[unit], sec, nanos);
		AppendEpochTimestamp(out, sec, nanos);
		if (with_tz)
			out += "+00";
		return true;
	}
	/* ISO-8601 text. */
	int64_t usec;
	if (!ParseIsoTimestampUsec(t, usec)) {
		why = "not a timestamp";
		return false;
	}
	if (with_tz) {
		int64_t sec;
		uint32_t nanos;
		SplitEpoch(usec, 1000000, sec, nanos);
		AppendEpochTimestamp(out, sec, nanos);
		out += "+00";
	} else {
		/* Wall-clock text: drop a zone suffix, keep the digits as written. */
		size_t end = t.size();
		if (end && (t[end - 1] == 'Z' || t[end - 1] == 'z'))
			end--;
		else if (size_t pm = t.find_last_of("+-"); pm != std::string_view::npos && pm > 10)
			end = pm;
		std::string s(t.substr(0, end));
		if (s.size() > 10 && (s[10] == 'T' || s[10] == 't'))
			s[10] = ' ';
		out += s;
	}
	return true;
}

}  // namespace

void AppendEpochTimestamp(std::string &out, int64_t seconds, uint32_t nanos)
{
	int64_t days = seconds / 86400;
	int64_t rem = seconds % 86400;
	if (rem < 0) {
		rem += 86400;
		days -= 1;
	}
	int64_t y;
	unsigned m, d;
	CivilFromDays(days, y, m, d);
	bool bc = y <= 0;
	int64_t yy = bc ? 1 - y : y;
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02d:%02d:%02d", static_cast<long long>(yy), m, d,
	                 static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
	out.append(buf, n);
	if (nanos) {
		char f[16];
		snprintf(f, sizeof f, ".%09u", nanos);
		size_t len = 10;
		while (len > 2 && f[len - 1] == '0')
			len--;
		out.append(f, len);
	}
	if (bc)
		out += " BC";
}

bool ParseIsoTimestampUsec(std::string_view s, int64_t &usec)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	if (!Digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
	    !Digits(s, 8, 2, d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return false;
	size_t p = 10;
	int64_t frac_us = 0;
	if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
		if (!Digits(s, p + 1, 2, h) || p + 3 >= s.size() || s[p + 3] != ':' || !Digits(s, p + 4, 2, mi))
			return false;
		p += 6;
		if (p < s.size() && s[p] == ':') {
			if (!Digits(s, p + 1, 2, se))
				return false;
			p += 3;
		}
		if (p < s.size() && s[p] == '.') {
			p++;
			int digits = 0;
			while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
				if (digits < 6) {
					frac_us = frac_us * 10 + (s[p] - '0');
					digits++;
				}
				p++;
			}
			if (digits == 0)
				return false;
			while (digits < 6) {
				frac_us *= 10;
				digits++;
			}
		}
	}
	if (h > 23 || mi > 59 || se > 60)
		return false;
	int64_t offset_s = 0;
	if (p < s.size()) {
		if (s[p] == 'Z' || s[p] == 'z')
			p++;
		else if (s[p] == '+' || s[p] == '-') {
			int oh = 0, om = 0;
			int sign = s[p] == '-' ? -1 : 1;
			if (!Digits(s, p + 1, 2, oh))
				return false;
			p += 3;
			if (p < s.size() && s[p] == ':')
				p++;
			if (p < s.size()) {
				if (!Digits(s, p, 2, om))
					return false;
				p += 2;
			}
			offset_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (p != s.size())
		return false;
	int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
	usec = ((days * 86400 + h * 3600 + mi * 60 + se) - offset_s) * 1000000 + frac_us;
	return true;
}

OraColumnType TypeFromCode(int code, int64_t length, int precision, int scale, int charset_form)
{
	OraColumnType t;
	t.length = length;
	const bool national = charset_form == 2;
	switch (code) {
	case 1:
		t.type = national ? OraType::NVarchar2 : OraType::Varchar2;
		if (national && length > 0)
			t.length = length / 2; /* AL16UTF16: dictionary length in bytes */
		break;
	case 2:
		if (scale == -127 && precision > 0) {
			t.type = OraType::Float;
			t.precision = precision;
		} else {
			t.type = OraType::Number;
			t.precision = precision;
			t.scale = scale;
		}
		t.length = -1;
		break;
	case 8: t.type = OraType::Long; t.length = -1; break;
	case 12: t.type = OraType::Date; t.length = -1; break;
	case 23: t.type = OraType::Raw; break;
	case 24: t.type = OraType::LongRaw; t.length = -1; break;
	case 58: t.type = OraType::XmlType; t.length = -1; break;
	case 69: t.type = OraType::Rowid; t.length = -1; break;
	case 96:
		t.type = national ? OraType::NChar : OraType::Char;
		if (national && length > 0)
			t.length = length / 2;
		break;
	case 100: t.type = OraType::BinaryFloat; t.length = -1; break;
	case 101: t.type = OraType::BinaryDouble; t.length = -1; break;
	case 112: t.type = national ? OraType::NClob : OraType::Clob; t.length = -1; break;
	case 113: t.type = OraType::Blob; t.length = -1; break;
	case 114: t.type = OraType::Bfile; t.length = -1; break;
	case 119: t.type = OraType::Json; t.length = -1; break;
	case 180: t.type = OraType::Timestamp; t.scale = scale; t.length = -1; break;
	case 181: t.type = OraType::TimestampTz; t.scale = scale; t.length = -1; break;
	case 231: t.type = OraType::TimestampLtz; t.scale = scale; t.length = -1; break;
	case 182: t.type = OraType::IntervalYM; t.leading = precision; t.length = -1; break;
	case 183: t.type = OraType::IntervalDS; t.leading = precision; t.scale = scale; t.length = -1; break;
	case 208: t.type = OraType::Urowid; break;
	case 252: t.type = OraType::Boolean; t.length = -1; break;
	default: t.type = OraType::Unknown; t.unknown = "type#" + std::to_string(code); break;
	}
	return t;
}

OraColumnType TypeFromName(std::string_view name, int64_t length, int precision, int scale)
{
	const std::string n = Lower(name);
	static const struct {
		const char *name;
		int code;
		int form;
	} kNames[] = {
		{"varchar2", 1, 1}, {"varchar", 1, 1}, {"nvarchar2", 1, 2}, {"number", 2, 0}, {"long", 8, 0},
		{"date", 12, 0}, {"raw", 23, 0}, {"long raw", 24, 0}, {"xmltype", 58, 0}, {"rowid", 69, 0},
		{"char", 96, 1}, {"nchar", 96, 2}, {"binary_float", 100, 0}, {"binary_double", 101, 0},
		{"clob", 112, 1}, {"nclob", 112, 2}, {"blob", 113, 0}, {"bfile", 114, 0}, {"json", 119, 0},
		{"timestamp", 180, 0}, {"timestamp with time zone", 181, 0}, {"timestamp with local time zone", 231, 0},
		{"interval year to month", 182, 0}, {"interval day to second", 183, 0}, {"urowid", 208, 0},
		{"boolean", 252, 0}, {"float", 2, 0},
	};
	for (const auto &e : kNames)
		if (n == e.name) {
			/* Names carry character lengths for national types already. */
			OraColumnType t = TypeFromCode(e.code, e.form == 2 && length > 0 ? length * 2 : length, precision,
			                               n == "float" ? -127 : scale, e.form);
			return t;
		}
	OraColumnType t;
	t.unknown = std::string(name);
	return t;
}

std::string TypeName(const OraColumnType &t)
{
	switch (t.type) {
	case OraType::Varchar2: return "varchar2";
	case OraType::NVarchar2: return "nvarchar2";
	case OraType::Char: return "char";
	case OraType::NChar: return "nchar";
	case OraType::Number: return "number";
	case OraType::Float: return "float";
	case OraType::BinaryFloat: return "binary_float";
	case OraType::BinaryDouble: return "binary_double";
	case OraType::Date: return "date";
	case OraType::Timestamp: return "timestamp";
	case OraType::TimestampTz: return "timestamp with time zone";
	case OraType::TimestampLtz: return "timestamp with local time zone";
	case OraType::IntervalYM: return "interval year to month";
	case OraType::IntervalDS: return "interval day to second";
	case OraType::Raw: return "raw";
	case OraType::LongRaw: return "long raw";
	case OraType::Long: return "long";
	case OraType::Clob: return "clob";
	case OraType::NClob: return "nclob";
	case OraType::Blob: return "blob";
	case OraType::Boolean: return "boolean";
	case OraType::Rowid: return "rowid";
	case OraType::Urowid: return "urowid";
	case OraType::XmlType: return "xmltype";
	case OraType::Json: return "json";
	case OraType::Bfile: return "bfile";
	case OraType::Unknown: break;
	}
	return Lower(t.unknown.empty() ? "unknown" : t.unknown);
}

std::string TypeText(const OraColumnType &t)
{
	std::string name = TypeName(t);
	std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
	auto num = [](long v) { return std::to_string(v); };
	switch (t.type) {
	case OraType::Varchar2:
	case OraType::NVarchar2:
	case OraType::Char:
	case OraType::NChar:
	case OraType::Raw:
	case OraType::Urowid:
		return t.length > 0 ? name + "(" + num(t.length) + ")" : name;
	case OraType::Number:
		if (t.precision > 0)
			return name + "(" + num(t.precision) + "," + num(t.scale < 0 ? 0 : t.scale) + ")";
		if (t.scale == 0)
			return "NUMBER(*,0)";
		return name;
	case OraType::Float: return t.precision > 0 ? name + "(" + num(t.precision) + ")" : name;
	case OraType::Timestamp: return t.scale >= 0 ? "TIMESTAMP(" + num(t.scale) + ")" : name;
	case OraType::TimestampTz:
		return t.scale >= 0 ? "TIMESTAMP(" + num(t.scale) + ") WITH TIME ZONE" : name;
	case OraType::TimestampLtz:
		return t.scale >= 0 ? "TIMESTAMP(" + num(t.scale) + ") WITH LOCAL TIME ZONE" : name;
	case OraType::IntervalYM: return t.leading >= 0 ? "INTERVAL YEAR(" + num(t.leading) + ") TO MONTH" : name;
	case OraType::IntervalDS:
		return t.leading >= 0 ? "INTERVAL DAY(" + num(t.leading) + ") TO SECOND(" + num(std::max(t.scale, 0)) + ")"
		                      : name;
	default: return name;
	}
}

PgColumnType DefaultPgType(const OraColumnType &t)
{
	auto frac = [](int s) { return s < 0 ? 6 : std::min(s, 6); };
	switch (t.type) {
	case OraType::Varchar2:
	case OraType::NVarchar2:
		return t.length > 0 ? PgColumnType{"varchar(" + std::to_string(t.length) + ")", PgKind::Varchar}
		                    : PgColumnType{"varchar", PgKind::Varchar};
	case OraType::Char:
	case OraType::NChar:
		return PgColumnType{"char(" + std::to_string(t.length > 0 ? t.length : 1) + ")", PgKind::Char};
	case OraType::Number:
		if (t.precision > 0 && t.scale == 0) {
			if (t.precision <= 4)
				return {"smallint", PgKind::Int2};
			if (t.precision <= 9)
				return {"integer", PgKind::Int4};
			if (t.precision <= 18)
				return {"bigint", PgKind::Int8};
			return {"numeric(" + std::to_string(t.precision) + ")", PgKind::Numeric};
		}
		if (t.precision > 0)
			return {"numeric(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")", PgKind::Numeric};
		if (t.scale == 0)
			return {"numeric(38,0)", PgKind::Numeric}; /* INTEGER = NUMBER(*,0) */
		return {"numeric", PgKind::Numeric};
	case OraType::Float: return {"real", PgKind::Float4};
	case OraType::BinaryFloat: return {"real", PgKind::Float4};
	case OraType::BinaryDouble: return {"double precision", PgKind::Float8};
	case OraType::Date: return {"timestamp(0) without time zone", PgKind::Timestamp};
	case OraType::Timestamp:
		return {"timestamp(" + std::to_string(frac(t.scale)) + ") without time zone", PgKind::Timestamp};
	case OraType::TimestampTz:
	case OraType::TimestampLtz:
		return {"timestamp(" + std::to_string(frac(t.scale)) + ") with time zone", PgKind::Timestamptz};
	case OraType::IntervalYM: return {"interval year to month", PgKind::Text};
	case OraType::IntervalDS:
		return {"interval day to second(" + std::to_string(frac(t.scale)) + ")", PgKind::Text};
	case OraType::Raw:
	case OraType::LongRaw:
	case OraType::Blob: return {"bytea", PgKind::Bytea};
	case OraType::Boolean: return {"boolean", PgKind::Bool};
	case OraType::Json: return {"jsonb", PgKind::Jsonb};
	case OraType::Long:
	case OraType::Clob:
	case OraType::NClob:
	case OraType::Rowid:
	case OraType::Urowid:
	case OraType::XmlType:
	case OraType::Bfile:
	case OraType::Unknown: return {"text", PgKind::Text};
	}
	return {"text", PgKind::Text};
}

bool RenderValue(const OraColumnType &t, const JValue &v, const ValueFormat &f, std::string &out, std::string &why)
{
	switch (t.type) {
	case OraType::Number:
	case OraType::Float:
		if (v.kind == JValue::Kind::Number) {
			out.append(v.raw);
			return true;
		}
		why = "expected a number";
		return false;
	case OraType::BinaryFloat:
	case OraType::BinaryDouble:
		if (v.kind == JValue::Kind::Number) {
			out.append(v.raw);
			return true;
		}
		if (v.kind == JValue::Kind::String) {
			std::string l = Lower(v.raw);
			if (l == "nan") {
				out += "NaN";
				return true;
			}
			if (l == "inf" || l == "+inf" || l == "infinity" || l == "+infinity") {
				out += "Infinity";
				return true;
			}
			if (l == "-inf" || l == "-infinity") {
				out += "-Infinity";
				return true;
			}
		}
		why = "expected a number";
		return false;
	case OraType::Date:
	case OraType::Timestamp: return RenderTimestamp(v, f, false, out, why);
	case OraType::TimestampTz:
	case OraType::TimestampLtz: return RenderTimestamp(v, f, true, out, why);
	case OraType::Raw:
	case OraType::LongRaw:
	case OraType::Blob: {
		if (v.kind != JValue::Kind::String || v.escaped) {
			why = "expected a hex string";
			return false;
		}
		if (v.raw.size() % 2) {
			why = "odd number of hex digits";
			return false;
		}
		for (char c : v.raw)
			if (!IsHex(c)) {
				why = "not a hex string";
				return false;
			}
		out += "\\x";
		out.append(v.raw);
		return true;
	}
	case OraType::Boolean:
		if (v.kind == JValue::Kind::True || (v.kind == JValue::Kind::Number && v.raw == "1")) {
			out += 't';
			return true;
		}
		if (v.kind == JValue::Kind::False || (v.kind == JValue::Kind::Number && v.raw == "0")) {
			out += 'f';
			return true;
		}
		why = "expected a boolean";
		return false;
	case OraType::IntervalDS:
		if (v.kind == JValue::Kind::Number) {
			out.append(v.raw);
			out += " seconds";
			return true;
		}
		[[fallthrough]];
	default:
		if (v.kind == JValue::Kind::String) {
			AppendUnescaped(out, v);
			return true;
		}
		if (v.kind == JValue::Kind::Number || v.kind == JValue::Kind::Composite) {
			out.append(v.raw);
			return true;
		}
		if (v.kind == JValue::Kind::True || v.kind == JValue::Kind::False) {
			out.append(v.raw);
			return true;
		}
		why = "unexpected value";
		return false;
	}
}

}  // namespace synchdb::olr
