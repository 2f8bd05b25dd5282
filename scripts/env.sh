#!/usr/bin/env bash
# synchdb: common environment for the scripts, tests and benchmarks.
#
#   source scripts/env.sh
#
# Every variable below is only a default: a value already set in the caller's
# environment wins.  This file sets no shell options (set -e etc.), so it can
# be sourced from an interactive shell too.
#
#   SYNCHDB_RUN      base dir for server data, sockets, logs (/tmp/synchdb-run)
#   PG_CONFIG        pg_config of PostgreSQL 15
#   PG_BINDIR        bin dir of PostgreSQL 15 (initdb, pg_ctl, psql, ...)
#   SYNCHDB_PGPORT   TCP port of the default PostgreSQL instance "pg" (55432)
#   SYNCHDB_MYPORT   TCP port of the default MariaDB instance "mariadb" (33306)
#   SYNCHDB_PYTHON   python3 with Debian's psycopg2/pymysql (/usr/bin/python3)
#
# Functions:
#   as_pg CMD...                   run CMD as the postgres OS user when root
#   pg_psql [instance] [args...]   psql -h 127.0.0.1 -U postgres, db postgres
#   my_client [instance] [args...] mariadb client as root over the socket
# For pg_psql and my_client the first argument is taken as the instance name
# when it does not start with '-'; otherwise the default instance is used.

SYNCHDB_ROOT="${SYNCHDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export SYNCHDB_ROOT

export SYNCHDB_RUN="${SYNCHDB_RUN:-/tmp/synchdb-run}"

if [[ -z "${PG_CONFIG:-}" ]]; then
    if [[ -x /usr/lib/postgresql/15/bin/pg_config ]]; then
        PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
    else
        PG_CONFIG=pg_config
    fi
fi
export PG_CONFIG

if [[ -z "${PG_BINDIR:-}" ]]; then
    if command -v pg_config >/dev/null 2>&1 &&
       [[ "$(pg_config --version 2>/dev/null)" == "PostgreSQL 15."* ]]; then
        PG_BINDIR="$(pg_config --bindir)"
    else
        PG_BINDIR=/usr/lib/postgresql/15/bin
    fi
fi
export PG_BINDIR

export SYNCHDB_PGPORT="${SYNCHDB_PGPORT:-55432}"
export SYNCHDB_MYPORT="${SYNCHDB_MYPORT:-33306}"

# The Debian python3, which sees python3-psycopg2 and python3-pymysql (a
# "python3" earlier in PATH, e.g. a pyenv shim, may not).
if [[ -z "${SYNCHDB_PYTHON:-}" ]]; then
    if [[ -x /usr/bin/python3 ]]; then
        SYNCHDB_PYTHON=/usr/bin/python3
    else
        SYNCHDB_PYTHON=python3
    fi
fi
export SYNCHDB_PYTHON

# Run a command as the postgres OS user when we are root, else directly.
# When the current directory is not accessible to postgres, the command runs
# from / instead (initdb and pg_ctl complain about an unreadable cwd).
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        # shellcheck disable=SC2016  # $1, $@ are the inner shell's
        runuser -u postgres -- /bin/sh -c \
            'cd "$1" 2>/dev/null || cd /; shift; exec "$@"' sh "$PWD" "$@"
    else
        "$@"
    fi
}

# Port of a PostgreSQL instance: the one stored at init, else the default.
synchdb_pg_port() {
    local inst="${1:-pg}"
    if [[ -r "$SYNCHDB_RUN/$inst/port" ]]; then
        cat "$SYNCHDB_RUN/$inst/port"
    elif [[ "$inst" == pg ]]; then
        echo "$SYNCHDB_PGPORT"
    elif [[ -n "${PORT:-}" ]]; then
        echo "$PORT"
    else
        echo "synchdb: unknown port of PostgreSQL instance '$inst' (not initialized; set PORT=)" >&2
        return 1
    fi
}

# psql connected over TCP to 127.0.0.1 as superuser postgres; database
# postgres unless the arguments name another (-d db, or a positional name).
pg_psql() {
    local inst=pg port
    if [[ $# -gt 0 && "$1" != -* ]]; then
        inst="$1"
        shift
    fi
    port="$(synchdb_pg_port "$inst")" || return 1
    PGDATABASE=postgres PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}" \
        "$PG_BINDIR/psql" -X -h 127.0.0.1 -p "$port" -U postgres "$@"
}

# The mariadb client, as root of the given MariaDB instance over its socket.
my_client() {
    local inst=mariadb
    if [[ $# -gt 0 && "$1" != -* ]]; then
        inst="$1"
        shift
    fi
    mariadb --no-defaults --default-character-set=utf8mb4 -uroot \
        --socket="$SYNCHDB_RUN/$inst/mysqld.sock" "$@"
}

# For pg.sh and mariadb.sh: the port of instance $inst, stored in $portfile
# at init and checked against the environment; sets port.  $1 is the
# default instance, $2 its port; other instances take PORT=<n>.  Uses the
# caller's inst, dir, portfile and die.
synchdb_resolve_port() {
    local want=""
    if [[ "$inst" == "$1" ]]; then
        want="$2"
    elif [[ -n "${PORT:-}" ]]; then
        want="$PORT"
    fi
    if [[ -f "$portfile" ]]; then
        port="$(cat "$portfile")"
        if [[ -n "$want" && "$want" != "$port" ]]; then
            die "instance '$inst' was initialized with port $port, not $want (remove $dir to start over)"
        fi
    else
        [[ -n "$want" ]] || die "instance '$inst' is new: give its port as PORT=<n>"
        port="$want"
    fi
    [[ "$port" =~ ^[0-9]+$ ]] || die "bad port '$port'"
}
