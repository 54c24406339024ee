#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Copyright (c) 2026 The leakwatch authors
#
# Cost of `leakwatch daemon` itself (docs/performance.md "The daemon"):
#
#   sudo bench/daemon_run.sh [-n PROCS] [-G GO_PROCS] [-s SCANS] [-i SECS] [-g GO] [-b BUILD_DIR] [--all] [--no-fleet] [--no-escalation]
#
# 1. Fleet: PROCS processes (default 200), GO_PROCS of them (default 6)
#    the Go fixture tests/go/leaky (two driven, so their goroutines and Go
#    heap change; the others idle), the rest bench/daemon_bench in varied
#    shapes (heap, threads, TCP, UDP and unix sockets; a few grow).  One
#    `leakwatch daemon --interval SECS --no-escalate` (default 30 s) watches
#    them (with --all: every process of the host) while /metrics is
#    scraped once an interval as Prometheus would.  Measured over SCANS
#    scans (default 10) after the first: the daemon's CPU (schedstat of
#    all its threads; utime+stime as a cross-check) as a share of one
#    core, its VmHWM and VmRSS, and what its own metrics say (processes
#    watched, scans, scan duration).
# 2. Escalation: one daemon_bench growing by GROW_KIB KiB/s while doing
#    GROW_RATE malloc+free pairs a second, under a daemon with a short
#    interval and window so that it escalates: how long attaching and
#    detaching took, the daemon's CPU and RSS during the window, and the
#    target's throughput and CPU per pair before, during and after.
#
# Environment: GROW_RATE (5000), GROW_KIB (256), ESC_WINDOW (30),
# ESC_INTERVAL (2), ESC_VERDICT_WINDOW (20).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROCS=200
GO_PROCS=6
SCANS=10
INTERVAL=30
GO=/usr/lib/go-1.19/bin/go
BUILD=""
ALL=0
DO_FLEET=1
DO_ESC=1
GROW_RATE=${GROW_RATE:-5000}
GROW_KIB=${GROW_KIB:-256}
ESC_WINDOW=${ESC_WINDOW:-30}
ESC_INTERVAL=${ESC_INTERVAL:-2}
ESC_VERDICT_WINDOW=${ESC_VERDICT_WINDOW:-20}

usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-n) PROCS=$2; shift 2 ;;
	-G) GO_PROCS=$2; shift 2 ;;
	-s) SCANS=$2; shift 2 ;;
	-i) INTERVAL=$2; shift 2 ;;
	-g) GO=$2; shift 2 ;;
	-b) BUILD=$2; shift 2 ;;
	--all) ALL=1; shift ;;
	--no-fleet) DO_FLEET=0; shift ;;
	--no-escalation) DO_ESC=0; shift ;;
	*) usage ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "daemon_run.sh: run as root" >&2
	exit 1
fi

T_START=$(date +%s)
TMP=$(mktemp -d /tmp/lw-dbench.XXXXXX)
STARTED=() # PIDs of everything we started, killed on exit

stop_all() {
	local p
	for p in "${STARTED[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${STARTED[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	STARTED=()
}
trap 'stop_all; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

