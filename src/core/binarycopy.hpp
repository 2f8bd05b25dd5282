/*
 * binarycopy.hpp
 *     Snapshot rows in PostgreSQL's binary COPY format, built on a reader
 *     thread from the same canonical input text the text format carries.
 *
 * NOTES
 *   Text COPY runs every value through its type's input function on the
 *   main thread (timestamp_in, float8in, numeric_in, ... per value); binary
 *   COPY calls the receive functions, which only check and copy.  The
 *   reader already has each value as the input text of the destination
 *   type (pgtext); Encode() turns the strict, canonical spellings of that
 *   text into the type's binary wire form, and refuses anything else, so
 *   that a value is stored exactly as the input function would have stored
 *   it (the receive functions apply the column's typmod the same way:
 *   rounding of fractional seconds and numeric scale, char(n) padding,
 *   varchar(n) and bit(n) length checks, with the same errors).  A row with
 *   a value Encode() refuses goes in text format instead, so its errors
 *   and roundings stay the input function's.
 *
 *   The binary form depends on the destination column's exact type, which
 *   only the main thread knows (an existing table may differ from the
 *   mapping).  So the main thread publishes, once it has created or found
 *   the snapshot's tables, every column's Kind (Formats::Publish); the
 *   reader waits for that before its first table (Formats::Await), and a
 *   table with any column of Kind::None goes in text format.
 */
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace synchdb::binarycopy {

/* A destination column's type, as far as its binary form goes. */
enum class Kind : uint8_t {
	None, /* no binary form here: the table goes in text format */
	Int2,
	Int4,
	Int8,
	Float4,
	Float8,
	Bool,
	Numeric,
	Date,
	Time,        /* time without time zone */
	Timestamp,   /* timestamp without time zone */
	Timestamptz, /* text with the suffix "+00" only */
	Text,        /* text, varchar(n), char(n), json: the bytes (the receive function applies the typmod) */
	Bytea,       /* from bytea hex input text "\x..." */
	Jsonb,       /* version byte 1, then the JSON text */
	Bit,         /* bit(n), varbit(n): from a string of 0 and 1 */
};

/* The 19 bytes every binary COPY stream starts with (signature, flags, no header extension). */
void AppendHeader(std::string &out);
/* A row of n fields starts with its field count. */
void AppendRowStart(std::string &out, int n);
void AppendNull(std::string &out);
/*
 * Append the field for input text s of a column of kind k (length word
 * and bytes); false, with out unchanged, when s is not a canonical
 * spelling Encode knows (the row must then go in text format).
 */
bool AppendField(std::string &out, Kind k, std::string_view s);

/*
 * The rows of a chunk of binary COPY rows (as AppendRowStart/AppendField
 * build them, without the header): each row's field count, then per field
 * a length word and its bytes (-1: NULL).  Stops at a truncated row.
 */
uint64_t CountRows(std::string_view chunk);

/* Decimal text "-123.45" as the numeric binary form (without the length word); false if not plain decimal. */
bool AppendNumeric(std::string &out, std::string_view s);

/*
 * Per table of a snapshot, the kinds of its columns (in source column
 * order), published by the main thread and read by the reader thread.
 */
class Formats {
public:
	/* tables: identity of the table set (the one the reader sent); per_table[i] empty = text for table i. */
	void Publish(const void *tables, std::vector<std::vector<Kind>> per_table);
	/*
	 * The kinds of table i of the set tables, waiting until they are
	 * published; empty (text) when stop() says so, after timeout, or when
	 * the set published is another one.
	 */
	std::vector<Kind> Await(const void *tables, size_t table, const std::function<bool()> &stop,
	                        std::chrono::milliseconds timeout);

private:
	std::mutex mu_;
	std::condition_variable cv_;
	const void *tables_ = nullptr;
	std::vector<std::vector<Kind>> per_table_;
};

}  // namespace synchdb::binarycopy

#include "core/cpp_only.hpp"
