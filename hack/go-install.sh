#!/usr/bin/env bash
# go-install.sh PACKAGE VERSION TARGET [LDFLAGS] installs a pinned Go tool as
# TARGET (a versioned file under bin/) unless it is already there. LDFLAGS,
# when given, are passed to the linker (e.g. -X stamps of the tool's version).
set -euo pipefail
pkg="$1" version="$2" target="$3" ldflags="${4:-}"
[ -x "$target" ] && exit 0
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "installing $pkg@$version" >&2
GOBIN="$tmp" GOWORK=off GOFLAGS=-mod=mod go install -ldflags "$ldflags" "$pkg@$version"
mkdir -p "$(dirname "$target")"
mv "$tmp/$(basename "${pkg%/v[0-9]*}")" "$target"
