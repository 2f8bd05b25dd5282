/*
 * reader.cpp
 *     Snapshot and pgoutput streaming of a PostgreSQL source; see reader.hpp.
 */
#include "core/sources/postgres/reader.hpp"

#include <algorithm>
#include <new>
#include <set>
#include <thread>

#include "core/error.hpp"
#include "core/sources/postgres/history.hpp"
#include "core/sources/postgres/slot.hpp"

namespace synchdb::pgsrc {

namespace {

constexpr size_t kCopyChunk = 64 * 1024;

int64_t NowPgUsec()
{
	auto now = std::chrono::system_clock::now().time_since_epoch();
	return std::chrono::duration_cast<std::chrono::microseconds>(now).count() - kPgEpochOffsetUsec;
}

uint64_t NowUnixUsec()
{
	auto now = std::chrono::system_clock::now().time_since_epoch();
	return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

bool SameShape(const SourceColumn &a, const RelationColumn &b)
{
	return a.name == b.name && a.type_oid == b.type_oid && a.typmod == b.typmod;
}

}  // namespace

std::string TableChange::Summary(const NeutralTable &after) const
{
	std::string s = "table " + Quoted(after.QualifiedName());
	if (added)
		return s + " added to replication (" + std::to_string(after.columns.size()) + " columns)";
	std::string parts;
	auto add = [&](const std::string &p) { parts += (parts.empty() ? "" : "; ") + p; };
	if (!renamed_from.empty())
		add("renamed from " + Quoted(renamed_from));
	for (const auto &c : columns) {
		switch (c.kind) {
		case ColumnChange::Kind::Added:
			add("added column " + Quoted(c.column) + " (" + c.new_type + ")");
			break;
		case ColumnChange::Kind::Dropped:
			add("dropped column " + Quoted(c.column));
			break;
		case ColumnChange::Kind::Retyped:
			add("column " + Quoted(c.column) + " changed from " + c.old_type + " to " + c.new_type);
			break;
		}
	}
	if (parts.empty())
		parts = "column order changed";
	return s + ": " + parts;
}

PgReader::PgReader(Endpoint ep, std::vector<TableRef> filter, StartPoint start)
	: ep_(std::move(ep)), filter_(std::move(filter)), start_(std::move(start))
{
	slot_ = pub_ = ObjectName(ep_.connector);
	if (start_.resume && start_.resume->Valid()) {
		/* the destination holds everything up to the resume position */
		try {
			confirmed_.store(ParsePgOffset(start_.resume->offset).lsn);
		} catch (const Error &) {
			/* reported by Run */
		}
	}
}

PgReader::~PgReader()
{
	/* scrub the password copy */
	std::fill(ep_.password.begin(), ep_.password.end(), '\0');
	std::fill(ep_.tls_key_passphrase.begin(), ep_.tls_key_passphrase.end(), '\0');
}

void PgReader::Confirm(const Position &pos)
{
	if (!pos.Valid())
		return;
	Lsn lsn;
	try {
		lsn = ParsePgOffset(pos.offset).lsn;
	} catch (const Error &) {
		return;
	}
	Lsn cur = confirmed_.load();
	while (lsn > cur && !confirmed_.compare_exchange_weak(cur, lsn)) {
	}
}

void PgReader::RunWith(Sink &out) noexcept
{
	try {
		Run(out);
		return;
	} catch (const Stopped &) {
		return;
	} catch (const Error &e) {
		try {
			out.Fail(e);
		} catch (...) {
		}
	} catch (const std::bad_alloc &) {
		try {
			out.Fail(Error(sqlstate::kProgramLimitExceeded,
			               "connector " + Quoted(ep_.connector) + ": out of memory while reading the source"));
		} catch (...) {
		}
	} catch (const std::exception &e) {
		try {
			out.Fail(Error(sqlstate::kInternalError,
			               "connector " + Quoted(ep_.connector) + ": reader failed: " + e.what()));
		} catch (...) {
		}
	} catch (...) {
		try {
			out.Fail(Error(sqlstate::kInternalError, "connector " + Quoted(ep_.connector) + ": reader failed"));
		} catch (...) {
		}
	}
}

void PgReader::SetTables(std::vector<SourceTable> src)
{
	src_ = std::move(src);
	tables_.clear();
	rels_.clear();
	for (size_t i = 0; i < src_.size(); ++i) {
		tables_.push_back(ToNeutral(src_[i]));
		RelState rs;
		rs.table = static_cast<int>(i);
		/* the key is known once the Relation message arrives; until then none is used */
		rels_[src_[i].oid] = rs;
	}
	history_ = TablesToHistory(src_);
}

void PgReader::Run(Sink &out)
{
	auto stop = [this] { return stop_.load(); };
	std::optional<PgPosition> resume;
	if (start_.resume && start_.resume->Valid())
		resume = ParsePgOffset(start_.resume->offset);

	conn_ = std::make_unique<Connection>(ep_, ConnKind::Normal, stop);
	const bool all = filter_.empty();
	std::vector<SourceTable> tables = ReadSourceTables(*conn_, filter_);
	std::string note = EnsurePublication(*conn_, pub_, tables, all);
	if (!note.empty())
		out.Notice("connector " + Quoted(ep_.connector) + ": " + note);

	Connection repl(ep_, ConnKind::Replication, stop);
	Lsn start_lsn = 0;
	if (start_.snapshot_with_data.has_value()) {
		if (FindSlot(*conn_, slot_)) {
			WaitSlotFree(out);
			DropSlot(*conn_, slot_);
		}
		CreatedSlot cs = CreateSlot(repl, slot_, start_.stop_after_snapshot, true);
		conn_->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
		conn_->Exec("SET TRANSACTION SNAPSHOT " + QuotePgLiteral(cs.snapshot_name));
		SetTables(ReadSourceTables(*conn_, filter_));
		out.Tables(tables_, history_);
		if (*start_.snapshot_with_data)
			Snapshot(out, repl);
		conn_->Exec("COMMIT");
		PgPosition p;
		p.lsn = cs.consistent_point;
		p.ts_usec = NowUnixUsec();
		p.snapshot = true;
		out.SnapshotDone(p.ToPosition());
		if (start_.stop_after_snapshot) {
			out.Finished();
			return;
		}
		start_lsn = cs.consistent_point;
	} else {
		if (resume && !start_.schema_history.empty()) {
			/* the definitions as of the stored position; listed tables it lacks from the catalog */
			std::vector<SourceTable> known = TablesFromHistory(start_.schema_history);
			std::vector<SourceTable> use;
			for (auto &t : known)
				if (all || std::any_of(filter_.begin(), filter_.end(), [&](const TableRef &f) {
					    return f.schema == t.schema && f.table == t.name;
				    }))
					use.push_back(std::move(t));
			for (auto &t : tables)
				if (!all && std::none_of(use.begin(), use.end(), [&](const SourceTable &u) {
					    return u.schema == t.schema && u.name == t.name;
				    })) {
					out.Notice("connector " + Quoted(ep_.connector) + ": table " + Quoted(t.QualifiedName()) +
					           " joined the table list; its existing rows are not copied (take a new snapshot "
					           "for them)");
					use.push_back(std::move(t));
				}
			tables = std::move(use);
		}
		SetTables(std::move(tables));
		out.Tables(tables_, history_);
		auto slot = FindSlot(*conn_, slot_);
		if (resume) {
			if (!slot)
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            conn_->Prefix() + "replication slot " + Quoted(slot_) +
				                " does not exist on the source; the changes since LSN " + FormatLsn(resume->lsn) +
				                " can no longer be read",
				            {}, "Take a new snapshot (snapshot mode \"always\", or reset the connector's offset).");
			if (slot->plugin != "pgoutput")
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            conn_->Prefix() + "replication slot " + Quoted(slot_) + " uses plugin " +
				                Quoted(slot->plugin) + ", not pgoutput",
				            {}, "Drop the slot and take a new snapshot.");
			if (slot->database != ep_.dbname)
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            conn_->Prefix() + "replication slot " + Quoted(slot_) + " belongs to database " +
				                Quoted(slot->database) + ", not " + Quoted(ep_.dbname));
			if (slot->confirmed_flush > resume->lsn)
				/*
				 * The slot was told of changes the destination does not hold (the
				 * destination was restored from a backup, or the slot advanced by
				 * hand): streaming from the slot would skip them.
				 */
				throw Error(sqlstate::kObjectNotInPrerequisiteState,
				            "connector " + Quoted(ep_.connector) + ": slot " + Quoted(slot_) +
				                " is confirmed up to " + FormatLsn(slot->confirmed_flush) +
				                ", after the position the destination holds (" + FormatLsn(resume->lsn) +
				                "); the changes between are no longer available",
				            "The destination lost commits the source was told were applied (restored from a backup?), "
				            "or the slot was advanced by hand.",
				            "Restart the connector with snapshot mode 'always' to copy the tables again.");
			start_lsn = resume->lsn;
		} else if (slot) {
			start_lsn = slot->confirmed_flush;
		} else {
			start_lsn = CreateSlot(repl, slot_, false, false).consistent_point;
		}
	}
	WaitSlotFree(out);
	try {
		Stream(out, repl, start_lsn);
	} catch (...) {
		/* Leaving (stop, or the engine is gone): tell the slot what the destination committed, if we still can. */
		try {
			SendStatus(repl);
		} catch (...) {
		}
		throw;
	}
	try {
		SendStatus(repl);
	} catch (...) {
	}
}

