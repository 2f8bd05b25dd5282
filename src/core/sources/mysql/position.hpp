/*
 * position.hpp
 *     A MySQL/MariaDB binlog position and its offset JSON (Debezium's
 *     MySQL connector shape, as synchdb_state_view shows it).
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/source.hpp"

namespace synchdb::mysql {

struct BinlogPosition {
	std::string file;
	uint64_t pos = 0;       /* start of the next event to read */
	std::string gtid;       /* last GTID (MariaDB domain-server-seq), may be empty */
	uint32_t server_id = 0; /* source server that wrote the event */
	uint32_t ts_sec = 0;    /* source commit time (seconds since the epoch) */

	bool Valid() const { return !file.empty(); }
	/* {"ts_sec":..,"file":..,"pos":..,"row":0,"server_id":..,"event":0[,"gtids":..]} */
	std::string ToOffsetJson() const;
	/* The engine's opaque form, with "binlog position file:pos" as its label. */
	synchdb::Position ToPosition() const;
	/* Parse an offset JSON; throws kInvalidParameterValue naming what is missing or wrong. */
	static BinlogPosition FromOffsetJson(std::string_view json);
};

/* <0, 0, >0: binlog files by their numeric suffix, then position. */
int Compare(const BinlogPosition &a, const BinlogPosition &b);

}  // namespace synchdb::mysql

#include "core/cpp_only.hpp"
