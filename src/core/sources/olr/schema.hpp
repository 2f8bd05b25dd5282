/*
 * schema.hpp
 *     Table descriptions of the OpenLogReplicator source, and the row
 *     images built from OLR's column maps.
 *
 * NOTES
 *   OLR's JSON messages name columns but carry no types unless the
 *   "schema" format option (bit 0x1 or 0x2) adds schema.columns.  Types
 *   come from one of:
 *     - a schema checkpoint file (<name>-chkpt-<scn>.json, the dictionary
 *       snapshot OLR writes: sys-user, sys-obj, sys-col, sys-cdef, sys-ccol);
 *     - schema.columns in a message (UpdateFromPayload).
 *   The checkpoint has the primary key (sys-cdef type 2); schema.columns
 *   has none, so a table learnt from a message keeps the key it had.
 *
 *   Names: Oracle's upper-case names become lower case in the NeutralTable
 *   by default (SchemaOptions::lower_case_names); the OLR names (as in the
 *   messages) are kept in OlrTable for the lookups.
 *
 *   Row images (RowData, change.hpp) follow the column order of the table.
 *   A column OLR did not send is:
 *     insert, delete  NULL (OLR leaves NULL columns out; format "column" 0)
 *     update          kFieldAbsent: the column did not change, the engine
 *                     keeps the old value (before: not logged)
 *   A column name the table does not have is reported in unknown_columns.
 */
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/change.hpp"
#include "core/source.hpp"
#include "core/sources/olr/message.hpp"
#include "core/sources/olr/types.hpp"

namespace synchdb::olr {

/* RowData::Field::length of a column absent from an update image ("unchanged"). */
inline constexpr int32_t kFieldAbsent = kUnchangedValue;

struct SchemaOptions {
	bool lower_case_names = true; /* Oracle names to lower case in NeutralTable; false = as is */
};

struct OlrColumn {
	std::string name;  /* as OLR writes it */
	OraColumnType type;
	bool nullable = true;
	int int_col = 0;   /* dictionary int-col (primary key references) */
};

struct OlrTable {
	std::string owner, name; /* as OLR writes them */
	uint64_t obj = 0;
	std::vector<OlrColumn> columns;
	std::vector<size_t> primary_key;
	std::unordered_map<std::string, size_t> index; /* column name -> position */

	void Reindex();
	/* Position of a column, trying hint first (OLR writes columns in table order); -1 if unknown. */
	int Find(std::string_view col, size_t hint) const;
	NeutralTable ToNeutral(const SchemaOptions &opt) const;
};

class Catalog {
public:
	/*
	 * Load the tables of a schema checkpoint file's text; owners, when not
	 * empty, restricts to those schemas (the file's "users" otherwise).
	 * Throws kDataCorrupted for a file that is not a checkpoint.
	 */
	void LoadCheckpoint(std::string_view json_text, const std::vector<std::string> &owners = {});
	/* Learn or refresh a table from schema.columns; returns it, nullptr when the payload has none. */
	const OlrTable *UpdateFromPayload(const Payload &p);

	const OlrTable *Find(std::string_view owner, std::string_view table) const;
	std::vector<const OlrTable *> Tables() const;
	size_t size() const { return tables_.size(); }
	/* Add or replace a table (reindexed); returns it. */
	const OlrTable *Put(OlrTable t);
	/* Forget a table (DROP TABLE). */
	void Remove(std::string_view owner, std::string_view table);

	/*
	 * The schema history stored with positions: the given tables as JSON
	 * ({"v":1,"tables":[...]}), and back.  FromHistory throws kDataCorrupted.
	 */
	static std::string ToHistory(const std::vector<const OlrTable *> &tables);
	void LoadHistory(std::string_view text);

private:
	std::map<std::string, std::unique_ptr<OlrTable>, std::less<>> tables_; /* "OWNER.TABLE" */
};

struct RowBuildResult {
	std::vector<std::string> unknown_columns;
	std::string error; /* a value that does not fit its column: "column \"X\": why" */
	bool ok() const { return error.empty() && unknown_columns.empty(); }
};

/*
 * Fill row (cleared first) from an image in table order.  absent_is_null:
 * true for insert/delete images, false for update images (absent columns
 * get kFieldAbsent).
 */
void BuildRow(const OlrTable &t, std::span<const ColumnRef> image, bool absent_is_null, const ValueFormat &fmt,
              RowData &row, RowBuildResult &res);

/* Whether field i of a row is the "absent" marker. */
inline bool IsAbsent(const RowData &row, size_t i)
{
	return row.fields[i].length == kFieldAbsent;
}

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
