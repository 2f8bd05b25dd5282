#!/usr/bin/env python3
"""End-to-end tests of the connector life cycle (issue: foundation).

Needs: PostgreSQL "pg" (synchdb preloaded), MariaDB "mariadb" with the sample
inventory database and binary logging, MariaDB "my2" without binary logging.
"""
import sys
import time

from harness import (MY2PORT, MYPORT, My, Pg, add_conninfo, check, run_tests, script, wait_for, wait_state,
                     wait_stopped_with_error)


def fresh(dbname="postgres"):
    """A database with a clean synchdb: no connectors, extension re-created."""
    pg = Pg(dbname)
    if pg.one("SELECT count(*) FROM pg_extension WHERE extname = 'synchdb'"):
        for (name,) in pg.rows("SELECT name FROM synchdb_conninfo"):
            pg.one("SELECT synchdb_del_conninfo(%s)", (name,))
        pg.rows("DROP EXTENSION synchdb")
    pg.rows("DROP EXTENSION IF EXISTS pgcrypto")
    pg.rows("CREATE EXTENSION synchdb CASCADE")
    return pg


def ensure_database(name):
    pg = Pg()
    if not pg.one("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)):
        pg.rows(f'CREATE DATABASE "{name}"')
    pg.close()


def test_start_state_stop():
    pg = fresh()
    check(add_conninfo(pg, "mysqlconn") == 0, "add_conninfo returns 0")
    check(pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')") == 0, "start returns 0")
    s = wait_state(pg, "mysqlconn", "syncing")
    check(s["pid"] > 0 and s["err"] == "no error", f"running worker: {s}")
    check(pg.one("SELECT isactive FROM synchdb_conninfo WHERE name = 'mysqlconn'") is True, "marked active")
    bt = pg.one("SELECT backend_type FROM pg_stat_activity WHERE pid = %s", (s["pid"],))
    check(bt == "synchdb connector", f"worker visible in pg_stat_activity, backend_type {bt!r}")
    row = pg.rows("SELECT id, connector, conninfo_name, last_dbz_offset, dbname FROM synchdb_state_view "
                  "WHERE conninfo_name = 'mysqlconn'")[0]
    check(row[1] == "mysql" and row[4] == "postgres", f"state view row {row}")
    check(pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')") == 0, "stop returns 0")
    s = pg.state("mysqlconn")
    check(s["state"] == "stopped" and s["pid"] == -1, f"stopped at once after stop returns: {s}")
    check(pg.one("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'synchdb connector'") == 0,
          "no worker process left")
    check(pg.one("SELECT isactive FROM synchdb_conninfo WHERE name = 'mysqlconn'") is False, "marked inactive")
    # Start again after a stop: the same slot is reused.
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn', 'no_data')")
    wait_state(pg, "mysqlconn", "syncing")
    check(pg.one("SELECT count(*) FROM synchdb_state_view WHERE conninfo_name = 'mysqlconn'") == 1, "one slot")
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_start_twice_and_unknown():
    pg = fresh()
    add_conninfo(pg, "mysqlconn")
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    wait_state(pg, "mysqlconn", "syncing")
    err = pg.error("SELECT synchdb_start_engine_bgw('mysqlconn')")
    check(err.startswith("55000: ERROR:  connector \"mysqlconn\" is already running"), err)
    err = pg.error("SELECT synchdb_start_engine_bgw('nosuch')")
    check(err.startswith("42704: ERROR:  connector \"nosuch\" does not exist"), err)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


def test_wrong_password():
    pg = fresh()
    add_conninfo(pg, "badpwd", pwd="not-the-password")
    pg.one("SELECT synchdb_start_engine_bgw('badpwd')")
    s = wait_stopped_with_error(pg, "badpwd")
    check("authentication failed for user \"mysqluser\" on source server 127.0.0.1:%d" % MYPORT in s["err"], s)
    check(s["pid"] == -1, s)
    check("not-the-password" not in s["err"], "password never shown")


def test_unreachable_source():
    pg = fresh()
    add_conninfo(pg, "nowhere", port=1)
    pg.one("SELECT synchdb_start_engine_bgw('nowhere')")
    s = wait_stopped_with_error(pg, "nowhere")
    check("could not connect to source server 127.0.0.1:1" in s["err"], s)


def test_binlog_off():
    pg = fresh()
    add_conninfo(pg, "nobinlog", port=MY2PORT)
    pg.one("SELECT synchdb_start_engine_bgw('nobinlog')")
    s = wait_stopped_with_error(pg, "nobinlog")
    check("is not ready for replication" in s["err"] and "binary logging is off (log_bin=OFF)" in s["err"], s)
    check("log_bin=mysql-bin" in s["err"], f"says how to fix it: {s}")


def test_binlog_format_and_row_image():
    pg = fresh()
    my = My()
    try:
        my.run("SET GLOBAL binlog_format = 'STATEMENT'")
        my.run("SET GLOBAL binlog_row_image = 'MINIMAL'")
        add_conninfo(pg, "stmt")
        pg.one("SELECT synchdb_start_engine_bgw('stmt')")
        s = wait_stopped_with_error(pg, "stmt")
        check("binlog_format is STATEMENT, synchdb needs ROW" in s["err"], s)
        check("SET GLOBAL binlog_format=ROW" in s["err"], s)
        check("binlog_row_image is MINIMAL, synchdb needs FULL" in s["err"], s)
    finally:
        my.run("SET GLOBAL binlog_format = 'ROW'")
        my.run("SET GLOBAL binlog_row_image = 'FULL'")
        my.close()


def test_missing_privileges():
    pg = fresh()
    add_conninfo(pg, "nopriv", user="nopriv", pwd="noprivpwd")
    pg.one("SELECT synchdb_start_engine_bgw('nopriv')")
    s = wait_stopped_with_error(pg, "nopriv")
    check("lacks the REPLICATION SLAVE privilege" in s["err"], s)
    check("lacks the BINLOG MONITOR privilege" in s["err"], s)
    check("GRANT REPLICATION SLAVE ON *.*" in s["err"], s)


def test_missing_source_objects():
    pg = fresh()
    add_conninfo(pg, "notable", table="inventory.orders,inventory.nosuch")
    pg.one("SELECT synchdb_start_engine_bgw('notable')")
    s = wait_stopped_with_error(pg, "notable")
    check("not found on the source: inventory.nosuch" in s["err"], s)
    add_conninfo(pg, "nodb", srcdb="nosuchdb")
    pg.one("SELECT synchdb_start_engine_bgw('nodb')")
    s = wait_stopped_with_error(pg, "nodb")
    check("source database \"nosuchdb\" does not exist" in s["err"], s)


def test_unsupported_connector_types():
    pg = fresh()
    add_conninfo(pg, "sqlserverconn", port=1433, srcdb="testDB", connector="sqlserver")
    err = pg.error("SELECT synchdb_start_engine_bgw('sqlserverconn')")
    check(err.startswith("0A000: ERROR:  SQL Server connectors are not available yet"), err)
    check(pg.one("SELECT id FROM synchdb_state_view WHERE conninfo_name = 'sqlserverconn'") is None and
          pg.state("sqlserverconn")["state"] == "stopped", "no slot taken: listed, stopped, no slot id")


def test_drop_extension_refused_while_running():
    pg = fresh()
    add_conninfo(pg, "mysqlconn")
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    wait_state(pg, "mysqlconn", "syncing")
    err = pg.error("DROP EXTENSION synchdb")
    check(err.startswith("55000: ERROR:  cannot drop extension synchdb while connectors are running"), err)
    check("\"mysqlconn\"" in err and "synchdb_stop_engine_bgw" in err, err)
    err = pg.error("DROP EXTENSION pgcrypto CASCADE")
    check(err.startswith("55000: ERROR:  cannot drop extension synchdb while connectors are running"), err)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")
    pg.rows("DROP EXTENSION synchdb")
    pg.rows("CREATE EXTENSION synchdb")


def test_del_conninfo_stops_worker():
    pg = fresh()
    add_conninfo(pg, "mysqlconn")
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    pid = wait_state(pg, "mysqlconn", "syncing")["pid"]
    check(pg.one("SELECT synchdb_del_conninfo('mysqlconn')") == 0, "del returns 0")
    check(pg.one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)) == 0, "worker gone")
    check(pg.state("mysqlconn") is None, "slot released")
    check(pg.one("SELECT count(*) FROM synchdb_conninfo") == 0, "row deleted")


def test_other_destination_database():
    """Defined in one database, applying into another; the worker connects to the destination."""
    ensure_database("synchdb_def")
    ensure_database("synchdb_dst")
    pg = fresh("synchdb_def")
    add_conninfo(pg, "crossdb", dstdb="synchdb_dst")
    pg.one("SELECT synchdb_start_engine_bgw('crossdb')")
    s = wait_state(pg, "crossdb", "syncing")
    check(pg.one("SELECT datname FROM pg_stat_activity WHERE pid = %s", (s["pid"],)) == "synchdb_dst",
          "worker connected to the destination database")
    check(pg.one("SELECT dbname FROM synchdb_state_view WHERE conninfo_name = 'crossdb'") == "synchdb_def",
          "state view names the defining database")
    pg.one("SELECT synchdb_stop_engine_bgw('crossdb')")
    wait_state(pg, "crossdb", "stopped")


def test_max_connector_workers():
    pg = fresh()
    n = int(pg.one("SHOW synchdb.max_connector_workers"))
    check(n == 30, f"default 30 slots, got {n}")
    for i in range(n + 1):
        add_conninfo(pg, f"c{i}", table="inventory.orders")
    try:
        for i in range(n):
            pg.one("SELECT synchdb_start_engine_bgw(%s)", (f"c{i}",))
        wait_for(lambda: pg.one("SELECT count(*) FROM synchdb_state_view WHERE state = 'syncing'") == n, 60,
                 what=f"{n} connectors syncing")
        err = pg.error("SELECT synchdb_start_engine_bgw('c30')")
        check(err.startswith("54000: ERROR:  cannot start connector \"c30\": all 30 connector slots are in use"), err)
        check("synchdb.max_connector_workers" in err, err)
        # A stopped connector's slot can be taken by another one.
        pg.one("SELECT synchdb_stop_engine_bgw('c0')")
        pg.one("SELECT synchdb_start_engine_bgw('c30')")
        wait_state(pg, "c30", "syncing")
        check(pg.one("SELECT id FROM synchdb_state_view WHERE conninfo_name = 'c0'") is None,
              "the stopped connector's slot was reused (c0 is listed without a slot)")
    finally:
        for i in range(n + 1):
            pg.one("SELECT synchdb_stop_engine_bgw(%s)", (f"c{i}",))


def test_restart_relaunches_only_active_connectors():
    ensure_database("synchdb_def")
    ensure_database("synchdb_dst")
    pg = fresh()
    add_conninfo(pg, "active1")
    add_conninfo(pg, "inactive1")
    pg.one("SELECT synchdb_start_engine_bgw('active1')")
    pg.one("SELECT synchdb_start_engine_bgw('inactive1')")
    wait_state(pg, "active1", "syncing")
    wait_state(pg, "inactive1", "syncing")
    pg.one("SELECT synchdb_stop_engine_bgw('inactive1')")
    other = fresh("synchdb_def")
    add_conninfo(other, "active2", dstdb="synchdb_dst")
    other.one("SELECT synchdb_start_engine_bgw('active2')")
    wait_state(other, "active2", "syncing")
    pg.close()
    other.close()

    script("pg.sh", "restart")

    pg = Pg()
    other = Pg("synchdb_def")
    s1 = wait_state(pg, "active1", "syncing")
    s2 = wait_state(other, "active2", "syncing")
    check(s1["pid"] > 0 and s2["pid"] > 0, "both active connectors relaunched")
    time.sleep(1)
    check(pg.state("inactive1")["pid"] == -1 and
          pg.one("SELECT id FROM synchdb_state_view WHERE conninfo_name = 'inactive1'") is None,
          f"inactive connector not relaunched: {pg.state('inactive1')}")
    pg.one("SELECT synchdb_stop_engine_bgw('active1')")
    other.one("SELECT synchdb_stop_engine_bgw('active2')")


def test_source_restart_reconnects():
    pg = fresh()
    add_conninfo(pg, "mysqlconn")
    pg.one("SELECT synchdb_start_engine_bgw('mysqlconn')")
    pid = wait_state(pg, "mysqlconn", "syncing")["pid"]
    script("mariadb.sh", "stop")
    try:
        s = wait_for(lambda: (lambda s: s if "source server" in s["err"] else None)(pg.state("mysqlconn")), 30,
                     what="the lost source in err")
        check(s["pid"] == pid, "the worker stays and retries")
    finally:
        script("mariadb.sh", "start")
    wait_for(lambda: pg.state("mysqlconn")["err"] == "no error", 60, what="err cleared after reconnect")
    wait_state(pg, "mysqlconn", "syncing", 30)
    pg.one("SELECT synchdb_stop_engine_bgw('mysqlconn')")


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
