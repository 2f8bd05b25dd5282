/*
 * binlog_crc32_test.cpp
 *     synchdb::binlog::Crc32 (folding path where the CPU has PCLMULQDQ) and
 *     Crc32Portable (tables) against zlib's crc32().
 */
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/crc32.hpp"
#include "core/sources/mysql/binlog/event.hpp"

using namespace synchdb::binlog;

namespace {

using CrcFn = uint32_t (*)(uint32_t, const void *, size_t);

/* Crc32 is overloaded (event.hpp has Crc32(Bytes)): name the one meant. */
const CrcFn kDispatched = &Crc32;
const CrcFn kPortable = &Crc32Portable;

uint32_t Zlib(uint32_t crc, const void *data, size_t len)
{
	/* zlib's length is 32-bit; every length used here fits */
	return static_cast<uint32_t>(crc32(crc, static_cast<const Bytef *>(data), static_cast<uInt>(len)));
}

std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::vector<uint8_t> v(n);
	for (auto &b : v)
		b = static_cast<uint8_t>(rng());
	return v;
}

class Crc32Impl : public ::testing::TestWithParam<CrcFn> {};

TEST_P(Crc32Impl, CheckValue)
{
	CrcFn f = GetParam();
	EXPECT_EQ(f(0, "123456789", 9), 0xCBF43926u);
	EXPECT_EQ(f(0, "", 0), 0u);
	EXPECT_EQ(f(0, "a", 1), 0xE8B7BE43u);
	/* 32 bytes and more take the folding path */
	const char *fox = "The quick brown fox jumps over the lazy dog";
	EXPECT_EQ(f(0, fox, std::strlen(fox)), 0x414FA339u);
}

TEST_P(Crc32Impl, NullAndEmptyLikeZlib)
{
	CrcFn f = GetParam();
	uint8_t b = 0;
	EXPECT_EQ(f(0x12345678u, nullptr, 0), Zlib(0x12345678u, nullptr, 0));
	EXPECT_EQ(f(0x12345678u, nullptr, 0), 0u);
	EXPECT_EQ(f(0x12345678u, &b, 0), 0x12345678u);
	EXPECT_EQ(f(0xdeadbeefu, &b, 0), Zlib(0xdeadbeefu, &b, 0));
}

TEST_P(Crc32Impl, EveryLengthAndAlignment)
{
	CrcFn f = GetParam();
	const size_t kMaxLen = 1100, kMaxMisalign = 16;
	std::vector<uint8_t> buf = RandomBytes(kMaxLen + kMaxMisalign + 64, 1);
	for (size_t misalign : {0, 1, 2, 3, 5, 7, 8, 13, 15}) {
		for (size_t len = 0; len <= kMaxLen; len++) {
			const uint8_t *p = buf.data() + misalign;
			ASSERT_EQ(f(0, p, len), Zlib(0, p, len)) << "len " << len << " misalign " << misalign;
		}
	}
}

TEST_P(Crc32Impl, StartValues)
{
	CrcFn f = GetParam();
	std::vector<uint8_t> buf = RandomBytes(300, 2);
	for (uint32_t start : {0u, 1u, 0xffffffffu, 0x80000000u, 0xCBF43926u, 0x12345678u})
		for (size_t len : {0, 1, 4, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 300})
			ASSERT_EQ(f(start, buf.data(), len), Zlib(start, buf.data(), len)) << "start " << start << " len " << len;
}

TEST_P(Crc32Impl, ChainedPieces)
{
	CrcFn f = GetParam();
	std::vector<uint8_t> buf = RandomBytes(20000, 3);
	uint32_t expect = Zlib(0, buf.data(), buf.size());
	std::mt19937 rng(4);
	for (int round = 0; round < 200; round++) {
		uint32_t crc = 0;
		size_t pos = 0;
		while (pos < buf.size()) {
			/* mostly short pieces, sometimes long ones */
			size_t n = (rng() % 4 == 0) ? rng() % 3000 : rng() % 80;
			n = std::min(n, buf.size() - pos);
			crc = f(crc, buf.data() + pos, n);
			pos += n;
		}
		ASSERT_EQ(crc, expect) << "round " << round;
	}
	/* chaining with zlib in between gives the same result too */
	uint32_t crc = f(0, buf.data(), 777);
	crc = Zlib(crc, buf.data() + 777, 1000);
	crc = f(crc, buf.data() + 1777, buf.size() - 1777);
	EXPECT_EQ(crc, expect);
}

TEST_P(Crc32Impl, LargeBuffers)
{
	CrcFn f = GetParam();
	std::vector<uint8_t> buf = RandomBytes((1u << 20) + 37, 5);
	for (size_t len : {size_t(1) << 20, (size_t(1) << 20) + 1, (size_t(1) << 20) + 37, (size_t(1) << 20) - 5})
		for (size_t misalign : {0, 3})
			EXPECT_EQ(f(0, buf.data() + misalign, len - misalign), Zlib(0, buf.data() + misalign, len - misalign))
				<< "len " << len;
	/* all zeros and all ones: degenerate folding inputs */
	std::vector<uint8_t> zeros(1u << 20, 0), ones(1u << 20, 0xff);
	EXPECT_EQ(f(0, zeros.data(), zeros.size()), Zlib(0, zeros.data(), zeros.size()));
	EXPECT_EQ(f(0, ones.data(), ones.size()), Zlib(0, ones.data(), ones.size()));
}

INSTANTIATE_TEST_SUITE_P(Binlog, Crc32Impl, ::testing::Values(kDispatched, kPortable),
						 [](const ::testing::TestParamInfo<CrcFn> &info) {
							 return info.param == kDispatched ? std::string("Dispatched") : std::string("Portable");
						 });

TEST(BinlogCrc32, SpanOverloadMatches)
{
	std::vector<uint8_t> buf = RandomBytes(4096, 6);
	for (size_t len : {0, 19, 58, 223, 266, 4096})
		EXPECT_EQ(Crc32(Bytes(buf.data(), len)), Zlib(0, buf.data(), len));
}

TEST(BinlogCrc32, UsesClmulWhereAvailable)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	bool have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
	EXPECT_EQ(Crc32UsesClmul(), have);
#else
	EXPECT_FALSE(Crc32UsesClmul());
#endif
	std::printf("[          ] Crc32 path: %s\n", Crc32UsesClmul() ? "PCLMULQDQ folding" : "tables only");
}

}  // namespace
