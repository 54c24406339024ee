/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests of the descriptor table (src/fdtable.c) and of the /proc link
 * parser (src/sockdiag.c): events, duplicates, close_range, snapshots that
 * correct drift, and the CLOSE_WAIT rule.  No root, no BPF.
 */
#include <stdlib.h>

#include "fdtable.h"
#include "hmap.h"
#include "lwtest.h"
#include "sockdiag.h"

#define T0 1000000000000ull
#define SEC 1000000000ull

static const struct lw_socket_site *find(const struct lw_socket_report *r,
					 uint64_t site)
{
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if (r->sites[i].site == site)
			return &r->sites[i];
	return NULL;
}

static void test_kinds(void)
{
	uint64_t ino = 0;

	ASSERT_EQ(lw_fd_kind_of("socket:[4242]", &ino), LW_FDK_SOCKET,
		  "socket");
	ASSERT_U64_EQ(ino, 4242, "socket inode");
	ASSERT_EQ(lw_fd_kind_of("pipe:[7]", &ino), LW_FDK_PIPE, "pipe");
	ASSERT_U64_EQ(ino, 0, "no inode for pipes");
	ASSERT_EQ(lw_fd_kind_of("anon_inode:[eventfd]", NULL), LW_FDK_EVENTFD,
		  "eventfd");
	ASSERT_EQ(lw_fd_kind_of("anon_inode:[eventpoll]", NULL), LW_FDK_EPOLL,
		  "epoll");
	ASSERT_EQ(lw_fd_kind_of("anon_inode:inotify", NULL), LW_FDK_INOTIFY,
		  "inotify");
	ASSERT_EQ(lw_fd_kind_of("anon_inode:[io_uring]", NULL), LW_FDK_ANON,
		  "other anon inode");
	ASSERT_EQ(lw_fd_kind_of("pidfd:[99]", NULL), LW_FDK_PIDFD, "pidfs");
	ASSERT_EQ(lw_fd_kind_of("/dev/null", NULL), LW_FDK_DEVICE, "device");
	ASSERT_EQ(lw_fd_kind_of("/tmp/x (deleted)", NULL), LW_FDK_FILE, "file");
	ASSERT_EQ(lw_fd_kind_of("net:[4026531840]", NULL), LW_FDK_OTHER,
		  "other");
	ASSERT_STREQ(lw_sock_state_name(LW_SOCK_CLOSE_WAIT), "CLOSE_WAIT",
		     "state name");
	ASSERT_STREQ(lw_sock_state_name(200), "UNKNOWN", "state out of range");
}

/*
 * Events only: sockets born at two sites, moved with dup and dup2 (over an
 * open socket of the other site), closed one by one and by close_range.
 */
static void test_events(void)
{
	struct lw_fdtable *t = lw_fdtable__new(T0);
	struct lw_socket_report r = {0};
	const struct lw_socket_site *a, *b;
	uint64_t ips[2] = {0x401000, 0x402000};

	if (!ASSERT_TRUE(t != NULL, "new"))
		return;
	ASSERT_OK(lw_fdtable__add_stack(t, 0xa0, LW_FD_SOCKET, ips, 2, false),
		  "stack a");
	ASSERT_OK(lw_fdtable__add_stack(t, 0xb0, LW_FD_ACCEPT4, ips, 1, false),
		  "stack b");
	ASSERT_TRUE(lw_fdtable__has_stack(t, 0xa0), "has stack");
	ASSERT_OK(lw_fdtable__open(t, 3, 0xa0, T0 + 1 * SEC), "open 3");
	ASSERT_OK(lw_fdtable__open(t, 4, 0xa0, T0 + 2 * SEC), "open 4");
	ASSERT_OK(lw_fdtable__open(t, 5, 0xb0, T0 + 3 * SEC), "open 5");
	ASSERT_OK(lw_fdtable__open(t, 6, 0xb0, T0 + 3 * SEC), "open 6");
	/* 7 = dup(3): another socket of site a. */
	ASSERT_OK(lw_fdtable__dup(t, 3, 7, T0 + 4 * SEC), "dup");
	/* dup2(4, 5): 5 (site b) is closed and becomes site a. */
	ASSERT_OK(lw_fdtable__dup(t, 4, 5, T0 + 5 * SEC), "dup2 over b");
	/* dup of something that is not a socket: nothing. */
	ASSERT_OK(lw_fdtable__dup(t, 0, 9, T0 + 5 * SEC), "dup of stdin");
	lw_fdtable__close(t, 3, T0 + 6 * SEC);
	lw_fdtable__close(t, 42, T0 + 6 * SEC); /* never seen: ignored */
	lw_fdtable__sample(t, T0 + 6 * SEC);

	if (!ASSERT_OK(lw_fdtable__report(t, T0 + 7 * SEC, &r), "report"))
		goto out;
	a = find(&r, 0xa0);
	b = find(&r, 0xb0);
	ASSERT_U64_EQ(r.open, 4, "open: 4, 5, 6, 7");
	if (ASSERT_TRUE(a != NULL, "site a")) {
		ASSERT_U64_EQ(a->open, 3, "site a: 4, 5, 7");
		ASSERT_EQ(a->call, LW_FD_SOCKET, "site a call");
		ASSERT_EQ(a->nr_ips, 2, "site a frames");
		/* No snapshot yet: every state unknown. */
		ASSERT_U64_EQ(a->by_state[LW_SOCK_UNKNOWN], 3,
			      "unknown states");
	}
	if (ASSERT_TRUE(b != NULL, "site b"))
		ASSERT_U64_EQ(b->open, 1, "site b: 6");
	lw_socket_report__clear(&r);

	/* close_range(5, ~0U): 5, 6, 7 go; 4 stays. */
	lw_fdtable__close_range(t, 5, ~0u, T0 + 8 * SEC);
	if (!ASSERT_OK(lw_fdtable__report(t, T0 + 9 * SEC, &r), "report 2"))
		goto out;
	ASSERT_U64_EQ(r.open, 1, "after close_range");
	ASSERT_EQ(r.nr_sites, 1, "one site left");
out:
	lw_socket_report__clear(&r);
	lw_fdtable__free(t);
}

