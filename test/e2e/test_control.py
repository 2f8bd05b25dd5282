#!/usr/bin/env python3
"""End-to-end tests of day-2 control: pause, resume, set_offset, the state view's rows.

Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
"""
import json
import threading
import time

from harness import (My, Pg, TestFailure, add_conninfo, check, clean_destination, run_tests, script, wait_for,
                     wait_same, wait_state)

ORDERS = ["order_number", "order_date", "purchaser", "quantity", "product_id"]
PRODUCTS = ["id", "name", "description", "weight"]


def fresh():
    return clean_destination(("inventory",))


def wait_cdc(pg, name="ctl", timeout=60):
    def ready():
        s = pg.state(name)
        if s and s["state"] == "stopped" and s["err"] != "no error":
            raise TestFailure(f"connector stopped: {s['err']}")
        return s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing")
    wait_for(ready, timeout, what=f"{name} in change data capture")


def start(pg, name="ctl"):
    add_conninfo(pg, name)
    pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
    wait_cdc(pg, name)


def count(pg, sql):
    try:
        return pg.one(sql)
    except Exception:
        return None


def binlog_position(my):
    r = my.run("SHOW MASTER STATUS")[0]
    return {"file": r[0], "pos": int(r[1])}


def test_state_view_lists_only_connectors():
    pg = fresh()
    add_conninfo(pg, "ctl_a")
    add_conninfo(pg, "ctl_b")
    rows = pg.rows("SELECT id, conninfo_name, state, pid FROM synchdb_state_view ORDER BY conninfo_name")
    names = [r[1] for r in rows]
    check("" not in names and None not in names, f"blank rows in the state view: {rows}")
    check(names == ["ctl_a", "ctl_b"], f"the defined connectors, once each: {rows}")
    check(all(r[0] is None and r[2] == "stopped" and r[3] == -1 for r in rows), f"never started: {rows}")
    pg.one("SELECT synchdb_start_engine_bgw('ctl_a')")
    wait_cdc(pg, "ctl_a")
    rows = pg.rows("SELECT id, conninfo_name, state FROM synchdb_state_view ORDER BY conninfo_name")
    check([r[1] for r in rows] == ["ctl_a", "ctl_b"], f"still one row each: {rows}")
    check(rows[0][0] is not None and rows[0][2] in ("syncing", "executing"), f"ctl_a runs in a slot: {rows}")
    pg.one("SELECT synchdb_del_conninfo('ctl_a')")
    pg.one("SELECT synchdb_del_conninfo('ctl_b')")
    check(pg.one("SELECT count(*) FROM synchdb_state_view") == 0, "no connector, no row")


def test_pause_resume_under_load_loses_nothing():
    pg = fresh()
    my = My()
    start(pg)
    stop = threading.Event()
    written = [0]

    def load():
        w = My()
        i = 0
        while not stop.is_set():
            i += 1
            w.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
                  "VALUES ('2024-01-01', 1001, %s, 102)", (i,))
            w.run("UPDATE inventory.products SET weight = weight + 1 WHERE id = 101")
            written[0] = i
        w.close()

    t = threading.Thread(target=load)
    t.start()
    try:
        time.sleep(1.0)
        pg.one("SELECT synchdb_pause_engine('ctl')")
        check(pg.state("ctl")["state"] == "paused", f"paused when the call returns: {pg.state('ctl')}")
        check(pg.one("SELECT (data->>'paused')::boolean FROM synchdb_conninfo WHERE name = 'ctl'") is True,
              "the pause is remembered in the definition")
        n1 = pg.one("SELECT count(*) FROM inventory.orders")
        time.sleep(1.5)
        n2 = pg.one("SELECT count(*) FROM inventory.orders")
        check(n1 == n2, f"nothing applied while paused ({n1} then {n2})")
        pg.one("SELECT synchdb_resume_engine('ctl')")
        check(pg.state("ctl")["state"] != "paused", "resumed when the call returns")
        time.sleep(1.0)
    finally:
        stop.set()
        t.join()
    wait_same(pg, my, "inventory", "orders", ORDERS, 60)
    wait_same(pg, my, "inventory", "products", PRODUCTS, 60)
    check(written[0] > 10, f"the load wrote {written[0]} rows")
    e = pg.error("SELECT synchdb_resume_engine('ctl')")
    check(e.startswith("55000") and "is not paused" in e, e)
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")
    e = pg.error("SELECT synchdb_pause_engine('ctl')")
    check(e.startswith("55000") and "is not running" in e and "synchdb_start_engine_bgw" in e, e)


