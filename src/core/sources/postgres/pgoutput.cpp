/*
 * pgoutput.cpp
 *     Bounds-checked decoder of the pgoutput v1 stream; see pgoutput.hpp.
 */
#include "core/sources/postgres/pgoutput.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace synchdb::pgsrc {

namespace {

/* Reads one message; every read checks what is left and names the field when short. */
class WireReader {
public:
	WireReader(std::string_view buf, std::string what) : buf_(buf), what_(std::move(what)) {}

	[[noreturn]] void Fail(const std::string &msg) const
	{
		throw Error(sqlstate::kDataCorrupted, what_ + ": " + msg,
		            "At byte " + std::to_string(pos_) + " of " + std::to_string(buf_.size()) + ".",
		            "The replication stream is damaged or not pgoutput protocol version 1.");
	}

	size_t Left() const { return buf_.size() - pos_; }

	void Need(size_t n, const char *field) const
	{
		if (n > Left())
			Fail(std::string(field) + " needs " + std::to_string(n) + " bytes, " + std::to_string(Left()) +
			     " left");
	}

	uint8_t U8(const char *field)
	{
		Need(1, field);
		return static_cast<uint8_t>(buf_[pos_++]);
	}
	uint16_t U16(const char *field)
	{
		Need(2, field);
		uint16_t v = 0;
		for (int i = 0; i < 2; ++i)
			v = static_cast<uint16_t>(v << 8 | static_cast<uint8_t>(buf_[pos_++]));
		return v;
	}
	uint32_t U32(const char *field)
	{
		Need(4, field);
		uint32_t v = 0;
		for (int i = 0; i < 4; ++i)
			v = v << 8 | static_cast<uint8_t>(buf_[pos_++]);
		return v;
	}
	uint64_t U64(const char *field)
	{
		Need(8, field);
		uint64_t v = 0;
		for (int i = 0; i < 8; ++i)
			v = v << 8 | static_cast<uint8_t>(buf_[pos_++]);
		return v;
	}
	int64_t I64(const char *field) { return static_cast<int64_t>(U64(field)); }
	int32_t I32(const char *field) { return static_cast<int32_t>(U32(field)); }

	std::string String(const char *field)
	{
		size_t end = buf_.find('\0', pos_);
		if (end == std::string_view::npos)
			Fail(std::string(field) + " is not NUL-terminated");
		std::string s(buf_.substr(pos_, end - pos_));
		pos_ = end + 1;
		return s;
	}

	std::string Bytes(size_t n, const std::string &field)
	{
		if (n > Left())
			Fail(field + " length " + std::to_string(n) + " exceeds the " + std::to_string(Left()) + " bytes left");
		std::string s(buf_.substr(pos_, n));
		pos_ += n;
		return s;
	}

	/* The next n bytes in place (n <= Left()). */
	std::string_view View(size_t n)
	{
		std::string_view v = buf_.substr(pos_, n);
		pos_ += n;
		return v;
	}
	/* n bytes in place (no copy); on failure names the column: "<which> tuple column <index>". */
	std::string_view ColumnBytes(size_t n, const char *which, size_t index)
	{
		if (n > Left())
			Fail(std::string(which) + " tuple column " + std::to_string(index) + " length " + std::to_string(n) +
			     " exceeds the " + std::to_string(Left()) + " bytes left");
		std::string_view v = buf_.substr(pos_, n);
		pos_ += n;
		return v;
	}

	void End()
	{
		if (Left() != 0)
			Fail(std::to_string(Left()) + " unexpected bytes after the end of the message");
	}

	Tuple ReadTuple(const char *which)
	{
		Tuple t;
		uint16_t n = U16("tuple column count");
		/* each column takes at least one byte */
		if (n > Left())
			Fail(std::string(which) + " tuple claims " + std::to_string(n) + " columns but only " +
			     std::to_string(Left()) + " bytes are left");
		t.columns.resize(n);
		for (uint16_t i = 0; i < n; ++i) {
			uint8_t k = U8("tuple column kind");
			TupleColumn &c = t.columns[i];
			switch (k) {
			case 'n':
				c.kind = TupleColumn::Kind::Null;
				break;
			case 'u':
				c.kind = TupleColumn::Kind::UnchangedToast;
				break;
			case 't': {
				uint32_t len = U32("tuple column length");
				if (len > 0x7fffffffu)
					Fail(std::string(which) + " tuple column " + std::to_string(i + 1) + " has negative length");
				c.kind = TupleColumn::Kind::Text;
				c.value = ColumnBytes(len, which, i + 1u);
				break;
			}
			case 'b':
				Fail(std::string(which) + " tuple column " + std::to_string(i + 1) +
				     " is in binary format, which synchdb does not request");
			default: {
				char hex[8];
				std::snprintf(hex, sizeof hex, "0x%02x", k);
				Fail(std::string(which) + " tuple column " + std::to_string(i + 1) + " has unknown kind " + hex);
			}
			}
		}
		return t;
	}

private:
	std::string_view buf_;
	std::string what_;
	size_t pos_ = 0;
};

std::string TagText(char tag)
{
	char b[8];
	if (tag >= 0x20 && tag < 0x7f)
		std::snprintf(b, sizeof b, "'%c'", tag);
	else
		std::snprintf(b, sizeof b, "0x%02x", static_cast<unsigned char>(tag));
	return b;
}

}  // namespace

