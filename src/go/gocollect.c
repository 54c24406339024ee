/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The Go collector: snapshots -> census by creation site, per-site
 * details, heap buckets by stack, RSS; and the report built from them.
 * Pairs with gocollect.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "census.h"
#include "gocollect.h"
#include "goheap.h"
#include "goroutines.h"
#include "hmap.h"
#include "trend.h"

#define INTERVAL_NS 1000000000ull      /* one snapshot a second... */
#define MAX_INTERVAL_NS 60000000000ull /* ...at most a minute apart */
#define COST_SHARE 10 /* a snapshot may cost 1/10 of the interval */
#define MAX_GSTACK_FRAMES 32
#define MAX_STACK_WALKS 256 /* representative stacks per snapshot */
#define SERIES_CAP 512
#define HEAP_SEGMENTS 4
#define MAX_HEAP_SITES 100

/* What the census does not know about a creation site. */
struct gsite {
	uint64_t gopc, startpc;
	/* From the last snapshot. */
	uint64_t waiting, runnable, running, syscall, other, leaked;
	uint32_t reasons[256]; /* waiting members by wait reason */
	uint64_t oldest_blocked_ns;
	uint64_t rep_g, rep_goid; /* representative: blocked if any */
	bool rep_blocked;
	/* Its stack, walked when the representative changes. */
	uint64_t stack_goid;
	uint64_t ips[MAX_GSTACK_FRAMES];
	unsigned nr_ips;
	/* --goroutine-probes: births and deaths seen by the probes in the
	 * window, kept here too because the census forgets sites with no
	 * live member, and a site of short-lived goroutines is one. */
	uint64_t probe_births, probe_deaths;
	bool reported; /* in the report being built */
};

/* A goroutine seen blocked: since when, as far as we can tell. */
struct gblock {
	uint64_t since_ns; /* first snapshot that saw it with this reason */
	uint64_t gen;
	uint8_t reason;
};

/* One heap allocation stack (several buckets: one per object size). */
struct hsite {
	uint64_t ips[LW_GOHEAP_MAX_STACK];
	unsigned nr_ips;
	double bytes, objects; /* scaled, last read */
	uint64_t gen;
	struct lw_series series;
};

struct lw_gocollect {
	struct lw_goproc *p;
	struct lw_goreader *r;
	struct lw_census *census;
	struct lw_gosnap snap;
	struct lw_goheap_snap heap;
	struct lw_hmap *gsites;	 /* site key -> struct gsite * */
	struct lw_hmap *blocked; /* goid -> struct gblock */
	struct lw_hmap *hsites;	 /* stack hash -> struct hsite * */
	uint64_t t0_ns, next_ns, interval_ns, gen;
	uint64_t snapshots, cost_ns_total, gs_read_total;
	int goroutines_err; /* first snapshot error, for the report */
	bool gone;
	struct lw_series total, heap_total, rss;
	double window_s; /* 0: the whole session */
	uint64_t rss_bytes, rss_anon;
	const char *heap_reason;
	bool heap_available;
	int64_t heap_rate;
	/* --goroutine-probes (goprobes.h): drain before each snapshot. */
	int (*drain)(void *ctx);
	void *drain_ctx;
	bool probes; /* the mode, kept after the probes are gone */
	const char *probe_death_func;
	unsigned probe_rets;
	uint64_t probe_births, probe_deaths, probe_lost;
};

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finalizer: every input bit moves every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t site_key(uint64_t gopc, uint64_t startpc)
{
	return mix64(gopc ^ mix64(startpc + 0x9e3779b97f4a7c15ull));
}

/* Append p to a series, keeping only the window when there is one. */
static void series_add(const struct lw_gocollect *c, struct lw_series *s,
		       const struct lw_point *p)
{
	lw_series__append(s, SERIES_CAP, p);
	if (c->window_s)
		lw_series__trim(s, p->t_s - c->window_s);
}

int lw_gocollect__new(int pid, struct lw_gocollect **ret)
{
	struct lw_gocollect *c;
	int err;

	*ret = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = lw_goproc__open(pid, &c->p);
	if (err)
		goto err_out;
	err = lw_goreader__new(c->p, &c->r);
	if (err)
		goto err_out;
	c->gsites = lw_hmap__new(sizeof(struct gsite *), 64);
	c->blocked = lw_hmap__new(sizeof(struct gblock), 1024);
	c->hsites = lw_hmap__new(sizeof(struct hsite *), 64);
	if (!c->gsites || !c->blocked || !c->hsites) {
		err = -ENOMEM;
		goto err_out;
	}
	c->interval_ns = INTERVAL_NS;
	*ret = c;
	return 0;

err_out:
	lw_gocollect__free(c);
	return err;
}

