/*
 * binlog_corruption_test.cpp
 *     Damaged input, in the style of LevelDB's log_test: truncate good files
 *     at every position, flip bytes, corrupt lengths.  The decoder must
 *     either decode cleanly or throw synchdb::Error; never crash, hang, or
 *     throw anything else.  With checksums on, any flipped byte after the
 *     FORMAT_DESCRIPTION_EVENT must be detected.
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/file_reader.hpp"

using namespace synchdb;
using namespace synchdb::binlog;

namespace {

using ByteVec = std::vector<uint8_t>;

std::string FixtureDir()
{
	const char *env = std::getenv("SYNCHDB_FIXTURES");
	std::string base = env && *env ? env : "test/fixtures";
	return base + "/mysql-binlogs";
}

ByteVec ReadFixture(const std::string &name)
{
	std::ifstream in(FixtureDir() + "/" + name, std::ios::binary);
	return ByteVec(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> FixtureFiles()
{
	std::vector<std::string> out;
	DIR *d = opendir(FixtureDir().c_str());
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n != "." && n != ".." && n != "README.md")
			out.push_back(n);
	}
	closedir(d);
	std::sort(out.begin(), out.end());
	return out;
}

struct Outcome {
	bool ok = false;
	std::string sqlstate;
	std::string message;
	std::vector<uint64_t> offsets; /* of the events read */
};

/*
 * Decode a whole file: every event, every row, every value.  Only
 * synchdb::Error may escape the decoder; anything else fails the test.
 */
Outcome DecodeEverything(const ByteVec &data, bool verify = true)
{
	Outcome out;
	try {
		FileReader reader(data, "test", Decoder::Options{verify});
		Event ev;
		while (reader.Next(ev)) {
			if (!ev.in_payload)
				out.offsets.push_back(ev.offset);
			const RowsEvent *re = ev.As<RowsEvent>();
			if (!re || !re->table)
				continue;
			RowIterator it(*re);
			RowChange change;
			Value v;
			while (it.Next(change)) {
				for (const RowImage *img : {&change.before, &change.after}) {
					if ((img == &change.before && !re->HasBefore()) || (img == &change.after && !re->HasAfter()))
						continue;
					for (size_t i = 0; i < img->ColumnCount(); i++) {
						try {
							img->Get(i, v);
						} catch (const Error &e) {
							if (e.sqlstate() != sqlstate::kFeatureNotSupported)
								throw;
						}
					}
				}
			}
		}
		out.ok = true;
	} catch (const Error &e) {
		out.sqlstate = e.sqlstate();
		out.message = e.what();
	} catch (const std::exception &e) {
		ADD_FAILURE() << "non-synchdb exception: " << e.what();
		out.message = e.what();
	}
	return out;
}

bool IsCleanError(const Outcome &o)
{
	return o.sqlstate == sqlstate::kDataCorrupted || o.sqlstate == sqlstate::kFeatureNotSupported;
}

const char *kDamaged[] = {"binlog_truncated_event.000001", "binlog_truncated_prev_gtid_event.000001",
						  "corrupt-relay-bin.000624"};

bool IsDamaged(const std::string &name)
{
	for (const char *d : kDamaged)
		if (name == d)
			return true;
	return false;
}

}  // namespace

/*
 * Truncate every small file at every position: a cut at an event boundary
 * decodes cleanly, any other cut fails naming the offset of the event it
 * falls into (or, for a cut inside the magic, says it is not a binlog).
 */
TEST(BinlogCorruption, TruncateAtEveryPosition)
{
	size_t files = 0, cuts = 0;
	for (const std::string &name : FixtureFiles()) {
		if (IsDamaged(name))
			continue;
		ByteVec data = ReadFixture(name);
		if (data.size() > 4096)
			continue;
		SCOPED_TRACE(name);
		Outcome full = DecodeEverything(data);
		ASSERT_TRUE(full.ok) << full.message;
		files++;
		for (size_t len = 0; len < data.size(); len++) {
			ByteVec cut(data.begin(), data.begin() + len);
			Outcome o = DecodeEverything(cut);
			cuts++;
			if (len < 4) {
				EXPECT_NE(o.message.find("not a binlog file"), std::string::npos) << len;
				continue;
			}
			/* The event the cut falls into. */
			uint64_t start = 4;
			bool boundary = len == 4;
			for (uint64_t off : full.offsets) {
				if (off == len)
					boundary = true;
				if (off < len)
					start = off;
			}
			if (boundary) {
				EXPECT_TRUE(o.ok) << "cut at " << len << ": " << o.message;
			} else {
				ASSERT_FALSE(o.ok) << "cut at " << len << " decoded";
				EXPECT_EQ(o.sqlstate, sqlstate::kDataCorrupted) << o.message;
				EXPECT_NE(o.message.find("offset " + std::to_string(start)), std::string::npos)
					<< "cut at " << len << ": " << o.message;
			}
		}
	}
	EXPECT_GE(files, 25u);
	EXPECT_GT(cuts, 20000u);
}

