/*
 * value.hpp
 *     One decoded column value of a row image, in a neutral form.
 *
 * NOTES
 *   DecodeValue() turns the bytes of one column of a row image (as sliced
 *   by rows.hpp) into a Value.  The PostgreSQL layer converts Values into
 *   Datums later; nothing here knows about PostgreSQL types.
 *
 *   Values are cheap: strings, binary data and geometry are views into the
 *   event buffer (valid as long as the event's bytes are), so decoding a
 *   sysbench-shaped row allocates nothing.  Only DECIMAL text, JSON text
 *   and MakeOwned() allocate.  Value::Bytes() returns the payload whichever
 *   way it is held.
 *
 *   Encodings of the binary formats are documented in value.cpp next to
 *   the code reading them.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/sources/mysql/binlog/reader.hpp"
#include "core/sources/mysql/binlog/table_map.hpp"

namespace synchdb::binlog {

enum class ValueKind : uint8_t {
	kNull,
	kInt,		/* int_value: TINYINT..BIGINT signed */
	kUInt,		/* uint_value: unsigned, full uint64 range */
	kFloat,		/* double_value holds the float exactly */
	kDouble,	/* double_value */
	kDecimal,	/* Bytes(): exact text such as "-1234.5600" (scale kept) */
	kBit,		/* uint_value, bit_count */
	kDate,		/* year, month, day; zero date = all zero */
	kTime,		/* negative, hours (up to 838), minute, second, micros */
	kDateTime,	/* year..second, micros; no time zone */
	kTimestamp, /* int_value seconds since the epoch (UTC), micros */
	kYear,		/* int_value: 0 or 1901..2155 */
	kString,	/* Bytes(), charset (collation id, 0 = unknown) */
	kBinary,	/* Bytes() */
	kEnum,		/* uint_value index (1-based, 0 = ''), label() if known */
	kSet,		/* uint_value bitmask, SetLabels() if known */
	kJson,		/* Bytes(): JSON text */
	kJsonDiff,	/* Bytes(): raw MySQL partial JSON update (PARTIAL_UPDATE_ROWS_EVENT) */
	kGeometry,	/* srid, Bytes(): WKB without the SRID */
};

/* Lower-case name of a kind, e.g. "decimal", for messages and tests. */
const char *ValueKindName(ValueKind kind);

struct Value {
	ValueKind kind = ValueKind::kNull;
	bool negative = false; /* kTime */
	uint8_t bit_count = 0; /* kBit */
	uint8_t fsp = 0;	   /* temporal kinds: declared fractional digits */
	uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
	uint16_t year = 0;
	uint32_t hours = 0;	 /* kTime: hours can exceed 23 */
	uint32_t micros = 0; /* temporal kinds */
	uint32_t charset = 0;
	uint32_t srid = 0;
	int64_t int_value = 0;
	uint64_t uint_value = 0;
	double double_value = 0;

	/*
	 * kEnum/kSet: labels from the table map (null if the map has none).
	 * Shared, so a Value stays usable after its event is gone; only ENUM
	 * and SET values pay for the reference count.
	 */
	std::shared_ptr<const std::vector<std::string>> labels;

	bool IsNull() const { return kind == ValueKind::kNull; }

	/* The payload of text-like kinds, whether viewed or owned. */
	std::string_view Bytes() const { return owns_ ? std::string_view(owned_) : view_; }

	/* Point at bytes owned by someone else (the event buffer). */
	void SetView(std::string_view v)
	{
		view_ = v;
		owns_ = false;
	}

	/* Take ownership of a string. */
	void SetOwned(std::string s)
	{
		owned_ = std::move(s);
		owns_ = true;
	}

	/* Copy viewed bytes so the Value outlives the event buffer. */
	void MakeOwned()
	{
		if (!owns_)
			SetOwned(std::string(view_));
	}

	/* kEnum: the label, empty if unknown or index 0. */
	std::string_view Label() const;

	/* kSet: the labels of the bits set (empty if the table map has no labels). */
	std::vector<std::string_view> SetLabels() const;

	/* A readable rendering for tests and messages (not a PostgreSQL format). */
	std::string ToString() const;

private:
	std::string_view view_;
	std::string owned_;
	bool owns_ = false;
};

/* Context for error messages of DecodeValue. */
struct ValueContext {
	uint64_t event_offset = 0;
	size_t column_index = 0;
	const TableMap *table = nullptr; /* may be null */
};

/*
 * Decode one column value.
 *   col: the column definition from the table map
 *   data: exactly the column's bytes in the row image, without the length
 *         prefix of variable-length types (see SliceColumn in rows.hpp)
 *   ctx: for messages only
 * Throws synchdb::Error: kFeatureNotSupported for types synchdb cannot
 * decode (VECTOR, TYPED_ARRAY, pre-5.0.3 DECIMAL), kDataCorrupted for
 * malformed data (e.g. broken binary JSON).
 */
void DecodeValue(const ColumnDef &col, Bytes data, const ValueContext &ctx, Value &out);

/*
 * Render a MySQL binary DECIMAL(precision, scale) as text.  Returns false
 * if the bytes are malformed (wrong size or a digit group out of range).
 */
bool DecimalToString(Bytes data, int precision, int scale, std::string &out);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
