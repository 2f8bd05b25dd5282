/*
 * apply.cpp
 *     Executor-level apply, COPY-based snapshot load, offsets.
 *
 * NOTES
 *   The functions named *C below are plain C-style code: they make
 *   PostgreSQL calls that may ereport(ERROR), hold no C++ objects with
 *   destructors, and are called through PgCall from the C++ methods.
 */
#include "core/error.hpp"
#include "core/mysql/schema_json.hpp"
#include "core/schema_change.hpp"
#include "core/typemap.hpp"
#include "pg/apply.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"

#include <cstring>

extern "C" {
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "utils/rel.h"
#include "utils/relcache.h"
}

namespace synchdb::pg {

struct Applier::RelState {
	Relation rel;
	EState *estate;
	ResultRelInfo *rri;
	TupleTableSlot *newslot;
	TupleTableSlot *oldslot;
	TupleTableSlot *foundslot;
	EPQState epq;
	Oid pkidx;
	int ncols;           /* source columns */
	AttrNumber *attnums; /* source column i -> attribute number */
	FmgrInfo *infuncs;   /* per source column */
	Oid *ioparams;
	int32 *typmods;
	const char *name;    /* "schema"."table" for messages */
};

namespace {

using RelState = Applier::RelState;

MemoryContext ApplyContext()
{
	static MemoryContext ctx = nullptr;
	if (!ctx)
		ctx = AllocSetContextCreate(TopMemoryContext, "synchdb apply", ALLOCSET_DEFAULT_SIZES);
	return ctx;
}

/* Open a relation with an executor state, as the logical replication worker does. */
void OpenRelC(Oid relid, const char *const *colnames, int ncols, const char *name, RelState *rs)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	rs->rel = table_open(relid, RowExclusiveLock);
	rs->name = pstrdup(name);
	rs->estate = CreateExecutorState();
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rs->rel->rd_rel->relkind;
	rte->rellockmode = AccessShareLock;
	ExecInitRangeTable(rs->estate, list_make1(rte));
	rs->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rs->rri, rs->rel, 1, NULL, 0);
	rs->estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rs->rri, false);
	AfterTriggerBeginQuery();
	EvalPlanQualInit(&rs->epq, rs->estate, NULL, NIL, -1);

	TupleDesc desc = RelationGetDescr(rs->rel);
	rs->newslot = ExecInitExtraTupleSlot(rs->estate, desc, &TTSOpsVirtual);
	rs->oldslot = ExecInitExtraTupleSlot(rs->estate, desc, &TTSOpsVirtual);
	rs->foundslot = table_slot_create(rs->rel, &rs->estate->es_tupleTable);
	rs->pkidx = RelationGetPrimaryKeyIndex(rs->rel);

	rs->ncols = ncols;
	rs->attnums = (AttrNumber *) palloc(sizeof(AttrNumber) * ncols);
	rs->infuncs = (FmgrInfo *) palloc(sizeof(FmgrInfo) * ncols);
	rs->ioparams = (Oid *) palloc(sizeof(Oid) * ncols);
	rs->typmods = (int32 *) palloc(sizeof(int32) * ncols);
	for (int i = 0; i < ncols; i++) {
		AttrNumber att = get_attnum(relid, colnames[i]);
		if (att == InvalidAttrNumber)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
			                errmsg("destination table %s has no column \"%s\"", name, colnames[i]),
			                errhint("Add the column, or drop the table and restart the connector with snapshot mode "
			                        "'always'.")));
		rs->attnums[i] = att;
		Form_pg_attribute attr = TupleDescAttr(desc, att - 1);
		Oid infunc;
		getTypeInputInfo(attr->atttypid, &infunc, &rs->ioparams[i]);
		fmgr_info_cxt(infunc, &rs->infuncs[i], TopTransactionContext);
		rs->typmods[i] = attr->atttypmod;
	}
	MemoryContextSwitchTo(old);
}

void CloseRelC(RelState *rs)
{
	EvalPlanQualEnd(&rs->epq);
	AfterTriggerEndQuery(rs->estate);
	ExecCloseIndices(rs->rri);
	ExecResetTupleTable(rs->estate->es_tupleTable, false);
	FreeExecutorState(rs->estate);
	table_close(rs->rel, NoLock);
}

/* What the error context callback reports: the table and column being converted. */
struct ApplyErrorContext {
	RelState *rs;
	int column; /* source column index, -1 when not converting */
	const char *what;
};

