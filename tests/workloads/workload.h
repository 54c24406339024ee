/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Ground truth shared by the test workloads (alloc_workload.c,
 * cxx_workload.cc, dlopen_workload.c, leakplugin.c, mt_workload.c,
 * flood_workload.c) and the integration
 * driver (tests/integration/test_alloc.c): the schedule, the size of every
 * request, and what each site must hold at the end.  docs/testing.md
 * prints the same table.
 */
#ifndef LW_WORKLOAD_H
#define LW_WORKLOAD_H

/* The schedule: WL_STEPS steps, WL_STEP_MS apart (2 s of activity). */
#define WL_STEPS 40
#define WL_STEP_MS 50
#define WL_PAGE 4096 /* x86_64; the driver checks sysconf() */

/* alloc_workload: leaking sites, one block (or two) per step. */
#define WL_MALLOC_SIZE 48
#define WL_CALLOC_NMEMB 4
#define WL_CALLOC_SIZE 25
#define WL_REALLOC_SIZE0 16 /* malloc */
#define WL_REALLOC_SIZE1 32 /* first realloc */
#define WL_REALLOC_SIZE2 64 /* last realloc: the block that is kept */
#define WL_REALLOCARRAY_NMEMB 6
#define WL_REALLOCARRAY_SIZE 20
#define WL_POSIX_MEMALIGN_ALIGN 64
#define WL_POSIX_MEMALIGN_SIZE 200
#define WL_ALIGNED_ALLOC_ALIGN 64
#define WL_ALIGNED_ALLOC_SIZE 256
#define WL_MEMALIGN_ALIGN 32
#define WL_MEMALIGN_SIZE 96
#define WL_VALLOC_SIZE 300 /* counted as requested, not rounded */
#define WL_PVALLOC_SIZE 100 /* counted as one page */
#define WL_MMAP_SIZE 8192
#define WL_PARTIAL_PAGES 3 /* mmap 3 pages, munmap the middle one */
#define WL_MREMAP_PAGES0 1 /* mmap 1 page ... */
#define WL_MREMAP_PAGES1 3 /* ... then mremap it to 3 (may move) */

/* alloc_workload: sites that do not leak. */
#define WL_HOLD_COUNT 100 /* at step 0 only, kept forever */
#define WL_HOLD_SIZE 1000
#define WL_QUEUE_LEN 4 /* ring: each step frees the block of step - 4 */
#define WL_QUEUE_SIZE 512
#define WL_FREE_NOW_SIZE 64
#define WL_REALLOC_ZERO_SIZE 40
#define WL_MMAP_UNMAP_PAGES 2

/* cxx_workload. */
#define WL_CXX_NODE_SIZE 32 /* sizeof(struct Node), asserted there */
#define WL_CXX_ARRAY_SIZE 100 /* new char[100] */
#define WL_CXX_VECTOR_LEN 1000 /* ints pushed once at step 0 */

/* dlopen_workload: plugin_leak() runs from this step on. */
#define WL_DLOPEN_STEP 2
#define WL_PLUGIN_SIZE 72

/* leaky-demo. */
#define WL_DEMO_AUDIT_SIZE 64 /* sizeof(struct audit_record) */

/*
 * mt_workload: WL_STEPS rounds, WL_STEP_MS apart, in lock step (a barrier
 * starts and ends every round).  Each producer allocates a batch of
 * blocks of its own size, which the consumers free; one block per
 * producer and round leaks.  Every thread fills a thread-local cache
 * once; consumer 0 callocs a token per round that producer 0 frees in
 * the next round.
 */
#define WL_MT_PRODUCERS 4
#define WL_MT_CONSUMERS 2
#define WL_MT_THREADS (WL_MT_PRODUCERS + WL_MT_CONSUMERS)
#define WL_MT_BATCH 50 /* blocks per producer and round, freed by consumers */
#define WL_MT_BATCH_SIZE(i) (48 + 16 * (i)) /* producer i: 48, 64, 80, 96 */
#define WL_MT_LEAK_SIZE 72 /* thread_leak: per producer and round, kept */
#define WL_MT_CACHE_COUNT 8 /* thread_cache_fill: per thread, at start */
#define WL_MT_CACHE_SIZE 160
#define WL_MT_TOKEN_NMEMB 3 /* round_token: calloc(3, 40) per round */
#define WL_MT_TOKEN_SIZE 40

/*
 * flood_workload: WL_FLOOD_PAIRS malloc/free pairs as fast as possible,
 * with one leaked block every WL_FLOOD_PAIRS / WL_FLOOD_LEAKS pairs.
 */
#define WL_FLOOD_PAIRS 2000000
#define WL_FLOOD_SIZE 32
#define WL_FLOOD_LEAKS 1000
#define WL_FLOOD_LEAK_SIZE 24

enum wl_class {
	WL_LEAK, /* verdict "leak", exact live figures */
	WL_KEPT, /* not "leak", exact live figures */
	WL_FREED, /* nothing live: the site must be absent */
	WL_NOT_LEAK, /* not "leak", live figures not checked */
};

/*
 * One site of a workload, named by the function that calls the allocator.
 * At the end of a run of `steps` steps it holds
 *   live_count = count_per_step * steps + count_once
 *   live_bytes = bytes_per_step * steps + bytes_once
 * (count_once applies once steps >= 1, resp. WL_QUEUE_LEN for the queue;
 * the workloads run at least WL_QUEUE_LEN steps).  skip names the
 * --skip keyword that leaves it out; kind is the expected "kind" or NULL.
 */
