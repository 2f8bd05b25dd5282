/*
 * rows.hpp
 *     Row events (WRITE/UPDATE/DELETE_ROWS, v1 and v2, MariaDB compressed,
 *     MySQL PARTIAL_UPDATE_ROWS) and iteration over their row images.
 *
 * NOTES
 *   Layout (class Rows_event in the MySQL source documentation,
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Rows__event.html):
 *
 *     post-header:  table_id 6 bytes (4 if the post-header is 6 bytes), flags 2
 *                   v2 only: extra_data_len 2 (counts itself), extra data
 *     body:         column count (packed)
 *                   columns-present bitmap ("before image" of UPDATE)
 *                   UPDATE only: columns-present bitmap of the after image
 *                   rows until the end of the body
 *     row image:    [PARTIAL_UPDATE after image: value_options (packed),
 *                    if bit 0: one bit per JSON column of the table]
 *                   null bitmap, one bit per *present* column
 *                   values of the present, non-null columns
 *
 *   All bitmaps here are least-significant-bit first.  With
 *   binlog_row_image=MINIMAL the bitmaps leave columns out; such columns
 *   are "absent" in a RowImage, which is different from NULL.
 *
 *   MariaDB's *_ROWS_COMPRESSED events compress everything after the
 *   bitmaps with zlib (see compress.hpp).
 *
 *   Row decoding is two-step and allocation-free for the common types:
 *   RowIterator::Next slices one row image into per-column (pointer, size)
 *   pairs, reusing the RowImage's vector; RowImage::Get decodes a column on
 *   demand.  An unsupported column type (VECTOR) only fails when that
 *   column's value is asked for.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/sources/mysql/binlog/reader.hpp"
#include "core/sources/mysql/binlog/table_map.hpp"
#include "core/sources/mysql/binlog/types.hpp"
#include "core/sources/mysql/binlog/value.hpp"

namespace synchdb::binlog {

enum class RowsKind : uint8_t { kWrite, kUpdate, kDelete, kPartialUpdate };

/* Rows event flags (Rows_event::enum_flag). */
inline constexpr uint16_t kRowsStmtEndFlag = 0x0001;

struct RowsEvent {
	uint8_t type_code = 0; /* the event type, for messages */
	RowsKind kind = RowsKind::kWrite;
	uint8_t version = 1; /* 0 (pre-GA 5.1), 1 or 2 */
	bool compressed = false;
	uint64_t table_id = 0;
	uint16_t flags = 0;
	uint64_t column_count = 0;
	Bytes extra_data;	   /* v2 extra row info, uninterpreted */
	Bytes columns_before;  /* present-bitmap of the before image (UPDATE, DELETE) */
	Bytes columns_after;   /* present-bitmap of the after image (WRITE, UPDATE) */
	Bytes rows;			   /* the row images */
	uint64_t event_offset = 0;

	/* The table map this event refers to; null if none was seen. */
	std::shared_ptr<const TableMap> table;
	/* Storage for decompressed rows, if compressed. */
	std::shared_ptr<const std::vector<uint8_t>> owned;

	bool IsStatementEnd() const { return flags & kRowsStmtEndFlag; }
	bool HasBefore() const { return kind != RowsKind::kWrite; }
	bool HasAfter() const { return kind != RowsKind::kDelete; }
};

/*
 * Parse a rows event body.  type is the event type code, post_header_len
 * from the FDE; table is looked up by the caller (may be null).
 */
RowsEvent ParseRowsEvent(uint8_t type, Bytes body, uint8_t post_header_len, uint64_t event_offset);

/* Whether an event type code is a rows event of any flavour. */
bool IsRowsEventType(uint8_t type);

/* One sliced row image; columns index the table map's columns. */
class RowImage {
public:
	enum class State : uint8_t { kAbsent, kNull, kPresent, kPartialJson };

	size_t ColumnCount() const { return slices_.size(); }

	/* State of column i; kAbsent for an index past the image's columns. */
	State StateOf(size_t i) const { return i < slices_.size() ? slices_[i].state : State::kAbsent; }
	bool IsPresent(size_t i) const { return StateOf(i) != State::kAbsent; }
	bool IsNull(size_t i) const { return StateOf(i) == State::kNull; }

	/* The column's value bytes (without length prefix); empty if absent/NULL. */
	Bytes Raw(size_t i) const { return i < slices_.size() ? Bytes(slices_[i].data, slices_[i].size) : Bytes(); }

	/*
	 * Decode column i into out (kNull for NULL and absent columns, and for
	 * an index past the image's columns; use IsPresent to tell them apart).  Throws kFeatureNotSupported for
	 * VECTOR and other undecodable types, kDataCorrupted for bad data.
	 */
	void Get(size_t i, Value &out) const;
	Value Get(size_t i) const
	{
		Value v;
		Get(i, v);
		return v;
	}

	const TableMap *Table() const { return table_; }

private:
	friend class RowIterator;
	struct Slice {
		const uint8_t *data;
		uint32_t size;
		State state;
	};
	std::vector<Slice> slices_;
	const TableMap *table_ = nullptr;
	uint64_t event_offset_ = 0;
};

/* The before and after images of one row change. */
struct RowChange {
	RowImage before; /* valid for UPDATE and DELETE */
	RowImage after;	 /* valid for WRITE and UPDATE */
};

/*
 * Iterates the rows of a RowsEvent.  The event (and the buffer it views)
 * must outlive the iterator and the images it fills.
 *
 *   RowIterator it(rows_event);
 *   RowChange change;
 *   while (it.Next(change))
 *       ... change.after.Get(0) ...
 *
 * Throws kDataCorrupted if the event's table map is unknown or a row is
 * malformed, kFeatureNotSupported if a column's size cannot be determined
 * (pre-5.0.3 DECIMAL, TYPED_ARRAY).
 */
class RowIterator {
public:
	explicit RowIterator(const RowsEvent &ev);
	bool Next(RowChange &change);

private:
	void SliceImage(Bytes present, bool partial_header, RowImage &img);

	const RowsEvent &ev_;
	ByteReader r_;
	size_t ncols_;
};

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
