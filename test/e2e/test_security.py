#!/usr/bin/env python3
"""End-to-end tests of the attacks of the security issue: each must fail to escalate.

A role that owns the destination database (not a superuser) prepares traps in
it; a superuser then replicates into that database.  Afterwards the role must
still not be a superuser, and the traps must not have run.

Needs: PostgreSQL "pg" (synchdb preloaded), MariaDB "mariadb" with the sample
inventory database.
"""
import os
import sys
import time

import psycopg2

from harness import (PGPORT, Pg, add_conninfo, check, clean_destination, run_tests, script, wait_for, wait_state,
                     wait_stopped_with_error)

EVIL = "evil_owner"
EVILDB = "evil_dest"

# Each trap records that it ran and tries to make its caller's victim a superuser.
TRAP_BODY = f"""
BEGIN
    INSERT INTO evil.ran VALUES ('%s');
    EXECUTE 'ALTER ROLE {EVIL} SUPERUSER';
    RETURN %s;
END"""


def safe_session(dbname):
    """A superuser session in the owner's database that does not itself fall into the traps."""
    pg = Pg(dbname)
    pg.rows("SET search_path = pg_catalog")
    return pg


def evil_session():
    conn = psycopg2.connect(host="127.0.0.1", port=PGPORT, user=EVIL, dbname=EVILDB)
    conn.autocommit = True
    return conn


