#!/usr/bin/env python3
"""synchdb benchmark suite; run through bench/run.sh, which starts the servers.

Steps (see bench/README.md): snapshot (synchdb, pgloader, mysql_fdw, raw pipe,
native initial sync; wide table), CDC backlog drain (synchdb vs native logical
replication), live lag under sysbench oltp_write_only, memory of the connector
worker, decode speed of the core binlog decoder vs mariadb-binlog; pgsrc: the
postgres connector (a second PostgreSQL cluster as the source) against native
logical replication from the same source: initial copy and backlog drain.

Prints a markdown table of medians over --runs repetitions and writes it to
--out.
"""
import argparse
import datetime
import decimal
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

import psycopg2
import pymysql

import olr_step

RUN = os.environ["SYNCHDB_RUN"]
PGPORT = int(os.environ["SYNCHDB_PGPORT"])
SUBPORT = int(os.environ["SYNCHDB_SUBPORT"])
MYPORT = int(os.environ["SYNCHDB_MYPORT"])
# Step pgsrc: the source cluster, its replication role and database.
PGSRCPORT = int(os.environ.get("SYNCHDB_PGSRCPORT", "55464"))
PGSRC_USER = "bench_src"
PGSRC_PWD = os.environ.get("SYNCHDB_PGSRC_PWD", "bench-src-secret")
PGSRC_DB = "srcdb"
NATIVE_DB = "pgnative"   # database of the destination cluster that the native subscriptions fill
MYSOCK = os.path.join(RUN, "mariadb", "mysqld.sock")
PG_BINDIR = os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")
PSQL = os.path.join(PG_BINDIR, "psql")
DECODE_BENCH = os.path.join(RUN, "decode_bench")
MYDATA = os.path.join(RUN, "mariadb", "data")
POLL = 0.05  # seconds between progress polls

LOG = None


def log(msg):
    line = f"[{datetime.datetime.now().strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if LOG:
        LOG.write(line + "\n")
        LOG.flush()


# ------------------------------------------------------------------ connections

