/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The descriptor table: three censuses (open sockets by site, sockets in
 * CLOSE_WAIT by site, other descriptors by kind), the creation stacks,
 * and the socket states of the last snapshot.  Pairs with fdtable.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "census.h"
#include "fdtable.h"
#include "hmap.h"

struct stack {
	uint64_t ips[LW_FD_MAX_STACK];
	unsigned nr;
	uint32_t call;
	bool truncated;
};

struct lw_fdtable {
	uint64_t t0_ns;
	struct lw_census *open;	  /* fd -> socket site */
	struct lw_census *cw;	  /* fd -> socket site, CLOSE_WAIT only */
	struct lw_census *kinds;  /* fd -> enum lw_fd_kind, non-sockets */
	struct lw_hmap *stack_of; /* stack id -> index into st[] */
	struct stack *st;
	size_t nr_st, alloc_st;
	struct lw_hmap *state; /* fd -> struct lw_sock_info, last snapshot */
	bool states_known;
	unsigned max_fd; /* highest fd seen, bounds close_range() */
	uint64_t snapshots, corrections;
};

static const char *const call_names[LW_FD_CALL_MAX] = {
	[LW_FD_SOCKET] = "socket", [LW_FD_SOCKETPAIR] = "socketpair",
	[LW_FD_ACCEPT] = "accept", [LW_FD_ACCEPT4] = "accept4",
	[LW_FD_DUP] = "dup",	   [LW_FD_DUP2] = "dup2",
	[LW_FD_DUP3] = "dup3",	   [LW_FD_FCNTL_DUPFD] = "fcntl",
};

const char *lw_fd_call_name(uint32_t call)
{
	return call && call < LW_FD_CALL_MAX ? call_names[call] : "?";
}

void lw_socket_report__clear(struct lw_socket_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr_sites; i++)
		free(r->sites[i].frames);
	free(r->sites);
	memset(r, 0, sizeof(*r));
}

