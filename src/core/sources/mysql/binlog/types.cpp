/*
 * types.cpp
 *     Names of event types and column types, for messages and tests.
 */
#include "core/sources/mysql/binlog/types.hpp"

namespace synchdb::binlog {

const char *EventTypeName(uint8_t code)
{
	switch (static_cast<EventType>(code)) {
	case EventType::kStartV3: return "START_EVENT_V3";
	case EventType::kQuery: return "QUERY_EVENT";
	case EventType::kStop: return "STOP_EVENT";
	case EventType::kRotate: return "ROTATE_EVENT";
	case EventType::kIntvar: return "INTVAR_EVENT";
	case EventType::kLoad: return "LOAD_EVENT";
	case EventType::kSlave: return "SLAVE_EVENT";
	case EventType::kCreateFile: return "CREATE_FILE_EVENT";
	case EventType::kAppendBlock: return "APPEND_BLOCK_EVENT";
	case EventType::kExecLoad: return "EXEC_LOAD_EVENT";
	case EventType::kDeleteFile: return "DELETE_FILE_EVENT";
	case EventType::kNewLoad: return "NEW_LOAD_EVENT";
	case EventType::kRand: return "RAND_EVENT";
	case EventType::kUserVar: return "USER_VAR_EVENT";
	case EventType::kFormatDescription: return "FORMAT_DESCRIPTION_EVENT";
	case EventType::kXid: return "XID_EVENT";
	case EventType::kBeginLoadQuery: return "BEGIN_LOAD_QUERY_EVENT";
	case EventType::kExecuteLoadQuery: return "EXECUTE_LOAD_QUERY_EVENT";
	case EventType::kTableMap: return "TABLE_MAP_EVENT";
	case EventType::kPreGaWriteRows: return "PRE_GA_WRITE_ROWS_EVENT";
	case EventType::kPreGaUpdateRows: return "PRE_GA_UPDATE_ROWS_EVENT";
	case EventType::kPreGaDeleteRows: return "PRE_GA_DELETE_ROWS_EVENT";
	case EventType::kWriteRowsV1: return "WRITE_ROWS_EVENT_V1";
	case EventType::kUpdateRowsV1: return "UPDATE_ROWS_EVENT_V1";
	case EventType::kDeleteRowsV1: return "DELETE_ROWS_EVENT_V1";
	case EventType::kIncident: return "INCIDENT_EVENT";
	case EventType::kHeartbeat: return "HEARTBEAT_LOG_EVENT";
	case EventType::kIgnorable: return "IGNORABLE_LOG_EVENT";
	case EventType::kRowsQuery: return "ROWS_QUERY_LOG_EVENT";
	case EventType::kWriteRows: return "WRITE_ROWS_EVENT";
	case EventType::kUpdateRows: return "UPDATE_ROWS_EVENT";
	case EventType::kDeleteRows: return "DELETE_ROWS_EVENT";
	case EventType::kGtid: return "GTID_LOG_EVENT";
	case EventType::kAnonymousGtid: return "ANONYMOUS_GTID_LOG_EVENT";
	case EventType::kPreviousGtids: return "PREVIOUS_GTIDS_LOG_EVENT";
	case EventType::kTransactionContext: return "TRANSACTION_CONTEXT_EVENT";
	case EventType::kViewChange: return "VIEW_CHANGE_EVENT";
	case EventType::kXaPrepare: return "XA_PREPARE_LOG_EVENT";
	case EventType::kPartialUpdateRows: return "PARTIAL_UPDATE_ROWS_EVENT";
	case EventType::kTransactionPayload: return "TRANSACTION_PAYLOAD_EVENT";
	case EventType::kHeartbeatV2: return "HEARTBEAT_LOG_EVENT_V2";
	case EventType::kGtidTagged: return "GTID_TAGGED_LOG_EVENT";
	case EventType::kMariaAnnotateRows: return "ANNOTATE_ROWS_EVENT";
	case EventType::kMariaBinlogCheckpoint: return "BINLOG_CHECKPOINT_EVENT";
	case EventType::kMariaGtid: return "GTID_EVENT";
	case EventType::kMariaGtidList: return "GTID_LIST_EVENT";
	case EventType::kMariaStartEncryption: return "START_ENCRYPTION_EVENT";
	case EventType::kMariaQueryCompressed: return "QUERY_COMPRESSED_EVENT";
	case EventType::kMariaWriteRowsCompressedV1: return "WRITE_ROWS_COMPRESSED_EVENT_V1";
	case EventType::kMariaUpdateRowsCompressedV1: return "UPDATE_ROWS_COMPRESSED_EVENT_V1";
	case EventType::kMariaDeleteRowsCompressedV1: return "DELETE_ROWS_COMPRESSED_EVENT_V1";
	case EventType::kMariaWriteRowsCompressed: return "WRITE_ROWS_COMPRESSED_EVENT";
	case EventType::kMariaUpdateRowsCompressed: return "UPDATE_ROWS_COMPRESSED_EVENT";
	case EventType::kMariaDeleteRowsCompressed: return "DELETE_ROWS_COMPRESSED_EVENT";
	default: return "UNKNOWN_EVENT";
	}
}

const char *ColumnTypeName(uint8_t code)
{
	switch (static_cast<ColumnType>(code)) {
	case ColumnType::kDecimal: return "DECIMAL (pre-5.0.3)";
	case ColumnType::kTiny: return "TINYINT";
	case ColumnType::kShort: return "SMALLINT";
	case ColumnType::kLong: return "INT";
	case ColumnType::kFloat: return "FLOAT";
	case ColumnType::kDouble: return "DOUBLE";
	case ColumnType::kNull: return "NULL";
	case ColumnType::kTimestamp: return "TIMESTAMP";
	case ColumnType::kLongLong: return "BIGINT";
	case ColumnType::kInt24: return "MEDIUMINT";
	case ColumnType::kDate: return "DATE";
	case ColumnType::kTime: return "TIME";
	case ColumnType::kDateTime: return "DATETIME";
	case ColumnType::kYear: return "YEAR";
	case ColumnType::kNewDate: return "NEWDATE";
	case ColumnType::kVarchar: return "VARCHAR";
	case ColumnType::kBit: return "BIT";
	case ColumnType::kTimestamp2: return "TIMESTAMP";
	case ColumnType::kDateTime2: return "DATETIME";
	case ColumnType::kTime2: return "TIME";
	case ColumnType::kTypedArray: return "TYPED_ARRAY";
	case ColumnType::kVector: return "VECTOR";
	case ColumnType::kInvalid: return "INVALID";
	case ColumnType::kBool: return "BOOL";
	case ColumnType::kJson: return "JSON";
	case ColumnType::kNewDecimal: return "DECIMAL";
	case ColumnType::kEnum: return "ENUM";
	case ColumnType::kSet: return "SET";
	case ColumnType::kTinyBlob: return "TINYBLOB";
	case ColumnType::kMediumBlob: return "MEDIUMBLOB";
	case ColumnType::kLongBlob: return "LONGBLOB";
	case ColumnType::kBlob: return "BLOB";
	case ColumnType::kVarString: return "VAR_STRING";
	case ColumnType::kString: return "CHAR";
	case ColumnType::kGeometry: return "GEOMETRY";
	default: return "UNKNOWN";
	}
}

}  // namespace synchdb::binlog
