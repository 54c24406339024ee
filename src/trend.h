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

#endif /* LW_TREND_H */
