# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# Copyright (c) 2026 The leakwatch authors
#
# Helpers the benchmark scripts share (bench/run.sh, bench/daemon_run.sh):
# sourced, not run.

wait_for() { # wait_for SECONDS CMD...: poll CMD every 50 ms
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# CPU time of a process and all its threads in ns (schedstat: exact), and
# in clock ticks from /proc/PID/stat (utime+stime) as a cross-check.
cpu_ns() {
	local t sum=0 v
	for t in /proc/"$1"/task/*/schedstat; do
		read -r v _ <"$t" 2>/dev/null || continue
		sum=$((sum + v))
	done
	echo $sum
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

median() { # numbers on stdin, one a line
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# forget PID: reaped, so no longer ours to kill (its PID may be reused);
# drops it from the caller's STARTED array.
forget() {
	local p keep=()
	for p in "${STARTED[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	STARTED=("${keep[@]}")
}

# install_missing CMD:PACKAGE...: apt-get install the package of every
# command that is not on PATH.
install_missing() {
	local c pkgs=()
	for c in "$@"; do
		command -v "${c%%:*}" >/dev/null || pkgs+=("${c#*:}")
	done
	[ ${#pkgs[@]} = 0 ] && return 0
	echo "installing ${pkgs[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

# libbpf attaches classic tracepoints through tracefs, which a fresh
# machine may not have mounted.
mount_tracefs() {
	if [ ! -d /sys/kernel/tracing/events ] && [ -d /sys/kernel/tracing ]; then
		mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
	fi
}