static void free_ptr_map(struct lw_hmap *m, bool hsite)
{
	struct lw_hmap_iter it;

	if (!m)
		return;
	for (lw_hmap__iter_init(&it, m); lw_hmap__iter_next(&it);) {
		void *v = *(void **)it.value;

		if (hsite)
			free(((struct hsite *)v)->series.pts);
		free(v);
	}
	lw_hmap__free(m);
}

void lw_gocollect__free(struct lw_gocollect *c)
{
	if (!c)
		return;
	free_ptr_map(c->gsites, false);
	free_ptr_map(c->hsites, true);
	lw_hmap__free(c->blocked);
	lw_census__free(c->census);
	lw_gosnap__clear(&c->snap);
	lw_goheap_snap__clear(&c->heap);
	free(c->total.pts);
	free(c->heap_total.pts);
	free(c->rss.pts);
	lw_goreader__free(c->r);
	lw_goproc__free(c->p);
	free(c);
}

const char *lw_gocollect__version(const struct lw_gocollect *c)
{
	return lw_gobin__version(c->p->bin);
}

static double secs(const struct lw_gocollect *c, uint64_t ns)
{
	return (double)(int64_t)(ns - c->t0_ns) / 1e9;
}

static struct gsite *gsite_get(struct lw_gocollect *c, uint64_t key,
			       const struct lw_goroutine *g)
{
	struct gsite **slot, *s;
	bool created;

	slot = lw_hmap__put(c->gsites, key, &created);
	if (!slot)
		return NULL;
	if (!created)
		return *slot;
	s = calloc(1, sizeof(*s));
	if (!s) {
		(void)lw_hmap__del(c->gsites, key, NULL);
		return NULL;
	}
	s->gopc = g->gopc;
	s->startpc = g->startpc;
	*slot = s;
	return s;
}

static void gsite_reset(struct lw_gocollect *c)
{
	struct lw_hmap_iter it;

	for (lw_hmap__iter_init(&it, c->gsites); lw_hmap__iter_next(&it);) {
		struct gsite *s = *(struct gsite **)it.value;

		s->waiting = s->runnable = s->running = s->syscall = 0;
		s->other = s->leaked = 0;
		memset(s->reasons, 0, sizeof(s->reasons));
		s->oldest_blocked_ns = 0;
		s->rep_g = s->rep_goid = 0;
		s->rep_blocked = false;
	}
}

/*
 * How long g has been blocked, as a lower bound: the runtime's waitsince
 * (set by the GC only, so often 0) or since the first of our snapshots
 * that saw it blocked for the same reason.
 */
static uint64_t blocked_for(struct lw_gocollect *c,
			    const struct lw_goroutine *g, uint64_t now)
{
	struct gblock *b;
	uint64_t d = 0;
	bool created;

	b = lw_hmap__put(c->blocked, g->goid, &created);
	if (!b)
		return 0;
	if (created || b->reason != g->waitreason) {
		b->since_ns = now;
		b->reason = g->waitreason;
	}
	b->gen = c->gen;
	if (g->waitsince > 0 && (uint64_t)g->waitsince < now)
		d = now - (uint64_t)g->waitsince;
	if (now - b->since_ns > d)
		d = now - b->since_ns;
	return d;
}

/* Forget goroutines not seen blocked in this snapshot. */
static void blocked_sweep(struct lw_gocollect *c)
{
	struct lw_hmap_iter it;
	uint64_t *dead = NULL;
	size_t nr = 0, cap = 0, i;

	for (lw_hmap__iter_init(&it, c->blocked); lw_hmap__iter_next(&it);) {
		const struct gblock *b = it.value;

		if (b->gen == c->gen)
			continue;
		if (nr == cap) {
			size_t want = cap ? cap * 2 : 256;
			uint64_t *n = realloc(dead, want * sizeof(*n));

			if (!n)
				break;
			dead = n;
			cap = want;
		}
		dead[nr++] = it.key;
	}
	for (i = 0; i < nr; i++)
		(void)lw_hmap__del(c->blocked, dead[i], NULL);
	free(dead);
}

