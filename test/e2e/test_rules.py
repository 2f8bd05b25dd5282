#!/usr/bin/env python3
"""End-to-end tests of rule files, the object map and value transforms (real MariaDB and PostgreSQL)."""
import json
import os

import psycopg2

from harness import My, Pg, add_conninfo, check, clean_destination, run_tests, wait_for, wait_state, \
    wait_stopped_with_error

GEOM_TABLE = ("CREATE TABLE inventory.geom (id INT AUTO_INCREMENT PRIMARY KEY, g GEOMETRY NOT NULL, h GEOMETRY NULL)")


def write_rule(pg, filename, doc):
    """Write a rule file into the data directory (readable by the server)."""
    path = os.path.join(pg.one("SHOW data_directory"), filename)
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    os.chmod(path, 0o644)
    return path


def fresh(schemas=("inventory", "schema1", "store", "crm")):
    pg = clean_destination(schemas)
    if pg.one("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"):
        pg.rows("DROP EXTENSION postgis CASCADE")
    return pg


def start(pg, name, mode=None):
    if mode:
        pg.one("SELECT synchdb_start_engine_bgw(%s, %s)", (name, mode))
    else:
        pg.one("SELECT synchdb_start_engine_bgw(%s)", (name,))
    wait_for(lambda: (lambda s: s and s["stage"] == "change data capture" and s["state"] != "stopped")(pg.state(name)),
             60, what=f"{name} streaming (now {pg.state(name)})")


def healthy(pg, name):
    s = pg.state(name)
    check(s and s["err"] == "no error" and s["state"] != "stopped", f"connector {name} healthy: {s}")


def has_postgis(pg):
    return bool(pg.one("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"))


MYRULE = {
    "transform_datatype_rules": [
        {"translate_from": "GEOMETRY", "translate_from_autoinc": False, "translate_to": "TEXT", "translate_to_size": 0},
        {"translate_from": "inventory.orders.quantity", "translate_from_autoinc": False, "translate_to": "bigint",
         "translate_to_size": 0},
        {"translate_from": "INT", "translate_from_autoinc": True, "translate_to": "bigint", "translate_to_size": 0},
        {"translate_from": "VARCHAR", "translate_from_autoinc": False, "translate_to": "varchar",
         "translate_to_size": -1},
    ],
    "transform_objectname_rules": [
        {"object_type": "table", "source_object": "inventory.orders", "destination_object": "schema1.orders"},
        {"object_type": "column", "source_object": "inventory.orders.quantity", "destination_object": "the_numba"},
    ],
    "transform_expression_rules": [
        {"transform_from": "inventory.orders.quantity", "transform_expression": "case when %d < 500 then 0 else %d end"},
        {"transform_from": "inventory.customers.email", "transform_expression": "'<' || '%d' || '>'"},
    ],
}


def orders(pg):
    return pg.rows("SELECT order_number, the_numba FROM schema1.orders ORDER BY 1")