std::string FormatLsn(Lsn lsn)
{
	char b[32];
	std::snprintf(b, sizeof b, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn & 0xffffffffu));
	return b;
}

Lsn ParseLsn(std::string_view text)
{
	auto bad = [&]() -> Lsn {
		throw Error(sqlstate::kInvalidParameterValue, "invalid LSN " + Quoted(std::string(text)), {},
		            "An LSN is written as two hexadecimal numbers separated by a slash, for example \"0/16B3748\".");
	};
	size_t slash = text.find('/');
	if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
	    text.size() - slash - 1 > 8)
		return bad();
	auto hex = [&](std::string_view s, uint64_t &out) {
		out = 0;
		for (char c : s) {
			int d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return false;
			out = out << 4 | static_cast<uint64_t>(d);
		}
		return true;
	};
	uint64_t hi, lo;
	if (!hex(text.substr(0, slash), hi) || !hex(text.substr(slash + 1), lo))
		return bad();
	return hi << 32 | lo;
}

CopyMessage DecodeCopyMessage(std::string_view buf)
{
	if (buf.empty())
		throw Error(sqlstate::kDataCorrupted, "replication stream: empty CopyData message");
	char tag = buf[0];
	if (tag == 'w') {
		WireReader r(buf.substr(1), "replication XLogData message");
		XLogData x;
		x.start = r.U64("data start LSN");
		x.wal_end = r.U64("WAL end LSN");
		x.send_time = r.I64("send time");
		x.data = r.View(r.Left());
		return x;
	}
	if (tag == 'k') {
		WireReader r(buf.substr(1), "replication keepalive message");
		Keepalive k;
		k.wal_end = r.U64("WAL end LSN");
		k.send_time = r.I64("send time");
		uint8_t reply = r.U8("reply requested flag");
		if (reply > 1)
			r.Fail("reply requested flag is " + std::to_string(reply) + ", not 0 or 1");
		k.reply_requested = reply == 1;
		r.End();
		return k;
	}
	throw Error(sqlstate::kDataCorrupted, "replication stream: unknown CopyData message type " + TagText(tag),
	            "Expected 'w' (XLogData) or 'k' (keepalive).");
}

std::string EncodeStandbyStatus(Lsn written, Lsn flushed, Lsn applied, int64_t now_pg_usec, bool reply_requested)
{
	std::string s;
	s.reserve(34);
	s.push_back('r');
	auto put64 = [&](uint64_t v) {
		for (int i = 7; i >= 0; --i)
			s.push_back(static_cast<char>(v >> (i * 8) & 0xff));
	};
	put64(written);
	put64(flushed);
	put64(applied);
	put64(static_cast<uint64_t>(now_pg_usec));
	s.push_back(reply_requested ? 1 : 0);
	return s;
}

const char *PgOutputMessageName(char tag)
{
	switch (tag) {
	case 'B': return "Begin";
	case 'C': return "Commit";
	case 'O': return "Origin";
	case 'R': return "Relation";
	case 'Y': return "Type";
	case 'I': return "Insert";
	case 'U': return "Update";
	case 'D': return "Delete";
	case 'T': return "Truncate";
	case 'M': return "Message";
	default: return "unknown";
	}
}

