#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what leakwatch needs to build and test on Debian 12, only if it
# is missing.  Run as root.  Idempotent and quiet when nothing is missing.
set -euo pipefail

pkgs=(
	# build
	cmake make gcc g++ pkg-config clang llvm bpftool
	libbpf-dev libelf-dev libdw-dev zlib1g-dev libjson-c-dev libcapstone-dev
	# the daemon: HTTP server, Pyroscope push; promtool checks /metrics
	libmicrohttpd-dev libcurl4-openssl-dev prometheus
	# test fixtures: other allocators and libcs, fixture tooling
	musl-tools libjemalloc2 libtcmalloc-minimal4 binutils procps util-linux
	# Go fixtures (Debian's Go is 1.19; newer ones below), and go tool
	# pprof reads the --pprof files in the tests
	golang-go
	# headless Chromium renders the --html report in the tests
	chromium
	# promtool checks and unit-tests deploy/prometheus/alerts.yml
	prometheus
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Newer Go toolchains for the Go fixtures (tests/go), next to Debian's 1.19:
# 1.21 and 1.23 (CI must cover one of 1.21-1.23) and the newest ones from
# later Debian suites.  Only missing ones are fetched (go-toolchains.sh);
# cmake/GoToolchains.cmake finds them in this directory.
go_cache=/var/cache/leakwatch/go
go_missing=()
for v in 1.21 1.23 1.25 1.26; do
	[ -x "$go_cache/go$v/bin/go" ] || go_missing+=("$v")
done
if [ ${#go_missing[@]} -gt 0 ]; then
	echo "setup: fetching Go ${go_missing[*]} into $go_cache"
	"$(dirname "$0")/go-toolchains.sh" "$go_cache" "${go_missing[@]}"
fi

# Released esbuild binaries (stripped Go programs built by others with Go
# 1.16-1.26) for the integration_go_esbuild_* tests, from the npm registry.
# If the registry is down, say so and go on: those tests then fail, naming
# the missing file, and everything else still runs.
if ! "$(dirname "$0")/esbuild-fetch.sh" /var/cache/leakwatch/esbuild; then
	echo "setup: WARNING: esbuild binaries missing (see above), integration_go_esbuild_* will fail" >&2
fi
