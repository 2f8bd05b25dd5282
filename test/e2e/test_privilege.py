#!/usr/bin/env python3
"""End-to-end tests of the privilege model: connectors have owners, and their workers run as them.

- a role that is not a superuser, granted EXECUTE on synchdb's functions, defines a connector and
  replicates the inventory sample into a schema of its own; the worker logs in as that role;
- another role cannot control that connector;
- a destination table owned by another role (the database's owner) carrying a trigger that tries
  ALTER ROLE ... SUPERUSER: the trigger runs as the table's owner, so the role stays a plain one and
  the connector stops with the error;
- a dropped or NOLOGIN owner is refused at start, in the error and in synchdb_state_view.

Needs: PostgreSQL "pg" (synchdb preloaded), MariaDB "mariadb" with the sample inventory database.
"""
import os
import sys
import time

import psycopg2

from harness import (PGPORT, My, Pg, add_conninfo, check, clean_destination, run_tests, script, wait_for, wait_state,
                     wait_stopped_with_error)


def server_log():
    path = os.path.join(os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run"), "pg", "server.log")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()

OWNER = "priv_owner"
INTRUDER = "priv_intruder"
DBOWNER = "priv_dbowner"
DESTDB = "priv_dest"

CONTROL_FUNCTIONS = [
    "synchdb_add_conninfo(text, text, integer, text, text, text, text, text, text, text)",
    "synchdb_start_engine_bgw(text)", "synchdb_start_engine_bgw(text, text)", "synchdb_stop_engine_bgw(text)",
    "synchdb_del_conninfo(text)", "synchdb_pause_engine(text)", "synchdb_resume_engine(text)",
    "synchdb_alter_conninfo(text, text, integer, text, text)", "synchdb_add_objmap(text, text, text, text)",
    "synchdb_restart_connector(text, text)",
]


class PgAs(Pg):
    """An autocommit connection as another role."""

    def __init__(self, user, dbname="postgres"):
        self.dbname = dbname
        self.conn = psycopg2.connect(host="127.0.0.1", port=PGPORT, user=user, dbname=dbname)
        self.conn.autocommit = True


def make_role(pg, role, grant_functions=True):
    if pg.one("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)):
        drop_role(pg, role)
    pg.rows(f"CREATE ROLE {role} LOGIN")
    if grant_functions:
        for f in CONTROL_FUNCTIONS:
            pg.rows(f"GRANT EXECUTE ON FUNCTION {f} TO {role}")


def drop_role(pg, role):
    for db in [r[0] for r in pg.rows("SELECT datname FROM pg_database WHERE datallowconn")]:
        d = Pg(db)
        d.rows(f"DROP OWNED BY {role} CASCADE")
        d.close()
    pg.rows(f"DROP ROLE {role}")


def worker_user(pg, name):
    pid = pg.state(name)["pid"]
    return pg.one("SELECT usename FROM pg_stat_activity WHERE pid = %s", (pid,))


def test_non_superuser_owner_replicates_into_its_schema():
    pg = clean_destination(["inventory"])
    make_role(pg, OWNER)
    pg.rows(f"CREATE SCHEMA inventory AUTHORIZATION {OWNER}")
    o = PgAs(OWNER)
    add_conninfo(o, "privconn")
    check(pg.one("SELECT data->>'owner_name' FROM synchdb_conninfo WHERE name = 'privconn'") == OWNER,
          "the definition records its owner")
    o.one("SELECT synchdb_start_engine_bgw('privconn')")
    wait_state(pg, "privconn", "syncing", 60)
    check(worker_user(pg, "privconn") == OWNER, f"the worker logs in as the owner: {worker_user(pg, 'privconn')}")
    wait_for(lambda: pg.one("SELECT to_regclass('inventory.customers') IS NOT NULL") and
             pg.one("SELECT count(*) FROM inventory.customers") == 4, 60, what="snapshot of inventory.customers")
    owners = pg.rows("SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = "
                     "'inventory'::regnamespace AND relkind = 'r'")
    check(owners == [(OWNER,)], f"the tables it created are the owner's: {owners}")
    my = My()
    my.run("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Pri', 'Vilege', 'pv@example.com')")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.customers WHERE email = 'pv@example.com'") == 1, 60,
             what="streamed row")
    my.run("DELETE FROM inventory.customers WHERE email = 'pv@example.com'")
    # Source DDL runs as the owner too (it has no CREATE on the database: the schema exists).
    my.run("CREATE TABLE inventory.priv_new (id int PRIMARY KEY, v varchar(10))")
    my.run("INSERT INTO inventory.priv_new VALUES (1, 'ddl')")
    wait_for(lambda: pg.one("SELECT to_regclass('inventory.priv_new') IS NOT NULL") and
             pg.one("SELECT count(*) FROM inventory.priv_new") == 1, 60, what="table created by source DDL")
    check(pg.one("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'inventory.priv_new'::regclass") == OWNER,
          "owned by the connector's owner")
    my.run("DROP TABLE inventory.priv_new")
    my.close()
    s = wait_state(pg, "privconn", "syncing", 30)
    check(s["err"] == "no error", f"healthy: {s}")
    check(pg.one("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (OWNER,)) is False, "still a plain role")

    # Another role, granted the same functions, may control none of it.
    make_role(pg, INTRUDER)
    i = PgAs(INTRUDER)
    for call in ("synchdb_stop_engine_bgw('privconn')", "synchdb_del_conninfo('privconn')",
                 "synchdb_pause_engine('privconn')", "synchdb_alter_conninfo('privconn', 'evil.example.com')",
                 "synchdb_add_objmap('privconn', 'table', 'inventory.orders', 'x.orders')"):
        err = i.error("SELECT " + call)
        check(err.startswith("42501") and "must be the owner of connector \"privconn\"" in err,
              f"{call} by another role is refused: {err}")
    err = i.error("SELECT * FROM synchdb_conninfo")
    check(err.startswith("42501"), f"nor can it read the definitions: {err}")
    i.close()
    check(pg.state("privconn")["state"] in ("syncing", "executing"), "the connector still runs")
    # set_owner is for superusers.
    err = o.error(f"SELECT synchdb_set_owner('privconn', '{INTRUDER}')")
    check(err.startswith("42501"), f"synchdb_set_owner by a non-superuser is refused: {err}")
    o.one("SELECT synchdb_stop_engine_bgw('privconn')")
    o.one("SELECT synchdb_del_conninfo('privconn')")
    o.close()
    pg.rows("DROP SCHEMA inventory CASCADE")
    drop_role(pg, INTRUDER)
    drop_role(pg, OWNER)
    pg.close()


def setup_trap_database(pg):
    pg.rows(f"DROP DATABASE IF EXISTS {DESTDB} WITH (FORCE)")
    if pg.one("SELECT count(*) FROM pg_roles WHERE rolname = %s", (DBOWNER,)):
        pg.rows(f"DROP ROLE {DBOWNER}")
    pg.rows(f"CREATE ROLE {DBOWNER} LOGIN")
    pg.rows(f"CREATE DATABASE {DESTDB} OWNER {DBOWNER}")
    d = PgAs(DBOWNER, DESTDB)
    d.rows("CREATE SCHEMA inventory")
    d.rows("CREATE TABLE inventory.customers (id int PRIMARY KEY, first_name text, last_name text, email text)")
    d.rows("CREATE TABLE inventory.ran (who text)")
    # Run as a superuser, this makes the database's owner one.
    d.rows(f"""CREATE FUNCTION inventory.trap() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                   INSERT INTO inventory.ran VALUES (current_user);
                   EXECUTE 'ALTER ROLE {DBOWNER} SUPERUSER';
                   RETURN NEW;
               END $$""")
    d.rows("CREATE TRIGGER trap BEFORE INSERT OR UPDATE ON inventory.customers "
           "FOR EACH ROW EXECUTE FUNCTION inventory.trap()")
    d.rows("ALTER TABLE inventory.customers ENABLE ALWAYS TRIGGER trap")
    d.close()


def test_trigger_of_another_owners_table_runs_as_that_owner():
    pg = clean_destination(["inventory"])
    setup_trap_database(pg)
    # A superuser's connector into the database: before, the trigger ran as the bootstrap superuser.
    add_conninfo(pg, "trapconn", dstdb=DESTDB, table="inventory.customers")
    pg.one("SELECT synchdb_start_engine_bgw('trapconn', 'no_data')")
    wait_state(pg, "trapconn", "syncing", 60)
    d = Pg(DESTDB)
    # The row below must come after the position the connector starts streaming from.
    wait_for(lambda: d.one("SELECT to_regclass('_synchdb.offsets') IS NOT NULL") and
             d.one("SELECT count(*) FROM _synchdb.offsets WHERE connector = 'trapconn' AND snapshot_done") == 1, 60,
             what="the connector's first position")
    d.close()
    my = My()
    my.run("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Trap', 'Door', 'td@example.com')")
    my.close()
    s = wait_stopped_with_error(pg, "trapconn", 60)
    check(pg.one("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (DBOWNER,)) is False,
          f"the table's owner did not become a superuser (connector: {s})")
    check("permission denied" in s["err"] or "must be superuser" in s["err"],
          f"the connector stopped with the trigger's error (error_handling_strategy exit): {s}")
    d = Pg(DESTDB)
    d.rows("SET search_path = pg_catalog")
    check(d.one("SELECT count(*) FROM inventory.customers") == 0, "the refused row was not applied")
    d.close()
    pg.one("SELECT synchdb_del_conninfo('trapconn')")
    pg.rows(f"DROP DATABASE {DESTDB} WITH (FORCE)")
    pg.rows(f"DROP ROLE {DBOWNER}")
    pg.close()


def test_dropped_or_nologin_owner_refused_at_start():
    pg = clean_destination(["inventory"], reload_sample=False)
    make_role(pg, OWNER)
    o = PgAs(OWNER)
    add_conninfo(o, "goneconn")
    o.close()
    pg.rows(f"ALTER ROLE {OWNER} NOLOGIN")
    err = pg.error("SELECT synchdb_start_engine_bgw('goneconn')")
    check("may not log in (NOLOGIN)" in err and f"ALTER ROLE {OWNER} LOGIN" in err.replace('"', ''),
          f"a NOLOGIN owner is refused, naming the fix: {err}")
    s = pg.state("goneconn")
    check(s["state"] == "stopped" and "NOLOGIN" in s["err"], f"the state view says why: {s}")
    # The auto-launcher refuses it too, says why, and does not retry in a loop.
    pg.rows("UPDATE synchdb_conninfo SET isactive = true WHERE name = 'goneconn'")
    pg.close()
    before = len(server_log())
    script("pg.sh", "restart")
    pg = Pg()
    s = wait_for(lambda: (lambda st: st if st and "NOLOGIN" in st["err"] else None)(pg.state("goneconn")), 30,
                 what="the launcher's refusal in the state view")
    check(s["state"] == "stopped", f"not running: {s}")
    time.sleep(1)
    logged = server_log()[before:]
    check(logged.count('could not relaunch connector "goneconn"') == 1 and "NOLOGIN" in logged,
          "the launcher logs the refusal once")
    pg.rows(f"ALTER ROLE {OWNER} LOGIN")
    pg.rows(f"REVOKE CONNECT ON DATABASE postgres FROM PUBLIC")
    try:
        err = pg.error("SELECT synchdb_start_engine_bgw('goneconn')")
    finally:
        pg.rows(f"GRANT CONNECT ON DATABASE postgres TO PUBLIC")
    check("has no CONNECT privilege" in err and "GRANT CONNECT" in err, f"an owner without CONNECT is refused: {err}")
    drop_role(pg, OWNER)
    err = pg.error("SELECT synchdb_start_engine_bgw('goneconn')")
    check("no longer exists" in err and "synchdb_set_owner" in err, f"a dropped owner is refused: {err}")
    s = pg.state("goneconn")
    check(s["state"] == "stopped" and "no longer exists" in s["err"], f"the state view says why: {s}")
    pg.one("SELECT synchdb_set_owner('goneconn', 'postgres')")
    check(pg.one("SELECT data->>'owner_name' FROM synchdb_conninfo WHERE name = 'goneconn'") == "postgres",
          "synchdb_set_owner gives it a new owner")
    err = pg.error("SELECT synchdb_set_owner('goneconn', 'no_such_role')")
    check(err.startswith("42704") and "no_such_role" in err, f"an unknown role is refused: {err}")
    pg.one("SELECT synchdb_del_conninfo('goneconn')")
    pg.close()


def test_definition_without_owner_warns():
    pg = clean_destination(["inventory"], reload_sample=False)
    add_conninfo(pg, "oldconn")
    pg.rows("UPDATE synchdb_conninfo SET data = data - 'owner' - 'owner_name' WHERE name = 'oldconn'")
    pg.conn.notices.clear()
    pg.one("SELECT synchdb_start_engine_bgw('oldconn', 'no_data')")
    warned = [n for n in pg.conn.notices if "has no owner" in n]
    check(warned and "synchdb_set_owner('oldconn'" in warned[0], f"a WARNING names the fix: {pg.conn.notices}")
    wait_state(pg, "oldconn", "syncing", 60)
    check(worker_user(pg, "oldconn") == "postgres", "it runs as the bootstrap superuser, as before")
    pg.one("SELECT synchdb_stop_engine_bgw('oldconn')")
    pg.one("SELECT synchdb_del_conninfo('oldconn')")
    pg.close()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
