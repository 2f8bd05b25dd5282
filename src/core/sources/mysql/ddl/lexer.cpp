/*
 * lexer.cpp
 *     Tokenizer for MySQL/MariaDB DDL statements.
 */
#include "core/sources/mysql/ddl/lexer.hpp"
#include "core/sources/mysql/literal.hpp"

#include "core/error.hpp"

namespace synchdb::ddl {

namespace {

constexpr const char *kSyntaxError = "42601";

bool IsIdentChar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
		   c >= 0x80;
}

bool IsDigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

bool IsSpace(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsHexDigit(unsigned char c)
{
	return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

[[noreturn]] void Fail(std::string_view sql, size_t pos, const std::string &what)
{
	throw Error(kSyntaxError, "syntax error in DDL statement: " + what + " " + Fragment(sql, pos));
}

/* A quoted string from sql[i] (the quote); returns the index after the closing quote. */
size_t ReadString(std::string_view sql, size_t i, std::string &out)
{
	const char q = sql[i];
	const size_t start = i++;
	out.clear();
	while (i < sql.size()) {
		char c = sql[i];
		if (c == q) {
			if (i + 1 < sql.size() && sql[i + 1] == q) {
				out += q;
				i += 2;
				continue;
			}
			return i + 1;
		}
		if (c == '\\' && i + 1 < sql.size()) {
			char e = sql[i + 1];
			mysql::AppendEscaped(e, out);
			i += 2;
			continue;
		}
		out += c;
		i++;
	}
	Fail(sql, start, "unterminated string");
}

}  // namespace

std::string Fragment(std::string_view sql, size_t pos)
{
	if (pos >= sql.size())
		return "at end of statement (position " + std::to_string(sql.size()) + ")";
	std::string frag(sql.substr(pos, 40));
	for (char &c : frag)
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
	if (pos + 40 < sql.size())
		frag += "...";
	return "near " + Quoted(frag) + " at position " + std::to_string(pos);
}

std::vector<Token> Lex(std::string_view sql)
{
	std::vector<Token> toks;
	size_t i = 0;
	int versioned = 0; /* open versioned comments */
	const size_t n = sql.size();
	auto push = [&](TokenKind k, std::string text, size_t pos, size_t end) {
		Token t;
		t.kind = k;
		t.text = std::move(text);
		t.pos = pos;
		t.end = end;
		toks.push_back(std::move(t));
	};
	while (i < n) {
		unsigned char c = static_cast<unsigned char>(sql[i]);
		if (IsSpace(c)) {
			i++;
			continue;
		}
		/* Comments. */
		if (c == '#' || (c == '-' && i + 1 < n && sql[i + 1] == '-' &&
						 (i + 2 == n || IsSpace(static_cast<unsigned char>(sql[i + 2])) ||
						  static_cast<unsigned char>(sql[i + 2]) < 0x20))) {
			while (i < n && sql[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
			size_t j = i + 2;
			bool code = false;
			if (j < n && sql[j] == '!') {
				code = true;
				j++;
			} else if (j + 1 < n && (sql[j] == 'M' || sql[j] == 'm') && sql[j + 1] == '!') {
				code = true;
				j += 2;
			}
			if (code) {
				while (j < n && IsDigit(static_cast<unsigned char>(sql[j])))
					j++;
				versioned++;
				i = j;
				continue;
			}
			size_t close = sql.find("*/", j);
			if (close == std::string_view::npos)
				Fail(sql, i, "unterminated comment");
			i = close + 2;
			continue;
		}
		if (c == '*' && versioned > 0 && i + 1 < n && sql[i + 1] == '/') {
			versioned--;
			i += 2;
			continue;
		}
		const size_t start = i;
		/* Quoted identifiers. */
		if (c == '`') {
			std::string out;
			i++;
			for (;;) {
				if (i >= n)
					Fail(sql, start, "unterminated quoted identifier");
				if (sql[i] == '`') {
					if (i + 1 < n && sql[i + 1] == '`') {
						out += '`';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				out += sql[i++];
			}
			push(TokenKind::QuotedIdent, std::move(out), start, i);
			continue;
		}
		if (c == '\'' || c == '"') {
			std::string out;
			i = ReadString(sql, i, out);
			push(TokenKind::String, std::move(out), start, i);
			toks.back().double_quoted = c == '"';
			continue;
		}
		/* X'..', B'..', N'..' */
		if ((c == 'x' || c == 'X' || c == 'b' || c == 'B' || c == 'n' || c == 'N') && i + 1 < n && sql[i + 1] == '\'') {
			if (c == 'n' || c == 'N') {
				std::string out;
				i = ReadString(sql, i + 1, out);
				push(TokenKind::String, std::move(out), start, i);
				continue;
			}
			size_t close = sql.find('\'', i + 2);
			if (close == std::string_view::npos)
				Fail(sql, start, "unterminated literal");
			std::string digits(sql.substr(i + 2, close - i - 2));
			const bool hex = c == 'x' || c == 'X';
			for (char d : digits)
				if (hex ? !IsHexDigit(static_cast<unsigned char>(d)) : (d != '0' && d != '1'))
					Fail(sql, start, hex ? "invalid hexadecimal literal" : "invalid bit literal");
			i = close + 1;
			push(hex ? TokenKind::Hex : TokenKind::Bits, std::move(digits), start, i);
			continue;
		}
		/* Numbers (or identifiers that begin with digits). */
		if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(static_cast<unsigned char>(sql[i + 1])) &&
						   (toks.empty() || (toks.back().kind != TokenKind::Word &&
											 toks.back().kind != TokenKind::QuotedIdent)))) {
			if (c == '0' && i + 2 < n && (sql[i + 1] == 'x' || sql[i + 1] == 'b')) {
				const bool hex = sql[i + 1] == 'x';
				size_t j = i + 2;
				while (j < n && (hex ? IsHexDigit(static_cast<unsigned char>(sql[j]))
									 : (sql[j] == '0' || sql[j] == '1')))
					j++;
				if (j > i + 2 && (j == n || !IsIdentChar(static_cast<unsigned char>(sql[j])))) {
					push(hex ? TokenKind::Hex : TokenKind::Bits, std::string(sql.substr(i + 2, j - i - 2)), start, j);
					i = j;
					continue;
				}
			}
			size_t j = i;
			while (j < n && IsDigit(static_cast<unsigned char>(sql[j])))
				j++;
			bool ident = j < n && IsIdentChar(static_cast<unsigned char>(sql[j])) && sql[j] != 'e' && sql[j] != 'E';
			if (!ident) {
				if (j < n && sql[j] == '.') {
					j++;
					while (j < n && IsDigit(static_cast<unsigned char>(sql[j])))
						j++;
				}
				if (j < n && (sql[j] == 'e' || sql[j] == 'E')) {
					size_t k = j + 1;
					if (k < n && (sql[k] == '+' || sql[k] == '-'))
						k++;
					if (k < n && IsDigit(static_cast<unsigned char>(sql[k]))) {
						while (k < n && IsDigit(static_cast<unsigned char>(sql[k])))
							k++;
						j = k;
					} else if (c != '.') {
						ident = true; /* 1e or 12ab: an identifier */
					}
				}
				if (!ident && j < n && IsIdentChar(static_cast<unsigned char>(sql[j])) && c != '.')
					ident = true;
			}
			if (!ident) {
				push(TokenKind::Number, std::string(sql.substr(i, j - i)), start, j);
				i = j;
				continue;
			}
		}
		if (IsIdentChar(c)) {
			size_t j = i;
			while (j < n && IsIdentChar(static_cast<unsigned char>(sql[j])))
				j++;
			push(TokenKind::Word, std::string(sql.substr(i, j - i)), start, j);
			i = j;
			continue;
		}
		if (c == '@') {
			size_t j = i + 1;
			if (j < n && sql[j] == '@')
				j++;
			if (j < n && (sql[j] == '\'' || sql[j] == '"' || sql[j] == '`')) {
				std::string out;
				if (sql[j] == '`') {
					size_t close = sql.find('`', j + 1);
					if (close == std::string_view::npos)
						Fail(sql, start, "unterminated variable name");
					j = close + 1;
				} else {
					j = ReadString(sql, j, out);
				}
			} else {
				while (j < n && (IsIdentChar(static_cast<unsigned char>(sql[j])) || sql[j] == '.'))
					j++;
			}
			push(TokenKind::Variable, std::string(sql.substr(i, j - i)), start, j);
			i = j;
			continue;
		}
		/* Operators: the longest of the multi-character ones, else one character. */
		static const char *const kOps[] = {"<=>", "<<", ">>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "->>", "->"};
		size_t len = 1;
		for (const char *op : kOps) {
			std::string_view o(op);
			if (sql.substr(i, o.size()) == o && o.size() > len) {
				len = o.size();
			}
		}
		push(TokenKind::Symbol, std::string(sql.substr(i, len)), start, i + len);
		i += len;
	}
	push(TokenKind::End, {}, n, n);
	return toks;
}

}  // namespace synchdb::ddl
