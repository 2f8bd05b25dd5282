#!/usr/bin/env python3
"""End-to-end tests: a connector is a good citizen of the cluster.

Whatever a connector worker is doing (idle, applying a write load, copying a
snapshot), the cluster's own operations that wait for every backend finish
within seconds: CREATE/DROP DATABASE and ALTER DATABASE ... SET TABLESPACE
(ProcSignalBarrier), pg_reload_conf, pg_cancel_backend and
pg_terminate_backend of the worker, smart and fast shutdown.  Afterwards the
connector replicates again and the rows match the source: nothing lost,
nothing twice.

Every statement runs with a statement_timeout, so a hang fails the test
instead of blocking it.

Needs: PostgreSQL "pg" (synchdb preloaded), MariaDB "mariadb" with binary
logging, PostgreSQL "pgsrc" (scripts/test.sh).
"""
import gc
import os
import subprocess
import sys
import threading
import time

import psycopg2

from harness import (ROOT, My, Pg, TestFailure, add_conninfo, check, clean_destination, run_tests, script, server_log,
                     wait_for, wait_same)

LIMIT = 10  # seconds any of the cluster's operations may take
RUN = os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run")
ORDERS = ["order_number", "order_date", "purchaser", "quantity", "product_id"]
BIG_ROWS = 1000000


def fresh():
    pg = clean_destination(("inventory",))
    pg.rows("DROP DATABASE IF EXISTS citizen_x")
    return pg


def session():
    """A session whose statements cannot hang: statement_timeout LIMIT."""
    pg = Pg()
    pg.rows(f"SET statement_timeout = '{LIMIT}s'")
    return pg


def timed(pg, sql, args=None):
    t0 = time.time()
    try:
        r = pg.rows(sql, args)
    except psycopg2.errors.QueryCanceled:
        raise TestFailure(f"{sql!r} did not finish within {LIMIT} s (statement_timeout)") from None
    took = time.time() - t0
    check(took < LIMIT, f"{sql!r} took {took:.1f} s")
    return r


def ensure_tablespace(pg):
    if pg.one("SELECT count(*) FROM pg_tablespace WHERE spcname = 'citizen_ts'"):
        return
    d = os.path.join(RUN, "citizen_ts")
    os.makedirs(d, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres:postgres", d], check=True)
    pg.rows(f"CREATE TABLESPACE citizen_ts LOCATION '{d}'")


def log_size():
    return os.path.getsize(server_log())


def logged_since(offset, text):
    with open(server_log(), "rb") as f:
        f.seek(offset)
        return text in f.read().decode("utf-8", "replace")


def cancel(s, pg, name):
    """pg_cancel_backend of the worker; returns once it says it rolled back and went on."""
    pid = worker_pid(pg, name)
    offset = log_size()
    check(timed(s, "SELECT pg_cancel_backend(%s)", (pid,))[0][0], "the cancel reached the worker")
    wait_for(lambda: logged_since(offset, f"[{pid}] synchdb connector LOG:  synchdb connector \"{name}\": canceled"),
             LIMIT, 0.05, what="the worker acting on the cancel")
    check(worker_pid(pg, name) == pid, "the same worker goes on after a cancel")


def worker_pid(pg, name):
    s = pg.state(name)
    check(s and s["pid"] and s["pid"] > 0, f"connector {name} has a worker: {s}")
    return s["pid"]


def running(pg, name):
    s = pg.state(name)
    if s and s["state"] == "stopped" and s["err"] != "no error":
        raise TestFailure(f"connector {name} stopped: {s['err']}")
    return s and s["state"] in ("syncing", "executing") and s["pid"] and s["pid"] > 0


def wait_cdc(pg, name, timeout=60):
    wait_for(lambda: running(pg, name) and pg.state(name)["stage"] == "change data capture", timeout,
             what=f"{name} in change data capture")


def database_operations(pg):
    """The statements that wait for every backend of the cluster (ProcSignalBarrier)."""
    timed(pg, "CREATE DATABASE citizen_x")
    timed(pg, "DROP DATABASE citizen_x")
    ensure_tablespace(pg)
    timed(pg, "CREATE DATABASE citizen_x")
    timed(pg, "ALTER DATABASE citizen_x SET TABLESPACE citizen_ts")
    timed(pg, "ALTER DATABASE citizen_x SET TABLESPACE pg_default")
    timed(pg, "DROP DATABASE citizen_x")


def signal_operations(pg, name, restart):
    """Reload, cancel and terminate the worker; the connector goes on (or is started again) and syncs."""
    timed(pg, "SELECT pg_reload_conf()")
    # A cancel rolls back the worker's transaction; the connector goes on from its last commit.
    cancel(pg, pg, name)
    wait_for(lambda: running(pg, name), 30, what=f"{name} running after pg_cancel_backend")
    database_operations(pg)  # and it still answers barriers
    pid = worker_pid(pg, name)
    check(timed(pg, "SELECT pg_terminate_backend(%s)", (pid,))[0][0], "the terminate reached the worker")
    wait_for(lambda: not pg.one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)), LIMIT,
             what=f"worker {pid} gone after pg_terminate_backend")
    restart()


