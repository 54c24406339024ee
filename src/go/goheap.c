/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The Go heap profile buckets read from outside; pairs with goheap.h.
 * runtime.mbuckets heads a list linked through bucket.allnext; the
 * runtime only ever pushes new buckets at its head and never frees one,
 * so a walk from a head we read is safe while the program runs.  Each
 * bucket is a header, nstk return addresses, then a memRecord whose
 * "active" cycle holds the counts of the last completed GC cycle (what
 * runtime.MemProfile and pprof report).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "goheap.h"

#define MAX_BUCKETS (1u << 20) /* a longer list is a loop we misread */
#define MAX_NSTK 1024	       /* runtime maxProfStackDepth */
#define REREADS 3
#define BUCKET_MEMPROFILE 1 /* runtime bucketType memProfile */

void lw_goheap_snap__clear(struct lw_goheap_snap *s)
{
	if (!s)
		return;
	free(s->b);
	memset(s, 0, sizeof(*s));
}

void lw_goheap_scale(uint64_t count, uint64_t bytes, int64_t rate,
		     double *ret_count, double *ret_bytes)
{
	double avg, scale;

	if (!count || !bytes) {
		*ret_count = *ret_bytes = 0;
		return;
	}
	if (rate <= 1) {
		*ret_count = (double)count;
		*ret_bytes = (double)bytes;
		return;
	}
	avg = (double)bytes / (double)count;
	scale = 1 / (1 - exp(-avg / (double)rate));
	*ret_count = (double)count * scale;
	*ret_bytes = (double)bytes * scale;
}

double lw_go_slope(const struct lw_point *pts, size_t nr, bool use_count)
{
	double st = 0, sv = 0, stt = 0, stv = 0, d;
	size_t i;

	if (nr < 2)
		return 0;
	for (i = 0; i < nr; i++) {
		double v = (double)(use_count ? pts[i].count : pts[i].bytes);

		st += pts[i].t_s;
		sv += v;
		stt += pts[i].t_s * pts[i].t_s;
		stv += pts[i].t_s * v;
	}
	d = nr * stt - st * st;
	if (d <= 0)
		return 0;
	return (nr * stv - st * sv) / d;
}

/* The last value at or before t (0 before the first point). */
static uint64_t value_at(const struct lw_point *pts, size_t nr, double t)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < nr && pts[i].t_s <= t + 1e-9; i++)
		v = pts[i].bytes;
	return v;
}

enum lw_verdict lw_goheap_verdict(const struct lw_point *pts, size_t nr,
				  double t_start, double t_end,
				  unsigned nr_segments, double *slope)
{
	uint64_t prev, v;
	bool rising = true;
	unsigned k;

	*slope = lw_go_slope(pts, nr, false);
	if (!nr || !nr_segments || t_end <= t_start)
		return LW_VERDICT_STABLE;
	prev = value_at(pts, nr, t_start);
	for (k = 1; k <= nr_segments; k++) {
		v = value_at(pts, nr,
			     t_start + (t_end - t_start) * k / nr_segments);
		if (v <= prev)
			rising = false;
		prev = v;
	}
	if (rising && *slope > 0)
		return LW_VERDICT_LEAK;
	if (value_at(pts, nr, t_end) > value_at(pts, nr, t_start) && *slope > 0)
		return LW_VERDICT_GROWING;
	return LW_VERDICT_STABLE;
}

static int push(struct lw_goheap_snap *s, struct lw_goheap_bucket **ret)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct lw_goheap_bucket *n = realloc(s->b, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->b = n;
		s->cap = cap;
	}
	*ret = &s->b[s->n++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

static uint64_t u64_at(const void *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)buf + off, sizeof(v));
	return v;
}

/*
 * The counters of one bucket.  The runtime updates them under a lock we
 * cannot take, so a read can catch allocs without its bytes: every
 * object of a bucket has the bucket's size, which makes the pairs
 * checkable.  Re-read until they agree.
 */
static int read_record(struct lw_goproc *p, uint64_t addr, uint64_t size,
		       struct lw_goheap_bucket *b)
{
	const struct lw_go_layout *l = &p->layout;
	uint32_t span = l->memrecord_active_allocs;
	uint64_t rec[16];
	int i, err;

