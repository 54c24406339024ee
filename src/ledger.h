/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The ledger: every live block (keyed by address; one ledger per target
 * process), grouped into sites by allocation stack, with a live-amount
 * time series per site.  Pure logic, no libbpf: src/alloc.c feeds it
 * decoded ring-buffer records, the session samples it on a timer and asks
 * it for an lw_alloc_report.  Verdicts come from trend.h.
 */
#ifndef LW_LEDGER_H
#define LW_LEDGER_H

#include <stdint.h>

#include "model.h"

struct lw_ledger;

struct lw_ledger_opts {
	unsigned segments; /* window segments for verdicts; 0 = 4 */
	unsigned series_cap; /* points kept per site; 0 = 512 (then halved) */
	/* 0: exact.  Else heap blocks are samples, each standing for
	 * 1 / (1 - exp(-size / sample_bytes)) blocks (model.h). */
	uint64_t sample_bytes;
};

/*
 * t0_ns is the session start on CLOCK_MONOTONIC (same clock as the BPF
 * records' ts_ns).  opts may be NULL.  NULL with errno set on failure.
 */
struct lw_ledger *lw_ledger__new(uint64_t t0_ns,
				 const struct lw_ledger_opts *opts);
void lw_ledger__free(struct lw_ledger *l); /* NULL-safe */

/* Remember the frames of stack_id (idempotent; later calls may fill a
 * stack that was unknown).  0 or -ENOMEM. */
int lw_ledger__add_stack(struct lw_ledger *l, uint64_t stack_id,
			 const uint64_t *ips, unsigned nr_ips);

/*
 * A block of size bytes became live at addr.  If addr is already live (its
 * free was lost), the old block is released first.  0 or -ENOMEM.
 */
int lw_ledger__alloc(struct lw_ledger *l, uint32_t kind, uint64_t addr,
		     uint64_t size, uint64_t stack_id, uint64_t ts_ns);

/* The block at addr was freed.  Unknown addresses (allocated before the
 * session) only bump unknown_frees. */
void lw_ledger__release(struct lw_ledger *l, uint64_t addr, uint64_t ts_ns);

/*
 * Anonymous mappings are blocks too, tracked as address ranges: munmap and
 * MAP_FIXED may cut a tracked range in pieces (each piece keeps its site
 * and time), mremap moves or resizes one.  Ranges not tracked are ignored.
 */
int lw_ledger__mmap(struct lw_ledger *l, uint64_t addr, uint64_t len,
		    uint32_t flags, uint64_t stack_id, uint64_t ts_ns);
int lw_ledger__munmap(struct lw_ledger *l, uint64_t addr, uint64_t len,
		      uint64_t ts_ns);
int lw_ledger__mremap(struct lw_ledger *l, uint64_t old_addr, uint64_t old_len,
		      uint64_t new_addr, uint64_t new_len, uint64_t ts_ns);

/* Append a point (live bytes and count) to every site's series.  Called by
 * the session on a timer (every 250 ms by default). */
void lw_ledger__sample(struct lw_ledger *l, uint64_t now_ns);

/* Events seen (allocations and frees) and live bytes over all sites: a
 * walk over the sites, cheap enough for a progress line. */
void lw_ledger__totals(const struct lw_ledger *l, uint64_t *events,
		       uint64_t *live_bytes);

/*
 * Build the report at now_ns: sites holding live memory, with verdicts
 * (trend.h) over the window [session start, last event], sorted leak
 * first then by live bytes.  drops are copied into ret->drops and summed.
 * ret's frames are NULL (the session symbolizes).  Release with
 * lw_alloc_report__clear().  0 or -ENOMEM.
 */
int lw_ledger__report(struct lw_ledger *l, uint64_t now_ns,
		      const struct lw_alloc_drops *drops,
		      struct lw_alloc_report *ret);

#endif /* LW_LEDGER_H */
