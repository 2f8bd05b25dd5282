/*
 * json.cpp
 *     MySQL binary JSON to JSON text.
 *
 * NOTES
 *   Grammar (sql-common/json_binary.h in the MySQL source,
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/json__binary_8h.html):
 *
 *     doc          ::= type value
 *     type         ::= 0x00 small object | 0x01 large object
 *                    | 0x02 small array  | 0x03 large array
 *                    | 0x04 literal | 0x05 int16 | 0x06 uint16
 *                    | 0x07 int32 | 0x08 uint32 | 0x09 int64 | 0x0a uint64
 *                    | 0x0b double | 0x0c string | 0x0f opaque
 *     object       ::= count size key-entry* value-entry* key* value*
 *     array        ::= count size value-entry* value*
 *     count, size  ::= uint16 (small) | uint32 (large)
 *     key-entry    ::= key-offset (uint16|uint32) key-length (uint16)
 *     value-entry  ::= type offset-or-inlined-value (uint16|uint32)
 *     string       ::= data-length utf8mb4-data
 *     opaque       ::= field-type (uint8) data-length binary-data
 *     data-length  ::= 7 bits per byte, little-endian, high bit = "more"
 *
 *   Offsets are relative to the first byte after the object's type byte.
 *   Literals and 16-bit integers (and in large containers also 32-bit
 *   integers) are inlined in the value entry.
 *
 *   Defences: every offset is checked against the container's size, the
 *   nesting depth is capped, and so are the number of visited nodes and
 *   the output size (a crafted document could otherwise point many entries
 *   at the same large child and blow up exponentially).
 */
#include "core/sources/mysql/binlog/json.hpp"
#include "core/copytext.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/sources/mysql/binlog/types.hpp"
#include "core/sources/mysql/binlog/value.hpp"

namespace synchdb::binlog {

namespace {

enum : uint8_t {
	kSmallObject = 0x00,
	kLargeObject = 0x01,
	kSmallArray = 0x02,
	kLargeArray = 0x03,
	kLiteral = 0x04,
	kInt16 = 0x05,
	kUInt16 = 0x06,
	kInt32 = 0x07,
	kUInt32 = 0x08,
	kInt64 = 0x09,
	kUInt64 = 0x0a,
	kDouble = 0x0b,
	kString = 0x0c,
	kOpaque = 0x0f,
};

constexpr int kMaxDepth = 150;

struct Failure {
	std::string why;
};

class JsonWriter {
public:
	JsonWriter(Bytes doc, std::string &out) : doc_(doc), out_(out)
	{
		budget_nodes_ = doc.size() + 16;
		max_output_ = out.size() + 16 * doc.size() + 4096;
	}

	void Document()
	{
		if (doc_.empty()) {
			out_ += "null";
			return;
		}
		Value(doc_[0], 1, 0);
	}

private:
	Bytes doc_;
	std::string &out_;
	size_t budget_nodes_;
	size_t max_output_;

	[[noreturn]] static void Fail(const std::string &why) { throw Failure{why}; }

	void CheckRange(size_t pos, size_t len) const
	{
		if (pos > doc_.size() || len > doc_.size() - pos)
			Fail("offset " + std::to_string(pos) + " length " + std::to_string(len) + " is outside the document of " +
				 std::to_string(doc_.size()) + " bytes");
	}

	uint64_t Load(size_t pos, size_t n) const
	{
		CheckRange(pos, n);
		return LoadLE(doc_.data() + pos, n);
	}

	void CheckOutput() const
	{
		if (out_.size() > max_output_)
			Fail("document expands beyond any valid size");
	}

	/*
	 * Write the value of the given type whose data starts at pos (every
	 * read is checked against the document's bounds).
	 */
	void Value(uint8_t type, size_t pos, int depth)
	{
		if (depth > kMaxDepth)
			Fail("nesting deeper than " + std::to_string(kMaxDepth));
		if (budget_nodes_-- == 0)
			Fail("too many nodes for the document size");

		switch (type) {
		case kSmallObject:
		case kLargeObject:
			Container(pos, true, type == kLargeObject, depth);
			break;
		case kSmallArray:
		case kLargeArray:
			Container(pos, false, type == kLargeArray, depth);
			break;
		case kLiteral:
			Literal(static_cast<uint8_t>(Load(pos, 1)));
			break;
		case kInt16:
			Int(static_cast<int16_t>(Load(pos, 2)));
			break;
		case kUInt16:
			UInt(Load(pos, 2));
			break;
		case kInt32:
			Int(static_cast<int32_t>(Load(pos, 4)));
			break;
		case kUInt32:
			UInt(Load(pos, 4));
			break;
		case kInt64:
			Int(static_cast<int64_t>(Load(pos, 8)));
			break;
		case kUInt64:
			UInt(Load(pos, 8));
			break;
		case kDouble: {
			uint64_t bits = Load(pos, 8);
			double d;
			std::memcpy(&d, &bits, sizeof d);
			Double(d);
			break;
		}
		case kString: {
			size_t len_bytes;
			uint64_t len = DataLength(pos, &len_bytes);
			CheckRange(pos + len_bytes, len);
			Quote(AsText(doc_.subspan(pos + len_bytes, len)));
			break;
		}
		case kOpaque: {
			uint8_t field_type = static_cast<uint8_t>(Load(pos, 1));
			size_t len_bytes;
			uint64_t len = DataLength(pos + 1, &len_bytes);
			CheckRange(pos + 1 + len_bytes, len);
			Opaque(field_type, doc_.subspan(pos + 1 + len_bytes, len));
			break;
		}
		default:
			Fail("unknown value type " + std::to_string(type));
		}
		CheckOutput();
	}

