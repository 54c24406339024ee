/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Wire types shared by bpf/task.bpf.c and src/task.c: the records the
 * thread probes put on their ring buffer and their drop counters.  Only
 * fixed-size __u* fields; sizes are pinned below.
 */
#ifndef LEAKWATCH_TASK_EVENTS_H
#define LEAKWATCH_TASK_EVENTS_H

#ifndef __bpf__
#include <linux/types.h> /* BPF gets __u* from vmlinux.h */
#endif

/*
 * Bytes of the creating thread's user stack sent with a thread birth,
 * read from its stack pointer up in LW_TASK_STACK_CHUNK pieces.  glibc's
 * clone path takes ~600 bytes (pthread_create keeps no frame pointer);
 * the rest holds a dozen or more frames of the caller.  Userspace unwinds
 * them with the CFI.  Every byte is copied per thread creation and goes
 * through the ring buffer, so this is a trade of depth for cost.
 */
#define LW_TASK_STACK_BYTES 4096
#define LW_TASK_STACK_CHUNK 512

/* Ring buffer record types.  Every record starts with __u32 type. */
enum lw_task_rec_type {
	LW_TREC_NEW = 1,
	LW_TREC_EXIT,
	LW_TREC_EXEC,
};

/*
 * Registers of the creating thread in user mode, in the order of the
 * DWARF register numbers of x86-64 (rax, rdx, rcx, rbx, rsi, rdi, rbp,
 * rsp, r8-r15, rip), so userspace hands them to the unwinder as they are.
 */
#define LW_TASK_NR_REGS 17

/*
 * A thread was created in the target: tid is the new thread, parent_tid
 * the thread that called clone.  stack holds stack_bytes bytes of the
 * parent's user stack starting at regs[7] (rsp).
 */
struct lw_trec_new {
	__u32 type;
	__u32 tid;
	__u32 parent_tid;
	__u32 stack_bytes;
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 regs[LW_TASK_NR_REGS];
	__u8 stack[LW_TASK_STACK_BYTES];
};

/* Thread tid of the target exited. */
struct lw_trec_exit {
	__u32 type;
	__u32 tid;
	__u64 ts_ns;
};

/* The target called execve from thread old_tid: every other thread is
 * gone, and the caller now has the process's pid as its tid. */
struct lw_trec_exec {
	__u32 type;
	__u32 old_tid;
	__u64 ts_ns;
};

/* What the BPF side could not deliver (.bss, read through the skeleton). */
struct lw_task_drops {
	__u64 ringbuf_full; /* records lost: reservation failed */
	__u64 new_lost; /* subset: thread births lost */
	__u64 exit_lost; /* subset: thread exits lost */
	__u64 stack_short; /* births whose stack read stopped early */
};

#ifndef __bpf__
_Static_assert(sizeof(struct lw_trec_new) ==
		       24 + 8 * LW_TASK_NR_REGS + LW_TASK_STACK_BYTES,
	       "lw_trec_new layout");
_Static_assert(sizeof(struct lw_trec_exit) == 16, "lw_trec_exit layout");
_Static_assert(sizeof(struct lw_trec_exec) == 16, "lw_trec_exec layout");
_Static_assert(sizeof(struct lw_task_drops) == 32, "lw_task_drops layout");
#endif

#endif /* LEAKWATCH_TASK_EVENTS_H */
