/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The Go runtime's own heap profile, read from outside: the memory
 * profile buckets on runtime.mbuckets (runtime/mprof.go), each an
 * allocation stack with the sampled allocs and frees of the last
 * completed GC cycle, scaled to estimates the way pprof does.  Needs no
 * probe: the runtime samples one allocation per MemProfileRate bytes (512
 * KiB by default) whether anyone looks or not.  Pairs with goheap.c.
 */
#ifndef LW_GOHEAP_H
#define LW_GOHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goproc.h"
#include "model.h"

#define LW_GOHEAP_MAX_STACK 64 /* frames kept per bucket */

struct lw_goheap_bucket {
	uint64_t addr; /* buckets are never freed: a stable identity */
	uint64_t size; /* object size the bucket was made for */
	uint64_t allocs, frees, alloc_bytes, free_bytes; /* sampled */
	unsigned nr_stk;
	uint64_t stk[LW_GOHEAP_MAX_STACK]; /* return addresses */
};

struct lw_goheap_snap {
	bool available;
	const char *reason; /* static text when !available */
	int64_t rate;	    /* runtime.MemProfileRate */
	struct lw_goheap_bucket *b;
	size_t n, cap;
	uint64_t nr_torn; /* buckets whose counters never read consistent */
};

void lw_goheap_snap__clear(struct lw_goheap_snap *s); /* NULL-safe */

#define LW_GOHEAP_DISABLED \
	"heap profile not available: profiling disabled in this binary"

/*
 * Read every memory profile bucket into snap (reusing its array).  A
 * binary that never references runtime.MemProfile has profiling switched
 * off by the linker (runtime.disableMemoryProfiling) and a rate of 0:
 * then 0 with snap->available false and LW_GOHEAP_DISABLED as reason.
 * 0, -ESRCH, -ENOMEM.
 */
int lw_goheap__read(struct lw_goproc *p, struct lw_goheap_snap *snap);

/*
 * pprof's scaleHeapSample: count sampled objects totalling bytes, taken
 * one per rate bytes on average, stand for count / (1 - exp(-avg/rate))
 * objects (avg = bytes / count), bytes likewise.  rate <= 1: exact.
 */
void lw_goheap_scale(uint64_t count, uint64_t bytes, int64_t rate,
		     double *ret_count, double *ret_bytes);

/*
 * Verdict for a heap site from its in-use bytes over the window (pts in
 * time order, t in [t_start, t_end]): leak when the last value of each of
 * nr_segments equal segments is above the one before (starting from the
 * value at t_start, 0 if the site appeared later); growing when the end
 * is above the start and the least-squares slope is positive; else
 * stable.  *slope gets bytes per second.
 */
enum lw_verdict lw_goheap_verdict(const struct lw_point *pts, size_t nr,
				  double t_start, double t_end,
				  unsigned nr_segments, double *slope);

/* Least-squares slope of bytes over t_s (0 with fewer than 2 points). */
double lw_go_slope(const struct lw_point *pts, size_t nr, bool use_count);

#endif /* LW_GOHEAP_H */
