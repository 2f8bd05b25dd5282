/*
 * copytext.cpp
 *     COPY text format, bytea hex, EWKB and base64 (see copytext.hpp).
 */
#include "core/copytext.hpp"

#include <cstring>

namespace synchdb {

namespace {

const char kHex[] = "0123456789abcdef";

}  // namespace

void AppendByteaHex(std::string &out, std::string_view bytes)
{
	size_t start = out.size();
	out.resize(start + 2 + 2 * bytes.size());
	char *p = out.data() + start;
	*p++ = '\\';
	*p++ = 'x';
	for (unsigned char b : bytes) {
		*p++ = kHex[b >> 4];
		*p++ = kHex[b & 15];
	}
}

void AppendEwkbHex(std::string &out, std::string_view wkb, uint32_t srid)
{
	auto hex = [&](std::string_view bytes) {
		for (unsigned char b : bytes) {
			out += kHex[b >> 4];
			out += kHex[b & 15];
		}
	};
	if (srid == 0 || wkb.size() < 5) {
		hex(wkb);
		return;
	}
	/* Byte order, type with the SRID flag (0x20000000), SRID, rest: all in the WKB's byte order. */
	const bool little = wkb[0] == 1;
	auto u32 = [&](uint32_t v) {
		unsigned char b[4];
		for (int i = 0; i < 4; i++)
			b[little ? i : 3 - i] = static_cast<unsigned char>(v >> (8 * i));
		hex(std::string_view(reinterpret_cast<const char *>(b), 4));
	};
	const auto *p = reinterpret_cast<const unsigned char *>(wkb.data());
	uint32_t type = little ? (p[1] | p[2] << 8 | p[3] << 16 | static_cast<uint32_t>(p[4]) << 24)
						   : (static_cast<uint32_t>(p[1]) << 24 | p[2] << 16 | p[3] << 8 | p[4]);
	hex(wkb.substr(0, 1));
	u32(type | 0x20000000u);
	u32(srid);
	hex(wkb.substr(5));
}

bool SplitEwkbHex(std::string_view text, std::string &wkb, uint32_t &srid)
{
	if (text.size() % 2 != 0 || text.size() < 10)
		return false;
	std::string bytes;
	bytes.reserve(text.size() / 2);
	auto nib = [](char ch) -> int {
		if (ch >= '0' && ch <= '9')
			return ch - '0';
		if (ch >= 'a' && ch <= 'f')
			return ch - 'a' + 10;
		if (ch >= 'A' && ch <= 'F')
			return ch - 'A' + 10;
		return -1;
	};
	for (size_t i = 0; i < text.size(); i += 2) {
		int hi = nib(text[i]), lo = nib(text[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		bytes += static_cast<char>(hi << 4 | lo);
	}
	const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
	if (p[0] > 1)
		return false;
	const bool little = p[0] == 1;
	auto get = [&](size_t at) -> uint32_t {
		return little ? (p[at] | p[at + 1] << 8 | p[at + 2] << 16 | static_cast<uint32_t>(p[at + 3]) << 24)
					  : (static_cast<uint32_t>(p[at]) << 24 | p[at + 1] << 16 | p[at + 2] << 8 | p[at + 3]);
	};
	uint32_t type = get(1);
	srid = 0;
	if (!(type & 0x20000000u)) {
		wkb = std::move(bytes);
		return true;
	}
	if (bytes.size() < 9)
		return false;
	srid = get(5);
	type &= ~0x20000000u;
	wkb.clear();
	wkb += bytes[0];
	for (int i = 0; i < 4; i++)
		wkb += static_cast<char>(little ? (type >> (8 * i)) & 0xff : (type >> (8 * (3 - i))) & 0xff);
	wkb.append(bytes, 9, std::string::npos);
	return true;
}

void AppendBase64(std::string &out, std::string_view bytes)
{
	static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
	for (; i + 3 <= bytes.size(); i += 3) {
		uint32_t v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		out += kB64[v >> 18];
		out += kB64[(v >> 12) & 63];
		out += kB64[(v >> 6) & 63];
		out += kB64[v & 63];
	}
	size_t rest = bytes.size() - i;
	if (rest == 1) {
		uint32_t v = p[i] << 16;
		out += kB64[v >> 18];
		out += kB64[(v >> 12) & 63];
		out += "==";
	} else if (rest == 2) {
		uint32_t v = p[i] << 16 | p[i + 1] << 8;
		out += kB64[v >> 18];
		out += kB64[(v >> 12) & 63];
		out += kB64[(v >> 6) & 63];
		out += '=';
	}
}

namespace {

/*
 * Whether any of 8 bytes needs escaping in COPY text: below 0x20 or a
 * backslash.  Exact as a whole (borrows only flag bytes above a byte that
 * is itself flagged).
 */
inline bool WordNeedsEscape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const uint64_t control = (w - 0x20 * ones) & ~w & highs;
	const uint64_t x = w ^ (0x5c * ones);
	const uint64_t backslash = (x - ones) & ~x & highs;
	return (control | backslash) != 0;
}

}  // namespace

void AppendCopyField(std::string &out, std::string_view value)
{
	const char *p = value.data();
	const size_t n = value.size();
	size_t run = 0; /* start of the pending run of plain bytes */
	size_t i = 0;
	while (i < n) {
		/* Skip 8 plain bytes at a time: most values have nothing to escape. */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (WordNeedsEscape(w))
				break;
			i += 8;
		}
		const size_t end = std::min(n, i + 8);
		for (; i < end; i++) {
			char esc;
			switch (p[i]) {
			case '\\': esc = '\\'; break;
			case '\t': esc = 't'; break;
			case '\n': esc = 'n'; break;
			case '\r': esc = 'r'; break;
			case '\b': esc = 'b'; break;
			case '\f': esc = 'f'; break;
			case '\v': esc = 'v'; break;
			default: continue;
			}
			out.append(p + run, i - run);
			out += '\\';
			out += esc;
			run = i + 1;
		}
	}
	out.append(p + run, n - run);
}

void AppendCopyNull(std::string &out)
{
	out += "\\N";
}

bool ParseCopyTextRow(std::string_view text, size_t &pos, CopyRowSink &sink, std::string &scratch)
{
	if (pos >= text.size())
		return false;
	for (;;) {
		size_t start = pos;
		size_t end = text.find_first_of("\t\n", pos);
		if (end == std::string_view::npos)
			end = text.size();
		std::string_view field = text.substr(start, end - start);
		if (field == "\\N")
			sink.Null();
		else if (field.find('\\') == std::string_view::npos)
			sink.Value(field);
		else {
			scratch.clear();
			for (size_t i = 0; i < field.size(); i++) {
				if (field[i] != '\\' || i + 1 == field.size()) {
					scratch += field[i];
					continue;
				}
				switch (field[++i]) {
				case 't': scratch += '\t'; break;
				case 'n': scratch += '\n'; break;
				case 'r': scratch += '\r'; break;
				case 'b': scratch += '\b'; break;
				case 'f': scratch += '\f'; break;
				case 'v': scratch += '\v'; break;
				default: scratch += field[i]; break;
				}
			}
			sink.Value(scratch);
		}
		pos = end + 1;
		if (end >= text.size() || text[end] == '\n')
			return true;
	}
}

}  // namespace synchdb
