/*
 * event.hpp
 *     Binlog events and the stateful event decoder.
 *
 * NOTES
 *   Every event starts with the 19-byte common header (binlog version 4,
 *   MySQL 5.0+; class Log_event_header in the MySQL source documentation,
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html):
 *
 *     timestamp 4 | type 1 | server_id 4 | event_size 4 | log_pos 4 | flags 2
 *
 *   followed by the post-header (length per type given by the
 *   FORMAT_DESCRIPTION_EVENT), the body and, when the FDE says so, a
 *   4-byte CRC32 of header and body.
 *
 *   Decoder holds what decoding depends on: the current FDE (post-header
 *   lengths, checksum algorithm) and the table maps seen so far.  It is fed
 *   one complete event at a time, from a file (file_reader.hpp) or from the
 *   replication stream (the bytes of each COM_BINLOG_DUMP packet after its
 *   leading 0x00).  Decoded events view the caller's bytes: the buffer
 *   passed to Decode must outlive the Event, except for data the event
 *   owns (strings, table maps, decompressed payloads).
 *
 *   Unknown event types decode to an Event whose data is std::monostate;
 *   header.type_code tells the caller which type it was.
 */
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/sources/mysql/binlog/reader.hpp"
#include "core/sources/mysql/binlog/rows.hpp"
#include "core/sources/mysql/binlog/table_map.hpp"
#include "core/sources/mysql/binlog/types.hpp"

namespace synchdb::binlog {

inline constexpr size_t kHeaderSize = 19;
inline constexpr size_t kChecksumSize = 4;
inline constexpr uint8_t kBinlogMagic[4] = {0xfe, 'b', 'i', 'n'};

/* Common header flags (LOG_EVENT_*_F). */
inline constexpr uint16_t kEventFlagBinlogInUse = 0x0001;
inline constexpr uint16_t kEventFlagArtificial = 0x0020;
inline constexpr uint16_t kEventFlagRelayLog = 0x0040;

struct EventHeader {
	uint32_t timestamp = 0;
	uint8_t type_code = 0;
	uint32_t server_id = 0;
	uint32_t event_size = 0;
	uint32_t log_pos = 0; /* position of the next event; 0 for artificial events */
	uint16_t flags = 0;

	EventType type() const { return static_cast<EventType>(type_code); }
};

/* Parse the common header; throws if fewer than 19 bytes. */
EventHeader ParseHeader(Bytes raw, uint64_t offset);

enum class ChecksumAlg : uint8_t { kOff = 0, kCrc32 = 1, kUndefined = 255 };

struct FormatDescription {
	uint16_t binlog_version = 4;
	std::string server_version;
	uint32_t create_timestamp = 0;
	uint8_t header_length = kHeaderSize;
	std::vector<uint8_t> post_header_lengths; /* index = type code - 1 */
	ChecksumAlg checksum = ChecksumAlg::kOff;
	bool is_mariadb = false;
	std::array<int, 3> version{0, 0, 0};

	/* Post-header length of a type, or fallback if the FDE does not list it. */
	uint8_t PostHeaderLength(EventType type, uint8_t fallback) const;

	/* The FDE a decoder assumes before it has seen one (MySQL 5.6 defaults). */
	static FormatDescription Default();
};

struct RotateEvent {
	uint64_t position = 0;
	std::string next_file;
};

/* QUERY_EVENT and MariaDB QUERY_COMPRESSED_EVENT. */
struct QueryEvent {
	uint32_t thread_id = 0;
	uint32_t exec_time = 0;
	uint16_t error_code = 0;
	std::string schema;
	std::string query;
	bool compressed = false;
};

struct XidEvent {
	uint64_t xid = 0;
};

/* MariaDB GTID_EVENT: domain-server-sequence, plus flags. */
struct MariaGtidEvent {
	static constexpr uint8_t kStandalone = 0x01;
	static constexpr uint8_t kGroupCommitId = 0x02;
	static constexpr uint8_t kTransactional = 0x04;
	static constexpr uint8_t kAllowParallel = 0x08;
	static constexpr uint8_t kWaited = 0x10;
	static constexpr uint8_t kDdl = 0x20;
	static constexpr uint8_t kPreparedXa = 0x40;
	static constexpr uint8_t kCompletedXa = 0x80;

	uint32_t domain_id = 0;
	uint32_t server_id = 0;
	uint64_t seq_no = 0;
	uint8_t flags = 0;
	uint64_t commit_id = 0; /* valid if flags & kGroupCommitId */

	bool IsStandalone() const { return flags & kStandalone; }
	/* "domain-server-seq" */
	std::string ToString() const;
};

struct MariaGtid {
	uint32_t domain_id = 0;
	uint32_t server_id = 0;
	uint64_t seq_no = 0;
};

struct MariaGtidListEvent {
	uint8_t flags = 0; /* top 4 bits of the count word */
	std::vector<MariaGtid> gtids;
};

struct MariaBinlogCheckpointEvent {
	std::string file;
};

using Uuid = std::array<uint8_t, 16>;
std::string UuidToString(const Uuid &u);

/* MySQL GTID_EVENT, ANONYMOUS_GTID_EVENT and GTID_TAGGED_LOG_EVENT. */
struct MysqlGtidEvent {
	bool anonymous = false;
	bool tagged = false;
	uint8_t flags = 0; /* bit 0: may have been committed */
	Uuid sid{};
	std::string tag; /* empty if untagged */
	int64_t gno = 0;
	bool has_logical_clock = false;
	int64_t last_committed = 0;
	int64_t sequence_number = 0;
	uint64_t immediate_commit_timestamp = 0; /* microseconds; 0 if absent */
	uint64_t original_commit_timestamp = 0;
	uint64_t transaction_length = 0;
	uint32_t immediate_server_version = 0;
	uint32_t original_server_version = 0;

