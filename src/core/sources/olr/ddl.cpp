/*
 * ddl.cpp
 *     Oracle DDL texts to table changes; see ddl.hpp.
 */
#include "core/sources/olr/ddl.hpp"

#include <cctype>
#include <optional>

#include "core/strings.hpp"

namespace synchdb::olr {

namespace {

struct Tok {
	enum class T { End, Word, Quoted, Number, String, Punct } t = T::End;
	std::string text; /* Word: upper case; Punct: the character */
};

std::vector<Tok> Lex(std::string_view s)
{
	std::vector<Tok> out;
	size_t i = 0;
	while (i < s.size()) {
		const unsigned char c = static_cast<unsigned char>(s[i]);
		if (std::isspace(c)) {
			i++;
			continue;
		}
		if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
			while (i < s.size() && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
			size_t e = s.find("*/", i + 2);
			i = e == std::string_view::npos ? s.size() : e + 2;
			continue;
		}
		Tok t;
		if (c == '"') {
			size_t e = s.find('"', i + 1);
			if (e == std::string_view::npos)
				e = s.size();
			t.t = Tok::T::Quoted;
			t.text = std::string(s.substr(i + 1, e - i - 1));
			i = e + 1;
		} else if (c == '\'') {
			size_t j = i + 1;
			std::string v;
			while (j < s.size()) {
				if (s[j] == '\'' && j + 1 < s.size() && s[j + 1] == '\'') {
					v += '\'';
					j += 2;
				} else if (s[j] == '\'')
					break;
				else
					v += s[j++];
			}
			t.t = Tok::T::String;
			t.text = v;
			i = j + 1;
		} else if (std::isalpha(c) || c == '_' || c >= 0x80) {
			size_t j = i;
			while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '$' ||
			                        s[j] == '#' || static_cast<unsigned char>(s[j]) >= 0x80))
				j++;
			t.t = Tok::T::Word;
			for (size_t k = i; k < j; k++)
				t.text += static_cast<char>(std::toupper(static_cast<unsigned char>(s[k])));
			i = j;
		} else if (std::isdigit(c)) {
			size_t j = i;
			while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.'))
				j++;
			t.t = Tok::T::Number;
			t.text = std::string(s.substr(i, j - i));
			i = j;
		} else {
			t.t = Tok::T::Punct;
			t.text = std::string(1, static_cast<char>(c));
			i++;
		}
		out.push_back(std::move(t));
	}
	return out;
}

class Parser {
public:
	explicit Parser(std::vector<Tok> t) : t_(std::move(t)) {}

	const Tok &Peek(size_t k = 0) const
	{
		static const Tok end;
		return pos_ + k < t_.size() ? t_[pos_ + k] : end;
	}
	bool AtEnd() const { return pos_ >= t_.size() || (Peek().t == Tok::T::Punct && Peek().text == ";"); }
	bool Is(const char *word, size_t k = 0) const { return Peek(k).t == Tok::T::Word && Peek(k).text == word; }
	bool IsP(char p, size_t k = 0) const
	{
		return Peek(k).t == Tok::T::Punct && Peek(k).text.size() == 1 && Peek(k).text[0] == p;
	}
	bool Accept(const char *word)
	{
		if (!Is(word))
			return false;
		pos_++;
		return true;
	}
	bool AcceptP(char p)
	{
		if (!IsP(p))
			return false;
		pos_++;
		return true;
	}
	/* An identifier (word or quoted); "" when none. */
	std::string Name()
	{
		const Tok &t = Peek();
		if (t.t == Tok::T::Word || t.t == Tok::T::Quoted) {
			pos_++;
			return t.text;
		}
		return {};
	}
	/* [owner.]name */
	bool QualifiedName(std::string &owner, std::string &name)
	{
		std::string a = Name();
		if (a.empty())
			return false;
		if (AcceptP('.')) {
			owner = a;
			name = Name();
			return !name.empty();
		}
		owner.clear();
		name = a;
		return true;
	}
	std::optional<int64_t> Int()
	{
		if (Peek().t != Tok::T::Number)
			return std::nullopt;
		try {
			return std::stoll(t_[pos_++].text);
		} catch (...) {
			return std::nullopt;
		}
	}
	/* Skip to the next ',' or ')' at depth 0 (not consumed); a DEFAULT expression also ends at a constraint keyword. */
	void SkipItem(bool default_expr = false)
	{
		int depth = 0;
		while (!AtEnd()) {
			if (default_expr && depth == 0 &&
			    (Is("NOT") || Is("NULL") || Is("CONSTRAINT") || Is("PRIMARY") || Is("UNIQUE") || Is("CHECK") ||
			     Is("REFERENCES") || Is("ENABLE") || Is("DISABLE")))
				return;
			if (IsP('('))
				depth++;
			else if (IsP(')')) {
				if (depth == 0)
					return;
				depth--;
			} else if (IsP(',') && depth == 0)
				return;
			pos_++;
		}
	}

