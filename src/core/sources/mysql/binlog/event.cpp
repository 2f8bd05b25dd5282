/*
 * event.cpp
 *     Common header, control events and the stateful Decoder.
 *
 * NOTES
 *   Layouts are quoted beside each parser; the references are the MySQL
 *   source documentation of libs/mysql/binlog/event (control_events.h,
 *   statement_events.h, rows_event.h),
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html
 *   and, for MariaDB's events, https://mariadb.com/kb/en/replication-protocol/
 *
 *   Checksums: a checksum-aware server (MySQL 5.6.1+, MariaDB 5.3+) always
 *   writes the checksum algorithm byte and 4 bytes of room for the CRC at
 *   the end of its FORMAT_DESCRIPTION_EVENT, whatever binlog_checksum is;
 *   the algorithm applies to the FDE itself and to every later event.
 */
#include "core/sources/mysql/binlog/event.hpp"

#include <cstdio>
#include <cstring>

#include "core/sources/mysql/binlog/compress.hpp"
#include "core/sources/mysql/binlog/crc32.hpp"

namespace synchdb::binlog {

void ThrowTruncated(uint64_t event_offset, const char *what, size_t missing)
{
	throw Error(sqlstate::kDataCorrupted,
				"binlog event at offset " + std::to_string(event_offset) + " is truncated: " + what + " needs " +
					std::to_string(missing) + " more bytes",
				{}, "The binlog file or stream is damaged or incomplete.");
}

void ThrowCorrupt(uint64_t event_offset, const char *what, const std::string &why)
{
	throw Error(sqlstate::kDataCorrupted,
				"binlog event at offset " + std::to_string(event_offset) + " is corrupt: " + what + " " + why, {},
				"The binlog file or stream is damaged.");
}

uint32_t Crc32(Bytes data)
{
	return Crc32(0, data.data(), data.size());
}

EventHeader ParseHeader(Bytes raw, uint64_t offset)
{
	ByteReader r(raw, offset, "event header");
	EventHeader h;
	h.timestamp = r.U32();
	h.type_code = r.U8();
	h.server_id = r.U32();
	h.event_size = r.U32();
	h.log_pos = r.U32();
	h.flags = r.U16();
	return h;
}

/* ---------------------------------------------------------------- FDE */

uint8_t FormatDescription::PostHeaderLength(EventType type, uint8_t fallback) const
{
	size_t idx = static_cast<size_t>(type);
	if (idx >= 1 && idx <= post_header_lengths.size())
		return post_header_lengths[idx - 1];
	return fallback;
}

FormatDescription FormatDescription::Default()
{
	FormatDescription f;
	f.server_version = "5.6.1";
	f.version = {5, 6, 1};
	return f;
}

/* Leading "X.Y.Z" of a server version string. */
static std::array<int, 3> ParseVersion(const std::string &s)
{
	std::array<int, 3> v{0, 0, 0};
	size_t i = 0;
	for (int part = 0; part < 3; part++) {
		int n = 0;
		bool any = false;
		while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 100000) {
			n = n * 10 + (s[i] - '0');
			i++;
			any = true;
		}
		if (!any)
			break;
		v[part] = n;
		if (i < s.size() && s[i] == '.')
			i++;
		else
			break;
	}
	return v;
}

/*
 * FORMAT_DESCRIPTION_EVENT body (class Format_description_event):
 *   binlog_version 2 | server_version 50 (NUL padded) | create_timestamp 4
 *   | header_length 1 | post_header_lengths[n] 1 each
 *   | checksum_alg 1 | checksum 4      (checksum-aware servers only)
 */
