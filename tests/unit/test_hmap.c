/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/hmap.c: basic operations, key 0, growth, deletion
 * churn, iteration, and a randomized comparison with a plain array.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "hmap.h"
#include "lwtest.h"

struct val {
	uint64_t a;
	uint32_t b;
};

/* Deterministic test randomness (splitmix64 step). */
static uint64_t rng_state = 0x1234567;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void test_basic(void)
{
	struct lw_hmap *m = lw_hmap__new(sizeof(struct val), 0);
	struct val *v, out;
	bool created;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	ASSERT_EQ(lw_hmap__count(m), 0, "empty count");
	ASSERT_TRUE(lw_hmap__get(m, 42) == NULL, "get absent");
	ASSERT_FALSE(lw_hmap__del(m, 42, NULL), "del absent");

	v = lw_hmap__put(m, 42, &created);
	if (!ASSERT_NOT_NULL(v, "put"))
		goto out;
	ASSERT_TRUE(created, "created");
	ASSERT_U64_EQ(v->a, 0, "new slot zeroed");
	v->a = 1000;
	v->b = 7;
	v = lw_hmap__put(m, 42, &created);
	ASSERT_FALSE(created, "put existing");
	ASSERT_U64_EQ(v->a, 1000, "existing kept");
	v = lw_hmap__get(m, 42);
	ASSERT_TRUE(v && v->b == 7, "get");
	ASSERT_EQ(lw_hmap__count(m), 1, "count 1");

	ASSERT_TRUE(lw_hmap__del(m, 42, &out), "del");
	ASSERT_U64_EQ(out.a, 1000, "del copies value");
	ASSERT_TRUE(lw_hmap__get(m, 42) == NULL, "gone");
	ASSERT_EQ(lw_hmap__count(m), 0, "count 0");

	/* A reinserted key gets a zeroed value, not the old one. */
	v = lw_hmap__put(m, 42, NULL);
	ASSERT_TRUE(v && v->a == 0 && v->b == 0, "reinsert zeroed");
out:
	lw_hmap__free(m);
}

static void test_key_zero_and_max(void)
{
	struct lw_hmap *m = lw_hmap__new(sizeof(uint64_t), 4);
	struct lw_hmap_iter it;
	uint64_t *v, out = 0;
	bool created, seen0 = false, seen_max = false;
	size_t n = 0;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	ASSERT_TRUE(lw_hmap__get(m, 0) == NULL, "0 absent");
	v = lw_hmap__put(m, 0, &created);
	ASSERT_TRUE(v && created && *v == 0, "put 0");
	*v = 5;
	v = lw_hmap__put(m, UINT64_MAX, &created);
	ASSERT_TRUE(v && created, "put max");
	*v = 6;
	v = lw_hmap__put(m, 0, &created);
	ASSERT_TRUE(v && !created && *v == 5, "put 0 again");
	ASSERT_EQ(lw_hmap__count(m), 2, "count");

	for (lw_hmap__iter_init(&it, m); lw_hmap__iter_next(&it);) {
		n++;
		if (it.key == 0)
			seen0 = *(uint64_t *)it.value == 5;
		if (it.key == UINT64_MAX)
			seen_max = *(uint64_t *)it.value == 6;
	}
	ASSERT_EQ(n, 2, "iter count");
	ASSERT_TRUE(seen0 && seen_max, "iter keys");

	ASSERT_TRUE(lw_hmap__del(m, 0, &out), "del 0");
	ASSERT_U64_EQ(out, 5, "del 0 value");
	ASSERT_FALSE(lw_hmap__del(m, 0, NULL), "del 0 twice");
	ASSERT_TRUE(lw_hmap__get(m, 0) == NULL, "0 gone");
	v = lw_hmap__put(m, 0, &created);
	ASSERT_TRUE(v && created && *v == 0, "0 reinserted zeroed");
	ASSERT_EQ(lw_hmap__count(m), 2, "count after");
	lw_hmap__free(m);
}

