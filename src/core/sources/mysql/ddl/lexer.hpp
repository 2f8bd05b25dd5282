/*
 * lexer.hpp
 *     Tokens of a MySQL/MariaDB statement, for the DDL parser.
 *
 * NOTES
 *   Comments (-- , #, C style) are dropped; the content of versioned
 *   comments ("/" "*!50100 ... *" "/" and MariaDB's "*M!100100" form) is code.
 *   Strings are decoded (doubled quotes, backslash escapes); backtick
 *   identifiers are decoded (doubled backticks).  Every token keeps its
 *   byte range in the statement, so that messages can quote the text and
 *   expressions can be copied out verbatim.
 */
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace synchdb::ddl {

enum class TokenKind {
	Word,		 /* unquoted identifier or keyword, as written */
	QuotedIdent, /* `name` (decoded) */
	String,		 /* 'text' or "text" (decoded); N'x' too */
	Number,		 /* 12, -, 1.5, 1e3, .5 (text as written, without sign) */
	Hex,		 /* X'4142' or 0x4142: text is the hex digits */
	Bits,		 /* b'0101' or 0b0101: text is the binary digits */
	Variable,	 /* @name, @@name, @'x' */
	Symbol,		 /* ( ) , . ; = and other operators, text as written */
	End
};

struct Token {
	TokenKind kind = TokenKind::End;
	std::string text;
	size_t pos = 0; /* byte offset of the first character */
	size_t end = 0; /* byte offset after the last character */
	bool double_quoted = false; /* String written with "" */
};

/*
 * The tokens of sql, ending with one End token.  Throws synchdb::Error
 * (42601) on an unterminated string, identifier or comment.
 */
std::vector<Token> Lex(std::string_view sql);

/* "near "…" at position N" text for messages: up to 40 bytes of sql from pos. */
std::string Fragment(std::string_view sql, size_t pos);

}  // namespace synchdb::ddl

#include "core/cpp_only.hpp"