	if (l->memrecord_active_frees > span)
		span = l->memrecord_active_frees;
	if (l->memrecord_active_alloc_bytes > span)
		span = l->memrecord_active_alloc_bytes;
	if (l->memrecord_active_free_bytes > span)
		span = l->memrecord_active_free_bytes;
	span += 8;
	if (span > sizeof(rec))
		return -EINVAL;
	for (i = 0; i < REREADS; i++) {
		err = lw_goproc__read(p, addr, rec, span);
		if (err)
			return err;
		b->allocs = u64_at(rec, l->memrecord_active_allocs);
		b->frees = u64_at(rec, l->memrecord_active_frees);
		b->alloc_bytes = u64_at(rec, l->memrecord_active_alloc_bytes);
		b->free_bytes = u64_at(rec, l->memrecord_active_free_bytes);
		if (b->frees > b->allocs || b->free_bytes > b->alloc_bytes)
			continue;
		if (size && (b->alloc_bytes != b->allocs * size ||
			     b->free_bytes != b->frees * size))
			continue;
		return 0;
	}
	return -EAGAIN;
}

static int read_bucket(struct lw_goproc *p, uint64_t addr,
		       struct lw_goheap_bucket *b, uint64_t *ret_next)
{
	const struct lw_go_layout *l = &p->layout;
	unsigned char hdr[128];
	uint64_t nstk, keep;
	int err;

	if (l->bucket_hdr_size > sizeof(hdr) || addr % 8)
		return -EINVAL;
	err = lw_goproc__read(p, addr, hdr, l->bucket_hdr_size);
	if (err)
		return err;
	*ret_next = u64_at(hdr, l->bucket_allnext);
	nstk = u64_at(hdr, l->bucket_nstk);
	if (u64_at(hdr, l->bucket_typ) != BUCKET_MEMPROFILE || nstk > MAX_NSTK)
		return -EINVAL;
	b->addr = addr;
	b->size = u64_at(hdr, l->bucket_size);
	keep = nstk < LW_GOHEAP_MAX_STACK ? nstk : LW_GOHEAP_MAX_STACK;
	b->nr_stk = (unsigned)keep;
	if (keep) {
		err = lw_goproc__read(p, addr + l->bucket_hdr_size, b->stk,
				      keep * 8);
		if (err)
			return err;
	}
	return read_record(p, addr + l->bucket_hdr_size + nstk * 8, b->size, b);
}

int lw_goheap__read(struct lw_goproc *p, struct lw_goheap_snap *snap)
{
	uint64_t rate_addr, head_addr, dis_addr, addr, next = 0;
	uint8_t disabled = 0;
	int64_t rate = 0;
	size_t count = 0;
	int err;

	snap->n = 0;
	snap->nr_torn = 0;
	snap->available = false;
	snap->reason = NULL;
	if (!p->layout.bucket_hdr_size) {
		snap->reason = "heap profile not available: bucket layout "
			       "unknown for this Go version";
		return 0;
	}
	if (lw_goproc__var(p, "runtime.MemProfileRate", &rate_addr) ||
	    lw_goproc__var(p, "runtime.mbuckets", &head_addr)) {
		snap->reason = "heap profile not available: "
			       "runtime.MemProfileRate or runtime.mbuckets not "
			       "found";
		return 0;
	}
	err = lw_goproc__read(p, rate_addr, &rate, sizeof(rate));
	if (err)
		return err == -ESRCH ? err : 0;
	snap->rate = rate;
	if (rate <= 0) {
		/* The linker's flag tells "never profiled" from a program
		 * that set MemProfileRate = 0 itself. */
		if (!lw_goproc__var(p, "runtime.disableMemoryProfiling",
				    &dis_addr) &&
		    !lw_goproc__read(p, dis_addr, &disabled, 1) && !disabled)
			snap->reason = "heap profile not available: the "
				       "program set runtime.MemProfileRate to "
				       "0";
		else
			snap->reason = LW_GOHEAP_DISABLED;
		return 0;
	}
	err = lw_goproc__read_u64(p, head_addr, &addr);
	if (err)
		return err == -ESRCH ? err : 0;
	snap->available = true;
	while (addr && count++ < MAX_BUCKETS) {
		struct lw_goheap_bucket *b;

		err = push(snap, &b);
		if (err)
			return err;
		err = read_bucket(p, addr, b, &next);
		if (err == -ESRCH)
			return err;
		if (err) {
			snap->n--;
			snap->nr_torn++;
			/* A bad header leaves no next pointer to follow. */
			if (err != -EAGAIN)
				break;
		}
		addr = next;
	}
	return 0;
}