def test_pause_survives_a_server_restart():
    pg = fresh()
    my = My()
    start(pg)
    pg.one("SELECT synchdb_pause_engine('ctl')")
    script("pg.sh", "restart")
    pg = Pg()
    wait_state(pg, "ctl", "paused", 60)
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-02-02', 1002, 77, 103)")
    time.sleep(1.5)
    check(pg.one("SELECT count(*) FROM inventory.orders WHERE quantity = 77") == 0, "still paused after restart")
    pg.one("SELECT synchdb_resume_engine('ctl')")
    wait_same(pg, my, "inventory", "orders", ORDERS, 60)
    check(pg.one("SELECT data ? 'paused' FROM synchdb_conninfo WHERE name = 'ctl'") is False,
          "resume forgets the pause")
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")


def test_set_offset_back_replays_and_forward_skips():
    pg = fresh()
    my = My()
    start(pg)
    # A change the connector applies, then goes back over: an UPDATE replays to the same result.
    before = binlog_position(my)
    my.run("UPDATE inventory.products SET description = 'replayed' WHERE id = 104")
    wait_same(pg, my, "inventory", "products", PRODUCTS, 30)
    e = pg.error("SELECT synchdb_set_offset('ctl', %s)", (json.dumps(before),))
    check(e.startswith("55000") and "pause it" in e.lower(), f"running: {e}")
    pg.one("SELECT synchdb_pause_engine('ctl')")
    # Undo the row in the destination only: replaying from `before` must bring the update back.
    pg.rows("UPDATE inventory.products SET description = 'undone' WHERE id = 104")
    pg.one("SELECT synchdb_set_offset('ctl', %s)", (json.dumps(before),))
    off = json.loads(pg.one("SELECT last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'ctl'"))
    check(off["file"] == before["file"] and off["pos"] == before["pos"], f"the view shows the new offset: {off}")
    pg.one("SELECT synchdb_resume_engine('ctl')")
    wait_for(lambda: pg.one("SELECT description FROM inventory.products WHERE id = 104") == "replayed", 30,
             what="the update replayed")
    # Forward: changes between the stored position and the new one are skipped.
    pg.one("SELECT synchdb_pause_engine('ctl')")
    my.run("UPDATE inventory.products SET description = 'skipped' WHERE id = 105")
    after = binlog_position(my)
    pg.one("SELECT synchdb_set_offset('ctl', %s)", (json.dumps(after),))
    pg.one("SELECT synchdb_resume_engine('ctl')")
    my.run("UPDATE inventory.products SET description = 'seen' WHERE id = 106")
    wait_for(lambda: pg.one("SELECT description FROM inventory.products WHERE id = 106") == "seen", 30,
             what="the change after the new offset")
    check(pg.one("SELECT description FROM inventory.products WHERE id = 105") != "skipped",
          "the change before the new offset was skipped")
    # Bad offsets are refused with the reason, and change nothing.
    pg.one("SELECT synchdb_pause_engine('ctl')")
    e = pg.error("SELECT synchdb_set_offset('ctl', '{\"pos\": 4}')")
    check(e.startswith("22023") and "\"file\"" in e, e)
    e = pg.error("SELECT synchdb_set_offset('ctl', %s)", (json.dumps({"file": "nosuch-bin.000009", "pos": 4}),))
    check(e.startswith("22023") and "is not on" in e and "SHOW BINARY LOGS" in e, e)
    e = pg.error("SELECT synchdb_set_offset('ctl', %s)", (json.dumps({"file": after["file"], "pos": 10 ** 12}),))
    check(e.startswith("22023") and "beyond its end" in e, e)
    off = json.loads(pg.one("SELECT last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'ctl'"))
    check(off["file"] == after["file"], f"unchanged by the refused offsets: {off}")
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")
    # Stopped works too; a connector that never ran has no position to replace.
    pg.one("SELECT synchdb_set_offset('ctl', %s)", (json.dumps(binlog_position(my)),))
    add_conninfo(pg, "ctl_new")
    e = pg.error("SELECT synchdb_set_offset('ctl_new', %s)", (json.dumps(binlog_position(my)),))
    check(e.startswith("55000") and "no stored position" in e, e)


