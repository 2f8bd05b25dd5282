/*
 * change.hpp
 *     The event model handed from a connector's reader thread to its main
 *     thread: table definitions, snapshot data, row changes, commits.
 *
 * NOTES
 *   Values travel as PostgreSQL input text (core/pgtext.hpp), already
 *   converted on the reader thread; the main thread only runs the target
 *   types' input functions and the executor.  A row is one buffer plus one
 *   (offset, length) pair per column, length -1 for NULL.
 *
 *   Ordering: Tables first; then, if a snapshot runs, CopyData/CopyEnd per
 *   table and SnapshotDone carrying the source position the snapshot
 *   corresponds to; then, per source transaction, Change messages and a
 *   Commit carrying the position just after it.  The main thread commits
 *   PostgreSQL transactions only at Commit (or SnapshotDone) messages,
 *   together with their position.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/mapping.hpp"
#include "core/source.hpp"
#include "core/pgtypes.hpp"

namespace synchdb {

/*
 * A column's transform expression (mapping.hpp): the value arrives as
 * text of type `input` (the column's default type; hex EWKB text for a
 * geometry), the expression's result goes into the column.
 */
struct ColumnTransform {
	std::string written; /* as the rule wrote it; "" = no transform */
	std::string sql;     /* with $1 value, $2 WKB base64, $3 SRID */
	PgColumnType input{"text", PgKind::Text};
	bool spatial = false;
	std::string origin;
	bool Active() const { return !sql.empty(); }
};

/*
 * What a source keeps per table for its own use (how to decode and convert
 * its values); the engine never looks inside.
 */
struct SourceTableData {
	virtual ~SourceTableData() = default;
};

/* A replicated table: source definition (neutral), destination names and types. */
struct TableInfo {
	NeutralTable source;
	std::shared_ptr<const SourceTableData> native; /* the source's own data, null if none */
	std::string pg_schema;            /* destination schema (unquoted) */
	std::string pg_table;             /* destination table (unquoted) */
	std::vector<std::string> pg_columns; /* destination column names (unquoted) */
	std::vector<PgColumnType> pg_types;
	std::vector<std::optional<std::string>> pg_defaults; /* per column: DEFAULT expression, nullopt = none */
	std::vector<ColumnTransform> transforms;   /* per column */
	std::vector<std::string> type_origins;     /* per column: the rule that chose the type, "" = default */
	std::string name_origin;                   /* the rule that named the table, "" = default */

	bool HasTransforms() const;

	std::string QualifiedPgName() const; /* "schema"."table", quoted */
	std::string SourceName() const { return source.db + "." + source.name; }
};

using TableSet = std::vector<TableInfo>;

/*
 * The destination definition of a source table: the default mapping
 * (schema = source namespace, names in lower case), changed by the user's
 * rules when mapping is given.  Throws for a rule that cannot apply (%w
 * on a column that is not a geometry) and for two source columns mapped
 * to one destination column.  pg_defaults: the column's own default when
 * no rule changed its type, else none (a source may set better ones).
 */
TableInfo MakeTableInfo(NeutralTable table, const Mapping *mapping);

/* The tables as one set; throws when two source tables map to one destination table. */
std::shared_ptr<const TableSet> MakeTableSet(std::vector<TableInfo> tables);

/* MakeTableInfo for each, then MakeTableSet. */
std::shared_ptr<const TableSet> MakeTableSet(std::vector<NeutralTable> tables, const Mapping *mapping);

/*
 * One row image as PostgreSQL input text.  A field's length is -1 for SQL
 * NULL and kUnchangedValue (-2) for a value the source did not send: in an
 * update's new image (a PostgreSQL TOASTed value left unchanged, an
 * OpenLogReplicator column absent from the update) the destination keeps
 * its value; in an old image the column does not identify the row.
 */
inline constexpr int32_t kUnchangedValue = -2;

struct RowData {
	struct Field {
		uint32_t offset;
		int32_t length; /* -1: NULL; kUnchangedValue: not sent */
	};
	std::string buf;
	std::vector<Field> fields;

