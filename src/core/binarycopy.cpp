/*
 * binarycopy.cpp
 *     PostgreSQL binary COPY fields from canonical input text (binarycopy.hpp).
 *
 * NOTES
 *   Wire forms (PostgreSQL's send and receive functions): integers and the
 *   IEEE bits of floats big-endian; bool one byte; date int32 days since
 *   2000-01-01; time int64 microseconds since midnight; timestamp(tz)
 *   int64 microseconds since 2000-01-01 00:00:00 (UTC for timestamptz);
 *   numeric int16 ndigits, int16 weight, int16 sign (0 or 0x4000), int16
 *   dscale, then ndigits base-10000 digits, most significant first, the
 *   first one at 10000^weight; bit int32 bit length, then the bits packed
 *   from the most significant bit of the first byte; jsonb version 1 then
 *   the text; text-like types their bytes.
 */
#include "core/binarycopy.hpp"

#include <cstring>

#include "core/pgvalue.hpp"

namespace synchdb::binarycopy {

namespace {

inline void Put16(std::string &out, uint16_t v)
{
	char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
	out.append(b, 2);
}

inline void Put32(std::string &out, uint32_t v)
{
	char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
	             static_cast<char>(v)};
	out.append(b, 4);
}

inline void Put64(std::string &out, uint64_t v)
{
	Put32(out, static_cast<uint32_t>(v >> 32));
	Put32(out, static_cast<uint32_t>(v));
}

/* Length word then a fixed-size value. */
inline void Field32(std::string &out, uint32_t v)
{
	Put32(out, 4);
	Put32(out, v);
}

inline void Field64(std::string &out, uint64_t v)
{
	Put32(out, 8);
	Put64(out, v);
}

/* Overwrite the length word at at with the bytes appended after it. */
inline void PatchLength(std::string &out, size_t at)
{
	uint32_t n = static_cast<uint32_t>(out.size() - at - 4);
	out[at] = static_cast<char>(n >> 24);
	out[at + 1] = static_cast<char>(n >> 16);
	out[at + 2] = static_cast<char>(n >> 8);
	out[at + 3] = static_cast<char>(n);
}

}  // namespace

void AppendHeader(std::string &out)
{
	static const char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
	out.append(kSignature, sizeof kSignature);
	Put32(out, 0); /* flags: no OIDs */
	Put32(out, 0); /* header extension length */
}

void AppendRowStart(std::string &out, int n)
{
	Put16(out, static_cast<uint16_t>(n));
}

void AppendNull(std::string &out)
{
	Put32(out, 0xFFFFFFFFu);
}

bool AppendNumeric(std::string &out, std::string_view s)
{
	size_t pos = 0;
	bool neg = false;
	if (pos < s.size() && s[pos] == '-') {
		neg = true;
		pos++;
	}
	size_t int_start = pos;
	while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
		pos++;
	size_t int_end = pos;
	size_t frac_start = pos, frac_end = pos;
	if (pos < s.size() && s[pos] == '.') {
		frac_start = ++pos;
		while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
			pos++;
		frac_end = pos;
		if (frac_end == frac_start)
			return false; /* "1." */
	}
	if (pos != s.size() || int_end == int_start)
		return false; /* something else, or no integer digit (".5") */
	const size_t nint = int_end - int_start, nfrac = frac_end - frac_start;
	if (nfrac > 1000 || nint > 1000)
		return false; /* numeric_in's limits are the input function's business */
	/* Base-10000 groups: the integer digits padded on the left, the fraction on the right. */
	const size_t int_groups = (nint + 3) / 4, frac_groups = (nfrac + 3) / 4;
	uint16_t digits[512];
	size_t nd = 0;
	{
		size_t lead = int_groups * 4 - nint; /* zeros in front */
		unsigned g = 0;
		int k = static_cast<int>(lead);
		for (size_t i = int_start; i < int_end; i++) {
			g = g * 10 + static_cast<unsigned>(s[i] - '0');
			if (++k == 4) {
				digits[nd++] = static_cast<uint16_t>(g);
				g = 0;
				k = 0;
			}
		}
	}
	{
		unsigned g = 0;
		int k = 0;
		for (size_t i = frac_start; i < frac_end; i++) {
			g = g * 10 + static_cast<unsigned>(s[i] - '0');
			if (++k == 4) {
				digits[nd++] = static_cast<uint16_t>(g);
				g = 0;
				k = 0;
			}
		}
		if (k > 0) {
			for (; k < 4; k++)
				g *= 10;
			digits[nd++] = static_cast<uint16_t>(g);
		}
	}
	int weight = static_cast<int>(int_groups) - 1;
	size_t first = 0, last = nd;
	while (first < last && digits[first] == 0) {
		first++;
		weight--;
	}
	while (last > first && digits[last - 1] == 0)
		last--;
	if (first == last) {
		weight = 0; /* zero: no digits, positive, as numeric_in makes it */
		neg = false;
	}
	(void) frac_groups;
	Put16(out, static_cast<uint16_t>(last - first));
	Put16(out, static_cast<uint16_t>(static_cast<int16_t>(weight)));
	Put16(out, neg ? 0x4000 : 0x0000);
	Put16(out, static_cast<uint16_t>(nfrac));
	for (size_t i = first; i < last; i++)
		Put16(out, digits[i]);
	return true;
}

