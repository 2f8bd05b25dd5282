/*
 * schema_json.cpp
 *     (De)serialisation of SourceTable.
 */
#include "core/sources/mysql/schema_json.hpp"

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb::mysql {

namespace {

using json::Value;

Value Str(const std::string &s)
{
	return Value::MakeString(s);
}

[[noreturn]] void Bad(const std::string &what)
{
	throw Error(sqlstate::kDataCorrupted, "the schema history stored with the connector's position is damaged: " + what,
	            {}, "Restart the connector with snapshot mode 'always' to rebuild it.");
}

const Value &Need(const Value &obj, const char *key)
{
	const Value *v = obj.Find(key);
	if (!v)
		Bad(std::string("key \"") + key + "\" is missing");
	return *v;
}

std::string GetStr(const Value &obj, const char *key)
{
	const Value &v = Need(obj, key);
	if (!v.IsString())
		Bad(std::string("key \"") + key + "\" is not a string");
	return v.AsString();
}

int64_t GetInt(const Value &obj, const char *key)
{
	auto i = Need(obj, key).AsInt();
	if (!i)
		Bad(std::string("key \"") + key + "\" is not an integer");
	return *i;
}

bool GetBool(const Value &obj, const char *key)
{
	const Value &v = Need(obj, key);
	if (!v.IsBool())
		Bad(std::string("key \"") + key + "\" is not a boolean");
	return v.AsBool();
}

}  // namespace

std::string TablesToJson(const std::vector<SourceTable> &tables)
{
	Value arr = Value::MakeArray();
	for (const SourceTable &t : tables) {
		Value tv = Value::MakeObject();
		tv.Set("db", Str(t.db));
		tv.Set("name", Str(t.name));
		Value cols = Value::MakeArray();
		for (const SourceColumn &c : t.columns) {
			Value cv = Value::MakeObject();
			cv.Set("name", Str(c.name));
			cv.Set("data_type", Str(c.data_type));
			cv.Set("column_type", Str(c.column_type));
			cv.Set("nullable", Value::MakeBool(c.nullable));
			cv.Set("unsigned", Value::MakeBool(c.is_unsigned));
			cv.Set("auto_increment", Value::MakeBool(c.auto_increment));
			cv.Set("generated", Value::MakeBool(c.generated));
			cv.Set("json_alias", Value::MakeBool(c.json_alias));
			cv.Set("default", c.default_value ? Str(*c.default_value) : Value::MakeNull());
			cv.Set("char_max_length", Value::MakeInt(c.char_max_length));
			cv.Set("precision", Value::MakeInt(c.precision));
			cv.Set("scale", Value::MakeInt(c.scale));
			cv.Set("datetime_precision", Value::MakeInt(c.datetime_precision));
			cv.Set("charset", Str(c.charset));
			Value ev = Value::MakeArray();
			for (const auto &e : c.enum_values)
				ev.Push(Str(e));
			cv.Set("enum_values", std::move(ev));
			cols.Push(std::move(cv));
		}
		tv.Set("columns", std::move(cols));
		Value pk = Value::MakeArray();
		for (size_t i : t.primary_key)
			pk.Push(Value::MakeInt(static_cast<int64_t>(i)));
		tv.Set("primary_key", std::move(pk));
		arr.Push(std::move(tv));
	}
	return json::Write(arr);
}

std::vector<SourceTable> TablesFromJson(const std::string &text)
{
	Value doc;
	try {
		doc = json::Parse(text);
	} catch (const Error &e) {
		Bad(e.what());
	}
	if (!doc.IsArray())
		Bad("not an array");
	std::vector<SourceTable> out;
	for (const Value &tv : doc.Items()) {
		SourceTable t;
		t.db = GetStr(tv, "db");
		t.name = GetStr(tv, "name");
		for (const Value &cv : Need(tv, "columns").Items()) {
			SourceColumn c;
			c.name = GetStr(cv, "name");
			c.data_type = GetStr(cv, "data_type");
			c.column_type = GetStr(cv, "column_type");
			c.nullable = GetBool(cv, "nullable");
			c.is_unsigned = GetBool(cv, "unsigned");
			c.auto_increment = GetBool(cv, "auto_increment");
			c.generated = GetBool(cv, "generated");
			c.json_alias = GetBool(cv, "json_alias");
			const Value &d = Need(cv, "default");
			if (d.IsString())
				c.default_value = d.AsString();
			c.char_max_length = GetInt(cv, "char_max_length");
			c.precision = static_cast<int>(GetInt(cv, "precision"));
			c.scale = static_cast<int>(GetInt(cv, "scale"));
			c.datetime_precision = static_cast<int>(GetInt(cv, "datetime_precision"));
			c.charset = GetStr(cv, "charset");
			for (const Value &e : Need(cv, "enum_values").Items())
				c.enum_values.push_back(e.AsString());
			t.columns.push_back(std::move(c));
		}
		for (const Value &k : Need(tv, "primary_key").Items()) {
			auto i = k.AsInt();
			if (!i || *i < 0 || static_cast<size_t>(*i) >= t.columns.size())
				Bad("primary key of table \"" + t.name + "\" names no column");
			t.primary_key.push_back(static_cast<size_t>(*i));
		}
		out.push_back(std::move(t));
	}
	return out;
}

}  // namespace synchdb::mysql
