#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Copyright (c) 2026 The leakwatch authors
#
# Per-program cost of tracers on bench/malloc_bench (docs/performance.md,
# "Where leakwatch's time goes").  Run as root:
#
#   sudo bench/progstats.sh [-r ROUNDS] [-n PAIRS] [-b BUILD_DIR] NAME=CMD...
#
# CMD is a tracer command line in which @PID@ stands for the benchmark's
# PID and @READY@ for a file the tracer creates once attached, e.g.
#   floor='build/bench/floor -p @PID@ --ready-file @READY@'
#   lw='build/leakwatch attach -p @PID@ -i 3600 --ready-file @READY@ --no-threads --no-sockets'
# Every round runs each NAME once on a fresh malloc_bench, in an order
# that rotates from round to round, and prints per run: the wall ns per
# pair, the target's CPU ns per pair (schedstat: time spent waiting for a
# CPU left out) and, for each BPF program the tracer holds, run_time_ns /
# run_cnt over the measured pairs (kernel.bpf_stats_enabled is switched
# on for the run and restored after).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=3
PAIRS=150000
BUILD=build

while getopts "r:n:b:h" o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	n) PAIRS=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	*) sed -n '5,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '5,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
MB=$ROOT/$BUILD/bench/malloc_bench
[ -x "$MB" ] || { echo "progstats.sh: $MB missing" >&2; exit 1; }

TMP=$(mktemp -d /tmp/lw-progstats.XXXXXX)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
BP="" TP=""
cleanup() {
	[ -n "$TP" ] && kill -KILL "$TP" 2>/dev/null
	[ -n "$BP" ] && kill -KILL "$BP" 2>/dev/null
	sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"
	rm -rf "$TMP"
}
trap cleanup EXIT
sysctl -q kernel.bpf_stats_enabled=1

names=() cmds=()
for c in "$@"; do
	names+=("${c%%=*}")
	cmds+=("${c#*=}")
done

cpu_ns() { local v; read -r v _ <"/proc/$1/schedstat"; echo "$v"; }

# "name run_time_ns run_cnt" for each program fd the process holds.
prog_stats() {
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		grep -q '^run_cnt:' "$f" 2>/dev/null || continue
		id=$(awk '/^prog_id:/ { print $2 }' "$f")
		echo "$(bpftool prog show id "$id" | awk 'NR == 1 { print $4 }')" \
			"$(awk '/^run_time_ns:/ { t = $2 } /^run_cnt:/ { c = $2 } END { print t + 0, c + 0 }' "$f")"
	done | sort -u -k1,1
}

wait_for() { # wait_for SECONDS CMD...: poll CMD every 50 ms
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		"${@:2}" && return 0
		sleep 0.05
	done
	return 1
}

for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < ${#names[@]}; k++)); do
		i=$(((k + r) % ${#names[@]}))
		: >"$TMP/bench.out"
		rm -f "$TMP/ready"
		"$MB" --wait --hold --pairs "$PAIRS" >"$TMP/bench.out" 2>&1 &
		BP=$!
		wait_for 30 grep -q '^ready' "$TMP/bench.out"
		c=${cmds[$i]//@PID@/$BP}
		c=${c//@READY@/$TMP/ready}
		eval "exec $c" >"$TMP/tracer.out" 2>&1 &
		TP=$!
		if ! wait_for 60 test -e "$TMP/ready"; then
			cat "$TMP/tracer.out" >&2
			echo "progstats.sh: ${names[$i]} did not attach" >&2
			exit 1
		fi
		s0=$(prog_stats $TP)
		c0=$(cpu_ns $BP)
		kill -USR1 $BP
		wait_for 600 grep -q 'elapsed_s=' "$TMP/bench.out"
		c1=$(cpu_ns $BP)
		s1=$(prog_stats $TP)
		kill -INT $TP
		wait $TP 2>/dev/null || true
		TP=""
		kill -TERM $BP
		wait $BP 2>/dev/null || true
		BP=""
		echo "round $((r + 1)) ${names[$i]}:" \
			"wall=$(sed -n 's/.*ns_per_pair=\([0-9.]*\).*/\1/p' "$TMP/bench.out")" \
			"cpu=$(awk -v a="$c0" -v b="$c1" -v n="$PAIRS" 'BEGIN { printf "%.1f", (b - a) / n }')" \
			"$(join <(echo "$s0") <(echo "$s1") |
				awk '$5 > $3 { printf " %s=%.0f", $1, ($4 - $2) / ($5 - $3) }')"
	done
done