void PgReader::WaitSlotFree(Sink &out)
{
	/*
	 * After a lost connection the source's walsender may hold the slot
	 * until it notices (wal_sender_timeout, TCP keepalives): wait for it
	 * rather than fail START_REPLICATION; still held after that is
	 * reported as a connection problem, so the engine retries later.
	 */
	auto deadline = std::chrono::steady_clock::now() + slot_wait_;
	bool told = false;
	for (;;) {
		auto info = FindSlot(*conn_, slot_);
		if (!info || !info->active)
			return;
		if (std::chrono::steady_clock::now() >= deadline)
			throw Error(sqlstate::kUnableToConnect,
			            conn_->Prefix() + "replication slot " + Quoted(slot_) + " is in use by process " +
			                std::to_string(info->active_pid) + " on the source",
			            {}, "If no other synchdb connector streams from it, the source ends that process after "
			                "wal_sender_timeout; or end it with pg_terminate_backend().");
		if (!told) {
			out.Notice("connector " + Quoted(ep_.connector) + ": waiting for replication slot " + Quoted(slot_) +
			           ", in use by process " + std::to_string(info->active_pid));
			out.Flush();
			told = true;
		}
		for (int i = 0; i < 5 && !stop_.load(); ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(200));
		if (stop_.load())
			throw Stopped{};
	}
}

