/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The census: live members in a hash map (id -> site index, birth time,
 * mark generation), sites in an array with their live count and series.
 * Pairs with census.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "census.h"
#include "hmap.h"
#include "trend.h"

#define DEFAULT_SEGMENTS 4
#define DEFAULT_SERIES_CAP 512

struct member {
	uint64_t born_ns; /* 0: before the session */
	uint32_t site; /* index into sites[] */
	uint32_t gen; /* mark generation it was last seen in */
};

struct site {
	uint64_t key;
	uint64_t live, births, deaths;
	struct lw_series series;
};

struct lw_census {
	uint64_t t0_ns;
	uint64_t last_change_ns;
	unsigned segments;
	unsigned series_cap;
	double window_s;
	uint32_t gen;
	struct lw_hmap *members; /* id -> struct member */
	struct lw_hmap *site_of; /* key -> uint32_t index into sites[] */
	struct site *sites;
	size_t nr_sites, sites_alloc;
	uint64_t live;
};

struct lw_census *lw_census__new(uint64_t t0_ns,
				 const struct lw_census_opts *opts)
{
	struct lw_census *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->t0_ns = t0_ns;
	c->segments = opts && opts->segments ? opts->segments : DEFAULT_SEGMENTS;
	if (c->segments > LW_TREND_MAX_SEGMENTS)
		c->segments = LW_TREND_MAX_SEGMENTS;
	c->series_cap = opts && opts->series_cap ? opts->series_cap
						 : DEFAULT_SERIES_CAP;
	if (c->series_cap < 2)
		c->series_cap = 2;
	c->window_s = opts && opts->window_s > 0 ? opts->window_s : 0;
	c->members = lw_hmap__new(sizeof(struct member), 256);
	c->site_of = lw_hmap__new(sizeof(uint32_t), 64);
	if (!c->members || !c->site_of) {
		lw_census__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void lw_census__free(struct lw_census *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr_sites; i++)
		free(c->sites[i].series.pts);
	free(c->sites);
	lw_hmap__free(c->members);
	lw_hmap__free(c->site_of);
	free(c);
}

static void changed(struct lw_census *c, uint64_t ns)
{
	if (ns > c->last_change_ns)
		c->last_change_ns = ns;
}

static int site_get(struct lw_census *c, uint64_t key, uint32_t *ret)
{
	uint32_t *idx;
	bool created;
	struct site *n;

	idx = lw_hmap__put(c->site_of, key, &created);
	if (!idx)
		return -ENOMEM;
	if (!created) {
		*ret = *idx;
		return 0;
	}
	if (c->nr_sites == c->sites_alloc) {
		size_t want = c->sites_alloc ? c->sites_alloc * 2 : 16;

		n = realloc(c->sites, want * sizeof(*n));
		if (!n) {
			lw_hmap__del(c->site_of, key, NULL);
			return -ENOMEM;
		}
		c->sites = n;
		c->sites_alloc = want;
	}
	memset(&c->sites[c->nr_sites], 0, sizeof(c->sites[0]));
	c->sites[c->nr_sites].key = key;
	*idx = (uint32_t)c->nr_sites;
	*ret = *idx;
	c->nr_sites++;
	return 0;
}

static void kill_member(struct lw_census *c, const struct member *m,
			uint64_t ns)
{
	struct site *s = &c->sites[m->site];

	s->live--;
	s->deaths++;
	c->live--;
	changed(c, ns);
}

int lw_census__birth(struct lw_census *c, uint64_t id, uint64_t site,
		     uint64_t born_ns)
{
	struct member *m, old;
	uint32_t idx;
	bool created;
	int err;

	err = site_get(c, site, &idx);
	if (err)
		return err;
	if (lw_hmap__del(c->members, id, &old))
		kill_member(c, &old, born_ns);
	m = lw_hmap__put(c->members, id, &created);
	if (!m)
		return -ENOMEM;
	m->born_ns = born_ns > c->t0_ns ? born_ns : 0;
	m->site = idx;
	m->gen = c->gen;
	c->sites[idx].live++;
	if (m->born_ns)
		c->sites[idx].births++;
	c->live++;
	changed(c, born_ns);
	return 0;
}

bool lw_census__death(struct lw_census *c, uint64_t id, uint64_t ns)
{
	struct member old;

	if (!lw_hmap__del(c->members, id, &old))
		return false;
	kill_member(c, &old, ns);
	return true;
}

bool lw_census__lookup(const struct lw_census *c, uint64_t id, uint64_t *site)
{
	const struct member *m = lw_hmap__get(c->members, id);

	if (!m)
		return false;
	if (site)
		*site = c->sites[m->site].key;
	return true;
}

void lw_census__mark(struct lw_census *c)
{
	c->gen++;
}

int lw_census__seen(struct lw_census *c, uint64_t id, uint64_t site,
		    uint64_t born_ns)
{
	struct member *m = lw_hmap__get(c->members, id);

	if (m && c->sites[m->site].key == site) {
		m->gen = c->gen;
		return 0;
	}
	/* New, or the id was reused by a member of another site. */
	return lw_census__birth(c, id, site, born_ns);
}

size_t lw_census__sweep(struct lw_census *c, uint64_t ns)
{
	struct lw_hmap_iter it;
	uint64_t *dead = NULL;
	size_t nr = 0, cap = 0, i;

	/* The map must not change while iterating: collect, then delete. */
	for (lw_hmap__iter_init(&it, c->members); lw_hmap__iter_next(&it);) {
		const struct member *m = it.value;

		if (m->gen == c->gen)
			continue;
		if (nr == cap) {
			size_t want = cap ? cap * 2 : 64;
			uint64_t *n = realloc(dead, want * sizeof(*n));

			if (!n)
				break; /* the rest dies at the next sweep */
			dead = n;
			cap = want;
		}
		dead[nr++] = it.key;
	}
	for (i = 0; i < nr; i++)
		lw_census__death(c, dead[i], ns);
	free(dead);
	return nr;
}

uint64_t lw_census__live(const struct lw_census *c)
{
	return c->live;
}

static double secs(const struct lw_census *c, uint64_t ns)
{
	return (double)(int64_t)(ns - c->t0_ns) / 1e9;
}

void lw_census__sample(struct lw_census *c, uint64_t now_ns)
{
	struct lw_point p = { .t_s = secs(c, now_ns) };
	size_t i;

	for (i = 0; i < c->nr_sites; i++) {
		struct site *s = &c->sites[i];

		/* A site that never had anyone alive since its last point
		 * needs no new zero. */
		if (!s->live && s->series.nr && !s->series.pts[s->series.nr - 1].count)
			continue;
		p.bytes = p.count = s->live;
		lw_series__append(&s->series, c->series_cap, &p);
		if (c->window_s)
			lw_series__trim(&s->series, p.t_s - c->window_s);
	}
}

static int cmp_sites(const void *a, const void *b)
{
	const struct lw_census_site *x = a, *y = b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->live != y->live)
		return x->live > y->live ? -1 : 1;
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return 0;
}