static FormatDescription ParseFde(Bytes body, uint64_t offset)
{
	ByteReader r(body, offset, "FORMAT_DESCRIPTION_EVENT");
	FormatDescription f;
	f.binlog_version = r.U16();
	std::string_view sv = AsText(r.Take(50));
	f.server_version = std::string(sv.substr(0, sv.find('\0')));
	f.create_timestamp = r.U32();
	f.header_length = r.U8();
	if (f.header_length < kHeaderSize)
		ThrowCorrupt(offset, "FORMAT_DESCRIPTION_EVENT", "has a header length of " + std::to_string(f.header_length));
	f.is_mariadb = f.server_version.find("MariaDB") != std::string::npos;
	f.version = ParseVersion(f.server_version);

	Bytes rest = r.Rest();
	bool checksum_aware = f.is_mariadb ? f.version >= std::array<int, 3>{5, 3, 0}
									   : f.version >= std::array<int, 3>{5, 6, 1};
	if (checksum_aware) {
		if (rest.size() < 1 + kChecksumSize)
			ThrowTruncated(offset, "FORMAT_DESCRIPTION_EVENT", 1 + kChecksumSize - rest.size());
		uint8_t alg = rest[rest.size() - 1 - kChecksumSize];
		if (alg == 0)
			f.checksum = ChecksumAlg::kOff;
		else if (alg == 1)
			f.checksum = ChecksumAlg::kCrc32;
		else if (alg == 255)
			f.checksum = ChecksumAlg::kOff; /* "undefined": no checksums */
		else
			ThrowCorrupt(offset, "FORMAT_DESCRIPTION_EVENT", "names unknown checksum algorithm " + std::to_string(alg));
		rest = rest.first(rest.size() - 1 - kChecksumSize);
	}
	f.post_header_lengths.assign(rest.begin(), rest.end());
	return f;
}

/* ---------------------------------------------------------------- statement and control events */

/*
 * QUERY_EVENT (class Query_event):
 *   post-header: thread_id 4 | exec_time 4 | db_len 1 | error_code 2
 *                | status_vars_len 2 (binlog v4)
 *   body:        status_vars | db | NUL | query text (to the end)
 * QUERY_COMPRESSED_EVENT (MariaDB) has the same layout with a compressed
 * query text.  Status variables are skipped by their total length.
 */
static QueryEvent ParseQuery(Bytes body, uint8_t post_len, bool compressed, uint64_t offset)
{
	const char *what = compressed ? "QUERY_COMPRESSED_EVENT" : "QUERY_EVENT";
	ByteReader r(body, offset, what);
	QueryEvent q;
	q.compressed = compressed;
	q.thread_id = r.U32();
	q.exec_time = r.U32();
	uint8_t db_len = r.U8();
	q.error_code = r.U16();
	uint16_t status_len = 0;
	if (post_len >= 13)
		status_len = r.U16();
	if (post_len > 13)
		r.Skip(post_len - 13);
	r.Skip(status_len);
	q.schema = std::string(AsText(r.Take(db_len)));
	r.Skip(1); /* NUL */
	Bytes text = r.Rest();
	if (compressed) {
		std::vector<uint8_t> out;
		std::string why;
		if (!MariaUncompress(text, out, &why))
			ThrowCorrupt(offset, what, "has a bad compressed query: " + why);
		q.query.assign(out.begin(), out.end());
	} else {
		q.query = std::string(AsText(text));
	}
	return q;
}

/* ROTATE_EVENT: position 8 (binlog v4) | next file name (to the end). */
static RotateEvent ParseRotate(Bytes body, uint8_t post_len, uint64_t offset)
{
	ByteReader r(body, offset, "ROTATE_EVENT");
	RotateEvent ev;
	if (post_len >= 8) {
		ev.position = r.U64();
		r.Skip(post_len - 8);
	}
	ev.next_file = std::string(AsText(r.Rest()));
	return ev;
}

/*
 * MariaDB GTID_EVENT: seq_no 8 | domain_id 4 | flags2 1
 *   | commit_id 8 (if FL_GROUP_COMMIT_ID) | XA or extra flags (ignored)
 */