void PgReader::Snapshot(Sink &out, Connection &repl)
{
	SendEstimates(out);
	for (size_t i = 0; i < src_.size(); ++i) {
		const SourceTable &t = src_[i];
		std::string cols;
		for (const auto &c : t.columns)
			cols += (cols.empty() ? "" : ", ") + QuotePgIdent(c.name);
		/* A plain table (the only kind read, relkind 'r'): COPY straight from it, without a query's executor. */
		const std::string sql = "COPY " + t.QuotedName() + " (" + cols + ") TO STDOUT";
		std::string chunk;
		chunk.reserve(kCopyChunk + 4096);
		const int idx = static_cast<int>(i);
		uint64_t rows = conn_->CopyOut(sql, [&](std::string_view row) {
			chunk.append(row);
			if (chunk.size() >= kCopyChunk) {
				out.CopyRows(idx, std::move(chunk));
				chunk.clear();
				chunk.reserve(kCopyChunk + 4096);
			}
		});
		if (!chunk.empty())
			out.CopyRows(idx, std::move(chunk));
		out.CopyEnd(idx, rows);
	}
}

/*
 * The planner's row estimate of each table (pg_class.reltuples; -1 for a
 * table never vacuumed or analyzed), for the snapshot's progress figures.
 * An estimate that cannot be read is not a reason to stop: none is sent.
 */
void PgReader::SendEstimates(Sink &out)
{
	if (src_.empty())
		return;
	std::string oids;
	for (const SourceTable &t : src_)
		oids += (oids.empty() ? "" : ",") + std::to_string(t.oid);
	std::vector<int64_t> rows(src_.size(), -1);
	try {
		Result r = conn_->Exec("SELECT oid, pg_catalog.round(reltuples)::bigint FROM pg_catalog.pg_class "
		                       "WHERE oid IN (" + oids + ")");
		for (int i = 0; i < r.Rows(); i++) {
			const std::string oid(r.Get(i, 0));
			const std::string n(r.Get(i, 1));
			for (size_t t = 0; t < src_.size(); t++)
				if (std::to_string(src_[t].oid) == oid && !n.empty())
					rows[t] = std::max<int64_t>(std::stoll(n), -1);
		}
	} catch (const std::exception &) { /* synchdb::Error included */
		return;
	}
	out.SnapshotEstimate(std::move(rows));
}

