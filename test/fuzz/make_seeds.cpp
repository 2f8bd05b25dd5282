/*
 * make_seeds.cpp
 *     Write the seed corpora of the fuzz targets from the project's own
 *     test data: usage  make_seeds <repository root> <output dir>
 *
 * NOTES
 *   Writes <output dir>/<target>/<name> for every target, in the input
 *   layouts of targets.cpp:
 *     binlog       each fixture binlog as a file (mode 0) and as a stream
 *                  (mode 2, plus 4 when its FDE declares CRC32); files
 *                  over 16 kB are split into pieces of about 8 kB (magic,
 *                  FDE, a run of whole events)
 *     rows         every rows event with its table map body
 *     binlog_json  every JSON column value and partial JSON diff
 *     compress     every TRANSACTION_PAYLOAD_EVENT body; zlib (MariaDB
 *                  header) and zstd frames made here of fixture events
 *     ddl          every statement of test/fixtures/ddl/corpus.sql, and
 *                  runs of them separated by NUL
 *     json, rules  raw string literals R"(...)" of the JSON, rule file and
 *                  mapping unit tests and ```json blocks of the docs (docs/ *.md)
 *   Seeds are named by a hash of their content, so a rerun rewrites the
 *   same files.
 */
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/event.hpp"
#include "core/sources/mysql/binlog/file_reader.hpp"
#include "core/error.hpp"

using namespace synchdb;
using namespace synchdb::binlog;
namespace fs = std::filesystem;