PgOutputMessage DecodePgOutput(std::string_view buf)
{
	if (buf.empty())
		throw Error(sqlstate::kDataCorrupted, "pgoutput: empty message");
	const char tag = buf[0];
	WireReader r(buf.substr(1), std::string("pgoutput ") + PgOutputMessageName(tag) + " message");
	switch (tag) {
	case 'B': {
		BeginMsg m;
		m.final_lsn = r.U64("final LSN");
		m.commit_time = r.I64("commit time");
		m.xid = r.U32("xid");
		r.End();
		return m;
	}
	case 'C': {
		CommitMsg m;
		m.flags = r.U8("flags");
		m.commit_lsn = r.U64("commit LSN");
		m.end_lsn = r.U64("end LSN");
		m.commit_time = r.I64("commit time");
		r.End();
		if (m.end_lsn < m.commit_lsn)
			r.Fail("end LSN " + FormatLsn(m.end_lsn) + " is before commit LSN " + FormatLsn(m.commit_lsn));
		return m;
	}
	case 'O': {
		OriginMsg m;
		m.commit_lsn = r.U64("commit LSN");
		m.name = r.String("origin name");
		r.End();
		return m;
	}
	case 'R': {
		RelationMsg m;
		m.relid = r.U32("relation OID");
		m.nspname = r.String("namespace");
		if (m.nspname.empty())
			m.nspname = "pg_catalog";
		m.relname = r.String("relation name");
		uint8_t ri = r.U8("replica identity");
		if (ri != 'd' && ri != 'n' && ri != 'f' && ri != 'i')
			r.Fail("replica identity setting " + TagText(static_cast<char>(ri)) + " is not d, n, f or i");
		m.replident = static_cast<char>(ri);
		uint16_t n = r.U16("column count");
		/* a column takes at least 1 + 1 + 4 + 4 bytes */
		if (static_cast<size_t>(n) * 10 > r.Left())
			r.Fail("claims " + std::to_string(n) + " columns but only " + std::to_string(r.Left()) +
			       " bytes are left");
		m.columns.resize(n);
		for (auto &c : m.columns) {
			uint8_t flags = r.U8("column flags");
			if (flags > 1)
				r.Fail("column flags " + std::to_string(flags) + " are not 0 or 1");
			c.key = flags == 1;
			c.name = r.String("column name");
			if (c.name.empty())
				r.Fail("a column has an empty name");
			c.type_oid = r.U32("column type OID");
			c.typmod = r.I32("column type modifier");
		}
		r.End();
		if (m.relname.empty())
			r.Fail("empty relation name");
		return m;
	}
	case 'Y': {
		TypeMsg m;
		m.oid = r.U32("type OID");
		m.nspname = r.String("namespace");
		if (m.nspname.empty())
			m.nspname = "pg_catalog";
		m.name = r.String("type name");
		r.End();
		return m;
	}
	case 'I': {
		InsertMsg m;
		m.relid = r.U32("relation OID");
		uint8_t n = r.U8("new tuple marker");
		if (n != 'N')
			r.Fail("expected new tuple marker 'N', found " + TagText(static_cast<char>(n)));
		m.new_tuple = r.ReadTuple("new");
		r.End();
		return m;
	}
	case 'U': {
		UpdateMsg m;
		m.relid = r.U32("relation OID");
		uint8_t k = r.U8("tuple marker");
		if (k == 'K' || k == 'O') {
			m.old_kind = static_cast<char>(k);
			m.old_tuple = r.ReadTuple(k == 'K' ? "key" : "old");
			k = r.U8("new tuple marker");
		}
		if (k != 'N')
			r.Fail("expected tuple marker 'K', 'O' or 'N', found " + TagText(static_cast<char>(k)));
		m.new_tuple = r.ReadTuple("new");
		r.End();
		return m;
	}
	case 'D': {
		DeleteMsg m;
		m.relid = r.U32("relation OID");
		uint8_t k = r.U8("tuple marker");
		if (k != 'K' && k != 'O')
			r.Fail("expected tuple marker 'K' or 'O', found " + TagText(static_cast<char>(k)));
		m.old_kind = static_cast<char>(k);
		m.old_tuple = r.ReadTuple(k == 'K' ? "key" : "old");
		r.End();
		return m;
	}
	case 'T': {
		TruncateMsg m;
		uint32_t n = r.U32("relation count");
		uint8_t opts = r.U8("options");
		if (opts > 3)
			r.Fail("options " + std::to_string(opts) + " have unknown bits");
		m.cascade = opts & 1;
		m.restart_identity = opts & 2;
		if (static_cast<uint64_t>(n) * 4 != r.Left())
			r.Fail("claims " + std::to_string(n) + " relations but " + std::to_string(r.Left()) +
			       " bytes follow (4 per relation)");
		m.relids.reserve(n);
		for (uint32_t i = 0; i < n; ++i)
			m.relids.push_back(r.U32("relation OID"));
		r.End();
		return m;
	}
	case 'M': {
		LogicalMsg m;
		uint8_t flags = r.U8("flags");
		if (flags > 1)
			r.Fail("flags " + std::to_string(flags) + " are not 0 or 1");
		m.transactional = flags == 1;
		m.lsn = r.U64("LSN");
		m.prefix = r.String("prefix");
		uint32_t len = r.U32("content length");
		m.content = r.Bytes(len, "content");
		r.End();
		return m;
	}
	default:
		throw Error(sqlstate::kDataCorrupted, "pgoutput: unknown message type " + TagText(tag),
		            "Streamed (S/E/A/c) and two-phase messages are not requested by synchdb (protocol version 1).",
		            "The replication stream is damaged or not pgoutput protocol version 1.");
	}
}

}  // namespace synchdb::pgsrc
