#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what leakwatch needs to build and test on Debian 12, only if it
# is missing.  Run as root.  Idempotent and quiet when nothing is missing.
set -euo pipefail

pkgs=(
	# build
	cmake make gcc g++ pkg-config clang llvm bpftool
	libbpf-dev libelf-dev libdw-dev zlib1g-dev libjson-c-dev libcapstone-dev
	# test fixtures: other allocators and libcs, fixture tooling
	musl-tools libjemalloc2 libtcmalloc-minimal4 binutils procps util-linux
	# go tool pprof reads the --pprof files in the tests
	golang-go
	# headless Chromium renders the --html report in the tests
	chromium
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
