/*
 * schema.cpp
 *     OLR table descriptions from checkpoint files and schema.columns;
 *     row images.
 */
#include "core/sources/olr/schema.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb::olr {

namespace {

std::string Key(std::string_view owner, std::string_view table)
{
	std::string k;
	k.reserve(owner.size() + table.size() + 1);
	k.append(owner);
	k += '.';
	k.append(table);
	return k;
}

[[noreturn]] void BadCheckpoint(const std::string &what)
{
	throw Error(sqlstate::kDataCorrupted, "OpenLogReplicator schema checkpoint is not usable: " + what);
}

const json::Value &Member(const json::Value &o, const char *key)
{
	const json::Value *v = o.Find(key);
	if (!v)
		BadCheckpoint(std::string("missing \"") + key + "\"");
	return *v;
}

int64_t Int(const json::Value &o, const char *key, int64_t def = 0)
{
	const json::Value *v = o.Find(key);
	if (!v || !v->IsNumber())
		return def;
	auto i = v->AsInt();
	return i ? *i : def;
}

std::string Str(const json::Value &o, const char *key)
{
	const json::Value *v = o.Find(key);
	return v && v->IsString() ? v->AsString() : std::string();
}

/* The low word of a [low, high] flag pair. */
uint64_t Flags(const json::Value &o, const char *key)
{
	const json::Value *v = o.Find(key);
	if (!v)
		return 0;
	if (v->IsNumber())
		return static_cast<uint64_t>(v->AsInt().value_or(0));
	if (v->IsArray() && !v->Items().empty() && v->Items()[0].IsNumber())
		return static_cast<uint64_t>(v->Items()[0].AsInt().value_or(0));
	return 0;
}

}  // namespace

void OlrTable::Reindex()
{
	index.clear();
	for (size_t i = 0; i < columns.size(); i++)
		index.emplace(columns[i].name, i);
}

int OlrTable::Find(std::string_view col, size_t hint) const
{
	if (hint < columns.size() && columns[hint].name == col)
		return static_cast<int>(hint);
	auto it = index.find(std::string(col));
	return it == index.end() ? -1 : static_cast<int>(it->second);
}

NeutralTable OlrTable::ToNeutral(const SchemaOptions &opt) const
{
	NeutralTable t;
	t.db = opt.lower_case_names ? Lower(owner) : owner;
	t.name = opt.lower_case_names ? Lower(name) : name;
	for (const auto &c : columns) {
		NeutralColumn n;
		n.name = opt.lower_case_names ? Lower(c.name) : c.name;
		n.type_name = TypeName(c.type);
		n.type_text = TypeText(c.type);
		n.pg = DefaultPgType(c.type);
		n.nullable = c.nullable;
		n.rule_info.data_type = n.type_name;
		switch (c.type.type) {
		case OraType::Varchar2:
		case OraType::NVarchar2:
		case OraType::Char:
		case OraType::NChar:
		case OraType::Raw: n.rule_info.char_length = static_cast<long>(c.type.length); break;
		case OraType::Number:
		case OraType::Float:
			n.rule_info.precision = c.type.precision;
			n.rule_info.scale = c.type.scale;
			break;
		case OraType::Timestamp:
		case OraType::TimestampTz:
		case OraType::TimestampLtz:
		case OraType::IntervalDS: n.rule_info.fsp = std::min(c.type.scale < 0 ? 6 : c.type.scale, 6); break;
		default: break;
		}
		t.columns.push_back(std::move(n));
	}
	t.primary_key = primary_key;
	return t;
}

