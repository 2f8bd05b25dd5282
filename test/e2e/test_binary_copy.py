"""Snapshot rows in binary COPY format (synchdb.snapshot_binary_copy) give the same table as text format.

Two source databases hold the same rows of every type that has a binary form (the type matrix of
test_types.py without geometry, uuid and inet, which keep a table in text format). One connector
copies the first with binary COPY off, another the second with it on; the two destination tables must
be equal row for row, value by value, and the expected text of test_types.py. Rows holding a value
with no canonical binary form (TIME '24:00:00', a zero date replaced by -infinity) must go in
text format within the binary snapshot (with the rest of their chunk): the DEBUG1 line of the snapshot
says how many rows went each way.
"""
import os
import re
import sys

from harness import My, Pg, add_conninfo, check, clean_destination, run_tests, server_log, wait_for

import test_types

DROP = ("g GEOMETRY NULL, ", "u UUID NULL, ", "i6 INET6 NULL")
COLUMNS = test_types.COLUMNS
for d in DROP:
    COLUMNS = COLUMNS.replace(d, "")
COLUMNS = COLUMNS.rstrip().rstrip(",") + ", zd DATE NOT NULL DEFAULT '2001-01-01'"
ROW1 = test_types.VALUES.replace(", ST_GeomFromText('POINT(1 2)'),\n '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1')",
                                 ", '2001-02-03')")
EXPECTED = {k: v for k, v in test_types.EXPECTED.items() if k not in ("g", "u", "i6")}
EXPECTED["zd"] = "2001-02-03"
ROWS = 3000


def setup(my, db):
    my.run(f"DROP DATABASE IF EXISTS {db}")
    my.run(f"CREATE DATABASE {db}")
    my.run(f"CREATE TABLE {db}.t ({COLUMNS})")
    my.run("SET time_zone = '+00:00'")
    my.run("SET SESSION sql_mode = ''")  # zero dates
    my.run(f"INSERT INTO {db}.t VALUES {ROW1}")
    my.run(f"INSERT INTO {db}.t (id) VALUES (2)")
    # Many rows (several 64 kB chunks), two of them with values that have no binary form.
    my.run(f"""INSERT INTO {db}.t (id, ti, si, mi, i, iu, bi, biu, d1, d2, f, dbl, b1, b5, dt, tm, tm6, dtm, dtm3,
               ts6, y, c, vc, tx, bl, e, st, j, zd)
               SELECT seq, seq % 100, seq % 30000, seq * 7, seq * 31, seq, seq * 1000003, seq * 99991,
                      seq / 100, seq / 7, seq / 8, seq / 3, seq % 2, seq % 32, '2020-01-01' + INTERVAL seq DAY,
                      SEC_TO_TIME(seq % 86400), SEC_TO_TIME(seq % 86400) + INTERVAL seq MICROSECOND,
                      '2020-01-01' + INTERVAL seq SECOND, '2020-01-01' + INTERVAL seq * 1001 MICROSECOND,
                      FROM_UNIXTIME(1600000000 + seq), 1901 + seq % 255, CONCAT('c', seq), CONCAT('v ', seq),
                      REPEAT('t', seq % 50), UNHEX(MD5(seq)), ELT(1 + seq % 3, 'a', 'b', 'c'),
                      ELT(1 + seq % 3, 'x', 'y', 'x,z'), JSON_OBJECT('k', seq), '2001-01-01' + INTERVAL seq DAY
               FROM {db}.seq_10_to_{ROWS}""")
    my.run(f"UPDATE {db}.t SET tm = '24:00:00' WHERE id = 500")
    my.run(f"UPDATE {db}.t SET zd = '0000-00-00' WHERE id = 2500")


def snapshot(pg, name, db, binary):
    pg.one(f"ALTER SYSTEM SET synchdb.snapshot_binary_copy = {'on' if binary else 'off'}")
    pg.one("SELECT pg_reload_conf()")
    add_conninfo(pg, name, srcdb=db)
    pg.one(f"SELECT synchdb_start_engine_bgw('{name}', 'initial_only')")
    wait_for(lambda: (lambda s: s and s["state"] == "stopped")(pg.state(name)), 120, what=f"{name} snapshot")
    s = pg.state(name)
    check(s["err"] in ("no error", None, ""), f"{name}: {s}")
    check(pg.one(f"SELECT count(*) FROM {db}.t") == ROWS - 9 + 2, f"{name}: row count")


def test_binary_snapshot_equals_text_snapshot():
    pg = clean_destination(("bct", "bcb"), reload_sample=False)
    my = My()
    log_start = os.path.getsize(server_log())
    try:
        pg.one("ALTER SYSTEM SET log_min_messages = debug1")
        setup(my, "bct")
        setup(my, "bcb")
        snapshot(pg, "bct", "bct", False)
        snapshot(pg, "bcb", "bcb", True)
        for a, b in (("bct", "bcb"), ("bcb", "bct")):
            diff = pg.one(f"SELECT count(*) FROM (SELECT * FROM {a}.t EXCEPT ALL SELECT * FROM {b}.t) d")
            check(diff == 0, f"{diff} rows of {a}.t are not in {b}.t")
        cols = list(EXPECTED)
        texts = pg.rows(f"SELECT {', '.join(f'{c}::text' for c in cols)} FROM bcb.t WHERE id = 1")[0]
        bad = [f"{c}: expected {e!r}, got {v!r}" for c, e, v in zip(cols, EXPECTED.values(), texts) if v != e]
        check(not bad, "binary snapshot: " + "; ".join(bad))
        check(pg.one("SELECT tm::text FROM bcb.t WHERE id = 500") == "24:00:00", "TIME 24:00:00")
        check(pg.one("SELECT zd::text FROM bcb.t WHERE id = 2500") == "-infinity", "zero date, NOT NULL")
        # Binary format but for the two rows and what follows them in their 64 kB chunks; text only for
        # the connector with binary COPY off.
        with open(server_log(), errors="replace") as f:
            f.seek(log_start)
            log = f.read()
        lines = re.findall(r"snapshot of table (\w+)\.t: (\d+) rows in binary COPY format, (\d+) in text format", log)
        got = [(int(b), int(t)) for db, b, t in lines if db == "bcb"]
        check(len(got) == 1 and sum(got[0]) == ROWS - 7 and 2 <= got[0][1] < (ROWS - 7) // 4,
              f"binary snapshot of bcb.t: {lines}")
        check(("bct", "0", str(ROWS - 7)) in lines, f"text snapshot of bct.t: {lines}")
    finally:
        pg.one("ALTER SYSTEM RESET log_min_messages")
        pg.one("ALTER SYSTEM RESET synchdb.snapshot_binary_copy")
        pg.one("SELECT pg_reload_conf()")
        for name in ("bct", "bcb"):
            try:
                pg.one(f"SELECT synchdb_del_conninfo('{name}')")
            except Exception:  # noqa: BLE001 - cleanup
                pass
        my.close()
        pg.close()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
