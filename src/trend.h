/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Verdicts: leak / growing / stable for one site, from its live-amount
 * series and from when its surviving blocks were born.  Pure functions;
 * the rules are documented in docs/verdicts.md and must match it.
 */
#ifndef LW_TREND_H
#define LW_TREND_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define LW_TREND_MAX_SEGMENTS 16

struct lw_trend_input {
	const struct lw_point *pts; /* ascending t_s; may extend past t_end */
	size_t nr_pts;
	double t_start, t_end; /* analysis window, seconds since start */
	unsigned nr_segments; /* 1..LW_TREND_MAX_SEGMENTS */
	/* survivors[k]: live blocks born in segment k of the window */
	const uint64_t *survivors;
	uint64_t end_bytes, end_count; /* live amount at t_end */
};

struct lw_trend_result {
	enum lw_verdict verdict;
	double slope_bytes_per_s; /* least squares over pts in the window */
	double slope_count_per_s;
	unsigned segments_with_survivors;
};

void lw_trend__classify(const struct lw_trend_input *in,
			struct lw_trend_result *ret);

/* Segment of t in [t_start, t_end] split in n equal parts (clamped). */
unsigned lw_trend__segment(double t, double t_start, double t_end, unsigned n);

/*
 * A live-amount time series with bounded memory: when cap points are
 * stored, every other point is dropped (the first kept), so long sessions
 * keep their whole history at a coarser step.
 */
struct lw_series {
	struct lw_point *pts;
	size_t nr, alloc;
};

/* Appends p (on ENOMEM the series is halved instead of grown).  cap >= 2. */
void lw_series__append(struct lw_series *s, unsigned cap,
		       const struct lw_point *p);

/*
 * A sliding window: drops the leading points that are no longer needed to
 * know the amount at t_min (every point before the last one at or before
 * t_min).  The daemon keeps only its window this way.
 */
void lw_series__trim(struct lw_series *s, double t_min);

/*
 * Verdicts for one quantity sampled from outside (a process's anonymous
 * memory, its thread or socket count), where no birth times are known.
 * The window [t_start, t_end] is cut into nr_segments; the mean of the
 * points in each is compared:
 *
 *  - leak: every segment's mean above the previous one, the last segment
 *    entirely above the first (its lowest point over the first's highest),
 *    the last step at least a quarter of the mean step (not levelling
 *    off), and the total rise significant;
 *  - growing: a significant rise from the first segment to the last
 *    otherwise;
 *  - stable: anything else, and too few points to tell (fewer than
 *    min_points in the window, or a segment without a point).
 *
 * Significant: at least min_rise and at least rel_rise times the first
 * segment's mean.  Values are the points' .bytes.
 */
struct lw_steady_input {
	const struct lw_point *pts; /* ascending t_s */
	size_t nr_pts;
	double t_start, t_end;
	unsigned nr_segments; /* 2..LW_TREND_MAX_SEGMENTS; 0 = 4 */
	size_t min_points; /* in the window; 0 = 2 per segment */
	double min_rise, rel_rise;
};

struct lw_steady_result {
	enum lw_verdict verdict;
	double slope_per_s; /* least squares over the points in the window */
	double first_mean, last_mean; /* of the first and last segments */
	size_t nr_points; /* in the window */
};

void lw_trend__steady(const struct lw_steady_input *in,
		      struct lw_steady_result *ret);

#endif /* LW_TREND_H */
