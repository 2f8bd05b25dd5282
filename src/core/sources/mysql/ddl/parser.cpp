/*
 * parser.cpp
 *     Recursive-descent parser for the DDL statements synchdb replicates.
 *
 * NOTES
 *   Expressions (DEFAULT (...), GENERATED ALWAYS AS (...), CHECK (...))
 *   are not parsed: the balanced parenthesis is copied out as written.
 *   Clauses that matter nothing to the replica (index options, partitioning)
 *   are skipped token by token, balancing parentheses, so that no input can
 *   make the parser loop: every step consumes a token or stops.
 */
#include "core/sources/mysql/ddl/parser.hpp"
#include "core/strings.hpp"

#include <cctype>

#include "core/sources/mysql/ddl/lexer.hpp"
#include "core/error.hpp"

namespace synchdb::ddl {

const char *StatementKindName(StatementKind kind)
{
	switch (kind) {
	case StatementKind::CreateTable: return "CreateTable";
	case StatementKind::AlterTable: return "AlterTable";
	case StatementKind::DropTable: return "DropTable";
	case StatementKind::RenameTable: return "RenameTable";
	case StatementKind::TruncateTable: return "TruncateTable";
	case StatementKind::CreateDatabase: return "CreateDatabase";
	case StatementKind::DropDatabase: return "DropDatabase";
	case StatementKind::NoOp: return "NoOp";
	case StatementKind::NotUnderstood: return "NotUnderstood";
	}
	return "?";
}

const char *AlterKindName(AlterKind kind)
{
	switch (kind) {
	case AlterKind::AddColumn: return "AddColumn";
	case AlterKind::DropColumn: return "DropColumn";
	case AlterKind::ModifyColumn: return "ModifyColumn";
	case AlterKind::ChangeColumn: return "ChangeColumn";
	case AlterKind::RenameColumn: return "RenameColumn";
	case AlterKind::SetDefault: return "SetDefault";
	case AlterKind::DropDefault: return "DropDefault";
	case AlterKind::AddPrimaryKey: return "AddPrimaryKey";
	case AlterKind::DropPrimaryKey: return "DropPrimaryKey";
	case AlterKind::RenameTable: return "RenameTable";
	case AlterKind::ConvertCharset: return "ConvertCharset";
	case AlterKind::AddIndex: return "AddIndex";
	case AlterKind::DropIndex: return "DropIndex";
	case AlterKind::TableOptions: return "TableOptions";
	case AlterKind::Other: return "Other";
	}
	return "?";
}

namespace {

std::string Upper(std::string_view s)
{
	std::string out(s);
	for (char &c : out)
		c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	return out;
}

/* 'x' in MariaDB's COLUMN_DEFAULT quoting: ' doubled, backslash escaped. */
std::string QuoteDefault(const std::string &s)
{
	std::string out = "'";
	for (char c : s) {
		switch (c) {
		case '\'': out += "''"; break;
		case '\\': out += "\\\\"; break;
		case '\0': out += "\\0"; break;
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		case '\x1a': out += "\\Z"; break;
		default: out += c; break;
		}
	}
	return out + "'";
}

std::string HexToBytes(const std::string &hex)
{
	std::string h = hex.size() % 2 ? "0" + hex : hex;
	std::string out;
	for (size_t i = 0; i + 1 < h.size(); i += 2)
		out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
	return out;
}

class Parser {
public:
	Parser(std::string_view sql, const std::string &db) : sql_(sql), db_(db), toks_(Lex(sql)) {}

	Statement ParseStatement();

private:
	std::string_view sql_;
	std::string db_;
	std::vector<Token> toks_;
	size_t p_ = 0;
	bool pending_multi_ = false; /* Action() parsed the first column of ADD (a ..., b ...) */

	const Token &Peek(size_t k = 0) const
	{
		size_t i = p_ + k;
		return i < toks_.size() ? toks_[i] : toks_.back();
	}
	const Token &Next()
	{
		const Token &t = Peek();
		if (p_ < toks_.size() - 1)
			p_++;
		return t;
	}
	bool AtEnd() const { return Peek().kind == TokenKind::End || IsSym(";"); }
	bool IsKw(const char *kw, size_t k = 0) const
	{
		const Token &t = Peek(k);
		if (t.kind != TokenKind::Word)
			return false;
		const std::string &s = t.text;
		size_t i = 0;
		for (; kw[i]; i++)
			if (i >= s.size() || std::toupper(static_cast<unsigned char>(s[i])) != kw[i])
				return false;
		return i == s.size();
	}
	bool IsSym(const char *s, size_t k = 0) const
	{
		const Token &t = Peek(k);
		return t.kind == TokenKind::Symbol && t.text == s;
	}
	bool AcceptKw(const char *kw)
	{
		if (!IsKw(kw))
			return false;
		Next();
		return true;
	}
	bool AcceptSym(const char *s)
	{
		if (!IsSym(s))
			return false;
		Next();
		return true;
	}
	[[noreturn]] void Fail(const std::string &expected) const
	{
		throw Error(kSyntaxErrorState, "syntax error in DDL statement: expected " + expected + " " +
											  Fragment(sql_, Peek().pos),
					"Statement: " + std::string(sql_.substr(0, 400)));
	}
	void ExpectKw(const char *kw)
	{
		if (!AcceptKw(kw))
			Fail(kw);
	}
	void ExpectSym(const char *s)
	{
		if (!AcceptSym(s))
			Fail(Quoted(s));
	}
	bool AcceptIfExists()
	{
		if (IsKw("IF") && IsKw("EXISTS", 1)) {
			Next(), Next();
			return true;
		}
		return false;
	}
	bool AcceptIfNotExists()
	{
		if (IsKw("IF") && IsKw("NOT", 1) && IsKw("EXISTS", 2)) {
			Next(), Next(), Next();
			return true;
		}
		return false;
	}

