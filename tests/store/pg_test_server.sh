#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests (a ctest fixture, see tests/CMakeLists.txt).
#
#   tests/store/pg_test_server.sh start DIR   # prints the URI and writes it to DIR/uri
#   tests/store/pg_test_server.sh stop DIR
#
# start: initdb into a new directory under /tmp, a superuser `netpolgen` with a random password
# and scram-sha-256 authentication for every connection, pg_ctl on a free 127.0.0.1 port (Unix
# socket in the data directory, so nothing touches the system cluster), then database `netpolgen`.
# The URI is postgresql://netpolgen:PASSWORD@127.0.0.1:PORT/netpolgen.
#
# initdb and postgres refuse to run as root: as root the server runs as the `postgres` user
# (runuser), which owns the temporary directory. Each DIR is its own server with its own port, so
# several build dirs (release, ASan) can run their tests at once.
#
# NETPOLGEN_SKIP_PG=1: do nothing (the PostgreSQL tests then skip instead of failing).
set -euo pipefail
umask 077  # the URI file holds the password

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
if [ "${NETPOLGEN_SKIP_PG:-}" = 1 ]; then
    echo "NETPOLGEN_SKIP_PG=1: no PostgreSQL test server"
    exit 0
fi

pgbin=${NETPOLGEN_PG_BIN:-/usr/lib/postgresql/15/bin}
as_server=()
if [ "$(id -u)" = 0 ]; then
    as_server=(runuser -u postgres --)
fi

stop_server() {
    [ -f "$dir/data_dir" ] || return 0
    local data
    data=$(cat "$dir/data_dir")
    if [ -f "$data/data/postmaster.pid" ]; then
        # immediate: the data is thrown away anyway, no need for a checkpoint.
        "${as_server[@]}" "$pgbin/pg_ctl" -D "$data/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case "$data" in
        /tmp/netpolgen-pg.*) rm -rf "$data" ;;
    esac
    rm -f "$dir/data_dir" "$dir/uri"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    stop_server  # a server left over by an interrupted run
    mkdir -p "$dir"
    local data password port started=0
    data=$(mktemp -d /tmp/netpolgen-pg.XXXXXX)
    echo "$data" >"$dir/data_dir"
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" >"$data/pwfile"
    chmod 600 "$data/pwfile"
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres: "$data"
    fi
    if ! "${as_server[@]}" "$pgbin/initdb" -D "$data/data" -U netpolgen --pwfile="$data/pwfile" \
        --auth=scram-sha-256 -E UTF8 --no-locale >"$data/initdb.log" 2>&1; then
        cat "$data/initdb.log" >&2
        return 1
    fi
    rm -f "$data/pwfile"
    # Another process may take the port between the probe and the bind: try a few.
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if "${as_server[@]}" "$pgbin/pg_ctl" -D "$data/data" -l "$data/server.log" -w -t 60 \
            -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data -c fsync=off -c max_connections=100" \
            start >/dev/null; then
            started=1
            break
        fi
    done
    if [ "$started" != 1 ]; then
        echo "pg_test_server: the server did not start; its log:" >&2
        cat "$data/server.log" >&2 || true
        return 1
    fi
    PGPASSWORD=$password "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U netpolgen netpolgen
    local uri="postgresql://netpolgen:$password@127.0.0.1:$port/netpolgen"
    printf '%s\n' "$uri" >"$dir/uri.tmp"
    mv "$dir/uri.tmp" "$dir/uri"
    echo "NETPOLGEN_TEST_PG_URI=$uri"
}

case "$cmd" in
    start)
        if ! start_server; then
            stop_server
            exit 1
        fi
        ;;
    stop) stop_server ;;
    *)
        echo "usage: $0 start|stop DIR" >&2
        exit 2
        ;;
esac