static void put_state(struct lw_hmap *socks, uint64_t inode, unsigned proto,
		      unsigned state)
{
	struct lw_sock_info *si = lw_hmap__put(socks, inode, NULL);

	if (si) {
		si->proto = (uint8_t)proto;
		si->state = (uint8_t)state;
	}
}

/*
 * Snapshots: the first finds sockets open before tracing; a later one
 * finds one no event explained (untraced) and misses one whose close was
 * lost; states come from the inode map.
 */
static void test_snapshots(void)
{
	struct lw_fdtable *t = lw_fdtable__new(T0);
	struct lw_hmap *socks = lw_hmap__new(sizeof(struct lw_sock_info), 8);
	struct lw_socket_report r = {0};
	const struct lw_socket_site *s;
	struct lw_fd_entry first[] = {
		{.fd = 0, .kind = LW_FDK_DEVICE},
		{.fd = 3, .kind = LW_FDK_SOCKET, .inode = 100},
		{.fd = 4, .kind = LW_FDK_PIPE},
	};
	struct lw_fd_entry second[] = {
		{.fd = 0, .kind = LW_FDK_DEVICE},
		{.fd = 3, .kind = LW_FDK_SOCKET, .inode = 100},
		{.fd = 5, .kind = LW_FDK_SOCKET, .inode = 101},
		/* 6 was opened by an event, closed without one: gone */
		{.fd = 8, .kind = LW_FDK_SOCKET, .inode = 102},
	};

	if (!ASSERT_TRUE(t && socks, "new"))
		goto out;
	put_state(socks, 100, LW_PROTO_TCP, LW_SOCK_LISTEN);
	put_state(socks, 101, LW_PROTO_TCP6, LW_SOCK_CLOSE_WAIT);
	put_state(socks, 102, LW_PROTO_UNIX, LW_SOCK_ESTABLISHED);
	ASSERT_OK(lw_fdtable__reconcile(t, first, 3, socks, T0), "first");
	ASSERT_OK(lw_fdtable__open(t, 5, 0xc0, T0 + SEC), "open 5");
	ASSERT_OK(lw_fdtable__open(t, 6, 0xc0, T0 + SEC), "open 6");
	ASSERT_OK(lw_fdtable__reconcile(t, second, 4, socks, T0 + 2 * SEC),
		  "second");
	if (!ASSERT_OK(lw_fdtable__report(t, T0 + 3 * SEC, &r), "report"))
		goto out;
	ASSERT_U64_EQ(r.open, 3, "open: 3, 5, 8");
	ASSERT_U64_EQ(r.snapshots, 2, "snapshots");
	/* Corrections after the first: 8 found, 6 swept. */
	ASSERT_U64_EQ(r.corrections, 2, "corrections");
	ASSERT_TRUE(r.states_known, "states known");
	s = find(&r, LW_FD_SITE_BEFORE);
	if (ASSERT_TRUE(s != NULL, "before site")) {
		ASSERT_U64_EQ(s->open, 1, "before: fd 3");
		ASSERT_U64_EQ(s->by_state[LW_SOCK_LISTEN], 1, "before: LISTEN");
		ASSERT_TRUE(s->has_unknown_births, "before: unknown birth");
	}
	s = find(&r, LW_FD_SITE_UNTRACED);
	if (ASSERT_TRUE(s != NULL, "untraced site"))
		ASSERT_U64_EQ(s->by_proto[LW_PROTO_UNIX], 1, "untraced: unix");
	s = find(&r, 0xc0);
	if (ASSERT_TRUE(s != NULL, "site c")) {
		ASSERT_U64_EQ(s->open, 1, "site c: fd 5");
		ASSERT_U64_EQ(s->by_state[LW_SOCK_CLOSE_WAIT], 1, "CLOSE_WAIT");
		ASSERT_U64_EQ(s->by_proto[LW_PROTO_TCP6], 1, "tcp6");
	}
	ASSERT_U64_EQ(r.by_state[LW_SOCK_CLOSE_WAIT], 1, "total CLOSE_WAIT");
	/* Non-sockets: the device stays, the pipe is gone. */
	ASSERT_EQ(r.nr_kinds, 1, "kinds");
	ASSERT_EQ(r.kinds[0].kind, LW_FDK_DEVICE, "kind device");
out:
	lw_socket_report__clear(&r);
	lw_hmap__free(socks);
	lw_fdtable__free(t);
}