static void count_state(struct gsite *s, const struct lw_goroutine *g)
{
	switch (g->status) {
	case LW_G_WAITING:
		s->waiting++;
		s->reasons[g->waitreason]++;
		break;
	case LW_G_LEAKED:
		s->leaked++;
		s->waiting++; /* parked for good: blocked */
		s->reasons[g->waitreason]++;
		break;
	case LW_G_RUNNABLE:
		s->runnable++;
		break;
	case LW_G_RUNNING:
		s->running++;
		break;
	case LW_G_SYSCALL:
		s->syscall++;
		break;
	default:
		s->other++;
		break;
	}
}

/* Walk the representative's stack when it is not the one we have. */
static void refresh_stacks(struct lw_gocollect *c)
{
	struct lw_hmap_iter it;
	unsigned walks = 0;
	int n;

	for (lw_hmap__iter_init(&it, c->gsites); lw_hmap__iter_next(&it);) {
		struct gsite *s = *(struct gsite **)it.value;

		if (!s->rep_goid || (s->nr_ips && s->stack_goid == s->rep_goid))
			continue;
		if (walks++ >= MAX_STACK_WALKS)
			break;
		n = lw_goreader__stack(c->r, s->rep_g, s->rep_goid, s->ips,
				       MAX_GSTACK_FRAMES);
		if (n > 0) {
			s->nr_ips = (unsigned)n;
			s->stack_goid = s->rep_goid;
		}
	}
}

static uint64_t stack_hash(const uint64_t *ips, unsigned n)
{
	uint64_t h = 0x84222325cbf29ce4ull;
	unsigned i;

	for (i = 0; i < n; i++)
		h = mix64(h ^ ips[i]);
	return h;
}

static void heap_sample(struct lw_gocollect *c, uint64_t now)
{
	struct lw_point pt = {.t_s = secs(c, now)};
	double total = 0;
	struct lw_hmap_iter it;
	size_t i;

	if (lw_goheap__read(c->p, &c->heap))
		return;
	c->heap_available = c->heap.available;
	c->heap_reason = c->heap.reason;
	c->heap_rate = c->heap.rate;
	if (!c->heap.available)
		return;
	for (lw_hmap__iter_init(&it, c->hsites); lw_hmap__iter_next(&it);) {
		struct hsite *h = *(struct hsite **)it.value;

		h->bytes = h->objects = 0;
	}
	for (i = 0; i < c->heap.n; i++) {
		const struct lw_goheap_bucket *b = &c->heap.b[i];
		uint64_t key = stack_hash(b->stk, b->nr_stk);
		struct hsite **slot, *h;
		double objs, bytes;
		bool created;

		lw_goheap_scale(b->allocs - b->frees,
				b->alloc_bytes - b->free_bytes, c->heap.rate,
				&objs, &bytes);
		if (bytes <= 0)
			continue;
		slot = lw_hmap__put(c->hsites, key, &created);
		if (!slot)
			return;
		if (created) {
			*slot = calloc(1, sizeof(**slot));
			if (!*slot) {
				(void)lw_hmap__del(c->hsites, key, NULL);
				return;
			}
			memcpy((*slot)->ips, b->stk,
			       b->nr_stk * sizeof(b->stk[0]));
			(*slot)->nr_ips = b->nr_stk;
		}
		h = *slot;
		h->bytes += bytes;
		h->objects += objs;
		total += bytes;
	}
	for (lw_hmap__iter_init(&it, c->hsites); lw_hmap__iter_next(&it);) {
		struct hsite *h = *(struct hsite **)it.value;
		struct lw_point p = {.t_s = pt.t_s,
				     .bytes = (uint64_t)h->bytes,
				     .count = (uint64_t)h->objects};

		/* A site that was empty and still is needs no new zero. */
		if (!h->bytes && h->series.nr &&
		    !h->series.pts[h->series.nr - 1].bytes)
			continue;
		series_add(c, &h->series, &p);
	}
	pt.bytes = (uint64_t)total;
	series_add(c, &c->heap_total, &pt);
}

/* Deliver the probes' pending records (exact mode); 0 or -ENOMEM. */
static int drain_probes(struct lw_gocollect *c)
{
	int err;

	if (!c->drain)
		return 0;
	err = c->drain(c->drain_ctx);
	return err == -ENOMEM ? err : 0;
}

