/*
 * copytext.hpp
 *     Text forms the engine and every source share: PostgreSQL COPY text
 *     fields and rows, bytea hex, PostGIS hex EWKB, base64.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace synchdb {

/*
 * Append value to out as one field in PostgreSQL COPY text format:
 * backslash, tab, newline, carriage return and the other control
 * characters COPY treats specially are escaped, so a value "\N" stays the
 * two characters.  AppendCopyNull appends \N.  Field and row separators
 * are the caller's.
 */
void AppendCopyField(std::string &out, std::string_view value);
void AppendCopyNull(std::string &out);

/*
 * Read back one row of COPY text written by AppendCopyField/AppendCopyNull
 * (tab-separated, newline-terminated) from text at pos, into fields
 * (each value unescaped, nullopt-like NULL flagged by the callback's
 * length -1).  Returns false at the end of text.  Used where snapshot rows
 * cannot go through COPY (tables with transform expressions).
 */
struct CopyRowSink {
	virtual ~CopyRowSink() = default;
	virtual void Null() = 0;
	virtual void Value(std::string_view v) = 0;
};
bool ParseCopyTextRow(std::string_view text, size_t &pos, CopyRowSink &sink, std::string &scratch);

/* Bytes as bytea hex input: "\x0aff". */
void AppendByteaHex(std::string &out, std::string_view bytes);

/*
 * A geometry as PostGIS's hex EWKB ("0101000020E6100000..."): the WKB
 * with the SRID flag and the SRID inserted when srid is not 0.  It is what
 * PostGIS's geometry input function reads, so a geometry column mapped to
 * text casts with ::geometry, and one mapped to geometry needs no
 * expression.
 */
void AppendEwkbHex(std::string &out, std::string_view wkb, uint32_t srid);

/* Split hex EWKB back into WKB (no SRID) and SRID; false if text is not hex EWKB. */
bool SplitEwkbHex(std::string_view text, std::string &wkb, uint32_t &srid);

/* Standard base64 (RFC 4648, with padding). */
void AppendBase64(std::string &out, std::string_view bytes);

}  // namespace synchdb

#include "core/cpp_only.hpp"