void PgReader::SendStatus(Connection &repl)
{
	const Lsn flushed = confirmed_.load();
	sent_flush_ = flushed;
	const Lsn written = std::max(received_, flushed);
	repl.PutCopyData(EncodeStandbyStatus(written, flushed, flushed, NowPgUsec(), false));
	last_status_ = std::chrono::steady_clock::now();
}

void PgReader::Stream(Sink &out, Connection &repl, Lsn start)
{
	const std::string sql = "START_REPLICATION SLOT " + QuotePgIdent(slot_) + " LOGICAL " + FormatLsn(start) +
	                        " (proto_version '1', publication_names " + QuotePgLiteral(QuotePgIdent(pub_)) + ")";
	repl.Exec(sql);
	received_ = start;
	emitted_ = start;
	last_status_ = last_heartbeat_ = std::chrono::steady_clock::now();
	std::string buf;
	while (!stop_.load()) {
		bool got = repl.ReadCopyData(buf, 0);
		if (!got) {
			out.Flush();
			auto since = std::chrono::steady_clock::now() - last_status_;
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(status_interval_ - since).count();
			int wait = static_cast<int>(std::clamp<long long>(left, 0, kPollMs));
			got = repl.ReadCopyData(buf, wait);
		}
		if (got) {
			CopyMessage cm = DecodeCopyMessage(buf);
			if (auto *k = std::get_if<Keepalive>(&cm)) {
				if (!in_txn_)
					received_ = std::max(received_, k->wal_end);
				if (k->reply_requested)
					SendStatus(repl);
			} else {
				auto &x = std::get<XLogData>(cm);
				Handle(out, DecodePgOutput(x.data));
			}
		}
		if (heartbeat_interval_.count() > 0 && !in_txn_ && received_ > emitted_ &&
		    (committed_since_heartbeat_ ||
		     std::chrono::steady_clock::now() - last_heartbeat_ >= heartbeat_interval_)) {
			/*
			 * Nothing of ours committed up to received_ (the keepalive's WAL
			 * end: every transaction that committed before it has been sent):
			 * an empty Commit lets the engine store and confirm that position,
			 * so the slot does not hold WAL that only other tables wrote.
			 */
			PgPosition p;
			p.lsn = received_;
			p.ts_usec = NowUnixUsec();
			emitted_ = received_;
			last_heartbeat_ = std::chrono::steady_clock::now();
			committed_since_heartbeat_ = false;
			out.Commit(p.ToPosition());
		}
		/* The interval, or sooner once the destination committed more (the slot then releases WAL). */
		const auto since_status = std::chrono::steady_clock::now() - last_status_;
		if (since_status >= status_interval_ ||
		    (confirmed_.load() > sent_flush_ && since_status >= kConfirmedStatusInterval))
			SendStatus(repl);
		if (std::chrono::steady_clock::now() - last_retention_check_ >= kRetentionCheckInterval)
			CheckRetention(out);
	}
}

void PgReader::CheckRetention(Sink &out)
{
	last_retention_check_ = std::chrono::steady_clock::now();
	if (!conn_ || retention_warn_bytes_ == 0)
		return;
	Result r = conn_->ExecParams("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8"
	                             " FROM pg_replication_slots WHERE slot_name = $1",
	                             {slot_});
	if (r.Rows() == 0 || r.IsNull(0, 0))
		return;
	const uint64_t held = std::strtoull(std::string(r.Get(0, 0)).c_str(), nullptr, 10);
	const bool over = held > retention_warn_bytes_;
	if (over == retention_warned_)
		return;
	retention_warned_ = over;
	if (over)
		out.Warning("replication slot " + Quoted(slot_) + " holds back " + std::to_string(held >> 20) +
		            " MB of WAL on the source (warning above " + std::to_string(retention_warn_bytes_ >> 20) +
		            " MB): the connector is behind or stopped; the source keeps that WAL until the connector "
		            "catches up (or the connector is deleted)");
	else
		out.Warning(""); /* back under the threshold */
}