struct wl_site {
	const char *func;
	enum wl_class cls;
	const char *kind;
	const char *skip;
	unsigned long count_per_step, bytes_per_step;
	unsigned long count_once, bytes_once;
};

static const struct wl_site wl_alloc_sites[] = {
	{ "leak_malloc", WL_LEAK, "malloc", "malloc", 1, WL_MALLOC_SIZE, 0, 0 },
	{ "leak_calloc", WL_LEAK, "calloc", "calloc", 1,
	  WL_CALLOC_NMEMB * WL_CALLOC_SIZE, 0, 0 },
	{ "leak_realloc_chain", WL_LEAK, "realloc", "realloc", 1,
	  WL_REALLOC_SIZE2, 0, 0 },
	{ "leak_reallocarray", WL_LEAK, "reallocarray", "reallocarray", 1,
	  WL_REALLOCARRAY_NMEMB * WL_REALLOCARRAY_SIZE, 0, 0 },
	{ "leak_posix_memalign", WL_LEAK, "posix_memalign", "posix_memalign", 1,
	  WL_POSIX_MEMALIGN_SIZE, 0, 0 },
	{ "leak_aligned_alloc", WL_LEAK, NULL, "aligned_alloc", 1,
	  WL_ALIGNED_ALLOC_SIZE, 0, 0 },
	{ "leak_memalign", WL_LEAK, NULL, "memalign", 1, WL_MEMALIGN_SIZE, 0,
	  0 },
	{ "leak_valloc", WL_LEAK, "valloc", "valloc", 1, WL_VALLOC_SIZE, 0, 0 },
	{ "leak_pvalloc", WL_LEAK, "pvalloc", "pvalloc", 1, WL_PAGE, 0, 0 },
	{ "leak_mmap", WL_LEAK, "mmap", "mmap", 1, WL_MMAP_SIZE, 0, 0 },
	{ "mmap_partial", WL_LEAK, "mmap", "mmap", 2,
	  (WL_PARTIAL_PAGES - 1) * WL_PAGE, 0, 0 },
	{ "mremap_grow", WL_LEAK, "mmap", "mmap", 1,
	  WL_MREMAP_PAGES1 * WL_PAGE, 0, 0 },
	{ "hold_once", WL_KEPT, NULL, NULL, 0, 0, WL_HOLD_COUNT,
	  WL_HOLD_COUNT * WL_HOLD_SIZE },
	{ "bounded_queue", WL_KEPT, NULL, NULL, 0, 0, WL_QUEUE_LEN,
	  WL_QUEUE_LEN * WL_QUEUE_SIZE },
	{ "free_now", WL_FREED, NULL, NULL, 0, 0, 0, 0 },
	{ "realloc_zero", WL_FREED, NULL, NULL, 0, 0, 0, 0 },
	{ "mmap_unmap", WL_FREED, NULL, "mmap", 0, 0, 0, 0 },
};

static const struct wl_site wl_cxx_sites[] = {
	{ "leak_node", WL_LEAK, "malloc", NULL, 1, WL_CXX_NODE_SIZE, 0, 0 },
	{ "leak_array", WL_LEAK, "malloc", NULL, 1, WL_CXX_ARRAY_SIZE, 0, 0 },
	{ "churn_strings", WL_FREED, NULL, NULL, 0, 0, 0, 0 },
	{ "churn_map", WL_FREED, NULL, NULL, 0, 0, 0, 0 },
	{ "fill_vector_once", WL_NOT_LEAK, NULL, NULL, 0, 0, 0, 0 },
};

/* mt_workload, per round (steps = rounds). */
static const struct wl_site wl_mt_sites[] = {
	{ "thread_leak", WL_LEAK, "malloc", NULL, WL_MT_PRODUCERS,
	  WL_MT_PRODUCERS * WL_MT_LEAK_SIZE, 0, 0 },
	{ "thread_cache_fill", WL_KEPT, "malloc", NULL, 0, 0,
	  WL_MT_THREADS * WL_MT_CACHE_COUNT,
	  WL_MT_THREADS * WL_MT_CACHE_COUNT * WL_MT_CACHE_SIZE },
	{ "round_token", WL_KEPT, "calloc", NULL, 0, 0, 1,
	  WL_MT_TOKEN_NMEMB * WL_MT_TOKEN_SIZE },
	{ "producer_alloc", WL_FREED, NULL, NULL, 0, 0, 0, 0 },
};

/*
 * sample_workload (leakwatch --sample-bytes): WL_STEPS steps; each leaks
 * WL_SAMPLE_LEAK_PER_STEP blocks of WL_SAMPLE_LEAK_SIZE bytes and frees
 * WL_SAMPLE_CHURN_PER_STEP blocks at once; step 0 holds a table.  At a
 * mean of WL_SAMPLE_MEAN bytes the leak yields ~1,210 samples (each 1 KiB
 * block is sampled with probability 1 - exp(-1024 / 16384) = 6.1%), so
 * its estimate's relative standard deviation is ~2.7%.
 */
#define WL_SAMPLE_MEAN 16384
#define WL_SAMPLE_LEAK_PER_STEP 500
#define WL_SAMPLE_LEAK_SIZE 1024
#define WL_SAMPLE_CHURN_PER_STEP 2000
#define WL_SAMPLE_CHURN_SIZE 256
#define WL_SAMPLE_HOLD_COUNT 8000
#define WL_SAMPLE_HOLD_SIZE 4096

#endif /* LW_WORKLOAD_H */
