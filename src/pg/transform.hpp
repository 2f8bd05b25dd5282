/*
 * transform.hpp
 *     The PostgreSQL side of a connector's rules: reading the object map,
 *     checking rule types and expressions against the catalogs, and
 *     preparing transform expressions for the apply path.
 *
 * NOTES
 *   A transform expression is parsed, analysed, coerced to the column's
 *   type (assignment coercion, as INSERT does) and planned once per column
 *   when the tables are defined; the apply path instantiates it once per
 *   transaction (ExecInitExpr) and evaluates it per value with three
 *   parameters: $1 the value (the column's default type), $2 a geometry's
 *   WKB in base64 (text), $3 its SRID (integer).  No SQL statement runs
 *   per value.  Subqueries, aggregates, window and set-returning functions
 *   are refused: a transform maps one value to one value.
 */
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/change.hpp"
#include "core/conninfo.hpp"
#include "core/mapping.hpp"
#include "pg/postgres_headers.hpp"

namespace synchdb::pg {

/* Enabled object map rows of a connector, in this database (synchdb_objmap). */
std::vector<ObjmapRow> ReadObjmap(const std::string &connector);

/*
 * The connector's rules: its rule file (read now) and the object map rows
 * given; checked in the core and against the catalogs of this database.
 * Throws synchdb::Error naming the file or the object map rule.
 */
std::shared_ptr<const Mapping> LoadMapping(const ConnInfo &ci, const std::vector<ObjmapRow> &objmap);

/*
 * Catalog checks: every type rule names a type (only when catalogs is
 * true: types are looked up in the destination database, so another
 * database's catalogs prove nothing); every expression is one SQL
 * expression.
 */
void ValidateMappingInPostgres(const Mapping &m, bool catalogs = true);

/* A transform expression ready for ExecInitExpr (plain C data in a long-lived context). */
struct PreparedTransform {
	Oid intype;          /* type of $1 */
	int32 intypmod;
	Expr *expr;          /* planned, coerced to the column's type */
	bool spatial;        /* $2/$3 come from the value's EWKB */
	const char *origin;  /* the rule, for error messages */
};

/* Prepared transforms of a table set, per table and source column (nullptr: none). */
class Transforms {
public:
	Transforms();
	~Transforms();
	/* Prepare every transform of tables (current transaction; relids as resolved). */
	void Prepare(const TableSet &tables, const std::vector<Oid> &relids);
	/* nullptr when the table has no transform. */
	const PreparedTransform *const *ForTable(int table) const;

private:
	MemoryContext ctx_ = nullptr;
	std::vector<std::vector<const PreparedTransform *>> per_table_;
};

}  // namespace synchdb::pg
