/*
 * position.cpp
 *     Binlog positions as offset JSON.
 */
#include "core/sources/mysql/position.hpp"

#include <charconv>

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb::mysql {

std::string BinlogPosition::ToOffsetJson() const
{
	using json::Value;
	Value v = Value::MakeObject();
	v.Set("ts_sec", Value::MakeInt(ts_sec));
	v.Set("file", Value::MakeString(file));
	v.Set("pos", Value::MakeNumber(std::to_string(pos)));
	v.Set("row", Value::MakeInt(0));
	v.Set("server_id", Value::MakeInt(server_id));
	v.Set("event", Value::MakeInt(0));
	if (!gtid.empty())
		v.Set("gtids", Value::MakeString(gtid));
	return json::Write(v);
}

synchdb::Position BinlogPosition::ToPosition() const
{
	synchdb::Position p;
	p.offset = ToOffsetJson();
	p.ts_usec = static_cast<uint64_t>(ts_sec) * 1000000u;
	p.label = "binlog position " + file + ":" + std::to_string(pos);
	return p;
}

BinlogPosition BinlogPosition::FromOffsetJson(std::string_view text)
{
	auto bad = [&](const std::string &why) {
		return Error(sqlstate::kInvalidParameterValue, "invalid MySQL offset: " + why,
		             "The offset: " + std::string(text.substr(0, 200)),
		             "Give the offset as synchdb_state_view shows it, for example "
		             "{\"file\":\"mysql-bin.000003\",\"pos\":1234}.");
	};
	json::Value v;
	try {
		v = json::Parse(text);
	} catch (const Error &e) {
		throw bad(e.what());
	}
	if (!v.Find("file"))
		throw bad("it has no \"file\"");
	BinlogPosition p;
	const json::Value *f = v.Find("file");
	if (f->AsString().empty() || f->AsString().size() > 512)
		throw bad("\"file\" must be a binlog file name");
	p.file = f->AsString();
	const json::Value *pos = v.Find("pos");
	if (!pos)
		throw bad("it has no \"pos\"");
	auto n = pos->AsInt();
	if (!n || *n < 4)
		throw bad("\"pos\" must be a binlog offset of at least 4");
	p.pos = static_cast<uint64_t>(*n);
	if (const json::Value *g = v.Find("gtids"))
		p.gtid = g->AsString();
	if (const json::Value *s = v.Find("server_id"); s && s->AsInt())
		p.server_id = static_cast<uint32_t>(*s->AsInt());
	if (const json::Value *t = v.Find("ts_sec"); t && t->AsInt())
		p.ts_sec = static_cast<uint32_t>(*t->AsInt());
	return p;
}

namespace {

/* "mysql-bin.000012" -> 12; files without a numeric suffix compare as text. */
bool Suffix(const std::string &file, uint64_t &out)
{
	size_t dot = file.rfind('.');
	if (dot == std::string::npos || dot + 1 == file.size())
		return false;
	auto r = std::from_chars(file.data() + dot + 1, file.data() + file.size(), out);
	return r.ec == std::errc() && r.ptr == file.data() + file.size();
}

}  // namespace

int Compare(const BinlogPosition &a, const BinlogPosition &b)
{
	uint64_t sa, sb;
	if (a.file != b.file) {
		if (Suffix(a.file, sa) && Suffix(b.file, sb) && sa != sb)
			return sa < sb ? -1 : 1;
		return a.file < b.file ? -1 : 1;
	}
	if (a.pos != b.pos)
		return a.pos < b.pos ? -1 : 1;
	return 0;
}

}  // namespace synchdb::mysql
