/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * malloc/free microbenchmark for the overhead measurements (bench/run.sh).
 *
 * A ring of 64 live blocks: every iteration frees the oldest block and
 * mallocs a new one (16..4096 bytes from a fixed xorshift sequence), then
 * touches one byte of it, so frees lag allocations by 64 and the allocator
 * does real work rather than handing one chunk back and forth.
 *
 *   malloc_bench --pairs N [--wait] [--hold]
 *	measure N malloc+free pairs; prints one line
 *	"pairs=N ns_per_pair=X elapsed_s=Y"
 *   malloc_bench --rate R --seconds S [--wait] [--hold]
 *	paced: R pairs per second for S seconds (in 1 ms batches); prints
 *	"pairs=N rate=X elapsed_s=Y"
 *
 * --wait: warm up, print "ready <pid>" and wait for SIGUSR1 before
 * measuring, so a tracer can attach first.  --hold: after printing the
 * result, wait for SIGUSR1 (or SIGTERM) before exiting, so the tracer
 * can be inspected while its target is still alive.
 *
 * Plain C, no dependencies; built without the project's warning flags or
 * sanitizers, so what is measured is glibc's malloc and the probes.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RING 64
#define MIN_SIZE 16
#define MAX_SIZE 4096
#define WARMUP_PAIRS 200000

/* Global and written through, so the compiler cannot drop malloc/free. */
char *ring[RING];
static unsigned int ring_pos;
static uint32_t rng = 0x9e3779b9u;

static uint32_t next_size(void)
{
	/* xorshift32: deterministic, the same sequence every run */
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return MIN_SIZE + rng % (MAX_SIZE - MIN_SIZE + 1);
}

static __attribute__((noinline)) void pair(void)
{
	unsigned int i = ring_pos;
	char *p;

	free(ring[i]);
	p = malloc(next_size());
	if (!p) {
		perror("malloc");
		exit(1);
	}
	p[0] = (char)i;
	ring[i] = p;
	ring_pos = (i + 1) % RING;
	__asm__ __volatile__("" ::: "memory");
}

static void run_pairs(unsigned long long n)
{
	unsigned long long k;

	for (k = 0; k < n; k++)
		pair();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Block sig in main, then wait for it: no race with an early signal. */
static void wait_usr1(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) == 0) {
		if (sig == SIGUSR1)
			return;
		if (sig == SIGTERM || sig == SIGINT)
			exit(0);
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --pairs N [--wait] [--hold]\n"
		"       %s --rate R --seconds S [--wait] [--hold]\n",
		argv0, argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long pairs = 0, done = 0;
	double rate = 0, seconds = 0, t0, t1;
	int wait = 0, hold = 0, i;
	sigset_t set;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
			pairs = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else
			usage(argv[0]);
	}
	if (!pairs && !(rate > 0 && seconds > 0))
		usage(argv[0]);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (wait || hold)
		sigprocmask(SIG_BLOCK, &set, NULL);

	for (i = 0; i < RING; i++) {
		ring[i] = malloc(MIN_SIZE);
		if (!ring[i])
			return 1;
	}
	run_pairs(WARMUP_PAIRS);

	if (wait) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		wait_usr1(&set);
	}

	t0 = now_s();
	if (pairs) {
		run_pairs(pairs);
		t1 = now_s();
		printf("pairs=%llu ns_per_pair=%.1f elapsed_s=%.3f\n", pairs,
		       (t1 - t0) * 1e9 / pairs, t1 - t0);
	} else {
		/* 1 ms ticks; a late tick catches up on the next one. */
		unsigned long long target, cap = rate / 100 + 1;
		struct timespec next;
		double elapsed;

		clock_gettime(CLOCK_MONOTONIC, &next);
		for (;;) {
			elapsed = now_s() - t0;
			if (elapsed >= seconds)
				break;
			target = (unsigned long long)(elapsed * rate) +
				 (unsigned long long)(rate / 1000);
			if (target > done) {
				/* Behind (the probes are too slow for R):
				 * at most 10 ms worth per tick, so the run
				 * still ends on time; rate= says what was
				 * reached. */
				if (target - done > cap)
					target = done + cap;
				run_pairs(target - done);
				done = target;
			}
			next.tv_nsec += 1000000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
					NULL);
		}
		t1 = now_s();
		printf("pairs=%llu rate=%.0f elapsed_s=%.3f\n", done,
		       done / (t1 - t0), t1 - t0);
	}
	fflush(stdout);

	if (hold)
		wait_usr1(&set);
	for (i = 0; i < RING; i++)
		free(ring[i]);
	return 0;
}