static MariaGtidEvent ParseMariaGtid(Bytes body, uint32_t server_id, uint64_t offset)
{
	ByteReader r(body, offset, "GTID_EVENT");
	MariaGtidEvent g;
	g.seq_no = r.U64();
	g.domain_id = r.U32();
	g.flags = r.U8();
	g.server_id = server_id;
	if (g.flags & MariaGtidEvent::kGroupCommitId)
		g.commit_id = r.U64();
	return g;
}

/* MariaDB GTID_LIST_EVENT: count 4 (low 28 bits; flags in the top 4) | count x (domain 4 | server 4 | seq 8) */
static MariaGtidListEvent ParseMariaGtidList(Bytes body, uint64_t offset)
{
	ByteReader r(body, offset, "GTID_LIST_EVENT");
	MariaGtidListEvent l;
	uint32_t word = r.U32();
	uint32_t count = word & 0x0fffffff;
	l.flags = static_cast<uint8_t>(word >> 28);
	r.Need(static_cast<size_t>(count) * 16);
	l.gtids.reserve(count);
	for (uint32_t i = 0; i < count; i++) {
		MariaGtid g;
		g.domain_id = r.U32();
		g.server_id = r.U32();
		g.seq_no = r.U64();
		l.gtids.push_back(g);
	}
	return l;
}

/* MariaDB BINLOG_CHECKPOINT_EVENT: name length 4 | name */
static MariaBinlogCheckpointEvent ParseCheckpoint(Bytes body, uint64_t offset)
{
	ByteReader r(body, offset, "BINLOG_CHECKPOINT_EVENT");
	MariaBinlogCheckpointEvent c;
	uint32_t len = r.U32();
	c.file = std::string(AsText(r.Take(len)));
	return c;
}

static Uuid ReadUuid(ByteReader &r)
{
	Uuid u;
	Bytes b = r.Take(16);
	std::copy(b.begin(), b.end(), u.begin());
	return u;
}

/*
 * MySQL GTID_EVENT / ANONYMOUS_GTID_EVENT (class Gtid_event):
 *   flags 1 | sid 16 | gno 8
 *   [5.7+] lt_type 1 (=2) | last_committed 8 | sequence_number 8
 *   [8.0.1+] immediate_commit_timestamp 7 (top bit: original follows)
 *            | original_commit_timestamp 7
 *   [8.0.2+] transaction_length (packed)
 *   [8.0.14+] immediate_server_version 4 (top bit: original follows)
 *            | original_server_version 4
 *   Later fields (commit group ticket) are ignored.  Each optional group
 *   is read only if its bytes are there.
 */
static MysqlGtidEvent ParseMysqlGtid(Bytes body, bool anonymous, uint64_t offset)
{
	const char *what = anonymous ? "ANONYMOUS_GTID_LOG_EVENT" : "GTID_LOG_EVENT";
	ByteReader r(body, offset, what);
	MysqlGtidEvent g;
	g.anonymous = anonymous;
	g.flags = r.U8();
	g.sid = ReadUuid(r);
	g.gno = static_cast<int64_t>(r.U64());
	if (r.Remaining() >= 17 && r.Peek() == 2) {
		r.Skip(1);
		g.has_logical_clock = true;
		g.last_committed = static_cast<int64_t>(r.U64());
		g.sequence_number = static_cast<int64_t>(r.U64());
	} else {
		return g;
	}
	if (r.Remaining() >= 7) {
		uint64_t ts = r.FixedLE(7);
		const uint64_t high = uint64_t(1) << 55;
		if (ts & high) {
			g.immediate_commit_timestamp = ts & ~high;
			g.original_commit_timestamp = r.FixedLE(7);
		} else {
			g.immediate_commit_timestamp = ts;
			g.original_commit_timestamp = ts;
		}
	}
	if (!r.AtEnd())
		g.transaction_length = r.Packed();
	if (r.Remaining() >= 4) {
		uint32_t v = r.U32();
		if (v & 0x80000000u) {
			g.immediate_server_version = v & 0x7fffffffu;
			g.original_server_version = r.U32();
		} else {
			g.immediate_server_version = v;
			g.original_server_version = v;
		}
	}
	return g;
}