const PgReader::RelState &PgReader::Rel(uint32_t relid, const char *what) const
{
	auto it = rels_.find(relid);
	if (it == rels_.end() || (it->second.table >= 0 && it->second.key.empty() &&
	                          tables_[static_cast<size_t>(it->second.table)].columns.size() > 0))
		throw Error(sqlstate::kDataCorrupted,
		            "connector " + Quoted(ep_.connector) + ": pgoutput " + what + " for relation OID " +
		                std::to_string(relid) + " before its Relation message");
	return it->second;
}

RowData PgReader::MakeRow(const Tuple &t, const RelState &rel, const std::vector<bool> *only, bool allow_unchanged,
                          const char *what) const
{
	const NeutralTable &table = tables_[static_cast<size_t>(rel.table)];
	if (t.columns.size() != table.columns.size())
		throw Error(sqlstate::kDataCorrupted,
		            "connector " + Quoted(ep_.connector) + ": pgoutput " + what + " for table " +
		                Quoted(table.QualifiedName()) + " has " + std::to_string(t.columns.size()) +
		                " columns, its Relation message " + std::to_string(table.columns.size()));
	RowData row;
	size_t bytes = 0;
	for (const auto &c : t.columns)
		bytes += c.value.size();
	if (bytes > 0x7fffffffu)
		throw Error(sqlstate::kProgramLimitExceeded, "connector " + Quoted(ep_.connector) + ": a row of table " +
		                                                 Quoted(table.QualifiedName()) + " exceeds 2 GB");
	row.buf.reserve(bytes);
	row.fields.reserve(t.columns.size());
	for (size_t i = 0; i < t.columns.size(); ++i) {
		const TupleColumn &c = t.columns[i];
		if (only && !(*only)[i]) {
			row.fields.push_back({0, kUnchanged});
			continue;
		}
		switch (c.kind) {
		case TupleColumn::Kind::Null:
			row.AddNull();
			break;
		case TupleColumn::Kind::UnchangedToast:
			if (!allow_unchanged)
				throw Error(sqlstate::kDataCorrupted, "connector " + Quoted(ep_.connector) + ": pgoutput " + what +
				                                          " for table " + Quoted(table.QualifiedName()) +
				                                          " marks column " + Quoted(table.columns[i].name) +
				                                          " unchanged");
			row.fields.push_back({0, kUnchanged});
			break;
		case TupleColumn::Kind::Text:
			row.AddValue(c.value);
			break;
		}
	}
	return row;
}

void PgReader::Handle(Sink &out, const PgOutputMessage &m)
{
	auto corrupt = [&](const std::string &what) {
		throw Error(sqlstate::kDataCorrupted, "connector " + Quoted(ep_.connector) + ": pgoutput stream: " + what);
	};
	if (auto *b = std::get_if<BeginMsg>(&m)) {
		if (in_txn_)
			corrupt("Begin inside a transaction");
		in_txn_ = true;
		begin_ = *b;
		return;
	}
	if (auto *c = std::get_if<CommitMsg>(&m)) {
		if (!in_txn_)
			corrupt("Commit outside a transaction");
		in_txn_ = false;
		received_ = std::max(received_, c->end_lsn);
		emitted_ = std::max(emitted_, c->end_lsn);
		last_heartbeat_ = std::chrono::steady_clock::now();
		committed_since_heartbeat_ = true;
		PgPosition p;
		p.lsn = c->end_lsn;
		p.lsn_commit = c->commit_lsn;
		p.txid = begin_.xid;
		p.ts_usec = c->commit_time + kPgEpochOffsetUsec > 0 ? static_cast<uint64_t>(c->commit_time + kPgEpochOffsetUsec)
		                                                     : 0;
		out.Commit(p.ToPosition());
		return;
	}
	if (auto *r = std::get_if<RelationMsg>(&m)) {
		OnRelation(out, *r);
		return;
	}
	if (std::holds_alternative<OriginMsg>(m) || std::holds_alternative<TypeMsg>(m) ||
	    std::holds_alternative<LogicalMsg>(m))
		return;
	if (!in_txn_)
		corrupt("row change outside a transaction");
	if (auto *i = std::get_if<InsertMsg>(&m)) {
		const RelState &rel = Rel(i->relid, "Insert");
		if (rel.table < 0)
			return;
		out.Change(rel.table, ChangeKind::Insert, RowData{}, MakeRow(i->new_tuple, rel, nullptr, false, "Insert"));
		return;
	}
	if (auto *u = std::get_if<UpdateMsg>(&m)) {
		const RelState &rel = Rel(u->relid, "Update");
		if (rel.table < 0)
			return;
		RowData after = MakeRow(u->new_tuple, rel, nullptr, true, "Update");
		RowData before;
		if (u->old_tuple)
			before = MakeRow(*u->old_tuple, rel, u->old_kind == 'K' ? &rel.key : nullptr, true, "Update");
		else if (std::find(rel.key.begin(), rel.key.end(), true) != rel.key.end()) {
			before = MakeRow(u->new_tuple, rel, &rel.key, true, "Update");
			const NeutralTable &t = tables_[static_cast<size_t>(rel.table)];
			for (size_t k = 0; k < rel.key.size(); ++k)
				if (rel.key[k] && before.fields[k].length == kUnchanged)
					throw Error(sqlstate::kFeatureNotSupported,
					            "connector " + Quoted(ep_.connector) + ": key column " + Quoted(t.columns[k].name) +
					                " of table " + Quoted(t.QualifiedName()) +
					                " arrived as an unchanged TOASTed value; the row cannot be identified",
					            {}, "Use REPLICA IDENTITY FULL for this table.");
		}
		out.Change(rel.table, ChangeKind::Update, std::move(before), std::move(after));
		return;
	}
	if (auto *d = std::get_if<DeleteMsg>(&m)) {
		const RelState &rel = Rel(d->relid, "Delete");
		if (rel.table < 0)
			return;
		out.Change(rel.table, ChangeKind::Delete,
		           MakeRow(d->old_tuple, rel, d->old_kind == 'K' ? &rel.key : nullptr, true, "Delete"), RowData{});
		return;
	}
	if (auto *t = std::get_if<TruncateMsg>(&m)) {
		for (uint32_t relid : t->relids) {
			auto it = rels_.find(relid);
			if (it == rels_.end() || it->second.table < 0)
				continue;
			out.Change(it->second.table, ChangeKind::Truncate, RowData{}, RowData{});
		}
		return;
	}
}

