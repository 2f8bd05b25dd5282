/*
 * typemap.cpp
 *     Default MySQL/MariaDB -> PostgreSQL type mapping and default
 *     expressions.
 *
 * NOTES
 *   Lengths and precisions are taken from information_schema's numeric
 *   columns when present, else parsed from COLUMN_TYPE ("decimal(10,2)",
 *   "bit(5)", "datetime(3)"), so that columns built by hand in tests and
 *   servers that leave a field NULL behave the same.
 *
 *   Defaults: see docs/type-mapping.md.  A default PostgreSQL cannot hold
 *   exactly is left out rather than approximated.
 */
#include "core/sources/mysql/typemap.hpp"
#include "core/sources/mysql/literal.hpp"

#include <cctype>
#include <cstdlib>

#include "core/error.hpp"
#include "core/sources/mysql/pgtext.hpp"
#include "core/strings.hpp"

namespace synchdb {

namespace {


/* The numbers in the first parenthesis of a COLUMN_TYPE: "decimal(10,2)" -> {10, 2}. */
std::vector<long> TypeArgs(const std::string &column_type)
{
	std::vector<long> args;
	size_t open = column_type.find('(');
	if (open == std::string::npos || column_type.compare(0, 4, "enum") == 0 || column_type.compare(0, 3, "set") == 0)
		return args;
	size_t close = column_type.find(')', open);
	if (close == std::string::npos)
		return args;
	std::string inner = column_type.substr(open + 1, close - open - 1);
	size_t pos = 0;
	while (pos <= inner.size()) {
		size_t comma = inner.find(',', pos);
		std::string part = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
		char *end = nullptr;
		long v = std::strtol(part.c_str(), &end, 10);
		if (end == part.c_str())
			return {};
		args.push_back(v);
		if (comma == std::string::npos)
			break;
		pos = comma + 1;
	}
	return args;
}

/* A field of information_schema, or the n-th COLUMN_TYPE argument. */
long Arg(long field, const mysql::SourceColumn &c, size_t n, long fallback)
{
	if (field >= 0)
		return field;
	std::vector<long> args = TypeArgs(Lower(c.column_type));
	return n < args.size() ? args[n] : fallback;
}

int Fsp(const mysql::SourceColumn &c)
{
	long fsp = Arg(c.datetime_precision, c, 0, 0);
	return fsp < 0 ? 0 : fsp > 6 ? 6 : static_cast<int>(fsp);
}

bool IsGeometry(const std::string &t)
{
	return t == "geometry" || t == "point" || t == "linestring" || t == "polygon" || t == "multipoint" ||
		   t == "multilinestring" || t == "multipolygon" || t == "geometrycollection" || t == "geomcollection";
}

/* A decimal number as MySQL prints one: [-+]digits[.digits][e[-+]digits]. */
bool IsNumber(std::string_view s)
{
	size_t i = 0;
	if (i < s.size() && (s[i] == '-' || s[i] == '+'))
		i++;
	size_t digits = 0;
	while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
		i++, digits++;
	if (i < s.size() && s[i] == '.') {
		i++;
		while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < s.size() && (s[i] == '-' || s[i] == '+'))
			i++;
		size_t exp = 0;
		while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
			i++, exp++;
		if (exp == 0)
			return false;
	}
	return i == s.size();
}

/* Undo MariaDB's quoting of a literal default: 'it''s \\ \n' -> it's \ <newline>.  False if malformed. */
bool UnquoteLiteral(std::string_view q, std::string &out)
{
	if (q.size() < 2 || q.front() != '\'' || q.back() != '\'')
		return false;
	out.clear();
	for (size_t i = 1; i + 1 < q.size(); i++) {
		char ch = q[i];
		if (ch == '\'') {
			if (i + 2 < q.size() && q[i + 1] == '\'') {
				out += '\'';
				i++;
				continue;
			}
			return false;
		}
		if (ch == '\\' && i + 2 < q.size()) {
			char e = q[++i];
			mysql::AppendEscaped(e, out);
			continue;
		}
		out += ch;
	}
	return true;
}

/* b'0101' -> "0101"; false if not a bit literal. */
bool BitLiteral(std::string_view d, std::string &bits)
{
	if (d.size() < 3 || (d[0] != 'b' && d[0] != 'B') || d[1] != '\'' || d.back() != '\'')
		return false;
	bits.assign(d.substr(2, d.size() - 3));
	for (char ch : bits)
		if (ch != '0' && ch != '1')
			return false;
	return true;
}

/* A number (decimal digits only) as an unsigned 64-bit integer. */
bool ParseU64(std::string_view s, uint64_t &v)
{
	if (s.empty() || s.size() > 20)
		return false;
	v = 0;
	for (char ch : s) {
		if (ch < '0' || ch > '9')
			return false;
		uint64_t next = v * 10 + static_cast<uint64_t>(ch - '0');
		if (next / 10 != v)
			return false;
		v = next;
	}
	return true;
}

/* Bits of a BIT default to exactly width characters, or false if it does not fit. */
bool FitBits(std::string bits, int width, std::string &out)
{
	size_t first = bits.find('1');
	bits = first == std::string::npos ? std::string() : bits.substr(first);
	if (bits.size() > static_cast<size_t>(width))
		return false;
	out = std::string(width - bits.size(), '0') + bits;
	return true;
}

/* Name of a function call default: "current_timestamp(3)" -> "current_timestamp"; "" if not a call form. */
std::string CallName(std::string_view d)
{
	std::string l = Lower(d);
	size_t open = l.find('(');
	if (open == std::string::npos)
		return l; /* CURRENT_TIMESTAMP without parentheses */
	if (l.back() != ')')
		return {};
	for (size_t i = open + 1; i + 1 < l.size(); i++)
		if (!std::isdigit(static_cast<unsigned char>(l[i])))
			return {};
	return l.substr(0, open);
}

}  // namespace

