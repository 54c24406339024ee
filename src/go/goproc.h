/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A running Go process seen from outside: its executable (gobin.h, opened
 * through /proc/PID/exe), the load bias of a PIE, the runtime.g layout,
 * and reads of its memory with process_vm_readv.  No ptrace, no stop: the
 * target keeps running, so callers validate what they read (goroutines.c,
 * goheap.c).  Pairs with goproc.c.
 */
#ifndef LW_GOPROC_H
#define LW_GOPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "gobin.h"

struct lw_goproc {
	int pid;
	struct lw_gobin *bin;
	struct lw_go_layout layout;
	uint64_t bias; /* runtime address = link-time address + bias */
	uint64_t text_lo, text_hi; /* runtime addresses of the exe's code */
	char exe[4096]; /* readlink(/proc/PID/exe), for frames' module */
	uint64_t nr_reads, nr_bytes; /* process_vm_readv calls and bytes */
};

/*
 * Open PID as a Go program.  0 and *ret; -ENOEXEC when it is not Go,
 * -ENOENT when the Go version's runtime.g layout is unknown, -ESRCH when
 * the process is gone, other -errno.  Free with lw_goproc__free().
 */
int lw_goproc__open(int pid, struct lw_goproc **ret);
void lw_goproc__free(struct lw_goproc *p); /* NULL-safe */

/* Runtime address of a runtime variable (lw_gobin__find_var + bias). */
int lw_goproc__var(const struct lw_goproc *p, const char *name, uint64_t *ret);

/*
 * Read exactly len bytes at addr.  0, -EFAULT when any part is unmapped
 * (a short read counts as a failure: half a value is no value), -ESRCH
 * when the process is gone.
 */
int lw_goproc__read(struct lw_goproc *p, uint64_t addr, void *buf, size_t len);
int lw_goproc__read_u64(struct lw_goproc *p, uint64_t addr, uint64_t *ret);

/*
 * Scatter read: n (addr, len) pieces in as few syscalls as possible.
 * ok[i] tells which pieces were read in full; returns the number read,
 * or -ESRCH.
 */
int lw_goproc__readv(struct lw_goproc *p, const uint64_t *addrs, size_t len,
		     void *buf, size_t n, bool *ok);

/* True when addr (a runtime address) is inside the exe's code. */
bool lw_goproc__in_text(const struct lw_goproc *p, uint64_t addr);

/*
 * A Go string (pointer, length) at addr, copied into buf (NUL-terminated,
 * truncated to len - 1).  0 or -errno.
 */
int lw_goproc__read_gostring(struct lw_goproc *p, uint64_t addr, char *buf,
			     size_t len);

/* VmRSS and RssAnon of /proc/PID/status in bytes.  0 or -errno. */
int lw_goproc__rss(const struct lw_goproc *p, uint64_t *rss, uint64_t *anon);

#endif /* LW_GOPROC_H */
