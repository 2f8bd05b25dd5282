/*
 * crc32.cpp
 *     CRC-32 with zlib's semantics: slicing-by-8 tables everywhere, folding
 *     with carry-less multiplication (PCLMULQDQ) on x86-64 when the CPU has it.
 *
 * NOTES
 *   The CRC is the reflected one of the polynomial
 *
 *     P(x) = x^32 + x^26 + x^23 + x^22 + x^16 + x^12 + x^11 + x^10 + x^8
 *            + x^7 + x^5 + x^4 + x^2 + x + 1          (0x04C11DB7)
 *
 *   with initial register ~crc and final complement, as zlib's crc32().
 *   "Reflected" means the first byte of the message carries the highest
 *   powers of x and, inside a byte, bit 0 the highest.  A 32-bit register
 *   value v stands for the polynomial whose x^d coefficient is bit (31 - d)
 *   of v; multiplying by x is then v >> 1, reduced by XORing the low 32
 *   coefficients of P, reflected (0xEDB88320), when bit 0 falls off.  The
 *   register after feeding bytes B to a zero register is B(x)·x^32 mod P;
 *   XORing ~crc into the first four bytes is the same as starting the
 *   register at ~crc.
 *
 *   Portable path: slicing-by-8.  T[0][b] is the register after feeding byte
 *   b to a zero register; T[k][b] the same followed by k zero bytes, so 8
 *   message bytes (the register XORed into the first four) are consumed with
 *   8 independent lookups.  The tables are built at compile time.
 *
 *   Folding path (the method of Gopal et al., "Fast CRC Computation for
 *   Generic Polynomials Using PCLMULQDQ Instruction", Intel, 2009; the
 *   derivation below is ours, in this file's conventions).  Read 16 bytes
 *   as a 128-bit register X (little-endian, so byte 0 is bits 0..7) and let
 *
 *     rho(X) = sum over k of X_k · x^(127 - k)
 *
 *   the polynomial of those 16 message bytes.  With L and H the low and high
 *   64-bit halves, rho(X) = rho64(L)·x^64 + rho64(H), rho64(Q) = sum Q_k
 *   x^(63 - k).  PCLMULQDQ of two 64-bit halves a, b gives the 127-bit
 *   product with bit n = XOR of a_i·b_j over i + j = n, hence
 *
 *     rho(clmul(a, b)) = x · rho64(a) · rho64(b).
 *
 *   Folding X over the next F bits of message Y means finding X' with
 *   rho(X') ≡ rho(X)·x^F + rho(Y) (mod P); the final CRC only depends on
 *   the message polynomial modulo P.  Take a 64-bit constant K whose low 32
 *   bits are the register form of r = x^n mod P (high bits zero): then
 *   rho64(K) = r·x^32, and
 *
 *     rho(clmul(L, K)) = rho64(L)·r·x^33 ≡ rho64(L)·x^(n + 33).
 *
 *   So the L half needs n = F + 64 - 33 = F + 31 and the H half
 *   n = F - 33:
 *
 *     X' = clmul(L, K(F + 31)) ^ clmul(H, K(F - 33)) ^ Y.
 *
 *   Each product has at most 127 bits, so X' stays a 128-bit register.
 *   From 64 bytes on, four such registers cover 64 consecutive bytes and
 *   each is folded by F = 512 per 64-byte step (independent multiplications
 *   hide the latency); then the four become one in a single step,
 *   rho(X0)·x^384 + rho(X1)·x^256 + rho(X2)·x^128 + rho(X3), and the
 *   remaining whole 16-byte blocks are folded by F = 128.  Inputs of 32..63
 *   bytes start with one register.
 *
 *   A last partial block of t bytes (0 < t < 16): the message ends with X's
 *   16 bytes followed by those t bytes.  Its first t bytes, moved to the end
 *   of an otherwise zero register A (leading zero bytes are zero high
 *   coefficients, so rho(A) is their polynomial), are followed by 16 bytes
 *   B = X's other 16 - t bytes, then the t tail bytes; so X' = A folded by
 *   F = 128 over B.  The byte moves are PSHUFB with masks from a small
 *   table and a PBLENDVB (SSE4.1) that takes the tail from the input's last
 *   16 bytes.
 *
 *   The final register X is congruent to the whole message, so running the
 *   table code from a zero register over its 16 bytes gives the CRC
 *   register: no Barrett reduction needed.
 *
 *   The constants are x^n mod P for n = F + 31 and F - 33 with F = 512,
 *   384, 256 and 128, computed at compile time by XPowModP below.
 */