static int snapshot(struct lw_gocollect *c, uint64_t now)
{
	struct lw_point pt = {.t_s = secs(c, now)};
	uint64_t born = c->snapshots ? now : 0;
	size_t i;
	int err;

	/* With probes: their records first, so the census is current when
	 * the read starts (see drain_probes()). */
	err = drain_probes(c);
	if (err)
		return err;
	err = lw_goreader__snapshot(c->r, &c->snap);
	if (err == -ESRCH) {
		c->gone = true;
		return err;
	}
	if (err) {
		if (!c->goroutines_err)
			c->goroutines_err = err;
		return err == -ENOMEM ? err : 0;
	}
	c->gen++;
	gsite_reset(c);
	lw_census__mark(c->census);
	for (i = 0; i < c->snap.n; i++) {
		const struct lw_goroutine *g = &c->snap.g[i];
		uint64_t key = site_key(g->gopc, g->startpc);
		struct gsite *s;
		bool blocked = lw_gstatus_blocked(g->status);

		err = lw_census__seen(c->census, g->goid, key, born);
		if (err)
			return err;
		s = gsite_get(c, key, g);
		if (!s)
			return -ENOMEM;
		count_state(s, g);
		if (blocked) {
			uint64_t d = blocked_for(c, g, now);

			if (d > s->oldest_blocked_ns)
				s->oldest_blocked_ns = d;
		}
		/* Keep the representative we have a stack for while it
		 * lives; else prefer a blocked one. */
		if (!s->rep_goid || (g->goid == s->stack_goid) ||
		    (blocked && !s->rep_blocked &&
		     s->rep_goid != s->stack_goid)) {
			s->rep_g = g->g;
			s->rep_goid = g->goid;
			s->rep_blocked = blocked;
		}
	}
	/* Again before the sweep: a goroutine the read missed because it
	 * died has its death record in the ring by now (the probe runs at
	 * the entry of gdestroy, before the g is marked dead), and one born
	 * during the read is marked seen by its birth record.  The sweep
	 * then only kills what the probes lost. */
	err = drain_probes(c);
	if (err)
		return err;
	(void)lw_census__sweep(c->census, now);
	blocked_sweep(c);
	lw_census__sample(c->census, now);
	refresh_stacks(c);

	c->snapshots++;
	c->gs_read_total += c->snap.allglen;
	pt.count = pt.bytes = lw_census__live(c->census);
	series_add(c, &c->total, &pt);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void rss_sample(struct lw_gocollect *c, uint64_t now)
{
	struct lw_point pt = {.t_s = secs(c, now)};

	if (lw_goproc__rss(c->p, &c->rss_bytes, &c->rss_anon))
		return;
	pt.bytes = c->rss_bytes;
	series_add(c, &c->rss, &pt);
}

int lw_gocollect__tick(struct lw_gocollect *c, uint64_t now_ns, bool force)
{
	uint64_t t, cost;
	int err;

	if (c->gone)
		return -ESRCH;
	if (!c->census || (!force && now_ns < c->next_ns))
		return 0;
	t = mono_ns();
	err = snapshot(c, now_ns);
	if (!err) {
		heap_sample(c, now_ns);
		rss_sample(c, now_ns);
	}
	cost = mono_ns() - t;
	c->cost_ns_total += cost;
	/* Reading costs us CPU, not the target: still, a snapshot may take
	 * at most a tenth of the interval. */
	c->interval_ns = INTERVAL_NS;
	if (cost * COST_SHARE > c->interval_ns)
		c->interval_ns = cost * COST_SHARE;
	if (c->interval_ns > MAX_INTERVAL_NS)
		c->interval_ns = MAX_INTERVAL_NS;
	c->next_ns = now_ns + c->interval_ns;
	return err;
}

const struct lw_goproc *lw_gocollect__proc(const struct lw_gocollect *c)
{
	return c->p;
}

void lw_gocollect__set_probes(struct lw_gocollect *c, int (*drain)(void *ctx),
			      void *ctx, const char *death_func,
			      unsigned nr_rets)
{
	c->drain = drain;
	c->drain_ctx = ctx;
	if (!drain)
		return;
	c->probes = true;
	c->probe_death_func = death_func;
	c->probe_rets = nr_rets;
}

int lw_gocollect__probe_birth(struct lw_gocollect *c, uint64_t goid,
			      uint64_t gopc, uint64_t startpc, uint64_t ns)
{
	struct lw_goroutine g = { .goid = goid, .gopc = gopc,
				  .startpc = startpc };
	uint64_t key = site_key(gopc, startpc), site;
	struct gsite *s;

	if (!c->census)
		return 0;
	s = gsite_get(c, key, &g);
	if (!s)
		return -ENOMEM;
	/* A snapshot that ran between the birth and this record counted it
	 * already: seen() keeps that member (a birth would replace it, a
	 * death and a birth too many) and marks it seen for a sweep to
	 * come.  Goids are never reused, so a live goid is this one. */
	if (!lw_census__lookup(c->census, goid, &site) && ns > c->t0_ns)
		s->probe_births++;
	return lw_census__seen(c->census, goid, key, ns);
}

void lw_gocollect__probe_death(struct lw_gocollect *c, uint64_t goid,
			       uint64_t ns)
{
	struct gsite **slot;
	uint64_t site;

	if (!c->census || !lw_census__lookup(c->census, goid, &site))
		return; /* born before we looked, or swept already */
	slot = lw_hmap__get(c->gsites, site);
	if (slot)
		(*slot)->probe_deaths++;
	(void)lw_census__death(c->census, goid, ns);
}

void lw_gocollect__probe_counts(struct lw_gocollect *c, uint64_t births,
				uint64_t deaths, uint64_t lost)
{
	c->probe_births = births;
	c->probe_deaths = deaths;
	c->probe_lost = lost;
}

void lw_gocollect__set_window(struct lw_gocollect *c, double window_s)
{
	c->window_s = window_s > 0 ? window_s : 0;
}

int lw_gocollect__start(struct lw_gocollect *c, uint64_t t0_ns)
{
	struct lw_census_opts copts = { .window_s = c->window_s };

	c->t0_ns = t0_ns;
	c->census = lw_census__new(t0_ns, &copts);
	if (!c->census)
		return -errno;
	return lw_gocollect__tick(c, t0_ns, true);
}

enum lw_verdict lw_go_site_verdict(enum lw_verdict census, uint64_t live,
				   uint64_t blocked, uint64_t leaked)
{
	if (leaked)
		return LW_VERDICT_LEAK;
	if (census == LW_VERDICT_LEAK && blocked * 2 <= live)
		return LW_VERDICT_GROWING;
	return census;
}

/* Logical frames one pc may expand to (inlined calls); more are cut. */
#define MAX_INLINE 16

/*
 * The frames of a runtime pc, innermost first: one per inlined call (named
 * after the inlined function, at the position inside it) and the physical
 * function last, as runtime.CallersFrames reports them.  ret_addr: pc is
 * a return address (look up pc - 1); next: the stack's next return
 * address or 0 (see lw_gobin__lookup_frames()).  Stores at most max,
 * returns how many (at least 1: an unknown pc keeps a frame without a
 * name).
 */
static unsigned symbolize_all(const struct lw_gocollect *c, uint64_t pc,
			      bool ret_addr, uint64_t next, struct lw_frame *fr,
			      struct lw_goframe *g, unsigned max)
{
	uint64_t link = pc - c->p->bias;
	struct lw_gofunc f;
	int n, i;

	memset(fr, 0, sizeof(*fr));
	fr->addr = pc;
	fr->module = c->p->exe;
	fr->module_offset = link - 1;
	/* A goroutine that never ran resumes at its function's entry:
	 * there, pc - 1 would be the previous function. */
	if (ret_addr && !lw_gobin__lookup_pc(c->p->bin, link, &f) &&
	    f.entry == link)
		ret_addr = false;
	n = lw_gobin__lookup_frames(c->p->bin, ret_addr ? link - 1 : link,
				    next ? next - c->p->bias : 0, g,
				    max < MAX_INLINE ? (int)max : MAX_INLINE);
	for (i = 0; i < n; i++) {
		fr[i] = fr[0];
		fr[i].function = g[i].name;
		fr[i].file = g[i].file;
		fr[i].line = g[i].line;
		fr[i].inlined = g[i].inlined;
	}
	if (n <= 0)
		memset(g, 0, sizeof(*g));
	return n > 0 ? (unsigned)n : 1;
}

/*
 * The one frame Go's "created by" line gives a pc: the physical function
 * (every version from 1.19 to 1.26 prints funcname() of the pc's _func in
 * printcreatedby1()) at the position of the pc itself, which is inside
 * the inlined function when the go statement was inlined.
 */
static void symbolize(const struct lw_gocollect *c, uint64_t pc, bool ret_addr,
		      struct lw_frame *fr)
{
	struct lw_frame all[MAX_INLINE];
	struct lw_goframe g[MAX_INLINE];
	unsigned n = symbolize_all(c, pc, ret_addr, 0, all, g, MAX_INLINE);

	*fr = all[n - 1];
	fr->file = all[0].file;
	fr->line = all[0].line;
	fr->inlined = false;
}

/*
 * A stack of return addresses (innermost first) as Go's own tracebacks
 * show it: inlined calls expanded, and compiler-made wrappers (funcID
 * wrapper: method value and interface wrappers, the closure of a `go` or
 * `defer` statement with arguments) left out unless they called a panic
 * function, as the runtime's elideWrapperCalling() decides.  *ret_n is
 * the number of frames.
 */
static struct lw_frame *symbolize_stack(const struct lw_gocollect *c,
					const uint64_t *ips, unsigned n,
					unsigned *ret_n)
{
	struct lw_goframe g[MAX_INLINE];
	struct lw_frame *frames;
	unsigned i, k = 0, cap = n * 4 + MAX_INLINE;
	bool callee_panic = false;

	*ret_n = 0;
	if (!n)
		return NULL;
	frames = calloc(cap, sizeof(*frames));
	if (!frames)
		return NULL;
	for (i = 0; i < n && k < cap; i++) {
		unsigned got, j, base = k;

		got = symbolize_all(c, ips[i], true, i + 1 < n ? ips[i + 1] : 0,
				    &frames[base], g,
				    cap - base < MAX_INLINE ? cap - base
							    : MAX_INLINE);
		for (j = 0; j < got; j++) {
			/* elideWrapperCalling() looks at the callee's
			 * funcID, whether or not the callee was shown. */
			bool drop = g[j].wrapper && !callee_panic;

			callee_panic = g[j].panic;
			if (drop)
				continue;
			frames[k] = frames[base + j];
			/* Inlined into a wrapper left out: the frame after
			 * it is another pc now. */
			if (j + 1 < got && g[j + 1].wrapper &&
			    !g[j + 1].inlined && !g[j].panic)
				frames[k].inlined = false;
			k++;
		}
	}
	*ret_n = k;
	return frames;
}

static int cmp_count(const void *a, const void *b)
{
	const struct lw_go_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int fill_reasons(const struct lw_gocollect *c, const struct gsite *s,
			struct lw_go_site *o)
{
	unsigned i, n = 0;

	for (i = 0; i < 256; i++)
		n += s->reasons[i] != 0;
	if (!n)
		return 0;
	o->reasons = calloc(n, sizeof(*o->reasons));
	if (!o->reasons)
		return -ENOMEM;
	for (i = 0; i < 256; i++) {
		const char *name;

		if (!s->reasons[i])
			continue;
		name = lw_goreader__wait_reason(c->r, (uint8_t)i);
		o->reasons[o->nr_reasons].name = name && *name ? name : "?";
		o->reasons[o->nr_reasons++].n = s->reasons[i];
	}
	qsort(o->reasons, o->nr_reasons, sizeof(*o->reasons), cmp_count);
	return 0;
}

static int cmp_gsites(const void *a, const void *b)
{
	const struct lw_go_site *x = a, *y = b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->live != y->live)
		return x->live > y->live ? -1 : 1;
	if (x->gopc != y->gopc)
		return x->gopc < y->gopc ? -1 : 1;
	return 0;
}

/* A heap site with the collector's record behind it, for sorting. */
struct hrow {
	struct lw_go_heap_site o;
	const struct hsite *h;
};

static int cmp_hrows(const void *a, const void *b)
{
	const struct lw_go_heap_site *x = &((const struct hrow *)a)->o;
	const struct lw_go_heap_site *y = &((const struct hrow *)b)->o;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->inuse_bytes != y->inuse_bytes)
		return x->inuse_bytes > y->inuse_bytes ? -1 : 1;
	return 0;
}

