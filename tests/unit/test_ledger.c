/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/ledger.c: exact per-site accounting of heap blocks and
 * anonymous mappings, series decimation, and reports on synthetic timelines.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ledger.h"
#include "lwtest.h"

#define T0 1000000000ULL /* session start, ns */
#define SEC 1000000000ULL
#define PG 4096ULL
#define MAP_FIXED_FLAG 0x10

/* Nanosecond timestamp s seconds into the session. */
static uint64_t at(double s)
{
	return T0 + (uint64_t)(s * SEC);
}

static const struct lw_site_report *find_site(const struct lw_alloc_report *r,
					      uint64_t stack_id)
{
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if (r->sites[i].stack_id == stack_id)
			return &r->sites[i];
	return NULL;
}

/* Assert a site's live amounts; a site expected empty must be absent. */
static bool check_live(const struct lw_alloc_report *r, uint64_t stack_id,
		       uint64_t count, uint64_t bytes, const char *name)
{
	const struct lw_site_report *s = find_site(r, stack_id);

	if (!count)
		return ASSERT_TRUE(s == NULL, name);
	if (!ASSERT_NOT_NULL(s, name))
		return false;
	return ASSERT_U64_EQ(s->live_count, count, name) &
	       ASSERT_U64_EQ(s->live_bytes, bytes, name);
}