static void test_grow(void)
{
	const uint64_t n = 200000;
	struct lw_hmap *m = lw_hmap__new(sizeof(uint64_t), 1);
	uint64_t i, bad = 0;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	/* Page-aligned addresses: the low bits are all the same. */
	for (i = 0; i < n; i++) {
		uint64_t *v = lw_hmap__put(m, 0x7f0000000000ULL + i * 4096,
					   NULL);

		if (!v) {
			bad++;
			break;
		}
		*v = i;
	}
	ASSERT_U64_EQ(bad, 0, "puts");
	ASSERT_EQ(lw_hmap__count(m), n, "count");
	for (i = 0; i < n; i++) {
		uint64_t *v = lw_hmap__get(m, 0x7f0000000000ULL + i * 4096);

		if (!v || *v != i)
			bad++;
	}
	ASSERT_U64_EQ(bad, 0, "all found after growth");
	/* Delete the even ones; the odd ones must survive the shifts. */
	for (i = 0; i < n; i += 2)
		if (!lw_hmap__del(m, 0x7f0000000000ULL + i * 4096, NULL))
			bad++;
	for (i = 0; i < n; i++) {
		uint64_t *v = lw_hmap__get(m, 0x7f0000000000ULL + i * 4096);

		if ((i & 1) ? (!v || *v != i) : v != NULL)
			bad++;
	}
	ASSERT_U64_EQ(bad, 0, "half deleted");
	ASSERT_EQ(lw_hmap__count(m), n / 2, "count half");
	lw_hmap__clear(m);
	ASSERT_EQ(lw_hmap__count(m), 0, "cleared");
	ASSERT_TRUE(lw_hmap__get(m, 0x7f0000000000ULL + 4096) == NULL,
		    "cleared get");
	lw_hmap__free(m);
}

/* A steady population with constant replacement, like malloc/free. */
static void test_churn(void)
{
	enum { LIVE = 5000, ROUNDS = 200000 };
	struct lw_hmap *m = lw_hmap__new(sizeof(uint64_t), 16);
	uint64_t keys[LIVE], bad = 0;
	size_t i;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	for (i = 0; i < LIVE; i++) {
		keys[i] = rnd() & ~0xfULL;
		*(uint64_t *)lw_hmap__put(m, keys[i], NULL) = keys[i];
	}
	for (i = 0; i < ROUNDS; i++) {
		size_t j = rnd() % LIVE;
		uint64_t out = 0;

		if (!lw_hmap__del(m, keys[j], &out) || out != keys[j])
			bad++;
		keys[j] = rnd() & ~0xfULL;
		*(uint64_t *)lw_hmap__put(m, keys[j], NULL) = keys[j];
	}
	ASSERT_U64_EQ(bad, 0, "deletes found");
	ASSERT_EQ(lw_hmap__count(m), LIVE, "count stable");
	for (i = 0; i < LIVE; i++) {
		uint64_t *v = lw_hmap__get(m, keys[i]);

		if (!v || *v != keys[i])
			bad++;
	}
	ASSERT_U64_EQ(bad, 0, "all live found");
	lw_hmap__free(m);
}

/*
 * Random operations on a small key space (so keys collide, get deleted
 * and come back), checked against a plain array after every step.
 */
