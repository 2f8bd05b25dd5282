/*
 * reader.cpp
 *     The OpenLogReplicator reader thread; see reader.hpp.
 */
#include "core/sources/olr/reader.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <new>
#include <sstream>

#include "core/emitter.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/schema_change.hpp"
#include "core/sources/olr/ddl.hpp"
#include "core/strings.hpp"

namespace synchdb::olr {

namespace {

std::string Key(std::string_view owner, std::string_view table)
{
	return Lower(owner) + "." + Lower(table);
}

bool SameName(std::string_view a, std::string_view b)
{
	return a.size() == b.size() && Lower(a) == Lower(b);
}

const char *kDocs = "See docs/olr-source.md.";

std::string ReadWholeFile(const std::string &path, const char *what)
{
	std::ifstream f(path, std::ios::binary);
	if (!f)
		throw Error(sqlstate::kUndefinedFile, std::string("could not read ") + what + " " + Quoted(path), {},
		            "Copy OpenLogReplicator's schema checkpoint file (<source>-chkpt-<scn>.json) below the data "
		            "directory and name it in the schema_checkpoint option of synchdb_add_olr_conninfo.");
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

/* Whether two descriptions of a table differ for the destination (names, types, nullability, key). */
bool SameColumns(const OlrTable &a, const OlrTable &b)
{
	if (a.columns.size() != b.columns.size() || a.primary_key != b.primary_key)
		return false;
	for (size_t i = 0; i < a.columns.size(); i++)
		if (a.columns[i].name != b.columns[i].name || TypeText(a.columns[i].type) != TypeText(b.columns[i].type) ||
		    a.columns[i].nullable != b.columns[i].nullable)
			return false;
	return true;
}

}  // namespace

bool OlrSettings::OwnerMatches(std::string_view o) const
{
	return SameName(o, owner);
}

bool OlrSettings::Replicated(std::string_view o, std::string_view table) const
{
	if (!OwnerMatches(o))
		return false;
	if (tables.empty())
		return true;
	for (const auto &t : tables)
		if (SameName(t, table))
			return true;
	return false;
}

OlrSettings SettingsFromConfig(const SourceConfig &config)
{
	const ConnInfo &ci = config.conninfo;
	OlrSettings s;
	s.connector = ci.name;
	if (!ci.olr)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "connector " + Quoted(ci.name) +
		                " has no OpenLogReplicator endpoint: give it with synchdb_add_olr_conninfo()",
		            {},
		            "Give it with SELECT synchdb_add_olr_conninfo('" + ci.name +
		                "', 'olr-host', 7070, 'ORACLE'); the source name is the \"name\" of the source in "
		                "OpenLogReplicator.json.");
	s.host = ci.olr->host;
	s.port = static_cast<uint16_t>(ci.olr->port);
	s.source = ci.olr->source;
	s.owner = ci.srcdb;
	for (const TableName &t : ci.Tables())
		s.tables.push_back(t.table);
	s.connect_timeout_ms = std::max(1, config.connect_timeout_s) * 1000;
	std::string data_dir;
	if (config.extra.IsObject())
		if (const json::Value *d = config.extra.Find("data_directory"); d && d->IsString())
			data_dir = d->AsString();
	if (!ci.olr->options.empty()) {
		json::Value o = json::Parse(ci.olr->options);
		auto bad = [&](const std::string &what) {
			return Error(sqlstate::kInvalidParameterValue,
			             "OpenLogReplicator option " + what + " of connector " + Quoted(ci.name), {},
			             "Known options: schema_checkpoint (file name), timestamp (0..15), timestamp_tz (0..11), "
			             "lower_case_names (true/false), max_frame_mb (1..4096). Set them again with "
			             "synchdb_add_olr_conninfo.");
		};
		auto integer = [&](const json::Value &v, const std::string &key, int64_t lo, int64_t hi) {
			auto n = v.IsNumber() ? v.AsInt() : std::nullopt;
			if (!n || *n < lo || *n > hi)
				throw bad(Quoted(key) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
			return *n;
		};
		for (const auto &[key, v] : o.Members()) {
			if (key == "schema_checkpoint") {
				if (!v.IsString() || v.AsString().empty())
					throw bad("\"schema_checkpoint\" must be a file name");
				if (data_dir.empty())
					s.schema_checkpoint = v.AsString();
				else
					s.schema_checkpoint = ResolveRuleFilePath(v.AsString(), data_dir);
			} else if (key == "timestamp")
				s.format.timestamp = static_cast<int>(integer(v, key, 0, 15));
			else if (key == "timestamp_tz")
				s.format.timestamp_tz = static_cast<int>(integer(v, key, 0, 11));
			else if (key == "lower_case_names") {
				if (!v.IsBool())
					throw bad("\"lower_case_names\" must be true or false");
				s.names.lower_case_names = v.AsBool();
			} else if (key == "max_frame_mb")
				s.max_frame_bytes = static_cast<uint64_t>(integer(v, key, 1, 4096)) << 20;
			else
				throw bad(Quoted(key) + " is unknown");
		}
	}
	return s;
}

OlrReader::OlrReader(OlrSettings settings, StartPoint start)
	: s_(std::move(settings)), start_(std::move(start)), client_(
	                                                        [this] {
		                                                        ClientOptions o;
		                                                        o.host = s_.host;
		                                                        o.port = s_.port;
		                                                        o.connect_timeout_ms = s_.connect_timeout_ms;
		                                                        o.max_frame_bytes = s_.max_frame_bytes;
		                                                        o.max_frame_setting =
		                                                            "olr option max_frame_mb";
		                                                        return o;
	                                                        }(),
	                                                        &stop_)
{
}

void OlrReader::Stop()
{
	stop_ = true;
	client_.Wake();
}

void OlrReader::Confirm(const Position &pos)
{
	{
		std::lock_guard<std::mutex> g(mu_);
		confirms_.push_back(pos.offset);
	}
	confirm_pending_ = true;
	client_.Wake();
}

void OlrReader::ProcessConfirms()
{
	if (!confirm_pending_.exchange(false))
		return;
	std::vector<std::string> list;
	{
		std::lock_guard<std::mutex> g(mu_);
		list.swap(confirms_);
	}
	for (const std::string &off : list) {
		OlrPosition p;
		try {
			p = ParseOffsetJson(off);
		} catch (const Error &) {
			continue; /* not one of ours (cannot happen: positions come from this reader) */
		}
		if (auto c = tracker_.Confirmed(p))
			client_.Send(Request::Confirm(s_.source, c->c_scn, InternalIdx(c->c_idx)));
	}
}

void OlrReader::Run(Emitter &out) noexcept
{
	auto fail = [&](const Error &e) {
		try {
			out.Fail(e);
		} catch (...) {
		}
	};
	try {
		RunInner(out);
	} catch (const StopRequested &) {
	} catch (const Error &e) {
		fail(e);
	} catch (const std::bad_alloc &) {
		fail(Error(sqlstate::kProgramLimitExceeded, "out of memory in the OpenLogReplicator reader"));
	} catch (const std::exception &e) {
		fail(Error(sqlstate::kInternalError, std::string("OpenLogReplicator reader: ") + e.what()));
	} catch (...) {
		fail(Error(sqlstate::kInternalError, "OpenLogReplicator reader: unknown exception"));
	}
}

void OlrReader::LoadTables()
{
	lookup_.valid = false;
	if (start_.resume && !start_.schema_history.empty())
		catalog_.LoadHistory(start_.schema_history);
	else if (!s_.schema_checkpoint.empty())
		catalog_.LoadCheckpoint(ReadWholeFile(s_.schema_checkpoint, "OpenLogReplicator schema checkpoint"));
	keys_.clear();
	index_.clear();
	for (const OlrTable *t : catalog_.Tables())
		if (s_.Replicated(t->owner, t->name)) {
			index_[Key(t->owner, t->name)] = static_cast<int>(keys_.size());
			keys_.push_back(t->owner + "." + t->name);
		}
}

std::shared_ptr<const TableSet> OlrReader::MakeTables() const
{
	std::vector<NeutralTable> v;
	for (const std::string &k : keys_) {
		const size_t dot = k.find('.');
		const OlrTable *t = catalog_.Find(std::string_view(k).substr(0, dot), std::string_view(k).substr(dot + 1));
		v.push_back(t->ToNeutral(s_.names));
	}
	return MakeTableSet(std::move(v), start_.mapping.get());
}

std::string OlrReader::History() const
{
	std::vector<const OlrTable *> v;
	for (const std::string &k : keys_) {
		const size_t dot = k.find('.');
		v.push_back(catalog_.Find(std::string_view(k).substr(0, dot), std::string_view(k).substr(dot + 1)));
	}
	return Catalog::ToHistory(v);
}

int OlrReader::IndexOf(std::string_view owner, std::string_view table) const
{
	auto it = index_.find(Key(owner, table));
	return it == index_.end() ? -1 : it->second;
}

std::string OlrReader::Where(const Message &m) const
{
	std::string w = "c_scn " + std::to_string(m.c_scn.value_or(0)) + ", c_idx " + std::to_string(m.c_idx.value_or(0));
	if (!m.xid.empty())
		w += ", xid " + std::string(m.xid);
	return w;
}

void OlrReader::RunInner(Emitter &out)
{
	if (start_.snapshot_with_data && *start_.snapshot_with_data)
		throw Error(sqlstate::kFeatureNotSupported,
		            "OpenLogReplicator connector " + Quoted(s_.connector) +
		                " cannot copy the initial data: start it with snapshot mode no_data or never",
		            "OpenLogReplicator streams changes only; reading the tables' current rows needs an Oracle client, "
		            "which synchdb does not use.",
		            std::string("Start it with snapshot mode no_data (or never): SELECT synchdb_start_engine_bgw('") +
		                s_.connector + "', 'no_data'); load the existing rows yourself first. " + kDocs);
	LoadTables();
	current_ = MakeTables();
	out.Tables(current_, History());
	if (!start_.resume)
		for (const std::string &t : s_.tables)
			if (IndexOf(s_.owner, t) < 0)
				out.Notice("table " + s_.owner + "." + t +
				               " of the table list has no description yet; it is created when OpenLogReplicator "
				               "describes it (format \"schema\") ",
				           NoticeKind::Warning);

	std::optional<OlrPosition> committed;
	if (start_.resume && start_.resume->Valid())
		committed = ParseOffsetJson(start_.resume->offset);
	const ResumePlan plan = PlanResume(committed);
	client_.Connect();
	bool continued = false;
	Response r = client_.StartOrContinue(s_.source, plan.start_scn, plan.continue_c_scn, plan.continue_c_idx,
	                                     &continued);
	if (start_.snapshot_with_data && !*start_.snapshot_with_data) {
		/* Schema only: stream from where OLR starts now. */
		OlrPosition p;
		p.scn = r.scn.value_or(0);
		if (!r.scns.empty())
			if (auto n = ParseScnText(r.scns))
				p.scn = *n;
		p.c_scn = r.c_scn;
		p.c_idx = r.c_idx;
		Position pos;
		pos.offset = ToOffsetJson(p);
		pos.label = "OpenLogReplicator start SCN " + std::to_string(p.scn);
		out.SnapshotDone(std::move(pos));
		if (!p.Valid())
			out.Notice("OpenLogReplicator did not say at which SCN it started; until the first transaction "
			           "commits, a restart starts from \"now\" again");
	}
	out.Flush();

	ResumeFilter filter(plan.filter ? committed : std::nullopt);
	MessageDecoder dec;
	std::string_view frame;
	uint64_t replayed = 0;
	for (;;) {
		ProcessConfirms();
		Client::ReadResult rr = client_.ReadFrame(frame, 0);
		if (rr == Client::ReadResult::Timeout || rr == Client::ReadResult::Woken) {
			out.Flush();
			ProcessConfirms();
			rr = client_.ReadFrame(frame, 1000);
		}
		if (rr == Client::ReadResult::Stopped)
			return;
		if (rr != Client::ReadResult::Frame)
			continue;
		const Message &m = dec.Decode(frame);
		if (filter.Active()) {
			if (filter.Drop(m)) {
				replayed++;
				if (!filter.Active())
					out.Notice(std::to_string(replayed) +
					           " messages replayed by OpenLogReplicator were applied before; streaming resumes after "
					           "transaction " + Quoted(committed->xid));
				continue;
			}
		}
		Handle(m, out);
	}
}

void OlrReader::Handle(const Message &m, Emitter &out)
{
	for (const Payload &p : m.payload()) {
		switch (p.op) {
		case Op::Begin:
			in_txn_ = true;
			begin_scn_ = m.scn.value_or(m.c_scn.value_or(0));
			begin_idx_ = m.c_idx.value_or(0);
			begin_tm_ = TimestampUsec(m.tm, s_.format.timestamp);
			break;
		case Op::Insert:
		case Op::Update:
		case Op::Delete:
			if (!in_txn_) {
				/* format message 0x4 (no begin) or a replay that started inside a transaction */
				in_txn_ = true;
				begin_scn_ = m.scn.value_or(m.c_scn.value_or(0));
				begin_idx_ = m.c_idx.value_or(0);
				begin_tm_ = TimestampUsec(m.tm, s_.format.timestamp);
			}
			Dml(m, p, out);
			break;
		case Op::Ddl: Ddl(m, p, out); break;
		case Op::Commit:
			CommitAt(m, out);
			break;
		case Op::Checkpoint: break; /* OLR's heartbeat: nothing to apply */
		case Op::Other:
			throw Error(sqlstate::kDataCorrupted,
			            "OpenLogReplicator sent an unknown operation " + Quoted(std::string(p.op_text)) + " (" +
			                Where(m) + ")",
			            {}, "This version reads begin, commit, c, u, d, ddl and chkpt; check OpenLogReplicator's "
			                "version and its \"format\" settings.");
		}
	}
}

void OlrReader::CommitAt(const Message &m, Emitter &out)
{
	OlrPosition pos;
	pos.scn = begin_scn_ ? begin_scn_ : m.c_scn.value_or(0);
	pos.c_scn = m.c_scn.value_or(0);
	pos.c_idx = m.c_idx.value_or(0);
	pos.xid = !m.xid.empty() ? std::string(m.xid) : m.xidn ? std::to_string(*m.xidn) : std::string();
	pos.commit_scn = m.e_scn;
	uint64_t ts = TimestampUsec(m.tm, s_.format.timestamp);
	if (!ts)
		ts = begin_tm_;
	tracker_.Emitted(pos, in_txn_ ? begin_idx_ : pos.c_idx);
	Position p;
	p.offset = ToOffsetJson(pos);
	p.ts_usec = ts;
	p.label = "OpenLogReplicator SCN " + std::to_string(pos.scn) + (pos.xid.empty() ? "" : " xid " + pos.xid);
	in_txn_ = false;
	begin_scn_ = 0;
	out.Commit(std::move(p));
}

void OlrReader::Learn(const Payload &p, Emitter &out)
{
	lookup_.valid = false; /* UpdateFromPayload replaces the table */
	const OlrTable *old = catalog_.Find(p.owner, p.table);
	std::optional<OlrTable> before;
	if (old)
		before = *old;
	const OlrTable *t = catalog_.UpdateFromPayload(p);
	if (!t || !s_.Replicated(t->owner, t->name))
		return;
	int idx = IndexOf(t->owner, t->name);
	if (idx >= 0 && before && SameColumns(*before, *t))
		return;
	auto prev = current_;
	const bool added = idx < 0;
	if (added) {
		idx = static_cast<int>(keys_.size());
		index_[Key(t->owner, t->name)] = idx;
		keys_.push_back(t->owner + "." + t->name);
	}
	current_ = MakeTables();
	const TableInfo &ti = (*current_)[idx];
	std::vector<std::string> sql;
	if (added) {
		sql.push_back("CREATE SCHEMA IF NOT EXISTS " + QuotePgIdent(ti.pg_schema));
		sql.push_back(CreateTableSql(ti));
	} else {
		const TableInfo &b = (*prev)[idx];
		std::vector<int> from(ti.source.columns.size(), -1);
		for (size_t i = 0; i < from.size(); i++)
			for (size_t k = 0; k < b.source.columns.size(); k++)
				if (b.source.columns[k].name == ti.source.columns[i].name)
					from[i] = static_cast<int>(k);
		sql = AlterTableSql(b, ti, from);
	}
	out.SchemaChange(current_, std::move(sql),
	                 std::string(added ? "table " : "columns of table ") + t->owner + "." + t->name +
	                     (added ? " described by OpenLogReplicator" : " changed (OpenLogReplicator schema)"),
	                 History());
}

void OlrReader::Dml(const Message &m, const Payload &p, Emitter &out)
{
	/* The table of the previous change, most of the time: no lookups, no allocations. */
	int idx;
	const OlrTable *t;
	if (lookup_.valid && !p.has_columns && p.table == lookup_.table && p.owner == lookup_.owner) {
		idx = lookup_.idx;
		t = lookup_.t;
		if (idx < 0)
			return;
	} else {
		idx = Lookup(m, p, out, t);
		if (idx < 0)
			return;
	}
	ApplyDml(m, p, idx, *t, out);
}

int OlrReader::Lookup(const Message &m, const Payload &p, Emitter &out, const OlrTable *&t)
{
	t = nullptr;
	if (!s_.OwnerMatches(p.owner)) {
		Remember(p, -1, nullptr);
		return -1; /* another schema: not replicated by this connector */
	}
	if (p.has_columns)
		Learn(p, out);
	if (!s_.Replicated(p.owner, p.table)) {
		Remember(p, -1, nullptr);
		return -1;
	}
	const int idx = IndexOf(p.owner, p.table);
	if (idx < 0)
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "OpenLogReplicator sent a change of table " + std::string(p.owner) + "." + std::string(p.table) +
		                ", which synchdb has no description of (" + Where(m) + ")",
		            "OpenLogReplicator's messages name columns but carry no types unless its \"schema\" format "
		            "option is set.",
		            "Give OpenLogReplicator's schema checkpoint file in the schema_checkpoint option of "
		            "synchdb_add_olr_conninfo, or set \"schema\": 1 in the format of OpenLogReplicator.json. " +
		                std::string(kDocs));
	const std::string &k = keys_[idx];
	const size_t dot = k.find('.');
	t = catalog_.Find(std::string_view(k).substr(0, dot), std::string_view(k).substr(dot + 1));
	Remember(p, idx, t);
	return idx;
}

void OlrReader::Remember(const Payload &p, int idx, const OlrTable *t)
{
	lookup_.owner.assign(p.owner);
	lookup_.table.assign(p.table);
	lookup_.idx = idx;
	lookup_.t = t;
	lookup_.valid = true;
}

void OlrReader::ApplyDml(const Message &m, const Payload &p, int idx, const OlrTable &table, Emitter &out)
{
	const OlrTable *t = &table;
	RowBuildResult res;
	ChangeKind kind = ChangeKind::Insert;
	before_.Clear();
	after_.Clear();
	switch (p.op) {
	case Op::Insert:
		BuildRow(*t, p.after, true, s_.format, after_, res);
		break;
	case Op::Update:
		kind = ChangeKind::Update;
		BuildRow(*t, p.before, false, s_.format, before_, res);
		BuildRow(*t, p.after, false, s_.format, after_, res);
		/* A key column missing from the old image (an empty "before") identifies the row by its new value. */
		for (size_t i : t->primary_key)
			if (IsAbsent(before_, i) && !IsAbsent(after_, i)) {
				RowData b;
				for (size_t c = 0; c < before_.fields.size(); c++)
					if (c == i || !IsAbsent(before_, c)) {
						const RowData &src = c == i ? after_ : before_;
						if (src.IsNull(c))
							b.AddNull();
						else
							b.AddValue(src.Get(c));
					} else
						b.AddUnchanged();
				before_ = std::move(b);
			}
		break;
	default:
		kind = ChangeKind::Delete;
		BuildRow(*t, p.before, true, s_.format, before_, res);
		break;
	}
	if (!res.unknown_columns.empty()) {
		std::string cols;
		for (const auto &c : res.unknown_columns)
			cols += (cols.empty() ? "" : ", ") + Quoted(c);
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "OpenLogReplicator sent column(s) " + cols + " of table " + t->owner + "." + t->name +
		                " that its description does not have (" + Where(m) + ")",
		            "The table was changed after the description synchdb has (schema checkpoint or schema "
		            "history).",
		            "Let OpenLogReplicator describe tables in its messages (\"schema\": 1 in its format), or add "
		            "the columns to the destination table and restart from a newer schema checkpoint. " +
		                std::string(kDocs));
	}
	if (!res.error.empty())
		throw Error(sqlstate::kDataException,
		            "OpenLogReplicator value of table " + t->owner + "." + t->name + " cannot be converted: " +
		                res.error,
		            Where(m), "Check the \"format\" settings of OpenLogReplicator against the connector's options "
		                      "(timestamp, timestamp_tz). " + std::string(kDocs));
	out.Change(idx, kind, std::move(before_), std::move(after_));
	before_ = RowData();
	after_ = RowData();
}