SourceColumn PgReader::LookupColumn(const RelationColumn &rc, uint32_t relid)
{
	SourceColumn c;
	c.name = rc.name;
	c.type_oid = rc.type_oid;
	c.typmod = rc.typmod;
	Result r = conn_->ExecParams(
		"SELECT format_type(t.oid, $2::int) AS type_text, format_type(t.oid, NULL) AS type_base, t.typtype,"
		" t.typcategory, t.typelem::int8 AS typelem,"
		" coalesce((SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = $3::oid AND a.attname = $4"
		"           AND NOT a.attisdropped), false) AS notnull,"
		" (SELECT quote_literal(array_to_string(a.attmissingval, '')) FROM pg_attribute a"
		"   WHERE a.attrelid = $3::oid AND a.attname = $4 AND NOT a.attisdropped AND a.atthasmissing) AS missing"
		" FROM pg_type t WHERE t.oid = $1::oid",
		{std::to_string(rc.type_oid), std::to_string(rc.typmod), std::to_string(relid), rc.name});
	if (r.Rows() == 0) {
		/* the type is gone from the catalog: values still arrive as text */
		c.type_text = c.type_base = "unknown";
		c.builtin = false;
		return c;
	}
	c.type_text = std::string(r.Get(0, r.Col("type_text")));
	c.type_base = std::string(r.Get(0, r.Col("type_base")));
	std::string_view tt = r.Get(0, r.Col("typtype")), cat = r.Get(0, r.Col("typcategory"));
	c.typtype = tt.empty() ? 'b' : tt[0];
	c.typcategory = cat.empty() ? 'U' : cat[0];
	if (c.typcategory == 'A') {
		std::string e(r.Get(0, r.Col("typelem")));
		c.elem_oid = static_cast<uint32_t>(std::strtoul(e.c_str(), nullptr, 10));
	}
	c.builtin = c.type_oid < kFirstNormalObjectId && (c.elem_oid == 0 || c.elem_oid < kFirstNormalObjectId);
	c.not_null = r.Get(0, r.Col("notnull")) == "t";
	if (!r.IsNull(0, r.Col("missing"))) {
		/* The rows that existed when the column was added hold this value (PostgreSQL's fast default). */
		c.default_expr = std::string(r.Get(0, r.Col("missing"))) + "::" + c.type_text;
		c.default_builtin_only = c.builtin;
	}
	return c;
}