	/* The variable-length data-length of strings and opaque values. */
	uint64_t DataLength(size_t pos, size_t *nbytes) const
	{
		uint64_t len = 0;
		for (size_t i = 0; i < 5; i++) {
			uint8_t b = static_cast<uint8_t>(Load(pos + i, 1));
			len |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
			if ((b & 0x80) == 0) {
				*nbytes = i + 1;
				return len;
			}
		}
		Fail("data length longer than 5 bytes");
	}

	void Container(size_t start, bool is_object, bool large, int depth)
	{
		size_t w = large ? 4 : 2;
		uint64_t count = Load(start, w);
		uint64_t size = Load(start + w, w);
		CheckRange(start, size);
		size_t key_entry = w + 2;
		size_t value_entry = 1 + w;
		size_t header = 2 * w + (is_object ? count * key_entry : 0) + count * value_entry;
		if (count > size || header > size)
			Fail("container of " + std::to_string(count) + " elements does not fit in " + std::to_string(size) +
				 " bytes");

		out_ += is_object ? '{' : '[';
		for (uint64_t i = 0; i < count; i++) {
			if (i > 0)
				out_ += ", ";
			if (is_object) {
				size_t ke = start + 2 * w + i * key_entry;
				uint64_t key_off = Load(ke, w);
				uint64_t key_len = Load(ke + w, 2);
				if (key_off > size || key_len > size - key_off)
					Fail("object key outside its object");
				Quote(AsText(doc_.subspan(start + key_off, key_len)));
				out_ += ": ";
			}
			size_t ve = start + 2 * w + (is_object ? count * key_entry : 0) + i * value_entry;
			uint8_t type = static_cast<uint8_t>(Load(ve, 1));
			bool inlined = type == kLiteral || type == kInt16 || type == kUInt16 ||
				(large && (type == kInt32 || type == kUInt32));
			if (inlined) {
				Value(type, ve + 1, depth + 1);
			} else {
				uint64_t off = Load(ve + 1, w);
				if (off >= size)
					Fail("value offset " + std::to_string(off) + " outside its container");
				Value(type, start + off, depth + 1);
			}
		}
		out_ += is_object ? '}' : ']';
	}

	void Literal(uint8_t v)
	{
		switch (v) {
		case 0x00:
			out_ += "null";
			break;
		case 0x01:
			out_ += "true";
			break;
		case 0x02:
			out_ += "false";
			break;
		default:
			Fail("unknown literal " + std::to_string(v));
		}
	}

	void Int(int64_t v)
	{
		char buf[24];
		auto res = std::to_chars(buf, buf + sizeof buf, v);
		out_.append(buf, res.ptr);
	}

	void UInt(uint64_t v)
	{
		char buf[24];
		auto res = std::to_chars(buf, buf + sizeof buf, v);
		out_.append(buf, res.ptr);
	}

	/*
	 * Doubles the way MySQL prints them: the shortest digits that read back
	 * exactly, in fixed notation for decimal exponents -4..16 (with ".0" if
	 * integral) and as 1.5e100 / 1e-7 otherwise.  PostgreSQL's jsonb reads
	 * either form to the same numeric, so only readability is at stake.
	 */
	void Double(double d)
	{
		if (!std::isfinite(d)) {
			out_ += "null"; /* cannot occur in a valid document */
			return;
		}
		char buf[64];
		auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
		std::string_view sci(buf, res.ptr - buf); /* e.g. "-1.2345e-05" */
		bool neg = !sci.empty() && sci[0] == '-';
		if (neg)
			sci.remove_prefix(1);
		size_t e = sci.find('e');
		std::string digits;
		for (char c : sci.substr(0, e))
			if (c != '.')
				digits += c;
		int exp = 0;
		std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+'), sci.data() + sci.size(), exp);
		while (digits.size() > 1 && digits.back() == '0')
			digits.pop_back();

		std::string s = neg ? "-" : "";
		if (exp < -4 || exp > 16) {
			s += digits[0];
			if (digits.size() > 1)
				s += "." + digits.substr(1);
			s += "e" + std::to_string(exp);
		} else if (exp < 0) {
			s += "0." + std::string(-exp - 1, '0') + digits;
		} else {
			if (digits.size() <= static_cast<size_t>(exp) + 1) {
				s += digits + std::string(exp + 1 - digits.size(), '0') + ".0";
			} else {
				s += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
			}
		}
		out_ += s;
	}

