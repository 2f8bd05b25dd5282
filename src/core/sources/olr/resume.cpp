/*
 * resume.cpp
 *     OLR positions, offsets, resume plan and replay filter.
 */
#include "core/sources/olr/resume.hpp"

#include "core/error.hpp"
#include "core/json.hpp"

namespace synchdb::olr {

namespace {

[[noreturn]] void BadOffset(const std::string &what)
{
	throw Error(sqlstate::kInvalidParameterValue, "invalid OpenLogReplicator offset: " + what, {},
	            "Expected {\"scn\":N,\"c_scn\":N,\"c_idx\":N} with optional \"xid\" and \"commit_scn\".");
}

/* A number or a numeric string; Debezium's "commit_scn" may be "scn:…" – take the digits before ':'. */
std::optional<uint64_t> Num(const json::Value &o, const char *key)
{
	const json::Value *v = o.Find(key);
	if (!v || v->IsNull())
		return std::nullopt;
	std::string_view t;
	if (v->IsNumber())
		t = v->NumberText();
	else if (v->IsString())
		t = v->AsString();
	else
		BadOffset(std::string("\"") + key + "\" is " + json::Value::KindName(v->kind()));
	if (size_t colon = t.find(':'); colon != std::string_view::npos)
		t = t.substr(0, colon);
	if (t.empty())
		return std::nullopt;
	auto n = ParseScnText(t);
	if (!n)
		BadOffset(std::string("\"") + key + "\" is not an unsigned 64-bit number: " + std::string(t));
	return n;
}

}  // namespace

std::string ToOffsetJson(const OlrPosition &p)
{
	std::string s = "{\"scn\":" + std::to_string(p.scn) + ",\"c_scn\":" + std::to_string(p.c_scn) +
	                ",\"c_idx\":" + std::to_string(p.c_idx);
	if (!p.xid.empty()) {
		s += ",\"xid\":";
		json::AppendQuoted(s, p.xid);
	}
	if (p.commit_scn)
		s += ",\"commit_scn\":" + std::to_string(*p.commit_scn);
	s += '}';
	return s;
}

OlrPosition ParseOffsetJson(std::string_view text)
{
	json::Value v;
	try {
		v = json::Parse(text);
	} catch (const Error &e) {
		BadOffset(e.what());
	}
	if (!v.IsObject())
		BadOffset("not a JSON object");
	OlrPosition p;
	auto scn = Num(v, "scn");
	auto c_scn = Num(v, "c_scn");
	auto c_idx = Num(v, "c_idx");
	auto commit = Num(v, "commit_scn");
	if (!scn && !c_scn && !commit)
		BadOffset("needs \"scn\", \"c_scn\" or \"commit_scn\"");
	p.scn = scn.value_or(c_scn.value_or(commit.value_or(0)));
	p.c_scn = c_scn.value_or(0);
	p.c_idx = c_idx.value_or(0);
	p.commit_scn = commit;
	if (const json::Value *x = v.Find("xid"); x && x->IsString())
		p.xid = x->AsString();
	return p;
}

int ComparePositions(const OlrPosition &a, const OlrPosition &b)
{
	if (a.commit_scn && b.commit_scn && *a.commit_scn != *b.commit_scn)
		return *a.commit_scn < *b.commit_scn ? -1 : 1;
	uint64_t ac = a.c_scn ? a.c_scn : a.scn, bc = b.c_scn ? b.c_scn : b.scn;
	if (ac != bc)
		return ac < bc ? -1 : 1;
	if (a.c_idx != b.c_idx)
		return a.c_idx < b.c_idx ? -1 : 1;
	return 0;
}

ResumePlan PlanResume(const std::optional<OlrPosition> &committed)
{
	ResumePlan plan;
	if (!committed || !committed->Valid())
		return plan; /* START now; CONTINUE from the server's own confirmed position */
	const OlrPosition &p = *committed;
	plan.start_scn = p.scn ? p.scn : p.c_scn;
	if (!p.xid.empty()) {
		/* Replay everything OLR still holds and drop the applied part here. */
		plan.continue_c_scn = 1;
		plan.continue_c_idx = 0;
		plan.filter = true;
	} else {
		plan.continue_c_scn = p.c_scn ? p.c_scn : p.scn;
		plan.continue_c_idx = InternalIdx(p.c_idx);
	}
	return plan;
}

ResumeFilter::ResumeFilter(std::optional<OlrPosition> committed, uint64_t max_skip)
	: pos_(std::move(committed)), max_skip_(max_skip)
{
	skipping_ = pos_ && !pos_->xid.empty();
}

bool ResumeFilter::Drop(const Message &m)
{
	if (!skipping_)
		return false;
	const auto pl = m.payload();
	const bool begin = !pl.empty() && pl.front().op == Op::Begin;
	const bool commit = !pl.empty() && pl.back().op == Op::Commit;

	/* Commit SCN mode: decide per transaction at its first message carrying e_scn. */
	if (pos_->commit_scn && m.e_scn) {
		if (begin || !txn_drop_) {
			if (*m.e_scn < *pos_->commit_scn)
				txn_drop_ = true;
			else if (*m.e_scn > *pos_->commit_scn) {
				skipping_ = false; /* the first transaction after the applied one */
				txn_drop_.reset();
				return false;
			} else
				txn_drop_ = true; /* same commit SCN: applied iff not after the applied one, see below */
		}
	}

	dropped_++;
	if (commit && m.xid == pos_->xid && m.c_scn == pos_->c_scn && m.c_idx == pos_->c_idx) {
		skipping_ = false; /* the last applied transaction: everything after it is new */
		txn_drop_.reset();
		return true;
	}
	if (commit)
		txn_drop_.reset();
	if (dropped_ > max_skip_)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "OpenLogReplicator did not replay the last applied transaction " + Quoted(pos_->xid) + " within " +
		                std::to_string(max_skip_) + " messages",
		            "position " + ToOffsetJson(*pos_),
		            "OpenLogReplicator may have been restarted without its state, or the offset was set by hand; "
		            "set an offset without \"xid\" to resume from an SCN.");
	return true;
}

void ConfirmTracker::Emitted(const OlrPosition &p, uint64_t first_c_idx)
{
	emitted_.push_back({p, first_c_idx});
}

std::optional<OlrPosition> ConfirmTracker::Confirmed(const OlrPosition &p)
{
	for (size_t i = 0; i < emitted_.size(); i++) {
		if (!(emitted_[i].pos == p))
			continue;
		if (i == 0)
			return std::nullopt;
		const OlrPosition prev = emitted_[i - 1].pos;
		const uint64_t first = InternalIdx(emitted_[i].first_c_idx);
		/* OLR releases queued messages (c_scn, idx) <= the confirmed one: p's first must stay. */
		const bool safe = prev.c_scn < p.c_scn || (prev.c_scn == p.c_scn && InternalIdx(prev.c_idx) < first);
		if (!safe)
			return std::nullopt; /* keep the older entries: a later confirm may release them */
		emitted_.erase(emitted_.begin(), emitted_.begin() + static_cast<std::ptrdiff_t>(i));
		return prev;
	}
	return std::nullopt;
}

}  // namespace synchdb::olr
