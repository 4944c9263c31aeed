#!/usr/bin/env bash
# run-demo.sh is `make run`: it ensures PostgreSQL, creates the strata_demo
# database with the demo catalogue (hack/demo.sql) when it does not exist yet,
# and serves it with `strata engine` on 127.0.0.1:8080 (PORT overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_URL="$(hack/ensure-postgres.sh)"
DEMO_URL="${SERVER_URL%/*}/strata_demo"
if ! psql "$SERVER_URL" -qAtc "select 1 from pg_database where datname = 'strata_demo'" | grep -q 1; then
  echo "creating database strata_demo with the demo catalogue" >&2
  psql "$SERVER_URL" -qc "CREATE DATABASE strata_demo"
  psql "$DEMO_URL" -q -v ON_ERROR_STOP=1 -f hack/demo.sql
fi
echo "serving strata_demo on http://127.0.0.1:${PORT:-8080} (Ctrl-C stops)" >&2
exec bin/strata engine --database-url "$DEMO_URL" --server-host 127.0.0.1 \
  --server-port "${PORT:-8080}" --log-format text ${STRATA_DEMO_ARGS:-}
