/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The processes of the daemon benchmark (bench/daemon_run.sh,
 * docs/performance.md "The daemon").
 *
 *   daemon_bench host I
 *	one of a fleet of ordinary processes; I (0, 1, 2, ...) picks its
 *	shape, the same one every run: 2-16 MiB of heap held (a tenth of
 *	them 32-64 MiB), 1-6 threads (some 16, a pool), 0-3 loopback TCP
 *	connections to its own listener, sometimes a UDP socket or a unix
 *	socketpair, and one in 25 grows by 32 KiB/s.  Every thread wakes
 *	about once a second to allocate, free and, on the main thread,
 *	send a byte over each connection: busy enough to change, idle
 *	enough to look like a host's daemons.
 *   daemon_bench grow RATE KIB
 *	the target of an escalation: RATE malloc+free pairs per second
 *	(16..4096 bytes, paced in 1 ms ticks) while KIB KiB a second are
 *	allocated, touched and kept, so its memory grows steadily.  Every
 *	second it prints "tick unix=S pairs=N cpu_ns=NS" (wall-clock time,
 *	cumulative pairs, its own CPU time), which gives its throughput
 *	and its CPU cost per pair before, during and after the probes.
 *
 * Both print one "ready ..." line once set up and run until killed.
 * Built like the other benchmarks: plain -O2, no sanitizers.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 3
#define SMALL_BLOCK 1024
#define BIG_BLOCK (256 << 10)
#define GROW_CHUNK 4096

struct shape {
	unsigned mem_mib, threads, conns;
	int udp, unixpair;
	unsigned grow_kib_s;
};

/* Kept reachable so nothing is optimised away or looks leaked. */
static char **held;
static size_t nr_held;

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts))
		;
}

static void *touched(size_t n)
{
	char *p = malloc(n);
	size_t i;

	if (!p) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < n; i += 4096)
		p[i] = (char)i;
	p[n - 1] = 1;
	return p;
}

/* A deterministic mix per index: a multiplicative hash, bits sliced. */
static void shape_of(unsigned idx, struct shape *s)
{
	uint32_t h = (idx + 1) * 2654435761u;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	s->mem_mib = h % 10 == 3 ? 32 + (h >> 4) % 33 : 2 + (h >> 4) % 15;
	s->threads = h % 20 == 7 ? 16 : 1 + (h >> 9) % 6;
	s->conns = (h >> 13) % (MAX_CONNS + 1);
	s->udp = (h >> 16) % 4 == 0;
	s->unixpair = (h >> 18) % 3 == 0;
	s->grow_kib_s = idx % 25 == 12 ? 32 : 0;
}

/* Some short-lived allocations, all freed again. */
static void churn(unsigned n)
{
	void *v[64];
	unsigned i;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		v[i] = malloc(32 + i * 24);
	for (i = 0; i < n; i++)
		free(v[i]);
}

static void *worker(void *arg)
{
	double period = 0.8 + (uintptr_t)arg % 5 * 0.1;

	for (;;) {
		sleep_s(period);
		churn(16);
	}
	return NULL;
}

static int loopback_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int l;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) ||
	    listen(l, 16) || getsockname(l, (struct sockaddr *)a, &len))
		return -1;
	return l;
}