class Pg:
    def __init__(self, port=PGPORT, dbname="postgres", user="postgres", password=None):
        self.conn = psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname=dbname, password=password)
        self.conn.autocommit = True

    def rows(self, sql, args=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []

    def one(self, sql, args=None):
        r = self.rows(sql, args)
        return r[0][0] if r else None

    def close(self):
        self.conn.close()


class My:
    def __init__(self, db=None):
        self.conn = pymysql.connect(unix_socket=MYSOCK, user="root", autocommit=True, charset="utf8mb4",
                                    database=db)

    def run(self, sql, args=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def one(self, sql, args=None):
        r = self.run(sql, args)
        return r[0][0] if r else None

    def close(self):
        self.conn.close()


def sh(cmd, check=True, **kw):
    r = subprocess.run(cmd, shell=isinstance(cmd, str), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {cmd}\n{r.stdout[-3000:]}")
    return r


def my_cli(db=None, tcp=False):
    base = ["mariadb", "--no-defaults", "--default-character-set=utf8mb4"]
    if tcp:
        base += ["-h127.0.0.1", f"-P{MYPORT}", "-umysqluser", "-pmysqlpwd"]
    else:
        base += ["-uroot", f"--socket={MYSOCK}"]
    if db:
        base += [db]
    return base


def wait_for(fn, timeout, what, interval=POLL):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what} (last {last!r})")


# ------------------------------------------------------------------ memory

def proc_mem(pid):
    """(VmRSS, RssAnon, VmHWM) in kB of a process, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            d = {}
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "VmHWM"):
                    d[k] = int(v.split()[0])
            return d.get("VmRSS", 0), d.get("RssAnon", 0), d.get("VmHWM", 0)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None


def proc_cpu(pid):
    """utime + stime of a process (all threads), in seconds, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return None


def mariadbd_pid():
    try:
        with open(os.path.join(RUN, "mariadb", "mysqld.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


class MemSampler(threading.Thread):
    """Samples /proc/<pid>/status of the connector worker every 100 ms."""

    def __init__(self, name):
        super().__init__(daemon=True)
        self.name_ = name
        self.stop_ = threading.Event()
        self.rss = self.anon = self.hwm = 0
        self.samples = 0
        self.pids = set()
        self.cpu = {}   # pid -> last seen CPU seconds
        self.t0 = time.time()
        self.my_pid = mariadbd_pid()
        self.my_cpu0 = proc_cpu(self.my_pid) if self.my_pid else None

    def run(self):
        pg = Pg()
        try:
            while not self.stop_.is_set():
                pid = pg.one("SELECT pid FROM synchdb_state_view WHERE conninfo_name = %s", (self.name_,))
                if pid and pid > 0:
                    m = proc_mem(pid)
                    self.pids.add(pid)
                    c = proc_cpu(pid)
                    if c is not None:
                        self.cpu[pid] = c
                    if m:
                        self.samples += 1
                        self.rss = max(self.rss, m[0])
                        self.anon = max(self.anon, m[1])
                        self.hwm = max(self.hwm, m[2])
                self.stop_.wait(0.1)
        finally:
            pg.close()

    def finish(self):
        self.stop_.set()
        self.join()
        wall = time.time() - self.t0
        my_cpu = None
        if self.my_cpu0 is not None:
            c = proc_cpu(self.my_pid)
            my_cpu = (c - self.my_cpu0) / wall if c is not None else None
        return {"rss_mb": self.rss / 1024, "anon_mb": self.anon / 1024, "hwm_mb": self.hwm / 1024,
                "pids": sorted(self.pids), "worker_cpu": sum(self.cpu.values()) / wall if wall else 0,
                "mariadbd_cpu": my_cpu}


class Perf:
    """perf record -g of the connector worker (all its threads), when --perf is given."""

    def __init__(self, enabled, pg, name, label):
        self.proc = None
        self.out = os.path.join(RUN, f"perf-{label}.data")
        if not enabled:
            return
        try:
            pid = wait_for(lambda: (lambda p: p if p and p > 0 else None)(
                pg.one("SELECT pid FROM synchdb_state_view WHERE conninfo_name = %s", (name,))), 30, "worker pid",
                interval=0.01)
        except RuntimeError:
            return
        self.proc = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(pid), "-o", self.out],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        if self.proc:
            self.proc.send_signal(2)
            self.proc.wait()
            log(f"  perf profile in {self.out}")


# ------------------------------------------------------------------ synchdb helpers

def state(pg, name):
    r = pg.rows("SELECT pid, state, err, stage, snapshot_rows, last_dbz_offset FROM synchdb_state_view "
                "WHERE conninfo_name = %s", (name,))
    if not r:
        return None
    pid, st, err, stage, rows, off = r[0]
    return {"pid": pid, "state": st, "err": err, "stage": stage, "rows": rows, "offset": off}


def drop_connector(pg, name):
    if pg.one("SELECT count(*) FROM synchdb_conninfo WHERE name = %s", (name,)):
        s = state(pg, name)
        if s and s["state"] != "stopped":
            try:
                pg.one("SELECT synchdb_stop_engine_bgw(%s)", (name,))
            except psycopg2.Error:
                pass
            wait_stopped(pg, name)
        pg.one("SELECT synchdb_del_conninfo(%s)", (name,))


def add_connector(pg, name, srcdb):
    pg.one("SELECT synchdb_add_conninfo(%s, '127.0.0.1', %s, 'mysqluser', 'mysqlpwd', %s, 'postgres', '', "
           "'mysql', '')", (name, MYPORT, srcdb))


def add_pg_connector(pg, name, tables):
    """A postgres connector reading `tables` (schema.table list) of the source cluster."""
    pg.one("SELECT synchdb_add_conninfo(%s, '127.0.0.1', %s, %s, %s, %s, 'postgres', %s, 'postgres', '')",
           (name, PGSRCPORT, PGSRC_USER, PGSRC_PWD, PGSRC_DB, tables))


def wait_stopped(pg, name, timeout=120):
    wait_for(lambda: (state(pg, name) or {}).get("state") == "stopped", timeout, f"{name} stopped")


def stop_connector(pg, name):
    pg.one("SELECT synchdb_stop_engine_bgw(%s)", (name,))
    wait_stopped(pg, name)


def set_binary_copy(on):
    """synchdb.snapshot_binary_copy for connectors started from now on."""
    pg = Pg()
    pg.rows(f"ALTER SYSTEM SET synchdb.snapshot_binary_copy = {'on' if on else 'off'}")
    pg.rows("SELECT pg_reload_conf()")
    time.sleep(0.2)
    pg.close()


def check_ok(pg, name):
    s = state(pg, name)
    if s and s["err"] not in ("no error", None, ""):
        raise RuntimeError(f"connector {name}: {s}")


# ------------------------------------------------------------------ the suite

QIDX = "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s"


# The wide table: 26 columns of every common type (MariaDB), and its rows from a sequence's `seq`.
WIDE_DDL = """(
            id INT NOT NULL PRIMARY KEY,
            c_tiny TINYINT, c_small SMALLINT, c_medium MEDIUMINT, c_int INT, c_big BIGINT,
            c_ubig BIGINT UNSIGNED, c_uint INT UNSIGNED, c_dec DECIMAL(12,2), c_float FLOAT, c_double DOUBLE,
            c_bit BIT(8), c_bool BOOLEAN,
            c_date DATE, c_datetime DATETIME(6), c_ts TIMESTAMP(6) NULL DEFAULT NULL, c_time TIME, c_year YEAR,
            c_char CHAR(10), c_varchar VARCHAR(100), c_text TEXT, c_blob BLOB, c_varbin VARBINARY(32),
            c_enum ENUM('a','b','c'), c_set SET('x','y','z'), c_json JSON) ENGINE=InnoDB"""
WIDE_SELECT = """seq, seq % 128, CAST(seq % 32768 AS SIGNED) - 16384, seq * 7 % 8388607,
            seq * 31, seq * 1000003, seq * 99991, seq, (seq % 100000) / 100 + 0.25, seq / 8, seq / 3,
            seq % 256, seq % 2,
            '2020-01-01' + INTERVAL (seq % 3000) DAY,
            '2020-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
            FROM_UNIXTIME(1600000000 + seq), SEC_TO_TIME(seq % 86400), 1901 + seq % 255,
            CONCAT('ch', seq % 1000), IF(seq % 10 = 0, NULL, CONCAT('varchar value ', seq)),
            REPEAT(MD5(seq), 3), UNHEX(MD5(seq)), UNHEX(SHA1(seq)),
            ELT(1 + seq % 3, 'a', 'b', 'c'), ELT(1 + seq % 3, 'x', 'y', 'x,z'),
            JSON_OBJECT('id', seq, 'name', CONCAT('n', seq), 'tags', JSON_ARRAY(1, 2, 3))"""
# The same values in PostgreSQL from generate_series' g, as text (cast to the destination's types).
WIDE_PG_TEXT = [
    "g", "g % 128", "g % 32768 - 16384", "g * 7 % 8388607", "g * 31", "g::bigint * 1000003", "g::bigint * 99991", "g",
    "round((g % 100000) / 100.0 + 0.25, 2)", "(g / 8.0)::real", "g / 3.0::float8", "(g % 256)::bit(8)", "g % 2",
    "date '2020-01-01' + g % 3000",
    "timestamp '2020-01-01' + g * interval '1 second' + (g % 1000000) * interval '1 microsecond'",
    "to_timestamp(1600000000 + g)", "time '00:00' + (g % 86400) * interval '1 second'", "1901 + g % 255",
    "'ch' || g % 1000", "CASE WHEN g % 10 = 0 THEN NULL ELSE 'varchar value ' || g END",
    "repeat(md5(g::text), 3)", "decode(md5(g::text), 'hex')", "substring(sha256(g::text::bytea) from 1 for 20)",
    "(ARRAY['a','b','c'])[1 + g % 3]", "(ARRAY['x','y','x,z'])[1 + g % 3]",
    "jsonb_build_object('id', g, 'name', 'n' || g, 'tags', jsonb_build_array(1, 2, 3))",
]


class Bench:
    def __init__(self, args):
        self.args = args
        q = args.quick
        f = args.scale
        self.snap_n = int((100_000 if q else 1_000_000) * f)
        self.wide_n = int((20_000 if q else 200_000) * f)
        self.ins_n = int((100_000 if q else 1_000_000) * f)
        self.upd_n = int((20_000 if q else 200_000) * f)
        self.widecdc_n = int((20_000 if q else 200_000) * f)   # step widecdc: rows per phase
        self.del_n = int((20_000 if q else 200_000) * f)
        self.batch = 1000
        self.live_s = 20 if q else 60
        self.live_rows = 10_000 if q else 100_000
        self.live_threads = args.live_threads
        # step pgsrc
        self.pgsrc_snap_n = int((100_000 if q else 1_000_000) * f)
        self.pgsrc_wide_n = int((20_000 if q else 200_000) * f)
        self.pgsrc_n = int((50_000 if q else 200_000) * f)   # backlog rows per phase
        self.pgsrc_round = 0
        # step many
        self.many_tables = 20 if q else 200
        self.many_rows = int(5_000 * f)
        self.results = {}   # metric -> list of values (one per run)
        self.notes = []
        self.binlogs = []

    def rec(self, key, value):
        self.results.setdefault(key, []).append(value)
        log(f"  {key} = {value:.3f}" if isinstance(value, float) else f"  {key} = {value}")

    # -------------------------------------------------------------- setup
    def setup_users(self):
        my = My()
        for host in ("%", "localhost", "127.0.0.1"):
            my.run(f"CREATE USER IF NOT EXISTS 'mysqluser'@'{host}' IDENTIFIED BY 'mysqlpwd'")
            my.run(f"GRANT ALL PRIVILEGES ON *.* TO 'mysqluser'@'{host}'")
        my.close()
        pg = Pg()
        pg.rows("CREATE EXTENSION IF NOT EXISTS synchdb CASCADE")
        pg.close()

    def setup(self):
        log("setup: users, source tables")
        self.setup_users()
        my = My()
        for db in ("sbtest", "widedb", "cdcdb", "live"):
            my.run(f"DROP DATABASE IF EXISTS {db}")
            my.run(f"CREATE DATABASE {db} DEFAULT CHARACTER SET utf8mb4")
        t0 = time.time()
        my.run("CREATE TABLE sbtest.sbtest1 (id INT NOT NULL, k INT NOT NULL DEFAULT 0, "
               "c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id)) ENGINE=InnoDB")
        # sysbench-shaped values: c = 11-digit groups joined by '-', pad likewise.
        step = 100_000
        for lo in range(1, self.snap_n + 1, step):
            hi = min(lo + step - 1, self.snap_n)
            my.run(f"""INSERT INTO sbtest.sbtest1 SELECT seq, FLOOR(RAND(seq) * {self.snap_n}),
                       SUBSTRING(CONCAT_WS('-', LPAD(seq * 7919 % 99999999999, 11, '0'), LPAD(seq * 104729 % 99999999999, 11, '0'),
                          LPAD(seq * 1299709 % 99999999999, 11, '0'), LPAD(seq * 15485863 % 99999999999, 11, '0'),
                          LPAD(seq * 179424673 % 99999999999, 11, '0'), LPAD(seq * 2038074743 % 99999999999, 11, '0'),
                          LPAD(seq * 22801763489 % 99999999999, 11, '0'), LPAD(seq * 31 % 99999999999, 11, '0'),
                          LPAD(seq * 37 % 99999999999, 11, '0'), LPAD(seq * 41 % 99999999999, 11, '0')), 1, 119),
                       SUBSTRING(CONCAT_WS('-', LPAD(seq * 43 % 99999999999, 11, '0'), LPAD(seq * 47 % 99999999999, 11, '0'),
                          LPAD(seq * 53 % 99999999999, 11, '0'), LPAD(seq * 59 % 99999999999, 11, '0'),
                          LPAD(seq * 61 % 99999999999, 11, '0')), 1, 59)
                       FROM sbtest.seq_{lo}_to_{hi}""")
        my.run("CREATE INDEX k_1 ON sbtest.sbtest1 (k)")
        my.run("ANALYZE TABLE sbtest.sbtest1")
        log(f"  sbtest.sbtest1: {self.snap_n} rows in {time.time() - t0:.1f}s")
        t0 = time.time()
        my.run(f"CREATE TABLE widedb.wide {WIDE_DDL}")
        my.run("SET time_zone = '+00:00'")
        my.run(f"INSERT INTO widedb.wide SELECT {WIDE_SELECT} FROM widedb.seq_1_to_{self.wide_n}")
        log(f"  widedb.wide: {self.wide_n} rows in {time.time() - t0:.1f}s")
        my.close()

        pg = Pg()
        pg.rows("CREATE EXTENSION IF NOT EXISTS synchdb CASCADE")
        pg.rows("CREATE EXTENSION IF NOT EXISTS mysql_fdw")
        pg.rows("DROP SERVER IF EXISTS bench_my CASCADE")
        pg.rows(f"CREATE SERVER bench_my FOREIGN DATA WRAPPER mysql_fdw OPTIONS (host '127.0.0.1', port '{MYPORT}')")
        pg.rows("CREATE USER MAPPING FOR postgres SERVER bench_my OPTIONS (username 'mysqluser', password 'mysqlpwd')")
        pg.rows("DROP SCHEMA IF EXISTS fdw_src CASCADE")
        pg.rows("CREATE SCHEMA fdw_src")
        pg.rows("IMPORT FOREIGN SCHEMA sbtest LIMIT TO (sbtest1) FROM SERVER bench_my INTO fdw_src")
        for s in ("fdw", "pipe"):
            pg.rows(f"DROP SCHEMA IF EXISTS {s} CASCADE")
            pg.rows(f"CREATE SCHEMA {s}")
        for db in ("lr",):
            pg.rows(f"DROP DATABASE IF EXISTS {db}")
            pg.rows(f"CREATE DATABASE {db}")
        pg.close()
        sub = Pg(SUBPORT)
        sub.rows("DROP DATABASE IF EXISTS lr")
        sub.rows("CREATE DATABASE lr")
        sub.close()
        # Native logical replication: publisher lr.snap (filled) and lr.sbtest1 (CDC).
        ddl = "(id int NOT NULL PRIMARY KEY, k int NOT NULL DEFAULT 0, c char(120) NOT NULL DEFAULT '', " \
              "pad char(60) NOT NULL DEFAULT '')"
        pub = Pg(dbname="lr")
        pub.rows(f"CREATE TABLE snap {ddl}")
        pub.rows(f"CREATE TABLE sbtest1 {ddl}")
        pub.rows(f"""INSERT INTO snap SELECT g, (random() * {self.snap_n})::int,
                     substr(repeat(lpad((g::bigint * 7919 % 99999999999)::text, 11, '0') || '-', 10), 1, 119),
                     substr(repeat(lpad((g::bigint * 43 % 99999999999)::text, 11, '0') || '-', 5), 1, 59)
                     FROM generate_series(1, {self.snap_n}) g""")
        pub.rows("VACUUM ANALYZE snap")
        pub.rows("CREATE PUBLICATION p_snap FOR TABLE snap")
        pub.rows("CREATE PUBLICATION p_cdc FOR TABLE sbtest1")
        pub.close()
        sub = Pg(SUBPORT, "lr")
        sub.rows(f"CREATE TABLE snap {ddl}")
        sub.rows(f"CREATE TABLE sbtest1 {ddl}")
        sub.close()

    # -------------------------------------------------------------- step 1: snapshot
    def synchdb_snapshot(self, name, srcdb, table, n, mem_key, add=None, label=None):
        """srcdb: the destination schema. add(pg, name): adds the connector (default: MySQL's srcdb);
        with add given only the destination table is dropped first, not the schema."""
        pg = Pg()
        drop_connector(pg, name)
        if add:
            pg.rows(f'DROP TABLE IF EXISTS "{srcdb}"."{table}"')
            add(pg, name)
        else:
            pg.rows(f'DROP SCHEMA IF EXISTS "{srcdb}" CASCADE')
            add_connector(pg, name, srcdb)
        sampler = MemSampler(name)
        sampler.start()
        t0 = time.time()
        pg.one("SELECT synchdb_start_engine_bgw(%s, 'initial_only')", (name,))
        perf = Perf(self.args.perf, Pg(), name, f"snapshot-{label or srcdb}")
        seen_running = False

        def done():
            nonlocal seen_running
            s = state(pg, name)
            if not s:
                return False
            if s["state"] != "stopped":
                seen_running = True
            if s["state"] == "stopped" and s["err"] not in ("no error", None, ""):
                raise RuntimeError(f"snapshot failed: {s}")
            if s["state"] == "stopped" and (seen_running or (s["rows"] or 0) >= n):
                return True
            return s["stage"] not in ("initial snapshot", None, "") and (s["rows"] or 0) >= n
        wait_for(done, 3600, f"{name} snapshot")
        dt = time.time() - t0
        perf.stop()
        mem = sampler.finish()
        got = pg.one(f'SELECT count(*) FROM "{srcdb}"."{table}"')
        if got != n:
            raise RuntimeError(f"synchdb snapshot of {srcdb}.{table}: {got} rows, expected {n}")
        s = state(pg, name)
        log(f"  synchdb {srcdb}: {dt:.2f}s, state {s}, mem {mem}")
        self.rec(f"cpu.snapshot.{label or srcdb}", mem["worker_cpu"])
        if mem_key:
            self.rec(f"{mem_key}.rss_mb", mem["rss_mb"])
            self.rec(f"{mem_key}.anon_mb", mem["anon_mb"])
        if srcdb == "sbtest" and not self.notes_has("k index"):
            idx = pg.one("SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s", (srcdb, table))
            self.notes.append(f"k index: synchdb's destination {srcdb}.{table} has {idx} index(es) after the "
                              f"snapshot (pgloader also builds the secondary index on k; pipe, mysql_fdw and "
                              f"native sync load into a table with the primary key only)")
        pg.close()
        return dt

    def notes_has(self, prefix):
        return any(n.startswith(prefix) for n in self.notes)

    def pgloader(self, srcdb, n, table, key):
        pg = Pg()
        db = f"pgl_{srcdb}"
        pg.rows(f"DROP DATABASE IF EXISTS {db}")
        pg.rows(f"CREATE DATABASE {db}")
        pg.close()
        logf = os.path.join(RUN, f"pgloader_{srcdb}.log")
        # SBCL's default heap is exhausted on the 200-table database ("Heap exhausted during garbage
        # collection"): 4 GB of dynamic space (the machine has 23 GB).
        cmd = ["/usr/bin/time", "-v", "pgloader", "--dynamic-space-size", "4096", "--no-ssl-cert-verification", "--root-dir",
               os.path.join(RUN, "pgloader"),
               f"mysql://mysqluser:mysqlpwd@127.0.0.1:{MYPORT}/{srcdb}",
               f"postgresql://postgres@127.0.0.1:{PGPORT}/{db}"]
        t0 = time.time()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        dt = time.time() - t0
        with open(logf, "w") as f:
            f.write(r.stdout)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stdout)
        rss = int(m.group(1)) / 1024 if m else float("nan")
        c = Pg(dbname=db)
        try:
            got = c.one(f'SELECT count(*) FROM "{srcdb}"."{table}"')
        except psycopg2.Error as e:
            got = f"error {e}"
        c.close()
        if r.returncode != 0 or got != n:
            log(f"  pgloader {srcdb} FAILED (rc {r.returncode}, rows {got}); see {logf}")
            self.notes.append(f"pgloader {srcdb}: failed (rc {r.returncode}, rows {got}), log in {logf}")
            return None, rss
        log(f"  pgloader {srcdb}: {dt:.2f}s, max RSS {rss:.0f} MB")
        if key:
            self.rec(f"{key}.rss_mb", rss)
        pg = Pg()
        pg.rows(f"DROP DATABASE IF EXISTS {db}")
        pg.close()
        return dt, rss

    def fdw(self, n):
        pg = Pg()
        pg.rows("DROP TABLE IF EXISTS fdw.sbtest1")
        pg.rows("CREATE TABLE fdw.sbtest1 (id int NOT NULL PRIMARY KEY, k int NOT NULL, c char(120) NOT NULL, "
                "pad char(60) NOT NULL)")
        t0 = time.time()
        pg.rows("INSERT INTO fdw.sbtest1 SELECT id, k, c, pad FROM fdw_src.sbtest1")
        dt = time.time() - t0
        got = pg.one("SELECT count(*) FROM fdw.sbtest1")
        pg.rows("DROP TABLE fdw.sbtest1")
        pg.close()
        if got != n:
            raise RuntimeError(f"mysql_fdw copied {got} rows")
        log(f"  mysql_fdw: {dt:.2f}s")
        return dt

    def pipe(self, select, dest, n, nulls=False, quiet=False):
        opts = " WITH (NULL 'NULL')" if nulls else ""
        my = " ".join(my_cli(tcp=True)) + " --quick --batch --skip-column-names --init-command=\"SET time_zone='+00:00'\""
        cmd = (f"set -o pipefail; {my} -e \"{select}\" | PGOPTIONS='-c TimeZone=UTC' {PSQL} -X -q -v ON_ERROR_STOP=1 "
               f"-h 127.0.0.1 -p {PGPORT} -U postgres -d postgres -c \"COPY {dest} FROM STDIN{opts}\"")
        t0 = time.time()
        sh(["bash", "-c", cmd])
        dt = time.time() - t0
        pg = Pg()
        got = pg.one(f"SELECT count(*) FROM {dest}")
        pg.close()
        if got != n:
            raise RuntimeError(f"pipe copied {got} rows into {dest}")
        if not quiet:
            log(f"  pipe {dest}: {dt:.2f}s")
        return dt

    def native_initial(self, n):
        sub = Pg(SUBPORT, "lr")
        sub.rows("DROP SUBSCRIPTION IF EXISTS s_snap")
        sub.rows("TRUNCATE snap")
        t0 = time.time()
        sub.rows(f"CREATE SUBSCRIPTION s_snap CONNECTION 'host=127.0.0.1 port={PGPORT} dbname=lr user=postgres' "
                 "PUBLICATION p_snap WITH (copy_data = true)")
        wait_for(lambda: sub.one("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'") == 0 and
                 sub.one("SELECT count(*) FROM pg_subscription_rel") > 0, 3600, "native initial sync")
        dt = time.time() - t0
        got = sub.one("SELECT count(*) FROM snap")
        sub.rows("DROP SUBSCRIPTION s_snap")
        sub.close()
        if got != n:
            raise RuntimeError(f"native initial sync copied {got} rows")
        log(f"  native initial sync: {dt:.2f}s")
        return dt

    def native_wide(self, n):
        """Native initial sync of the wide table: publisher lr.wide (synchdb's column types, filled once from
        synchdb's copy of widedb.wide), subscriber lr.wide with the same definition."""
        pg = Pg()
        cols = pg.rows("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                       "'widedb.wide'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")
        pg.close()
        ddl = "(" + ", ".join(f'"{c}" {t}' for c, t in cols) + ", PRIMARY KEY (id))"
        pub = Pg(dbname="lr")
        sub = Pg(SUBPORT, "lr")
        if not pub.one("SELECT to_regclass('public.wide') IS NOT NULL"):
            pub.rows(f"CREATE TABLE wide {ddl}")
            copy = (f"set -o pipefail; {PSQL} -X -q -h 127.0.0.1 -p {PGPORT} -U postgres -d postgres "
                    f"-c 'COPY widedb.wide TO STDOUT' | {PSQL} -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p {PGPORT} "
                    f"-U postgres -d lr -c 'COPY wide FROM STDIN'")
            sh(["bash", "-c", copy])
            pub.rows("VACUUM ANALYZE wide")
            pub.rows("CREATE PUBLICATION p_wide FOR TABLE wide")
            sub.rows(f"CREATE TABLE wide {ddl}")
        sub.rows("DROP SUBSCRIPTION IF EXISTS s_wide")
        sub.rows("TRUNCATE wide")
        t0 = time.time()
        sub.rows(f"CREATE SUBSCRIPTION s_wide CONNECTION 'host=127.0.0.1 port={PGPORT} dbname=lr user=postgres' "
                 "PUBLICATION p_wide WITH (copy_data = true)")
        wait_for(lambda: sub.one("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'") == 0 and
                 sub.one("SELECT count(*) FROM pg_subscription_rel") > 0, 3600, "native initial sync of wide")
        dt = time.time() - t0
        got = sub.one("SELECT count(*) FROM wide")
        sub.rows("DROP SUBSCRIPTION s_wide")
        sub.close()
        pub.close()
        if got != n:
            raise RuntimeError(f"native initial sync of wide copied {got} rows")
        log(f"  native initial sync wide: {dt:.2f}s")
        return dt

    def step_snapshot(self):
        n = self.snap_n
        log("step 1: snapshot sbtest1")
        t = self.synchdb_snapshot("snap", "sbtest", "sbtest1", n, "mem.snapshot")
        self.rec("snap.synchdb", n / t)
        set_binary_copy(False)
        t = self.synchdb_snapshot("snap", "sbtest", "sbtest1", n, None, label="sbtest-text")
        self.rec("snap.synchdb_text", n / t)
        set_binary_copy(True)
        pg = Pg()
        pg.rows("DROP TABLE IF EXISTS pipe.sbtest1")
        pg.rows("CREATE TABLE pipe.sbtest1 (id int NOT NULL PRIMARY KEY, k int NOT NULL, c char(120) NOT NULL, "
                "pad char(60) NOT NULL)")
        pg.close()
        t = self.pipe("SELECT id, k, c, pad FROM sbtest.sbtest1", "pipe.sbtest1", n)
        self.rec("snap.pipe", n / t)
        t = self.native_initial(n)
        self.rec("snap.native", n / t)
        t = self.fdw(n)
        self.rec("snap.fdw", n / t)
        t, _ = self.pgloader("sbtest", n, "sbtest1", "mem.pgloader")
        if t:
            self.rec("snap.pgloader", n / t)
        pg = Pg()
        pg.rows("DROP TABLE IF EXISTS pipe.sbtest1")
        pg.close()

        log("step 1b: snapshot of the wide table")
        n = self.wide_n
        t = self.synchdb_snapshot("wide", "widedb", "wide", n, None)
        self.rec("wide.synchdb", n / t)
        # The same with snapshot rows in COPY text format (synchdb.snapshot_binary_copy off), for comparison.
        set_binary_copy(False)
        t = self.synchdb_snapshot("wide", "widedb", "wide", n, None, label="widedb-text")
        self.rec("wide.synchdb_text", n / t)
        set_binary_copy(True)
        t = self.synchdb_snapshot("wide", "widedb", "wide", n, None, label="widedb-again")
        self.rec("wide.synchdb_again", n / t)
        pg = Pg()
        pg.rows("DROP TABLE IF EXISTS pipe.wide")
        pg.rows("CREATE TABLE pipe.wide (LIKE widedb.wide INCLUDING ALL)")
        types = dict(pg.rows("SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns c "
                             "JOIN pg_attribute a ON a.attrelid = 'widedb.wide'::regclass AND a.attname = c.column_name "
                             "WHERE table_schema = 'widedb' AND table_name = 'wide'"))
        pg.close()
        if not self.notes_has("wide types"):
            self.notes.append("wide types: synchdb mapped " + ", ".join(f"{k} {v}" for k, v in types.items()))
        my = My()
        cols = [r[0] for r in my.run("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                     "'widedb' AND table_name = 'wide' ORDER BY ordinal_position")]
        my.close()
        exprs = []
        for c in cols:
            t = types[c]
            if t == "bytea":
                exprs.append(f"CONCAT('\\\\\\\\x', HEX({c}))")
            elif t.startswith("bit"):
                width = re.search(r"\((\d+)\)", t)
                exprs.append(f"LPAD(BIN({c}), {width.group(1) if width else 1}, '0')")
            elif t.endswith("[]"):
                exprs.append(f"CONCAT('{{', {c}, '}}')")
            else:
                exprs.append(c)
        t = self.pipe(f"SELECT {', '.join(exprs)} FROM widedb.wide", "pipe.wide", n, nulls=True)
        self.rec("wide.pipe", n / t)
        pg = Pg()
        # Cross-check: synchdb's copy against the pipe's (MariaDB's own text output).
        diff = pg.one("SELECT count(*) FROM (SELECT * FROM widedb.wide EXCEPT ALL SELECT * FROM pipe.wide) d")
        if diff:
            cols_differ = []
            for c in cols:
                k = pg.one(f"SELECT count(*) FROM widedb.wide s JOIN pipe.wide p USING (id) "
                           f"WHERE s.{c} IS DISTINCT FROM p.{c}")
                if k:
                    ex = pg.rows(f"SELECT s.id, s.{c}::text, p.{c}::text FROM widedb.wide s JOIN pipe.wide p USING (id) "
                                 f"WHERE s.{c} IS DISTINCT FROM p.{c} LIMIT 1")[0]
                    cols_differ.append(f"{c} ({k} rows, e.g. id {ex[0]}: synchdb {ex[1]!r}, pipe {ex[2]!r})")
            self.notes.append(f"wide check: {diff} of {n} rows differ between synchdb and the raw pipe: "
                              + "; ".join(cols_differ))
            log("  " + self.notes[-1])
        elif not self.notes_has("wide check"):
            self.notes.append(f"wide check: synchdb's copy of widedb.wide equals the raw pipe's ({n} rows)")
        pg.rows("DROP TABLE IF EXISTS pipe.wide")
        pg.close()
        t = self.native_wide(n)
        self.rec("wide.native", n / t)
        t, _ = self.pgloader("widedb", n, "wide", None)
        if t:
            self.rec("wide.pgloader", n / t)

    # -------------------------------------------------------------- step many: many small tables
    MANY_SHAPES = [
        ("id INT NOT NULL PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL",
         "seq, seq * 7 % 5000, LPAD(seq * 7919, 119, '0'), LPAD(seq * 43, 59, '0')"),
        ("id INT NOT NULL PRIMARY KEY, a BIGINT, b DECIMAL(12,2), d DOUBLE, t DATETIME(6), v VARCHAR(64), x TEXT",
         "seq, seq * 1000003, (seq % 100000) / 100 + 0.25, seq / 3, '2020-01-01' + INTERVAL seq SECOND, "
         "CONCAT('value ', seq), REPEAT(MD5(seq), 2)"),
        ("id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL, ts TIMESTAMP(6) NULL, f TINYINT",
         "seq, CONCAT('k', seq), FROM_UNIXTIME(1600000000 + seq), seq % 100"),
    ]

    def setup_many(self):
        """Database manydb: many_tables tables of many_rows rows, the three shapes in turn."""
        my = My()
        my.run("DROP DATABASE IF EXISTS manydb")
        my.run("CREATE DATABASE manydb DEFAULT CHARACTER SET utf8mb4")
        my.run("SET time_zone = '+00:00'")
        t0 = time.time()
        for i in range(self.many_tables):
            cols, sel = self.MANY_SHAPES[i % len(self.MANY_SHAPES)]
            my.run(f"CREATE TABLE manydb.t{i:03d} ({cols}) ENGINE=InnoDB")
            my.run(f"INSERT INTO manydb.t{i:03d} SELECT {sel} FROM manydb.seq_1_to_{self.many_rows}")
        my.close()
        log(f"  manydb: {self.many_tables} tables of {self.many_rows} rows in {time.time() - t0:.1f}s")

    def step_many(self):
        n = self.many_tables * self.many_rows
        log(f"step many: snapshot of {self.many_tables} tables x {self.many_rows} rows")
        pg = Pg()
        name = "many"
        drop_connector(pg, name)
        pg.rows('DROP SCHEMA IF EXISTS manydb CASCADE')
        add_connector(pg, name, "manydb")
        sampler = MemSampler(name)
        sampler.start()
        t0 = time.time()
        pg.one("SELECT synchdb_start_engine_bgw(%s, 'initial_only')", (name,))
        seen = {"running": False}

        def done():
            st = state(pg, name)
            if not st:
                return False
            if st["state"] != "stopped":
                seen["running"] = True
            if st["state"] == "stopped" and st["err"] not in ("no error", None, ""):
                raise RuntimeError(f"snapshot failed: {st}")
            return st["state"] == "stopped" and (seen["running"] or (st["rows"] or 0) >= n)
        wait_for(done, 3600, "many-table snapshot")
        dt = time.time() - t0
        mem = sampler.finish()
        got = pg.one("SELECT sum(n_live_tup) FROM pg_stat_user_tables WHERE schemaname = 'manydb'")
        cnt = sum(pg.one(f"SELECT count(*) FROM manydb.t{i:03d}") for i in range(self.many_tables))
        if cnt != n:
            raise RuntimeError(f"synchdb copied {cnt} rows of manydb, expected {n} (stats {got})")
        log(f"  synchdb manydb: {dt:.2f}s, mem {mem}")
        self.rec("many.synchdb", n / dt)
        self.rec("mem.many.rss_mb", mem["rss_mb"])
        self.rec("mem.many.anon_mb", mem["anon_mb"])
        # The pipe, table by table, into tables LIKE synchdb's.
        pg.rows("DROP SCHEMA IF EXISTS pipe_many CASCADE")
        pg.rows("CREATE SCHEMA pipe_many")
        for i in range(self.many_tables):
            pg.rows(f"CREATE TABLE pipe_many.t{i:03d} (LIKE manydb.t{i:03d} INCLUDING ALL)")
        pg.close()
        t0 = time.time()
        for i in range(self.many_tables):
            self.pipe(f"SELECT * FROM manydb.t{i:03d}", f"pipe_many.t{i:03d}", self.many_rows, nulls=True,
                      quiet=True)
        dt = time.time() - t0
        log(f"  pipe manydb, table by table: {dt:.2f}s")
        self.rec("many.pipe", n / dt)
        pg = Pg()
        pg.rows("DROP SCHEMA IF EXISTS pipe_many CASCADE")
        pg.close()
        if shutil.which("pgloader"):
            t, _ = self.pgloader("manydb", self.many_rows, "t000", None)
            if t:
                self.rec("many.pgloader", n / t)
        elif not self.notes_has("pgloader missing"):
            self.notes.append("pgloader missing: the many-tables peer pgloader could not run")

    # -------------------------------------------------------------- step 2: CDC backlog
    # Each batch of 1000 single-row statements is one transaction, sent to the
    # server in one round trip: for the mariadb client a block ended by the
    # delimiter $$ (it sends it as one multi-statement query), for psql
    # statements joined by \; (one simple-query message).
    def batches(self, stmts, out, style, per_txn=None):
        per_txn = per_txn or self.batch
        if style == "my":
            out.write("DELIMITER $$\n")
        for b in range(0, len(stmts), per_txn):
            chunk = ["BEGIN"] + stmts[b:b + per_txn] + ["COMMIT"]
            if style == "my":
                out.write(";\n".join(chunk) + "$$\n")
            else:
                out.write("\\;\n".join(chunk) + ";\n")

    def insert_stmts(self):
        n = self.ins_n
        out = []
        for i in range(1, n + 1):
            c = (f"{i * 7919 % 99999999999:011d}-" * 10)[:119]
            pad = (f"{i * 43 % 99999999999:011d}-" * 5)[:59]
            out.append(f"INSERT INTO sbtest1 (id, k, c, pad) VALUES ({i}, {i * 2654435761 % n}, '{c}', '{pad}')")
        return out

    def upd_ids(self):
        return [(j * 7919) % self.ins_n + 1 for j in range(self.upd_n)]

    def del_ids(self):
        return [(j * 104729) % self.ins_n + 1 for j in range(self.del_n)]

    def update_stmts(self):
        return [f"UPDATE sbtest1 SET k = {2_000_000 + j} WHERE id = {i}" for j, i in enumerate(self.upd_ids())]

    def delete_stmts(self):
        return [f"DELETE FROM sbtest1 WHERE id = {i}" for i in self.del_ids()]

    def apply_source(self, stmts, cmd, style, per_txn=None):
        """Stream the statements, batched (per_txn statements per transaction), into a client; returns seconds."""
        gen = lambda out: self.batches(stmts, out, style, per_txn)  # noqa: E731
        t0 = time.time()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        class W:
            def __init__(self, f):
                self.f = f

            def write(self, s):
                self.f.write(s)
        try:
            gen(W(p.stdin))
            p.stdin.close()
        except BrokenPipeError:
            pass
        out = p.stdout.read()
        rc = p.wait()
        if rc != 0:
            raise RuntimeError(f"{cmd[0]} failed: {out[-2000:]}")
        return time.time() - t0

    def phases(self):
        """(phase, generator, marker SQL that returns true once applied)."""
        last_upd = self.upd_ids()[-1]
        last_del = self.del_ids()[-1]
        return [
            ("insert", self.insert_stmts, self.ins_n,
             f"SELECT count(*) = 1 FROM {{t}} WHERE id = {self.ins_n}"),
            ("update", self.update_stmts, self.upd_n,
             f"SELECT count(*) = 1 FROM {{t}} WHERE id = {last_upd} AND k = {2_000_000 + self.upd_n - 1}"),
            ("delete", self.delete_stmts, self.del_n,
             f"SELECT count(*) = 0 FROM {{t}} WHERE id = {last_del}"),
        ]

    def step_cdc(self, keep_binlogs):
        log("step 2: CDC backlog drain, synchdb")
        my = My("cdcdb")
        my.run("DROP TABLE IF EXISTS sbtest1")
        my.run("CREATE TABLE sbtest1 (id INT NOT NULL, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', "
               "pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id), KEY k_1 (k)) ENGINE=InnoDB")
        pg = Pg()
        name = "cdc"
        drop_connector(pg, name)
        pg.rows("DROP SCHEMA IF EXISTS cdcdb CASCADE")
        add_connector(pg, name, "cdcdb")
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
        wait_for(lambda: (state(pg, name) or {}).get("stage") == "change data capture", 300, "cdc connector in CDC")
        stop_connector(pg, name)
        my.run("FLUSH BINARY LOGS")
        first_file = my.run("SHOW MASTER STATUS")[0][0]
        mem_rss = mem_anon = 0.0
        for phase, gen, n, marker in self.phases():
            ts = self.apply_source(gen(), my_cli("cdcdb"), "my")
            log(f"  source: {n} {phase}s applied in {ts:.1f}s ({n / ts:.0f}/s)")
            self.rec(f"src.{phase}", n / ts)
            master = my.run("SHOW MASTER STATUS")[0]
            sampler = MemSampler(name)
            sampler.start()
            t0 = time.time()
            pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
            perf = Perf(self.args.perf, pg, name, f"cdc-{phase}")
            q = marker.format(t="cdcdb.sbtest1")

            def caught_up():
                s = state(pg, name)
                if s and s["state"] == "stopped" and s["err"] not in ("no error", None, ""):
                    raise RuntimeError(f"cdc connector stopped: {s}")
                try:
                    return pg.one(q)
                except psycopg2.Error:
                    return False
            wait_for(caught_up, 3600, f"synchdb drained {phase}s")
            dt = time.time() - t0
            perf.stop()
            mem = sampler.finish()
            log(f"  synchdb drained {n} {phase}s in {dt:.2f}s (worker {mem['pids']}, peak RssAnon "
                f"{mem['anon_mb']:.1f} MB, worker CPU {mem['worker_cpu']:.2f} cores, mariadbd CPU "
                f"{mem['mariadbd_cpu'] or 0:.2f} cores)")
            self.rec(f"cpu.cdc.{phase}", mem["worker_cpu"])
            mem_rss, mem_anon = max(mem_rss, mem["rss_mb"]), max(mem_anon, mem["anon_mb"])
            # The stored position should reach the source's position.
            try:
                wait_for(lambda: (lambda r: r and r[0][0] == master[0] and r[0][1] >= master[1])(
                    pg.rows("SELECT position::jsonb ->> 'file', (position::jsonb ->> 'pos')::bigint "
                            "FROM _synchdb.offsets WHERE connector = %s", (name,))), 10,
                    "offset == SHOW MASTER STATUS")
            except RuntimeError as e:
                self.notes.append(f"cdc {phase}: {e}")
            self.rec(f"cdc.synchdb.{phase}", n / dt)
            stop_connector(pg, name)
        src = my.run("SELECT count(*), CAST(SUM(k) AS SIGNED) FROM sbtest1")[0]
        dst = pg.rows("SELECT count(*), sum(k) FROM cdcdb.sbtest1")[0]
        if tuple(src) != tuple(dst):
            self.notes.append(f"cdc: destination differs from source: source {src}, destination {dst}")
            log(f"  MISMATCH source {src} destination {dst}")
        self.rec("mem.cdc.rss_mb", mem_rss)
        self.rec("mem.cdc.anon_mb", mem_anon)
        my.run("FLUSH BINARY LOGS")
        if keep_binlogs:
            files = [r[0] for r in my.run("SHOW BINARY LOGS")]
            last = my.run("SHOW MASTER STATUS")[0][0]
            keep = [f for f in files if first_file <= f < last]
            d = os.path.join(RUN, "binlogs")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            self.binlogs = []
            for f in keep:
                shutil.copy(os.path.join(MYDATA, f), d)
                self.binlogs.append(os.path.join(d, f))
            log(f"  kept binlogs {keep}")
        pg.close()
        my.close()

        log("step 2: CDC backlog drain, native logical replication")
        sub = Pg(SUBPORT, "lr")
        pub = Pg(dbname="lr")
        sub.rows("DROP SUBSCRIPTION IF EXISTS s_cdc")
        pub.rows("TRUNCATE sbtest1")
        sub.rows("TRUNCATE sbtest1")
        sub.rows(f"CREATE SUBSCRIPTION s_cdc CONNECTION 'host=127.0.0.1 port={PGPORT} dbname=lr user=postgres' "
                 "PUBLICATION p_cdc WITH (copy_data = false)")
        wait_for(lambda: sub.one("SELECT pid FROM pg_stat_subscription WHERE subname = 's_cdc'"), 60, "apply worker")
        psql = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(PGPORT), "-U", "postgres",
                "-d", "lr", "-f", "-"]
        for phase, gen, n, marker in self.phases():
            sub.rows("ALTER SUBSCRIPTION s_cdc DISABLE")
            wait_for(lambda: not sub.one("SELECT pid FROM pg_stat_subscription WHERE subname = 's_cdc'"), 60,
                     "apply worker gone")
            ts = self.apply_source(gen(), psql, "pg")
            log(f"  publisher: {n} {phase}s applied in {ts:.1f}s ({n / ts:.0f}/s)")
            q = marker.format(t="sbtest1")
            t0 = time.time()
            sub.rows("ALTER SUBSCRIPTION s_cdc ENABLE")
            wait_for(lambda: sub.one(q), 3600, f"native drained {phase}s")
            dt = time.time() - t0
            self.rec(f"cdc.native.{phase}", n / dt)
        src = pub.rows("SELECT count(*), sum(k) FROM sbtest1")[0]
        dst = sub.rows("SELECT count(*), sum(k) FROM sbtest1")[0]
        if tuple(src) != tuple(dst):
            self.notes.append(f"native cdc: subscriber differs: {src} vs {dst}")
        sub.rows("DROP SUBSCRIPTION s_cdc")
        sub.close()
        pub.close()

    # -------------------------------------------------------------- step widecdc: CDC drain of wide rows
    # The 26 columns of the wide table: per phase one set-based statement per 1000-row transaction (the
    # stream is one change per row either way): INSERT ... SELECT, UPDATE of four columns by id range,
    # DELETE by id range; synchdb (binlog, full row images) against native logical replication of a
    # table with synchdb's column types.
    def widecdc_phases(self):
        n, b = self.widecdc_n, self.batch
        rngs = [(lo, min(lo + b - 1, n)) for lo in range(1, n + 1, b)]
        my_ins = [f"INSERT INTO wide SELECT {WIDE_SELECT} FROM seq_{lo}_to_{hi}" for lo, hi in rngs]
        my_upd = [f"UPDATE wide SET c_int = c_int + 1, c_varchar = CONCAT('upd ', id), c_dec = c_dec + 1, "
                  f"c_datetime = c_datetime + INTERVAL 1 SECOND WHERE id BETWEEN {lo} AND {hi}" for lo, hi in rngs]
        my_del = [f"DELETE FROM wide WHERE id BETWEEN {lo} AND {hi}" for lo, hi in rngs]
        pg_ins = lambda types: [  # noqa: E731
            "INSERT INTO widecdc SELECT " + ", ".join(f"({e})::text::{t}" for e, t in zip(WIDE_PG_TEXT, types)) +
            f" FROM generate_series({lo}, {hi}) g" for lo, hi in rngs]
        pg_upd = [f"UPDATE widecdc SET c_int = c_int + 1, c_varchar = 'upd ' || id, c_dec = c_dec + 1, "
                  f"c_datetime = c_datetime + interval '1 second' WHERE id BETWEEN {lo} AND {hi}" for lo, hi in rngs]
        pg_del = [f"DELETE FROM widecdc WHERE id BETWEEN {lo} AND {hi}" for lo, hi in rngs]
        return [
            ("insert", my_ins, pg_ins, f"SELECT count(*) = 1 FROM {{t}} WHERE id = {n}"),
            ("update", my_upd, lambda types: pg_upd, f"SELECT count(*) = 1 FROM {{t}} WHERE id = {n} AND c_varchar = 'upd {n}'"),
            ("delete", my_del, lambda types: pg_del, f"SELECT count(*) = 0 FROM {{t}} WHERE id = {n}"),
        ]

    def step_widecdc(self):
        n = self.widecdc_n
        log(f"step widecdc: CDC drain of {n} wide rows, synchdb")
        my = My()
        my.run("DROP DATABASE IF EXISTS wcdc")
        my.run("CREATE DATABASE wcdc DEFAULT CHARACTER SET utf8mb4")
        my.close()
        my = My("wcdc")
        my.run(f"CREATE TABLE wide {WIDE_DDL}")
        pg = Pg()
        name = "wcdc"
        drop_connector(pg, name)
        pg.rows("DROP SCHEMA IF EXISTS wcdc CASCADE")
        add_connector(pg, name, "wcdc")
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
        wait_for(lambda: (state(pg, name) or {}).get("stage") == "change data capture", 300, "wcdc connector in CDC")
        stop_connector(pg, name)
        types = [r[0] for r in pg.rows("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                                       "'wcdc.wide'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")]
        cols = [r[0] for r in pg.rows("SELECT attname FROM pg_attribute WHERE attrelid = 'wcdc.wide'::regclass AND "
                                      "attnum > 0 AND NOT attisdropped ORDER BY attnum")]
        mycli = my_cli("wcdc") + ["--init-command=SET time_zone='+00:00'"]
        mem_anon = 0.0
        for phase, my_stmts, _, marker in self.widecdc_phases():
            ts = self.apply_source(my_stmts, mycli, "my", per_txn=1)
            log(f"  source: {n} wide {phase}s applied in {ts:.1f}s ({n / ts:.0f}/s)")
            sampler = MemSampler(name)
            sampler.start()
            t0 = time.time()
            pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
            perf = Perf(self.args.perf, pg, name, f"widecdc-{phase}")
            q = marker.format(t="wcdc.wide")

            def caught_up():
                s = state(pg, name)
                if s and s["state"] == "stopped" and s["err"] not in ("no error", None, ""):
                    raise RuntimeError(f"wcdc connector stopped: {s}")
                try:
                    return pg.one(q)
                except psycopg2.Error:
                    return False
            wait_for(caught_up, 3600, f"synchdb drained wide {phase}s")
            dt = time.time() - t0
            perf.stop()
            mem = sampler.finish()
            log(f"  synchdb drained {n} wide {phase}s in {dt:.2f}s (peak RssAnon {mem['anon_mb']:.1f} MB, "
                f"worker CPU {mem['worker_cpu']:.2f} cores)")
            self.rec(f"widecdc.synchdb.{phase}", n / dt)
            self.rec(f"cpu.widecdc.{phase}", mem["worker_cpu"])
            mem_anon = max(mem_anon, mem["anon_mb"])
            stop_connector(pg, name)
            src = my.run("SELECT count(*), CAST(COALESCE(SUM(c_int), 0) AS SIGNED), "
                         "CAST(COALESCE(SUM(c_dec), 0) AS DECIMAL(20,2)) FROM wide")[0]
            dst = pg.rows("SELECT count(*), coalesce(sum(c_int), 0), coalesce(sum(c_dec), 0) FROM wcdc.wide")[0]
            if [decimal.Decimal(str(x)) for x in src] != [decimal.Decimal(str(x)) for x in dst]:
                self.notes.append(f"widecdc {phase}: destination differs from source: {src} vs {dst}")
                log("  MISMATCH " + self.notes[-1])
        self.rec("mem.widecdc.anon_mb", mem_anon)
        pg.close()
        my.close()

        log("step widecdc: native logical replication")
        ddl = "(" + ", ".join(f'"{c}" {t}' for c, t in zip(cols, types)) + ", PRIMARY KEY (id))"
        pub = Pg(dbname="lr")
        sub = Pg(SUBPORT, "lr")
        sub.rows("DROP SUBSCRIPTION IF EXISTS s_widecdc")
        for c in (pub, sub):
            c.rows("DROP TABLE IF EXISTS widecdc")
            c.rows(f"CREATE TABLE widecdc {ddl}")
        pub.rows("DROP PUBLICATION IF EXISTS p_widecdc")
        pub.rows("CREATE PUBLICATION p_widecdc FOR TABLE widecdc")
        sub.rows(f"CREATE SUBSCRIPTION s_widecdc CONNECTION 'host=127.0.0.1 port={PGPORT} dbname=lr user=postgres' "
                 "PUBLICATION p_widecdc WITH (copy_data = false)")
        wait_for(lambda: sub.one("SELECT pid FROM pg_stat_subscription WHERE subname = 's_widecdc'"), 60,
                 "apply worker")
        psql = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(PGPORT), "-U", "postgres",
                "-d", "lr", "-f", "-"]
        for phase, _, pg_stmts, marker in self.widecdc_phases():
            sub.rows("ALTER SUBSCRIPTION s_widecdc DISABLE")
            wait_for(lambda: not sub.one("SELECT pid FROM pg_stat_subscription WHERE subname = 's_widecdc'"), 60,
                     "apply worker gone")
            ts = self.apply_source(pg_stmts(types), psql, "pg", per_txn=1)
            log(f"  publisher: {n} wide {phase}s applied in {ts:.1f}s ({n / ts:.0f}/s)")
            q = marker.format(t="widecdc")
            t0 = time.time()
            sub.rows("ALTER SUBSCRIPTION s_widecdc ENABLE")
            wait_for(lambda: sub.one(q), 3600, f"native drained wide {phase}s")
            dt = time.time() - t0
            self.rec(f"widecdc.native.{phase}", n / dt)
            a = pub.rows("SELECT count(*), coalesce(sum(c_int), 0) FROM widecdc")[0]
            b = sub.rows("SELECT count(*), coalesce(sum(c_int), 0) FROM widecdc")[0]
            if tuple(a) != tuple(b):
                self.notes.append(f"native widecdc {phase}: subscriber differs: {a} vs {b}")
        sub.rows("DROP SUBSCRIPTION s_widecdc")
        sub.close()
        pub.close()

    # -------------------------------------------------------------- step pgsrc: PostgreSQL source
    # Source: cluster PGSRCPORT, database srcdb, schema pgs, owned by the
    # replication role bench_src (scram). synchdb's postgres connectors write
    # into schema pgs of the destination's database postgres; the native
    # subscriptions into schema pgs of database pgnative of the same
    # destination cluster.
    PGSRC_TABLES = {
        "sbtest1": "(id int NOT NULL PRIMARY KEY, k int NOT NULL DEFAULT 0, c char(120) NOT NULL DEFAULT '', "
                   "pad char(60) NOT NULL DEFAULT '')",
        "cdc": "(id int NOT NULL PRIMARY KEY, k int NOT NULL DEFAULT 0, c char(120) NOT NULL DEFAULT '', "
               "pad char(60) NOT NULL DEFAULT '')",
        # The 26 columns of MariaDB's widedb.wide, in PostgreSQL types.
        "wide": """(id int NOT NULL PRIMARY KEY,
            c_tiny smallint, c_small smallint, c_medium int, c_int int, c_big bigint,
            c_ubig numeric(20,0), c_uint bigint, c_dec numeric(12,2), c_float real, c_double double precision,
            c_bit bit(8), c_bool boolean,
            c_date date, c_datetime timestamp(6), c_ts timestamptz(6), c_time time, c_year smallint,
            c_char char(10), c_varchar varchar(100), c_text text, c_blob bytea, c_varbin bytea,
            c_enum pgs.abc, c_set text[], c_json jsonb)""",
    }

    def pgsrc_schema(self, conn):
        conn.rows("CREATE SCHEMA pgs")
        conn.rows("CREATE TYPE pgs.abc AS ENUM ('a', 'b', 'c')")
        for t, ddl in self.PGSRC_TABLES.items():
            conn.rows(f"CREATE TABLE pgs.{t} {ddl}")

    def setup_pgsrc(self):
        log("setup: source PostgreSQL for step pgsrc")
        su = Pg(PGSRCPORT)
        for (slot, active) in su.rows("SELECT slot_name, active_pid FROM pg_replication_slots"):
            if active:
                su.rows("SELECT pg_terminate_backend(%s)", (active,))
                wait_for(lambda: not su.one("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                            (slot,)), 30, f"slot {slot} released")
            su.rows("SELECT pg_drop_replication_slot(%s)", (slot,))
        su.rows(f"DROP DATABASE IF EXISTS {PGSRC_DB} WITH (FORCE)")
        if not su.one("SELECT count(*) FROM pg_roles WHERE rolname = %s", (PGSRC_USER,)):
            su.rows(f"CREATE ROLE {PGSRC_USER} LOGIN REPLICATION PASSWORD '{PGSRC_PWD}'")
        su.rows(f"CREATE DATABASE {PGSRC_DB} OWNER {PGSRC_USER}")
        su.close()
        src = Pg(PGSRCPORT, PGSRC_DB, PGSRC_USER, PGSRC_PWD)
        self.pgsrc_schema(src)
        t0 = time.time()
        n = self.pgsrc_snap_n
        src.rows(f"""INSERT INTO pgs.sbtest1 SELECT g, (random() * {n})::int,
                     substr(repeat(lpad((g::bigint * 7919 % 99999999999)::text, 11, '0') || '-', 10), 1, 119),
                     substr(repeat(lpad((g::bigint * 43 % 99999999999)::text, 11, '0') || '-', 5), 1, 59)
                     FROM generate_series(1, {n}) g""")
        log(f"  pgs.sbtest1: {n} rows in {time.time() - t0:.1f}s")
        t0 = time.time()
        src.rows("SET TimeZone = 'UTC'")
        src.rows(f"""INSERT INTO pgs.wide SELECT g, g % 128, g % 32768 - 16384, g * 7 % 8388607, g * 31,
            g::bigint * 1000003, g::numeric * 99991, g, (g % 100000) / 100.0 + 0.25, g / 8.0, g / 3.0,
            (g % 256)::bit(8), g % 2 = 1,
            date '2020-01-01' + g % 3000,
            timestamp '2020-01-01' + g * interval '1 second' + (g % 1000000) * interval '1 microsecond',
            to_timestamp(1600000000 + g), (g % 86400) * interval '1 second', 1901 + g % 255,
            'ch' || g % 1000, CASE WHEN g % 10 = 0 THEN NULL ELSE 'varchar value ' || g END,
            repeat(md5(g::text), 3), decode(md5(g::text), 'hex'), substr(sha256(g::text::bytea), 1, 20),
            (ARRAY['a', 'b', 'c'])[1 + g % 3]::pgs.abc, (ARRAY['{{x}}', '{{y}}', '{{x,z}}'])[1 + g % 3]::text[],
            jsonb_build_object('id', g, 'name', 'n' || g, 'tags', jsonb_build_array(1, 2, 3))
            FROM generate_series(1, {self.pgsrc_wide_n}) g""")
        log(f"  pgs.wide: {self.pgsrc_wide_n} rows in {time.time() - t0:.1f}s")
        src.rows("VACUUM ANALYZE pgs.sbtest1")
        src.rows("VACUUM ANALYZE pgs.wide")
        for t in ("sbtest1", "wide", "cdc"):
            src.rows(f"CREATE PUBLICATION native_{t} FOR TABLE pgs.{t}")
        src.close()

        pg = Pg()
        pg.rows("CREATE EXTENSION IF NOT EXISTS synchdb CASCADE")
        for name in ("pgsnap", "pgwide", "pgcdc"):
            drop_connector(pg, name)
        pg.rows("DROP SCHEMA IF EXISTS pgs CASCADE")
        if pg.one("SELECT count(*) FROM pg_database WHERE datname = %s", (NATIVE_DB,)):
            nat = Pg(dbname=NATIVE_DB)
            for (sub,) in nat.rows("SELECT subname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid "
                                   "WHERE d.datname = current_database()"):
                nat.rows(f"DROP SUBSCRIPTION {sub}")
            nat.close()
        pg.rows(f"DROP DATABASE IF EXISTS {NATIVE_DB} WITH (FORCE)")
        pg.rows(f"CREATE DATABASE {NATIVE_DB}")
        pg.close()
        nat = Pg(dbname=NATIVE_DB)
        self.pgsrc_schema(nat)
        nat.close()

    def native_conninfo(self):
        return (f"host=127.0.0.1 port={PGSRCPORT} dbname={PGSRC_DB} user={PGSRC_USER} "
                f"password={PGSRC_PWD}")

    @staticmethod
    def table_digest(conn, table):
        """(rows, sum of hashtext of every row's text): equal for equal contents and column types."""
        return tuple(conn.rows(f"SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM {table} t")[0])

    def pgsrc_native_copy(self, table, n):
        nat = Pg(dbname=NATIVE_DB)
        nat.rows(f"DROP SUBSCRIPTION IF EXISTS ns_{table}")
        nat.rows(f"TRUNCATE pgs.{table}")
        t0 = time.time()
        nat.rows(f"CREATE SUBSCRIPTION ns_{table} CONNECTION '{self.native_conninfo()}' "
                 f"PUBLICATION native_{table} WITH (copy_data = true)")
        sid = nat.one("SELECT oid FROM pg_subscription WHERE subname = %s", (f"ns_{table}",))
        wait_for(lambda: nat.one("SELECT count(*) FROM pg_subscription_rel WHERE srsubid = %s AND srsubstate <> 'r'",
                                 (sid,)) == 0 and
                 nat.one("SELECT count(*) FROM pg_subscription_rel WHERE srsubid = %s", (sid,)) > 0,
                 3600, f"native initial sync of pgs.{table}")
        dt = time.time() - t0
        nat.rows(f"DROP SUBSCRIPTION ns_{table}")
        got = nat.one(f"SELECT count(*) FROM pgs.{table}")
        nat.close()
        if got != n:
            raise RuntimeError(f"native initial sync of pgs.{table}: {got} rows, expected {n}")
        log(f"  native initial sync pgs.{table}: {dt:.2f}s")
        return dt

    def pgsrc_phases(self):
        """(phase, statements (one transaction each), rows, marker SQL true once the phase is applied)."""
        n, b = self.pgsrc_n, self.batch
        ins = [f"""INSERT INTO pgs.cdc SELECT g, (g::bigint * 2654435761 % {n})::int,
                   substr(repeat(lpad((g::bigint * 7919 % 99999999999)::text, 11, '0') || '-', 10), 1, 119),
                   substr(repeat(lpad((g::bigint * 43 % 99999999999)::text, 11, '0') || '-', 5), 1, 59)
                   FROM generate_series({lo}, {min(lo + b - 1, n)}) g""" for lo in range(1, n + 1, b)]
        # Every row updated once, by key, in a scattered order: id = j * 7919 % n + 1.
        upd = [f"UPDATE pgs.cdc t SET k = 2000000 + j FROM generate_series({lo}, {min(lo + b, n) - 1}) j "
               f"WHERE t.id = j::bigint * 7919 % {n} + 1" for lo in range(0, n, b)]
        # Half of the rows deleted by key: id = j * 104729 % n + 1.
        del_n = n // 2
        dele = [f"DELETE FROM pgs.cdc t USING generate_series({lo}, {min(lo + b, del_n) - 1}) j "
                f"WHERE t.id = j::bigint * 104729 % {n} + 1" for lo in range(0, del_n, b)]
        last_upd = (n - 1) * 7919 % n + 1
        last_del = (del_n - 1) * 104729 % n + 1
        # The first change of each phase is to id 1 (j = 0).
        return [
            ("insert", ins, n, f"SELECT count(*) = 1 FROM {{t}} WHERE id = {n}",
             "SELECT count(*) = 1 FROM {t} WHERE id = 1"),
            ("update", upd, n, f"SELECT count(*) = 1 FROM {{t}} WHERE id = {last_upd} AND k = {2_000_000 + n - 1}",
             "SELECT count(*) = 1 FROM {t} WHERE id = 1 AND k = 2000000"),
            ("delete", dele, del_n, f"SELECT count(*) = 0 FROM {{t}} WHERE id = {last_del}",
             "SELECT count(*) = 0 FROM {t} WHERE id = 1"),
        ]

    def step_pgsrc(self):
        self.pgsrc_round += 1
        # Who goes first alternates between repetitions (the second reads a warm source).
        synchdb_first = self.pgsrc_round % 2 == 1
        log(f"step pgsrc: initial copy ({'synchdb' if synchdb_first else 'native'} first)")
        for table, n, key in (("sbtest1", self.pgsrc_snap_n, "snap"), ("wide", self.pgsrc_wide_n, "wide")):
            name = "pgsnap" if table == "sbtest1" else "pgwide"
            results = {}

            def run_synchdb():
                results["synchdb"] = self.synchdb_snapshot(
                    name, "pgs", table, n, f"mem.pgsrc.{key}",
                    add=lambda pg, nm: add_pg_connector(pg, nm, f"pgs.{table}"), label=f"pgsrc.{key}")

            def run_native():
                results["native"] = self.pgsrc_native_copy(table, n)
            for fn in ((run_synchdb, run_native) if synchdb_first else (run_native, run_synchdb)):
                fn()
            self.rec(f"pgsrc.{key}.synchdb", n / results["synchdb"])
            self.rec(f"pgsrc.{key}.native", n / results["native"])
            pg, nat = Pg(), Pg(dbname=NATIVE_DB)
            a, b = self.table_digest(pg, f"pgs.{table}"), self.table_digest(nat, f"pgs.{table}")
            if a != b:
                self.notes.append(f"pgsrc {table}: synchdb's copy differs from native's: {a} vs {b}")
                log("  " + self.notes[-1])
            elif not self.notes_has(f"pgsrc check {table}"):
                self.notes.append(f"pgsrc check {table}: synchdb's copy equals native sync's ({n} rows, "
                                  f"row text digest)")
            if table == "wide" and not self.notes_has("pgsrc wide types"):
                types = pg.rows("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
                                "attrelid = 'pgs.wide'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")
                self.notes.append("pgsrc wide types: synchdb created " + ", ".join(f"{c} {t}" for c, t in types))
            if table == "sbtest1" and not self.notes_has("pgsrc indexes"):
                self.notes.append(f"pgsrc indexes: synchdb creates pgs.sbtest1 itself and builds its primary key "
                                  f"after the rows ({pg.one(QIDX, ('pgs', 'sbtest1'))} index(es) afterwards); "
                                  f"native sync copies into a pre-created table with its primary key")
            pg.close()
            nat.close()

        log("step pgsrc: backlog drain")
        src = Pg(PGSRCPORT, PGSRC_DB, PGSRC_USER, PGSRC_PWD)
        pg, nat = Pg(), Pg(dbname=NATIVE_DB)
        name = "pgcdc"
        drop_connector(pg, name)   # releases its slot and publication at the source
        nat.rows("DROP SUBSCRIPTION IF EXISTS ns_cdc")
        src.rows("TRUNCATE pgs.cdc")   # no slot holds it now
        nat.rows("TRUNCATE pgs.cdc")
        pg.rows("DROP TABLE IF EXISTS pgs.cdc")
        add_pg_connector(pg, name, "pgs.cdc")
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
        wait_for(lambda: (state(pg, name) or {}).get("stage") == "change data capture", 300, "pgcdc in CDC")
        stop_connector(pg, name)
        nat.rows(f"CREATE SUBSCRIPTION ns_cdc CONNECTION '{self.native_conninfo()}' PUBLICATION native_cdc "
                 "WITH (copy_data = false)")
        apply_pid = "SELECT pid FROM pg_stat_subscription WHERE subname = 'ns_cdc' AND relid IS NULL"
        wait_for(lambda: nat.one(apply_pid), 60, "native apply worker")

        def native_disable():
            nat.rows("ALTER SUBSCRIPTION ns_cdc DISABLE")
            wait_for(lambda: not nat.one(apply_pid), 60, "native apply worker gone")
        native_disable()
        mem_rss = mem_anon = 0.0
        def first_seen(conn, q, t0, first):
            """Poll helper: remember when the phase's first change became visible."""
            if "t" not in first:
                try:
                    if conn.one(q):
                        first["t"] = time.time() - t0
                except psycopg2.Error:
                    pass

        def slot_behind(who, slot, phase):
            """MB of WAL between the source's WAL end and the slot's confirmed_flush_lsn / restart_lsn
            (where the walsender starts decoding at the next start)."""
            conf, restart = src.rows("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) / 1048576.0, "
                                     "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) / 1048576.0 "
                                     "FROM pg_replication_slots WHERE slot_name = %s", (slot,))[0]
            self.rec(f"pgsrc.slot_behind_mb.{who}.{phase}", float(conf))
            self.rec(f"pgsrc.restart_behind_mb.{who}.{phase}", float(restart))

        for phase, stmts, n, marker, first_marker in self.pgsrc_phases():
            t0 = time.time()
            for st in stmts:   # autocommit: one transaction per statement
                src.rows(st)
            ts = time.time() - t0
            log(f"  source: {n} {phase}s in {len(stmts)} transactions, {ts:.1f}s ({n / ts:.0f}/s)")
            self.rec(f"pgsrc.src.{phase}", n / ts)

            def drain_synchdb():
                sampler = MemSampler(name)
                sampler.start()
                t0 = time.time()
                pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
                perf = Perf(self.args.perf, pg, name, f"pgsrc-{phase}")
                q = marker.format(t="pgs.cdc")
                first = {}

                def caught_up():
                    s = state(pg, name)
                    if s and s["state"] == "stopped" and s["err"] not in ("no error", None, ""):
                        raise RuntimeError(f"pgcdc connector stopped: {s}")
                    first_seen(pg, first_marker.format(t="pgs.cdc"), t0, first)
                    try:
                        return pg.one(q)
                    except psycopg2.Error:
                        return False
                wait_for(caught_up, 3600, f"synchdb drained {phase}s")
                dt = time.time() - t0
                self.rec(f"pgsrc.first_s.synchdb.{phase}", first.get("t", dt))
                if dt - first.get("t", dt) > 0.2:
                    self.rec(f"pgsrc.after_first.synchdb.{phase}", n / (dt - first["t"]))
                perf.stop()
                mem = sampler.finish()
                log(f"  synchdb drained {n} {phase}s in {dt:.2f}s (peak RssAnon {mem['anon_mb']:.1f} MB, "
                    f"worker CPU {mem['worker_cpu']:.2f} cores)")
                self.rec(f"cpu.pgsrc.{phase}", mem["worker_cpu"])
                nonlocal mem_rss, mem_anon
                mem_rss, mem_anon = max(mem_rss, mem["rss_mb"]), max(mem_anon, mem["anon_mb"])
                self.rec(f"pgsrc.cdc.synchdb.{phase}", n / dt)
                stop_connector(pg, name)
                slot_behind("synchdb", f"synchdb_{name}", phase)

            def drain_native():
                q = marker.format(t="pgs.cdc")
                first = {}
                t0 = time.time()
                nat.rows("ALTER SUBSCRIPTION ns_cdc ENABLE")

                def caught_up():
                    first_seen(nat, first_marker.format(t="pgs.cdc"), t0, first)
                    return nat.one(q)
                wait_for(caught_up, 3600, f"native drained {phase}s")
                dt = time.time() - t0
                log(f"  native drained {n} {phase}s in {dt:.2f}s")
                self.rec(f"pgsrc.cdc.native.{phase}", n / dt)
                self.rec(f"pgsrc.first_s.native.{phase}", first.get("t", dt))
                if dt - first.get("t", dt) > 0.2:
                    self.rec(f"pgsrc.after_first.native.{phase}", n / (dt - first["t"]))
                native_disable()
                slot_behind("native", "ns_cdc", phase)
            for fn in ((drain_synchdb, drain_native) if synchdb_first else (drain_native, drain_synchdb)):
                fn()
            want = src.rows("SELECT count(*), coalesce(sum(k), 0) FROM pgs.cdc")[0]
            for who, c in (("synchdb", pg), ("native", nat)):
                got = c.rows("SELECT count(*), coalesce(sum(k), 0) FROM pgs.cdc")[0]
                if tuple(got) != tuple(want):
                    self.notes.append(f"pgsrc cdc {phase}: {who} differs from the source: {got} vs {want}")
                    log("  " + self.notes[-1])
        self.rec("mem.pgsrc.cdc.rss_mb", mem_rss)
        self.rec("mem.pgsrc.cdc.anon_mb", mem_anon)
        a, b = self.table_digest(pg, "pgs.cdc"), self.table_digest(nat, "pgs.cdc")
        if a != b:
            self.notes.append(f"pgsrc cdc: synchdb's table differs from native's: {a} vs {b}")
        nat.rows("DROP SUBSCRIPTION ns_cdc")
        drop_connector(pg, name)
        src.close()
        pg.close()
        nat.close()

    # -------------------------------------------------------------- step 3: live lag
    def sysbench(self, *args):
        return ["sysbench", "oltp_write_only", "--db-driver=mysql", f"--mysql-socket={MYSOCK}", "--mysql-user=root",
                "--mysql-password=", "--mysql-db=live", "--tables=1", f"--table-size={self.live_rows}"] + list(args)

    def step_live(self):
        log("step 3: live lag")
        my = My("live")
        my.run("DROP TABLE IF EXISTS sbtest1")
        my.run("DROP TABLE IF EXISTS heartbeat")
        sh(self.sysbench("prepare"))
        my.run("CREATE TABLE heartbeat (id INT PRIMARY KEY, seq BIGINT NOT NULL, ts_us BIGINT NOT NULL)")
        my.run("INSERT INTO heartbeat VALUES (1, 0, 0)")
        pg = Pg()
        name = "live"
        drop_connector(pg, name)
        pg.rows("DROP SCHEMA IF EXISTS live CASCADE")
        add_connector(pg, name, "live")
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
        wait_for(lambda: (state(pg, name) or {}).get("stage") == "change data capture", 600, "live connector in CDC")

        stop = threading.Event()
        sent = {}

        def beat():
            m = My("live")
            seq = 0
            while not stop.is_set():
                seq += 1
                m.run("UPDATE heartbeat SET seq = %s, ts_us = CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED) "
                      "WHERE id = 1", (seq,))
                sent["last"] = seq
                stop.wait(0.1)
            m.close()

        lags = []
        seen = {"seq": 0}

        def watch():
            p = Pg()
            while not stop.is_set() or seen["seq"] < sent.get("last", 0):
                r = p.rows("SELECT seq, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint - ts_us "
                           "FROM live.heartbeat WHERE id = 1")
                if r and r[0][0] != seen["seq"]:
                    seen["seq"] = r[0][0]
                    lags.append((time.time(), r[0][1] / 1000.0))
                time.sleep(0.01)
            p.close()

        sampler = MemSampler(name)
        sampler.start()
        tb = threading.Thread(target=beat, daemon=True)
        tw = threading.Thread(target=watch, daemon=True)
        tb.start()
        time.sleep(0.5)
        tw.start()
        time.sleep(2)
        t_load = time.time()
        r = sh(self.sysbench(f"--threads={self.live_threads}", f"--time={self.live_s}", "--report-interval=0",
                             "run"))
        t_end = time.time()
        stop.set()
        tb.join()
        # One more heartbeat after the last sysbench commit: once it is seen,
        # everything the load committed has been applied.
        sent["last"] = sent.get("last", 0) + 1   # first, so that the watcher waits for it
        final = My("live")
        final.run("UPDATE heartbeat SET seq = %s, ts_us = CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED) "
                  "WHERE id = 1", (sent["last"],))
        final.close()
        t_stop = time.time()
        tw.join(timeout=1800)
        catchup = time.time() - t_stop
        mem = sampler.finish()
        tps = float(re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", r.stdout).group(1))
        load = [lag for (t, lag) in lags if t_load <= t <= t_end]
        load.sort()
        if not load:
            raise RuntimeError("no heartbeat seen during the load")
        p50 = load[len(load) // 2]
        p99 = load[min(len(load) - 1, int(len(load) * 0.99))]
        log(f"  sysbench {tps:.0f} tps; lag p50 {p50:.0f} ms p99 {p99:.0f} ms max {load[-1]:.0f} ms "
            f"({len(load)} heartbeats seen); caught up {catchup:.1f}s after the load; mem {mem}")
        self.rec("live.tps", tps)
        self.rec("live.p50_ms", p50)
        self.rec("live.p99_ms", p99)
        self.rec("live.max_ms", load[-1])
        self.rec("live.catchup_s", catchup)
        self.rec("mem.live.anon_mb", mem["anon_mb"])
        self.rec("mem.live.rss_mb", mem["rss_mb"])
        stop_connector(pg, name)
        src = my.run("SELECT count(*), CAST(SUM(k) AS SIGNED) FROM sbtest1")[0]
        dst = pg.rows("SELECT count(*), sum(k) FROM live.sbtest1")[0]
        if tuple(src) != tuple(dst):
            self.notes.append(f"live: destination differs from source: source {src}, destination {dst}")
        pg.close()
        my.close()

    # -------------------------------------------------------------- step 5: decode alone
    def step_decode(self):
        if not self.binlogs:
            return
        log(f"step 5: decode {self.binlogs}")
        r = sh([DECODE_BENCH, "--repeat", "3"] + self.binlogs)
        log("  " + r.stdout.strip().replace("\n", "\n  "))
        m = re.search(r"best: (\d+) events (\d+) rows (\d+) values in ([\d.]+) s", r.stdout)
        events, rows, secs = int(m.group(1)), int(m.group(2)), float(m.group(4))
        self.rec("decode.synchdb", rows / secs)
        self.rec("decode.synchdb_events", events / secs)
        r = sh([DECODE_BENCH, "--repeat", "3", "--no-values"] + self.binlogs)
        m = re.search(r"best: (\d+) events (\d+) rows (\d+) values in ([\d.]+) s", r.stdout)
        self.rec("decode.synchdb_slice_only", int(m.group(2)) / float(m.group(4)))
        best = 1e99
        for _ in range(1 if self.args.quick else 2):
            t0 = time.time()
            with open(os.devnull, "w") as dn:
                subprocess.run(["mariadb-binlog", "--no-defaults", "--base64-output=decode-rows", "-v"] +
                               self.binlogs, stdout=dn, check=True)
            best = min(best, time.time() - t0)
        self.rec("decode.mariadb_binlog", rows / best)

    # -------------------------------------------------------------- report
    def med(self, key):
        v = self.results.get(key)
        return statistics.median(v) if v else None

    def report(self, started, machine):
        def fmt(x, unit=""):
            if x is None:
                return "n/a"
            if unit == "MB" or unit == "ms" or unit == "s":
                return f"{x:,.1f}" if x < 100 else f"{x:,.0f}"
            return f"{x:,.0f}"

        def ratio(a, b):
            a, b = self.med(a), self.med(b)
            return f"{a / b:.2f}x" if a and b else "n/a"

        def status(ok):
            return "met" if ok else "**missed**"

        lines = []
        lines.append(f"## synchdb benchmark, {started} ({'quick' if self.args.quick else 'full'}, "
                     f"{self.args.runs} run(s), medians)\n")
        lines.append(machine + "\n")
        def have(prefix):
            return any(k.startswith(prefix) for k in self.results)
        if any(have(p) for p in ("snap.", "wide.", "cdc.", "live.", "decode.")):
            lines.append(f"Sizes: snapshot {self.snap_n:,} rows, wide {self.wide_n:,} rows, CDC {self.ins_n:,} inserts / "
                         f"{self.upd_n:,} updates / {self.del_n:,} deletes in transactions of {self.batch}, live load "
                         f"{self.live_s}s sysbench oltp_write_only, {self.live_threads} threads, {self.live_rows:,} "
                         f"rows.\n")
        if have("pgsrc."):
            lines.append(f"PostgreSQL source (step pgsrc): initial copy {self.pgsrc_snap_n:,} rows (sbtest1) and "
                         f"{self.pgsrc_wide_n:,} rows (wide, 26 columns); backlog {self.pgsrc_n:,} inserts / "
                         f"{self.pgsrc_n:,} updates by key / {self.pgsrc_n // 2:,} deletes by key in transactions of "
                         f"{self.batch}; peer: native logical replication from the same source cluster into "
                         f"another database of the destination cluster.\n")
        lines.append("| step | measure | synchdb | peer | peer value | ratio | target | status |")
        lines.append("|---|---|---|---|---|---|---|---|")

        def row(step, measure, key, peer, pkey, target=None, unit=""):
            s, p = self.med(key), self.med(pkey) if pkey else None
            if s is None and p is None:
                return
            r = f"{s / p:.2f}x" if s and p else "n/a"
            st = ""
            if target is not None and s and p:
                st = status(s / p >= target)
            elif target is not None:
                st = "n/a"
            lines.append(f"| {step} | {measure} | {fmt(s, unit)} | {peer} | {fmt(p, unit)} | {r} | "
                         f"{'>= %.1fx' % target if target is not None else ''} | {st} |")

        row("snapshot sbtest1", "rows/s", "snap.synchdb", "raw pipe", "snap.pipe", 1.5)
        row("snapshot sbtest1", "rows/s", "snap.synchdb", "native initial sync", "snap.native", 1.0)
        row("snapshot sbtest1", "rows/s", "snap.synchdb", "pgloader", "snap.pgloader", 2.5)
        row("snapshot sbtest1", "rows/s", "snap.synchdb", "mysql_fdw", "snap.fdw", 1.4)
        row("snapshot wide", "rows/s", "wide.synchdb", "raw pipe", "wide.pipe", 1.5)
        row("snapshot wide", "rows/s", "wide.synchdb", "native initial sync", "wide.native", 1.5)
        row("snapshot wide", "rows/s", "wide.synchdb", "pgloader", "wide.pgloader")
        row(f"snapshot {self.many_tables} tables x {self.many_rows:,} rows", "rows/s", "many.synchdb",
            "pgloader (tables in parallel)", "many.pgloader", 2.0)
        row(f"snapshot {self.many_tables} tables x {self.many_rows:,} rows", "rows/s", "many.synchdb",
            "raw pipe, table by table", "many.pipe")
        row("CDC drain INSERT", "rows/s", "cdc.synchdb.insert", "native logical repl.", "cdc.native.insert", 1.0)
        row("CDC drain UPDATE by key", "rows/s", "cdc.synchdb.update", "native logical repl.", "cdc.native.update", 1.5)
        row("CDC drain DELETE by key", "rows/s", "cdc.synchdb.delete", "native logical repl.", "cdc.native.delete",
            1.0)
        row("CDC drain wide INSERT", "rows/s", "widecdc.synchdb.insert", "native logical repl.",
            "widecdc.native.insert", 1.5)
        row("CDC drain wide UPDATE by key", "rows/s", "widecdc.synchdb.update", "native logical repl.",
            "widecdc.native.update", 1.5)
        row("CDC drain wide DELETE by key", "rows/s", "widecdc.synchdb.delete", "native logical repl.",
            "widecdc.native.delete")
        row("snapshot sbtest1, text COPY (binary off)", "rows/s", "snap.synchdb_text", "raw pipe", "snap.pipe")
        row("snapshot wide, text COPY (binary off)", "rows/s", "wide.synchdb_text", "raw pipe", "wide.pipe")
        row("decode alone", "rows/s", "decode.synchdb", "mariadb-binlog -v", "decode.mariadb_binlog")
        row("PG source: initial copy sbtest1", "rows/s", "pgsrc.snap.synchdb", "native initial sync",
            "pgsrc.snap.native", 1.0)
        row("PG source: initial copy wide", "rows/s", "pgsrc.wide.synchdb", "native initial sync",
            "pgsrc.wide.native", 1.0)
        row("PG source: drain INSERT", "rows/s", "pgsrc.cdc.synchdb.insert", "native logical repl.",
            "pgsrc.cdc.native.insert", 1.0)
        row("PG source: drain UPDATE by key", "rows/s", "pgsrc.cdc.synchdb.update", "native logical repl.",
            "pgsrc.cdc.native.update", 1.0)
        row("PG source: drain DELETE by key", "rows/s", "pgsrc.cdc.synchdb.delete", "native logical repl.",
            "pgsrc.cdc.native.delete")
        for ph, label in (("insert", "INSERT"), ("update", "UPDATE by key"), ("delete", "DELETE by key")):
            row(f"PG source: drain {label}, from the first change on", "rows/s", f"pgsrc.after_first.synchdb.{ph}",
                "native logical repl.", f"pgsrc.after_first.native.{ph}")
        for ph, label in (("insert", "INSERT"), ("update", "UPDATE by key"), ("delete", "DELETE by key")):
            row(f"OLR replay {label} (stand-in OLR)", "changes/s", f"olr.synchdb.{ph}",
                "synchdb MySQL drain (step cdc)", f"cdc.synchdb.{ph}")
        lines.append("")
        lines.append("| measure | value | target | status |")
        lines.append("|---|---|---|---|")
        p99 = self.med("live.p99_ms")
        if have("live."):
            lines.append(f"| live load: sysbench oltp_write_only tps (MariaDB max here) | {fmt(self.med('live.tps'))} | | |")
            lines.append(f"| live lag p50 | {fmt(self.med('live.p50_ms'), 'ms')} ms | | |")
            lines.append(f"| live lag p99 | {fmt(p99, 'ms')} ms | < 1000 ms | "
                         f"{status(p99 is not None and p99 < 1000) if p99 is not None else 'n/a'} |")
            lines.append(f"| live lag max | {fmt(self.med('live.max_ms'), 'ms')} ms | | |")
            lines.append(f"| catch-up after the load stopped | {fmt(self.med('live.catchup_s'), 's')} s | | |")
        for k, label in (("mem.snapshot", "snapshot"), ("mem.cdc", "CDC drain"), ("mem.live", "live load"),
                         ("mem.many", "snapshot of many tables"), ("mem.widecdc", "wide CDC drains"),
                         ("mem.pgsrc.snap", "PG source initial copy sbtest1"),
                         ("mem.pgsrc.wide", "PG source initial copy wide"),
                         ("mem.pgsrc.cdc", "PG source drains"),
                         ("mem.olr", "OLR replay")):
            if not have(k + "."):
                continue
            lines.append(f"| worker peak RSS / RssAnon, {label} | {fmt(self.med(k + '.rss_mb'), 'MB')} / "
                         f"{fmt(self.med(k + '.anon_mb'), 'MB')} MB | RssAnon < 64 MB | "
                         f"{status(self.med(k + '.anon_mb') < 64) if self.med(k + '.anon_mb') is not None else 'n/a'} |")
        if have("mem.pgloader."):
            lines.append(f"| pgloader max RSS (sbtest1) | {fmt(self.med('mem.pgloader.rss_mb'), 'MB')} MB | | |")
        d = self.med("decode.synchdb")
        if have("decode."):
            lines.append(f"| decode alone, rows/s (values decoded) | {fmt(d)} | >= 1,000,000 | "
                         f"{status(d is not None and d >= 1e6) if d is not None else 'n/a'} |")
            lines.append(f"| decode alone, rows/s (slicing only, no values) | "
                         f"{fmt(self.med('decode.synchdb_slice_only'))} | | |")
            lines.append(f"| decode alone, events/s | {fmt(self.med('decode.synchdb_events'))} | | |")
        if have("src."):
            lines.append(f"| source apply rate (mariadb client, 1000-row txns) INSERT / UPDATE / DELETE | "
                         f"{fmt(self.med('src.insert'))} / {fmt(self.med('src.update'))} / "
                         f"{fmt(self.med('src.delete'))} rows/s | | |")
        if have("pgsrc.src."):
            lines.append(f"| PG source: backlog generation at the source (1000-row txns) INSERT / UPDATE / DELETE | "
                         f"{fmt(self.med('pgsrc.src.insert'))} / {fmt(self.med('pgsrc.src.update'))} / "
                         f"{fmt(self.med('pgsrc.src.delete'))} rows/s | | |")
        if have("pgsrc.first_s."):
            lines.append("| PG source: seconds from start/ENABLE to the phase's first change visible, synchdb / native, "
                         "INSERT; UPDATE; DELETE | " + "; ".join(
                             f"{self.med('pgsrc.first_s.synchdb.' + ph) or 0:.2f} / "
                             f"{self.med('pgsrc.first_s.native.' + ph) or 0:.2f}"
                             for ph in ("insert", "update", "delete")) + " | | |")
        if have("pgsrc.slot_behind_mb."):
            lines.append("| PG source: slot's confirmed_flush_lsn behind the source's WAL end after the consumer "
                         "stopped (MB), synchdb / native, INSERT; UPDATE; DELETE | " + "; ".join(
                             f"{self.med('pgsrc.slot_behind_mb.synchdb.' + ph) or 0:.1f} / "
                             f"{self.med('pgsrc.slot_behind_mb.native.' + ph) or 0:.1f}"
                             for ph in ("insert", "update", "delete")) + " | | |")
        if have("pgsrc.restart_behind_mb."):
            lines.append("| PG source: slot's restart_lsn (where decoding resumes) behind the source's WAL end after "
                         "the consumer stopped (MB), synchdb / native, INSERT; UPDATE; DELETE | " + "; ".join(
                             f"{self.med('pgsrc.restart_behind_mb.synchdb.' + ph) or 0:.1f} / "
                             f"{self.med('pgsrc.restart_behind_mb.native.' + ph) or 0:.1f}"
                             for ph in ("insert", "update", "delete")) + " | | |")
        if have("cpu.pgsrc."):
            lines.append(f"| PG source: worker CPU (cores) initial copy sbtest1 / wide; drain INSERT / UPDATE / "
                         f"DELETE | {self.med('cpu.snapshot.pgsrc.snap') or 0:.2f} / "
                         f"{self.med('cpu.snapshot.pgsrc.wide') or 0:.2f}; {self.med('cpu.pgsrc.insert') or 0:.2f} / "
                         f"{self.med('cpu.pgsrc.update') or 0:.2f} / {self.med('cpu.pgsrc.delete') or 0:.2f} | | |")
        lines.append("")
        lines.append("Raw values per run:\n")
        lines.append("```")
        for k in sorted(self.results):
            lines.append(f"{k:32s} " + "  ".join(f"{v:,.1f}" for v in self.results[k]))
        lines.append("```")
        if self.notes:
            lines.append("\nNotes:\n")
            seen = set()
            for n in self.notes:
                if n not in seen:
                    seen.add(n)
                    lines.append(f"- {n}")
        return "\n".join(lines) + "\n"


def machine_info():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    pgv = subprocess.run([os.path.join(PG_BINDIR, "postgres"), "--version"], stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    myv = subprocess.run(["mariadbd", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    return (f"Machine: {os.cpu_count()} CPUs ({model}), {mem:.1f} GiB RAM; {pgv}; {myv}; "
            f"fsync on, innodb_flush_log_at_trx_commit=1, sync_binlog=1; all servers on loopback.")


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", default="snapshot,cdc,widecdc,many,live,decode,pgsrc,olr")
    ap.add_argument("--live-threads", type=int, default=32)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the row counts")
    ap.add_argument("--perf", action="store_true", help="perf record the worker during snapshots and drains")
    ap.add_argument("--deadline", type=float, default=0,
                    help="epoch seconds: start no repetition that would end after it (0: none)")
    args = ap.parse_args()
    LOG = open(os.path.splitext(args.out)[0] + ".log", "w")
    steps = args.steps.split(",")
    b = Bench(args)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_info()
    log(machine)
    failed = []
    if set(steps) & {"snapshot", "cdc", "live", "decode", "widecdc"}:
        b.setup()
    if "pgsrc" in steps:
        b.setup_pgsrc()
    if "many" in steps:
        if not set(steps) & {"snapshot", "cdc", "live", "decode", "widecdc"}:
            b.setup_users()
        b.setup_many()
    if "olr" in steps and not set(steps) & {"snapshot", "cdc", "live", "decode", "many", "widecdc"}:
        b.setup_users()
    rep_secs = 0.0
    done_runs = 0
    for run in range(args.runs):
        if args.deadline and run > 0 and time.time() + rep_secs * 1.1 + 120 > args.deadline:
            b.notes.append(f"only {run} of {args.runs} repetitions: another would pass the deadline "
                           f"(one took {rep_secs / 60:.1f} min)")
            log(b.notes[-1])
            break
        rep_t0 = time.time()
        log(f"=== run {run + 1} of {args.runs}")
        for step, fn in (("snapshot", b.step_snapshot), ("cdc", lambda: b.step_cdc(True)), ("widecdc", b.step_widecdc),
                         ("many", b.step_many), ("live", b.step_live), ("pgsrc", b.step_pgsrc),
                         ("olr", lambda: olr_step.step_olr(b, sys.modules[__name__]))):
            if step not in steps:
                continue
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - report and go on with the next step
                import traceback
                traceback.print_exc()
                log(f"step {step} FAILED: {e}")
                failed.append(f"run {run + 1} {step}: {str(e).splitlines()[0]}")
        rep_secs = time.time() - rep_t0
        done_runs += 1
        log(f"=== run {run + 1} took {rep_secs / 60:.1f} min")
    args.runs = done_runs
    if "decode" in steps:
        try:
            b.step_decode()
        except Exception as e:  # noqa: BLE001
            log(f"step decode FAILED: {e}")
            failed.append(f"decode: {e}")
    for f in failed:
        b.notes.append("FAILED " + f)
    text = b.report(started, machine)
    with open(args.out, "w") as f:
        f.write(text)
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump({"results": b.results, "notes": b.notes}, f, indent=1)
    print()
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
