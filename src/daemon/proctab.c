/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The process table and its scan.  Pairs with proctab.h.
 *
 * Cost model: a scan reads two small /proc files per process, stats its
 * exe link (to notice an exec), lists its descriptors, and once per
 * network namespace dumps the sockets; a Go program costs one goroutine
 * snapshot.  Everything slower (exe path, cgroup, namespaces, whether the
 * executable is Go) is read once per process, or once per executable, and
 * a process the selection refused is remembered, not re-read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/escalate.h"
#include "daemon/procsel.h"
#include "daemon/proctab.h"
#include "go/gocollect.h"
#include "go/goreport.h"
#include "hmap.h"
#include "log.h"

#define SEGMENTS 4
#define MIN_POINTS (2 * SEGMENTS)
/* What a rise must reach to count (docs/daemon.md "verdicts"). */
#define HEAP_MIN_RISE (512.0 * 1024)
#define HEAP_REL_RISE 0.005
#define COUNT_MIN_RISE 3.0
#define COUNT_REL_RISE 0.05

struct netns_socks {
	struct lw_sockdiag *diag;
	struct lw_hmap *socks; /* inode -> struct lw_sock_info */
	uint64_t scan; /* dumped during this scan */
	bool failed; /* this scan's dump failed */
};

/* A process the selection refused, remembered until its PID is gone. */
struct refusal {
	uint64_t start_ticks;
	uint64_t scan; /* last scan that listed its PID */
};

struct lw_proctab {
	struct lw_proctab_opts o;
	struct lw_hmap *procs; /* pid -> struct lw_dproc * */
	struct lw_hmap *refused; /* pid -> struct refusal */
	struct lw_hmap *exe_go; /* (dev, ino) hash -> 1 Go, 2 not Go */
	struct lw_hmap *netns; /* netns inode -> struct netns_socks * */
	struct lw_dproc **list; /* for lw_proctab__procs() */
	size_t nr_list, list_cap;
	struct lw_proctab_stats stats;
	unsigned series_cap;
};

const char *lw_dkind_name(unsigned kind)
{
	static const char *const names[LW_DK_NR] = {
		[LW_DK_HEAP] = "heap",
		[LW_DK_GOROUTINE] = "goroutine",
		[LW_DK_THREAD] = "thread",
		[LW_DK_SOCKET] = "socket",
	};

	return kind < LW_DK_NR ? names[kind] : "?";
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct lw_proctab *lw_proctab__new(const struct lw_proctab_opts *o)
{
	struct lw_proctab *t = calloc(1, sizeof(*t));
	double pts;

	if (!t)
		return NULL;
	t->o = *o;
	t->procs = lw_hmap__new(sizeof(struct lw_dproc *), 256);
	t->refused = lw_hmap__new(sizeof(struct refusal), 256);
	t->exe_go = lw_hmap__new(sizeof(uint8_t), 64);
	t->netns = lw_hmap__new(sizeof(struct netns_socks *), 8);
	if (!t->procs || !t->refused || !t->exe_go || !t->netns) {
		lw_proctab__free(t);
		errno = ENOMEM;
		return NULL;
	}
	/* The window's points and a few spare: trimmed after every append,
	 * so the cap only matters if the interval were shorter than said. */
	pts = o->window_s / (o->interval_s > 0 ? o->interval_s : 1) + 8;
	t->series_cap = pts < 16 ? 16 : pts > 4096 ? 4096 : (unsigned)pts;
	return t;
}

static void dproc_reset(struct lw_dproc *p)
{
	unsigned k;

	lw_gocollect__free(p->go);
	p->go = NULL;
	p->go_version = NULL;
	for (k = 0; k < LW_DK_NR; k++) {
		free(p->series[k].pts);
		memset(&p->series[k], 0, sizeof(p->series[k]));
		p->has[k] = false;
		p->verdict[k] = LW_VERDICT_STABLE;
		p->growth[k] = 0;
		p->live[k] = 0;
		p->nr_leak_sites[k] = 0;
	}
	free(p->rss.pts);
	memset(&p->rss, 0, sizeof(p->rss));
	lw_dheap__free(p->heap);
	p->heap = NULL;
	free(p->exe);
	free(p->cgroup);
	p->exe = p->cgroup = NULL;
}

static void dproc_free(struct lw_dproc *p)
{
	if (!p)
		return;
	dproc_reset(p);
	free(p);
}

void lw_proctab__free(struct lw_proctab *t)
{
	struct lw_hmap_iter it;

	if (!t)
		return;
	if (t->procs)
		for (lw_hmap__iter_init(&it, t->procs); lw_hmap__iter_next(&it);)
			dproc_free(*(struct lw_dproc **)it.value);
	if (t->netns)
		for (lw_hmap__iter_init(&it, t->netns); lw_hmap__iter_next(&it);) {
			struct netns_socks *n = *(struct netns_socks **)it.value;

			lw_sockdiag__free(n->diag);
			lw_hmap__free(n->socks);
			free(n);
		}
	lw_hmap__free(t->procs);
	lw_hmap__free(t->refused);
	lw_hmap__free(t->exe_go);
	lw_hmap__free(t->netns);
	free(t->list);
	free(t);
}

static uint64_t exe_key(uint64_t dev, uint64_t ino)
{
	return dev * 0x9e3779b97f4a7c15ull ^ ino;
}

/* The executable behind /proc/PID/exe, by identity: an exec changes it. */
static int exe_identity(int pid, uint64_t *dev, uint64_t *ino)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &sb))
		return -errno;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