void Catalog::LoadCheckpoint(std::string_view json_text, const std::vector<std::string> &owners_in)
{
	json::Value doc;
	try {
		doc = json::Parse(json_text);
	} catch (const Error &e) {
		throw Error(sqlstate::kDataCorrupted, std::string("OpenLogReplicator schema checkpoint: ") + e.what());
	}
	if (!doc.IsObject())
		BadCheckpoint("not a JSON object");
	std::set<std::string> owners(owners_in.begin(), owners_in.end());
	if (owners.empty())
		if (const json::Value *u = doc.Find("users"); u && u->IsArray())
			for (const auto &x : u->Items())
				if (x.IsString())
					owners.insert(x.AsString());

	std::unordered_map<int64_t, std::string> users;
	for (const auto &u : Member(doc, "sys-user").Items())
		users[Int(u, "user", -1)] = Str(u, "name");

	/* Tables: sys-obj type 2 (partitions, type 19, are reported under their table). */
	std::unordered_map<int64_t, OlrTable *> by_obj;
	std::vector<std::unique_ptr<OlrTable>> found;
	for (const auto &o : Member(doc, "sys-obj").Items()) {
		if (Int(o, "type") != 2)
			continue;
		auto it = users.find(Int(o, "owner", -1));
		if (it == users.end() || (!owners.empty() && !owners.count(it->second)))
			continue;
		auto t = std::make_unique<OlrTable>();
		t->owner = it->second;
		t->name = Str(o, "name");
		t->obj = static_cast<uint64_t>(Int(o, "obj"));
		by_obj[Int(o, "obj")] = t.get();
		found.push_back(std::move(t));
	}

	struct ColRow {
		int col;
		OlrColumn c;
	};
	std::unordered_map<int64_t, std::vector<ColRow>> cols;
	for (const auto &c : Member(doc, "sys-col").Items()) {
		int64_t obj = Int(c, "obj");
		if (!by_obj.count(obj))
			continue;
		const int col = static_cast<int>(Int(c, "col"));
		const uint64_t prop = Flags(c, "property");
		/* col# 0: hidden/system columns; 0x20 hidden, 0x4000 dropped, 0x8000 unused. */
		if (col <= 0 || (prop & (0x20 | 0x4000 | 0x8000)))
			continue;
		ColRow r;
		r.col = col;
		r.c.name = Str(c, "name");
		r.c.type = TypeFromCode(static_cast<int>(Int(c, "type")), Int(c, "length", -1),
		                        static_cast<int>(Int(c, "precision", -1)), static_cast<int>(Int(c, "scale", -1)),
		                        static_cast<int>(Int(c, "charset-form")));
		r.c.nullable = Int(c, "null") == 0;
		r.c.int_col = static_cast<int>(Int(c, "int-col"));
		cols[obj].push_back(std::move(r));
	}

	/* Primary keys: sys-cdef type 2, columns from sys-ccol. */
	std::unordered_map<int64_t, int64_t> pk_con; /* con -> obj */
	if (const json::Value *cdef = doc.Find("sys-cdef"))
		for (const auto &d : cdef->Items())
			if (Int(d, "type") == 2 && by_obj.count(Int(d, "obj")))
				pk_con[Int(d, "con")] = Int(d, "obj");
	std::unordered_map<int64_t, std::vector<std::pair<int64_t, int>>> pk_cols; /* obj -> (pos, int-col) */
	if (const json::Value *ccol = doc.Find("sys-ccol"))
		for (const auto &c : ccol->Items()) {
			auto it = pk_con.find(Int(c, "con"));
			if (it == pk_con.end())
				continue;
			int64_t pos = Int(c, "pos", Int(c, "int-col"));
			pk_cols[it->second].emplace_back(pos, static_cast<int>(Int(c, "int-col")));
		}

	for (auto &t : found) {
		auto &rows = cols[static_cast<int64_t>(t->obj)];
		if (rows.empty())
			continue;
		std::sort(rows.begin(), rows.end(), [](const ColRow &a, const ColRow &b) { return a.col < b.col; });
		for (auto &r : rows)
			t->columns.push_back(std::move(r.c));
		auto &pk = pk_cols[static_cast<int64_t>(t->obj)];
		std::sort(pk.begin(), pk.end());
		for (const auto &[pos, int_col] : pk)
			for (size_t i = 0; i < t->columns.size(); i++)
				if (t->columns[i].int_col == int_col)
					t->primary_key.push_back(i);
		t->Reindex();
		std::string k = Key(t->owner, t->name);
		tables_[k] = std::move(t);
	}
}

