#!/usr/bin/env python3
"""End-to-end tests of following a MariaDB failover by GTID.

The test starts its own replica ("myrep", port MY2PORT + 1) of the harness's
MariaDB primary ("mariadb") with GTID replication and log_slave_updates,
moves a connector from the primary to the replica in the middle of a write
load, promotes the replica and checks that every row arrived once.

Needs: PostgreSQL "pg" (synchdb preloaded) and MariaDB "mariadb" with binary logging (scripts/test.sh).
"""
import os
import shutil
import threading
import time

from harness import (MY2PORT, MYPORT, My, TestFailure, add_conninfo, check, clean_destination, run_tests, script,
                     wait_for, wait_same)

REPPORT = MY2PORT + 1
DB = "fodb"
TABLES = {
    "accounts": ["id", "owner", "balance"],
    "ledger": ["account", "amount", "note"],  # no primary key: a doubled transaction shows as a doubled row
}


def run_dir():
    return os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run")


def stop_replica():
    script("mariadb.sh", "stop", "myrep")
    shutil.rmtree(os.path.join(run_dir(), "myrep"), ignore_errors=True)


def start_replica(primary):
    """A fresh MariaDB replicating the primary by GTID from its current position, with its own binary log."""
    stop_replica()
    script("mariadb.sh", "start", "myrep",
           env={"PORT": str(REPPORT),
                "SYNCHDB_MY_EXTRA_OPTS": "--server-id=2 --log-slave-updates=1 --skip-slave-start"})
    # The primary's account for its replica, kept out of the primary's binlog.
    primary.run("SET SESSION sql_log_bin = 0")
    primary.run("CREATE USER IF NOT EXISTS 'fo_repl'@'127.0.0.1' IDENTIFIED BY 'fo_repl'")
    primary.run("GRANT REPLICATION SLAVE ON *.* TO 'fo_repl'@'127.0.0.1'")
    primary.run("SET SESSION sql_log_bin = 1")
    start_gtid = primary.run("SELECT @@gtid_binlog_pos")[0][0]
    rep = My("myrep")
    # The connector's account on the replica (local, not in its binlog: the GTID streams stay the primary's).
    rep.run("SET SESSION sql_log_bin = 0")
    for host in ("%", "127.0.0.1", "localhost"):
        rep.run(f"CREATE USER IF NOT EXISTS 'mysqluser'@'{host}' IDENTIFIED BY 'mysqlpwd'")
        rep.run(f"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR "
                f"ON *.* TO 'mysqluser'@'{host}'")
    rep.run("SET SESSION sql_log_bin = 1")
    rep.run("SET GLOBAL gtid_slave_pos = %s", (start_gtid,))
    rep.run(f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={MYPORT}, MASTER_USER='fo_repl', "
            f"MASTER_PASSWORD='fo_repl', MASTER_USE_GTID=slave_pos")
    rep.run("START SLAVE")
    return rep


def catch_up(primary, rep):
    pos = primary.run("SELECT @@gtid_binlog_pos")[0][0]
    r = rep.run("SELECT MASTER_GTID_WAIT(%s, 30)", (pos,))[0][0]
    check(r == 0, f"the replica reached the primary's GTID position {pos} (MASTER_GTID_WAIT gave {r})")


