"""Step olr of bench/bench.py: OpenLogReplicator replay against the MySQL backlog drain.

The same changes as step cdc's backlog (bench.py: insert_stmts, update_stmts, delete_stmts; sbtest1's row
shape, transactions of Bench.batch rows) are written as OpenLogReplicator 1.9 JSON messages (one file per
phase, SCNs rising across phases, the table created by a DDL message in front of the inserts) and served
through the real network protocol by the test suite's stand-in (test/e2e/olr_standin.py, with --batch so
that Python is not the bottleneck). A connector of type olr replays each phase from a stopped state, timed
from synchdb_start_engine_bgw to the phase's last change visible, exactly like step cdc's drains of
MariaDB's binlog; the ratio is against cdc.synchdb.<phase> of the same run.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "..", "test", "e2e", "olr_standin.py")
OWNER = "BENCH"
NAME = "olrbench"


def _txn(scn, xid, payloads):
    """The lines of one transaction."""
    out = [json.dumps({"scn": scn, "tms": str(1_700_000_000 + scn % 1_000_000), "c_scn": scn, "c_idx": 1,
                       "xid": xid, "payload": [{"op": "begin"}]}, separators=(",", ":"))]
    for i, p in enumerate(payloads):
        out.append(json.dumps({"c_scn": scn, "c_idx": i + 2, "xid": xid, "payload": [p]}, separators=(",", ":")))
    out.append(json.dumps({"c_scn": scn, "c_idx": len(payloads) + 2, "xid": xid, "payload": [{"op": "commit"}]},
                          separators=(",", ":")))
    return "\n".join(out) + "\n"


def _schema():
    return {"owner": OWNER, "table": "SBTEST1"}


def write_cases(b, base):
    """One case folder per phase under base; returns [(phase, folder, n, marker SQL)] like Bench.phases()."""
    n = b.ins_n
    scn = [10_000]
    txno = [0]
    last = [""]   # the previous phase's last transaction

    def case(phase, payloads, first=None):
        d = os.path.join(base, phase)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "output.json"), "w") as out:
            # A real OpenLogReplicator still holds the last applied transaction (the connector confirms one
            # transaction behind) and replays it first after the restart; the connector drops it by xid.
            out.write(last[0])
            if first:
                scn[0] += 10
                txno[0] += 1
                out.write(_txn(scn[0], f"1.{txno[0]}.1", [first]))
            for k in range(0, len(payloads), b.batch):
                scn[0] += 10
                txno[0] += 1
                t = _txn(scn[0], f"1.{txno[0]}.1", payloads[k:k + b.batch])
                out.write(t)
                last[0] = t
        return d

    ddl = {"op": "ddl", "schema": _schema(),
           "sql": "CREATE TABLE sbtest1 (id NUMBER(10) PRIMARY KEY, k NUMBER(10) DEFAULT 0 NOT NULL, "
                  "c CHAR(120) DEFAULT ' ' NOT NULL, pad CHAR(60) DEFAULT ' ' NOT NULL)"}
    ins = []
    for i in range(1, n + 1):
        c = (f"{i * 7919 % 99999999999:011d}-" * 10)[:119]
        pad = (f"{i * 43 % 99999999999:011d}-" * 5)[:59]
        # CHAR(n) values arrive blank-padded from Oracle.
        ins.append({"op": "c", "schema": _schema(),
                    "after": {"ID": i, "K": i * 2654435761 % n, "C": c.ljust(120), "PAD": pad.ljust(60)}})
    upd = [{"op": "u", "schema": _schema(), "before": {"ID": i}, "after": {"ID": i, "K": 2_000_000 + j}}
           for j, i in enumerate(b.upd_ids())]
    dele = [{"op": "d", "schema": _schema(), "before": {"ID": i}} for i in b.del_ids()]
    markers = {ph: m for ph, _, _, m in b.phases()}
    return [("insert", case("insert", ins, ddl), n, markers["insert"]),
            ("update", case("update", upd), len(upd), markers["update"]),
            ("delete", case("delete", dele), len(dele), markers["delete"])]


def step_olr(b, bench):
    """bench: the bench module (its Pg, log, wait_for, state, drop_connector, stop_connector, MemSampler, Perf)."""
    log, Pg, wait_for = bench.log, bench.Pg, bench.wait_for
    log("step olr: OpenLogReplicator replay (stand-in OLR over the real protocol)")
    base = os.path.join(bench.RUN, "olr-cases")
    t0 = time.time()
    cases = write_cases(b, base)
    log(f"  wrote the cases in {time.time() - t0:.1f}s")
    port = bench.PGPORT + 1700
    pg = Pg()
    bench.drop_connector(pg, NAME)
    pg.rows("DROP SCHEMA IF EXISTS bench CASCADE")
    pg.one("SELECT synchdb_add_conninfo(%s, '127.0.0.1', 1521, 'unused', 'unused', %s, 'postgres', '', 'olr', '')",
           (NAME, OWNER))
    pg.one("SELECT synchdb_add_olr_conninfo(%s, '127.0.0.1', %s, 'ORACLE')", (NAME, port))
    mem_rss = mem_anon = 0.0
    first = True
    for phase, d, n, marker in cases:
        logf = open(os.path.join(bench.RUN, f"olr-standin-{phase}.log"), "w")
        srv = subprocess.Popen([sys.executable, STANDIN, "--case", d, "--port", str(port), "--batch", "500"],
                               stdout=logf, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: "LISTENING" in open(logf.name).read() or srv.poll() is not None, 600,
                     f"stand-in OLR loaded the {phase} case")
            if srv.poll() is not None:
                raise RuntimeError(f"stand-in exited: {open(logf.name).read()[-2000:]}")
            sampler = bench.MemSampler(NAME)
            sampler.start()
            t0 = time.time()
            pg.one("SELECT synchdb_start_engine_bgw(%s, %s)", (NAME, "no_data") if first else (NAME, "initial"))
            first = False
            perf = bench.Perf(b.args.perf, pg, NAME, f"olr-{phase}")
            q = marker.format(t="bench.sbtest1")

            def caught_up():
                s = bench.state(pg, NAME)
                if s and s["state"] == "stopped" and s["err"] not in ("no error", None, ""):
                    raise RuntimeError(f"olr connector stopped: {s}")
                try:
                    return pg.one(q)
                except bench.psycopg2.Error:
                    return False
            wait_for(caught_up, 3600, f"synchdb replayed the OLR {phase}s")
            dt = time.time() - t0
            perf.stop()
            mem = sampler.finish()
            log(f"  synchdb replayed {n} OLR {phase}s in {dt:.2f}s (peak RssAnon {mem['anon_mb']:.1f} MB, worker "
                f"CPU {mem['worker_cpu']:.2f} cores)")
            mem_rss, mem_anon = max(mem_rss, mem["rss_mb"]), max(mem_anon, mem["anon_mb"])
            b.rec(f"olr.synchdb.{phase}", n / dt)
            b.rec(f"cpu.olr.{phase}", mem["worker_cpu"])
            bench.stop_connector(pg, NAME)
        finally:
            srv.terminate()
            srv.wait(30)
            logf.close()
    got = pg.rows("SELECT count(*), sum(k) FROM bench.sbtest1")[0]
    want = pg.rows("SELECT count(*), sum(k) FROM cdcdb.sbtest1")[0] if pg.one(
        "SELECT to_regclass('cdcdb.sbtest1') IS NOT NULL") else None
    if want is not None and tuple(got) != tuple(want):
        b.notes.append(f"olr: destination differs from step cdc's: {got} vs {want}")
        log(f"  MISMATCH olr {got} cdc {want}")
    b.rec("mem.olr.rss_mb", mem_rss)
    b.rec("mem.olr.anon_mb", mem_anon)
    bench.drop_connector(pg, NAME)
    pg.close()
