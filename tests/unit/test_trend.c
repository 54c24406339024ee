/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/trend.c: segment arithmetic and the verdict rules of
 * docs/verdicts.md on typical shapes (leak, cache, queue, burst).
 */
#include <stdint.h>

#include "lwtest.h"
#include <stdlib.h>

#include "trend.h"

#define NPTS 101

/* Series sampled every second over [0, 100] from bytes_fn(t). */
static size_t make_series(struct lw_point *pts, uint64_t (*bytes_fn)(double))
{
	size_t i;

	for (i = 0; i < NPTS; i++) {
		pts[i].t_s = i;
		pts[i].bytes = bytes_fn(i);
		pts[i].count = pts[i].bytes / 100;
	}
	return NPTS;
}

static struct lw_trend_input input(const struct lw_point *pts, size_t n,
				   const uint64_t *surv)
{
	struct lw_trend_input in = {
		.pts = pts,
		.nr_pts = n,
		.t_start = 0,
		.t_end = 100,
		.nr_segments = 4,
		.survivors = surv,
		.end_bytes = n ? pts[n - 1].bytes : 0,
		.end_count = n ? pts[n - 1].count : 0,
	};

	return in;
}

static void test_segment(void)
{
	ASSERT_EQ(lw_trend__segment(0, 0, 100, 4), 0, "start");
	ASSERT_EQ(lw_trend__segment(24.9, 0, 100, 4), 0, "inside first");
	ASSERT_EQ(lw_trend__segment(25, 0, 100, 4), 1, "boundary b1");
	ASSERT_EQ(lw_trend__segment(99.9, 0, 100, 4), 3, "inside last");
	ASSERT_EQ(lw_trend__segment(100, 0, 100, 4), 3, "end clamps");
	ASSERT_EQ(lw_trend__segment(-5, 0, 100, 4), 0, "before clamps");
	ASSERT_EQ(lw_trend__segment(500, 0, 100, 4), 3, "after clamps");
	ASSERT_EQ(lw_trend__segment(15, 10, 30, 2), 0, "offset start");
	ASSERT_EQ(lw_trend__segment(20, 10, 30, 2), 1, "offset middle");
	ASSERT_EQ(lw_trend__segment(7, 5, 5, 4), 0, "zero width");
	ASSERT_EQ(lw_trend__segment(7, 9, 5, 4), 0, "negative width");
	ASSERT_EQ(lw_trend__segment(7, 0, 10, 0), 0, "no segments");
	ASSERT_EQ(lw_trend__segment(7, 0, 10, 1), 0, "one segment");
}

static uint64_t steady(double t)
{
	return 1000 * (uint64_t)t;
}

/* A steady leak: survivors from every segment, still growing. */
static void test_steady_leak(void)
{
	static const uint64_t surv[4] = { 250, 250, 250, 250 };
	struct lw_point pts[NPTS];
	struct lw_trend_input in = input(pts, make_series(pts, steady), surv);
	struct lw_trend_result r;

	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_LEAK, "verdict");
	ASSERT_EQ(r.segments_with_survivors, 4, "segments");
	ASSERT_NEAR(r.slope_bytes_per_s, 1000, 1e-6, "slope bytes");
	ASSERT_NEAR(r.slope_count_per_s, 10, 1e-6, "slope count");
}

static uint64_t fill_once(double t)
{
	return t < 5 ? 0 : 100000;
}

/* A cache filled once early: survivors only from the filling. */
static void test_fill_once(void)
{
	static const uint64_t surv[4] = { 1000, 0, 0, 0 };
	struct lw_point pts[NPTS];
	struct lw_trend_input in =
		input(pts, make_series(pts, fill_once), surv);
	struct lw_trend_result r;

	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "verdict");
	ASSERT_EQ(r.segments_with_survivors, 1, "segments");

	/* Even if the cache is still filling at the end of segment 0, a
	 * single segment of survivors is never growth. */
	pts[25].bytes = 10;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "still stable");
}

static uint64_t queue(double t)
{
	return 5000 + ((uint64_t)t % 7) * 100;
}

/* A bounded queue: everything live was born in the last moments. */
static void test_bounded_queue(void)
{
	static const uint64_t surv[4] = { 0, 0, 0, 50 };
	struct lw_point pts[NPTS];
	struct lw_trend_input in = input(pts, make_series(pts, queue), surv);
	struct lw_trend_result r;

	in.end_bytes = 5600;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "verdict");
	ASSERT_EQ(r.segments_with_survivors, 1, "segments");
}

