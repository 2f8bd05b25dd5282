/*
 * schema.cpp
 *     Catalog reading for the PostgreSQL source; see schema.hpp.
 */
#include "core/sources/postgres/schema.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/sources/postgres/connection.hpp"

namespace synchdb::pgsrc {

namespace {

std::string_view Trim(std::string_view s)
{
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
		s.remove_prefix(1);
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
		s.remove_suffix(1);
	return s;
}

uint32_t ToU32(std::string_view s, const char *what)
{
	uint64_t v = 0;
	if (s.empty() || s.size() > 10)
		throw Error(sqlstate::kDataCorrupted, std::string("source catalog returned a bad ") + what);
	for (char c : s) {
		if (c < '0' || c > '9')
			throw Error(sqlstate::kDataCorrupted, std::string("source catalog returned a bad ") + what);
		v = v * 10 + static_cast<uint64_t>(c - '0');
	}
	if (v > 0xffffffffULL)
		throw Error(sqlstate::kDataCorrupted, std::string("source catalog returned a bad ") + what);
	return static_cast<uint32_t>(v);
}

int32_t ToI32(std::string_view s, const char *what)
{
	bool neg = !s.empty() && s[0] == '-';
	if (neg)
		s.remove_prefix(1);
	uint32_t v = ToU32(s, what);
	if (v > 0x7fffffffu)
		throw Error(sqlstate::kDataCorrupted, std::string("source catalog returned a bad ") + what);
	return neg ? -static_cast<int32_t>(v) : static_cast<int32_t>(v);
}

bool IsTrue(std::string_view s)
{
	return s == "t";
}

/* A quoted literal starting at s[0] == '\'': returns the index after it, npos if unterminated. */
size_t SkipLiteral(std::string_view s)
{
	for (size_t i = 1; i < s.size(); ++i) {
		if (s[i] == '\'') {
			if (i + 1 < s.size() && s[i + 1] == '\'') {
				++i;
				continue;
			}
			return i + 1;
		}
	}
	return std::string_view::npos;
}

bool IsTypeNameText(std::string_view t)
{
	if (t.empty())
		return false;
	for (char c : t)
		if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == ' ' ||
		      c == '_' || c == '(' || c == ')' || c == '[' || c == ']' || c == ','))
			return false;
	return std::islower(static_cast<unsigned char>(t[0])) != 0;
}

bool IsNumber(std::string_view s)
{
	if (!s.empty() && s[0] == '-')
		s.remove_prefix(1);
	if (s.empty())
		return false;
	bool dot = false, digit = false;
	for (char c : s) {
		if (c == '.' && !dot)
			dot = true;
		else if (std::isdigit(static_cast<unsigned char>(c)))
			digit = true;
		else
			return false;
	}
	return digit;
}

}  // namespace