static int host(unsigned idx)
{
	int cli[MAX_CONNS], srv[MAX_CONNS], up[2];
	size_t nr_big, nr_small, i, cap;
	struct sockaddr_in a;
	struct shape s;
	pthread_t t;
	double next_grow;
	unsigned k;
	char c = 'x';

	shape_of(idx, &s);
	/* Three quarters in big (mmap'ed) blocks, the rest small (brk). */
	nr_big = (size_t)s.mem_mib * 3 * 1024 / 4 / (BIG_BLOCK >> 10);
	nr_small = ((size_t)s.mem_mib << 20) / 4 / SMALL_BLOCK;
	cap = nr_big + nr_small + 1024;
	held = malloc(cap * sizeof(*held));
	if (!held)
		return 1;
	for (i = 0; i < nr_big; i++)
		held[nr_held++] = touched(BIG_BLOCK);
	for (i = 0; i < nr_small; i++)
		held[nr_held++] = touched(SMALL_BLOCK);
	for (k = 1; k < s.threads; k++)
		if (pthread_create(&t, NULL, worker, (void *)(uintptr_t)k))
			return 1;
	if (s.conns) {
		int l = loopback_listener(&a);

		if (l < 0)
			return 1;
		for (k = 0; k < s.conns; k++) {
			cli[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (cli[k] < 0 ||
			    connect(cli[k], (struct sockaddr *)&a, sizeof(a)))
				return 1;
			srv[k] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (srv[k] < 0)
				return 1;
		}
	}
	if (s.udp && socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) < 0)
		return 1;
	if (s.unixpair && socketpair(AF_UNIX, SOCK_STREAM, 0, up))
		return 1;
	printf("ready pid=%d index=%u mem_mib=%u threads=%u tcp_conns=%u udp=%d unix_pair=%d grow_kib_s=%u\n",
	       (int)getpid(), idx, s.mem_mib, s.threads, s.conns, s.udp,
	       s.unixpair, s.grow_kib_s);
	fflush(stdout);

	/* Spread the fleet's wakeups over the second. */
	sleep_s(idx % 100 / 100.0);
	next_grow = mono_s();
	for (;;) {
		sleep_s(1);
		churn(48);
		for (k = 0; k < s.conns; k++)
			if (write(cli[k], &c, 1) != 1 ||
			    read(srv[k], &c, 1) != 1)
				return 1;
		/* Growth in 4 KiB blocks kept forever: a slow leak. */
		while (s.grow_kib_s && mono_s() >= next_grow) {
			for (k = 0; k < s.grow_kib_s * 1024 / GROW_CHUNK; k++) {
				char **n = held;

				if (nr_held == cap) {
					cap *= 2;
					n = realloc(held, cap * sizeof(*held));
					if (!n)
						return 1;
					held = n;
				}
				held[nr_held++] = touched(GROW_CHUNK);
			}
			next_grow += 1;
		}
	}
}

/* The ring of 64 live blocks of bench/malloc_bench.c's pairs. */
#define RING 64
static char *ring[RING];
static unsigned ring_pos;
static uint32_t rng = 0x9e3779b9u;

static __attribute__((noinline)) void pair(void)
{
	char *p;

	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	free(ring[ring_pos]);
	p = malloc(16 + rng % 4081);
	if (!p)
		exit(1);
	p[0] = 1;
	ring[ring_pos] = p;
	ring_pos = (ring_pos + 1) % RING;
	__asm__ __volatile__("" ::: "memory");
}

static double unix_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __attribute__((noinline)) void *grow_chunk(void)
{
	return touched(GROW_CHUNK);
}

static int grow(double rate, double kib_s)
{
	unsigned long long done = 0, target, cap = rate / 100 + 1;
	double t0, t, next_tick, grown = 0;
	struct timespec next;
	size_t hcap = 1024;

	held = malloc(hcap * sizeof(*held));
	if (!held)
		return 1;
	for (ring_pos = 0; ring_pos < RING; ring_pos++)
		ring[ring_pos] = malloc(16);
	ring_pos = 0;
	printf("ready pid=%d rate=%.0f grow_kib_s=%.0f\n", (int)getpid(), rate,
	       kib_s);
	fflush(stdout);
	t0 = mono_s();
	next_tick = t0 + 1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		t = mono_s();
		/* Behind (the probes are slow): at most 10 ms worth a tick,
		 * so the per-second lines show the shortfall. */
		target = (unsigned long long)((t - t0) * rate);
		if (target > done + cap)
			target = done + cap;
		for (; done < target; done++)
			pair();
		for (; grown < (t - t0) * kib_s * 1024; grown += GROW_CHUNK) {
			if (nr_held == hcap) {
				char **n = realloc(held, 2 * hcap * sizeof(*n));

				if (!n)
					return 1;
				held = n;
				hcap *= 2;
			}
			held[nr_held++] = grow_chunk();
		}
		if (t >= next_tick) {
			printf("tick unix=%.3f pairs=%llu cpu_ns=%llu\n",
			       unix_s(), done, (unsigned long long)cpu_ns());
			fflush(stdout);
			next_tick += 1;
		}
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "host"))
		return host((unsigned)strtoul(argv[2], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "grow"))
		return grow(strtod(argv[2], NULL), strtod(argv[3], NULL));
	fprintf(stderr, "usage: %s host INDEX\n       %s grow RATE KIB_PER_S\n",
		argv[0], argv[0]);
	return 2;
}