void ApplyErrorCallback(void *arg)
{
	ApplyErrorContext *c = (ApplyErrorContext *) arg;
	if (c->column >= 0)
		errcontext("synchdb: %s, column \"%s\" of %s", c->what,
		           NameStr(TupleDescAttr(RelationGetDescr(c->rs->rel), c->rs->attnums[c->column] - 1)->attname),
		           c->rs->name);
	else
		errcontext("synchdb: %s, table %s", c->what, c->rs->name);
}

ApplyErrorContext *current_apply_context = nullptr;

/* Fill a virtual slot from one row image; columns not replicated stay NULL (defaults do not apply to UPDATE). */
void FillSlotC(RelState *rs, const RowData *row, TupleTableSlot *slot)
{
	ExecClearTuple(slot);
	int natts = slot->tts_tupleDescriptor->natts;
	for (int a = 0; a < natts; a++) {
		slot->tts_values[a] = (Datum) 0;
		slot->tts_isnull[a] = true;
	}
	for (int i = 0; i < rs->ncols; i++) {
		int a = rs->attnums[i] - 1;
		if (row->IsNull(i))
			continue;
		const RowData::Field &f = row->fields[i];
		const char *p = row->buf.data() + f.offset;
		if (memchr(p, '\0', f.length))
			ereport(ERROR, (errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			                errmsg("value of column \"%s\" of %s contains a NUL byte, which PostgreSQL cannot store",
			                       NameStr(TupleDescAttr(slot->tts_tupleDescriptor, a)->attname), rs->name),
			                errhint("Map the column to bytea, or remove the NUL bytes on the source.")));
		char *s = pnstrdup(p, f.length);
		if (current_apply_context)
			current_apply_context->column = i;
		slot->tts_values[a] = InputFunctionCall(&rs->infuncs[i], s, rs->ioparams[i], rs->typmods[i]);
		slot->tts_isnull[a] = false;
	}
	if (current_apply_context)
		current_apply_context->column = -1;
	ExecStoreVirtualTuple(slot);
}

/* A readable key of a row for messages: first columns of the before image. */
char *DescribeRowC(RelState *rs, const RowData *row)
{
	StringInfoData buf;
	initStringInfo(&buf);
	TupleDesc desc = RelationGetDescr(rs->rel);
	for (int i = 0; i < rs->ncols && i < 4; i++) {
		appendStringInfo(&buf, "%s%s=", i ? ", " : "", NameStr(TupleDescAttr(desc, rs->attnums[i] - 1)->attname));
		if (row->IsNull(i))
			appendStringInfoString(&buf, "NULL");
		else
			appendBinaryStringInfo(&buf, row->buf.data() + row->fields[i].offset, Min(row->fields[i].length, 64));
	}
	return buf.data;
}

bool FindOldC(RelState *rs, const RowData *before)
{
	FillSlotC(rs, before, rs->oldslot);
	if (OidIsValid(rs->pkidx))
		return RelationFindReplTupleByIndex(rs->rel, rs->pkidx, LockTupleExclusive, rs->oldslot, rs->foundslot);
	return RelationFindReplTupleSeq(rs->rel, LockTupleExclusive, rs->oldslot, rs->foundslot);
}

void ApplyChangeC(RelState *rs, const Msg *m)
{
	ApplyErrorContext ctx = {rs, -1,
	                         m->kind == ChangeKind::Insert   ? "applying an INSERT"
	                         : m->kind == ChangeKind::Update ? "applying an UPDATE"
	                                                         : "applying a DELETE"};
	ErrorContextCallback cb;
	cb.callback = ApplyErrorCallback;
	cb.arg = &ctx;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	current_apply_context = &ctx;
	MemoryContext old = MemoryContextSwitchTo(ApplyContext());
	PushActiveSnapshot(GetTransactionSnapshot());
	rs->estate->es_output_cid = GetCurrentCommandId(true);
	switch (m->kind) {
	case ChangeKind::Insert:
		FillSlotC(rs, &m->after, rs->newslot);
		ExecSimpleRelationInsert(rs->rri, rs->estate, rs->newslot);
		break;
	case ChangeKind::Update:
		if (!FindOldC(rs, &m->before))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("row to update not found in %s", rs->name),
			                errdetail("Source row: %s.", DescribeRowC(rs, &m->before)),
			                errhint("The destination table differs from the source; restart the connector with "
			                        "snapshot mode 'always' to copy it again.")));
		FillSlotC(rs, &m->after, rs->newslot);
		EvalPlanQualSetSlot(&rs->epq, rs->newslot);
		ExecSimpleRelationUpdate(rs->rri, rs->estate, &rs->epq, rs->foundslot, rs->newslot);
		break;
	case ChangeKind::Delete:
		if (!FindOldC(rs, &m->before))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("row to delete not found in %s", rs->name),
			                errdetail("Source row: %s.", DescribeRowC(rs, &m->before)),
			                errhint("The destination table differs from the source; restart the connector with "
			                        "snapshot mode 'always' to copy it again.")));
		EvalPlanQualSetSlot(&rs->epq, rs->foundslot);
		ExecSimpleRelationDelete(rs->rri, rs->estate, &rs->epq, rs->foundslot);
		break;
	case ChangeKind::Truncate:
		break; /* handled by the caller through SQL */
	}
	PopActiveSnapshot();
	CommandCounterIncrement();
	MemoryContextSwitchTo(old);
	MemoryContextReset(ApplyContext());
	error_context_stack = cb.previous;
	current_apply_context = nullptr;
}