bool AppendField(std::string &out, Kind k, std::string_view s)
{
	int64_t iv;
	switch (k) {
	case Kind::None:
		return false;
	case Kind::Int2:
		if (!pgvalue::ReadInt(s, INT16_MIN, INT16_MAX, iv))
			return false;
		Put32(out, 2);
		Put16(out, static_cast<uint16_t>(static_cast<int16_t>(iv)));
		return true;
	case Kind::Int4:
		if (!pgvalue::ReadInt(s, INT32_MIN, INT32_MAX, iv))
			return false;
		Field32(out, static_cast<uint32_t>(static_cast<int32_t>(iv)));
		return true;
	case Kind::Int8:
		if (!pgvalue::ReadInt(s, INT64_MIN, INT64_MAX, iv))
			return false;
		Field64(out, static_cast<uint64_t>(iv));
		return true;
	case Kind::Float4: {
		float f;
		if (!pgvalue::ReadFloat4(s, f))
			return false;
		uint32_t bits;
		memcpy(&bits, &f, 4);
		Field32(out, bits);
		return true;
	}
	case Kind::Float8: {
		double d;
		if (!pgvalue::ReadFloat8(s, d))
			return false;
		uint64_t bits;
		memcpy(&bits, &d, 8);
		Field64(out, bits);
		return true;
	}
	case Kind::Bool: {
		bool b;
		if (!pgvalue::ReadBool(s, b))
			return false;
		Put32(out, 1);
		out += static_cast<char>(b ? 1 : 0);
		return true;
	}
	case Kind::Numeric: {
		size_t at = out.size();
		Put32(out, 0);
		if (!AppendNumeric(out, s)) {
			out.resize(at);
			return false;
		}
		PatchLength(out, at);
		return true;
	}
	case Kind::Date: {
		int32_t days;
		if (!pgvalue::ReadDate(s, days))
			return false;
		Field32(out, static_cast<uint32_t>(days));
		return true;
	}
	case Kind::Time:
		if (!pgvalue::ReadTime(s, -1, iv))
			return false;
		Field64(out, static_cast<uint64_t>(iv));
		return true;
	case Kind::Timestamp:
	case Kind::Timestamptz:
		if (!pgvalue::ReadTimestamp(s, -1, k == Kind::Timestamptz, iv))
			return false;
		Field64(out, static_cast<uint64_t>(iv));
		return true;
	case Kind::Text:
		if (s.size() > 0x3FFFFFFF)
			return false;
		Put32(out, static_cast<uint32_t>(s.size()));
		out.append(s);
		return true;
	case Kind::Jsonb:
		if (s.size() > 0x3FFFFFFE)
			return false;
		Put32(out, static_cast<uint32_t>(s.size() + 1));
		out += '\1';
		out.append(s);
		return true;
	case Kind::Bytea: {
		int64_t n = pgvalue::ByteaHexLength(s);
		if (n < 0 || n > 0x3FFFFFFF)
			return false;
		Put32(out, static_cast<uint32_t>(n));
		size_t at = out.size();
		out.resize(at + static_cast<size_t>(n));
		pgvalue::DecodeByteaHex(s, out.data() + at);
		return true;
	}
	case Kind::Bit: {
		if (s.empty() || s.size() > 0x0FFFFFFF)
			return false;
		for (char c : s)
			if (c != '0' && c != '1')
				return false; /* bit_in's hex (x...) and other spellings */
		const size_t nbytes = (s.size() + 7) / 8;
		Put32(out, static_cast<uint32_t>(4 + nbytes));
		Put32(out, static_cast<uint32_t>(s.size()));
		size_t at = out.size();
		out.resize(at + nbytes, '\0');
		for (size_t i = 0; i < s.size(); i++)
			if (s[i] == '1')
				out[at + i / 8] = static_cast<char>(static_cast<unsigned char>(out[at + i / 8]) | (0x80u >> (i % 8)));
		return true;
	}
	}
	return false;
}

void Formats::Publish(const void *tables, std::vector<std::vector<Kind>> per_table)
{
	{
		std::lock_guard<std::mutex> lock(mu_);
		tables_ = tables;
		per_table_ = std::move(per_table);
	}
	cv_.notify_all();
}

std::vector<Kind> Formats::Await(const void *tables, size_t table, const std::function<bool()> &stop,
                                 std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	std::unique_lock<std::mutex> lock(mu_);
	while (tables_ != tables) {
		if (stop() || std::chrono::steady_clock::now() >= deadline)
			return {};
		cv_.wait_for(lock, std::chrono::milliseconds(50));
	}
	return table < per_table_.size() ? per_table_[table] : std::vector<Kind>{};
}

uint64_t CountRows(std::string_view chunk)
{
	auto be = [&](size_t at, size_t n) {
		uint32_t v = 0;
		for (size_t k = 0; k < n; k++)
			v = (v << 8) | static_cast<unsigned char>(chunk[at + k]);
		return v;
	};
	uint64_t rows = 0;
	size_t at = 0;
	while (at + 2 <= chunk.size()) {
		const int16_t fields = static_cast<int16_t>(be(at, 2));
		at += 2;
		if (fields < 0)
			break; /* the trailer */
		for (int f = 0; f < fields; f++) {
			if (at + 4 > chunk.size())
				return rows;
			const int32_t len = static_cast<int32_t>(be(at, 4));
			at += 4;
			if (len > 0)
				at += static_cast<size_t>(len);
		}
		if (at > chunk.size())
			break;
		rows++;
	}
	return rows;
}

}  // namespace synchdb::binarycopy
