#!/usr/bin/env python3
"""End-to-end tests of replication: snapshot, change data capture, exactly-once across crashes.

Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
"""
import sys
import threading
import time

from harness import (My, Pg, TestFailure, add_conninfo, check, clean_destination, expect_crash, run_tests, script,
                     wait_for, wait_same, wait_stopped_with_error)

INVENTORY = {
    "products": ["id", "name", "description", "weight"],
    "products_on_hand": ["product_id", "quantity"],
    "customers": ["id", "first_name", "last_name", "email"],
    "addresses": ["id", "customer_id", "street", "city", "state", "zip", "type"],
    "orders": ["order_number", "order_date", "purchaser", "quantity", "product_id"],
}


def fresh():
    return clean_destination(("inventory", "typedb"))


def start(pg, name="mysqlconn", mode=None, **kw):
    add_conninfo(pg, name, **kw)
    if mode:
        pg.one("SELECT synchdb_start_engine_bgw(%s, %s)", (name, mode))
    else:
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))


def wait_cdc(pg, name="mysqlconn", timeout=60):
    def ready():
        s = pg.state(name)
        if s and s["state"] == "stopped" and s["err"] != "no error":
            raise TestFailure(f"connector stopped: {s['err']}")
        return s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing")
    wait_for(ready, timeout, what=f"{name} in change data capture")


def all_same(pg, my, tables=INVENTORY, db="inventory", timeout=60):
    for t, cols in tables.items():
        wait_same(pg, my, db, t, cols, timeout)


