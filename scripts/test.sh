#!/usr/bin/env bash
# synchdb: set up and run every test.
#
#   bash scripts/test.sh            install dependencies, build, install, start private
#                                   servers, run unit + SQL + end-to-end tests, stop servers
#   bash scripts/test.sh unit       only the core unit tests, the same under ASan+UBSan and a
#                                   short fuzz run (no servers; SYNCHDB_FUZZ_SECONDS per target)
#
# Servers live under $SYNCHDB_TEST_RUN (default /tmp/synchdb-test) on their own
# ports, so the demo's servers (scripts/demo.sh) are left alone.  Ends with one
# line "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SYNCHDB_RUN="${SYNCHDB_TEST_RUN:-/tmp/synchdb-test}"
export SYNCHDB_PGPORT="${SYNCHDB_TEST_PGPORT:-55442}"
export SYNCHDB_MYPORT="${SYNCHDB_TEST_MYPORT:-33316}"
export SYNCHDB_MY2PORT="${SYNCHDB_TEST_MY2PORT:-33317}"
export SYNCHDB_PGSRCPORT="${SYNCHDB_TEST_PGSRCPORT:-55443}"   # a second PostgreSQL: the source of postgres connectors
# shellcheck source=scripts/env.sh
source scripts/env.sh

only="${1:-all}"
passed=0
failed=0
skipped=0
log_dir="$SYNCHDB_RUN/logs"

count() { passed=$((passed + $1)); failed=$((failed + $2)); }
section() { printf '\n=== %s\n' "$*"; }

stop_servers() {
    bash scripts/pg.sh stop pg >/dev/null 2>&1 || true
    bash scripts/pg.sh stop pgsrc >/dev/null 2>&1 || true
    bash scripts/mariadb.sh stop mariadb >/dev/null 2>&1 || true
    bash scripts/mariadb.sh stop my2 >/dev/null 2>&1 || true
}

# ------------------------------------------------------------ set-up
if [[ "${SYNCHDB_SKIP_DEPS:-0}" != 1 ]]; then
    section "dependencies"
    bash scripts/deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }
fi

section "build"
if ! make -j2 WERROR=1 PG_CONFIG="$PG_CONFIG" >/tmp/synchdb-build.log 2>&1; then
    tail -40 /tmp/synchdb-build.log
    echo "0 passed, 1 failed"
    exit 1
fi
echo "built synchdb.so"

