/*
 * reader.hpp
 *     Bounds-checked little-endian byte reader for binlog event bodies.
 *
 * NOTES
 *   Every byte the binlog decoder looks at is read through ByteReader.  A
 *   reader is a (pointer, length, position) triple over memory it does not
 *   own; each read first checks that enough bytes remain and otherwise
 *   throws synchdb::Error with SQLSTATE XX001 (data corrupted) and a message
 *   of the form
 *
 *       binlog event at offset 1234 is truncated: TABLE_MAP_EVENT needs 18 more bytes
 *
 *   so that a truncated or corrupt event can never make the decoder read out
 *   of bounds.  The event offset and the event name are carried by the
 *   reader only to build that message.
 *
 *   Integer encodings (see the MySQL source documentation, "Binary Log
 *   Event Format" and "Protocol Basics: Integer Types",
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html):
 *     - fixed-length integers are little-endian, 1 to 8 bytes;
 *     - "packed" (length-encoded) integers: first byte < 0xfb is the value,
 *       0xfc + 2 bytes, 0xfd + 3 bytes, 0xfe + 8 bytes; 0xfb is SQL NULL
 *       and 0xff is invalid in binlog metadata;
 *     - DECIMAL and the temporal types TIME2/DATETIME2/TIMESTAMP2 are stored
 *       big-endian, so there are big-endian helpers too.
 */
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace synchdb::binlog {

using Bytes = std::span<const uint8_t>;

/* View the bytes as text without copying. */
inline std::string_view AsText(Bytes b)
{
	return std::string_view(reinterpret_cast<const char *>(b.data()), b.size());
}

/* Little-endian load of n (1..8) bytes; the caller guarantees n bytes exist. */
inline uint64_t LoadLE(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

/* Big-endian load of n (1..8) bytes; the caller guarantees n bytes exist. */
inline uint64_t LoadBE(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Throw the standard "truncated" error for an event. */
[[noreturn]] void ThrowTruncated(uint64_t event_offset, const char *what, size_t missing);

/* Throw the standard "corrupt" error for an event. */
[[noreturn]] void ThrowCorrupt(uint64_t event_offset, const char *what, const std::string &why);

class ByteReader {
public:
	ByteReader() = default;

	/*
	 * data: the bytes to read; event_offset: where the enclosing event starts
	 * (file offset or stream position), only for messages; what: the event
	 * type name for messages (a string literal, not copied).
	 */
	ByteReader(Bytes data, uint64_t event_offset = 0, const char *what = "binlog event")
		: data_(data.data()), size_(data.size()), event_offset_(event_offset), what_(what)
	{
	}

	size_t Remaining() const { return size_ - pos_; }
	size_t Position() const { return pos_; }
	bool AtEnd() const { return pos_ >= size_; }
	uint64_t EventOffset() const { return event_offset_; }
	const char *What() const { return what_; }

	/* Throw unless n more bytes are available. */
	void Need(size_t n) const
	{
		if (n > size_ - pos_)
			ThrowTruncated(event_offset_, what_, n - (size_ - pos_));
	}

	uint8_t U8()
	{
		Need(1);
		return data_[pos_++];
	}

	uint16_t U16() { return static_cast<uint16_t>(FixedLE(2)); }
	uint32_t U24() { return static_cast<uint32_t>(FixedLE(3)); }
	uint32_t U32() { return static_cast<uint32_t>(FixedLE(4)); }
	uint64_t U48() { return FixedLE(6); }
	uint64_t U64() { return FixedLE(8); }

	/* Fixed-length little-endian unsigned integer of n (0..8) bytes. */
	uint64_t FixedLE(size_t n)
	{
		Need(n);
		uint64_t v = LoadLE(data_ + pos_, n);
		pos_ += n;
		return v;
	}

	/* Fixed-length big-endian unsigned integer of n (0..8) bytes. */
	uint64_t FixedBE(size_t n)
	{
		Need(n);
		uint64_t v = LoadBE(data_ + pos_, n);
		pos_ += n;
		return v;
	}

	/*
	 * Packed (length-encoded) integer.  0xfb (NULL) and 0xff are rejected as
	 * corrupt: binlog metadata never carries them.
	 */
	uint64_t Packed()
	{
		uint8_t first = U8();
		if (first < 0xfb)
			return first;
		switch (first) {
		case 0xfc:
			return FixedLE(2);
		case 0xfd:
			return FixedLE(3);
		case 0xfe:
			return FixedLE(8);
		default:
			ThrowCorrupt(event_offset_, what_, "invalid length-encoded integer prefix " + std::to_string(first));
		}
	}

	/*
	 * MySQL "serialization library" variable-length unsigned integer (used
	 * by tagged GTID events, MySQL 8.3+): the number of trailing one bits
	 * of the first byte says how many more bytes follow; 0xff means a raw
	 * 8-byte value follows.  See libs/mysql/serialization/
	 * variable_length_integers.h in the MySQL source.
	 */
	uint64_t VarLenSerialized()
	{
		Need(1);
		uint8_t first = data_[pos_];
		if (first == 0xff) {
			pos_++;
			return FixedLE(8);
		}
		size_t n = static_cast<size_t>(std::countr_one(first)) + 1;
		return FixedLE(n) >> n;
	}

	/* n raw bytes as a view into the underlying buffer. */
	Bytes Take(size_t n)
	{
		Need(n);
		Bytes b(data_ + pos_, n);
		pos_ += n;
		return b;
	}

	/* All remaining bytes. */
	Bytes Rest()
	{
		Bytes b(data_ + pos_, size_ - pos_);
		pos_ = size_;
		return b;
	}

	/* Bytes prefixed by a packed length. */
	Bytes PackedBytes() { return Take(CheckedSize(Packed())); }

	/* Bytes prefixed by a one-byte length. */
	Bytes ShortBytes() { return Take(U8()); }

	void Skip(size_t n)
	{
		Need(n);
		pos_ += n;
	}

	/* Peek at the next byte without consuming it. */
	uint8_t Peek() const
	{
		Need(1);
		return data_[pos_];
	}

	/* Convert a 64-bit length read from the input to size_t, checking it fits. */
	size_t CheckedSize(uint64_t n) const
	{
		if (n > Remaining())
			ThrowTruncated(event_offset_, what_, static_cast<size_t>(std::min<uint64_t>(n - Remaining(), SIZE_MAX)));
		return static_cast<size_t>(n);
	}

private:
	const uint8_t *data_ = nullptr;
	size_t size_ = 0;
	size_t pos_ = 0;
	uint64_t event_offset_ = 0;
	const char *what_ = "binlog event";
};

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
