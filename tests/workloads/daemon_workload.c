/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * One leak (or none) per process, for tests/integration/test_daemon.c,
 * which runs several of these side by side under `leakwatch daemon`:
 *
 *   heap-leak      leak_chunk() mallocs 64 KiB every 100 ms and keeps it
 *                  (touched, so it is resident), while churn() allocates
 *                  and frees: the heap leak, named leak_chunk.
 *   heap-stable    20 MiB allocated at start and held, then the same
 *                  churn: memory that is big but flat.
 *   thread-leak    a thread that waits forever, one every 250 ms.
 *   socket-leak    a TCP connection to its own listener every 250 ms,
 *                  accepted, and neither end ever closed.
 *   idle           nothing at all.
 *
 * Every mode prints "ready" and runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LEAK_BYTES (64 << 10)
#define STEP_MS 100
#define SLOW_STEP_MS 250

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void touch(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 4096)
		p[i] = (char)i;
}

__attribute__((noinline)) static void *leak_chunk(void)
{
	char *p = malloc(LEAK_BYTES);

	if (p)
		touch(p, LEAK_BYTES);
	/* Kept from the optimiser: the pointer escapes. */
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

/* Allocations that are all freed again. */
__attribute__((noinline)) static void churn(void)
{
	void *v[32];
	int i;

	for (i = 0; i < 32; i++)
		v[i] = malloc(64 + i * 16);
	for (i = 0; i < 32; i++)
		free(v[i]);
}

static void *wait_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int heap(bool leak)
{
	char *hold;

	if (!leak) {
		hold = malloc(20 << 20);
		if (!hold)
			return 1;
		touch(hold, 20 << 20);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (leak)
			(void)leak_chunk();
		churn();
		sleep_ms(STEP_MS);
	}
}

static int threads(void)
{
	pthread_t t;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (pthread_create(&t, NULL, wait_forever, NULL))
			return 1;
		pthread_detach(t);
		sleep_ms(SLOW_STEP_MS);
	}
}

static int sockets(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l, c;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 128) || getsockname(l, (struct sockaddr *)&a, &len))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			return 1;
		if (accept(l, NULL, NULL) < 0)
			return 1;
		sleep_ms(SLOW_STEP_MS);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "heap-leak"))
		return heap(true);
	if (!strcmp(mode, "heap-stable"))
		return heap(false);
	if (!strcmp(mode, "thread-leak"))
		return threads();
	if (!strcmp(mode, "socket-leak"))
		return sockets();
	if (!strcmp(mode, "idle")) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	fprintf(stderr,
		"usage: %s heap-leak|heap-stable|thread-leak|socket-leak|idle\n",
		argv[0]);
	return 2;
}