#include "core/sources/mysql/binlog/crc32.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SYNCHDB_CRC32_CLMUL 1
#include <immintrin.h>
#else
#define SYNCHDB_CRC32_CLMUL 0
#endif

namespace synchdb::binlog {

namespace {

/* The low 32 coefficients of P, reflected. */
constexpr uint32_t kPolyReflected = 0xEDB88320u;

/* v·x mod P, register form. */
constexpr uint32_t MulX(uint32_t v)
{
	return (v >> 1) ^ ((v & 1u) ? kPolyReflected : 0u);
}

/* x^n mod P, register form (x^0 is bit 31). */
constexpr uint32_t XPowModP(unsigned n)
{
	uint32_t v = 0x80000000u;
	for (unsigned i = 0; i < n; i++)
		v = MulX(v);
	return v;
}

struct Tables {
	uint32_t t[8][256];
};

constexpr Tables MakeTables()
{
	Tables tb{};
	for (uint32_t b = 0; b < 256; b++) {
		/* byte b in the register's low bits is b(x)·x^24; times x^8 */
		uint32_t c = b;
		for (int i = 0; i < 8; i++)
			c = MulX(c);
		tb.t[0][b] = c;
	}
	for (int k = 1; k < 8; k++)
		for (uint32_t b = 0; b < 256; b++) {
			uint32_t prev = tb.t[k - 1][b];
			tb.t[k][b] = (prev >> 8) ^ tb.t[0][prev & 0xffu];
		}
	return tb;
}

constexpr Tables kTables = MakeTables();

constexpr uint32_t ByteWise(uint32_t c, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c = (c >> 8) ^ kTables.t[0][(c ^ static_cast<uint8_t>(s[i])) & 0xffu];
	return c;
}

/* The standard check value of this CRC. */
static_assert(~ByteWise(~0u, "123456789", 9) == 0xCBF43926u);

inline uint32_t Load32(const uint8_t *p)
{
	/* little-endian whatever the host; compilers turn this into one load */
	return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
		   (static_cast<uint32_t>(p[3]) << 24);
}

/* Advance register c over 8 bytes, lo = bytes 0..3 and hi = 4..7 read little-endian. */
inline uint32_t Update8(uint32_t c, uint32_t lo, uint32_t hi)
{
	const auto &t = kTables.t;
	lo ^= c;
	return t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^ t[3][hi & 0xffu] ^
		   t[2][(hi >> 8) & 0xffu] ^ t[1][(hi >> 16) & 0xffu] ^ t[0][hi >> 24];
}

/* Advance register c over p[0..len) (no complements). */
inline uint32_t UpdateTables(uint32_t c, const uint8_t *p, size_t len)
{
	const auto &t = kTables.t;
	while (len >= 8) {
		c = Update8(c, Load32(p), Load32(p + 4));
		p += 8;
		len -= 8;
	}
	while (len > 0) {
		c = (c >> 8) ^ t[0][(c ^ *p) & 0xffu];
		p++;
		len--;
	}
	return c;
}

#if SYNCHDB_CRC32_CLMUL

/*
 * Shortest input for the folding path: it needs one whole 16-byte block, and
 * below 32 bytes the tables are as fast (measured on the bench machine).
 */
constexpr size_t kClmulMinLen = 32;

/*
 * Fold constants for F bits: low qword for the L half (x^(F+31) mod P),
 * high qword for the H half (x^(F-33) mod P).
 */
struct FoldConstant {
	uint64_t low, high;
};
constexpr FoldConstant FoldBy(unsigned bits)
{
	return {XPowModP(bits + 31), XPowModP(bits - 33)};
}
constexpr FoldConstant kFold512 = FoldBy(512), kFold384 = FoldBy(384), kFold256 = FoldBy(256),
					   kFold128 = FoldBy(128);

/*
 * pshufb masks for the last partial block: bytes 16..31 hold 0..15, the
 * others 0x80 (pshufb writes a zero byte for an index with bit 7 set).
 */
alignas(16) constexpr uint8_t kShiftTable[48] = {
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

__attribute__((target("pclmul,sse4.1"), always_inline)) inline __m128i Constant(FoldConstant k)
{
	return _mm_set_epi64x(static_cast<long long>(k.high), static_cast<long long>(k.low));
}

/* rho(x)·x^F, congruent, in one register (see NOTES). */
__attribute__((target("pclmul,sse4.1"), always_inline)) inline __m128i Mul(__m128i x, __m128i k)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00); /* L · k.low */
	__m128i hi = _mm_clmulepi64_si128(x, k, 0x11); /* H · k.high */
	return _mm_xor_si128(lo, hi);
}

/* x folded over the F bits of y: rho(x)·x^F + rho(y). */
__attribute__((target("pclmul,sse4.1"), always_inline)) inline __m128i Fold(__m128i x, __m128i k, __m128i y)
{
	return _mm_xor_si128(Mul(x, k), y);
}

__attribute__((target("pclmul,sse4.1"), always_inline)) inline __m128i Load128(const uint8_t *p)
{
	return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
}

/* Advance register c over p[0..len), len >= 16. */
__attribute__((target("pclmul,sse4.1"))) uint32_t UpdateClmul(uint32_t c, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	const __m128i k128 = Constant(kFold128);
	const __m128i init = _mm_cvtsi32_si128(static_cast<int>(c));
	__m128i x;
	if (len >= 64) {
		const __m128i k512 = Constant(kFold512);
		__m128i x0 = _mm_xor_si128(Load128(p), init);
		__m128i x1 = Load128(p + 16);
		__m128i x2 = Load128(p + 32);
		__m128i x3 = Load128(p + 48);
		p += 64;
		while (end - p >= 64) {
			x0 = Fold(x0, k512, Load128(p));
			x1 = Fold(x1, k512, Load128(p + 16));
			x2 = Fold(x2, k512, Load128(p + 32));
			x3 = Fold(x3, k512, Load128(p + 48));
			p += 64;
		}
		/* rho(x0)·x^384 + rho(x1)·x^256 + rho(x2)·x^128 + rho(x3), in parallel */
		x = _mm_xor_si128(_mm_xor_si128(Mul(x0, Constant(kFold384)), Mul(x1, Constant(kFold256))),
						  Fold(x2, k128, x3));
	} else {
		x = _mm_xor_si128(Load128(p), init);
		p += 16;
	}
	while (end - p >= 16) {
		x = Fold(x, k128, Load128(p));
		p += 16;
	}
	size_t tail = static_cast<size_t>(end - p);
	if (tail > 0) {
		/*
		 * x, then tail (1..15) more bytes: the first `tail` bytes of x, moved
		 * to the end of a zeroed register (same polynomial), folded by 128
		 * over the 16 bytes made of the rest of x followed by the tail bytes.
		 * The tail is read as the last 16 bytes of the input, which exist:
		 * at least one whole block came before.
		 */
		__m128i head_mask = Load128(kShiftTable + tail);      /* byte i: x[i - (16 - tail)] or 0 */
		__m128i rest_mask = Load128(kShiftTable + 16 + tail); /* byte i: x[i + tail], or 0x80 */
		__m128i head = _mm_shuffle_epi8(x, head_mask);
		__m128i rest = _mm_blendv_epi8(_mm_shuffle_epi8(x, rest_mask), Load128(end - 16), rest_mask);
		x = Fold(head, k128, rest);
	}
	/* The 16 bytes of x through the tables, from general registers (no store). */
	uint64_t l = static_cast<uint64_t>(_mm_cvtsi128_si64(x));
	uint64_t h = static_cast<uint64_t>(_mm_extract_epi64(x, 1));
	uint32_t r = Update8(0, static_cast<uint32_t>(l), static_cast<uint32_t>(l >> 32));
	return Update8(r, static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32));
}

bool DetectClmul()
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}

/*
 * Set during static initialization; zero (the portable path) for anyone
 * calling before that, which is just slower, never wrong.
 */
const bool g_use_clmul = DetectClmul();

#endif /* SYNCHDB_CRC32_CLMUL */

}  // namespace

uint32_t Crc32Portable(uint32_t crc, const void *data, size_t len)
{
	if (data == nullptr)
		return 0;
	return ~UpdateTables(~crc, static_cast<const uint8_t *>(data), len);
}

uint32_t Crc32(uint32_t crc, const void *data, size_t len)
{
	if (data == nullptr)
		return 0;
	const uint8_t *p = static_cast<const uint8_t *>(data);
#if SYNCHDB_CRC32_CLMUL
	if (len >= kClmulMinLen && g_use_clmul)
		return ~UpdateClmul(~crc, p, len);
#endif
	return ~UpdateTables(~crc, p, len);
}

bool Crc32UsesClmul()
{
#if SYNCHDB_CRC32_CLMUL
	return g_use_clmul;
#else
	return false;
#endif
}

}  // namespace synchdb::binlog
