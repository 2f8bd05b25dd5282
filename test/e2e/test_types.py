#!/usr/bin/env python3
"""End-to-end type matrix: every MySQL/MariaDB column type, through the snapshot and through the binlog.

Row 1 is copied by the snapshot, row 3 (the same values) arrives through change data capture;
both must equal the expected PostgreSQL text, value by value.
"""
import sys

from harness import My, add_conninfo, clean_destination, check, run_tests, wait_for, wait_stopped_with_error

COLUMNS = """id INT PRIMARY KEY,
 ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
 i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
 d1 DECIMAL(10,2), d2 DECIMAL(65,30), d3 DECIMAL(5,0) UNSIGNED, f FLOAT, dbl DOUBLE,
 b1 BIT(1), b5 BIT(5), b64 BIT(64),
 dt DATE, tm TIME, tm6 TIME(6), dtm DATETIME, dtm3 DATETIME(3), ts TIMESTAMP NULL, ts6 TIMESTAMP(6) NULL, y YEAR,
 c CHAR(10), vc VARCHAR(100), tx TEXT, lt LONGTEXT, bn BINARY(4), vb VARBINARY(10), bl BLOB,
 e ENUM('a','b','c'), st SET('x','y','z'), j JSON, l1 VARCHAR(20) CHARACTER SET latin1,
 g GEOMETRY NULL, u UUID NULL, i6 INET6 NULL"""

VALUES = """(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
 -9223372036854775808, 18446744073709551615,
 -12345678.91, -12345678901234567890123456789012345.123456789012345678901234567890, 99999, 3.14159, -2.718281828459045,
 b'1', b'10101', b'1111111111111111111111111111111111111111111111111111111111111111',
 '1000-01-01', '23:59:59', '12:34:56.123456', '1970-01-01 00:00:00', '2024-02-29 23:59:59.999',
 '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', 2155,
 'abc', 'héllo wörld ✓ 😀', '', 'NULL', 0x00FF0100, 0x00, 0xDEADBEEF, 'b', 'x,z',
 '{"a": [1, 2.5, null, "s"], "b": {"c": true}}', 'café €', ST_GeomFromText('POINT(1 2)'),
 '123e4567-e89b-12d3-a456-426614174000', '2001:db8::1')"""

EXPECTED = {
    "ti": "-128", "tiu": "255", "si": "-32768", "siu": "65535", "mi": "-8388608", "miu": "16777215",
    "i": "-2147483648", "iu": "4294967295", "bi": "-9223372036854775808", "biu": "18446744073709551615",
    "d1": "-12345678.91", "d2": "-12345678901234567890123456789012345.123456789012345678901234567890",
    "d3": "99999", "f": "3.14159", "dbl": "-2.718281828459045",
    "b1": "true", "b5": "10101", "b64": "1" * 64,
    "dt": "1000-01-01", "tm": "23:59:59", "tm6": "12:34:56.123456", "dtm": "1970-01-01 00:00:00",
    "dtm3": "2024-02-29 23:59:59.999", "ts": "1970-01-01 00:00:01+00", "ts6": "2038-01-19 03:14:07.999999+00",
    "y": "2155", "c": "abc", "vc": "héllo wörld ✓ 😀", "tx": "", "lt": "NULL",
    "bn": "\\x00ff0100", "vb": "\\x00", "bl": "\\xdeadbeef", "e": "b", "st": "x,z",
    "j": '{"a": [1, 2.5, null, "s"], "b": {"c": true}}', "l1": "café €",
    "g": "\\x0101000000000000000000f03f0000000000000040",
    "u": "123e4567-e89b-12d3-a456-426614174000", "i6": "2001:db8::1/128",
}

PG_TYPES = {
    "ti": "smallint", "tiu": "smallint", "si": "smallint", "siu": "integer", "mi": "integer", "miu": "integer",
    "i": "integer", "iu": "bigint", "bi": "bigint", "biu": "numeric(20,0)", "d1": "numeric(10,2)",
    "d2": "numeric(65,30)", "f": "real", "dbl": "double precision", "b1": "boolean", "b5": "bit(5)",
    "b64": "bit(64)", "dt": "date", "tm": "time(0) without time zone", "dtm": "timestamp(0) without time zone",
    "dtm3": "timestamp(3) without time zone", "ts": "timestamp(0) with time zone",
    "ts6": "timestamp(6) with time zone", "y": "integer", "c": "character(10)", "vc": "character varying(100)",
    "tx": "text", "bn": "bytea", "bl": "bytea", "e": "text", "st": "text", "j": "jsonb", "g": "bytea",
    "u": "uuid", "i6": "inet",
}


def setup(my):
    my.run("DROP DATABASE IF EXISTS typedb")
    my.run("CREATE DATABASE typedb")
    # The source's own time zone must not shift TIMESTAMP values.
    my.run(f"CREATE TABLE typedb.t ({COLUMNS})")
    my.run("SET time_zone = '+05:30'")
    my.run(f"INSERT INTO typedb.t VALUES {VALUES}".replace("'1970-01-01 00:00:01'", "'1970-01-01 05:30:01'")
           .replace("'2038-01-19 03:14:07.999999'", "'2038-01-19 08:44:07.999999'"))
    my.run("INSERT INTO typedb.t (id) VALUES (2)")


def fresh():
    return clean_destination(("typedb",), reload_sample=False)