# ------------------------------------------------------------ unit tests
section "core unit tests"
# Tests that need a server run after the servers start (live unit tests below).
LIVE_UNIT='SchemaLive.*:PgSourceLive.*:PgStream.*'
if [[ "$only" != unit ]]; then export GTEST_FILTER="-$LIVE_UNIT"; fi
unit_out="$(make -j2 WERROR=1 unittest PG_CONFIG="$PG_CONFIG" 2>&1)"
unit_rc=$?
unset GTEST_FILTER
printf '%s\n' "$unit_out" | grep -E '^\[  (FAILED|PASSED) |^\[==========\]|Failure' | tail -30
up=$(printf '%s\n' "$unit_out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?.*/\1/p' | tail -1)
uf=$(printf '%s\n' "$unit_out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\?, listed below.*/\1/p' | tail -1)
us=$(printf '%s\n' "$unit_out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\?, listed below.*/\1/p' | tail -1)
up=${up:-0}; uf=${uf:-0}; us=${us:-0}
skipped=$((skipped + us))
if [[ $unit_rc -ne 0 && $uf -eq 0 ]]; then
    printf '%s\n' "$unit_out" | tail -20
    uf=1
fi
echo "unit: $up passed, $uf failed, $us skipped"
count "$up" "$uf"

summary() {
    if [[ $skipped -gt 0 ]]; then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
}

# ------------------------------------------------------------ sanitizer unit tests
# The unit tests again, built with clang under ASan+UBSan (scripts/sanitize.sh).
section "sanitizer unit tests"
san_out="$(GTEST_FILTER="-$LIVE_UNIT" SANITIZE_JOBS=2 bash scripts/sanitize.sh 2>&1)"
san_rc=$?
printf '%s\n' "$san_out" | grep -E '^\[  (FAILED|PASSED) |^\[==========\]|Failure|ERROR: |runtime error' | tail -30
sp=$(printf '%s\n' "$san_out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?.*/\1/p' | tail -1)
sf=$(printf '%s\n' "$san_out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\?, listed below.*/\1/p' | tail -1)
sp=${sp:-0}; sf=${sf:-0}
if [[ $san_rc -ne 0 && $sf -eq 0 ]]; then
    printf '%s\n' "$san_out" | tail -20
    sf=1
fi
echo "sanitizer unit: $sp passed, $sf failed"
count "$sp" "$sf"

# ------------------------------------------------------------ fuzz (short)
# Every libFuzzer target of test/fuzz for a few seconds (scripts/fuzz.sh); one test per target.
section "fuzz (short)"
fuzz_out="$(FUZZ_JOBS=2 bash scripts/fuzz.sh "${SYNCHDB_FUZZ_SECONDS:-15}" 2>&1)"
printf '%s\n' "$fuzz_out" | grep -vE '^fuzz: [0-9]+ passed'
fp=$(printf '%s\n' "$fuzz_out" | sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
ff=$(printf '%s\n' "$fuzz_out" | sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
if [[ -z "$fp" ]]; then fp=0; ff=1; fi
count "$fp" "$ff"

if [[ "$only" == unit ]]; then
    summary
    [[ $failed -eq 0 ]]
    exit
fi

# ------------------------------------------------------------ servers
section "install and start servers"
if ! make install PG_CONFIG="$PG_CONFIG" >/tmp/synchdb-install.log 2>&1; then
    tail -20 /tmp/synchdb-install.log
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi
stop_servers
rm -rf "$SYNCHDB_RUN"
mkdir -p "$log_dir"
trap stop_servers EXIT
started=1
bash scripts/pg.sh start pg || started=0
bash scripts/mariadb.sh start mariadb || started=0
PORT="$SYNCHDB_MY2PORT" SYNCHDB_MY_LOGBIN=0 bash scripts/mariadb.sh start my2 || started=0
PORT="$SYNCHDB_PGSRCPORT" SYNCHDB_PRELOAD=0 \
    SYNCHDB_PG_EXTRA_CONF=$'wal_level = logical\nmax_replication_slots = 20\nmax_wal_senders = 20' \
    bash scripts/pg.sh start pgsrc || started=0
if [[ $started -eq 1 ]]; then
    # Password logins (scram) for the source's test roles, ahead of the trust lines.
    hba="$SYNCHDB_RUN/pgsrc/data/pg_hba.conf"
    for u in synchdb_pwtest synchdb_src; do
        sed -i "1i host replication $u 127.0.0.1/32 scram-sha-256" "$hba"
        sed -i "1i host all $u 127.0.0.1/32 scram-sha-256" "$hba"
    done
    pg_psql pgsrc -qAt -c "SELECT pg_reload_conf()" >/dev/null || started=0
fi
if [[ $started -eq 1 ]]; then
    my_client mariadb < scripts/sample/inventory.sql || started=0
    my_client my2 < scripts/sample/inventory.sql || started=0
fi
if [[ $started -ne 1 ]]; then
    echo "could not start the test servers"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi

# ------------------------------------------------------------ live unit tests
section "live unit tests (MariaDB and the source PostgreSQL)"
my_client mariadb -e "CREATE USER IF NOT EXISTS 'unitlive'@'127.0.0.1' IDENTIFIED BY 'unitlive';
    GRANT ALL ON synchdb_schema_live_test.* TO 'unitlive'@'127.0.0.1';" >/dev/null 2>&1
live_out="$(SYNCHDB_TEST_MYSQL_PORT="$SYNCHDB_MYPORT" SYNCHDB_TEST_MYSQL_USER=unitlive SYNCHDB_TEST_MYSQL_PASSWORD=unitlive \
    SYNCHDB_PGSRC_PORT="$SYNCHDB_PGSRCPORT" SYNCHDB_FIXTURES="$PWD/test/fixtures" \
    test/unit/synchdb_unittest --gtest_filter="$LIVE_UNIT" 2>&1)"
live_rc=$?
printf '%s\n' "$live_out" | grep -E '^\[  (FAILED|PASSED|SKIPPED) |^\[==========\]|Failure' | tail -30
lp=$(printf '%s\n' "$live_out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\?.*/\1/p' | tail -1)
lf=$(printf '%s\n' "$live_out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\?, listed below.*/\1/p' | tail -1)
ls_=$(printf '%s\n' "$live_out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\?, listed below.*/\1/p' | tail -1)
lp=${lp:-0}; lf=${lf:-0}; ls_=${ls_:-0}
if [[ $live_rc -ne 0 && $lf -eq 0 ]]; then printf '%s\n' "$live_out" | tail -20; lf=1; fi
echo "live unit: $lp passed, $lf failed, $ls_ skipped"
count "$lp" "$lf"
skipped=$((skipped + ls_))

# ------------------------------------------------------------ SQL tests
section "SQL regression tests (make installcheck)"
reg_out="$(PGHOST=127.0.0.1 PGPORT="$SYNCHDB_PGPORT" PGUSER=postgres make installcheck PG_CONFIG="$PG_CONFIG" 2>&1)"
printf '%s\n' "$reg_out" | grep -E '^(test| ok|not ok)|tests (passed|failed)' || true
rp=$(printf '%s\n' "$reg_out" | grep -cE '^test .* \.\.\. ok')
rf=$(printf '%s\n' "$reg_out" | grep -cE '^test .* \.\.\. FAILED')
if [[ $rp -eq 0 && $rf -eq 0 ]]; then
    printf '%s\n' "$reg_out" | tail -20
    rf=1
fi
[[ $rf -gt 0 && -f test/regress/regression.diffs ]] && head -100 test/regress/regression.diffs
echo "sql: $rp passed, $rf failed"
count "$rp" "$rf"

# ------------------------------------------------------------ end-to-end tests
for t in test/e2e/test_*.py; do
    section "end-to-end: $t"
    e2e_out="$(cd test/e2e && "$SYNCHDB_PYTHON" "$(basename "$t")" 2>&1)"
    printf '%s\n' "$e2e_out"
    ep=$(printf '%s\n' "$e2e_out" | sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
    ef=$(printf '%s\n' "$e2e_out" | sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
    if [[ -z "$ep" ]]; then ep=0; ef=1; fi
    count "$ep" "$ef"
done

if [[ $failed -gt 0 ]]; then
    section "server log tail"
    tail -30 "$SYNCHDB_RUN/pg/server.log" 2>/dev/null
fi
section "summary"
summary
[[ $failed -eq 0 ]]
