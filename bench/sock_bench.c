/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Descriptor microbenchmark for docs/performance.md: N rounds of
 * socket() + close() of a TCP socket, then N calls of close() on a
 * descriptor that is not open (the close tracepoint runs, the kernel does
 * almost nothing), each timed as a whole; prints the mean ns per round.
 * bench/sock_run.sh runs it untraced and under leakwatch with and
 * without the descriptor probes.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100000, i;
	double t0, t1, t2;
	int fd;

	if (rounds <= 0) {
		fprintf(stderr, "usage: %s [ROUNDS]\n", argv[0]);
		return 2;
	}
	for (i = 0; i < 1000; i++) /* warm up the socket slab */
		close(socket(AF_INET, SOCK_STREAM, 0));
	t0 = now_s();
	for (i = 0; i < rounds; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("socket");
			return 1;
		}
		close(fd);
	}
	t1 = now_s();
	for (i = 0; i < rounds; i++)
		(void)close(100000); /* EBADF */
	t2 = now_s();
	printf("rounds=%ld ns_per_socket_close=%.0f ns_per_bad_close=%.0f\n",
	       rounds, (t1 - t0) * 1e9 / rounds, (t2 - t1) * 1e9 / rounds);
	return 0;
}