def test_seed_example_1_rule_file_snapshot_and_stream():
    pg = fresh()
    my = My()
    my.run(GEOM_TABLE)
    my.run("INSERT INTO inventory.geom (g, h) VALUES (ST_GeomFromText('POINT(1 1)'), NULL), "
           "(ST_GeomFromText('LINESTRING(2 1, 6 6)', 4326), ST_GeomFromText('POINT(3 4)', 3857))")
    write_rule(pg, "myrule.json", MYRULE)
    check(add_conninfo(pg, "mysqlconn", rulefile="myrule.json") == 0, "add_conninfo with the seed's rule file")
    start(pg, "mysqlconn")
    healthy(pg, "mysqlconn")

    # Snapshot: table renamed into schema1, column renamed and retyped, values transformed.
    check(pg.one("SELECT to_regclass('inventory.orders')") is None, "orders not under its default name")
    types = dict(pg.rows("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                         "WHERE attrelid = 'schema1.orders'::regclass AND attnum > 0 AND NOT attisdropped"))
    check(types.get("the_numba") == "bigint" and "quantity" not in types, f"orders columns {types}")
    check(types.get("order_number") == "bigint", f"auto-increment INT rule applies to order_number: {types}")
    check(types.get("purchaser") == "integer", f"INT without auto-increment keeps the default: {types}")
    src = {r[0]: r[1] for r in my.run("SELECT order_number, quantity FROM inventory.orders")}
    want = sorted((k, 0 if v < 500 else v) for k, v in src.items())
    check(orders(pg) == want, f"snapshot values transformed: {orders(pg)} vs {want}")
    emails = pg.rows("SELECT email FROM inventory.customers ORDER BY id")
    check(all(e.startswith("<") and e.endswith(">") for (e,) in emails), f"customer emails transformed: {emails}")
    ctypes = dict(pg.rows("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                          "WHERE attrelid = 'inventory.customers'::regclass AND attnum > 0"))
    check(ctypes.get("email") == "character varying(255)", f"VARCHAR -1 keeps the size: {ctypes}")
    # GEOMETRY -> TEXT: hex EWKB with the SRID.
    geo = pg.rows("SELECT id, g, h FROM inventory.geom ORDER BY id")
    check(geo[0][1] == "0101000000000000000000f03f000000000000f03f" and geo[0][2] is None, f"POINT(1 1) as text: {geo}")
    check(geo[1][1].startswith("0102000020e6100000") and geo[1][2].startswith("0101000020110f0000"),
          f"SRIDs 4326 and 3857 kept in EWKB text: {geo}")

    # Streaming: the same rules.
    my.run("INSERT INTO inventory.orders VALUES (default, '2024-03-01', 1001, 600, 102), "
           "(default, '2024-03-02', 1001, 5, 102)")
    my.run("UPDATE inventory.orders SET quantity = 700 WHERE order_number = 10001")
    my.run("UPDATE inventory.customers SET email = 'new@example.com' WHERE id = 1001")
    my.run("INSERT INTO inventory.geom (g) VALUES (ST_GeomFromText('POINT(7 8)', 4326))")
    my.run("DELETE FROM inventory.orders WHERE order_number = 10002")
    src = {r[0]: r[1] for r in my.run("SELECT order_number, quantity FROM inventory.orders")}
    want = sorted((k, 0 if v < 500 else v) for k, v in src.items())
    wait_for(lambda: orders(pg) == want, 30, what=f"streamed orders transformed (now {orders(pg)}, want {want})")
    wait_for(lambda: pg.one("SELECT email FROM inventory.customers WHERE id = 1001") == "<new@example.com>", 30,
             what="streamed email transformed")
    wait_for(lambda: pg.one("SELECT g FROM inventory.geom WHERE id = 3") == "0101000020e61000000000000000001c400000000000002040",
             30, what="streamed geometry as EWKB text")

    # DDL on a renamed table lands on the destination name; the new column follows the VARCHAR rule.
    my.run("ALTER TABLE inventory.orders ADD COLUMN note VARCHAR(20)")
    my.run("INSERT INTO inventory.orders VALUES (default, '2024-03-03', 1002, 900, 103, 'hello')")
    def noted():
        try:
            return pg.one("SELECT the_numba || ':' || note FROM schema1.orders WHERE note IS NOT NULL")
        except psycopg2.errors.UndefinedColumn:
            return None  # the ALTER TABLE has not arrived yet
    wait_for(lambda: noted() == "900:hello", 30, what="row after ALTER TABLE on the renamed table")
    healthy(pg, "mysqlconn")

    # synchdb_att_view shows the mapping.
    att = {r[0]: r[1:] for r in pg.rows(
        "SELECT ext_attname, pg_tbname, pg_attname, ext_atttypename, pg_atttypename, transform FROM synchdb_att_view "
        "WHERE name = 'mysqlconn' AND ext_tbname = 'inventory.orders'")}
    check(att["quantity"] == ("schema1.orders", "the_numba", "int(11)", "bigint", "case when %d < 500 then 0 else %d end"),
          f"att_view row of quantity: {att.get('quantity')}")
    check(att["note"][1] == "note" and att["note"][3] == "character varying(20)", f"att_view row of note: {att.get('note')}")

    # Restart: renamed objects keep working, nothing is copied twice.
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")
    my.run("INSERT INTO inventory.orders VALUES (default, '2024-03-04', 1003, 501, 104, 'after')")
    n_before = pg.one("SELECT count(*) FROM schema1.orders")
    start(pg, "mysqlconn")
    wait_for(lambda: pg.one("SELECT the_numba FROM schema1.orders WHERE note = 'after'") == 501, 30,
             what="row written while stopped")
    check(pg.one("SELECT count(*) FROM schema1.orders") == n_before + 1, "exactly one new row after the restart")
    healthy(pg, "mysqlconn")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_seed_example_4_rule_file_other_database():
    pg = fresh()
    if not pg.one("SELECT count(*) FROM pg_database WHERE datname = 'mysqldb3'"):
        pg.rows("CREATE DATABASE mysqldb3")
    db3 = Pg("mysqldb3")
    for s in ("inventory", "crm", "_synchdb"):
        db3.rows(f"DROP SCHEMA IF EXISTS {s} CASCADE")
    my = My()
    write_rule(pg, "myrule2.json", {
        "transform_datatype_rules": [
            {"translate_from": "inventory.orders.order_date", "translate_to": "text", "translate_to_size": 0},
            {"translate_from": "inventory.customers.id.INT", "translate_to": "numeric", "translate_to_size": 12},
        ],
        "transform_objectname_rules": [
            {"object_type": "table", "source_object": "inventory.customers", "destination_object": "crm.clients"},
            {"object_type": "column", "source_object": "inventory.customers.first_name",
             "destination_object": "given_name"},
        ],
        "transform_expression_rules": [
            {"transform_from": "inventory.customers.last_name", "transform_expression": "upper(%d)"},
        ],
    })
    add_conninfo(pg, "mysqlconn3", dstdb="mysqldb3", table="inventory.orders,inventory.customers", rulefile="myrule2.json")
    start(pg, "mysqlconn3")
    tables = sorted(r[0] for r in db3.rows("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n "
                                           "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname IN "
                                           "('inventory', 'crm')"))
    check(tables == ["crm.clients", "inventory.orders"], f"only the two tables, customers renamed: {tables}")
    check(db3.one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'inventory.orders'::regclass "
                  "AND attname = 'order_date'") == "text", "order_date as text")
    check(db3.one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'crm.clients'::regclass "
                  "AND attname = 'id'") == "numeric(12,0)", "column rule with its type check and a forced size")
    src = sorted((r[0], r[1], r[2].upper()) for r in my.run("SELECT id, first_name, last_name FROM inventory.customers"))
    got = sorted((int(r[0]), r[1], r[2]) for r in db3.rows("SELECT id, given_name, last_name FROM crm.clients"))
    check(got == src, f"snapshot of clients: {got} vs {src}")
    check(db3.one("SELECT order_date FROM inventory.orders WHERE order_number = 10001") == "2024-01-16",
          "date rendered as text")
    my.run("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Grace', 'Hopper', 'gh@example.com')")
    wait_for(lambda: db3.one("SELECT last_name FROM crm.clients WHERE given_name = 'Grace'") == "HOPPER", 30,
             what="streamed row renamed and transformed in mysqldb3")
    # The extension is not installed in mysqldb3: the worker keeps its column map in _synchdb.attribute.
    check(db3.one("SELECT count(*) FROM _synchdb.attribute WHERE name = 'mysqlconn3'") > 0,
          "column map kept in the destination database")
    healthy(pg, "mysqlconn3")
    # A rule naming a type the destination database lacks: checked by the worker there; it keeps the old rules.
    pg.rows("DROP DOMAIN IF EXISTS only_in_postgres")
    pg.rows("CREATE DOMAIN only_in_postgres AS text")
    pg.one("SELECT synchdb_add_objmap('mysqlconn3', 'datatype', 'inventory.orders.order_date', 'only_in_postgres|0')")
    pg.one("SELECT synchdb_reload_objmap('mysqlconn3')")
    wait_for(lambda: "new rules not applied" in (pg.state("mysqlconn3") or {}).get("err", ""), 30,
             what=f"reload refused in the destination database (now {pg.state('mysqlconn3')})")
    s = pg.state("mysqlconn3")
    check(s["state"] != "stopped" and 'type "only_in_postgres" does not exist' in s["err"], f"still running: {s}")
    my.run("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Alan', 'Turing', 'at@example.com')")
    wait_for(lambda: db3.one("SELECT last_name FROM crm.clients WHERE given_name = 'Alan'") == "TURING", 30,
             what="replication goes on with the previous rules")
    pg.rows("DROP DOMAIN only_in_postgres")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn3')")
    db3.close()


def test_objmap_reload_on_running_connector():
    pg = fresh()
    my = My()
    add_conninfo(pg, "mysqlconn")
    start(pg, "mysqlconn")
    check(pg.one("SELECT count(*) FROM inventory.products") > 0, "products copied under the default name")
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'table', 'inventory.products', 'store.items')")
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'column', 'inventory.products.name', 'title')")
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'datatype', 'inventory.products.weight', 'numeric|-1')")
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'transform', 'inventory.products.description', 'lower(%d)')")
    check(pg.rows("SELECT objtype, srcobj, dstobj, enabled FROM synchdb_objmap WHERE name = 'mysqlconn' ORDER BY 1, 2") == [
        ("column", "inventory.products.name", "title", True),
        ("datatype", "inventory.products.weight", "numeric|-1", True),
        ("table", "inventory.products", "store.items", True),
        ("transform", "inventory.products.description", "lower(%d)", True)], "objmap rows")
    n = pg.one("SELECT count(*) FROM inventory.products")
    pg.one("SELECT synchdb_reload_objmap('mysqlconn')")
    wait_for(lambda: pg.one("SELECT to_regclass('store.items') IS NOT NULL"), 30, what="table moved by the reload")
    check(pg.one("SELECT count(*) FROM store.items") == n, "rows kept through the rename")
    check(pg.one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'store.items'::regclass "
                 "AND attname = 'weight'") == "numeric", "weight retyped with a USING cast")
    my.run("INSERT INTO inventory.products (name, description, weight) VALUES ('widget', 'A Small WIDGET', 1.25)")
    my.run("UPDATE inventory.products SET name = 'gadget' WHERE id = 101")
    wait_for(lambda: pg.one("SELECT description FROM store.items WHERE title = 'widget'") == "a small widget", 30,
             what="new rule applied to streamed rows")
    wait_for(lambda: pg.one("SELECT title FROM store.items WHERE id = 101") == "gadget", 30, what="update by key")
    check(pg.one("SELECT pg_tbname || ':' || pg_attname FROM synchdb_att_view WHERE name = 'mysqlconn' "
                 "AND ext_tbname = 'inventory.products' AND ext_attname = 'name'") == "store.items:title", "att_view")
    healthy(pg, "mysqlconn")
    # Disabling the rules and reloading brings the defaults back: no object is left renamed.
    pg.one("SELECT synchdb_del_objmap('mysqlconn', 'table', 'inventory.products')")
    pg.one("SELECT synchdb_del_objmap('mysqlconn', 'column', 'inventory.products.name')")
    check(pg.one("SELECT enabled FROM synchdb_objmap WHERE objtype = 'table'") is False, "del_objmap disables")
    pg.one("SELECT synchdb_reload_objmap('mysqlconn')")
    wait_for(lambda: pg.one("SELECT to_regclass('inventory.products') IS NOT NULL"), 30, what="table moved back")
    check(pg.one("SELECT count(*) FROM inventory.products WHERE name = 'widget'") == 1, "column renamed back, rows kept")
    healthy(pg, "mysqlconn")
    # A reload in a transaction or subtransaction that rolls back hands nothing to the worker.
    pg.rows("BEGIN; SELECT synchdb_add_objmap('mysqlconn', 'table', 'inventory.products', 'store.items'); "
            "SELECT synchdb_reload_objmap('mysqlconn'); ROLLBACK")
    pg.rows("BEGIN; SAVEPOINT s; SELECT synchdb_add_objmap('mysqlconn', 'table', 'inventory.products', 'store.items'); "
            "SELECT synchdb_reload_objmap('mysqlconn'); ROLLBACK TO SAVEPOINT s; COMMIT")
    my.run("INSERT INTO inventory.products (name, description, weight) VALUES ('probe', 'x', 1)")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.products WHERE name = 'probe'") == 1, 30,
             what="row after a rolled-back reload")
    check(pg.one("SELECT to_regclass('store.items')") is None, "rolled-back reload moved nothing")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")
    notice = pg.rows("SELECT synchdb_reload_objmap('mysqlconn')")
    check(notice == [(0,)], "reload of a stopped connector returns 0 (with a NOTICE)")
    # Object map sources are stored in one spelling.
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'column', 'Inventory.Products.NAME', 'title')")
    check(pg.one("SELECT count(*) FROM synchdb_objmap WHERE objtype = 'column' AND srcobj = 'inventory.products.name' "
                 "AND enabled") == 1, "srcobj stored in lower case, replacing the disabled rule")
    # Rules are for the connector's owner and superusers; a direct INSERT of a transform for superusers only.
    pg.rows("DROP ROLE IF EXISTS rules_admin")
    pg.rows("CREATE ROLE rules_admin")
    pg.rows("GRANT EXECUTE ON FUNCTION synchdb_add_objmap(text, text, text, text) TO rules_admin")
    pg.rows("GRANT SELECT ON synchdb_conninfo TO rules_admin")
    pg.rows("GRANT SELECT, INSERT, UPDATE ON synchdb_objmap TO rules_admin")
    err = pg.error("SET ROLE rules_admin; SELECT synchdb_add_objmap('mysqlconn', 'transform', "
                   "'inventory.products.name', 'upper(%d)')")
    pg.rows("RESET ROLE")
    check(err.startswith("42501") and 'must be the owner of connector "mysqlconn"' in err, err)
    err = pg.error("SET ROLE rules_admin; INSERT INTO synchdb_objmap (name, objtype, srcobj, dstobj) "
                   "VALUES ('mysqlconn', 'transform', 'inventory.products.name', 'upper(%d)')")
    pg.rows("RESET ROLE")
    check(err.startswith("42501") and "only superusers can add or change transform rules" in err,
          f"writing the table directly is refused too: {err}")
    # Its owner may add name and transform rules (the worker evaluates them as the owner).
    pg.one("SELECT synchdb_set_owner('mysqlconn', 'rules_admin')")
    pg.rows("SET ROLE rules_admin; SELECT synchdb_add_objmap('mysqlconn', 'table', 'inventory.orders', 'o2'); RESET ROLE")
    check(pg.one("SELECT dstobj FROM synchdb_objmap WHERE objtype = 'table' AND srcobj = 'inventory.orders'") == "o2",
          "the connector's owner may add name rules")
    pg.rows("SET ROLE rules_admin; SELECT synchdb_add_objmap('mysqlconn', 'transform', 'inventory.products.name', "
            "'upper(%d)'); RESET ROLE")
    check(pg.one("SELECT dstobj FROM synchdb_objmap WHERE objtype = 'transform' AND srcobj = 'inventory.products.name'")
          == "upper(%d)", "and transform rules")
    pg.rows("RESET ROLE")
    pg.one("SELECT synchdb_set_owner('mysqlconn', 'postgres')")
    pg.one("SELECT synchdb_del_objmap('mysqlconn', 'transform', 'inventory.products.name')")
    pg.rows("REVOKE ALL ON synchdb_conninfo, synchdb_objmap FROM rules_admin")
    pg.rows("REVOKE ALL ON FUNCTION synchdb_add_objmap(text, text, text, text) FROM rules_admin")
    pg.rows("DROP ROLE rules_admin")