struct lw_fdtable *lw_fdtable__new(uint64_t t0_ns)
{
	struct lw_fdtable *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->t0_ns = t0_ns;
	t->open = lw_census__new(t0_ns, NULL);
	t->cw = lw_census__new(t0_ns, NULL);
	t->kinds = lw_census__new(t0_ns, NULL);
	t->stack_of = lw_hmap__new(sizeof(uint32_t), 64);
	t->state = lw_hmap__new(sizeof(struct lw_sock_info), 64);
	if (!t->open || !t->cw || !t->kinds || !t->stack_of || !t->state) {
		lw_fdtable__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void lw_fdtable__free(struct lw_fdtable *t)
{
	if (!t)
		return;
	lw_census__free(t->open);
	lw_census__free(t->cw);
	lw_census__free(t->kinds);
	lw_hmap__free(t->stack_of);
	lw_hmap__free(t->state);
	free(t->st);
	free(t);
}

bool lw_fdtable__has_stack(const struct lw_fdtable *t, uint64_t id)
{
	return lw_hmap__get(t->stack_of, id) != NULL;
}

int lw_fdtable__add_stack(struct lw_fdtable *t, uint64_t id, uint32_t call,
			  const uint64_t *ips, unsigned nr, bool truncated)
{
	struct stack *s;
	uint32_t *idx;
	bool created;

	idx = lw_hmap__put(t->stack_of, id, &created);
	if (!idx)
		return -ENOMEM;
	if (!created)
		return 0;
	if (t->nr_st == t->alloc_st) {
		size_t want = t->alloc_st ? t->alloc_st * 2 : 16;

		s = realloc(t->st, want * sizeof(*s));
		if (!s) {
			lw_hmap__del(t->stack_of, id, NULL);
			return -ENOMEM;
		}
		t->st = s;
		t->alloc_st = want;
	}
	s = &t->st[t->nr_st];
	memset(s, 0, sizeof(*s));
	s->nr = nr < LW_FD_MAX_STACK ? nr : LW_FD_MAX_STACK;
	memcpy(s->ips, ips, s->nr * sizeof(*ips));
	s->call = call;
	s->truncated = truncated;
	*idx = (uint32_t)t->nr_st++;
	return 0;
}

static uint64_t fd_id(int fd)
{
	return (uint32_t)fd;
}

static void see_fd(struct lw_fdtable *t, int fd)
{
	if (fd >= 0 && (unsigned)fd > t->max_fd)
		t->max_fd = (unsigned)fd;
}

int lw_fdtable__open(struct lw_fdtable *t, int fd, uint64_t site, uint64_t ns)
{
	if (fd < 0)
		return 0;
	see_fd(t, fd);
	/* A socket now: whatever the fd was before is gone (a lost close). */
	lw_census__death(t->kinds, fd_id(fd), ns);
	lw_census__death(t->cw, fd_id(fd), ns);
	lw_hmap__del(t->state, fd_id(fd), NULL);
	return lw_census__birth(t->open, fd_id(fd), site, ns);
}

void lw_fdtable__close(struct lw_fdtable *t, int fd, uint64_t ns)
{
	if (fd < 0)
		return;
	lw_census__death(t->open, fd_id(fd), ns);
	lw_census__death(t->cw, fd_id(fd), ns);
	lw_census__death(t->kinds, fd_id(fd), ns);
	lw_hmap__del(t->state, fd_id(fd), NULL);
}

void lw_fdtable__close_range(struct lw_fdtable *t, unsigned first,
			     unsigned last, uint64_t ns)
{
	unsigned fd;

	if (last > t->max_fd)
		last = t->max_fd;
	for (fd = first; fd <= last && fd <= (unsigned)INT32_MAX; fd++)
		lw_fdtable__close(t, (int)fd, ns);
}

int lw_fdtable__dup(struct lw_fdtable *t, int oldfd, int newfd, uint64_t ns)
{
	const struct lw_sock_info *si;
	struct lw_sock_info copy;
	bool has_state = false;
	uint64_t site;

	if (oldfd < 0 || newfd < 0 || oldfd == newfd)
		return 0;
	see_fd(t, newfd);
	si = lw_hmap__get(t->state, fd_id(oldfd));
	if (si) {
		copy = *si;
		has_state = true;
	}
	lw_fdtable__close(t, newfd, ns);
	if (lw_census__lookup(t->open, fd_id(oldfd), &site)) {
		struct lw_sock_info *ns_si;

		if (has_state) {
			ns_si = lw_hmap__put(t->state, fd_id(newfd), NULL);
			if (!ns_si)
				return -ENOMEM;
			*ns_si = copy;
		}
		return lw_census__birth(t->open, fd_id(newfd), site, ns);
	}
	if (lw_census__lookup(t->kinds, fd_id(oldfd), &site))
		return lw_census__birth(t->kinds, fd_id(newfd), site, ns);
	return 0;
}

int lw_fdtable__reconcile(struct lw_fdtable *t, const struct lw_fd_entry *e,
			  size_t nr, const struct lw_hmap *socks, uint64_t now)
{
	bool first = t->snapshots == 0;
	/* Members found in the first snapshot were born before tracing. */
	uint64_t born = first ? 0 : now;
	size_t i, swept;
	int err;

	lw_census__mark(t->open);
	lw_census__mark(t->cw);
	lw_census__mark(t->kinds);
	lw_hmap__clear(t->state);
	for (i = 0; i < nr; i++) {
		uint64_t id = fd_id(e[i].fd), site;
		const struct lw_sock_info *si;

		see_fd(t, e[i].fd);
		if (e[i].kind != LW_FDK_SOCKET) {
			err = lw_census__seen(t->kinds, id, e[i].kind, born);
			if (err)
				return err;
			continue;
		}
		if (!lw_census__lookup(t->open, id, &site)) {
			site = first ? LW_FD_SITE_BEFORE : LW_FD_SITE_UNTRACED;
			t->corrections += !first;
		}
		err = lw_census__seen(t->open, id, site, born);
		if (err)
			return err;
		si = socks ? lw_hmap__get(socks, e[i].inode) : NULL;
		if (!si)
			continue;
		{
			struct lw_sock_info *slot;

			slot = lw_hmap__put(t->state, id, NULL);
			if (!slot)
				return -ENOMEM;
			*slot = *si;
		}
		if (si->state == LW_SOCK_CLOSE_WAIT) {
			err = lw_census__seen(t->cw, id, site, born);
			if (err)
				return err;
		}
	}
	swept = lw_census__sweep(t->open, now);
	if (!first)
		t->corrections += swept;
	lw_census__sweep(t->cw, now);
	lw_census__sweep(t->kinds, now);
	t->states_known = socks != NULL;
	t->snapshots++;
	return 0;
}

void lw_fdtable__sample(struct lw_fdtable *t, uint64_t now)
{
	lw_census__sample(t->open, now);
	lw_census__sample(t->cw, now);
	lw_census__sample(t->kinds, now);
}

static int cmp_kind(const void *a, const void *b)
{
	const struct lw_fd_kind_report *x = a, *y = b;

	return (x->kind > y->kind) - (x->kind < y->kind);
}

static void fill_kinds(struct lw_socket_report *r,
		       const struct lw_census_site *ks, size_t nr)
{
	size_t i;

	for (i = 0; i < nr && r->nr_kinds < LW_FDK_NR; i++) {
		struct lw_fd_kind_report *k = &r->kinds[r->nr_kinds++];

		k->kind = (unsigned)ks[i].site;
		k->verdict = ks[i].verdict;
		k->open = ks[i].live;
		k->growth_per_s = ks[i].growth_per_s;
	}
	qsort(r->kinds, r->nr_kinds, sizeof(r->kinds[0]), cmp_kind);
}

int lw_fdtable__report(struct lw_fdtable *t, uint64_t now,
		       struct lw_socket_report *r)
{
	struct lw_census_site *os = NULL, *cs = NULL, *ks = NULL;
	size_t nr_os = 0, nr_cs = 0, nr_ks = 0, i, j;
	struct lw_hmap *index = NULL; /* site key -> index into r->sites */
	struct lw_hmap_iter it;
	int err;

	memset(r, 0, sizeof(*r));
	err = lw_census__report(t->open, now, &os, &nr_os);
	if (!err)
		err = lw_census__report(t->cw, now, &cs, &nr_cs);
	if (!err)
		err = lw_census__report(t->kinds, now, &ks, &nr_ks);
	if (err)
		goto out;
	index = lw_hmap__new(sizeof(uint32_t), nr_os + 1);
	r->sites = calloc(nr_os + 1, sizeof(*r->sites));
	if (!index || !r->sites) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr_os; i++) {
		struct lw_socket_site *s = &r->sites[i];
		const uint32_t *sti = lw_hmap__get(t->stack_of, os[i].site);
		uint32_t *slot = lw_hmap__put(index, os[i].site, NULL);

		if (!slot) {
			err = -ENOMEM;
			goto out;
		}
		*slot = (uint32_t)i;
		s->site = os[i].site;
		s->open_verdict = s->verdict = os[i].verdict;
		s->open = os[i].live;
		s->births = os[i].births;
		s->deaths = os[i].deaths;
		s->growth_per_s = os[i].growth_per_s;
		s->oldest_age_s = os[i].oldest_age_s;
		s->has_unknown_births = os[i].has_unknown_births;
		s->segments = os[i].segments;
		s->segments_with_survivors = os[i].segments_with_survivors;
		s->series = os[i].series;
		s->nr_series = os[i].nr_series;
		if (sti) {
			const struct stack *st = &t->st[*sti];

			s->call = st->call;
			s->ips = st->ips;
			s->nr_ips = st->nr;
			s->stack_truncated = st->truncated;
		}
	}
	r->nr_sites = nr_os;

	/* CLOSE_WAIT growth alone makes a site growing or leaking. */
	for (i = 0; i < nr_cs; i++) {
		const uint32_t *k = lw_hmap__get(index, cs[i].site);
		struct lw_socket_site *s;

		if (!k)
			continue;
		s = &r->sites[*k];
		s->close_wait_verdict = cs[i].verdict;
		s->close_wait_growth_per_s = cs[i].growth_per_s;
		if (cs[i].verdict > s->verdict)
			s->verdict = cs[i].verdict;
	}

	/* States of the open sockets, as the last snapshot saw them. */
	for (lw_hmap__iter_init(&it, t->state); lw_hmap__iter_next(&it);) {
		const struct lw_sock_info *si = it.value;
		const uint32_t *k;
		uint64_t site;

		if (!lw_census__lookup(t->open, it.key, &site))
			continue;
		k = lw_hmap__get(index, site);
		if (!k)
			continue;
		r->sites[*k].by_state[si->state < LW_SOCK_NR_STATES ? si->state
								    : 0]++;
		r->sites[*k].by_proto[si->proto < LW_PROTO_NR ? si->proto : 0]++;
	}
	for (i = 0; i < r->nr_sites; i++) {
		struct lw_socket_site *s = &r->sites[i];
		uint64_t known = 0, known_p = 0;

		for (j = 1; j < LW_SOCK_NR_STATES; j++)
			known += s->by_state[j];
		for (j = 1; j < LW_PROTO_NR; j++)
			known_p += s->by_proto[j];
		/* Newer than the last snapshot, or in no dump. */
		s->by_state[0] = s->open - known;
		s->by_proto[0] = s->open - known_p;
		r->open += s->open;
		for (j = 0; j < LW_SOCK_NR_STATES; j++)
			r->by_state[j] += s->by_state[j];
		for (j = 0; j < LW_PROTO_NR; j++)
			r->by_proto[j] += s->by_proto[j];
	}
	/* The verdict may have been raised by CLOSE_WAIT: keep leaks first. */
	for (i = 1; i < r->nr_sites; i++) {
		struct lw_socket_site tmp = r->sites[i];

		for (j = i; j > 0 && r->sites[j - 1].verdict < tmp.verdict; j--)
			r->sites[j] = r->sites[j - 1];
		r->sites[j] = tmp;
	}
	fill_kinds(r, ks, nr_ks);
	r->states_known = t->states_known;
	r->snapshots = t->snapshots;
	r->corrections = t->corrections;
out:
	if (err) {
		free(r->sites);
		r->sites = NULL;
		r->nr_sites = 0;
	}
	lw_hmap__free(index);
	free(os);
	free(cs);
	free(ks);
	return err;
}
