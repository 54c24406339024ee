/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Wire types shared by bpf/alloc.bpf.c and src/alloc.c: the records the
 * allocation probes put on the ring buffer, the probe kinds carried in the
 * attach cookie, and the drop counters.  Only fixed-size __u* fields, so
 * the layout is the same on both sides; sizes are pinned below.
 */
#ifndef LEAKWATCH_ALLOC_EVENTS_H
#define LEAKWATCH_ALLOC_EVENTS_H

#ifndef __bpf__
#include <linux/types.h> /* BPF gets __u* from vmlinux.h */
#endif

/* Frames kept per user stack.  Deeper stacks are truncated (flagged). */
#define LW_MAX_STACK 32
/* Words above the user sp sent with syscall stacks, see lw_rec_mmap. */
#define LW_SP_WORDS 32
/* Precomputed exponential draws for sampling (targ_sample_draws). */
#define LW_SAMPLE_DRAWS 4096

/*
 * What an allocator entry point does with its arguments.  The kind travels
 * in the low byte of the uprobe's attach cookie, so one BPF program serves
 * every allocator function.
 */
enum lw_alloc_kind {
	LW_K_MALLOC = 1, /* size = arg0: malloc, operator new* */
	LW_K_CALLOC, /* size = arg0 * arg1 */
	LW_K_REALLOC, /* old = arg0, size = arg1 */
	LW_K_REALLOCARRAY, /* old = arg0, size = arg1 * arg2 */
	LW_K_MEMALIGN, /* size = arg1: memalign, aligned_alloc */
	LW_K_POSIX_MEMALIGN, /* *arg0 = result, size = arg2, returns 0 */
	LW_K_VALLOC, /* size = arg0 */
	LW_K_PVALLOC, /* size = arg0 rounded up to the page size */
	LW_K_FREE, /* ptr = arg0: free, operator delete* */
	LW_K_MMAP, /* anonymous mmap (syscall tracepoints) */
	LW_K_MAX,
};

/* Ring buffer record types.  Every record starts with __u32 type. */
enum lw_rec_type {
	LW_REC_ALLOC = 1,
	LW_REC_FREE,
	LW_REC_STACK,
	LW_REC_MMAP,
	LW_REC_MUNMAP,
	LW_REC_MREMAP,
	LW_REC_REALLOC,
};

/*
 * An allocator call returned a block: size bytes are live at addr.  The
 * record carries no time (the reader stamps it when it drains) and no old
 * address: the hottest record is kept to 32 bytes, since the cost of a
 * ring-buffer write grows with the bytes and cache lines it touches
 * (docs/performance.md).
 */
struct lw_rec_alloc {
	__u32 type; /* LW_REC_ALLOC */
	__u32 kind; /* enum lw_alloc_kind of the outermost call */
	__u64 addr;
	__u64 size;
	__u64 stack_id; /* hash of the user stack, see struct lw_rec_stack */
};

/*
 * A realloc-kind call (realloc, reallocarray) that released old_addr.
 * Applied in this order: the block at old_addr is released, then if
 * addr != 0 a block of size bytes is live at addr.  So realloc(p, 0) that
 * frees is {old_addr = p, addr = 0}; a failed realloc is not sent, and
 * realloc(NULL, n) is a plain lw_rec_alloc.
 */
struct lw_rec_realloc {
	struct lw_rec_alloc a; /* a.type is LW_REC_REALLOC */
	__u64 old_addr;
};

struct lw_rec_free {
	__u32 type;
	__u32 kind;
	__u64 addr;
};

/*
 * Sent once per distinct user stack (the first time its hash is seen, and
 * again if the BPF side forgot it), always before the first record that
 * names its stack_id.  ips[0] is a return address in the caller of the
 * allocator (a uretprobe's ip); every entry is a return address, so the
 * symbolizer looks up ip - 1.
 */
struct lw_rec_stack {
	__u32 type;
	__u32 nr_ips; /* valid entries in ips[] */
	__u64 stack_id;
	__u64 ips[LW_MAX_STACK];
};

/*
 * Anonymous mmap returned addr (outside any allocator call).  Carries its
 * own stack, not deduplicated (mmap is rare): ips[0] is the user ip after
 * the syscall instruction, inside a wrapper (libc's mmap) that keeps no
 * frame pointer, so the frame-pointer walk in ips[1..] skips the wrapper's
 * caller.  sp_words, the first words above the user sp, hold the return
 * address into that caller; userspace finds which one from the wrapper's
 * frame size (CFI or prologue) and rebuilds the stack.
 */
struct lw_rec_mmap {
	__u32 type;
	__u32 flags; /* mmap flags, MAP_FIXED matters */
	__u64 addr;
	__u64 len;
	__u64 ts_ns;
	__u32 nr_ips;
	__u32 sp_ok; /* sp_words could be read */
	__u64 ips[LW_MAX_STACK];
	__u64 sp_words[LW_SP_WORDS];
};

/* munmap(addr, len) succeeded. */
struct lw_rec_munmap {
	__u32 type;
	__u32 pad;
	__u64 addr;
	__u64 len;
};

/* mremap moved/resized [old_addr, +old_len) to [new_addr, +new_len). */
struct lw_rec_mremap {
	__u32 type;
	__u32 pad;
	__u64 old_addr;
	__u64 old_len;
	__u64 new_addr;
	__u64 new_len;
};

/*
 * Counters of everything the BPF side could not deliver, in .bss and read
 * by userspace through the skeleton.  A report shows their sum; a non-zero
 * value means the figures may undercount.
 */
struct lw_alloc_drops {
	__u64 ringbuf_full; /* records lost: reservation failed */
	__u64 stack_failed; /* no stack taken, stack_id = 0 */
	__u64 stack_rec_lost; /* subset of ringbuf_full: a new stack's frames */
	__u64 inflight_failed; /* no task storage for the in-flight call */
	__u64 free_lost; /* subset of ringbuf_full: a free was lost */
	__u64 sampled_lost; /* sampling: the set of sampled blocks was full */
};

#ifndef __bpf__
_Static_assert(sizeof(struct lw_rec_alloc) == 32, "lw_rec_alloc layout");
_Static_assert(sizeof(struct lw_rec_realloc) == 40, "lw_rec_realloc layout");
_Static_assert(sizeof(struct lw_rec_free) == 16, "lw_rec_free layout");
_Static_assert(sizeof(struct lw_rec_stack) == 16 + 8 * LW_MAX_STACK,
	       "lw_rec_stack layout");
_Static_assert(sizeof(struct lw_rec_mmap) == 40 + 8 * (LW_MAX_STACK + LW_SP_WORDS),
	       "lw_rec_mmap layout");
_Static_assert(sizeof(struct lw_rec_munmap) == 24, "lw_rec_munmap layout");
_Static_assert(sizeof(struct lw_rec_mremap) == 40, "lw_rec_mremap layout");
_Static_assert(sizeof(struct lw_alloc_drops) == 48, "lw_alloc_drops layout");
#endif

#endif /* LEAKWATCH_ALLOC_EVENTS_H */