void PgReader::OnRelation(Sink &out, const RelationMsg &r)
{
	/* which table: by OID first (renames), then by name */
	int idx = -1;
	for (size_t i = 0; i < src_.size(); ++i)
		if (src_[i].oid == r.relid)
			idx = static_cast<int>(i);
	if (idx < 0)
		for (size_t i = 0; i < src_.size(); ++i)
			if (src_[i].schema == r.nspname && src_[i].name == r.relname)
				idx = static_cast<int>(i);
	const bool all = filter_.empty();
	if (idx < 0 && !all) {
		rels_[r.relid] = RelState{}; /* outside the table list */
		return;
	}
	RelState rs;
	for (const auto &c : r.columns)
		rs.key.push_back(c.key);

	TableChange change;
	SourceTable next;
	if (idx >= 0) {
		const SourceTable &cur = src_[static_cast<size_t>(idx)];
		bool same = cur.columns.size() == r.columns.size() && cur.schema == r.nspname && cur.name == r.relname;
		for (size_t i = 0; same && i < r.columns.size(); ++i)
			same = SameShape(cur.columns[i], r.columns[i]);
		if (same) {
			src_[static_cast<size_t>(idx)].oid = r.relid;
			src_[static_cast<size_t>(idx)].replident = r.replident;
			rs.table = idx;
			rels_[r.relid] = std::move(rs);
			return;
		}
		next = cur;
		if (cur.schema != r.nspname || cur.name != r.relname)
			change.renamed_from = cur.QualifiedName();
	} else {
		change.added = true;
	}
	next.oid = r.relid;
	next.schema = r.nspname;
	next.name = r.relname;
	next.replident = r.replident;
	std::vector<SourceColumn> cols;
	for (const auto &rc : r.columns) {
		auto old = std::find_if(next.columns.begin(), next.columns.end(),
		                        [&](const SourceColumn &c) { return c.name == rc.name; });
		if (old != next.columns.end() && SameShape(*old, rc)) {
			cols.push_back(*old);
			continue;
		}
		SourceColumn c = LookupColumn(rc, r.relid);
		if (old != next.columns.end()) {
			change.columns.push_back({ColumnChange::Kind::Retyped, rc.name, old->type_text, c.type_text});
			c.not_null = old->not_null;
		} else if (!change.added) {
			change.columns.push_back({ColumnChange::Kind::Added, rc.name, "", c.type_text});
		}
		c.attnum = static_cast<int>(cols.size() + 1);
		cols.push_back(std::move(c));
	}
	for (const auto &c : next.columns)
		if (std::none_of(r.columns.begin(), r.columns.end(), [&](const RelationColumn &rc) { return rc.name == c.name; }))
			change.columns.push_back({ColumnChange::Kind::Dropped, c.name, c.type_text, ""});
	/* keep the primary key by names when all of it survives; for a new table take the replica identity */
	std::vector<std::string> pk_names;
	for (size_t k : next.primary_key)
		pk_names.push_back(next.columns[k].name);
	if (change.added && r.replident == 'd')
		for (const auto &rc : r.columns)
			if (rc.key)
				pk_names.push_back(rc.name);
	next.columns = std::move(cols);
	next.primary_key.clear();
	next.replident_index.clear();
	for (const auto &n : pk_names) {
		auto it = std::find_if(next.columns.begin(), next.columns.end(),
		                       [&](const SourceColumn &c) { return c.name == n; });
		if (it == next.columns.end()) {
			next.primary_key.clear();
			break;
		}
		next.primary_key.push_back(static_cast<size_t>(it - next.columns.begin()));
	}
	if (idx < 0) {
		idx = static_cast<int>(src_.size());
		src_.push_back(std::move(next));
		tables_.push_back(ToNeutral(src_.back()));
	} else {
		src_[static_cast<size_t>(idx)] = std::move(next);
		tables_[static_cast<size_t>(idx)] = ToNeutral(src_[static_cast<size_t>(idx)]);
	}
	change.table = idx;
	rs.table = idx;
	/* another relid that pointed at this table (dropped and re-created) no longer does */
	for (auto &[relid, st] : rels_)
		if (st.table == idx && relid != r.relid)
			st.table = -1;
	rels_[r.relid] = std::move(rs);
	history_ = TablesToHistory(src_);
	out.SchemaChange(tables_, change, history_);
}

}  // namespace synchdb::pgsrc