static void test_malloc_free_realloc(void)
{
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	const struct lw_site_report *s;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x1000, 100, 1, at(1)), "a");
	ASSERT_OK(lw_ledger__alloc(l, LW_K_CALLOC, 0x2000, 50, 1, at(2)), "b");
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x3000, 10, 2, at(3)), "c");
	lw_ledger__release(l, 0x2000, at(4));
	/* realloc(0x1000, 200) moving to 0x4000: release old, alloc new. */
	lw_ledger__release(l, 0x1000, at(5));
	ASSERT_OK(lw_ledger__alloc(l, LW_K_REALLOC, 0x4000, 200, 3, at(5)),
		  "d");
	/* realloc in place: same address, new size, new site. */
	lw_ledger__release(l, 0x3000, at(6));
	ASSERT_OK(lw_ledger__alloc(l, LW_K_REALLOC, 0x3000, 30, 2, at(6)),
		  "e");

	if (!ASSERT_OK(lw_ledger__report(l, at(10), NULL, &r), "report"))
		goto out;
	ASSERT_EQ(r.nr_sites, 2, "empty site 1 omitted");
	check_live(&r, 1, 0, 0, "site 1");
	check_live(&r, 2, 1, 30, "site 2");
	check_live(&r, 3, 1, 200, "site 3");
	s = find_site(&r, 2);
	if (s) {
		ASSERT_U64_EQ(s->total_allocs, 2, "site 2 allocs");
		ASSERT_U64_EQ(s->total_frees, 1, "site 2 frees");
		ASSERT_U64_EQ(s->total_bytes, 40, "site 2 total bytes");
		ASSERT_EQ(s->kind, LW_K_MALLOC, "kind of first alloc");
		ASSERT_NEAR(s->oldest_age_s, 4, 1e-9, "oldest age");
		ASSERT_TRUE(s->ips == NULL && s->nr_ips == 0, "no stack");
		ASSERT_TRUE(s->frames == NULL, "frames");
	}
	ASSERT_U64_EQ(r.live_count, 2, "live count");
	ASSERT_U64_EQ(r.live_bytes, 230, "live bytes");
	ASSERT_U64_EQ(r.total_allocs, 5, "total allocs");
	ASSERT_U64_EQ(r.total_frees, 3, "total frees");
	ASSERT_U64_EQ(r.unknown_frees, 0, "unknown frees");
	ASSERT_NEAR(r.window_start_s, 0, 0, "window start");
	ASSERT_NEAR(r.window_end_s, 6, 1e-9, "window end at last event");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_double_alloc_unknown_free(void)
{
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	const struct lw_site_report *s;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x1000, 100, 1, at(1)), "a");
	/* The free of 0x1000 was lost: the old block goes first. */
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x1000, 30, 2, at(2)), "b");
	lw_ledger__release(l, 0xdead0, at(3));
	lw_ledger__release(l, 0xdead0, at(3));
	if (!ASSERT_OK(lw_ledger__report(l, at(4), NULL, &r), "report"))
		goto out;
	check_live(&r, 1, 0, 0, "old site emptied");
	check_live(&r, 2, 1, 30, "new site");
	ASSERT_U64_EQ(r.total_allocs, 2, "allocs");
	ASSERT_U64_EQ(r.total_frees, 1, "implicit free counted");
	ASSERT_U64_EQ(r.unknown_frees, 2, "unknown frees");
	ASSERT_U64_EQ(r.live_count, 1, "live");
	s = find_site(&r, 2);
	ASSERT_TRUE(s && s->total_frees == 0, "new site has no frees");
	lw_alloc_report__clear(&r);

	/* The block at 0x1000 is freed once; the second free is unknown. */
	lw_ledger__release(l, 0x1000, at(5));
	lw_ledger__release(l, 0x1000, at(5));
	if (!ASSERT_OK(lw_ledger__report(l, at(6), NULL, &r), "report 2"))
		goto out;
	ASSERT_EQ(r.nr_sites, 0, "nothing live");
	ASSERT_U64_EQ(r.unknown_frees, 3, "unknown frees 2");
	ASSERT_U64_EQ(r.live_bytes, 0, "no live bytes");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_mmap_split(void)
{
	const uint64_t a = 0x7f0000000000ULL;
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	const struct lw_site_report *s;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__mmap(l, a, 3 * PG, 0x22, 7, at(1)), "mmap");
	/* Middle page of three: two blocks remain. */
	ASSERT_OK(lw_ledger__munmap(l, a + PG, PG, at(2)), "munmap middle");
	if (!ASSERT_OK(lw_ledger__report(l, at(3), NULL, &r), "report"))
		goto out;
	check_live(&r, 7, 2, 2 * PG, "split in two");
	s = find_site(&r, 7);
	if (s) {
		ASSERT_EQ(s->kind, LW_K_MMAP, "kind");
		ASSERT_U64_EQ(s->total_allocs, 1, "allocs");
		ASSERT_U64_EQ(s->total_frees, 0, "no free yet");
		ASSERT_U64_EQ(s->total_bytes, 3 * PG, "total bytes");
		ASSERT_NEAR(s->oldest_age_s, 2, 1e-9, "pieces keep birth");
	}
	lw_alloc_report__clear(&r);

	/* Unmapping the hole again changes nothing. */
	ASSERT_OK(lw_ledger__munmap(l, a + PG, PG, at(3)), "munmap hole");
	/* First piece entirely, then a range past the end of the last. */
	ASSERT_OK(lw_ledger__munmap(l, a, PG, at(4)), "munmap first");
	if (!ASSERT_OK(lw_ledger__report(l, at(5), NULL, &r), "report 2"))
		goto out;
	check_live(&r, 7, 1, PG, "one left");
	ASSERT_U64_EQ(r.total_frees, 1, "one freed");
	lw_alloc_report__clear(&r);

	/* Trim the tail of a region: still one block. */
	ASSERT_OK(lw_ledger__mmap(l, a + 16 * PG, 4 * PG, 0x22, 8, at(5)),
		  "mmap 2");
	ASSERT_OK(lw_ledger__munmap(l, a + 19 * PG, 8 * PG, at(5)), "tail");
	ASSERT_OK(lw_ledger__munmap(l, a + 15 * PG, 2 * PG, at(5)), "head");
	ASSERT_OK(lw_ledger__munmap(l, a + 2 * PG, 4 * PG, at(6)), "last");
	if (!ASSERT_OK(lw_ledger__report(l, at(7), NULL, &r), "report 3"))
		goto out;
	check_live(&r, 7, 0, 0, "site 7 gone");
	check_live(&r, 8, 1, 2 * PG, "trimmed both ends");
	ASSERT_U64_EQ(r.total_frees, 2, "frees");
	ASSERT_U64_EQ(r.live_count, 1, "live count");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