/* Signed "serialization library" varlen integer: zig-zag encoded. */
static int64_t VarLenSigned(ByteReader &r)
{
	uint64_t u = r.VarLenSerialized();
	return (u & 1) ? -static_cast<int64_t>(u >> 1) - 1 : static_cast<int64_t>(u >> 1);
}

/*
 * GTID_TAGGED_LOG_EVENT (MySQL 8.3+), written with the MySQL serialization
 * library (libs/mysql/serialization): version 1 byte | payload_size varlen
 * (of the whole body) | last_non_ignorable_field_id varlen | fields, each a
 * varlen field id followed by its value.  Field ids: 0 flags, 1 sid (16
 * varlen bytes), 2 gno (signed), 3 tag (varlen length + bytes),
 * 4 last_committed (signed), 5 sequence_number (signed), 6/7 immediate/
 * original commit timestamp, 8 transaction length, 9/10 server versions,
 * 11 commit group ticket.  An unknown field stops parsing: nothing after
 * it can be delimited, and none of what we need comes after the known ones.
 */
static MysqlGtidEvent ParseTaggedGtid(Bytes body, uint64_t offset)
{
	const char *what = "GTID_TAGGED_LOG_EVENT";
	ByteReader r(body, offset, what);
	MysqlGtidEvent g;
	g.tagged = true;
	uint8_t version = r.U8();
	(void) version;
	uint64_t payload_size = r.VarLenSerialized();
	(void) r.VarLenSerialized(); /* last non-ignorable field id */
	if (payload_size > body.size())
		ThrowTruncated(offset, what, static_cast<size_t>(std::min<uint64_t>(payload_size - body.size(), SIZE_MAX)));
	if (payload_size < r.Position())
		ThrowCorrupt(offset, what, "has a payload size smaller than its header");
	ByteReader f(body.subspan(r.Position(), static_cast<size_t>(payload_size) - r.Position()), offset, what);
	bool have_original_ts = false, have_original_version = false;
	while (!f.AtEnd()) {
		uint64_t id = f.VarLenSerialized();
		switch (id) {
		case 0:
			g.flags = static_cast<uint8_t>(f.VarLenSerialized());
			break;
		case 1:
			for (auto &b : g.sid)
				b = static_cast<uint8_t>(f.VarLenSerialized());
			break;
		case 2:
			g.gno = VarLenSigned(f);
			break;
		case 3: {
			uint64_t len = f.VarLenSerialized();
			g.tag = std::string(AsText(f.Take(f.CheckedSize(len))));
			break;
		}
		case 4:
			g.last_committed = VarLenSigned(f);
			g.has_logical_clock = true;
			break;
		case 5:
			g.sequence_number = VarLenSigned(f);
			break;
		case 6:
			g.immediate_commit_timestamp = f.VarLenSerialized();
			break;
		case 7:
			g.original_commit_timestamp = f.VarLenSerialized();
			have_original_ts = true;
			break;
		case 8:
			g.transaction_length = f.VarLenSerialized();
			break;
		case 9:
			g.immediate_server_version = static_cast<uint32_t>(f.VarLenSerialized());
			break;
		case 10:
			g.original_server_version = static_cast<uint32_t>(f.VarLenSerialized());
			have_original_version = true;
			break;
		case 11:
			(void) f.VarLenSerialized();
			break;
		default:
			f.Rest();
			break;
		}
	}
	if (!have_original_ts)
		g.original_commit_timestamp = g.immediate_commit_timestamp;
	if (!have_original_version)
		g.original_server_version = g.immediate_server_version;
	return g;
}