static bool same_place(const struct lw_frame *a, const struct lw_frame *b)
{
	return a->line > 0 && a->line == b->line && a->file && b->file &&
	       !strcmp(a->file, b->file);
}

/*
 * The function a goroutine runs, as Go's own tracebacks name it.  For
 * `go f(x)` the compiler starts a wrapper that calls f (main.main.gowrap1
 * from Go 1.22, main.main.func1 before) and tracebacks hide it.  When the
 * binary's funcIDs are known, the wrapper says so itself: then the start
 * is the frame the stack shows above runtime.goexit, the wrapper having
 * been left out (f inlined into the wrapper is a frame of its own too).
 */
static const char *wrapped_start(const struct lw_gocollect *c,
				 const struct lw_go_site *o)
{
	struct lw_goframe g[MAX_INLINE];
	unsigned i;
	int n;

	if (!lw_gobin__knows_wrappers(c->p->bin))
		return NULL;
	n = lw_gobin__lookup_frames(c->p->bin, o->startpc - c->p->bias, 0, g,
				    MAX_INLINE);
	if (n <= 0 || !g[n - 1].wrapper)
		return n > 0 ? g[n - 1].name : NULL;
	for (i = 1; i < o->nr_frames; i++)
		if (o->frames[i].function &&
		    !strcmp(o->frames[i].function, "runtime.goexit"))
			return o->frames[i - 1].function;
	return NULL; /* the walk did not reach the bottom */
}

