#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the tests on 127.0.0.1:${PGPORT:-54329}, trust auth, data in
# ${PGDATA_DIR:-/tmp/tinhgon-pg}. Prints the URL to use as TINHGON_TEST_POSTGRES_URL. Idempotent.
set -euo pipefail
PORT="${PGPORT:-54329}"
DATA="${PGDATA_DIR:-/tmp/tinhgon-pg}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$BIN" ] || { echo "start-postgres: PostgreSQL is not installed (run scripts/install-debian-deps.sh)" >&2; exit 3; }
RUNAS=()
if [ "$(id -u)" = "0" ]; then RUNAS=(runuser -u postgres --); fi
if [ ! -s "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$DATA"; fi
  "${RUNAS[@]}" "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
