/*
 * pgtext.cpp
 *     Rendering source values as PostgreSQL input text.
 *
 * NOTES
 *   Every function appends to a caller-owned std::string with fixed-size
 *   stack buffers for numbers, so the steady state allocates nothing.
 *
 *   Dates are proleptic Gregorian on both sides (MySQL and PostgreSQL
 *   agree), so converting epoch seconds to a civil date is pure arithmetic:
 *   no gmtime(), no TZ, valid before 1970.
 *
 *   MySQL's "latin1" is Windows-1252: bytes 0x80-0x9F are the cp1252
 *   characters (0x80 is the euro sign), and the five bytes cp1252 leaves
 *   undefined map to the C1 control characters of the same value, as the
 *   server's own latin1 -> utf8 conversion does.
 *
 *   MariaDB's UUID, INET6 and INET4 arrive in the binlog as fixed binary
 *   strings (16, 16 and 4 bytes, in natural byte order as observed on
 *   MariaDB 10.11); they are formatted as text here.  In snapshots the
 *   server formats them.
 */
#include "core/sources/mysql/pgtext.hpp"
#include "core/sources/mysql/literal.hpp"

#include <charconv>
#include <set>
#include <cmath>
#include <cstring>

#include "core/emitter.hpp"
#include "core/error.hpp"