def run(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else []


def setup_evil_database(pre_create_private_schema=False):
    pg = Pg()
    pg.rows(f"DROP DATABASE IF EXISTS {EVILDB} WITH (FORCE)")
    if pg.one("SELECT count(*) FROM pg_roles WHERE rolname = %s", (EVIL,)):
        pg.rows(f"ALTER ROLE {EVIL} NOSUPERUSER")
    else:
        pg.rows(f"CREATE ROLE {EVIL} LOGIN")
    pg.rows(f"CREATE DATABASE {EVILDB} OWNER {EVIL}")
    pg.close()
    c = evil_session()
    run(c, "CREATE SCHEMA evil")
    run(c, "CREATE TABLE evil.ran (what text)")
    run(c, "GRANT ALL ON SCHEMA evil TO PUBLIC")
    run(c, "GRANT ALL ON evil.ran TO PUBLIC")
    # Functions the worker used unqualified, and the = operator for text.
    run(c, "CREATE FUNCTION evil.hashtext(text) RETURNS int LANGUAGE plpgsql AS $$" +
        TRAP_BODY % ("hashtext", "pg_catalog.hashtext($1)") + "$$")
    run(c, "CREATE FUNCTION evil.to_regclass(text) RETURNS regclass LANGUAGE plpgsql AS $$" +
        TRAP_BODY % ("to_regclass", "pg_catalog.to_regclass($1)") + "$$")
    run(c, "CREATE FUNCTION evil.pg_advisory_xact_lock(bigint) RETURNS void LANGUAGE plpgsql AS $$" +
        TRAP_BODY % ("pg_advisory_xact_lock", "") + "$$")
    run(c, "CREATE FUNCTION evil.texteq(text, text) RETURNS bool LANGUAGE plpgsql AS $$" +
        TRAP_BODY % ("=", "pg_catalog.texteq($1, $2)") + "$$")
    run(c, "CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq)")
    # A better match than pg_catalog.upper(text) for a varchar argument, in the database owner's public.
    run(c, "CREATE FUNCTION public.upper(character varying) RETURNS text LANGUAGE plpgsql AS $$" +
        TRAP_BODY % ("upper", "pg_catalog.upper($1)") + "$$")
    # pg_catalog named after evil: evil's functions and operators come first for the same signatures.
    run(c, f"ALTER DATABASE {EVILDB} SET search_path = evil, pg_catalog, public")
    if pre_create_private_schema:
        run(c, "CREATE SCHEMA _synchdb")
        run(c, "CREATE TABLE _synchdb.offsets (dbname text, connector text, incarnation text, file text, "
               "pos bigint, gtid text, server_id bigint, ts_sec bigint, snapshot_done boolean, "
               "updated_at timestamptz, tables text, PRIMARY KEY (dbname, connector))")
        run(c, "CREATE FUNCTION evil.trap() RETURNS trigger LANGUAGE plpgsql AS $$" +
            TRAP_BODY % ("offsets trigger", "NEW") + "$$")
        run(c, "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON _synchdb.offsets FOR EACH ROW EXECUTE FUNCTION evil.trap()")
        run(c, "ALTER TABLE _synchdb.offsets ENABLE ALWAYS TRIGGER t")
    c.close()


def escalated():
    pg = Pg()
    sup = pg.one("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (EVIL,))
    pg.close()
    d = safe_session(EVILDB)
    ran = [r[0] for r in d.rows("SELECT what FROM evil.ran")]
    d.close()
    return sup, ran


def teardown(pg, name):
    pg.one("SELECT synchdb_del_conninfo(%s)", (name,))
    pg.rows(f"DROP DATABASE IF EXISTS {EVILDB} WITH (FORCE)")


def test_database_owner_cannot_shadow_worker_names():
    pg = clean_destination(["inventory"])
    setup_evil_database()
    add_conninfo(pg, "secconn", dstdb=EVILDB)
    # A transform whose function the owner shadowed with a better-matching public.upper(varchar).
    pg.one("SELECT synchdb_add_objmap('secconn', 'transform', 'inventory.customers.last_name', 'upper(%d)')")
    pg.one("SELECT synchdb_start_engine_bgw('secconn')")
    d = safe_session(EVILDB)
    wait_for(lambda: d.one("SELECT to_regclass('inventory.customers') IS NOT NULL") and
             d.one("SELECT count(*) FROM inventory.customers") > 0, 60,
             what="snapshot of inventory.customers in the owner's database")
    names = d.rows("SELECT last_name FROM inventory.customers ORDER BY id")
    check(all(n[0] == n[0].upper() for n in names), f"transform applied with pg_catalog.upper: {names}")
    d.close()
    s = wait_state(pg, "secconn", "syncing", 60)
    check(s["err"] == "no error", f"connector healthy: {s}")
    sup, ran = escalated()
    check(sup is False, f"the database owner stayed a plain role (traps that ran: {ran})")
    check(ran == [], f"no trap ran in the worker: {ran}")
    pg.one("SELECT synchdb_stop_engine_bgw('secconn')")
    teardown(pg, "secconn")


def test_precreated_private_schema_refused():
    pg = clean_destination(["inventory"])
    setup_evil_database(pre_create_private_schema=True)
    add_conninfo(pg, "secconn", dstdb=EVILDB)
    pg.one("SELECT synchdb_start_engine_bgw('secconn')")
    s = wait_stopped_with_error(pg, "secconn", 60)
    check("_synchdb" in s["err"] and "not a superuser" in s["err"], f"refused with a clear error: {s}")
    sup, ran = escalated()
    check(sup is False and ran == [], f"no escalation: superuser={sup}, traps={ran}")
    teardown(pg, "secconn")


def test_objmap_guard_cannot_be_shadowed():
    pg = clean_destination(["inventory"])
    add_conninfo(pg, "secconn")
    if not pg.one("SELECT count(*) FROM pg_roles WHERE rolname = 'mapper'"):
        pg.rows("CREATE ROLE mapper LOGIN")
    pg.rows("GRANT INSERT, SELECT ON synchdb_objmap TO mapper")
    pg.rows("DROP SCHEMA IF EXISTS mapper CASCADE")
    pg.rows("CREATE SCHEMA mapper AUTHORIZATION mapper")
    c = psycopg2.connect(host="127.0.0.1", port=PGPORT, user="mapper", dbname="postgres")
    c.autocommit = True
    # An = that says no to everything, first in the path: the guard's test would be false.
    run(c, "CREATE FUNCTION mapper.no(text, text) RETURNS bool LANGUAGE sql AS 'SELECT false'")
    run(c, "CREATE OPERATOR mapper.= (LEFTARG = text, RIGHTARG = text, FUNCTION = mapper.no)")
    run(c, "SET search_path = mapper, pg_catalog, public")
    try:
        run(c, "INSERT INTO public.synchdb_objmap (name, objtype, enabled, srcobj, dstobj) "
               "VALUES ('secconn', 'transform', true, 'inventory.orders.quantity', 'pg_catalog.abs(%d)')")
        refused = None
    except psycopg2.Error as e:
        refused = e.pgcode
    c.close()
    check(refused == "42501", f"a non-superuser's transform row is refused whatever its search_path: {refused}")
    check(pg.one("SELECT count(*) FROM synchdb_objmap WHERE name = 'secconn'") == 0, "no rule written")
    pg.rows("DROP SCHEMA mapper CASCADE")
    pg.rows("REVOKE ALL ON synchdb_objmap FROM mapper")
    pg.one("SELECT synchdb_del_conninfo('secconn')")


def server_log():
    path = os.path.join(os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run"), "pg", "server.log")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_password_stays_out_of_log_and_activity():
    pg = clean_destination(["inventory"], reload_sample=False)
    secret = "Sekr3t-in-the-call-7781"
    before = len(server_log())
    # Refused for its port: log_min_error_statement (ERROR by default) would log the statement.
    err = pg.error("SELECT synchdb_add_conninfo('secconn', '127.0.0.1', 70000, 'u', %s, 'inventory', 'postgres', "
                   "'', 'mysql', '')", (secret,))
    check("port" in err, f"refused for the port: {err}")
    # Accepted: the session then sits idle with the call as its last query.
    pg.one("SELECT synchdb_add_conninfo('secconn', '127.0.0.1', 3306, 'u', %s, 'inventory', 'postgres', "
           "'', 'mysql', '')", (secret,))
    pid = pg.one("SELECT pg_backend_pid()")
    other = Pg()
    # The other session's view of this one after its last statement (this pid runs nothing meanwhile).
    pg.conn.commit()
    shown = other.one("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))
    other.close()
    time.sleep(0.5)
    logged = server_log()[before:]
    check(secret not in logged, "the password is not in the server log")
    check("ERROR" in logged and "port" in logged, "the failed call's error was logged (without the statement)")
    check(shown is not None and secret not in shown, f"pg_stat_activity does not show it: {shown!r}")
    check(pg.one("SELECT count(*) FROM synchdb_conninfo WHERE data::text LIKE %s", ("%" + secret + "%",)) == 0,
          "nor the definitions table")
    pg.one("SELECT synchdb_del_conninfo('secconn')")


def test_copied_database_does_not_start_its_connectors():
    pg = Pg()
    for db in ("copy_dst", "copy_src"):
        pg.rows(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    pg.rows("CREATE DATABASE copy_src")
    src = Pg("copy_src")
    src.rows("CREATE EXTENSION synchdb CASCADE")
    add_conninfo(src, "cpconn", dstdb="copy_src")
    src.one("SELECT synchdb_start_engine_bgw('cpconn', 'no_data')")
    wait_state(src, "cpconn", "syncing", 60)
    # Stopped for the copy (CREATE DATABASE needs the template idle), then marked active again, as a dump
    # taken while it ran would hold it.
    src.one("SELECT synchdb_stop_engine_bgw('cpconn')")
    src.rows("UPDATE synchdb_conninfo SET isactive = true WHERE name = 'cpconn'")
    src.close()
    pg.rows("CREATE DATABASE copy_dst TEMPLATE copy_src")
    pg.close()
    before = len(server_log())
    script("pg.sh", "restart")
    src = Pg("copy_src")
    wait_state(src, "cpconn", "syncing", 60)
    dst = Pg("copy_dst")
    time.sleep(2)
    running = dst.one("SELECT count(*) FROM synchdb_state_view WHERE conninfo_name = 'cpconn' AND pid > 0 "
                      "AND dbname = 'copy_dst'")
    check(running == 0, f"the copy's connector did not start ({running} running)")
    logged = server_log()[before:]
    check('did not start connector "cpconn"' in logged and "copy" in logged and "synchdb_rebind_conninfo" in logged,
          "the launcher says why, and the fix")
    err = dst.error("SELECT synchdb_start_engine_bgw('cpconn')")
    check("of which this one is a copy" in err and "synchdb_rebind_conninfo" in err, f"a start is refused: {err}")
    check("synchdb_rebind_conninfo" in dst.state("cpconn")["err"], "the state view says why it does not run")
    dst.close()
    src.one("SELECT synchdb_del_conninfo('cpconn')")
    src.close()
    pg = Pg()
    for db in ("copy_dst", "copy_src"):
        pg.rows(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
