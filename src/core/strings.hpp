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

/* Overwrite a secret in memory, then empty it. */
inline void Scrub(std::string &secret)
{
	explicit_bzero(secret.data(), secret.size());
	secret.clear();
}

}  // namespace synchdb

#include "core/cpp_only.hpp"
