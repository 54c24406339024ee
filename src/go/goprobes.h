/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * --goroutine-probes: uprobes on every RET of runtime.newproc1 and on the
 * entry of runtime.gdestroy (Go >= 1.22) or runtime.goexit0 (older), so
 * the Go collector counts every goroutine born and dying between its
 * snapshots, not only those alive when one is taken.  The only user of
 * the goprobe skeleton; pairs with goprobes.c and bpf/goprobe.bpf.c.
 * docs/go.md says what each Go version gets and what it costs.
 */
#ifndef LW_GOPROBES_H
#define LW_GOPROBES_H

#include <stddef.h>
#include <stdint.h>

#include "gobin.h"

struct lw_gocollect;
struct lw_goprobes;

/* Where the probes go in one executable (link-time addresses). */
#define LW_GOPROBE_MAX_RETS 32
struct lw_goprobe_plan {
	uint64_t rets[LW_GOPROBE_MAX_RETS];	/* RETs of runtime.newproc1 */
	uint64_t ret_offs[LW_GOPROBE_MAX_RETS]; /* their file offsets */
	unsigned nr_rets;
	const char *death_func; /* "runtime.gdestroy" or "runtime.goexit0" */
	uint64_t death_entry;	/* the function's entry */
	uint64_t death_probe;	/* where its probe goes (see goprobes.c) */
	uint64_t death_off;	/* its file offset */
};

/*
 * Decode the runtime's code of the executable at path (b is the same
 * file, opened) with capstone and fill *ret.  0, -ENOENT when a function
 * is missing, -EOPNOTSUPP when newproc1 leaves other than by RET (a tail
 * jump) or has more RETs than we keep, or when the Go version is unknown
 * or older than 1.17 (no register ABI), -errno from open.  Reads the file
 * only, never the process.
 */
int lw_goprobe_plan(const struct lw_gobin *b, const char *path,
		    struct lw_goprobe_plan *ret);

/*
 * Load the programs and attach them to the Go target of collector c
 * (its executable, PIE or not, and its runtime.g layout); from then on
 * lw_gocollect__tick() drains the probes before each snapshot, and
 * lw_goprobes__consume() feeds the births and deaths into c.  Call before
 * lw_gocollect__start(): the first snapshot then seeds the census with
 * every goroutine alive, and the probes see every one born after.
 * NULL with errno set on failure (-ESRCH: the target is gone).
 */
struct lw_goprobes *lw_goprobes__new(struct lw_gocollect *c, size_t ring_bytes);
/* Detach and free; NULL-safe.  Tells c to stop draining. */
void lw_goprobes__free(struct lw_goprobes *p);

/* Records delivered into the collector, or -errno. */
int lw_goprobes__consume(struct lw_goprobes *p);

#endif /* LW_GOPROBES_H */
