/*
 * crc32_speed.cpp
 *     Throughput of zlib's crc32() against synchdb::binlog::Crc32 (and its
 *     portable table path) for buffers of binlog-event sizes and larger.
 *
 *   g++ -std=c++20 -O2 -Isrc -o /tmp/crc32_speed bench/crc32_speed.cpp src/core/binlog/crc32.cpp -lz
 *   /tmp/crc32_speed [SIZE...]
 *
 * For each size, an 8 MiB buffer is cut into back-to-back pieces of that size
 * (like the events of a binlog file read into memory) and each piece's CRC is
 * computed; best of 30 passes, in MB/s (10^6 bytes).  Not built by the Makefile.
 */
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/sources/mysql/binlog/crc32.hpp"

using namespace synchdb::binlog;

template <typename F>
static double Measure(const std::vector<uint8_t> &buf, size_t size, F f, uint32_t *sink)
{
	double best = 1e30;
	for (int pass = 0; pass < 30; pass++) {
		auto t0 = std::chrono::steady_clock::now();
		uint32_t acc = 0;
		for (size_t pos = 0; pos + size <= buf.size(); pos += size)
			acc ^= f(buf.data() + pos, size);
		double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		*sink += acc;
		best = std::min(best, s);
	}
	size_t bytes = (buf.size() / size) * size;
	return static_cast<double>(bytes) / best / 1e6;
}

int main(int argc, char **argv)
{
	std::vector<size_t> sizes = {16, 32, 64, 128, 172, 256, 512, 1024, 4096, 65536, 1 << 20};
	if (argc > 1) {
		sizes.clear();
		for (int i = 1; i < argc; i++)
			sizes.push_back(std::strtoull(argv[i], nullptr, 10));
	}
	std::vector<uint8_t> buf(8u << 20);
	std::mt19937_64 rng(42);
	for (auto &b : buf)
		b = static_cast<uint8_t>(rng());

	std::printf("Crc32 uses %s\n", Crc32UsesClmul() ? "PCLMULQDQ folding" : "slicing-by-8 tables");
	std::printf("%10s %12s %12s %12s %8s\n", "bytes", "zlib MB/s", "Crc32 MB/s", "portable", "speedup");
	uint32_t sink = 0;
	for (size_t size : sizes) {
		if (size == 0 || size > buf.size())
			continue;
		double z = Measure(
			buf, size,
			[](const uint8_t *p, size_t n) { return static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(n))); },
			&sink);
		double c = Measure(buf, size, [](const uint8_t *p, size_t n) { return Crc32(0, p, n); }, &sink);
		double t = Measure(buf, size, [](const uint8_t *p, size_t n) { return Crc32Portable(0, p, n); }, &sink);
		std::printf("%10zu %12.0f %12.0f %12.0f %7.1fx\n", size, z, c, t, c / z);
	}
	std::printf("(sink %08x)\n", sink);
	return 0;
}
