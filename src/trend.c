/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Verdict rules for one site; pairs with trend.h.  docs/verdicts.md states
 * the same rules for users: change both together.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trend.h"

unsigned lw_trend__segment(double t, double t_start, double t_end, unsigned n)
{
	double width, k;

	if (n == 0)
		return 0;
	width = (t_end - t_start) / n;
	if (!(width > 0))
		return 0;
	k = floor((t - t_start) / width);
	/* Written so that NaN lands in segment 0 too. */
	if (!(k >= 0))
		return 0;
	if (k >= n - 1)
		return n - 1;
	return (unsigned)k;
}

/* Bytes of the last point at or before t; 0 before the first point. */
static uint64_t bytes_at(const struct lw_point *pts, size_t nr, double t)
{
	size_t lo = 0, hi = nr;

	/* Points are ascending: find the first one after t. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pts[mid].t_s <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? pts[lo - 1].bytes : 0;
}

static bool in_window(const struct lw_trend_input *in, double t)
{
	return t >= in->t_start && t <= in->t_end;
}

/*
 * Least-squares slopes of bytes and count against time over the series
 * points inside the window plus the end point (t_end, end amounts).
 * Centred on the mean time: times are seconds since the session start and
 * the amounts can be large, so the naive sums would lose precision.
 */
static void fit_slopes(const struct lw_trend_input *in,
		       struct lw_trend_result *ret)
{
	double st = in->t_end, sb = in->end_bytes, sc = in->end_count;
	double mt, mb, mc, sxx = 0, sxb = 0, sxc = 0, dt;
	size_t i, n = 1;

	for (i = 0; i < in->nr_pts; i++) {
		const struct lw_point *p = &in->pts[i];

		if (!in_window(in, p->t_s))
			continue;
		st += p->t_s;
		sb += p->bytes;
		sc += p->count;
		n++;
	}
	mt = st / n;
	mb = sb / n;
	mc = sc / n;
	for (i = 0; i <= in->nr_pts; i++) {
		double t, b, c;

		if (i < in->nr_pts) {
			const struct lw_point *p = &in->pts[i];

			if (!in_window(in, p->t_s))
				continue;
			t = p->t_s;
			b = p->bytes;
			c = p->count;
		} else {
			t = in->t_end;
			b = in->end_bytes;
			c = in->end_count;
		}
		dt = t - mt;
		sxx += dt * dt;
		sxb += dt * (b - mb);
		sxc += dt * (c - mc);
	}
	/* Fewer than two distinct times: every dt is 0, no slope. */
	if (!(sxx > 0))
		return;
	ret->slope_bytes_per_s = sxb / sxx;
	ret->slope_count_per_s = sxc / sxx;
}

void lw_trend__classify(const struct lw_trend_input *in,
			struct lw_trend_result *ret)
{
	unsigned n = in->nr_segments, k, with = 0;
	uint64_t y1, y_end = in->end_bytes;
	double b1;

	if (n < 1)
		n = 1;
	if (n > LW_TREND_MAX_SEGMENTS)
		n = LW_TREND_MAX_SEGMENTS;

	ret->verdict = LW_VERDICT_STABLE;
	ret->slope_bytes_per_s = 0;
	ret->slope_count_per_s = 0;

	for (k = 0; in->survivors && k < n; k++)
		if (in->survivors[k] > 0)
			with++;
	ret->segments_with_survivors = with;

	/* y1: the live amount when the first segment ended. */
	b1 = in->t_start + (in->t_end - in->t_start) / n;
	y1 = bytes_at(in->pts, in->nr_pts, b1);

	if (with == n && y_end > y1 && in->end_count >= n)
		ret->verdict = LW_VERDICT_LEAK;
	else if (with >= 2 && y_end > y1 && (y1 == 0 || y_end > y1 + y1 / 10))
		ret->verdict = LW_VERDICT_GROWING;

	fit_slopes(in, ret);
}

void lw_series__append(struct lw_series *s, unsigned cap,
		       const struct lw_point *p)
{
	struct lw_point *n;
	size_t i, want;

	if (s->nr == s->alloc && s->alloc < cap) {
		want = s->alloc ? s->alloc * 2 : 16;
		if (want > cap)
			want = cap;
		n = realloc(s->pts, want * sizeof(*n));
		if (n) {
			s->pts = n;
			s->alloc = want;
		}
	}
	/* Full (or out of memory): keep every other point, first included. */
	if (s->nr == s->alloc) {
		if (!s->alloc)
			return;
		for (i = 0; 2 * i < s->nr; i++)
			s->pts[i] = s->pts[2 * i];
		s->nr = i;
	}
	s->pts[s->nr++] = *p;
}

void lw_series__trim(struct lw_series *s, double t_min)
{
	size_t drop = 0;

	/* Keep the last point at or before t_min: it is the amount then. */
	while (drop + 1 < s->nr && s->pts[drop + 1].t_s <= t_min)
		drop++;
	if (!drop)
		return;
	memmove(s->pts, s->pts + drop, (s->nr - drop) * sizeof(*s->pts));
	s->nr -= drop;
}

void lw_trend__steady(const struct lw_steady_input *in,
		      struct lw_steady_result *ret)
{
	double sum[LW_TREND_MAX_SEGMENTS] = { 0 };
	double lo[LW_TREND_MAX_SEGMENTS], hi[LW_TREND_MAX_SEGMENTS];
	size_t cnt[LW_TREND_MAX_SEGMENTS] = { 0 };
	double mean[LW_TREND_MAX_SEGMENTS];
	unsigned n = in->nr_segments ? in->nr_segments : 4, k;
	double st = 0, sv = 0, sxx = 0, sxv = 0, mt, mv, rise, step_sum;
	size_t i, min_points;
	bool monotone = true;

	if (n < 2)
		n = 2;
	if (n > LW_TREND_MAX_SEGMENTS)
		n = LW_TREND_MAX_SEGMENTS;
	memset(ret, 0, sizeof(*ret));
	ret->verdict = LW_VERDICT_STABLE;
	min_points = in->min_points ? in->min_points : 2 * n;

	for (i = 0; i < in->nr_pts; i++) {
		const struct lw_point *p = &in->pts[i];
		double v = (double)p->bytes;

		if (p->t_s < in->t_start || p->t_s > in->t_end)
			continue;
		k = lw_trend__segment(p->t_s, in->t_start, in->t_end, n);
		if (!cnt[k] || v < lo[k])
			lo[k] = v;
		if (!cnt[k] || v > hi[k])
			hi[k] = v;
		sum[k] += v;
		cnt[k]++;
		st += p->t_s;
		sv += v;
		ret->nr_points++;
	}
	if (ret->nr_points >= 2) {
		mt = st / ret->nr_points;
		mv = sv / ret->nr_points;
		for (i = 0; i < in->nr_pts; i++) {
			const struct lw_point *p = &in->pts[i];

			if (p->t_s < in->t_start || p->t_s > in->t_end)
				continue;
			sxx += (p->t_s - mt) * (p->t_s - mt);
			sxv += (p->t_s - mt) * ((double)p->bytes - mv);
		}
		if (sxx > 0)
			ret->slope_per_s = sxv / sxx;
	}
	for (k = 0; k < n; k++)
		if (!cnt[k])
			return; /* a hole: too little to tell */
	if (ret->nr_points < min_points)
		return;
	for (k = 0; k < n; k++)
		mean[k] = sum[k] / cnt[k];
	ret->first_mean = mean[0];
	ret->last_mean = mean[n - 1];
	rise = mean[n - 1] - mean[0];
	if (!(rise >= in->min_rise && rise >= in->rel_rise * mean[0] &&
	      rise > 0 && ret->slope_per_s > 0))
		return;
	ret->verdict = LW_VERDICT_GROWING;
	step_sum = 0;
	for (k = 1; k < n; k++) {
		if (!(mean[k] > mean[k - 1]))
			monotone = false;
		step_sum += mean[k] - mean[k - 1];
	}
	if (monotone && lo[n - 1] > hi[0] &&
	    (mean[n - 1] - mean[n - 2]) * 4 * (n - 1) >= step_sum)
		ret->verdict = LW_VERDICT_LEAK;
}