def purge_binlogs(my):
    """A new binary log, and the older ones purged (once no dump thread still reads them: the server keeps those)."""
    my.run("FLUSH BINARY LOGS")
    last = my.run("SHOW BINARY LOGS")[-1][0]
    wait_for(lambda: my.run("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                            "WHERE COMMAND LIKE 'Binlog Dump%%'")[0][0] == 0, 30,
             what="no binlog dump thread left on the server")

    def purged():  # the server also keeps a file until its binlog checkpoint has moved on (XA recovery)
        my.run(f"PURGE BINARY LOGS TO '{last}'")
        return [r[0] for r in my.run("SHOW BINARY LOGS")] == [last]
    wait_for(purged, 30, 0.5, what=f"the binary logs before {last} purged")


def setup_source(primary):
    primary.run(f"DROP DATABASE IF EXISTS {DB}")
    primary.run(f"CREATE DATABASE {DB}")
    primary.run(f"CREATE TABLE {DB}.accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance BIGINT)")
    primary.run(f"CREATE TABLE {DB}.ledger (account INT, amount BIGINT, note VARCHAR(60))")
    primary.run(f"INSERT INTO {DB}.accounts VALUES " + ", ".join(f"({i}, 'owner{i}', 1000)" for i in range(1, 21)))


class Load:
    """Transactions on one server: move an amount between two accounts and log both legs in the ledger."""

    def __init__(self, instance, tag):
        self.instance, self.tag = instance, tag
        self.stop = threading.Event()
        self.count = 0
        self.error = None
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        try:
            w = My(self.instance)
            w.conn.autocommit(False)
            i = 0
            while not self.stop.is_set():
                i += 1
                a, b = 1 + i % 20, 1 + (i * 7) % 20
                with w.conn.cursor() as c:
                    c.execute(f"UPDATE {DB}.accounts SET balance = balance - 5 WHERE id = %s", (a,))
                    c.execute(f"UPDATE {DB}.accounts SET balance = balance + 5 WHERE id = %s", (b,))
                    c.execute(f"INSERT INTO {DB}.ledger VALUES (%s, -5, %s), (%s, 5, %s)",
                              (a, f"{self.tag}{i}", b, f"{self.tag}{i}"))
                    if i % 10 == 0:  # now and then a bigger transaction
                        c.execute(f"INSERT INTO {DB}.ledger SELECT id, 0, CONCAT('{self.tag}{i}-', id) "
                                  f"FROM {DB}.accounts")
                w.conn.commit()
                self.count = i
                time.sleep(0.005)
            w.close()
        except Exception as e:  # noqa: BLE001 - reported by finish()
            self.error = e

    def finish(self):
        self.stop.set()
        self.thread.join()
        if self.error:
            raise TestFailure(f"the write load on {self.instance} failed: {self.error}")
        return self.count


def wait_cdc(pg, name="fo", timeout=60):
    """Streaming (not in the snapshot any more): a pause then parks at once."""
    def ready():
        s = pg.state(name)
        if s and s["state"] == "stopped" and s["err"] != "no error":
            raise TestFailure(f"connector stopped: {s['err']}")
        return s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing")
    wait_for(ready, timeout, what=f"{name} in change data capture")


def wait_all_same(pg, my, timeout=60):
    for t, cols in TABLES.items():
        wait_same(pg, my, DB, t, cols, timeout)


def checksums(pg, my):
    """md5 of each table's rows rendered as text, computed by each server."""
    out = {}
    for t, cols in TABLES.items():
        mcols = ", ".join(f"COALESCE(CAST(`{c}` AS CHAR), '~')" for c in cols)
        pcols = ", ".join(f"COALESCE(\"{c}\"::text, '~')" for c in cols)
        src = my.run(f"SELECT COUNT(*), MD5(COALESCE(GROUP_CONCAT(CONCAT_WS('|', {mcols}) ORDER BY "
                     f"CONCAT_WS('|', {mcols}) SEPARATOR '\\n'), '')) FROM {DB}.{t}")[0]
        dst = pg.rows(f"SELECT count(*), md5(coalesce(string_agg(concat_ws('|', {pcols}), E'\\n' ORDER BY "
                      f"concat_ws('|', {pcols}) COLLATE \"C\"), '')) FROM {DB}.{t}")[0]
        out[t] = (tuple(src), tuple(dst))
    return out


def test_follow_failover_to_replica_by_gtid():
    pg = clean_destination((DB,))
    primary = My()
    primary.run("SET SESSION group_concat_max_len = 67108864")
    rep = start_replica(primary)
    try:
        setup_source(primary)
        add_conninfo(pg, "fo", srcdb=DB)
        pg.one("SELECT synchdb_start_engine_bgw('fo')")
        wait_cdc(pg)
        load = Load("mariadb", "p")
        time.sleep(1.5)
        # Mid-stream: the connector stops behind the primary, which goes on writing.
        pg.one("SELECT synchdb_pause_engine('fo')")
        time.sleep(1.0)
        written_primary = load.finish()
        catch_up(primary, rep)
        offset = pg.one("SELECT last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'fo'")
        check('"gtids":"0-1-' in offset and '"file_server_id":1' in offset,
              f"the position carries the primary's GTID and server: {offset}")
        pending = primary.run(f"SELECT COUNT(*) FROM {DB}.ledger")[0][0] - \
            pg.one(f"SELECT count(*) FROM {DB}.ledger")
        check(pending > 0, f"the connector was moved with changes still to read ({pending} ledger rows)")
        pg.one("SELECT synchdb_stop_engine_bgw('fo')")

        # Failover: the replica is promoted and takes the writes; the connector follows it.
        rep.run("STOP SLAVE")
        rep.run("RESET SLAVE ALL")
        rep.run("FLUSH BINARY LOGS")  # the replica's files differ from the primary's in name and content
        pg.one("SELECT synchdb_alter_conninfo('fo', port => %s)", (REPPORT,))
        pg.one("SELECT synchdb_start_engine_bgw('fo')")
        load2 = Load("myrep", "r")
        time.sleep(1.5)
        written_replica = load2.finish()
        rep.run("SET SESSION group_concat_max_len = 67108864")
        wait_all_same(pg, rep, 60)
        sums = checksums(pg, rep)
        for t, (src, dst) in sums.items():
            check(src == dst, f"{DB}.{t}: replica (count, md5) {src}, destination {dst}")
        twice = pg.rows(f"SELECT note, account, amount, count(*) FROM {DB}.ledger GROUP BY 1, 2, 3 "
                        f"HAVING count(*) > 1 LIMIT 3")
        check(not twice, f"no ledger entry twice: {twice}")
        check(written_primary > 10 and written_replica > 10,
              f"transactions on the primary {written_primary}, on the replica {written_replica}")
        offset = pg.one("SELECT last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'fo'")
        check('"file_server_id":2' in offset and "0-2-" in offset, f"the position is now the replica's: {offset}")
        s = pg.state("fo")
        check(s["state"] in ("syncing", "executing") and s["err"] == "no error", f"still streaming: {s}")
        log = open(os.path.join(run_dir(), "pg", "server.log"), errors="replace").read()
        check("resuming by GTID 0-1-" in log, "the server log says the connector resumed by GTID")

        # The replica purges what the stopped connector still needs: a clear error naming the connector.
        pg.one("SELECT synchdb_stop_engine_bgw('fo')")
        rep.run(f"INSERT INTO {DB}.ledger VALUES (1, 1, 'purged')")
        purge_binlogs(rep)
        pg.one("SELECT synchdb_start_engine_bgw('fo')")
        s = wait_for(lambda: (lambda s: s if s and s["state"] == "stopped" and s["err"] != "no error" else None)(
            pg.state("fo")), 30, what="the connector stopped with an error")
        check('connector "fo"' in s["err"] and "nor stream from its GTID position 0-2-" in s["err"] and
              "synchdb_set_offset" in s["err"], s["err"])
    finally:
        for conn in (rep, primary):
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        stop_replica()


def test_set_offset_by_gtid_is_checked():
    pg = clean_destination((DB,))
    primary = My()
    setup_source(primary)
    add_conninfo(pg, "fo", srcdb=DB)
    pg.one("SELECT synchdb_start_engine_bgw('fo')")
    wait_cdc(pg)
    pg.one("SELECT synchdb_pause_engine('fo')")
    state = primary.run("SELECT @@gtid_binlog_pos")[0][0]
    d, srv, seq = (int(x) for x in state.split(",")[0].split("-"))
    e = pg.error("SELECT synchdb_set_offset('fo', %s)", (f'{{"gtids":"{d}-{srv}-{seq + 1000}"}}',))
    check(e.startswith("22023") and "is not in the binary logs" in e and 'connector "fo"' in e, e)
    e = pg.error("SELECT synchdb_set_offset('fo', %s)", ('{"gtids":"77-1-5"}',))
    check(e.startswith("22023") and "replication domain 77" in e, e)
    e = pg.error("SELECT synchdb_set_offset('fo', %s)", ('{"gtids":"0-1"}',))
    check(e.startswith("22023") and "MariaDB GTID list" in e, e)
    e = pg.error("SELECT synchdb_set_offset('fo', %s)", ('{"gtids":"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"}',))
    check(e.startswith("22023") and "MySQL GTID set" in e, e)
    # A purged GTID: the primary's older binary logs removed.
    primary.run(f"INSERT INTO {DB}.accounts VALUES (100, 'x', 1)")
    old = primary.run("SELECT @@gtid_binlog_pos")[0][0].split(",")[0]
    primary.run(f"INSERT INTO {DB}.accounts VALUES (101, 'y', 1)")
    purge_binlogs(primary)
    e = pg.error("SELECT synchdb_set_offset('fo', %s)", (f'{{"gtids":"{old}"}}',))
    check(e.startswith("22023") and "was purged" in e, e)
    # The current GTID position is accepted, and the connector streams from it.
    now = primary.run("SELECT @@gtid_binlog_pos")[0][0]
    msg = pg.one("SELECT synchdb_set_offset('fo', %s)", (f'{{"gtids":"{now}"}}',))
    check(msg is not None, "set_offset accepted the current GTID position")
    pg.one("SELECT synchdb_resume_engine('fo')")
    primary.run(f"INSERT INTO {DB}.accounts VALUES (102, 'z', 1)")
    wait_for(lambda: pg.one(f"SELECT count(*) FROM {DB}.accounts WHERE id = 102") == 1, 30,
             what="the row written after the GTID position")
    check(pg.one(f"SELECT count(*) FROM {DB}.accounts WHERE id = 101") == 0,
          "the row before the GTID position was skipped, as the offset says")
    pg.one("SELECT synchdb_stop_engine_bgw('fo')")
    primary.close()


if __name__ == "__main__":
    raise SystemExit(run_tests(globals()))
