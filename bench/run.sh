#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Copyright (c) 2026 The leakwatch authors
#
# Overhead benchmark of leakwatch (docs/performance.md).  Run as root:
#
#   sudo bench/run.sh [-r REPS] [-b BUILD_DIR] [--no-redis] [--no-paced]
#
# Measures, side by side and interleaved in one run, the cost per
# malloc+free pair of bench/malloc_bench (a ring of 64 live blocks,
# 16..4096 bytes) when it is:
#   untraced   nothing attached
#   floor      counting-only BPF programs on leakwatch's probe set
#              (bench/floor: malloc entry+return, free entry, at the
#              offsets leakwatch chooses, uprobe_multi links)
#   leakwatch  leakwatch attach -p PID
#   bpftrace   bench/memleak.bt, a memleak-style bpftrace script
# then leakwatch's own CPU time per event and peak RSS, its CPU share of
# one core while the target does 500k pairs/s, and redis-server's
# throughput under redis-benchmark (loopback) untraced and traced.
#
# Environment: PAIRS_UNTRACED (20000000), PAIRS_TRACED (1000000),
# PAIRS_BPFTRACE (200000), PACED_RATE (500000), PACED_SECONDS (10),
# REDIS_REPS (3), REDIS_REQUESTS (200000).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=5
BUILD=""
DO_REDIS=1
DO_PACED=1
PAIRS_UNTRACED=${PAIRS_UNTRACED:-20000000}
PAIRS_TRACED=${PAIRS_TRACED:-1000000}
PAIRS_BPFTRACE=${PAIRS_BPFTRACE:-200000}
PACED_RATE=${PACED_RATE:-500000}
PACED_SECONDS=${PACED_SECONDS:-10}
REDIS_REPS=${REDIS_REPS:-3}
REDIS_REQUESTS=${REDIS_REQUESTS:-200000}

usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-r) REPS=$2; shift 2 ;;
	-b) BUILD=$2; shift 2 ;;
	--no-redis) DO_REDIS=0; shift ;;
	--no-paced) DO_PACED=0; shift ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: run as root (sudo bench/run.sh)" >&2
	exit 1
fi

T_START=$(date +%s)
TMP=$(mktemp -d /tmp/lw-bench.XXXXXX)
STARTED=() # PIDs of everything we started, killed on exit

