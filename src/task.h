/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The thread probe family: loads bpf/task.bpf.c for one process, turns
 * its records into a census of live threads by creation stack (census.h),
 * keeps the census honest against /proc/PID/task, and builds the threads
 * section of a report.  The only file that includes task.skel.h.
 */
#ifndef LW_TASK_H
#define LW_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "report_threads.h"

struct lw_symbolizer;
struct lw_task_probe;

struct lw_task_probe_opts {
	int pid;
	struct lw_symbolizer *sym; /* names for stack trimming; not owned */
	size_t ring_bytes; /* power of two; 0 = 8 MiB */
};

/* Open and load the BPF object for pid.  NULL with errno set. */
struct lw_task_probe *lw_task_probe__new(const struct lw_task_probe_opts *o);

/* Attach the tracepoints and open the ring buffer.  0 or -errno. */
int lw_task_probe__attach(struct lw_task_probe *p);

/*
 * Start counting at t0_ns (CLOCK_MONOTONIC, the session start): threads
 * alive now are read from /proc and counted at the "created before
 * attach" site.  Call after attach.  0 or -errno.
 */
int lw_task_probe__start(struct lw_task_probe *p, uint64_t t0_ns);

/* fd to poll for forced wakeups. */
int lw_task_probe__fd(const struct lw_task_probe *p);

/* Drain every pending record.  Records consumed or -errno. */
int lw_task_probe__consume(struct lw_task_probe *p);

/* Periodic work from the session's timer: census samples, and a
 * reconciliation with /proc every few seconds. */
void lw_task_probe__tick(struct lw_task_probe *p, uint64_t now_ns);

/*
 * End of the window: drain, reconcile with /proc and remember what every
 * thread is doing, while the target still runs; then detach.  Reports
 * made afterwards use that.  0 or -errno.
 */
int lw_task_probe__finish(struct lw_task_probe *p, uint64_t now_ns);

/* The threads section at now_ns, symbolized.  0 or -errno; clear *ret
 * with lw_thread_report__clear(). */
int lw_task_probe__report(struct lw_task_probe *p, uint64_t now_ns,
			  struct lw_thread_report *ret);

/* Detach and free; NULL-safe. */
void lw_task_probe__free(struct lw_task_probe *p);

#endif /* LW_TASK_H */
