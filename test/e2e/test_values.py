#!/usr/bin/env python3
"""End-to-end tests of source values PostgreSQL cannot hold as mapped: MySQL TIME beyond a day, zero dates.

Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
"""
import time

from harness import My, Pg, TestFailure, add_conninfo, check, clean_destination, run_tests, wait_for, \
    wait_stopped_with_error

ODD_DDL = """
CREATE TABLE inventory.oddvals (
    id INT PRIMARY KEY,
    t TIME,
    d DATE,
    dt DATETIME,
    dnn DATE NOT NULL DEFAULT '2000-01-01'
)"""


def setup(policy):
    pg = clean_destination(("inventory",))
    pg.rows(f"ALTER SYSTEM SET synchdb.invalid_value_policy = '{policy}'")
    pg.rows("SELECT pg_reload_conf()")
    my = My()
    my.run("SET SESSION sql_mode = ''")  # MariaDB accepts zero dates under its default sql_mode too
    my.run("DROP TABLE IF EXISTS inventory.oddvals")
    my.run(ODD_DDL)
    my.run("INSERT INTO inventory.oddvals VALUES (1, '-838:59:59', '0000-00-00', '0000-00-00 00:00:00', "
           "'0000-00-00'), (2, '12:00:00', '2024-02-29', '2024-02-29 10:11:12', '2024-02-29')")
    return pg, my


def start(pg, name="vals"):
    add_conninfo(pg, name, table="inventory.oddvals")
    pg.one("SELECT synchdb_add_objmap(%s, 'datatype', 'time', 'interval')", (name,))
    pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))


def dest(pg):
    return pg.rows("SELECT id, t::text, d::text, dt::text, dnn::text FROM inventory.oddvals ORDER BY id")


def replaced(pg, name="vals"):
    return pg.one("SELECT values_replaced FROM synchdb_stats_view WHERE name = %s", (name,))


def reset(pg):
    pg.rows("ALTER SYSTEM RESET synchdb.invalid_value_policy")
    pg.rows("SELECT pg_reload_conf()")


def test_time_rule_to_interval_and_zero_dates_to_null():
    pg, my = setup("null")
    try:
        start(pg)
        wait_for(lambda: pg.one("SELECT to_regclass('inventory.oddvals') IS NOT NULL") and
                 pg.one("SELECT count(*) FROM inventory.oddvals") == 2, 60, what="the snapshot")
        check(pg.one("SELECT data_type FROM information_schema.columns WHERE table_schema = 'inventory' "
                     "AND table_name = 'oddvals' AND column_name = 't'") == "interval", "t is an interval")
        rows = dest(pg)
        check(rows[0] == (1, "-838:59:59", None, None, "-infinity"), f"row 1: {rows[0]}")
        check(rows[1] == (2, "12:00:00", "2024-02-29", "2024-02-29 10:11:12", "2024-02-29"), f"row 2: {rows[1]}")
        wait_for(lambda: replaced(pg) == 3, 10, what="3 replaced values counted")
        # The stream follows the same policy.
        my.run("SET SESSION sql_mode = ''")
        my.run("INSERT INTO inventory.oddvals VALUES (3, '-100:00:01', '2024-00-15', '2024-13-01 00:00:00', "
               "'0000-00-00')")
        wait_for(lambda: pg.one("SELECT count(*) FROM inventory.oddvals") == 3, 30, what="row 3")
        check(dest(pg)[2] == (3, "-100:00:01", None, None, "-infinity"), f"row 3: {dest(pg)[2]}")
        wait_for(lambda: replaced(pg) == 6, 10, what="6 replaced values counted")
        check(pg.state("vals")["state"] in ("syncing", "executing"), f"still running: {pg.state('vals')}")
        log = open(pg.one("SELECT current_setting('data_directory')") + "/../server.log", errors="replace").read()
        check('value "0000-00-00" of column "d" of table "inventory.oddvals"' in log and "replaced by NULL" in log,
              "the first replacement of a column is logged")
    finally:
        pg.one("SELECT synchdb_stop_engine_bgw('vals')")
        reset(pg)


def test_error_policy_stops_with_the_value_named():
    pg, my = setup("error")
    try:
        start(pg)
        s = wait_stopped_with_error(pg, "vals", 60)
        check('"0000-00-00"' in s["err"] and "oddvals" in s["err"], f"the error names the value: {s['err']}")
        check(pg.one("SELECT count(*) FROM inventory.oddvals") == 0 if pg.one(
            "SELECT to_regclass('inventory.oddvals') IS NOT NULL") else True, "no half snapshot committed")
    finally:
        pg.one("SELECT synchdb_stop_engine_bgw('vals')")
        reset(pg)


if __name__ == "__main__":
    run_tests(globals())