/* One munmap spanning several regions and the gaps between them. */
static void test_munmap_many(void)
{
	const uint64_t a = 0x7f0000000000ULL;
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	int i;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	/* Regions of 2 pages every 4 pages: [0,2) [4,6) [8,10) [12,14). */
	for (i = 3; i >= 0; i--)
		ASSERT_OK(lw_ledger__mmap(l, a + 4 * i * PG, 2 * PG, 0, i + 1,
					  at(1)),
			  "mmap");
	/* Cut pages [1, 13): trims 1 and 4, removes 2 and 3. */
	ASSERT_OK(lw_ledger__munmap(l, a + PG, 12 * PG, at(2)), "munmap");
	if (!ASSERT_OK(lw_ledger__report(l, at(3), NULL, &r), "report"))
		goto out;
	check_live(&r, 1, 1, PG, "head trimmed");
	check_live(&r, 2, 0, 0, "removed");
	check_live(&r, 3, 0, 0, "removed");
	check_live(&r, 4, 1, PG, "tail trimmed");
	ASSERT_U64_EQ(r.total_frees, 2, "frees");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_map_fixed(void)
{
	const uint64_t a = 0x7f0000000000ULL;
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__mmap(l, a, 4 * PG, 0x22, 1, at(1)), "mmap");
	ASSERT_OK(lw_ledger__mmap(l, a + PG, PG, 0x22 | MAP_FIXED_FLAG, 2,
				  at(2)),
		  "fixed inside");
	if (!ASSERT_OK(lw_ledger__report(l, at(3), NULL, &r), "report"))
		goto out;
	check_live(&r, 1, 2, 3 * PG, "old region cut in two");
	check_live(&r, 2, 1, PG, "fixed mapping");
	lw_alloc_report__clear(&r);

	/* A fixed mapping over everything replaces all three pieces. */
	ASSERT_OK(lw_ledger__mmap(l, a - PG, 6 * PG, MAP_FIXED_FLAG, 3, at(4)),
		  "fixed over");
	if (!ASSERT_OK(lw_ledger__report(l, at(5), NULL, &r), "report 2"))
		goto out;
	check_live(&r, 1, 0, 0, "site 1 replaced");
	check_live(&r, 2, 0, 0, "site 2 replaced");
	check_live(&r, 3, 1, 6 * PG, "site 3");
	ASSERT_U64_EQ(r.total_allocs, 3, "allocs");
	ASSERT_U64_EQ(r.total_frees, 3, "frees");
	ASSERT_U64_EQ(r.live_bytes, 6 * PG, "live bytes");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_mremap(void)
{
	const uint64_t a = 0x7f0000000000ULL, b = 0x7f1000000000ULL;
	const uint64_t c = 0x7f2000000000ULL;
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	const struct lw_site_report *s;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__mmap(l, a, 2 * PG, 0x22, 1, at(1)), "mmap");
	/* Move and grow. */
	ASSERT_OK(lw_ledger__mremap(l, a, 2 * PG, b, 4 * PG, at(5)), "move");
	/* Untracked ranges and zero old length are ignored. */
	ASSERT_OK(lw_ledger__mremap(l, c, PG, c + PG, PG, at(6)), "untracked");
	ASSERT_OK(lw_ledger__mremap(l, b, 0, c, PG, at(6)), "old_len 0");
	ASSERT_OK(lw_ledger__munmap(l, a, 2 * PG, at(6)), "old range");
	if (!ASSERT_OK(lw_ledger__report(l, at(11), NULL, &r), "report"))
		goto out;
	check_live(&r, 1, 1, 4 * PG, "moved");
	s = find_site(&r, 1);
	if (s) {
		ASSERT_NEAR(s->oldest_age_s, 10, 1e-9, "keeps birth time");
		ASSERT_EQ(s->kind, LW_K_MMAP, "kind");
	}
	ASSERT_NEAR(r.window_end_s, 6, 1e-9, "window end");
	lw_alloc_report__clear(&r);

	/* Shrink in place, then grow in place. */
	ASSERT_OK(lw_ledger__mremap(l, b, 4 * PG, b, PG, at(7)), "shrink");
	if (!ASSERT_OK(lw_ledger__report(l, at(8), NULL, &r), "report 2"))
		goto out;
	check_live(&r, 1, 1, PG, "shrunk");
	lw_alloc_report__clear(&r);
	ASSERT_OK(lw_ledger__mremap(l, b, PG, b, 3 * PG, at(8)), "grow");
	/* A mapping is still there once: the moved one can be unmapped. */
	if (!ASSERT_OK(lw_ledger__report(l, at(9), NULL, &r), "report 3"))
		goto out;
	check_live(&r, 1, 1, 3 * PG, "grown");
	lw_alloc_report__clear(&r);
	ASSERT_OK(lw_ledger__munmap(l, b, 3 * PG, at(9)), "unmap");
	if (!ASSERT_OK(lw_ledger__report(l, at(10), NULL, &r), "report 4"))
		goto out;
	ASSERT_EQ(r.nr_sites, 0, "all gone");
	ASSERT_U64_EQ(r.live_count, 0, "live 0");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_stacks(void)
{
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	const struct lw_site_report *s;
	uint64_t ips[LW_MAX_STACK + 4];
	unsigned i;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	for (i = 0; i < LW_MAX_STACK + 4; i++)
		ips[i] = 0x400000 + i;
	ASSERT_OK(lw_ledger__add_stack(l, 5, ips, 3), "stack before");
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x10, 8, 5, at(1)), "a");
	/* A stack that arrives after its site exists. */
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x20, 8, 6, at(1)), "b");
	ASSERT_OK(lw_ledger__add_stack(l, 6, ips, LW_MAX_STACK + 4), "after");
	/* An empty record does not erase what is known. */
	ASSERT_OK(lw_ledger__add_stack(l, 5, NULL, 0), "empty");
	/* Stack id 0 is a site like any other. */
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x30, 8, 0, at(1)), "c");
	if (!ASSERT_OK(lw_ledger__report(l, at(2), NULL, &r), "report"))
		goto out;
	ASSERT_EQ(r.nr_sites, 3, "sites");
	s = find_site(&r, 5);
	if (ASSERT_NOT_NULL(s, "site 5")) {
		ASSERT_EQ(s->nr_ips, 3, "nr_ips");
		ASSERT_TRUE(s->ips && s->ips[2] == 0x400002, "ips");
		ASSERT_FALSE(s->stack_truncated, "not truncated");
	}
	s = find_site(&r, 6);
	if (ASSERT_NOT_NULL(s, "site 6")) {
		ASSERT_EQ(s->nr_ips, LW_MAX_STACK, "clamped");
		ASSERT_TRUE(s->stack_truncated, "truncated");
	}
	s = find_site(&r, 0);
	if (ASSERT_NOT_NULL(s, "site 0"))
		ASSERT_TRUE(s->ips == NULL && s->nr_ips == 0, "unknown stack");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_series_halving(void)
{
	struct lw_ledger_opts opts = { .series_cap = 8 };
	struct lw_ledger *l = lw_ledger__new(T0, &opts);
	struct lw_alloc_report r = {};
	const struct lw_site_report *s;
	int i;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x10, 8, 1, at(0)), "a");
	for (i = 1; i <= 8; i++)
		lw_ledger__sample(l, at(i));
	if (!ASSERT_OK(lw_ledger__report(l, at(8), NULL, &r), "report"))
		goto out;
	s = find_site(&r, 1);
	if (!ASSERT_NOT_NULL(s, "site"))
		goto out;
	ASSERT_EQ(s->nr_series, 8, "full");
	ASSERT_NEAR(s->series[7].t_s, 8, 1e-9, "last point");
	ASSERT_U64_EQ(s->series[7].bytes, 8, "bytes");
	ASSERT_U64_EQ(s->series[7].count, 1, "count");
	lw_alloc_report__clear(&r);

	/* The ninth sample halves: t = 1, 3, 5, 7, then 9. */
	lw_ledger__sample(l, at(9));
	if (!ASSERT_OK(lw_ledger__report(l, at(9), NULL, &r), "report 2"))
		goto out;
	s = find_site(&r, 1);
	if (!ASSERT_NOT_NULL(s, "site 2"))
		goto out;
	if (ASSERT_EQ(s->nr_series, 5, "halved")) {
		ASSERT_NEAR(s->series[0].t_s, 1, 1e-9, "p0");
		ASSERT_NEAR(s->series[1].t_s, 3, 1e-9, "p1");
		ASSERT_NEAR(s->series[3].t_s, 7, 1e-9, "p3");
		ASSERT_NEAR(s->series[4].t_s, 9, 1e-9, "p4");
	}
	lw_alloc_report__clear(&r);

	/* Stays bounded however long the session. */
	for (i = 10; i < 1000; i++)
		lw_ledger__sample(l, at(i));
	if (!ASSERT_OK(lw_ledger__report(l, at(1000), NULL, &r), "report 3"))
		goto out;
	s = find_site(&r, 1);
	if (ASSERT_NOT_NULL(s, "site 3")) {
		ASSERT_TRUE(s->nr_series <= 8 && s->nr_series >= 4, "bounded");
		ASSERT_NEAR(s->series[0].t_s, 1, 1e-9, "first kept");
		ASSERT_NEAR(s->series[s->nr_series - 1].t_s, 999, 1e-9,
			    "newest kept");
	}
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

