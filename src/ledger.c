/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The ledger of live blocks and anonymous mappings, grouped by site, and
 * the report built from it; pairs with ledger.h.  Verdicts: trend.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "ledger.h"
#include "trend.h"

#define DEFAULT_SEGMENTS 4
#define DEFAULT_SERIES_CAP 512

/* A live heap block; the value of the blocks map (key: address). */
struct block {
	uint64_t size;
	uint64_t ts_ns;
	uint32_t site; /* index into sites[] */
	uint32_t kind;
};

/* A tracked anonymous mapping piece [start, end), counted as one block. */
struct region {
	uint64_t start, end;
	uint64_t ts_ns;
	uint32_t site;
};

struct site {
	uint64_t stack_id;
	uint32_t kind; /* of the first allocation; 0 before any */
	unsigned nr_ips; /* 0 until the stack record arrives (maybe never) */
	uint64_t live_count, live_bytes;
	/* Sampling: what live blocks stand for beyond themselves, i.e. the
	 * sum of (weight - 1) and (weight - 1) * size.  Kept apart so mmap
	 * region splits (weight 1) never touch it. */
	double extra_count, extra_bytes;
	uint64_t total_allocs, total_frees, total_bytes;
	struct lw_series series;
	uint64_t ips[LW_MAX_STACK];
};

struct lw_ledger {
	uint64_t t0_ns;
	unsigned segments;
	unsigned series_cap;
	uint64_t sample_bytes;
	struct lw_hmap *blocks; /* addr -> struct block */
	struct lw_hmap *site_of; /* stack_id -> uint32_t index into sites[] */
	struct site *sites;
	size_t nr_sites, sites_alloc;
	/* Sorted by start, never overlapping, never empty. */
	struct region *regions;
	size_t nr_regions, regions_alloc;
	uint64_t unknown_frees;
	uint64_t last_ts_ns; /* latest event, valid if has_events */
	bool has_events;
};

struct lw_ledger *lw_ledger__new(uint64_t t0_ns,
				 const struct lw_ledger_opts *opts)
{
	struct lw_ledger *l;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l) {
		err = -ENOMEM;
		goto err_out;
	}
	l->t0_ns = t0_ns;
	l->segments = opts && opts->segments ? opts->segments
					     : DEFAULT_SEGMENTS;
	if (l->segments > LW_TREND_MAX_SEGMENTS)
		l->segments = LW_TREND_MAX_SEGMENTS;
	l->series_cap = opts && opts->series_cap ? opts->series_cap
						 : DEFAULT_SERIES_CAP;
	/* Halving a full series must leave room for the new point. */
	if (l->series_cap < 2)
		l->series_cap = 2;
	l->sample_bytes = opts ? opts->sample_bytes : 0;
	l->blocks = lw_hmap__new(sizeof(struct block), 4096);
	l->site_of = lw_hmap__new(sizeof(uint32_t), 256);
	if (!l->blocks || !l->site_of) {
		err = -errno;
		goto err_out;
	}
	return l;

err_out:
	lw_ledger__free(l);
	errno = -err;
	return NULL;
}

void lw_ledger__free(struct lw_ledger *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nr_sites; i++)
		free(l->sites[i].series.pts);
	free(l->sites);
	free(l->regions);
	lw_hmap__free(l->blocks);
	lw_hmap__free(l->site_of);
	free(l);
}

static void note_event(struct lw_ledger *l, uint64_t ts_ns)
{
	if (!l->has_events || ts_ns > l->last_ts_ns)
		l->last_ts_ns = ts_ns;
	l->has_events = true;
}

/* Seconds since the session start; negative for times before it. */
static double secs(const struct lw_ledger *l, uint64_t ts_ns)
{
	return (double)(int64_t)(ts_ns - l->t0_ns) / 1e9;
}