static uint64_t first_half(double t)
{
	return t < 50 ? 2000 * (uint64_t)t : 100000;
}

/* Leaked during the first half only, then stopped: growing, not leak. */
static void test_leak_first_half(void)
{
	static const uint64_t surv[4] = { 500, 500, 0, 0 };
	struct lw_point pts[NPTS];
	struct lw_trend_input in =
		input(pts, make_series(pts, first_half), surv);
	struct lw_trend_result r;

	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "verdict");
	ASSERT_EQ(r.segments_with_survivors, 2, "segments");
	ASSERT_TRUE(r.slope_bytes_per_s > 0, "positive slope");
}

static uint64_t flat(double t)
{
	return t < 1 ? 0 : 100000;
}

/* A filled cache plus one late block: growth under 10% stays stable. */
static void test_flat_late_block(void)
{
	static const uint64_t surv[4] = { 1000, 0, 0, 1 };
	struct lw_point pts[NPTS];
	struct lw_trend_input in = input(pts, make_series(pts, flat), surv);
	struct lw_trend_result r;

	in.end_bytes = 100000 + 64;
	in.end_count = 1001;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "small late block");
	ASSERT_EQ(r.segments_with_survivors, 2, "segments");

	/* Over 10% more than at b1 is growth, though. */
	in.end_bytes = 100000 + 10001;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "large late block");
	in.end_bytes = 100000 + 10000;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "exactly 10% is not growth");
}

/* The leak rule's other two conditions. */
static void test_leak_conditions(void)
{
	static const uint64_t surv[4] = { 1, 1, 1, 1 };
	struct lw_point pts[NPTS];
	struct lw_trend_input in = input(pts, make_series(pts, steady), surv);
	struct lw_trend_result r;

	/* Fewer live blocks than segments. */
	in.end_count = 3;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "count < n");
	in.end_count = 4;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_LEAK, "count == n");

	/* No more bytes at the end than after the first segment. */
	in.end_bytes = pts[25].bytes;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "y_end == y1");

	/* y1 == 0: any growth counts. */
	in.nr_pts = 0;
	in.end_bytes = 1;
	in.end_count = 4;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_LEAK, "y1 0, all segments");
	in.survivors = (const uint64_t[4]){ 1, 0, 0, 1 };
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "y1 0, two segments");
}

static void test_degenerate(void)
{
	static const uint64_t surv[4] = { 3, 0, 0, 0 };
	struct lw_point one = { .t_s = 0, .bytes = 300, .count = 3 };
	struct lw_trend_input in = {
		.pts = NULL,
		.nr_pts = 0,
		.t_start = 0,
		.t_end = 0,
		.nr_segments = 4,
		.survivors = NULL,
		.end_bytes = 300,
		.end_count = 3,
	};
	struct lw_trend_result r;

	/* Nothing but the end point. */
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "empty");
	ASSERT_EQ(r.segments_with_survivors, 0, "no survivors");
	ASSERT_NEAR(r.slope_bytes_per_s, 0, 0, "no slope");

	/* Zero-width window with a point at the same time: one distinct
	 * time, so no slope either. */
	in.pts = &one;
	in.nr_pts = 1;
	in.survivors = surv;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "zero width");
	ASSERT_EQ(r.segments_with_survivors, 1, "one segment");
	ASSERT_NEAR(r.slope_bytes_per_s, 0, 0, "zero width slope");

	/* One segment: everything survives in it; y1 is the end value. */
	in.t_end = 10;
	in.nr_segments = 1;
	lw_trend__classify(&in, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "one segment");
	ASSERT_NEAR(r.slope_bytes_per_s, 0, 1e-9, "flat slope");
}

