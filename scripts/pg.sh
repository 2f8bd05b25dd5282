#!/usr/bin/env bash
# synchdb: manage a private PostgreSQL 15 cluster under $SYNCHDB_RUN.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

usage() {
    cat <<EOF
usage: ${0##*/} <init|start|stop|restart|kill9|status|log> [instance]

Instance "pg" (default) listens on 127.0.0.1:\$SYNCHDB_PGPORT ($SYNCHDB_PGPORT);
any other instance needs PORT=<n> at its first init/start (it is remembered).
Files: \$SYNCHDB_RUN/<instance>/{data,server.log,port}, socket dir \$SYNCHDB_RUN/<instance>.

  init     initdb (trust auth, superuser postgres, UTF8, C.UTF-8); start does it if needed
  start    start and wait (pg_ctl -w); prints the log tail on failure
  stop     fast shutdown; no-op when not running
  restart  stop + start
  kill9    SIGKILL the postmaster, wait until it and its children are gone
  status   exit 0 when running, 3 when not
  log      print the path of the server log

Environment read at init/start (the settings file is rewritten at every start):
  SYNCHDB_PRELOAD=0         do not put synchdb in shared_preload_libraries
  SYNCHDB_PG_EXTRA_CONF     extra postgresql.conf lines (newline separated)
  SYNCHDB_START_TIMEOUT     seconds to wait for start/stop (default 60)
EOF
}

die() { echo "pg.sh: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || { usage >&2; exit 2; }
cmd="$1"
inst="${2:-pg}"
[[ "$inst" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad instance name '$inst'"

dir="$SYNCHDB_RUN/$inst"
data="$dir/data"
log="$dir/server.log"
portfile="$dir/port"
timeout="${SYNCHDB_START_TIMEOUT:-60}"

# Owner of the server files: postgres when we are root, else ourselves.
if [[ $EUID -eq 0 ]]; then
    owner=postgres
    id -u postgres >/dev/null 2>&1 || die "OS user postgres missing (run scripts/deps.sh)"
else
    owner="$(id -un)"
fi

pgctl() { as_pg "$PG_BINDIR/pg_ctl" -D "$data" "$@"; }

# Children of a process, from /proc (no procps needed).
children_of() {
    local f stat rest ppid
    for f in /proc/[0-9]*/stat; do
        stat="$(cat "$f" 2>/dev/null)" || continue
        rest="${stat##*) }"            # after "pid (comm) "
        read -r _ ppid _ <<<"$rest"
        if [[ "$ppid" == "$1" ]]; then
            f="${f#/proc/}"
            echo "${f%/stat}"
        fi
    done
}

# A process exists and is not a zombie.
alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat:0:1}" != Z ]]
}

# Running: postmaster.pid names a live (non-zombie) process.
is_running() {
    local pid
    [[ -f "$data/postmaster.pid" ]] || return 1
    pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" &&
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres* ]]
}

# The port of this instance: stored at init; checked against the environment.
resolve_port() { synchdb_resolve_port pg "$SYNCHDB_PGPORT"; }

make_run_dirs() {
    mkdir -p "$SYNCHDB_RUN" "$dir"
    chmod 755 "$SYNCHDB_RUN" 2>/dev/null || true   # may be someone else's
    chmod 755 "$dir"
    if [[ $EUID -eq 0 ]]; then
        chown "$owner": "$dir"
        as_pg test -w "$dir" ||
            die "$dir is not reachable by the postgres user: give SYNCHDB_RUN a path that it can traverse"
    fi
}

# The settings we manage live in data/synchdb.conf, included from the end of
# postgresql.conf; it is rewritten from the environment at every start.
write_conf() {
    local preload="" conf="$data/synchdb.conf"
    [[ "${SYNCHDB_PRELOAD:-1}" == 0 ]] || preload="synchdb"
    {
        echo "# Written by scripts/pg.sh at every start; edits here are lost."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "shared_preload_libraries = '$preload'"
        echo "max_worker_processes = 48"
        echo "max_connections = 100"
        echo "wal_level = logical"
        echo "max_replication_slots = 10"
        echo "max_wal_senders = 10"
        echo "fsync = on"
        echo "logging_collector = off"
        echo "log_line_prefix = '%m [%p] %b '"
        if [[ -n "${SYNCHDB_PG_EXTRA_CONF:-}" ]]; then
            echo "# from SYNCHDB_PG_EXTRA_CONF"
            printf '%s\n' "$SYNCHDB_PG_EXTRA_CONF"
        fi
    } >"$conf.tmp"
    mv "$conf.tmp" "$conf"
    [[ $EUID -ne 0 ]] || chown "$owner": "$conf"
}

