/*
 * position.cpp
 *     Offset JSON of the PostgreSQL source; see position.hpp.
 */
#include "core/sources/postgres/position.hpp"

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb::pgsrc {

namespace {

[[noreturn]] void Bad(std::string_view text, const std::string &why)
{
	throw Error(sqlstate::kInvalidParameterValue,
	            "invalid PostgreSQL source offset " + Quoted(std::string(text.substr(0, 200))) + ": " + why, {},
	            "A PostgreSQL offset looks like {\"lsn\":24023128,\"txId\":741,\"ts_usec\":1700000000000000}.");
}

uint64_t Unsigned(std::string_view text, const json::Value &v, const char *key, bool lsn)
{
	if (v.IsString() && lsn) {
		try {
			return ParseLsn(v.AsString());
		} catch (const Error &) {
			Bad(text, std::string("\"") + key + "\" is not an LSN");
		}
	}
	if (!v.IsNumber())
		Bad(text, std::string("\"") + key + "\" must be a non-negative integer");
	const std::string &n = v.NumberText();
	if (n.empty() || n.size() > 20)
		Bad(text, std::string("\"") + key + "\" must be a non-negative integer");
	uint64_t out = 0;
	for (char c : n) {
		if (c < '0' || c > '9')
			Bad(text, std::string("\"") + key + "\" must be a non-negative integer");
		uint64_t d = static_cast<uint64_t>(c - '0');
		if (out > (UINT64_MAX - d) / 10)
			Bad(text, std::string("\"") + key + "\" is out of range");
		out = out * 10 + d;
	}
	return out;
}

}  // namespace

std::string PgPosition::ToOffsetJson() const
{
	std::string s = "{\"lsn\":" + std::to_string(lsn);
	if (lsn_commit)
		s += ",\"lsn_commit\":" + std::to_string(lsn_commit);
	s += ",\"txId\":" + std::to_string(txid) + ",\"ts_usec\":" + std::to_string(ts_usec);
	if (snapshot)
		s += ",\"snapshot\":true";
	s += "}";
	return s;
}

Position PgPosition::ToPosition() const
{
	Position p;
	p.offset = ToOffsetJson();
	p.ts_usec = ts_usec;
	return p;
}

PgPosition ParsePgOffset(std::string_view text)
{
	json::Value v;
	try {
		v = json::Parse(text);
	} catch (const Error &e) {
		Bad(text, e.what());
	}
	if (!v.IsObject())
		Bad(text, "not a JSON object");
	PgPosition p;
	const json::Value *lsn = v.Find("lsn");
	if (!lsn)
		Bad(text, "\"lsn\" is missing");
	p.lsn = Unsigned(text, *lsn, "lsn", true);
	if (p.lsn == 0)
		Bad(text, "\"lsn\" must not be 0");
	if (const json::Value *c = v.Find("lsn_commit"); c && !c->IsNull())
		p.lsn_commit = Unsigned(text, *c, "lsn_commit", true);
	if (const json::Value *x = v.Find("txId"); x && !x->IsNull())
		p.txid = Unsigned(text, *x, "txId", false);
	if (const json::Value *t = v.Find("ts_usec"); t && !t->IsNull())
		p.ts_usec = Unsigned(text, *t, "ts_usec", false);
	if (const json::Value *s = v.Find("snapshot"); s && !s->IsNull()) {
		if (!s->IsBool())
			Bad(text, "\"snapshot\" must be true or false");
		p.snapshot = s->AsBool();
	}
	return p;
}

int ComparePositions(const Position &a, const Position &b)
{
	Lsn la = ParsePgOffset(a.offset).lsn, lb = ParsePgOffset(b.offset).lsn;
	return la < lb ? -1 : la > lb ? 1 : 0;
}

}  // namespace synchdb::pgsrc
