#!/usr/bin/env python3
"""End-to-end tests of what synchdb may take over: copies of a database, tables it did not create,
names that would forge log lines, and its key.

- A connector copied with its database (CREATE DATABASE ... TEMPLATE, pg_dump and restore) does not
  start, says why in synchdb_state_view and the start's error, and runs once synchdb_rebind_conninfo
  binds it to the copy.
- A destination table that existed before the connector is neither emptied by the snapshot, nor
  emptied by a source TRUNCATE, nor dropped by a source DROP TABLE, until a superuser adopts it
  (synchdb_adopt_table); tables synchdb created still follow the source.
- A MariaDB table name holding a newline cannot start a line of its own in the server log or the
  state view.
- A lost key file is an error, not a new key; synchdb_rotate_key re-encrypts the secrets and the
  connector still logs in.

Needs: PostgreSQL "pg" (synchdb preloaded), MariaDB "mariadb" with the sample inventory database.
"""
import os
import shutil
import subprocess
import sys
import time

from harness import (PGPORT, My, Pg, add_conninfo, check, clean_destination, run_tests, wait_for, wait_state,
                     wait_stopped_with_error)

RUN = os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run")
PGDATA = os.path.join(RUN, "pg", "data")


def server_log():
    with open(os.path.join(RUN, "pg", "server.log"), encoding="utf-8", errors="replace") as f:
        return f.read()


def pg_bin(name):
    d = os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")
    return os.path.join(d, name)