do_init() {
    resolve_port
    if [[ -f "$data/PG_VERSION" ]]; then
        echo "pg.sh: instance '$inst' already initialized ($data)"
        write_conf
        return 0
    fi
    [[ ! -e "$data" ]] || die "$data exists but is not a PostgreSQL data directory"
    make_run_dirs
    # initdb into a scratch dir and rename it: a failed init leaves no data dir.
    rm -rf "$data.tmp"
    if ! as_pg "$PG_BINDIR/initdb" -D "$data.tmp" --auth=trust -U postgres \
            -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    fi
    mv "$data.tmp" "$data"
    echo "$port" >"$portfile"
    printf "\n# synchdb: settings managed by scripts/pg.sh\ninclude = 'synchdb.conf'\n" \
        >>"$data/postgresql.conf"
    write_conf
    echo "pg.sh: initialized instance '$inst' in $data (port $port)"
}

# After a crash the pid in a stale postmaster.pid may still be a zombie for
# a moment; PostgreSQL refuses to start until it is reaped.
wait_stale_pid_reaped() {
    local pid i
    pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null)" || return 0
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    for ((i = 0; i < 100; i++)); do
        [[ -e "/proc/$pid" ]] || return 0
        sleep 0.1
    done
}

do_start() {
    [[ ! -f "$portfile" ]] || resolve_port
    if is_running; then
        echo "pg.sh: instance '$inst' already running"
        return 0
    fi
    if [[ -f "$data/PG_VERSION" ]]; then
        resolve_port
        write_conf
    else
        do_init
    fi
    wait_stale_pid_reaped
    local sock="$dir/.s.PGSQL.$port"
    (( ${#sock} < 108 )) || die "socket path too long: $sock (use a shorter SYNCHDB_RUN)"
    touch "$log"
    [[ $EUID -ne 0 ]] || chown "$owner": "$log"
    local start_ts=$SECONDS out off
    off="$(stat -c %s "$log")"
    if ! out="$(pgctl start -w -t "$timeout" -l "$log" 2>&1)"; then
        echo "pg.sh: instance '$inst' failed to start: ${out//$'\n'/ }" >&2
        echo "pg.sh: what it logged to $log:" >&2
        tail -c +"$((off + 1))" "$log" | tail -n 30 | sed 's/^/    /' >&2
        if tail -c +"$((off + 1))" "$log" | grep -q 'could not access file "synchdb"'; then
            echo "pg.sh: hint: install the extension (make install) or start with SYNCHDB_PRELOAD=0" >&2
        fi
        exit 1
    fi
    echo "pg.sh: instance '$inst' started on 127.0.0.1:$port in $((SECONDS - start_ts))s"
}

do_stop() {
    if ! is_running; then
        echo "pg.sh: instance '$inst' not running"
        return 0
    fi
    if ! pgctl stop -m fast -w -t "$timeout" >/dev/null; then
        echo "pg.sh: instance '$inst' did not stop in ${timeout}s; tail of $log:" >&2
        tail -n 25 "$log" | sed 's/^/    /' >&2
        exit 1
    fi
    echo "pg.sh: instance '$inst' stopped"
}

# Crash the server: SIGKILL the postmaster.  Its children notice the
# postmaster's death and exit by themselves; any still there after 10s is
# killed too (a new postmaster refuses to start while they live).  Then wait
# until the postmaster's pid is gone for good: PostgreSQL treats a stale
# postmaster.pid as "another postmaster is running" while that pid exists,
# even as a zombie (on this VM init reaps orphans only every ~2s).
do_kill9() {
    if ! is_running; then
        echo "pg.sh: instance '$inst' not running"
        return 0
    fi
    local pid kids k left="" i
    pid="$(head -n 1 "$data/postmaster.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] || die "bad pid in $data/postmaster.pid"
    kids="$(children_of "$pid")"
    kill -KILL "$pid"
    for ((i = 0; i < 100; i++)); do
        left=""
        for k in $pid $kids; do alive "$k" && left+=" $k"; done
        [[ -n "$left" ]] || break
        sleep 0.1
    done
    if [[ -n "$left" ]]; then
        echo "pg.sh: processes still alive 10s after the postmaster was killed, killing them:" >&2
        for k in $left; do
            echo "    $k: $(tr '\0' ' ' <"/proc/$k/cmdline" 2>/dev/null)" >&2
            kill -KILL "$k" 2>/dev/null || true
        done
        for k in $left; do
            while alive "$k"; do sleep 0.05; done
        done
    fi
    for ((i = 0; i < 300; i++)); do
        [[ -e "/proc/$pid" ]] || break
        sleep 0.1
    done
    if [[ -e "/proc/$pid" ]]; then
        echo "pg.sh: warning: killed postmaster $pid is still an unreaped zombie;" \
             "PostgreSQL will not start on $data until it is reaped" >&2
    fi
    echo "pg.sh: instance '$inst' killed (postmaster $pid)"
}

do_status() {
    if is_running; then
        echo "pg.sh: instance '$inst' running (pid $(head -n 1 "$data/postmaster.pid"), port $(cat "$portfile"))"
        return 0
    fi
    echo "pg.sh: instance '$inst' not running"
    return 3
}

case "$cmd" in
    init)    do_init ;;
    start)   do_start ;;
    stop)    do_stop ;;
    restart) do_stop; do_start ;;
    kill9)   do_kill9 ;;
    status)  do_status ;;
    log)     echo "$log" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
