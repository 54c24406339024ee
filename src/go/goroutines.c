/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Goroutine snapshots read from outside a running Go process; pairs with
 * goroutines.h.  The runtime's own lock-free reader (forEachGRace in
 * runtime/proc.go) shows the protocol: allgadd() publishes allgptr before
 * it raises allglen, so reading allglen first and then allgptr always
 * gives an array with at least allglen entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goroutines.h"

#define BATCH 1024		/* gs per scatter read */
#define MAX_REASONS 256		/* waitreason is a uint8 */
#define REREADS 3		/* tries for a g that read inconsistent */
#define MAX_GSTACK (1ull << 30) /* runtime.maxstacksize on 64-bit */
#define MAX_GS (16u << 20)	/* more gs than this: allglen is garbage */

struct lw_goreader {
	struct lw_goproc *p;
	uint64_t allglen_addr, allgptr_addr; /* allgptr: 0 if missing */
	uint64_t allgs_addr; /* the slice, when allgptr is missing */
	size_t span; /* bytes of a g we read: up to its last used field */
	char *reasons[MAX_REASONS];
	unsigned nr_reasons;
	uint64_t *gptrs; /* the allgs array as last read */
	size_t gptrs_cap;
	char *buf; /* BATCH * span */
	char *one; /* span: one g read again */
	bool *ok;
	uint64_t *addrs;
};

static const char *const status_names[] = {
	[LW_G_IDLE] = "idle",		[LW_G_RUNNABLE] = "runnable",
	[LW_G_RUNNING] = "running",	[LW_G_SYSCALL] = "syscall",
	[LW_G_WAITING] = "waiting",	[LW_G_DEAD] = "dead",
	[LW_G_COPYSTACK] = "copystack", [LW_G_PREEMPTED] = "preempted",
	[LW_G_LEAKED] = "leaked",	[LW_G_DEADEXTRA] = "dead",
};

bool lw_gstatus_valid(uint32_t status)
{
	/* 5 and 7 are unused (_Gmoribund_unused, _Genqueue_unused). */
	return status <= LW_G_DEADEXTRA && status != 5 && status != 7;
}

const char *lw_gstatus_name(uint32_t status)
{
	if (!lw_gstatus_valid(status))
		return "?";
	return status_names[status];
}

bool lw_gstatus_blocked(uint32_t status)
{
	return status == LW_G_WAITING || status == LW_G_LEAKED;
}

void lw_gosnap__clear(struct lw_gosnap *s)
{
	if (!s)
		return;
	free(s->g);
	memset(s, 0, sizeof(*s));
}

static uint64_t get_u64(const void *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)buf + off, sizeof(v));
	return v;
}

static uint32_t get_u32(const void *buf, uint32_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)buf + off, sizeof(v));
	return v;
}

static bool pc_ok(uint64_t pc, uint64_t lo, uint64_t hi)
{
	return pc >= lo && pc < hi;
}

bool lw_goroutine_decode(const struct lw_go_layout *l, const void *buf,
			 size_t len, uint64_t text_lo, uint64_t text_hi,
			 unsigned nr_reasons, struct lw_goroutine *g)
{
	const unsigned char *b = buf;
	uint32_t raw;

	memset(g, 0, sizeof(*g));
	if (len < (size_t)l->g_startpc + 8 || len < (size_t)l->g_gopc + 8)
		return false;
	raw = get_u32(b, l->g_atomicstatus);
	/* Only the scan bit may be set beside the status itself. */
	if (raw & ~(uint32_t)(LW_G_SCAN | 0xff))
		return false;
	g->status = raw & ~(uint32_t)LW_G_SCAN;
	if (!lw_gstatus_valid(g->status))
		return false;
	if (g->status == LW_G_DEADEXTRA)
		g->status = LW_G_DEAD; /* a spare g for cgo callbacks */
	if (g->status == LW_G_DEAD)
		return true;
	g->goid = get_u64(b, l->g_goid);
	g->waitreason = b[l->g_waitreason];
	g->waitsince = (int64_t)get_u64(b, l->g_waitsince);
	g->gopc = get_u64(b, l->g_gopc);
	g->startpc = get_u64(b, l->g_startpc);
	g->stack_lo = get_u64(b, l->g_stack_lo);
	g->stack_hi = get_u64(b, l->g_stack_hi);
	g->sched_sp = get_u64(b, l->g_sched_sp);
	g->sched_pc = get_u64(b, l->g_sched_pc);
	g->sched_bp = get_u64(b, l->g_sched_bp);
	g->syscallsp = get_u64(b, l->g_syscallsp);
	g->syscallpc = get_u64(b, l->g_syscallpc);

	/* goids count up from 1 and are never near 2^48. */
	if (!g->goid || g->goid >= (1ull << 48))
		return false;
	if (!g->stack_lo || g->stack_lo >= g->stack_hi ||
	    g->stack_hi - g->stack_lo > MAX_GSTACK)
		return false;
	/* Both 0: an extra M's g for cgo callbacks; else real code. */
	if (g->gopc || g->startpc) {
		if (!pc_ok(g->gopc, text_lo, text_hi) ||
		    !pc_ok(g->startpc, text_lo, text_hi))
			return false;
	}
	if (g->waitsince < 0)
		return false;
	if (lw_gstatus_blocked(g->status) && nr_reasons &&
	    g->waitreason >= nr_reasons)
		return false;
	return true;
}