	void Clear()
	{
		buf.clear();
		fields.clear();
	}
	void AddNull() { fields.push_back({0, -1}); }
	/* Append a non-null value: returns the string to fill, then call EndValue(). */
	void AddValue(std::string_view v)
	{
		fields.push_back({static_cast<uint32_t>(buf.size()), static_cast<int32_t>(v.size())});
		buf.append(v);
	}
	void AddUnchanged() { fields.push_back({0, kUnchangedValue}); }
	/* NULL, or not sent: no value to convert. */
	bool IsNull(size_t i) const { return fields[i].length < 0; }
	bool IsUnchanged(size_t i) const { return fields[i].length == kUnchangedValue; }
	bool HasUnchanged() const
	{
		for (const Field &f : fields)
			if (f.length == kUnchangedValue)
				return true;
		return false;
	}
	std::string_view Get(size_t i) const { return std::string_view(buf).substr(fields[i].offset, fields[i].length); }
};

enum class ChangeKind : uint8_t { Insert, Update, Delete, Truncate };

/* What a Notice counts as. */
enum class NoticeKind : uint8_t {
	Log,        /* only logged */
	DdlSkipped, /* a DDL statement passed over (counted, shown as the last one skipped) */
	DdlNoop,    /* a DDL statement needing nothing (counted, not logged) */
	Warning,    /* shown in synchdb_state_view's err and logged as a WARNING until one with no text clears it */
	ValuesReplaced, /* count values were replaced under the invalid-value policy; text (if any) is logged */
};

/*
 * The messages, one type per kind.  A reader sends them through its Emitter
 * (core/emitter.hpp); the main thread has one handler per type.
 */
namespace msg {

/* The replicated tables (rules applied); history: the source's schema history to store with positions. */
struct Tables {
	std::shared_ptr<const TableSet> tables;
	std::string history;
};
/*
 * Snapshot rows of one table in COPY text format, whole rows only; with
 * binary set, in PostgreSQL's binary COPY format instead (rows only, no
 * header: core/binarycopy.hpp).
 */
struct CopyData {
	int table = -1;
	std::string text;
	bool binary = false;
};
/*
 * The source's estimate of each table's rows, by table index (-1: none),
 * for the snapshot's progress figures only (core/progress.hpp); sent after
 * Tables, before the first CopyData.  Optional.
 */
struct SnapshotEstimate {
	std::vector<int64_t> rows;
};
/* The table's snapshot is complete: rows sent in all. */
struct CopyEnd {
	int table = -1;
	uint64_t rows = 0;
};
/* The snapshot (or schema only) is complete; the stream starts at pos. */
struct SnapshotDone {
	Position pos;
};
/* One row change; before: key or old image (Update/Delete), after: new image (Insert/Update). */
struct Change {
	int table = -1;
	ChangeKind kind = ChangeKind::Insert;
	RowData before;
	RowData after;
};
/* The source transaction is complete; pos: the position just after it. */
struct Commit {
	Position pos;
};
/* A schema change: the tables after it, the PostgreSQL statements, a summary for the log; its Commit follows. */
struct SchemaChange {
	std::shared_ptr<const TableSet> tables;
	std::vector<std::string> sql;
	std::string summary;
	std::string history;
};
/* Something to log, or a DDL statement passed over or needing nothing, or a warning (kind says which). */
struct Notice {
	NoticeKind kind = NoticeKind::Log;
	std::string text;
	uint64_t count = 0; /* ValuesReplaced: how many */
};
/* The reader has nothing more to do (snapshot mode initial_only). */
struct Finished {};
/* The source connection was lost; the main thread reconnects and resumes from the committed position. */
struct SourceLost {
	std::string text;
};
/* A failure that stops the connector. */
struct Failure {
	std::string sqlstate;
	std::string text;
	std::string detail;
	std::string hint;
};

}  // namespace msg

using Msg = std::variant<msg::Tables, msg::CopyData, msg::CopyEnd, msg::SnapshotDone, msg::Change, msg::Commit,
                         msg::SchemaChange, msg::Notice, msg::Finished, msg::SourceLost, msg::Failure,
                         msg::SnapshotEstimate>;

using Batch = std::vector<Msg>;

/* std::visit over a Msg with one lambda per message type. */
template <class... F>
struct Overloaded : F... {
	using F::operator()...;
};

}  // namespace synchdb

#include "core/cpp_only.hpp"