/* Go or not, once per executable: opening the ELF is the slow part. */
static void open_go(struct lw_proctab *t, struct lw_dproc *p, uint64_t now)
{
	uint64_t key = exe_key(p->exe_dev, p->exe_ino);
	uint8_t *known = lw_hmap__get(t->exe_go, key);
	bool created;
	int err;

	if (known && *known == 2)
		return;
	err = lw_gocollect__new(p->pid, &p->go);
	if (!err) {
		lw_gocollect__set_window(p->go, t->o.window_s);
		err = lw_gocollect__start(p->go, now);
		if (err) {
			lw_gocollect__free(p->go);
			p->go = NULL;
		}
	}
	if (err == -ENOEXEC) {
		known = lw_hmap__put(t->exe_go, key, &created);
		if (known)
			*known = 2;
		return;
	}
	if (err) {
		pr_debug("PID %d (%s): Go runtime not readable: %s\n", p->pid,
			 p->st.comm, strerror(-err));
		return;
	}
	known = lw_hmap__put(t->exe_go, key, &created);
	if (known)
		*known = 1;
	p->go_version = lw_gocollect__version(p->go);
	p->has[LW_DK_GOROUTINE] = true;
}

/* What only changes with an exec: names, cgroup, namespaces, Go. */
static int identify(struct lw_proctab *t, struct lw_dproc *p,
		    const struct lw_procident *id, uint64_t now)
{
	p->exe = strdup(id->exe);
	p->cgroup = strdup(id->cgroup);
	if (!p->exe || !p->cgroup)
		return -ENOMEM;
	snprintf(p->container, sizeof(p->container), "%s", id->container);
	p->pidns = id->pidns;
	p->netns = id->netns;
	p->t0_ns = now;
	p->has[LW_DK_HEAP] = true;
	p->has[LW_DK_THREAD] = true;
	p->has[LW_DK_SOCKET] = !t->o.no_sockets;
	if (!exe_identity(p->pid, &p->exe_dev, &p->exe_ino))
		open_go(t, p, now);
	return 0;
}

static void append(struct lw_proctab *t, struct lw_series *s, double t_s,
		   uint64_t v)
{
	struct lw_point pt = { .t_s = t_s, .bytes = v, .count = v };

	lw_series__append(s, t->series_cap, &pt);
	lw_series__trim(s, t_s - t->o.window_s);
}