/*
 * 100 s of activity sampled every second, then an idle target reported
 * at 200 s: the window ends at the last event (100 s).
 *  site 1: leaks 100 bytes a second                       -> leak
 *  site 2: a cache of 50 x 1000 bytes filled at 1 s        -> stable
 *  site 3: a queue, each block freed 3 s after its birth   -> stable
 *  site 4: leaks 10 bytes a second during the first half   -> growing
 *  sites 5, 6: one 64-byte block each at 2 s (ties)        -> stable
 * Order: leak, growing, then stable by live bytes (50000, 64, 64, 60),
 * equal bytes by stack id.
 */
static void test_report_timeline(void)
{
	struct lw_ledger *l = lw_ledger__new(T0, NULL);
	struct lw_alloc_report r = {};
	struct lw_alloc_drops drops = {
		.ringbuf_full = 1,
		.stack_failed = 2,
		.stack_rec_lost = 3,
		.inflight_failed = 4,
		.free_lost = 1,
	};
	static const uint64_t order[] = { 1, 4, 2, 5, 6, 3 };
	static const enum lw_verdict verdicts[] = {
		LW_VERDICT_LEAK,   LW_VERDICT_GROWING, LW_VERDICT_STABLE,
		LW_VERDICT_STABLE, LW_VERDICT_STABLE,  LW_VERDICT_STABLE,
	};
	const struct lw_site_report *s;
	uint64_t t, i;
	int err = 0;

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	for (t = 1; t <= 100; t++) {
		uint64_t ts = at(t);

		err |= lw_ledger__alloc(l, LW_K_MALLOC, 0x100000 + t * 16, 100,
					1, ts);
		if (t == 1)
			for (i = 0; i < 50; i++)
				err |= lw_ledger__alloc(l, LW_K_MALLOC,
							0x200000 + i * 16,
							1000, 2, ts);
		if (t == 2) {
			err |= lw_ledger__alloc(l, LW_K_MALLOC, 0x500000, 64,
						6, ts);
			err |= lw_ledger__alloc(l, LW_K_MALLOC, 0x600000, 64,
						5, ts);
		}
		err |= lw_ledger__alloc(l, LW_K_MALLOC, 0x300000 + t * 16, 20,
					3, ts);
		if (t > 3)
			lw_ledger__release(l, 0x300000 + (t - 3) * 16, ts);
		if (t < 50)
			err |= lw_ledger__alloc(l, LW_K_MALLOC,
						0x400000 + t * 16, 10, 4, ts);
		lw_ledger__sample(l, ts);
	}
	ASSERT_OK(err, "events");
	/* Idle for 100 s: samples continue, events do not. */
	for (t = 101; t <= 200; t++)
		lw_ledger__sample(l, at(t));

	if (!ASSERT_OK(lw_ledger__report(l, at(200), &drops, &r), "report"))
		goto out;
	ASSERT_NEAR(r.window_start_s, 0, 0, "window start");
	ASSERT_NEAR(r.window_end_s, 100, 1e-9, "window ends at last event");
	/* 1 + 2 + 4: stack_rec_lost and free_lost are parts of ringbuf_full */
	ASSERT_U64_EQ(r.dropped_events, 7, "drops summed");
	ASSERT_U64_EQ(r.drops.free_lost, 1, "drops copied");
	ASSERT_U64_EQ(r.drops.inflight_failed, 4, "drops copied 2");
	if (!ASSERT_EQ(r.nr_sites, 6, "sites"))
		goto out;
	for (i = 0; i < 6; i++) {
		ASSERT_U64_EQ(r.sites[i].stack_id, order[i], "order");
		ASSERT_EQ(r.sites[i].verdict, verdicts[i], "verdict");
	}
	s = find_site(&r, 1);
	if (s) {
		ASSERT_U64_EQ(s->live_count, 100, "leak count");
		ASSERT_EQ(s->segments, 4, "segments");
		ASSERT_EQ(s->segments_with_survivors, 4, "leak survivors");
		ASSERT_NEAR(s->growth_bytes_per_s, 100, 1.0, "leak rate");
		ASSERT_NEAR(s->oldest_age_s, 199, 1e-9, "leak oldest");
		ASSERT_EQ(s->nr_series, 200, "series");
	}
	s = find_site(&r, 2);
	if (s) {
		ASSERT_EQ(s->segments_with_survivors, 1, "cache survivors");
		ASSERT_NEAR(s->growth_bytes_per_s, 0, 1e-9, "cache flat");
	}
	s = find_site(&r, 3);
	if (s) {
		ASSERT_U64_EQ(s->live_count, 3, "queue depth");
		ASSERT_EQ(s->segments_with_survivors, 1, "queue survivors");
		ASSERT_U64_EQ(s->total_frees, 97, "queue frees");
	}
	s = find_site(&r, 4);
	if (s)
		ASSERT_EQ(s->segments_with_survivors, 2, "growing survivors");
	ASSERT_U64_EQ(r.live_count, 100 + 50 + 3 + 49 + 2, "live total");
	ASSERT_U64_EQ(r.live_bytes, 10000 + 50000 + 60 + 490 + 128, "bytes");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

static void test_window_edges(void)
{
	struct lw_ledger_opts opts = { .segments = 2 };
	struct lw_ledger *l = lw_ledger__new(T0, &opts);
	struct lw_alloc_report r = {};

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	/* No event yet: the window is the whole session. */
	if (!ASSERT_OK(lw_ledger__report(l, at(7), NULL, &r), "empty"))
		goto out;
	ASSERT_NEAR(r.window_end_s, 7, 1e-9, "no events: now");
	ASSERT_EQ(r.nr_sites, 0, "no sites");
	ASSERT_TRUE(r.sites == NULL, "no array");
	lw_alloc_report__clear(&r);

	/* An event stamped after now: clamped to now. */
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x10, 8, 1, at(9)), "a");
	if (!ASSERT_OK(lw_ledger__report(l, at(8), NULL, &r), "future"))
		goto out;
	ASSERT_NEAR(r.window_end_s, 8, 1e-9, "clamped to now");
	if (ASSERT_EQ(r.nr_sites, 1, "one site")) {
		ASSERT_EQ(r.sites[0].segments, 2, "segments from opts");
		ASSERT_NEAR(r.sites[0].oldest_age_s, 0, 0, "age not negative");
	}
	lw_alloc_report__clear(&r);

	/* An event stamped before the session start is born in segment 0. */
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x20, 8, 2, T0 - SEC),
		  "b");
	lw_ledger__release(l, 0x10, T0 - SEC);
	if (!ASSERT_OK(lw_ledger__report(l, at(0), NULL, &r), "past"))
		goto out;
	ASSERT_NEAR(r.window_end_s, 0, 0, "end at start");
	if (ASSERT_EQ(r.nr_sites, 1, "one site"))
		ASSERT_EQ(r.sites[0].verdict, LW_VERDICT_STABLE, "stable");