	/* "uuid:gno" or "uuid:tag:gno" */
	std::string ToString() const;
};

struct PreviousGtidsEvent {
	struct Interval {
		int64_t start = 0; /* inclusive */
		int64_t end = 0;   /* exclusive */
	};
	struct Sid {
		Uuid uuid{};
		std::string tag;
		std::vector<Interval> intervals;
	};
	std::vector<Sid> sids;
};

struct TableMapEvent {
	std::shared_ptr<const TableMap> table;
};

/* MySQL ROWS_QUERY_LOG_EVENT and MariaDB ANNOTATE_ROWS_EVENT: the SQL text. */
struct RowsQueryEvent {
	std::string query;
};

class PayloadStream;

/*
 * MySQL TRANSACTION_PAYLOAD_EVENT: its inner events, decompressed one at a
 * time by Decoder::DecodeInner (the stream is shared by copies of the event
 * and consumed once).
 */
struct TransactionPayloadEvent {
	uint64_t compression = 0; /* 0 = zstd, 255 = none */
	uint64_t payload_size = 0;
	uint64_t uncompressed_size = 0;
	std::shared_ptr<PayloadStream> events; /* the concatenated inner events */
};

struct HeartbeatEvent {
	std::string log_file;
	uint64_t position = 0;
};

using EventData = std::variant<std::monostate, FormatDescription, RotateEvent, QueryEvent, XidEvent, MariaGtidEvent,
							   MariaGtidListEvent, MariaBinlogCheckpointEvent, MysqlGtidEvent, PreviousGtidsEvent,
							   TableMapEvent, RowsEvent, RowsQueryEvent, TransactionPayloadEvent, HeartbeatEvent>;

struct Event {
	uint64_t offset = 0; /* of the event (for inner events: of their payload event) */
	bool in_payload = false; /* decoded from a TRANSACTION_PAYLOAD_EVENT */
	EventHeader header;
	Bytes body; /* after the common header, without the checksum (FDE: everything after the header) */
	bool checksum_verified = false;
	EventData data;
	/* Inner events of a transaction payload: the bytes body and data view (the stream's window moves on). */
	std::shared_ptr<const std::vector<uint8_t>> storage;

	template <typename T>
	const T *As() const
	{
		return std::get_if<T>(&data);
	}
	bool IsUnknown() const { return std::holds_alternative<std::monostate>(data); }
};

class Decoder {
public:
	struct Options {
		bool verify_checksums = true;
	};

	Decoder();
	explicit Decoder(Options options);

	/*
	 * Decode one complete event: header, body and the CRC32 trailer if the
	 * current FDE (or SetChecksum) says there is one.  offset is the event's
	 * position, used in messages.  Updates the decoder state (FDE, table
	 * maps).  Throws synchdb::Error(kDataCorrupted) for truncated or corrupt
	 * events and checksum mismatches.
	 */
	Event Decode(Bytes raw, uint64_t offset);

	/*
	 * Decode the next event inside a TRANSACTION_PAYLOAD_EVENT (decompressed
	 * as far as that event); *pos counts the decompressed bytes consumed.
	 * Returns false at the end, after checking the size the header
	 * declared.  Inner events carry no checksum.
	 */
	bool DecodeInner(const TransactionPayloadEvent &payload, size_t *pos, uint64_t outer_offset, Event &out);

	/* Set the checksum algorithm before an FDE is seen (replication stream). */
	void SetChecksum(ChecksumAlg alg) { checksum_ = alg; }
	ChecksumAlg Checksum() const { return checksum_; }

	const FormatDescription &Format() const { return fde_; }
	bool HasFormat() const { return have_fde_; }

	/* The table map for a table id, or null. */
	std::shared_ptr<const TableMap> FindTable(uint64_t table_id) const;
	size_t TableCount() const { return tables_.size(); }

private:
	/* Parse the body of an event whose header and checksum are dealt with. */
	Event DecodeBody(const EventHeader &h, Bytes body, uint64_t offset);

	Options options_;
	FormatDescription fde_;
	bool have_fde_ = false;
	ChecksumAlg checksum_ = ChecksumAlg::kUndefined;
	std::unordered_map<uint64_t, std::shared_ptr<const TableMap>> tables_;
	/*
	 * The body each cached table map was parsed from: servers repeat the
	 * same TABLE_MAP_EVENT before every rows event, so an identical body
	 * reuses the parsed map instead of parsing it again.
	 */
	std::unordered_map<uint64_t, std::vector<uint8_t>> table_map_bodies_;
};

/* CRC32 (zlib polynomial) of bytes. */
uint32_t Crc32(Bytes data);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