	void Quote(std::string_view s)
	{
		out_ += '"';
		for (char c : s) {
			switch (c) {
			case '"':
				out_ += "\\\"";
				break;
			case '\\':
				out_ += "\\\\";
				break;
			case '\n':
				out_ += "\\n";
				break;
			case '\r':
				out_ += "\\r";
				break;
			case '\t':
				out_ += "\\t";
				break;
			case '\b':
				out_ += "\\b";
				break;
			case '\f':
				out_ += "\\f";
				break;
			default:
				if (static_cast<unsigned char>(c) < 0x20) {
					char buf[8];
					std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
					out_ += buf;
				} else {
					out_ += c;
				}
			}
		}
		out_ += '"';
		CheckOutput();
	}

	/*
	 * Opaque values: DATE/TIME/DATETIME/TIMESTAMP are an 8-byte packed
	 * integer (the in-memory "longlong packed" form of MySQL: integer part
	 * << 24 | microseconds), DECIMAL is precision, scale and the binary
	 * decimal; anything else is printed as base64.
	 */
	void Opaque(uint8_t field_type, Bytes data)
	{
		switch (static_cast<ColumnType>(field_type)) {
		case ColumnType::kDate:
		case ColumnType::kNewDate:
		case ColumnType::kTime:
		case ColumnType::kTime2:
		case ColumnType::kDateTime:
		case ColumnType::kDateTime2:
		case ColumnType::kTimestamp:
		case ColumnType::kTimestamp2: {
			if (data.size() < 8)
				Fail("temporal opaque value of " + std::to_string(data.size()) + " bytes");
			int64_t packed = static_cast<int64_t>(LoadLE(data.data(), 8));
			Temporal(static_cast<ColumnType>(field_type), packed);
			return;
		}
		case ColumnType::kNewDecimal: {
			if (data.size() < 2)
				Fail("decimal opaque value too short");
			std::string text;
			if (!DecimalToString(data.subspan(2), data[0], data[1], text))
				Fail("malformed decimal opaque value");
			out_ += text;
			return;
		}
		default:
			break;
		}
		out_ += "\"base64:type";
		out_ += std::to_string(field_type);
		out_ += ':';
		Base64(data);
		out_ += '"';
	}

	void Temporal(ColumnType t, int64_t packed)
	{
		bool neg = packed < 0;
		uint64_t v = neg ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
		uint64_t frac = v % (1u << 24);
		uint64_t intpart = v >> 24;
		char buf[64];
		if (t == ColumnType::kTime || t == ColumnType::kTime2) {
			uint64_t hour = (intpart >> 12) % (1u << 10);
			uint64_t minute = (intpart >> 6) % 64;
			uint64_t second = intpart % 64;
			std::snprintf(buf, sizeof buf, "\"%s%02llu:%02llu:%02llu.%06llu\"", neg ? "-" : "",
						  static_cast<unsigned long long>(hour), static_cast<unsigned long long>(minute),
						  static_cast<unsigned long long>(second), static_cast<unsigned long long>(frac % 1000000));
		} else {
			uint64_t ymd = intpart >> 17;
			uint64_t ym = ymd >> 5;
			uint64_t hms = intpart % (1u << 17);
			unsigned long long year = ym / 13, month = ym % 13, day = ymd % 32;
			unsigned long long hour = hms >> 12, minute = (hms >> 6) % 64, second = hms % 64;
			if (t == ColumnType::kDate || t == ColumnType::kNewDate)
				std::snprintf(buf, sizeof buf, "\"%04llu-%02llu-%02llu\"", year, month, day);
			else
				std::snprintf(buf, sizeof buf, "\"%04llu-%02llu-%02llu %02llu:%02llu:%02llu.%06llu\"", year, month, day,
							  hour, minute, second, static_cast<unsigned long long>(frac % 1000000));
		}
		out_ += buf;
	}

	void Base64(Bytes data)
	{
		AppendBase64(out_, std::string_view(reinterpret_cast<const char *>(data.data()), data.size()));
	}
};

}  // namespace

bool JsonBinaryToText(Bytes data, std::string &out, std::string *why)
{
	size_t start = out.size();
	try {
		JsonWriter(data, out).Document();
		return true;
	} catch (const Failure &f) {
		out.resize(start);
		if (why)
			*why = f.why;
		return false;
	}
}

bool ParseJsonDiff(Bytes data, std::vector<JsonDiffEntry> &out, std::string *why)
{
	out.clear();
	try {
		ByteReader r(data, 0, "JSON diff");
		while (!r.AtEnd()) {
			JsonDiffEntry e;
			uint8_t op = r.U8();
			if (op > 2) {
				*why = "unknown JSON diff operation " + std::to_string(op);
				return false;
			}
			e.op = static_cast<JsonDiffOp>(op);
			e.path = std::string(AsText(r.PackedBytes()));
			if (e.op != JsonDiffOp::kRemove) {
				Bytes value = r.PackedBytes();
				if (!JsonBinaryToText(value, e.value, why))
					return false;
			}
			out.push_back(std::move(e));
		}
		return true;
	} catch (const Error &) {
		/* The reader's message names a meaningless offset here: say what ran short. */
		*why = "JSON diff is truncated";
		return false;
	}
}

}  // namespace synchdb::binlog