int SourceFractionalDigits(const mysql::SourceColumn &c)
{
	return Fsp(c);
}

int SourceBitWidth(const mysql::SourceColumn &c)
{
	long n = Arg(c.precision, c, 0, 1);
	return n < 1 ? 1 : n > 64 ? 64 : static_cast<int>(n);
}



PgColumnType DefaultPgType(const mysql::SourceColumn &c)
{
	const std::string t = Lower(c.data_type);
	const bool u = c.is_unsigned || Lower(c.column_type).find(" unsigned") != std::string::npos;

	if (t == "json" || c.json_alias)
		return {"jsonb", PgKind::Jsonb};
	if (t == "tinyint")
		return {"smallint", PgKind::Int2};
	if (t == "smallint")
		return u ? PgColumnType{"integer", PgKind::Int4} : PgColumnType{"smallint", PgKind::Int2};
	if (t == "mediumint")
		return {"integer", PgKind::Int4};
	if (t == "int" || t == "integer")
		return u ? PgColumnType{"bigint", PgKind::Int8} : PgColumnType{"integer", PgKind::Int4};
	if (t == "bigint")
		return u ? PgColumnType{"numeric(20,0)", PgKind::Numeric} : PgColumnType{"bigint", PgKind::Int8};
	if (t == "decimal" || t == "numeric" || t == "dec" || t == "fixed") {
		long p = Arg(c.precision, c, 0, 10); /* MySQL's DECIMAL alone is DECIMAL(10,0) */
		long s = Arg(c.scale, c, 1, 0);
		if (p < 1)
			p = 1;
		if (s < 0)
			s = 0;
		return {"numeric(" + std::to_string(p) + "," + std::to_string(s) + ")", PgKind::Numeric};
	}
	if (t == "float")
		return {"real", PgKind::Float4};
	if (t == "double" || t == "real" || t == "double precision")
		return {"double precision", PgKind::Float8};
	if (t == "bit") {
		long n = Arg(c.precision, c, 0, 1);
		if (n <= 1)
			return {"boolean", PgKind::Bool};
		return {"bit(" + std::to_string(n) + ")", PgKind::Bit};
	}
	if (t == "bool" || t == "boolean") /* information_schema says tinyint; only hand-built columns get here */
		return {"smallint", PgKind::Int2};
	if (t == "date")
		return {"date", PgKind::Date};
	if (t == "datetime")
		return {"timestamp(" + std::to_string(Fsp(c)) + ") without time zone", PgKind::Timestamp};
	if (t == "timestamp")
		return {"timestamp(" + std::to_string(Fsp(c)) + ") with time zone", PgKind::Timestamptz};
	if (t == "time")
		return {"time(" + std::to_string(Fsp(c)) + ") without time zone", PgKind::Time};
	if (t == "year")
		return {"integer", PgKind::Int4};
	if (t == "char" || t == "varchar") {
		long n = Arg(static_cast<long>(c.char_max_length), c, 0, 1);
		/* CHAR(0)/VARCHAR(0) hold only '' (and NULL); PostgreSQL needs a length >= 1. */
		if (n < 1)
			return {"varchar(1)", PgKind::Varchar};
		if (t == "char")
			return {"char(" + std::to_string(n) + ")", PgKind::Char};
		return {"varchar(" + std::to_string(n) + ")", PgKind::Varchar};
	}
	if (t == "tinytext" || t == "text" || t == "mediumtext" || t == "longtext" || t == "long varchar" ||
		t == "enum" || t == "set")
		return {"text", PgKind::Text};
	if (t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
		t == "longblob" || t == "long varbinary" || IsGeometry(t))
		return {"bytea", PgKind::Bytea};
	if (t == "uuid")
		return {"uuid", PgKind::Uuid};
	if (t == "inet6" || t == "inet4")
		return {"inet", PgKind::Inet};

	throw Error(sqlstate::kFeatureNotSupported,
				"column " + Quoted(c.name) + " has type " + Quoted(c.column_type.empty() ? c.data_type : c.column_type) +
					", which synchdb cannot map to a PostgreSQL type",
				{}, "Exclude the table from replication or change the column's type on the source.");
}

