/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Open-addressing uint64_t -> fixed-size value map; pairs with hmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/*
 * Slots are laid out back to back, key first then value, so a lookup
 * touches one cache line in the common case (ledger blocks make 32-byte
 * slots).  A slot whose key is 0 is empty.  Key 0 itself is legal, so it
 * does not live in the table: it has a slot of its own (zero_slot) and an
 * occupancy flag (has_zero).  That keeps the hot loop to a single compare
 * per probe instead of a separate occupancy array and a second cache miss.
 */
struct lw_hmap {
	unsigned char *slots;
	size_t stride; /* bytes per slot: key + value rounded up to 8 */
	size_t value_size;
	size_t mask; /* capacity - 1; capacity is a power of two */
	size_t used; /* non-zero keys in slots[] */
	size_t grow_at; /* grow before used exceeds this (75% load) */
	bool has_zero;
	unsigned char *zero_slot; /* stride bytes, same layout as a slot */
};

#define MIN_CAP 8

/*
 * The murmur3 64-bit finalizer: a bijection that spreads every input bit
 * over the whole word.  Heap addresses share their low (alignment) and
 * high bits, so indexing by raw address bits would cluster badly.
 */
static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static inline uint64_t *slot_key(unsigned char *slots, size_t stride, size_t i)
{
	return (uint64_t *)(slots + i * stride);
}

static inline void *slot_value(unsigned char *slot)
{
	return slot + sizeof(uint64_t);
}

/*
 * Slots are whole words; copying them word by word beats a memcpy() call
 * of a run-time size for the few words a slot usually has.
 */
static inline void copy_slot(unsigned char *dst, const unsigned char *src,
			     size_t stride)
{
	size_t w;

	for (w = 0; w < stride; w += sizeof(uint64_t))
		*(uint64_t *)(dst + w) = *(const uint64_t *)(src + w);
}

static inline void zero_words(unsigned char *p, size_t len)
{
	size_t w;

	for (w = 0; w < len; w += sizeof(uint64_t))
		*(uint64_t *)(p + w) = 0;
}

static size_t load_limit(size_t cap)
{
	return cap - cap / 4;
}

static int alloc_table(struct lw_hmap *m, size_t cap)
{
	unsigned char *slots;

	if (cap > SIZE_MAX / m->stride)
		return -ENOMEM;
	slots = calloc(cap, m->stride);
	if (!slots)
		return -ENOMEM;
	m->slots = slots;
	m->mask = cap - 1;
	m->grow_at = load_limit(cap);
	return 0;
}

struct lw_hmap *lw_hmap__new(size_t value_size, size_t initial_cap)
{
	struct lw_hmap *m;
	size_t cap = MIN_CAP;
	int err;

	if (value_size > SIZE_MAX / 2) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		err = -ENOMEM;
		goto err_out;
	}
	m->value_size = value_size;
	m->stride = sizeof(uint64_t) + ((value_size + 7) & ~(size_t)7);
	/* Room for initial_cap entries below the load limit. */
	while (load_limit(cap) < initial_cap && cap < SIZE_MAX / 4)
		cap *= 2;
	m->zero_slot = calloc(1, m->stride);
	if (!m->zero_slot) {
		err = -ENOMEM;
		goto err_out;
	}
	err = alloc_table(m, cap);
	if (err)
		goto err_out;
	return m;

err_out:
	lw_hmap__free(m);
	errno = -err;
	return NULL;
}

void lw_hmap__free(struct lw_hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m->zero_slot);
	free(m);
}

void *lw_hmap__get(const struct lw_hmap *m, uint64_t key)
{
	unsigned char *slots = m->slots;
	size_t stride = m->stride, mask = m->mask;
	size_t i;

	if (key == 0)
		return m->has_zero ? slot_value(m->zero_slot) : NULL;
	/* Terminates: the load limit keeps at least one slot empty. */
	for (i = mix(key) & mask;; i = (i + 1) & mask) {
		uint64_t k = *slot_key(slots, stride, i);

		if (k == key)
			return slot_value(slots + i * stride);
		if (k == 0)
			return NULL;
	}
}

/* Index of the first empty slot on key's probe sequence. */
static inline size_t find_empty(unsigned char *slots, size_t stride,
				size_t mask, uint64_t key)
{
	size_t i = mix(key) & mask;

	while (*slot_key(slots, stride, i))
		i = (i + 1) & mask;
	return i;
}