def test_geometry_to_postgis_through_expression():
    pg = fresh()
    if not has_postgis(pg):
        print("     (PostGIS is not installed: geometry is checked as text only)")
        return
    pg.rows("CREATE EXTENSION postgis")
    my = My()
    my.run(GEOM_TABLE)
    my.run("INSERT INTO inventory.geom (g, h) VALUES (ST_GeomFromText('POINT(1 2)', 4326), ST_GeomFromText('POINT(5 5)'))")
    write_rule(pg, "georule.json", {
        "transform_datatype_rules": [
            {"translate_from": "inventory.geom.g", "translate_to": "GEOMETRY", "translate_to_size": 0},
            {"translate_from": "GEOMETRY", "translate_to": "geometry", "translate_to_size": 0}],
        "transform_expression_rules": [
            {"transform_from": "inventory.geom.g",
             "transform_expression": "ST_SetSRID(ST_GeomFromWKB(decode('%w','base64')),%s)"}]})
    add_conninfo(pg, "mysqlconn", table="inventory.geom", rulefile="georule.json")
    start(pg, "mysqlconn")
    rows = pg.rows("SELECT id, ST_AsText(g), ST_SRID(g), ST_AsText(h) FROM inventory.geom ORDER BY id")
    check(rows == [(1, "POINT(1 2)", 4326, "POINT(5 5)")], f"snapshot into PostGIS geometry: {rows}")
    my.run("INSERT INTO inventory.geom (g) VALUES (ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 3857))")
    wait_for(lambda: pg.rows("SELECT ST_AsText(g), ST_SRID(g) FROM inventory.geom WHERE id = 2") ==
             [("POLYGON((0 0,1 0,1 1,0 0))", 3857)], 30, what="streamed polygon")
    my.run("UPDATE inventory.geom SET h = ST_GeomFromText('POINT(6 6)') WHERE id = 1")
    wait_for(lambda: pg.one("SELECT ST_AsText(h) FROM inventory.geom WHERE id = 1") == "POINT(6 6)", 30,
             what="update of a row with a transformed column")
    healthy(pg, "mysqlconn")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_translate_datatype_with_rules():
    pg = fresh()
    write_rule(pg, "typerule.json", {"transform_datatype_rules": [
        {"translate_from": "INT UNSIGNED", "translate_to": "numeric", "translate_to_size": 0},
        {"translate_from": "varchar", "translate_to": "text", "translate_to_size": 0}]})
    add_conninfo(pg, "ruled", rulefile="typerule.json")
    check(pg.one("SELECT synchdb_translate_datatype('mysql', 'int unsigned', -1, -1, -1)") == "bigint", "default")
    check(pg.one("SELECT synchdb_translate_datatype('ruled', 'int unsigned', -1, -1, -1)") == "numeric", "rule file rule")
    check(pg.one("SELECT synchdb_translate_datatype('ruled', 'varchar', 30, -1, -1)") == "text", "rule file rule 2")
    pg.one("SELECT synchdb_add_objmap('ruled', 'datatype', 'varchar|false', 'varchar|64')")
    check(pg.one("SELECT synchdb_translate_datatype('ruled', 'varchar', 30, -1, -1)") == "varchar(64)",
          "object map beats the rule file")
    check(pg.one("SELECT synchdb_translate_datatype('ruled', 'int', -1, -1, -1)") == "integer", "no rule: default")
    err = pg.error("SELECT synchdb_translate_datatype('nosuch', 'int', -1, -1, -1)")
    check(err.startswith("42704") and "nosuch" in err, err)