	/*
	 * A column: name type constraints.  type_required false (MODIFY): the
	 * type may be left out.  Returns false when it cannot be read.
	 */
	bool Column(OlrColumn &c, bool &type_known, bool &null_given, bool &inline_pk, bool type_required)
	{
		type_known = null_given = inline_pk = false;
		c.name = Name();
		if (c.name.empty())
			return false;
		if (Peek().t == Tok::T::Word && !IsConstraintWord()) {
			if (!Type(c.type))
				return false;
			type_known = true;
		} else if (type_required)
			return false;
		while (!AtEnd() && !IsP(',') && !IsP(')')) {
			if (Accept("DEFAULT")) {
				if (Accept("ON"))
					Accept("NULL");
				SkipItem(true);
			} else if (Accept("NOT")) {
				if (!Accept("NULL"))
					return false;
				c.nullable = false;
				null_given = true;
			} else if (Accept("NULL")) {
				c.nullable = true;
				null_given = true;
			} else if (Accept("PRIMARY")) {
				Accept("KEY");
				inline_pk = true;
			} else if (Accept("CONSTRAINT")) {
				Name();
			} else if (IsP('(')) {
				SkipParens();
			} else
				pos_++; /* UNIQUE, CHECK, REFERENCES x, ENABLE, VISIBLE, ... */
		}
		return true;
	}
	bool IsConstraintWord() const
	{
		return Is("DEFAULT") || Is("NOT") || Is("NULL") || Is("CONSTRAINT") || Is("PRIMARY") || Is("UNIQUE") ||
		       Is("CHECK") || Is("REFERENCES");
	}
	void SkipParens()
	{
		int depth = 0;
		while (!AtEnd()) {
			if (IsP('('))
				depth++;
			else if (IsP(')') && --depth == 0) {
				pos_++;
				return;
			}
			pos_++;
		}
	}
	/* (a) or (a, b): sizes; BYTE/CHAR ignored. */
	bool Sizes(int64_t &a, int64_t &b)
	{
		a = b = -1;
		if (!AcceptP('('))
			return true;
		if (AcceptP('*'))
			a = -1;
		else if (auto n = Int())
			a = *n;
		else
			return false;
		if (AcceptP(',')) {
			bool neg = AcceptP('-');
			auto n = Int();
			if (!n)
				return false;
			b = neg ? -*n : *n;
		}
		if (!Accept("BYTE"))
			Accept("CHAR");
		return AcceptP(')');
	}
	bool Type(OraColumnType &out)
	{
		std::string w = Name();
		int64_t a = -1, b = -1;
		std::string name;
		if (w == "TIMESTAMP") {
			if (!Sizes(a, b))
				return false;
			name = "timestamp";
			if (Accept("WITH")) {
				if (Accept("LOCAL"))
					name += " with local";
				else
					name += " with";
				if (!Accept("TIME") || !Accept("ZONE"))
					return false;
				name += " time zone";
			}
			out = TypeFromName(name, -1, -1, static_cast<int>(a < 0 ? 6 : a));
			return out.type != OraType::Unknown;
		}
		if (w == "INTERVAL") {
			if (Accept("YEAR")) {
				int64_t p, q;
				if (!Sizes(p, q) || !Accept("TO") || !Accept("MONTH"))
					return false;
				out = TypeFromName("interval year to month", -1, static_cast<int>(p), -1);
			} else if (Accept("DAY")) {
				int64_t p, q;
				if (!Sizes(p, q) || !Accept("TO") || !Accept("SECOND") || !Sizes(a, b))
					return false;
				out = TypeFromName("interval day to second", -1, static_cast<int>(p), static_cast<int>(a < 0 ? 6 : a));
			} else
				return false;
			return out.type != OraType::Unknown;
		}
		if (w == "LONG" && Accept("RAW"))
			w = "LONG RAW";
		if (w == "DOUBLE" && Accept("PRECISION")) {
			out = TypeFromName("float", -1, 126, -1);
			return true;
		}
		if (w == "CHARACTER" && Accept("VARYING"))
			w = "VARCHAR2";
		if (w == "NATIONAL") {
			if (!Accept("CHARACTER"))
				Accept("CHAR");
			w = Accept("VARYING") ? "NVARCHAR2" : "NCHAR";
		}
		if (!Sizes(a, b))
			return false;
		const std::string lw = Lower(w);
		if (lw == "integer" || lw == "int" || lw == "smallint") {
			out = TypeFromName("number", -1, -1, 0);
			return true;
		}
		if (lw == "number" || lw == "numeric" || lw == "decimal" || lw == "dec") {
			out = TypeFromName("number", -1, static_cast<int>(a), static_cast<int>(b < 0 && a > 0 ? 0 : b));
			return true;
		}
		if (lw == "float") {
			out = TypeFromName("float", -1, static_cast<int>(a < 0 ? 126 : a), -1);
			return true;
		}
		if (lw == "real") {
			out = TypeFromName("float", -1, 63, -1);
			return true;
		}
		out = TypeFromName(lw, a, static_cast<int>(a), -1);
		if (out.type == OraType::Unknown)
			return false;
		return true;
	}