/* ---------------------------------------------------------------- COPY */

/*
 * COPY pulls snapshot data through a callback without a context argument,
 * so the feed being read is a file-level pointer, set only while CopyFrom
 * runs.
 */
struct CopyFeed {
	MsgSource *source;
	int table;
	const std::string *chunk; /* current CopyData text */
	size_t offset;
	bool eof;
	bool failed;
	bool source_lost;
	char message[1024];
};
CopyFeed *current_feed = nullptr;

/* Fetch more input; C++ part, no PostgreSQL calls. Returns bytes copied. */
int FeedRead(CopyFeed *f, char *out, int maxread) noexcept
{
	for (;;) {
		if (f->chunk && f->offset < f->chunk->size()) {
			size_t n = std::min<size_t>(maxread, f->chunk->size() - f->offset);
			memcpy(out, f->chunk->data() + f->offset, n);
			f->offset += n;
			return static_cast<int>(n);
		}
		f->chunk = nullptr;
		const Msg *m = f->source->Next(std::chrono::milliseconds(100));
		if (!m)
			return 0; /* nothing yet: the caller checks interrupts and calls again */
		if (m->type == MsgType::CopyData && m->table == f->table) {
			f->chunk = &m->text;
			f->offset = 0;
			continue;
		}
		if (m->type == MsgType::CopyEnd && m->table == f->table) {
			f->eof = true;
			return 0;
		}
		f->failed = true;
		f->source_lost = m->type == MsgType::SourceLost;
		snprintf(f->message, sizeof(f->message), "%s",
		         m->type == MsgType::Error || m->type == MsgType::SourceLost
		             ? m->text.c_str()
		             : "unexpected message in the snapshot stream");
		return 0;
	}
}

extern "C" int synchdb_copy_read(void *outbuf, int minread, int maxread)
{
	CopyFeed *f = current_feed;
	int total = 0;
	while (total < minread) {
		int n = FeedRead(f, (char *) outbuf + total, maxread - total);
		total += n;
		if (f->failed)
			ereport(ERROR, (errcode(f->source_lost ? ERRCODE_CONNECTION_FAILURE : ERRCODE_DATA_EXCEPTION),
			                errmsg("%s", f->message)));
		if (f->eof)
			break;
		if (n == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return total;
}

uint64 CopyTableC(Oid relid, List *attnames, CopyFeed *feed)
{
	Relation rel = table_open(relid, RowExclusiveLock);
	ParseState *pstate = make_parsestate(NULL);
	(void) addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	PushActiveSnapshot(GetTransactionSnapshot());
	current_feed = feed;
	CopyFromState cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, synchdb_copy_read, attnames, NIL);
	uint64 n = CopyFrom(cstate);
	EndCopyFrom(cstate);
	current_feed = NULL;
	PopActiveSnapshot();
	table_close(rel, NoLock);
	return n;
}

}  // namespace

/* ---------------------------------------------------------------- Applier */

Applier::Applier(std::string defdb, std::string connector, std::string incarnation)
	: defdb_(std::move(defdb)), connector_(std::move(connector)), incarnation_(std::move(incarnation))
{
}

Applier::~Applier() = default;