void OlrReader::EmitTableChange(std::shared_ptr<const TableSet> prev, int prev_idx, int idx,
                                const std::vector<int> &from, const std::string &summary, Emitter &out)
{
	lookup_.valid = false;
	current_ = MakeTables();
	std::vector<std::string> sql;
	if (idx >= 0) {
		const TableInfo &ti = (*current_)[idx];
		if (prev_idx < 0) {
			sql.push_back("CREATE SCHEMA IF NOT EXISTS " + QuotePgIdent(ti.pg_schema));
			sql.push_back(CreateTableSql(ti));
		} else
			sql = AlterTableSql((*prev)[prev_idx], ti, from);
	} else if (prev_idx >= 0)
		sql.push_back("DROP TABLE IF EXISTS " + (*prev)[prev_idx].QualifiedPgName());
	out.SchemaChange(current_, std::move(sql), summary, History());
}

void OlrReader::Ddl(const Message &m, const Payload &p, Emitter &out)
{
	std::string scratch;
	const std::string sql = p.sql.Present() && !p.sql.IsNull() ? std::string(StringValue(p.sql, scratch)) : "";
	OraDdl d = ParseOracleDdl(sql);
	std::string owner = !d.owner.empty() ? d.owner : !p.owner.empty() ? std::string(p.owner) : s_.owner;
	if (!s_.OwnerMatches(owner))
		return; /* DDL of another schema */
	const std::string shown = sql.substr(0, 300);
	const bool own_txn = !in_txn_;
	auto done = [&] {
		if (own_txn)
			CommitAt(m, out);
	};
	auto skipped = [&](const std::string &why) {
		out.Notice("DDL " +
		               (d.table.empty() && p.table.empty()
		                    ? std::string()
		                    : "on " + owner + "." + (d.table.empty() ? std::string(p.table) : d.table) + " ") +
		               "not replicated (" + why + "; " + Where(m) + "): " + shown,
		           NoticeKind::DdlSkipped);
	};
	if (d.kind == OraDdl::Kind::Other) {
		const std::string table = !p.table.empty() ? std::string(p.table) : d.table;
		if (!table.empty() && !s_.Replicated(owner, table))
			out.Notice("DDL of a table that is not replicated: " + shown, NoticeKind::DdlNoop);
		else
			skipped(d.why.empty() ? "not understood" : d.why);
		return;
	}
	const int idx = IndexOf(owner, d.table);
	auto current_table = [&]() -> OlrTable {
		const std::string &k = keys_[idx];
		const size_t dot = k.find('.');
		return *catalog_.Find(std::string_view(k).substr(0, dot), std::string_view(k).substr(dot + 1));
	};
	auto rebuild_index = [&] {
		index_.clear();
		for (size_t i = 0; i < keys_.size(); i++) {
			const size_t dot = keys_[i].find('.');
			index_[Key(std::string_view(keys_[i]).substr(0, dot), std::string_view(keys_[i]).substr(dot + 1))] =
			    static_cast<int>(i);
		}
	};
	const std::string what = owner + "." + d.table;
	switch (d.kind) {
	case OraDdl::Kind::Truncate:
		if (idx < 0) {
			out.Notice("DDL of a table that is not replicated: " + shown, NoticeKind::DdlNoop);
			return;
		}
		out.Change(idx, ChangeKind::Truncate, {}, {});
		done();
		return;
	case OraDdl::Kind::CreateTable: {
		if (!s_.Replicated(owner, d.table)) {
			out.Notice("DDL of a table that is not replicated: " + shown, NoticeKind::DdlNoop);
			return;
		}
		OlrTable t;
		t.owner = owner;
		t.name = d.table;
		t.obj = p.obj.value_or(0);
		t.columns = d.columns;
		for (const auto &k : d.primary_key)
			for (size_t i = 0; i < t.columns.size(); i++)
				if (t.columns[i].name == k)
					t.primary_key.push_back(i);
		auto prev = current_;
		std::vector<int> from;
		int at = idx;
		if (at >= 0) {
			/* Created again while we still had it (dropped unseen): its columns by name. */
			const OlrTable old = current_table();
			for (const auto &c : t.columns) {
				int f = -1;
				for (size_t k = 0; k < old.columns.size(); k++)
					if (old.columns[k].name == c.name)
						f = static_cast<int>(k);
				from.push_back(f);
			}
		}
		catalog_.Put(std::move(t));
		if (at < 0) {
			at = static_cast<int>(keys_.size());
			keys_.push_back(owner + "." + d.table);
			rebuild_index();
		}
		EmitTableChange(prev, idx, at, from, "CREATE TABLE " + what, out);
		done();
		return;
	}
	case OraDdl::Kind::DropTable: {
		if (idx < 0) {
			out.Notice("DDL of a table that is not replicated: " + shown, NoticeKind::DdlNoop);
			return;
		}
		auto prev = current_;
		const OlrTable old = current_table();
		catalog_.Remove(old.owner, old.name);
		keys_.erase(keys_.begin() + idx);
		rebuild_index();
		EmitTableChange(prev, idx, -1, {}, "DROP TABLE " + what, out);
		done();
		return;
	}
	case OraDdl::Kind::RenameTable: {
		const std::string new_owner = d.new_owner.empty() ? owner : d.new_owner;
		if (idx < 0) {
			if (s_.Replicated(new_owner, d.new_name))
				skipped("a table renamed into the replicated set: its rows are not copied; add it with a new "
				        "start");
			else
				out.Notice("DDL of a table that is not replicated: " + shown, NoticeKind::DdlNoop);
			return;
		}
		auto prev = current_;
		OlrTable t = current_table();
		catalog_.Remove(t.owner, t.name);
		if (!s_.Replicated(new_owner, d.new_name)) {
			/* Renamed out of the replicated set: dropped, as the MySQL source does. */
			keys_.erase(keys_.begin() + idx);
			rebuild_index();
			EmitTableChange(prev, idx, -1, {}, "RENAME " + what + " out of the replicated tables", out);
			done();
			return;
		}
		t.owner = new_owner;
		t.name = d.new_name;
		std::vector<int> from(t.columns.size());
		for (size_t i = 0; i < from.size(); i++)
			from[i] = static_cast<int>(i);
		catalog_.Put(std::move(t));
		keys_[idx] = new_owner + "." + d.new_name;
		rebuild_index();
		EmitTableChange(prev, idx, idx, from, "RENAME " + what + " TO " + new_owner + "." + d.new_name, out);
		done();
		return;
	}
	case OraDdl::Kind::AddColumns:
	case OraDdl::Kind::DropColumns:
	case OraDdl::Kind::ModifyColumns:
	case OraDdl::Kind::RenameColumn: {
		if (idx < 0) {
			out.Notice("DDL of a table that is not replicated: " + shown, NoticeKind::DdlNoop);
			return;
		}
		auto prev = current_;
		OlrTable t = current_table();
		std::vector<std::string> pk;
		for (size_t i : t.primary_key)
			pk.push_back(t.columns[i].name);
		std::vector<int> origin(t.columns.size());
		for (size_t i = 0; i < origin.size(); i++)
			origin[i] = static_cast<int>(i);
		auto find = [&](const std::string &n) -> int {
			for (size_t i = 0; i < t.columns.size(); i++)
				if (t.columns[i].name == n)
					return static_cast<int>(i);
			return -1;
		};
		if (d.kind == OraDdl::Kind::AddColumns) {
			for (const auto &c : d.columns) {
				if (find(c.name) >= 0) {
					skipped("column " + c.name + " exists already");
					return;
				}
				t.columns.push_back(c);
				origin.push_back(-1);
			}
		} else if (d.kind == OraDdl::Kind::DropColumns) {
			for (const auto &n : d.drop) {
				const int i = find(n);
				if (i < 0)
					continue; /* not in the description: nothing to drop */
				t.columns.erase(t.columns.begin() + i);
				origin.erase(origin.begin() + i);
				for (auto it = pk.begin(); it != pk.end();)
					it = *it == n ? pk.erase(it) : it + 1;
			}
		} else if (d.kind == OraDdl::Kind::ModifyColumns) {
			for (size_t k = 0; k < d.columns.size(); k++) {
				const int i = find(d.columns[k].name);
				if (i < 0) {
					skipped("column " + d.columns[k].name + " is not in the table's description");
					return;
				}
				if (d.type_known[k])
					t.columns[i].type = d.columns[k].type;
				if (d.null_given[k])
					t.columns[i].nullable = d.columns[k].nullable;
			}
		} else {
			const int i = find(d.column);
			if (i < 0) {
				skipped("column " + d.column + " is not in the table's description");
				return;
			}
			t.columns[i].name = d.new_column;
			for (auto &k : pk)
				if (k == d.column)
					k = d.new_column;
		}
		t.primary_key.clear();
		for (const auto &k : pk)
			if (const int i = find(k); i >= 0)
				t.primary_key.push_back(static_cast<size_t>(i));
		catalog_.Put(std::move(t));
		EmitTableChange(prev, idx, idx, origin, "ALTER TABLE " + what, out);
		done();
		return;
	}
	case OraDdl::Kind::Other: break;
	}
}

}  // namespace synchdb::olr