static void test_random_vs_reference(void)
{
	enum { NKEYS = 600, OPS = 300000 };
	struct lw_hmap *m = lw_hmap__new(sizeof(struct val), 0);
	static uint64_t keys[NKEYS], ref_val[NKEYS];
	static bool ref_has[NKEYS];
	struct lw_hmap_iter it;
	size_t i, ref_count = 0, mismatches = 0, seen = 0;

	if (!ASSERT_NOT_NULL(m, "new"))
		return;
	keys[0] = 0;
	keys[1] = UINT64_MAX;
	for (i = 2; i < NKEYS; i++)
		/* Sequential runs plus random ones. */
		keys[i] = i < NKEYS / 2 ? 0x1000 + i * 16 : rnd();
	for (i = 0; i < OPS; i++) {
		size_t k = rnd() % NKEYS;
		unsigned op = rnd() % 3;
		struct val *v, out;
		bool created;

		switch (op) {
		case 0: /* put */
			v = lw_hmap__put(m, keys[k], &created);
			if (!v || created == ref_has[k]) {
				mismatches++;
				break;
			}
			if (!created && v->a != ref_val[k])
				mismatches++;
			v->a = ref_val[k] = rnd();
			if (!ref_has[k])
				ref_count++;
			ref_has[k] = true;
			break;
		case 1: /* del */
			if (lw_hmap__del(m, keys[k], &out) != ref_has[k] ||
			    (ref_has[k] && out.a != ref_val[k]))
				mismatches++;
			if (ref_has[k])
				ref_count--;
			ref_has[k] = false;
			break;
		default: /* get */
			v = lw_hmap__get(m, keys[k]);
			if ((v != NULL) != ref_has[k] ||
			    (v && v->a != ref_val[k]))
				mismatches++;
			break;
		}
		if (lw_hmap__count(m) != ref_count)
			mismatches++;
	}
	ASSERT_EQ(mismatches, 0, "ops match reference");
	for (lw_hmap__iter_init(&it, m); lw_hmap__iter_next(&it);) {
		size_t k;

		seen++;
		for (k = 0; k < NKEYS && keys[k] != it.key; k++)
			;
		if (k == NKEYS || !ref_has[k] ||
		    ((struct val *)it.value)->a != ref_val[k])
			mismatches++;
	}
	ASSERT_EQ(seen, ref_count, "iter sees every entry");
	ASSERT_EQ(mismatches, 0, "iter matches reference");
	lw_hmap__free(m);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Not a pass/fail check (sanitizers and loaded machines vary): prints the
 * cost of a delete plus an insert with live entries of 24-byte values, the
 * shape of the ledger's block map.  "replace" frees a random live key and
 * adds a new one, so both land on cold cache lines; "short" adds a new key
 * and frees it at once (a short-lived block), one cold line per pair.
 */
static void time_churn(size_t live, size_t ops, bool replace)
{
	struct lw_hmap *m = lw_hmap__new(24, 0);
	uint64_t *keys = malloc(live * sizeof(*keys));
	uint64_t base = 0x55550000000ULL, next = live, bad = 0;
	double t;
	size_t i;

	if (!ASSERT_NOT_NULL(m, "new") || !ASSERT_NOT_NULL(keys, "keys"))
		goto out;
	for (i = 0; i < live; i++) {
		keys[i] = base + i * 48;
		if (!lw_hmap__put(m, keys[i], NULL))
			bad++;
	}
	t = now_ns();
	for (i = 0; i < ops; i++) {
		uint64_t k = base + next++ * 48;

		if (replace) {
			size_t j = rnd() % live;

			if (!lw_hmap__del(m, keys[j], NULL))
				bad++;
			keys[j] = k;
			if (!lw_hmap__put(m, k, NULL))
				bad++;
		} else {
			if (!lw_hmap__put(m, k, NULL))
				bad++;
			if (!lw_hmap__del(m, k, NULL))
				bad++;
		}
	}
	t = now_ns() - t;
	ASSERT_U64_EQ(bad, 0, "ops");
	fprintf(stderr,
		"     hmap %-7s %8zu live: %6.1f ns per insert+delete\n",
		replace ? "replace" : "short", live, t / ops);
out:
	free(keys);
	lw_hmap__free(m);
}

static void test_timing(void)
{
	time_churn(10000, 2000000, true);
	time_churn(10000, 2000000, false);
	time_churn(1000000, 2000000, true);
	time_churn(1000000, 2000000, false);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_basic),
		LWT_CASE(test_key_zero_and_max),
		LWT_CASE(test_grow),
		LWT_CASE(test_churn),
		LWT_CASE(test_random_vs_reference),
		LWT_CASE(test_timing),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
