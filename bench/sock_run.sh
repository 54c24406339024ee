#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Copyright (c) 2026 The leakwatch authors
#
# Cost of the descriptor probes per socket()+close() (docs/performance.md):
#
#   sudo bench/sock_run.sh [-r REPS] [-n ROUNDS] [-b BUILD_DIR]
#
# Runs bench/sock_bench interleaved REPS times (default 5) in three
# configurations and prints the median ns per socket()+close() pair and
# per close() of a descriptor that is not open:
#   untraced     nothing attached
#   no-sockets   leakwatch diagnose --no-sockets (allocation probes only)
#   leakwatch    leakwatch diagnose (allocation and descriptor probes)
# The difference between the last two is what the descriptor probes add.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=5
ROUNDS=100000
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
	echo "sock_run.sh: run as root" >&2
	exit 1
fi
if [ -z "$BUILD" ]; then
	BUILD=build-bench
	cmake -S "$ROOT" -B "$ROOT/$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLW_TESTS=OFF >/dev/null
fi
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
cmake --build "$BUILD" -j2 --target leakwatch sock_bench >/dev/null
LW=$BUILD/leakwatch
SB=$BUILD/bench/sock_bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

one() { # one CONFIG: prints "pair bad-close" ns
	local out=$TMP/out
	case "$1" in
	untraced) "$SB" "$ROUNDS" >"$out" ;;
	no-sockets) "$LW" diagnose --no-sockets -d 600 --json "$TMP/r.json" \
		-- "$SB" "$ROUNDS" >"$out" 2>/dev/null ;;
	leakwatch) "$LW" diagnose -d 600 --json "$TMP/r.json" \
		-- "$SB" "$ROUNDS" >"$out" 2>/dev/null ;;
	esac
	sed -n 's/.*ns_per_socket_close=\([0-9]*\) ns_per_bad_close=\([0-9]*\).*/\1 \2/p' "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A PAIR BAD
for ((r = 1; r <= REPS; r++)); do
	for c in untraced no-sockets leakwatch; do
		read -r p b <<<"$(one $c)"
		PAIR[$c]+="$p "
		BAD[$c]+="$b "
	done
done
echo "sock_bench: median ns, $REPS interleaved rounds of $ROUNDS"
printf '  %-12s %14s %14s\n' "" "socket+close" "close(EBADF)"
for c in untraced no-sockets leakwatch; do
	printf '  %-12s %14s %14s   (%s| %s)\n' "$c" \
		"$(tr ' ' '\n' <<<"${PAIR[$c]}" | grep . | median)" \
		"$(tr ' ' '\n' <<<"${BAD[$c]}" | grep . | median)" \
		"${PAIR[$c]}" "${BAD[$c]% }"
done
