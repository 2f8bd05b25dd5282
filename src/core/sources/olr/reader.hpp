/*
 * reader.hpp
 *     The reader thread of an OpenLogReplicator connector: talks the OLR
 *     network protocol (protocol.hpp), decodes its JSON messages
 *     (message.hpp), builds rows from the table descriptions (schema.hpp)
 *     and hands everything to the engine's Emitter.
 *
 * NOTES
 *   Settings (OlrSettings) come from the connector definition: srcdb is
 *   the Oracle owner, the table list names OWNER.TABLE entries, and
 *   synchdb_add_olr_conninfo gives host, port, the OLR source name and
 *   options (a JSON object):
 *     schema_checkpoint  OLR's schema checkpoint file (<name>-chkpt-<scn>.json),
 *                        relative to the data directory or below it;
 *                        describes the tables when messages carry no
 *                        schema.columns
 *     timestamp          OLR's format.timestamp (0..15, default 0)
 *     timestamp_tz       OLR's format.timestamp-tz (default 0)
 *     lower_case_names   Oracle names in lower case (default true)
 *     max_frame_mb       longest accepted frame (default 256)
 *   Owner and table names are matched case-insensitively.
 *
 *   Start: no stored position -> START "now" (scn 0); the REPLICATE reply's
 *   SCN is the position of the schema-only snapshot (SnapshotDone).  A
 *   snapshot with data needs an Oracle client: refused with the fix.
 *   Stored position -> PlanResume/ResumeFilter (resume.hpp): nothing is
 *   lost or applied twice.  CONFIRM is sent only from Confirm(), i.e.
 *   once the destination commit holding the position is flushed, lagging
 *   one transaction (ConfirmTracker).
 *
 *   Schema history: the replicated tables' descriptions as JSON
 *   (Catalog::ToHistory), stored with every position; a resumed reader
 *   decodes with them, not with the checkpoint file.
 *
 *   DDL: the texts of "ddl" messages (ddl.hpp) and the tables described by
 *   schema.columns become table changes planned through the neutral step
 *   (core/schema_change.hpp): CREATE / DROP / RENAME / TRUNCATE TABLE,
 *   ALTER TABLE ADD / DROP / MODIFY / RENAME COLUMN.  A DDL of a table not
 *   replicated is counted as needing nothing (NoticeKind::DdlNoop); any
 *   other DDL is a counted Notice (NoticeKind::DdlSkipped), never dropped
 *   silently.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/source.hpp"
#include "core/sources/olr/message.hpp"
#include "core/sources/olr/protocol.hpp"
#include "core/sources/olr/resume.hpp"
#include "core/sources/olr/schema.hpp"
#include "core/sources/olr/types.hpp"

namespace synchdb {
class Emitter;
}

namespace synchdb::olr {

struct OlrSettings {
	std::string connector;   /* name, for messages */
	std::string host;
	uint16_t port = 0;
	std::string source;      /* OLR source name (database_name of requests) */
	std::string owner;       /* srcdb */
	std::vector<std::string> tables; /* upper-case table names of the table list; empty = all */
	std::string schema_checkpoint;   /* absolute path, "" = none */
	ValueFormat format;
	SchemaOptions names;
	int connect_timeout_ms = 10000;
	uint64_t max_frame_bytes = 256ull << 20;

	bool OwnerMatches(std::string_view owner) const;
	bool Replicated(std::string_view owner, std::string_view table) const;
	std::string Endpoint() const { return host + ":" + std::to_string(port); }
};

/* Throws kInvalidParameterValue / kObjectNotInPrerequisiteState naming the fix. */
OlrSettings SettingsFromConfig(const SourceConfig &config);

class OlrReader final : public Reader {
public:
	OlrReader(OlrSettings settings, StartPoint start);
	void Run(Emitter &out) noexcept override;
	void Stop() override;
	void Confirm(const Position &pos) override;

private:
	void RunInner(Emitter &out);
	void LoadTables();
	std::shared_ptr<const TableSet> MakeTables() const;
	std::string History() const;
	int IndexOf(std::string_view owner, std::string_view table) const;
	void Handle(const Message &m, Emitter &out);
	void Dml(const Message &m, const Payload &p, Emitter &out);
	/* The table of a change: its index (-1: not replicated) and description; learns schema.columns. */
	int Lookup(const Message &m, const Payload &p, Emitter &out, const OlrTable *&t);
	void Remember(const Payload &p, int idx, const OlrTable *t);
	void ApplyDml(const Message &m, const Payload &p, int idx, const OlrTable &t, Emitter &out);
	void Ddl(const Message &m, const Payload &p, Emitter &out);
	void Learn(const Payload &p, Emitter &out);
	/* SchemaChange from prev (prev_idx, -1 = new) to the tables now (idx, -1 = dropped); from: AlterTableSql's. */
	void EmitTableChange(std::shared_ptr<const TableSet> prev, int prev_idx, int idx, const std::vector<int> &from,
	                     const std::string &summary, Emitter &out);
	void CommitAt(const Message &m, Emitter &out);
	void ProcessConfirms();
	std::string Where(const Message &m) const;

	OlrSettings s_;
	StartPoint start_;
	std::atomic<bool> stop_{false};
	Client client_;

	Catalog catalog_;
	std::vector<std::string> keys_;                 /* OLR "OWNER.TABLE" of the replicated tables, in TableSet order */
	std::unordered_map<std::string, int> index_;    /* upper-case key -> index */
	std::shared_ptr<const TableSet> current_;
	struct {
		bool valid = false;
		std::string owner, table; /* as OLR wrote them */
		int idx = -1;
		const OlrTable *t = nullptr;
	} lookup_; /* the last change's table; invalid after any table change */

	bool in_txn_ = false;
	uint64_t begin_scn_ = 0, begin_idx_ = 0, begin_tm_ = 0;
	ConfirmTracker tracker_;
	RowData before_, after_;

	std::mutex mu_;
	std::vector<std::string> confirms_;
	std::atomic<bool> confirm_pending_{false};
};

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
