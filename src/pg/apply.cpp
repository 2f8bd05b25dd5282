/*
 * apply.cpp
 *     Executor-level apply, COPY-based snapshot load, offsets.
 *
 * NOTES
 *   The functions named *C below are plain C-style code: they make
 *   PostgreSQL calls that may ereport(ERROR), hold no C++ objects with
 *   destructors, and are called through PgCall from the C++ methods.
 */
#include "core/binarycopy.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/copytext.hpp"
#include "core/schema_change.hpp"
#include "core/pgtypes.hpp"
#include "core/pgvalue.hpp"
#include "pg/apply.hpp"
#include "pg/guard.hpp"
#include "pg/guc.hpp"
#include "pg/session.hpp"
#include "pg/spi.hpp"
#include "pg/transform.hpp"
#include "pg/usercontext.hpp"

#include <charconv>
#include <cstring>
#include <map>
#include <set>

extern "C" {
#include "access/genam.h"
#include "catalog/pg_type.h"
#include "commands/copy.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "utils/date.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
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
	uint8 *fast;         /* per source column: FastKind, how FillSlotC reads the text without the input function */
	bool *keycols;       /* per source column: part of the primary key (pkidx) */
	const char *name;    /* "schema"."table" for messages */
	/* Transform expressions (nullptr when the table has none). */
	const PreparedTransform *const *xfs; /* per source column, nullptr: none */
	ExprState **xstates;
	ParamListInfo xparams;
	ExprContext *xecontext;
	/* Consecutive INSERTs buffered for table_multi_insert (plain tables without triggers). */
	bool can_batch;
	TupleTableSlot **batch; /* kBatchRows slots, created as needed */
	int nbatch;
	size_t batch_bytes;
	/* The table's owner when it is not the connector's: its apply runs as that role (usercontext.hpp). */
	Oid run_as;
};

constexpr int kBatchRows = 1000;
constexpr size_t kBatchBytes = 1024 * 1024;

namespace {

using RelState = Applier::RelState;

/*
 * Built-in destination types whose canonical input text FillSlotC reads
 * itself (core/pgvalue.hpp); any other spelling still goes to the input
 * function, which gives the same value or the error.  Chosen per column
 * from the attribute's type (not a domain over it) when the column has no
 * transform.
 */
enum FastKind : uint8 {
	kFastNone,
	kFastInt2,
	kFastInt4,
	kFastInt8,
	kFastFloat4,
	kFastFloat8,
	kFastBool,
	kFastDate,
	kFastTime,
	kFastTimestamp,
	kFastTimestamptz,
	kFastText,    /* text, varchar, bpchar without a length */
	kFastVarchar, /* varchar(n) */
	kFastBpchar,  /* char(n) */
	kFastBytea,
};

uint8 FastKindOf(Oid type, int32 typmod)
{
	switch (type) {
	case INT2OID:
		return kFastInt2;
	case INT4OID:
		return kFastInt4;
	case INT8OID:
		return kFastInt8;
	case FLOAT4OID:
		return kFastFloat4;
	case FLOAT8OID:
		return kFastFloat8;
	case BOOLOID:
		return kFastBool;
	case DATEOID:
		return kFastDate;
	case TIMEOID:
		return kFastTime;
	case TIMESTAMPOID:
		return kFastTimestamp;
	case TIMESTAMPTZOID:
		return kFastTimestamptz;
	case TEXTOID:
		return kFastText;
	case VARCHAROID:
		return typmod < (int32) VARHDRSZ ? kFastText : kFastVarchar;
	case BPCHAROID:
		return typmod < (int32) VARHDRSZ ? kFastText : kFastBpchar;
	case BYTEAOID:
		return kFastBytea;
	default:
		return kFastNone;
	}
}

/* How the reader may send a column of this type in binary COPY rows (core/binarycopy.hpp). */
binarycopy::Kind BinaryKindOf(Oid type)
{
	using binarycopy::Kind;
	switch (type) {
	case INT2OID: return Kind::Int2;
	case INT4OID: return Kind::Int4;
	case INT8OID: return Kind::Int8;
	case FLOAT4OID: return Kind::Float4;
	case FLOAT8OID: return Kind::Float8;
	case BOOLOID: return Kind::Bool;
	case NUMERICOID: return Kind::Numeric;
	case DATEOID: return Kind::Date;
	case TIMEOID: return Kind::Time;
	case TIMESTAMPOID: return Kind::Timestamp;
	case TIMESTAMPTZOID: return Kind::Timestamptz;
	case TEXTOID:
	case VARCHAROID:
	case BPCHAROID:
	case JSONOID: return Kind::Text;
	case BYTEAOID: return Kind::Bytea;
	case JSONBOID: return Kind::Jsonb;
	case BITOID:
	case VARBITOID: return Kind::Bit;
	default: return Kind::None;
	}
}

/* Per source column of a table, the binary kind of the destination column it fills; empty if any has none. */
void DestinationKindsC(Oid relid, const char *const *colnames, int ncols, binarycopy::Kind *kinds)
{
	for (int i = 0; i < ncols; i++) {
		AttrNumber att = get_attnum(relid, colnames[i]);
		kinds[i] = binarycopy::Kind::None;
		if (att == InvalidAttrNumber)
			continue; /* COPY names the missing column */
		Oid type;
		int32 typmod;
		Oid coll;
		get_atttypetypmodcoll(relid, att, &type, &typmod, &coll);
		kinds[i] = BinaryKindOf(type);
	}
}

/* A text datum of len bytes, padded with spaces to padded bytes. */
Datum TextDatum(const char *p, int len, int padded)
{
	text *t = (text *) palloc(VARHDRSZ + padded);
	SET_VARSIZE(t, VARHDRSZ + padded);
	memcpy(VARDATA(t), p, len);
	if (padded > len)
		memset(VARDATA(t) + len, ' ', padded - len);
	return PointerGetDatum(t);
}

/*
 * The value of column i from its input text when it has the canonical
 * form of a fast kind, exactly as the input function would read it (with
 * the column's typmod); false: call the input function.
 */
bool FastValueC(const RelState *rs, int i, const char *p, int len, Datum *value)
{
	std::string_view s(p, len);
	int32 typmod = rs->typmods[i];
	int precision = typmod < 0 ? -1 : typmod;
	int64_t iv;
	switch (rs->fast[i]) {
	case kFastInt2:
		if (!pgvalue::ReadInt(s, PG_INT16_MIN, PG_INT16_MAX, iv))
			return false;
		*value = Int16GetDatum((int16) iv);
		return true;
	case kFastInt4:
		if (!pgvalue::ReadInt(s, PG_INT32_MIN, PG_INT32_MAX, iv))
			return false;
		*value = Int32GetDatum((int32) iv);
		return true;
	case kFastInt8:
		if (!pgvalue::ReadInt(s, PG_INT64_MIN, PG_INT64_MAX, iv))
			return false;
		*value = Int64GetDatum(iv);
		return true;
	case kFastFloat4: {
		float f;
		if (!pgvalue::ReadFloat4(s, f))
			return false;
		*value = Float4GetDatum(f);
		return true;
	}
	case kFastFloat8: {
		double d;
		if (!pgvalue::ReadFloat8(s, d))
			return false;
		*value = Float8GetDatum(d);
		return true;
	}
	case kFastBool: {
		bool b;
		if (!pgvalue::ReadBool(s, b))
			return false;
		*value = BoolGetDatum(b);
		return true;
	}
	case kFastDate: {
		int32_t days;
		if (!pgvalue::ReadDate(s, days))
			return false;
		*value = DateADTGetDatum(days);
		return true;
	}
	case kFastTime:
		if (!pgvalue::ReadTime(s, precision, iv))
			return false;
		*value = TimeADTGetDatum(iv);
		return true;
	case kFastTimestamp:
		if (!pgvalue::ReadTimestamp(s, precision, false, iv))
			return false;
		*value = TimestampGetDatum(iv);
		return true;
	case kFastTimestamptz:
		if (!pgvalue::ReadTimestamp(s, precision, true, iv))
			return false;
		*value = TimestampTzGetDatum(iv);
		return true;
	case kFastText:
		*value = TextDatum(p, len, len);
		return true;
	case kFastVarchar:
		if (len > typmod - (int32) VARHDRSZ)
			return false; /* may be too long in characters: varchar_input decides */
		*value = TextDatum(p, len, len);
		return true;
	case kFastBpchar: {
		int maxlen = typmod - (int32) VARHDRSZ;
		if (len > maxlen || !pgvalue::IsAscii(s))
			return false; /* bpchar_input counts characters, trims or refuses */
		*value = TextDatum(p, len, maxlen);
		return true;
	}
	case kFastBytea: {
		int64_t n = pgvalue::ByteaHexLength(s);
		if (n < 0)
			return false;
		bytea *b = (bytea *) palloc(VARHDRSZ + n);
		SET_VARSIZE(b, VARHDRSZ + n);
		pgvalue::DecodeByteaHex(s, VARDATA(b));
		*value = PointerGetDatum(b);
		return true;
	}
	default:
		return false;
	}
}

MemoryContext ApplyContext()
{
	static MemoryContext ctx = nullptr;
	if (!ctx)
		ctx = AllocSetContextCreate(TopMemoryContext, "synchdb apply", ALLOCSET_DEFAULT_SIZES);
	return ctx;
}

/*
 * What the role applying into rel (the current user: the connector's owner,
 * or the table's owner it switched to) must be allowed: INSERT, UPDATE,
 * DELETE, without row-level security in the way (the executor helpers do
 * not apply policies, so a table under row-level security for that role is
 * refused, as PostgreSQL's subscriptions do).  switched: the apply runs as
 * the table's owner; a deferrable trigger would fire at commit, outside
 * that role, so it is refused.
 */
void CheckApplyTargetC(Relation rel, const char *name, bool switched)
{
	const Oid user = GetUserId();
	const AclMode want = ACL_INSERT | ACL_UPDATE | ACL_DELETE;
	const AclMode have = pg_class_aclmask(RelationGetRelid(rel), user, want, ACLMASK_ALL);
	if (have != want)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("role \"%s\" may not apply changes to table %s: it lacks%s%s%s on it",
		                       GetUserNameFromId(user, false), name, (have & ACL_INSERT) ? "" : " INSERT",
		                       (have & ACL_UPDATE) ? "" : " UPDATE", (have & ACL_DELETE) ? "" : " DELETE"),
		                errdetail("A connector applies as its owner, or as the owner of a table owned by another role."),
		                errhint("GRANT INSERT, UPDATE, DELETE ON %s TO \"%s\".", name, GetUserNameFromId(user, false))));
	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("role \"%s\" cannot apply changes to table %s: row-level security is enabled for it",
		                       GetUserNameFromId(user, false), name),
		                errhint("Disable row-level security on the table, or let the table's owner (without FORCE ROW "
		                        "LEVEL SECURITY) or a role with BYPASSRLS own the connector.")));
	if (switched && rel->trigdesc)
		for (int i = 0; i < rel->trigdesc->numtriggers; i++) {
			const Trigger *tg = &rel->trigdesc->triggers[i];
			if (tg->tgdeferrable && !tg->tgisinternal && tg->tgenabled != TRIGGER_DISABLED &&
			    tg->tgenabled != TRIGGER_FIRES_ON_ORIGIN)
				ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				                errmsg("cannot apply changes to table %s: its deferrable trigger \"%s\" would fire at "
				                       "commit as the connector's owner instead of the table's owner",
				                       name, tg->tgname),
				                errhint("Make the trigger NOT DEFERRABLE, or give the table to the connector's owner "
				                        "(ALTER TABLE %s OWNER TO ...).",
				                        name)));
		}
}