def test_stats_lag_reset_and_metrics():
    pg = fresh()
    my = My()
    start(pg)
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-04-04', 1001, 1, 102)")
    wait_for(lambda: pg.one("SELECT inserts FROM synchdb_stats_view WHERE name = 'ctl'") == 1, 30,
             what="the insert counted")
    lag, last, since = pg.rows("SELECT source_lag_ms, last_commit_at, stats_since FROM synchdb_stats_view "
                               "WHERE name = 'ctl'")[0]
    check(lag is not None and 0 <= lag < 60000, f"lag at the last commit in ms: {lag}")
    check(last is not None and since is not None and last >= since, f"times: {last}, {since}")
    text = pg.one("SELECT synchdb_metrics()")
    labels = 'connector="ctl",dbname="postgres",type="mysql"'
    for line in (f'synchdb_up{{{labels}}} 1', f'synchdb_changes_total{{{labels},op="insert"}} 1',
                 "# TYPE synchdb_changes_total counter", "# TYPE synchdb_lag_seconds gauge"):
        check(line in text, f"metrics line {line!r} in:\n{text}")
    pg.one("SELECT synchdb_reset_stats('ctl')")
    check(pg.one("SELECT inserts FROM synchdb_stats_view WHERE name = 'ctl'") == 0, "zero at once")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-04-05', 1001, 2, 102)")
    wait_for(lambda: pg.one("SELECT inserts FROM synchdb_stats_view WHERE name = 'ctl'") == 1, 30,
             what="counting from zero after the reset (not the old total plus one)")
    check(pg.one("SELECT stats_since FROM synchdb_stats_view WHERE name = 'ctl'") > since, "since the reset")
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")
    check(f'synchdb_up{{{labels}}} 0' in pg.one("SELECT synchdb_metrics()"), "down once stopped")


def mark_destination(pg):
    """A row only the destination holds: a new snapshot (which empties the tables first) removes it."""
    pg.rows("INSERT INTO inventory.orders (order_number, order_date, purchaser, quantity, product_id) "
            "VALUES (999999, '1999-09-09', 1001, 9, 102)")


def marked(pg):
    return pg.one("SELECT count(*) FROM inventory.orders WHERE order_number = 999999") == 1


def test_restart_connector_keeps_position_or_takes_a_new_mode():
    pg = fresh()
    my = My()
    add_conninfo(pg, "ctl")
    e = pg.error("SELECT synchdb_restart_connector('ctl')")
    check(e.startswith("55000") and "not running" in e and "synchdb_start_engine_bgw('ctl'" in e,
          f"a stopped connector is started, not restarted: {e}")
    e = pg.error("SELECT synchdb_restart_connector('nosuch')")
    check(e.startswith("42704"), f"unknown connector: {e}")
    pg.one("SELECT synchdb_start_engine_bgw('ctl')")
    wait_cdc(pg)
    e = pg.error("SELECT synchdb_restart_connector('ctl', 'sometimes')")
    check(e.startswith("22023") and "schemasync" in e, f"a bad mode names the valid ones: {e}")
    check(pg.state("ctl")["state"] in ("syncing", "executing"), "a refused restart leaves it running")
    mark_destination(pg)
    pid = pg.state("ctl")["pid"]
    new_pid = pg.one("SELECT synchdb_restart_connector('ctl')")
    check(new_pid and new_pid != pid, f"a new worker: {pid} -> {new_pid}")
    wait_cdc(pg)
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-05-05', 1002, 5, 103)")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders WHERE order_date = '2024-05-05'") == 1, 30,
             what="a change after the restart")
    check(marked(pg), "restarted with 'initial' from its position: no new snapshot")
    check(pg.one("SELECT snapshot_rows FROM synchdb_stats_view WHERE name = 'ctl'") == 0, "no row copied")
    pg.one("SELECT synchdb_restart_connector('ctl', 'always')")
    wait_cdc(pg)
    check(not marked(pg), "'always' takes a new snapshot")
    wait_same(pg, my, "inventory", "orders", ORDERS)
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")


