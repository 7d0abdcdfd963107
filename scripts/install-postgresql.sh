#!/usr/bin/env bash
# PostgreSQL for `make server` and its tests: nothing to do when initdb and pg_ctl are on PATH or
# in Debian's /usr/lib/postgresql/*/bin; otherwise Debian/Ubuntu's `postgresql` package via
# apt-get when running as root; otherwise a message (`make server` then runs on SQLite, and the
# tests that need PostgreSQL say why they are skipped).
set -uo pipefail
# what scripts/server.sh runs: initdb, pg_ctl and psql, in PG_BINDIR, on PATH or in Debian's
# directory
complete() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/psql" ]; }
have() {
  if [ -n "${PG_BINDIR:-}" ]; then complete "$PG_BINDIR"; return; fi
  local pg_ctl dir
  if pg_ctl=$(command -v pg_ctl) && complete "$(dirname "$(readlink -f "$pg_ctl")")"; then return 0; fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && complete "$dir"
}
if have; then echo "postgresql: found"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "postgresql: installing Debian's postgresql with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  if have; then echo "postgresql: installed"; exit 0; fi
fi
echo "postgresql: not installed (apt-get install -y postgresql as root); make server uses SQLite" \
     "and the tests that need PostgreSQL are skipped" >&2
exit 0