/* Open a relation with an executor state, as the logical replication worker does. */
void OpenRelC(Oid relid, const char *const *colnames, int ncols, const char *name, const PreparedTransform *const *xfs,
              RelState *rs)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	rs->rel = table_open(relid, RowExclusiveLock);
	rs->name = pstrdup(name);
	CheckApplyTargetC(rs->rel, rs->name, OidIsValid(rs->run_as));
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
	/*
	 * Inserts can be buffered and written with table_multi_insert, as COPY
	 * does, unless something must see each row as it is inserted: row
	 * triggers (ENABLE ALWAYS/REPLICA ones fire even for replicated rows),
	 * partitions and partitioned tables, stored generated columns.
	 */
	rs->can_batch = rs->rel->rd_rel->relkind == RELKIND_RELATION && !rs->rel->rd_rel->relispartition &&
	                rs->rel->trigdesc == NULL &&
	                !(rs->rel->rd_att->constr && rs->rel->rd_att->constr->has_generated_stored);
	rs->batch = (TupleTableSlot **) palloc0(sizeof(TupleTableSlot *) * kBatchRows);
	rs->nbatch = 0;
	rs->batch_bytes = 0;

	rs->ncols = ncols;
	rs->attnums = (AttrNumber *) palloc(sizeof(AttrNumber) * ncols);
	rs->infuncs = (FmgrInfo *) palloc(sizeof(FmgrInfo) * ncols);
	rs->ioparams = (Oid *) palloc(sizeof(Oid) * ncols);
	rs->typmods = (int32 *) palloc(sizeof(int32) * ncols);
	rs->fast = (uint8 *) palloc0(sizeof(uint8) * ncols);
	for (int i = 0; i < ncols; i++) {
		AttrNumber att = get_attnum(relid, colnames[i]);
		if (att == InvalidAttrNumber)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
			                errmsg("destination table %s has no column \"%s\"", name, colnames[i]),
			                errhint("Add the column, or drop the table and restart the connector with snapshot mode "
			                        "'always'.")));
		rs->attnums[i] = att;
		Form_pg_attribute attr = TupleDescAttr(desc, att - 1);
		Oid intype = attr->atttypid;
		int32 intypmod = attr->atttypmod;
		if (xfs && xfs[i]) {
			/* The value arrives in the transform's input type; the expression makes the column's. */
			intype = xfs[i]->intype;
			intypmod = xfs[i]->intypmod;
		}
		Oid infunc;
		getTypeInputInfo(intype, &infunc, &rs->ioparams[i]);
		fmgr_info_cxt(infunc, &rs->infuncs[i], TopTransactionContext);
		rs->typmods[i] = intypmod;
		if (!(xfs && xfs[i]))
			rs->fast[i] = FastKindOf(intype, intypmod);
	}
	/* The primary key's columns: all an index lookup of the old row reads (build_replindex_scan_key). */
	rs->keycols = (bool *) palloc0(sizeof(bool) * ncols);
	if (OidIsValid(rs->pkidx)) {
		Relation idx = index_open(rs->pkidx, AccessShareLock);
		for (int k = 0; k < IndexRelationGetNumberOfKeyAttributes(idx); k++)
			for (int i = 0; i < ncols; i++)
				if (rs->attnums[i] == idx->rd_index->indkey.values[k])
					rs->keycols[i] = true;
		index_close(idx, AccessShareLock);
	}
	rs->xfs = xfs;
	if (xfs) {
		/* Instantiated once per transaction; evaluated per value with $1..$3 as parameters. */
		rs->xstates = (ExprState **) palloc0(sizeof(ExprState *) * ncols);
		for (int i = 0; i < ncols; i++)
			if (xfs[i])
				rs->xstates[i] = ExecInitExpr(xfs[i]->expr, NULL);
		rs->xparams = makeParamList(3);
		rs->xparams->numParams = 3;
		rs->xecontext = CreateExprContext(rs->estate);
		rs->xecontext->ecxt_param_list_info = rs->xparams;
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
	bool in_transform; /* evaluating the column's transform expression */
	const char *where; /* the value's position in the source */
};

void ApplyErrorCallback(void *arg)
{
	ApplyErrorContext *c = (ApplyErrorContext *) arg;
	if (c->column >= 0 && c->in_transform)
		errcontext("synchdb: %s, transform expression of column \"%s\" of %s (%s), value %s", c->what,
		           NameStr(TupleDescAttr(RelationGetDescr(c->rs->rel), c->rs->attnums[c->column] - 1)->attname),
		           c->rs->name, c->rs->xfs[c->column]->origin,
		           c->where && c->where[0] ? c->where : "in the first source transaction");
	else if (c->column >= 0)
		errcontext("synchdb: %s, column \"%s\" of %s, value %s", c->what,
		           NameStr(TupleDescAttr(RelationGetDescr(c->rs->rel), c->rs->attnums[c->column] - 1)->attname),
		           c->rs->name, c->where && c->where[0] ? c->where : "in the first source transaction");
	else
		errcontext("synchdb: %s, table %s%s%s", c->what, c->rs->name, c->where && c->where[0] ? ", " : "",
		           c->where ? c->where : "");
}

/* Report ctx in errors raised until error_context_stack is set back to cb->previous. */
void PushApplyErrorContext(ErrorContextCallback *cb, ApplyErrorContext *ctx)
{
	cb->callback = ApplyErrorCallback;
	cb->arg = ctx;
	cb->previous = error_context_stack;
	error_context_stack = cb;
}

/* Scratch for a geometry's transform parameters; static, so no C++ object lives on a frame that may longjmp. */
std::string xf_wkb_base64;

