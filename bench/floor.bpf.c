/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The floor of the overhead benchmark: the cheapest BPF programs that can
 * sit on leakwatch's probe set (malloc entry and return, free entry, at the
 * offsets leakwatch chooses).  They only count, so what they cost is the
 * price of the probes themselves; bench/floor.c attaches them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* keep in sync with bench/floor.c */
enum floor_counter {
	FLOOR_MALLOC_ENTER = 0,
	FLOOR_MALLOC_EXIT,
	FLOOR_FREE_ENTER,
	FLOOR_NR,
};

const volatile __u32 targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOOR_NR);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int bump(__u32 which)
{
	__u64 *c;

	/* The link filters by PID already; this costs a helper call and
	 * keeps the counts honest if it ever does not. */
	if ((bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	c = bpf_map_lookup_elem(&counts, &which);
	if (c)
		(*c)++;
	return 0;
}

SEC("uprobe")
int floor_malloc_enter(struct pt_regs *ctx)
{
	return bump(FLOOR_MALLOC_ENTER);
}

SEC("uretprobe")
int floor_malloc_exit(struct pt_regs *ctx)
{
	return bump(FLOOR_MALLOC_EXIT);
}

SEC("uprobe")
int floor_free_enter(struct pt_regs *ctx)
{
	return bump(FLOOR_FREE_ENTER);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