	std::string Ident(const char *what = "an identifier")
	{
		const Token &t = Peek();
		if (t.kind == TokenKind::Word || t.kind == TokenKind::QuotedIdent ||
			(t.kind == TokenKind::String && t.double_quoted))
			return Next().text;
		Fail(what);
	}
	bool IsIdent(size_t k = 0) const
	{
		const Token &t = Peek(k);
		return t.kind == TokenKind::Word || t.kind == TokenKind::QuotedIdent;
	}
	QualifiedName TableName()
	{
		QualifiedName q;
		std::string first = Ident("a table name");
		if (IsSym(".")) {
			Next();
			q.db = first;
			q.name = Ident("a table name");
		} else {
			q.db = db_;
			q.name = first;
		}
		if (q.db.empty())
			throw Error(kSyntaxErrorState,
						"table " + Quoted(q.name) + " has no database: the statement names none and the event has no current database",
						"Statement: " + std::string(sql_.substr(0, 400)));
		return q;
	}
	/* A string literal, adjacent literals concatenated. */
	std::string StringLit(const char *what = "a string")
	{
		if (Peek().kind == TokenKind::Word && Peek().text[0] == '_' && Peek(1).kind == TokenKind::String)
			Next();
		if (Peek().kind != TokenKind::String)
			Fail(what);
		std::string s = Next().text;
		while (Peek().kind == TokenKind::String)
			s += Next().text;
		return s;
	}
	/* Text of tokens [from, p_) as written. */
	std::string TextFrom(size_t from) const
	{
		if (from >= p_)
			return {};
		return std::string(sql_.substr(toks_[from].pos, toks_[p_ - 1].end - toks_[from].pos));
	}
	/* After "(": skip to the matching ")" and consume it; the text inside as written. */
	std::string BalancedInside()
	{
		size_t start = Peek().pos;
		int depth = 1;
		for (;;) {
			const Token &t = Peek();
			if (t.kind == TokenKind::End)
				Fail("\")\"");
			if (t.kind == TokenKind::Symbol && t.text == "(")
				depth++;
			else if (t.kind == TokenKind::Symbol && t.text == ")" && --depth == 0) {
				std::string s(sql_.substr(start, t.pos - start));
				Next();
				while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
					s.pop_back();
				return s;
			}
			Next();
		}
	}
	/* Skip tokens up to a top-level "," or ")" or the end (not consumed). */
	void SkipToCommaOrClose()
	{
		while (!AtEnd() && !IsSym(",") && !IsSym(")")) {
			if (AcceptSym("("))
				BalancedInside();
			else
				Next();
		}
	}
	void SkipRest()
	{
		while (!AtEnd()) {
			if (AcceptSym("("))
				BalancedInside();
			else if (IsSym(")"))
				Fail("end of statement");
			else
				Next();
		}
	}
	void ExpectEnd()
	{
		AcceptSym(";");
		if (Peek().kind != TokenKind::End)
			Fail("end of statement");
	}
	long Integer(const char *what = "a number")
	{
		if (Peek().kind != TokenKind::Number)
			Fail(what);
		const std::string &s = Peek().text;
		for (char c : s)
			if (!std::isdigit(static_cast<unsigned char>(c)))
				Fail(what);
		if (s.size() > 12)
			Fail("a smaller number");
		return std::stol(Next().text);
	}
	std::string CharsetName()
	{
		if (Peek().kind == TokenKind::String)
			return Lower(Next().text);
		return Lower(Ident("a character set name"));
	}

	ColumnType Type();
	ColumnDef Column();
	std::string DefaultValue();
	bool ColumnAttribute(ColumnDef &c);
	TableConstraint Constraint();
	bool IsConstraintStart() const;
	std::vector<KeyPart> KeyParts();
	std::vector<TableOption> TableOptions(bool in_alter);
	ColumnPosition Position();
	AlterAction Action();

