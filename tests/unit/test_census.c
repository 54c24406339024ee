/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Unit tests for census.c: births, deaths, snapshots, verdicts. */
#include <stdlib.h>

#include "census.h"
#include "lwtest.h"

#define SEC 1000000000ull
#define T0 (100 * SEC)

static const struct lw_census_site *find(const struct lw_census_site *s,
					 size_t nr, uint64_t key)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (s[i].site == key)
			return &s[i];
	return NULL;
}

/*
 * Site 1 gains one member per second for 20 s and none dies (a leak);
 * site 2 is a pool of 4 born before the session (stable); site 3 churns:
 * each member lives half a second (nothing live at the end).
 */
static void test_verdicts(void)
{
	struct lw_census *c = lw_census__new(T0, NULL);
	struct lw_census_site *r = NULL;
	const struct lw_census_site *s;
	size_t nr = 0;
	uint64_t t, id = 1000;
	int i;

	if (!ASSERT_NOT_NULL(c, "new"))
		return;
	for (i = 0; i < 4; i++)
		ASSERT_OK(lw_census__birth(c, 500 + i, 2, 0), "pool birth");
	for (t = 1; t <= 20; t++) {
		ASSERT_OK(lw_census__birth(c, t, 1, T0 + t * SEC), "leak birth");
		ASSERT_OK(lw_census__birth(c, id, 3, T0 + t * SEC), "churn birth");
		ASSERT_TRUE(lw_census__death(c, id, T0 + t * SEC + SEC / 2),
			    "churn death");
		id++;
		lw_census__sample(c, T0 + t * SEC + SEC / 2);
	}
	ASSERT_FALSE(lw_census__death(c, 424242, T0 + 21 * SEC), "unknown death");
	ASSERT_U64_EQ(lw_census__live(c), 24, "live");
	ASSERT_OK(lw_census__report(c, T0 + 21 * SEC, &r, &nr), "report");
	ASSERT_EQ(nr, 2, "sites with live members");
	if (nr == 2) {
		ASSERT_U64_EQ(r[0].site, 1, "leak first");
		s = find(r, nr, 1);
		ASSERT_EQ(s->verdict, LW_VERDICT_LEAK, "site 1 leak");
		ASSERT_U64_EQ(s->live, 20, "site 1 live");
		ASSERT_U64_EQ(s->births, 20, "site 1 births");
		ASSERT_NEAR(s->growth_per_s, 1.0, 0.05, "site 1 growth");
		ASSERT_NEAR(s->oldest_age_s, 20.0, 1e-6, "site 1 oldest");
		ASSERT_FALSE(s->has_unknown_births, "site 1 births known");
		s = find(r, nr, 2);
		ASSERT_EQ(s->verdict, LW_VERDICT_STABLE, "pool stable");
		ASSERT_U64_EQ(s->live, 4, "pool live");
		ASSERT_U64_EQ(s->births, 0, "pool births before session");
		ASSERT_TRUE(s->has_unknown_births, "pool unknown births");
	}
	free(r);
	lw_census__free(c);
}

/* Snapshots: new ids are born, missing ones die, a reused id moves. */
static void test_snapshots(void)
{
	struct lw_census *c = lw_census__new(T0, NULL);
	struct lw_census_site *r = NULL;
	size_t nr = 0;
	uint64_t site;

	if (!ASSERT_NOT_NULL(c, "new"))
		return;
	lw_census__mark(c);
	ASSERT_OK(lw_census__seen(c, 1, 10, 0), "seen 1");
	ASSERT_OK(lw_census__seen(c, 2, 10, 0), "seen 2");
	ASSERT_OK(lw_census__seen(c, 3, 20, 0), "seen 3");
	ASSERT_EQ(lw_census__sweep(c, T0 + SEC), 0, "first sweep");

	lw_census__mark(c);
	ASSERT_OK(lw_census__seen(c, 1, 10, T0 + 2 * SEC), "seen 1 again");
	ASSERT_OK(lw_census__seen(c, 3, 30, T0 + 2 * SEC), "3 reused");
	ASSERT_OK(lw_census__seen(c, 4, 20, T0 + 2 * SEC), "seen 4");
	ASSERT_EQ(lw_census__sweep(c, T0 + 2 * SEC), 1, "2 died");
	ASSERT_U64_EQ(lw_census__live(c), 3, "live");
	ASSERT_TRUE(lw_census__lookup(c, 3, &site) && site == 30, "3 at 30");
	ASSERT_FALSE(lw_census__lookup(c, 2, &site), "2 gone");

	ASSERT_OK(lw_census__report(c, T0 + 3 * SEC, &r, &nr), "report");
	ASSERT_EQ(nr, 3, "three sites live");
	if (nr == 3) {
		ASSERT_U64_EQ(find(r, nr, 10)->live, 1, "site 10");
		ASSERT_U64_EQ(find(r, nr, 20)->live, 1, "site 20");
		ASSERT_U64_EQ(find(r, nr, 30)->live, 1, "site 30");
		ASSERT_U64_EQ(find(r, nr, 20)->deaths, 1, "3 left site 20");
	}
	free(r);
	lw_census__free(c);
}

/*
 * A sliding window (the daemon): site 1 is a pool of 5 for the first hour,
 * then gains one member every 30 s; site 2 gained members in the first
 * hour only and kept them.  Over the whole session neither would be a
 * leak (site 1 has no survivors from the first hour's segments); over the
 * last 10 minutes site 1 is one and site 2 is flat.
 */
static void test_window(void)
{
	struct lw_census_opts o = { .window_s = 600, .series_cap = 64 };
	struct lw_census *c = lw_census__new(T0, &o);
	struct lw_census_site *r = NULL;
	const struct lw_census_site *s1, *s2;
	uint64_t t, id = 100, now = 0;
	size_t nr = 0;
	int i;

	if (!ASSERT_NOT_NULL(c, "new"))
		return;
	for (i = 0; i < 5; i++)
		ASSERT_OK(lw_census__birth(c, i + 1, 1, T0 + SEC), "pool");
	for (t = 30; t <= 4200; t += 30) {
		now = T0 + t * SEC;
		if (t < 3600)
			ASSERT_OK(lw_census__birth(c, id++, 2, now), "early");
		else
			ASSERT_OK(lw_census__birth(c, id++, 1, now), "late");
		lw_census__sample(c, now);
	}
	ASSERT_OK(lw_census__report(c, now, &r, &nr), "report");
	s1 = find(r, nr, 1);
	s2 = find(r, nr, 2);
	if (ASSERT_NOT_NULL(s1, "site 1") && ASSERT_NOT_NULL(s2, "site 2")) {
		ASSERT_EQ(s1->verdict, LW_VERDICT_LEAK, "late growth: leak");
		ASSERT_NEAR(s1->growth_per_s, 1.0 / 30, 1e-6, "its slope");
		ASSERT_EQ(s2->verdict, LW_VERDICT_STABLE, "flat now: stable");
		ASSERT_TRUE(s1->nr_series <= 22, "series trimmed to the window");
		ASSERT_TRUE(s1->series[0].t_s <= 4200 - 600 &&
				    s1->series[1].t_s > 4200 - 600,
			    "one point before the window kept");
	}
	free(r);
	lw_census__free(c);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_verdicts),
		LWT_CASE(test_snapshots),
		LWT_CASE(test_window),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