/* Index of stack_id's site, created on first sight.  0 or -ENOMEM. */
static int site_get(struct lw_ledger *l, uint64_t stack_id, uint32_t *ret_idx)
{
	struct site *s;
	uint32_t *idx;
	bool created;

	idx = lw_hmap__get(l->site_of, stack_id);
	if (idx) {
		*ret_idx = *idx;
		return 0;
	}
	if (l->nr_sites == l->sites_alloc) {
		size_t n = l->sites_alloc ? l->sites_alloc * 2 : 64;

		if (n > UINT32_MAX)
			return -ENOMEM;
		s = realloc(l->sites, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		l->sites = s;
		l->sites_alloc = n;
	}
	idx = lw_hmap__put(l->site_of, stack_id, &created);
	if (!idx)
		return -ENOMEM;
	*idx = l->nr_sites;
	s = &l->sites[l->nr_sites++];
	memset(s, 0, sizeof(*s));
	s->stack_id = stack_id;
	*ret_idx = *idx;
	return 0;
}

int lw_ledger__add_stack(struct lw_ledger *l, uint64_t stack_id,
			 const uint64_t *ips, unsigned nr_ips)
{
	struct site *s;
	uint32_t idx;
	int err;

	err = site_get(l, stack_id, &idx);
	if (err)
		return err;
	/* An empty record must not erase frames we already know. */
	if (!ips || !nr_ips)
		return 0;
	if (nr_ips > LW_MAX_STACK)
		nr_ips = LW_MAX_STACK;
	s = &l->sites[idx];
	memcpy(s->ips, ips, nr_ips * sizeof(*ips));
	s->nr_ips = nr_ips;
	return 0;
}

/* How many blocks a sampled block of this size stands for (1: exact). */
static double weight(const struct lw_ledger *l, uint64_t size)
{
	double p;

	if (!l->sample_bytes || !size)
		return 1;
	p = -expm1(-(double)size / (double)l->sample_bytes);
	return p > 0 ? 1 / p : 1;
}

static void site_add(struct site *s, uint32_t kind, uint64_t size, double w)
{
	if (!s->total_allocs)
		s->kind = kind;
	s->live_count++;
	s->live_bytes += size;
	s->extra_count += w - 1;
	s->extra_bytes += (w - 1) * size;
	s->total_allocs++;
	s->total_bytes += size;
}

static void site_remove(struct site *s, uint64_t size, double w)
{
	s->live_count--;
	s->live_bytes -= size;
	s->extra_count -= w - 1;
	s->extra_bytes -= (w - 1) * size;
	/* Back to exactly nothing: no rounding residue on an empty site. */
	if (!s->live_count)
		s->extra_count = s->extra_bytes = 0;
	s->total_frees++;
}

/* A site's live amount as reported: estimates when sampling. */
static uint64_t est_count(const struct site *s)
{
	double v = (double)s->live_count + s->extra_count;

	return v > 0 ? (uint64_t)llround(v) : 0;
}

static uint64_t est_bytes(const struct site *s)
{
	double v = (double)s->live_bytes + s->extra_bytes;

	return v > 0 ? (uint64_t)llround(v) : 0;
}

int lw_ledger__alloc(struct lw_ledger *l, uint32_t kind, uint64_t addr,
		     uint64_t size, uint64_t stack_id, uint64_t ts_ns)
{
	struct block *b;
	uint32_t idx;
	bool created;
	int err;

	note_event(l, ts_ns);
	/* Site first: the block pointer would not survive a site insert
	 * anyway, and a failure then leaves the block map untouched. */
	err = site_get(l, stack_id, &idx);
	if (err)
		return err;
	b = lw_hmap__put(l->blocks, addr, &created);
	if (!b)
		return -ENOMEM;
	/* Still live: its free was lost, so the old block is gone. */
	if (!created)
		site_remove(&l->sites[b->site], b->size, weight(l, b->size));
	b->size = size;
	b->ts_ns = ts_ns;
	b->site = idx;
	b->kind = kind;
	site_add(&l->sites[idx], kind, size, weight(l, size));
	return 0;
}

void lw_ledger__release(struct lw_ledger *l, uint64_t addr, uint64_t ts_ns)
{
	struct block b;

	note_event(l, ts_ns);
	if (!lw_hmap__del(l->blocks, addr, &b)) {
		l->unknown_frees++;
		return;
	}
	site_remove(&l->sites[b.site], b.size, weight(l, b.size));
}

/* [addr, addr + len) saturating at the top of the address space. */
static uint64_t range_end(uint64_t addr, uint64_t len)
{
	return len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
}

/* Room for n more regions, so the edits that follow cannot fail. */
static int regions_reserve(struct lw_ledger *l, size_t n)
{
	struct region *r;
	size_t cap;

	if (l->nr_regions + n <= l->regions_alloc)
		return 0;
	cap = l->regions_alloc ? l->regions_alloc * 2 : 64;
	while (cap < l->nr_regions + n)
		cap *= 2;
	r = realloc(l->regions, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	l->regions = r;
	l->regions_alloc = cap;
	return 0;
}

/* Index of the first region ending after addr (nr_regions if none). */
static size_t region_after(const struct lw_ledger *l, uint64_t addr)
{
	size_t lo = 0, hi = l->nr_regions;

	/* Regions do not overlap, so ends ascend like starts. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->regions[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Forget the tracked part of [start, end).  A region cut in the middle
 * becomes two blocks of its site; one trimmed at an end stays one block;
 * one covered entirely is freed.  The caller reserved one region.
 */
static void regions_cut(struct lw_ledger *l, uint64_t start, uint64_t end)
{
	struct region *r = l->regions;
	size_t i, j;

	if (end <= start)
		return;
	i = region_after(l, start);
	if (i == l->nr_regions || r[i].start >= end)
		return;
	if (r[i].start < start && r[i].end > end) {
		struct site *s = &l->sites[r[i].site];

		memmove(&r[i + 2], &r[i + 1],
			(l->nr_regions - i - 1) * sizeof(*r));
		r[i + 1] = r[i];
		r[i + 1].start = end;
		r[i].end = start;
		l->nr_regions++;
		s->live_bytes -= end - start;
		s->live_count++;
		return;
	}
	if (r[i].start < start) {
		l->sites[r[i].site].live_bytes -= r[i].end - start;
		r[i].end = start;
		i++;
	}
	for (j = i; j < l->nr_regions && r[j].end <= end; j++)
		site_remove(&l->sites[r[j].site], r[j].end - r[j].start, 1);
	if (j < l->nr_regions && r[j].start < end) {
		l->sites[r[j].site].live_bytes -= end - r[j].start;
		r[j].start = end;
	}
	memmove(&r[i], &r[j], (l->nr_regions - j) * sizeof(*r));
	l->nr_regions -= j - i;
}

/* Track [start, end) as a new block of site; nothing tracked overlaps it
 * and the caller reserved one region. */
static void regions_add(struct lw_ledger *l, uint64_t start, uint64_t end,
			uint32_t site, uint64_t ts_ns)
{
	struct region *r = l->regions;
	size_t i = region_after(l, start);

	memmove(&r[i + 1], &r[i], (l->nr_regions - i) * sizeof(*r));
	r[i].start = start;
	r[i].end = end;
	r[i].ts_ns = ts_ns;
	r[i].site = site;
	l->nr_regions++;
	site_add(&l->sites[site], LW_K_MMAP, end - start, 1);
}

int lw_ledger__mmap(struct lw_ledger *l, uint64_t addr, uint64_t len,
		    uint32_t flags, uint64_t stack_id, uint64_t ts_ns)
{
	uint64_t end = range_end(addr, len);
	uint32_t idx;
	int err;

	note_event(l, ts_ns);
	if (end <= addr)
		return 0;
	err = site_get(l, stack_id, &idx);
	if (err)
		return err;
	err = regions_reserve(l, 2);
	if (err)
		return err;
	/*
	 * MAP_FIXED (0x10) replaces whatever was mapped there.  Without it
	 * the kernel only hands out free ranges, so an overlap means we
	 * missed an munmap: cut it the same way, whatever the flags say,
	 * which keeps the regions disjoint.
	 */
	regions_cut(l, addr, end);
	regions_add(l, addr, end, idx, ts_ns);
	return 0;
}

int lw_ledger__munmap(struct lw_ledger *l, uint64_t addr, uint64_t len,
		      uint64_t ts_ns)
{
	int err;

	note_event(l, ts_ns);
	err = regions_reserve(l, 1);
	if (err)
		return err;
	regions_cut(l, addr, range_end(addr, len));
	return 0;
}

int lw_ledger__mremap(struct lw_ledger *l, uint64_t old_addr, uint64_t old_len,
		      uint64_t new_addr, uint64_t new_len, uint64_t ts_ns)
{
	uint64_t old_end = range_end(old_addr, old_len);
	uint64_t new_end = range_end(new_addr, new_len);
	const struct region *r;
	uint64_t born;
	uint32_t site;
	size_t i;
	int err;

	note_event(l, ts_ns);
	if (old_end <= old_addr)
		return 0;
	/* The region holding old_addr, else the first one overlapping. */
	i = region_after(l, old_addr);
	if (i == l->nr_regions || l->regions[i].start >= old_end)
		return 0;
	r = &l->regions[i];
	site = r->site;
	born = r->ts_ns;
	/* One split per cut, then the new region. */
	err = regions_reserve(l, 3);
	if (err)
		return err;
	regions_cut(l, old_addr, old_end);
	if (new_end <= new_addr)
		return 0;
	/* MREMAP_FIXED unmaps the target; keep the regions disjoint. */
	regions_cut(l, new_addr, new_end);
	/* Moved or resized, the mapping keeps its birth time and site. */
	regions_add(l, new_addr, new_end, site, born);
	return 0;
}

void lw_ledger__sample(struct lw_ledger *l, uint64_t now_ns)
{
	struct lw_point p = { .t_s = secs(l, now_ns) };
	size_t i;

	for (i = 0; i < l->nr_sites; i++) {
		struct site *s = &l->sites[i];

		p.bytes = est_bytes(s);
		p.count = est_count(s);
		lw_series__append(&s->series, l->series_cap, &p);
	}
}

void lw_ledger__totals(const struct lw_ledger *l, uint64_t *events,
		       uint64_t *live_bytes)
{
	uint64_t ev = l->unknown_frees, live = 0;
	size_t i;

	for (i = 0; i < l->nr_sites; i++) {
		ev += l->sites[i].total_allocs + l->sites[i].total_frees;
		live += est_bytes(&l->sites[i]);
	}
	*events = ev;
	*live_bytes = live;
}

/* Leak first, then growing, then by live bytes; stack_id breaks ties. */
static int cmp_site_reports(const void *a, const void *b)
{
	const struct lw_site_report *x = a, *y = b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->live_bytes != y->live_bytes)
		return x->live_bytes > y->live_bytes ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	return 0;
}

/* Record one live block of site born at ts_ns for the survivor counts. */
static void count_survivor(const struct lw_ledger *l, uint64_t *surv,
			   uint64_t *oldest, uint32_t site, uint64_t ts_ns,
			   double end_s)
{
	unsigned n = l->segments;
	unsigned k = lw_trend__segment(secs(l, ts_ns), 0, end_s, n);

	surv[(size_t)site * n + k]++;
	if (ts_ns < oldest[site])
		oldest[site] = ts_ns;
}

int lw_ledger__report(struct lw_ledger *l, uint64_t now_ns,
		      const struct lw_alloc_drops *drops,
		      struct lw_alloc_report *ret)
{
	struct lw_alloc_report r = {};
	uint64_t *surv = NULL, *oldest = NULL;
	struct lw_hmap_iter it;
	double now_s, end_s;
	unsigned n = l->segments;
	size_t i, nr_live = 0;
	int err = 0;

	memset(ret, 0, sizeof(*ret));
	now_s = secs(l, now_ns);
	if (now_s < 0)
		now_s = 0;
	/* The window ends at the last event so an idle target cannot
	 * dilute its history with quiet time. */
	end_s = l->has_events ? secs(l, l->last_ts_ns) : now_s;
	if (end_s < 0)
		end_s = 0;
	if (end_s > now_s)
		end_s = now_s;
	r.window_start_s = 0;
	r.window_end_s = end_s;
	r.sample_bytes = l->sample_bytes;
	if (drops) {
		r.drops = *drops;
		/* free_lost and stack_rec_lost are parts of ringbuf_full. */
		r.dropped_events = drops->ringbuf_full + drops->stack_failed +
				   drops->inflight_failed +
				   drops->sampled_lost;
	}
	r.unknown_frees = l->unknown_frees;

	if (l->nr_sites) {
		surv = calloc(l->nr_sites * n, sizeof(*surv));
		oldest = malloc(l->nr_sites * sizeof(*oldest));
		if (!surv || !oldest) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < l->nr_sites; i++) {
		oldest[i] = UINT64_MAX;
		if (l->sites[i].live_count)
			nr_live++;
	}
	/* One pass over everything live: when each survivor was born. */
	for (lw_hmap__iter_init(&it, l->blocks); lw_hmap__iter_next(&it);) {
		const struct block *b = it.value;

		count_survivor(l, surv, oldest, b->site, b->ts_ns, end_s);
	}
	for (i = 0; i < l->nr_regions; i++) {
		const struct region *g = &l->regions[i];

		count_survivor(l, surv, oldest, g->site, g->ts_ns, end_s);
	}

	if (nr_live) {
		r.sites = calloc(nr_live, sizeof(*r.sites));
		if (!r.sites) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < l->nr_sites; i++) {
		const struct site *s = &l->sites[i];
		struct lw_trend_input in = {
			.pts = s->series.pts,
			.nr_pts = s->series.nr,
			.t_start = 0,
			.t_end = end_s,
			.nr_segments = n,
			.survivors = &surv[i * n],
			.end_bytes = est_bytes(s),
			.end_count = est_count(s),
		};
		struct lw_trend_result tr;
		struct lw_site_report *o;
		double age;

		r.live_bytes += est_bytes(s);
		r.live_count += est_count(s);
		r.total_allocs += s->total_allocs;
		r.total_frees += s->total_frees;
		if (!s->live_count)
			continue;
		lw_trend__classify(&in, &tr);
		o = &r.sites[r.nr_sites++];
		o->verdict = tr.verdict;
		o->kind = s->kind;
		o->stack_id = s->stack_id;
		o->live_count = est_count(s);
		o->live_bytes = est_bytes(s);
		o->sampled_live_count = s->live_count;
		o->total_allocs = s->total_allocs;
		o->total_frees = s->total_frees;
		o->total_bytes = s->total_bytes;
		o->growth_bytes_per_s = tr.slope_bytes_per_s;
		o->growth_count_per_s = tr.slope_count_per_s;
		age = oldest[i] == UINT64_MAX ? 0 : now_s - secs(l, oldest[i]);
		o->oldest_age_s = age > 0 ? age : 0;
		o->segments = n;
		o->segments_with_survivors = tr.segments_with_survivors;
		o->ips = s->nr_ips ? s->ips : NULL;
		o->nr_ips = s->nr_ips;
		o->stack_truncated = s->nr_ips == LW_MAX_STACK;
		o->frames = NULL;
		o->series = s->series.pts;
		o->nr_series = s->series.nr;
	}
	if (r.nr_sites > 1)
		qsort(r.sites, r.nr_sites, sizeof(*r.sites), cmp_site_reports);
	*ret = r;
	r.sites = NULL;
	r.nr_sites = 0;
out:
	lw_alloc_report__clear(&r);
	free(surv);
	free(oldest);
	return err;
}
