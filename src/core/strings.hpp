/*
 * strings.hpp
 *     Small ASCII string helpers shared by the core (identifiers, type
 *     names and keywords are compared in ASCII lower case).
 */
#pragma once

#include <string.h> /* explicit_bzero */

#include <cstdint>

#include <cctype>
#include <string>
#include <string_view>

namespace synchdb {

/* ASCII lower case. */
inline std::string Lower(std::string_view s)
{
	std::string out(s);
	for (auto &ch : out)
		ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
	return out;
}

/* Without leading and trailing blanks. */
inline std::string_view Trim(std::string_view s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
		s.remove_prefix(1);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.remove_suffix(1);
	return s;
}

/* Lower case, trimmed, every run of blanks made one space: "  INT   Unsigned " -> "int unsigned". */
inline std::string LowerCollapsed(std::string_view s)
{
	std::string out;
	bool blank = false;
	for (char ch : Trim(s)) {
		if (std::isspace(static_cast<unsigned char>(ch))) {
			blank = true;
			continue;
		}
		if (blank)
			out += ' ';
		blank = false;
		out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
	}
	return out;
}

/* The one-character JSON escapes (\" \\ \/ \b \f \n \r \t): append what e stands for; false for any other. */
inline bool AppendJsonSimpleEscape(char e, std::string &out)
{
	switch (e) {
	case '"': out += '"'; return true;
	case '\\': out += '\\'; return true;
	case '/': out += '/'; return true;
	case 'b': out += '\b'; return true;
	case 'f': out += '\f'; return true;
	case 'n': out += '\n'; return true;
	case 'r': out += '\r'; return true;
	case 't': out += '\t'; return true;
	default: return false;
	}
}

/* Append code point cp as UTF-8 (the caller has checked it is a valid scalar value). */
inline void AppendUtf8(std::string &out, uint32_t cp)
{
	if (cp < 0x80)
		out += static_cast<char>(cp);
	else if (cp < 0x800) {
		out += static_cast<char>(0xC0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out += static_cast<char>(0xE0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else {
		out += static_cast<char>(0xF0 | (cp >> 18));
		out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
}

/*
 * Text from outside (source names, user input) made safe for one log line:
 * each control character (C0 and DEL) becomes \n, \r, \t or \xNN, so a
 * name holding a newline cannot start a line of its own in the server log
 * or the state view.  Writes at most size - 1 bytes and a NUL; a sequence
 * that does not fit is left out whole.  Allocates nothing (safe under a lock).
 */
inline void EscapeControlsInto(const char *src, char *dst, size_t size) noexcept
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (size == 0)
		return;
	for (const char *p = src ? src : ""; *p; ++p) {
		const unsigned char c = static_cast<unsigned char>(*p);
		char esc[5];
		size_t n = 0;
		if (c == '\n')
			esc[n++] = '\\', esc[n++] = 'n';
		else if (c == '\r')
			esc[n++] = '\\', esc[n++] = 'r';
		else if (c == '\t')
			esc[n++] = '\\', esc[n++] = 't';
		else if (c < 0x20 || c == 0x7f)
			esc[n++] = '\\', esc[n++] = 'x', esc[n++] = hex[c >> 4], esc[n++] = hex[c & 0xF];
		else
			esc[n++] = static_cast<char>(c);
		if (o + n > size - 1)
			break;
		for (size_t i = 0; i < n; i++)
			dst[o++] = esc[i];
	}
	dst[o] = '\0';
}

/* As EscapeControlsInto, for a string of any length. */
inline std::string EscapeControls(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	static const char hex[] = "0123456789abcdef";
	for (char ch : s) {
		const unsigned char c = static_cast<unsigned char>(ch);
		if (c == '\n')
			out += "\\n";
		else if (c == '\r')
			out += "\\r";
		else if (c == '\t')
			out += "\\t";
		else if (c < 0x20 || c == 0x7f) {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 0xF];
		} else
			out += ch;
	}
	return out;
}

/* Overwrite a secret in memory, then empty it. */
inline void Scrub(std::string &secret)
{
	explicit_bzero(secret.data(), secret.size());
	secret.clear();
}

}  // namespace synchdb

#include "core/cpp_only.hpp"
