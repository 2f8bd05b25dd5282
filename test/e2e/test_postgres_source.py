#!/usr/bin/env python3
"""End-to-end tests of the PostgreSQL source (connector type postgres).

Needs: PostgreSQL "pg" (synchdb preloaded, the destination) and PostgreSQL
"pgsrc" (wal_level = logical, scram logins for synchdb_src), both started by
scripts/test.sh.
"""
import hashlib
import os
import sys
import threading
import time

import psycopg2

from harness import (PGPORT, Pg, TestFailure, check, expect_crash, run_tests, script, wait_for, wait_state,
                     wait_stopped_with_error)

SRCPORT = int(os.environ.get("SYNCHDB_PGSRCPORT", "55443"))
SRCDB = "shop"
USER = "synchdb_src"
PWD = "src-secret"
SLOT = "synchdb_pgconn"


class Src:
    """An autocommit connection to the source PostgreSQL."""

    def __init__(self, dbname=SRCDB, user="postgres", password=None):
        self.conn = psycopg2.connect(host="127.0.0.1", port=SRCPORT, user=user, dbname=dbname, password=password)
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


TYPES_DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE public.types (
    id integer PRIMARY KEY,
    n numeric(30, 10), n2 numeric, f4 real, f8 double precision, i2 smallint, i8 bigint,
    b boolean, t text, vc varchar(20), ch char(5),
    d date, ts timestamp(3), tstz timestamptz, tm time, iv interval,
    by bytea, js json, jb jsonb, ia integer[], ta text[],
    m mood, p posint, r int4range, u uuid, ip inet, cash money,
    bits bit(4), vb varbit(8)
);
CREATE TABLE public.nokey (a integer, b text);
ALTER TABLE public.nokey REPLICA IDENTITY FULL;
CREATE TABLE public.big (id integer PRIMARY KEY, other integer, payload text);
ALTER TABLE public.big ALTER COLUMN payload SET STORAGE EXTERNAL;
CREATE TABLE public.load (id serial PRIMARY KEY, v integer, s text);
"""

TYPE_ROWS = """
INSERT INTO public.types VALUES
 (1, 12345678901234567890.0123456789, 3.14159265358979323846264338327950288, 1.5, 2.718281828459045, -32768,
  9223372036854775807, true, E'quote '' backslash \\\\ newline \n tab \t', 'varchar', 'ab',
  '2024-02-29', '2024-02-29 12:34:56.789', '1999-12-31 23:59:59.123456+05:30', '23:59:59.999999',
  '1 year 2 mons 3 days 04:05:06.789', '\\x00ff10', '{"a": [1, 2.5, null]}', '{"b": {"c": true}}',
  '{1,NULL,3}', '{"x y","z,w",NULL}', 'happy', 7, '[1,10)', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '192.168.0.1/24', 12.34, B'1010', B'101'),
 (2, NULL, 'NaN', '-Infinity', 'Infinity', 0, 0, false, '', '', '', '0001-01-01', 'infinity', '-infinity',
  '00:00:00', '-1 days', '\\x', 'null', '[]', '{}', '{}', 'sad', 1, 'empty', '00000000-0000-0000-0000-000000000000',
  '::1', -0.01, B'0000', B''),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO public.nokey VALUES (1, 'one'), (1, 'one'), (2, 'two');
"""


def fresh_source():
    s = Src("postgres")
    for (slot,) in s.rows("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'synchdb%'"):
        s.rows("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
               "WHERE slot_name = %s AND active_pid IS NOT NULL", (slot,))
        wait_for(lambda: not s.one("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,)), 10,
                 what=f"slot {slot} released")
        s.rows("SELECT pg_drop_replication_slot(%s)", (slot,))
    s.rows(f"DROP DATABASE IF EXISTS {SRCDB} WITH (FORCE)")
    if not s.one("SELECT count(*) FROM pg_roles WHERE rolname = %s", (USER,)):
        s.rows(f"CREATE ROLE {USER} LOGIN REPLICATION PASSWORD '{PWD}'")
    s.rows(f"CREATE DATABASE {SRCDB} OWNER {USER}")
    s.close()
    src = Src(SRCDB, USER, PWD)
    src.rows(TYPES_DDL)
    src.rows(TYPE_ROWS)
    # All tables: FOR ALL TABLES needs a superuser, as the connector's prerequisite check says.
    su = Src(SRCDB)
    su.rows(f"CREATE PUBLICATION {SLOT} FOR ALL TABLES")
    su.close()
    return src


def fresh_destination():
    pg = Pg()
    if pg.one("SELECT count(*) FROM pg_extension WHERE extname = 'synchdb'"):
        for (name,) in pg.rows("SELECT name FROM synchdb_conninfo"):
            pg.one("SELECT synchdb_del_conninfo(%s)", (name,))
    else:
        pg.rows("CREATE EXTENSION synchdb CASCADE")
    pg.rows("DROP SCHEMA IF EXISTS public_copy CASCADE")
    for t in ("types", "nokey", "big", "load", "extra"):
        pg.rows(f"DROP TABLE IF EXISTS public.{t}")
    pg.rows("DROP SCHEMA IF EXISTS _synchdb CASCADE")
    return pg


def add(pg, table="", user=USER, pwd=PWD, name="pgconn"):
    return pg.one("SELECT synchdb_add_conninfo(%s, '127.0.0.1', %s, %s, %s, %s, 'postgres', %s, 'postgres', '')",
                  (name, SRCPORT, user, pwd, SRCDB, table))


def wait_cdc(pg, name="pgconn", timeout=60):
    def ready():
        s = pg.state(name)
        if s and s["state"] == "stopped" and s["err"] != "no error":
            raise TestFailure(f"connector stopped: {s['err']}")
        return s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing")
    wait_for(ready, timeout, what=f"{name} in change data capture")


def table_text(conn, table, order="1"):
    """Every row as PostgreSQL's text of the row, in a stable order."""
    return [r[0] for r in conn.rows(f"SELECT t::text FROM {table} t ORDER BY {order}")]