void Applier::Prepare()
{
	PgCall([] {
		SetConfigOption("session_replication_role", "replica", PGC_SUSET, PGC_S_OVERRIDE);
		/*
		 * As PostgreSQL's subscriptions do by default: the position commits
		 * in the same transaction as the rows, so a commit lost in a crash
		 * loses its position too and is replayed from the source.
		 */
		SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
	});
	{
		Spi spi;
		spi.Exec("SELECT pg_advisory_xact_lock(hashtext('synchdb metadata'))");
		spi.Exec("CREATE SCHEMA IF NOT EXISTS _synchdb");
		spi.Exec("CREATE TABLE IF NOT EXISTS _synchdb.offsets ("
		         " dbname text NOT NULL, connector text NOT NULL, incarnation text NOT NULL,"
		         " file text NOT NULL, pos bigint NOT NULL, gtid text, server_id bigint, ts_sec bigint,"
		         " snapshot_done boolean NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),"
		         " PRIMARY KEY (dbname, connector))");
		/* Schema history: the source definitions current at the stored position. */
		spi.Exec("ALTER TABLE _synchdb.offsets ADD COLUMN IF NOT EXISTS tables text");
	}
	PgCall([] {
		PopActiveSnapshot();
		CommitTransactionCommand();
	});
}

StoredOffset Applier::LoadOffset()
{
	StoredOffset off;
	PgCall([] {
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
	});
	{
		Spi spi;
		if (spi.Exec("SELECT file, pos, coalesce(gtid, ''), coalesce(server_id, 0), coalesce(ts_sec, 0), snapshot_done, "
		             "coalesce(tables, '') "
		             "FROM _synchdb.offsets WHERE dbname = $1 AND connector = $2 AND incarnation = $3",
		             {defdb_, connector_, incarnation_}, true) > 0) {
			off.exists = true;
			off.pos.file = spi.Value(0, 0).value_or("");
			off.pos.pos = std::stoull(spi.Value(0, 1).value_or("0"));
			off.pos.gtid = spi.Value(0, 2).value_or("");
			off.pos.server_id = static_cast<uint32_t>(std::stoul(spi.Value(0, 3).value_or("0")));
			off.pos.ts_sec = static_cast<uint32_t>(std::stoul(spi.Value(0, 4).value_or("0")));
			off.snapshot_done = spi.Value(0, 5).value_or("f") == "t";
			off.tables_json = spi.Value(0, 6).value_or("");
		}
	}
	PgCall([] {
		PopActiveSnapshot();
		CommitTransactionCommand();
	});
	snapshot_done_ = off.snapshot_done;
	return off;
}

void Applier::BeginTxn()
{
	if (InTxn())
		return;
	PgCall([] {
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
	});
	changes_in_txn_ = 0;
}

bool Applier::InTxn() const
{
	return IsTransactionState();
}

void Applier::DefineTables(std::shared_ptr<const TableSet> tables, bool truncate)
{
	tables_ = std::move(tables);
	tables_dirty_ = true;
	BeginTxn();
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	{
		Spi spi;
		/* Connectors replicating into the same schema must not race on CREATE ... IF NOT EXISTS. */
		for (const TableInfo &t : *tables_)
			spi.Exec("SELECT pg_advisory_xact_lock(hashtext('synchdb schema ' || $1))", {t.pg_schema});
		for (const TableInfo &t : *tables_) {
			spi.Exec("CREATE SCHEMA IF NOT EXISTS " + QuotePgIdent(t.pg_schema));
			const std::string sql = CreateTableSql(t);
			spi.Exec(sql);
			if (truncate)
				spi.Exec("TRUNCATE " + t.QualifiedPgName());
		}
	}
	PgCall([] { PopActiveSnapshot(); });
	ResolveTables();
}

void Applier::ApplySchemaChange(const Msg &m)
{
	BeginTxn();
	CloseRels();
	changes_in_txn_++;
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	{
		Spi spi;
		for (const std::string &sql : m.sql)
			spi.Exec(sql);
	}
	PgCall([] { PopActiveSnapshot(); });
	tables_ = m.tables;
	tables_dirty_ = true;
	ResolveTables();
	stats_.ddls++;
}

void Applier::ResolveTables()
{
	relids_.clear();
	for (const TableInfo &t : *tables_) {
		const char *schema = t.pg_schema.c_str();
		const char *table = t.pg_table.c_str();
		Oid relid = PgCall([&] { return RangeVarGetRelid(makeRangeVar((char *) schema, (char *) table, -1), NoLock, false); });
		relids_.push_back(relid);
	}
	rels_.assign(tables_->size(), nullptr);
}