	Statement Create();
	Statement CreateTableStmt(bool or_replace, bool temporary);
	Statement Alter();
	Statement Drop();
	Statement NoOp(std::string what)
	{
		Statement st;
		st.kind = StatementKind::NoOp;
		st.reason = std::move(what);
		return st;
	}
	Statement NotUnderstood(std::string why)
	{
		Statement st;
		st.kind = StatementKind::NotUnderstood;
		st.reason = std::move(why);
		return st;
	}
};

/* --------------------------------------------------------------- types */

ColumnType Parser::Type()
{
	ColumnType t;
	if (!IsIdent() || Peek().kind != TokenKind::Word)
		Fail("a data type");
	std::string w = Lower(Next().text);
	std::string written = w;
	auto more = [&](const char *kw) {
		if (AcceptKw(kw)) {
			written += " " + Lower(kw);
			return true;
		}
		return false;
	};
	std::string dt = w;
	if (w == "double") {
		more("PRECISION");
	} else if (w == "character" || w == "char") {
		dt = more("VARYING") ? "varchar" : "char";
	} else if (w == "national") {
		if (!more("CHAR") && !more("CHARACTER") && !more("VARCHAR"))
			Fail("CHAR or VARCHAR");
		dt = written.ends_with("varchar") || more("VARYING") ? "varchar" : "char";
		t.charset = "utf8mb3";
	} else if (w == "nchar") {
		dt = more("VARYING") || more("VARCHAR") ? "varchar" : "char";
		t.charset = "utf8mb3";
	} else if (w == "nvarchar") {
		dt = "varchar";
		t.charset = "utf8mb3";
	} else if (w == "long") {
		if (more("VARBINARY"))
			dt = "mediumblob";
		else {
			if (!more("VARCHAR") && more("CHAR"))
				more("VARYING");
			dt = "mediumtext";
		}
	}
	static const std::pair<const char *, const char *> kAliases[] = {
		{"integer", "int"},		  {"int4", "int"},	   {"int1", "tinyint"},	 {"int2", "smallint"},
		{"int3", "mediumint"},	  {"middleint", "mediumint"}, {"int8", "bigint"}, {"bool", "tinyint"},
		{"boolean", "tinyint"},	  {"dec", "decimal"},  {"numeric", "decimal"}, {"fixed", "decimal"},
		{"real", "double"},		  {"float4", "float"}, {"float8", "double"}, {"character", "char"},
		{"geomcollection", "geometrycollection"}, {"serial", "bigint"}};
	for (auto &[from, to] : kAliases)
		if (dt == from)
			dt = to;
	static const char *const kKnown[] = {
		"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double", "bit", "date", "datetime",
		"timestamp", "time", "year", "char", "varchar", "binary", "varbinary", "tinytext", "text", "mediumtext",
		"longtext", "tinyblob", "blob", "mediumblob", "longblob", "enum", "set", "json", "geometry", "point",
		"linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "uuid",
		"inet4", "inet6", "vector", "xmltype"};
	bool known = false;
	for (const char *k : kKnown)
		known = known || dt == k;
	if (!known) {
		p_--;
		Fail("a data type");
	}
	if (w == "bool" || w == "boolean")
		t.length = 1;
	if (w == "serial") {
		t.is_unsigned = true;
	}

	if (AcceptSym("(")) {
		if (dt == "enum" || dt == "set") {
			do {
				t.values.push_back(StringLit("an ENUM/SET value"));
			} while (AcceptSym(","));
		} else {
			long a = Integer();
			long b = -1;
			if (AcceptSym(","))
				b = Integer();
			if (dt == "decimal" || dt == "float" || dt == "double") {
				t.precision = static_cast<int>(a);
				t.scale = static_cast<int>(b);
			} else if (dt == "time" || dt == "datetime" || dt == "timestamp") {
				t.fsp = static_cast<int>(a);
			} else {
				t.length = a;
			}
		}
		ExpectSym(")");
	}
	/* FLOAT(p): p > 24 is DOUBLE. */
	if (dt == "float" && t.precision >= 0 && t.scale < 0) {
		if (t.precision > 24)
			dt = "double";
		t.precision = -1;
	}
	/* Type modifiers. */
	for (;;) {
		if (AcceptKw("UNSIGNED"))
			t.is_unsigned = true;
		else if (AcceptKw("SIGNED"))
			;
		else if (AcceptKw("ZEROFILL"))
			t.zerofill = t.is_unsigned = true;
		else if (AcceptKw("BINARY"))
			t.binary = true;
		else if (AcceptKw("ASCII"))
			t.charset = "latin1";
		else if (AcceptKw("UNICODE"))
			t.charset = "ucs2";
		else if (AcceptKw("BYTE"))
			t.charset = "binary";
		else if (AcceptKw("CHARSET"))
			t.charset = CharsetName();
		else if ((IsKw("CHARACTER") || IsKw("CHAR")) && IsKw("SET", 1)) {
			Next(), Next();
			t.charset = CharsetName();
		} else if (AcceptKw("COLLATE"))
			t.collation = CharsetName();
		else
			break;
	}
	/* CHARACTER SET binary makes binary strings. */
	if (t.charset == "binary") {
		static const std::pair<const char *, const char *> kBin[] = {
			{"char", "binary"}, {"varchar", "varbinary"}, {"tinytext", "tinyblob"}, {"text", "blob"},
			{"mediumtext", "mediumblob"}, {"longtext", "longblob"}};
		for (auto &[from, to] : kBin)
			if (dt == from) {
				dt = to;
				t.charset.clear();
				break;
			}
	}
	/* TEXT(n)/BLOB(n): the smallest type that holds n bytes. */
	if ((dt == "text" || dt == "blob") && t.length >= 0) {
		const bool txt = dt == "text";
		if (t.length < 256)
			dt = txt ? "tinytext" : "tinyblob";
		else if (t.length >= 65536 && t.length < 16777216)
			dt = txt ? "mediumtext" : "mediumblob";
		else if (t.length >= 16777216)
			dt = txt ? "longtext" : "longblob";
		t.length = -1;
	}
	t.data_type = dt;
	t.written = written;
	return t;
}

/* --------------------------------------------------------------- columns */

std::string Parser::DefaultValue()
{
	const Token &t = Peek();
	if (t.kind == TokenKind::Symbol && (t.text == "-" || t.text == "+")) {
		std::string sign = Next().text == "-" ? "-" : "";
		if (Peek().kind != TokenKind::Number)
			Fail("a number");
		return sign + Next().text;
	}
	switch (t.kind) {
	case TokenKind::Number: return Next().text;
	case TokenKind::String: return QuoteDefault(StringLit());
	case TokenKind::Hex: return QuoteDefault(HexToBytes(Next().text));
	case TokenKind::Bits: return "b'" + Next().text + "'";
	case TokenKind::Symbol:
		if (t.text == "(") {
			Next();
			size_t save = p_;
			try {
				std::string v = DefaultValue();
				if (AcceptSym(")"))
					return v;
			} catch (const Error &) {
			}
			p_ = save;
			return BalancedInside();
		}
		break;
	case TokenKind::Word: {
		std::string w = Lower(t.text);
		if (w[0] == '_' && (Peek(1).kind == TokenKind::String || Peek(1).kind == TokenKind::Hex)) {
			Next();
			return DefaultValue();
		}
		Next();
		if (w == "null")
			return "NULL";
		if (w == "true")
			return "1";
		if (w == "false")
			return "0";
		static const std::pair<const char *, const char *> kNow[] = {
			{"current_timestamp", "current_timestamp"}, {"now", "current_timestamp"},
			{"localtime", "current_timestamp"},			{"localtimestamp", "current_timestamp"},
			{"current_date", "curdate"},				{"curdate", "curdate"},
			{"current_time", "curtime"},				{"curtime", "curtime"},
			{"utc_timestamp", "utc_timestamp"},			{"sysdate", "sysdate"}};
		for (auto &[from, to] : kNow)
			if (w == from) {
				std::string arg;
				if (AcceptSym("(")) {
					if (Peek().kind == TokenKind::Number)
						arg = std::to_string(Integer());
					ExpectSym(")");
				}
				return std::string(to) + "(" + arg + ")";
			}
		if (AcceptSym("(")) { /* other function call: as written, name lower case */
			std::string inside = BalancedInside();
			return w + "(" + inside + ")";
		}
		if (w == "nextval" || w == "uuid")
			return w + "()";
		p_--;
		Fail("a default value");
	}
	default: break;
	}
	Fail("a default value");
}

bool Parser::ColumnAttribute(ColumnDef &c)
{
	if (AcceptKw("NULL"))
		c.nullable = true;
	else if (IsKw("NOT") && IsKw("NULL", 1)) {
		Next(), Next();
		c.nullable = false;
	} else if (AcceptKw("DEFAULT"))
		c.default_value = DefaultValue();
	else if (IsKw("ON") && IsKw("UPDATE", 1)) {
		Next(), Next();
		c.on_update = DefaultValue();
	} else if (AcceptKw("AUTO_INCREMENT"))
		c.auto_increment = true;
	else if (IsKw("PRIMARY") && IsKw("KEY", 1)) {
		Next(), Next();
		c.primary_key = true;
	} else if (AcceptKw("KEY"))
		c.primary_key = true;
	else if (AcceptKw("UNIQUE")) {
		AcceptKw("KEY");
		c.unique = true;
	} else if (AcceptKw("COMMENT"))
		c.comment = StringLit();
	else if (AcceptKw("INVISIBLE"))
		c.invisible = true;
	else if (AcceptKw("VISIBLE"))
		c.invisible = false;
	else if (AcceptKw("COLLATE"))
		c.type.collation = CharsetName();
	else if (AcceptKw("CHARSET"))
		c.type.charset = CharsetName();
	else if ((IsKw("CHARACTER") || IsKw("CHAR")) && IsKw("SET", 1)) {
		Next(), Next();
		c.type.charset = CharsetName();
	} else if (IsKw("GENERATED") || IsKw("AS")) {
		if (AcceptKw("GENERATED"))
			ExpectKw("ALWAYS");
		ExpectKw("AS");
		ExpectSym("(");
		c.generated_expr = BalancedInside();
		if (AcceptKw("STORED") || AcceptKw("PERSISTENT"))
			c.generated_stored = true;
		else
			AcceptKw("VIRTUAL");
	} else if (IsKw("CONSTRAINT") || IsKw("CHECK")) {
		if (AcceptKw("CONSTRAINT") && !IsKw("CHECK"))
			Ident();
		ExpectKw("CHECK");
		ExpectSym("(");
		c.checks.push_back(BalancedInside());
		if (IsKw("NOT") && IsKw("ENFORCED", 1))
			Next(), Next();
		AcceptKw("ENFORCED");
	} else if (AcceptKw("REFERENCES")) {
		TableName();
		if (AcceptSym("("))
			BalancedInside();
		while (AcceptKw("MATCH") || AcceptKw("ON") || AcceptKw("DELETE") || AcceptKw("UPDATE") ||
			   AcceptKw("CASCADE") || AcceptKw("RESTRICT") || AcceptKw("SET") || AcceptKw("NO") || AcceptKw("ACTION") ||
			   AcceptKw("FULL") || AcceptKw("PARTIAL") || AcceptKw("SIMPLE") || AcceptKw("DEFAULT"))
			;
	} else if (AcceptKw("COLUMN_FORMAT") || AcceptKw("STORAGE")) {
		Ident();
	} else if (AcceptKw("SRID"))
		c.type.srid = std::to_string(Integer());
	else if (AcceptKw("ENGINE_ATTRIBUTE") || AcceptKw("SECONDARY_ENGINE_ATTRIBUTE")) {
		AcceptSym("=");
		StringLit();
	} else if ((IsKw("WITH") || IsKw("WITHOUT")) && IsKw("SYSTEM", 1)) {
		Next(), Next();
		ExpectKw("VERSIONING");
	} else if (AcceptKw("COMPRESSED")) {
		if (AcceptSym("="))
			Ident();
	} else if (AcceptKw("SERIAL")) {
		ExpectKw("DEFAULT");
		ExpectKw("VALUE");
		c.nullable = false;
		c.auto_increment = true;
		c.unique = true;
	} else
		return false;
	return true;
}

ColumnDef Parser::Column()
{
	ColumnDef c;
	c.name = Ident("a column name");
	const size_t type_tok = p_;
	c.type = Type();
	if (Lower(toks_[type_tok].text) == "serial") {
		c.nullable = false;
		c.auto_increment = true;
		c.unique = true;
	}
	while (ColumnAttribute(c))
		;
	return c;
}

/* --------------------------------------------------------------- constraints */

bool Parser::IsConstraintStart() const
{
	return IsKw("CONSTRAINT") || IsKw("PRIMARY") || IsKw("UNIQUE") || IsKw("KEY") || IsKw("INDEX") ||
		   IsKw("FULLTEXT") || IsKw("SPATIAL") || (IsKw("FOREIGN") && IsKw("KEY", 1)) ||
		   (IsKw("CHECK") && IsSym("(", 1)) || (IsKw("PERIOD") && IsKw("FOR", 1));
}

std::vector<KeyPart> Parser::KeyParts()
{
	std::vector<KeyPart> parts;
	ExpectSym("(");
	do {
		KeyPart k;
		if (AcceptSym("("))
			k.expression = BalancedInside();
		else {
			k.column = Ident("a column name");
			if (AcceptSym("(")) {
				k.prefix = Integer();
				ExpectSym(")");
			}
		}
		if (AcceptKw("DESC"))
			k.descending = true;
		else
			AcceptKw("ASC");
		parts.push_back(std::move(k));
	} while (AcceptSym(","));
	ExpectSym(")");
	return parts;
}

TableConstraint Parser::Constraint()
{
	TableConstraint c;
	bool named = false;
	if (AcceptKw("CONSTRAINT")) {
		if (!IsKw("PRIMARY") && !IsKw("UNIQUE") && !IsKw("FOREIGN") && !IsKw("CHECK")) {
			c.name = Ident("a constraint name");
			named = true;
		}
	}
	auto index_name = [&]() {
		if (IsIdent() && !IsKw("USING") && !IsKw("TYPE")) {
			std::string n = Next().text;
			if (!named)
				c.name = n;
		}
	};
	if (IsKw("PRIMARY")) {
		Next();
		ExpectKw("KEY");
		c.kind = ConstraintKind::PrimaryKey;
		if (IsIdent() && !IsKw("USING"))
			Next(); /* a name is allowed and ignored */
	} else if (AcceptKw("UNIQUE")) {
		c.kind = ConstraintKind::Unique;
		if (!AcceptKw("KEY"))
			AcceptKw("INDEX");
		AcceptIfNotExists();
		if (!IsSym("("))
			index_name();
	} else if (IsKw("KEY") || IsKw("INDEX")) {
		Next();
		c.kind = ConstraintKind::Index;
		AcceptIfNotExists();
		if (!IsSym("("))
			index_name();
	} else if (IsKw("FULLTEXT") || IsKw("SPATIAL")) {
		c.kind = IsKw("FULLTEXT") ? ConstraintKind::Fulltext : ConstraintKind::Spatial;
		Next();
		if (!AcceptKw("KEY"))
			AcceptKw("INDEX");
		AcceptIfNotExists();
		if (!IsSym("("))
			index_name();
	} else if (IsKw("FOREIGN")) {
		Next();
		ExpectKw("KEY");
		c.kind = ConstraintKind::ForeignKey;
		AcceptIfNotExists();
		if (!IsSym("(")) {
			std::string n = Ident("an index name");
			if (!named)
				c.name = n;
		}
		c.parts = KeyParts();
		ExpectKw("REFERENCES");
		c.ref_table = TableName();
		if (IsSym("(")) {
			for (KeyPart &k : KeyParts())
				c.ref_columns.push_back(k.column);
		}
		for (;;) {
			if (AcceptKw("MATCH")) {
				Ident();
			} else if (AcceptKw("ON")) {
				bool del = AcceptKw("DELETE");
				if (!del)
					ExpectKw("UPDATE");
				std::string action;
				if (AcceptKw("CASCADE"))
					action = "CASCADE";
				else if (AcceptKw("RESTRICT"))
					action = "RESTRICT";
				else if (AcceptKw("SET")) {
					if (AcceptKw("NULL"))
						action = "SET NULL";
					else {
						ExpectKw("DEFAULT");
						action = "SET DEFAULT";
					}
				} else {
					ExpectKw("NO");
					ExpectKw("ACTION");
					action = "NO ACTION";
				}
				(del ? c.on_delete : c.on_update) = action;
			} else
				break;
		}
		return c;
	} else if (AcceptKw("CHECK")) {
		c.kind = ConstraintKind::Check;
		ExpectSym("(");
		c.check_expr = BalancedInside();
		if (IsKw("NOT") && IsKw("ENFORCED", 1))
			Next(), Next();
		AcceptKw("ENFORCED");
		return c;
	} else if (AcceptKw("PERIOD")) {
		ExpectKw("FOR");
		c.kind = ConstraintKind::Period;
		c.name = Ident();
		c.parts = KeyParts();
		return c;
	} else {
		Fail("PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK");
	}
	if (AcceptKw("USING") || AcceptKw("TYPE"))
		Ident();
	c.parts = KeyParts();
	SkipToCommaOrClose(); /* index options */
	return c;
}

/* --------------------------------------------------------------- table options */

std::vector<TableOption> Parser::TableOptions(bool in_alter)
{
	std::vector<TableOption> opts;
	for (;;) {
		if (!in_alter) /* in ALTER TABLE, commas separate actions */
			AcceptSym(",");
		if (AtEnd() || (in_alter && (IsKw("ALGORITHM") || IsKw("LOCK"))))
			break;
		if (IsKw("PARTITION") || IsKw("AS") || IsKw("SELECT") || IsKw("IGNORE") || IsKw("REPLACE") || IsSym("(") ||
			(in_alter && !IsKw("DEFAULT") && !IsKw("CHARACTER") && !IsKw("CHARSET") && !IsKw("COLLATE") &&
			 !IsKw("ENGINE") && !IsKw("AUTO_INCREMENT") && !IsKw("COMMENT") && !IsKw("ROW_FORMAT") &&
			 !(Peek().kind == TokenKind::Word && IsSym("=", 1))))
			break;
		TableOption o;
		AcceptKw("DEFAULT");
		if ((IsKw("CHARACTER") || IsKw("CHAR")) && IsKw("SET", 1)) {
			Next(), Next();
			o.name = "CHARSET";
		} else if ((IsKw("DATA") || IsKw("INDEX")) && IsKw("DIRECTORY", 1)) {
			o.name = Upper(Next().text) + " DIRECTORY";
			Next();
		} else if (IsKw("WITH") && IsKw("SYSTEM", 1)) {
			Next(), Next();
			ExpectKw("VERSIONING");
			o.name = "WITH SYSTEM VERSIONING";
			opts.push_back(o);
			continue;
		} else if (IsKw("START") && IsKw("TRANSACTION", 1)) {
			Next(), Next();
			continue;
		} else if (Peek().kind == TokenKind::Word) {
			o.name = Upper(Next().text);
		} else {
			Fail("a table option");
		}
		if (o.name == "CHARACTER")
			o.name = "CHARSET";
		AcceptSym("=");
		const Token &v = Peek();
		if (AcceptSym("("))
			o.value = BalancedInside();
		else if (v.kind == TokenKind::String)
			o.value = StringLit();
		else if (v.kind == TokenKind::Word || v.kind == TokenKind::QuotedIdent || v.kind == TokenKind::Number)
			o.value = Next().text;
		else
			Fail("a value for table option " + o.name);
		if (o.name == "CHARSET" || o.name == "COLLATE")
			o.value = Lower(o.value);
		opts.push_back(std::move(o));
	}
	return opts;
}

/* --------------------------------------------------------------- CREATE */

Statement Parser::CreateTableStmt(bool or_replace, bool temporary)
{
	Statement st;
	st.kind = StatementKind::CreateTable;
	CreateTable &ct = st.create;
	ct.or_replace = or_replace;
	ct.if_not_exists = AcceptIfNotExists();
	ct.table = TableName();
	auto like = [&]() {
		ct.like = TableName();
	};
	if (AcceptKw("LIKE")) {
		like();
	} else if (IsSym("(") && IsKw("LIKE", 1)) {
		Next(), Next();
		like();
		ExpectSym(")");
	} else {
		if (IsSym("(") && !IsKw("SELECT", 1) && !IsSym("(", 1)) {
			Next();
			do {
				if (IsConstraintStart())
					ct.constraints.push_back(Constraint());
				else
					ct.columns.push_back(Column());
				if (!IsSym(",") && !IsSym(")"))
					Fail("\",\" or \")\"");
			} while (AcceptSym(","));
			ExpectSym(")");
		}
		ct.options = TableOptions(false);
		if (AcceptKw("PARTITION")) {
			ct.partitioned = true;
			while (!AtEnd() && !IsKw("AS") && !IsKw("SELECT")) {
				if (AcceptSym("("))
					BalancedInside();
				else
					Next();
			}
		}
		AcceptKw("IGNORE") || AcceptKw("REPLACE");
		if (IsKw("AS") || IsKw("SELECT") || IsSym("(") || IsKw("WITH") || IsKw("TABLE") || IsKw("VALUES")) {
			if (temporary)
				return NoOp("CREATE TEMPORARY TABLE");
			throw Error(sqlstate::kFeatureNotSupported,
						"CREATE TABLE ... SELECT is not supported: table " + Quoted(ct.table.ToString()) +
							" would be created from a query " + Fragment(sql_, Peek().pos),
						"The new table's columns depend on the query's result, which the statement does not describe.",
						"Create the table with an explicit column list, then fill it with INSERT ... SELECT.");
		}
		if (ct.columns.empty() && !temporary)
			Fail("a column list");
	}
	ExpectEnd();
	if (temporary)
		return NoOp("CREATE TEMPORARY TABLE");
	return st;
}

Statement Parser::Create()
{
	bool or_replace = false;
	if (IsKw("OR") && IsKw("REPLACE", 1)) {
		Next(), Next();
		or_replace = true;
	}
	bool temporary = AcceptKw("TEMPORARY");
	if (AcceptKw("TABLE"))
		return CreateTableStmt(or_replace, temporary);
	if (AcceptKw("DATABASE") || AcceptKw("SCHEMA")) {
		Statement st;
		st.kind = StatementKind::CreateDatabase;
		st.database.if_exists = AcceptIfNotExists();
		st.database.name = Ident("a database name");
		st.database.options = TableOptions(false);
		ExpectEnd();
		return st;
	}
	/* CREATE [ALGORITHM=..] [DEFINER=..] [SQL SECURITY ..] [AGGREGATE] object */
	for (;;) {
		if (IsKw("ALGORITHM") || IsKw("DEFINER")) {
			Next();
			AcceptSym("=");
			if (IsKw("CURRENT_USER")) {
				Next();
				if (AcceptSym("("))
					ExpectSym(")");
			} else {
				Next();
				if (Peek().kind == TokenKind::Variable)
					Next();
			}
		} else if (IsKw("SQL") && IsKw("SECURITY", 1)) {
			Next(), Next(), Next();
		} else if (AcceptKw("AGGREGATE") || AcceptKw("ONLINE") || AcceptKw("OFFLINE") || AcceptKw("UNIQUE") ||
				   AcceptKw("FULLTEXT") || AcceptKw("SPATIAL")) {
		} else
			break;
	}
	static const char *const kObjects[] = {"VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "USER", "ROLE",
										   "INDEX", "SERVER", "SEQUENCE", "TABLESPACE", "LOGFILE", "RESOURCE",
										   "SPATIAL", "PACKAGE", "UNDO"};
	for (const char *o : kObjects)
		if (IsKw(o))
			return NoOp(std::string("CREATE ") + o);
	return NotUnderstood("CREATE " + Peek().text + " is not a DDL statement synchdb understands");
}

/* --------------------------------------------------------------- DROP */

Statement Parser::Drop()
{
	bool temporary = AcceptKw("TEMPORARY");
	if (AcceptKw("TABLE") || AcceptKw("TABLES")) {
		Statement st;
		st.kind = StatementKind::DropTable;
		st.drop.if_exists = AcceptIfExists();
		AcceptKw("TEMPORARY");
		do {
			st.drop.tables.push_back(TableName());
		} while (AcceptSym(","));
		if (AcceptKw("WAIT"))
			Integer();
		else
			AcceptKw("NOWAIT");
		if (!AcceptKw("RESTRICT"))
			AcceptKw("CASCADE");
		ExpectEnd();
		if (temporary)
			return NoOp("DROP TEMPORARY TABLE");
		return st;
	}
	if (AcceptKw("DATABASE") || AcceptKw("SCHEMA")) {
		Statement st;
		st.kind = StatementKind::DropDatabase;
		st.database.if_exists = AcceptIfExists();
		st.database.name = Ident("a database name");
		ExpectEnd();
		return st;
	}
	static const char *const kObjects[] = {"VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "USER", "ROLE",
										   "INDEX", "SERVER", "SEQUENCE", "TABLESPACE", "LOGFILE", "RESOURCE",
										   "SPATIAL", "PACKAGE", "UNDO"};
	for (const char *o : kObjects)
		if (IsKw(o))
			return NoOp(std::string("DROP ") + o);
	return NotUnderstood("DROP " + Peek().text + " is not a DDL statement synchdb understands");
}

/* --------------------------------------------------------------- ALTER */

ColumnPosition Parser::Position()
{
	ColumnPosition pos;
	if (AcceptKw("FIRST"))
		pos.kind = ColumnPosition::First;
	else if (AcceptKw("AFTER")) {
		pos.kind = ColumnPosition::After;
		pos.after = Ident("a column name");
	}
	return pos;
}

AlterAction Parser::Action()
{
	AlterAction a;
	const size_t start = p_;
	auto finish = [&]() -> AlterAction {
		a.text = TextFrom(start);
		return a;
	};
	if (AcceptKw("ADD")) {
		if (IsKw("PARTITION")) {
			a.kind = AlterKind::Other;
			SkipToCommaOrClose();
			return finish();
		}
		if (IsConstraintStart()) {
			a.constraint = Constraint();
			a.kind = a.constraint.kind == ConstraintKind::PrimaryKey ? AlterKind::AddPrimaryKey : AlterKind::AddIndex;
			return finish();
		}
		AcceptKw("COLUMN");
		a.if_exists = AcceptIfNotExists();
		a.kind = AlterKind::AddColumn;
		if (AcceptSym("(")) {
			/* ADD (a INT, b INT): one action per column, returned through the caller. */
			a.column = Column();
			a.text = TextFrom(start);
			pending_multi_ = true;
			return a;
		}
		a.column = Column();
		a.position = Position();
		return finish();
	}
	if (AcceptKw("DROP")) {
		if (IsKw("PRIMARY")) {
			Next();
			ExpectKw("KEY");
			a.kind = AlterKind::DropPrimaryKey;
			return finish();
		}
		if (IsKw("INDEX") || IsKw("KEY") || (IsKw("FOREIGN") && IsKw("KEY", 1)) || IsKw("CONSTRAINT") ||
			IsKw("CHECK") || IsKw("PERIOD")) {
			if (AcceptKw("FOREIGN") || AcceptKw("PERIOD"))
				Next(); /* KEY, FOR */
			else
				Next(); /* INDEX, KEY, CONSTRAINT, CHECK */
			a.kind = AlterKind::DropIndex;
			a.if_exists = AcceptIfExists();
			a.name = Ident("a name");
			return finish();
		}
		if (AcceptKw("PARTITION")) {
			a.kind = AlterKind::Other;
			a.data_loss = true;
			SkipToCommaOrClose();
			return finish();
		}
		if ((IsKw("SYSTEM") && IsKw("VERSIONING", 1))) {
			Next(), Next();
			a.kind = AlterKind::Other;
			return finish();
		}
		AcceptKw("COLUMN");
		a.kind = AlterKind::DropColumn;
		a.if_exists = AcceptIfExists();
		a.name = Ident("a column name");
		if (!AcceptKw("RESTRICT"))
			AcceptKw("CASCADE");
		return finish();
	}
	if (AcceptKw("MODIFY")) {
		AcceptKw("COLUMN");
		a.kind = AlterKind::ModifyColumn;
		a.if_exists = AcceptIfExists();
		a.column = Column();
		a.name = a.column.name;
		a.position = Position();
		return finish();
	}
	if (AcceptKw("CHANGE")) {
		AcceptKw("COLUMN");
		a.kind = AlterKind::ChangeColumn;
		a.if_exists = AcceptIfExists();
		a.name = Ident("a column name");
		a.column = Column();
		a.new_name = a.column.name;
		a.position = Position();
		return finish();
	}
	if (AcceptKw("RENAME")) {
		if (AcceptKw("COLUMN")) {
			a.kind = AlterKind::RenameColumn;
			a.if_exists = AcceptIfExists();
			a.name = Ident("a column name");
			ExpectKw("TO");
			a.new_name = Ident("a column name");
			return finish();
		}
		if (AcceptKw("INDEX") || AcceptKw("KEY")) {
			a.kind = AlterKind::Other;
			a.name = Ident();
			ExpectKw("TO");
			a.new_name = Ident();
			return finish();
		}
		if (!AcceptKw("TO"))
			AcceptKw("AS");
		a.kind = AlterKind::RenameTable;
		a.new_table = TableName();
		return finish();
	}
	if (AcceptKw("ALTER")) {
		if (AcceptKw("INDEX") || AcceptKw("KEY") || AcceptKw("CHECK") || AcceptKw("CONSTRAINT")) {
			a.kind = AlterKind::Other;
			SkipToCommaOrClose();
			return finish();
		}
		AcceptKw("COLUMN");
		a.if_exists = AcceptIfExists();
		a.name = Ident("a column name");
		if (AcceptKw("SET")) {
			if (AcceptKw("DEFAULT")) {
				a.kind = AlterKind::SetDefault;
				a.default_value = DefaultValue();
			} else if (AcceptKw("VISIBLE") || AcceptKw("INVISIBLE")) {
				a.kind = AlterKind::Other;
			} else
				Fail("DEFAULT, VISIBLE or INVISIBLE");
		} else if (AcceptKw("DROP")) {
			ExpectKw("DEFAULT");
			a.kind = AlterKind::DropDefault;
		} else
			Fail("SET DEFAULT or DROP DEFAULT");
		return finish();
	}
	if (AcceptKw("CONVERT")) {
		ExpectKw("TO");
		if (!AcceptKw("CHARSET")) {
			if (!AcceptKw("CHARACTER"))
				ExpectKw("CHAR");
			ExpectKw("SET");
		}
		a.kind = AlterKind::ConvertCharset;
		a.charset = CharsetName();
		if (AcceptKw("COLLATE"))
			a.collation = CharsetName();
		return finish();
	}
	if (IsKw("ALGORITHM") || IsKw("LOCK")) {
		Next();
		AcceptSym("=");
		Ident("a value");
		a.kind = AlterKind::Other;
		return finish();
	}
	static const char *const kOther[] = {"FORCE", "ENABLE", "DISABLE", "DISCARD", "IMPORT", "ORDER", "WITH",
										 "WITHOUT", "TRUNCATE", "EXCHANGE", "COALESCE", "REORGANIZE", "ANALYZE",
										 "CHECK", "OPTIMIZE", "REBUILD", "REPAIR", "REMOVE", "PARTITION", "UPGRADE",
										 "SECONDARY_LOAD", "SECONDARY_UNLOAD"};
	for (const char *o : kOther)
		if (IsKw(o)) {
			a.kind = AlterKind::Other;
			a.data_loss = IsKw("TRUNCATE") || IsKw("EXCHANGE");
			Next();
			SkipToCommaOrClose();
			return finish();
		}
	a.options = TableOptions(true);
	if (a.options.empty())
		Fail("an ALTER TABLE action");
	a.kind = AlterKind::TableOptions;
	for (const TableOption &o : a.options)
		if (o.name == "CHARSET" && a.charset.empty())
			a.charset = o.value;
	return finish();
}

Statement Parser::Alter()
{
	AcceptKw("ONLINE") || AcceptKw("OFFLINE");
	AcceptKw("IGNORE");
	if (!AcceptKw("TABLE")) {
		static const char *const kObjects[] = {"VIEW", "EVENT", "FUNCTION", "PROCEDURE", "USER", "DATABASE",
											   "SCHEMA", "SERVER", "TABLESPACE", "INSTANCE", "LOGFILE", "RESOURCE",
											   "SEQUENCE", "ROLE", "UNDO", "ALGORITHM", "DEFINER", "SQL", "PACKAGE"};
		for (const char *o : kObjects)
			if (IsKw(o))
				return NoOp(std::string("ALTER ") + (IsKw("ALGORITHM") || IsKw("DEFINER") || IsKw("SQL") ? "VIEW" : o));
		return NotUnderstood("ALTER " + Peek().text + " is not a DDL statement synchdb understands");
	}
	Statement st;
	st.kind = StatementKind::AlterTable;
	st.alter.if_exists = AcceptIfExists();
	st.alter.table = TableName();
	if (AcceptKw("WAIT"))
		Integer();
	else
		AcceptKw("NOWAIT");
	while (!AtEnd()) {
		AlterAction a = Action();
		if (pending_multi_) {
			pending_multi_ = false;
			st.alter.actions.push_back(a);
			while (AcceptSym(",")) {
				AlterAction more;
				more.kind = AlterKind::AddColumn;
				more.if_exists = a.if_exists;
				more.column = Column();
				more.text = a.text;
				st.alter.actions.push_back(std::move(more));
			}
			ExpectSym(")");
		} else {
			st.alter.actions.push_back(std::move(a));
		}
		if (AtEnd())
			break;
		if (!AcceptSym(",") && !IsKw("PARTITION"))
			Fail("\",\" or end of statement");
	}
	ExpectEnd();
	return st;
}

/* --------------------------------------------------------------- statements */

Statement Parser::ParseStatement()
{
	while (AcceptSym(";"))
		;
	if (Peek().kind == TokenKind::End)
		return NotUnderstood("empty statement");
	if (Peek().kind != TokenKind::Word)
		return NotUnderstood("not a statement: " + Fragment(sql_, Peek().pos));
	const std::string first = Upper(Peek().text);
	if (first == "CREATE") {
		Next();
		return Create();
	}
	if (first == "ALTER") {
		Next();
		return Alter();
	}
	if (first == "DROP") {
		Next();
		return Drop();
	}
	if (first == "RENAME") {
		Next();
		if (!AcceptKw("TABLE") && !AcceptKw("TABLES")) {
			if (IsKw("USER"))
				return NoOp("RENAME USER");
			return NotUnderstood("RENAME " + Peek().text + " is not a DDL statement synchdb understands");
		}
		Statement st;
		st.kind = StatementKind::RenameTable;
		AcceptIfExists();
		do {
			QualifiedName from = TableName();
			if (AcceptKw("WAIT"))
				Integer();
			else
				AcceptKw("NOWAIT");
			ExpectKw("TO");
			st.rename.renames.emplace_back(from, TableName());
		} while (AcceptSym(","));
		ExpectEnd();
		return st;
	}
	if (first == "TRUNCATE") {
		Next();
		AcceptKw("TABLE");
		Statement st;
		st.kind = StatementKind::TruncateTable;
		st.truncate = TableName();
		if (AcceptKw("WAIT"))
			Integer();
		else
			AcceptKw("NOWAIT");
		ExpectEnd();
		return st;
	}
	static const char *const kNoOps[] = {"GRANT", "REVOKE", "SET", "FLUSH", "ANALYZE", "OPTIMIZE", "CHECK",
										 "REPAIR", "CHECKSUM", "INSTALL", "UNINSTALL", "RESET", "PURGE", "BEGIN",
										 "COMMIT", "ROLLBACK", "START", "SAVEPOINT", "RELEASE", "XA", "USE", "DO",
										 "LOCK", "UNLOCK", "KILL", "CACHE", "BINLOG", "SHUTDOWN", "HANDLER",
										 "DEALLOCATE", "PREPARE", "EXECUTE", "STOP", "CHANGE", "SHOW", "HELP"};
	for (const char *o : kNoOps)
		if (first == o)
			return NoOp(first == "START" || first == "STOP" || first == "CHANGE" || first == "SET" ? first + " " + Upper(Peek(1).text) : first);
	static const char *const kDml[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD", "CALL", "SELECT", "WITH"};
	for (const char *o : kDml)
		if (first == o)
			return NotUnderstood(first + " is a data statement logged as a statement; synchdb needs binlog_format=ROW");
	return NotUnderstood(first + " is not a DDL statement synchdb understands");
}

}  // namespace

Statement Parse(std::string_view sql, const std::string &current_db)
{
	Parser p(sql, current_db);
	return p.ParseStatement();
}

}  // namespace synchdb::ddl
