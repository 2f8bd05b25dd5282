/*
 * binlog_events_test.cpp
 *     Hand-built events through the Decoder: control events, MariaDB GTIDs,
 *     compressed events, row images with NULLs and MINIMAL bitmaps,
 *     checksums, the byte reader, and a rough decode-speed check.
 */
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <deque>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/compress.hpp"
#include "core/sources/mysql/binlog/event.hpp"
#include "core/sources/mysql/binlog/file_reader.hpp"

using namespace synchdb;
using namespace synchdb::binlog;

namespace {

using ByteVec = std::vector<uint8_t>;

ByteVec LE(uint64_t v, int n)
{
	ByteVec b;
	for (int i = 0; i < n; i++)
		b.push_back(static_cast<uint8_t>(v >> (8 * i)));
	return b;
}

void Put(ByteVec &out, const ByteVec &b)
{
	out.insert(out.end(), b.begin(), b.end());
}

void Put(ByteVec &out, const std::string &s)
{
	out.insert(out.end(), s.begin(), s.end());
}

ByteVec Packed(uint64_t v)
{
	if (v < 251)
		return {static_cast<uint8_t>(v)};
	if (v < 65536)
		return {0xfc, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
	if (v < (1 << 24))
		return {0xfd, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16)};
	ByteVec b = {0xfe};
	Put(b, LE(v, 8));
	return b;
}

/* One event: common header, body, optional CRC32. */
ByteVec MakeEvent(uint8_t type, const ByteVec &body, bool crc, uint32_t log_pos = 0)
{
	ByteVec ev;
	Put(ev, LE(1700000000, 4));
	ev.push_back(type);
	Put(ev, LE(7, 4));
	Put(ev, LE(19 + body.size() + (crc ? 4 : 0), 4));
	Put(ev, LE(log_pos, 4));
	Put(ev, LE(0, 2));
	Put(ev, body);
	if (crc)
		Put(ev, LE(crc32(0, ev.data(), ev.size()), 4));
	return ev;
}

/* A MySQL 8.0-style FORMAT_DESCRIPTION_EVENT. */
ByteVec MakeFde(bool crc, const std::string &version = "8.0.40")
{
	ByteVec body;
	Put(body, LE(4, 2));
	std::string v = version;
	v.resize(50, '\0');
	Put(body, v);
	Put(body, LE(1700000000, 4));
	body.push_back(19);
	/* Post-header lengths of types 1..41 (MySQL 8.0). */
	ByteVec ph(41, 0);
	ph[1] = 13;	 /* QUERY */
	ph[3] = 8;	 /* ROTATE */
	ph[14] = 98; /* FDE */
	ph[18] = 8;	 /* TABLE_MAP */
	for (int t = 23; t <= 25; t++)
		ph[t - 1] = 8;
	for (int t = 30; t <= 32; t++)
		ph[t - 1] = 10;
	ph[38] = 10; /* PARTIAL_UPDATE_ROWS */
	ph[32] = 42; /* GTID */
	ph[33] = 42;
	Put(body, ph);
	body.push_back(crc ? 1 : 0);
	/* Room for the CRC: MakeEvent adds it when crc, else four zero bytes. */
	if (!crc)
		Put(body, LE(0, 4));
	return MakeEvent(15, body, crc);
}

ByteVec MakeQuery(const std::string &db, const std::string &sql, bool crc, uint8_t type = 2)
{
	ByteVec body;
	Put(body, LE(42, 4)); /* thread id */
	Put(body, LE(0, 4));  /* exec time */
	body.push_back(static_cast<uint8_t>(db.size()));
	Put(body, LE(0, 2)); /* error code */
	/* status vars: Q_FLAGS2_CODE (0) + 4 bytes, Q_SQL_MODE_CODE (1) + 8 bytes */
	ByteVec status = {0x00, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	Put(body, LE(status.size(), 2));
	Put(body, status);
	Put(body, db);
	body.push_back(0);
	if (type == 165) {
		/* MariaDB compressed: 0x80|lenlen, big-endian length, zlib data */
		uLongf zlen = compressBound(sql.size());
		ByteVec z(zlen);
		compress(z.data(), &zlen, reinterpret_cast<const Bytef *>(sql.data()), sql.size());
		z.resize(zlen);
		body.push_back(0x82);
		body.push_back(static_cast<uint8_t>(sql.size() >> 8));
		body.push_back(static_cast<uint8_t>(sql.size()));
		Put(body, z);
	} else {
		Put(body, sql);
	}
	return MakeEvent(type, body, crc);
}

struct Col {
	uint8_t type;
	ByteVec meta;
};

ByteVec MakeTableMap(uint64_t table_id, const std::string &db, const std::string &table, const std::vector<Col> &cols,
					 const ByteVec &optional, bool crc)
{
	ByteVec body;
	Put(body, LE(table_id, 6));
	Put(body, LE(1, 2));
	body.push_back(static_cast<uint8_t>(db.size()));
	Put(body, db);
	body.push_back(0);
	body.push_back(static_cast<uint8_t>(table.size()));
	Put(body, table);
	body.push_back(0);
	Put(body, Packed(cols.size()));
	ByteVec meta;
	for (const Col &c : cols) {
		body.push_back(c.type);
		Put(meta, c.meta);
	}
	Put(body, Packed(meta.size()));
	Put(body, meta);
	Put(body, ByteVec((cols.size() + 7) / 8, 0xff)); /* all nullable */
	Put(body, optional);
	return MakeEvent(19, body, crc);
}

/* A v2 rows event; before/after bitmaps as given; rows pre-encoded. */
ByteVec MakeRows(uint8_t type, uint64_t table_id, size_t ncols, const ByteVec &bitmap1, const ByteVec &bitmap2,
				 const ByteVec &rows, bool crc, const ByteVec &extra = {})
{
	ByteVec body;
	Put(body, LE(table_id, 6));
	Put(body, LE(1, 2)); /* STMT_END_F */
	bool v2 = type >= 30 && type <= 32;
	if (v2) {
		Put(body, LE(2 + extra.size(), 2));
		Put(body, extra);
	}
	Put(body, Packed(ncols));
	Put(body, bitmap1);
	Put(body, bitmap2);
	Put(body, rows);
	return MakeEvent(type, body, crc);
}

/*
 * Decode a sequence of events through one decoder.  Events view their
 * bytes, so the buffers are kept alive until the end of the program.
 */
std::vector<Event> DecodeAll(Decoder &d, const std::vector<ByteVec> &events)
{
	static std::deque<ByteVec> keep_alive;
	std::vector<Event> out;
	uint64_t offset = 4;
	for (const ByteVec &e : events) {
		keep_alive.push_back(e);
		const ByteVec &kept = keep_alive.back();
		out.push_back(d.Decode(Bytes(kept.data(), kept.size()), offset));
		offset += e.size();
	}
	return out;
}

}  // namespace

TEST(BinlogReader, IntegersAndTruncationMessage)
{
	ByteVec b = {0x01, 0x02, 0x03, 0xfc, 0x34, 0x12, 0xfd, 1, 2, 3, 0xfe, 1, 0, 0, 0, 0, 0, 0, 0x80, 0xfa};
	ByteReader r(Bytes(b.data(), b.size()), 1234, "TABLE_MAP_EVENT");
	EXPECT_EQ(r.U16(), 0x0201);
	EXPECT_EQ(r.U8(), 3);
	EXPECT_EQ(r.Packed(), 0x1234u);
	EXPECT_EQ(r.Packed(), 0x030201u);
	EXPECT_EQ(r.Packed(), 0x8000000000000001ULL);
	EXPECT_EQ(r.Packed(), 250u);
	EXPECT_TRUE(r.AtEnd());
	try {
		r.Take(18);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
		EXPECT_STREQ(e.what(), "binlog event at offset 1234 is truncated: TABLE_MAP_EVENT needs 18 more bytes");
	}
	ByteVec nul = {0xfb};
	ByteReader rn(Bytes(nul.data(), nul.size()));
	EXPECT_THROW(rn.Packed(), Error);
	ByteVec big = {0x03, 0x00};
	ByteReader rb(Bytes(big.data(), big.size()));
	EXPECT_EQ(rb.FixedBE(2), 0x0300u);
	/* A length that does not fit is refused before any allocation. */
	ByteVec huge = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	ByteReader rh(Bytes(huge.data(), huge.size()));
	EXPECT_THROW(rh.PackedBytes(), Error);
}

TEST(BinlogReader, SerializationVarLen)
{
	/* Values from the tagged GTID fixture: 0x78 -> 60, 0x25 0x02 -> 137, 0xff + 8 bytes. */
	ByteVec b = {0x78, 0x25, 0x02, 0xff, 1, 2, 3, 4, 5, 6, 7, 8};
	ByteReader r(Bytes(b.data(), b.size()));
	EXPECT_EQ(r.VarLenSerialized(), 60u);
	EXPECT_EQ(r.VarLenSerialized(), 137u);
	EXPECT_EQ(r.VarLenSerialized(), 0x0807060504030201ULL);
	EXPECT_TRUE(r.AtEnd());
	ByteVec cut = {0x7f};
	ByteReader rc(Bytes(cut.data(), cut.size()));
	EXPECT_THROW(rc.VarLenSerialized(), Error);
}

TEST(BinlogEvents, ControlEventsWithChecksums)
{
	Decoder d;
	ByteVec rotate_body = LE(4, 8);
	Put(rotate_body, std::string("binlog.000002"));
	ByteVec gtid_body = LE(99, 8);
	Put(gtid_body, LE(3, 4));
	gtid_body.push_back(MariaGtidEvent::kStandalone | MariaGtidEvent::kGroupCommitId | MariaGtidEvent::kDdl);
	Put(gtid_body, LE(555, 8));
	ByteVec list_body = LE(2 | (1u << 28), 4);
	Put(list_body, LE(0, 4));
	Put(list_body, LE(1, 4));
	Put(list_body, LE(10, 8));
	Put(list_body, LE(5, 4));
	Put(list_body, LE(2, 4));
	Put(list_body, LE(20, 8));
	ByteVec cp_body = LE(12, 4);
	Put(cp_body, std::string("maria.000001"));
	ByteVec annotate;
	Put(annotate, std::string("INSERT INTO t VALUES (1)"));

	auto evs = DecodeAll(d, {MakeFde(true, "10.11.6-MariaDB-log"), MakeQuery("shop", "BEGIN", true),
							 MakeEvent(16, LE(777, 8), true), MakeEvent(4, rotate_body, true),
							 MakeEvent(162, gtid_body, true), MakeEvent(163, list_body, true),
							 MakeEvent(161, cp_body, true), MakeEvent(160, annotate, true),
							 MakeEvent(99, {1, 2, 3}, true)});
	ASSERT_EQ(evs.size(), 9u);
	EXPECT_TRUE(evs[0].As<FormatDescription>()->is_mariadb);
	EXPECT_EQ(d.Checksum(), ChecksumAlg::kCrc32);
	for (auto &e : evs)
		EXPECT_TRUE(e.checksum_verified);

	auto *q = evs[1].As<QueryEvent>();
	ASSERT_NE(q, nullptr);
	EXPECT_EQ(q->schema, "shop");
	EXPECT_EQ(q->query, "BEGIN");
	EXPECT_EQ(q->thread_id, 42u);
	EXPECT_EQ(evs[2].As<XidEvent>()->xid, 777u);
	EXPECT_EQ(evs[3].As<RotateEvent>()->position, 4u);
	EXPECT_EQ(evs[3].As<RotateEvent>()->next_file, "binlog.000002");

	auto *g = evs[4].As<MariaGtidEvent>();
	ASSERT_NE(g, nullptr);
	EXPECT_EQ(g->ToString(), "3-7-99");
	EXPECT_TRUE(g->IsStandalone());
	EXPECT_EQ(g->commit_id, 555u);
	EXPECT_TRUE(g->flags & MariaGtidEvent::kDdl);

	auto *l = evs[5].As<MariaGtidListEvent>();
	ASSERT_NE(l, nullptr);
	EXPECT_EQ(l->flags, 1);
	ASSERT_EQ(l->gtids.size(), 2u);
	EXPECT_EQ(l->gtids[1].domain_id, 5u);
	EXPECT_EQ(l->gtids[1].server_id, 2u);
	EXPECT_EQ(l->gtids[1].seq_no, 20u);

	EXPECT_EQ(evs[6].As<MariaBinlogCheckpointEvent>()->file, "maria.000001");
	EXPECT_EQ(evs[7].As<RowsQueryEvent>()->query, "INSERT INTO t VALUES (1)");

	/* Unknown types are skipped, their code kept. */
	EXPECT_TRUE(evs[8].IsUnknown());
	EXPECT_EQ(evs[8].header.type_code, 99);
	EXPECT_EQ(evs[8].body.size(), 3u);
	EXPECT_EQ(evs[8].header.server_id, 7u);
}

TEST(BinlogEvents, ChecksumMismatchNamesOffsetAndValues)
{
	Decoder d;
	DecodeAll(d, {MakeFde(true)});
	ByteVec q = MakeQuery("db", "COMMIT", true);
	q[30] ^= 0x01;
	try {
		d.Decode(Bytes(q.data(), q.size()), 5000);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
		std::string m = e.what();
		EXPECT_NE(m.find("offset 5000"), std::string::npos) << m;
		EXPECT_NE(m.find("checksum mismatch"), std::string::npos) << m;
		uint32_t stored = q[q.size() - 4] | q[q.size() - 3] << 8 | q[q.size() - 2] << 16 |
			static_cast<uint32_t>(q[q.size() - 1]) << 24;
		EXPECT_NE(m.find("CRC32 " + std::to_string(stored)), std::string::npos) << m;
	}
	/* Verification can be switched off. */
	Decoder lax(Decoder::Options{false});
	DecodeAll(lax, {MakeFde(true)});
	Event ev = lax.Decode(Bytes(q.data(), q.size()), 5000);
	EXPECT_FALSE(ev.checksum_verified);

	/* A broken FDE checksum is caught too. */
	ByteVec fde = MakeFde(true);
	fde[25] ^= 0x40;
	Decoder d2;
	EXPECT_THROW(d2.Decode(Bytes(fde.data(), fde.size()), 4), Error);
}

TEST(BinlogEvents, StreamWithoutFdeUsesSetChecksum)
{
	/* The fake ROTATE of COM_BINLOG_DUMP arrives before the FDE. */
	ByteVec body = LE(4, 8);
	Put(body, std::string("binlog.000007"));
	ByteVec rot = MakeEvent(4, body, true);
	Decoder d;
	d.SetChecksum(ChecksumAlg::kCrc32);
	Event ev = d.Decode(Bytes(rot.data(), rot.size()), 0);
	EXPECT_EQ(ev.As<RotateEvent>()->next_file, "binlog.000007");
	EXPECT_TRUE(ev.checksum_verified);

	/* The event size must match the bytes received. */
	ByteVec longer = rot;
	longer.push_back(0);
	EXPECT_THROW(d.Decode(Bytes(longer.data(), longer.size()), 0), Error);
	EXPECT_THROW(d.Decode(Bytes(rot.data(), 10), 0), Error);
}

TEST(BinlogEvents, MariaDbCompressedQueryAndRows)
{
	Decoder d;
	std::string sql = "CREATE TABLE t (a INT, b VARCHAR(20)) /* " + std::string(300, 'x') + " */";
	ByteVec tm = MakeTableMap(70, "db", "t", {{3, {}}, {15, LE(80, 2)}}, {}, true);

	/* Rows: (1, "hello"), (NULL, ""); compressed with MariaDB's header. */
	ByteVec rows;
	rows.push_back(0x00);
	Put(rows, LE(1, 4));
	rows.push_back(5);
	Put(rows, std::string("hello"));
	rows.push_back(0x01);
	rows.push_back(0);
	uLongf zlen = compressBound(rows.size());
	ByteVec z(zlen);
	compress(z.data(), &zlen, rows.data(), rows.size());
	z.resize(zlen);
	ByteVec comp = {0x81, static_cast<uint8_t>(rows.size())};
	Put(comp, z);
	ByteVec body;
	Put(body, LE(70, 6));
	Put(body, LE(1, 2));
	Put(body, Packed(2));
	body.push_back(0x03);
	Put(body, comp);

	auto evs = DecodeAll(d, {MakeFde(true, "10.6.12-MariaDB"), MakeQuery("db", sql, true, 165), tm,
							 MakeEvent(166, body, true)});
	auto *q = evs[1].As<QueryEvent>();
	ASSERT_NE(q, nullptr);
	EXPECT_TRUE(q->compressed);
	EXPECT_EQ(q->query, sql);
	auto *re = evs[3].As<RowsEvent>();
	ASSERT_NE(re, nullptr);
	EXPECT_TRUE(re->compressed);
	EXPECT_EQ(re->kind, RowsKind::kWrite);
	RowIterator it(*re);
	RowChange c;
	ASSERT_TRUE(it.Next(c));
	EXPECT_EQ(c.after.Get(0).int_value, 1);
	EXPECT_EQ(c.after.Get(1).Bytes(), "hello");
	ASSERT_TRUE(it.Next(c));
	EXPECT_TRUE(c.after.IsNull(0));
	EXPECT_TRUE(c.after.IsPresent(0));
	EXPECT_FALSE(c.after.IsNull(1));
	EXPECT_EQ(c.after.Get(1).Bytes(), "");
	EXPECT_FALSE(it.Next(c));

	/* UPDATE_ROWS_COMPRESSED_EVENT (v2 layout, 170): (1,"hello") -> (2,"bye"). */
	ByteVec urows;
	urows.push_back(0x00);
	Put(urows, LE(1, 4));
	urows.push_back(5);
	Put(urows, std::string("hello"));
	urows.push_back(0x00);
	Put(urows, LE(2, 4));
	urows.push_back(3);
	Put(urows, std::string("bye"));
	zlen = compressBound(urows.size());
	ByteVec uz(zlen);
	compress(uz.data(), &zlen, urows.data(), urows.size());
	uz.resize(zlen);
	ByteVec ubody;
	Put(ubody, LE(70, 6));
	Put(ubody, LE(1, 2));
	Put(ubody, LE(2, 2)); /* extra data length (itself) */
	Put(ubody, Packed(2));
	ubody.push_back(0x03);
	ubody.push_back(0x03);
	ubody.push_back(0x81);
	ubody.push_back(static_cast<uint8_t>(urows.size()));
	Put(ubody, uz);
	auto uevs = DecodeAll(d, {MakeEvent(170, ubody, true)});
	auto *ure = uevs[0].As<RowsEvent>();
	ASSERT_NE(ure, nullptr);
	EXPECT_EQ(ure->kind, RowsKind::kUpdate);
	EXPECT_EQ(ure->version, 2);
	EXPECT_TRUE(ure->compressed);
	RowIterator uit(*ure);
	ASSERT_TRUE(uit.Next(c));
	EXPECT_EQ(c.before.Get(1).Bytes(), "hello");
	EXPECT_EQ(c.after.Get(0).int_value, 2);
	EXPECT_EQ(c.after.Get(1).Bytes(), "bye");
	EXPECT_FALSE(uit.Next(c));

	/* Bad compressed data is corruption. */
	ByteVec bad = body;
	bad[bad.size() - 3] ^= 0xff;
	ByteVec bad_ev = MakeEvent(166, bad, true);
	EXPECT_THROW(d.Decode(Bytes(bad_ev.data(), bad_ev.size()), 99), Error);
}

TEST(BinlogEvents, RowImagesNullsMinimalAndUpdates)
{
	Decoder d;
	/* t(id INT UNSIGNED, name VARCHAR(300) utf8mb4, note TEXT, d DATE) with FULL metadata. */
	ByteVec opt;
	opt.push_back(1); /* SIGNEDNESS: one numeric column, unsigned */
	Put(opt, Packed(1));
	opt.push_back(0x80);
	opt.push_back(2); /* DEFAULT_CHARSET 255, column 1 of the character columns is 63 */
	Put(opt, Packed(5));
	Put(opt, ByteVec{0xfc, 0xff, 0x00, 0x01, 63});
	ByteVec names;
	for (std::string n : {"id", "name", "note", "d"}) {
		names.push_back(static_cast<uint8_t>(n.size()));
		Put(names, n);
	}
	opt.push_back(4);
	Put(opt, Packed(names.size()));
	Put(opt, names);
	opt.push_back(8); /* SIMPLE_PRIMARY_KEY: column 0 */
	Put(opt, Packed(1));
	opt.push_back(0);
	ByteVec tm = MakeTableMap(12345678901ULL, "shop", "t", {{3, {}}, {15, LE(1200, 2)}, {252, {2}}, {10, {}}}, opt, false);

	/* Write: full image; row 1 all set, row 2 with NULLs and an empty string. */
	ByteVec w;
	w.push_back(0x00);
	Put(w, LE(4000000000u, 4));
	Put(w, LE(3, 2));
	Put(w, std::string("abc"));
	Put(w, LE(2, 2));
	Put(w, std::string("xy"));
	Put(w, LE(2024u << 9 | 12 << 5 | 24, 3));
	w.push_back(0b1010); /* name and d NULL */
	Put(w, LE(1, 4));
	Put(w, LE(0, 2)); /* note = '' */

	/* Update with MINIMAL images: before (id), after (name). */
	ByteVec u;
	u.push_back(0x00);
	Put(u, LE(1, 4));
	u.push_back(0x00);
	Put(u, LE(5, 2));
	Put(u, std::string("\xc3\xa9t\xc3\xa9"));

	/* Delete: before image id only, with v2 extra data. */
	ByteVec del;
	del.push_back(0x00);
	Put(del, LE(4000000000u, 4));

	auto evs = DecodeAll(d, {MakeFde(false), tm, MakeRows(30, 12345678901ULL, 4, {0x0f}, {}, w, false),
							 MakeRows(31, 12345678901ULL, 4, {0x01}, {0x02}, u, false),
							 MakeRows(32, 12345678901ULL, 4, {0x01}, {}, del, false, {0x00, 0x01, 0x02})});
	const TableMap &t = *evs[1].As<TableMapEvent>()->table;
	EXPECT_EQ(t.table_id, 12345678901ULL);
	EXPECT_EQ(t.QualifiedName(), "\"shop\".\"t\"");
	EXPECT_TRUE(t.columns[0].is_unsigned);
	EXPECT_EQ(t.columns[1].charset, 255u);
	EXPECT_EQ(t.columns[2].charset, 63u);
	EXPECT_EQ(t.columns[3].name, "d");
	EXPECT_EQ(t.primary_key, (std::vector<uint32_t>{0}));

	const RowsEvent &wr = *evs[2].As<RowsEvent>();
	EXPECT_EQ(wr.version, 2);
	EXPECT_TRUE(wr.IsStatementEnd());
	EXPECT_EQ(wr.table.get(), &t);
	RowIterator wi(wr);
	RowChange c;
	ASSERT_TRUE(wi.Next(c));
	EXPECT_EQ(c.after.Get(0).kind, ValueKind::kUInt);
	EXPECT_EQ(c.after.Get(0).uint_value, 4000000000u);
	EXPECT_EQ(c.after.Get(1).Bytes(), "abc");
	EXPECT_EQ(c.after.Get(1).kind, ValueKind::kString);
	EXPECT_EQ(c.after.Get(2).kind, ValueKind::kBinary);
	EXPECT_EQ(c.after.Get(3).ToString(), "2024-12-24");
	ASSERT_TRUE(wi.Next(c));
	EXPECT_EQ(c.after.Get(0).uint_value, 1u);
	EXPECT_TRUE(c.after.IsNull(1));
	EXPECT_EQ(c.after.Get(1).kind, ValueKind::kNull);
	EXPECT_FALSE(c.after.IsNull(2));
	EXPECT_EQ(c.after.Get(2).Bytes(), "");
	EXPECT_TRUE(c.after.IsNull(3));
	EXPECT_FALSE(wi.Next(c));

	RowIterator ui(*evs[3].As<RowsEvent>());
	ASSERT_TRUE(ui.Next(c));
	EXPECT_TRUE(c.before.IsPresent(0));
	EXPECT_FALSE(c.before.IsPresent(1));
	EXPECT_EQ(c.before.Get(1).kind, ValueKind::kNull);
	EXPECT_FALSE(c.after.IsPresent(0));
	EXPECT_EQ(c.after.Get(1).Bytes(), "\xc3\xa9t\xc3\xa9");
	EXPECT_FALSE(ui.Next(c));

	const RowsEvent &de = *evs[4].As<RowsEvent>();
	EXPECT_EQ(de.extra_data.size(), 3u);
	RowIterator di(de);
	ASSERT_TRUE(di.Next(c));
	EXPECT_EQ(c.before.Get(0).uint_value, 4000000000u);
	EXPECT_FALSE(di.Next(c));

	/* A rows event for a table no TABLE_MAP_EVENT announced. */
	ByteVec orphan = MakeRows(30, 4242, 1, {0x01}, {}, {0x00, 1, 0, 0, 0}, false);
	Event oe = d.Decode(Bytes(orphan.data(), orphan.size()), 777);
	ASSERT_NE(oe.As<RowsEvent>(), nullptr);
	EXPECT_EQ(oe.As<RowsEvent>()->table, nullptr);
	try {
		RowIterator bad(*oe.As<RowsEvent>());
		FAIL();
	} catch (const Error &e) {
		EXPECT_NE(std::string(e.what()).find("offset 777"), std::string::npos);
		EXPECT_NE(std::string(e.what()).find("4242"), std::string::npos);
	}

	/* A row cut short inside a value. */
	ByteVec cut = MakeRows(30, 12345678901ULL, 4, {0x0f}, {}, ByteVec(w.begin(), w.begin() + 8), false);
	Event ce = d.Decode(Bytes(cut.data(), cut.size()), 888);
	RowIterator ci(*ce.As<RowsEvent>());
	EXPECT_THROW(ci.Next(c), Error);
}

/* A binlog file: FDE, then a TRANSACTION_PAYLOAD_EVENT holding inner (zstd, or 255: stored as is). */
static ByteVec PayloadFile(const ByteVec &inner, uint64_t declared_size, int compression = 0)
{
	ByteVec payload = inner;
	if (compression == 0) {
		payload.resize(ZSTD_compressBound(inner.size()));
		payload.resize(ZSTD_compress(payload.data(), payload.size(), inner.data(), inner.size(), 3));
	}
	ByteVec body;
	for (auto [type, value] : {std::pair<int, uint64_t>{1, payload.size()}, {2, static_cast<uint64_t>(compression)}, {3, declared_size}}) {
		Put(body, Packed(type));
		ByteVec v = Packed(value);
		Put(body, Packed(v.size()));
		Put(body, v);
	}
	Put(body, Packed(0));
	Put(body, payload);
	ByteVec file = {0xfe, 'b', 'i', 'n'};
	Put(file, MakeFde(true));
	Put(file, MakeEvent(40, body, true));
	return file;
}

TEST(BinlogEvents, TransactionPayload)
{
	Decoder d;
	ByteVec tm = MakeTableMap(5, "db", "p", {{8, {}}}, {}, false);
	ByteVec rows = {0x00};
	Put(rows, LE(static_cast<uint64_t>(-42), 8));
	ByteVec inner;
	Put(inner, MakeQuery("db", "BEGIN", false));
	Put(inner, tm);
	Put(inner, MakeRows(30, 5, 1, {0x01}, {}, rows, false));
	Put(inner, MakeEvent(16, LE(9, 8), false));

	for (int compression : {0, 255}) {
		SCOPED_TRACE(compression);
		ByteVec file = PayloadFile(inner, inner.size(), compression);
		Put(file, MakeEvent(4, LE(4, 8), true));
		FileReader reader(file, "payload");
		Event ev;
		std::vector<std::string> seen;
		int64_t value = 0;
		while (reader.Next(ev)) {
			seen.push_back(std::string(ev.in_payload ? "+" : "") + EventTypeName(ev.header.type_code));
			if (auto *re = ev.As<RowsEvent>()) {
				RowIterator it(*re);
				RowChange c;
				ASSERT_TRUE(it.Next(c));
				value = c.after.Get(0).int_value;
			}
		}
		EXPECT_EQ(seen, (std::vector<std::string>{"FORMAT_DESCRIPTION_EVENT", "TRANSACTION_PAYLOAD_EVENT", "+QUERY_EVENT",
												  "+TABLE_MAP_EVENT", "+WRITE_ROWS_EVENT", "+XID_EVENT", "ROTATE_EVENT"}));
		EXPECT_EQ(value, -42);
	}
}

TEST(BinlogEvents, TransactionPayloadIsDecompressedEventByEvent)
{
	/* 20,000 inner events of 1 kB: 20 MB once decompressed, held a window at a time. */
	const std::string text(1000, 'x');
	ByteVec one = MakeQuery("db", text, false);
	ByteVec inner;
	const int n = 20000;
	for (int i = 0; i < n; i++)
		Put(inner, one);
	ByteVec file = PayloadFile(inner, inner.size());
	FileReader reader(file, "big-payload");
	Event ev;
	std::shared_ptr<PayloadStream> stream;
	std::vector<Event> kept; /* events kept after the window moved on still read right */
	int seen = 0;
	size_t most = 0;
	while (reader.Next(ev)) {
		if (auto *p = ev.As<TransactionPayloadEvent>())
			stream = p->events;
		if (!ev.in_payload)
			continue;
		seen++;
		ASSERT_NE(ev.As<QueryEvent>(), nullptr);
		if (seen == 1 || seen == n)
			kept.push_back(ev);
		most = std::max(most, stream->HeldBytes());
	}
	EXPECT_EQ(seen, n);
	ASSERT_NE(stream, nullptr);
	EXPECT_EQ(stream->Produced(), inner.size());
	EXPECT_LT(most, size_t(1) << 20) << "bytes held while reading a 20 MB payload";
	for (const Event &k : kept)
		EXPECT_EQ(k.As<QueryEvent>()->query, text);
}

TEST(BinlogEvents, TransactionPayloadOfAnotherSizeThanDeclaredIsCorrupt)
{
	ByteVec inner = MakeQuery("db", "BEGIN", false);
	for (uint64_t declared : {inner.size() + 1, inner.size() - 1}) {
		SCOPED_TRACE(declared);
		ByteVec file = PayloadFile(inner, declared);
		FileReader reader(file, "bad-size");
		Event ev;
		std::string err;
		try {
			while (reader.Next(ev)) {
			}
		} catch (const Error &e) {
			err = e.what();
		}
		EXPECT_NE(err.find("TRANSACTION_PAYLOAD_EVENT"), std::string::npos) << err;
	}
}

TEST(BinlogEvents, FileEndingMidEvent)
{
	ByteVec file = {0xfe, 'b', 'i', 'n'};
	Put(file, MakeFde(true));
	size_t second = file.size();
	Put(file, MakeQuery("db", "BEGIN", true));
	file.resize(file.size() - 5);
	FileReader reader(file, "relay-bin.000001");
	Event ev;
	ASSERT_TRUE(reader.Next(ev));
	try {
		reader.Next(ev);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
		EXPECT_EQ(std::string(e.what()),
				  "binlog event at offset " + std::to_string(second) + " is truncated: QUERY_EVENT needs 5 more bytes");
		EXPECT_NE(e.detail().find("relay-bin.000001"), std::string::npos);
	}
}

TEST(BinlogEvents, EncryptedFileIsRefused)
{
	ByteVec file = {0xfe, 'b', 'i', 'n'};
	Put(file, MakeFde(false, "10.6.12-MariaDB"));
	ByteVec enc = {1};
	Put(enc, LE(1, 4));
	Put(enc, ByteVec(12, 0xab));
	Put(file, MakeEvent(164, enc, false));
	Put(file, ByteVec(40, 0x5a)); /* encrypted garbage */
	FileReader reader(file, "maria-bin.000009");
	Event ev;
	ASSERT_TRUE(reader.Next(ev));
	try {
		reader.Next(ev);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
		EXPECT_NE(std::string(e.what()).find("encrypted"), std::string::npos);
	}
}

/*
 * Decode speed for a sysbench-shaped row (INT, INT, CHAR(120), CHAR(60)).
 * Printed, not asserted, unless SYNCHDB_BINLOG_BENCH is set (sanitizer and
 * valgrind builds are far slower).
 */
TEST(BinlogEvents, SysbenchRowDecodeSpeed)
{
	Decoder d;
	ByteVec tm = MakeTableMap(1, "sbtest", "sbtest1",
							  {{3, {}}, {3, {}}, {254, {0xfe, 120}}, {254, {0xfe, 60}}}, {}, false);
	ByteVec rows;
	const int kRowsPerEvent = 500;
	for (int i = 0; i < kRowsPerEvent; i++) {
		rows.push_back(0x00);
		Put(rows, LE(i, 4));
		Put(rows, LE(i * 7, 4));
		rows.push_back(119);
		Put(rows, std::string(119, 'c'));
		rows.push_back(59);
		Put(rows, std::string(59, 'p'));
	}
	ByteVec ev = MakeRows(30, 1, 4, {0x0f}, {}, rows, false);
	DecodeAll(d, {MakeFde(false), tm});

	auto start = std::chrono::steady_clock::now();
	size_t total = 0;
	int64_t sum = 0;
	size_t bytes = 0;
	Value v;
	for (int rep = 0; rep < 400; rep++) {
		Event e = d.Decode(Bytes(ev.data(), ev.size()), 0);
		RowIterator it(*e.As<RowsEvent>());
		RowChange c;
		while (it.Next(c)) {
			c.after.Get(0, v);
			sum += v.int_value;
			c.after.Get(1, v);
			sum += v.int_value;
			c.after.Get(2, v);
			bytes += v.Bytes().size();
			c.after.Get(3, v);
			bytes += v.Bytes().size();
			total++;
		}
	}
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	double rate = total / secs;
	EXPECT_EQ(total, 400u * kRowsPerEvent);
	EXPECT_EQ(bytes, total * (119 + 59));
	EXPECT_GT(sum, 0);
	std::printf("[ bench    ] %zu sysbench rows in %.3f s: %.2f M rows/s\n", total, secs, rate / 1e6);
	if (std::getenv("SYNCHDB_BINLOG_BENCH")) {
		EXPECT_GT(rate, 1e6);
	}
}
