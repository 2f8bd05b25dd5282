/*
 * position.hpp
 *     Positions of the PostgreSQL source: the offset JSON, parsed back and
 *     ordered.
 *
 * NOTES
 *   The offset JSON follows Debezium's PostgreSQL connector shape:
 *
 *     {"lsn":N,"lsn_commit":N,"txId":N,"ts_usec":N}
 *
 *   lsn        where to resume: the end LSN of the last source transaction
 *              the destination committed (pgoutput Commit's end_lsn), or
 *              the slot's consistent point after a snapshot.
 *              START_REPLICATION starts there, and the server sends only
 *              transactions that commit after it.
 *   lsn_commit the LSN of that transaction's commit record (informational);
 *              absent after a snapshot.
 *   txId       its transaction id (0 after a snapshot).
 *   ts_usec    its commit time, microseconds since the Unix epoch.
 *   snapshot   true for the position a snapshot ended at (absent otherwise).
 *
 *   LSNs are written as JSON integers (decimal, as Debezium does);
 *   ParseOffset also accepts the "X/Y" text form for lsn and lsn_commit.
 *   Positions order by lsn only.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/source.hpp"
#include "core/sources/postgres/pgoutput.hpp"

namespace synchdb::pgsrc {

struct PgPosition {
	Lsn lsn = 0;
	Lsn lsn_commit = 0;  /* 0 = absent */
	uint64_t txid = 0;
	uint64_t ts_usec = 0; /* Unix epoch */
	bool snapshot = false;

	std::string ToOffsetJson() const;
	Position ToPosition() const;
};

/* Throws kInvalidParameterValue naming what is wrong. */
PgPosition ParsePgOffset(std::string_view offset_json);

int ComparePositions(const Position &a, const Position &b);

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