std::vector<TableRef> ParseTableList(std::string_view list, std::string_view srcdb)
{
	std::vector<TableRef> out;
	std::string_view all = Trim(list);
	if (all.empty() || Lower(all) == "null")
		return out;
	size_t start = 0;
	while (start <= all.size()) {
		size_t comma = all.find(',', start);
		std::string_view entry =
			Trim(all.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
		start = comma == std::string_view::npos ? all.size() + 1 : comma + 1;
		std::vector<std::string_view> parts;
		size_t p = 0;
		for (;;) {
			size_t dot = entry.find('.', p);
			parts.push_back(entry.substr(p, dot == std::string_view::npos ? std::string_view::npos : dot - p));
			if (dot == std::string_view::npos)
				break;
			p = dot + 1;
		}
		bool ok = (parts.size() == 2 || (parts.size() == 3 && parts[0] == srcdb));
		for (auto part : parts)
			if (part.empty() || part.size() > 63 ||
			    std::any_of(part.begin(), part.end(), [](unsigned char c) { return std::isspace(c) || c < 0x20; }))
				ok = false;
		if (!ok)
			throw Error(sqlstate::kInvalidParameterValue, "invalid table list entry " + Quoted(std::string(entry)),
			            "A PostgreSQL connector names tables as schema.table (or " + std::string(srcdb) +
			                ".schema.table), names as stored in the catalog.",
			            "Write entries as schema.table, for example \"public.orders\".");
		TableRef t{std::string(parts[parts.size() - 2]), std::string(parts.back())};
		if (std::find(out.begin(), out.end(), t) == out.end())
			out.push_back(std::move(t));
	}
	return out;
}

std::string TextArrayLiteral(const std::vector<std::string> &items)
{
	std::string s = "{";
	for (size_t i = 0; i < items.size(); ++i) {
		if (i)
			s += ',';
		s += '"';
		for (char c : items[i]) {
			if (c == '"' || c == '\\')
				s += '\\';
			s += c;
		}
		s += '"';
	}
	s += '}';
	return s;
}

std::string SourceTable::QuotedName() const
{
	return QuotePgIdent(schema) + "." + QuotePgIdent(name);
}

std::vector<size_t> SourceTable::IdentityColumns() const
{
	switch (replident) {
	case 'f': {
		std::vector<size_t> all(columns.size());
		for (size_t i = 0; i < all.size(); ++i)
			all[i] = i;
		return all;
	}
	case 'i':
		return replident_index;
	case 'n':
		return {};
	default:
		return primary_key;
	}
}

std::vector<SourceTable> ReadSourceTables(Connection &conn, const std::vector<TableRef> &filter)
{
	/* 1. tables */
	std::vector<std::string> schemas, names;
	for (const auto &t : filter) {
		schemas.push_back(t.schema);
		names.push_back(t.table);
	}
	const std::string tables_sql =
		"SELECT c.oid::int8 AS oid, n.nspname, c.relname, c.relreplident, pg_get_userbyid(c.relowner) AS owner,"
		" pg_has_role(c.relowner, 'USAGE') AS is_owner, has_table_privilege(c.oid, 'SELECT') AS can_select"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind = 'r' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'"
		" AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
		" AND ($1::text[] IS NULL OR (n.nspname, c.relname) IN"
		"      (SELECT s, t FROM unnest($1::text[], $2::text[]) AS f(s, t)))"
		" ORDER BY n.nspname, c.relname";
	std::optional<std::string> p1, p2;
	if (!filter.empty()) {
		p1 = TextArrayLiteral(schemas);
		p2 = TextArrayLiteral(names);
	}
	Result tr = conn.ExecParams(tables_sql, {p1, p2});
	std::vector<SourceTable> tables;
	std::map<uint32_t, size_t> by_oid;
	{
		int c_oid = tr.Col("oid"), c_ns = tr.Col("nspname"), c_rel = tr.Col("relname"), c_ri = tr.Col("relreplident"),
		    c_own = tr.Col("owner"), c_is = tr.Col("is_owner"), c_sel = tr.Col("can_select");
		for (int r = 0; r < tr.Rows(); ++r) {
			SourceTable t;
			t.oid = ToU32(tr.Get(r, c_oid), "table OID");
			t.schema = std::string(tr.Get(r, c_ns));
			t.name = std::string(tr.Get(r, c_rel));
			std::string_view ri = tr.Get(r, c_ri);
			t.replident = ri.empty() ? 'd' : ri[0];
			t.owner = std::string(tr.Get(r, c_own));
			t.user_is_owner = IsTrue(tr.Get(r, c_is));
			t.can_select = IsTrue(tr.Get(r, c_sel));
			by_oid[t.oid] = tables.size();
			tables.push_back(std::move(t));
		}
	}
	if (!filter.empty()) {
		std::vector<std::string> missing;
		for (const auto &f : filter)
			if (std::none_of(tables.begin(), tables.end(),
			                 [&](const SourceTable &t) { return t.schema == f.schema && t.name == f.table; }))
				missing.push_back(Quoted(f.ToString()));
		if (!missing.empty()) {
			std::string list;
			for (size_t i = 0; i < missing.size(); ++i)
				list += (i ? ", " : "") + missing[i];
			throw Error(sqlstate::kUndefinedObject,
			            std::string(missing.size() == 1 ? "table " : "tables ") + list +
			                (missing.size() == 1 ? " does" : " do") + " not exist in the source database",
			            {}, "Table list entries are schema.table with names as stored in the catalog (usually lower case); only ordinary tables replicate.");
		}
	}
	if (tables.empty())
		return tables;

	std::vector<std::string> oids;
	for (const auto &t : tables)
		oids.push_back(std::to_string(t.oid));
	const std::string oid_array = TextArrayLiteral(oids);

	/* 2. columns */
	const std::string cols_sql =
		"SELECT a.attrelid::int8 AS relid, a.attnum, a.attname, a.atttypid::int8 AS typid, a.atttypmod,"
		" format_type(a.atttypid, a.atttypmod) AS type_text, format_type(a.atttypid, NULL) AS type_base,"
		" t.typtype, t.typcategory, t.typelem::int8 AS typelem, a.attnotnull, a.attgenerated <> '' AS generated,"
		" a.attidentity <> '' AS identity, pg_get_expr(d.adbin, d.adrelid) AS default_expr,"
		" (d.oid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_depend dep"
		"    WHERE dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid AND dep.refobjid >= 16384"
		"      AND NOT (dep.refclassid = 'pg_class'::regclass AND dep.refobjid = d.adrelid))) AS default_builtin"
		" FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
		" LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
		" WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped"
		" ORDER BY a.attrelid, a.attnum";
	Result cr = conn.ExecParams(cols_sql, {oid_array});
	{
		int c_rel = cr.Col("relid"), c_num = cr.Col("attnum"), c_name = cr.Col("attname"), c_typ = cr.Col("typid"),
		    c_mod = cr.Col("atttypmod"), c_text = cr.Col("type_text"), c_base = cr.Col("type_base"),
		    c_tt = cr.Col("typtype"), c_cat = cr.Col("typcategory"), c_elem = cr.Col("typelem"),
		    c_nn = cr.Col("attnotnull"), c_gen = cr.Col("generated"), c_id = cr.Col("identity"),
		    c_def = cr.Col("default_expr"), c_defb = cr.Col("default_builtin");
		for (int r = 0; r < cr.Rows(); ++r) {
			auto it = by_oid.find(ToU32(cr.Get(r, c_rel), "column table OID"));
			if (it == by_oid.end())
				continue;
			SourceTable &t = tables[it->second];
			SourceColumn c;
			c.name = std::string(cr.Get(r, c_name));
			c.attnum = ToI32(cr.Get(r, c_num), "attnum");
			c.type_oid = ToU32(cr.Get(r, c_typ), "type OID");
			c.typmod = ToI32(cr.Get(r, c_mod), "type modifier");
			c.type_text = std::string(cr.Get(r, c_text));
			c.type_base = std::string(cr.Get(r, c_base));
			std::string_view tt = cr.Get(r, c_tt), cat = cr.Get(r, c_cat);
			c.typtype = tt.empty() ? 'b' : tt[0];
			c.typcategory = cat.empty() ? 'U' : cat[0];
			c.elem_oid = c.typcategory == 'A' ? ToU32(cr.Get(r, c_elem), "element type OID") : 0;
			c.builtin = c.type_oid < kFirstNormalObjectId && (c.elem_oid == 0 || c.elem_oid < kFirstNormalObjectId);
			c.not_null = IsTrue(cr.Get(r, c_nn));
			c.default_expr = cr.Opt(r, c_def);
			c.default_builtin_only = IsTrue(cr.Get(r, c_defb));
			c.identity = IsTrue(cr.Get(r, c_id)) ||
			             (c.default_expr && c.default_expr->rfind("nextval(", 0) == 0);
			if (IsTrue(cr.Get(r, c_gen))) {
				t.skipped_generated.push_back(c.name);
				continue;
			}
			t.columns.push_back(std::move(c));
		}
	}

	/* 3. primary key and replica identity index columns */
	const std::string keys_sql =
		"SELECT i.indrelid::int8 AS relid, i.indisprimary AS is_pk, i.indisreplident AS is_ri, k.ord, k.attnum"
		" FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
		" WHERE i.indrelid = ANY ($1::oid[]) AND (i.indisprimary OR i.indisreplident)"
		" ORDER BY i.indrelid, i.indexrelid, k.ord";
	Result kr = conn.ExecParams(keys_sql, {oid_array});
	{
		int c_rel = kr.Col("relid"), c_pk = kr.Col("is_pk"), c_ri = kr.Col("is_ri"), c_num = kr.Col("attnum");
		for (int r = 0; r < kr.Rows(); ++r) {
			auto it = by_oid.find(ToU32(kr.Get(r, c_rel), "index table OID"));
			if (it == by_oid.end())
				continue;
			SourceTable &t = tables[it->second];
			int attnum = ToI32(kr.Get(r, c_num), "index attnum");
			auto col = std::find_if(t.columns.begin(), t.columns.end(),
			                        [&](const SourceColumn &c) { return c.attnum == attnum; });
			if (col == t.columns.end())
				continue; /* expression column (0) or a generated column */
			size_t idx = static_cast<size_t>(col - t.columns.begin());
			if (IsTrue(kr.Get(r, c_pk)))
				t.primary_key.push_back(idx);
			if (IsTrue(kr.Get(r, c_ri)))
				t.replident_index.push_back(idx);
		}
	}
	return tables;
}

bool IsSafeDefaultShape(std::string_view e)
{
	e = Trim(e);
	if (e.empty())
		return false;
	std::string l = Lower(e);
	if (l == "true" || l == "false" || l == "null" || l == "now()" || IsNumber(e))
		return true;
	/* a negative number is shown as '-1'::integer, handled by the literal case below */
	for (const char *kw : {"current_timestamp", "current_date", "current_time", "localtimestamp", "localtime"}) {
		std::string k = kw;
		if (l == k)
			return true;
		if (l.rfind(k + "(", 0) == 0 && l.back() == ')') {
			std::string_view digits = std::string_view(l).substr(k.size() + 1, l.size() - k.size() - 2);
			if (!digits.empty() && digits.size() <= 1 && std::isdigit(static_cast<unsigned char>(digits[0])))
				return true;
		}
	}
	if (e[0] == '\'') {
		size_t end = SkipLiteral(e);
		if (end == std::string_view::npos)
			return false;
		std::string_view rest = e.substr(end);
		if (rest.substr(0, 2) != "::")
			return false;
		return IsTypeNameText(rest.substr(2));
	}
	return false;
}

std::optional<std::string> SafeDefault(const SourceColumn &c)
{
	if (!c.default_expr || !c.builtin || !c.default_builtin_only || c.identity)
		return std::nullopt;
	if (!IsSafeDefaultShape(*c.default_expr))
		return std::nullopt;
	return *c.default_expr;
}

NeutralColumn ToNeutral(const SourceColumn &c)
{
	NeutralColumn n;
	n.name = c.name;
	n.type_name = Lower(c.type_base);
	n.type_text = c.type_text;
	if (c.builtin) {
		n.pg.sql = c.type_text;
		n.pg.kind = c.elem_oid ? PgKind::Text : PgKindOfTypeName(c.type_text).value_or(PgKind::Text);
	} else {
		n.pg.sql = "text";
		n.pg.kind = PgKind::Text;
	}
	n.pg_default = SafeDefault(c);
	n.nullable = !c.not_null;
	n.auto_increment = c.identity;
	n.rule_info.data_type = n.type_name;
	if (c.builtin && !c.elem_oid && c.typmod >= 0) {
		switch (n.pg.kind) {
		case PgKind::Varchar:
		case PgKind::Char:
			if (c.typmod >= 4)
				n.rule_info.char_length = c.typmod - 4;
			break;
		case PgKind::Numeric:
			if (c.typmod >= 4) {
				n.rule_info.precision = ((c.typmod - 4) >> 16) & 0xffff;
				n.rule_info.scale = (c.typmod - 4) & 0x7ff;
			}
			break;
		case PgKind::Time:
		case PgKind::Timestamp:
		case PgKind::Timestamptz:
			n.rule_info.fsp = c.typmod;
			break;
		case PgKind::Bit:
		case PgKind::Varbit:
			n.rule_info.bit_width = c.typmod;
			break;
		default:
			break;
		}
	}
	return n;
}

NeutralTable ToNeutral(const SourceTable &t)
{
	NeutralTable n;
	n.db = t.schema;
	n.name = t.name;
	for (const auto &c : t.columns)
		n.columns.push_back(ToNeutral(c));
	n.primary_key = t.primary_key;
	return n;
}

}  // namespace synchdb::pgsrc
