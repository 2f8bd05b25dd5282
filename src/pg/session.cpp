/*
 * session.cpp
 *     Worker session hardening (see session.hpp).
 */
#include "pg/session.hpp"

#include "core/error.hpp"
#include "core/pgtypes.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"

namespace synchdb::pg {

namespace {

/*
 * Extension schemas in which only superusers can create objects.  The
 * owner has CREATE (has_schema_privilege says so), so an owner who is not
 * a superuser disqualifies the schema; pg_database_owner is left out of
 * the roles tested because it stands for the database's owner, who is
 * tested as a role of its own.
 */
constexpr const char *kTrustedSchemasSql =
	"SELECT n.nspname FROM pg_catalog.pg_namespace n "
	"WHERE n.oid IN (SELECT e.extnamespace FROM pg_catalog.pg_extension e) "
	"AND n.nspname OPERATOR(pg_catalog.<>) 'pg_catalog' "
	"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r "
	"  WHERE NOT r.rolsuper AND r.rolname OPERATOR(pg_catalog.<>) 'pg_database_owner' "
	"  AND pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')) "
	"ORDER BY n.nspname";

}  // namespace

std::string PinWorkerSearchPath()
{
	PgCall([] { SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE); });
	std::string path = "pg_catalog";
	PgCall([] {
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
	});
	{
		Spi spi;
		uint64_t n = spi.Exec(kTrustedSchemasSql, {}, true);
		for (uint64_t i = 0; i < n; i++)
			path += ", " + QuotePgIdent(spi.Value(i, 0).value_or(""));
	}
	PgCall([] {
		PopActiveSnapshot();
		CommitTransactionCommand();
	});
	path += ", pg_temp";
	const char *p = path.c_str();
	PgCall([&] { SetConfigOption("search_path", p, PGC_SUSET, PGC_S_OVERRIDE); });
	return path;
}

void CheckPrivateSchema()
{
	Spi spi;
	uint64_t n = spi.Exec(
		"SELECT r.rolname, r.rolsuper, "
		"  EXISTS (SELECT 1 FROM pg_catalog.pg_roles u WHERE NOT u.rolsuper "
		"          AND u.rolname OPERATOR(pg_catalog.<>) 'pg_database_owner' "
		"          AND pg_catalog.has_schema_privilege(u.oid, n.oid, 'CREATE')) "
		"FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner "
		"WHERE n.nspname OPERATOR(pg_catalog.=) '_synchdb'",
		{}, true);
	const std::string fix =
		"A superuser should check what it holds, then DROP SCHEMA _synchdb CASCADE in this database (synchdb "
		"creates it again; connectors replicating into this database then take a new snapshot).";
	if (n > 0) {
		const std::string owner = spi.Value(0, 0).value_or("");
		if (spi.Value(0, 1).value_or("f") != "t" && owner != "pg_database_owner")
			throw Error(sqlstate::kInsufficientPrivilege,
			            "schema _synchdb belongs to role " + QuotePgIdent(owner) +
			                ", which is not a superuser; synchdb keeps its positions there and will not use it",
			            "", fix);
		if (spi.Value(0, 2).value_or("f") == "t" || owner == "pg_database_owner")
			throw Error(sqlstate::kInsufficientPrivilege,
			            "a role that is not a superuser may create objects in schema _synchdb; synchdb keeps its "
			            "positions there and will not use it",
			            "", "REVOKE CREATE ON SCHEMA _synchdb FROM those roles, or: " + fix);
	}
	n = spi.Exec("SELECT c.relname, r.rolname, r.rolsuper, "
	             "  EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid OPERATOR(pg_catalog.=) c.oid), "
	             "  EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite w WHERE w.ev_class OPERATOR(pg_catalog.=) c.oid) "
	             "FROM pg_catalog.pg_class c "
	             "JOIN pg_catalog.pg_namespace s ON s.oid OPERATOR(pg_catalog.=) c.relnamespace "
	             "JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner "
	             "WHERE s.nspname OPERATOR(pg_catalog.=) '_synchdb' "
	             "AND c.relname OPERATOR(pg_catalog.=) ANY ('{offsets,attribute,dead_letters,tables}'::pg_catalog.text[])",
	             {}, true);
	for (uint64_t i = 0; i < n; i++) {
		const std::string table = "_synchdb." + spi.Value(i, 0).value_or("");
		if (spi.Value(i, 2).value_or("f") != "t")
			throw Error(sqlstate::kInsufficientPrivilege,
			            "table " + table + " belongs to role " + QuotePgIdent(spi.Value(i, 1).value_or("")) +
			                ", which is not a superuser; synchdb will not use it",
			            "", fix);
		if (spi.Value(i, 3).value_or("f") == "t" || spi.Value(i, 4).value_or("f") == "t")
			throw Error(sqlstate::kInsufficientPrivilege,
			            "table " + table + " has triggers or rules; synchdb will not use it", "", fix);
	}
}

void EnsureOwnedTables(Spi &spi, const std::string &attr_table)
{
	spi.Exec("SELECT pg_catalog.to_regclass('_synchdb.tables') IS NULL", {}, true);
	const bool fresh = spi.Value(0, 0).value_or("f") == "t";
	if (!fresh)
		return;
	spi.Exec("CREATE TABLE _synchdb.tables ("
	         " relid oid PRIMARY KEY, dbname text NOT NULL, connector text NOT NULL,"
	         " how text NOT NULL CHECK (how OPERATOR(pg_catalog.=) ANY ('{created,adopted}'::pg_catalog.text[])),"
	         " recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now())");
	spi.Exec("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {attr_table}, true);
	if (!attr_table.empty() && spi.Value(0, 0).value_or("f") == "t")
		spi.Exec("INSERT INTO _synchdb.tables (relid, dbname, connector, how) "
		         "SELECT DISTINCT ON (a.attrelid) a.attrelid, a.dbname, a.name, 'created' FROM " + attr_table +
		         " a WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) a.attrelid) "
		         "ON CONFLICT (relid) DO NOTHING");
}

}  // namespace synchdb::pg