/* Large files: cut at a sample of positions. */
TEST(BinlogCorruption, TruncateLargeFiles)
{
	for (std::string name : {"ver_5_1-wl2325_s.001", "ver_trunk_row_v2.001", "bug27213339-bin.000001"}) {
		SCOPED_TRACE(name);
		ByteVec data = ReadFixture(name);
		for (size_t len = 4; len < data.size(); len += 997) {
			Outcome o = DecodeEverything(ByteVec(data.begin(), data.begin() + len));
			EXPECT_TRUE(o.ok || IsCleanError(o)) << o.message;
		}
	}
}

/*
 * With CRC32 on, flipping any single bit of any byte after the FDE is
 * detected; flips of the header's size field may show up as truncation
 * instead of a checksum mismatch, but never go unnoticed.
 */
TEST(BinlogCorruption, ChecksumsCatchEveryFlippedByte)
{
	for (std::string name : {"mysql_type_bit.000001", "minimal_row_metadata.000001", "time_issue.000001",
									"json-opaque.binlog", "mariadb-bin.000001", "transaction_compression.000001"}) {
		SCOPED_TRACE(name);
		ByteVec data = ReadFixture(name);
		Outcome full = DecodeEverything(data);
		ASSERT_TRUE(full.ok) << full.message;
		ASSERT_GE(full.offsets.size(), 2u);
		size_t first = full.offsets[1]; /* after the FDE */
		for (size_t pos = first; pos < data.size(); pos++) {
			for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80)}) {
				ByteVec bad = data;
				bad[pos] ^= mask;
				Outcome o = DecodeEverything(bad);
				ASSERT_FALSE(o.ok) << "flip at " << pos << " not detected";
				EXPECT_EQ(o.sqlstate, sqlstate::kDataCorrupted) << o.message;
				/* Which event does pos fall into, and is it its size field? */
				uint64_t start = 0;
				for (uint64_t off : full.offsets)
					if (off <= pos)
						start = off;
				bool size_field = pos >= start + 9 && pos < start + 13;
				if (!size_field) {
					EXPECT_NE(o.message.find("checksum mismatch"), std::string::npos) << pos << ": " << o.message;
					EXPECT_NE(o.message.find("offset " + std::to_string(start)), std::string::npos) << o.message;
				}
			}
		}
	}
}

/*
 * Random damage with checksum verification off, so the parsers themselves
 * see the garbage: decode cleanly or throw synchdb::Error, nothing else.
 */
TEST(BinlogCorruption, RandomDamageWithoutChecksums)
{
	std::mt19937 rng(20240601);
	size_t runs = 0, errors = 0;
	for (const std::string &name : FixtureFiles()) {
		ByteVec data = ReadFixture(name);
		if (data.size() <= 4)
			continue;
		SCOPED_TRACE(name);
		Outcome full = DecodeEverything(data, false);
		int iterations = data.size() > 16384 ? 40 : 400;
		for (int i = 0; i < iterations; i++) {
			ByteVec bad = data;
			int kind = rng() % 4;
			int changes = 1 + rng() % 6;
			for (int k = 0; k < changes; k++) {
				size_t pos;
				if (kind == 0 && !full.offsets.empty()) {
					/* Somewhere in the first 64 bytes of an event: headers, post-headers, counts. */
					uint64_t start = full.offsets[rng() % full.offsets.size()];
					pos = std::min<size_t>(start + rng() % 64, bad.size() - 1);
				} else {
					pos = 4 + rng() % (bad.size() - 4);
				}
				switch (rng() % 4) {
				case 0:
					bad[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
					break;
				case 1:
					bad[pos] = 0xff;
					break;
				case 2:
					bad[pos] = 0x00;
					break;
				default:
					bad[pos] = static_cast<uint8_t>(rng());
					break;
				}
			}
			if (kind == 3)
				bad.resize(4 + rng() % (bad.size() - 4));
			Outcome o = DecodeEverything(bad, false);
			runs++;
			if (!o.ok) {
				errors++;
				EXPECT_TRUE(IsCleanError(o)) << o.sqlstate << " " << o.message;
			}
		}
	}
	EXPECT_GT(runs, 10000u);
	EXPECT_GT(errors, 0u);
}

/* Targeted length corruption: every length-like field set to extremes. */
TEST(BinlogCorruption, ExtremeLengths)
{
	for (std::string name : {"write-full-row.binlog", "mysql-enum-string-set.000001", "json.binlog.000001",
									"binlog-invisible-columns.000001", "vector.binlog"}) {
		SCOPED_TRACE(name);
		ByteVec data = ReadFixture(name);
		Outcome full = DecodeEverything(data, false);
		ASSERT_TRUE(full.ok);
		for (uint64_t start : full.offsets) {
			for (size_t rel = 9; rel < 64 && start + rel + 4 <= data.size(); rel++) {
				for (uint32_t v : {0u, 0xffffffffu, 0xfefefefeu, 0xfcfcfcfcu}) {
					ByteVec bad = data;
					for (int k = 0; k < 4; k++)
						bad[start + rel + k] = static_cast<uint8_t>(v >> (8 * k));
					Outcome o = DecodeEverything(bad, false);
					EXPECT_TRUE(o.ok || IsCleanError(o)) << o.message;
				}
			}
		}
	}
}
