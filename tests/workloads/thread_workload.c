/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Thread workload with exact ground truth, for tests/integration/
 * test_threads.c.  Three creation sites:
 *
 *   pool_start   a fixed pool of --pool threads (4), made at start, that
 *                wait on a condition variable forever: stable.
 *   leak_spawn   one detached thread every --interval-ms (200), waiting
 *                on a condition variable forever, --leak times (30): the
 *                leak, exactly --leak threads live afterwards.
 *   churn_spawn  one short-lived thread per leak step, joined at once:
 *                never live at the end, never listed.
 *
 * Then it idles in pause() until killed.  It prints "ready" once the pool
 * runs; with --go-file PATH it waits for PATH to exist before leaking (a
 * tracer attaching to a running process creates it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* Blocks forever in futex wait: nobody signals `never`. */
static void *wait_forever(void *arg)
{
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

static void *short_job(void *arg)
{
	return arg;
}

static pthread_attr_t attr_detached, attr_joinable;

static void make_attr(pthread_attr_t *attr, int detached)
{
	pthread_attr_init(attr);
	/* Small stacks: hundreds of threads stay cheap. */
	pthread_attr_setstacksize(attr, 64 * 1024);
	if (detached)
		pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
}

static void check(int err)
{
	if (err) {
		fprintf(stderr, "pthread_create: %s\n", strerror(err));
		exit(1);
	}
}

/* Each site calls pthread_create itself: that call is the site's name. */
static __attribute__((noinline)) void pool_start(int n)
{
	pthread_t t;
	int i;

	for (i = 0; i < n; i++)
		check(pthread_create(&t, &attr_detached, wait_forever, NULL));
}

static __attribute__((noinline)) void leak_spawn(void)
{
	pthread_t t;

	check(pthread_create(&t, &attr_detached, wait_forever, NULL));
}

static __attribute__((noinline)) void churn_spawn(void)
{
	pthread_t t;

	check(pthread_create(&t, &attr_joinable, short_job, NULL));
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	int leak = 30, pool = 4, interval_ms = 200, i;
	const char *go_file = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--leak") && i + 1 < argc)
			leak = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pool") && i + 1 < argc)
			pool = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--interval-ms") && i + 1 < argc)
			interval_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--go-file") && i + 1 < argc)
			go_file = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--leak N] [--pool N] [--interval-ms MS] [--go-file PATH]\n",
				argv[0]);
			return 2;
		}
	}
	make_attr(&attr_detached, 1);
	make_attr(&attr_joinable, 0);
	pool_start(pool);
	printf("ready\n");
	fflush(stdout);
	while (go_file && access(go_file, F_OK))
		sleep_ms(20);
	for (i = 0; i < leak; i++) {
		leak_spawn();
		churn_spawn();
		sleep_ms(interval_ms);
	}
	printf("done: pool %d, leaked %d, churned %d\n", pool, leak, leak);
	fflush(stdout);
	for (;;)
		pause();
}