/*
 * The target's waitReasonStrings: an array of Go strings whose length is
 * not recorded anywhere we can read without DWARF.  Read entries until one
 * is not a short printable string; entry 0 is "" (waitReasonZero).
 */
static void read_reasons(struct lw_goreader *r)
{
	uint64_t base;
	char name[64];
	unsigned i, k;

	if (lw_goproc__var(r->p, "runtime.waitReasonStrings", &base))
		return;
	for (i = 0; i < MAX_REASONS; i++) {
		bool printable = true;

		if (lw_goproc__read_gostring(r->p, base + 16ull * i, name,
					     sizeof(name)))
			break;
		for (k = 0; name[k]; k++)
			if (name[k] < 0x20 || name[k] > 0x7e)
				printable = false;
		if (!printable || (i > 0 && !name[0]))
			break;
		r->reasons[i] = strdup(name);
		if (!r->reasons[i])
			break;
	}
	r->nr_reasons = i;
}

int lw_goreader__new(struct lw_goproc *p, struct lw_goreader **ret)
{
	const struct lw_go_layout *l = &p->layout;
	const uint32_t offs[] = {
		l->g_stack_lo,	 l->g_stack_hi, l->g_sched_sp,
		l->g_sched_pc,	 l->g_sched_bp, l->g_syscallsp,
		l->g_syscallpc,	 l->g_goid,	l->g_waitsince,
		l->g_gopc,	 l->g_startpc,	l->g_atomicstatus,
		l->g_waitreason,
	};
	struct lw_goreader *r;
	size_t i;
	int err;

	*ret = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->p = p;
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] + 8u > r->span)
			r->span = offs[i] + 8u;
	err = lw_goproc__var(p, "runtime.allglen", &r->allglen_addr);
	if (!err && lw_goproc__var(p, "runtime.allgptr", &r->allgptr_addr))
		r->allgptr_addr = 0;
	if (err || !r->allgptr_addr) {
		err = lw_goproc__var(p, "runtime.allgs", &r->allgs_addr);
		if (err)
			goto err_out;
	}
	r->buf = malloc(BATCH * r->span);
	r->one = malloc(r->span);
	r->ok = malloc(BATCH * sizeof(*r->ok));
	r->addrs = malloc(BATCH * sizeof(*r->addrs));
	if (!r->buf || !r->one || !r->ok || !r->addrs) {
		err = -ENOMEM;
		goto err_out;
	}
	read_reasons(r);
	*ret = r;
	return 0;

err_out:
	lw_goreader__free(r);
	return err;
}

void lw_goreader__free(struct lw_goreader *r)
{
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < r->nr_reasons; i++)
		free(r->reasons[i]);
	free(r->gptrs);
	free(r->buf);
	free(r->one);
	free(r->ok);
	free(r->addrs);
	free(r);
}

const char *lw_goreader__wait_reason(const struct lw_goreader *r,
				     uint8_t reason)
{
	return reason < r->nr_reasons ? r->reasons[reason] : NULL;
}

/* (array, length) of allgs, following the runtime's publication order. */
static int read_allg_head(struct lw_goreader *r, uint64_t *arr, uint64_t *len)
{
	uint64_t slice[2];
	int err;

	if (r->allgptr_addr) {
		err = lw_goproc__read_u64(r->p, r->allglen_addr, len);
		if (!err)
			err = lw_goproc__read_u64(r->p, r->allgptr_addr, arr);
		return err;
	}
	/* Older runtimes: the slice header, which can tear; the caller
	 * checks it did not change across the array read. */
	err = lw_goproc__read(r->p, r->allgs_addr, slice, sizeof(slice));
	if (err)
		return err;
	*arr = slice[0];
	*len = slice[1];
	return 0;
}

static int read_allgs(struct lw_goreader *r, uint64_t *ret_len)
{
	uint64_t arr, len, arr2, len2;
	int err, tries;

	for (tries = 0; tries < 5; tries++) {
		err = read_allg_head(r, &arr, &len);
		if (err)
			return err;
		if (len > MAX_GS || (len && (!arr || arr % 8)))
			continue;
		if (len > r->gptrs_cap) {
			uint64_t *n = realloc(r->gptrs, len * 2 * sizeof(*n));

			if (!n)
				return -ENOMEM;
			r->gptrs = n;
			r->gptrs_cap = len * 2;
		}
		if (len && lw_goproc__read(r->p, arr, r->gptrs, len * 8))
			continue;
		err = read_allg_head(r, &arr2, &len2);
		if (err)
			return err;
		/* A new array means allgs grew and moved while we read. */
		if (arr2 != arr || len2 < len)
			continue;
		*ret_len = len;
		return 0;
	}
	return -EAGAIN;
}