out:
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

/*
 * Sampling: each live heap block stands for 1 / (1 - exp(-size / mean))
 * blocks; mmap regions are never sampled (weight 1); a released block
 * takes its weight away exactly.
 */
static void test_sampling_weights(void)
{
	struct lw_ledger_opts o = { .sample_bytes = 1000 };
	struct lw_ledger *l = lw_ledger__new(T0, &o);
	struct lw_alloc_report r = {};
	double w = 1 / (1 - exp(-1.0)); /* 1.58198 for size == mean */

	if (!ASSERT_NOT_NULL(l, "new"))
		return;
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x1000, 1000, 7, T0 + 1),
		  "alloc");
	ASSERT_OK(lw_ledger__alloc(l, LW_K_MALLOC, 0x2000, 1000, 7, T0 + 2),
		  "alloc");
	ASSERT_OK(lw_ledger__mmap(l, 0x100000, 8192, 0, 9, T0 + 3), "mmap");
	if (ASSERT_OK(lw_ledger__report(l, T0 + 10, NULL, &r), "report")) {
		ASSERT_U64_EQ(r.sample_bytes, 1000, "sample_bytes");
		ASSERT_EQ(r.nr_sites, 2, "sites");
		/* 2 * 1.582 = 3.16 -> 3 blocks, 3164 bytes; mmap exact */
		ASSERT_U64_EQ(r.live_count, (uint64_t)llround(2 * w) + 1,
			      "total count");
		ASSERT_U64_EQ(r.live_bytes,
			      (uint64_t)llround(2 * w * 1000) + 8192,
			      "total bytes");
		for (size_t i = 0; i < r.nr_sites; i++) {
			const struct lw_site_report *s = &r.sites[i];

			if (s->stack_id == 7) {
				ASSERT_U64_EQ(s->sampled_live_count, 2, "raw");
				ASSERT_U64_EQ(s->live_bytes,
					      (uint64_t)llround(2 * w * 1000),
					      "heap estimate");
			} else {
				ASSERT_U64_EQ(s->live_count, 1, "mmap count");
				ASSERT_U64_EQ(s->live_bytes, 8192, "mmap bytes");
			}
		}
	}
	lw_alloc_report__clear(&r);
	/* Releasing both leaves nothing, not a rounding residue. */
	lw_ledger__release(l, 0x1000, T0 + 11);
	lw_ledger__release(l, 0x2000, T0 + 12);
	if (ASSERT_OK(lw_ledger__report(l, T0 + 20, NULL, &r), "report 2")) {
		ASSERT_EQ(r.nr_sites, 1, "only the mmap site");
		ASSERT_U64_EQ(r.live_bytes, 8192, "mmap only");
	}
	lw_alloc_report__clear(&r);
	lw_ledger__free(l);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_malloc_free_realloc),
		LWT_CASE(test_double_alloc_unknown_free),
		LWT_CASE(test_mmap_split),
		LWT_CASE(test_munmap_many),
		LWT_CASE(test_map_fixed),
		LWT_CASE(test_mremap),
		LWT_CASE(test_stacks),
		LWT_CASE(test_series_halving),
		LWT_CASE(test_report_timeline),
		LWT_CASE(test_sampling_weights),
		LWT_CASE(test_window_edges),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
