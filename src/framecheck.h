/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The probe families' userspace check of a frame-pointer walk's frames,
 * against the live target: a return address is believable when it lies in
 * an executable mapping and the target's code right before it is a call
 * (stackcheck.h decides that from the bytes).  Answers are cached per
 * address; the maps are re-read, at most every 100 ms, when an address
 * falls in none (code mapped since: dlopen).  Used by src/alloc.c and
 * src/fd.c, which keep the maps for other uses too.
 */
#ifndef LW_FRAMECHECK_H
#define LW_FRAMECHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "procmaps.h"

struct lw_hmap;

/* Read the 8 bytes of process pid before addr.  0, -ESRCH (gone) or
 * -EFAULT. */
int lw_read_before(int pid, uint64_t addr, uint8_t out[8]);

struct lw_frame_check {
	int pid;
	struct lw_maps *maps; /* the caller's; replaced on refresh */
	uint64_t maps_ns; /* when they were last re-read here */
	unsigned cache_max; /* cached answers before the cache is emptied */
	struct lw_hmap *ok; /* address -> believable (uint8_t) */
};

/* 0 or -ENOMEM.  maps must stay valid while fc is used. */
int lw_frame_check__init(struct lw_frame_check *fc, int pid,
			 struct lw_maps *maps, unsigned cache_max);
void lw_frame_check__fini(struct lw_frame_check *fc); /* leaves maps */

/*
 * Is ip a believable return address?  now_ns (CLOCK_MONOTONIC) paces the
 * maps refresh.  A target that is gone (its last records) cannot have its
 * code read: the mapping check must do then.
 */
bool lw_frame_check__ok(struct lw_frame_check *fc, uint64_t ip,
			uint64_t now_ns);

#endif /* LW_FRAMECHECK_H */
