/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Socket leaks over loopback with known counts (sock_workload.h): a
 * forgetful client, a server that never closes connections its peers hung
 * up (CLOSE_WAIT), and their careful counterparts; plus stable sockets of
 * every family and a growing number of eventfds.  Traced by
 * tests/integration/test_sockets.c.  Prints "done" after the last step,
 * then idles until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sock_workload.h"

#define MAX_CONNS 256

static void die(const char *what)
{
	fprintf(stderr, "sock_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int __attribute__((noinline)) make_listener(struct sockaddr_in *ret)
{
	socklen_t len = sizeof(*ret);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)ret, sizeof(*ret)) ||
	    listen(fd, SW_BACKLOG) ||
	    getsockname(fd, (struct sockaddr *)ret, &len))
		die("listen");
	return fd;
}

static int connect_to(int fd, const struct sockaddr_in *a)
{
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)))
		die("connect");
	return fd;
}

/* Leaks: a connection per call, never closed. */
static int __attribute__((noinline))
forgetful_connect(const struct sockaddr_in *a)
{
	return connect_to(socket(AF_INET, SOCK_STREAM, 0), a);
}

/* Connects and closes, with close_range() for a change. */
static void __attribute__((noinline))
careful_connect(const struct sockaddr_in *a)
{
	int fd = connect_to(socket(AF_INET, SOCK_STREAM, 0), a);

	if (syscall(SYS_close_range, fd, fd, 0))
		die("close_range");
}

/* The peer of the bad server: connects and hangs up. */
static void __attribute__((noinline))
hangup_connect(const struct sockaddr_in *a)
{
	int fd = connect_to(socket(AF_INET, SOCK_STREAM, 0), a);

	close(fd);
}

/*
 * A pool of connections kept for the whole run.  Each is moved to another
 * descriptor (dup, fcntl F_DUPFD_CLOEXEC, dup2) and the original closed,
 * so the site's count only holds if duplicates inherit their site.
 */
static void __attribute__((noinline)) open_pool(const struct sockaddr_in *a)
{
	int i, fd, moved;

	for (i = 0; i < SW_POOL; i++) {
		fd = connect_to(socket(AF_INET, SOCK_STREAM, 0), a);
		if (i == 0)
			moved = dup(fd);
		else if (i == 1)
			moved = fcntl(fd, F_DUPFD_CLOEXEC, 100);
		else
			moved = dup2(fd, 200);
		if (moved < 0)
			die("dup");
		close(fd);
	}
}

/* IPv6: a listener on ::1 and one connection to it, both kept. */
static void __attribute__((noinline)) make_listener6(struct sockaddr_in6 *ret)
{
	socklen_t len = sizeof(*ret);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket6");
	memset(ret, 0, sizeof(*ret));
	ret->sin6_family = AF_INET6;
	ret->sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)ret, sizeof(*ret)) ||
	    listen(fd, SW_BACKLOG) ||
	    getsockname(fd, (struct sockaddr *)ret, &len))
		die("listen6");
}

static void __attribute__((noinline)) connect6(const struct sockaddr_in6 *a)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof(*a)))
		die("connect6");
}

static void __attribute__((noinline)) make_udp(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("udp");
}

static void __attribute__((noinline)) make_pair(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
}

static void __attribute__((noinline)) leak_eventfd(void)
{
	if (eventfd(0, 0) < 0)
		die("eventfd");
}

struct server {
	int good, bad; /* listeners */
};

/* The bad server: takes the connection and forgets it. */
static void __attribute__((noinline)) accept_and_keep(int l)
{
	if (accept(l, NULL, NULL) < 0)
		die("accept");
}

/* The good server: keeps the connection until its peer hangs up. */
static int __attribute__((noinline)) accept_and_watch(int l)
{
	int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		die("accept4");
	return fd;
}

static void *serve(void *arg)
{
	struct server *sv = arg;
	struct pollfd p[MAX_CONNS];
	int n = 2, i;
	char buf[64];

	p[0] = (struct pollfd){.fd = sv->good, .events = POLLIN};
	p[1] = (struct pollfd){.fd = sv->bad, .events = POLLIN};
	for (;;) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents & POLLIN) {
			if (n == MAX_CONNS)
				die("too many connections");
			p[n++] = (struct pollfd){
				.fd = accept_and_watch(sv->good),
				.events = POLLIN};
		}
		if (p[1].revents & POLLIN)
			accept_and_keep(sv->bad);
		for (i = 2; i < n; i++) {
			if (!p[i].revents)
				continue;
			if (read(p[i].fd, buf, sizeof(buf)) > 0)
				continue;
			close(p[i].fd); /* the peer hung up */
			p[i--] = p[--n];
		}
	}
	return NULL;
}

int main(void)
{
	struct sockaddr_in good, bad, quiet;
	struct sockaddr_in6 v6;
	static struct server sv;
	pthread_t th;
	int pfd[2], i;

	sv.good = make_listener(&good);
	sv.bad = make_listener(&bad);
	(void)make_listener(&quiet); /* never accepts */
	open_pool(&quiet);
	make_udp();
	make_pair();
	make_listener6(&v6);
	connect6(&v6);
	if (pipe(pfd))
		die("pipe");
	if (pthread_create(&th, NULL, serve, &sv))
		die("pthread_create");

	for (i = 0; i < SW_STEPS; i++) {
		forgetful_connect(&quiet);
		careful_connect(&good);
		hangup_connect(&bad);
		leak_eventfd();
		sleep_ms(SW_STEP_MS);
	}
	printf("done\n");
	fflush(stdout);
	for (;;)
		pause();
}
