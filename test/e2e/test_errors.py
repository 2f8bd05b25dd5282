#!/usr/bin/env python3
"""End-to-end tests of synchdb.error_handling_strategy: a change PostgreSQL refuses, under skip and retry.

The poison: a CHECK constraint added on the destination table only, which one source row breaks.
Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
"""
import json
import time

from harness import My, Pg, TestFailure, add_conninfo, check, clean_destination, run_tests, wait_for, wait_same

ORDERS = ["order_number", "order_date", "purchaser", "quantity", "product_id"]


def setup(strategy):
    pg = clean_destination(("inventory",))
    pg.rows("DROP TABLE IF EXISTS _synchdb.dead_letters")
    pg.rows(f"ALTER SYSTEM SET synchdb.error_handling_strategy = '{strategy}'")
    pg.rows("SELECT pg_reload_conf()")
    add_conninfo(pg, "errs", table="inventory.orders")
    pg.one("SELECT synchdb_start_engine_bgw('errs')")
    wait_for(lambda: (lambda s: s and s["stage"] == "change data capture")(pg.state("errs")), 60,
             what="change data capture")
    pg.rows("ALTER TABLE inventory.orders ADD CONSTRAINT small CHECK (quantity < 1000)")
    return pg, My()


def reset(pg):
    """Leave nothing behind for later tests: the setting, the destination's CHECK, the source's poison rows."""
    pg.one("SELECT synchdb_stop_engine_bgw('errs')")
    pg.rows("ALTER SYSTEM RESET synchdb.error_handling_strategy")
    pg.rows("SELECT pg_reload_conf()")
    pg.rows("ALTER TABLE IF EXISTS inventory.orders DROP CONSTRAINT IF EXISTS small")
    clean_destination(("inventory",))


def order(my, qty):
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-03-03', 1003, %s, 104)", (qty,))


def test_skip_sets_the_poison_aside_and_everything_else_arrives():
    pg, my = setup("skip")
    try:
        order(my, 11)  # a transaction before, in the same commit group as the poison
        my.run("BEGIN")
        order(my, 12)
        order(my, 5000)  # refused by the destination's CHECK
        order(my, 13)
        my.run("COMMIT")
        order(my, 14)  # and one after
        want = {11, 12, 13, 14}
        wait_for(lambda: want <= {r[0] for r in pg.rows("SELECT quantity FROM inventory.orders")}, 60,
                 what=f"the other rows (state {pg.state('errs')})")
        check(pg.one("SELECT count(*) FROM inventory.orders WHERE quantity = 5000") == 0, "the poison is not applied")
        dl = pg.rows("SELECT connector, table_name, operation, row_data, sqlstate, message, position "
                     "FROM _synchdb.dead_letters")
        check(len(dl) == 1, f"one dead letter: {dl}")
        conn, table, op, row, sqlstate, message, position = dl[0]
        check((conn, table, op, sqlstate) == ("errs", "inventory.orders", "insert", "23514"), f"{dl[0]}")
        check(row["after"]["quantity"] == "5000", f"the row as JSON: {row}")
        check("small" in message, f"PostgreSQL's message: {message}")
        check("after" in position, f"where in the source: {position}")
        wait_for(lambda: pg.one("SELECT changes_skipped FROM synchdb_stats_view WHERE name = 'errs'") == 1, 10,
                 what="counted in synchdb_stats_view")
        s = pg.state("errs")
        check(s["state"] in ("syncing", "executing"), f"still running: {s}")
        # Exactly once around the replay: every other row once.
        dup = pg.one("SELECT count(*) - count(DISTINCT quantity) FROM inventory.orders WHERE quantity BETWEEN 11 AND 14")
        check(dup == 0, "no row applied twice")
        order(my, 15)
        wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders WHERE quantity = 15") == 1, 30,
                 what="the stream goes on in groups")
    finally:
        reset(pg)


def test_retry_waits_and_recovers_once_the_cause_is_removed():
    pg, my = setup("retry")
    try:
        order(my, 21)
        order(my, 6000)
        order(my, 22)
        s = wait_for(lambda: (lambda s: s if s and s["state"] == "restarting" and "retrying in" in s["err"]
                              else None)(pg.state("errs")), 30, what="the retry shown in the state view")
        check("small" in s["err"], f"the error is shown: {s['err']}")
        check(pg.one("SELECT count(*) FROM inventory.orders WHERE quantity = 6000") == 0, "not applied")
        pg.rows("ALTER TABLE inventory.orders DROP CONSTRAINT small")
        wait_same(pg, my, "inventory", "orders", ORDERS, 90)
        check(pg.one("SELECT count(*) FROM inventory.orders WHERE quantity IN (21, 6000, 22)") == 3,
              "everything arrived once the cause was removed")
        wait_for(lambda: pg.state("errs")["state"] in ("syncing", "executing"), 30, what="running again")
    finally:
        reset(pg)


def test_exit_stops_with_the_error():
    pg, my = setup("exit")
    try:
        order(my, 7000)
        s = wait_for(lambda: (lambda s: s if s and s["state"] == "stopped" and s["err"] != "no error" else None)(
            pg.state("errs")), 30, what="stopped with the error")
        check("small" in s["err"], s["err"])
    finally:
        reset(pg)


if __name__ == "__main__":
    run_tests(globals())
