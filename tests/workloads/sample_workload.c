/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Ground truth for sampling (leakwatch --sample-bytes): enough bytes that
 * a sampled report's estimates can be checked statistically.  40 steps,
 * 50 ms apart; each step leaks WL_SAMPLE_LEAK_PER_STEP blocks of
 * WL_SAMPLE_LEAK_SIZE bytes in sample_leak() and churns
 * WL_SAMPLE_CHURN_PER_STEP malloc/free pairs in sample_churn(); step 0
 * also fills a table once in sample_hold().  Constants in workload.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workload.h"

static void *leaked[WL_STEPS * WL_SAMPLE_LEAK_PER_STEP];
static void *held[WL_SAMPLE_HOLD_COUNT];

__attribute__((noinline)) static void sample_leak(int step)
{
	int i;

	for (i = 0; i < WL_SAMPLE_LEAK_PER_STEP; i++) {
		void *p = malloc(WL_SAMPLE_LEAK_SIZE);

		memset(p, i, 16);
		leaked[step * WL_SAMPLE_LEAK_PER_STEP + i] = p;
	}
}

__attribute__((noinline)) static void sample_churn(void)
{
	int i;

	for (i = 0; i < WL_SAMPLE_CHURN_PER_STEP; i++) {
		char *p = malloc(WL_SAMPLE_CHURN_SIZE);

		p[0] = (char)i;
		free(p);
	}
}

__attribute__((noinline)) static void sample_hold(void)
{
	int i;

	for (i = 0; i < WL_SAMPLE_HOLD_COUNT; i++)
		held[i] = malloc(WL_SAMPLE_HOLD_SIZE);
}

int main(void)
{
	struct timespec ts = { 0, WL_STEP_MS * 1000000L };
	int step;

	for (step = 0; step < WL_STEPS; step++) {
		if (step == 0)
			sample_hold();
		sample_leak(step);
		sample_churn();
		nanosleep(&ts, NULL);
	}
	return 0;
}
