/*
 * table_map.hpp
 *     TABLE_MAP_EVENT: the column layout that row events refer to.
 *
 * NOTES
 *   A TABLE_MAP_EVENT precedes the row events of every statement and maps
 *   a numeric table id to "schema"."table" and the list of column types
 *   with their per-type metadata.  Layout (MySQL source documentation,
 *   class Table_map_event, libs/mysql/binlog/event/rows_event.h;
 *   https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Table__map__event.html):
 *
 *     post-header:  table_id   6 bytes (4 if the FDE says the post-header is 6)
 *                   flags      2 bytes
 *     body:         schema     1-byte length, name, NUL
 *                   table      1-byte length, name, NUL
 *                   columns    packed integer n
 *                   types      n bytes of enum_field_types
 *                   metadata   packed length, then per-type metadata
 *                   nullable   bitmap of n bits (bit i = column i nullable)
 *                   optional metadata (MySQL 8.0.1+, MariaDB 10.5+):
 *                              TLVs of (1-byte type, packed length, value)
 *
 *   Per-type metadata in the metadata block:
 *     FLOAT, DOUBLE, BLOB family, GEOMETRY, JSON, VECTOR   1 byte
 *     TIME2, DATETIME2, TIMESTAMP2                         1 byte (fsp)
 *     VARCHAR, VAR_STRING                                  2 bytes LE max length
 *     BIT                                                  2 bytes (bits%8, bytes)
 *     NEWDECIMAL                                           2 bytes (precision, scale)
 *     STRING, ENUM, SET                                    2 bytes (real type, length)
 *     everything else                                      0 bytes
 *   For STRING the "real type" byte also carries bits 8-9 of the maximum
 *   length, XOR-ed into its 0x30 bits; see DecodeStringMeta().
 *
 *   Everything a row decoder needs per column is precomputed here once per
 *   TABLE_MAP_EVENT (ColumnDef), so that slicing a row is a tight loop.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/sources/mysql/binlog/reader.hpp"
#include "core/sources/mysql/binlog/types.hpp"

namespace synchdb::binlog {

/* Optional metadata field types (enum Table_map_event::Optional_metadata_field_type). */
enum class OptionalMetadataType : uint8_t {
	kSignedness = 1,
	kDefaultCharset = 2,
	kColumnCharset = 3,
	kColumnName = 4,
	kSetStrValue = 5,
	kEnumStrValue = 6,
	kGeometryType = 7,
	kSimplePrimaryKey = 8,
	kPrimaryKeyWithPrefix = 9,
	kEnumAndSetDefaultCharset = 10,
	kEnumAndSetColumnCharset = 11,
	kColumnVisibility = 12,
	kVectorDimensionality = 13,
};

/* How the bytes of one column value are delimited in a row image. */
enum class WireKind : uint8_t {
	kFixed,				/* fixed_size bytes */
	kLengthPrefixed,	/* length_bytes little-endian length, then that many bytes */
	kUndecodable,		/* size unknown (old DECIMAL, TYPED_ARRAY): rows cannot be sliced */
};

/* One column of a table map, with everything precomputed for decoding. */
struct ColumnDef {
	ColumnType type = ColumnType::kNull;	  /* type code in the table map */
	ColumnType real_type = ColumnType::kNull; /* STRING resolved to ENUM/SET/STRING */
	/*
	 * Metadata from the table map, as one number: the byte for 1-byte
	 * metadata; VARCHAR/VAR_STRING the maximum length; NEWDECIMAL
	 * precision << 8 | scale; BIT bytes << 8 | bits % 8; STRING/ENUM/SET
	 * first byte << 8 | second byte (real type, length).
	 */
	uint16_t meta = 0;

	WireKind wire = WireKind::kFixed;
	uint8_t length_bytes = 0; /* for kLengthPrefixed */
	uint32_t fixed_size = 0;  /* for kFixed */

	uint32_t max_length = 0; /* STRING/VARCHAR: declared maximum in bytes */
	uint8_t precision = 0;	 /* NEWDECIMAL */
	uint8_t scale = 0;		 /* NEWDECIMAL */
	uint8_t fsp = 0;		 /* TIME2/DATETIME2/TIMESTAMP2: fractional digits 0-6 */
	uint8_t bit_count = 0;	 /* BIT: 1..64 */

	bool nullable = true;
	bool is_unsigned = false; /* from the SIGNEDNESS optional metadata */
	bool visible = true;	  /* from COLUMN_VISIBILITY */
	uint32_t charset = 0;	  /* collation id; 0 = not known */
	uint32_t geometry_type = 0;
	uint32_t vector_dimensions = 0;

	std::string name;						/* empty when the table map has no names */
	/* ENUM or SET labels, null if unknown; shared with the Values that use them. */
	std::shared_ptr<const std::vector<std::string>> enum_set_values;
};

struct TableMap {
	uint64_t table_id = 0;
	uint16_t flags = 0;
	std::string schema;
	std::string table;
	std::vector<ColumnDef> columns;

	/* From the optional metadata; empty when not sent. */
	std::vector<uint32_t> primary_key;		  /* column indexes */
	std::vector<uint32_t> primary_key_prefix; /* parallel to primary_key; 0 = whole column */
	bool has_column_names = false;
	bool has_signedness = false;
	bool has_charsets = false;
	size_t json_column_count = 0;

	/* "schema"."table" for messages. */
	std::string QualifiedName() const;
};

/*
 * Parse a TABLE_MAP_EVENT body.
 *   body: the event body (after the common header, without checksum)
 *   post_header_len: from the FDE (8, or 6 for MySQL 5.1.0-5.1.15)
 *   event_offset: for messages
 * Throws synchdb::Error(kDataCorrupted) on truncated or inconsistent input.
 */
std::shared_ptr<const TableMap> ParseTableMap(Bytes body, uint8_t post_header_len, uint64_t event_offset);

/*
 * Fill the derived fields of a ColumnDef from type and raw metadata.
 * Exposed for tests that hand-build row images.
 */
void PrepareColumn(ColumnDef &col);

/* Build a ColumnDef for a type and metadata as in ColumnDef::meta (tests and tools). */
ColumnDef MakeColumn(ColumnType type, uint16_t meta = 0, bool is_unsigned = false, uint32_t charset = 0);

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
