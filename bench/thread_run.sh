#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Copyright (c) 2026 The leakwatch authors
#
# Cost of the thread probes per pthread_create + join (docs/performance.md):
#
#   sudo bench/thread_run.sh [-r REPS] [-n ROUNDS] [-b BUILD_DIR]
#
# Runs bench/thread_bench interleaved REPS times (default 5) in three
# configurations and prints the median ns per create+join of each:
#   untraced     nothing attached
#   no-threads   leakwatch diagnose --no-threads (allocation probes only:
#                pthread_create allocates the thread's stack and TLS)
#   leakwatch    leakwatch diagnose (allocation and thread probes)
# The difference between the last two is what the thread probes add.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=5
ROUNDS=20000
BUILD=""

usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-r) REPS=$2; shift 2 ;;
	-n) ROUNDS=$2; shift 2 ;;
	-b) BUILD=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "thread_run.sh: run as root" >&2
	exit 1
fi
if [ -z "$BUILD" ]; then
	BUILD=build-bench
	cmake -S "$ROOT" -B "$ROOT/$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLW_TESTS=OFF >/dev/null
fi
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
cmake --build "$BUILD" -j2 --target leakwatch thread_bench >/dev/null
LW=$BUILD/leakwatch
TB=$BUILD/bench/thread_bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

one() { # one CONFIG: prints ns per create+join
	local out=$TMP/out
	case "$1" in
	untraced) "$TB" "$ROUNDS" >"$out" ;;
	no-threads) "$LW" diagnose --no-threads -d 600 --json "$TMP/r.json" \
		-- "$TB" "$ROUNDS" >"$out" 2>/dev/null ;;
	leakwatch) "$LW" diagnose -d 600 --json "$TMP/r.json" \
		-- "$TB" "$ROUNDS" >"$out" 2>/dev/null ;;
	esac
	sed -n 's/.*ns_per_create_join=\([0-9]*\).*/\1/p' "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A RES
for ((r = 1; r <= REPS; r++)); do
	for c in untraced no-threads leakwatch; do
		RES[$c]+="$(one $c) "
	done
done
echo "thread_bench: median ns per pthread_create+join, $REPS interleaved rounds of $ROUNDS"
for c in untraced no-threads leakwatch; do
	printf '  %-12s %8s   (%s)\n' "$c" \
		"$(tr ' ' '\n' <<<"${RES[$c]}" | grep . | median)" "${RES[$c]% }"
done