def test_alter_conninfo_new_password_keeps_position():
    pg = fresh()
    my = My()
    for host in ("%", "localhost", "127.0.0.1"):
        my.run(f"CREATE OR REPLACE USER 'ctlalter'@'{host}' IDENTIFIED BY 'first-Secret-1'")
        my.run(f"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'ctlalter'@'{host}'")
    add_conninfo(pg, "ctl", user="ctlalter", pwd="first-Secret-1")
    e = pg.error("SELECT synchdb_alter_conninfo('ctl')")
    check(e.startswith("22023") and "nothing to change" in e, f"no argument: {e}")
    e = pg.error("SELECT synchdb_alter_conninfo('ctl', port => 0)")
    check(e.startswith("22023") and "port 0" in e, f"a bad port: {e}")
    e = pg.error("SELECT synchdb_alter_conninfo('ctl', hostname => '')")
    check(e.startswith("22023") or e.startswith("22004"), f"an empty hostname: {e}")
    e = pg.error("SELECT synchdb_alter_conninfo('nosuch', pwd => 'x')")
    check(e.startswith("42704"), f"unknown connector: {e}")
    pg.one("SELECT synchdb_start_engine_bgw('ctl')")
    wait_cdc(pg)
    mark_destination(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")
    for host in ("%", "localhost", "127.0.0.1"):
        my.run(f"ALTER USER 'ctlalter'@'{host}' IDENTIFIED BY 'second-Secret-2'")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-06-06', 1003, 6, 104)")
    pg.one("SELECT synchdb_alter_conninfo('ctl', pwd => 'second-Secret-2')")
    data = pg.one("SELECT data::text FROM synchdb_conninfo WHERE name = 'ctl'")
    check("second-Secret-2" not in data and '"incarnation"' in data, f"stored encrypted, identity pinned: {data}")
    pg.one("SELECT synchdb_start_engine_bgw('ctl')")
    wait_cdc(pg)
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders WHERE order_date = '2024-06-06'") == 1, 30,
             what="the change made while it was stopped, read with the new password")
    check(marked(pg), "the same connector: it went on from its position, no new snapshot")
    # Running: the new value waits for a restart, and says so.
    with pg.conn.cursor() as cur:
        cur.execute("SELECT synchdb_alter_conninfo('ctl', hostname => 'localhost')")
        notices = " ".join(pg.conn.notices)
    check("synchdb_restart_connector('ctl')" in notices, f"a notice names the restart: {notices}")
    pg.one("SELECT synchdb_restart_connector('ctl')")
    wait_cdc(pg)
    check(marked(pg), "still the same connector after the host changed")
    acts = pg.rows("SELECT query FROM pg_stat_activity WHERE query LIKE '%Secret%' AND pid <> pg_backend_pid()")
    check(not acts, f"no session shows the password: {acts}")
    pg.one("SELECT synchdb_del_conninfo('ctl')")
    for host in ("%", "localhost", "127.0.0.1"):
        my.run(f"DROP USER 'ctlalter'@'{host}'")


def test_schemasync_creates_tables_then_pauses():
    pg = fresh()
    my = My()
    add_conninfo(pg, "ctl")
    pg.one("SELECT synchdb_start_engine_bgw('ctl', 'schemasync')")
    wait_state(pg, "ctl", "paused", 60)
    check(pg.one("SELECT count(*) FROM inventory.orders") == 0, "tables made, no rows copied")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-07-07', 1004, 7, 105)")
    time.sleep(2)
    check(pg.one("SELECT count(*) FROM inventory.orders") == 0, "paused: nothing streamed yet")
    check(pg.one("SELECT data->>'paused' FROM synchdb_conninfo WHERE name = 'ctl'") == "true",
          "the pause is remembered across restarts")
    pg.one("SELECT synchdb_resume_engine('ctl')")
    wait_cdc(pg)
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders") == 1, 30, what="the change after the schema")
    pg.one("SELECT synchdb_stop_engine_bgw('ctl')")


if __name__ == "__main__":
    run_tests(globals())