std::optional<std::string> PgDefaultExpression(const mysql::SourceColumn &c, const PgColumnType &t)
{
	if (c.auto_increment || c.generated || !c.default_value)
		return std::nullopt;

	std::string_view d = *c.default_value;
	while (!d.empty() && std::isspace(static_cast<unsigned char>(d.front())))
		d.remove_prefix(1);
	while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back())))
		d.remove_suffix(1);
	if (d.empty())
		return std::nullopt;
	if (Lower(d) == "null")
		return std::string("NULL");

	std::string literal, bits;
	const bool quoted = d.front() == '\'';
	if (quoted && !UnquoteLiteral(d, literal))
		return std::nullopt;
	const bool is_bits = !quoted && BitLiteral(d, bits);
	const bool is_number = !quoted && IsNumber(d);
	/* A numeric default may come quoted from MySQL-normalized text: '5'. */
	const std::string number = is_number ? std::string(d) : (quoted && IsNumber(literal) ? literal : std::string());

	switch (t.kind) {
	case PgKind::Bool: {
		uint64_t v;
		if (is_bits)
			return bits.find('1') == std::string::npos ? "false" : "true";
		if (!number.empty() && ParseU64(number, v))
			return std::string(v ? "true" : "false");
		return std::nullopt;
	}
	case PgKind::Bit:
	case PgKind::Varbit: {
		int width = static_cast<int>(Arg(c.precision, c, 0, 1));
		std::string fitted;
		uint64_t v;
		if (!is_bits && !number.empty() && ParseU64(number, v)) {
			for (; v; v >>= 1)
				bits.insert(bits.begin(), static_cast<char>('0' + (v & 1)));
		} else if (!is_bits) {
			return std::nullopt;
		}
		if (!FitBits(bits, width, fitted))
			return std::nullopt;
		return "B'" + fitted + "'";
	}
	case PgKind::Int2:
	case PgKind::Int4:
	case PgKind::Int8:
	case PgKind::Numeric:
	case PgKind::Float4:
	case PgKind::Float8:
		if (number.empty())
			return std::nullopt;
		return number;
	case PgKind::Text:
	case PgKind::Varchar:
	case PgKind::Char:
	case PgKind::Jsonb:
	case PgKind::Inet:
	case PgKind::Uuid:
		if (t.kind == PgKind::Uuid && CallName(d) == "uuid")
			return std::string("gen_random_uuid()");
		if (quoted) {
			if (literal.find('\0') != std::string::npos)
				return std::nullopt; /* PostgreSQL text cannot hold NUL */
			return QuotePgLiteral(literal);
		}
		if (is_number)
			return QuotePgLiteral(d);
		return std::nullopt;
	case PgKind::Bytea:
		if (quoted) {
			std::string hex;
			AppendByteaHex(hex, literal);
			return QuotePgLiteral(hex);
		}
		return std::nullopt;
	case PgKind::Date:
		if (quoted)
			return TemporalTextIsRepresentable(literal, PgKind::Date) ? std::optional(QuotePgLiteral(literal))
																	   : std::nullopt;
		if (CallName(d) == "curdate" || CallName(d) == "current_date")
			return std::string("CURRENT_DATE");
		return std::nullopt;
	case PgKind::Time:
		if (quoted)
			return TemporalTextIsRepresentable(literal, PgKind::Time) ? std::optional(QuotePgLiteral(literal))
																	   : std::nullopt;
		if (CallName(d) == "curtime" || CallName(d) == "current_time")
			return std::string("LOCALTIME");
		return std::nullopt;
	case PgKind::Timestamp:
	case PgKind::Timestamptz: {
		std::string name = CallName(d);
		if (name == "current_timestamp" || name == "now" || name == "localtimestamp" || name == "localtime")
			return std::string("CURRENT_TIMESTAMP");
		/*
		 * A TIMESTAMP literal means wall-clock time in the session time zone
		 * of each inserting session, which PostgreSQL cannot reproduce.
		 */
		if (quoted && t.kind == PgKind::Timestamp && TemporalTextIsRepresentable(literal, PgKind::Timestamp))
			return QuotePgLiteral(literal);
		return std::nullopt;
	}
	}
	return std::nullopt;
}



}  // namespace synchdb