/* Hex EWKB text -> base64 WKB in xf_wkb_base64 and the SRID; false if the text is not EWKB. No PostgreSQL calls. */
bool SpatialParams(const char *p, size_t n, uint32_t *srid) noexcept
{
	try {
		std::string wkb;
		if (!SplitEwkbHex(std::string_view(p, n), wkb, *srid))
			return false;
		xf_wkb_base64.clear();
		AppendBase64(xf_wkb_base64, wkb);
		return true;
	} catch (...) {
		return false;
	}
}

ApplyErrorContext *current_apply_context = nullptr;

/*
 * Fill a virtual slot from one row image; columns not replicated stay NULL
 * (defaults do not apply to UPDATE).  keys_only: only the primary key's
 * columns (an old row looked up by the key), the others stay NULL.
 */
void FillSlotC(RelState *rs, const RowData *row, TupleTableSlot *slot, bool keys_only = false)
{
	ExecClearTuple(slot);
	int natts = slot->tts_tupleDescriptor->natts;
	for (int a = 0; a < natts; a++) {
		slot->tts_values[a] = (Datum) 0;
		slot->tts_isnull[a] = true;
	}
	for (int i = 0; i < rs->ncols; i++) {
		int a = rs->attnums[i] - 1;
		if (keys_only && !rs->keycols[i])
			continue;
		const PreparedTransform *xf = rs->xfs ? rs->xfs[i] : NULL;
		if (row->IsUnchanged(i) || (row->IsNull(i) && !xf))
			continue; /* not sent: an update keeps the old value (UpdateKeepsUnchanged) */
		Datum value = (Datum) 0;
		bool isnull = row->IsNull(i);
		const char *p = NULL;
		int len = 0;
		if (current_apply_context)
			current_apply_context->column = i;
		if (!isnull) {
			const RowData::Field &f = row->fields[i];
			p = row->buf.data() + f.offset;
			len = f.length;
			if (memchr(p, '\0', len))
				ereport(ERROR, (errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				                errmsg("value of column \"%s\" of %s contains a NUL byte, which PostgreSQL cannot store",
				                       NameStr(TupleDescAttr(slot->tts_tupleDescriptor, a)->attname), rs->name),
				                errhint("Map the column to bytea, or remove the NUL bytes on the source.")));
			if (!rs->fast[i] || !FastValueC(rs, i, p, len, &value)) {
				char *s = pnstrdup(p, len);
				value = InputFunctionCall(&rs->infuncs[i], s, rs->ioparams[i], rs->typmods[i]);
			}
		}
		if (xf) {
			ParamExternData *prm = rs->xparams->params;
			prm[0].value = value;
			prm[0].isnull = isnull;
			prm[0].pflags = PARAM_FLAG_CONST;
			prm[0].ptype = xf->intype;
			prm[1].value = (Datum) 0;
			prm[1].isnull = true;
			prm[1].pflags = PARAM_FLAG_CONST;
			prm[1].ptype = TEXTOID;
			prm[2].value = (Datum) 0;
			prm[2].isnull = true;
			prm[2].pflags = PARAM_FLAG_CONST;
			prm[2].ptype = INT4OID;
			if (xf->spatial && !isnull) {
				uint32_t srid = 0;
				if (!SpatialParams(p, len, &srid))
					ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
					                errmsg("value of geometry column \"%s\" of %s is not a geometry synchdb can read",
					                       NameStr(TupleDescAttr(slot->tts_tupleDescriptor, a)->attname), rs->name)));
				prm[1].value = PointerGetDatum(cstring_to_text_with_len(xf_wkb_base64.data(), (int) xf_wkb_base64.size()));
				prm[1].isnull = false;
				prm[2].value = Int32GetDatum((int32) srid);
				prm[2].isnull = false;
			}
			if (current_apply_context)
				current_apply_context->in_transform = true;
			value = ExecEvalExpr(rs->xstates[i], rs->xecontext, &isnull);
			if (current_apply_context)
				current_apply_context->in_transform = false;
		}
		slot->tts_values[a] = value;
		slot->tts_isnull[a] = isnull;
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
		if (row->IsUnchanged(i))
			appendStringInfoString(&buf, "(not sent)");
		else if (row->IsNull(i))
			appendStringInfoString(&buf, "NULL");
		else
			appendBinaryStringInfo(&buf, row->buf.data() + row->fields[i].offset, Min(row->fields[i].length, 64));
	}
	return buf.data;
}

/* Columns the source did not send in an update's new image keep the found row's values. */
void KeepUnchangedC(RelState *rs, const RowData *after)
{
	if (!after->HasUnchanged())
		return;
	slot_getallattrs(rs->foundslot);
	for (int i = 0; i < rs->ncols && i < (int) after->fields.size(); i++) {
		if (!after->IsUnchanged(i))
			continue;
		int a = rs->attnums[i] - 1;
		rs->newslot->tts_values[a] = rs->foundslot->tts_values[a];
		rs->newslot->tts_isnull[a] = rs->foundslot->tts_isnull[a];
	}
}

bool FindOldC(RelState *rs, const RowData *before)
{
	if (!OidIsValid(rs->pkidx) && before->HasUnchanged())
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("cannot find the source row in %s: the table has no primary key and the source did not "
		                       "send every value of the old row",
		                       rs->name),
		                errdetail("Source row: %s.", DescribeRowC(rs, before)),
		                errhint("Give the source table a primary key, or REPLICA IDENTITY FULL without TOASTed values "
		                        "left unchanged.")));
	/* By the key: only its columns are converted; a sequential scan compares every column. */
	FillSlotC(rs, before, rs->oldslot, OidIsValid(rs->pkidx));
	if (OidIsValid(rs->pkidx))
		return RelationFindReplTupleByIndex(rs->rel, rs->pkidx, LockTupleExclusive, rs->oldslot, rs->foundslot);
	return RelationFindReplTupleSeq(rs->rel, LockTupleExclusive, rs->oldslot, rs->foundslot);
}

void ApplyChangeC(RelState *rs, const msg::Change *m, const char *where)
{
	ApplyErrorContext ctx = {rs, -1,
	                         m->kind == ChangeKind::Insert   ? "applying an INSERT"
	                         : m->kind == ChangeKind::Update ? "applying an UPDATE"
	                                                         : "applying a DELETE",
	                         false, where};
	ErrorContextCallback cb;
	PushApplyErrorContext(&cb, &ctx);
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
		KeepUnchangedC(rs, &m->after);
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

/* Write the buffered INSERTs of a relation: heap pages at once, then their index entries. */
void FlushInsertsC(RelState *rs, const char *where)
{
	if (rs->nbatch == 0)
		return;
	ApplyErrorContext ctx = {rs, -1, "applying INSERTs", false, where};
	ErrorContextCallback cb;
	PushApplyErrorContext(&cb, &ctx);
	PushActiveSnapshot(GetTransactionSnapshot());
	CommandId cid = GetCurrentCommandId(true);
	rs->estate->es_output_cid = cid;
	if (rs->rel->rd_att->constr)
		for (int i = 0; i < rs->nbatch; i++)
			ExecConstraints(rs->rri, rs->batch[i], rs->estate);
	/* heap_multi_insert allocates its arrays and toasted copies in the current context: use the per-tuple one. */
	MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(rs->estate));
	table_multi_insert(rs->rel, rs->batch, rs->nbatch, cid, 0, NULL);
	MemoryContextSwitchTo(old);
	ResetPerTupleExprContext(rs->estate);
	if (rs->rri->ri_NumIndices > 0) {
		for (int i = 0; i < rs->nbatch; i++) {
			List *recheck = ExecInsertIndexTuples(rs->rri, rs->batch[i], rs->estate, false, false, NULL, NIL);
			list_free(recheck);
			ResetPerTupleExprContext(rs->estate);
		}
	}
	for (int i = 0; i < rs->nbatch; i++)
		ExecClearTuple(rs->batch[i]);
	rs->nbatch = 0;
	rs->batch_bytes = 0;
	PopActiveSnapshot();
	CommandCounterIncrement();
	error_context_stack = cb.previous;
}

