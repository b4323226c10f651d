#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benches, from Debian's packages
# (no Docker): initdb into target/pg-test, pg_ctl on a loopback port. Debian's
# PostgreSQL refuses to run as root, so as root it runs as the postgres user.
#   scripts/pg-test-cluster.sh start   start it (creating it if needed); prints its URL
#   scripts/pg-test-cluster.sh url     print the URL of the running cluster
#   scripts/pg-test-cluster.sh stop    stop it and delete its files
# Port: $KEPT_PG_PORT (default 55432). Tests create one database each in it.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${KEPT_PG_PORT:-55432}
DIR=${KEPT_PG_DIR:-$PWD/target/pg-test}
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z "$d" ]]; then
    echo "PostgreSQL is not installed: run scripts/setup.sh --postgres" >&2
    exit 1
  fi
  echo "$d"
}

# Runs a PostgreSQL tool as the postgres user when we are root.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [[ -f "$DIR/data/postmaster.pid" ]] && as_pg "$(bin_dir)/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

case "${1:-}" in
  start)
    BIN=$(bin_dir)
    if ! running; then
      mkdir -p "$DIR"
      [[ $(id -u) -eq 0 ]] && chown postgres: "$DIR"
      if [[ ! -f "$DIR/data/PG_VERSION" ]]; then
        as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
          || { cat "$DIR/initdb.log" >&2; exit 1; }
      fi
      # Loopback TCP only; the socket lives with the cluster, not in /var/run.
      as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$DIR' -c max_connections=300" >/dev/null \
        || { cat "$DIR/server.log" >&2; exit 1; }
    fi
    echo "$URL"
    ;;
  url)
    running || { echo "the test cluster is not running: scripts/pg-test-cluster.sh start" >&2; exit 1; }
    echo "$URL"
    ;;
  stop)
    if running; then as_pg "$(bin_dir)/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|url|stop" >&2
    exit 2
    ;;
esac