namespace synchdb {

namespace {

const char kHex[] = "0123456789abcdef";

/* Append v as decimal, zero-padded to at least width digits. */
void AppendUInt(std::string &out, uint64_t v, int width = 0)
{
	char buf[24];
	auto res = std::to_chars(buf, buf + sizeof buf, v);
	for (int pad = width - static_cast<int>(res.ptr - buf); pad > 0; pad--)
		out += '0';
	out.append(buf, res.ptr);
}

void AppendInt(std::string &out, int64_t v)
{
	char buf[24];
	auto res = std::to_chars(buf, buf + sizeof buf, v);
	out.append(buf, res.ptr);
}

/* ".ffffff" cut to digits (0 = nothing). */
void AppendFraction(std::string &out, uint32_t micros, int digits)
{
	if (digits <= 0)
		return;
	char buf[7];
	uint32_t m = micros % 1000000;
	for (int i = 5; i >= 0; i--) {
		buf[i] = static_cast<char>('0' + m % 10);
		m /= 10;
	}
	out += '.';
	out.append(buf, digits > 6 ? 6 : digits);
}

/* How many fractional digits to print: the declared ones, or all six if that would drop a digit. */
int FractionDigits(int value_fsp, int column_fsp, uint32_t micros)
{
	static const uint32_t kUnit[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
	int d = value_fsp > 0 ? value_fsp : column_fsp;
	if (d < 0)
		d = 0;
	if (d > 6)
		d = 6;
	if (micros % kUnit[d] != 0)
		d = 6;
	return d;
}

bool IsLeap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned DaysInMonth(int64_t y, unsigned m)
{
	static const unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

/* PostgreSQL has no year 0 (1 BC comes before 1 AD) and MySQL none before 1 or after 9999. */
bool DateOk(int64_t y, unsigned m, unsigned d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

bool ClockOk(unsigned h, unsigned mi, unsigned s)
{
	return h <= 23 && mi <= 59 && s <= 59;
}

void AppendDate(std::string &out, int64_t y, unsigned m, unsigned d)
{
	AppendUInt(out, static_cast<uint64_t>(y), 4);
	out += '-';
	AppendUInt(out, m, 2);
	out += '-';
	AppendUInt(out, d, 2);
}

void AppendClock(std::string &out, uint64_t h, unsigned mi, unsigned s)
{
	AppendUInt(out, h, 2);
	out += ':';
	AppendUInt(out, mi, 2);
	out += ':';
	AppendUInt(out, s, 2);
}

const char *PgTypeWords(PgKind kind)
{
	switch (kind) {
	case PgKind::Date: return "date";
	case PgKind::Time: return "time without time zone";
	case PgKind::Timestamp: return "timestamp without time zone";
	case PgKind::Timestamptz: return "timestamp with time zone";
	default: return PgKindName(kind);
	}
}

[[noreturn]] void Unrepresentable(const ColumnConversion &c, std::string_view value, const std::string &why)
{
	throw Error(sqlstate::kDataException,
				"value " + Quoted(std::string(value)) + " of column " + Quoted(c.column) + " of table " +
					Quoted(c.table) + " cannot be represented in PostgreSQL type " + PgTypeWords(c.kind),
				why,
				"Correct the value on the source server, or exclude the table from replication "
				"(a data type rule mapping the column to text would also accept it).");
}

struct ConversionState {
	InvalidValuePolicy policy = InvalidValuePolicy::Error;
	uint64_t count = 0;
	std::vector<std::string> first_per_column;
	std::set<std::string> reported; /* "table\0column" */
};
thread_local ConversionState conversion_state;

/*
 * A temporal value PostgreSQL cannot hold as c's type: the thread's policy
 * decides.  Returns false for NULL (out cleared), true with out holding the
 * replacement; throws under InvalidValuePolicy::Error.
 */
bool TemporalInvalid(const ColumnConversion &c, std::string_view value, const std::string &why, std::string &out)
{
	ConversionState &st = conversion_state;
	const bool temporal = c.kind == PgKind::Date || c.kind == PgKind::Time || c.kind == PgKind::Timestamp ||
	                      c.kind == PgKind::Timestamptz;
	if (st.policy == InvalidValuePolicy::Error || !temporal)
		Unrepresentable(c, value, why);
	out.clear();
	const bool to_null = st.policy == InvalidValuePolicy::Null && c.nullable;
	if (!to_null)
		out = c.kind == PgKind::Time ? "00:00:00" : "-infinity";
	st.count++;
	std::string key = c.table + '\0' + c.column;
	if (st.reported.insert(std::move(key)).second)
		st.first_per_column.push_back("value " + Quoted(std::string(value)) + " of column " + Quoted(c.column) +
		                              " of table " + Quoted(c.table) + " cannot be represented in PostgreSQL type " +
		                              PgTypeWords(c.kind) + " (" + why + "); replaced by " +
		                              (to_null ? std::string("NULL") : out) +
		                              " (synchdb.invalid_value_policy); later ones of this column are only counted");
	return !to_null;
}

[[noreturn]] void NulInText(const ColumnConversion &c)
{
	throw Error(sqlstate::kDataException,
				"value of column " + Quoted(c.column) + " of table " + Quoted(c.table) +
					" contains a NUL byte, which PostgreSQL text cannot hold",
				{}, "Remove the NUL characters on the source server, or change the column to a binary type there.");
}

/* Validate the pieces of a DATE and append it; an invalid one follows the policy (false: NULL). */
bool AppendValidDate(const ColumnConversion &c, const binlog::Value &v, std::string &out)
{
	if (!DateOk(v.year, v.month, v.day)) {
		std::string text;
		AppendDate(text, v.year, v.month, v.day);
		return TemporalInvalid(c, text,
		                       v.year == 0 && v.month == 0 && v.day == 0
		                           ? "PostgreSQL has no zero date."
		                           : "The date has a zero or out-of-range year, month or day.",
		                       out);
	}
	AppendDate(out, v.year, v.month, v.day);
	return true;
}

/* Collation ids of MySQL's latin1 (cp1252), and of UTF-8 and ASCII. */
TextEncoding EncodingOfCollation(uint32_t id, TextEncoding fallback)
{
	if (id == 63)
		return TextEncoding::kBinary;
	uint32_t base = id >= 1024 && id < 2048 ? id - 1024 : id; /* MariaDB's NO PAD variants */
	switch (base) {
	case 5: case 8: case 15: case 31: case 47: case 48: case 49: case 94:
		return TextEncoding::kLatin1;
	case 11: case 65:				   /* ascii */
	case 33: case 83: case 223: case 76: /* utf8mb3 */
	case 45: case 46:				   /* utf8mb4 */
		return TextEncoding::kUtf8;
	default:
		break;
	}
	if ((base >= 192 && base <= 215) || (base >= 224 && base <= 247) || (base >= 255 && base <= 323) ||
		(base >= 576 && base <= 578) || (base >= 608 && base <= 610) || (id >= 2048 && id < 2560))
		return TextEncoding::kUtf8;
	return fallback;
}

/* cp1252 code points of bytes 0x80-0x9F. */
const uint16_t kCp1252High[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
								  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
								  0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
								  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendLatin1AsUtf8(std::string &out, std::string_view bytes)
{
	for (unsigned char b : bytes) {
		uint32_t cp = b >= 0x80 && b <= 0x9F ? kCp1252High[b - 0x80] : b;
		if (cp < 0x80) {
			out += static_cast<char>(cp);
		} else if (cp < 0x800) {
			out += static_cast<char>(0xC0 | (cp >> 6));
			out += static_cast<char>(0x80 | (cp & 0x3F));
		} else {
			out += static_cast<char>(0xE0 | (cp >> 12));
			out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
			out += static_cast<char>(0x80 | (cp & 0x3F));
		}
	}
}

void AppendBits(std::string &out, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--)
		out += i < 64 && ((v >> i) & 1) ? '1' : '0';
}

/* Width for a BIT value: the column's, else the value's, and never cutting off set bits. */
int BitWidth(const ColumnConversion &c, uint64_t v, int value_bits)
{
	int w = c.bit_width > 0 ? c.bit_width : value_bits;
	if (w < 1)
		w = 1;
	while (w < 64 && (v >> w) != 0)
		w++;
	return w;
}

void AppendBitValue(const ColumnConversion &c, uint64_t v, int value_bits, std::string &out)
{
	if (c.kind == PgKind::Bool)
		out += v ? 't' : 'f';
	else if (c.kind == PgKind::Bit || c.kind == PgKind::Varbit)
		AppendBits(out, v, BitWidth(c, v, value_bits));
	else
		AppendUInt(out, v);
}

template <typename F>
void AppendFloat(std::string &out, F f)
{
	if (std::isnan(f)) {
		out += "NaN";
		return;
	}
	if (std::isinf(f)) {
		out += f < 0 ? "-Infinity" : "Infinity";
		return;
	}
	char buf[40];
	auto res = std::to_chars(buf, buf + sizeof buf, f); /* shortest text that reads back to f */
	out.append(buf, res.ptr);
}

/* Whether JSON text holds the escape \u0000 (a backslash that is itself escaped does not count). */
bool HasJsonNulEscape(std::string_view json)
{
	for (size_t i = json.find('\\'); i != std::string_view::npos && i + 1 < json.size(); i = json.find('\\', i + 2))
		if (json.compare(i + 1, 5, "u0000") == 0)
			return true;
	return false;
}

/* Text-like bytes of a string column: to UTF-8, refusing NUL (for jsonb also the escape \u0000). */
void AppendText(const ColumnConversion &c, std::string_view bytes, TextEncoding enc, std::string &out)
{
	if (std::memchr(bytes.data(), 0, bytes.size()) != nullptr)
		NulInText(c);
	if (c.kind == PgKind::Jsonb && HasJsonNulEscape(bytes))
		throw Error(sqlstate::kDataException,
					"value of column " + Quoted(c.column) + " of table " + Quoted(c.table) +
						" contains the JSON escape \\u0000, which PostgreSQL jsonb cannot hold",
					{}, "Remove the NUL characters on the source server, or map the column to text with a data type rule.");
	switch (enc) {
	case TextEncoding::kLatin1:
		AppendLatin1AsUtf8(out, bytes);
		return;
	case TextEncoding::kOther:
		throw Error(sqlstate::kFeatureNotSupported,
					"column " + Quoted(c.column) + " of table " + Quoted(c.table) + " has character set " +
						Quoted(c.charset) + ", which synchdb cannot convert from the binary log",
					"synchdb converts utf8mb4, utf8mb3, ascii and latin1 text.",
					"Convert the column to utf8mb4 on the source server, or exclude the table from replication.");
	default:
		out.append(bytes);
	}
}

void AppendUuid(std::string &out, std::string_view b)
{
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out += '-';
		unsigned char x = static_cast<unsigned char>(b[i]);
		out += kHex[x >> 4];
		out += kHex[x & 15];
	}
}

void AppendInet(std::string &out, std::string_view b)
{
	if (b.size() == 4) {
		for (size_t i = 0; i < 4; i++) {
			if (i)
				out += '.';
			AppendUInt(out, static_cast<unsigned char>(b[i]));
		}
		return;
	}
	/* Eight full groups; PostgreSQL's inet input accepts them and prints its canonical form. */
	for (size_t i = 0; i < 16; i += 2) {
		if (i)
			out += ':';
		unsigned v = static_cast<unsigned>(static_cast<unsigned char>(b[i])) << 8 |
					 static_cast<unsigned char>(b[i + 1]);
		char buf[8];
		auto res = std::to_chars(buf, buf + sizeof buf, v, 16);
		out.append(buf, res.ptr);
	}
}

/* String or binary bytes for the target kind. */
void AppendStringValue(const ColumnConversion &c, std::string_view bytes, TextEncoding enc, std::string &out)
{
	switch (c.kind) {
	case PgKind::Bytea:
		AppendByteaHex(out, bytes);
		return;
	case PgKind::Uuid:
		if (bytes.size() == 16) {
			AppendUuid(out, bytes);
			return;
		}
		break;
	case PgKind::Inet:
		if (bytes.size() == 16 || bytes.size() == 4) {
			AppendInet(out, bytes);
			return;
		}
		break;
	default:
		break;
	}
	AppendText(c, bytes, enc == TextEncoding::kBinary ? TextEncoding::kUtf8 : enc, out);
}

/* Parse exactly n digits at s[pos]. */
bool Digits(std::string_view s, size_t &pos, size_t n, unsigned &v)
{
	if (pos + n > s.size())
		return false;
	v = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[pos + i];
		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + static_cast<unsigned>(ch - '0');
	}
	pos += n;
	return true;
}

bool Expect(std::string_view s, size_t &pos, char ch)
{
	if (pos < s.size() && s[pos] == ch) {
		pos++;
		return true;
	}
	return false;
}

/* "[.digits]" at the end; returns micros (digits past six must be zeros) and whether it is nonzero. */
bool Fraction(std::string_view s, size_t &pos, uint32_t &micros)
{
	micros = 0;
	if (pos == s.size())
		return true;
	if (!Expect(s, pos, '.'))
		return false;
	size_t n = 0;
	for (; pos < s.size(); pos++, n++) {
		char ch = s[pos];
		if (ch < '0' || ch > '9')
			return false;
		if (n < 6)
			micros = micros * 10 + static_cast<uint32_t>(ch - '0');
		else if (ch != '0')
			return false;
	}
	if (n == 0)
		return false;
	for (; n < 6; n++)
		micros *= 10;
	return true;
}

}  // namespace

void CivilFromDays(int64_t days, int64_t &year, unsigned &month, unsigned &day)
{
	/*
	 * Count from 0000-03-01 so that leap days fall at the end of a year;
	 * 146097 days make a 400-year cycle, 36524 a century, 1461 four years.
	 */
	int64_t z = days + 719468;
	int64_t cycle = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doc = z - cycle * 146097;										 /* day of cycle, 0..146096 */
	int64_t yoc = (doc - doc / 1460 + doc / 36524 - doc / 146096) / 365; /* year of cycle, 0..399 */
	int64_t doy = doc - (365 * yoc + yoc / 4 - yoc / 100);				 /* day of March-based year */
	int64_t mp = (5 * doy + 2) / 153;									 /* 0 = March .. 11 = February */
	day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
	month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
	year = yoc + cycle * 400 + (month <= 2 ? 1 : 0);
}

bool TemporalTextIsRepresentable(std::string_view s, PgKind kind)
{
	size_t pos = 0;
	unsigned y, mo, d, h, mi, se;
	uint32_t micros;
	switch (kind) {
	case PgKind::Date:
		return Digits(s, pos, 4, y) && Expect(s, pos, '-') && Digits(s, pos, 2, mo) && Expect(s, pos, '-') &&
			   Digits(s, pos, 2, d) && pos == s.size() && DateOk(y, mo, d);
	case PgKind::Timestamp:
	case PgKind::Timestamptz:
		return Digits(s, pos, 4, y) && Expect(s, pos, '-') && Digits(s, pos, 2, mo) && Expect(s, pos, '-') &&
			   Digits(s, pos, 2, d) && Expect(s, pos, ' ') && Digits(s, pos, 2, h) && Expect(s, pos, ':') &&
			   Digits(s, pos, 2, mi) && Expect(s, pos, ':') && Digits(s, pos, 2, se) && Fraction(s, pos, micros) &&
			   DateOk(y, mo, d) && ClockOk(h, mi, se);
	case PgKind::Time: {
		bool negative = Expect(s, pos, '-');
		size_t start = pos;
		h = 0;
		while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - start < 4)
			h = h * 10 + static_cast<unsigned>(s[pos++] - '0');
		if (pos == start || !Expect(s, pos, ':') || !Digits(s, pos, 2, mi) || !Expect(s, pos, ':') ||
			!Digits(s, pos, 2, se) || !Fraction(s, pos, micros) || mi > 59 || se > 59)
			return false;
		bool zero = h == 0 && mi == 0 && se == 0 && micros == 0;
		if (negative && !zero)
			return false;
		return h < 24 || (h == 24 && mi == 0 && se == 0 && micros == 0);
	}
	default:
		return false;
	}
}

ColumnConversion MakeConversion(const mysql::SourceTable &t, size_t column_index, const PgColumnType &pg)
{
	const mysql::SourceColumn &col = t.columns.at(column_index);
	ColumnConversion c;
	c.table = t.QualifiedName();
	c.column = col.name;
	c.kind = pg.kind;
	c.data_type = col.data_type;
	c.is_unsigned = col.is_unsigned;
	c.nullable = col.nullable;
	c.charset = col.charset;
	c.enum_values = col.enum_values;
	if (col.data_type == "datetime" || col.data_type == "timestamp" || col.data_type == "time")
		c.fsp = SourceFractionalDigits(col);
	if (col.data_type == "bit")
		c.bit_width = SourceBitWidth(col);
	if (col.data_type == "binary" && col.char_max_length > 0)
		c.fixed_bytes = static_cast<int>(col.char_max_length);
	else if (col.data_type == "uuid" || col.data_type == "inet6")
		c.fixed_bytes = 16;
	else if (col.data_type == "inet4")
		c.fixed_bytes = 4;
	c.spatial = IsSpatialType(col.data_type);

	std::string cs;
	for (char ch : col.charset)
		cs += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	if (cs.empty() || cs == "utf8mb4" || cs == "utf8mb3" || cs == "utf8" || cs == "ascii")
		c.encoding = TextEncoding::kUtf8;
	else if (cs == "latin1")
		c.encoding = TextEncoding::kLatin1;
	else if (cs == "binary")
		c.encoding = TextEncoding::kBinary;
	else
		c.encoding = TextEncoding::kOther;
	return c;
}

bool BinlogValueToPgText(const binlog::Value &v, const ColumnConversion &c, std::string &out)
{
	using binlog::ValueKind;
	out.clear();
	switch (v.kind) {
	case ValueKind::kNull:
		return false;
	case ValueKind::kInt:
		if (c.kind == PgKind::Bool)
			out += v.int_value ? 't' : 'f';
		else if (c.is_unsigned) {
			/*
			 * Without signedness metadata in the table map (MariaDB's default
			 * binlog_row_metadata=NO_LOG) the decoder sign-extends; the
			 * schema knows the column is unsigned: take the bits back.
			 */
			const std::string &t = c.data_type;
			const int bits = t == "tinyint" ? 8 : t == "smallint" ? 16 : t == "mediumint" ? 24 : t == "int" ? 32 : 64;
			uint64_t u = static_cast<uint64_t>(v.int_value);
			if (bits < 64)
				u &= (uint64_t{1} << bits) - 1;
			AppendUInt(out, u);
		} else
			AppendInt(out, v.int_value);
		return true;
	case ValueKind::kUInt:
		if (c.kind == PgKind::Bool)
			out += v.uint_value ? 't' : 'f';
		else
			AppendUInt(out, v.uint_value);
		return true;
	case ValueKind::kYear:
		AppendInt(out, v.int_value);
		return true;
	case ValueKind::kFloat:
		AppendFloat(out, static_cast<float>(v.double_value));
		return true;
	case ValueKind::kDouble:
		AppendFloat(out, v.double_value);
		return true;
	case ValueKind::kDecimal:
		out.append(v.Bytes());
		return true;
	case ValueKind::kBit:
		AppendBitValue(c, v.uint_value, v.bit_count, out);
		return true;
	case ValueKind::kDate:
		return AppendValidDate(c, v, out);
	case ValueKind::kDateTime: {
		int digits = FractionDigits(v.fsp, c.fsp, v.micros);
		if (!DateOk(v.year, v.month, v.day) || !ClockOk(v.hour, v.minute, v.second) || v.micros >= 1000000) {
			std::string text;
			AppendDate(text, v.year, v.month, v.day);
			text += ' ';
			AppendClock(text, v.hour, v.minute, v.second);
			AppendFraction(text, v.micros, digits);
			return TemporalInvalid(c, text,
			                       v.year == 0 && v.month == 0 && v.day == 0 ? "PostgreSQL has no zero date."
			                                                                  : "The date or time of day is out of range.",
			                       out);
		}
		AppendDate(out, v.year, v.month, v.day);
		out += ' ';
		AppendClock(out, v.hour, v.minute, v.second);
		AppendFraction(out, v.micros, digits);
		return true;
	}
	case ValueKind::kTimestamp: {
		int digits = FractionDigits(v.fsp, c.fsp, v.micros);
		if (v.int_value == 0 && v.micros == 0) /* MySQL's zero TIMESTAMP; the epoch itself is not a valid value */
			return TemporalInvalid(c, "0000-00-00 00:00:00", "PostgreSQL has no zero date.", out);
		int64_t secs = v.int_value;
		int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
		int64_t sod = secs - days * 86400;
		int64_t y;
		unsigned m, d;
		CivilFromDays(days, y, m, d);
		if (y < 1 || y > 9999 || v.micros >= 1000000)
			return TemporalInvalid(c, std::to_string(secs) + " s since 1970", "The timestamp is out of range.", out);
		AppendDate(out, y, m, d);
		out += ' ';
		AppendClock(out, static_cast<uint64_t>(sod / 3600), static_cast<unsigned>(sod / 60 % 60),
					static_cast<unsigned>(sod % 60));
		AppendFraction(out, v.micros, digits);
		if (c.kind != PgKind::Timestamp)
			out += "+00";
		return true;
	}
	case ValueKind::kTime: {
		int digits = FractionDigits(v.fsp, c.fsp, v.micros);
		bool zero = v.hours == 0 && v.minute == 0 && v.second == 0 && v.micros == 0;
		if (c.kind != PgKind::Time) {
			/* interval or text (a data type rule): MySQL's own text, which interval input reads as written */
			if (v.negative && !zero)
				out += '-';
			AppendClock(out, v.hours, v.minute, v.second);
			AppendFraction(out, v.micros, digits);
			return true;
		}
		bool ok = v.minute <= 59 && v.second <= 59 && v.micros < 1000000 && (!v.negative || zero) &&
				  (v.hours < 24 || (v.hours == 24 && v.minute == 0 && v.second == 0 && v.micros == 0));
		if (!ok) {
			std::string text = v.negative ? "-" : "";
			AppendClock(text, v.hours, v.minute, v.second);
			AppendFraction(text, v.micros, digits);
			return TemporalInvalid(c, text,
			                       "PostgreSQL's time holds 00:00:00 to 24:00:00; MySQL's TIME is an interval of "
			                       "-838:59:59 to 838:59:59.",
			                       out);
		}
		AppendClock(out, v.hours, v.minute, v.second);
		AppendFraction(out, v.micros, digits);
		return true;
	}
	case ValueKind::kString:
	case ValueKind::kBinary: {
		const TextEncoding enc =
			v.kind == ValueKind::kBinary ? TextEncoding::kBinary : EncodingOfCollation(v.charset, c.encoding);
		std::string_view bytes = v.Bytes();
		if (c.fixed_bytes > 0 && bytes.size() < static_cast<size_t>(c.fixed_bytes)) {
			/* Fixed-length binary values lose their trailing zero bytes in row images. */
			std::string padded(bytes);
			padded.resize(c.fixed_bytes, '\0');
			AppendStringValue(c, padded, enc, out);
		} else
			AppendStringValue(c, bytes, enc, out);
		return true;
	}
	case ValueKind::kEnum: {
		if (v.uint_value == 0) /* the '' MySQL stores for an invalid ENUM value */
			return true;
		/* Labels are text like any other: a NUL byte in one is refused (AppendText). */
		if (v.labels && v.uint_value <= v.labels->size()) {
			AppendText(c, (*v.labels)[v.uint_value - 1], TextEncoding::kUtf8, out);
		} else if (v.uint_value <= c.enum_values.size()) {
			AppendText(c, c.enum_values[v.uint_value - 1], TextEncoding::kUtf8, out);
		} else {
			throw Error(sqlstate::kDataException,
						"ENUM index " + std::to_string(v.uint_value) + " of column " + Quoted(c.column) +
							" of table " + Quoted(c.table) + " has no label",
						"The column has " + std::to_string(c.enum_values.size()) + " labels.",
						"The table definition synchdb read no longer matches the source; restart the connector.");
		}
		return true;
	}
	case ValueKind::kSet: {
		const std::vector<std::string> *labels = v.labels ? v.labels.get() : &c.enum_values;
		bool first = true;
		for (size_t i = 0; i < 64; i++) {
			if (!((v.uint_value >> i) & 1))
				continue;
			if (i >= labels->size())
				throw Error(sqlstate::kDataException,
							"SET bit " + std::to_string(i + 1) + " of column " + Quoted(c.column) + " of table " +
								Quoted(c.table) + " has no label",
							"The column has " + std::to_string(labels->size()) + " labels.",
							"The table definition synchdb read no longer matches the source; restart the connector.");
			if (!first)
				out += ',';
			AppendText(c, (*labels)[i], TextEncoding::kUtf8, out);
			first = false;
		}
		return true;
	}
	case ValueKind::kJson:
		if (c.kind == PgKind::Bytea)
			AppendByteaHex(out, v.Bytes());
		else
			AppendText(c, v.Bytes(), TextEncoding::kUtf8, out);
		return true;
	case ValueKind::kJsonDiff:
		throw Error(sqlstate::kFeatureNotSupported,
					"column " + Quoted(c.column) + " of table " + Quoted(c.table) +
						" was changed by a partial JSON update, which synchdb cannot apply",
					{}, "Set binlog_row_value_options to '' on the source server so that whole JSON values are logged.");
	case ValueKind::kGeometry:
		if (c.kind == PgKind::Bytea)
			AppendByteaHex(out, v.Bytes());
		else
			AppendEwkbHex(out, v.Bytes(), v.srid);
		return true;
	}
	throw Error(sqlstate::kInternalError, std::string("unexpected binlog value kind ") + binlog::ValueKindName(v.kind));
}

std::string SnapshotSelectExpr(const mysql::SourceColumn &c)
{
	const std::string name = mysql::BacktickQuote(c.name);
	if (c.data_type == "bit")
		return "CAST(" + name + " AS UNSIGNED) AS " + name;
	return name;
}

bool SnapshotValueToPgText(const char *data, size_t len, const ColumnConversion &c, std::string &out)
{
	out.clear();
	if (data == nullptr)
		return false;
	std::string_view s(data, len);
	if (c.spatial) {
		/* Internal form: SRID (4 bytes, little-endian), then WKB. */
		if (s.size() < 4)
			Unrepresentable(c, "(" + std::to_string(s.size()) + " bytes)", "A geometry value is at least 4 bytes.");
		const auto *b = reinterpret_cast<const unsigned char *>(s.data());
		uint32_t srid = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
		if (c.kind == PgKind::Bytea)
			AppendByteaHex(out, s.substr(4));
		else
			AppendEwkbHex(out, s.substr(4), srid);
		return true;
	}
	switch (c.kind) {
	case PgKind::Bool:
	case PgKind::Bit:
	case PgKind::Varbit:
		if (c.data_type == "bit") {
			uint64_t v = 0;
			auto res = std::from_chars(s.data(), s.data() + s.size(), v);
			if (res.ec != std::errc() || res.ptr != s.data() + s.size())
				Unrepresentable(c, s, "Expected the BIT value as an unsigned integer (CAST(col AS UNSIGNED)).");
			AppendBitValue(c, v, c.bit_width, out);
			return true;
		}
		out.append(s);
		return true;
	case PgKind::Date:
	case PgKind::Time:
	case PgKind::Timestamp:
	case PgKind::Timestamptz:
		if (!TemporalTextIsRepresentable(s, c.kind)) {
			bool zero = s.substr(0, 10) == "0000-00-00";
			return TemporalInvalid(c, s,
			                       zero ? "PostgreSQL has no zero date."
			                       : c.kind == PgKind::Time
			                           ? "PostgreSQL's time holds 00:00:00 to 24:00:00; MySQL's TIME is an interval of "
			                             "-838:59:59 to 838:59:59."
			                           : "The date or time of day is out of range.",
			                       out);
		}
		if (c.kind == PgKind::Time && !s.empty() && s[0] == '-')
			s.remove_prefix(1); /* -00:00:00 */
		out.append(s);
		if (c.kind == PgKind::Timestamptz && c.data_type == "timestamp")
			out += "+00"; /* the session's time_zone is '+00:00' */
		return true;
	case PgKind::Bytea:
		AppendByteaHex(out, s);
		return true;
	case PgKind::Int2:
	case PgKind::Int4:
	case PgKind::Int8:
	case PgKind::Numeric:
	case PgKind::Float4:
	case PgKind::Float8:
	case PgKind::Uuid:
	case PgKind::Inet:
		out.append(s);
		return true;
	case PgKind::Text:
	case PgKind::Varchar:
	case PgKind::Char:
	case PgKind::Jsonb:
		AppendText(c, s, TextEncoding::kUtf8, out); /* the connection's character set is utf8mb4 */
		return true;
	}
	return true;
}

bool BinlogValueAppendPgText(const binlog::Value &v, const ColumnConversion &c, std::string &out)
{
	using binlog::ValueKind;
	if (v.kind == ValueKind::kString || v.kind == ValueKind::kBinary) {
		const std::string_view bytes = v.Bytes();
		if (c.fixed_bytes <= 0 || bytes.size() >= static_cast<size_t>(c.fixed_bytes)) {
			const TextEncoding enc =
				v.kind == ValueKind::kBinary ? TextEncoding::kBinary : EncodingOfCollation(v.charset, c.encoding);
			AppendStringValue(c, bytes, enc, out); /* as BinlogValueToPgText */
			return true;
		}
	}
	std::string t;
	if (!BinlogValueToPgText(v, c, t))
		return false;
	out.append(t);
	return true;
}

bool SnapshotValueAppendPgText(const char *data, size_t len, const ColumnConversion &c, std::string &out)
{
	if (data != nullptr && !c.spatial) {
		const std::string_view s(data, len);
		switch (c.kind) {
		case PgKind::Bytea:
			AppendByteaHex(out, s);
			return true;
		case PgKind::Text:
		case PgKind::Varchar:
		case PgKind::Char:
		case PgKind::Jsonb:
			AppendText(c, s, TextEncoding::kUtf8, out); /* as SnapshotValueToPgText */
			return true;
		default:
			break;
		}
	}
	std::string v;
	if (!SnapshotValueToPgText(data, len, c, v))
		return false;
	out.append(v);
	return true;
}

bool IsSpatialType(std::string_view t)
{
	return t == "geometry" || t == "point" || t == "linestring" || t == "polygon" || t == "multipoint" ||
		   t == "multilinestring" || t == "multipolygon" || t == "geometrycollection" || t == "geomcollection";
}

}  // namespace synchdb

namespace synchdb {

std::optional<InvalidValuePolicy> ParseInvalidValuePolicy(std::string_view text)
{
	if (text == "error")
		return InvalidValuePolicy::Error;
	if (text == "null")
		return InvalidValuePolicy::Null;
	if (text == "replace")
		return InvalidValuePolicy::Replace;
	return std::nullopt;
}

void SetInvalidValuePolicy(InvalidValuePolicy policy)
{
	conversion_state.policy = policy;
}

std::string DescribeReplacements(const Replacements &r, const std::string &where)
{
	std::string text;
	for (const std::string &m : r.first_per_column)
		text += (text.empty() ? "" : "\n") + m + " (" + where + ")";
	return text;
}

void ReportReplacements(Emitter &out, const std::string &where)
{
	Replacements r = TakeReplacements();
	if (r.count > 0)
		out.Notice(DescribeReplacements(r, where), NoticeKind::ValuesReplaced, r.count);
}

Replacements TakeReplacements()
{
	Replacements r;
	r.count = conversion_state.count;
	r.first_per_column.swap(conversion_state.first_per_column);
	conversion_state.count = 0;
	return r;
}

}  // namespace synchdb
