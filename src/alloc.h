/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The allocation probe family: loads bpf/alloc.bpf.c, attaches it to the
 * allocators one process really uses (allocators.h), and feeds the decoded
 * ring-buffer records into a ledger.  The only file that includes
 * alloc.skel.h; everything else sees struct lw_alloc_probe.
 */
#ifndef LW_ALLOC_H
#define LW_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakwatch/alloc_events.h"

struct lw_ledger;
struct lw_symbolizer;
struct lw_alloc_probe;

struct lw_alloc_probe_opts {
	int pid;
	struct lw_ledger *ledger; /* where records go; not owned */
	/* frame sizes of syscall wrappers (mmap stacks); not owned */
	struct lw_symbolizer *sym;
	size_t ring_bytes; /* ring buffer size, power of two; 0 = 4 MiB */
	/* 0: trace every allocation.  Else sample one per this many bytes
	 * on average (the ledger must scale with the same value). */
	uint64_t sample_bytes;
};

/* Open and load the BPF object for pid.  NULL with errno set. */
struct lw_alloc_probe *lw_alloc_probe__new(const struct lw_alloc_probe_opts *o);

/*
 * Find the process's allocators and attach: uprobes (for pid only) on
 * every allocator entry and return and on free, tracepoints for
 * mmap/munmap/mremap.  Returns the number of probed functions, -ENOENT if
 * no allocator function was found, or -errno from the kernel.
 */
int lw_alloc_probe__attach(struct lw_alloc_probe *p);

/* fd to poll for forced wakeups (the ring buffer's epoll fd). */
int lw_alloc_probe__fd(const struct lw_alloc_probe *p);

/* Drain every pending record into the ledger.  Returns records consumed
 * or -errno (-ENOMEM from the ledger). */
int lw_alloc_probe__consume(struct lw_alloc_probe *p);

/* Copy the BPF-side drop counters. */
void lw_alloc_probe__drops(const struct lw_alloc_probe *p,
			   struct lw_alloc_drops *ret);

/* Detach and free; NULL-safe. */
void lw_alloc_probe__free(struct lw_alloc_probe *p);

#endif /* LW_ALLOC_H */
