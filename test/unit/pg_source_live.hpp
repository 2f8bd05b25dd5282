/*
 * pg_source_live.hpp
 *     Helpers of the tests that run against a real source PostgreSQL.
 *
 * NOTES
 *   They run only when SYNCHDB_PGSRC_PORT is set: a PostgreSQL 15 on
 *   127.0.0.1 with wal_level=logical, reachable as the superuser postgres
 *   without a password (SYNCHDB_PGSRC_USER overrides the user).  The tests
 *   create and drop the database synchdb_pgsrc_test and roles named
 *   synchdb_pgsrc_*; they drop the slots and publications they create.
 *
 *     SYNCHDB_RUN=/tmp/pgsrc-dev PORT=55470 SYNCHDB_PRELOAD=0 \
 *       SYNCHDB_PG_EXTRA_CONF=$'wal_level=logical\nmax_replication_slots=10\nmax_wal_senders=10' \
 *       bash scripts/pg.sh start pgsrc
 *     SYNCHDB_PGSRC_PORT=55470 make unittest
 *
 *   The password test additionally needs pg_hba.conf lines making the role
 *   synchdb_pwtest use scram-sha-256 from 127.0.0.1; it is skipped without.
 */
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "core/sources/postgres/connection.hpp"

namespace pgsrc_test {

inline const char *kTestDb = "synchdb_pgsrc_test";

inline bool LiveEnabled()
{
	const char *p = std::getenv("SYNCHDB_PGSRC_PORT");
	return p && *p;
}

inline synchdb::pgsrc::Endpoint TestEndpoint(const std::string &db = kTestDb)
{
	synchdb::pgsrc::Endpoint ep;
	ep.connector = "pgsrc_test";
	ep.host = "127.0.0.1";
	const char *p = std::getenv("SYNCHDB_PGSRC_PORT");
	ep.port = p ? std::atoi(p) : 0;
	const char *u = std::getenv("SYNCHDB_PGSRC_USER");
	ep.user = u && *u ? u : "postgres";
	ep.dbname = db;
	ep.connect_timeout_s = 5;
	return ep;
}

/* A fresh test database; returns a normal connection to it. */
inline std::unique_ptr<synchdb::pgsrc::Connection> FreshDatabase()
{
	using namespace synchdb::pgsrc;
	{
		Connection admin(TestEndpoint("postgres"), ConnKind::Normal);
		/* slots of an earlier failed run pin the database */
		admin.Exec("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
		           std::string(kTestDb) + "' AND NOT active");
		admin.Exec(std::string("DROP DATABASE IF EXISTS ") + kTestDb + " WITH (FORCE)");
		admin.Exec(std::string("CREATE DATABASE ") + kTestDb);
	}
	return std::make_unique<Connection>(TestEndpoint(), ConnKind::Normal);
}

}  // namespace pgsrc_test

#define PGSRC_SKIP_UNLESS_LIVE()                                                           \
	do {                                                                                   \
		if (!pgsrc_test::LiveEnabled())                                                    \
			GTEST_SKIP() << "SYNCHDB_PGSRC_PORT is not set (no source PostgreSQL to test)"; \
	} while (0)