cleanup() {
	local p
	for p in "${STARTED[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in "${STARTED[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "run.sh: $*" >&2; }
die() { echo "run.sh: error: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh" # wait_for, cpu_ns, median, forget, install_missing, ...

# ---- what we need ----------------------------------------------------
need=(bpftrace:bpftrace)
[ $DO_REDIS = 1 ] && need+=(redis-server:redis-server redis-benchmark:redis-tools)
install_missing "${need[@]}"
mount_tracefs

# ---- build -------------------------------------------------------------
cd "$ROOT"
if [ -z "$BUILD" ]; then
	BUILD=build-bench
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLW_TESTS=OFF \
		-DLW_BENCH=ON >/dev/null
fi
cmake --build "$BUILD" -j"$(nproc)" --target leakwatch malloc_bench floor \
	>"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; die "build failed"; }
LW=$ROOT/$BUILD/leakwatch
MB=$ROOT/$BUILD/bench/malloc_bench
FLOOR=$ROOT/$BUILD/bench/floor
BT_SCRIPT=$ROOT/bench/memleak.bt
for f in "$LW" "$MB" "$FLOOR"; do
	[ -x "$f" ] || die "$f missing (is LW_BENCH on in $BUILD?)"
done

# ---- helpers -------------------------------------------------------------
alive() { kill -0 "$1" 2>/dev/null; }

vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

BENCH_PID=""
# start_bench ARGS...: malloc_bench --wait --hold ARGS, warmed up, waiting.
start_bench() {
	: >"$TMP/bench.out"
	"$MB" --wait --hold "$@" >"$TMP/bench.out" 2>&1 &
	BENCH_PID=$!
	STARTED+=("$BENCH_PID")
	wait_for 30 grep -q '^ready' "$TMP/bench.out" || die "malloc_bench did not start"
}

# go_bench: start measuring, wait for the result line; prints it.
go_bench() {
	kill -USR1 "$BENCH_PID"
	wait_for 600 grep -q 'elapsed_s=' "$TMP/bench.out" || die "malloc_bench did not finish"
	grep 'elapsed_s=' "$TMP/bench.out"
}

end_bench() { # SIGTERM ends it whether it waits to start or to exit
	kill -TERM "$BENCH_PID" 2>/dev/null || true
	wait "$BENCH_PID" 2>/dev/null || true
	forget "$BENCH_PID"
}

field() { # field NAME LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# Stop a tracer we started: SIGINT, then wait (its report is discarded).
stop_tracer() {
	kill -INT "$1" 2>/dev/null || true
	local i
	for i in $(seq 600); do
		alive "$1" || break
		sleep 0.05
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null || true
	forget "$1"
}

# start_leakwatch PID: attach, wait for the ready file; sets LW_PID.
LW_PID=""
start_leakwatch() {
	rm -f "$TMP/lw.ready"
	"$LW" attach -p "$1" -i 3600 --ready-file "$TMP/lw.ready" \
		>/dev/null 2>"$TMP/lw.err" &
	LW_PID=$!
	STARTED+=("$LW_PID")
	if ! wait_for 60 test -e "$TMP/lw.ready"; then
		cat "$TMP/lw.err" >&2
		die "leakwatch did not attach"
	fi
}

declare -A NS # NS[cfg] = "v1 v2 ..."
LW_CPU_PER_EVENT=()
LW_TICKS_PER_EVENT=()
LW_HWM=()

# run_CFG: one measurement; the ns per pair in RESULT (not echoed: these
# run in the main shell so that what they record survives).
RESULT=""
run_untraced() {
	start_bench --pairs "$PAIRS_UNTRACED"
	local r
	r=$(go_bench)
	end_bench
	RESULT=$(field ns_per_pair "$r")
}

run_floor() {
	start_bench --pairs "$PAIRS_TRACED"
	rm -f "$TMP/floor.ready"
	"$FLOOR" -p "$BENCH_PID" --ready-file "$TMP/floor.ready" \
		>"$TMP/floor.out" 2>&1 &
	local fl=$! r
	STARTED+=("$fl")
	wait_for 30 test -e "$TMP/floor.ready" || { cat "$TMP/floor.out" >&2; die "floor did not attach"; }
	r=$(go_bench)
	stop_tracer $fl
	end_bench
	grep -q "malloc_enter=$PAIRS_TRACED " "$TMP/floor.out" ||
		log "floor counted: $(tail -1 "$TMP/floor.out") (expected $PAIRS_TRACED each)"
	RESULT=$(field ns_per_pair "$r")
}

run_leakwatch() {
	start_bench --pairs "$PAIRS_TRACED"
	start_leakwatch "$BENCH_PID"
	local c0 k0 c1 k1 r
	c0=$(cpu_ns $LW_PID)
	k0=$(cpu_ticks $LW_PID)
	r=$(go_bench)
	sleep 0.3 # leakwatch drains every 50 ms: let it take everything
	c1=$(cpu_ns $LW_PID)
	k1=$(cpu_ticks $LW_PID)
	LW_HWM+=("$(vm_hwm_kb $LW_PID)")
	stop_tracer $LW_PID
	end_bench
	LW_CPU_PER_EVENT+=("$(awk -v a="$c0" -v b="$c1" -v n="$PAIRS_TRACED" \
		'BEGIN { printf "%.1f", (b - a) / (2 * n) }')")
	LW_TICKS_PER_EVENT+=("$(awk -v a="$k0" -v b="$k1" -v n="$PAIRS_TRACED" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) * 1e9 / hz / (2 * n) }')")
	RESULT=$(field ns_per_pair "$r")
}

run_bpftrace() {
	start_bench --pairs "$PAIRS_BPFTRACE"
	bpftrace "$BT_SCRIPT" "$BENCH_PID" >"$TMP/bt.out" 2>&1 &
	local bt=$! r
	STARTED+=("$bt")
	wait_for 60 grep -q '^Attaching' "$TMP/bt.out" || { cat "$TMP/bt.out" >&2; die "bpftrace did not attach"; }
	sleep 1 # "Attaching N probes" is printed before the attach itself
	r=$(go_bench)
	stop_tracer $bt
	end_bench
	RESULT=$(field ns_per_pair "$r")
}

# ---- the microbenchmark, interleaved ------------------------------------
CFGS=(untraced floor leakwatch bpftrace)
log "$(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"
log "probe points in malloc_bench (leakwatch's placement; * = floor's set):"
start_bench --pairs 1
"$FLOOR" -p "$BENCH_PID" --print | grep '^\*' | sed 's/^/    /' >&2
end_bench

for ((rep = 0; rep < REPS; rep++)); do
	line="round $((rep + 1))/$REPS:"
	for ((k = 0; k < ${#CFGS[@]}; k++)); do
		# Rotate the order each round so no configuration always runs
		# first (or right after the expensive one).
		cfg=${CFGS[$(((k + rep) % ${#CFGS[@]}))]}
		run_$cfg
		v=$RESULT
		NS[$cfg]="${NS[$cfg]:-} $v"
		line="$line $cfg=$v"
	done
	log "$line"
done

med() { echo "${NS[$1]}" | tr ' ' '\n' | grep . | median; }
# Median over rounds of a per-round ratio a/b (same round, side by side).
ratio_med() {
	paste <(echo "${NS[$1]}" | tr ' ' '\n' | grep .) \
		<(echo "${NS[$2]}" | tr ' ' '\n' | grep .) |
		awk '{ printf "%.3f\n", $1 / $2 }' | median
}

U=$(med untraced); F=$(med floor); L=$(med leakwatch); B=$(med bpftrace)
echo
echo "malloc_bench: median ns per malloc+free pair, $REPS interleaved rounds"
echo "(pairs per run: untraced $PAIRS_UNTRACED, floor/leakwatch $PAIRS_TRACED, bpftrace $PAIRS_BPFTRACE)"
printf '  %-28s %10s %10s\n' configuration ns/pair x-untraced
for c in untraced floor leakwatch bpftrace; do
	m=$(med $c)
	printf '  %-28s %10.1f %10.1f\n' "$c" "$m" "$(awk -v a="$m" -v b="$U" 'BEGIN { print a / b }')"
done
echo
printf '  %-28s %10s %10s  %s\n' ratio of-medians per-round target
printf '  %-28s %10.3f %10.3f  %s\n' leakwatch/floor \
	"$(awk -v a="$L" -v b="$F" 'BEGIN { print a / b }')" "$(ratio_med leakwatch floor)" "<= 1.15"
printf '  %-28s %10.2f %10.2f  %s\n' bpftrace/leakwatch \
	"$(awk -v a="$B" -v b="$L" 'BEGIN { print a / b }')" "$(ratio_med bpftrace leakwatch)" ">= 8"
printf '  %-28s %10.2f %10.2f\n' leakwatch/untraced \
	"$(awk -v a="$L" -v b="$U" 'BEGIN { print a / b }')" "$(ratio_med leakwatch untraced)"
echo
echo "leakwatch's own CPU per event (2 events per pair; schedstat ns, median):" \
	"$(printf '%s\n' "${LW_CPU_PER_EVENT[@]}" | median) ns" \
	"(per round: ${LW_CPU_PER_EVENT[*]}; from /proc/PID/stat ticks: $(printf '%s\n' "${LW_TICKS_PER_EVENT[@]}" | median) ns)"
echo "leakwatch's peak RSS (VmHWM, max over rounds): $(printf '%s\n' "${LW_HWM[@]}" | sort -n | tail -1) kB"

# ---- paced: leakwatch's CPU share at PACED_RATE pairs/s ---------------------
if [ $DO_PACED = 1 ]; then
	start_bench --rate "$PACED_RATE" --seconds "$PACED_SECONDS"
	start_leakwatch "$BENCH_PID"
	c0=$(cpu_ns $LW_PID)
	b0=$(cpu_ns "$BENCH_PID")
	t0=$(date +%s%N)
	r=$(go_bench)
	sleep 0.3
	c1=$(cpu_ns $LW_PID)
	b1=$(cpu_ns "$BENCH_PID")
	t1=$(date +%s%N)
	hwm=$(vm_hwm_kb $LW_PID)
	stop_tracer $LW_PID
	end_bench
	echo
	echo "paced: malloc_bench --rate $PACED_RATE --seconds $PACED_SECONDS under leakwatch attach:"
	echo "  reached $(field rate "$r") pairs/s ($(field pairs "$r") pairs)"
	awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v x0="$b0" -v x1="$b1" 'BEGIN {
		printf "  leakwatch CPU: %.2f%% of one core (target < 10%%); the target itself: %.0f%%\n",
			(b - a) * 100 / (t1 - t0), (x1 - x0) * 100 / (t1 - t0) }'
	echo "  leakwatch peak RSS: $hwm kB"
fi

# ---- a real service: redis-server under redis-benchmark --------------------
if [ $DO_REDIS = 1 ]; then
	port=""
	for p in $(seq 16379 16479); do
		if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			port=$p
			break
		fi
	done
	[ -n "$port" ] || die "no free port for redis-server"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize no --logfile "$TMP/redis.log" --dir "$TMP" &
	RPID=$!
	STARTED+=("$RPID")
	wait_for 20 sh -c "redis-cli -h 127.0.0.1 -p $port ping 2>/dev/null | grep -q PONG" ||
		die "redis-server did not start"
	echo
	echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port;" \
		"leakwatch probes in it:"
	"$FLOOR" -p "$RPID" --print |
		sed 's/^[* ] *\([^ ]*\) *\([^ ]*\) entry+[^ ]* probe+[^ ]* ([^)]*) sp_adjust=[0-9]*: /  \2 \1 at /' |
		sed 's|/usr/lib/x86_64-linux-gnu/||'

	redis_run() { # prints "TEST rps" lines
		redis-benchmark -h 127.0.0.1 -p "$port" -q -n "$REDIS_REQUESTS" \
			-t set,get,lpush,lpop -P 16 2>/dev/null | tr '\r' '\n' |
			sed -n 's/^\([A-Z]*\)[^:]*: \([0-9.]*\) requests per second.*/\1 \2/p'
	}
	: >"$TMP/redis.untraced"
	: >"$TMP/redis.traced"
	RCPU=()
	for ((rep = 0; rep < REDIS_REPS; rep++)); do
		redis_run >>"$TMP/redis.untraced"
		start_leakwatch "$RPID"
		c0=$(cpu_ns $LW_PID)
		t0=$(date +%s%N)
		redis_run >>"$TMP/redis.traced"
		t1=$(date +%s%N)
		c1=$(cpu_ns $LW_PID)
		RCPU+=("$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" \
			'BEGIN { printf "%.1f", (b - a) * 100 / (t1 - t0) }')")
		stop_tracer $LW_PID
		log "redis round $((rep + 1))/$REDIS_REPS done"
	done
	echo "redis-benchmark -n $REDIS_REQUESTS -P 16, median requests/s of $REDIS_REPS interleaved rounds:"
	printf '  %-8s %12s %12s %8s\n' test untraced leakwatch traced/untraced
	for t in SET GET LPUSH LPOP; do
		u=$(awk -v t=$t '$1 == t { print $2 }' "$TMP/redis.untraced" | median)
		l=$(awk -v t=$t '$1 == t { print $2 }' "$TMP/redis.traced" | median)
		printf '  %-8s %12.0f %12.0f %8.3f\n' $t "$u" "$l" \
			"$(awk -v a="$l" -v b="$u" 'BEGIN { print a / b }')"
	done
	echo "  leakwatch CPU during the traced runs: $(printf '%s\n' "${RCPU[@]}" | median)% of one core (per round: ${RCPU[*]})"
	kill -TERM "$RPID" 2>/dev/null || true
	wait "$RPID" 2>/dev/null || true
	forget "$RPID"
fi

echo
echo "run.sh took $(($(date +%s) - T_START)) s"
