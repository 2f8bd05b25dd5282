#!/usr/bin/env bash
# synchdb: the main job on a fresh Debian 12 machine, in one command.
#
#   bash scripts/demo.sh          install dependencies, build and install synchdb, start a
#                                 private MariaDB (sample "inventory" database) and a private
#                                 PostgreSQL 15 on loopback ports, run the quick start, and show
#                                 rows arriving in PostgreSQL as they change in MariaDB
#   bash scripts/demo.sh stop     stop both servers
#
# The servers keep running afterwards so that you can look around; the script
# prints how to connect.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

if [[ "${1:-}" == stop ]]; then
    bash scripts/pg.sh stop pg
    bash scripts/mariadb.sh stop mariadb
    exit 0
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "installing dependencies (Debian packages)"
bash scripts/deps.sh

step "building and installing synchdb"
make -j2 PG_CONFIG="$PG_CONFIG" >/dev/null
make install PG_CONFIG="$PG_CONFIG" >/dev/null
echo "installed into $("$PG_CONFIG" --pkglibdir)"

step "starting MariaDB (127.0.0.1:$SYNCHDB_MYPORT) with the sample inventory database"
bash scripts/mariadb.sh start mariadb
my_client mariadb < scripts/sample/inventory.sql
my_client mariadb -e "SELECT COUNT(*) AS orders FROM inventory.orders"

step "starting PostgreSQL 15 (127.0.0.1:$SYNCHDB_PGPORT) with shared_preload_libraries = synchdb"
bash scripts/pg.sh start pg

step "quick start: CREATE EXTENSION, synchdb_add_conninfo, synchdb_start_engine_bgw"
pg_psql pg -v ON_ERROR_STOP=1 <<SQL
DO \$\$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'synchdb') THEN
    PERFORM synchdb_del_conninfo(name) FROM synchdb_conninfo WHERE name = 'mysqlconn';
  END IF;
  IF to_regclass('_synchdb.offsets') IS NOT NULL THEN
    DELETE FROM _synchdb.offsets WHERE connector = 'mysqlconn';
  END IF;
END \$\$;
DROP SCHEMA IF EXISTS inventory CASCADE;
CREATE EXTENSION IF NOT EXISTS synchdb CASCADE;
SELECT synchdb_add_conninfo('mysqlconn', '127.0.0.1', $SYNCHDB_MYPORT, 'mysqluser', 'mysqlpwd',
                            'inventory', 'postgres', '', 'mysql', '');
SELECT name, isactive, data - 'pwd' AS data FROM synchdb_conninfo;
SELECT synchdb_start_engine_bgw('mysqlconn');
SQL

wait_for() {  # wait_for <seconds> <sql returning t>
    local deadline=$((SECONDS + $1))
    while (( SECONDS < deadline )); do
        [[ "$(pg_psql pg -Atc "$2" 2>/dev/null)" == t ]] && return 0
        sleep 0.5
    done
    return 1
}

step "waiting for the initial snapshot"
if ! wait_for 60 "SELECT stage = 'change data capture' FROM synchdb_state_view WHERE conninfo_name = 'mysqlconn'"; then
    pg_psql pg -c "SELECT conninfo_name, pid, state, stage, err FROM synchdb_state_view WHERE conninfo_name = 'mysqlconn'"
    echo "the connector did not reach change data capture; see $(bash scripts/pg.sh log pg)" >&2
    exit 1
fi
pg_psql pg -c "SELECT id, connector, conninfo_name, pid, state, err, last_dbz_offset, stage FROM synchdb_state_view WHERE conninfo_name = 'mysqlconn'"
pg_psql pg -c "SELECT * FROM inventory.orders ORDER BY order_number"

step "changing rows in MariaDB"
my_client mariadb -v inventory <<'SQL'
INSERT INTO orders (order_date, purchaser, quantity, product_id) VALUES ('2024-03-01', 1004, 5, 103);
UPDATE orders SET quantity = quantity + 10 WHERE order_number = 10001;
DELETE FROM orders WHERE order_number = 10002;
SQL

step "the same rows in PostgreSQL"
wait_for 30 "SELECT count(*) = 4 AND bool_or(order_number = 10005) AND NOT bool_or(order_number = 10002) FROM inventory.orders" || true
pg_psql pg -c "SELECT * FROM inventory.orders ORDER BY order_number"
pg_psql pg -c "SELECT conninfo_name, state, err, last_dbz_offset FROM synchdb_state_view WHERE conninfo_name = 'mysqlconn'"

cat <<EOF

synchdb is replicating MariaDB's inventory database into PostgreSQL.
  PostgreSQL:  psql -h 127.0.0.1 -p $SYNCHDB_PGPORT -U postgres
  MariaDB:     mariadb -h 127.0.0.1 -P $SYNCHDB_MYPORT -u mysqluser -pmysqlpwd inventory
  Stop both:   bash scripts/demo.sh stop
EOF
