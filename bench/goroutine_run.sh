#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Copyright (c) 2026 The leakwatch authors
#
# Cost of --goroutine-probes per short goroutine (go + exit), docs/performance.md:
#
#   sudo bench/goroutine_run.sh [-r REPS] [-n GOROUTINES] [-g GO] [-b BUILD_DIR]
#
# One bench/goroutine_bench process runs 2*REPS phases (default 3 pairs) of
# GOROUTINES short goroutines each: untraced, then traced by `leakwatch
# attach --goroutine-probes --no-threads --no-sockets`, alternately, so
# both are measured side by side in one process.  For the traced phases it
# also reads the kernel's run-time statistics of the two BPF programs
# (kernel.bpf_stats_enabled is switched on for the run and restored).
# GO is the go command that builds the benchmark (default: go on PATH).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=3
N=200000
GO=go
BUILD=""

usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-r) REPS=$2; shift 2 ;;
	-n) N=$2; shift 2 ;;
	-g) GO=$2; shift 2 ;;
	-b) BUILD=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "goroutine_run.sh: run as root" >&2
	exit 1
fi
if [ -z "$BUILD" ]; then
	BUILD=build-bench
	cmake -S "$ROOT" -B "$ROOT/$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLW_TESTS=OFF >/dev/null
fi
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
cmake --build "$BUILD" -j2 --target leakwatch >/dev/null
LW=$BUILD/leakwatch
TMP=$(mktemp -d)
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
BENCH_PID=""
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS" || true
	[ -n "$BENCH_PID" ] && kill "$BENCH_PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

(cd "$ROOT/bench/goroutine_bench" &&
	GOFLAGS=-mod=mod "$GO" build -o "$TMP/goroutine_bench" .)
"$GO" version

mkfifo "$TMP/ctl"
exec 3<>"$TMP/ctl"
"$TMP/goroutine_bench" -n "$N" -phases $((2 * REPS)) <&3 >"$TMP/out" &
BENCH_PID=$!

wait_lines() { # wait_lines N: until the bench printed N phase lines
	while [ "$(grep -c '^phase' "$TMP/out" || true)" -lt "$1" ]; do
		kill -0 "$BENCH_PID" || { echo "the benchmark died" >&2; exit 1; }
		sleep 0.1
	done
}

prog_stats() { # prog_stats NAME: "run_cnt run_time_ns"
	bpftool prog show name "$1" -j 2>/dev/null |
		sed -n 's/.*"run_time_ns":\([0-9]*\).*"run_cnt":\([0-9]*\).*/\2 \1/p' |
		head -1
}

sysctl -qw kernel.bpf_stats_enabled=1
for r in $(seq 1 "$REPS"); do
	wait_lines $((2 * r - 1))
	rm -f "$TMP/ready"
	"$LW" attach -p "$BENCH_PID" --goroutine-probes --no-threads \
		--no-sockets -i 3600 --ready-file "$TMP/ready" \
		--json "$TMP/r.json" >/dev/null 2>"$TMP/lw.err" &
	LWP=$!
	while [ ! -e "$TMP/ready" ]; do
		kill -0 "$LWP" || { cat "$TMP/lw.err" >&2; exit 1; }
		sleep 0.1
	done
	echo go >&3
	wait_lines $((2 * r))
	for p in newproc1_ret gdestroy_enter; do
		read -r cnt ns <<<"$(prog_stats $p)" || true
		if [ -n "${cnt:-}" ] && [ "$cnt" -gt 0 ]; then
			echo "rep $r: BPF $p: $cnt runs, $((ns / cnt)) ns/run"
		fi
	done
	kill -INT "$LWP"
	wait "$LWP" || true
	[ "$r" -lt "$REPS" ] && echo go >&3
done
wait "$BENCH_PID" || true
BENCH_PID=""
awk '/^phase/ { ns = $3; if ($2 ~ /[13579]:$/) u[++nu] = ns; else t[++nt] = ns }
	END {
		for (i = 1; i <= nu; i++)
			printf "pair %d: untraced %s ns, traced %s ns per goroutine, +%.0f ns\n",
				i, u[i], t[i], t[i] - u[i]
	}' "$TMP/out"