/* Points outside the window do not bend the slope. */
static void test_slope_window(void)
{
	struct lw_point pts[] = {
		{ .t_s = 1, .bytes = 999999 },	{ .t_s = 2, .bytes = 100 },
		{ .t_s = 4, .bytes = 300 },	{ .t_s = 6, .bytes = 500 },
		{ .t_s = 9, .bytes = 999999 },
	};
	struct lw_trend_input in = {
		.pts = pts,
		.nr_pts = 5,
		.t_start = 2,
		.t_end = 8,
		.nr_segments = 2,
		.end_bytes = 700,
		.end_count = 7,
	};
	struct lw_trend_result r;

	lw_trend__classify(&in, &r);
	ASSERT_NEAR(r.slope_bytes_per_s, 100, 1e-9, "slope bytes");
	ASSERT_NEAR(r.slope_count_per_s, 1.05, 1e-9, "slope count");
}

/* A quantity sampled every 30 s over a 600 s window. */
static size_t fill(struct lw_point *pts, double (*f)(double t))
{
	size_t i;

	for (i = 0; i <= 20; i++) {
		pts[i].t_s = 30.0 * i;
		pts[i].bytes = pts[i].count = (uint64_t)f(pts[i].t_s);
	}
	return 21;
}

static double rising(double t) { return 100e6 + 2000 * t + ((int)t % 60 ? 40e3 : 0); }
static double flat_noisy(double t) { return 100e6 + (((int)t / 30) % 3) * 300e3; }
static double warm_up(double t) { return t < 120 ? 50e6 + t * 100e3 : 62e6; }
static double levelling(double t) { return t < 300 ? 10e6 + t * 20e3 : 16e6 + (t - 300) * 100; }
static double step_once(double t) { return t < 300 ? 10 : 40; }
static double threads_up(double t) { return 8 + t / 20; }

static void run_steady(const struct lw_point *pts, size_t nr, double min_rise,
		   struct lw_steady_result *r)
{
	struct lw_steady_input in = {
		.pts = pts,
		.nr_pts = nr,
		.t_start = 0,
		.t_end = 600,
		.min_rise = min_rise,
		.rel_rise = 0.005,
	};

	lw_trend__steady(&in, r);
}

static void test_steady_quantity(void)
{
	struct lw_point pts[32];
	struct lw_steady_result r;
	size_t n;

	n = fill(pts, rising);
	run_steady(pts, n, 256 << 10, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_LEAK, "2 KB/s over 100 MB: leak");
	ASSERT_NEAR(r.slope_per_s, 2000, 40, "its slope");
	ASSERT_EQ(r.nr_points, 21, "points in the window");

	n = fill(pts, flat_noisy);
	run_steady(pts, n, 256 << 10, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "noise is stable");

	n = fill(pts, warm_up);
	run_steady(pts, n, 256 << 10, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "warm-up then flat: growing");

	n = fill(pts, levelling);
	run_steady(pts, n, 256 << 10, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "levelled off: not a leak");

	n = fill(pts, step_once);
	run_steady(pts, n, 3, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_GROWING, "one step: growing");

	n = fill(pts, threads_up);
	run_steady(pts, n, 3, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_LEAK, "a thread every 20 s: leak");

	/* Too few points: the first three minutes of a watch. */
	run_steady(pts, 6, 3, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "holes: no verdict yet");
	run_steady(pts, n, 1e9, &r);
	ASSERT_EQ(r.verdict, LW_VERDICT_STABLE, "under the minimum rise");
}

static void test_series_trim(void)
{
	struct lw_series s = { 0 };
	struct lw_point p = { 0 };
	int i;

	for (i = 0; i < 10; i++) {
		p.t_s = i;
		p.bytes = i;
		lw_series__append(&s, 64, &p);
	}
	lw_series__trim(&s, 4.5);
	ASSERT_EQ(s.nr, 6, "kept 4..9");
	ASSERT_NEAR(s.pts[0].t_s, 4, 0, "the amount at 4.5 is known");
	lw_series__trim(&s, 100);
	ASSERT_EQ(s.nr, 1, "the last point always stays");
	lw_series__trim(&s, -1);
	ASSERT_EQ(s.nr, 1, "nothing before");
	free(s.pts);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_segment),
		LWT_CASE(test_steady_leak),
		LWT_CASE(test_fill_once),
		LWT_CASE(test_bounded_queue),
		LWT_CASE(test_leak_first_half),
		LWT_CASE(test_flat_late_block),
		LWT_CASE(test_leak_conditions),
		LWT_CASE(test_degenerate),
		LWT_CASE(test_slope_window),
		LWT_CASE(test_steady_quantity),
		LWT_CASE(test_series_trim),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