static int grow(struct lw_hmap *m)
{
	unsigned char *old = m->slots;
	size_t old_cap = m->mask + 1, i;
	int err;

	if (old_cap > SIZE_MAX / 2)
		return -ENOMEM;
	err = alloc_table(m, old_cap * 2);
	if (err)
		return err;
	/* Keys are distinct, so each one only needs an empty slot. */
	for (i = 0; i < old_cap; i++) {
		unsigned char *src = old + i * m->stride;
		uint64_t k = *(uint64_t *)src;
		size_t j;

		if (!k)
			continue;
		j = find_empty(m->slots, m->stride, m->mask, k);
		copy_slot(m->slots + j * m->stride, src, m->stride);
	}
	free(old);
	return 0;
}

void *lw_hmap__put(struct lw_hmap *m, uint64_t key, bool *ret_created)
{
	unsigned char *slot;
	size_t i;
	int err;

	if (key == 0) {
		if (ret_created)
			*ret_created = !m->has_zero;
		if (!m->has_zero) {
			memset(m->zero_slot, 0, m->stride);
			m->has_zero = true;
		}
		return slot_value(m->zero_slot);
	}
	for (i = mix(key) & m->mask;; i = (i + 1) & m->mask) {
		uint64_t k = *slot_key(m->slots, m->stride, i);

		if (k == key) {
			if (ret_created)
				*ret_created = false;
			return slot_value(m->slots + i * m->stride);
		}
		if (k == 0)
			break;
	}
	/* Grow only for a new key, so a hit never moves other values. */
	if (m->used >= m->grow_at) {
		err = grow(m);
		if (err) {
			errno = -err;
			return NULL;
		}
		i = find_empty(m->slots, m->stride, m->mask, key);
	}
	slot = m->slots + i * m->stride;
	*(uint64_t *)slot = key;
	/* Deletion only clears keys, so a reused slot holds an old value. */
	zero_words(slot_value(slot), m->stride - sizeof(uint64_t));
	m->used++;
	if (ret_created)
		*ret_created = true;
	return slot_value(slot);
}

bool lw_hmap__del(struct lw_hmap *m, uint64_t key, void *ret_value)
{
	unsigned char *slots = m->slots;
	size_t stride = m->stride, mask = m->mask;
	size_t i, j;

	if (key == 0) {
		if (!m->has_zero)
			return false;
		if (ret_value)
			memcpy(ret_value, slot_value(m->zero_slot),
			       m->value_size);
		m->has_zero = false;
		return true;
	}
	for (i = mix(key) & mask;; i = (i + 1) & mask) {
		uint64_t k = *slot_key(slots, stride, i);

		if (k == key)
			break;
		if (k == 0)
			return false;
	}
	if (ret_value)
		memcpy(ret_value, slot_value(slots + i * stride),
		       m->value_size);
	/*
	 * Backward-shift deletion: walk the run after the hole and pull back
	 * every entry whose home slot is not between the hole and itself
	 * (cyclically), so lookups never need tombstones to keep probing.
	 */
	for (j = (i + 1) & mask;; j = (j + 1) & mask) {
		uint64_t k = *slot_key(slots, stride, j);
		size_t home;

		if (k == 0)
			break;
		home = mix(k) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			copy_slot(slots + i * stride, slots + j * stride,
				  stride);
			i = j;
		}
	}
	*slot_key(slots, stride, i) = 0;
	m->used--;
	return true;
}

size_t lw_hmap__count(const struct lw_hmap *m)
{
	return m->used + (m->has_zero ? 1 : 0);
}

void lw_hmap__clear(struct lw_hmap *m)
{
	memset(m->slots, 0, (m->mask + 1) * m->stride);
	m->used = 0;
	m->has_zero = false;
}

void lw_hmap__iter_init(struct lw_hmap_iter *it, const struct lw_hmap *m)
{
	it->m = m;
	it->pos = 0;
	it->key = 0;
	it->value = NULL;
}

bool lw_hmap__iter_next(struct lw_hmap_iter *it)
{
	const struct lw_hmap *m = it->m;
	size_t cap = m->mask + 1;

	/* Positions 0..cap-1 are table slots, cap is the zero key's slot. */
	while (it->pos < cap) {
		unsigned char *slot = m->slots + it->pos++ * m->stride;
		uint64_t k = *(uint64_t *)slot;

		if (k) {
			it->key = k;
			it->value = slot_value(slot);
			return true;
		}
	}
	if (it->pos == cap) {
		it->pos++;
		if (m->has_zero) {
			it->key = 0;
			it->value = slot_value(m->zero_slot);
			return true;
		}
	}
	return false;
}
