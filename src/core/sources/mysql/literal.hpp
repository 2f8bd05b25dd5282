/*
 * literal.hpp
 *     MySQL's quoting, in one place: the backslash escapes of string
 *     literals (as the server reads them) and backquoted identifiers.
 */
#pragma once

#include <string>
#include <string_view>

namespace synchdb::mysql {

/*
 * Append what the escape "\e" inside a MySQL string literal stands for:
 * \0 \n \r \t \b \Z are control characters, \% and \_ keep their backslash
 * (they only mean something to LIKE), any other character stands for
 * itself.
 */
inline void AppendEscaped(char e, std::string &out)
{
	switch (e) {
	case '0': out += '\0'; break;
	case 'n': out += '\n'; break;
	case 'r': out += '\r'; break;
	case 't': out += '\t'; break;
	case 'b': out += '\b'; break;
	case 'Z': out += '\x1a'; break;
	case '%':
	case '_':
		out += '\\';
		out += e;
		break;
	default: out += e; break;
	}
}

/* A MySQL identifier in backquotes: a`b -> `a``b`. */
inline std::string BacktickQuote(std::string_view name)
{
	std::string out = "`";
	for (char c : name) {
		if (c == '`')
			out += '`';
		out += c;
	}
	return out + "`";
}

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