/*
 * PREVIOUS_GTIDS_LOG_EVENT: an encoded GTID set (Gtid_set::encode):
 *   header 8: untagged: number of sids; tagged (top byte 1): format byte,
 *             number of sids in bits 8-55, format byte again in bits 56-63
 *   per sid:  uuid 16 | [tagged: tag as varlen length + bytes]
 *             | n_intervals 8 | n x (start 8 | end 8, end exclusive)
 */
static PreviousGtidsEvent ParsePreviousGtids(Bytes body, uint64_t offset)
{
	const char *what = "PREVIOUS_GTIDS_LOG_EVENT";
	ByteReader r(body, offset, what);
	PreviousGtidsEvent p;
	uint64_t header = r.U64();
	bool tagged = (header >> 56) != 0;
	uint64_t n_sids = tagged ? (header >> 8) & ((uint64_t(1) << 48) - 1) : header & ((uint64_t(1) << 56) - 1);
	/* Every sid takes at least 24 bytes. */
	if (n_sids > r.Remaining() / 24)
		ThrowCorrupt(offset, what, "declares " + std::to_string(n_sids) + " sids in " +
									   std::to_string(r.Remaining()) + " bytes");
	p.sids.reserve(n_sids);
	for (uint64_t i = 0; i < n_sids; i++) {
		PreviousGtidsEvent::Sid s;
		s.uuid = ReadUuid(r);
		if (tagged) {
			uint64_t len = r.VarLenSerialized();
			s.tag = std::string(AsText(r.Take(r.CheckedSize(len))));
		}
		uint64_t n = r.U64();
		if (n > r.Remaining() / 16)
			ThrowCorrupt(offset, what, "declares " + std::to_string(n) + " intervals in " +
										   std::to_string(r.Remaining()) + " bytes");
		s.intervals.reserve(n);
		for (uint64_t k = 0; k < n; k++) {
			PreviousGtidsEvent::Interval iv;
			iv.start = static_cast<int64_t>(r.U64());
			iv.end = static_cast<int64_t>(r.U64());
			s.intervals.push_back(iv);
		}
		p.sids.push_back(std::move(s));
	}
	return p;
}

/*
 * TRANSACTION_PAYLOAD_EVENT (MySQL 8.0.20+): a header of fields, each
 * (type packed | length packed | value packed), ended by type 0; then the
 * compressed payload.  Types: 1 payload size, 2 compression type
 * (0 zstd, 255 none), 3 uncompressed size.
 */
static TransactionPayloadEvent ParsePayload(Bytes body, uint64_t offset)
{
	const char *what = "TRANSACTION_PAYLOAD_EVENT";
	ByteReader r(body, offset, what);
	TransactionPayloadEvent t;
	bool have_size = false;
	for (;;) {
		uint64_t type = r.Packed();
		if (type == 0)
			break;
		uint64_t len = r.Packed();
		Bytes value = r.Take(r.CheckedSize(len));
		ByteReader v(value, offset, what);
		switch (type) {
		case 1:
			t.payload_size = v.Packed();
			have_size = true;
			break;
		case 2:
			t.compression = v.Packed();
			break;
		case 3:
			t.uncompressed_size = v.Packed();
			break;
		default:
			break;
		}
	}
	Bytes payload = r.Rest();
	if (have_size) {
		if (t.payload_size > payload.size())
			ThrowTruncated(offset, what, static_cast<size_t>(t.payload_size - payload.size()));
		payload = payload.first(static_cast<size_t>(t.payload_size));
	}
	if (t.compression != 0 && t.compression != 255)
		throw Error(sqlstate::kFeatureNotSupported,
					"binlog event at offset " + std::to_string(offset) +
						" uses transaction compression type " + std::to_string(t.compression) +
						", which synchdb does not support");
	/* Decompressed event by event in DecodeInner: a payload can expand to gigabytes. */
	t.events = std::make_shared<PayloadStream>(payload, t.compression == 0);
	return t;
}

/* ---------------------------------------------------------------- Decoder */

