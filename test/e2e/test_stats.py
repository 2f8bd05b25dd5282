#!/usr/bin/env python3
"""End-to-end tests of SynchDB's statistics shapes (synchdb_genstats, synchdb_snapstats, synchdb_cdcstats),
snapshot progress while a snapshot runs, and per-connector options (synchdb_set_connector_option).

Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
"""
import time

from harness import (MYPORT, My, Pg, TestFailure, add_conninfo, check, clean_destination, run_tests, wait_for,
                     wait_stopped_with_error)
from tcpproxy import TcpProxy

SAMPLE_TABLES = ("customers", "orders", "products", "products_on_hand")


def cdc_ready(pg, name, timeout=60):
    wait_for(lambda: (lambda s: s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing"))(
        pg.state(name)), timeout, what=f"{name} in change data capture (now {pg.state(name)})")


def row(pg, view, name):
    """The view's row of connector name as a dict."""
    with pg.conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {view} WHERE name = %s", (name,))
        r = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], r)) if r else None


def test_stats_views_follow_snapshot_and_changes():
    pg = clean_destination(("inventory",))
    my = My()
    try:
        add_conninfo(pg, "st", table=",".join("inventory." + t for t in SAMPLE_TABLES))
        t0 = int(time.time() * 1000)
        pg.one("SELECT synchdb_start_engine_bgw('st')")
        cdc_ready(pg, "st")
        source_rows = sum(my.run(f"SELECT count(*) FROM inventory.{t}")[0][0] for t in SAMPLE_TABLES)

        snap = row(pg, "synchdb_snapstats", "st")
        check(snap["tables"] == 4 and snap["tables_total"] == 4, f"4 tables copied: {snap}")
        check(snap["rows"] == source_rows, f"{source_rows} rows copied: {snap}")
        check(t0 - 1000 <= snap["snapshot_begin_ts"] <= snap["snapshot_end_ts"] <= int(time.time() * 1000),
              f"begin and end in Unix milliseconds: {snap}")
        check(snap["rows_expected"] == source_rows, f"once done, the real counts replace the estimates: {snap}")
        check(snap["seconds_left"] == 0 and snap["rows_per_second"] > 0, f"done: {snap}")

        # One transaction of 2 inserts, an update, a delete.
        my.run("BEGIN")
        my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
               "VALUES ('2024-03-03', 1003, 1, 104), ('2024-03-04', 1003, 2, 104)")
        my.run("COMMIT")
        my.run("UPDATE inventory.customers SET first_name = 'Annie' WHERE id = 1004")
        my.run("DELETE FROM inventory.orders WHERE quantity = 2 AND order_date = '2024-03-04'")
        wait_for(lambda: (row(pg, "synchdb_cdcstats", "st") or {}).get("deletes") == 1, 30, what="the delete counted")
        cdc = row(pg, "synchdb_cdcstats", "st")
        check((cdc["creates"], cdc["updates"], cdc["deletes"], cdc["truncates"]) == (2, 1, 1, 0), f"{cdc}")
        check(cdc["dmls"] == 4 and cdc["txs"] == 3 and cdc["ddls"] == 0, f"dmls, source transactions: {cdc}")

        gen = row(pg, "synchdb_genstats", "st")
        check(gen["bad_events"] == 0, f"{gen}")
        check(gen["total_events"] == source_rows + 4, f"snapshot rows and changes: {gen}")
        check(gen["batches_done"] >= 2, f"the snapshot's commit and at least one more: {gen}")
        check(gen["average_batch_size"] == gen["total_events"] // gen["batches_done"], f"{gen}")
        now = int(time.time() * 1000)
        check(0 < gen["last_src_ts"] <= now and 0 < gen["last_pg_ts"] <= now, f"last batch times: {gen}")
        check(gen["last_pg_ts"] >= gen["last_src_ts"] - 1000, f"applied after the source committed: {gen}")
        check(0 < gen["first_src_ts"] <= gen["last_src_ts"] and 0 < gen["first_pg_ts"] <= gen["last_pg_ts"],
              f"first before last: {gen}")
        stats = row(pg, "synchdb_stats_view", "st")
        check(stats["inserts"] == 2 and stats["bad_events"] == 0 and stats["snapshot_tables"] == 4,
              f"synchdb_stats_view is the superset: {stats}")

        metrics = pg.one("SELECT synchdb_metrics()")
        for line in ('synchdb_snapshot_seconds_left{connector="st"', 'synchdb_snapshot_rows{connector="st"',
                     'synchdb_batches_total{connector="st"'):
            check(line in metrics, f"{line} in synchdb_metrics()")

        pg.one("SELECT synchdb_reset_stats('st')")
        cdc = row(pg, "synchdb_cdcstats", "st")
        gen = row(pg, "synchdb_genstats", "st")
        snap = row(pg, "synchdb_snapstats", "st")
        check((cdc["dmls"], cdc["txs"], gen["total_events"], gen["last_src_ts"], snap["rows"], snap["tables"],
               snap["snapshot_end_ts"]) == (0, 0, 0, 0, 0, 0, 0), f"reset: {cdc} {gen} {snap}")
        my.run("UPDATE inventory.customers SET first_name = 'Anne' WHERE id = 1004")
        wait_for(lambda: (row(pg, "synchdb_cdcstats", "st") or {}).get("updates") == 1, 30,
                 what="counted from zero after the reset")
        check(row(pg, "synchdb_cdcstats", "st")["txs"] == 1, "one source transaction since the reset")
    finally:
        pg.one("SELECT synchdb_stop_engine_bgw('st')")
        my.close()


def test_snapshot_progress_while_it_runs():
    """A snapshot read through a slow connection: progress is visible mid-way, with an estimate of the time left."""
    pg = clean_destination(("inventory",))
    my = My()
    proxy = TcpProxy(MYPORT)
    try:
        my.run("CREATE TABLE inventory.big (id int PRIMARY KEY, pad varchar(60))")
        my.run("INSERT INTO inventory.big SELECT seq, repeat('x', 60) FROM inventory.seq_1_to_20000")
        my.run("ANALYZE TABLE inventory.big")
        estimate = my.run("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'inventory' "
                          "AND TABLE_NAME = 'big'")[0][0]
        proxy.slow(300_000)  # about 1.5 MB to read: some 5 s
        add_conninfo(pg, "prog", port=proxy.port, table="inventory.big,inventory.orders")
        pg.one("SELECT synchdb_start_engine_bgw('prog')")

        def midway():
            s = row(pg, "synchdb_snapstats", "prog")
            return s if s and 0 < s["rows"] < 20000 and s["seconds_left"] is not None else None
        snap = wait_for(midway, 60, interval=0.1, what="the snapshot mid-way")
        check(snap["tables"] == 0 and snap["tables_total"] == 2 and snap["snapshot_end_ts"] == 0, f"{snap}")
        check(snap["rows_expected"] is not None and snap["rows_expected"] >= estimate, f"the estimates: {snap}")
        check(snap["rows_per_second"] > 0 and snap["seconds_left"] > 0, f"a rate and the time left: {snap}")
        expect_left = (snap["rows_expected"] - snap["rows"]) / snap["rows_per_second"]
        check(abs(snap["seconds_left"] - expect_left) <= max(1.0, expect_left * 0.5),
              f"time left = rows still expected / rate: {snap}")
        state = pg.rows("SELECT snapshot_rows, snapshot_tables_total FROM synchdb_state_view "
                        "WHERE conninfo_name = 'prog'")[0]
        check(state[0] > 0 and state[1] == 2, f"the state view shows it too: {state}")
        metrics = pg.one("SELECT synchdb_metrics()")
        check('synchdb_snapshot_rows_expected{connector="prog"' in metrics and
              'synchdb_snapshot_seconds_left{connector="prog"' in metrics, "in synchdb_metrics()")

        proxy.slow(0)
        done = wait_for(lambda: (lambda s: s if s and s["snapshot_end_ts"] > 0 else None)(
            row(pg, "synchdb_snapstats", "prog")), 60, what="the snapshot's end")
        orders = my.run("SELECT count(*) FROM inventory.orders")[0][0]
        check(done["rows"] == 20000 + orders and done["tables"] == 2 and done["rows_expected"] == done["rows"],
              f"the whole snapshot: {done}")
        check(done["seconds_left"] == 0, f"nothing left: {done}")
        check(pg.one("SELECT count(*) FROM inventory.big") == 20000, "the rows arrived")
    finally:
        proxy.slow(0)
        if pg.one("SELECT count(*) FROM synchdb_conninfo WHERE name = 'prog'"):
            pg.one("SELECT synchdb_stop_engine_bgw('prog')")
        proxy.close()
        my.close()


def test_connector_options_are_checked():
    pg = clean_destination(("inventory",))
    try:
        add_conninfo(pg, "opt", table="inventory.orders")
        e = pg.error("SELECT synchdb_set_connector_option('opt', 'error_strategy', 'skip')")
        check(e.startswith('22023: ERROR:  unknown connector option "error_strategy"'), e)
        e = pg.error("SELECT synchdb_set_connector_option('opt', 'error_handling_strategy', 'ignore')")
        check(e.startswith('22023: ERROR:  invalid value "ignore" for connector option "error_handling_strategy"')
              and "exit, skip, retry" in e, e)
        e = pg.error("SELECT synchdb_set_connector_option('nope', 'error_handling_strategy', 'skip')")
        check(e.startswith('42704: ERROR:  connector "nope" does not exist'), e)

        def shown():
            return pg.rows("SELECT error_handling_strategy, invalid_value_policy FROM synchdb_state_view "
                           "WHERE conninfo_name = 'opt'")[0]
        check(shown() == ("exit", "null"), f"the GUCs' defaults: {shown()}")
        pg.one("SELECT synchdb_set_connector_option('opt', 'Error_Handling_Strategy', 'RETRY')")
        pg.one("SELECT synchdb_set_connector_option('opt', 'invalid_value_policy', 'error')")
        check(shown() == ("retry", "error"), f"its own: {shown()}")
        check(pg.one("SELECT data->'options' FROM synchdb_conninfo WHERE name = 'opt'") ==
              {"error_handling_strategy": "retry", "invalid_value_policy": "error"}, "kept in the definition")
        pg.one("SELECT synchdb_set_connector_option('opt', 'invalid_value_policy', NULL)")
        check(shown() == ("retry", "null"), f"NULL: the GUC again: {shown()}")
    finally:
        clean_destination(("inventory",), reload_sample=False)


def test_two_connectors_two_strategies_on_the_same_poison():
    """One connector skips the refused change, the other (following the GUC, exit) stops on it."""
    pg = clean_destination(("inventory", "inv2"))
    my = My()
    try:
        pg.rows("DROP TABLE IF EXISTS _synchdb.dead_letters")
        for name in ("skipper", "stopper"):
            add_conninfo(pg, name, table="inventory.orders")
        pg.one("SELECT synchdb_add_objmap('stopper', 'table', 'inventory.orders', 'inv2.orders')")
        pg.one("SELECT synchdb_set_connector_option('skipper', 'error_handling_strategy', 'skip')")
        for name in ("skipper", "stopper"):
            pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
        for name in ("skipper", "stopper"):
            cdc_ready(pg, name)
        check(pg.rows("SELECT conninfo_name, error_handling_strategy FROM synchdb_state_view "
                      "WHERE conninfo_name IN ('skipper', 'stopper') ORDER BY 1") ==
              [("skipper", "skip"), ("stopper", "exit")], "each connector's strategy in effect")
        for t in ("inventory.orders", "inv2.orders"):
            pg.rows(f"ALTER TABLE {t} ADD CONSTRAINT small CHECK (quantity < 1000)")
        for q in (31, 5000, 32):
            my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
                   "VALUES ('2024-03-03', 1003, %s, 104)", (q,))

        wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders WHERE quantity IN (31, 32)") == 2, 60,
                 what=f"skipper goes on past the poison (state {pg.state('skipper')})")
        check(pg.rows("SELECT connector, sqlstate FROM _synchdb.dead_letters") == [("skipper", "23514")],
              "the poison set aside by skipper only")
        wait_for(lambda: (row(pg, "synchdb_genstats", "skipper") or {}).get("bad_events") == 1, 10,
                 what="counted as a bad event")
        s = wait_stopped_with_error(pg, "stopper", 60)
        check("small" in s["err"], f"stopper stopped on the same change: {s['err']}")
        check(pg.one("SELECT count(*) FROM inv2.orders WHERE quantity IN (5000, 32)") == 0,
              "stopper applied nothing from the poison on")
        check(pg.state("skipper")["state"] in ("syncing", "executing"), f"skipper runs: {pg.state('skipper')}")
    finally:
        for name in ("skipper", "stopper"):
            pg.one("SELECT synchdb_stop_engine_bgw(%s)", (name,))
        for t in ("inventory.orders", "inv2.orders"):
            pg.rows(f"ALTER TABLE IF EXISTS {t} DROP CONSTRAINT IF EXISTS small")
        my.close()
        clean_destination(("inventory", "inv2"))


if __name__ == "__main__":
    run_tests(globals())
