/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The flood traced by the "drops" integration test: WL_FLOOD_PAIRS
 * malloc/free pairs (flood_churn) in a tight loop, as fast as the probes
 * let it run, with one leaked block (flood_leak) every
 * WL_FLOOD_PAIRS / WL_FLOOD_LEAKS pairs, then exit.  With a small ring
 * buffer leakwatch is expected to lose records; the test checks that it
 * says so instead of silently undercounting.  Ground truth in workload.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

#define NOINLINE __attribute__((noinline))
#define LEAK_EVERY (WL_FLOOD_PAIRS / WL_FLOOD_LEAKS)

static void *leaked[WL_FLOOD_LEAKS];

static void die(const char *what)
{
	fprintf(stderr, "flood_workload: %s\n", what);
	exit(1);
}

/* Allocated and freed at once: nothing live. */
NOINLINE void flood_churn(void)
{
	volatile char *p = malloc(WL_FLOOD_SIZE);

	if (!p)
		die("out of memory");
	p[0] = 1;
	free((void *)p);
}

/* Kept until exit. */
NOINLINE void flood_leak(int i)
{
	leaked[i] = malloc(WL_FLOOD_LEAK_SIZE);
	if (!leaked[i])
		die("out of memory");
}

int main(int argc, char **argv)
{
	long i;

	if (argc != 1) {
		fprintf(stderr, "usage: flood_workload\n");
		return 2;
	}
	for (i = 0; i < WL_FLOOD_PAIRS; i++) {
		if (i % LEAK_EVERY == 0)
			flood_leak((int)(i / LEAK_EVERY));
		flood_churn();
	}
	/* exit() releases nothing the tracer follows: the leaks stay. */
	return 0;
}
