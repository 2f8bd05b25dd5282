"""Small end-to-end test harness for synchdb (real PostgreSQL and MariaDB).

Tests are plain functions named test_*; each gets a fresh Env.  Output is
one line per test ("ok", "FAIL", with the reason) and a final line
"e2e: N passed, N failed" that scripts/test.sh adds to the totals.

A test also fails when, while it ran, the destination's server log shows a
crash (PANIC, a server process terminated by a signal, an assertion failure;
see CRASH_LINES).  A test that kills processes on purpose calls
expect_crash() first: such lines from then on to the end of the test are
expected.

The servers are started by scripts/test.sh; their ports and the scripts'
location come from the environment (scripts/env.sh).
"""
import os
import re
import subprocess
import sys
import time
import traceback

import psycopg2
import pymysql

ROOT = os.environ.get("SYNCHDB_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
PGPORT = int(os.environ.get("SYNCHDB_PGPORT", "55432"))
MYPORT = int(os.environ.get("SYNCHDB_MYPORT", "33306"))
MY2PORT = int(os.environ.get("SYNCHDB_MY2PORT", "33307"))


class TestFailure(AssertionError):
    pass


def check(cond, message):
    if not cond:
        raise TestFailure(message)


def wait_for(fn, timeout=30.0, interval=0.2, what="condition"):
    """Poll fn() until it returns a truthy value; return it, or fail."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise TestFailure(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


def script(*args, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run([os.path.join(ROOT, "scripts", args[0])] + list(args[1:]), env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise TestFailure(f"scripts/{' '.join(args)} failed:\n{r.stdout}")
    return r.stdout


class Pg:
    """An autocommit connection to the test PostgreSQL."""

    def __init__(self, dbname="postgres"):
        self.dbname = dbname
        self.conn = psycopg2.connect(host="127.0.0.1", port=PGPORT, user="postgres", dbname=dbname)
        self.conn.autocommit = True

    def rows(self, sql, args=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []

    def one(self, sql, args=None):
        r = self.rows(sql, args)
        return r[0][0] if r else None

    def error(self, sql, args=None):
        """Run sql, expecting an error; return 'SQLSTATE: message'."""
        try:
            self.rows(sql, args)
        except psycopg2.Error as e:
            return f"{e.pgcode}: {e.pgerror.strip()}"
        raise TestFailure(f"expected an error from: {sql}")

    def state(self, name):
        r = self.rows("SELECT pid, state, err, stage FROM synchdb_state_view WHERE conninfo_name = %s", (name,))
        return {"pid": r[0][0], "state": r[0][1], "err": r[0][2], "stage": r[0][3]} if r else None

    def close(self):
        self.conn.close()


class My:
    """A root connection to a test MariaDB over TCP (root has no password over the socket only)."""

    def __init__(self, instance="mariadb"):
        sock = os.path.join(os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run"), instance, "mysqld.sock")
        self.conn = pymysql.connect(unix_socket=sock, user="root", autocommit=True, charset="utf8mb4")

    def run(self, sql, args=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def close(self):
        self.conn.close()


def add_conninfo(pg, name, port=MYPORT, user="mysqluser", pwd="mysqlpwd", srcdb="inventory", dstdb="postgres",
                 table="", connector="mysql", rulefile=""):
    return pg.one("SELECT synchdb_add_conninfo(%s, '127.0.0.1', %s, %s, %s, %s, %s, %s, %s, %s)",
                  (name, port, user, pwd, srcdb, dstdb, table, connector, rulefile))


def wait_state(pg, name, states, timeout=30.0):
    if isinstance(states, str):
        states = (states,)
    return wait_for(lambda: (lambda s: s if s and s["state"] in states else None)(pg.state(name)), timeout,
                    what=f"connector {name} in state {states} (now {pg.state(name)})")


def wait_stopped_with_error(pg, name, timeout=30.0):
    return wait_for(lambda: (lambda s: s if s and s["state"] == "stopped" and s["err"] != "no error" else None)(
        pg.state(name)), timeout, what=f"connector {name} stopped with an error (now {pg.state(name)})")


# Lines of the destination's server log that mean a process crashed.
CRASH_LINES = re.compile(r"PANIC:|TRAP: |terminated by signal|was terminated by exception|"
                         r"server process .* was terminated|crashed|[Aa]ssert(ion)? ?[Ff]ail")
_crash_expected_from = None  # log offset from which the running test expects crash lines


def server_log():
    return os.path.join(os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run"), "pg", "server.log")


def _log_size():
    try:
        return os.path.getsize(server_log())
    except OSError:
        return 0


def expect_crash():
    """The running test kills processes on purpose: crash lines logged from now to its end do not fail it."""
    global _crash_expected_from
    if _crash_expected_from is None:
        _crash_expected_from = _log_size()


def _crash_lines(start, end):
    """Crash lines of the server log between byte offsets start and end, except the expected ones."""
    try:
        with open(server_log(), "rb") as f:
            f.seek(start)
            text = f.read(max(0, end - start))
    except OSError:
        return []
    found = []
    pos = start
    for raw in text.splitlines(keepends=True):
        line = raw.decode("utf-8", "replace").rstrip()
        if CRASH_LINES.search(line) and (_crash_expected_from is None or pos < _crash_expected_from):
            found.append(line)
        pos += len(raw)
    return found


def run_tests(module_globals):
    only = set(sys.argv[1:])
    tests = [(n, f) for n, f in module_globals.items() if n.startswith("test_") and callable(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    global _crash_expected_from
    passed = failed = 0
    for name, fn in tests:
        if only and name not in only:
            continue
        t0 = time.time()
        _crash_expected_from = None
        log_start = _log_size()
        try:
            fn()
            end = _log_size()
            crashes = _crash_lines(log_start if end >= log_start else 0, end)
            if crashes:
                raise TestFailure(f"the server log ({server_log()}) shows a crash while the test ran "
                                  f"({len(crashes)} line(s)); first: {crashes[0]}")
            passed += 1
            print(f"ok   {name} ({time.time() - t0:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - a test harness reports everything
            failed += 1
            print(f"FAIL {name} ({time.time() - t0:.1f}s): {e}", flush=True)
            if not isinstance(e, TestFailure):
                traceback.print_exc()
    print(f"e2e: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


def load_sample():
    """(Re)load the sample inventory database into the test MariaDB."""
    with open(os.path.join(ROOT, "scripts", "sample", "inventory.sql")) as f:
        sql = f.read()
    e = dict(os.environ)
    r = subprocess.run(["bash", "-c", f'source "{ROOT}/scripts/env.sh"; my_client mariadb'], input=sql, text=True,
                       env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise TestFailure("loading the sample database failed:\n" + r.stdout)


def norm(v):
    """Normalise a value for comparing MariaDB and PostgreSQL rows."""
    import datetime
    import decimal
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral() else str(v.normalize())
    if isinstance(v, float):
        return repr(round(v, 6))
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time, datetime.timedelta)):
        return str(v)
    return v if isinstance(v, (int, str)) else str(v)


def _key(row):
    return tuple((v is None, str(v)) for v in row)


def source_rows(my, db, table, columns):
    cols = ", ".join(f"`{c}`" for c in columns)
    return sorted((tuple(norm(v) for v in r) for r in my.run(f"SELECT {cols} FROM `{db}`.`{table}`")), key=_key)


def dest_rows(pg, schema, table, columns):
    cols = ", ".join(f'"{c}"' for c in columns)
    return sorted((tuple(norm(v) for v in r) for r in pg.rows(f'SELECT {cols} FROM "{schema}"."{table}"')), key=_key)


def wait_same(pg, my, db, table, columns, timeout=60.0):
    """Wait until the destination table holds exactly the source rows (as a multiset)."""
    last = {}

    def same():
        try:
            s = source_rows(my, db, table, columns)
            d = dest_rows(pg, db.lower(), table.lower(), columns)
        except psycopg2.Error as e:
            last["why"] = str(e).strip()
            return False
        last["why"] = f"source {len(s)} rows, destination {len(d)} rows; first difference: " + \
            repr(next(((a, b) for a, b in zip(s, d) if a != b), None))
        return s == d
    try:
        wait_for(same, timeout, 0.3, what=f"{db}.{table} identical")
    except TestFailure as e:
        raise TestFailure(f"{e}: {last.get('why')}")


def clean_destination(schemas, reload_sample=True):
    """No connectors, the given replicated schemas and the offsets gone; the sample source reloaded."""
    pg = Pg()
    if pg.one("SELECT count(*) FROM pg_extension WHERE extname = 'synchdb'"):
        for (name,) in pg.rows("SELECT name FROM synchdb_conninfo"):
            pg.one("SELECT synchdb_del_conninfo(%s)", (name,))
    else:
        pg.rows("CREATE EXTENSION synchdb CASCADE")
    for schema in list(schemas) + ["_synchdb"]:
        pg.rows(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    if reload_sample:
        load_sample()
    return pg