def start_mysql(pg, name, table=""):
    add_conninfo(pg, name, table=table)
    pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))


class Load:
    """A continuous write load on MariaDB's inventory.orders."""

    def __init__(self):
        self.stop = threading.Event()
        self.written = 0
        self.error = None
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        try:
            w = My()
            i = 0
            while not self.stop.is_set():
                i += 1
                w.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
                      "VALUES ('2024-01-01', 1001, %s, 102)", (i,))
                if i % 5 == 0:
                    w.run("UPDATE inventory.orders SET quantity = quantity + 1 WHERE quantity = %s", (i - 3,))
                if i % 7 == 0:
                    w.run("DELETE FROM inventory.orders WHERE quantity = %s", (i - 6,))
                self.written = i
            w.close()
        except Exception as e:  # noqa: BLE001
            self.error = e

    def finish(self):
        self.stop.set()
        self.thread.join()
        check(self.error is None, f"the load failed: {self.error}")
        check(self.written > 20, f"the load ran ({self.written} rows)")


def restarter(pg, name):
    def restart():
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
        wait_for(lambda: running(pg, name), 60, what=f"{name} running again")
    return restart


def test_idle_connector():
    pg = fresh()
    my = My()
    start_mysql(pg, "cit")
    wait_cdc(pg, "cit")
    time.sleep(1.0)  # idle
    s = session()
    database_operations(s)
    signal_operations(s, "cit", restarter(pg, "cit"))
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) "
           "VALUES ('2024-03-03', 1003, 5, 104)")
    wait_same(pg, my, "inventory", "orders", ORDERS, 60)
    pg.one("SELECT synchdb_stop_engine_bgw('cit')")


def test_busy_connector():
    pg = fresh()
    my = My()
    start_mysql(pg, "cit")
    wait_cdc(pg, "cit")
    load = Load()
    try:
        time.sleep(1.0)
        s = session()
        database_operations(s)
        signal_operations(s, "cit", restarter(pg, "cit"))
        database_operations(s)
        time.sleep(1.0)
    finally:
        load.finish()
    wait_same(pg, my, "inventory", "orders", ORDERS, 90)
    pg.one("SELECT synchdb_stop_engine_bgw('cit')")


def make_big_table(my):
    my.run("DROP TABLE IF EXISTS inventory.citizen_big")
    my.run("CREATE TABLE inventory.citizen_big (id INT PRIMARY KEY, pad VARCHAR(200))")
    my.run(f"INSERT INTO inventory.citizen_big SELECT seq, REPEAT(CHAR(65 + seq % 26), 100) "
           f"FROM inventory.seq_1_to_{BIG_ROWS}")


def big_matches(pg):
    try:
        return pg.one("SELECT count(*) || ':' || sum(id) FROM inventory.citizen_big") == \
            f"{BIG_ROWS}:{BIG_ROWS * (BIG_ROWS + 1) // 2}"
    except psycopg2.Error:
        return False


def in_snapshot(pg, name):
    s = pg.state(name)
    if s and s["state"] == "stopped" and s["err"] != "no error":
        raise TestFailure(f"connector {name} stopped: {s['err']}")
    return s and s["stage"] == "initial snapshot" and s["state"] == "executing"


