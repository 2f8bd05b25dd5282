/*
 * decode_bench.cpp
 *     How fast the core binlog decoder turns a binlog file into row values.
 *
 *   decode_bench [--no-values] [--no-crc] [--repeat N] FILE...
 *
 * Reads each file into memory once (not timed), then, N times (default 3),
 * iterates every event with FileReader, every row of every rows event with
 * RowIterator, and decodes every present column of every image with
 * RowImage::Get (unless --no-values: only slicing).  Prints one line per
 * repetition and a final line
 *
 *   best: <events> events <rows> rows <values> values in <s> s = <ev/s> events/s <rows/s> rows/s
 *
 * A "row" is one row change (an UPDATE's before+after pair counts once), the
 * same unit as mariadb-binlog's "### INSERT/UPDATE/DELETE" blocks.
 * Built by bench/run.sh (g++ -O2), not by the Makefile.
 */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/event.hpp"
#include "core/sources/mysql/binlog/file_reader.hpp"
#include "core/sources/mysql/binlog/rows.hpp"
#include "core/sources/mysql/binlog/value.hpp"
#include "core/error.hpp"

using namespace synchdb::binlog;

struct Counts {
	uint64_t events = 0, rows = 0, values = 0, bytes = 0;
	uint64_t checksum = 0; /* keeps the compiler from dropping decoded values */
};

static void Consume(const RowImage &img, Value &v, Counts &c)
{
	for (size_t i = 0; i < img.ColumnCount(); i++) {
		if (!img.IsPresent(i))
			continue;
		img.Get(i, v);
		c.values++;
		c.checksum += static_cast<uint64_t>(v.kind) + v.int_value + v.uint_value + v.Bytes().size();
	}
}

static void DecodeFile(std::vector<uint8_t> data, const std::string &name, bool values, bool crc, Counts &c)
{
	c.bytes += data.size();
	Decoder::Options opt;
	opt.verify_checksums = crc;
	FileReader reader(std::move(data), name, opt);
	Event ev;
	RowChange change;
	Value v;
	while (reader.Next(ev)) {
		c.events++;
		const RowsEvent *rows = ev.As<RowsEvent>();
		if (!rows)
			continue;
		RowIterator it(*rows);
		while (it.Next(change)) {
			c.rows++;
			if (!values)
				continue;
			if (rows->HasBefore())
				Consume(change.before, v, c);
			if (rows->HasAfter())
				Consume(change.after, v, c);
		}
	}
}

int main(int argc, char **argv)
{
	bool values = true, crc = true;
	int repeat = 3;
	std::vector<std::string> files;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-values"))
			values = false;
		else if (!strcmp(argv[i], "--no-crc"))
			crc = false;
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else
			files.push_back(argv[i]);
	}
	if (files.empty()) {
		fprintf(stderr, "usage: decode_bench [--no-values] [--no-crc] [--repeat N] FILE...\n");
		return 2;
	}
	std::vector<std::vector<uint8_t>> contents;
	for (const auto &f : files) {
		std::ifstream in(f, std::ios::binary);
		if (!in) {
			fprintf(stderr, "cannot read %s\n", f.c_str());
			return 1;
		}
		contents.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
	}
	double best = 1e99;
	Counts bc;
	try {
		for (int r = 0; r < repeat; r++) {
			Counts c;
			std::vector<std::vector<uint8_t>> copies = contents; /* FileReader owns its buffer; copy untimed */
			auto t0 = std::chrono::steady_clock::now();
			for (size_t i = 0; i < files.size(); i++)
				DecodeFile(std::move(copies[i]), files[i], values, crc, c);
			double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
			printf("run %d: %lu events %lu rows %lu values %.1f MB in %.3f s = %.0f rows/s (checksum %lu)\n", r + 1,
				   (unsigned long)c.events, (unsigned long)c.rows, (unsigned long)c.values, c.bytes / 1e6, s,
				   c.rows / s, (unsigned long)c.checksum);
			if (s < best) {
				best = s;
				bc = c;
			}
		}
	} catch (const std::exception &e) {
		fprintf(stderr, "decode error: %s\n", e.what());
		return 1;
	}
	printf("best: %lu events %lu rows %lu values in %.3f s = %.0f events/s %.0f rows/s\n", (unsigned long)bc.events,
		   (unsigned long)bc.rows, (unsigned long)bc.values, best, bc.events / best, bc.rows / best);
	return 0;
}