/*
 * The fallback without funcIDs, or when the walk stopped short: the
 * wrapper's call to f carries the position of the go statement itself,
 * which tells it from a closure with a body of its own.
 */
static const char *logical_start(const struct lw_gocollect *c,
				 const struct lw_go_site *o, const char *fn)
{
	const char *w_fn = wrapped_start(c, o);
	const struct lw_frame *w;
	unsigned i;

	if (w_fn)
		return w_fn;
	if (!fn || o->nr_frames < 2)
		return fn;
	for (i = 1; i < o->nr_frames; i++)
		if (o->frames[i].function && !strcmp(o->frames[i].function, fn))
			break;
	if (i == o->nr_frames || !o->frames[i - 1].function)
		return fn;
	w = &o->frames[i];
	if (!same_place(w, &o->created_by))
		return fn;
	return o->frames[i - 1].function;
}

/* One report site from the collector's record and the census'. */
static int fill_site(const struct lw_gocollect *c, const struct gsite *s,
		     const struct lw_census_site *cs, struct lw_go_site *o)
{
	struct lw_frame start;

	o->census_verdict = cs->verdict;
	o->live = cs->live;
	o->verdict = lw_go_site_verdict(cs->verdict, cs->live, s->waiting,
					s->leaked);
	o->growth_per_s = cs->growth_per_s;
	o->gopc = s->gopc;
	o->startpc = s->startpc;
	if (s->gopc)
		symbolize(c, s->gopc, true, &o->created_by);
	if (s->startpc) {
		symbolize(c, s->startpc, false, &start);
		o->start_function = start.function;
	}
	if (cs->live) {
		/* The last snapshot's states: of nobody, at an empty site. */
		o->waiting = s->waiting;
		o->runnable = s->runnable;
		o->running = s->running;
		o->syscall = s->syscall;
		o->other = s->other;
		o->leaked = s->leaked;
		o->oldest_blocked_s = s->oldest_blocked_ns / 1e9;
	}
	o->oldest_age_s = cs->oldest_age_s;
	o->has_unknown_births = cs->has_unknown_births;
	o->births = cs->births;
	o->deaths = cs->deaths;
	o->segments = cs->segments;
	o->segments_with_survivors = cs->segments_with_survivors;
	o->series = cs->series;
	o->nr_series = cs->nr_series;
	o->frames = symbolize_stack(c, s->ips, s->nr_ips, &o->nr_frames);
	o->start_function = logical_start(c, o, o->start_function);
	return cs->live ? fill_reasons(c, s, o) : 0;
}