Applier::RelState *Applier::OpenRel(int table)
{
	if (rels_[table])
		return rels_[table];
	const TableInfo &t = (*tables_)[table];
	std::vector<const char *> names;
	for (const auto &c : t.pg_columns)
		names.push_back(c.c_str());
	std::string qname = t.QualifiedPgName();
	RelState *rs = PgCall([&] { return (RelState *) MemoryContextAllocZero(TopTransactionContext, sizeof(RelState)); });
	Oid relid = relids_[table];
	const char *const *np = names.data();
	int n = static_cast<int>(names.size());
	const char *qn = qname.c_str();
	PgCall([&] { OpenRelC(relid, np, n, qn, rs); });
	rels_[table] = rs;
	return rs;
}

void Applier::CloseRels()
{
	for (auto &rs : rels_) {
		if (rs) {
			RelState *r = rs;
			PgCall([&] { CloseRelC(r); });
			rs = nullptr;
		}
	}
}

uint64_t Applier::CopyTable(int table, MsgSource &source)
{
	BeginTxn();
	const TableInfo &t = (*tables_)[table];
	std::vector<const char *> names;
	for (const auto &c : t.pg_columns)
		names.push_back(c.c_str());
	const char *const *np = names.data();
	const size_t n = names.size();
	CopyFeed feed{};
	feed.source = &source;
	feed.table = table;
	CopyFeed *fp = &feed;
	Oid relid = relids_[table];
	uint64_t rows = 0;
	try {
		rows = PgCall([&] {
			List *attnames = NIL;
			for (size_t i = 0; i < n; i++)
				attnames = lappend(attnames, makeString(pstrdup(np[i])));
			return CopyTableC(relid, attnames, fp);
		});
	} catch (...) {
		current_feed = nullptr;
		throw;
	}
	stats_.snapshot_rows += rows;
	return rows;
}

void Applier::Apply(const Msg &m)
{
	BeginTxn();
	changes_in_txn_++;
	if (m.kind == ChangeKind::Truncate) {
		const TableInfo &t = (*tables_)[m.table];
		CloseRels(); /* TRUNCATE needs the relation closed by us */
		PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
		{
			Spi spi;
			spi.Exec("TRUNCATE " + t.QualifiedPgName());
		}
		PgCall([] {
			PopActiveSnapshot();
			CommandCounterIncrement();
		});
		stats_.truncates++;
		return;
	}
	RelState *rs = OpenRel(m.table);
	const Msg *mp = &m;
	PgCall([&] { ApplyChangeC(rs, mp); });
	switch (m.kind) {
	case ChangeKind::Insert: stats_.inserts++; break;
	case ChangeKind::Update: stats_.updates++; break;
	case ChangeKind::Delete: stats_.deletes++; break;
	default: break;
	}
}

void Applier::Commit(const SourcePosition &pos, bool snapshot_done)
{
	BeginTxn();
	CloseRels();
	if (snapshot_done)
		snapshot_done_ = true;
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	{
		Spi spi;
		SpiParam tables;
		if (tables_dirty_ && tables_) {
			std::vector<mysql::SourceTable> sources;
			for (const TableInfo &t : *tables_)
				sources.push_back(t.source);
			tables = mysql::TablesToJson(sources);
		}
		spi.Exec("INSERT INTO _synchdb.offsets AS o (dbname, connector, incarnation, file, pos, gtid, server_id, ts_sec, "
		         "snapshot_done, tables) VALUES ($1, $2, $3, $4, $5::bigint, nullif($6, ''), $7::bigint, $8::bigint, "
		         "$9::boolean, $10) "
		         "ON CONFLICT (dbname, connector) DO UPDATE SET incarnation = excluded.incarnation, file = excluded.file, "
		         "pos = excluded.pos, gtid = coalesce(excluded.gtid, o.gtid), server_id = excluded.server_id, "
		         "ts_sec = excluded.ts_sec, snapshot_done = excluded.snapshot_done, "
		         "tables = coalesce(excluded.tables, o.tables), updated_at = now()",
		         {defdb_, connector_, incarnation_, pos.file, std::to_string(pos.pos), pos.gtid,
		          std::to_string(pos.server_id), std::to_string(pos.ts_sec),
		          std::string(snapshot_done_ ? "true" : "false"), tables});
	}
	PgCall([] {
		PopActiveSnapshot();
		CommitTransactionCommand();
	});
	stats_.txns++;
	changes_in_txn_ = 0;
	tables_dirty_ = false;
}

void Applier::Abort()
{
	rels_.assign(rels_.size(), nullptr); /* released by the abort */
	current_feed = nullptr;
	current_apply_context = nullptr;
	PgCall([] { AbortCurrentTransaction(); });
	changes_in_txn_ = 0;
}

}  // namespace synchdb::pg