std::string MariaGtidEvent::ToString() const
{
	return std::to_string(domain_id) + "-" + std::to_string(server_id) + "-" + std::to_string(seq_no);
}

std::string UuidToString(const Uuid &u)
{
	char buf[40];
	std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
				  u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return buf;
}

std::string MysqlGtidEvent::ToString() const
{
	std::string s = UuidToString(sid);
	if (!tag.empty())
		s += ":" + tag;
	return s + ":" + std::to_string(gno);
}

Decoder::Decoder() : Decoder(Options{}) {}

Decoder::Decoder(Options options) : options_(options), fde_(FormatDescription::Default()) {}

std::shared_ptr<const TableMap> Decoder::FindTable(uint64_t table_id) const
{
	auto it = tables_.find(table_id);
	return it == tables_.end() ? nullptr : it->second;
}

Event Decoder::Decode(Bytes raw, uint64_t offset)
{
	if (raw.size() < kHeaderSize)
		ThrowTruncated(offset, "event header", kHeaderSize - raw.size());
	EventHeader h = ParseHeader(raw, offset);
	const char *what = EventTypeName(h.type_code);
	if (h.event_size < kHeaderSize)
		ThrowCorrupt(offset, what, "has an event size of " + std::to_string(h.event_size) + " bytes");
	if (h.event_size > raw.size())
		ThrowTruncated(offset, what, h.event_size - raw.size());
	if (h.event_size < raw.size())
		ThrowCorrupt(offset, what,
					 "has an event size of " + std::to_string(h.event_size) + " bytes but " +
						 std::to_string(raw.size()) + " bytes were received");

	size_t header_len = have_fde_ ? fde_.header_length : kHeaderSize;
	if (header_len > raw.size())
		ThrowTruncated(offset, what, header_len - raw.size());

	bool verified = false;
	Bytes body;
	if (h.type() == EventType::kFormatDescription) {
		FormatDescription f = ParseFde(raw.subspan(kHeaderSize), offset);
		if (f.checksum == ChecksumAlg::kCrc32 && options_.verify_checksums) {
			/*
			 * The server sets LOG_EVENT_BINLOG_IN_USE_F in the FDE of an open
			 * binlog and clears it on close without updating the CRC, which
			 * is therefore always computed with the flag clear.
			 */
			uint32_t stored = static_cast<uint32_t>(LoadLE(raw.data() + raw.size() - kChecksumSize, 4));
			uint8_t head[kHeaderSize];
			std::memcpy(head, raw.data(), kHeaderSize);
			head[17] &= static_cast<uint8_t>(~kEventFlagBinlogInUse);
			uint32_t computed = Crc32(Crc32(0, head, kHeaderSize), raw.data() + kHeaderSize,
									  raw.size() - kChecksumSize - kHeaderSize);
			if (stored != computed)
				throw Error(sqlstate::kDataCorrupted,
							"binlog event at offset " + std::to_string(offset) + " has a checksum mismatch: " + what +
								" stores CRC32 " + std::to_string(stored) + " but its bytes have " +
								std::to_string(computed),
							{}, "The binlog file or stream is damaged.");
			verified = true;
		}
		fde_ = std::move(f);
		have_fde_ = true;
		checksum_ = fde_.checksum;
		Event ev;
		ev.offset = offset;
		ev.header = h;
		ev.body = raw.subspan(kHeaderSize);
		ev.checksum_verified = verified;
		ev.data = fde_;
		return ev;
	}

	size_t end = raw.size();
	if (checksum_ == ChecksumAlg::kCrc32) {
		if (raw.size() < header_len + kChecksumSize)
			ThrowTruncated(offset, what, header_len + kChecksumSize - raw.size());
		end -= kChecksumSize;
		if (options_.verify_checksums) {
			uint32_t stored = static_cast<uint32_t>(LoadLE(raw.data() + end, 4));
			uint32_t computed = Crc32(raw.first(end));
			if (stored != computed)
				throw Error(sqlstate::kDataCorrupted,
							"binlog event at offset " + std::to_string(offset) + " has a checksum mismatch: " + what +
								" stores CRC32 " + std::to_string(stored) + " but its bytes have " +
								std::to_string(computed),
							{}, "The binlog file or stream is damaged.");
			verified = true;
		}
	}
	body = raw.subspan(header_len, end - header_len);
	Event ev = DecodeBody(h, body, offset);
	ev.checksum_verified = verified;
	return ev;
}

