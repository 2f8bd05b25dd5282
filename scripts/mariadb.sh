#!/usr/bin/env bash
# synchdb: manage a private MariaDB server under $SYNCHDB_RUN.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

usage() {
    cat <<EOF
usage: ${0##*/} <init|start|stop|restart|kill9|status> [instance]

Instance "mariadb" (default) listens on 127.0.0.1:\$SYNCHDB_MYPORT ($SYNCHDB_MYPORT);
any other instance needs PORT=<n> at its first init/start (it is remembered).
Files: \$SYNCHDB_RUN/<instance>/{data,mysqld.sock,mysqld.pid,error.log,port}.
root has no password over the socket: see my_client in scripts/env.sh.

  init     mariadb-install-db; start does it if needed
  start    start mariadbd in the background and wait until it answers
  stop     clean shutdown (mariadb-admin shutdown, else SIGTERM); no-op when not running
  restart  stop + start
  kill9    SIGKILL mariadbd and wait until it is gone
  status   exit 0 when running, 3 when not

Environment read at start:
  SYNCHDB_MY_LOGBIN=0       no binary log (default: ROW, FULL image, CRC32 checksums)
  SYNCHDB_MY_EXTRA_OPTS     extra mariadbd options (split on whitespace)
  SYNCHDB_START_TIMEOUT     seconds to wait for start/stop (default 60)
EOF
}

die() { echo "mariadb.sh: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || { usage >&2; exit 2; }
cmd="$1"
inst="${2:-mariadb}"
[[ "$inst" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad instance name '$inst'"

dir="$SYNCHDB_RUN/$inst"
data="$dir/data"
sock="$dir/mysqld.sock"
pidfile="$dir/mysqld.pid"
errlog="$dir/error.log"
portfile="$dir/port"
timeout="${SYNCHDB_START_TIMEOUT:-60}"

# mariadbd runs as mysql when we are root, else as ourselves.
user_opt=()
if [[ $EUID -eq 0 ]]; then
    id -u mysql >/dev/null 2>&1 || die "OS user mysql missing (run scripts/deps.sh)"
    user_opt=(--user=mysql)
    owner=mysql
else
    owner="$(id -un)"
fi

admin() {
    mariadb-admin --no-defaults -uroot --socket="$sock" --connect-timeout=5 "$@"
}

# A process exists and is not a zombie.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

server_pid() {
    local pid
    pid="$(cat "$pidfile" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" &&
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == mariadbd || "$(cat "/proc/$pid/comm" 2>/dev/null)" == mysqld ]] &&
        echo "$pid"
}

is_running() { server_pid >/dev/null; }

wait_gone() {   # pid seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

# The port of this instance: stored at init; checked against the environment.
resolve_port() { synchdb_resolve_port mariadb "$SYNCHDB_MYPORT"; }

do_init() {
    resolve_port
    if [[ -d "$data/mysql" ]]; then
        echo "mariadb.sh: instance '$inst' already initialized ($data)"
        return 0
    fi
    [[ ! -e "$data" ]] || die "$data exists but is not a MariaDB data directory"
    mkdir -p "$SYNCHDB_RUN" "$dir"
    chmod 755 "$SYNCHDB_RUN" 2>/dev/null || true   # may be someone else's
    chmod 755 "$dir"
    if [[ $EUID -eq 0 ]]; then
        chown "$owner": "$dir"
        runuser -u mysql -- test -w "$dir" ||
            die "$dir is not reachable by the mysql user: give SYNCHDB_RUN a path that it can traverse"
    fi
    # Install into a scratch dir and rename it: a failed init leaves no data dir.
    # --cross-bootstrap: no root@<hostname> account (useless with
    # --skip-name-resolve, and the server warns about it at every start).
    rm -rf "$data.tmp"
    if ! mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$data.tmp" \
            --auth-root-authentication-method=normal --skip-test-db --cross-bootstrap \
            >"$dir/install-db.log" 2>&1; then
        cat "$dir/install-db.log" >&2
        die "mariadb-install-db failed"
    fi
    mv "$data.tmp" "$data"
    echo "$port" >"$portfile"
    echo "mariadb.sh: initialized instance '$inst' in $data (port $port)"
}

do_start() {
    [[ ! -f "$portfile" ]] || resolve_port
    if is_running; then
        echo "mariadb.sh: instance '$inst' already running"
        return 0
    fi
    if [[ -d "$data/mysql" ]]; then
        resolve_port
    else
        do_init
    fi
    (( ${#sock} < 108 )) || die "socket path too long: $sock (use a shorter SYNCHDB_RUN)"
    local opts=(
        "${user_opt[@]}"
        --datadir="$data" --bind-address=127.0.0.1 --port="$port"
        --socket="$sock" --pid-file="$pidfile" --log-error="$errlog"
        --server-id=1
        --skip-name-resolve
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
        --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1
        --sync-binlog=1 --max-connections=200
    )
    if [[ "${SYNCHDB_MY_LOGBIN:-1}" != 0 ]]; then
        opts+=(--log-bin=mysql-bin --binlog-format=ROW --binlog-row-image=FULL
               --binlog-checksum=CRC32 --expire-logs-days=0)
    fi
    local extra=()
    read -r -a extra <<<"${SYNCHDB_MY_EXTRA_OPTS:-}"   # split on whitespace, no globbing
    opts+=("${extra[@]}")

    touch "$errlog"
    [[ $EUID -ne 0 ]] || chown "$owner": "$errlog"
    rm -f "$pidfile"   # so that a pid found there below is the new server's
    local off start_ts=$SECONDS bgpid pid
    off="$(stat -c %s "$errlog")"
    setsid mariadbd --no-defaults "${opts[@]}" </dev/null >>"$errlog" 2>&1 &
    bgpid=$!
    until admin ping >/dev/null 2>&1 && pid="$(server_pid)"; do
        if ! alive "$bgpid" || (( SECONDS - start_ts >= timeout )); then
            if alive "$bgpid"; then
                echo "mariadb.sh: instance '$inst' not up after ${timeout}s" >&2
            else
                echo "mariadb.sh: instance '$inst' failed to start" >&2
            fi
            echo "mariadb.sh: what it logged to $errlog:" >&2
            tail -c +"$((off + 1))" "$errlog" | tail -n 30 | sed 's/^/    /' >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "mariadb.sh: instance '$inst' started on 127.0.0.1:$port in $((SECONDS - start_ts))s (pid $pid)"
}

do_stop() {
    local pid
    if ! pid="$(server_pid)"; then
        echo "mariadb.sh: instance '$inst' not running"
        return 0
    fi
    if ! admin shutdown >/dev/null 2>&1; then
        echo "mariadb.sh: mariadb-admin shutdown failed, sending SIGTERM to $pid" >&2
        kill -TERM "$pid" 2>/dev/null || true
    fi
    if ! wait_gone "$pid" "$timeout"; then
        echo "mariadb.sh: instance '$inst' did not stop in ${timeout}s; tail of $errlog:" >&2
        tail -n 20 "$errlog" | sed 's/^/    /' >&2
        exit 1
    fi
    echo "mariadb.sh: instance '$inst' stopped"
}

do_kill9() {
    local pid
    if ! pid="$(server_pid)"; then
        echo "mariadb.sh: instance '$inst' not running"
        return 0
    fi
    kill -KILL "$pid"
    wait_gone "$pid" 30 || die "mariadbd $pid still alive after SIGKILL"
    echo "mariadb.sh: instance '$inst' killed (pid $pid)"
}

do_status() {
    local pid
    if pid="$(server_pid)"; then
        echo "mariadb.sh: instance '$inst' running (pid $pid, port $(cat "$portfile"))"
        return 0
    fi
    echo "mariadb.sh: instance '$inst' not running"
    return 3
}

case "$cmd" in
    init)    do_init ;;
    start)   do_start ;;
    stop)    do_stop ;;
    restart) do_stop; do_start ;;
    kill9)   do_kill9 ;;
    status)  do_status ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
