/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The threads section of a report: live threads grouped by creation stack,
 * with a verdict per site and what the threads are doing now, and its
 * renderers (JSON key "threads", a text section after the allocations).
 * Filled by src/task.c; pure, no libbpf, no /proc.
 */
#ifndef LW_REPORT_THREADS_H
#define LW_REPORT_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakwatch/task_events.h"
#include "model.h"
#include "render.h"

struct json_object;

/* Keys kept per group (states, syscalls, wchan); the rest is "other". */
#define LW_THREAD_MAX_KEYS 8

/* One "what N threads are doing" entry: {"futex": 412}. */
struct lw_thread_count {
	char name[40];
	uint64_t n;
};

struct lw_thread_group {
	struct lw_thread_count e[LW_THREAD_MAX_KEYS + 1]; /* + "other" */
	unsigned nr;
};

struct lw_thread_site {
	enum lw_verdict verdict;
	uint64_t stack_id; /* 0: created before attach (stack unknown) */
	uint64_t live, births, deaths; /* births/deaths: seen since start */
	double growth_per_s; /* threads per second, least squares */
	double oldest_age_s; /* 0: unknown (created before attach) */
	bool created_before_attach; /* some live threads predate the session */
	unsigned segments, segments_with_survivors;
	/* Creation stack, innermost first: ips[0] returns into the function
	 * that asked for the thread (pthread_create's caller). */
	uint64_t *ips; /* owned */
	unsigned nr_ips;
	bool stack_truncated;
	/* nr_frames entries or NULL; owned.  One per ip, plus the calls
	 * Go's compiler inlined (frames with inlined set). */
	struct lw_frame *frames;
	unsigned nr_frames;
	/* What the live threads do now (/proc/PID/task/TID), when known. */
	struct lw_thread_group states; /* "sleeping", "running", ... */
	struct lw_thread_group syscalls; /* "futex", "running", ... */
	struct lw_thread_group wchan; /* "futex_wait_queue", ... */
	const struct lw_point *series; /* owned by the census; count == bytes */
	size_t nr_series;
};

struct lw_thread_report {
	uint64_t live; /* threads of the target now, over all sites */
	uint64_t births, deaths; /* seen since the session start */
	bool states_known; /* the thread list could be read for states */
	uint64_t dropped_events; /* ringbuf_full */
	struct lw_task_drops drops;
	/* Sites with live threads: leak first, then by live count. */
	struct lw_thread_site *sites;
	size_t nr_sites;
};

/* Add one to key name of group g (the last slot collects the rest). */
void lw_thread_group__add(struct lw_thread_group *g, const char *name);

/* NULL-safe: frees sites[] with their ips[] and frames[]; leaves *r empty. */
void lw_thread_report__clear(struct lw_thread_report *r);

/* "threads": {...} into parent (docs/json-schema.md).  0 or -ENOMEM. */
int lw_thread_report__to_json(struct json_object *parent,
			      const struct lw_thread_report *r);

/* The text section (docs/threads.md). */
void lw_thread_report__print(const struct lw_text *t,
			     const struct lw_thread_report *r);

#endif /* LW_REPORT_THREADS_H */
