/*
 * position.hpp
 *     A MySQL/MariaDB binlog position and its offset JSON (Debezium's
 *     MySQL connector shape, as synchdb_state_view shows it).
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/source.hpp"

namespace synchdb::mysql {

struct BinlogPosition {
	std::string file;       /* "" for a GTID-only position (synchdb_set_offset) */
	uint64_t pos = 0;       /* start of the next event to read */
	/*
	 * GTIDs: MariaDB, the last GTID of each replication domain up to this
	 * position ("0-1-42,1-5-7": the form of @@gtid_slave_pos, what a replica
	 * sends to resume); MySQL, the last GTID seen (uuid:n).  May be empty.
	 */
	std::string gtid;
	uint32_t server_id = 0; /* source server that wrote the event */
	uint32_t ts_sec = 0;    /* source commit time (seconds since the epoch) */
	/* @@server_id of the server whose binary log file and pos name; 0 = unknown (written before this key existed). */
	uint32_t file_server_id = 0;
	/*
	 * The offset had a non-zero "row" or "event" (Debezium's count of what
	 * to skip inside a transaction): it points into a transaction, which a
	 * GTID cannot express.  synchdb's own positions never do.  Not written back.
	 */
	bool inside_transaction = false;

	bool Valid() const { return !file.empty() || !gtid.empty(); }
	bool HasFile() const { return !file.empty(); }
	/* {"ts_sec":..,"file":..,"pos":..,"row":0,"server_id":..,"event":0[,"gtids":..][,"file_server_id":..]} */
	std::string ToOffsetJson() const;
	/* The engine's opaque form, with "binlog position file:pos" as its label. */
	synchdb::Position ToPosition() const;
	/* Parse an offset JSON; throws kInvalidParameterValue naming what is missing or wrong. */
	static BinlogPosition FromOffsetJson(std::string_view json);
};

/* One MariaDB GTID, domain-server-seq. */
struct MariaGtid {
	uint32_t domain = 0;
	uint32_t server = 0;
	uint64_t seq = 0;
	std::string ToString() const;
};

/* Parse a MariaDB GTID list ("0-1-42,1-5-7", spaces allowed after commas); nullopt when malformed. */
std::optional<std::vector<MariaGtid>> ParseMariaGtidList(std::string_view text);

/* The list with gtid's domain entry replaced (or added): the position after a transaction with that GTID. */
std::string MergeMariaGtid(const std::string &list, const MariaGtid &gtid);

/* <0, 0, >0: binlog files by their numeric suffix, then position. */
int Compare(const BinlogPosition &a, const BinlogPosition &b);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
