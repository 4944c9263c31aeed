#!/usr/bin/env bash
# ensure-postgres.sh finds or starts a PostgreSQL server for development and
# tests, and prints its URL on stdout (everything else goes to stderr):
#   1. $DATABASE_URL, if set and it answers;
#   2. postgres://postgres@127.0.0.1:5432/postgres, if it answers;
#   3. a throwaway cluster in bin/pg (initdb + pg_ctl) on a free port;
#   4. as root on Debian: apt-get install postgresql, then 3.
# Idempotent: a throwaway cluster started before is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
log() { echo "ensure-postgres: $*" >&2; }

answers() { # answers URL: true when a server accepts connections there
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -d "$1" -t 3; return; fi
  command -v psql >/dev/null 2>&1 && psql "$1" -qAtc 'select 1' >/dev/null 2>&1
}

if [ -n "${DATABASE_URL:-}" ]; then
  if answers "$DATABASE_URL"; then echo "$DATABASE_URL"; exit 0; fi
  log "DATABASE_URL is set but does not answer; looking further"
fi
DEFAULT_URL="postgres://postgres@127.0.0.1:5432/postgres"
if answers "$DEFAULT_URL"; then echo "$DEFAULT_URL"; exit 0; fi

PGBIN=""
find_pgbin() {
  if command -v pg_ctl >/dev/null 2>&1; then PGBIN="$(dirname "$(command -v pg_ctl)")"; return 0; fi
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && PGBIN="$d"
}
if ! find_pgbin; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql postgresql-client >&2
    find_pgbin || { log "postgresql installed but pg_ctl not found"; exit 1; }
  else
    log "no PostgreSQL server answers and pg_ctl is not installed; install postgresql or set DATABASE_URL"; exit 1
  fi
fi

DATA="$ROOT/bin/pg/data"; mkdir -p "$ROOT/bin/pg"
PORT_FILE="$ROOT/bin/pg/port"
RUN_AS=()
if [ "$(id -u)" = 0 ]; then # initdb refuses to run as root
  id postgres >/dev/null 2>&1 || useradd -r -M postgres 2>/dev/null || true
  chown -R postgres "$ROOT/bin/pg"; RUN_AS=(runuser -u postgres --)
  chmod o+x "$ROOT" "$ROOT/bin" 2>/dev/null || true
fi
if [ -f "$PORT_FILE" ]; then
  URL="postgres://postgres@127.0.0.1:$(cat "$PORT_FILE")/postgres"
  if answers "$URL"; then echo "$URL"; exit 0; fi
fi
if [ ! -f "$DATA/PG_VERSION" ]; then
  log "initdb in $DATA"
  "${RUN_AS[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >&2
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)"
echo "$PORT" > "$PORT_FILE"
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$ROOT/bin/pg/log" -w -t 60 \
  -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >&2
URL="postgres://postgres@127.0.0.1:$PORT/postgres"
answers "$URL" || { log "started PostgreSQL but it does not answer at $URL"; exit 1; }
log "throwaway cluster on port $PORT (stop: $PGBIN/pg_ctl -D $DATA stop)"
echo "$URL"
