#!/usr/bin/env bash
# synchdb benchmark suite: one command.
#
#   bash bench/run.sh [--quick] [--runs N] [--steps snapshot,cdc,widecdc,many,live,decode,pgsrc,olr] [--keep]
#                     [--deadline HH:MM] [--live-threads N] [--perf] [--scale F]
#
# Starts private servers under /tmp/synchdb-bench (PostgreSQL 55462 with
# synchdb, PostgreSQL 55463 as the logical-replication subscriber, MariaDB
# 33336; with step pgsrc also PostgreSQL 55464, the source of the postgres
# connector), runs bench/bench.py, prints a markdown table of medians and writes
# it to bench/results/<timestamp>.md (plus .log and .json), then stops the
# servers (unless --keep).  --quick: 1 run, small sizes, for development.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SYNCHDB_RUN=/tmp/synchdb-bench
export SYNCHDB_PGPORT=55462
export SYNCHDB_SUBPORT=55463
export SYNCHDB_MYPORT=33336
export SYNCHDB_PGSRCPORT=55464   # source cluster of step pgsrc
export SYNCHDB_PGSRC_PWD=bench-src-secret   # scram password of its role bench_src
# shellcheck source=scripts/env.sh
source scripts/env.sh

quick=0 runs=3 keep=0 steps=snapshot,cdc,widecdc,many,live,decode,pgsrc,olr extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1; runs=1 ;;
        --runs) runs="$2"; shift ;;
        --steps) steps="$2"; shift ;;
        --keep) keep=1 ;;
        --deadline) extra+=(--deadline "$(date -d "$2" +%s)"); shift ;;   # e.g. --deadline 20:35
        --live-threads) extra+=(--live-threads "$2"); shift ;;
        --perf) extra+=(--perf) ;;
        --scale) extra+=(--scale "$2"); shift ;;   # multiply the row counts   # perf record the worker (profiles under /tmp/synchdb-bench)
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

bash scripts/deps.sh --bench

# ------------------------------------------------------------ build
# Build and install synchdb only when synchdb.so is missing or older than a
# source file; a colleague's half-written file can break the build, so retry.
stale() {
    [[ ! -f synchdb.so ]] && return 0
    [[ -n "$(find src sql Makefile synchdb.control -newer synchdb.so -type f \
             \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.sql' -o -name Makefile -o -name '*.control' \) \
             -print -quit 2>/dev/null)" ]]
}
pkglib="$("$PG_CONFIG" --pkglibdir)"
if stale || ! cmp -s synchdb.so "$pkglib/synchdb.so"; then
    for attempt in 1 2 3 4 5; do
        if make -j2 >/tmp/synchdb-bench-build.log 2>&1 && make install >>/tmp/synchdb-bench-build.log 2>&1; then
            echo "run.sh: built and installed synchdb.so"
            break
        fi
        echo "run.sh: build failed (attempt $attempt), retrying in 30s; tail of the log:" >&2
        tail -5 /tmp/synchdb-bench-build.log >&2
        [[ $attempt -lt 5 ]] || exit 1
        sleep 30
    done
fi

mkdir -p "$SYNCHDB_RUN" bench/results
decode_bin="$SYNCHDB_RUN/decode_bench"
if [[ ! -x "$decode_bin" || -n "$(find bench/decode_bench.cpp src/core/sources/mysql/binlog src/core/copytext.cpp src/core/error.hpp -newer "$decode_bin" -print -quit)" ]]; then
    echo "run.sh: building $decode_bin (g++ -O2)"
    g++ -std=c++20 -O2 -Isrc -o "$decode_bin" bench/decode_bench.cpp src/core/sources/mysql/binlog/*.cpp src/core/copytext.cpp -lz -lzstd
fi

# ------------------------------------------------------------ servers
stop_servers() {
    bash scripts/pg.sh stop pg >/dev/null 2>&1 || true
    bash scripts/pg.sh stop sub >/dev/null 2>&1 || true
    bash scripts/pg.sh stop pgsrc >/dev/null 2>&1 || true
    bash scripts/mariadb.sh stop mariadb >/dev/null 2>&1 || true
}
stop_servers
rm -rf "$SYNCHDB_RUN/pg" "$SYNCHDB_RUN/sub" "$SYNCHDB_RUN/pgsrc" "$SYNCHDB_RUN/mariadb" "$SYNCHDB_RUN/binlogs" "$SYNCHDB_RUN/pgloader"
[[ $keep -eq 1 ]] || trap stop_servers EXIT

pg_conf="shared_buffers = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
max_logical_replication_workers = 8
wal_retrieve_retry_interval = 100ms"
SYNCHDB_PG_EXTRA_CONF="$pg_conf" bash scripts/pg.sh start pg
PORT=$SYNCHDB_SUBPORT SYNCHDB_PRELOAD=0 SYNCHDB_PG_EXTRA_CONF="$pg_conf" bash scripts/pg.sh start sub
if [[ ",$steps," == *,pgsrc,* ]]; then
    # The source of the postgres connector (and publisher for the native
    # subscriptions of step pgsrc): scram logins for its role bench_src ahead
    # of initdb's trust lines.
    PORT=$SYNCHDB_PGSRCPORT SYNCHDB_PRELOAD=0 \
        SYNCHDB_PG_EXTRA_CONF="$pg_conf"$'\nwal_level = logical\nmax_replication_slots = 20\nmax_wal_senders = 20' \
        bash scripts/pg.sh start pgsrc
    hba="$SYNCHDB_RUN/pgsrc/data/pg_hba.conf"
    sed -i "1i host replication bench_src 127.0.0.1/32 scram-sha-256" "$hba"
    sed -i "1i host all bench_src 127.0.0.1/32 scram-sha-256" "$hba"
    PORT=$SYNCHDB_PGSRCPORT pg_psql pgsrc -qAt -c "SELECT pg_reload_conf()" >/dev/null
fi
SYNCHDB_MY_EXTRA_OPTS="--innodb-buffer-pool-size=1G --innodb-log-file-size=1G --max-allowed-packet=256M" \
    bash scripts/mariadb.sh start mariadb

ts="$(date -u +%Y%m%d-%H%M%S)"
suffix=""
[[ $quick -eq 0 ]] || suffix=-quick
out="bench/results/$ts$suffix.md"
args=(--runs "$runs" --steps "$steps" --out "$out" "${extra[@]}")
[[ $quick -eq 1 ]] && args+=(--quick)
rc=0
"$SYNCHDB_PYTHON" bench/bench.py "${args[@]}" || rc=$?
echo "run.sh: results in $out"
exit $rc