static struct netns_socks *netns_socks(struct lw_proctab *t,
				       const struct lw_dproc *p)
{
	struct netns_socks **slot, *n;
	bool created;
	int err;

	slot = lw_hmap__put(t->netns, p->netns, &created);
	if (!slot)
		return NULL;
	if (created) {
		*slot = calloc(1, sizeof(**slot));
		if (*slot)
			(*slot)->socks = lw_hmap__new(
				sizeof(struct lw_sock_info), 256);
		if (!*slot || !(*slot)->socks) {
			free(*slot);
			(void)lw_hmap__del(t->netns, p->netns, NULL);
			return NULL;
		}
	}
	n = *slot;
	if (n->scan == t->stats.scans)
		return n->failed ? NULL : n;
	n->scan = t->stats.scans;
	n->failed = true;
	if (!n->diag)
		n->diag = lw_sockdiag__new(p->pid);
	if (!n->diag)
		return NULL;
	err = lw_sockdiag__dump(n->diag, n->socks);
	if (err) {
		pr_debug("sock_diag dump for PID %d's namespace: %s\n", p->pid,
			 strerror(-err));
		return NULL;
	}
	n->failed = false;
	return n;
}

static void sample_fds(struct lw_proctab *t, struct lw_dproc *p)
{
	struct lw_fd_entry *fds = NULL;
	struct netns_socks *ns = NULL;
	size_t nr = 0, i;

	p->fds_ok = false;
	if (lw_fd_list(p->pid, &fds, &nr))
		return;
	memset(p->sock_states, 0, sizeof(p->sock_states));
	p->nr_sockets = 0;
	for (i = 0; i < nr; i++) {
		const struct lw_sock_info *si = NULL;

		if (fds[i].kind != LW_FDK_SOCKET)
			continue;
		p->nr_sockets++;
		if (!ns)
			ns = netns_socks(t, p);
		if (ns)
			si = lw_hmap__get(ns->socks, fds[i].inode);
		p->sock_states[si && si->state < LW_SOCK_NR_STATES ? si->state
								   : 0]++;
	}
	p->nr_fds = nr;
	p->fds_ok = true;
	free(fds);
}

static void name_site(struct lw_dsite *d, const struct lw_frame *f,
		      const char *fallback)
{
	const char *file = f && f->file ? strrchr(f->file, '/') : NULL;

	file = file ? file + 1 : f ? f->file : NULL;
	if (f && f->function && file)
		snprintf(d->name, sizeof(d->name), "%s %s:%d", f->function,
			 file, f->line);
	else if (f && f->function)
		snprintf(d->name, sizeof(d->name), "%s", f->function);
	else
		snprintf(d->name, sizeof(d->name), "%s", fallback);
}

/* A Go program: one snapshot, then what the census says per site. */
static void sample_go(struct lw_proctab *t, struct lw_dproc *p, uint64_t now)
{
	struct lw_go_report r = { 0 };
	size_t i;
	int err;

	err = lw_gocollect__tick(p->go, now, true);
	if (err == -ESRCH)
		return;
	if (lw_gocollect__report(p->go, now, &r))
		return;
	p->goroutines = r.live;
	p->live[LW_DK_GOROUTINE] = r.live;
	p->growth[LW_DK_GOROUTINE] = r.growth_per_s;
	p->verdict[LW_DK_GOROUTINE] = LW_VERDICT_STABLE;
	p->nr_leak_sites[LW_DK_GOROUTINE] = 0;
	for (i = 0; i < r.nr_sites; i++) {
		const struct lw_go_site *s = &r.sites[i];
		unsigned *n = &p->nr_leak_sites[LW_DK_GOROUTINE];

		if (s->verdict > p->verdict[LW_DK_GOROUTINE])
			p->verdict[LW_DK_GOROUTINE] = s->verdict;
		if (s->verdict != LW_VERDICT_LEAK || *n == LW_DPROC_LEAK_SITES)
			continue;
		name_site(&p->leak_sites[LW_DK_GOROUTINE][*n],
			  s->created_by.function ? &s->created_by : NULL,
			  s->start_function ? s->start_function : "?");
		p->leak_sites[LW_DK_GOROUTINE][*n].live = s->live;
		(*n)++;
	}
	append(t, &p->series[LW_DK_GOROUTINE],
	       (now - p->t0_ns) / 1e9, r.live);
	p->go_heap_ok = r.heap_available;
	p->go_heap_inuse = r.inuse_bytes;
	lw_go_report__clear(&r);
}