def test_malformed_rules_are_refused_with_their_reason():
    pg = fresh()
    cases = [
        ("bad_type.json", {"transform_datatype_rules": [{"translate_from": "INT", "translate_to": "nosuchtype"}]},
         "F0000", ['rule file "bad_type.json"', 'rule 1 of "transform_datatype_rules"', 'type "nosuchtype" does not exist']),
        ("bad_src.json", {"transform_datatype_rules": [{"translate_from": "INTT", "translate_to": "text"}]},
         "F0000", ['"INTT" is not a MySQL or MariaDB data type']),
        ("bad_size.json", {"transform_datatype_rules": [{"translate_from": "INT", "translate_to": "text",
                                                         "translate_to_size": 10}]},
         "F0000", ['type modifier is not allowed for type "text"']),
        ("bad_name.json", {"transform_objectname_rules": [{"object_type": "table", "source_object": "orders",
                                                           "destination_object": "x"}]},
         "F0000", ['rule 1 of "transform_objectname_rules"', 'must be written database.table']),
        ("bad_expr.json", {"transform_expression_rules": [{"transform_from": "inventory.orders.quantity",
                                                           "transform_expression": "%d +"}]},
         "F0000", ['transform expression does not parse', 'syntax error']),
        ("bad_lit.json", {"transform_expression_rules": [{"transform_from": "inventory.orders.quantity",
                                                          "transform_expression": "'n=%d'"}]},
         "F0000", ["placeholder %d inside the string literal"]),
        ("bad_sub.json", {"transform_expression_rules": [{"transform_from": "inventory.orders.quantity",
                                                          "transform_expression": "(SELECT 1) + %d"}]},
         "F0000", ["subqueries are not supported"]),
        ("bad_none.json", {"transform_expression_rules": [{"transform_from": "inventory.orders.quantity",
                                                           "transform_expression": "42"}]},
         "F0000", ["uses none of %d, %w, %s"]),
        ("bad_dup.json", {"transform_objectname_rules": [
            {"object_type": "table", "source_object": "inventory.orders", "destination_object": "a"},
            {"object_type": "table", "source_object": "INVENTORY.orders", "destination_object": "b"}]},
         "F0000", ["rule 2", "names the same source as rule 1"]),
        ("bad_key.json", {"transform_expression_rules": [{"transform_from": "inventory.orders.quantity",
                                                          "expression": "%d"}]},
         "F0000", ['unknown key "expression"']),
    ]
    for fname, doc, state, parts in cases:
        write_rule(pg, fname, doc)
        err = pg.error("SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', "
                       "'mysql', %s)", (fname,))
        check(err.startswith(state) and all(p in err for p in parts), f"{fname}: {err}")
    check(pg.one("SELECT count(*) FROM synchdb_conninfo") == 0, "nothing was created")

    # Object map mistakes are refused at synchdb_add_objmap.
    add_conninfo(pg, "mysqlconn")
    for args, parts in [
        (("mysqlconn", "colour", "a", "b"), ['object type "colour"']),
        (("mysqlconn", "datatype", "int|maybe", "text"), ["must be true or false"]),
        (("mysqlconn", "datatype", "int", "text|x"), ["size after '|' must be an integer"]),
        (("mysqlconn", "datatype", "int", "nosuchtype"), ['type "nosuchtype" does not exist']),
        (("mysqlconn", "column", "inventory.orders", "x"), ["database.table.column"]),
        (("mysqlconn", "transform", "inventory.orders.quantity", "%d +"), ["does not parse"]),
        (("nosuch", "table", "inventory.orders", "x"), ['connector "nosuch" does not exist']),
    ]:
        err = pg.error("SELECT synchdb_add_objmap(%s, %s, %s, %s)", args)
        check(all(p in err for p in parts), f"{args}: {err}")
    check(pg.one("SELECT count(*) FROM synchdb_objmap") == 0, "no rule stored")
    err = pg.error("SELECT synchdb_del_objmap('mysqlconn', 'table', 'inventory.nosuch')")
    check(err.startswith("42704"), err)

    # Mistakes only visible with the tables: raised when the connector starts, naming rule and column.
    write_rule(pg, "late.json", {"transform_expression_rules": [
        {"transform_from": "inventory.orders.order_date", "transform_expression": "%d + 1.5"}]})
    add_conninfo(pg, "late", table="inventory.orders", rulefile="late.json")
    pg.one("SELECT synchdb_start_engine_bgw('late')")
    s = wait_stopped_with_error(pg, "late")
    check('rule file "late.json"' in s["err"] and "order_date" in s["err"] and "operator does not exist" in s["err"],
          f"start-time error: {s}")
    write_rule(pg, "late2.json", {"transform_expression_rules": [
        {"transform_from": "inventory.orders.quantity", "transform_expression": "ST_GeomFromWKB(decode('%w','base64'))"}]})
    add_conninfo(pg, "late2", table="inventory.orders", rulefile="late2.json")
    pg.one("SELECT synchdb_start_engine_bgw('late2')")
    s = wait_stopped_with_error(pg, "late2")
    check("uses %w or %s" in s["err"] and "not a geometry" in s["err"], f"%w on a non-geometry column: {s}")


