#!/usr/bin/env bash
# dev-cluster.sh is `make dev-cluster` and `make dev-cluster-down`.
#
#   hack/dev-cluster.sh up    start the local cluster (test/localcluster) in the
#                             background with state in bin/dev-cluster, the demo
#                             database, Secret demo-db, the CRDs and
#                             config/samples; wait for GraphQLEngine demo Ready
#                             and print how to use it
#   hack/dev-cluster.sh down  stop it and remove bin/dev-cluster
#
# Expects bin/strata, bin/localcluster and the cluster binaries in
# $K8S_BIN_DIR (the Makefile builds them first).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="${DEV_CLUSTER_STATE:-bin/dev-cluster}"
K8S_BIN_DIR="$(cd "${K8S_BIN_DIR:-bin/k8s/1.37.2}" && pwd)"
PID_FILE="$STATE/launcher.pid"
KUBECTL="$K8S_BIN_DIR/kubectl"
export KUBECONFIG="$PWD/$STATE/kubeconfig"

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

# endpoint prints the sample engine's first ready endpoint as the loopback
# address its pod listens on (pods report 10.B.C.D for 127.B.C.D, since the
# API server refuses loopback addresses in EndpointSlices).
endpoint() {
  "$KUBECTL" get endpointslices -l kubernetes.io/service-name=demo \
    -o jsonpath='{range .items[*]}{range .endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}{end}' |
    head -1 | sed 's/^10\./127./'
}

info() {
  local ep; ep="$(endpoint)"
  cat <<EOF

The local cluster is running (state and logs in $STATE/, pods' output in $STATE/pods/).

  export KUBECONFIG=$KUBECONFIG
  export PATH=$K8S_BIN_DIR:\$PATH   # the kubectl built from source

GraphQL endpoint of GraphQLEngine demo (its Service's ready endpoint):
  http://$ep:8080/v1/graphql

Stop it with: make dev-cluster-down
EOF
}

up() {
  if running; then
    echo "the dev cluster is already running (pid $(cat "$PID_FILE"))"
    info
    return
  fi
  rm -rf "$STATE"; mkdir -p "$STATE"
  SERVER_URL="$(hack/ensure-postgres.sh)"
  DEMO_URL="${SERVER_URL%/*}/strata_demo"
  if ! psql "$SERVER_URL" -qAtc "select 1 from pg_database where datname = 'strata_demo'" | grep -q 1; then
    echo "creating database strata_demo with the demo catalogue" >&2
    psql "$SERVER_URL" -qc "CREATE DATABASE strata_demo"
    psql "$DEMO_URL" -q -v ON_ERROR_STOP=1 -f hack/demo.sql
  fi

  echo "starting the local cluster (log: $STATE/launcher.log)" >&2
  nohup bin/localcluster --state-dir "$STATE" --bin-dir "$K8S_BIN_DIR" --strata bin/strata \
    --crd-dir config/crd/bases >"$STATE/launcher.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 180); do
    [ -f "$STATE/ready" ] && break
    if ! running; then
      echo "the local cluster failed to start:" >&2; tail -25 "$STATE/launcher.log" >&2; exit 1
    fi
    sleep 1
  done
  [ -f "$STATE/ready" ] || { echo "the local cluster did not start in 180s; see $STATE/launcher.log" >&2; exit 1; }

  "$KUBECTL" create secret generic demo-db --from-literal=url="$DEMO_URL" \
    --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
  "$KUBECTL" apply -k config/samples
  echo "waiting for GraphQLEngine demo to be Ready" >&2
  if ! "$KUBECTL" wait --for=condition=Ready graphqlengine/demo --timeout=180s >/dev/null; then
    "$KUBECTL" get graphqlengine demo -o wide >&2 || true
    echo "GraphQLEngine demo is not Ready; see $STATE/logs and $STATE/pods" >&2; exit 1
  fi
  for _ in $(seq 1 50); do [ -n "$(endpoint)" ] && break; sleep 0.2; done
  info
}

down() {
  if running; then
    pid="$(cat "$PID_FILE")"
    echo "stopping the local cluster (pid $pid)" >&2
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "the local cluster did not stop in 30s; killing it" >&2; kill -KILL "$pid" || true
    fi
  else
    echo "the dev cluster is not running" >&2
  fi
  rm -rf "$STATE"
  echo "removed $STATE (database strata_demo is kept; make run uses it too)" >&2
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