const OlrTable *Catalog::UpdateFromPayload(const Payload &p)
{
	if (!p.has_columns || p.owner.empty() || p.table.empty())
		return nullptr;
	std::string k = Key(p.owner, p.table);
	auto it = tables_.find(k);
	std::vector<std::string> old_pk;
	if (it != tables_.end())
		for (size_t i : it->second->primary_key)
			old_pk.push_back(it->second->columns[i].name);
	auto t = std::make_unique<OlrTable>();
	t->owner = std::string(p.owner);
	t->name = std::string(p.table);
	t->obj = p.obj.value_or(0);
	for (const auto &c : p.columns) {
		OlrColumn oc;
		oc.name = std::string(c.name);
		oc.type = TypeFromName(c.type, c.length.value_or(-1), static_cast<int>(c.precision.value_or(-1)),
		                       static_cast<int>(c.scale.value_or(-1)));
		oc.nullable = c.nullable;
		t->columns.push_back(std::move(oc));
	}
	t->Reindex();
	for (const auto &n : old_pk)
		if (auto f = t->index.find(n); f != t->index.end())
			t->primary_key.push_back(f->second);
	if (t->primary_key.size() != old_pk.size())
		t->primary_key.clear();
	const OlrTable *r = t.get();
	tables_[k] = std::move(t);
	return r;
}

const OlrTable *Catalog::Find(std::string_view owner, std::string_view table) const
{
	auto it = tables_.find(Key(owner, table));
	return it == tables_.end() ? nullptr : it->second.get();
}

const OlrTable *Catalog::Put(OlrTable t)
{
	t.Reindex();
	std::string k = Key(t.owner, t.name);
	auto p = std::make_unique<OlrTable>(std::move(t));
	const OlrTable *r = p.get();
	tables_[k] = std::move(p);
	return r;
}

void Catalog::Remove(std::string_view owner, std::string_view table)
{
	auto it = tables_.find(Key(owner, table));
	if (it != tables_.end())
		tables_.erase(it);
}

std::string Catalog::ToHistory(const std::vector<const OlrTable *> &tables)
{
	using json::Value;
	Value arr = Value::MakeArray();
	for (const OlrTable *t : tables) {
		Value o = Value::MakeObject();
		o.Set("owner", Value::MakeString(t->owner));
		o.Set("name", Value::MakeString(t->name));
		o.Set("obj", Value::MakeInt(static_cast<int64_t>(t->obj)));
		Value cols = Value::MakeArray();
		for (const auto &c : t->columns) {
			Value x = Value::MakeObject();
			x.Set("name", Value::MakeString(c.name));
			x.Set("type", Value::MakeInt(static_cast<int64_t>(c.type.type)));
			x.Set("length", Value::MakeInt(c.type.length));
			x.Set("precision", Value::MakeInt(c.type.precision));
			x.Set("scale", Value::MakeInt(c.type.scale));
			x.Set("leading", Value::MakeInt(c.type.leading));
			if (!c.type.unknown.empty())
				x.Set("unknown", Value::MakeString(c.type.unknown));
			x.Set("nullable", Value::MakeBool(c.nullable));
			x.Set("int_col", Value::MakeInt(c.int_col));
			cols.Push(std::move(x));
		}
		o.Set("columns", std::move(cols));
		Value pk = Value::MakeArray();
		for (size_t i : t->primary_key)
			pk.Push(Value::MakeInt(static_cast<int64_t>(i)));
		o.Set("pk", std::move(pk));
		arr.Push(std::move(o));
	}
	Value doc = Value::MakeObject();
	doc.Set("v", Value::MakeInt(1));
	doc.Set("tables", std::move(arr));
	return json::Write(doc);
}

