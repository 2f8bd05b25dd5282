/*
 * types.hpp
 *     Binlog event type codes and MySQL column type codes.
 *
 * NOTES
 *   Event type codes are the Log_event_type values of MySQL
 *   (libs/mysql/binlog/event/binlog_event.h, "enum Log_event_type") and the
 *   MariaDB extensions starting at 160 (sql/log_event.h in MariaDB).
 *   They are kept as a plain enum over uint8_t so that any byte, including
 *   a code this file does not know, can be stored and reported.
 *
 *   Column type codes are enum_field_types of MySQL (include/field_types.h):
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/field__types_8h.html
 */
#pragma once

#include <cstdint>

namespace synchdb::binlog {

enum class EventType : uint8_t {
	kUnknown = 0,
	kStartV3 = 1,
	kQuery = 2,
	kStop = 3,
	kRotate = 4,
	kIntvar = 5,
	kLoad = 6,
	kSlave = 7,
	kCreateFile = 8,
	kAppendBlock = 9,
	kExecLoad = 10,
	kDeleteFile = 11,
	kNewLoad = 12,
	kRand = 13,
	kUserVar = 14,
	kFormatDescription = 15,
	kXid = 16,
	kBeginLoadQuery = 17,
	kExecuteLoadQuery = 18,
	kTableMap = 19,
	kPreGaWriteRows = 20,	/* MySQL 5.1.0-5.1.15 */
	kPreGaUpdateRows = 21,
	kPreGaDeleteRows = 22,
	kWriteRowsV1 = 23,
	kUpdateRowsV1 = 24,
	kDeleteRowsV1 = 25,
	kIncident = 26,
	kHeartbeat = 27,
	kIgnorable = 28,
	kRowsQuery = 29,
	kWriteRows = 30,		/* v2, MySQL 5.6+ */
	kUpdateRows = 31,
	kDeleteRows = 32,
	kGtid = 33,
	kAnonymousGtid = 34,
	kPreviousGtids = 35,
	kTransactionContext = 36,
	kViewChange = 37,
	kXaPrepare = 38,
	kPartialUpdateRows = 39,
	kTransactionPayload = 40,
	kHeartbeatV2 = 41,
	kGtidTagged = 42,		/* MySQL 8.3+ */
	/* MariaDB */
	kMariaAnnotateRows = 160,
	kMariaBinlogCheckpoint = 161,
	kMariaGtid = 162,
	kMariaGtidList = 163,
	kMariaStartEncryption = 164,
	kMariaQueryCompressed = 165,
	kMariaWriteRowsCompressedV1 = 166,
	kMariaUpdateRowsCompressedV1 = 167,
	kMariaDeleteRowsCompressedV1 = 168,
	kMariaWriteRowsCompressed = 169,
	kMariaUpdateRowsCompressed = 170,
	kMariaDeleteRowsCompressed = 171,
};

/* Upper-case name as MySQL/MariaDB spell it, e.g. "TABLE_MAP_EVENT"; "UNKNOWN_EVENT" if unknown. */
const char *EventTypeName(uint8_t code);

/* MySQL column type codes as they appear in TABLE_MAP_EVENT. */
enum class ColumnType : uint8_t {
	kDecimal = 0,			/* pre-5.0.3 DECIMAL */
	kTiny = 1,
	kShort = 2,
	kLong = 3,
	kFloat = 4,
	kDouble = 5,
	kNull = 6,
	kTimestamp = 7,
	kLongLong = 8,
	kInt24 = 9,
	kDate = 10,
	kTime = 11,
	kDateTime = 12,
	kYear = 13,
	kNewDate = 14,
	kVarchar = 15,
	kBit = 16,
	kTimestamp2 = 17,
	kDateTime2 = 18,
	kTime2 = 19,
	kTypedArray = 20,
	kVector = 242,
	kInvalid = 243,
	kBool = 244,
	kJson = 245,
	kNewDecimal = 246,
	kEnum = 247,
	kSet = 248,
	kTinyBlob = 249,
	kMediumBlob = 250,
	kLongBlob = 251,
	kBlob = 252,
	kVarString = 253,
	kString = 254,
	kGeometry = 255,
};

/* Upper-case SQL name of a column type, e.g. "VARCHAR", "VECTOR"; "UNKNOWN" if unknown. */
const char *ColumnTypeName(uint8_t code);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
