/*
 * compress.cpp
 *     zlib and zstd decompression for compressed binlog events.
 *
 * NOTES
 *   See compress.hpp for the formats.  Output buffers start at a modest
 *   size and double while the decompressor asks for room, never beyond
 *   kMaxDecompressedSize.
 */
#include "core/sources/mysql/binlog/compress.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <new>

namespace synchdb::binlog {

/* Initial output size: the hint if plausible, else a multiple of the input. */
static size_t InitialSize(uint64_t hint, size_t in_size)
{
	size_t guess = std::max<size_t>(in_size * 4, 4096);
	if (hint > 0 && hint <= kMaxDecompressedSize)
		guess = std::min<size_t>(static_cast<size_t>(hint), std::max<size_t>(guess, in_size * 64));
	return std::clamp<size_t>(guess, 64, kMaxDecompressedSize);
}

bool MariaUncompress(Bytes src, std::vector<uint8_t> &out, std::string *why)
{
	if (src.empty()) {
		*why = "compressed data is empty";
		return false;
	}
	size_t lenlen = src[0] & 0x07;
	if ((src[0] & 0x80) == 0 || lenlen < 1 || lenlen > 4 || src.size() < 1 + lenlen) {
		*why = "bad compression header byte " + std::to_string(src[0]);
		return false;
	}
	uint64_t expected = LoadBE(src.data() + 1, lenlen);
	if (expected > kMaxDecompressedSize) {
		*why = "declared uncompressed size " + std::to_string(expected) + " is too large";
		return false;
	}
	Bytes z = src.subspan(1 + lenlen);

	z_stream zs{};
	if (inflateInit(&zs) != Z_OK) {
		*why = "zlib initialisation failed";
		return false;
	}
	out.assign(InitialSize(expected, z.size()), 0);
	zs.next_in = const_cast<Bytef *>(z.data());
	zs.avail_in = static_cast<uInt>(std::min<size_t>(z.size(), UINT32_MAX));
	size_t produced = 0;
	int rc;
	for (;;) {
		zs.next_out = out.data() + produced;
		zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT32_MAX));
		size_t before = zs.avail_out;
		rc = inflate(&zs, Z_NO_FLUSH);
		produced += before - zs.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			*why = std::string("zlib error: ") + (zs.msg ? zs.msg : std::to_string(rc));
			inflateEnd(&zs);
			return false;
		}
		if (zs.avail_out != 0) {
			/* No progress possible: the input ended before the stream did. */
			*why = "zlib stream is truncated";
			inflateEnd(&zs);
			return false;
		}
		if (out.size() >= kMaxDecompressedSize) {
			*why = "decompressed data exceeds the size limit";
			inflateEnd(&zs);
			return false;
		}
		out.resize(std::min(out.size() * 2, kMaxDecompressedSize));
	}
	inflateEnd(&zs);
	out.resize(produced);
	if (produced != expected) {
		*why = "decompressed " + std::to_string(produced) + " bytes, header says " + std::to_string(expected);
		return false;
	}
	return true;
}

bool ZstdDecompress(Bytes src, uint64_t expected_size, std::vector<uint8_t> &out, std::string *why)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	if (!ds) {
		*why = "zstd initialisation failed";
		return false;
	}
	ZSTD_initDStream(ds);
	out.assign(InitialSize(expected_size, src.size()), 0);
	ZSTD_inBuffer in{src.data(), src.size(), 0};
	size_t produced = 0;
	bool ok = false;
	for (;;) {
		ZSTD_outBuffer ob{out.data(), out.size(), produced};
		size_t rc = ZSTD_decompressStream(ds, &ob, &in);
		produced = ob.pos;
		if (ZSTD_isError(rc)) {
			*why = std::string("zstd error: ") + ZSTD_getErrorName(rc);
			break;
		}
		if (rc == 0) {
			/* A frame is complete; the payload holds exactly one. */
			ok = true;
			break;
		}
		if (ob.pos < ob.size && in.pos == in.size) {
			*why = "zstd frame is truncated";
			break;
		}
		if (ob.pos == ob.size) {
			if (out.size() >= kMaxDecompressedSize) {
				*why = "decompressed data exceeds the size limit";
				break;
			}
			out.resize(std::min(out.size() * 2, kMaxDecompressedSize));
		}
	}
	ZSTD_freeDStream(ds);
	if (!ok)
		return false;
	out.resize(produced);
	if (expected_size != 0 && produced != expected_size) {
		*why = "decompressed " + std::to_string(produced) + " bytes, header says " + std::to_string(expected_size);
		return false;
	}
	return true;
}

PayloadStream::PayloadStream(Bytes payload, bool zstd) : compressed_(payload.begin(), payload.end())
{
	if (zstd) {
		ZSTD_DStream *ds = ZSTD_createDStream();
		if (!ds)
			throw std::bad_alloc();
		ZSTD_initDStream(ds);
		ds_ = ds;
	}
}

PayloadStream::~PayloadStream()
{
	if (ds_)
		ZSTD_freeDStream(static_cast<ZSTD_DStream *>(ds_));
}

bool PayloadStream::Fill(size_t n, std::string *why)
{
	if (n > kMaxDecompressedSize) {
		*why = "an inner event of " + std::to_string(n) + " bytes exceeds the size limit";
		return false;
	}
	if (!ds_) {
		/* Uncompressed: the copy is the data. */
		if (!done_) {
			buf_.swap(compressed_);
			begin_ = 0;
			end_ = buf_.size();
			produced_ = end_;
			done_ = true;
		}
		return true;
	}
	while (end_ - begin_ < n && !done_) {
		/* Keep only the unconsumed bytes, at the front. */
		if (begin_ > 0) {
			std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(begin_), buf_.begin() + static_cast<std::ptrdiff_t>(end_),
			          buf_.begin());
			end_ -= begin_;
			begin_ = 0;
		}
		const size_t want = std::max(n, end_ + ZSTD_DStreamOutSize());
		if (buf_.size() < want)
			buf_.resize(want);
		ZSTD_inBuffer in{compressed_.data(), compressed_.size(), in_pos_};
		ZSTD_outBuffer ob{buf_.data(), buf_.size(), end_};
		const size_t rc = ZSTD_decompressStream(static_cast<ZSTD_DStream *>(ds_), &ob, &in);
		if (ZSTD_isError(rc)) {
			*why = std::string("zstd error: ") + ZSTD_getErrorName(rc);
			return false;
		}
		const size_t got = ob.pos - end_;
		produced_ += got;
		end_ = ob.pos;
		in_pos_ = in.pos;
		if (rc == 0) {
			done_ = true; /* the payload holds exactly one frame */
			break;
		}
		if (got == 0 && in.pos == in.size) {
			*why = "zstd frame is truncated";
			return false;
		}
	}
	return true;
}

}  // namespace synchdb::binlog
