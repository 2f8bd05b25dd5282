/*
 * resume.hpp
 *     Positions of the OpenLogReplicator source, their offset JSON, and
 *     how to resume after a restart without losing or repeating a
 *     transaction.
 *
 * NOTES
 *   OLR 1.9.0 positions are (c_scn, c_idx) per message, where c_scn is the
 *   begin SCN of the transaction being written and the printed c_idx is
 *   the internal index + 1.  c_scn is not monotonic across transactions in
 *   commit order, and (c_scn, c_idx) repeats (fixture
 *   interleaved-transactions).  OLR skips, on CONTINUE, every message
 *   whose (c_scn, internal idx) is not after the requested position, so a
 *   CONTINUE from the last applied commit would silently drop a later-
 *   committed transaction that began earlier.
 *
 *   What this layer does instead:
 *     - The committed position is the commit message of the last applied
 *       transaction: its xid, its begin SCN, its (c_scn, printed c_idx),
 *       and its commit SCN when the stream carries one (scn-type 0x8).
 *     - CONFIRM lags one transaction: when the engine confirms transaction
 *       k, OLR is told about transaction k-1 (ConfirmTracker).  OLR keeps
 *       every unconfirmed message in memory, so the last applied
 *       transaction is always replayed after a reconnect.
 *     - On resume the client sends CONTINUE (c_scn 1, c_idx 0): OLR
 *       replays everything it still holds; ResumeFilter drops, in arrival
 *       (= commit) order, every message up to and including the commit of
 *       the last applied transaction.  With commit SCNs in the stream the
 *       decision is made by commit SCN instead.
 *     - A position without xid (set by the user, or a snapshot SCN) has
 *       nothing to match: START from its scn, CONTINUE from (c_scn,
 *       c_idx - 1) -- the printed index minus one is OLR's internal one --
 *       and no client-side filtering.
 *
 *   Offset JSON (last_dbz_offset):
 *     {"scn":<begin scn>,"c_scn":N,"c_idx":N,"xid":"…","commit_scn":N}
 *   ParseOffset also takes Debezium's Oracle shape ({"scn":"…",
 *   "commit_scn":"…", …}: numbers as strings) and a bare {"scn":N}.
 */
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "core/sources/olr/message.hpp"

namespace synchdb::olr {

struct OlrPosition {
	uint64_t scn = 0;     /* begin SCN of the last applied transaction, or the start SCN */
	uint64_t c_scn = 0;   /* of its commit message */
	uint64_t c_idx = 0;   /* printed, of its commit message */
	std::string xid;      /* "" = not a transaction boundary seen by this client */
	std::optional<uint64_t> commit_scn;
	uint64_t ts_usec = 0; /* not part of the offset */

	bool Valid() const { return scn != 0 || c_scn != 0; }
	bool operator==(const OlrPosition &o) const
	{
		return scn == o.scn && c_scn == o.c_scn && c_idx == o.c_idx && xid == o.xid && commit_scn == o.commit_scn;
	}
};

std::string ToOffsetJson(const OlrPosition &p);
/* Throws kInvalidParameterValue naming what is wrong. */
OlrPosition ParseOffsetJson(std::string_view text);
/*
 * <0, 0, >0.  By commit SCN when both have one, else by (c_scn, c_idx):
 * with OLR 1.9.0 the latter is not commit order across transactions.
 */
int ComparePositions(const OlrPosition &a, const OlrPosition &b);

struct ResumePlan {
	uint64_t start_scn = 0;      /* START; 0 = now */
	uint64_t continue_c_scn = 0; /* CONTINUE (when the server is already replicating) */
	uint64_t continue_c_idx = 0;
	bool filter = false;         /* use a ResumeFilter on what follows */
};

ResumePlan PlanResume(const std::optional<OlrPosition> &committed);

/* The (c_scn, c_idx) to send in CONFIRM/CONTINUE for a position: OLR's internal index. */
inline uint64_t InternalIdx(uint64_t printed_c_idx)
{
	return printed_c_idx ? printed_c_idx - 1 : 0;
}

/*
 * Drops the replayed messages that were applied before the restart.
 * Feed every decoded message in arrival order.
 */
class ResumeFilter {
public:
	/* max_skip: how many messages may pass before the last applied transaction is found. */
	explicit ResumeFilter(std::optional<OlrPosition> committed, uint64_t max_skip = 10000000);

	/* True: already applied, drop it.  Throws kObjectNotInPrerequisiteState past max_skip. */
	bool Drop(const Message &m);
	bool Active() const { return skipping_; }
	uint64_t dropped() const { return dropped_; }

private:
	std::optional<OlrPosition> pos_;
	bool skipping_ = false;
	uint64_t max_skip_;
	uint64_t dropped_ = 0;
	/* Commit-SCN mode: the decision for the current transaction. */
	std::optional<bool> txn_drop_;
};

/*
 * Which position to CONFIRM to OLR when the engine confirms one: the
 * commit before it (see NOTES).  Emitted() in commit order as the reader
 * emits commits; Confirmed() returns the position to send, if any.
 */
class ConfirmTracker {
public:
	/* first_c_idx: printed c_idx of the transaction's first message (its begin). */
	void Emitted(const OlrPosition &p, uint64_t first_c_idx);
	/*
	 * The position to CONFIRM now that p is durable: the commit before p,
	 * and only if OLR's comparison puts it before p's first message (else
	 * CONFIRM would release p's messages too, when p began earlier).
	 */
	std::optional<OlrPosition> Confirmed(const OlrPosition &p);
	size_t pending() const { return emitted_.size(); }

private:
	struct Entry {
		OlrPosition pos;
		uint64_t first_c_idx;
	};
	std::deque<Entry> emitted_;
};

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
