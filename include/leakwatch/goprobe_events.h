/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Wire types shared by bpf/goprobe.bpf.c and src/go/goprobes.c: the
 * goroutine birth and death records of --goroutine-probes and the
 * counters beside them.  Only fixed-size __u* fields; sizes are pinned.
 */
#ifndef LEAKWATCH_GOPROBE_EVENTS_H
#define LEAKWATCH_GOPROBE_EVENTS_H

#ifndef __bpf__
#include <linux/types.h> /* BPF gets __u* from vmlinux.h */
#endif

/* Ring buffer record types.  Every record starts with __u32 type. */
enum lw_go_rec_type {
	LW_GREC_BIRTH = 1, /* a RET of runtime.newproc1: the new g */
	LW_GREC_DEATH,	   /* entry of runtime.gdestroy / goexit0 */
};

/*
 * One goroutine born or dying.  gopc and startpc are the runtime's own
 * fields of the g (runtime addresses), the same values a snapshot reads,
 * so both land on one creation site.  A death carries goid only.
 */
struct lw_grec {
	__u32 type;
	__u32 pad;
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 goid;
	__u64 gopc;
	__u64 startpc;
};

/* What the probes could not deliver or read, and what they saw. */
struct lw_go_counts {
	__u64 births;	    /* newproc1 returns seen */
	__u64 deaths;	    /* gdestroy / goexit0 entries seen */
	__u64 ringbuf_full; /* records lost: the ring was full */
	__u64 read_fail;    /* a g that could not be read: record lost */
};

#ifndef __bpf__
_Static_assert(sizeof(struct lw_grec) == 40, "lw_grec layout changed");
_Static_assert(sizeof(struct lw_go_counts) == 32, "lw_go_counts layout "
						  "changed");
#endif

#endif /* LEAKWATCH_GOPROBE_EVENTS_H */
