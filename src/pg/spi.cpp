/*
 * spi.cpp
 *     Guarded SPI calls.
 */
#include "pg/spi.hpp"

#include <exception>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/genam.h"
#include "catalog/indexing.h"
#include "utils/fmgroids.h"
}

namespace synchdb::pg {

Spi::Spi()
{
	int rc = PgCall([] { return SPI_connect(); });
	if (rc != SPI_OK_CONNECT)
		throw Error(sqlstate::kInternalError, "SPI_connect failed: " + std::string(SPI_result_code_string(rc)));
	connected_ = true;
}

Spi::~Spi()
{
	/*
	 * During unwinding the transaction is about to abort, and abort cleans
	 * up SPI; SPI_finish is only for the normal path.  A destructor must not
	 * let ereport(ERROR) longjmp through C++ frames, nor throw: SPI_finish
	 * fails only on a connection it does not know (a bug of ours), which is
	 * logged and left to transaction abort to clean up.
	 */
	if (!connected_ || std::uncaught_exceptions() != 0)
		return;
	try {
		PgCall([] { SPI_finish(); });
	} catch (const std::exception &e) {
		const char *what = e.what();
		PG_TRY();
		{
			ereport(LOG, (errmsg("synchdb: SPI_finish failed: %s", what)));
		}
		PG_CATCH();
		{
			FlushErrorState();
		}
		PG_END_TRY();
	}
}

uint64_t Spi::Exec(const std::string &sql, const std::vector<SpiParam> &params, bool read_only)
{
	const int n = static_cast<int>(params.size());
	std::vector<Oid> types(n, TEXTOID);
	std::vector<Datum> values(n, 0);
	std::vector<char> nulls(n, ' ');
	for (int i = 0; i < n; i++) {
		if (!params[i])
			nulls[i] = 'n';
		else {
			const char *s = params[i]->c_str();
			values[i] = PgCall([&] { return PointerGetDatum(cstring_to_text(s)); });
		}
	}
	const char *q = sql.c_str();
	Oid *t = types.data();
	Datum *v = values.data();
	char *nl = nulls.data();
	int rc = PgCall([&] { return SPI_execute_with_args(q, n, t, v, nl, read_only, 0); });
	if (rc < 0)
		throw Error(sqlstate::kInternalError,
		            "SPI failed (" + std::string(SPI_result_code_string(rc)) + ") for statement: " + sql);
	return SPI_processed;
}

std::optional<std::string> Spi::Value(uint64_t row, int col) const
{
	if (!SPI_tuptable || row >= SPI_processed)
		return std::nullopt;
	HeapTuple tup = SPI_tuptable->vals[row];
	TupleDesc desc = SPI_tuptable->tupdesc;
	char *v = PgCall([&] { return SPI_getvalue(tup, desc, col + 1); });
	if (!v)
		return std::nullopt;
	std::string out(v);
	pfree(v);
	return out;
}

std::string CurrentDatabaseName()
{
	std::string name;
	PgCall([&] {
		char *n = get_database_name(MyDatabaseId);
		name = n ? n : "";
	});
	return name;
}

std::string ExtensionSchema()
{
	return PgCall([] {
		Oid ext = get_extension_oid("synchdb", true);
		if (!OidIsValid(ext))
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
			                errmsg("extension \"synchdb\" is not installed in database \"%s\"",
			                       get_database_name(MyDatabaseId)),
			                errhint("Run CREATE EXTENSION synchdb CASCADE.")));
		/* get_extension_schema() is not exported before PostgreSQL 16. */
		Relation rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyData key;
		ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
		SysScanDesc scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
		HeapTuple tup = systable_getnext(scan);
		Oid nsp_oid = HeapTupleIsValid(tup) ? ((Form_pg_extension) GETSTRUCT(tup))->extnamespace : InvalidOid;
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		char *nsp = get_namespace_name(nsp_oid);
		if (!nsp)
			elog(ERROR, "schema of extension \"synchdb\" not found");
		return quote_identifier(nsp);
	});
}

}  // namespace synchdb::pg