	size_t pos_ = 0;

private:
	std::vector<Tok> t_;
};

OraDdl Other(std::string why)
{
	OraDdl d;
	d.why = std::move(why);
	return d;
}

/* "(a, b, ...)" of names. */
bool NameList(Parser &p, std::vector<std::string> &out)
{
	if (!p.AcceptP('('))
		return false;
	do {
		std::string n = p.Name();
		if (n.empty())
			return false;
		out.push_back(n);
	} while (p.AcceptP(','));
	return p.AcceptP(')');
}

/* ADD / MODIFY: "(col, ...)" or one column. */
bool Columns(Parser &p, OraDdl &d, bool modify)
{
	const bool list = p.AcceptP('(');
	do {
		OlrColumn c;
		bool known, null_given, pk;
		if (!p.Column(c, known, null_given, pk, !modify))
			return false;
		d.columns.push_back(std::move(c));
		d.type_known.push_back(known);
		d.null_given.push_back(null_given);
	} while (list && p.AcceptP(','));
	return !list || p.AcceptP(')');
}

}  // namespace

OraDdl ParseOracleDdl(std::string_view sql)
{
	Parser p(Lex(sql));
	OraDdl d;
	if (p.Accept("TRUNCATE")) {
		if (!p.Accept("TABLE") || !p.QualifiedName(d.owner, d.table))
			return Other("TRUNCATE of something else than a table");
		d.kind = OraDdl::Kind::Truncate;
		return d;
	}
	if (p.Accept("DROP")) {
		if (!p.Accept("TABLE") || !p.QualifiedName(d.owner, d.table))
			return Other("DROP of something else than a table");
		d.kind = OraDdl::Kind::DropTable;
		return d;
	}
	if (p.Accept("RENAME")) {
		if (!p.QualifiedName(d.owner, d.table) || !p.Accept("TO") || !p.QualifiedName(d.new_owner, d.new_name))
			return Other("RENAME not understood");
		d.kind = OraDdl::Kind::RenameTable;
		return d;
	}
	if (p.Accept("CREATE")) {
		for (const char *w : {"GLOBAL", "PRIVATE", "SHARDED", "DUPLICATED", "BLOCKCHAIN", "IMMUTABLE"})
			if (p.Accept(w))
				break;
		if (p.Accept("TEMPORARY"))
			return Other("CREATE TEMPORARY TABLE");
		if (!p.Accept("TABLE"))
			return Other("CREATE of something else than a table");
		if (p.Accept("IF")) {
			p.Accept("NOT");
			p.Accept("EXISTS");
		}
		if (!p.QualifiedName(d.owner, d.table))
			return Other("CREATE TABLE without a name");
		if (!p.AcceptP('('))
			return Other("CREATE TABLE without a column list (AS SELECT, OF type)");
		do {
			if (p.Accept("CONSTRAINT"))
				p.Name();
			if (p.Accept("PRIMARY")) {
				p.Accept("KEY");
				std::vector<std::string> cols;
				if (!NameList(p, cols))
					return Other("PRIMARY KEY not understood");
				d.primary_key = cols;
				p.SkipItem();
				continue;
			}
			if (p.Is("UNIQUE") || p.Is("CHECK") || p.Is("FOREIGN") || p.Is("SUPPLEMENTAL")) {
				p.SkipItem();
				continue;
			}
			OlrColumn c;
			bool known, null_given, pk;
			if (!p.Column(c, known, null_given, pk, true))
				return Other("a column definition not understood");
			if (pk) {
				d.primary_key = {c.name};
				c.nullable = false;
			}
			d.columns.push_back(std::move(c));
		} while (p.AcceptP(','));
		if (!p.AcceptP(')') || d.columns.empty())
			return Other("CREATE TABLE column list not understood");
		for (auto &c : d.columns)
			for (const auto &k : d.primary_key)
				if (c.name == k)
					c.nullable = false;
		d.kind = OraDdl::Kind::CreateTable;
		return d;
	}
	if (p.Accept("ALTER")) {
		if (!p.Accept("TABLE") || !p.QualifiedName(d.owner, d.table))
			return Other("ALTER of something else than a table");
		if (p.Accept("ADD")) {
			if (p.Is("CONSTRAINT") || p.Is("PRIMARY") || p.Is("UNIQUE") || p.Is("FOREIGN") || p.Is("CHECK") ||
			    p.Is("SUPPLEMENTAL") || p.Is("PARTITION"))
				return Other("ALTER TABLE ADD of a constraint or partition");
			if (!Columns(p, d, false))
				return Other("ALTER TABLE ADD column not understood");
			d.kind = OraDdl::Kind::AddColumns;
			return d;
		}
		if (p.Accept("MODIFY")) {
			if (p.Is("CONSTRAINT") || p.Is("PRIMARY") || p.Is("PARTITION") || p.Is("DEFAULT") || p.Is("LOB"))
				return Other("ALTER TABLE MODIFY of a constraint, partition or storage");
			if (!Columns(p, d, true))
				return Other("ALTER TABLE MODIFY column not understood");
			d.kind = OraDdl::Kind::ModifyColumns;
			return d;
		}
		if (p.Accept("DROP")) {
			if (p.Accept("COLUMN")) {
				std::string n = p.Name();
				if (n.empty())
					return Other("DROP COLUMN without a name");
				d.drop.push_back(n);
			} else if (p.IsP('(')) {
				if (!NameList(p, d.drop))
					return Other("DROP (columns) not understood");
			} else
				return Other("ALTER TABLE DROP of a constraint or partition");
			d.kind = OraDdl::Kind::DropColumns;
			return d;
		}
		if (p.Accept("SET")) {
			if (!p.Accept("UNUSED"))
				return Other("ALTER TABLE SET not understood");
			if (p.Accept("COLUMN")) {
				std::string n = p.Name();
				if (n.empty())
					return Other("SET UNUSED COLUMN without a name");
				d.drop.push_back(n);
			} else if (!NameList(p, d.drop))
				return Other("SET UNUSED not understood");
			d.kind = OraDdl::Kind::DropColumns;
			return d;
		}
		if (p.Accept("RENAME")) {
			if (p.Accept("COLUMN")) {
				d.column = p.Name();
				if (d.column.empty() || !p.Accept("TO"))
					return Other("RENAME COLUMN not understood");
				d.new_column = p.Name();
				if (d.new_column.empty())
					return Other("RENAME COLUMN not understood");
				d.kind = OraDdl::Kind::RenameColumn;
				return d;
			}
			if (p.Accept("TO")) {
				if (!p.QualifiedName(d.new_owner, d.new_name))
					return Other("RENAME TO not understood");
				d.kind = OraDdl::Kind::RenameTable;
				return d;
			}
			return Other("ALTER TABLE RENAME of a constraint or partition");
		}
		return Other("ALTER TABLE clause not replicated");
	}
	return Other("not a table statement");
}

}  // namespace synchdb::olr