def wait_same(pg, src, table, order="1", timeout=60):
    last = {}

    def same():
        a = table_text(src, table, order)
        try:
            b = table_text(pg, table, order)
        except psycopg2.Error as e:
            last["why"] = str(e)
            return False
        last["why"] = f"source {len(a)} rows, destination {len(b)}; first difference: " + repr(
            next(((x, y) for x, y in zip(a, b) if x != y), None))
        return a == b
    try:
        wait_for(same, timeout, 0.3, what=f"{table} identical")
    except TestFailure as e:
        raise TestFailure(f"{e}: {last.get('why')}")


def test_snapshot_and_stream_every_type():
    pg = fresh_destination()
    src = fresh_source()
    check(add(pg) == 0, "add_conninfo for a postgres connector")
    pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
    wait_cdc(pg)
    for t in ("public.types", "public.nokey", "public.big", "public.load"):
        wait_same(pg, src, t)
    types = dict(pg.rows("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                         "WHERE attrelid = 'public.types'::regclass AND attnum > 0"))
    check(types["n"] == "numeric(30,10)" and types["tstz"] == "timestamp with time zone" and
          types["ia"] == "integer[]" and types["m"] == "text" and types["p"] == "text",
          f"built-in types kept, enum and domain as text: {types}")
    off = pg.one("SELECT last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'pgconn'")
    check('"lsn"' in off and '"txId"' in off, f"offset in Debezium's PostgreSQL shape: {off}")
    # The stream: every kind of change, in several transactions.
    src.rows("INSERT INTO public.types (id, t, jb, ia, m, cash) VALUES (4, 'four', '{\"k\": 4}', '{4}', 'ok', 4)")
    src.rows("UPDATE public.types SET t = 'changed', iv = '5 minutes', tstz = '2001-01-01 00:00+00' WHERE id = 1")
    src.rows("DELETE FROM public.types WHERE id = 2")
    src.rows("BEGIN; UPDATE public.nokey SET b = 'uno' WHERE a = 1; DELETE FROM public.nokey WHERE a = 2; COMMIT")
    src.rows("UPDATE public.types SET id = 10 WHERE id = 3")  # a key change
    for t in ("public.types", "public.nokey"):
        wait_same(pg, src, t)
    s = pg.state("pgconn")
    check(s["err"] == "no error", f"healthy: {s}")
    pg.one("SELECT synchdb_stop_engine_bgw('pgconn')")
    check(src.one("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (SLOT,)) == 1,
          "the slot stays while the connector is stopped")
    pg.one("SELECT synchdb_del_conninfo('pgconn')")
    check(src.one("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (SLOT,)) == 0,
          "deleting the connector drops its slot")


def test_unchanged_toast_values_are_kept():
    pg = fresh_destination()
    src = fresh_source()
    big = hashlib.sha256(b"x").hexdigest() * 400  # 25 kB, stored out of line (storage external)
    src.rows("INSERT INTO public.big VALUES (1, 0, %s), (2, 0, NULL)", (big,))
    add(pg)
    pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
    wait_cdc(pg)
    wait_same(pg, src, "public.big")
    src.rows("UPDATE public.big SET other = other + 1")  # payload not sent: unchanged TOAST
    src.rows("UPDATE public.big SET payload = 'small' WHERE id = 2")
    wait_same(pg, src, "public.big")
    check(pg.one("SELECT md5(payload) FROM public.big WHERE id = 1") == hashlib.md5(big.encode()).hexdigest(),
          "the TOASTed value is kept, never NULL")
    pg.one("SELECT synchdb_del_conninfo('pgconn')")


def test_column_changes_and_truncate_while_streaming():
    pg = fresh_destination()
    src = fresh_source()
    add(pg, table="public.load,public.nokey")
    pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
    wait_cdc(pg)
    check(pg.one("SELECT to_regclass('public.types')") is None, "a table outside the list is not replicated")
    src.rows("INSERT INTO public.load (v, s) SELECT g, 'r' || g FROM generate_series(1, 100) g")
    wait_same(pg, src, "public.load")
    src.rows("ALTER TABLE public.load ADD COLUMN extra numeric(8,2) DEFAULT 1.5")
    src.rows("INSERT INTO public.load (v, s, extra) VALUES (1000, 'with extra', 2.25)")
    wait_same(pg, src, "public.load")
    src.rows("ALTER TABLE public.load ALTER COLUMN v TYPE bigint")
    src.rows("UPDATE public.load SET v = v + 5000000000 WHERE id <= 3")
    wait_same(pg, src, "public.load")
    src.rows("ALTER TABLE public.load DROP COLUMN s")
    src.rows("INSERT INTO public.load (v) VALUES (7)")
    wait_same(pg, src, "public.load")
    src.rows("TRUNCATE public.load")
    src.rows("INSERT INTO public.load (v) VALUES (8)")
    wait_same(pg, src, "public.load")
    src.rows("TRUNCATE public.nokey")
    wait_same(pg, src, "public.nokey")
    s = pg.state("pgconn")
    check(s["err"] == "no error", f"healthy: {s}")
    pg.one("SELECT synchdb_del_conninfo('pgconn')")


class Writer(threading.Thread):
    """Source transactions of a few inserts, an update and a delete, until stopped."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.txns = 0
        self.error = None

    def run(self):
        try:
            s = Src(SRCDB, USER, PWD)
            end = time.time() + self.seconds
            i = 0
            while time.time() < end:
                try:
                    s.rows("BEGIN")
                    for _ in range(5):
                        i += 1
                        s.rows("INSERT INTO public.load (v, s) VALUES (%s, repeat('w', %s))", (i, i % 50))
                    s.rows("UPDATE public.load SET v = v + 1 WHERE id = (SELECT max(id) FROM public.load)")
                    if i % 3 == 0:
                        s.rows("DELETE FROM public.load WHERE id = (SELECT min(id) FROM public.load)")
                    s.rows("COMMIT")
                    self.txns += 1
                except psycopg2.OperationalError:
                    # The source restarts: reconnect (a transaction cut off is rolled back at the source).
                    s = None
                    while s is None and time.time() < end + 30:
                        time.sleep(0.5)
                        try:
                            s = Src(SRCDB, USER, PWD)
                        except psycopg2.OperationalError:
                            pass
            s.close()
        except Exception as e:  # noqa: BLE001
            self.error = e


def checksum(conn, table):
    return conn.one(f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY id)), '') FROM {table} t")


def test_kill9_of_either_side_under_load():
    pg = fresh_destination()
    src = fresh_source()
    add(pg, table="public.load")
    pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
    wait_cdc(pg)
    pg.close()
    w = Writer(14)
    w.start()
    time.sleep(2)
    expect_crash()
    script("pg.sh", "kill9")
    time.sleep(1)
    script("pg.sh", "start")
    time.sleep(2)
    script("pg.sh", "kill9", "pgsrc")
    script("pg.sh", "start", "pgsrc")
    time.sleep(2)
    script("pg.sh", "kill9")
    script("pg.sh", "start")
    w.join()
    check(w.error is None, f"writer failed: {w.error}")
    check(w.txns > 30, f"the load ran ({w.txns} transactions)")
    pg = Pg()
    src = Src(SRCDB, USER, PWD)
    wait_cdc(pg, timeout=120)
    wait_for(lambda: checksum(pg, "public.load") == checksum(src, "public.load"), 120, 0.5,
             what=f"checksums equal (source {checksum(src, 'public.load')}, destination "
                  f"{checksum(pg, 'public.load')})")
    dup = pg.one("SELECT count(*) - count(DISTINCT id) FROM public.load")
    check(dup == 0, f"no duplicates ({dup})")
    pg.one("SELECT synchdb_del_conninfo('pgconn')")


def test_prerequisites_name_the_fix():
    pg = fresh_destination()
    fresh_source()
    s = Src("postgres")
    s.rows(f"ALTER ROLE {USER} NOREPLICATION")
    try:
        add(pg)
        pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
        st = wait_stopped_with_error(pg, "pgconn", 60)
        check("REPLICATION" in st["err"], f"the missing REPLICATION attribute is named with its fix: {st}")
        check(PWD not in st["err"], "the password appears nowhere")
    finally:
        s.rows(f"ALTER ROLE {USER} REPLICATION")
        s.close()
    pg.one("SELECT synchdb_del_conninfo('pgconn')")
    pg.rows("SELECT 1")
    bad = pg.error("SELECT synchdb_add_conninfo('pgbad', '127.0.0.1', %s, 'u', 'p', 'shop', 'postgres', "
                   "'orders', 'postgres', '')", (SRCPORT,))
    check("schema.table" in bad, f"a table list entry without its schema is refused: {bad}")


def test_rules_apply_to_the_postgres_source():
    pg = fresh_destination()
    src = fresh_source()
    pg.rows("DROP SCHEMA IF EXISTS sales CASCADE")
    add(pg, table="public.load")
    pg.one("SELECT synchdb_add_objmap('pgconn', 'table', 'public.load', 'sales.orders')")
    pg.one("SELECT synchdb_add_objmap('pgconn', 'column', 'public.load.v', 'amount')")
    pg.one("SELECT synchdb_add_objmap('pgconn', 'datatype', 'public.load.v', 'bigint')")
    pg.one("SELECT synchdb_add_objmap('pgconn', 'transform', 'public.load.s', 'upper(%d)')")
    src.rows("INSERT INTO public.load (v, s) VALUES (1, 'one'), (2, 'two')")
    pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
    wait_cdc(pg)
    src.rows("INSERT INTO public.load (v, s) VALUES (3, 'three')")
    src.rows("UPDATE public.load SET s = 'uno' WHERE v = 1")
    want = [(1, 1, "UNO"), (2, 2, "TWO"), (3, 3, "THREE")]
    wait_for(lambda: pg.rows("SELECT id, amount, s FROM sales.orders ORDER BY id") == want, 30,
             what=f"renamed table, column and transformed values (now "
                  f"{pg.rows('SELECT id, amount, s FROM sales.orders ORDER BY id') if pg.one('SELECT to_regclass(%s)', ('sales.orders',)) else None})")
    check(pg.one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'sales.orders'::regclass "
                 "AND attname = 'amount'") == "bigint", "the data type rule")
    att = pg.rows("SELECT ext_attname, pg_attname, ext_atttypename, pg_atttypename FROM synchdb_att_view "
                  "WHERE name = 'pgconn' ORDER BY attnum")
    check(("v", "amount", "integer", "bigint") in att, f"synchdb_att_view shows where each column went: {att}")
    pg.one("SELECT synchdb_del_conninfo('pgconn')")
    pg.rows("DROP SCHEMA sales CASCADE")


def test_slot_holding_wal_is_shown():
    pg = fresh_destination()
    src = fresh_source()
    su = Src(SRCDB)
    su.rows(f"DROP PUBLICATION {SLOT}")  # synchdb publishes public.load only: other tables' WAL is never sent
    su.close()
    pg.rows("ALTER SYSTEM SET synchdb.wal_retention_warning_mb = 1")
    pg.rows("ALTER SYSTEM SET synchdb.source_heartbeat_interval = 0")
    pg.rows("SELECT pg_reload_conf()")
    try:
        add(pg, table="public.load")
        pg.one("SELECT synchdb_start_engine_bgw('pgconn')")
        wait_cdc(pg)
        # WAL the connector has no reason to confirm: a table outside its list.
        src.rows("INSERT INTO public.nokey SELECT g, repeat('w', 200) FROM generate_series(1, 30000) g")
        s = wait_for(lambda: (lambda st: st if "holds back" in st["err"] else None)(pg.state("pgconn")), 60,
                     what="the WAL warning in synchdb_state_view")
        check("synchdb_pgconn" in s["err"] and "MB of WAL" in s["err"], f"the slot and the amount are named: {s}")
    finally:
        pg.rows("ALTER SYSTEM RESET synchdb.wal_retention_warning_mb")
        pg.rows("ALTER SYSTEM RESET synchdb.source_heartbeat_interval")
        pg.rows("SELECT pg_reload_conf()")
    pg.one("SELECT synchdb_del_conninfo('pgconn')")


def test_translate_datatype_knows_postgres():
    pg = fresh_destination()
    got = [pg.one("SELECT synchdb_translate_datatype('postgres', %s, %s, %s)", a) for a in
           (("integer", -1, -1), ("numeric", 10, 2), ("timestamp with time zone", -1, -1), ("text[]", -1, -1),
            ("mood", -1, -1))]
    check(got == ["integer", "numeric(10,2)", "timestamp with time zone", "text[]", "text"], f"translations: {got}")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