static int report_goroutines(struct lw_gocollect *c, uint64_t now,
			     struct lw_go_report *r)
{
	struct lw_census_site *cs = NULL;
	struct lw_hmap_iter it;
	size_t nr = 0, i;
	int err;

	r->goroutines_ok = c->snapshots > 0;
	if (!r->goroutines_ok) {
		r->goroutines_error = c->goroutines_err == -EAGAIN
					      ? "the goroutine list never read "
						"consistently"
					      : "the goroutine list could not "
						"be read";
		return 0;
	}
	r->live = lw_census__live(c->census);
	r->leaked_by_runtime = c->snap.nr_leaked;
	r->snapshots = c->snapshots;
	r->torn = c->snap.nr_torn;
	r->growth_per_s = lw_go_slope(c->total.pts, c->total.nr, true);
	r->snapshot_ms = c->cost_ns_total / 1e6 / c->snapshots;
	if (c->cost_ns_total)
		r->goroutines_per_s = c->gs_read_total * 1e9 / c->cost_ns_total;
	r->interval_s = c->interval_ns / 1e9;
	r->mode = c->probes ? "probes" : "snapshot";
	r->probe_death_func = c->probe_death_func;
	r->probe_rets = c->probe_rets;
	r->probe_births = c->probe_births;
	r->probe_deaths = c->probe_deaths;
	r->probe_lost = c->probe_lost;

