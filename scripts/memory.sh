#!/usr/bin/env bash
# synchdb: measure how much memory a connector worker uses (not part of scripts/test.sh).
#
#   bash scripts/memory.sh [ROWS] [BLOB_MB] [TABLES]
#
# Run after `make install`.  Starts a private PostgreSQL 15 (synchdb
# preloaded, default settings) and MariaDB under $SYNCHDB_MEM_RUN
# (/tmp/synchdb-mem) on $SYNCHDB_MEM_PGPORT (55462) and $SYNCHDB_MEM_MYPORT
# (33336), runs three cases with one MySQL connector each, and stops the
# servers.  During each case the worker's /proc/<pid>/status is sampled every
# 50 ms; the figure is the peak RssAnon (the process's own memory: shared
# buffers and the server's shared memory are RssShmem and not counted).
#
#   transaction  one source transaction of ROWS rows (default 5,000,000),
#                INSERT ... SELECT of (INT, VARCHAR(100)) rows, streamed
#   blob         rows of BLOB_MB MB (default 100): one LONGBLOB and one
#                LONGTEXT row in the snapshot, two more streamed
#                (max_allowed_packet is raised to 1 GB on MariaDB for it)
#   tables       a snapshot of TABLES tables (default 10,000) of one row each
#
# The target (docs/reliability.md, "Memory bounds"): under 128 MB RssAnon
# with default settings.  A case that exceeds it, or fails, is marked; the
# exit status is non-zero then.  Prints one line per case.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS="${1:-5000000}"
BLOB_MB="${2:-100}"
TABLES="${3:-10000}"
export SYNCHDB_RUN="${SYNCHDB_MEM_RUN:-/tmp/synchdb-mem}"
export SYNCHDB_PGPORT="${SYNCHDB_MEM_PGPORT:-55462}"
export SYNCHDB_MYPORT="${SYNCHDB_MEM_MYPORT:-33336}"
# shellcheck source=scripts/env.sh
source scripts/env.sh

stop_servers() {
    bash scripts/pg.sh stop pg >/dev/null 2>&1 || true
    bash scripts/mariadb.sh stop mariadb >/dev/null 2>&1 || true
}
stop_servers
rm -rf "$SYNCHDB_RUN"
mkdir -p "$SYNCHDB_RUN"
trap stop_servers EXIT
bash scripts/pg.sh start pg >/dev/null || { echo "memory: could not start PostgreSQL"; exit 1; }
# A private tmpdir: information_schema over 10,000 tables makes temporary tables, and files
# in a shared /tmp may be removed by others.
mkdir -p "$SYNCHDB_RUN/mariadb-tmp" && chmod 1777 "$SYNCHDB_RUN/mariadb-tmp"
SYNCHDB_MY_EXTRA_OPTS="--max-allowed-packet=1073741824 --innodb-log-file-size=1G --tmpdir=$SYNCHDB_RUN/mariadb-tmp" \
    bash scripts/mariadb.sh start mariadb >/dev/null || { echo "memory: could not start MariaDB"; exit 1; }
my_client mariadb -e "CREATE USER IF NOT EXISTS 'mysqluser'@'%' IDENTIFIED BY 'mysqlpwd';
    GRANT ALL ON *.* TO 'mysqluser'@'%';" || exit 1

"$SYNCHDB_PYTHON" - "$ROWS" "$BLOB_MB" "$TABLES" <<'EOF'
import os
import sys
import threading
import time

import psycopg2
import pymysql

ROWS, BLOB_MB, TABLES = (int(a) for a in sys.argv[1:4])
TARGET_MB = 128
PGPORT = int(os.environ["SYNCHDB_PGPORT"])
MYPORT = int(os.environ["SYNCHDB_MYPORT"])
SOCK = os.path.join(os.environ["SYNCHDB_RUN"], "mariadb", "mysqld.sock")


def pg():
    c = psycopg2.connect(host="127.0.0.1", port=PGPORT, user="postgres", dbname="postgres")
    c.autocommit = True
    return c


def q(c, sql, args=None):
    with c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []


def my():
    return pymysql.connect(unix_socket=SOCK, user="root", autocommit=True, max_allowed_packet=1 << 30)