def test_snapshot_then_cdc():
    pg = fresh()
    my = My()
    start(pg)
    wait_cdc(pg)
    all_same(pg, my)
    s = pg.rows("SELECT snapshot_tables_done, snapshot_tables_total, snapshot_rows FROM synchdb_state_view "
                "WHERE conninfo_name = 'mysqlconn'")[0]
    check(s[0] == s[1] == 5 and s[2] > 20, f"snapshot progress {s}")
    # Types and keys of the destination tables.
    cols = dict(pg.rows("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = 'inventory' AND table_name = 'orders'"))
    check(cols == {"order_number": "integer", "order_date": "date", "purchaser": "integer", "quantity": "integer",
                   "product_id": "integer"}, cols)
    pk = pg.one("SELECT string_agg(a.attname, ',') FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'inventory.orders'::regclass AND i.indisprimary")
    check(pk == "order_number", f"primary key {pk}")
    check(pg.one("SELECT is_nullable FROM information_schema.columns WHERE table_schema = 'inventory' "
                 "AND table_name = 'products' AND column_name = 'name'") == "NO", "NOT NULL kept")

    # Inserts, updates (including the primary key), deletes, a multi-statement transaction.
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-03-01', 1004, 5, 103)")
    my.run("UPDATE inventory.orders SET quantity = quantity + 10 WHERE order_number = 10001")
    my.run("UPDATE inventory.orders SET order_number = 20003 WHERE order_number = 10003")
    my.run("DELETE FROM inventory.orders WHERE order_number = 10002")
    my.run("BEGIN")
    my.run("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Tx', 'One', 'tx1@example.com')")
    my.run("UPDATE inventory.products SET weight = weight * 2 WHERE id < 105")
    my.run("DELETE FROM inventory.addresses WHERE id = (SELECT MIN(id) FROM inventory.addresses)")
    my.run("COMMIT")
    # A rolled-back transaction never appears.
    my.run("BEGIN")
    my.run("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Never', 'Seen', 'never@example.com')")
    my.run("ROLLBACK")
    all_same(pg, my)
    check(pg.one("SELECT count(*) FROM inventory.customers WHERE email = 'never@example.com'") == 0, "no rollback")
    st = pg.rows("SELECT inserts, updates, deletes, snapshot_rows, transactions FROM synchdb_stats_view "
                 "WHERE name = 'mysqlconn'")[0]
    check(st[0] >= 2 and st[1] >= 5 and st[2] >= 2 and st[3] > 20 and st[4] >= 5, f"statistics {st}")
    off = pg.one("SELECT last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'mysqlconn'")
    check('"file":"mysql-bin.' in off and '"pos":' in off and '"gtids":"0-1-' in off, f"Debezium-shaped offset {off}")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_table_without_primary_key():
    pg = fresh()
    my = My()
    my.run("CREATE TABLE inventory.nokey (a INT, b VARCHAR(10))")
    my.run("INSERT INTO inventory.nokey VALUES (1, 'x'), (1, 'x'), (2, 'y'), (NULL, NULL)")
    start(pg)
    wait_cdc(pg)
    cols = ["a", "b"]
    wait_same(pg, my, "inventory", "nokey", cols)
    my.run("UPDATE inventory.nokey SET b = 'z' WHERE a = 1 LIMIT 1")   # one of two identical rows
    my.run("DELETE FROM inventory.nokey WHERE a = 2")
    my.run("UPDATE inventory.nokey SET a = 3 WHERE a IS NULL")
    my.run("INSERT INTO inventory.nokey VALUES (1, 'x')")
    wait_same(pg, my, "inventory", "nokey", cols)
    check(pg.one("SELECT count(*) FROM inventory.nokey WHERE a = 1 AND b = 'x'") == 2, "one row per source row")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_truncate():
    pg = fresh()
    my = My()
    start(pg)
    wait_cdc(pg)
    my.run("CREATE TABLE IF NOT EXISTS inventory.scratch (id INT PRIMARY KEY)")  # not replicated: created after start
    my.run("DELETE FROM inventory.orders")
    my.run("TRUNCATE TABLE inventory.products_on_hand")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.products_on_hand") == 0, 30, what="truncate applied")
    wait_same(pg, my, "inventory", "orders", INVENTORY["orders"])
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_table_filter():
    pg = fresh()
    my = My()
    start(pg, table="inventory.orders,inventory.customers")
    wait_cdc(pg)
    tables = sorted(r[0] for r in pg.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'inventory'"))
    check(tables == ["customers", "orders"], f"only the listed tables: {tables}")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-04-01', 1001, 1, 101)")
    my.run("UPDATE inventory.products SET name = 'filtered out' WHERE id = 101")
    wait_same(pg, my, "inventory", "orders", INVENTORY["orders"])
    check(pg.one("SELECT to_regclass('inventory.products')") is None, "products not replicated")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_snapshot_modes():
    pg = fresh()
    my = My()
    # initial_only: copy, then stop.
    start(pg, "only", mode="initial_only")
    wait_for(lambda: pg.state("only")["state"] == "stopped", 60, what="initial_only finishes")
    check(pg.state("only")["err"] == "no error", pg.state("only"))
    all_same(pg, my)
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-05-01', 1001, 1, 101)")
    time.sleep(1)
    check(pg.one("SELECT count(*) FROM inventory.orders") == 4, "no change data capture after initial_only")
    pg.one("SELECT synchdb_del_conninfo('only')")
    pg.rows("DROP SCHEMA inventory CASCADE")

    # no_data: schema only, then stream.
    start(pg, "nodata", mode="no_data")
    wait_cdc(pg, "nodata")
    check(pg.one("SELECT count(*) FROM inventory.orders") == 0, "no rows copied")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-05-02', 1001, 1, 101)")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders") == 1, 30, what="streamed row")
    pg.one("SELECT synchdb_del_conninfo('nodata')")
    pg.rows("DROP SCHEMA inventory CASCADE")

    # always: a new snapshot at every start repairs a diverged destination.
    start(pg, "alw", mode="always")
    wait_cdc(pg, "alw")
    all_same(pg, my)
    pg.one("SELECT synchdb_stop_engine_bgw('alw')")
    pg.rows("DELETE FROM inventory.customers")
    pg.one("SELECT synchdb_start_engine_bgw('alw', 'always')")
    wait_cdc(pg, "alw")
    all_same(pg, my)
    pg.one("SELECT synchdb_stop_engine_bgw('alw')")


class Writer(threading.Thread):
    """A steady write load on the source: inserts, updates and deletes in small transactions."""

    def __init__(self, seconds):
        super().__init__(daemon=True)
        self.seconds = seconds
        self.error = None
        self.txns = 0

    def run(self):
        try:
            my = My()
            my.run("CREATE TABLE IF NOT EXISTS inventory.load (id INT PRIMARY KEY AUTO_INCREMENT, v INT, s VARCHAR(40))")
            my.run("CREATE TABLE IF NOT EXISTS inventory.load_nokey (v INT, s VARCHAR(40))")
            end = time.time() + self.seconds
            i = 0
            while time.time() < end:
                i += 1
                my.run("BEGIN")
                my.run("INSERT INTO inventory.load (v, s) VALUES (%s, %s), (%s, %s)", (i, f"r{i}", -i, f"n{i}"))
                my.run("INSERT INTO inventory.load_nokey VALUES (%s, %s)", (i % 5, "same"))
                if i % 3 == 0:
                    my.run("UPDATE inventory.load SET v = v + 1 WHERE id %% 11 = %s", (i % 11,))
                if i % 7 == 0:
                    my.run("DELETE FROM inventory.load WHERE id = (SELECT MIN(id) FROM inventory.load)")
                my.run("COMMIT")
                self.txns += 1
            my.close()
        except Exception as e:  # noqa: BLE001
            self.error = e


LOAD = {"load": ["id", "v", "s"], "load_nokey": ["v", "s"]}


def prepare_load_tables(my):
    my.run("CREATE TABLE IF NOT EXISTS inventory.load (id INT PRIMARY KEY AUTO_INCREMENT, v INT, s VARCHAR(40))")
    my.run("CREATE TABLE IF NOT EXISTS inventory.load_nokey (v INT, s VARCHAR(40))")


def test_connector_restart_midstream():
    pg = fresh()
    my = My()
    prepare_load_tables(my)
    start(pg)
    wait_cdc(pg)
    w = Writer(8)
    w.start()
    for _ in range(3):
        time.sleep(1.5)
        pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")
        time.sleep(0.3)
        pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    w.join()
    check(w.error is None, f"writer failed: {w.error}")
    all_same(pg, my, LOAD)
    all_same(pg, my)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_postgres_restart_and_crash_under_load():
    pg = fresh()
    my = My()
    prepare_load_tables(my)
    start(pg)
    wait_cdc(pg)
    pg.close()
    w = Writer(12)
    w.start()
    time.sleep(2)
    script("pg.sh", "restart")
    time.sleep(2)
    expect_crash()
    script("pg.sh", "kill9")
    time.sleep(1)
    script("pg.sh", "start")
    time.sleep(1)
    script("pg.sh", "kill9")
    script("pg.sh", "start")
    w.join()
    check(w.error is None, f"writer failed: {w.error}")
    check(w.txns > 50, f"the load ran ({w.txns} transactions)")
    pg = Pg()
    wait_cdc(pg)
    all_same(pg, my, LOAD, timeout=90)
    all_same(pg, my)
    dup = pg.one("SELECT count(*) - count(DISTINCT id) FROM inventory.load")
    check(dup == 0, f"no duplicates ({dup})")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_mariadb_restart_during_streaming():
    pg = fresh()
    my = My()
    prepare_load_tables(my)
    start(pg)
    wait_cdc(pg)
    my.run("INSERT INTO inventory.load (v, s) VALUES (1, 'before')")
    my.close()
    script("mariadb.sh", "restart")
    my = My()
    my.run("INSERT INTO inventory.load (v, s) VALUES (2, 'after')")
    wait_same(pg, my, "inventory", "load", LOAD["load"], 90)
    s = pg.state("mysqlconn")
    check(s["state"] in ("syncing", "executing"), f"still running: {s}")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_compressed_binlog_events():
    pg = fresh()
    my = My()
    prepare_load_tables(my)
    start(pg)
    wait_cdc(pg)
    my.run("SET GLOBAL log_bin_compress = ON")
    my.run("SET GLOBAL log_bin_compress_min_len = 10")
    try:
        w = My()  # a new session picks up the global settings
        w.run("BEGIN")
        for i in range(50):
            w.run("INSERT INTO inventory.load (v, s) VALUES (%s, REPEAT('compressible ', 3))", (i,))
        w.run("UPDATE inventory.load SET v = v * 2")
        w.run("DELETE FROM inventory.load WHERE v > 60")
        w.run("COMMIT")
        w.run("TRUNCATE inventory.load_nokey")
        w.close()
    finally:
        my.run("SET GLOBAL log_bin_compress = OFF")
    all_same(pg, my, LOAD)
    check(pg.state("mysqlconn")["err"] == "no error", pg.state("mysqlconn"))
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_idle_connector_follows_binlog_rotation():
    pg = fresh()
    my = My()
    start(pg)
    wait_cdc(pg)
    my.run("FLUSH BINARY LOGS")
    current = my.run("SHOW MASTER STATUS")[0][0]
    wait_for(lambda: pg.one("SELECT position::json->>'file' FROM _synchdb.offsets WHERE connector = 'mysqlconn'") == current, 30,
             what=f"the stored position to move to {current} without any change")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_binlog_purged_is_a_clear_error():
    pg = fresh()
    my = My()
    start(pg)
    wait_cdc(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")
    stored = pg.one("SELECT position::json->>'file' FROM _synchdb.offsets WHERE connector = 'mysqlconn'")
    # The server keeps a binlog while a dump thread still uses it: wait until the old one is gone.
    wait_for(lambda: not any(r[4] == "Binlog Dump" for r in my.run("SHOW PROCESSLIST")), 30,
             what="the stopped connector's dump thread to end")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-06-01', 1001, 1, 101)")
    my.run("FLUSH BINARY LOGS")
    current = my.run("SHOW MASTER STATUS")[0][0]

    def purged():  # the server keeps a binlog until its binlog checkpoint is written
        my.run(f"PURGE BINARY LOGS TO '{current}'")
        return stored not in [r[0] for r in my.run("SHOW BINARY LOGS")]
    wait_for(purged, 30, 0.5, what=f"{stored} purged")
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    s = wait_stopped_with_error(pg, "mysqlconn")
    check("can no longer provide the binary log from mysql-bin." in s["err"], s)
    # Recovery as the message says: a new snapshot.
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn', 'always')")
    wait_cdc(pg)
    all_same(pg, my)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_offsets_of_synchdb_1_0_keep_their_place():
    """An offsets table in 1.0's binlog-shaped form is migrated in place: no new snapshot, nothing lost."""
    pg = fresh()
    my = My()
    start(pg)
    wait_cdc(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")
    dbname, conn, inc, position, tables = pg.rows(
        "SELECT dbname, connector, incarnation, position, tables FROM _synchdb.offsets WHERE connector = 'mysqlconn'")[0]
    import json as _json
    p = _json.loads(position)
    pg.rows("DROP TABLE _synchdb.offsets")
    pg.rows("CREATE TABLE _synchdb.offsets (dbname text NOT NULL, connector text NOT NULL, incarnation text NOT NULL,"
            " file text NOT NULL, pos bigint NOT NULL, gtid text, server_id bigint, ts_sec bigint,"
            " snapshot_done boolean NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), tables text,"
            " PRIMARY KEY (dbname, connector))")
    pg.rows("INSERT INTO _synchdb.offsets (dbname, connector, incarnation, file, pos, gtid, server_id, ts_sec,"
            " snapshot_done, tables) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, true, %s)",
            (dbname, conn, inc, p["file"], p["pos"], p.get("gtids"), p["server_id"], p["ts_sec"], tables))
    # A destination-only change that a new snapshot would overwrite.
    pg.rows("UPDATE inventory.customers SET first_name = 'kept' WHERE id = 1001")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES ('2024-07-01', 1002, 7, 102)")
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    wait_cdc(pg)
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders WHERE order_date = '2024-07-01'") == 1, 30,
             what="the change made while stopped to arrive")
    check(pg.one("SELECT first_name FROM inventory.customers WHERE id = 1001") == "kept",
          "no new snapshot after the migration")
    cols = [r[0] for r in pg.rows("SELECT attname FROM pg_attribute WHERE attrelid = '_synchdb.offsets'::regclass"
                                  " AND attnum > 0 AND NOT attisdropped ORDER BY attnum")]
    check("file" not in cols and "position" in cols, f"binlog columns replaced by position: {cols}")
    got = _json.loads(pg.one("SELECT position FROM _synchdb.offsets WHERE connector = 'mysqlconn'"))
    check(got["file"] == p["file"] and got["pos"] >= p["pos"], f"position moved on from {p}: {got}")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