bool Decoder::DecodeInner(const TransactionPayloadEvent &payload, size_t *pos, uint64_t outer_offset, Event &out)
{
	if (!payload.events)
		return false;
	PayloadStream &s = *payload.events;
	const char *what = "TRANSACTION_PAYLOAD_EVENT";
	std::string why;
	if (!s.Fill(kHeaderSize, &why))
		ThrowCorrupt(outer_offset, what, "has a bad compressed payload: " + why);
	Bytes rest = s.Available();
	if (rest.empty()) {
		if (payload.uncompressed_size != 0 && s.Produced() != payload.uncompressed_size)
			ThrowCorrupt(outer_offset, what,
						 "has a bad compressed payload: decompressed " + std::to_string(s.Produced()) +
							 " bytes, header says " + std::to_string(payload.uncompressed_size));
		return false;
	}
	if (rest.size() < kHeaderSize)
		ThrowTruncated(outer_offset, what, kHeaderSize - rest.size());
	EventHeader h = ParseHeader(rest, outer_offset);
	if (h.event_size < kHeaderSize)
		ThrowCorrupt(outer_offset, what,
					 "holds an event with an event size of " + std::to_string(h.event_size) + " bytes");
	if (h.type() == EventType::kTransactionPayload || h.type() == EventType::kFormatDescription)
		ThrowCorrupt(outer_offset, what, std::string("holds a nested ") + EventTypeName(h.type_code));
	if (payload.uncompressed_size != 0 && s.Produced() - rest.size() + h.event_size > payload.uncompressed_size)
		ThrowTruncated(outer_offset, what, s.Produced() - rest.size() + h.event_size - payload.uncompressed_size);
	if (!s.Fill(h.event_size, &why))
		ThrowCorrupt(outer_offset, what, "has a bad compressed payload: " + why);
	rest = s.Available();
	if (h.event_size > rest.size())
		ThrowTruncated(outer_offset, what, h.event_size - rest.size());
	/* Its own copy: the event may be kept after the window moves on (a few kB; rows events are cut small). */
	auto copy = std::make_shared<std::vector<uint8_t>>(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(h.event_size));
	out = DecodeBody(h, Bytes(copy->data(), copy->size()).subspan(kHeaderSize), outer_offset);
	out.storage = std::move(copy);
	out.in_payload = true;
	s.Consume(h.event_size);
	*pos += h.event_size;
	return true;
}

