#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL 15 cluster for tests and the demo.
#
#   tools/pg-temp-server.sh start DIR PORT
#   tools/pg-temp-server.sh stop DIR
#
# The cluster lives in DIR/data, listens only on a unix socket in DIR/sock and logs to
# DIR/server.log. PostgreSQL refuses to run as root, so the server runs as the `postgres`
# OS user (directly when this script already runs as postgres, through runuser or su when
# it runs as root). The server's environment has OPENBLAS_NUM_THREADS=1.
# PGBIN overrides the directory of the server binaries.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=postgres

usage() {
    echo "usage: $0 start DIR PORT" >&2
    echo "       $0 stop DIR" >&2
    exit 2
}

# Runs a command as the postgres OS user, from / so that it does not depend on the
# caller's working directory being readable by postgres.
as_postgres() {
    if [ "$(id -un)" = "$PGUSER_OS" ]; then
        (cd / && "$@")
    elif [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u "$PGUSER_OS" -- "$@")
        else
            (cd / && su "$PGUSER_OS" -s /bin/sh -c "$(printf '%q ' "$@")")
        fi
    else
        echo "pg-temp-server: run this as root or as the $PGUSER_OS user" >&2
        exit 1
    fi
}

# Makes sure the postgres user can reach DIR: every ancestor, checked from / downwards,
# gets o+x if postgres cannot traverse it (e.g. a mode 700 directory made by mktemp -d).
make_reachable() {
    local path=$1 ancestors=()
    [ "$(id -u)" -eq 0 ] || return 0
    while [ "$path" != / ]; do
        ancestors=("$path" "${ancestors[@]}")
        path=$(dirname "$path")
    done
    for path in "${ancestors[@]}"; do
        if ! as_postgres test -x "$path"; then
            echo "pg-temp-server: making $path traversable for $PGUSER_OS (chmod o+x)"
            chmod o+x "$path"
        fi
    done
}

is_running() {
    [ -f "$1/data/postmaster.pid" ] &&
        as_postgres "$PGBIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

start() {
    local dir=$1 port=$2
    case "$port" in
        ''|*[!0-9]*) echo "pg-temp-server: PORT must be a number, got '$port'" >&2; exit 2 ;;
    esac
    if ! id "$PGUSER_OS" >/dev/null 2>&1; then
        echo "pg-temp-server: OS user $PGUSER_OS does not exist (is postgresql-15 installed?)" >&2
        exit 1
    fi
    if [ ! -x "$PGBIN/initdb" ]; then
        echo "pg-temp-server: $PGBIN/initdb not found (install postgresql-15 or set PGBIN)" >&2
        exit 1
    fi

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [ "$(id -u)" -eq 0 ]; then
        chown "$PGUSER_OS": "$dir"
        chmod 755 "$dir"
    fi
    make_reachable "$dir"

    if is_running "$dir"; then
        echo "pg-temp-server: a server is already running in $dir/data"
    else
        if [ ! -f "$dir/data/PG_VERSION" ]; then
            as_postgres mkdir -p "$dir/sock"
            if ! as_postgres "$PGBIN/initdb" -D "$dir/data" --auth=trust -U postgres --no-sync \
                    --no-locale --encoding=UTF8 >"$dir/initdb.log" 2>&1; then
                echo "pg-temp-server: initdb failed:" >&2
                cat "$dir/initdb.log" >&2
                exit 1
            fi
            cat >>"$dir/data/postgresql.conf" <<EOF

# added by tools/pg-temp-server.sh
listen_addresses = ''
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
max_connections = 50
shared_buffers = 128MB
logging_collector = off
EOF
        fi
        if ! as_postgres env OPENBLAS_NUM_THREADS=1 "$PGBIN/pg_ctl" -D "$dir/data" \
                -l "$dir/server.log" -o "-p $port" -w -t 60 start >/dev/null; then
            echo "pg-temp-server: server did not start; end of $dir/server.log:" >&2
            tail -n 40 "$dir/server.log" >&2 || true
            exit 1
        fi
    fi

    local tries=0
    until "$PGBIN/pg_isready" -q -h "$dir/sock" -p "$port" -U postgres -d postgres; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then
            echo "pg-temp-server: server not ready after 30 s; end of $dir/server.log:" >&2
            tail -n 40 "$dir/server.log" >&2 || true
            exit 1
        fi
        sleep 0.5
    done
    echo "pg-temp-server: ready; connect with: psql -h $dir/sock -p $port -U postgres"
}

stop() {
    local dir=$1
    if [ ! -d "$dir" ]; then
        return 0
    fi
    dir=$(cd "$dir" && pwd -P)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/data/postmaster.pid" ] && is_running "$dir"; then
        echo "pg-temp-server: server in $dir/data is still running" >&2
        exit 1
    fi
    echo "pg-temp-server: stopped $dir"
}

case "${1:-}" in
    start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
    stop)  [ $# -eq 2 ] || usage; stop "$2" ;;
    *) usage ;;
esac
