#!/usr/bin/env bash
# `make server`: a local Prefect server with its UI, on PostgreSQL when it is installed and on
# SQLite otherwise.
#
# With PostgreSQL (Debian's `postgresql` package, or any pg_ctl/initdb on PATH) the cluster
# lives under the project (CLAUSEWATCH_PGDATA, default .prefect-pg/), is created on the first
# run and reused after, listens on 127.0.0.1:PGPORT only (and on a Unix socket inside the data
# directory), and is stopped when the server stops (Ctrl-C, kill, or Prefect exiting). A cluster
# that was already running is reused and left running.
#
# Authentication: `trust` for the local cluster's own `prefect` role, so there is no password to
# store or print. That lets any local user who can reach 127.0.0.1:PGPORT use this database: it
# is a developer's and operator's local server, not a shared one.
#
# Settings (environment): PREFECT_PORT (4200), PGPORT (5433), CLAUSEWATCH_PGDATA, PREFECT (the
# prefect command, default .venv/bin/prefect), PG_BINDIR (where initdb and pg_ctl are; default:
# pg_ctl on PATH, else the newest /usr/lib/postgresql/*/bin), CLAUSEWATCH_SERVER_DB=sqlite to
# start on SQLite even when PostgreSQL is installed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFECT=${PREFECT:-$ROOT/.venv/bin/prefect}
PREFECT_PORT=${PREFECT_PORT:-4200}
PGPORT=${PGPORT:-5433}
PGDATA_DIR=${CLAUSEWATCH_PGDATA:-$ROOT/.prefect-pg}
export PREFECT_SERVER_ANALYTICS_ENABLED=false

say() { echo "server: $*" >&2; }

find_pg_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/pg_ctl" ] && [ -x "$PG_BINDIR/initdb" ] && echo "$PG_BINDIR"
    return 0
  fi
  local pg_ctl dir
  if pg_ctl=$(command -v pg_ctl); then
    dir=$(dirname "$(readlink -f "$pg_ctl")")
    [ -x "$dir/initdb" ] && echo "$dir" && return 0
  fi
  # Debian keeps the server binaries off PATH
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && echo "$dir"
  return 0
}

server_pid=""
pg_started=0

start_prefect() {
  # in the background (not exec) so the trap below can stop PostgreSQL after Prefect
  "$PREFECT" server start --host 127.0.0.1 --port "$PREFECT_PORT" &
  server_pid=$!
  wait "$server_pid"
}

stop() {
  trap - EXIT INT TERM
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$pg_started" = 1 ]; then
    pg pg_ctl stop -D "$PGDATA_DIR" -m fast -w >/dev/null && say "PostgreSQL stopped"
  fi
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sqlite() {
  say "$1"
  start_prefect
}

if [ "${CLAUSEWATCH_SERVER_DB:-}" = sqlite ]; then
  sqlite "Prefect on SQLite (CLAUSEWATCH_SERVER_DB=sqlite)"
  exit
fi

PG_BIN=$(find_pg_bindir)
if [ -z "$PG_BIN" ]; then
  sqlite "PostgreSQL not found (no pg_ctl and initdb on PATH, in PG_BINDIR or in /usr/lib/postgresql/*/bin): Prefect on SQLite; for PostgreSQL: apt-get install -y postgresql"
  exit
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as the
# unprivileged `postgres` user that Debian's package creates.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    sqlite "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as (useradd --system postgres, or run make server as a regular user): Prefect on SQLite"
    exit
  fi
  as_pg=(runuser -u postgres --)
fi
pg() {
  local command=$1
  shift
  "${as_pg[@]}" "$PG_BIN/$command" "$@"
}

mkdir -p "$PGDATA_DIR"
if [ ${#as_pg[@]} -gt 0 ]; then chown postgres: "$PGDATA_DIR"; fi
chmod 700 "$PGDATA_DIR"
if ! "${as_pg[@]}" test -w "$PGDATA_DIR"; then
  sqlite "the PostgreSQL user cannot write $PGDATA_DIR (a parent directory it cannot enter?): Prefect on SQLite"
  exit
fi

if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
  say "creating a PostgreSQL cluster in $PGDATA_DIR"
  pg initdb -D "$PGDATA_DIR" -U prefect --auth=trust -E UTF8 --no-locale >"$PGDATA_DIR.initdb.log" 2>&1 || {
    say "initdb failed (see $PGDATA_DIR.initdb.log)"
    exit 1
  }
  rm -f "$PGDATA_DIR.initdb.log"
  "${as_pg[@]}" mkdir -p "$PGDATA_DIR/socket"
  cat >>"$PGDATA_DIR/postgresql.conf" <<EOF
# clausewatch (scripts/server.sh): local connections only
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGDATA_DIR/socket'
EOF
fi

if pg pg_ctl status -D "$PGDATA_DIR" >/dev/null 2>&1; then
  PGPORT=$(sed -n 4p "$PGDATA_DIR/postmaster.pid")
  say "reusing the PostgreSQL cluster already running in $PGDATA_DIR (port $PGPORT); it stays running"
else
  if ! pg pg_ctl start -D "$PGDATA_DIR" -w -t 60 -l "$PGDATA_DIR/postgres.log" \
    -o "-p $PGPORT" >/dev/null 2>&1; then
    say "PostgreSQL did not start on 127.0.0.1:$PGPORT (port in use? set PGPORT); its log:"
    tail -n 5 "$PGDATA_DIR/postgres.log" >&2
    exit 1
  fi
  pg_started=1
fi

psql_=(pg psql -h 127.0.0.1 -p "$PGPORT" -U prefect -d postgres -qtAX)
if [ -z "$("${psql_[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'prefect'")" ]; then
  "${psql_[@]}" -c "CREATE DATABASE prefect" >/dev/null
fi

say "Prefect on PostgreSQL $(cat "$PGDATA_DIR/PG_VERSION") at 127.0.0.1:$PGPORT (data in $PGDATA_DIR)"
# no password: trust authentication on 127.0.0.1 (see the top of this file)
export PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://prefect@127.0.0.1:$PGPORT/prefect"
start_prefect