def status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("RssAnon", "VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0]) // 1024  # MB
    except OSError:
        pass
    return out


class Sampler:
    def __init__(self, p, name):
        self.pg, self.name = p, name
        self.peak = {"RssAnon": 0, "VmRSS": 0}
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        c = pg()
        pid = None
        while not self.stop.is_set():
            if not pid:
                r = q(c, "SELECT pid FROM synchdb_state_view WHERE conninfo_name = %s", (self.name,))
                pid = r[0][0] if r and r[0][0] and r[0][0] > 0 else None
            if pid:
                s = status(pid)
                if not s:
                    pid = None
                for k in self.peak:
                    self.peak[k] = max(self.peak[k], s.get(k, 0))
            time.sleep(0.05)
        c.close()

    def take(self):
        """The peaks so far; the next ones start from zero."""
        p, self.peak = self.peak, {"RssAnon": 0, "VmRSS": 0}
        return p

    def finish(self):
        self.stop.set()
        self.t.join()
        return self.peak


def start(c, name, srcdb, tables=""):
    q(c, "SELECT synchdb_add_conninfo(%s, '127.0.0.1', %s, 'mysqluser', 'mysqlpwd', %s, 'postgres', %s, 'mysql', '')",
      (name, MYPORT, srcdb, tables))
    q(c, "SELECT synchdb_start_engine_bgw(%s)", (name,))


def wait(c, name, fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = q(c, "SELECT state, err FROM synchdb_state_view WHERE conninfo_name = %s", (name,))
        if r and r[0][0] == "stopped" and r[0][1] != "no error":
            raise RuntimeError(f"connector stopped: {r[0][1]}")
        try:
            if fn():
                return
        except psycopg2.Error:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def cdc(c, name):
    return lambda: q(c, "SELECT stage, state FROM synchdb_state_view WHERE conninfo_name = %s", (name,))[0] in \
        [("change data capture", "syncing"), ("change data capture", "executing")]


def case_transaction(c, m):
    q(m, "DROP DATABASE IF EXISTS memtx")
    q(m, "CREATE DATABASE memtx")
    q(m, "CREATE TABLE memtx.big (id INT PRIMARY KEY, v VARCHAR(100))")
    start(c, "memtx", "memtx")
    wait(c, "memtx", cdc(c, "memtx"), 120, "change data capture")
    s = Sampler(c, "memtx")
    t0 = time.time()
    q(m, "SET SESSION max_statement_time = 0")
    q(m, f"INSERT INTO memtx.big SELECT seq, RPAD(seq, 100, '.') FROM memtx.seq_1_to_{ROWS}")
    t1 = time.time()
    try:
        wait(c, "memtx", lambda: q(c, "SELECT count(*) FROM memtx.big")[0][0] == ROWS, 3600,
             f"{ROWS} rows replicated")
    finally:
        peak = s.finish()
    q(c, "SELECT synchdb_del_conninfo('memtx')")
    q(c, "DROP SCHEMA memtx CASCADE")
    return peak, f"{ROWS} rows in one transaction (source insert {t1 - t0:.0f} s, replicated {time.time() - t1:.0f} s)"


def case_blob(c, m):
    n = BLOB_MB * 1024 * 1024
    q(m, "DROP DATABASE IF EXISTS memblob")
    q(m, "CREATE DATABASE memblob")
    q(m, "CREATE TABLE memblob.b (id INT PRIMARY KEY, bl LONGBLOB, tx LONGTEXT)")
    q(m, f"INSERT INTO memblob.b VALUES (1, REPEAT('b', {n}), NULL)")
    q(m, f"INSERT INTO memblob.b VALUES (2, NULL, REPEAT('t', {n}))")
    start(c, "memblob", "memblob")
    s = Sampler(c, "memblob")
    try:
        wait(c, "memblob", cdc(c, "memblob"), 600, "the snapshot")
        snap = s.take()
        q(m, f"INSERT INTO memblob.b VALUES (3, REPEAT('c', {n}), NULL)")
        q(m, f"INSERT INTO memblob.b VALUES (4, NULL, REPEAT('u', {n}))")
        want = [(1, n, None), (2, None, n), (3, n, None), (4, None, n)]
        wait(c, "memblob", lambda: q(c, "SELECT id, length(bl), length(tx) FROM memblob.b ORDER BY id") == want,
             600, "the big rows replicated")
        stream = s.take()
        time.sleep(3)  # what the worker keeps once the big rows are in
        after = dict(s.peak)
    finally:
        peak = s.finish()
    for k in peak:
        peak[k] = max(peak[k], snap[k], stream[k])
    q(c, "SELECT synchdb_del_conninfo('memblob')")
    q(c, "DROP SCHEMA memblob CASCADE")
    return peak, (f"rows of {BLOB_MB} MB: 2 in the snapshot, 2 streamed (LONGBLOB, LONGTEXT); RssAnon peak "
                  f"{snap['RssAnon']} MB in the snapshot, {stream['RssAnon']} MB streaming, {after['RssAnon']} MB "
                  f"3 s later")


def case_tables(c, m):
    q(m, "DROP DATABASE IF EXISTS memtables")
    q(m, "CREATE DATABASE memtables")
    t0 = time.time()
    for i in range(TABLES):
        q(m, f"CREATE TABLE memtables.t{i} (id INT PRIMARY KEY, v VARCHAR(20))")
        q(m, f"INSERT INTO memtables.t{i} VALUES (1, 'row')")
    made = time.time() - t0
    start(c, "memtables", "memtables")
    s = Sampler(c, "memtables")
    t1 = time.time()
    try:
        wait(c, "memtables", cdc(c, "memtables"), 3600, "the snapshot of every table")
        got = q(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'memtables'")[0][0]
        if got != TABLES:
            raise RuntimeError(f"{got} of {TABLES} tables in the destination")
    finally:
        peak = s.finish()
    q(c, "SELECT synchdb_del_conninfo('memtables')")
    return peak, f"snapshot of {TABLES} one-row tables (made in {made:.0f} s, copied in {time.time() - t1:.0f} s)"


c = pg()
q(c, "CREATE EXTENSION IF NOT EXISTS synchdb CASCADE")
m = my()
bad = 0
print(f"memory: peak of the connector worker's RssAnon (target under {TARGET_MB} MB); VmRSS includes shared memory")
for name, fn in (("transaction", case_transaction), ("blob", case_blob), ("tables", case_tables)):
    t0 = time.time()
    try:
        peak, what = fn(c, m)
        over = peak["RssAnon"] >= TARGET_MB
        bad += over
        print(f"{name:12s} RssAnon {peak['RssAnon']:5d} MB  VmRSS {peak['VmRSS']:5d} MB  {time.time() - t0:5.0f} s  "
              f"{what}{'  OVER TARGET' if over else ''}", flush=True)
    except Exception as e:  # noqa: BLE001 - report and go on with the next case
        bad += 1
        print(f"{name:12s} FAILED after {time.time() - t0:.0f} s: {e}", flush=True)
        for (n,) in q(c, "SELECT name FROM synchdb_conninfo"):
            q(c, "SELECT synchdb_del_conninfo(%s)", (n,))
sys.exit(1 if bad else 0)
EOF