/*
 * A pool of 8 connections opened at once and never closed: a flat open
 * count, stable on its own.  Their peers hang up one every 2.5 s, and the
 * CLOSE_WAIT census makes the site a leak anyway.
 */
static void test_close_wait_rule(void)
{
	struct lw_fdtable *t = lw_fdtable__new(T0);
	struct lw_hmap *socks = lw_hmap__new(sizeof(struct lw_sock_info), 8);
	struct lw_socket_report r = {0};
	struct lw_fd_entry e[8];
	uint64_t now;
	int i, step;

	if (!ASSERT_TRUE(t && socks, "new"))
		goto out;
	ASSERT_OK(lw_fdtable__reconcile(t, NULL, 0, socks, T0), "empty");
	for (i = 0; i < 8; i++) {
		e[i] = (struct lw_fd_entry){
			.fd = 10 + i, .kind = LW_FDK_SOCKET, .inode = 500 + i};
		put_state(socks, 500 + i, LW_PROTO_TCP, LW_SOCK_ESTABLISHED);
		ASSERT_OK(lw_fdtable__open(t, 10 + i, 0xd0, T0 + SEC / 10),
			  "open");
	}
	for (step = 1; step <= 8; step++) {
		now = T0 + (uint64_t)step * 5 * SEC / 2;
		put_state(socks, 500 + step - 1, LW_PROTO_TCP,
			  LW_SOCK_CLOSE_WAIT);
		ASSERT_OK(lw_fdtable__reconcile(t, e, 8, socks, now), "snap");
		lw_fdtable__sample(t, now);
	}
	if (!ASSERT_OK(lw_fdtable__report(t, now, &r), "report"))
		goto out;
	if (!ASSERT_EQ(r.nr_sites, 1, "one site"))
		goto out;
	ASSERT_U64_EQ(r.sites[0].open, 8, "open");
	ASSERT_U64_EQ(r.sites[0].by_state[LW_SOCK_CLOSE_WAIT], 8, "CLOSE_WAIT");
	ASSERT_EQ(r.sites[0].open_verdict, LW_VERDICT_STABLE, "open verdict");
	ASSERT_EQ(r.sites[0].close_wait_verdict, LW_VERDICT_LEAK,
		  "CLOSE_WAIT verdict");
	ASSERT_EQ(r.sites[0].verdict, LW_VERDICT_LEAK, "site verdict");
	ASSERT_TRUE(r.sites[0].close_wait_growth_per_s > 0, "CLOSE_WAIT "
							    "growth");
out:
	lw_socket_report__clear(&r);
	lw_hmap__free(socks);
	lw_fdtable__free(t);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_kinds),
		LWT_CASE(test_events),
		LWT_CASE(test_snapshots),
		LWT_CASE(test_close_wait_rule),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
