#!/usr/bin/env python3
"""End-to-end tests of schema changes replicated from MariaDB during streaming."""
import sys

from harness import My, Pg, add_conninfo, check, clean_destination, run_tests, script, wait_for, wait_same


def fresh():
    return clean_destination(("inventory",))


def start(pg, name="mysqlconn", **kw):
    add_conninfo(pg, name, **kw)
    pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
    wait_for(lambda: (lambda s: s and s["stage"] == "change data capture")(pg.state(name)), 60, what="CDC")


def columns(pg, table):
    return pg.rows("SELECT column_name, format_type(a.atttypid, a.atttypmod), is_nullable, column_default "
                   "FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = %s::regclass "
                   "AND a.attname = c.column_name WHERE table_schema = 'inventory' AND table_name = %s "
                   "ORDER BY ordinal_position", (f"inventory.{table}", table))


def pk(pg, table):
    return pg.one("SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey, a.attnum)) FROM pg_index i "
                  "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                  "WHERE i.indrelid = %s::regclass AND i.indisprimary", (f"inventory.{table}",))


def ok(pg):
    s = pg.state("mysqlconn")
    check(s["err"] == "no error" and s["state"] != "stopped", f"connector healthy: {s}")


def test_ddl_forms_during_streaming():
    pg = fresh()
    my = My()
    start(pg)
    my.run("CREATE TABLE inventory.t1 (id INT PRIMARY KEY, a VARCHAR(10) NOT NULL DEFAULT 'x', b INT)")
    my.run("INSERT INTO inventory.t1 VALUES (1, 'one', 10), (2, DEFAULT, 20)")
    wait_same(pg, my, "inventory", "t1", ["id", "a", "b"])
    check(columns(pg, "t1") == [("id", "integer", "NO", None), ("a", "character varying(10)", "NO", "'x'::character varying"),
                                ("b", "integer", "YES", None)], columns(pg, "t1"))

    my.run("ALTER TABLE inventory.t1 ADD COLUMN c DECIMAL(10,2) NOT NULL, ADD COLUMN d DATETIME(3) NULL AFTER id")
    my.run("INSERT INTO inventory.t1 (id, a, b, c, d) VALUES (3, 'three', 30, 3.5, '2024-01-02 03:04:05.678')")
    wait_same(pg, my, "inventory", "t1", ["id", "a", "b", "c", "d"])
    ok(pg)

    my.run("ALTER TABLE inventory.t1 CHANGE b b_renamed BIGINT")
    my.run("ALTER TABLE inventory.t1 RENAME COLUMN a TO a2")
    my.run("ALTER TABLE inventory.t1 MODIFY a2 VARCHAR(50) NULL")
    my.run("ALTER TABLE inventory.t1 ALTER COLUMN a2 SET DEFAULT 'y'")
    my.run("INSERT INTO inventory.t1 (id, b_renamed, c) VALUES (4, 40000000000, 4.25)")
    my.run("UPDATE inventory.t1 SET a2 = NULL WHERE id = 1")
    wait_same(pg, my, "inventory", "t1", ["id", "a2", "b_renamed", "c", "d"])
    cols = dict((r[0], r[1:]) for r in columns(pg, "t1"))
    check(cols["b_renamed"][0] == "bigint" and cols["a2"] == ("character varying(50)", "YES", "'y'::character varying"),
          f"renamed and retyped columns keep their data: {cols}")
    check(pg.one("SELECT a2 FROM inventory.t1 WHERE id = 3") == "three", "data kept through the rename")

    my.run("ALTER TABLE inventory.t1 DROP COLUMN d")
    my.run("ALTER TABLE inventory.t1 DROP PRIMARY KEY, ADD PRIMARY KEY (id, b_renamed)")
    my.run("INSERT INTO inventory.t1 (id, b_renamed, c) VALUES (5, 50, 5)")
    wait_same(pg, my, "inventory", "t1", ["id", "a2", "b_renamed", "c"])
    check(pk(pg, "t1") == "id,b_renamed", f"primary key follows: {pk(pg, 't1')}")
    check("d" not in dict((r[0], r) for r in columns(pg, "t1")), "dropped column gone")

    my.run("RENAME TABLE inventory.t1 TO inventory.t2")
    my.run("INSERT INTO inventory.t2 (id, b_renamed, c) VALUES (6, 60, 6)")
    wait_same(pg, my, "inventory", "t2", ["id", "a2", "b_renamed", "c"])
    check(pg.one("SELECT to_regclass('inventory.t1')") is None, "old name gone")

    my.run("ALTER TABLE inventory.t2 RENAME TO inventory.t3, ADD COLUMN e TEXT")
    my.run("UPDATE inventory.t3 SET e = 'later' WHERE id = 6")
    wait_same(pg, my, "inventory", "t3", ["id", "a2", "b_renamed", "c", "e"])

    my.run("DROP TABLE inventory.t3")
    wait_for(lambda: pg.one("SELECT to_regclass('inventory.t3')") is None, 30, what="dropped table")
    ok(pg)
    stats = pg.rows("SELECT ddls, inserts, updates, ddls_skipped FROM synchdb_stats_view WHERE name = 'mysqlconn'")[0]
    check(stats == (11, 6, 2, 0), f"statistics: 11 DDL statements, 6 inserts, 2 updates: {stats}")

    my.run("CREATE INDEX k_c ON inventory.orders (quantity)")
    my.run("CREATE VIEW inventory.v AS SELECT 1 AS one")
    wait_for(lambda: pg.one("SELECT ddls_no_action FROM synchdb_stats_view WHERE name = 'mysqlconn'") == 2, 30,
             what="DDL needing nothing counted")

    # CREATE TABLE ... SELECT: with row-based logging the server writes the CREATE TABLE and the rows.
    my.run("CREATE TABLE inventory.ctas AS SELECT 1 AS a, 'x' AS b")
    wait_same(pg, my, "inventory", "ctas", ["a", "b"])
    ok(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_odd_identifiers():
    pg = fresh()
    my = My()
    start(pg)
    my.run("CREATE TABLE inventory.`odd name ``q`` é` (`select` INT PRIMARY KEY, `Mixed Case` TEXT, `from` DATE)")
    my.run("INSERT INTO inventory.`odd name ``q`` é` VALUES (1, 'x', '2024-01-01')")
    my.run("ALTER TABLE inventory.`odd name ``q`` é` CHANGE `Mixed Case` `another one` VARCHAR(20)")
    my.run("INSERT INTO inventory.`odd name ``q`` é` VALUES (2, 'y', NULL)")
    wait_for(lambda: pg.one('SELECT count(*) FROM inventory."odd name `q` é"') == 2 if
             pg.one("SELECT to_regclass('inventory.\"odd name `q` é\"')") else False, 30, what="odd table")
    check(pg.rows('SELECT "select", "another one", "from" FROM inventory."odd name `q` é" ORDER BY 1')[1][1] == "y",
          "renamed column")
    ok(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_table_filter_limits_ddl():
    pg = fresh()
    my = My()
    start(pg, table="inventory.orders")
    my.run("CREATE TABLE inventory.not_listed (id INT PRIMARY KEY)")
    my.run("ALTER TABLE inventory.orders ADD COLUMN note VARCHAR(20) DEFAULT 'n'")
    my.run("INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id, note) "
           "VALUES ('2024-07-01', 1001, 1, 101, 'hello')")
    wait_same(pg, my, "inventory", "orders", ["order_number", "quantity", "note"])
    check(pg.one("SELECT to_regclass('inventory.not_listed')") is None, "table outside the list not created")
    ok(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_restart_between_ddl_and_rows():
    pg = fresh()
    my = My()
    start(pg)
    my.run("CREATE TABLE inventory.r (id INT PRIMARY KEY, v INT)")
    my.run("INSERT INTO inventory.r VALUES (1, 1)")
    wait_same(pg, my, "inventory", "r", ["id", "v"])
    pg.close()
    script("pg.sh", "stop")
    my.run("INSERT INTO inventory.r VALUES (2, 2)")          # before the DDL, old shape
    my.run("ALTER TABLE inventory.r ADD COLUMN w VARCHAR(5) DEFAULT 'w'")
    my.run("INSERT INTO inventory.r VALUES (3, 3, 'x')")     # after it
    script("pg.sh", "start")
    pg = Pg()
    wait_same(pg, my, "inventory", "r", ["id", "v", "w"], 60)
    ok(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_many_tables_mixed_stream():
    """Tens of tables created, altered, renamed, dropped and written in one interleaved stream."""
    import random
    pg = fresh()
    my = My()
    start(pg)
    rnd = random.Random(20261125)
    tables = {}   # name -> list of (column, type)
    next_id = {}
    types = ["INT", "BIGINT UNSIGNED", "VARCHAR(20)", "DECIMAL(8,2)", "DATE", "DOUBLE", "TEXT", "TINYINT"]

    def value(t, i):
        return {"INT": str(i), "BIGINT UNSIGNED": str(i * 1000003), "VARCHAR(20)": f"'v{i}'",
                "DECIMAL(8,2)": f"{i}.25", "DATE": f"'2024-01-{(i % 28) + 1:02d}'", "DOUBLE": f"{i}.5",
                "TEXT": f"'t{i}'", "TINYINT": str(i % 100)}[t]

    def insert(name, n=3):
        for _ in range(n):
            i = next_id[name]
            next_id[name] += 1
            cols = ", ".join(["id"] + [c for c, _ in tables[name]])
            vals = ", ".join([str(i)] + [value(t, i) for _, t in tables[name]])
            my.run(f"INSERT INTO inventory.`{name}` ({cols}) VALUES ({vals})")

    for n in range(24):
        name = f"m{n}"
        cols = [(f"c{k}", rnd.choice(types)) for k in range(rnd.randint(1, 4))]
        my.run(f"CREATE TABLE inventory.`{name}` (id INT PRIMARY KEY, " +
               ", ".join(f"{c} {t}" for c, t in cols) + ")")
        tables[name] = cols
        next_id[name] = 1
        insert(name)
    for step in range(60):
        name = rnd.choice(sorted(tables))
        op = rnd.choice(["add", "drop", "rename_col", "retype", "rename_table", "dml", "dml", "delete"])
        cols = tables[name]
        if op == "add":
            c, t = f"a{step}", rnd.choice(types)
            my.run(f"ALTER TABLE inventory.`{name}` ADD COLUMN {c} {t}")
            cols.append((c, t))
        elif op == "drop" and len(cols) > 1:
            c, _ = cols.pop(rnd.randrange(len(cols)))
            my.run(f"ALTER TABLE inventory.`{name}` DROP COLUMN {c}")
        elif op == "rename_col" and cols:
            k = rnd.randrange(len(cols))
            new = f"r{step}"
            my.run(f"ALTER TABLE inventory.`{name}` RENAME COLUMN {cols[k][0]} TO {new}")
            cols[k] = (new, cols[k][1])
        elif op == "retype":
            for k, (c, t) in enumerate(cols):
                if t == "INT":
                    my.run(f"ALTER TABLE inventory.`{name}` MODIFY {c} BIGINT")
                    cols[k] = (c, "INT")  # values generated as INT still fit
                    break
        elif op == "rename_table":
            new = f"{name}_r{step}"
            my.run(f"RENAME TABLE inventory.`{name}` TO inventory.`{new}`")
            tables[new] = tables.pop(name)
            next_id[new] = next_id.pop(name)
            name = new
        elif op == "delete":
            my.run(f"DELETE FROM inventory.`{name}` WHERE id % 2 = 0")
        insert(name, 2)
    for name in sorted(tables)[:3]:
        my.run(f"DROP TABLE inventory.`{name}`")
        del tables[name]
    for name, cols in sorted(tables.items()):
        wait_same(pg, my, "inventory", name, ["id"] + [c for c, _ in cols], 60)
        src = [(r[0], r[1]) for r in my.run(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'inventory' "
            "AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (name,))]
        for col, ctype in src:
            want = pg.one("SELECT synchdb_translate_datatype('mysql', %s)", (ctype,))
            got = pg.one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                         "WHERE attrelid = %s::regclass AND attname = %s", (f'inventory."{name}"', col.lower()))
            norm = {"varchar(20)": "character varying(20)", "numeric(8,2)": "numeric(8,2)"}
            check(got == norm.get(want, want), f"{name}.{col}: {ctype} became {got}, mapping gives {want}")
    gone = pg.one("SELECT count(*) FROM pg_tables WHERE schemaname = 'inventory' AND tablename ~ '^m[0-9]'")
    check(gone == len(tables), f"{gone} tables in PostgreSQL, {len(tables)} on the source")
    ok(pg)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
