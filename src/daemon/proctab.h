/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The daemon's process table: every selected process, sampled from
 * outside once an interval (procfs.c for memory and threads, /proc/PID/fd
 * with sock_diag for sockets, gocollect.c for a Go program's goroutines
 * and heap), with a sliding window of samples per kind and a verdict per
 * kind (trend.h's lw_trend__steady for quantities, the census rules for
 * goroutine sites).  Processes are keyed by PID and start time, so a
 * reused PID is a new process; an exec'd one starts over.  No probes
 * here: escalation (escalate.h) is the daemon loop's business, its
 * results are parked on the process.
 */
#ifndef LW_DAEMON_PROCTAB_H
#define LW_DAEMON_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/procfs.h"
#include "model.h"
#include "sockdiag.h"
#include "trend.h"

struct lw_procsel;
struct lw_gocollect;
struct lw_dheap;

enum lw_dkind {
	LW_DK_HEAP = 0,
	LW_DK_GOROUTINE,
	LW_DK_THREAD,
	LW_DK_SOCKET,
	LW_DK_NR,
};

/* "heap", "goroutine", "thread", "socket". */
const char *lw_dkind_name(unsigned kind);

#define LW_DPROC_LEAK_SITES 5 /* leaking sites named per kind */

/* A leaking site, named for metrics and alerts. */
struct lw_dsite {
	char name[160]; /* "main.subscribe server.go:88" */
	uint64_t live; /* goroutines, or bytes */
};

struct lw_dproc {
	int pid;
	uint64_t start_ticks;
	struct lw_procstat st; /* last sample */
	char *exe, *cgroup; /* owned; "" when unknown */
	char container[80];
	uint64_t pidns, netns;
	uint64_t exe_dev, exe_ino; /* to notice an exec */
	uint64_t first_ns, last_ns; /* CLOCK_MONOTONIC of the first and last sample */
	uint64_t t0_ns; /* series time origin (first sample, or the exec) */

	/* Go programs: NULL otherwise. */
	struct lw_gocollect *go;
	const char *go_version;
	uint64_t goroutines, go_heap_inuse;
	bool go_heap_ok;

	/* Descriptors (unless the daemon runs with --no-sockets). */
	bool fds_ok;
	uint64_t nr_fds, nr_sockets;
	uint64_t sock_states[LW_SOCK_NR_STATES];

	/* Per kind: whether it applies, its window and verdict. */
	bool has[LW_DK_NR];
	struct lw_series series[LW_DK_NR]; /* live bytes, or counts */
	struct lw_series rss;
	uint64_t live[LW_DK_NR];
	enum lw_verdict verdict[LW_DK_NR];
	double growth[LW_DK_NR]; /* per second */
	struct lw_dsite leak_sites[LW_DK_NR][LW_DPROC_LEAK_SITES];
	unsigned nr_leak_sites[LW_DK_NR];

	/* Escalation (daemon.c): the last result, when it was started. */
	struct lw_dheap *heap;
	uint64_t esc_started_ns;
	unsigned escalations;
	bool escalating;

	bool seen; /* in the scan under way */
};

struct lw_proctab_opts {
	double interval_s;
	double window_s;
	const struct lw_procsel *sel; /* not owned */
	bool no_sockets;
	int self_pid; /* never watched */
};

struct lw_proctab_stats {
	uint64_t scans, started, exited;
	uint64_t read_errors; /* samples lost to races with exits, EACCES */
	double last_scan_s; /* CPU-bound wall time of the last scan */
};

struct lw_proctab;

/* NULL with errno set. */
struct lw_proctab *lw_proctab__new(const struct lw_proctab_opts *o);
void lw_proctab__free(struct lw_proctab *t); /* NULL-safe */

/*
 * One sample of every selected process at now_ns: new ones added, gone
 * ones dropped (with their escalation results), verdicts updated.
 * 0 or -errno (-ENOMEM).
 */
int lw_proctab__scan(struct lw_proctab *t, uint64_t now_ns);

/* The watched processes, in no order; valid until the next scan. */
struct lw_dproc *const *lw_proctab__procs(const struct lw_proctab *t,
					  size_t *nr);
/* A watched process by PID; NULL if not watched. */
struct lw_dproc *lw_proctab__find(const struct lw_proctab *t, int pid);
const struct lw_proctab_stats *lw_proctab__stats(const struct lw_proctab *t);

/* Verdict rank for sorting: leak suspects first, then growth, then RSS.
 * Larger is more interesting. */
double lw_dproc__interest(const struct lw_dproc *p);
/* True when some kind's verdict is leak. */
bool lw_dproc__suspected(const struct lw_dproc *p, unsigned kind);

#endif /* LW_DAEMON_PROCTAB_H */
