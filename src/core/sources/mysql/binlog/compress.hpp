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
 *   allocate more than the data really expands to.  A transaction payload
 *   is not decompressed whole: PayloadStream hands out its inner events one
 *   at a time, holding about one event's bytes (a transaction of millions of
 *   rows decompresses to gigabytes; its events are a few kB each).
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

/*
 * The inner events of a TRANSACTION_PAYLOAD_EVENT, decompressed on demand.
 * It keeps its own copy of the compressed bytes (the outer event's buffer
 * is not kept) and a window of decompressed bytes not yet consumed.
 */
class PayloadStream {
public:
	/* zstd: a zstd frame; otherwise the bytes are the events themselves. */
	PayloadStream(Bytes payload, bool zstd);
	~PayloadStream();
	PayloadStream(const PayloadStream &) = delete;
	PayloadStream &operator=(const PayloadStream &) = delete;

	/*
	 * Make at least n bytes available (fewer only at the end of the data).
	 * Returns false and sets *why on malformed input or when n is over
	 * kMaxDecompressedSize.
	 */
	bool Fill(size_t n, std::string *why);
	/* The decompressed bytes not yet consumed. */
	Bytes Available() const { return Bytes(buf_.data() + begin_, end_ - begin_); }
	void Consume(size_t n) { begin_ += n; }
	/* All data decompressed (the frame ended). */
	bool Finished() const { return done_; }
	/* Decompressed bytes so far. */
	uint64_t Produced() const { return produced_; }
	/* Bytes held (compressed copy and window): for tests of the memory bound. */
	size_t HeldBytes() const { return compressed_.capacity() + buf_.capacity(); }

private:
	std::vector<uint8_t> compressed_;
	size_t in_pos_ = 0;
	void *ds_ = nullptr; /* ZSTD_DStream, null for uncompressed data */
	std::vector<uint8_t> buf_;
	size_t begin_ = 0, end_ = 0;
	uint64_t produced_ = 0;
	bool done_ = false;
};

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