def drop_dbs(pg, *names):
    for db in names:
        pg.rows(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def check_copy_refused(dst, name):
    err = dst.error(f"SELECT synchdb_start_engine_bgw('{name}', 'no_data')")
    check("was defined in another database" in err and "synchdb_rebind_conninfo" in err,
          f"the start names the copy and the fix: {err}")
    s = dst.state(name)
    check(s is not None and s["pid"] == -1 and "synchdb_rebind_conninfo" in s["err"],
          f"the state view says why it does not run: {s}")


def test_copied_database_refuses_start_until_rebound():
    clean_destination(["inventory"], reload_sample=False)
    pg = Pg()
    drop_dbs(pg, "adopt_copy", "adopt_dump", "adopt_src")
    pg.rows("CREATE DATABASE adopt_src")
    src = Pg("adopt_src")
    src.rows("CREATE EXTENSION synchdb CASCADE")
    add_conninfo(src, "cpconn", table="inventory.orders")
    check(src.state("cpconn")["err"] == "no error", "the original is not a copy")
    src.close()
    # A copy with CREATE DATABASE ... TEMPLATE, and one through pg_dump and restore.
    pg.rows("CREATE DATABASE adopt_copy TEMPLATE adopt_src")
    pg.rows("CREATE DATABASE adopt_dump")
    dump = subprocess.run([pg_bin("pg_dump"), "-h", "127.0.0.1", "-p", str(PGPORT), "-U", "postgres", "adopt_src"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True).stdout
    subprocess.run([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(PGPORT), "-U", "postgres", "-q", "-d", "adopt_dump",
                    "-v", "ON_ERROR_STOP=1"], input=dump, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                   check=True)
    for db in ("adopt_copy", "adopt_dump"):
        dst = Pg(db)
        check_copy_refused(dst, "cpconn")
        dst.close()
    # Bound to the copy, it starts (into the destination its definition names).
    dst = Pg("adopt_copy")
    dst.one("SELECT synchdb_rebind_conninfo('cpconn')")
    check(dst.state("cpconn")["err"] == "no error", "after the rebind the state view shows no error")
    dst.one("SELECT synchdb_start_engine_bgw('cpconn', 'no_data')")
    wait_state(dst, "cpconn", "syncing", 60)
    dst.one("SELECT synchdb_stop_engine_bgw('cpconn')")
    dst.one("SELECT synchdb_del_conninfo('cpconn')")
    dst.close()
    # Deleting the dump's copy leaves the original alone (and says so).
    dump_db = Pg("adopt_dump")
    dump_db.one("SELECT synchdb_del_conninfo('cpconn')")
    notices = " ".join(dump_db.conn.notices)
    check("copy" in notices, f"deleting a copy says what it left to the original: {notices}")
    dump_db.close()
    src = Pg("adopt_src")
    check(src.one("SELECT count(*) FROM synchdb_conninfo WHERE name = 'cpconn'") == 1, "the original is untouched")
    src.close()
    drop_dbs(pg, "adopt_copy", "adopt_dump", "adopt_src")
    pg.close()


ORDERS_DDL = ("CREATE TABLE inventory.orders (order_number integer PRIMARY KEY, order_date date NOT NULL, "
              "purchaser integer NOT NULL, quantity integer NOT NULL, product_id integer NOT NULL)")


def test_existing_table_is_not_emptied_until_adopted():
    pg = clean_destination(["inventory"])
    pg.rows("CREATE SCHEMA inventory")
    pg.rows(ORDERS_DDL)
    pg.rows("INSERT INTO inventory.orders VALUES (1, '2020-01-01', 1, 1, 1)")
    add_conninfo(pg, "adoptconn", table="inventory.orders")
    pg.one("SELECT synchdb_start_engine_bgw('adoptconn')")
    s = wait_stopped_with_error(pg, "adoptconn", 60)
    check('"inventory"."orders"' in s["err"] and "was not created by synchdb" in s["err"],
          f"the snapshot refuses, naming the table: {s['err']}")
    check(pg.one("SELECT count(*) FROM inventory.orders WHERE order_number = 1") == 1, "the user's row is still there")
    pg.one("SELECT synchdb_adopt_table('inventory.orders')")
    check(pg.one("SELECT how FROM _synchdb.tables WHERE relid = 'inventory.orders'::regclass") == "adopted",
          "recorded as adopted")
    pg.one("SELECT synchdb_start_engine_bgw('adoptconn')")
    wait_state(pg, "adoptconn", "syncing", 60)
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders") == 4, 30, what="the source's 4 orders")
    check(pg.one("SELECT count(*) FROM inventory.orders WHERE order_number = 1") == 0,
          "once adopted, the snapshot replaced its rows")
    pg.one("SELECT synchdb_stop_engine_bgw('adoptconn')")
    pg.one("SELECT synchdb_del_conninfo('adoptconn')")


def test_source_drop_and_truncate_spare_tables_synchdb_did_not_create():
    pg = clean_destination(["inventory"])
    my = My()
    my.run("CREATE TABLE inventory.mine (id int PRIMARY KEY, v int)")
    my.run("CREATE TABLE inventory.made (id int PRIMARY KEY, v int)")
    my.run("INSERT INTO inventory.mine VALUES (1, 1)")
    pg.rows("CREATE SCHEMA inventory")
    pg.rows("CREATE TABLE inventory.mine (id integer PRIMARY KEY, v integer)")
    pg.rows("INSERT INTO inventory.mine VALUES (99, 99)")
    add_conninfo(pg, "dropconn", table="inventory.mine,inventory.made")
    # no_data: the existing table is used as it is (nothing emptied); inventory.made is created.
    pg.one("SELECT synchdb_start_engine_bgw('dropconn', 'no_data')")
    wait_state(pg, "dropconn", "syncing", 60)
    check(pg.one("SELECT how FROM _synchdb.tables WHERE relid = 'inventory.made'::regclass") == "created",
          "the table synchdb made is recorded")
    check(pg.one("SELECT count(*) FROM _synchdb.tables WHERE relid = 'inventory.mine'::regclass") == 0,
          "the table it found is not")
    my.run("TRUNCATE TABLE inventory.mine")
    s = wait_stopped_with_error(pg, "dropconn", 60)
    check("inventory" in s["err"] and '"mine"' in s["err"] and "TRUNCATE" in s["err"],
          f"a source TRUNCATE is refused: {s['err']}")
    check(pg.one("SELECT count(*) FROM inventory.mine") == 1, "the user's row is still there")
    pg.one("SELECT synchdb_adopt_table('inventory.mine')")
    pg.one("SELECT synchdb_start_engine_bgw('dropconn')")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.mine") == 0, 60, what="the adopted table emptied")
    # A synchdb-made table follows the source's DROP; an unadopted one (made again by the user) does not.
    my.run("DROP TABLE inventory.made")
    wait_for(lambda: pg.one("SELECT to_regclass('inventory.made') IS NULL"), 60, what="inventory.made dropped")
    my.run("CREATE TABLE inventory.made (id int PRIMARY KEY, v int)")  # the table list names it
    wait_for(lambda: pg.one("SELECT to_regclass('inventory.made') IS NOT NULL"), 60, what="inventory.made again")
    pg.one("SELECT synchdb_stop_engine_bgw('dropconn')")
    pg.rows("DELETE FROM _synchdb.tables WHERE relid = 'inventory.mine'::regclass")  # no longer adopted
    pg.one("SELECT synchdb_start_engine_bgw('dropconn')")
    wait_state(pg, "dropconn", "syncing", 60)
    my.run("DROP TABLE inventory.mine")
    s = wait_stopped_with_error(pg, "dropconn", 60)
    check('"mine"' in s["err"] and "would drop it" in s["err"] and "synchdb_adopt_table" in s["err"],
          f"a source DROP TABLE is refused, naming the fix: {s['err']}")
    check(pg.one("SELECT to_regclass('inventory.mine') IS NOT NULL"), "the table is still there")
    pg.one("SELECT synchdb_adopt_table('inventory.mine')")
    old_oid = pg.one("SELECT 'inventory.mine'::regclass::oid")
    my.run("CREATE TABLE inventory.mine (id int PRIMARY KEY, v int)")  # the table list names it
    pg.one("SELECT synchdb_start_engine_bgw('dropconn')")
    # Adopted, it was dropped with the source's; the source's new table is synchdb's own.
    wait_for(lambda: pg.one("SELECT how FROM _synchdb.tables WHERE relid = to_regclass('inventory.mine')") == "created"
             and pg.one("SELECT 'inventory.mine'::regclass::oid") != old_oid, 60,
             what="the adopted table dropped and made again")
    check(pg.one("SELECT count(*) FROM _synchdb.tables WHERE relid NOT IN (SELECT oid FROM pg_class)") == 0,
          "dropped tables leave no record behind")
    pg.one("SELECT synchdb_stop_engine_bgw('dropconn')")
    pg.one("SELECT synchdb_del_conninfo('dropconn')")
    my.close()


def test_newline_in_a_table_name_does_not_forge_log_lines():
    pg = clean_destination(["inventory"])
    my = My()
    evil = "evil\nLOG:  forged by the source"
    my.run(f"CREATE TABLE inventory.`{evil}` (id int PRIMARY KEY)")
    check(my.run("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'inventory' "
                 "AND table_name = %s", (evil,))[0][0] == 1, "MariaDB keeps a table name with a newline")
    # A table of that name that synchdb did not create: the refusal quotes the name.
    pg.rows("CREATE SCHEMA inventory")
    # (synchdb lower-cases source names by default)
    pg.rows('CREATE TABLE inventory."evil\nlog:  forged by the source" (id integer PRIMARY KEY)')
    before = len(server_log())
    add_conninfo(pg, "nlconn")
    pg.one("SELECT synchdb_start_engine_bgw('nlconn')")
    s = wait_stopped_with_error(pg, "nlconn", 60)
    check("\n" not in s["err"] and "evil\\nlog:  forged" in s["err"], f"the state view escapes it: {s['err']!r}")
    time.sleep(0.5)
    logged = server_log()[before:]
    check("evil\\nlog:  forged" in logged, "the log has the escaped name")
    check(not any(line.lower().startswith("log:  forged") for line in logged.splitlines()),
          "no log line starts with the forged text")
    pg.one("SELECT synchdb_del_conninfo('nlconn')")
    my.run(f"DROP TABLE inventory.`{evil}`")
    my.close()


def key_dir():
    return os.path.join(PGDATA, "pg_synchdb")


def test_lost_key_is_an_error_and_rotation_keeps_connectors_working():
    pg = clean_destination(["inventory"])
    add_conninfo(pg, "keyconn", table="inventory.orders")
    pg.one("SELECT synchdb_start_engine_bgw('keyconn', 'no_data')")
    wait_state(pg, "keyconn", "syncing", 60)
    # "syncing" is also shown while the source's schema is still on its way: wait for the first position.
    wait_for(lambda: pg.one("SELECT to_regclass('_synchdb.offsets') IS NOT NULL") and
             pg.one("SELECT count(*) FROM _synchdb.offsets WHERE connector = 'keyconn' AND snapshot_done") == 1, 60,
             what="keyconn's first position")
    pg.one("SELECT synchdb_stop_engine_bgw('keyconn')")
    # A row only the destination holds: a new snapshot would remove it.
    pg.rows("INSERT INTO inventory.orders (order_number, order_date, purchaser, quantity, product_id) "
            "VALUES (999999, '1999-09-09', 1001, 9, 102)")
    # Rotated: the connector logs in with the re-encrypted password, and is still the same connector.
    n = pg.one("SELECT synchdb_rotate_key()")
    check(n == 1, f"one secret re-encrypted ({n})")
    check(pg.one("SELECT data ? 'incarnation' FROM synchdb_conninfo WHERE name = 'keyconn'"),
          "the connector's identity is pinned before its password's ciphertext changes")
    pg.one("SELECT synchdb_start_engine_bgw('keyconn')")
    wait_state(pg, "keyconn", "syncing", 60)
    check(pg.one("SELECT count(*) FROM inventory.orders WHERE order_number = 999999") == 1,
          "started with 'initial' after the rotation: it resumed from its position, no new snapshot")
    pg.one("SELECT synchdb_stop_engine_bgw('keyconn')")
    # The key file lost: neither a new connector nor a start makes a new key.
    saved = os.path.join(RUN, "synchdb.key.saved")
    shutil.move(os.path.join(key_dir(), "synchdb.key"), saved)
    try:
        err = pg.error("SELECT synchdb_add_conninfo('keyconn2', '127.0.0.1', 3306, 'u', 'p', 'inventory', "
                       "'postgres', '', 'mysql', '')")
        check("synchdb.key" in err and "is missing" in err and "Restore it" in err,
              f"adding a connector names the missing file and the fix: {err}")
        check(not os.path.exists(os.path.join(key_dir(), "synchdb.key")), "no new key was made")
        err = pg.error("SELECT synchdb_rotate_key()")
        check("is missing" in err, f"rotation needs the key too: {err}")
        # The retired keys still open the secrets they encrypted; move them away as well.
        retired = [f for f in os.listdir(key_dir()) if f.startswith("synchdb.key.retired.")]
        moved = []
        for f in retired:
            shutil.move(os.path.join(key_dir(), f), os.path.join(RUN, f))
            moved.append(f)
        pg.one("SELECT synchdb_start_engine_bgw('keyconn', 'no_data')")
        s = wait_stopped_with_error(pg, "keyconn", 60)
        check("is missing" in s["err"] and "synchdb.key" in s["err"], f"the worker names the missing key: {s['err']}")
        for f in moved:
            shutil.move(os.path.join(RUN, f), os.path.join(key_dir(), f))
    finally:
        shutil.move(saved, os.path.join(key_dir(), "synchdb.key"))
    pg.one("SELECT synchdb_start_engine_bgw('keyconn', 'no_data')")
    wait_state(pg, "keyconn", "syncing", 60)
    pg.one("SELECT synchdb_stop_engine_bgw('keyconn')")
    pg.one("SELECT synchdb_del_conninfo('keyconn')")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