Event Decoder::DecodeBody(const EventHeader &h, Bytes body, uint64_t offset)
{
	Event ev;
	ev.offset = offset;
	ev.header = h;
	ev.body = body;

	switch (h.type()) {
	case EventType::kQuery:
		ev.data = ParseQuery(body, fde_.PostHeaderLength(EventType::kQuery, 13), false, offset);
		break;
	case EventType::kMariaQueryCompressed:
		ev.data = ParseQuery(body, fde_.PostHeaderLength(EventType::kMariaQueryCompressed, 13), true, offset);
		break;
	case EventType::kRotate:
		ev.data = ParseRotate(body, fde_.PostHeaderLength(EventType::kRotate, 8), offset);
		/*
		 * Transactions never span binlog files and every statement re-sends
		 * its table maps, so the cache can be emptied at a file boundary
		 * (events already decoded keep their maps alive).
		 */
		tables_.clear();
		table_map_bodies_.clear();
		break;
	case EventType::kXid: {
		/* XID_EVENT: xid 8 */
		ByteReader r(body, offset, "XID_EVENT");
		ev.data = XidEvent{r.U64()};
		break;
	}
	case EventType::kMariaGtid:
		ev.data = ParseMariaGtid(body, h.server_id, offset);
		break;
	case EventType::kMariaGtidList:
		ev.data = ParseMariaGtidList(body, offset);
		break;
	case EventType::kMariaBinlogCheckpoint:
		ev.data = ParseCheckpoint(body, offset);
		break;
	case EventType::kMariaAnnotateRows:
		/* ANNOTATE_ROWS_EVENT: the SQL text is the whole body. */
		ev.data = RowsQueryEvent{std::string(AsText(body))};
		break;
	case EventType::kRowsQuery: {
		/* ROWS_QUERY_LOG_EVENT: 1 byte (truncated length, ignored) | text */
		ByteReader r(body, offset, "ROWS_QUERY_LOG_EVENT");
		r.Skip(1);
		ev.data = RowsQueryEvent{std::string(AsText(r.Rest()))};
		break;
	}
	case EventType::kGtid:
	case EventType::kAnonymousGtid:
		ev.data = ParseMysqlGtid(body, h.type() == EventType::kAnonymousGtid, offset);
		break;
	case EventType::kGtidTagged:
		ev.data = ParseTaggedGtid(body, offset);
		break;
	case EventType::kPreviousGtids:
		ev.data = ParsePreviousGtids(body, offset);
		break;
	case EventType::kTableMap: {
		const uint8_t post_header = fde_.PostHeaderLength(EventType::kTableMap, 8);
		const size_t id_bytes = post_header == 6 ? 4 : 6;
		if (body.size() > id_bytes) {
			uint64_t id = 0;
			for (size_t i = 0; i < id_bytes; i++)
				id |= static_cast<uint64_t>(body[i]) << (8 * i);
			auto cached = tables_.find(id);
			auto raw = table_map_bodies_.find(id);
			if (cached != tables_.end() && raw != table_map_bodies_.end() && raw->second.size() == body.size() &&
			    std::memcmp(raw->second.data(), body.data(), body.size()) == 0) {
				ev.data = TableMapEvent{cached->second};
				break;
			}
		}
		auto tm = ParseTableMap(body, post_header, offset);
		tables_[tm->table_id] = tm;
		table_map_bodies_[tm->table_id].assign(body.begin(), body.end());
		ev.data = TableMapEvent{std::move(tm)};
		break;
	}
	case EventType::kTransactionPayload:
		ev.data = ParsePayload(body, offset);
		break;
	case EventType::kHeartbeat: {
		/* HEARTBEAT_LOG_EVENT: the current file name; the position is log_pos. */
		HeartbeatEvent hb;
		hb.log_file = std::string(AsText(body));
		hb.position = h.log_pos;
		ev.data = std::move(hb);
		break;
	}
	case EventType::kPreGaWriteRows:
	case EventType::kPreGaUpdateRows:
	case EventType::kPreGaDeleteRows:
		/*
		 * Row events of MySQL 5.1.0-5.1.15 (never a GA release) and of some
		 * development trees reusing these codes: not decoded.
		 */
		break;
	default:
		if (IsRowsEventType(h.type_code)) {
			uint8_t fallback = 8;
			if (h.type() == EventType::kWriteRows || h.type() == EventType::kUpdateRows ||
				h.type() == EventType::kDeleteRows || h.type() == EventType::kPartialUpdateRows ||
				h.type_code >= static_cast<uint8_t>(EventType::kMariaWriteRowsCompressed))
				fallback = 10;
			RowsEvent rows =
				ParseRowsEvent(h.type_code, body, fde_.PostHeaderLength(h.type(), fallback), offset);
			rows.table = FindTable(rows.table_id);
			ev.data = std::move(rows);
		}
		/* Anything else is left undecoded (std::monostate). */
		break;
	}
	return ev;
}

}  // namespace synchdb::binlog
