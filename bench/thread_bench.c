/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Thread creation microbenchmark for docs/performance.md: N rounds of
 * pthread_create + pthread_join of a thread that returns at once, timed
 * as a whole; prints the mean ns per round.  bench/thread_run.sh runs it
 * untraced and under leakwatch with and without the thread probes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *nothing(void *arg)
{
	return arg;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000, i;
	double t0, t1;
	pthread_t t;
	int err;

	if (rounds <= 0) {
		fprintf(stderr, "usage: %s [ROUNDS]\n", argv[0]);
		return 2;
	}
	/* Warm up: the first threads map stacks the later ones reuse. */
	for (i = 0; i < 100; i++) {
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	}
	t0 = now_s();
	for (i = 0; i < rounds; i++) {
		err = pthread_create(&t, NULL, nothing, NULL);
		if (err) {
			fprintf(stderr, "pthread_create: %s\n", strerror(err));
			return 1;
		}
		pthread_join(t, NULL);
	}
	t1 = now_s();
	printf("rounds=%ld ns_per_create_join=%.0f\n", rounds,
	       (t1 - t0) * 1e9 / rounds);
	return 0;
}