static int snap_push(struct lw_gosnap *s, const struct lw_goroutine *g)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct lw_goroutine *n = realloc(s->g, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->g = n;
		s->cap = cap;
	}
	s->g[s->n++] = *g;
	return 0;
}

static bool decode(struct lw_goreader *r, const void *buf,
		   struct lw_goroutine *g)
{
	return lw_goroutine_decode(&r->p->layout, buf, r->span, r->p->text_lo,
				   r->p->text_hi, r->nr_reasons, g);
}

/* One g alone, until it decodes or REREADS tries are spent. */
static int reread(struct lw_goreader *r, uint64_t addr, struct lw_goroutine *g)
{
	int i, err;

	for (i = 0; i < REREADS; i++) {
		err = lw_goproc__read(r->p, addr, r->one, r->span);
		if (err == -ESRCH)
			return err;
		if (!err && decode(r, r->one, g))
			return 0;
	}
	return -EAGAIN;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int lw_goreader__snapshot(struct lw_goreader *r, struct lw_gosnap *snap)
{
	uint64_t t0 = mono_ns(), len, i;
	size_t k, n;
	int err, got;

	snap->n = 0;
	snap->nr_torn = 0;
	snap->nr_leaked = 0;
	err = read_allgs(r, &len);
	if (err)
		return err;
	snap->allglen = len;
	for (i = 0; i < len; i += n) {
		n = len - i < BATCH ? len - i : BATCH;
		for (k = 0; k < n; k++)
			r->addrs[k] = r->gptrs[i + k];
		got = lw_goproc__readv(r->p, r->addrs, r->span, r->buf, n,
				       r->ok);
		if (got < 0)
			return got;
		for (k = 0; k < n; k++) {
			struct lw_goroutine g;
			bool good = r->ok[k] &&
				    decode(r, r->buf + k * r->span, &g);

			if (!good) {
				err = reread(r, r->addrs[k], &g);
				if (err == -ESRCH)
					return err;
				if (err) {
					snap->nr_torn++;
					continue;
				}
			}
			if (g.status == LW_G_DEAD)
				continue;
			g.g = r->addrs[k];
			if (g.status == LW_G_LEAKED)
				snap->nr_leaked++;
			err = snap_push(snap, &g);
			if (err)
				return err;
		}
	}
	snap->cost_ns = mono_ns() - t0;
	return 0;
}

/* Where to start a walk: pc, lowest valid frame address and bp. */
static bool walk_start(const struct lw_goroutine *g, uint64_t *pc, uint64_t *sp,
		       uint64_t *bp)
{
	switch (g->status) {
	case LW_G_RUNNING:
	case LW_G_COPYSTACK:
		return false; /* registers live in a CPU, not in g */
	case LW_G_SYSCALL:
		if (g->syscallpc) {
			*pc = g->syscallpc;
			*sp = g->syscallsp;
			*bp = g->sched_bp;
			return true;
		}
		break;
	default:
		break;
	}
	*pc = g->sched_pc;
	*sp = g->sched_sp;
	*bp = g->sched_bp;
	return *pc != 0;
}

static bool same_g(const struct lw_goroutine *a, const struct lw_goroutine *b)
{
	return a->goid == b->goid && a->status == b->status &&
	       a->sched_pc == b->sched_pc && a->sched_sp == b->sched_sp &&
	       a->sched_bp == b->sched_bp && a->syscallpc == b->syscallpc &&
	       a->stack_lo == b->stack_lo && a->stack_hi == b->stack_hi;
}

static int walk_once(struct lw_goreader *r, const struct lw_goroutine *g,
		     uint64_t *ips, unsigned max)
{
	uint64_t pc, sp, bp, fr[2];
	unsigned n = 0;

	if (!max || !walk_start(g, &pc, &sp, &bp))
		return 0;
	ips[n++] = pc;
	/* A frame record is [saved bp, return address]; each caller's
	 * record sits higher on the stack than its callee's. */
	if (sp < g->stack_lo)
		sp = g->stack_lo;
	while (n < max && bp >= sp && bp + 16 <= g->stack_hi && !(bp % 8)) {
		if (lw_goproc__read(r->p, bp, fr, sizeof(fr)))
			break;
		if (!fr[1] || !lw_goproc__in_text(r->p, fr[1]))
			break;
		ips[n++] = fr[1];
		if (fr[0] <= bp)
			break;
		sp = bp + 16;
		bp = fr[0];
	}
	return (int)n;
}

int lw_goreader__stack(struct lw_goreader *r, uint64_t g_addr, uint64_t goid,
		       uint64_t *ips, unsigned max)
{
	struct lw_goroutine before, after;
	int tries, n, err;

	for (tries = 0; tries < REREADS; tries++) {
		err = reread(r, g_addr, &before);
		if (err)
			return err;
		if (before.status == LW_G_DEAD || before.goid != goid)
			return -ENOENT; /* it exited, the g was reused */
		n = walk_once(r, &before, ips, max);
		err = reread(r, g_addr, &after);
		if (err)
			return err;
		if (same_g(&before, &after))
			return n;
	}
	return -EAGAIN;
}
