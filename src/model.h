/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The in-memory result of a diagnosis: what the ledger computes, the
 * session symbolizes, and every report format renders (text, JSON).  Plain
 * data, no libbpf.  docs/json-schema.md documents the JSON view of it.
 */
#ifndef LW_MODEL_H
#define LW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakwatch/alloc_events.h"

enum lw_verdict {
	LW_VERDICT_STABLE = 0,
	LW_VERDICT_GROWING = 1,
	LW_VERDICT_LEAK = 2,
};

/* "stable", "growing", "leak". */
const char *lw_verdict_name(enum lw_verdict v);

/* "malloc", "calloc", ..., "mmap"; "?" for unknown kinds. */
const char *lw_alloc_kind_name(uint32_t kind);

/* One symbolized stack frame.  Strings are owned by the symbolizer. */
struct lw_frame {
	uint64_t addr; /* as captured: a return address */
	const char *function; /* demangled; NULL if unknown */
	const char *module; /* path of the mapped object; NULL if unmapped */
	uint64_t module_offset; /* (addr - 1) as an ELF virtual address of module */
	const char *file; /* source file; NULL without line info */
	int line; /* 0 without line info */
	/* Go: a call inlined into the next frame, which has the same addr
	 * (one pprof Location with a Line per inlined frame). */
	bool inlined;
};

/* A point of a site's live-amount time series. */
struct lw_point {
	double t_s; /* seconds since the session start */
	uint64_t bytes;
	uint64_t count;
};

struct lw_site_report {
	enum lw_verdict verdict;
	uint32_t kind; /* enum lw_alloc_kind of the site's first allocation */
	uint64_t stack_id; /* 0: stack unknown */
	/* Sampled sessions: live_* are estimates (scaled as described at
	 * lw_alloc_report.sample_bytes); sampled_live_count is the raw
	 * number of sampled blocks behind them.  Exact sessions: equal. */
	uint64_t live_count, live_bytes;
	uint64_t sampled_live_count;
	uint64_t total_allocs, total_frees; /* since the session start */
	uint64_t total_bytes; /* allocated since the session start */
	double growth_bytes_per_s; /* least-squares slope over the window */
	double growth_count_per_s;
	double oldest_age_s; /* age of the oldest live block at report time */
	unsigned segments; /* window segments used for the verdict */
	unsigned segments_with_survivors;
	const uint64_t *ips; /* raw stack, owned by the ledger */
	unsigned nr_ips;
	bool stack_truncated; /* nr_ips == LW_MAX_STACK */
	struct lw_frame *frames; /* nr_ips entries or NULL; array owned here */
	const struct lw_point *series; /* owned by the ledger */
	size_t nr_series;
};

struct lw_alloc_report {
	/*
	 * 0: every allocation traced, figures exact.  Otherwise the mean
	 * number of bytes between sampled allocations: a block of size s was
	 * sampled with probability 1 - exp(-s / sample_bytes) and counts as
	 * 1 / that probability blocks (as tcmalloc and Go's pprof scale), so
	 * live_* and growth are estimates.  mmap blocks are never sampled.
	 */
	uint64_t sample_bytes;
	uint64_t live_bytes, live_count; /* over all sites */
	uint64_t total_allocs, total_frees;
	uint64_t unknown_frees; /* frees of blocks not seen allocated */
	uint64_t dropped_events; /* sum of drops */
	struct lw_alloc_drops drops;
	double window_start_s, window_end_s; /* analysis window */
	/* Sites holding live memory: verdict (leak first), then live_bytes. */
	struct lw_site_report *sites;
	size_t nr_sites;
};

/* NULL-safe: frees sites[] and each site's frames[]; leaves *r empty. */
void lw_alloc_report__clear(struct lw_alloc_report *r);

struct lw_target_info {
	int pid;
	char comm[32];
	char exe[4096];
};

struct lw_thread_report;
struct lw_socket_report;
struct lw_go_report; /* go/goreport.h */

struct lw_report {
	int version; /* JSON schema version, 1 */
	const char *mode; /* "diagnose" or "attach" */
	struct lw_target_info target;
	double duration_s; /* traced time */
	bool target_exited;
	int exit_code; /* exit status when exited normally, else -1 */
	int exit_signal; /* terminating signal, else 0 */
	bool interrupted; /* SIGINT/SIGTERM cut the window short */
	bool final; /* last report of the session */
	struct lw_alloc_report alloc;
	/* Threads by creation stack (report_threads.h); NULL: not traced. */
	const struct lw_thread_report *threads;
	/* Sockets and descriptors (fdtable.h); NULL: not traced. */
	const struct lw_socket_report *sockets;
	/* No allocator functions to probe (a pure Go binary): alloc is
	 * empty because nothing was traced, not because nothing leaked. */
	bool alloc_unprobed;
	const struct lw_go_report *go; /* NULL: not a Go target */
};

#endif /* LW_MODEL_H */