/* The steady-growth verdict of one quantity over the window. */
static void judge(struct lw_proctab *t, struct lw_dproc *p, unsigned kind,
		  double now_s)
{
	bool bytes = kind == LW_DK_HEAP;
	struct lw_steady_input in = {
		.pts = p->series[kind].pts,
		.nr_pts = p->series[kind].nr,
		.t_start = now_s > t->o.window_s ? now_s - t->o.window_s : 0,
		.t_end = now_s,
		.nr_segments = SEGMENTS,
		.min_points = MIN_POINTS,
		.min_rise = bytes ? HEAP_MIN_RISE : COUNT_MIN_RISE,
		.rel_rise = bytes ? HEAP_REL_RISE : COUNT_REL_RISE,
	};
	struct lw_steady_result r;

	lw_trend__steady(&in, &r);
	p->verdict[kind] = r.verdict;
	p->growth[kind] = r.slope_per_s;
}

/* The heap verdict also hears what an escalation found: sites that
 * leaked during its window make a steady rise a leak, and name it. */
static void judge_heap(struct lw_proctab *t, struct lw_dproc *p, double now_s)
{
	const struct lw_dheap *h = p->heap;
	unsigned *n = &p->nr_leak_sites[LW_DK_HEAP];
	size_t i;

	judge(t, p, LW_DK_HEAP, now_s);
	*n = 0;
	if (!h || !h->nr_leak_sites)
		return;
	if (p->verdict[LW_DK_HEAP] == LW_VERDICT_GROWING)
		p->verdict[LW_DK_HEAP] = LW_VERDICT_LEAK;
	for (i = 0; i < h->rep.nr_sites && *n < LW_DPROC_LEAK_SITES; i++) {
		const struct lw_site_report *s = &h->rep.sites[i];
		const struct lw_frame *f = NULL;
		unsigned j;

		if (s->verdict != LW_VERDICT_LEAK)
			continue;
		/* The first frame with a name: the allocator's caller. */
		for (j = 0; s->frames && j < s->nr_ips && !f; j++)
			if (s->frames[j].function)
				f = &s->frames[j];
		name_site(&p->leak_sites[LW_DK_HEAP][*n], f, "?");
		p->leak_sites[LW_DK_HEAP][*n].live = s->live_bytes;
		(*n)++;
	}
}

static void sample(struct lw_proctab *t, struct lw_dproc *p, uint64_t now)
{
	double now_s = (now - p->t0_ns) / 1e9;
	uint64_t heap;

	if (!p->first_ns)
		p->first_ns = now;
	p->last_ns = now;
	if (p->go)
		sample_go(t, p, now);
	if (!t->o.no_sockets)
		sample_fds(t, p);
	/* A Go program's heap is the runtime's in-use figure when it can
	 * be read; anonymous memory holds its free spans too. */
	heap = p->go && p->go_heap_ok ? p->go_heap_inuse : p->st.anon_bytes;
	p->live[LW_DK_HEAP] = heap;
	p->live[LW_DK_THREAD] = p->st.num_threads;
	p->live[LW_DK_SOCKET] = p->nr_sockets;
	append(t, &p->series[LW_DK_HEAP], now_s, heap);
	append(t, &p->rss, now_s, p->st.rss_bytes);
	append(t, &p->series[LW_DK_THREAD], now_s, p->st.num_threads);
	if (p->fds_ok)
		append(t, &p->series[LW_DK_SOCKET], now_s, p->nr_sockets);
	judge_heap(t, p, now_s);
	judge(t, p, LW_DK_THREAD, now_s);
	if (p->has[LW_DK_SOCKET])
		judge(t, p, LW_DK_SOCKET, now_s);
}