namespace {

using ByteVec = std::vector<uint8_t>;

fs::path g_out;
std::map<std::string, size_t> g_count;

std::string ReadAll(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Seed(const std::string &target, const void *data, size_t size)
{
	if (size == 0 || size > 64 * 1024)
		return;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < size; i++)
		h = (h ^ static_cast<const uint8_t *>(data)[i]) * 1099511628211ull;
	char name[32];
	std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
	fs::path dir = g_out / target;
	fs::create_directories(dir);
	fs::path file = dir / name;
	if (fs::exists(file))
		return;
	std::ofstream(file, std::ios::binary).write(static_cast<const char *>(data), static_cast<std::streamsize>(size));
	g_count[target]++;
}

void Seed(const std::string &target, uint8_t prefix, const void *data, size_t size)
{
	ByteVec v{prefix};
	v.insert(v.end(), static_cast<const uint8_t *>(data), static_cast<const uint8_t *>(data) + size);
	Seed(target, v.data(), v.size());
}

const uint8_t kRowsTypes[] = {23, 24, 25, 30, 31, 32, 39, 166, 167, 168, 169, 170, 171}; /* as in targets.cpp */

struct Frame {
	size_t offset, size;
	uint8_t type;
};

/* Event boundaries of a binlog file (without decoding). */
std::vector<Frame> Frames(const ByteVec &f)
{
	std::vector<Frame> out;
	size_t pos = 4;
	while (pos + kHeaderSize <= f.size()) {
		uint32_t size = static_cast<uint32_t>(LoadLE(f.data() + pos + 9, 4));
		if (size < kHeaderSize || size > f.size() - pos)
			break;
		out.push_back({pos, size, f[pos + 4]});
		pos += size;
	}
	return out;
}

void BinlogSeeds(const std::string &name, const ByteVec &f)
{
	if (f.size() < 4)
		return;
	/* Checksum algorithm, table maps, rows and JSON values: decode the file. */
	bool crc = false;
	uint8_t tm_post = 8;
	std::map<uint64_t, ByteVec> tm_bodies;
	try {
		FileReader reader(f, name, Decoder::Options{false});
		Event ev;
		while (reader.Next(ev)) {
			if (const auto *fde = ev.As<FormatDescription>()) {
				crc = fde->checksum == ChecksumAlg::kCrc32;
				tm_post = fde->PostHeaderLength(EventType::kTableMap, 8);
			}
			if (const auto *tm = ev.As<TableMapEvent>())
				tm_bodies[tm->table->table_id] = ByteVec(ev.body.begin(), ev.body.end());
			if (ev.As<TransactionPayloadEvent>())
				Seed("compress", 2, ev.body.data(), ev.body.size());
			const auto *re = ev.As<RowsEvent>();
			if (!re)
				continue;
			auto tm = tm_bodies.find(re->table_id);
			size_t sel = 0;
			while (sel < sizeof kRowsTypes && kRowsTypes[sel] != ev.header.type_code)
				sel++;
			uint8_t rows_post = reader.GetDecoder().Format().PostHeaderLength(ev.header.type(), 10);
			if (tm != tm_bodies.end() && sel < sizeof kRowsTypes && tm->second.size() < 65536) {
				ByteVec s{static_cast<uint8_t>(sel), static_cast<uint8_t>((tm_post == 6 ? 1 : 0) | (rows_post == 6 ? 2 : 0)),
						  static_cast<uint8_t>(tm->second.size()), static_cast<uint8_t>(tm->second.size() >> 8)};
				s.insert(s.end(), tm->second.begin(), tm->second.end());
				s.insert(s.end(), ev.body.begin(), ev.body.end());
				Seed("rows", s.data(), s.size());
			}
			if (!re->table)
				continue;
			try {
				RowIterator it(*re);
				RowChange change;
				while (it.Next(change))
					for (const RowImage *img : {&change.before, &change.after})
						for (size_t i = 0; i < img->ColumnCount(); i++) {
							if (i >= re->table->columns.size() || re->table->columns[i].type != ColumnType::kJson)
								continue;
							Bytes raw = img->Raw(i);
							bool diff = img->StateOf(i) == RowImage::State::kPartialJson;
							Seed("binlog_json", diff ? 1 : 0, raw.data(), raw.size());
						}
			} catch (const Error &) {
			}
		}
	} catch (const Error &) {
	}

	std::vector<Frame> frames = Frames(f);
	uint8_t stream_mode = static_cast<uint8_t>(2 | (crc ? 4 : 0));
	if (f.size() <= 16 * 1024) {
		Seed("binlog", 0, f.data(), f.size());
		Seed("binlog", stream_mode, f.data() + 4, f.size() - 4);
		return;
	}
	/* Split: magic + FDE (the first event) + runs of about 8 kB. */
	if (frames.empty() || frames[0].type != static_cast<uint8_t>(EventType::kFormatDescription))
		return;
	ByteVec head(f.begin(), f.begin() + static_cast<long>(frames[0].offset + frames[0].size));
	ByteVec piece = head;
	for (size_t i = 1; i < frames.size(); i++) {
		piece.insert(piece.end(), f.begin() + static_cast<long>(frames[i].offset),
					 f.begin() + static_cast<long>(frames[i].offset + frames[i].size));
		if (piece.size() >= 8 * 1024 || i + 1 == frames.size()) {
			Seed("binlog", 0, piece.data(), piece.size());
			piece = head;
		}
	}
}

/* zlib and zstd frames of some fixture events, for the decompressors. */
void CompressSeeds(const ByteVec &f)
{
	std::vector<Frame> frames = Frames(f);
	for (size_t i = 0; i < frames.size() && i < 12; i++) {
		const uint8_t *p = f.data() + frames[i].offset;
		size_t n = frames[i].size;
		/* MariaDB: 0x80 | length bytes, big-endian length, zlib stream. */
		uLongf zlen = compressBound(static_cast<uLong>(n));
		ByteVec z(5 + zlen);
		z[0] = 0x84;
		for (int k = 0; k < 4; k++)
			z[1 + k] = static_cast<uint8_t>(n >> (8 * (3 - k)));
		if (compress2(z.data() + 5, &zlen, p, static_cast<uLong>(n), 6) == Z_OK)
			Seed("compress", 0, z.data(), 5 + zlen);
		/* zstd frame with the expected size in front. */
		ByteVec s(4 + ZSTD_compressBound(n));
		for (int k = 0; k < 4; k++)
			s[k] = static_cast<uint8_t>(n >> (8 * k));
		size_t slen = ZSTD_compress(s.data() + 4, s.size() - 4, p, n, 3);
		if (!ZSTD_isError(slen))
			Seed("compress", 1, s.data(), 4 + slen);
	}
	/* A payload of the file's events without checksums is not needed: the fixtures have real ones. */
}

void DdlSeeds(const fs::path &corpus)
{
	std::string text = ReadAll(corpus);
	std::vector<std::string> stmts;
	std::string cur;
	size_t pos = 0;
	while (pos < text.size()) {
		size_t eol = text.find('\n', pos);
		if (eol == std::string::npos)
			eol = text.size();
		std::string line = text.substr(pos, eol - pos);
		pos = eol + 1;
		if (line == "-- ----") {
			if (!cur.empty())
				stmts.push_back(cur);
			cur.clear();
		} else if (line.rfind("--", 0) != 0) {
			cur += (cur.empty() ? "" : "\n") + line;
		}
	}
	if (!cur.empty())
		stmts.push_back(cur);
	for (const std::string &s : stmts)
		Seed("ddl", s.data(), s.size());
	/* Runs of five statements, so that ALTERs meet the tables CREATEs made. */
	for (size_t i = 0; i < stmts.size(); i += 5) {
		std::string run;
		for (size_t j = i; j < i + 5 && j < stmts.size(); j++)
			run += stmts[j] + std::string(1, '\0');
		Seed("ddl", run.data(), run.size());
	}
}

/* Raw string literals R"(...)" holding JSON, and ```json blocks. */
void JsonSeeds(const fs::path &file, bool markdown)
{
	std::string text = ReadAll(file);
	const std::string open = markdown ? "```json\n" : "R\"(";
	const std::string close = markdown ? "```" : ")\"";
	size_t pos = 0;
	while ((pos = text.find(open, pos)) != std::string::npos) {
		pos += open.size();
		size_t end = text.find(close, pos);
		if (end == std::string::npos)
			break;
		std::string s = text.substr(pos, end - pos);
		pos = end + close.size();
		size_t first = s.find_first_not_of(" \t\n");
		if (first == std::string::npos || (s[first] != '{' && s[first] != '['))
			continue;
		Seed("json", s.data(), s.size());
		if (s[first] == '{')
			Seed("rules", 0, s.data(), s.size());
		else
			Seed("rules", 1, s.data(), s.size());
	}
}

}  // namespace

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: %s <repository root> <output dir>\n", argv[0]);
		return 2;
	}
	fs::path root = argv[1];
	g_out = argv[2];
	std::vector<fs::path> files;
	for (const auto &e : fs::directory_iterator(root / "test/fixtures/mysql-binlogs"))
		if (e.is_regular_file() && e.path().filename() != "README.md")
			files.push_back(e.path());
	std::sort(files.begin(), files.end());
	for (const fs::path &p : files) {
		std::string s = ReadAll(p);
		ByteVec f(s.begin(), s.end());
		BinlogSeeds(p.filename().string(), f);
		if (p.filename() == "transaction_compression.000001" || p.filename() == "mariadb-bin.000001")
			CompressSeeds(f);
	}
	DdlSeeds(root / "test/fixtures/ddl/corpus.sql");
	for (const char *t : {"core_json_test.cpp", "core_rule_file_test.cpp", "mapping_test.cpp", "core_conninfo_test.cpp"})
		JsonSeeds(root / "test/unit" / t, false);
	for (const auto &e : fs::directory_iterator(root / "docs"))
		if (e.path().extension() == ".md")
			JsonSeeds(e.path(), true);
	for (const auto &[target, n] : g_count)
		std::printf("seeds: %-12s %zu new\n", target.c_str(), n);
	return 0;
}
