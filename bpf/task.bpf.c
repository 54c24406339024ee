/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Thread probes: the sched tracepoints (BTF-typed) for thread creation,
 * exit and exec, filtered to one target process before anything else.
 * A birth carries the creating thread's user registers and the top of its
 * stack, which src/task.c unwinds into the creation stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "leakwatch/task_events.h"

/* Set through skel->rodata before load. */
const volatile __u32 targ_tgid = 0;
/* Pending bytes above which a record wakes the reader (else it is picked
 * up by the reader's periodic drain). */
const volatile __u64 targ_wakeup_bytes = 1 << 20;

struct lw_task_drops drops = {};

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
 * The tracepoints fire for every task on the machine: the cheapest test
 * (the current tgid, one helper) comes first.  fork and exit run in the
 * context of the parent and of the exiting thread, both in the target.
 */
static __always_inline int in_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_new, struct task_struct *parent, struct task_struct *child)
{
	struct lw_trec_new *rec;
	struct pt_regs *regs;
	__u64 sp;
	__u32 i, got = 0;

	if (!in_target())
		return 0;
	/* A thread shares the parent's tgid; a forked process does not and
	 * is not ours to count. */
	if (child->tgid != targ_tgid)
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.new_lost);
		return 0;
	}
	rec->type = LW_TREC_NEW;
	rec->tid = child->pid;
	rec->parent_tid = parent->pid;
	rec->ts_ns = bpf_ktime_get_ns();

	/* The parent is inside clone: its user registers are saved at the
	 * top of its kernel stack.  bpf_task_pt_regs() returns a BTF
	 * pointer, so the fields are plain loads, not probe reads. */
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	rec->regs[0] = regs->ax;
	rec->regs[1] = regs->dx;
	rec->regs[2] = regs->cx;
	rec->regs[3] = regs->bx;
	rec->regs[4] = regs->si;
	rec->regs[5] = regs->di;
	rec->regs[6] = regs->bp;
	rec->regs[7] = regs->sp;
	rec->regs[8] = regs->r8;
	rec->regs[9] = regs->r9;
	rec->regs[10] = regs->r10;
	rec->regs[11] = regs->r11;
	rec->regs[12] = regs->r12;
	rec->regs[13] = regs->r13;
	rec->regs[14] = regs->r14;
	rec->regs[15] = regs->r15;
	rec->regs[16] = regs->ip;

	/*
	 * Piecewise, so that a stack whose mapping ends within the window
	 * (the main thread near its top) still yields what lies below the
	 * end: one faulting read would return nothing at all.
	 */
	sp = rec->regs[7];
	for (i = 0; i < LW_TASK_STACK_BYTES / LW_TASK_STACK_CHUNK; i++) {
		if (bpf_probe_read_user(rec->stack + i * LW_TASK_STACK_CHUNK,
					LW_TASK_STACK_CHUNK,
					(void *)(sp + i * LW_TASK_STACK_CHUNK)))
			break;
		got += LW_TASK_STACK_CHUNK;
	}
	if (got < LW_TASK_STACK_BYTES)
		count(&drops.stack_short);
	rec->stack_bytes = got;
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_thread, struct task_struct *p)
{
	struct lw_trec_exit *rec;

	if (!in_target())
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.exit_lost);
		return 0;
	}
	rec->type = LW_TREC_EXIT;
	rec->tid = (__u32)bpf_get_current_pid_tgid();
	rec->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

/* exec kills every other thread (each passes sched_process_exit too);
 * userspace re-reads the thread list after it. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_task, struct task_struct *p, pid_t old_pid)
{
	struct lw_trec_exec *rec;

	if (!in_target())
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		return 0;
	}
	rec->type = LW_TREC_EXEC;
	rec->old_tid = old_pid;
	rec->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
