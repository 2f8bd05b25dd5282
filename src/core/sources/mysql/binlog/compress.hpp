/*
 * compress.hpp
 *     Decompression helpers for compressed binlog events.
 *
 * NOTES
 *   MariaDB (10.2+, log_bin_compress) compresses the query text of
 *   QUERY_COMPRESSED_EVENT and the row data of *_ROWS_COMPRESSED_EVENT with
 *   zlib, behind a small header (sql/log_event.cc, binlog_buf_compress):
 *
 *     byte 0     0x80 | n, where n (1..4) is the number of length bytes
 *     n bytes    uncompressed length, big-endian
 *     rest       zlib stream
 *
 *   MySQL 8.0.20+ (binlog_transaction_compression) wraps whole
 *   transactions in a TRANSACTION_PAYLOAD_EVENT compressed with zstd.
 *
 *   Both decompressors grow their output step by step up to a hard limit
 *   instead of trusting a declared size, so corrupt input cannot make us
 *   allocate more than the data really expands to.
 */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/reader.hpp"

namespace synchdb::binlog {

/* Largest decompressed event data we accept (MySQL's max_allowed_packet limit). */
inline constexpr size_t kMaxDecompressedSize = size_t(1) << 30;

/*
 * Decompress MariaDB's compressed-event format (header described above).
 * Returns false and sets *why on malformed input.
 */
bool MariaUncompress(Bytes src, std::vector<uint8_t> &out, std::string *why);

/*
 * Decompress a zstd frame; expected_size is a hint (0 if unknown) and the
 * result must match it when non-zero.  Returns false and sets *why on error.
 */
bool ZstdDecompress(Bytes src, uint64_t expected_size, std::vector<uint8_t> &out, std::string *why);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