void Catalog::LoadHistory(std::string_view text)
{
	auto bad = [](const std::string &what) {
		return Error(sqlstate::kDataCorrupted, "stored OpenLogReplicator table definitions are damaged: " + what, {},
		             "Delete the connector's row in _synchdb.offsets and start it again with snapshot mode no_data.");
	};
	json::Value doc;
	try {
		doc = json::Parse(text);
	} catch (const Error &e) {
		throw bad(e.what());
	}
	const json::Value *tables = doc.IsObject() ? doc.Find("tables") : nullptr;
	if (!tables || !tables->IsArray())
		throw bad("no \"tables\" array");
	for (const auto &o : tables->Items()) {
		if (!o.IsObject())
			throw bad("a table is not an object");
		OlrTable t;
		t.owner = Str(o, "owner");
		t.name = Str(o, "name");
		t.obj = static_cast<uint64_t>(Int(o, "obj"));
		if (t.owner.empty() || t.name.empty())
			throw bad("a table has no owner or name");
		const json::Value *cols = o.Find("columns");
		if (!cols || !cols->IsArray())
			throw bad("table " + t.owner + "." + t.name + " has no columns");
		for (const auto &x : cols->Items()) {
			OlrColumn c;
			c.name = Str(x, "name");
			const int64_t ty = Int(x, "type", -1);
			if (c.name.empty() || ty < 0 || ty > static_cast<int64_t>(OraType::Bfile))
				throw bad("table " + t.owner + "." + t.name + " has a column without a name or type");
			c.type.type = static_cast<OraType>(ty);
			c.type.length = Int(x, "length", -1);
			c.type.precision = static_cast<int>(Int(x, "precision", -1));
			c.type.scale = static_cast<int>(Int(x, "scale", -1));
			c.type.leading = static_cast<int>(Int(x, "leading", -1));
			c.type.unknown = Str(x, "unknown");
			const json::Value *n = x.Find("nullable");
			c.nullable = !n || !n->IsBool() || n->AsBool();
			c.int_col = static_cast<int>(Int(x, "int_col"));
			t.columns.push_back(std::move(c));
		}
		if (const json::Value *pk = o.Find("pk"); pk && pk->IsArray())
			for (const auto &i : pk->Items()) {
				const int64_t k = i.AsInt().value_or(-1);
				if (k < 0 || static_cast<size_t>(k) >= t.columns.size())
					throw bad("table " + t.owner + "." + t.name + " has a bad primary key");
				t.primary_key.push_back(static_cast<size_t>(k));
			}
		Put(std::move(t));
	}
}

std::vector<const OlrTable *> Catalog::Tables() const
{
	std::vector<const OlrTable *> v;
	for (const auto &[k, t] : tables_)
		v.push_back(t.get());
	return v;
}

void BuildRow(const OlrTable &t, std::span<const ColumnRef> image, bool absent_is_null, const ValueFormat &fmt,
              RowData &row, RowBuildResult &res)
{
	row.Clear();
	const size_t n = t.columns.size();
	row.fields.assign(n, RowData::Field{0, absent_is_null ? -1 : kFieldAbsent});
	std::string why;
	size_t hint = 0;
	for (const auto &c : image) {
		int i = t.Find(c.name, hint);
		if (i < 0) {
			res.unknown_columns.emplace_back(c.name);
			continue;
		}
		hint = static_cast<size_t>(i) + 1;
		if (c.value.kind == JValue::Kind::Null) {
			row.fields[i] = {0, -1};
			continue;
		}
		const size_t start = row.buf.size();
		why.clear();
		if (!RenderValue(t.columns[i].type, c.value, fmt, row.buf, why)) {
			row.buf.resize(start);
			if (res.error.empty())
				res.error = "column " + Quoted(t.columns[i].name) + " (" + TypeText(t.columns[i].type) + "): " + why +
				            ": " + std::string(c.value.raw.substr(0, 100));
			row.fields[i] = {0, -1};
			continue;
		}
		row.fields[i] = {static_cast<uint32_t>(start), static_cast<int32_t>(row.buf.size() - start)};
	}
}

}  // namespace synchdb::olr
