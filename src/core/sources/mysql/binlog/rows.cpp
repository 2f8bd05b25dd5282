/*
 * rows.cpp
 *     Parsing of row events and slicing of their row images.
 *
 * NOTES
 *   See rows.hpp for the layout.  Slicing needs, per column, only the wire
 *   size precomputed in ColumnDef (fixed size, or the width of the length
 *   prefix), so it is a single pass without allocations once the
 *   RowImage's vector has grown to the table's width.
 */
#include "core/sources/mysql/binlog/rows.hpp"

#include <bit>

#include "core/sources/mysql/binlog/compress.hpp"

namespace synchdb::binlog {

bool IsRowsEventType(uint8_t type)
{
	return (type >= 20 && type <= 25) || (type >= 30 && type <= 32) || type == 39 || (type >= 166 && type <= 171);
}

RowsEvent ParseRowsEvent(uint8_t type, Bytes body, uint8_t post_header_len, uint64_t event_offset)
{
	const char *what = EventTypeName(type);
	RowsEvent ev;
	ev.event_offset = event_offset;
	ev.type_code = type;

	switch (type) {
	case 20: case 23: case 30: case 166: case 169:
		ev.kind = RowsKind::kWrite;
		break;
	case 21: case 24: case 31: case 167: case 170:
		ev.kind = RowsKind::kUpdate;
		break;
	case 22: case 25: case 32: case 168: case 171:
		ev.kind = RowsKind::kDelete;
		break;
	case 39:
		ev.kind = RowsKind::kPartialUpdate;
		break;
	default:
		ThrowCorrupt(event_offset, what, "is not a rows event");
	}
	if (type <= 22)
		ev.version = 0;
	else if (type <= 25 || (type >= 166 && type <= 168))
		ev.version = 1;
	else
		ev.version = 2;
	ev.compressed = type >= 166;

	ByteReader r(body, event_offset, what);
	size_t consumed;
	if (post_header_len == 6) {
		ev.table_id = r.U32();
		consumed = 4;
	} else {
		ev.table_id = r.U48();
		consumed = 6;
	}
	ev.flags = r.U16();
	consumed += 2;
	size_t extra_len = 0;
	bool have_extra = false;
	if (ev.version == 2 && post_header_len >= consumed + 2) {
		extra_len = r.U16();
		consumed += 2;
		have_extra = true;
		if (extra_len < 2)
			ThrowCorrupt(event_offset, what, "has an extra-data length of " + std::to_string(extra_len));
	}
	if (post_header_len > consumed)
		r.Skip(post_header_len - consumed);
	if (have_extra)
		ev.extra_data = r.Take(extra_len - 2);

	ev.column_count = r.Packed();
	size_t bitmap_len = static_cast<size_t>(ev.column_count / 8 + (ev.column_count % 8 != 0));
	r.Need(bitmap_len);
	if (ev.kind == RowsKind::kWrite) {
		ev.columns_after = r.Take(bitmap_len);
	} else if (ev.kind == RowsKind::kDelete) {
		ev.columns_before = r.Take(bitmap_len);
	} else {
		ev.columns_before = r.Take(bitmap_len);
		ev.columns_after = r.Take(bitmap_len);
	}

	Bytes rows = r.Rest();
	if (ev.compressed) {
		auto out = std::make_shared<std::vector<uint8_t>>();
		std::string why;
		if (!MariaUncompress(rows, *out, &why))
			ThrowCorrupt(event_offset, what, "has bad compressed rows: " + why);
		ev.rows = Bytes(out->data(), out->size());
		ev.owned = std::move(out);
	} else {
		ev.rows = rows;
	}
	return ev;
}

void RowImage::Get(size_t i, Value &out) const
{
	if (i >= slices_.size()) {
		out = Value();
		return;
	}
	const Slice &s = slices_[i];
	switch (s.state) {
	case State::kAbsent:
	case State::kNull:
		out = Value();
		return;
	case State::kPartialJson:
		out = Value();
		out.kind = ValueKind::kJsonDiff;
		out.SetView(AsText(Bytes(s.data, s.size)));
		return;
	case State::kPresent:
		break;
	}
	ValueContext ctx{event_offset_, i, table_};
	DecodeValue(table_->columns[i], Bytes(s.data, s.size), ctx, out);
}

RowIterator::RowIterator(const RowsEvent &ev)
	: ev_(ev), r_(ev.rows, ev.event_offset, EventTypeName(ev.type_code))
{
	if (!ev.table)
		ThrowCorrupt(ev.event_offset, EventTypeName(ev.type_code),
					 "refers to table id " + std::to_string(ev.table_id) + ", which no TABLE_MAP_EVENT defined");
	if (ev.column_count > ev.table->columns.size())
		ThrowCorrupt(ev.event_offset, EventTypeName(ev.type_code),
					 "has " + std::to_string(ev.column_count) + " columns but the table map of " +
						 ev.table->QualifiedName() + " has " + std::to_string(ev.table->columns.size()));
	ncols_ = static_cast<size_t>(ev.column_count);
}

bool RowIterator::Next(RowChange &change)
{
	if (r_.AtEnd())
		return false;
	size_t start = r_.Position();
	if (ev_.HasBefore())
		SliceImage(ev_.columns_before, false, change.before);
	if (ev_.HasAfter())
		SliceImage(ev_.columns_after, ev_.kind == RowsKind::kPartialUpdate, change.after);
	/*
	 * A row that takes no bytes (no columns in the image) could repeat
	 * forever; servers never write one.
	 */
	if (r_.Position() == start)
		ThrowCorrupt(ev_.event_offset, EventTypeName(ev_.type_code), "has a row image without columns");
	return true;
}

[[noreturn]] static void UndecodableColumn(const TableMap &tm, size_t i)
{
	const ColumnDef &c = tm.columns[i];
	throw Error(sqlstate::kFeatureNotSupported,
				"column " + std::to_string(i + 1) + " of table " + tm.QualifiedName() + " has type " +
					ColumnTypeName(static_cast<uint8_t>(c.real_type)) + ", which synchdb does not support",
				"The size of its values in a row image cannot be determined, so rows of this table cannot be decoded.",
				"Exclude the table from replication or change the column type on the source.");
}

void RowIterator::SliceImage(Bytes present, bool partial_header, RowImage &img)
{
	const TableMap &tm = *ev_.table;
	img.table_ = &tm;
	img.event_offset_ = ev_.event_offset;
	img.slices_.resize(ncols_);

	/* PARTIAL_UPDATE_ROWS_EVENT after image: value options and partial-JSON bits. */
	Bytes partial_bits;
	if (partial_header) {
		uint64_t options = r_.Packed();
		if (options & 1)
			partial_bits = r_.Take((tm.json_column_count + 7) / 8);
	}

	size_t npresent = 0;
	for (size_t i = 0; i < present.size(); i++)
		npresent += std::popcount(present[i]);
	/* Bits past the column count do not count. */
	if (ncols_ % 8 != 0 && !present.empty())
		npresent -= std::popcount(static_cast<uint8_t>(present.back() >> (ncols_ % 8)));
	Bytes nulls = r_.Take((npresent + 7) / 8);

	size_t k = 0;
	size_t json_index = 0;
	for (size_t i = 0; i < ncols_; i++) {
		RowImage::Slice &s = img.slices_[i];
		const ColumnDef &c = tm.columns[i];
		bool partial = false;
		if (c.type == ColumnType::kJson) {
			if (!partial_bits.empty())
				partial = (partial_bits[json_index / 8] >> (json_index % 8)) & 1;
			json_index++;
		}
		if (!((present[i / 8] >> (i % 8)) & 1)) {
			s = {nullptr, 0, RowImage::State::kAbsent};
			continue;
		}
		bool is_null = (nulls[k / 8] >> (k % 8)) & 1;
		k++;
		if (is_null) {
			s = {nullptr, 0, RowImage::State::kNull};
			continue;
		}
		switch (c.wire) {
		case WireKind::kFixed: {
			Bytes b = r_.Take(c.fixed_size);
			s = {b.data(), static_cast<uint32_t>(b.size()), RowImage::State::kPresent};
			break;
		}
		case WireKind::kLengthPrefixed: {
			size_t len = static_cast<size_t>(r_.FixedLE(c.length_bytes));
			Bytes b = r_.Take(len);
			s = {b.data(), static_cast<uint32_t>(b.size()),
				 partial ? RowImage::State::kPartialJson : RowImage::State::kPresent};
			break;
		}
		case WireKind::kUndecodable:
			UndecodableColumn(tm, i);
		}
	}
}

}  // namespace synchdb::binlog