/* Convert one INSERT into the next buffered slot; flush when the buffer is full. */
void BufferInsertC(RelState *rs, const msg::Change *m, const char *where)
{
	ApplyErrorContext ctx = {rs, -1, "applying an INSERT", false, where};
	ErrorContextCallback cb;
	PushApplyErrorContext(&cb, &ctx);
	current_apply_context = &ctx;
	MemoryContext old = MemoryContextSwitchTo(ApplyContext());
	if (rs->xfs)
		PushActiveSnapshot(GetTransactionSnapshot()); /* transform expressions may run queries */
	FillSlotC(rs, &m->after, rs->newslot);
	if (rs->xfs)
		PopActiveSnapshot();
	MemoryContextSwitchTo(TopTransactionContext);
	if (!rs->batch[rs->nbatch])
		rs->batch[rs->nbatch] = table_slot_create(rs->rel, &rs->estate->es_tupleTable);
	ExecCopySlot(rs->batch[rs->nbatch], rs->newslot); /* materialized in the slot's own memory */
	rs->nbatch++;
	rs->batch_bytes += m->after.buf.size() + 64;
	MemoryContextSwitchTo(old);
	MemoryContextReset(ApplyContext());
	error_context_stack = cb.previous;
	current_apply_context = nullptr;
	if (rs->nbatch >= kBatchRows || rs->batch_bytes >= kBatchBytes)
		FlushInsertsC(rs, where);
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
	bool binary;              /* the format of the COPY running now */
	bool header_sent;         /* binary: the signature went out */
	const std::string *chunk; /* current CopyData text */
	size_t offset;
	const msg::CopyData *next; /* read, not yet fed: the first chunk of the next COPY (the other format) */
	bool eof;
	bool switched; /* this COPY ends at a chunk of the other format (next) */
	bool failed;
	bool source_lost;
	char message[1024];
};
CopyFeed *current_feed = nullptr;

int FeedReadOrThrow(CopyFeed *f, char *out, int maxread);

/*
 * Fetch more input; C++ part, no PostgreSQL calls. Returns bytes copied.
 * Called from COPY's C callback: an exception must not cross it, so any
 * failure becomes the feed's error, which the callback raises as an ERROR.
 */
int FeedRead(CopyFeed *f, char *out, int maxread) noexcept
{
	try {
		return FeedReadOrThrow(f, out, maxread);
	} catch (const std::exception &e) {
		f->failed = true;
		f->source_lost = false;
		snprintf(f->message, sizeof(f->message), "reading the snapshot rows failed: %s", e.what());
	} catch (...) {
		f->failed = true;
		f->source_lost = false;
		snprintf(f->message, sizeof(f->message), "reading the snapshot rows failed");
	}
	return 0;
}

int FeedReadOrThrow(CopyFeed *f, char *out, int maxread)
{
	if (f->eof)
		return 0;
	for (;;) {
		if (f->binary && !f->header_sent) {
			/* The signature a binary COPY starts with; the chunks carry rows only. */
			static std::string header;
			if (header.empty())
				binarycopy::AppendHeader(header);
			if (maxread < static_cast<int>(header.size()))
				return 0; /* not expected: COPY reads in 64 kB pieces */
			memcpy(out, header.data(), header.size());
			f->header_sent = true;
			return static_cast<int>(header.size());
		}
		if (f->chunk && f->offset < f->chunk->size()) {
			size_t n = std::min<size_t>(maxread, f->chunk->size() - f->offset);
			memcpy(out, f->chunk->data() + f->offset, n);
			f->offset += n;
			return static_cast<int>(n);
		}
		f->chunk = nullptr;
		if (f->switched || f->eof)
			return 0;
		const Msg *m = f->source->Next(std::chrono::milliseconds(100));
		if (!m)
			return 0; /* nothing yet: the caller checks interrupts and calls again */
		if (const auto *d = std::get_if<msg::CopyData>(m); d && d->table == f->table) {
			if (d->binary != f->binary) {
				/* Valid until the next Next(): the next COPY starts with it. */
				f->next = d;
				f->switched = true;
				return 0;
			}
			f->chunk = &d->text;
			f->offset = 0;
			continue;
		}
		/* The table's end, or a big row sent alone (an insert): this COPY ends, CopyTable reads it again. */
		const auto *e = std::get_if<msg::CopyEnd>(m);
		const auto *c = std::get_if<msg::Change>(m);
		if ((e && e->table == f->table) || (c && c->table == f->table && c->kind == ChangeKind::Insert)) {
			f->source->PutBack();
			f->eof = true;
			return 0;
		}
		f->failed = true;
		const auto *lost = std::get_if<msg::SourceLost>(m);
		const auto *failure = std::get_if<msg::Failure>(m);
		f->source_lost = lost != nullptr;
		snprintf(f->message, sizeof(f->message), "%s",
		         lost ? lost->text.c_str() : failure ? failure->text.c_str() : "unexpected message in the snapshot stream");
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
		if (f->eof || f->switched)
			break;
		if (n == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return total;
}

uint64 CopyTableC(Oid relid, List *attnames, CopyFeed *feed, const char *name, bool switched)
{
	List *options = NIL;
	if (feed->binary)
		options = list_make1(makeDefElem(pstrdup("format"), (Node *) makeString(pstrdup("binary")), -1));
	Relation rel = table_open(relid, RowExclusiveLock);
	CheckApplyTargetC(rel, name, switched);
	ParseState *pstate = make_parsestate(NULL);
	(void) addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	PushActiveSnapshot(GetTransactionSnapshot());
	current_feed = feed;
	CopyFromState cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, synchdb_copy_read, attnames, options);
	uint64 n = CopyFrom(cstate);
	EndCopyFrom(cstate);
	current_feed = NULL;
	PopActiveSnapshot();
	table_close(rel, NoLock);
	return n;
}

}  // namespace

/* ---------------------------------------------------------------- Applier */

namespace {

/* A position for messages. */
std::string Label(const Position &pos)
{
	return pos.label.empty() ? "source position " + pos.offset : pos.label;
}

}  // namespace

