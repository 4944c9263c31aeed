#!/usr/bin/env bash
# build-envtest.sh builds the envtest control-plane binaries (kube-apiserver,
# kubectl, etcd) from Go module sources, because prebuilt downloads are not
# reachable here. Results are cached in OUT_DIR; a second run is a no-op.
#
# Usage: hack/build-envtest.sh K8S_VERSION ETCD_VERSION [OUT_DIR]
#   e.g. hack/build-envtest.sh 1.37.2 3.7.0 bin/k8s/1.37.2
#
# k8s.io/kubernetes and etcd's server module carry replace directives, so
# `go install pkg@version` refuses them. We build from throwaway main modules
# instead: the kube one maps every staging module k8s.io/X to k8s.io/X v0.N.P.
set -euo pipefail

K8S_VERSION="${1:?usage: $0 K8S_VERSION ETCD_VERSION [OUT_DIR]}"; K8S_VERSION="${K8S_VERSION#v}"
ETCD_VERSION="${2:?usage: $0 K8S_VERSION ETCD_VERSION [OUT_DIR]}"; ETCD_VERSION="${ETCD_VERSION#v}"
OUT_DIR="${3:-bin/k8s/$K8S_VERSION}"
EXTRA_KUBE_CMDS="${EXTRA_KUBE_CMDS:-}" # e.g. "kube-controller-manager kube-scheduler"

export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
T0=$(date +%s)
log() { printf '[build-envtest %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }

kube_cmds="kube-apiserver kubectl $EXTRA_KUBE_CMDS"
missing=""
for c in $kube_cmds; do [ -x "$OUT_DIR/$c" ] || missing="$missing $c"; done
need_etcd=1; [ -x "$OUT_DIR/etcd" ] && need_etcd=0
if [ -z "$missing" ] && [ $need_etcd = 0 ]; then
  log "all binaries present in $OUT_DIR"; exit 0
fi
mkdir -p "$OUT_DIR"; OUT_DIR="$(cd "$OUT_DIR" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/strata-envtest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/kube" "$WORK/etcd" "$WORK/out"

moddir() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'; }
# install copies atomically so an interrupted run never leaves a half binary.
install_bin() { cp "$WORK/out/$1" "$OUT_DIR/.$1.tmp" && mv -f "$OUT_DIR/.$1.tmp" "$OUT_DIR/$1"; }

if [ -n "$missing" ]; then
  KDIR="$(moddir "k8s.io/kubernetes@v$K8S_VERSION")"
  [ -f "$KDIR/go.mod" ] || { echo "cannot download k8s.io/kubernetes@v$K8S_VERSION" >&2; exit 1; }
  STAGING="v0.${K8S_VERSION#1.}"
  MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"
  {
    echo "module strata-envtest/kube"
    awk '$1=="go"{print; exit}' "$KDIR/go.mod"
    awk '/^godebug[[:space:]]*\(/{b=1} b||/^godebug[[:space:]]/{print} b&&/^\)/{b=0}' "$KDIR/go.mod"
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo "replace ("
    awk -v v="$STAGING" '
      $1=="replace" { $1=""; $0=$0 }
      $2=="=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v; next }
      $2=="=>" && $3 !~ /^\.\.?\// { $1=$1; print "\t" $0 }
    ' "$KDIR/go.mod"
    echo ")"
  } > "$WORK/kube/go.mod"
  LDFLAGS="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    LDFLAGS="$LDFLAGS -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$MINOR -X $pkg.gitTreeState=clean"
  done
  pkgs=""; for c in $kube_cmds; do pkgs="$pkgs k8s.io/kubernetes/cmd/$c"; done
  log "building$pkgs (v$K8S_VERSION); several minutes on a cold Go cache"
  (cd "$WORK/kube" && go build -trimpath -ldflags "$LDFLAGS" -o "$WORK/out/" $pkgs)
  for c in $kube_cmds; do install_bin "$c"; done
fi

if [ $need_etcd = 1 ]; then
  EDIR="$(moddir "go.etcd.io/etcd/server/v3@v$ETCD_VERSION")"
  { echo "module strata-envtest/etcd"; awk '$1=="go"{print; exit}' "$EDIR/go.mod"
    echo "require go.etcd.io/etcd/server/v3 v$ETCD_VERSION"; } > "$WORK/etcd/go.mod"
  log "building etcd v$ETCD_VERSION"
  (cd "$WORK/etcd" && go build -trimpath -ldflags "-s -w" -o "$WORK/out/etcd" go.etcd.io/etcd/server/v3)
  install_bin etcd
fi
"$OUT_DIR/kube-apiserver" --version
"$OUT_DIR/etcd" --version | sed -n 1p
log "done: KUBEBUILDER_ASSETS=$OUT_DIR"
