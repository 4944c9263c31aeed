#!/usr/bin/env bash
# run-demo.sh is `make run`: it ensures PostgreSQL, creates the strata_demo
# database with the demo catalogue (hack/demo.sql) when it does not exist yet,
# serves it with `strata engine` on 127.0.0.1:8080 (PORT overrides) and, for
# a new database, tracks the demo tables and relationships
# (hack/demo-metadata.json) through the metadata API.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8080}"
SERVER_URL="$(hack/ensure-postgres.sh)"
DEMO_URL="${SERVER_URL%/*}/strata_demo"
new=0
if ! psql "$SERVER_URL" -qAtc "select 1 from pg_database where datname = 'strata_demo'" | grep -q 1; then
  echo "creating database strata_demo with the demo catalogue" >&2
  psql "$SERVER_URL" -qc "CREATE DATABASE strata_demo"
  psql "$DEMO_URL" -q -v ON_ERROR_STOP=1 -f hack/demo.sql
  new=1
fi
bin/strata engine --database-url "$DEMO_URL" --server-host 127.0.0.1 \
  --server-port "$PORT" --log-format text ${STRATA_DEMO_ARGS:-} &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { wait $pid; exit 1; }
  sleep 0.2
done
if [ $new = 1 ]; then
  echo "tracking the demo tables (hack/demo-metadata.json)" >&2
  curl -sf "http://127.0.0.1:$PORT/v1/metadata" -H 'Content-Type: application/json' \
    -d "{\"type\":\"replace_metadata\",\"args\":$(cat hack/demo-metadata.json)}" >/dev/null
fi
echo "serving strata_demo on http://127.0.0.1:$PORT/v1/graphql (Ctrl-C stops)" >&2
wait $pid
