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
	if (!file.empty()) {
		v.Set("file", Value::MakeString(file));
		v.Set("pos", Value::MakeNumber(std::to_string(pos)));
	}
	v.Set("row", Value::MakeInt(0));
	v.Set("server_id", Value::MakeInt(server_id));
	v.Set("event", Value::MakeInt(0));
	if (!gtid.empty())
		v.Set("gtids", Value::MakeString(gtid));
	if (file_server_id != 0)
		v.Set("file_server_id", Value::MakeInt(file_server_id));
	return json::Write(v);
}

synchdb::Position BinlogPosition::ToPosition() const
{
	synchdb::Position p;
	p.offset = ToOffsetJson();
	p.ts_usec = static_cast<uint64_t>(ts_sec) * 1000000u;
	p.label = file.empty() ? "GTID position " + gtid : "binlog position " + file + ":" + std::to_string(pos);
	return p;
}

BinlogPosition BinlogPosition::FromOffsetJson(std::string_view text)
{
	auto bad = [&](const std::string &why) {
		return Error(sqlstate::kInvalidParameterValue, "invalid MySQL offset: " + why,
		             "The offset: " + std::string(text.substr(0, 200)),
		             "Give the offset as synchdb_state_view shows it, for example "
		             "{\"file\":\"mysql-bin.000003\",\"pos\":1234}, or a MariaDB GTID position "
		             "{\"gtids\":\"0-1-42\"}.");
	};
	json::Value v;
	try {
		v = json::Parse(text);
	} catch (const Error &e) {
		throw bad(e.what());
	}
	if (!v.IsObject())
		throw bad("it is not a JSON object");
	BinlogPosition p;
	if (const json::Value *g = v.Find("gtids")) {
		if (!g->IsString() || g->AsString().size() > 2000)
			throw bad("\"gtids\" must be a string of at most 2000 characters");
		p.gtid = g->AsString();
	}
	const json::Value *f = v.Find("file");
	if (!f) {
		if (p.gtid.empty())
			throw bad("it has no \"file\" (nor \"gtids\")");
		/* GTID-only: MariaDB's form; MySQL GTID sets (uuid:interval) cannot be resumed from yet. */
		if (p.gtid.find(':') != std::string::npos)
			throw bad("a position given by a MySQL GTID set alone is not supported; give \"file\" and \"pos\"");
		if (!ParseMariaGtidList(p.gtid))
			throw bad("\"gtids\" must be a MariaDB GTID list such as \"0-1-42\" or \"0-1-42,1-2-7\"");
		if (v.Find("pos"))
			throw bad("it has \"pos\" but no \"file\"");
	} else {
		if (!f->IsString() || f->AsString().empty() || f->AsString().size() > 512)
			throw bad("\"file\" must be a binlog file name");
		p.file = f->AsString();
		const json::Value *pos = v.Find("pos");
		if (!pos)
			throw bad("it has no \"pos\"");
		auto n = pos->AsInt();
		if (!n || *n < 4)
			throw bad("\"pos\" must be a binlog offset of at least 4");
		p.pos = static_cast<uint64_t>(*n);
	}
	for (const char *k : {"row", "event"})
		if (const json::Value *x = v.Find(k); x && x->AsInt() && *x->AsInt() != 0)
			p.inside_transaction = true;
	if (const json::Value *s = v.Find("file_server_id"); s && s->AsInt())
		p.file_server_id = static_cast<uint32_t>(*s->AsInt());
	if (const json::Value *s = v.Find("server_id"); s && s->AsInt())
		p.server_id = static_cast<uint32_t>(*s->AsInt());
	if (const json::Value *t = v.Find("ts_sec"); t && t->AsInt())
		p.ts_sec = static_cast<uint32_t>(*t->AsInt());
	return p;
}

std::string MariaGtid::ToString() const
{
	return std::to_string(domain) + "-" + std::to_string(server) + "-" + std::to_string(seq);
}

std::optional<std::vector<MariaGtid>> ParseMariaGtidList(std::string_view text)
{
	std::vector<MariaGtid> out;
	auto skip_space = [&] {
		while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t'))
			text.remove_prefix(1);
	};
	skip_space();
	if (text.empty())
		return out;
	for (;;) {
		MariaGtid g;
		auto num = [&](auto &n) {
			auto r = std::from_chars(text.data(), text.data() + text.size(), n);
			if (r.ec != std::errc() || r.ptr == text.data())
				return false;
			text.remove_prefix(static_cast<size_t>(r.ptr - text.data()));
			return true;
		};
		auto dash = [&] {
			if (text.empty() || text.front() != '-')
				return false;
			text.remove_prefix(1);
			return true;
		};
		if (!num(g.domain) || !dash() || !num(g.server) || !dash() || !num(g.seq))
			return std::nullopt;
		for (const MariaGtid &o : out)
			if (o.domain == g.domain)
				return std::nullopt; /* one GTID per domain */
		out.push_back(g);
		skip_space();
		if (text.empty())
			return out;
		if (text.front() != ',')
			return std::nullopt;
		text.remove_prefix(1);
		skip_space();
	}
}

std::string MergeMariaGtid(const std::string &list, const MariaGtid &gtid)
{
	auto parsed = ParseMariaGtidList(list);
	std::vector<MariaGtid> gtids = parsed ? *parsed : std::vector<MariaGtid>{}; /* a MySQL GTID or junk: replaced */
	bool found = false;
	for (MariaGtid &g : gtids)
		if (g.domain == gtid.domain) {
			g = gtid;
			found = true;
		}
	if (!found)
		gtids.push_back(gtid);
	std::string out;
	for (const MariaGtid &g : gtids)
		out += (out.empty() ? "" : ",") + g.ToString();
	return out;
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