def test_expression_error_at_apply_names_column_and_position():
    pg = fresh()
    my = My()
    add_conninfo(pg, "mysqlconn", table="inventory.orders")
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'transform', 'inventory.orders.quantity', '100 / (%d - 7)')")
    start(pg, "mysqlconn")
    n = pg.one("SELECT count(*) FROM inventory.orders")
    my.run("INSERT INTO inventory.orders VALUES (default, '2024-03-01', 1001, 7, 102)")
    s = wait_stopped_with_error(pg, "mysqlconn")
    check("division by zero" in s["err"] and "quantity" in s["err"] and "binlog position" in s["err"]
          and "transform expression" in s["err"], f"apply-time expression error: {s}")
    check(pg.one("SELECT count(*) FROM inventory.orders") == n, "nothing applied from the failing transaction")
    # Fix the rule; the row arrives, once.
    pg.one("SELECT synchdb_add_objmap('mysqlconn', 'transform', 'inventory.orders.quantity', "
           "'coalesce(100 / nullif(%d - 7, 0), -1)')")
    start(pg, "mysqlconn")
    wait_for(lambda: pg.one("SELECT count(*) FROM inventory.orders") == n + 1, 30, what="row after fixing the rule")
    check(pg.one("SELECT quantity FROM inventory.orders WHERE order_number = (SELECT max(order_number) FROM "
                 "inventory.orders)") == -1, "the fixed expression's value")
    healthy(pg, "mysqlconn")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


if __name__ == "__main__":
    import sys
    sys.exit(run_tests(globals()))