Applier::Applier(std::string defdb, std::string connector, std::string connector_type, std::string incarnation,
                 std::string legacy_incarnation)
	: defdb_(std::move(defdb)), connector_(std::move(connector)), connector_type_(std::move(connector_type)),
	  incarnation_(std::move(incarnation)), legacy_incarnation_(std::move(legacy_incarnation)),
	  transforms_(std::make_unique<Transforms>())
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
		/* synchdb's own schema and tables: created and owned by the bootstrap superuser. */
		AsSuperuser su;
		Spi spi;
		spi.Exec("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('synchdb metadata'))");
		CheckPrivateSchema();
		spi.Exec("CREATE SCHEMA IF NOT EXISTS _synchdb");
		spi.Exec("CREATE TABLE IF NOT EXISTS _synchdb.offsets ("
		         " dbname text NOT NULL, connector text NOT NULL, incarnation text NOT NULL,"
		         " position text, ts_usec bigint, snapshot_done boolean NOT NULL,"
		         " updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(), tables text,"
		         " PRIMARY KEY (dbname, connector))");
		/*
		 * An offsets table of synchdb 1.0 has binlog-shaped columns; its rows
		 * are MySQL positions.  They become the offset JSON the MySQL source
		 * reads, so those connectors keep their place.
		 */
		spi.Exec("ALTER TABLE _synchdb.offsets ADD COLUMN IF NOT EXISTS position text, "
		         "ADD COLUMN IF NOT EXISTS ts_usec bigint, ADD COLUMN IF NOT EXISTS tables text");
		if (spi.Exec("SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid OPERATOR(pg_catalog.=) "
		             "'_synchdb.offsets'::pg_catalog.regclass AND attname OPERATOR(pg_catalog.=) 'file' "
		             "AND NOT attisdropped",
		             {}, true) > 0) {
			spi.Exec("UPDATE _synchdb.offsets SET position = pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object("
			         "'ts_sec', coalesce(ts_sec, 0), 'file', file, 'pos', pos, 'row', 0, 'server_id', "
			         "coalesce(server_id, 0), 'event', 0, 'gtids', gtid))::text, "
			         "ts_usec = coalesce(ts_sec, 0) OPERATOR(pg_catalog.*) 1000000 "
			         "WHERE position IS NULL");
			spi.Exec("ALTER TABLE _synchdb.offsets DROP COLUMN file, DROP COLUMN pos, DROP COLUMN gtid, "
			         "DROP COLUMN server_id, DROP COLUMN ts_sec");
		}
		/* Changes skipped under synchdb.error_handling_strategy = skip (docs/sql-reference.md). */
		spi.Exec("CREATE TABLE IF NOT EXISTS _synchdb.dead_letters ("
		         " id bigserial PRIMARY KEY, dbname text NOT NULL, connector text NOT NULL,"
		         " position text NOT NULL, table_name text NOT NULL, operation text NOT NULL, row_data jsonb,"
		         " sqlstate text NOT NULL, message text NOT NULL,"
		         " failed_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp())");
		/*
		 * Column map (source -> destination): the extension's synchdb_attribute
		 * when synchdb is installed in this database, else a table of our own.
		 */
		if (spi.Exec("SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'synchdb'", {}, true) > 0)
			attr_table_ = ExtensionSchema() + ".synchdb_attribute";
		else {
			spi.Exec("CREATE TABLE IF NOT EXISTS _synchdb.attribute ("
			         " name text NOT NULL, dbname text NOT NULL, type text NOT NULL, attrelid oid NOT NULL,"
			         " attnum smallint NOT NULL, ext_tbname text NOT NULL, ext_attname text NOT NULL,"
			         " ext_atttypename text NOT NULL, mapped_typename text, transform text,"
			         " PRIMARY KEY (name, dbname, type, attrelid, attnum))");
			attr_table_ = "_synchdb.attribute";
		}
		EnsureOwnedTables(spi, attr_table_);
		CheckPrivateSchema(); /* what IF NOT EXISTS found in place */
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
		AsSuperuser su;
		Spi spi;
		if (spi.Exec("SELECT coalesce(position, ''), coalesce(ts_usec, 0), snapshot_done, coalesce(tables, ''), "
		             "incarnation OPERATOR(pg_catalog.=) $3 "
		             "FROM _synchdb.offsets WHERE dbname OPERATOR(pg_catalog.=) $1 "
		             "AND connector OPERATOR(pg_catalog.=) $2 AND incarnation OPERATOR(pg_catalog.=) ANY (ARRAY[$3, $4])",
		             {defdb_, connector_, incarnation_, legacy_incarnation_}, true) > 0) {
			off.exists = true;
			off.pos.offset = spi.Value(0, 0).value_or("");
			off.pos.ts_usec = std::stoull(spi.Value(0, 1).value_or("0"));
			off.pos.label = "source position " + off.pos.offset;
			off.snapshot_done = spi.Value(0, 2).value_or("f") == "t";
			off.history = spi.Value(0, 3).value_or("");
			where_ = "in the source transaction after " + off.pos.label;
			batch_where_ = "rows of the source transactions after " + off.pos.label;
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

void Applier::DefineTables(std::shared_ptr<const TableSet> tables, std::string history, bool truncate)
{
	tables_ = std::move(tables);
	history_ = std::move(history);
	tables_dirty_ = true;
	deferred_keys_.clear();
	copied_.assign(tables_->size(), false);
	group_max_tables_ = static_cast<size_t>(std::max(1, guc::snapshot_tables_per_txn));
	group_tables_ = 0;
	group_bytes_ = 0;
	BeginTxn();
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	/* The schemas of the tables, each once, in a fixed order. */
	std::vector<std::string> schemas;
	{
		std::set<std::string> seen;
		for (const TableInfo &t : *tables_)
			if (seen.insert(t.pg_schema).second)
				schemas.push_back(t.pg_schema);
	}
	/* Connectors replicating into the same schema must not race on CREATE ... IF NOT EXISTS. */
	auto lock_schemas = [&](Spi &spi) {
		for (const std::string &s : schemas)
			spi.Exec("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('synchdb schema ' OPERATOR(pg_catalog.||) $1))",
			         {s});
	};
	std::vector<OwnedTable> owned(tables_->size());
	{
		Spi spi;
		lock_schemas(spi);
		ReconcileDestination(spi);
		/*
		 * Every refusal before anything is created: the tables are created
		 * in groups, each committed (below), and a table synchdb may not
		 * empty must stop the snapshot before its first group.
		 */
		for (size_t i = 0; i < tables_->size(); i++) {
			const TableInfo &t = (*tables_)[i];
			owned[i] = LookUpOwnedTable(spi, t.QualifiedPgName());
			/* A table synchdb did not make (nor was told to adopt) is never emptied by a snapshot. */
			if (truncate && owned[i].exists && !owned[i].synchdbs)
				throw NotSynchdbsTable(t.QualifiedPgName(), "its initial snapshot would empty it");
		}
		for (const std::string &s : schemas)
			EnsureSchema(spi, QuotePgIdent(s));
	}
	for (size_t i = 0; i < tables_->size(); i++) {
		const TableInfo &t = (*tables_)[i];
		/*
		 * A table the snapshot creates gets its primary key after its rows:
		 * one sorted index build instead of a million index insertions.  So
		 * does a table of synchdb's left without its key by a snapshot that
		 * stopped between its creation and the end of its copy.
		 */
		const bool defer_key = truncate && !t.source.primary_key.empty() &&
		                       (!owned[i].exists || (owned[i].synchdbs && !owned[i].has_key));
		const std::string create = CreateTableSql(t, !defer_key);
		{
			Spi spi;
			/* Only when missing: CREATE TABLE IF NOT EXISTS needs CREATE on the schema even then. */
			if (!owned[i].exists) {
				spi.Exec(create);
				RecordCreatedTables(spi, {t.QualifiedPgName()});
			}
			if (truncate && owned[i].exists)
				TruncateAsOwner(spi, t);
		}
		if (defer_key)
			deferred_keys_.push_back(static_cast<int>(i));
		/* Locks and catalog changes stay bounded: a group of tables per transaction (docs/design.md). */
		if (AddToSnapshotGroup(create.size()) && i + 1 < tables_->size()) {
			CommitSnapshotGroup(truncate);
			BeginTxn();
			PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
			Spi spi;
			lock_schemas(spi);
		}
	}
	group_tables_ = 0;
	group_bytes_ = 0;
	{
		Spi spi;
		WriteAttributes(spi);
	}
	PgCall([] { PopActiveSnapshot(); });
	ResolveTables();
	PublishCopyFormats();
}

void Applier::PublishCopyFormats()
{
	if (!copy_formats_)
		return;
	std::vector<std::vector<binarycopy::Kind>> per_table(tables_->size());
	for (size_t t = 0; t < tables_->size(); t++) {
		const TableInfo &ti = (*tables_)[t];
		if (ti.HasTransforms())
			continue; /* row by row through FillSlotC: text */
		std::vector<const char *> names;
		for (const auto &c : ti.pg_columns)
			names.push_back(c.c_str());
		std::vector<binarycopy::Kind> kinds(names.size());
		const Oid relid = relids_[t];
		const char *const *np = names.data();
		const int n = static_cast<int>(names.size());
		binarycopy::Kind *kp = kinds.data();
		PgCall([&] { DestinationKindsC(relid, np, n, kp); });
		per_table[t] = std::move(kinds);
	}
	copy_formats_->Publish(tables_.get(), std::move(per_table));
}

bool Applier::AddToSnapshotGroup(size_t definition_bytes)
{
	group_tables_++;
	group_bytes_ += definition_bytes;
	return group_tables_ >= group_max_tables_ || group_bytes_ >= kSnapshotGroupBytes;
}

void Applier::CommitSnapshotGroup(bool snapshot_started)
{
	CloseRels();
	PgCall([] {
		if (!ActiveSnapshotSet())
			PushActiveSnapshot(GetTransactionSnapshot());
	});
	{
		Spi spi;
		/* The tables whose rows are all in get their primary keys now; the others wait for their copy. */
		std::vector<int> waiting;
		for (int t : deferred_keys_) {
			if (static_cast<size_t>(t) < copied_.size() && copied_[t])
				spi.Exec(AddPrimaryKeySql((*tables_)[t]));
			else
				waiting.push_back(t);
		}
		deferred_keys_ = std::move(waiting);
		/*
		 * From this commit on the destination holds part of a snapshot: a
		 * stored position of an earlier snapshot (mode always) must no longer
		 * be streamed from.  The next start takes the snapshot again.
		 */
		if (snapshot_started) {
			AsSuperuser su; /* synchdb's table; ends before the commit */
			spi.Exec("UPDATE _synchdb.offsets SET snapshot_done = false, updated_at = pg_catalog.now() "
			         "WHERE dbname OPERATOR(pg_catalog.=) $1 AND connector OPERATOR(pg_catalog.=) $2 AND snapshot_done",
			         {defdb_, connector_});
		}
	}
	PgCall([] {
		PopActiveSnapshot();
		CommitTransactionCommand();
	});
	if (snapshot_started)
		snapshot_done_ = false;
	changes_in_txn_ = 0;
	group_tables_ = 0;
	group_bytes_ = 0;
	stats_.snapshot_groups++;
}

void Applier::SnapshotTableCopied(int table)
{
	if (static_cast<size_t>(table) >= copied_.size())
		return;
	copied_[table] = true;
	if (AddToSnapshotGroup(CreateTableSql((*tables_)[table]).size())) {
		BeginTxn();
		CommitSnapshotGroup(true);
	}
}

void Applier::ApplySchemaChange(const msg::SchemaChange &m)
{
	BeginTxn();
	CloseRels();
	changes_in_txn_++;
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	{
		Spi spi;
		/* Tables this change creates are synchdb's; a table it would drop must be. */
		std::vector<std::string> missing;
		if (m.tables)
			for (const TableInfo &t : *m.tables)
				if (!LookUpOwnedTable(spi, t.QualifiedPgName()).exists)
					missing.push_back(t.QualifiedPgName());
		static const std::string kDrop = "DROP TABLE IF EXISTS ";
		static const std::string kCreateSchema = "CREATE SCHEMA IF NOT EXISTS ";
		for (const std::string &sql : m.sql) {
			if (sql.compare(0, kCreateSchema.size(), kCreateSchema) == 0) {
				EnsureSchema(spi, sql.substr(kCreateSchema.size()));
				continue;
			}
			if (sql.compare(0, kDrop.size(), kDrop) == 0) {
				const OwnedTable owned = LookUpOwnedTable(spi, sql.substr(kDrop.size()));
				if (owned.exists && !owned.synchdbs)
					throw NotSynchdbsTable(sql.substr(kDrop.size()), "a DDL statement of the source would drop it");
			}
			spi.Exec(sql);
		}
		RecordCreatedTables(spi, missing);
		{
			AsSuperuser su;
			spi.Exec("DELETE FROM _synchdb.tables o WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
			         "WHERE c.oid OPERATOR(pg_catalog.=) o.relid)");
		}
		tables_ = m.tables;
		history_ = m.history;
		WriteAttributes(spi);
	}
	PgCall([] { PopActiveSnapshot(); });
	tables_dirty_ = true;
	ResolveTables();
	stats_.ddls++;
}

Applier::OwnedTable Applier::LookUpOwnedTable(Spi &spi, const std::string &qualified)
{
	AsSuperuser su;
	spi.Exec("SELECT pg_catalog.to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM _synchdb.tables o "
	         "WHERE o.relid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1)::pg_catalog.oid), "
	         "EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid OPERATOR(pg_catalog.=) "
	         "pg_catalog.to_regclass($1)::pg_catalog.oid AND i.indisprimary)",
	         {qualified}, true);
	return {spi.Value(0, 0).value_or("f") == "t", spi.Value(0, 1).value_or("f") == "t",
	        spi.Value(0, 2).value_or("f") == "t"};
}

void Applier::RecordCreatedTables(Spi &spi, const std::vector<std::string> &qualified)
{
	AsSuperuser su;
	for (const std::string &q : qualified)
		spi.Exec("INSERT INTO _synchdb.tables (relid, dbname, connector, how) SELECT pg_catalog.to_regclass($1)::pg_catalog.oid, "
		         "$2, $3, 'created' WHERE pg_catalog.to_regclass($1) IS NOT NULL ON CONFLICT (relid) DO NOTHING",
		         {q, defdb_, connector_});
}

/*
 * CREATE SCHEMA only when missing: CREATE SCHEMA IF NOT EXISTS needs CREATE
 * on the database even when the schema exists, which a connector's owner
 * replicating into a schema made for it need not have.
 */
void Applier::EnsureSchema(Spi &spi, const std::string &quoted)
{
	spi.Exec("SELECT pg_catalog.to_regnamespace($1) IS NULL", {quoted}, true);
	if (spi.Value(0, 0).value_or("f") == "t")
		spi.Exec("CREATE SCHEMA IF NOT EXISTS " + quoted);
}

void Applier::TruncateAsOwner(Spi &spi, const TableInfo &t)
{
	const std::string qname = t.QualifiedPgName();
	const char *schema = t.pg_schema.c_str();
	const char *table = t.pg_table.c_str();
	const Oid relid =
		PgCall([&] { return RangeVarGetRelid(makeRangeVar((char *) schema, (char *) table, -1), NoLock, false); });
	RunAs as(ApplyRoleFor(relid, connector_, qname), true); /* its ON TRUNCATE triggers run as its owner */
	spi.Exec("TRUNCATE " + qname);
	as.Done();
}

Error Applier::NotSynchdbsTable(const std::string &qualified, const std::string &what) const
{
	const std::string here = CurrentDatabaseName();
	return Error(sqlstate::kObjectNotInPrerequisiteState,
	             "connector " + Quoted(connector_) + ": destination table " + EscapeControls(qualified) +
	                 " was not created by synchdb, and " + what,
	             "synchdb empties or drops only tables it created, or that a superuser adopted with "
	             "synchdb_adopt_table().",
	             "If synchdb may replace its rows and drop it with the source's, adopt it: SELECT synchdb_adopt_table(" +
	                 EscapeControls(QuotePgLiteral(qualified)) + ") as a superuser in database " + Quoted(here) +
	                 ", then start the connector again; else rename or drop the table, or map the source table "
	                 "elsewhere with synchdb_add_objmap().");
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
	transforms_->Prepare(*tables_, relids_);
}

void Applier::ReconcileDestination(Spi &spi)
{
	struct Existing {
		std::string schema, table;
		std::map<std::string, std::pair<std::string, std::string>> columns; /* source column -> (pg name, mapped type) */
	};
	std::map<std::string, Existing> existing;
	std::optional<AsSuperuser> su(std::in_place); /* the column map is synchdb's; the ALTERs below are the owner's */
	uint64_t n = spi.Exec("SELECT a.ext_tbname, a.ext_attname, n.nspname, c.relname, coalesce(pa.attname::text, ''), "
	                      "coalesce(a.mapped_typename, '') FROM " + attr_table_ +
	                          " a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
	                          "LEFT JOIN pg_attribute pa ON pa.attrelid = a.attrelid AND pa.attnum = a.attnum "
	                          "AND NOT pa.attisdropped WHERE a.name = $1 AND a.dbname = $2",
	                      {connector_, defdb_}, true);
	for (uint64_t i = 0; i < n; i++) {
		Existing &e = existing[spi.Value(i, 0).value_or("")];
		e.schema = spi.Value(i, 2).value_or("");
		e.table = spi.Value(i, 3).value_or("");
		e.columns[spi.Value(i, 1).value_or("")] = {spi.Value(i, 4).value_or(""), spi.Value(i, 5).value_or("")};
	}
	su.reset();
	for (const TableInfo &t : *tables_) {
		auto it = existing.find(t.SourceName());
		if (it == existing.end())
			continue;
		const Existing &e = it->second;
		std::vector<std::string> done;
		if (e.schema != t.pg_schema || e.table != t.pg_table) {
			spi.Exec("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {t.QualifiedPgName()}, true);
			if (spi.Value(0, 0).value_or("f") == "t")
				throw Error(sqlstate::kDuplicateObject,
				            "connector " + Quoted(connector_) + ": cannot move table " + QuotePgIdent(e.schema) + "." +
				                QuotePgIdent(e.table) + " (source " + t.SourceName() + ") to " + t.QualifiedPgName() +
				                ", which already exists",
				            "The rules name a new destination for the table.",
				            "Drop or rename the existing table " + t.QualifiedPgName() + ", or change the rule.");
			EnsureSchema(spi, QuotePgIdent(t.pg_schema));
			if (e.schema != t.pg_schema)
				spi.Exec("ALTER TABLE " + QuotePgIdent(e.schema) + "." + QuotePgIdent(e.table) + " SET SCHEMA " +
				         QuotePgIdent(t.pg_schema));
			if (e.table != t.pg_table)
				spi.Exec("ALTER TABLE " + QuotePgIdent(t.pg_schema) + "." + QuotePgIdent(e.table) + " RENAME TO " +
				         QuotePgIdent(t.pg_table));
			done.push_back("table " + QuotePgIdent(e.schema) + "." + QuotePgIdent(e.table) + " -> " +
			               t.QualifiedPgName());
		}
		for (size_t i = 0; i < t.source.columns.size(); i++) {
			auto c = e.columns.find(t.source.columns[i].name);
			if (c == e.columns.end() || c->second.first.empty())
				continue;
			const std::string &cur = c->second.first;
			const std::string &mapped = c->second.second;
			const std::string col = QuotePgIdent(t.pg_columns[i]);
			if (cur != t.pg_columns[i]) {
				spi.Exec("ALTER TABLE " + t.QualifiedPgName() + " RENAME COLUMN " + QuotePgIdent(cur) + " TO " + col);
				done.push_back("column " + QuotePgIdent(cur) + " -> " + col);
			}
			if (!mapped.empty() && mapped != t.pg_types[i].sql) {
				spi.Exec("ALTER TABLE " + t.QualifiedPgName() + " ALTER COLUMN " + col + " TYPE " + t.pg_types[i].sql +
				         " USING " + col + "::" + t.pg_types[i].sql);
				done.push_back("column " + col + " " + mapped + " -> " + t.pg_types[i].sql);
			}
		}
		if (!done.empty()) {
			std::string msg;
			for (const auto &d : done)
				msg += (msg.empty() ? "" : ", ") + d;
			const char *conn = connector_.c_str();
			const char *m = msg.c_str();
			const std::string src = EscapeControls(t.SourceName());
			msg = EscapeControls(msg);
			const char *sp = src.c_str();
			PgCall([&] {
				ereport(LOG, (errmsg("synchdb connector \"%s\": destination of %s follows the rules: %s", conn, sp, m)));
			});
		}
	}
}

void Applier::WriteAttributes(Spi &spi)
{
	AsSuperuser su; /* synchdb's column map: written as the bootstrap superuser (usercontext.hpp) */
	spi.Exec("DELETE FROM " + attr_table_ + " WHERE name = $1 AND dbname = $2", {connector_, defdb_});
	/* In parts of a few thousand columns: the JSON of ten thousand tables is never held whole. */
	json::Value rows = json::Value::MakeArray();
	size_t n = 0;
	auto flush = [&] {
		if (n == 0)
			return;
		spi.Exec("INSERT INTO " + attr_table_ +
		             " (name, dbname, type, attrelid, attnum, ext_tbname, ext_attname, ext_atttypename, mapped_typename, "
		             "transform) SELECT $1, $3, $4, c.oid, a.attnum, r.t, r.c, r.y, r.m, nullif(r.x, '') "
		             "FROM json_to_recordset($2::json) AS r(t text, s text, r text, c text, p text, y text, m text, x text) "
		             "JOIN pg_namespace n ON n.nspname = r.s JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.r "
		             "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = r.p AND NOT a.attisdropped",
		         {connector_, json::Write(rows), defdb_, connector_type_});
		rows = json::Value::MakeArray();
		n = 0;
	};
	for (const TableInfo &t : *tables_) {
		for (size_t i = 0; i < t.source.columns.size(); i++) {
			const auto &c = t.source.columns[i];
			json::Value r = json::Value::MakeObject();
			r.Set("t", json::Value::MakeString(t.SourceName()));
			r.Set("s", json::Value::MakeString(t.pg_schema));
			r.Set("r", json::Value::MakeString(t.pg_table));
			r.Set("c", json::Value::MakeString(c.name));
			r.Set("p", json::Value::MakeString(t.pg_columns[i]));
			r.Set("y", json::Value::MakeString(c.type_text));
			r.Set("m", json::Value::MakeString(t.pg_types[i].sql));
			r.Set("x", json::Value::MakeString(t.transforms[i].written));
			rows.Push(std::move(r));
			n++;
		}
		if (n >= 4096)
			flush();
	}
	flush();
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
	const PreparedTransform *const *xfs = transforms_->ForTable(table);
	rs->run_as = ApplyRoleFor(relid, connector_, qname);
	RunAs as(rs->run_as, true);
	PgCall([&] { OpenRelC(relid, np, n, qn, xfs, rs); });
	as.Done();
	rels_[table] = rs;
	return rs;
}

void Applier::FlushInserts()
{
	if (!batching_)
		return;
	for (RelState *rs : rels_)
		if (rs && rs->nbatch > 0) {
			RunAs as(rs->run_as, true);
			PgCall([&] { FlushInsertsC(rs, batch_where_.c_str()); });
			as.Done();
		}
	batching_ = false;
}

void Applier::CloseRels()
{
	FlushInserts();
	for (auto &rs : rels_) {
		if (rs) {
			RelState *r = rs;
			RunAs as(r->run_as, true); /* AFTER triggers fire here */
			PgCall([&] { CloseRelC(r); });
			as.Done();
			rs = nullptr;
		}
	}
}

uint64_t Applier::InsertSnapshotRows(int table, MsgSource &source)
{
	RelState *rs = OpenRel(table);
	scratch_.kind = ChangeKind::Insert;
	scratch_.table = table;
	struct Sink : CopyRowSink {
		RowData *row;
		void Null() override { row->AddNull(); }
		void Value(std::string_view v) override { row->AddValue(v); }
	} sink;
	sink.row = &scratch_.after;
	const std::string where_prefix = "in snapshot row ";
	const std::string where_suffix = " of table " + (*tables_)[table].SourceName();
	const msg::Change *mp = &scratch_;
	uint64_t rows = 0;
	for (;;) {
		const Msg *m = source.Next(std::chrono::milliseconds(100));
		if (!m) {
			PgCall([] { CHECK_FOR_INTERRUPTS(); });
			continue;
		}
		if (const auto *d = std::get_if<msg::CopyData>(m); d && d->table == table) {
			size_t pos = 0;
			for (;;) {
				scratch_.after.Clear();
				if (!ParseCopyTextRow(d->text, pos, sink, copy_scratch_))
					break;
				/* where_ = "in snapshot row N of table db.t", without allocating once grown. */
				char num[24];
				auto r = std::to_chars(num, num + sizeof num, rows + 1);
				where_.assign(where_prefix);
				where_.append(num, r.ptr);
				where_.append(where_suffix);
				const char *wp = where_.c_str();
				RunAs as(rs->run_as, true);
				if (rs->can_batch) {
					batching_ = true;
					PgCall([&] { BufferInsertC(rs, mp, wp); });
				} else
					PgCall([&] { ApplyChangeC(rs, mp, wp); });
				as.Done();
				rows++;
			}
			continue;
		}
		if (const auto *c = std::get_if<msg::Change>(m); c && c->table == table && c->kind == ChangeKind::Insert) {
			ApplySnapshotRow(table, *c, ++rows);
			continue;
		}
		if (const auto *e = std::get_if<msg::CopyEnd>(m); e && e->table == table) {
			FlushInserts();
			/* Done with the table: its executor state need not wait for the commit (many tables). */
			RelState *r = rels_[table];
			rels_[table] = nullptr;
			RunAs as(r->run_as, true);
			PgCall([&] { CloseRelC(r); });
			as.Done();
			break;
		}
		const auto *lost_msg = std::get_if<msg::SourceLost>(m);
		const auto *failure = std::get_if<msg::Failure>(m);
		const bool lost = lost_msg != nullptr;
		const std::string text = lost      ? lost_msg->text
		                         : failure ? failure->text
		                                   : std::string("unexpected message in the snapshot stream");
		const char *tp = text.c_str();
		PgCall([&] {
			ereport(ERROR, (errcode(lost ? ERRCODE_CONNECTION_FAILURE : ERRCODE_DATA_EXCEPTION), errmsg("%s", tp)));
		});
	}
	stats_.snapshot_rows += rows;
	return rows;
}

void Applier::ApplySnapshotRow(int table, const msg::Change &row, uint64_t n)
{
	RelState *rs = OpenRel(table);
	FlushInserts();
	char num[24];
	auto r = std::to_chars(num, num + sizeof num, n);
	where_.assign("in snapshot row ");
	where_.append(num, r.ptr);
	where_.append(" of table " + (*tables_)[table].SourceName());
	const msg::Change *mp = &row;
	const char *wp = where_.c_str();
	/* At once, not buffered: the row's memory goes with its message. */
	RunAs as(rs->run_as, true);
	PgCall([&] { ApplyChangeC(rs, mp, wp); });
	as.Done();
}

uint64_t Applier::CopyTable(int table, MsgSource &source)
{
	BeginTxn();
	/*
	 * COPY, except for tables with transforms.  (Loading plain tables row by
	 * row through FillSlotC, whose FastValueC skips the common types' input
	 * functions, was measured slower than COPY on sbtest1 and no faster on
	 * the wide table: bench/README.md, fifth session.)
	 */
	if ((*tables_)[table].HasTransforms())
		return InsertSnapshotRows(table, source);
	const TableInfo &t = (*tables_)[table];
	std::vector<const char *> names;
	for (const auto &c : t.pg_columns)
		names.push_back(c.c_str());
	const char *const *np = names.data();
	const size_t n = names.size();
	Oid relid = relids_[table];
	const std::string qname = t.QualifiedPgName();
	const char *qn = qname.c_str();
	uint64_t rows = 0, binary_rows = 0, text_rows = 0;
	/* The table's triggers, constraints and index expressions run as its owner. */
	const Oid run_as = ApplyRoleFor(relid, connector_, qname);
	/*
	 * Runs of COPY, each ended by the table's end or by a big row sent alone
	 * (applied as an insert).  Within a run, one COPY per stretch of chunks in
	 * one format: the reader sends binary COPY rows, and rows with values that
	 * have no canonical binary form in text format (core/binarycopy.hpp).
	 */
	for (;;) {
		const Msg *m = source.Next(std::chrono::milliseconds(100));
		if (!m) {
			PgCall([] { CHECK_FOR_INTERRUPTS(); });
			continue;
		}
		if (const auto *d = std::get_if<msg::CopyData>(m); d && d->table == table) {
			CopyFeed feed{};
			feed.source = &source;
			feed.table = table;
			feed.next = d; /* valid until the next Next(): the feed reads it first */
			CopyFeed *fp = &feed;
			try {
				while (feed.next) {
					feed.binary = feed.next->binary;
					feed.header_sent = false;
					feed.chunk = &feed.next->text;
					feed.offset = 0;
					feed.next = nullptr;
					feed.switched = false;
					RunAs as(run_as, true);
					const uint64_t copied = PgCall([&] {
						List *attnames = NIL;
						for (size_t i = 0; i < n; i++)
							attnames = lappend(attnames, makeString(pstrdup(np[i])));
						return CopyTableC(relid, attnames, fp, qn, OidIsValid(run_as));
					});
					as.Done();
					(feed.binary ? binary_rows : text_rows) += copied;
					rows += copied;
				}
			} catch (...) {
				current_feed = nullptr;
				throw;
			}
			continue;
		}
		if (const auto *c = std::get_if<msg::Change>(m); c && c->table == table && c->kind == ChangeKind::Insert) {
			ApplySnapshotRow(table, *c, ++rows);
			text_rows++;
			continue;
		}
		if (const auto *e = std::get_if<msg::CopyEnd>(m); e && e->table == table)
			break;
		const auto *lost_msg = std::get_if<msg::SourceLost>(m);
		const auto *failure = std::get_if<msg::Failure>(m);
		const bool lost = lost_msg != nullptr;
		const std::string text = lost      ? lost_msg->text
		                         : failure ? failure->text
		                                   : std::string("unexpected message in the snapshot stream");
		const char *tp = text.c_str();
		PgCall([&] {
			ereport(ERROR, (errcode(lost ? ERRCODE_CONNECTION_FAILURE : ERRCODE_DATA_EXCEPTION), errmsg("%s", tp)));
		});
	}
	if (RelState *r = rels_[table]) {
		/* Big rows went through the row path: its executor state ends here (AFTER triggers fire). */
		rels_[table] = nullptr;
		RunAs as(r->run_as, true);
		PgCall([&] { CloseRelC(r); });
		as.Done();
	}
	const std::string source_name = EscapeControls((*tables_)[table].SourceName());
	const char *sn = source_name.c_str();
	PgCall([&] {
		ereport(DEBUG1, (errmsg("synchdb: snapshot of table %s: %llu rows in binary COPY format, %llu in text format "
		                        "(big rows as inserts included)",
		                        sn, (unsigned long long) binary_rows, (unsigned long long) text_rows)));
	});
	stats_.snapshot_rows += rows;
	return rows;
}

void Applier::Apply(const msg::Change &m)
{
	BeginTxn();
	changes_in_txn_++;
	if (m.kind == ChangeKind::Truncate) {
		const TableInfo &t = (*tables_)[m.table];
		CloseRels(); /* TRUNCATE needs the relation closed by us */
		PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
		{
			Spi spi;
			const OwnedTable owned = LookUpOwnedTable(spi, t.QualifiedPgName());
			if (owned.exists && !owned.synchdbs)
				throw NotSynchdbsTable(t.QualifiedPgName(), "a TRUNCATE of the source would empty it");
			TruncateAsOwner(spi, t);
		}
		PgCall([] {
			PopActiveSnapshot();
			CommandCounterIncrement();
		});
		stats_.truncates++;
		return;
	}
	RelState *rs = OpenRel(m.table);
	const msg::Change *mp = &m;
	const char *wp = where_.c_str();
	/* A big row is written at once: buffered, its tuple would stay until the batch is written. */
	if (m.kind == ChangeKind::Insert && rs->can_batch && m.after.buf.size() < kBigRowBytes) {
		batching_ = true;
		RunAs as(rs->run_as, true);
		PgCall([&] { BufferInsertC(rs, mp, wp); });
		as.Done();
	} else {
		/* Anything else sees the rows inserted before it. */
		FlushInserts();
		RunAs as(rs->run_as, true);
		PgCall([&] { ApplyChangeC(rs, mp, wp); });
		as.Done();
	}
	switch (m.kind) {
	case ChangeKind::Insert: stats_.inserts++; break;
	case ChangeKind::Update: stats_.updates++; break;
	case ChangeKind::Delete: stats_.deletes++; break;
	default: break;
	}
}

void Applier::Commit(const Position &pos, bool snapshot_done)
{
	BeginTxn();
	CloseRels();
	if (snapshot_done)
		snapshot_done_ = true;
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	{
		Spi spi;
		if (snapshot_done) {
			for (int t : deferred_keys_)
				if (static_cast<size_t>(t) < tables_->size())
					spi.Exec(AddPrimaryKeySql((*tables_)[t]));
			deferred_keys_.clear();
		}
		SpiParam tables;
		if (tables_dirty_ && tables_)
			tables = history_;
		AsSuperuser su; /* ends before the commit: deferred triggers do not fire as the superuser */
		spi.Exec("INSERT INTO _synchdb.offsets AS o (dbname, connector, incarnation, position, ts_usec, snapshot_done, "
		         "tables) VALUES ($1, $2, $3, $4, $5::pg_catalog.int8, $6::pg_catalog.bool, $7) "
		         "ON CONFLICT (dbname, connector) DO UPDATE SET incarnation = excluded.incarnation, "
		         "position = excluded.position, ts_usec = excluded.ts_usec, snapshot_done = excluded.snapshot_done, "
		         "tables = coalesce(excluded.tables, o.tables), updated_at = pg_catalog.now()",
		         {defdb_, connector_, incarnation_, pos.offset, std::to_string(pos.ts_usec),
		          std::string(snapshot_done_ ? "true" : "false"), tables});
	}
	PgCall([] {
		PopActiveSnapshot();
		CommitTransactionCommand();
	});
	stats_.txns++;
	changes_in_txn_ = 0;
	tables_dirty_ = false;
	where_ = "in the source transaction after " + Label(pos);
	batch_where_ = "rows of the source transactions after " + Label(pos);
}

void Applier::NoteSourcePosition(const Position &pos)
{
	where_ = "in the source transaction after " + Label(pos);
}

bool Applier::ApplyOrSetAside(const msg::Change &m)
{
	BeginTxn();
	FlushInserts();
	CloseRels(); /* nothing of ours stays open across the subtransaction's end */
	MemoryContext outer = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	PgCall([&] {
		BeginInternalSubTransaction(nullptr);
		MemoryContextSwitchTo(outer); /* errors are copied where the rollback leaves them */
	});
	std::string sqlstate_text, message;
	try {
		Apply(m);
		FlushInserts();
		CloseRels();
		PgCall([&] {
			ReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(outer);
			CurrentResourceOwner = owner;
		});
		return true;
	} catch (const PgError &e) {
		sqlstate_text = e.data() ? unpack_sql_state(e.data()->sqlerrcode) : "XX000";
		message = e.what();
	}
	/* The subtransaction's relations and executor state went with it. */
	rels_.assign(rels_.size(), nullptr);
	batching_ = false;
	current_apply_context = nullptr;
	PgCall([&] {
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(outer);
		CurrentResourceOwner = owner;
	});
	/* A cancel (pg_cancel_backend) refuses nothing: the caller rolls back and goes on from its last commit. */
	if (sqlstate_text == unpack_sql_state(ERRCODE_QUERY_CANCELED))
		PgCall([] { ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling statement due to user request"))); });
	/* The change as JSON: column names and values as the source sent them (PostgreSQL input text). */
	const TableInfo &t = (*tables_)[m.table];
	auto row_json = [&](const RowData &r) {
		json::Value o = json::Value::MakeObject();
		for (size_t i = 0; i < r.fields.size() && i < t.source.columns.size(); i++) {
			if (r.IsUnchanged(i))
				continue;
			o.Set(t.source.columns[i].name,
			      r.IsNull(i) ? json::Value() : json::Value::MakeString(std::string(r.Get(i))));
		}
		return o;
	};
	json::Value row = json::Value::MakeObject();
	if (!m.before.fields.empty())
		row.Set("before", row_json(m.before));
	if (!m.after.fields.empty())
		row.Set("after", row_json(m.after));
	const char *op = m.kind == ChangeKind::Insert ? "insert" : m.kind == ChangeKind::Update ? "update"
	                                               : m.kind == ChangeKind::Delete       ? "delete"
	                                                                                     : "truncate";
	PgCall([] { PushActiveSnapshot(GetTransactionSnapshot()); });
	{
		AsSuperuser su;
		Spi spi;
		spi.Exec("INSERT INTO _synchdb.dead_letters (dbname, connector, position, table_name, operation, row_data, "
		         "sqlstate, message) VALUES ($1, $2, $3, $4, $5, $6::pg_catalog.jsonb, $7, $8)",
		         {defdb_, connector_, where_, t.SourceName(), std::string(op), json::Write(row), sqlstate_text,
		          message});
	}
	PgCall([] { PopActiveSnapshot(); });
	stats_.skipped++;
	return false;
}

void Applier::Abort()
{
	batching_ = false;
	rels_.assign(rels_.size(), nullptr); /* released by the abort */
	current_feed = nullptr;
	current_apply_context = nullptr;
	PgCall([] { AbortCurrentTransaction(); });
	changes_in_txn_ = 0;
}

}  // namespace synchdb::pg
