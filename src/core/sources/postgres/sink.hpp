/*
 * sink.hpp
 *     What the PostgreSQL reader produces, in neutral terms.
 *
 * NOTES
 *   The reader writes to a Sink; source.cpp adapts the engine's Emitter
 *   (core/emitter.hpp) to it, and the tests use a Sink that feeds a real
 *   BoundedQueue.  The calls and their order are the Emitter's:
 *
 *     Tables; if a snapshot runs, per table CopyRows... CopyEnd, then
 *     SnapshotDone(position); then per source transaction Change... and
 *     SchemaChange... then Commit(position).
 *
 *   SchemaChange may come inside a source transaction (between Changes):
 *   pgoutput sends a Relation message right before the first change of a
 *   table whose definition the reader has not seen yet, in the transaction
 *   that makes that change.  It carries every table as it is after the
 *   change (same indexes as before, a new table appended at the end) and a
 *   neutral description of what changed; the Changes that follow use the
 *   new definition.
 *
 *   RowData (change.hpp) conventions of this source:
 *     - length -1: SQL NULL;
 *     - length -2 (kUnchanged): the value was not sent.  In `after` of an
 *       Update: an unchanged TOASTed value; the destination keeps its
 *       value (the column must not be set).  In `before` (Update, Delete):
 *       a column that does not identify the row (not in the replica
 *       identity) or a TOASTed value not sent; the destination matches the
 *       row on every before column whose length is not -2 (NULL matches
 *       IS NULL).
 *     - before with no fields: no old image (Insert, Truncate).
 *   Every other field is the value in PostgreSQL output text, which is
 *   the destination's input text.  Fields follow the table's columns.
 *
 *   Calls may throw Stopped (connection.hpp) when the engine no longer
 *   listens; the reader returns on it.
 */
#pragma once

#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/error.hpp"
#include "core/source.hpp"

namespace synchdb::pgsrc {

inline constexpr int32_t kUnchanged = kUnchangedValue;

struct ColumnChange {
	enum class Kind { Added, Dropped, Retyped };
	Kind kind;
	std::string column;
	std::string old_type; /* type_text before (Dropped, Retyped) */
	std::string new_type; /* type_text after (Added, Retyped) */
};

struct TableChange {
	int table = -1;             /* index into the tables after the change */
	bool added = false;         /* a table not replicated before (all-tables connectors) */
	std::string renamed_from;   /* "schema.table" before a rename, "" = not renamed */
	std::vector<ColumnChange> columns;
	/* "table "public.t": added column "c" (integer); dropped column "d"" */
	std::string Summary(const NeutralTable &after) const;
};

class Sink {
public:
	virtual ~Sink() = default;
	/* history: the schema history blob to store with positions ("" for this source). */
	virtual void Tables(const std::vector<NeutralTable> &tables, const std::string &history) = 0;
	virtual void CopyRows(int table, std::string text) = 0;
	virtual void CopyEnd(int table, uint64_t rows) = 0;
	/* Optional, before the first CopyRows: each table's estimated rows (-1: none), for progress figures. */
	virtual void SnapshotEstimate(std::vector<int64_t> rows) {}
	virtual void SnapshotDone(Position pos) = 0;
	virtual void Change(int table, ChangeKind kind, RowData before, RowData after) = 0;
	virtual void SchemaChange(const std::vector<NeutralTable> &tables, const TableChange &change,
	                          const std::string &history) = 0;
	virtual void Commit(Position pos) = 0;
	virtual void Notice(std::string text) = 0;
	/* A condition the DBA should see in synchdb_state_view (err) until it clears: "" clears it. */
	virtual void Warning(std::string text) { Notice(std::move(text)); }
	virtual void Finished() = 0;
	virtual void Fail(const Error &e) = 0;
	/* Hand what is batched to the engine (called before the reader blocks on its source). */
	virtual void Flush() = 0;
};

}  // namespace synchdb::pgsrc

#include "core/cpp_only.hpp"