static void drop(struct lw_proctab *t, int pid)
{
	struct lw_dproc *p;

	if (!lw_hmap__del(t->procs, (uint64_t)pid, &p))
		return;
	t->stats.exited++;
	dproc_free(p);
}

/* A process seen for the first time (or again after a PID reuse). */
static int add(struct lw_proctab *t, const struct lw_procstat *st,
	       uint64_t now)
{
	struct lw_procident *id;
	struct lw_dproc *p, **slot;
	struct refusal *ref;
	bool created;
	int err;

	ref = lw_hmap__get(t->refused, (uint64_t)st->pid);
	if (ref && ref->start_ticks == st->start_ticks) {
		ref->scan = t->stats.scans;
		return 0;
	}
	/* 4 KiB of exe path: not on the stack of a loop over /proc. */
	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	err = lw_procident__read(st->pid, id);
	if (err == -ESRCH)
		goto out;
	if (st->kernel_thread || st->pid == t->o.self_pid ||
	    !lw_procsel__match(t->o.sel, st, id)) {
		ref = lw_hmap__put(t->refused, (uint64_t)st->pid, &created);
		if (ref) {
			ref->start_ticks = st->start_ticks;
			ref->scan = t->stats.scans;
		}
		err = ref ? 0 : -ENOMEM;
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	p->pid = st->pid;
	p->start_ticks = st->start_ticks;
	p->st = *st;
	err = identify(t, p, id, now);
	slot = err ? NULL : lw_hmap__put(t->procs, (uint64_t)st->pid, &created);
	if (!slot) {
		dproc_free(p);
		err = -ENOMEM;
		goto out;
	}
	*slot = p;
	p->seen = true;
	t->stats.started++;
	sample(t, p, now);
out:
	free(id);
	return err;
}

/* Same PID, same start time: still the same process, unless it exec'd. */
static int update(struct lw_proctab *t, struct lw_dproc *p,
		  const struct lw_procstat *st, uint64_t now)
{
	uint64_t dev = 0, ino = 0;
	struct lw_procident *id;
	int err;

	p->st = *st;
	p->seen = true;
	if (exe_identity(p->pid, &dev, &ino) ||
	    (dev == p->exe_dev && ino == p->exe_ino)) {
		sample(t, p, now);
		return 0;
	}
	/* An exec: another program in the same process.  Start over. */
	pr_debug("PID %d exec'd %s\n", p->pid, st->comm);
	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	err = lw_procident__read(p->pid, id);
	if (!err) {
		dproc_reset(p);
		p->first_ns = 0;
		err = identify(t, p, id, now);
		if (!err)
			sample(t, p, now);
	}
	free(id);
	return err == -ESRCH ? 0 : err;
}

static int list_add(struct lw_proctab *t, struct lw_dproc *p)
{
	if (t->nr_list == t->list_cap) {
		size_t want = t->list_cap ? t->list_cap * 2 : 64;
		struct lw_dproc **n = realloc(t->list, want * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->list = n;
		t->list_cap = want;
	}
	t->list[t->nr_list++] = p;
	return 0;
}

static bool proc_stale(const void *v, uint64_t scan)
{
	(void)scan;
	return !(*(struct lw_dproc *const *)v)->seen;
}

static bool refusal_stale(const void *v, uint64_t scan)
{
	return ((const struct refusal *)v)->scan != scan;
}

/* The keys of the entries stale() calls stale, to delete after the walk
 * (a map must not change while it is walked).  *keys is malloc'ed. */
static int collect(const struct lw_hmap *m,
		   bool (*stale)(const void *v, uint64_t scan), uint64_t scan,
		   uint64_t **keys, size_t *nr)
{
	struct lw_hmap_iter it;
	size_t cap = 0;

	*keys = NULL;
	*nr = 0;
	for (lw_hmap__iter_init(&it, m); lw_hmap__iter_next(&it);) {
		if (!stale(it.value, scan))
			continue;
		if (*nr == cap) {
			size_t want = cap ? cap * 2 : 64;
			uint64_t *n = realloc(*keys, want * sizeof(*n));

			if (!n)
				return -ENOMEM;
			*keys = n;
			cap = want;
		}
		(*keys)[(*nr)++] = it.key;
	}
	return 0;
}

/* Processes not listed this scan exited; refusals of gone PIDs go too,
 * so both maps stay bounded by what is alive. */
static int sweep(struct lw_proctab *t)
{
	uint64_t *keys;
	size_t nr, i;
	int err;

	err = collect(t->procs, proc_stale, 0, &keys, &nr);
	for (i = 0; i < nr; i++)
		drop(t, (int)keys[i]);
	free(keys);
	if (err)
		return err;
	err = collect(t->refused, refusal_stale, t->stats.scans, &keys, &nr);
	for (i = 0; i < nr; i++)
		(void)lw_hmap__del(t->refused, keys[i], NULL);
	free(keys);
	return err;
}

int lw_proctab__scan(struct lw_proctab *t, uint64_t now_ns)
{
	struct lw_hmap_iter it;
	uint64_t t_start = mono_ns();
	int *pids = NULL;
	size_t nr = 0, i;
	int err;

	err = lw_proc_list(&pids, &nr);
	if (err)
		return err;
	t->stats.scans++;
	for (lw_hmap__iter_init(&it, t->procs); lw_hmap__iter_next(&it);)
		(*(struct lw_dproc **)it.value)->seen = false;
	for (i = 0; i < nr; i++) {
		struct lw_procstat st;
		struct lw_dproc **slot;

		err = lw_procstat__read(pids[i], &st);
		if (err) {
			if (err != -ESRCH)
				t->stats.read_errors++;
			continue;
		}
		slot = lw_hmap__get(t->procs, (uint64_t)pids[i]);
		if (slot && (*slot)->start_ticks != st.start_ticks) {
			drop(t, pids[i]); /* the PID was reused */
			slot = NULL;
		}
		err = slot ? update(t, *slot, &st, now_ns)
			   : add(t, &st, now_ns);
		if (err == -ENOMEM)
			goto out;
		if (err)
			t->stats.read_errors++;
	}
	err = sweep(t);
	if (err)
		goto out;
	t->nr_list = 0;
	for (lw_hmap__iter_init(&it, t->procs); lw_hmap__iter_next(&it);) {
		err = list_add(t, *(struct lw_dproc **)it.value);
		if (err)
			goto out;
	}
	t->stats.last_scan_s = (mono_ns() - t_start) / 1e9;
out:
	free(pids);
	return err;
}

struct lw_dproc *const *lw_proctab__procs(const struct lw_proctab *t,
					  size_t *nr)
{
	*nr = t->nr_list;
	return t->list;
}

struct lw_dproc *lw_proctab__find(const struct lw_proctab *t, int pid)
{
	struct lw_dproc **slot = lw_hmap__get(t->procs, (uint64_t)pid);

	return slot ? *slot : NULL;
}

const struct lw_proctab_stats *lw_proctab__stats(const struct lw_proctab *t)
{
	return &t->stats;
}

bool lw_dproc__suspected(const struct lw_dproc *p, unsigned kind)
{
	return kind < LW_DK_NR && p->has[kind] &&
	       p->verdict[kind] == LW_VERDICT_LEAK;
}

double lw_dproc__interest(const struct lw_dproc *p)
{
	double score = 0;
	unsigned k;

	/* Suspects first (1e18 apart from anything else), then growing
	 * ones, then size: bytes dwarf counts, which is what we want. */
	for (k = 0; k < LW_DK_NR; k++) {
		if (!p->has[k])
			continue;
		if (p->verdict[k] == LW_VERDICT_LEAK)
			score += 4e18;
		else if (p->verdict[k] == LW_VERDICT_GROWING)
			score += 1e18;
	}
	return score + (double)p->st.rss_bytes;
}
