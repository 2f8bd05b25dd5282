#!/usr/bin/env bash
# synchdb: the long fault matrix (test/e2e/test_faults.py with SYNCHDB_FAULTS_LONG=1).
#
#   bash scripts/faults.sh                 build, install, start private servers, run the long matrix, stop them
#   bash scripts/faults.sh short           the short matrix only (what scripts/test.sh runs)
#   bash scripts/faults.sh long test_x     some cases of the long matrix
#
# Servers live under $SYNCHDB_TEST_RUN (default /tmp/synchdb-faults) on the ports of
# SYNCHDB_TEST_PGPORT / SYNCHDB_TEST_MYPORT (defaults 55452 / 33326), as scripts/test.sh does.
# SYNCHDB_FAULTS_SEED=<n> repeats a run's random moments (the seed is printed at the end).
# Takes about 14 minutes on 2 cores (long), 3-6 minutes (short).  Ends with "e2e: N passed, N failed"; non-zero exit on failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SYNCHDB_RUN="${SYNCHDB_TEST_RUN:-/tmp/synchdb-faults}"
export SYNCHDB_PGPORT="${SYNCHDB_TEST_PGPORT:-55452}"
export SYNCHDB_MYPORT="${SYNCHDB_TEST_MYPORT:-33326}"
# shellcheck source=scripts/env.sh
source scripts/env.sh

which="${1:-long}"
shift || true
case "$which" in
    long) export SYNCHDB_FAULTS_LONG=1 ;;
    short) export SYNCHDB_FAULTS_LONG=0 ;;
    *) echo "usage: $0 [long|short] [test_name ...]" >&2; exit 2 ;;
esac

stop_servers() {
    bash scripts/pg.sh stop pg >/dev/null 2>&1 || true
    bash scripts/mariadb.sh stop mariadb >/dev/null 2>&1 || true
}

if [[ "${SYNCHDB_SKIP_BUILD:-0}" != 1 ]]; then
    make -j2 PG_CONFIG="$PG_CONFIG" >/tmp/synchdb-faults-build.log 2>&1 &&
        make install PG_CONFIG="$PG_CONFIG" >>/tmp/synchdb-faults-build.log 2>&1 ||
        { tail -30 /tmp/synchdb-faults-build.log; echo "e2e: 0 passed, 1 failed"; exit 1; }
fi
stop_servers
rm -rf "$SYNCHDB_RUN"
mkdir -p "$SYNCHDB_RUN/logs"
trap stop_servers EXIT
bash scripts/pg.sh start pg && bash scripts/mariadb.sh start mariadb &&
    my_client mariadb < scripts/sample/inventory.sql ||
    { echo "could not start the servers"; echo "e2e: 0 passed, 1 failed"; exit 1; }

(cd test/e2e && "$SYNCHDB_PYTHON" test_faults.py "$@")
