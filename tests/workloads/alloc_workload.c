/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The allocation workload traced by tests/integration/test_alloc.c: a
 * deterministic schedule calling every allocator entry point from its own
 * noinline function, with the ground truth in workload.h.  Built without
 * the project's flags (no sanitizers): for glibc, glibc -static and musl.
 *
 * Usage: alloc_workload [--wait] [--steps N] [--step-ms MS] [--skip A,B]
 *   --wait   print "ready" and wait for SIGUSR1 before the schedule
 *   --skip   leave out sites by keyword: pvalloc, reallocarray, ...
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define NOINLINE __attribute__((noinline))

/* Stores through a volatile sink so that no allocation is elided. */
void *volatile wl_sink;

static const char *skip_list = "";
static void *queue[WL_QUEUE_LEN];
/* volatile: stored and never read, so an optimising build (the -O2
 * variant) would otherwise drop the mallocs altogether. */
static void *volatile held[WL_HOLD_COUNT];

static int skipped(const char *key)
{
	size_t n = strlen(key);
	const char *p = skip_list;

	while ((p = strstr(p, key))) {
		if ((p == skip_list || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

NOINLINE void leak_malloc(void)
{
	wl_sink = malloc(WL_MALLOC_SIZE);
}

NOINLINE void leak_calloc(void)
{
	wl_sink = calloc(WL_CALLOC_NMEMB, WL_CALLOC_SIZE);
}

/* Only the block returned by the last realloc survives, at its site. */
NOINLINE void leak_realloc_chain(void)
{
	char *p = malloc(WL_REALLOC_SIZE0);

	memset(p, 1, WL_REALLOC_SIZE0);
	p = realloc(p, WL_REALLOC_SIZE1);
	if (!p)
		die("realloc");
	p = realloc(p, WL_REALLOC_SIZE2);
	if (!p)
		die("realloc");
	wl_sink = p;
}

NOINLINE void leak_reallocarray(void)
{
#ifndef WL_NO_REALLOCARRAY
	wl_sink = reallocarray(NULL, WL_REALLOCARRAY_NMEMB,
			       WL_REALLOCARRAY_SIZE);
#endif
}

NOINLINE void leak_posix_memalign(void)
{
	void *p;

	if (posix_memalign(&p, WL_POSIX_MEMALIGN_ALIGN,
			   WL_POSIX_MEMALIGN_SIZE))
		die("posix_memalign");
	wl_sink = p;
}

NOINLINE void leak_aligned_alloc(void)
{
	wl_sink = aligned_alloc(WL_ALIGNED_ALLOC_ALIGN, WL_ALIGNED_ALLOC_SIZE);
}

NOINLINE void leak_memalign(void)
{
	wl_sink = memalign(WL_MEMALIGN_ALIGN, WL_MEMALIGN_SIZE);
}

NOINLINE void leak_valloc(void)
{
	wl_sink = valloc(WL_VALLOC_SIZE);
}

NOINLINE void leak_pvalloc(void)
{
#ifndef WL_NO_PVALLOC
	wl_sink = pvalloc(WL_PVALLOC_SIZE);
#endif
}

static void *map_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

NOINLINE void leak_mmap(void)
{
	void *p = mmap(NULL, WL_MMAP_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	wl_sink = p;
}

/* Two pages survive as two blocks of this site. */
NOINLINE void mmap_partial(void)
{
	char *p = mmap(NULL, WL_PARTIAL_PAGES * WL_PAGE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	if (p == MAP_FAILED)
		die("mmap");
	if (munmap(p + WL_PAGE, WL_PAGE))
		die("munmap");
	wl_sink = p;
}

/* The grown mapping stays a block of the mmap() call's site. */
NOINLINE void mremap_grow(void)
{
	void *p = mmap(NULL, WL_MREMAP_PAGES0 * WL_PAGE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	if (p == MAP_FAILED)
		die("mmap");
	p = mremap(p, WL_MREMAP_PAGES0 * WL_PAGE, WL_MREMAP_PAGES1 * WL_PAGE,
		   MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		die("mremap");
	wl_sink = p;
}

NOINLINE void hold_once(void)
{
	int i;

	for (i = 0; i < WL_HOLD_COUNT; i++)
		held[i] = malloc(WL_HOLD_SIZE);
}

NOINLINE void bounded_queue(int step)
{
	int slot = step % WL_QUEUE_LEN;

	free(queue[slot]);
	queue[slot] = malloc(WL_QUEUE_SIZE);
}

NOINLINE void free_now(void)
{
	char *p = malloc(WL_FREE_NOW_SIZE);

	memset(p, 0, WL_FREE_NOW_SIZE);
	free(p);
}

/*
 * realloc(p, 0) frees p in glibc; other libraries (musl) return a new
 * minimal block instead, which the caller must free like any other.
 */
NOINLINE void realloc_zero(void)
{
	void *p = malloc(WL_REALLOC_ZERO_SIZE);

	p = realloc(p, 0);
	free(p);
}

NOINLINE void mmap_unmap(void)
{
	void *p = map_pages(WL_MMAP_UNMAP_PAGES * WL_PAGE);

	if (munmap(p, WL_MMAP_UNMAP_PAGES * WL_PAGE))
		die("munmap");
}

static void run_step(int step)
{
	if (!skipped("malloc"))
		leak_malloc();
	if (!skipped("calloc"))
		leak_calloc();
	if (!skipped("realloc"))
		leak_realloc_chain();
	if (!skipped("reallocarray"))
		leak_reallocarray();
	if (!skipped("posix_memalign"))
		leak_posix_memalign();
	if (!skipped("aligned_alloc"))
		leak_aligned_alloc();
	if (!skipped("memalign"))
		leak_memalign();
	if (!skipped("valloc"))
		leak_valloc();
	if (!skipped("pvalloc"))
		leak_pvalloc();
	if (!skipped("mmap")) {
		leak_mmap();
		mmap_partial();
		mremap_grow();
		mmap_unmap();
	}
	if (step == 0)
		hold_once();
	bounded_queue(step);
	free_now();
	realloc_zero();
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void wait_for_go(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die("sigprocmask");
	printf("ready\n");
	fflush(stdout);
	if (sigwait(&set, &sig))
		die("sigwait");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: alloc_workload [--wait] [--steps N] [--step-ms MS] [--skip KEY,...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long steps = WL_STEPS, step_ms = WL_STEP_MS, i;
	int wait = 0, a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--wait"))
			wait = 1;
		else if (!strcmp(argv[a], "--steps") && a + 1 < argc)
			steps = strtol(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--step-ms") && a + 1 < argc)
			step_ms = strtol(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--skip") && a + 1 < argc)
			skip_list = argv[++a];
		else
			usage();
	}
	if (steps < WL_QUEUE_LEN || step_ms < 0)
		usage();
#ifdef WL_NO_PVALLOC
	if (!skipped("pvalloc")) {
		fprintf(stderr, "alloc_workload: built without pvalloc: pass --skip pvalloc\n");
		return 2;
	}
#endif
#ifdef WL_NO_REALLOCARRAY
	if (!skipped("reallocarray")) {
		fprintf(stderr, "alloc_workload: built without reallocarray: pass --skip reallocarray\n");
		return 2;
	}
#endif
	if (wait)
		wait_for_go();

	for (i = 0; i < steps; i++) {
		run_step((int)i);
		sleep_ms(step_ms);
	}
	/* exit() releases nothing the tracer follows: every block stays. */
	return 0;
}
