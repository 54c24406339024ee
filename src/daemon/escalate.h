/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Escalation: the daemon's allocation probes on one process for a bounded
 * window, to name the sites behind memory that grows.  The same probes as
 * `diagnose` (alloc.c, ledger.c, symbolize.c), detached at the end of the
 * window, or early when the process calls its allocator more often than
 * the overhead budget allows.  What they found is kept as a compact,
 * self-owned struct lw_dheap after the probes and the ledger are gone.
 */
#ifndef LW_DAEMON_ESCALATE_H
#define LW_DAEMON_ESCALATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

enum lw_esc_result {
	LW_ESC_RUNNING = 0,
	LW_ESC_COMPLETED, /* the whole window */
	LW_ESC_BUDGET, /* detached early: too many probe hits per second */
	LW_ESC_EXITED, /* the process exited during the window */
	LW_ESC_FAILED, /* the probes could not be attached */
};

/* "running", "completed", "budget", "exited", "failed". */
const char *lw_esc_result_name(enum lw_esc_result r);

/* What one escalation window found. */
struct lw_dheap {
	enum lw_esc_result result;
	int error; /* -errno when failed */
	uint64_t started_ns, ended_ns; /* CLOCK_MONOTONIC */
	uint64_t probe_hits; /* allocations and frees seen */
	double peak_hits_per_s; /* highest one-second rate */
	/* The daemon's own time: loading and attaching the probes, the
	 * last drain and detaching, and the report with its symbols. */
	uint64_t attach_ns, detach_ns, report_ns;
	unsigned nr_leak_sites;
	/* The ledger's report, top sites only, every pointer owned here. */
	struct lw_alloc_report rep;
};

void lw_dheap__free(struct lw_dheap *h); /* NULL-safe */

struct lw_escalation;

struct lw_escalation_opts {
	int pid;
	double window_s;
	uint64_t budget; /* probe hits per second; 0: no limit */
	size_t ring_bytes; /* 0: 8 MiB */
};

/* Load and attach the probes.  0 and *ret, or -errno (nothing left
 * attached). */
int lw_escalation__start(const struct lw_escalation_opts *o, uint64_t now_ns,
			 struct lw_escalation **ret);
/* The ring buffer's fd, to poll. */
int lw_escalation__fd(const struct lw_escalation *e);
/*
 * Take what the probes sent and check the window and the budget; call on
 * every tick and when the fd is readable.  LW_ESC_RUNNING while the
 * window lasts, else why it ended (the probes are detached by then).
 */
enum lw_esc_result lw_escalation__poll(struct lw_escalation *e,
				       uint64_t now_ns);
/* End now (the daemon stops), as LW_ESC_COMPLETED if still running. */
void lw_escalation__stop(struct lw_escalation *e, uint64_t now_ns);
/* The result, symbolized; frees the probes, ledger and symbolizer.
 * NULL on ENOMEM.  e is freed either way. */
struct lw_dheap *lw_escalation__finish(struct lw_escalation *e,
				       uint64_t now_ns);
void lw_escalation__free(struct lw_escalation *e); /* NULL-safe */
int lw_escalation__pid(const struct lw_escalation *e);
/* What lw_escalation__start() took, from its call to attached probes. */
uint64_t lw_escalation__attach_ns(const struct lw_escalation *e);

#endif /* LW_DAEMON_ESCALATE_H */