int lw_census__report(struct lw_census *c, uint64_t now_ns,
		      struct lw_census_site **ret, size_t *nr)
{
	unsigned n = c->segments;
	uint64_t *surv = NULL, *oldest = NULL;
	bool *unknown = NULL;
	struct lw_census_site *out = NULL;
	struct lw_hmap_iter it;
	double now_s, end_s, start_s = 0;
	size_t i, nr_out = 0;
	int err = 0;

	*ret = NULL;
	*nr = 0;
	now_s = secs(c, now_ns);
	if (now_s < 0)
		now_s = 0;
	end_s = c->last_change_ns ? secs(c, c->last_change_ns) : now_s;
	if (end_s < 0)
		end_s = 0;
	if (end_s > now_s)
		end_s = now_s;
	if (c->window_s && now_s - c->window_s > 0)
		start_s = now_s - c->window_s;
	if (end_s < start_s)
		end_s = start_s; /* nothing changed in the window */
	if (!c->nr_sites)
		return 0;

	surv = calloc(c->nr_sites * n, sizeof(*surv));
	oldest = malloc(c->nr_sites * sizeof(*oldest));
	unknown = calloc(c->nr_sites, sizeof(*unknown));
	out = calloc(c->nr_sites, sizeof(*out));
	if (!surv || !oldest || !unknown || !out) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->nr_sites; i++)
		oldest[i] = UINT64_MAX;
	for (lw_hmap__iter_init(&it, c->members); lw_hmap__iter_next(&it);) {
		const struct member *m = it.value;
		unsigned k = 0;

		if (m->born_ns)
			k = lw_trend__segment(secs(c, m->born_ns), start_s,
					      end_s, n);
		else
			unknown[m->site] = true;
		surv[(size_t)m->site * n + k]++;
		if (m->born_ns && m->born_ns < oldest[m->site])
			oldest[m->site] = m->born_ns;
	}
	for (i = 0; i < c->nr_sites; i++) {
		const struct site *s = &c->sites[i];
		struct lw_trend_input in = {
			.pts = s->series.pts,
			.nr_pts = s->series.nr,
			.t_start = start_s,
			.t_end = end_s,
			.nr_segments = n,
			.survivors = &surv[i * n],
			.end_bytes = s->live,
			.end_count = s->live,
		};
		struct lw_trend_result tr;
		struct lw_census_site *o;

		if (!s->live)
			continue;
		lw_trend__classify(&in, &tr);
		o = &out[nr_out++];
		o->site = s->key;
		o->verdict = tr.verdict;
		o->live = s->live;
		o->births = s->births;
		o->deaths = s->deaths;
		o->growth_per_s = tr.slope_count_per_s;
		o->has_unknown_births = unknown[i];
		if (oldest[i] != UINT64_MAX && !unknown[i])
			o->oldest_age_s = now_s - secs(c, oldest[i]);
		if (o->oldest_age_s < 0)
			o->oldest_age_s = 0;
		o->segments = n;
		o->segments_with_survivors = tr.segments_with_survivors;
		o->series = s->series.pts;
		o->nr_series = s->series.nr;
	}
	if (nr_out > 1)
		qsort(out, nr_out, sizeof(*out), cmp_sites);
	*ret = out;
	*nr = nr_out;
	out = NULL;
out:
	free(out);
	free(surv);
	free(oldest);
	free(unknown);
	return err;
}