def test_connector_in_a_snapshot():
    pg = fresh()
    my = My()
    make_big_table(my)
    start_mysql(pg, "cit", table="inventory.citizen_big,inventory.orders")
    wait_for(lambda: in_snapshot(pg, "cit"), 60, 0.05, what="cit copying the snapshot")
    s = session()
    timed(s, "SELECT pg_reload_conf()")
    # A cancel in the snapshot rolls it back; it starts over in the same worker.
    cancel(s, pg, "cit")
    time.sleep(0.5)  # the snapshot starting over
    wait_for(lambda: in_snapshot(pg, "cit"), 60, 0.05, what="cit copying the snapshot again after the cancel")
    check(not big_matches(pg), "the snapshot had not ended yet")
    pid = worker_pid(pg, "cit")
    # A terminate in the snapshot ends the worker; started again, the snapshot starts over.
    check(timed(s, "SELECT pg_terminate_backend(%s)", (pid,))[0][0], "the terminate reached the worker")
    wait_for(lambda: not pg.one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)), LIMIT,
             what=f"worker {pid} gone after pg_terminate_backend")
    pg.one("SELECT synchdb_start_engine_bgw('cit')")
    wait_for(lambda: in_snapshot(pg, "cit"), 60, 0.05, what="cit copying the snapshot after the restart")
    database_operations(s)
    wait_cdc(pg, "cit", 300)
    wait_for(lambda: big_matches(pg), 60, what="the big table copied once, whole")
    wait_same(pg, my, "inventory", "orders", ORDERS, 60)
    pg.one("SELECT synchdb_stop_engine_bgw('cit')")
    my.run("DROP TABLE inventory.citizen_big")


def test_postgres_source_idle_drop_database():
    import test_postgres_source as ps
    pg = ps.fresh_destination()
    pg.rows("DROP DATABASE IF EXISTS citizen_x")
    src = ps.fresh_source()
    ps.add(pg, table="public.load")
    pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
    ps.wait_cdc(pg)
    time.sleep(1.0)
    s = session()
    timed(s, "CREATE DATABASE citizen_x")
    timed(s, "DROP DATABASE citizen_x")
    src.rows("INSERT INTO public.load (v, s) VALUES (1, 'after')")
    wait_for(lambda: pg.one("SELECT count(*) FROM public.load") == src.one("SELECT count(*) FROM public.load"), 60,
             what="public.load replicated")
    check(running(pg, "pgconn"), f"still running: {pg.state('pgconn')}")
    pg.one("SELECT synchdb_stop_engine_bgw('pgconn')")
    src.close()


def pg_ctl_stop(mode, timeout):
    """pg_ctl stop -m mode; the seconds it took (fails after timeout)."""
    cmd = f'source "{ROOT}/scripts/env.sh"; as_pg "$PG_BINDIR/pg_ctl" -D "$SYNCHDB_RUN/pg/data" stop -m {mode} ' \
          f'-t {timeout}'
    t0 = time.time()
    r = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    took = time.time() - t0
    if r.returncode != 0:
        script("pg.sh", "stop")  # leave a server that the next test can start
        raise TestFailure(f"pg_ctl stop -m {mode} failed after {took:.1f} s: {r.stdout.strip()}")
    return took


def shutdown_under_load(mode):
    pg = fresh()
    my = My()
    start_mysql(pg, "cit")
    wait_cdc(pg, "cit")
    load = Load()
    try:
        time.sleep(1.5)
        pg.close()
        del pg
        gc.collect()  # no session of ours keeps a smart shutdown waiting
        took = pg_ctl_stop(mode, 30)
        time.sleep(0.5)
    finally:
        load.finish()
    script("pg.sh", "start")
    pg = Pg()
    wait_for(lambda: running(pg, "cit"), 60, what="cit relaunched after the restart")
    wait_same(pg, my, "inventory", "orders", ORDERS, 90)
    pg.one("SELECT synchdb_stop_engine_bgw('cit')")
    check(took < 20, f"pg_ctl stop -m {mode} took {took:.1f} s")


def test_smart_shutdown_with_a_busy_connector():
    shutdown_under_load("smart")


def test_fast_shutdown_with_a_busy_connector():
    shutdown_under_load("fast")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
