/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Goroutine probes (--goroutine-probes): a uprobe on every RET of
 * runtime.newproc1 reads the new g it returns in RAX, and a uprobe at the
 * entry of runtime.gdestroy (Go >= 1.22) or runtime.goexit0 (older) reads
 * the dying g it receives in RAX.  Never a uretprobe: Go moves goroutine
 * stacks, and a hijacked return address would crash the target.  Paired
 * with src/go/goprobes.c, which finds the instructions and attaches.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "leakwatch/goprobe_events.h"

/* Set through skel->rodata before load: the target and runtime.g's
 * layout in this Go version (src/go/gobin.c). */
const volatile __u32 targ_tgid = 0;
const volatile __u32 targ_off_goid = 0;
const volatile __u32 targ_off_gopc = 0;
const volatile __u32 targ_off_startpc = 0;
/* Pending bytes above which a record wakes the reader (else it is picked
 * up by the session's 50 ms drain: a wakeup per record costs µs). */
const volatile __u64 targ_wakeup_bytes = 1 << 20;

struct lw_go_counts counts = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by userspace */
} events SEC(".maps");

static __always_inline void count(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

static __always_inline __u64 submit_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * The links are per PID already; the check costs one helper and keeps a
 * forked child (same text, same probes) out.
 */
static __always_inline int in_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/* At a RET of newproc1: RAX is the *g it returns (register ABI). */
SEC("uprobe")
int BPF_KPROBE(newproc1_ret)
{
	__u64 g = PT_REGS_RC(ctx);
	struct lw_grec *rec;

	if (!in_target())
		return 0;
	count(&counts.births);
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&counts.ringbuf_full);
		return 0;
	}
	rec->type = LW_GREC_BIRTH;
	rec->pad = 0;
	rec->ts_ns = bpf_ktime_get_ns();
	/* Three reads of one struct: cheaper than reading the ~300 bytes
	 * up to startpc at once. */
	if (bpf_probe_read_user(&rec->goid, 8, (void *)(g + targ_off_goid)) ||
	    bpf_probe_read_user(&rec->gopc, 8, (void *)(g + targ_off_gopc)) ||
	    bpf_probe_read_user(&rec->startpc, 8,
				(void *)(g + targ_off_startpc))) {
		count(&counts.read_fail);
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		return 0;
	}
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

/* gdestroy(gp) / goexit0(gp): gp in RAX, the first integer argument. */
SEC("uprobe")
int BPF_KPROBE(gdestroy_enter)
{
	__u64 g = PT_REGS_RC(ctx);
	struct lw_grec *rec;

	if (!in_target())
		return 0;
	count(&counts.deaths);
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&counts.ringbuf_full);
		return 0;
	}
	rec->type = LW_GREC_DEATH;
	rec->pad = 0;
	rec->ts_ns = bpf_ktime_get_ns();
	rec->gopc = rec->startpc = 0;
	if (bpf_probe_read_user(&rec->goid, 8, (void *)(g + targ_off_goid))) {
		count(&counts.read_fail);
		bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
		return 0;
	}
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
