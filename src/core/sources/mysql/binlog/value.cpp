/*
 * value.cpp
 *     Decoding of one column value of a row image.
 *
 * NOTES
 *   Row image encodings are those of Field::pack() in the MySQL server; the
 *   reference is "Rows_event" in the MySQL source documentation,
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Rows__event.html
 *   and, for the temporal and decimal formats, "MySQL Internals: Date and
 *   Time Data Type Representation" and strings/decimal.cc
 *   (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html).
 *
 *   Integers, FLOAT, DOUBLE, DATE, old TIME/DATETIME/TIMESTAMP, ENUM, SET
 *   and length prefixes are little-endian.  DECIMAL, BIT, TIME2,
 *   DATETIME2 and TIMESTAMP2 are big-endian.
 */
#include "core/sources/mysql/binlog/value.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "core/sources/mysql/binlog/json.hpp"

namespace synchdb::binlog {

const char *ValueKindName(ValueKind kind)
{
	switch (kind) {
	case ValueKind::kNull:
		return "null";
	case ValueKind::kInt:
		return "int";
	case ValueKind::kUInt:
		return "uint";
	case ValueKind::kFloat:
		return "float";
	case ValueKind::kDouble:
		return "double";
	case ValueKind::kDecimal:
		return "decimal";
	case ValueKind::kBit:
		return "bit";
	case ValueKind::kDate:
		return "date";
	case ValueKind::kTime:
		return "time";
	case ValueKind::kDateTime:
		return "datetime";
	case ValueKind::kTimestamp:
		return "timestamp";
	case ValueKind::kYear:
		return "year";
	case ValueKind::kString:
		return "string";
	case ValueKind::kBinary:
		return "binary";
	case ValueKind::kEnum:
		return "enum";
	case ValueKind::kSet:
		return "set";
	case ValueKind::kJson:
		return "json";
	case ValueKind::kJsonDiff:
		return "jsondiff";
	case ValueKind::kGeometry:
		return "geometry";
	}
	return "?";
}

std::string_view Value::Label() const
{
	if (kind != ValueKind::kEnum || labels == nullptr || uint_value == 0 || uint_value > labels->size())
		return {};
	return (*labels)[uint_value - 1];
}

std::vector<std::string_view> Value::SetLabels() const
{
	std::vector<std::string_view> out;
	if (kind != ValueKind::kSet || labels == nullptr)
		return out;
	for (size_t i = 0; i < labels->size() && i < 64; i++)
		if ((uint_value >> i) & 1)
			out.emplace_back((*labels)[i]);
	return out;
}

static std::string Fraction(uint32_t micros, uint8_t fsp)
{
	if (fsp == 0)
		return {};
	char buf[16];
	std::snprintf(buf, sizeof buf, ".%06u", micros);
	return std::string(buf, 1 + std::min<int>(fsp, 6));
}

std::string Value::ToString() const
{
	char buf[96];
	switch (kind) {
	case ValueKind::kNull:
		return "NULL";
	case ValueKind::kInt:
	case ValueKind::kYear:
		return std::to_string(int_value);
	case ValueKind::kUInt:
	case ValueKind::kEnum:
	case ValueKind::kSet:
	case ValueKind::kBit:
		return std::to_string(uint_value);
	case ValueKind::kFloat:
	case ValueKind::kDouble: {
		auto res = std::to_chars(buf, buf + sizeof buf, double_value);
		return std::string(buf, res.ptr);
	}
	case ValueKind::kDate:
		std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", year, month, day);
		return buf;
	case ValueKind::kTime:
		std::snprintf(buf, sizeof buf, "%s%02u:%02u:%02u", negative ? "-" : "", hours, minute, second);
		return buf + Fraction(micros, fsp);
	case ValueKind::kDateTime:
		std::snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u", year, month, day, hour, minute, second);
		return buf + Fraction(micros, fsp);
	case ValueKind::kTimestamp:
		return std::to_string(int_value) + Fraction(micros, fsp);
	case ValueKind::kGeometry:
		return "SRID=" + std::to_string(srid) + ";" + std::to_string(Bytes().size()) + " bytes";
	default:
		return std::string(Bytes());
	}
}

/*
 * Binary DECIMAL (strings/decimal.cc, decimal2bin): the digits are split
 * into groups of nine decimal digits, each stored as a 4-byte big-endian
 * integer; a leading (integer part) or trailing (fraction) group of fewer
 * than nine digits takes 1-4 bytes (kDigitBytes).  The integer part is
 * stored most significant group first with its partial group leading; the
 * fraction with its partial group trailing.  The sign is the inverted top
 * bit of the first byte, and for negative numbers every byte is inverted.
 */
bool DecimalToString(Bytes data, int precision, int scale, std::string &out)
{
	static const uint8_t kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
	static const uint32_t kPow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

	if (precision < 1 || precision > 65 || scale < 0 || scale > 30 || scale > precision)
		return false;
	int intg = precision - scale;
	int intg0 = intg / 9, intg0x = intg % 9;
	int frac0 = scale / 9, frac0x = scale % 9;
	size_t size = intg0 * 4 + kDigitBytes[intg0x] + frac0 * 4 + kDigitBytes[frac0x];
	if (data.size() != size || size == 0)
		return false;

	uint8_t buf[40];
	std::memcpy(buf, data.data(), size);
	bool negative = (buf[0] & 0x80) == 0;
	uint8_t mask = negative ? 0xff : 0x00;
	buf[0] ^= 0x80;
	for (size_t i = 0; i < size; i++)
		buf[i] ^= mask;

	char digits[80];
	size_t nd = 0;
	size_t pos = 0;
	auto group = [&](int ndigits) -> bool {
		size_t nbytes = ndigits == 9 ? 4 : kDigitBytes[ndigits];
		uint32_t v = static_cast<uint32_t>(LoadBE(buf + pos, nbytes));
		pos += nbytes;
		if (v >= kPow10[ndigits])
			return false;
		for (int k = ndigits - 1; k >= 0; k--) {
			digits[nd + k] = static_cast<char>('0' + v % 10);
			v /= 10;
		}
		nd += ndigits;
		return true;
	};

	if (intg0x && !group(intg0x))
		return false;
	for (int i = 0; i < intg0; i++)
		if (!group(9))
			return false;
	size_t int_digits = nd;
	for (int i = 0; i < frac0; i++)
		if (!group(9))
			return false;
	if (frac0x && !group(frac0x))
		return false;

	/* Integer part without leading zeros, at least "0". */
	size_t first = 0;
	while (first < int_digits && digits[first] == '0')
		first++;
	bool all_zero = true;
	for (size_t i = 0; i < nd; i++)
		if (digits[i] != '0')
			all_zero = false;

	out.clear();
	if (negative && !all_zero)
		out += '-';
	if (first == int_digits)
		out += '0';
	else
		out.append(digits + first, int_digits - first);
	if (scale > 0) {
		out += '.';
		out.append(digits + int_digits, nd - int_digits);
	}
	return true;
}

[[noreturn]] static void Unsupported(const ColumnDef &col, const ValueContext &ctx)
{
	std::string table = ctx.table ? ctx.table->QualifiedName() : std::string("(unknown)");
	throw Error(sqlstate::kFeatureNotSupported,
				"column " + std::to_string(ctx.column_index + 1) + " of table " + table + " has type " +
					ColumnTypeName(static_cast<uint8_t>(col.real_type)) + ", which synchdb does not support",
				col.name.empty() ? std::string() : "The column is named " + Quoted(col.name) + ".",
				"Exclude the table from replication or change the column type on the source.");
}

[[noreturn]] static void Corrupt(const ColumnDef &col, const ValueContext &ctx, const std::string &why)
{
	std::string table = ctx.table ? ctx.table->QualifiedName() : std::string("(unknown)");
	throw Error(sqlstate::kDataCorrupted,
				"binlog event at offset " + std::to_string(ctx.event_offset) + " has a corrupt value in column " +
					std::to_string(ctx.column_index + 1) + " of table " + table,
				why);
}

/* Sign-extend the low nbytes*8 bits of v. */
static int64_t SignExtend(uint64_t v, size_t nbytes)
{
	if (nbytes >= 8)
		return static_cast<int64_t>(v);
	unsigned shift = static_cast<unsigned>(64 - 8 * nbytes);
	return static_cast<int64_t>(v << shift) >> shift;
}

/*
 * Fractional seconds of TIME2/DATETIME2/TIMESTAMP2: (fsp + 1) / 2 bytes,
 * big-endian, in units of 1/100, 1/10000 or 1/1000000 s.  For TIME2 with
 * fsp 1-4 the fraction is signed and combined with the integer part; see
 * DecodeTime2.  Here: the unsigned reading as microseconds.
 */
static uint32_t FractionMicros(const uint8_t *p, uint8_t fsp)
{
	switch (fsp) {
	case 1:
	case 2:
		return static_cast<uint32_t>(p[0]) * 10000;
	case 3:
	case 4:
		return static_cast<uint32_t>(LoadBE(p, 2)) * 100;
	case 5:
	case 6:
		return static_cast<uint32_t>(LoadBE(p, 3));
	default:
		return 0;
	}
}

/*
 * TIME2 (MySQL 5.6.4+): 3 bytes big-endian integer part with an offset of
 * 0x800000, then the fraction.  The integer part packs
 *   sign(1) unused(1) hour(10) minute(6) second(6)
 * For fsp 1-4, a negative value with a non-zero fraction stores the
 * integer part rounded down and the fraction as 0x100 (or 0x10000) minus
 * its absolute value, so that the bytes sort like the values; reading
 * borrows one back into the integer part (my_time_packed_from_binary in
 * mysys/my_time.cc, whose comment tabulates -00:00:00.01 as 7FFFFF.FF).
 * For fsp 5-6 the 6 bytes are the whole packed value plus 0x800000000000.
 */
static void DecodeTime2(const uint8_t *p, uint8_t fsp, Value &out)
{
	int64_t packed;
	int64_t intpart = static_cast<int64_t>(LoadBE(p, 3)) - 0x800000;
	switch (fsp) {
	case 1:
	case 2: {
		int64_t frac = p[3];
		if (intpart < 0 && frac != 0) {
			intpart++;
			frac -= 0x100;
		}
		packed = intpart * (int64_t(1) << 24) + frac * 10000;
		break;
	}
	case 3:
	case 4: {
		int64_t frac = static_cast<int64_t>(LoadBE(p + 3, 2));
		if (intpart < 0 && frac != 0) {
			intpart++;
			frac -= 0x10000;
		}
		packed = intpart * (int64_t(1) << 24) + frac * 100;
		break;
	}
	case 5:
	case 6:
		packed = static_cast<int64_t>(LoadBE(p, 6)) - 0x800000000000LL;
		break;
	default:
		packed = intpart * (int64_t(1) << 24);
		break;
	}
	out.kind = ValueKind::kTime;
	out.negative = packed < 0;
	uint64_t v = packed < 0 ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
	uint64_t hms = v >> 24;
	out.micros = static_cast<uint32_t>(v % (1u << 24));
	out.hours = static_cast<uint32_t>((hms >> 12) % (1u << 10));
	out.minute = static_cast<uint8_t>((hms >> 6) % 64);
	out.second = static_cast<uint8_t>(hms % 64);
}

/*
 * DATETIME2 (MySQL 5.6.4+): 5 bytes big-endian with an offset of
 * 0x8000000000, packing
 *   sign(1) year*13+month(17) day(5) hour(5) minute(6) second(6)
 * then the fraction (never negative: DATETIME has no negative values).
 */
static void DecodeDateTime2(const uint8_t *p, uint8_t fsp, Value &out)
{
	uint64_t raw = LoadBE(p, 5);
	uint64_t intpart = raw >= 0x8000000000ULL ? raw - 0x8000000000ULL : 0x8000000000ULL - raw;
	uint64_t ymd = intpart >> 17;
	uint64_t ym = ymd >> 5;
	uint64_t hms = intpart % (1u << 17);
	out.kind = ValueKind::kDateTime;
	out.year = static_cast<uint16_t>(ym / 13);
	out.month = static_cast<uint8_t>(ym % 13);
	out.day = static_cast<uint8_t>(ymd % 32);
	out.hour = static_cast<uint8_t>(hms >> 12);
	out.minute = static_cast<uint8_t>((hms >> 6) % 64);
	out.second = static_cast<uint8_t>(hms % 64);
	out.micros = FractionMicros(p + 5, fsp);
}

static void SetText(const ColumnDef &col, Bytes data, Value &out)
{
	out.kind = col.charset == 63 ? ValueKind::kBinary : ValueKind::kString;
	out.charset = col.charset;
	out.SetView(AsText(data));
}

void DecodeValue(const ColumnDef &col, Bytes data, const ValueContext &ctx, Value &out)
{
	out = Value();
	const uint8_t *p = data.data();
	auto need = [&](size_t n) {
		if (data.size() < n)
			Corrupt(col, ctx, "value has " + std::to_string(data.size()) + " bytes, expected " + std::to_string(n));
	};

	if (col.fsp > 6 && (col.real_type == ColumnType::kTime2 || col.real_type == ColumnType::kDateTime2 ||
						col.real_type == ColumnType::kTimestamp2))
		Corrupt(col, ctx, "fractional seconds precision " + std::to_string(col.fsp) + " is out of range");

	switch (col.real_type) {
	case ColumnType::kTiny:
	case ColumnType::kShort:
	case ColumnType::kInt24:
	case ColumnType::kLong:
	case ColumnType::kLongLong: {
		need(col.fixed_size);
		uint64_t v = LoadLE(p, col.fixed_size);
		if (col.is_unsigned) {
			out.kind = ValueKind::kUInt;
			out.uint_value = v;
		} else {
			out.kind = ValueKind::kInt;
			out.int_value = SignExtend(v, col.fixed_size);
		}
		return;
	}
	case ColumnType::kFloat: {
		need(4);
		uint32_t bits = static_cast<uint32_t>(LoadLE(p, 4));
		float f;
		std::memcpy(&f, &bits, sizeof f);
		out.kind = ValueKind::kFloat;
		out.double_value = f;
		return;
	}
	case ColumnType::kDouble: {
		need(8);
		uint64_t bits = LoadLE(p, 8);
		std::memcpy(&out.double_value, &bits, sizeof(double));
		out.kind = ValueKind::kDouble;
		return;
	}
	case ColumnType::kNull:
		out.kind = ValueKind::kNull;
		return;
	case ColumnType::kYear:
		need(1);
		out.kind = ValueKind::kYear;
		out.int_value = p[0] == 0 ? 0 : 1900 + p[0];
		return;
	case ColumnType::kDate:
	case ColumnType::kNewDate: {
		/* 3 bytes little-endian: day(5) month(4) year(15) from the low bits. */
		need(3);
		uint32_t v = static_cast<uint32_t>(LoadLE(p, 3));
		out.kind = ValueKind::kDate;
		out.day = v & 31;
		out.month = (v >> 5) & 15;
		out.year = static_cast<uint16_t>(v >> 9);
		return;
	}
	case ColumnType::kTime: {
		/* Old TIME: 3 bytes little-endian signed integer HHMMSS. */
		need(3);
		int64_t v = SignExtend(LoadLE(p, 3), 3);
		out.kind = ValueKind::kTime;
		out.negative = v < 0;
		uint64_t a = v < 0 ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
		out.hours = static_cast<uint32_t>(a / 10000);
		out.minute = static_cast<uint8_t>(a / 100 % 100);
		out.second = static_cast<uint8_t>(a % 100);
		return;
	}
	case ColumnType::kDateTime: {
		/* Old DATETIME: 8 bytes little-endian integer YYYYMMDDHHMMSS. */
		need(8);
		uint64_t v = LoadLE(p, 8);
		uint64_t d = v / 1000000, t = v % 1000000;
		out.kind = ValueKind::kDateTime;
		out.year = static_cast<uint16_t>(d / 10000 % 65536);
		out.month = static_cast<uint8_t>(d / 100 % 100);
		out.day = static_cast<uint8_t>(d % 100);
		out.hour = static_cast<uint8_t>(t / 10000);
		out.minute = static_cast<uint8_t>(t / 100 % 100);
		out.second = static_cast<uint8_t>(t % 100);
		return;
	}
	case ColumnType::kTimestamp:
		/* Old TIMESTAMP: 4 bytes little-endian seconds since the epoch. */
		need(4);
		out.kind = ValueKind::kTimestamp;
		out.int_value = static_cast<int64_t>(LoadLE(p, 4));
		return;
	case ColumnType::kTimestamp2:
		/* 4 bytes big-endian seconds since the epoch, then the fraction. */
		need(col.fixed_size);
		out.kind = ValueKind::kTimestamp;
		out.fsp = col.fsp;
		out.int_value = static_cast<int64_t>(LoadBE(p, 4));
		out.micros = FractionMicros(p + 4, col.fsp);
		return;
	case ColumnType::kDateTime2:
		need(col.fixed_size);
		DecodeDateTime2(p, col.fsp, out);
		out.fsp = col.fsp;
		return;
	case ColumnType::kTime2:
		need(col.fixed_size);
		DecodeTime2(p, col.fsp, out);
		out.fsp = col.fsp;
		return;
	case ColumnType::kNewDecimal: {
		std::string text;
		if (!DecimalToString(data, col.precision, col.scale, text))
			Corrupt(col, ctx,
					"malformed DECIMAL(" + std::to_string(col.precision) + "," + std::to_string(col.scale) + ")");
		out.kind = ValueKind::kDecimal;
		out.SetOwned(std::move(text));
		return;
	}
	case ColumnType::kBit:
		/* Big-endian, (bits + 7) / 8 bytes. */
		need(col.fixed_size);
		if (col.fixed_size > 8)
			Corrupt(col, ctx, "BIT column wider than 64 bits");
		out.kind = ValueKind::kBit;
		out.bit_count = col.bit_count;
		out.uint_value = LoadBE(p, col.fixed_size);
		return;
	case ColumnType::kEnum:
		/* 1 or 2 bytes little-endian index, 1-based. */
		need(col.fixed_size);
		out.kind = ValueKind::kEnum;
		out.uint_value = LoadLE(p, col.fixed_size);
		out.labels = col.enum_set_values;
		return;
	case ColumnType::kSet:
		/* 1-8 bytes little-endian bitmask. */
		need(col.fixed_size);
		out.kind = ValueKind::kSet;
		out.uint_value = LoadLE(p, col.fixed_size);
		out.labels = col.enum_set_values;
		return;
	case ColumnType::kString:
	case ColumnType::kVarchar:
	case ColumnType::kVarString:
	case ColumnType::kTinyBlob:
	case ColumnType::kMediumBlob:
	case ColumnType::kLongBlob:
	case ColumnType::kBlob:
		SetText(col, data, out);
		return;
	case ColumnType::kJson: {
		std::string text, why;
		if (!JsonBinaryToText(data, text, &why))
			Corrupt(col, ctx, "malformed binary JSON: " + why);
		out.kind = ValueKind::kJson;
		out.SetOwned(std::move(text));
		return;
	}
	case ColumnType::kGeometry:
		/* 4 bytes little-endian SRID, then WKB. */
		need(4);
		out.kind = ValueKind::kGeometry;
		out.srid = static_cast<uint32_t>(LoadLE(p, 4));
		out.SetView(AsText(data.subspan(4)));
		return;
	default:
		/* VECTOR, TYPED_ARRAY, old DECIMAL, unknown codes */
		Unsupported(col, ctx);
	}
}

}  // namespace synchdb::binlog