def row_text(pg, id_):
    cols = list(EXPECTED)
    sel = ", ".join(f'"{c}"::text' for c in cols)
    r = pg.rows(f"SELECT {sel} FROM typedb.t WHERE id = %s", (id_,))
    return dict(zip(cols, r[0])) if r else None


def compare(actual, label):
    bad = [f"{c}: expected {e!r}, got {actual.get(c)!r}" for c, e in EXPECTED.items() if actual.get(c) != e]
    check(not bad, f"{label}: " + "; ".join(bad))


def test_type_matrix_snapshot_and_cdc():
    pg = fresh()
    my = My()
    my.run("SET GLOBAL time_zone = '+05:30'")
    try:
        setup(my)
        add_conninfo(pg, "types", srcdb="typedb")
        pg.one("SELECT synchdb_start_engine_bgw('types')")
        wait_for(lambda: (lambda s: s and s["stage"] == "change data capture")(pg.state("types")), 60,
                 what="snapshot done")
        types = dict(pg.rows("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                             "WHERE a.attrelid = 'typedb.t'::regclass AND a.attnum > 0"))
        bad = [f"{c}: {types.get(c)} (expected {t})" for c, t in PG_TYPES.items() if types.get(c) != t]
        check(not bad, "default type mapping: " + "; ".join(bad))
        compare(row_text(pg, 1), "snapshot")
        check(all(v is None for v in row_text(pg, 2).values()), "row 2 is all NULL but its key")
        # The same values through the binlog, as an insert and as an update.
        cols = ", ".join(EXPECTED)
        my.run(f"INSERT INTO typedb.t (id, {cols}) SELECT 3, {cols} FROM typedb.t WHERE id = 1")
        my.run("INSERT INTO typedb.t (id) VALUES (4)")
        sets = ", ".join(f"a.{c} = b.{c}" for c in EXPECTED)
        my.run(f"UPDATE typedb.t a JOIN typedb.t b ON b.id = 1 SET {sets} WHERE a.id = 4")
        def cdc_done():
            st = pg.state("types")
            check(st["err"] == "no error", f"connector failed: {st['err']}")
            return pg.one("SELECT count(*) FROM typedb.t WHERE id = 4 AND tiu IS NOT NULL") == 1
        wait_for(cdc_done, 30, what="CDC rows")
        s = pg.state("types")
        check(s["err"] == "no error", s)
        compare(row_text(pg, 3), "insert through the binlog")
        compare(row_text(pg, 4), "update through the binlog")
        # NULL, '' and 'NULL' stay distinct.
        my.run("INSERT INTO typedb.t (id, vc, tx, lt) VALUES (5, NULL, '', 'NULL')")
        wait_for(lambda: pg.one("SELECT count(*) FROM typedb.t WHERE id = 5") == 1, 30, what="row 5")
        check(pg.rows("SELECT vc IS NULL, tx = '', lt = 'NULL' FROM typedb.t WHERE id = 5")[0] == (True, True, True),
              "NULL, empty string and 'NULL' distinct")
        pg.one("SELECT synchdb_stop_engine_bgw('types')")
    finally:
        my.run("SET GLOBAL time_zone = SYSTEM")


def test_time_beyond_24h_follows_the_invalid_value_policy():
    pg = fresh()
    my = My()
    my.run("DROP DATABASE IF EXISTS typedb")
    my.run("CREATE DATABASE typedb")
    my.run("CREATE TABLE typedb.t (id INT PRIMARY KEY, tm TIME)")
    my.run("INSERT INTO typedb.t VALUES (1, '12:00:00')")
    add_conninfo(pg, "types", srcdb="typedb")
    pg.one("SELECT synchdb_start_engine_bgw('types')")
    wait_for(lambda: (lambda s: s and s["stage"] == "change data capture")(pg.state("types")), 60, what="snapshot")
    # Default policy (null): the row arrives, the value PostgreSQL's time cannot hold is NULL and counted.
    my.run("INSERT INTO typedb.t VALUES (2, '-838:59:59')")
    wait_for(lambda: pg.one("SELECT count(*) FROM typedb.t") == 2, 30, what="row 2")
    check(pg.one("SELECT tm FROM typedb.t WHERE id = 2") is None, "replaced by NULL")
    check(pg.one("SELECT values_replaced FROM synchdb_stats_view WHERE name = 'types'") == 1, "counted")
    pg.one("SELECT synchdb_stop_engine_bgw('types')")
    # Policy error: the connector stops naming the value, nothing past it is applied.
    pg.rows("ALTER SYSTEM SET synchdb.invalid_value_policy = 'error'")
    pg.rows("SELECT pg_reload_conf()")
    try:
        pg.one("SELECT synchdb_start_engine_bgw('types')")
        wait_for(lambda: (lambda s: s and s["stage"] == "change data capture")(pg.state("types")), 60,
                 what="streaming again")
        my.run("INSERT INTO typedb.t VALUES (3, '-838:59:59')")
        s = wait_stopped_with_error(pg, "types")
        check('value "-838:59:59" of column "tm" of table "typedb.t" cannot be represented' in s["err"], s)
        check(pg.one("SELECT count(*) FROM typedb.t") == 2, "nothing applied past the bad value")
    finally:
        pg.rows("ALTER SYSTEM RESET synchdb.invalid_value_policy")
        pg.rows("SELECT pg_reload_conf()")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
