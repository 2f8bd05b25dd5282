#!/usr/bin/env bash
# synchdb: install the Debian packages needed to build, run, test (and with
# --bench, benchmark) synchdb.  Fast no-op when all are installed already.
set -euo pipefail

usage() {
    cat <<EOF
usage: ${0##*/} [--bench]

Installs with apt-get the packages synchdb needs to build, run and test.
  --bench   also pgloader, sysbench, hyperfine and mysql_fdw for PostgreSQL 15
            (each skipped with a warning when Debian does not have it)
Runs apt-get update only when something is missing.  Needs root (or sudo).
EOF
}

bench=0
for arg in "$@"; do
    case "$arg" in
        --bench) bench=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

required=(
    postgresql-15 postgresql-server-dev-15 postgresql-contrib
    mariadb-server mariadb-client libmariadb-dev
    libzstd-dev zlib1g-dev pkg-config g++ make
    libgtest-dev googletest
    protobuf-compiler libprotobuf-dev
    clang libclang-rt-14-dev llvm
    python3 python3-psycopg2 python3-pymysql
    openssl
)
# Optional: installed when Debian has them, else skipped with a warning.
# PostGIS lets the tests map a geometry column to PostGIS's geometry type.
optional=(postgresql-15-postgis-3)
if [[ $bench -eq 1 ]]; then
    optional+=(pgloader sysbench hyperfine postgresql-15-mysql-fdw)
fi

export DEBIAN_FRONTEND=noninteractive

# One dpkg-query for all: packages it does not list are not installed.
declare -A have=()
while read -r pkg status; do
    [[ "$status" == installed ]] && have["${pkg%%:*}"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
             "${required[@]}" "${optional[@]}" 2>/dev/null || true)
missing=()
for p in "${required[@]}" "${optional[@]}"; do
    [[ -n "${have[$p]:-}" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "deps.sh: all $(( ${#required[@]} + ${#optional[@]} )) packages already installed"
    exit 0
fi

sudo=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo -E)
fi

apt_log="$(mktemp /tmp/synchdb-deps.XXXXXX.log)"
trap 'rm -f "$apt_log"' EXIT
run_apt() {
    if ! "${sudo[@]}" "$@" >>"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        echo "deps.sh: failed: $*" >&2
        exit 1
    fi
}

run_apt apt-get update -q

# Does Debian have an installable version of this package?
available() {
    local cand
    cand="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
    [[ -n "$cand" && "$cand" != "(none)" ]]
}

# postgresql-contrib is a separate (meta) package only in some releases.
to_install=() skipped=()
for p in "${missing[@]}"; do
    if available "$p"; then
        to_install+=("$p")
    elif [[ " ${optional[*]} postgresql-contrib " == *" $p "* ]]; then
        skipped+=("$p")
        echo "deps.sh: warning: Debian has no package $p, skipped" >&2
    else
        echo "deps.sh: Debian has no package $p" >&2
        exit 1
    fi
done

if [[ ${#to_install[@]} -gt 0 ]]; then
    run_apt apt-get install -y -q --no-install-recommends "${to_install[@]}"
fi
echo "deps.sh: installed ${to_install[*]:-nothing}${skipped:+ (skipped: ${skipped[*]})}"
