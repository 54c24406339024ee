#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetch extra Go toolchains from Debian suites newer than the machine's own,
# without installing or touching the system's apt configuration.
#
#   go-toolchains.sh DEST [VERSION...]     e.g. go-toolchains.sh /opt/go 1.21 1.23 1.26
#
# Each toolchain lands in DEST/go1.NN/ and DEST/go1.NN/bin/go works
# (GOROOT is set by the wrapper). Versions default to 1.21 1.22 1.23 1.24
# 1.25 1.26. Already-present versions are skipped. The Debian mirror is taken
# from the machine's own apt sources, so nothing here names a host.
set -euo pipefail
dest=${1:?usage: go-toolchains.sh DEST [VERSION...]}
shift
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.21 1.22 1.23 1.24 1.25 1.26)
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "go-toolchains: no Debian mirror found in apt sources" >&2; exit 1; }

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
for suite in bookworm-backports trixie trixie-backports sid; do
	echo "deb [trusted=yes] $uri $suite main"
done > "$state/sources.list"
apt_opts=(-o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
	  -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache"
	  -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -qq)
apt-get "${apt_opts[@]}" update >/dev/null

for v in "${versions[@]}"; do
	out="$dest/go$v"
	if [ -x "$out/bin/go" ]; then continue; fi
	work="$state/x$v"
	mkdir -p "$work"
	if ! (cd "$work" && apt-get "${apt_opts[@]}" download "golang-$v-go" "golang-$v-src" >/dev/null 2>&1); then
		echo "go-toolchains: golang-$v not found in any reachable suite, skipping" >&2
		continue
	fi
	for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
	[ -x "$work/root/usr/lib/go-$v/bin/go" ] || { echo "go-toolchains: golang-$v unpacked without bin/go, skipping" >&2; continue; }
	mkdir -p "$out"
	cp -a "$work/root/usr" "$out/"
	# Debian links parts of the goroot (src, api, misc, ...) into
	# /usr/share/go-VER, by absolute or relative links: make them all relative
	# to the unpacked tree.
	find "$out/usr/lib/go-$v" -maxdepth 2 -type l | while read -r link; do
		target=$(readlink "$link")
		case "$target" in
		/usr/*) ln -sfn "$out$target" "$link" ;;
		esac
	done
	goroot="$out/usr/lib/go-$v"
	mkdir -p "$out/bin"
	printf '#!/bin/sh\nGOROOT=%s exec %s "$@"\n' "$goroot" "$goroot/bin/go" > "$out/bin/go"
	chmod +x "$out/bin/go"
	echo "go-toolchains: $("$out/bin/go" version)"
done
