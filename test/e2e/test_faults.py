#!/usr/bin/env python3
"""The fault matrix: every row arrives exactly once whatever breaks (docs/reliability.md, "Fault matrix").

Under a continuous write load on MariaDB (a sysbench-like write-only mix on three tables plus ~1 MB rows on a
fourth), each case breaks something, then checks per table: row count and an md5 of all rows rendered the same
way on both sides are equal, no key appears twice, and the connector is back in change data capture by itself.

    python3 test_faults.py [test_name ...]         the short matrix (scripts/test.sh runs it; a few minutes)
    SYNCHDB_FAULTS_LONG=1 python3 test_faults.py   the long one (bash scripts/faults.sh): 20 postmaster kills,
                                                   10 worker kills, 10 MariaDB kills, each network case 3 times

Processes are killed with SIGKILL in: test_postmaster_kill_during_snapshot, test_postmaster_kills_under_load,
test_worker_kills, test_mariadb_kills (the PostgreSQL postmaster, a connector worker, mariadbd).

Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
The binlog purged under a stopped connector is test_replication.py's test_binlog_purged_is_a_clear_error.
"""
import os
import random
import threading
import time

import psycopg2
import pymysql

from harness import (MYPORT, PGPORT, My, Pg, TestFailure, add_conninfo, check, clean_destination, expect_crash,
                     run_tests, script, wait_for)
from tcpproxy import TcpProxy

LONG = os.environ.get("SYNCHDB_FAULTS_LONG", "0") not in ("", "0")
SEED = int(os.environ.get("SYNCHDB_FAULTS_SEED", str(int(time.time()))))
RNG = random.Random(SEED)
DB = "faults"
CONN = "faultconn"
TABLES = ("t1", "t2", "t3")
BIG = "big"
BIG_ROW = 1 << 20  # ~1 MB values
COUNTS = {"pg_kills": 20 if LONG else 3, "worker_kills": 10 if LONG else 1, "mariadb_kills": 10 if LONG else 2,
          "net_repeats": 3 if LONG else 1}
SNAP_ROWS = 200000 if LONG else 100000
RESULTS = []  # lines for the summary printed at the end


def note(line):
    RESULTS.append(line)
    print("     " + line, flush=True)


# ------------------------------------------------------------ source set-up
def source_schema(my, rows_per_table=2000):
    my.run(f"DROP DATABASE IF EXISTS {DB}")
    my.run(f"CREATE DATABASE {DB}")
    for t in TABLES:
        my.run(f"CREATE TABLE {DB}.{t} (id INT PRIMARY KEY AUTO_INCREMENT, k INT NOT NULL, c VARCHAR(120) NOT NULL,"
               f" pad CHAR(60) NOT NULL, n BIGINT, KEY (k))")
        if rows_per_table:
            my.run(f"INSERT INTO {DB}.{t} (k, c, pad, n) SELECT seq % 1000, CONCAT('row-', seq, '-', REPEAT('x', seq % 50)),"
                   f" 'pad', seq * 7 FROM {DB}.seq_1_to_{rows_per_table}")
    my.run(f"CREATE TABLE {DB}.{BIG} (id INT PRIMARY KEY AUTO_INCREMENT, note VARCHAR(40), body LONGTEXT)")
    my.run(f"INSERT INTO {DB}.{BIG} (note, body) VALUES ('seed', REPEAT('b', {BIG_ROW}))")


def fresh(rows_per_table=2000):
    pg = clean_destination((DB,), reload_sample=False)
    my = My()
    source_schema(my, rows_per_table)
    return pg, my


def start(pg, host_port=MYPORT, mode=None):
    add_conninfo(pg, CONN, port=host_port, srcdb=DB)
    if mode:
        pg.one("SELECT synchdb_start_engine_bgw(%s, %s)", (CONN, mode))
    else:
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (CONN,))


def pg_state():
    """The connector's row of synchdb_state_view, or None while PostgreSQL is down."""
    try:
        pg = Pg()
        try:
            return pg.state(CONN)
        finally:
            pg.close()
    except psycopg2.Error:
        return None


def wait_cdc(timeout=120):
    def ready():
        s = pg_state()
        if s and s["state"] == "stopped" and s["err"] != "no error":
            raise TestFailure(f"connector stopped: {s['err']}")
        return s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing")
    wait_for(ready, timeout, 0.3, what=f"{CONN} in change data capture")


