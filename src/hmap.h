/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A hash map from uint64_t keys to fixed-size values: open addressing,
 * linear probing, backward-shift deletion.  Built for the ledger's hot
 * path (one insert and one delete per malloc/free pair).  Pairs with hmap.c.
 */
#ifndef LW_HMAP_H
#define LW_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_hmap;

/*
 * A map whose values are value_size bytes (0 is allowed: a set), with
 * room for about initial_cap entries before it first grows.  Every key is
 * allowed, 0 and UINT64_MAX included.  NULL with errno set on failure.
 */
struct lw_hmap *lw_hmap__new(size_t value_size, size_t initial_cap);
void lw_hmap__free(struct lw_hmap *m); /* NULL-safe */

/*
 * The value stored for key, or NULL.  The pointer stays valid until the
 * next lw_hmap__put() or lw_hmap__del() on the map: both may move values.
 */
void *lw_hmap__get(const struct lw_hmap *m, uint64_t key);

/*
 * The value slot for key: the existing one (*ret_created = false), or a
 * new zero-filled one (*ret_created = true) that the caller fills.
 * ret_created may be NULL.  NULL with errno = ENOMEM if the map had to
 * grow and could not; the map is unchanged then.  Same lifetime as
 * lw_hmap__get()'s pointer.
 */
void *lw_hmap__put(struct lw_hmap *m, uint64_t key, bool *ret_created);

/* Remove key.  false if absent; else true, and the value is copied to
 * ret_value unless it is NULL. */
bool lw_hmap__del(struct lw_hmap *m, uint64_t key, void *ret_value);

/* Number of entries. */
size_t lw_hmap__count(const struct lw_hmap *m);

/* Remove every entry; keeps the allocated capacity. */
void lw_hmap__clear(struct lw_hmap *m);

/*
 * Iteration, in no particular order.  The map must not be modified while
 * an iterator is in use (values may be written through it->value):
 *
 *	struct lw_hmap_iter it;
 *
 *	for (lw_hmap__iter_init(&it, m); lw_hmap__iter_next(&it);)
 *		use(it.key, it.value);
 */
struct lw_hmap_iter {
	const struct lw_hmap *m;
	size_t pos; /* private */
	uint64_t key;
	void *value;
};

void lw_hmap__iter_init(struct lw_hmap_iter *it, const struct lw_hmap *m);
/* Advance to the next entry: false when there is none left. */
bool lw_hmap__iter_next(struct lw_hmap_iter *it);

#endif /* LW_HMAP_H */
