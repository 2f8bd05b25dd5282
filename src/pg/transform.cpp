/*
 * transform.cpp
 *     Object map rows, catalog checks of rules, prepared transform expressions.
 *
 * NOTES
 *   Functions named *C are plain C-style code called through PgCall: they
 *   may ereport(ERROR) and hold no C++ objects.
 */
#include "core/error.hpp"
#include "core/rule_file.hpp"
#include "pg/transform.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"
#include "pg/usercontext.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/rel.h"
}

namespace synchdb::pg {

namespace {

/* Why a raw parse tree is not "SELECT <one expression>"; NULL if it is. */
const char *ShapeProblemC(List *raw)
{
	if (list_length(raw) != 1)
		return "it must be one expression, not several statements";
	Node *stmt = linitial_node(RawStmt, raw)->stmt;
	if (!IsA(stmt, SelectStmt))
		return "it must be an expression";
	SelectStmt *s = (SelectStmt *) stmt;
	if (s->op != SETOP_NONE || s->valuesLists != NIL)
		return "it must be an expression, not a query";
	if (list_length(s->targetList) != 1)
		return "it must be one expression (a comma separates several)";
	if (s->fromClause != NIL || s->whereClause || s->groupClause != NIL || s->havingClause || s->windowClause != NIL ||
	    s->sortClause != NIL || s->limitCount || s->limitOffset || s->lockingClause != NIL || s->withClause ||
	    s->distinctClause != NIL || s->intoClause)
		return "it must be an expression, without FROM, WHERE or other clauses";
	ResTarget *rt = linitial_node(ResTarget, s->targetList);
	if (IsA(rt->val, ColumnRef)) {
		ColumnRef *cr = (ColumnRef *) rt->val;
		if (IsA(llast(cr->fields), A_Star))
			return "it must be an expression, not *";
	}
	return NULL;
}

bool HasSubLinkWalker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		return true;
	return raw_expression_tree_walker(node, reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(HasSubLinkWalker)), context);
}

/* Parse check only (the input types are not known yet). */
const char *CheckSyntaxC(const char *select_sql)
{
	List *raw = raw_parser(select_sql, RAW_PARSE_DEFAULT);
	const char *problem = ShapeProblemC(raw);
	if (problem)
		return problem;
	SelectStmt *s = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
	if (HasSubLinkWalker(linitial_node(ResTarget, s->targetList)->val, NULL))
		return "subqueries are not supported in a transform expression";
	return NULL;
}

/*
 * Parse, analyse, coerce and plan; the result is copied into ctx.  Returns
 * NULL and sets *problem for a shape or type problem the caller words.
 */
Expr *PrepareExprC(const char *select_sql, Oid *ptypes, Oid desttype, int32 desttypmod, MemoryContext ctx,
                   const char **problem)
{
	List *raw = raw_parser(select_sql, RAW_PARSE_DEFAULT);
	if ((*problem = ShapeProblemC(raw)) != NULL)
		return NULL;
	Query *q = parse_analyze_fixedparams(linitial_node(RawStmt, raw), select_sql, ptypes, 3, NULL);
	if (q->hasSubLinks) {
		*problem = "subqueries are not supported in a transform expression";
		return NULL;
	}
	if (q->hasAggs || q->hasWindowFuncs || q->hasTargetSRFs) {
		*problem = "aggregate, window and set-returning functions are not supported in a transform expression";
		return NULL;
	}
	if (q->rtable != NIL) {
		*problem = "it must be an expression, without FROM";
		return NULL;
	}
	TargetEntry *te = linitial_node(TargetEntry, q->targetList);
	Node *e = (Node *) te->expr;
	Oid t = exprType(e);
	Node *c = coerce_to_target_type(NULL, e, t, desttype, desttypmod, COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	if (!c) {
		*problem = psprintf("it returns type %s, which cannot be stored in a column of type %s", format_type_be(t),
		                    format_type_with_typemod(desttype, desttypmod));
		return NULL;
	}
	Expr *planned = expression_planner((Expr *) c);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	Expr *copy = (Expr *) copyObjectImpl(planned);
	MemoryContextSwitchTo(old);
	return copy;
}

Error RuleError(const std::string &origin, const std::string &what, const std::string &detail = {})
{
	const bool file = origin.find("rule file") != std::string::npos;
	return Error(file ? sqlstate::kConfigFileError : sqlstate::kInvalidParameterValue, "invalid " + origin + ": " + what,
	             detail,
	             file ? "See the rule file reference in docs/rule-file.md."
	                  : "Fix the rule with synchdb_add_objmap(), or disable it with synchdb_del_objmap().");
}

}  // namespace

std::vector<ObjmapRow> ReadObjmap(const std::string &connector)
{
	AsSuperuser su; /* synchdb_objmap is read through synchdb's functions only */
	Spi spi;
	uint64_t n = spi.Exec("SELECT objtype, srcobj, dstobj FROM " + ExtensionSchema() +
	                          ".synchdb_objmap WHERE name = $1 AND enabled ORDER BY objtype, srcobj",
	                      {connector}, true);
	std::vector<ObjmapRow> rows;
	for (uint64_t i = 0; i < n; i++)
		rows.push_back({spi.Value(i, 0).value_or(""), spi.Value(i, 1).value_or(""), spi.Value(i, 2).value_or("")});
	return rows;
}

