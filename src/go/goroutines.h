/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * One snapshot of every goroutine of a running Go process, read from
 * outside with process_vm_readv (goproc.h) while it runs: the runtime's
 * allgs array, each g's status, wait reason, creation site and stack
 * bounds, and on request a frame-pointer walk of one goroutine's stack.
 * Every read is validated; a g that reads inconsistent is read again and
 * dropped (counted) if it never settles.  Pairs with goroutines.c.
 */
#ifndef LW_GOROUTINES_H
#define LW_GOROUTINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goproc.h"

/* runtime/runtime2.go status values (after masking _Gscan). */
enum lw_gstatus {
	LW_G_IDLE = 0,
	LW_G_RUNNABLE = 1,
	LW_G_RUNNING = 2,
	LW_G_SYSCALL = 3,
	LW_G_WAITING = 4,
	LW_G_DEAD = 6,
	LW_G_COPYSTACK = 8,
	LW_G_PREEMPTED = 9,
	LW_G_LEAKED = 10,    /* Go marked it leaked (goroutineleak profile) */
	LW_G_DEADEXTRA = 11, /* Go >= 1.26: dead, kept for an extra M (cgo) */
};
#define LW_G_SCAN 0x1000

/* "waiting", "runnable", "running", "syscall", "leaked", "idle"... */
const char *lw_gstatus_name(uint32_t status);
/* Blocked: parked (waiting) or marked leaked by the runtime. */
bool lw_gstatus_blocked(uint32_t status);
/* Whether a masked status value is one the runtime uses. */
bool lw_gstatus_valid(uint32_t status);

struct lw_goroutine {
	uint64_t g; /* address of the runtime.g */
	uint64_t goid;
	uint32_t status; /* _Gscan masked off */
	uint8_t waitreason;
	int64_t waitsince;	/* CLOCK_MONOTONIC ns; 0 until a GC sets it */
	uint64_t gopc, startpc; /* creation pc, start function entry */
	uint64_t stack_lo, stack_hi;
	uint64_t sched_sp, sched_pc, sched_bp;
	uint64_t syscallsp, syscallpc;
};

struct lw_gosnap {
	struct lw_goroutine *g; /* live ones (not _Gdead) */
	size_t n, cap;
	uint64_t allglen;   /* gs in allgs, dead ones included */
	uint64_t nr_torn;   /* gs dropped: never read consistently */
	uint64_t nr_leaked; /* status _Gleaked */
	uint64_t cost_ns;   /* time the snapshot took */
};

void lw_gosnap__clear(struct lw_gosnap *s); /* frees g[]; NULL-safe */

struct lw_goreader;

/* 0 and *ret, -ENOENT when allgs cannot be located, -ESRCH, -ENOMEM. */
int lw_goreader__new(struct lw_goproc *p, struct lw_goreader **ret);
void lw_goreader__free(struct lw_goreader *r); /* NULL-safe */

/*
 * Read every goroutine into snap (reusing its array).  0, -ESRCH when the
 * process is gone, -EAGAIN when allgs itself never read consistently.
 */
int lw_goreader__snapshot(struct lw_goreader *r, struct lw_gosnap *snap);

/* The target's own name for a wait reason ("chan receive"), or NULL. */
const char *lw_goreader__wait_reason(const struct lw_goreader *r,
				     uint8_t reason);

/*
 * Frame-pointer walk of g's stack into ips (return addresses, the first
 * is where the goroutine will resume).  g is re-read before and after
 * the walk; if it moved in between the walk is retried, and after a few
 * tries -EAGAIN.  A running goroutine's saved registers are stale: 0
 * frames.  Returns the number of frames (<= max) or -errno.
 */
int lw_goreader__stack(struct lw_goreader *r, uint64_t g_addr, uint64_t goid,
		       uint64_t *ips, unsigned max);

/*
 * Pure parts, for unit tests: decode one g read at buf (len bytes) with
 * layout l into *ret.  false when the bytes cannot be a consistent g
 * (then the caller re-reads).  text_lo/hi bound creation pcs.
 */
bool lw_goroutine_decode(const struct lw_go_layout *l, const void *buf,
			 size_t len, uint64_t text_lo, uint64_t text_hi,
			 unsigned nr_reasons, struct lw_goroutine *ret);

#endif /* LW_GOROUTINES_H */
