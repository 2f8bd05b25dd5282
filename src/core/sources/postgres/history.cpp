/*
 * history.cpp
 *     Schema history blob of the PostgreSQL source; see history.hpp.
 */
#include "core/sources/postgres/history.hpp"

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb::pgsrc {

namespace {

using json::Value;

Value Str(const std::string &s)
{
	return Value::MakeString(s);
}

Value Chr(char c)
{
	return Value::MakeString(std::string(1, c));
}

Value Indexes(const std::vector<size_t> &v)
{
	Value a = Value::MakeArray();
	for (size_t i : v)
		a.Push(Value::MakeInt(static_cast<int64_t>(i)));
	return a;
}

[[noreturn]] void Bad(const std::string &what)
{
	throw Error(sqlstate::kDataCorrupted, "PostgreSQL source schema history is damaged: " + what, {},
	            "Take a new snapshot of the connector.");
}

const Value &Member(const Value &o, const char *key)
{
	const Value *v = o.IsObject() ? o.Find(key) : nullptr;
	if (!v)
		Bad(std::string("\"") + key + "\" is missing");
	return *v;
}

std::string GetStr(const Value &o, const char *key)
{
	const Value &v = Member(o, key);
	if (!v.IsString())
		Bad(std::string("\"") + key + "\" is not a string");
	return v.AsString();
}

char GetChr(const Value &o, const char *key)
{
	std::string s = GetStr(o, key);
	if (s.size() != 1)
		Bad(std::string("\"") + key + "\" is not one character");
	return s[0];
}

int64_t GetInt(const Value &o, const char *key, int64_t lo, int64_t hi)
{
	const Value &v = Member(o, key);
	auto i = v.IsNumber() ? v.AsInt() : std::nullopt;
	if (!i || *i < lo || *i > hi)
		Bad(std::string("\"") + key + "\" is not an integer in range");
	return *i;
}

bool GetBool(const Value &o, const char *key)
{
	const Value &v = Member(o, key);
	if (!v.IsBool())
		Bad(std::string("\"") + key + "\" is not true or false");
	return v.AsBool();
}

std::vector<size_t> GetIndexes(const Value &o, const char *key, size_t ncols)
{
	const Value &v = Member(o, key);
	if (!v.IsArray())
		Bad(std::string("\"") + key + "\" is not an array");
	std::vector<size_t> out;
	for (const auto &i : v.Items()) {
		auto n = i.IsNumber() ? i.AsInt() : std::nullopt;
		if (!n || *n < 0 || static_cast<uint64_t>(*n) >= ncols)
			Bad(std::string("\"") + key + "\" names a column that does not exist");
		out.push_back(static_cast<size_t>(*n));
	}
	return out;
}

}  // namespace

std::string TablesToHistory(const std::vector<SourceTable> &tables)
{
	Value root = Value::MakeObject();
	root.Set("v", Value::MakeInt(1));
	Value ts = Value::MakeArray();
	for (const auto &t : tables) {
		Value o = Value::MakeObject();
		o.Set("oid", Value::MakeInt(t.oid));
		o.Set("schema", Str(t.schema));
		o.Set("name", Str(t.name));
		o.Set("replident", Chr(t.replident));
		o.Set("pk", Indexes(t.primary_key));
		o.Set("ri", Indexes(t.replident_index));
		Value cols = Value::MakeArray();
		for (const auto &c : t.columns) {
			Value co = Value::MakeObject();
			co.Set("name", Str(c.name));
			co.Set("attnum", Value::MakeInt(c.attnum));
			co.Set("type", Value::MakeInt(c.type_oid));
			co.Set("typmod", Value::MakeInt(c.typmod));
			co.Set("text", Str(c.type_text));
			co.Set("base", Str(c.type_base));
			co.Set("typtype", Chr(c.typtype));
			co.Set("cat", Chr(c.typcategory));
			co.Set("elem", Value::MakeInt(c.elem_oid));
			co.Set("builtin", Value::MakeBool(c.builtin));
			co.Set("notnull", Value::MakeBool(c.not_null));
			co.Set("default", c.default_expr ? Str(*c.default_expr) : Value::MakeNull());
			co.Set("default_builtin", Value::MakeBool(c.default_builtin_only));
			co.Set("identity", Value::MakeBool(c.identity));
			cols.Push(std::move(co));
		}
		o.Set("columns", std::move(cols));
		ts.Push(std::move(o));
	}
	root.Set("tables", std::move(ts));
	return json::Write(root);
}

std::vector<SourceTable> TablesFromHistory(std::string_view blob)
{
	Value root;
	try {
		root = json::Parse(blob);
	} catch (const Error &e) {
		Bad(e.what());
	}
	if (GetInt(root, "v", 0, 1000) != 1)
		Bad("unknown version");
	const Value &ts = Member(root, "tables");
	if (!ts.IsArray())
		Bad("\"tables\" is not an array");
	std::vector<SourceTable> out;
	for (const auto &o : ts.Items()) {
		SourceTable t;
		t.oid = static_cast<uint32_t>(GetInt(o, "oid", 0, 0xffffffffLL));
		t.schema = GetStr(o, "schema");
		t.name = GetStr(o, "name");
		t.replident = GetChr(o, "replident");
		const Value &cols = Member(o, "columns");
		if (!cols.IsArray())
			Bad("\"columns\" is not an array");
		for (const auto &co : cols.Items()) {
			SourceColumn c;
			c.name = GetStr(co, "name");
			c.attnum = static_cast<int>(GetInt(co, "attnum", 1, 32767));
			c.type_oid = static_cast<uint32_t>(GetInt(co, "type", 0, 0xffffffffLL));
			c.typmod = static_cast<int32_t>(GetInt(co, "typmod", INT32_MIN, INT32_MAX));
			c.type_text = GetStr(co, "text");
			c.type_base = GetStr(co, "base");
			c.typtype = GetChr(co, "typtype");
			c.typcategory = GetChr(co, "cat");
			c.elem_oid = static_cast<uint32_t>(GetInt(co, "elem", 0, 0xffffffffLL));
			c.builtin = GetBool(co, "builtin");
			c.not_null = GetBool(co, "notnull");
			const Value &d = Member(co, "default");
			if (d.IsString())
				c.default_expr = d.AsString();
			else if (!d.IsNull())
				Bad("\"default\" is neither a string nor null");
			c.default_builtin_only = GetBool(co, "default_builtin");
			c.identity = GetBool(co, "identity");
			t.columns.push_back(std::move(c));
		}
		t.primary_key = GetIndexes(o, "pk", t.columns.size());
		t.replident_index = GetIndexes(o, "ri", t.columns.size());
		out.push_back(std::move(t));
	}
	return out;
}

}  // namespace synchdb::pgsrc