std::shared_ptr<const Mapping> LoadMapping(const ConnInfo &ci, const std::vector<ObjmapRow> &objmap)
{
	std::unique_ptr<RuleFile> rules;
	if (ci.HasRuleFile())
		rules = std::make_unique<RuleFile>(LoadRuleFile(ResolveRuleFilePath(ci.rulefile, DataDir), ci.rulefile));
	auto m = std::make_shared<Mapping>(BuildMapping(rules.get(), ci.rulefile, objmap, ci.name));
	/* Types are checked where they will be used: in the destination database. */
	const char *dstdb = ci.dstdb.c_str();
	const bool here = PgCall([&] { return get_database_oid(dstdb, true) == MyDatabaseId; });
	ValidateMappingInPostgres(*m, here);
	return m;
}

void ValidateMappingInPostgres(const Mapping &m, bool catalogs)
{
	for (const TypeRule *r : catalogs ? m.AllTypeRules() : std::vector<const TypeRule *>{}) {
		std::string sql = r->size > 0 ? RuleTypeSql(*r, TypeRuleColumnInfo{}) : r->type;
		const char *s = sql.c_str();
		try {
			PgCall([&] {
				Oid oid;
				int32 typmod;
				parseTypeString(s, &oid, &typmod, false);
			});
		} catch (const PgError &e) {
			throw RuleError(r->origin, "PostgreSQL type \"" + sql + "\": " + e.what(),
			                r->type == "geometry" || r->type == "GEOMETRY"
			                    ? "The geometry type comes with PostGIS: CREATE EXTENSION postgis in the destination "
			                      "database."
			                    : std::string());
		}
	}
	for (const auto &[key, x] : m.transforms) {
		std::string sql = "SELECT " + x.sql;
		const char *s = sql.c_str();
		const char *problem = nullptr;
		try {
			problem = PgCall([&] { return CheckSyntaxC(s); });
		} catch (const PgError &e) {
			throw RuleError(x.origin, std::string("transform expression does not parse: ") + e.what(),
			                "The expression: " + x.written);
		}
		if (problem)
			throw RuleError(x.origin, std::string("transform expression: ") + problem, "The expression: " + x.written);
	}
}

Transforms::Transforms() = default;

Transforms::~Transforms()
{
	/* The context is a child of TopMemoryContext; it goes with the process. */
}

void Transforms::Prepare(const TableSet &tables, const std::vector<Oid> &relids)
{
	if (!ctx_)
		ctx_ = PgCall([] {
			return AllocSetContextCreate(TopMemoryContext, "synchdb transforms", ALLOCSET_SMALL_SIZES);
		});
	MemoryContext ctx = ctx_;
	PgCall([&] { MemoryContextReset(ctx); });
	per_table_.assign(tables.size(), {});
	for (size_t t = 0; t < tables.size(); t++) {
		const TableInfo &info = tables[t];
		if (!info.HasTransforms())
			continue;
		per_table_[t].assign(info.source.columns.size(), nullptr);
		for (size_t i = 0; i < info.transforms.size(); i++) {
			const ColumnTransform &x = info.transforms[i];
			if (!x.Active())
				continue;
			const std::string select = "SELECT " + x.sql;
			const std::string column = info.pg_columns[i];
			const std::string origin = x.origin + " for column \"" + info.source.columns[i].name + "\" of table \"" +
			                           info.SourceName() + "\"";
			const char *sel = select.c_str();
			const char *col = column.c_str();
			const char *org = origin.c_str();
			const char *intype_sql = x.input.sql.c_str();
			const bool spatial = x.spatial;
			Oid relid = relids[t];
			const char *problem = nullptr;
			PreparedTransform *p = nullptr;
			try {
				p = PgCall([&] {
					PreparedTransform *pt =
						(PreparedTransform *) MemoryContextAllocZero(ctx, sizeof(PreparedTransform));
					parseTypeString(intype_sql, &pt->intype, &pt->intypmod, false);
					Relation rel = table_open(relid, AccessShareLock);
					AttrNumber att = get_attnum(relid, col);
					if (att == InvalidAttrNumber) {
						table_close(rel, AccessShareLock);
						problem = "the destination table has no such column";
						return pt;
					}
					Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel), att - 1);
					Oid desttype = a->atttypid;
					int32 desttypmod = a->atttypmod;
					table_close(rel, AccessShareLock);
					Oid ptypes[3] = {pt->intype, TEXTOID, INT4OID};
					pt->expr = PrepareExprC(sel, ptypes, desttype, desttypmod, ctx, &problem);
					pt->spatial = spatial;
					pt->origin = MemoryContextStrdup(ctx, org);
					return pt;
				});
			} catch (const PgError &e) {
				throw RuleError(origin, std::string("transform expression: ") + e.what(), "The expression: " + x.written);
			}
			if (problem)
				throw RuleError(origin, std::string("transform expression: ") + problem, "The expression: " + x.written);
			per_table_[t][i] = p;
		}
	}
}

const PreparedTransform *const *Transforms::ForTable(int table) const
{
	if (table < 0 || static_cast<size_t>(table) >= per_table_.size() || per_table_[table].empty())
		return nullptr;
	return per_table_[table].data();
}

}  // namespace synchdb::pg