log() { echo "daemon_run.sh: $*" >&2; }
die() { echo "daemon_run.sh: error: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh" # wait_for, cpu_ns, median, forget, install_missing, ...

# ---- what we need ----------------------------------------------------
install_missing curl:curl jq:jq

# ---- build -------------------------------------------------------------
if [ -z "$BUILD" ]; then
	BUILD=build-bench
	cmake -S "$ROOT" -B "$ROOT/$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DLW_TESTS=OFF >/dev/null
fi
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
cmake --build "$BUILD" -j2 --target leakwatch daemon_bench floor >"$TMP/build.log" 2>&1 ||
	{ cat "$TMP/build.log" >&2; die "build failed"; }
LW=$BUILD/leakwatch
DB=$BUILD/bench/daemon_bench
FLOOR=$BUILD/bench/floor

# The Go fixture: the build tree's (any toolchain, stripped or not), else
# built here with GO.
GO_BINS=()
if [ "$DO_FLEET" = 1 ] && [ "$GO_PROCS" -gt 0 ]; then
	for f in "$BUILD"/go/leaky-*; do
		[ -x "$f" ] && GO_BINS+=("$f")
	done
	if [ ${#GO_BINS[@]} = 0 ]; then
		if [ -x "$GO" ] || command -v "$GO" >/dev/null; then
			log "building tests/go/leaky with $GO"
			(cd "$ROOT/tests/go/leaky" && GOCACHE=$TMP/gocache \
				GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOPROXY=off \
				CGO_ENABLED=0 "$GO" build -o "$TMP/leaky-bench" .) ||
				die "go build failed"
			GO_BINS=("$TMP/leaky-bench")
		else
			log "no Go toolchain ($GO): no Go processes"
			GO_PROCS=0
		fi
	fi
fi
mount_tracefs

# ---- helpers -------------------------------------------------------------
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
now_ns() { date +%s%N; }

PORT=""
# start_daemon NAME ARGS...: the daemon on a free loopback port; its
# stderr, each line stamped with the wall clock, in $TMP/NAME.log.
start_daemon() {
	local name=$1
	shift
	rm -f "$TMP/$name.ready"
	"$LW" daemon --listen 127.0.0.1:0 --ready-file "$TMP/$name.ready" "$@" \
		2> >(while IFS= read -r l; do
			printf '%s %s\n' "$EPOCHREALTIME" "$l"
		done >"$TMP/$name.log") &
	D_PID=$!
	STARTED+=("$D_PID")
	if ! wait_for 600 test -e "$TMP/$name.ready"; then
		cat "$TMP/$name.log" >&2
		die "the daemon did not start"
	fi
	wait_for 5 grep -q '(port [0-9]*)' "$TMP/$name.log" || die "no port in the daemon's log"
	PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$TMP/$name.log" | head -1)
}

stop_daemon() {
	kill -TERM "$D_PID" 2>/dev/null || true
	wait "$D_PID" 2>/dev/null || true
	forget "$D_PID"
}

# scrape: GET /metrics as Prometheus does (its Accept and gzip); the
# decoded text in $TMP/metrics; prints "BYTES_ON_THE_WIRE SECONDS".
scrape() {
	curl -sS --compressed -o "$TMP/metrics" -w '%{size_download} %{time_total}\n' \
		-H 'Accept: application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2' \
		-H 'X-Prometheus-Scrape-Timeout-Seconds: 10' \
		"http://127.0.0.1:$PORT/metrics"
}
metric() { # metric 'NAME{LABELS}': its value in the last scrape
	awk -v m="$1" '$1 == m { print $2 }' "$TMP/metrics"
}

echo "daemon_run.sh: $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty'), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the fleet ----------------------------------------------------------
if [ "$DO_FLEET" = 1 ]; then
	NATIVE=$((PROCS - GO_PROCS))
	DURATION=$(((SCANS + 3) * ${INTERVAL%.*} + 120))
	log "starting $NATIVE daemon_bench and $GO_PROCS Go processes"
	for ((i = 0; i < NATIVE; i++)); do
		"$DB" host "$i" >>"$TMP/fleet.out" 2>&1 &
		STARTED+=($!)
	done
	for ((i = 0; i < GO_PROCS; i++)); do
		bin=${GO_BINS[$((i % ${#GO_BINS[@]}))]}
		if [ $i -lt 2 ]; then
			"$bin" -drive "$DURATION" -rate 1 >/dev/null 2>>"$TMP/go.out" &
		else
			"$bin" >/dev/null 2>>"$TMP/go.out" &
		fi
		STARTED+=($!)
	done
	wait_for 120 sh -c "[ \$(grep -c '^ready' '$TMP/fleet.out') -ge $NATIVE ]" ||
		die "only $(grep -c '^ready' "$TMP/fleet.out") of $NATIVE daemon_bench processes started"
	wait_for 60 sh -c "[ \$(grep -c 'serving on' '$TMP/go.out') -ge $GO_PROCS ]" ||
		die "only $(grep -c 'serving on' "$TMP/go.out") of $GO_PROCS Go processes started"
	awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } }
		END { printf "fleet: %d daemon_bench (%d MiB of heap held, %d threads, %d TCP connections, %d UDP sockets, %d unix pairs, %d growing), ",
			NR, v["mem_mib"], v["threads"], v["tcp_conns"], v["udp"], v["unix_pair"], v["grow_kib_s"] / 32 }' \
		"$TMP/fleet.out"
	echo "$GO_PROCS Go ($(printf '%s\n' "${GO_BINS[@]}" | xargs -n1 basename | sort -u | paste -sd,); 2 driven at 1 round/s)"
	sleep 2

	# By executable path: other programs on the host may share a name.
	sel=(--exe "$DB")
	for b in "${GO_BINS[@]}"; do
		sel+=(--exe "$b")
	done
	[ "$ALL" = 1 ] && sel=()
	t_launch=$(now_ns)
	start_daemon fleet --interval "$INTERVAL" --no-escalate "${sel[@]}"
	t_ready=$(now_ns)
	c_ready=$(cpu_ns "$D_PID")
	hwm_ready=$(status_kb "$D_PID" VmHWM)
	echo "leakwatch daemon --interval $INTERVAL --no-escalate ${sel[*]//"$ROOT"\//}"
	echo "  start and first scan: $(awk -v a="$t_launch" -v b="$t_ready" 'BEGIN { printf "%.2f", (b - a) / 1e9 }') s," \
		"$(awk -v c="$c_ready" 'BEGIN { printf "%.0f", c / 1e6 }') ms CPU, VmHWM $hwm_ready kB"

	# The measured part: from half an interval after the first scan to
	# half an interval after scan SCANS+1, so it holds exactly SCANS scans;
	# a scrape once an interval, a quarter interval after each scan.
	half=$(awk -v i="$INTERVAL" 'BEGIN { print i / 2 }')
	quarter=$(awk -v i="$INTERVAL" 'BEGIN { print i / 4 }')
	sleep "$half"
	c0=$(cpu_ns "$D_PID"); k0=$(cpu_ticks "$D_PID"); t0=$(now_ns)
	scrape >/dev/null
	s0=$(metric leakwatch_scans_total)
	printf '  %-5s %9s %10s %8s %9s %10s %9s\n' scan cpu_ms scan_s watched wire_kB scrape_ms rss_kB
	prev=$c0
	WATCHED=()
	for ((s = 1; s <= SCANS; s++)); do
		sleep "$half"; sleep "$quarter"
		read -r bytes secs < <(scrape)
		sleep "$quarter"
		c=$(cpu_ns "$D_PID")
		w=$(metric leakwatch_processes_watched)
		WATCHED+=("$w")
		printf '  %-5s %9.1f %10s %8s %9.1f %10.1f %9s\n' "$s" \
			"$(awk -v a="$prev" -v b="$c" 'BEGIN { print (b - a) / 1e6 }')" \
			"$(metric leakwatch_scan_duration_seconds)" "$w" \
			"$(awk -v b="$bytes" 'BEGIN { print b / 1024 }')" \
			"$(awk -v s="$secs" 'BEGIN { print s * 1000 }')" \
			"$(status_kb "$D_PID" VmRSS)"
		prev=$c
	done
	c1=$(cpu_ns "$D_PID"); k1=$(cpu_ticks "$D_PID"); t1=$(now_ns)
	scrape >/dev/null
	s1=$(metric leakwatch_scans_total)
	hwm=$(status_kb "$D_PID" VmHWM)
	rss=$(status_kb "$D_PID" VmRSS)
	anon=$(status_kb "$D_PID" RssAnon)
	file=$(status_kb "$D_PID" RssFile)
	series=$(grep -vc '^#' "$TMP/metrics")
	lines_pid=$(grep -v '^#' "$TMP/metrics" | grep -o 'pid="[0-9]*"' | sort -u | wc -l)
	minw=$(printf '%s\n' "${WATCHED[@]}" | sort -n | head -1)
	echo "  scans in the measured part: $((s1 - s0)) (leakwatch_scans_total $s0 -> $s1) over" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
	echo "  processes watched (leakwatch_processes_watched): min $minw, last ${WATCHED[-1]}; started $PROCS;" \
		"per-process series for $lines_pid (--top 100), $series samples a scrape"
	awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v n="$((s1 - s0))" \
		-v w="$minw" -v ka="$k0" -v kb="$k1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "  daemon CPU: %.3f%% of one core (schedstat; %.3f%% from utime+stime ticks), %.1f ms a scan, %.0f us per process and scan\n",
			(b - a) * 100 / (t1 - t0), (kb - ka) * 1e9 / hz * 100 / (t1 - t0),
			(b - a) / 1e6 / n, (b - a) / 1e3 / n / w }'
	echo "  daemon memory: VmHWM $hwm kB, VmRSS at the end $rss kB (RssAnon $anon kB," \
		"RssFile $file kB; leakwatch_daemon_resident_bytes $(metric leakwatch_daemon_resident_bytes))"
	stop_daemon
	stop_all
fi

# ---- 2. one escalation window ------------------------------------------------
if [ "$DO_ESC" = 1 ]; then
	"$DB" grow "$GROW_RATE" "$GROW_KIB" >"$TMP/grow.out" 2>&1 &
	G_PID=$!
	STARTED+=("$G_PID")
	wait_for 20 grep -q '^ready' "$TMP/grow.out" || die "daemon_bench grow did not start"
	echo
	echo "escalation: daemon_bench grow $GROW_RATE $GROW_KIB (pid $G_PID: $GROW_RATE malloc+free pairs/s, +$GROW_KIB KiB/s kept)"
	start_daemon esc --interval "$ESC_INTERVAL" --window "$ESC_VERDICT_WINDOW" \
		--escalate-window "$ESC_WINDOW" --escalate-cooldown 3600 \
		--exe "$DB"
	echo "leakwatch daemon --interval $ESC_INTERVAL --window $ESC_VERDICT_WINDOW --escalate-window $ESC_WINDOW --escalate-cooldown 3600 --exe ${DB#"$ROOT"/}"
	# Sample the daemon every 200 ms until the window is over and 15 s
	# more have passed: wall clock, CPU ns, VmRSS.
	: >"$TMP/samples"
	deadline=$(($(date +%s) + ESC_VERDICT_WINDOW * 3 + ${ESC_WINDOW%.*} + 60))
	t_end=""
	while [ "$(date +%s)" -lt "$deadline" ]; do
		echo "$EPOCHREALTIME $(cpu_ns "$D_PID") $(status_kb "$D_PID" VmRSS)" >>"$TMP/samples"
		if [ -z "$t_end" ] && grep -q 'probes detached' "$TMP/esc.log"; then
			t_end=$(date +%s)
			deadline=$((t_end + 15))
		fi
		sleep 0.2
	done
	grep -q 'allocation probes for' "$TMP/esc.log" || { cat "$TMP/esc.log" >&2; die "the daemon did not escalate"; }
	[ -n "$t_end" ] || { cat "$TMP/esc.log" >&2; die "the escalation did not end"; }
	scrape >/dev/null
	curl -sS "http://127.0.0.1:$PORT/api/v1/processes" >"$TMP/api.json"
	hwm=$(status_kb "$D_PID" VmHWM)
	stop_daemon
	# The same target under bench/floor (counting-only programs on the
	# same probe points) for 15 s: the price of the probes themselves on
	# this machine now, beside what the escalation cost.
	sleep 5
	rm -f "$TMP/floor.ready"
	"$FLOOR" -p "$G_PID" --ready-file "$TMP/floor.ready" >"$TMP/floor.out" 2>&1 &
	F_PID=$!
	STARTED+=("$F_PID")
	wait_for 30 test -e "$TMP/floor.ready" || { cat "$TMP/floor.out" >&2; die "floor did not attach"; }
	tf0=$EPOCHREALTIME
	sleep 15
	tf1=$EPOCHREALTIME
	kill -INT "$F_PID" 2>/dev/null || true
	wait "$F_PID" 2>/dev/null || true
	sleep 1.5
	kill -TERM "$G_PID" 2>/dev/null || true

	ta=$(awk '/allocation probes for/ { print $1; exit }' "$TMP/esc.log")
	td=$(awk '/probes detached/ { print $1; exit }' "$TMP/esc.log")
	sed 's/^[0-9.]* /  daemon: /' "$TMP/esc.log" | grep -E 'probes|over the budget' || true
	echo "  leakwatch_escalations_total: completed=$(metric 'leakwatch_escalations_total{result="completed"}')" \
		"budget=$(metric 'leakwatch_escalations_total{result="budget"}')" \
		"failed=$(metric 'leakwatch_escalations_total{result="failed"}');" \
		"leakwatch_escalation_probe_hits_total $(metric leakwatch_escalation_probe_hits_total)"
	jq -r --argjson pid "$G_PID" '.[] | select(.process.pid == $pid) |
		"  JSON API, pid \($pid): escalation.last = \(.process.escalation.last | tostring)",
		"  top allocation site: \(.allocations.sites[0].stack[0].function // "?") (\(.allocations.sites[0].verdict // "?"), \(.allocations.sites[0].live_bytes // 0) bytes live)"' \
		"$TMP/api.json" 2>/dev/null || echo "  (JSON API: no entry for pid $G_PID)"
	# Daemon CPU and RSS: 10 s before the window, the window, 10 s after.
	awk -v ta="$ta" -v td="$td" -v hwm="$hwm" '
	function span(name, a, b,   i, c0, c1, s0, s1, r) {
		c0 = ""; r = 0
		for (i = 1; i <= n; i++) {
			if (t[i] < a || t[i] > b) continue
			if (c0 == "") { c0 = c[i]; s0 = t[i] }
			c1 = c[i]; s1 = t[i]
			if (m[i] > r) r = m[i]
		}
		if (c0 == "" || s1 <= s0) { printf "  %-28s no samples\n", name; return }
		printf "  %-28s %6.2f%% of one core, VmRSS up to %d kB\n", name,
			(c1 - c0) / 1e9 * 100 / (s1 - s0), r
	}
	{ n++; t[n] = $1; c[n] = $2; m[n] = $3 }
	END {
		print "  daemon, measured from outside (schedstat, VmRSS every 200 ms):"
		span("10 s before the window", ta - 10, ta - 0.5)
		span("the window", ta, td)
		span("10 s after it", td + 0.5, td + 10.5)
		printf "  %-28s %d kB\n", "VmHWM at the end", hwm
	}' "$TMP/samples"
	# The target's own view: pairs/s and CPU ns per pair, per phase.
	awk -v ta="$ta" -v td="$td" -v tf0="$tf0" -v tf1="$tf1" '
	/^tick/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n++; t[n] = v["unix"]; p[n] = v["pairs"]; c[n] = v["cpu_ns"]
	}
	function phase(name, a, b,   i, f, l) {
		f = 0
		for (i = 1; i <= n; i++)
			if (t[i] >= a && t[i] <= b) { if (!f) f = i; l = i }
		if (!f || l == f) { printf "  %-28s no ticks\n", name; return }
		printf "  %-28s %8.0f pairs/s, %7.0f ns CPU per pair, %5.1f%% of one core\n",
			name, (p[l] - p[f]) / (t[l] - t[f]), (c[l] - c[f]) / (p[l] - p[f]),
			(c[l] - c[f]) / 1e9 * 100 / (t[l] - t[f])
	}
	END {
		print "  the target (its own tick lines):"
		phase("10 s before the window", ta - 10, ta)
		phase("the window", ta + 1, td)
		phase("10 s after it", td + 1, td + 11)
		phase("bench/floor attached", tf0 + 1, tf1)
	}' "$TMP/grow.out"
fi

echo
echo "daemon_run.sh took $(($(date +%s) - T_START)) s"
