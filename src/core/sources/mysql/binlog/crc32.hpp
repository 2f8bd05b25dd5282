/*
 * crc32.hpp
 *     CRC-32 (IEEE 802.3 / zlib polynomial) of binlog events, fast.
 *
 * NOTES
 *   Crc32(crc, data, len) has exactly the semantics of zlib's crc32():
 *   start with 0 (or Crc32(0, nullptr, 0), which is 0), feed the bytes in as
 *   many pieces as you like, each call taking the previous result; a null
 *   data pointer returns 0 whatever crc is.  MySQL and MariaDB checksum
 *   every binlog event this way (binlog_checksum = CRC32).
 *
 *   On x86-64 CPUs with PCLMULQDQ and SSE4.1 (checked once, at run time)
 *   buffers of 64 bytes and more are folded with carry-less multiplication;
 *   everything else, and every other CPU, uses slicing-by-8 tables built at
 *   compile time.  See crc32.cpp for the derivation of the constants.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace synchdb::binlog {

/* zlib's crc32(): the CRC of data[0..len) continued from crc. */
uint32_t Crc32(uint32_t crc, const void *data, size_t len);

/* The same with the portable table code only (exposed for the unit tests). */
uint32_t Crc32Portable(uint32_t crc, const void *data, size_t len);

/* True when Crc32 uses the carry-less multiplication path on this CPU. */
bool Crc32UsesClmul();

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
