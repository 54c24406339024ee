/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Process churn for tests/integration/test_daemon_churn.c: fork()s at a
 * fixed rate for a fixed time and reaps every child.  A fixed cycle of ten
 * decides what each child does, so the mix is exact:
 *   4 in 10 _exit() at once,
 *   2 in 10 exec /bin/true,
 *   3 in 10 live 50..500 ms holding 256 KiB and a socketpair, so that the
 *     daemon's scans see them and sometimes lose them mid-read,
 *   1 in 10 does the same with two extra threads.
 * Usage: churn_workload [--rate N/s] [--seconds S].  Prints "ready" at the
 * start and "forked F exec E lived L threaded T reaped R failed X" at the
 * end; exits 0 when every child was reaped with status 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOLD_BYTES (256 * 1024)

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_until(unsigned long long ns)
{
	struct timespec ts = { ns / 1000000000ULL, ns % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void *idle_thread(void *arg)
{
	pause();
	return arg;
}

/* A child that lives ms milliseconds with memory, sockets, threads. */
static void live(unsigned ms, int threads)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	volatile char *mem = malloc(HOLD_BYTES);
	pthread_t t;
	int sv[2], i;

	if (!mem || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		_exit(1);
	for (i = 0; i < HOLD_BYTES; i += 4096)
		mem[i] = (char)i;
	for (i = 0; i < threads; i++)
		if (pthread_create(&t, NULL, idle_thread, NULL))
			_exit(1);
	while (nanosleep(&ts, &ts))
		;
	/* _exit ends the idle threads with the process. */
	_exit(0);
}

static int reap(int flags, unsigned long *reaped, unsigned long *failed)
{
	int status, n = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, flags)) > 0) {
		(*reaped)++;
		n++;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			(*failed)++;
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long forked = 0, execd = 0, lived = 0, threaded = 0;
	unsigned long reaped = 0, failed = 0;
	unsigned long long start, next, end, period;
	unsigned rng = 12345, rate = 400;
	double seconds = 60;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rate"))
			rate = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = strtod(argv[i + 1], NULL);
		else
			break;
	}
	if (i != argc || !rate || !(seconds > 0)) {
		fprintf(stderr, "usage: %s [--rate N] [--seconds S]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("ready\n");

	period = 1000000000ULL / rate;
	start = now_ns();
	end = start + (unsigned long long)(seconds * 1e9);
	for (next = start; next < end; next += period) {
		unsigned kind = forked % 10, ms;
		pid_t pid;

		/*
		 * Behind schedule (a slow fork), skip ahead instead of
		 * bursting: the rate is a ceiling, the count is printed.
		 */
		if (now_ns() > next + 100000000ULL)
			next = now_ns();
		sleep_until(next);
		rng = rng * 1103515245u + 12345u;
		ms = 50 + (rng >> 8) % 451;
		pid = fork();
		if (pid < 0) {
			/* EAGAIN under pressure: reap and try the next slot. */
			reap(0, &reaped, &failed);
			continue;
		}
		if (pid == 0) {
			if (kind < 4)
				_exit(0);
			if (kind < 6) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			live(ms, kind == 9 ? 2 : 0);
		}
		forked++;
		if (kind >= 4 && kind < 6)
			execd++;
		else if (kind == 9)
			threaded++;
		else if (kind >= 6)
			lived++;
		reap(WNOHANG, &reaped, &failed);
	}
	while (reaped < forked && reap(0, &reaped, &failed) > 0)
		;
	printf("forked %lu exec %lu lived %lu threaded %lu reaped %lu failed %lu\n",
	       forked, execd, lived, threaded, reaped, failed);
	return reaped == forked && !failed ? 0 : 1;
}