	err = lw_census__report(c->census, now, &cs, &nr);
	if (err)
		return err;
	/* Probes: also the sites whose goroutines all died, with the
	 * births and deaths the probes counted (churn the snapshots miss). */
	r->sites = calloc(nr + (c->probes ? lw_hmap__count(c->gsites) : 0) + 1,
			  sizeof(*r->sites));
	if (!r->sites) {
		err = -ENOMEM;
		goto out;
	}
	for (lw_hmap__iter_init(&it, c->gsites); lw_hmap__iter_next(&it);)
		(*(struct gsite **)it.value)->reported = false;
	for (i = 0; i < nr; i++) {
		struct gsite **slot = lw_hmap__get(c->gsites, cs[i].site);

		if (!slot)
			continue;
		(*slot)->reported = true;
		err = fill_site(c, *slot, &cs[i], &r->sites[r->nr_sites++]);
		if (err)
			goto out;
	}
	for (lw_hmap__iter_init(&it, c->gsites);
	     c->probes && lw_hmap__iter_next(&it);) {
		struct gsite *gs = *(struct gsite **)it.value;
		struct lw_census_site none = { .site = it.key,
					       .verdict = LW_VERDICT_STABLE };

		if (gs->reported || !(gs->probe_births || gs->probe_deaths))
			continue;
		none.births = gs->probe_births;
		none.deaths = gs->probe_deaths;
		err = fill_site(c, gs, &none, &r->sites[r->nr_sites++]);
		if (err)
			goto out;
	}
	if (r->nr_sites > 1)
		qsort(r->sites, r->nr_sites, sizeof(*r->sites), cmp_gsites);
out:
	free(cs);
	return err;
}

static int report_heap(struct lw_gocollect *c, uint64_t now,
		       struct lw_go_report *r)
{
	double t_end = secs(c, now);
	double t_start = c->window_s && t_end > c->window_s
				 ? t_end - c->window_s
				 : 0;
	struct lw_hmap_iter it;
	struct hrow *rows;
	size_t n = 0, i;

	r->heap_available = c->heap_available;
	r->heap_reason = c->heap_reason;
	r->sample_rate = c->heap_rate;
	r->rss_bytes = c->rss_bytes;
	r->rss_anon_bytes = c->rss_anon;
	r->rss_growth_bytes_per_s = lw_go_slope(c->rss.pts, c->rss.nr, false);
	if (!c->heap_available)
		return 0;
	if (c->heap_total.nr)
		r->inuse_bytes = c->heap_total.pts[c->heap_total.nr - 1].bytes;
	r->growth_bytes_per_s =
		lw_go_slope(c->heap_total.pts, c->heap_total.nr, false);

	rows = calloc(lw_hmap__count(c->hsites) + 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (lw_hmap__iter_init(&it, c->hsites); lw_hmap__iter_next(&it);) {
		const struct hsite *h = *(struct hsite **)it.value;
		struct lw_go_heap_site *o = &rows[n].o;

		r->inuse_objects += (uint64_t)h->objects;
		if (h->bytes <= 0)
			continue;
		rows[n++].h = h;
		o->inuse_bytes = (uint64_t)h->bytes;
		o->inuse_objects = (uint64_t)h->objects;
		o->verdict = lw_goheap_verdict(h->series.pts, h->series.nr,
					       t_start, t_end, HEAP_SEGMENTS,
					       &o->growth_bytes_per_s);
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_hrows);
	if (n > MAX_HEAP_SITES)
		n = MAX_HEAP_SITES;
	r->heap_sites = calloc(n + 1, sizeof(*r->heap_sites));
	if (!r->heap_sites) {
		free(rows);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct lw_go_heap_site *o = &r->heap_sites[i];

		*o = rows[i].o;
		o->frames = symbolize_stack(c, rows[i].h->ips,
					    rows[i].h->nr_ips, &o->nr_frames);
	}
	r->nr_heap_sites = n;
	free(rows);
	return 0;
}

int lw_gocollect__report(struct lw_gocollect *c, uint64_t now_ns,
			 struct lw_go_report *r)
{
	struct lw_go_layout *l = &c->p->layout;
	int err;

	memset(r, 0, sizeof(*r));
	r->version = lw_gobin__version(c->p->bin);
	r->stripped = !lw_gobin__has_symtab(c->p->bin);
	r->layout_from = l->from_dwarf ? "dwarf" : "table";
	err = report_goroutines(c, now_ns, r);
	if (!err)
		err = report_heap(c, now_ns, r);
	if (err)
		lw_go_report__clear(r);
	return err;
}