# ------------------------------------------------------------ the load
class Load(threading.Thread):
    """sysbench-like write-only transactions; survives MariaDB restarts (a failed transaction is just retried later)."""

    def __init__(self, big_every=60, pause=0.0):
        super().__init__(daemon=True)
        self.stop_ = threading.Event()
        self.txns = 0
        self.failures = 0
        self.big_every = big_every
        self.pause = pause
        self.rng = random.Random(RNG.random())
        self.error = None

    def connect(self):
        sock = os.path.join(os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run"), "mariadb", "mysqld.sock")
        return pymysql.connect(unix_socket=sock, user="root", autocommit=False, charset="utf8mb4",
                               connect_timeout=5, read_timeout=60, write_timeout=60)

    def one_txn(self, cur):
        r = self.rng
        t = r.choice(TABLES)
        if self.big_every and r.randrange(self.big_every) == 0:
            if r.random() < 0.3:
                cur.execute(f"INSERT INTO {DB}.{BIG} (note, body) VALUES (%s, REPEAT(%s, {BIG_ROW}))",
                            (f"txn {self.txns}", r.choice("abcdef")))
            else:
                cur.execute(f"UPDATE {DB}.{BIG} SET note = %s, body = CONCAT(LEFT(body, 1000), REPEAT(%s, {BIG_ROW} - 1000))"
                            f" ORDER BY RAND() LIMIT 1", (f"upd {self.txns}", r.choice("ghijk")))
            return
        # oltp_write_only: index update, non-index update, delete + insert, plus an insert of new keys
        top = 2000 + self.txns
        cur.execute(f"UPDATE {DB}.{t} SET k = k + 1 WHERE id = %s", (r.randrange(1, top),))
        cur.execute(f"UPDATE {DB}.{t} SET c = %s WHERE id = %s", (f"c{r.random():.12f}", r.randrange(1, top)))
        victim = r.randrange(1, top)
        cur.execute(f"DELETE FROM {DB}.{t} WHERE id = %s", (victim,))
        cur.execute(f"INSERT INTO {DB}.{t} (id, k, c, pad, n) VALUES (%s, %s, %s, 'p', %s)"
                    f" ON DUPLICATE KEY UPDATE n = n + 1", (victim, r.randrange(1000), "reinserted", self.txns))
        for _ in range(r.randrange(1, 4)):
            cur.execute(f"INSERT INTO {DB}.{t} (k, c, pad, n) VALUES (%s, %s, 'new', %s)",
                        (r.randrange(1000), "x" * r.randrange(1, 100), r.randrange(1 << 40)))

    def run(self):
        conn = None
        while not self.stop_.is_set():
            try:
                if conn is None:
                    conn = self.connect()
                with conn.cursor() as cur:
                    self.one_txn(cur)
                conn.commit()
                self.txns += 1
                if self.pause:
                    time.sleep(self.pause)
            except pymysql.Error:
                self.failures += 1
                try:
                    if conn:
                        conn.close()
                except Exception:  # noqa: BLE001 - the server may be gone
                    pass
                conn = None
                time.sleep(0.3)
            except Exception as e:  # noqa: BLE001
                self.error = e
                return
        if conn:
            conn.close()

    def finish(self):
        self.stop_.set()
        self.join(120)
        check(self.error is None, f"load failed: {self.error}")
        return self.txns


# ------------------------------------------------------------ comparing both sides
def columns(my, table):
    return [r[0] for r in my.run("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND "
                                 "table_name = %s ORDER BY ordinal_position", (DB, table))]


def side_by_side(pg, my, table):
    """(count, md5) of the source and the destination table, computed by each server: every row rendered as its
    values' text joined by '|' (NULL as (null); the ~1 MB bodies by their md5), rows ordered by key, joined by newlines."""
    cols = columns(my, table)
    src = "CONCAT_WS('|', " + ", ".join(
        f"MD5(`{c}`)" if c == "body" else f"IFNULL(CAST(`{c}` AS CHAR), '(null)')" for c in cols) + ")"
    dst = "concat_ws('|', " + ", ".join(
        f'md5("{c}")' if c == "body" else f"coalesce(\"{c}\"::text, '(null)')" for c in cols) + ")"
    my.run("SET SESSION group_concat_max_len = 1073741824")
    s = my.run(f"SELECT COUNT(*), MD5(GROUP_CONCAT({src} ORDER BY id SEPARATOR '\\n')) FROM {DB}.{table}")[0]
    d = pg.rows(f"SELECT count(*), md5(string_agg({dst}, E'\\n' ORDER BY id)) FROM \"{DB}\".\"{table}\"")[0]
    return (s[0], s[1] or ""), (d[0], d[1] or "")


def wait_all_same(pg, my, timeout=180):
    last = {}

    def same():
        try:
            for t in TABLES + (BIG,):
                s, d = side_by_side(pg, my, t)
                if s != d:
                    last["why"] = f"{t}: source {s}, destination {d}"
                    return False
            return True
        except (psycopg2.Error, pymysql.Error) as e:
            last["why"] = str(e).strip()
            return False
    try:
        wait_for(same, timeout, 1.0, what="every table identical")
    except TestFailure as e:
        raise TestFailure(f"{e}: {last.get('why')}; connector {pg_state()}")
    for t in TABLES + (BIG,):
        dup = pg.one(f'SELECT count(*) - count(DISTINCT id) FROM "{DB}"."{t}"')
        check(dup == 0, f"{t}: {dup} duplicate keys")
    return {t: side_by_side(pg, my, t)[0][0] for t in TABLES + (BIG,)}


def settle(load, what):
    """Stop the load, wait for both sides to be equal and the connector to be streaming; record the result."""
    txns = load.finish()
    pg = Pg()
    my = My()
    wait_cdc()
    counts = wait_all_same(pg, my)
    s = pg.state(CONN)
    check(s["state"] in ("syncing", "executing") and s["stage"] == "change data capture", f"connector: {s}")
    note(f"{what}: {txns} load transactions ({load.failures} failed at the source); equal: "
         + ", ".join(f"{t}={n}" for t, n in counts.items()))
    pg.one("SELECT synchdb_stop_engine_bgw(%s)", (CONN,))
    return pg, my


def syncing_under_load():
    """A fresh connector streaming, then the write load started; returns the load."""
    pg, _ = fresh()
    start(pg)
    wait_cdc()
    pg.close()
    load = Load()
    load.start()
    return load


# ------------------------------------------------------------ PostgreSQL kills
def kill_pg():
    expect_crash()
    script("pg.sh", "kill9")
    script("pg.sh", "start")


def test_postmaster_kill_during_snapshot():
    pg, my = fresh(rows_per_table=SNAP_ROWS)
    load = Load(pause=0.01)
    load.start()
    start(pg)
    pg.close()
    wait_for(lambda: (lambda s: s and s["stage"] == "initial snapshot" and s["state"] == "executing")(pg_state()),
             60, 0.05, what="the snapshot to run")
    time.sleep(RNG.uniform(0.2, 1.5))
    kill_pg()
    settle(load, f"postmaster kill -9 during the initial snapshot (3 x {SNAP_ROWS} rows)")


def test_postmaster_kills_under_load():
    load = syncing_under_load()
    n = COUNTS["pg_kills"]
    ddl_at = n // 2
    for i in range(n):
        time.sleep(RNG.uniform(0.5, 4.0))
        if i == ddl_at:
            # During a DDL: the ALTER runs at the source while the load writes; the kill lands while it is applied.
            My().run(f"ALTER TABLE {DB}.t1 ADD COLUMN extra{i} INT NOT NULL DEFAULT {i}")
            time.sleep(RNG.uniform(0.0, 0.5))
        kill_pg()
        wait_cdc()
    # While a large transaction (200k rows in one transaction) is being applied.
    My().run(f"INSERT INTO {DB}.t2 (k, c, pad, n) SELECT seq % 1000, 'bulk', 'bulk', seq FROM {DB}.seq_1_to_200000")
    wait_for(lambda: (lambda s: s and s["state"] == "executing")(pg_state()), 30, 0.05, what="the bulk transaction applied")
    time.sleep(RNG.uniform(0.5, 2.0))
    kill_pg()
    settle(load, f"{n} postmaster kills -9 under load (one during ALTER TABLE ADD COLUMN), one more while a"
                 f" 200000-row transaction was applied")


def test_worker_kills():
    load = syncing_under_load()
    n = COUNTS["worker_kills"]
    for _ in range(n):
        time.sleep(RNG.uniform(0.5, 3.0))
        s = pg_state()
        check(s and s["pid"], f"worker running: {s}")
        expect_crash()
        os.kill(s["pid"], 9)
        # The postmaster restarts the cluster (a background worker died by a signal); the launcher relaunches.
        time.sleep(1)
        wait_cdc()
    settle(load, f"{n} connector worker kills -9 under load")


# ------------------------------------------------------------ MariaDB kills
def test_mariadb_kills():
    pg, my = fresh(rows_per_table=SNAP_ROWS)
    load = Load()
    load.start()
    start(pg)
    pg.close()
    my.close()
    # During the snapshot.
    wait_for(lambda: (lambda s: s and s["stage"] == "initial snapshot" and s["state"] == "executing")(pg_state()),
             60, 0.05, what="the snapshot to run")
    time.sleep(RNG.uniform(0.2, 1.0))
    script("mariadb.sh", "kill9")
    script("mariadb.sh", "start")
    wait_cdc(180)
    n = COUNTS["mariadb_kills"]
    for _ in range(n):
        time.sleep(RNG.uniform(1.0, 4.0))
        script("mariadb.sh", "kill9")
        time.sleep(RNG.uniform(0.0, 1.0))
        script("mariadb.sh", "start")
        wait_cdc(180)
    settle(load, f"MariaDB kill -9 during the snapshot (3 x {SNAP_ROWS} rows) and {n} more under load")


# ------------------------------------------------------------ the network
def with_proxy(body):
    pg, my = fresh()
    proxy = TcpProxy(MYPORT)
    try:
        start(pg, host_port=proxy.port)
        wait_cdc()
        load = Load()
        load.start()
        what = body(pg, proxy, load)
        proxy.stall(False)
        proxy.slow(0)
        settle(load, what)
    finally:
        proxy.close()


def test_network_cut():
    def body(pg, proxy, load):
        n = COUNTS["net_repeats"]
        for _ in range(n):
            time.sleep(RNG.uniform(1.0, 3.0))
            before = proxy.accepted
            check(proxy.cut() > 0, "the proxy had the connector's connections")
            # Noticed when the connector connects again (the state view's 'restarting' can be too short to see).
            wait_for(lambda: proxy.accepted > before, 15, 0.05, what="the connector to notice the cut and reconnect")
            wait_cdc()
        return f"{n} connection cut(s) mid-stream by the proxy"
    with_proxy(body)


def test_network_stall():
    """Half-open: the proxy stops forwarding without closing; the reader must notice by itself."""
    def body(pg, proxy, load):
        n = COUNTS["net_repeats"]
        took = []
        for _ in range(n):
            time.sleep(RNG.uniform(1.0, 3.0))
            before = proxy.accepted
            t0 = time.time()
            proxy.stall(True)
            # Noticed when the connector gives the connection up and opens a new one.
            wait_for(lambda: proxy.accepted > before, 75, 0.05, what="the connector to notice the stalled connection")
            took.append(time.time() - t0)
            s = pg.state(CONN)
            # The old connection stays half-open in the proxy; drop it and let new ones through.
            proxy.cut()
            proxy.stall(False)
            wait_cdc()
        note(f"stall noticed after {', '.join(f'{x:.1f}' for x in took)} s (then: {s['state']}, {s['err'][:160]})")
        check(max(took) < 45, f"a stall is noticed within 45 s ({took})")
        return f"{n} stall(s) (half-open connection) by the proxy"
    with_proxy(body)


def test_network_slow():
    def body(pg, proxy, load):
        proxy.slow(256 * 1024)  # 256 kB/s: the ~1 MB rows take seconds each
        time.sleep(10 if not LONG else 40)
        s = pg.state(CONN)
        check(s["state"] != "stopped", f"running while slow: {s}")
        proxy.slow(0)
        return "a connection slowed to 256 kB/s for " + ("40" if LONG else "10") + " s"
    with_proxy(body)


# ------------------------------------------------------------ a locked destination table
def test_destination_table_locked():
    pg, my = fresh()
    start(pg)
    wait_cdc()
    load = Load(big_every=0)
    load.start()
    time.sleep(1)
    locker = psycopg2.connect(host="127.0.0.1", port=PGPORT, user="postgres", dbname="postgres")
    hold = 45 if LONG else 30
    try:
        cur = locker.cursor()
        cur.execute(f'LOCK TABLE "{DB}"."t2" IN ACCESS EXCLUSIVE MODE')
        t0 = time.time()
        s = wait_for(lambda: (lambda s: s if "waiting for a lock on table" in s["err"] else None)(pg.state(CONN)),
                     30, 0.2, what="the state view to show the lock wait")
        check(f'{DB}.t2' in s["err"].replace('"', ""), f"the locked table is named: {s['err']}")
        check(s["state"] in ("restarting", "executing"), f"state while waiting: {s}")
        note(f"lock wait shown after {time.time() - t0:.1f} s: state {s['state']}, err: {s['err'][:200]}")
        time.sleep(max(0, hold - (time.time() - t0)))
        s = pg.state(CONN)
        check(s["state"] != "stopped", f"still waiting, not stopped: {s}")
    finally:
        locker.rollback()
        locker.close()
    wait_cdc()
    wait_for(lambda: pg.state(CONN)["err"] == "no error", 30, 0.2, what="the wait cleared from err")
    settle(load, f"t2 locked ACCESS EXCLUSIVE by a user for {hold} s")


def test_zz_summary():
    print(f"     seed {SEED}, {'long' if LONG else 'short'} matrix:", flush=True)
    for line in RESULTS:
        print("     - " + line, flush=True)


if __name__ == "__main__":
    raise SystemExit(run_tests(globals()))
