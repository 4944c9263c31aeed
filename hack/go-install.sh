#!/usr/bin/env bash
# go-install.sh PACKAGE VERSION TARGET installs a pinned Go tool as TARGET
# (a versioned file under bin/) unless it is already there.
set -euo pipefail
pkg="$1" version="$2" target="$3"
[ -x "$target" ] && exit 0
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "installing $pkg@$version" >&2
GOBIN="$tmp" GOWORK=off GOFLAGS=-mod=mod go install "$pkg@$version"
mkdir -p "$(dirname "$target")"
mv "$tmp/$(basename "${pkg%/v[0-9]*}")" "$target"
