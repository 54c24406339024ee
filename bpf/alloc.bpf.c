/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Allocation probes: uprobes on allocator entry/return and free, syscall
 * tracepoints for anonymous mmap/munmap/mremap.  Streams records to one
 * ring buffer without per-record wakeups; src/alloc.c drains it in batches
 * and keeps the ledger of live blocks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "leakwatch/alloc_events.h"

#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAX_ERRNO 4095

/* Set through skel->rodata before load. */
const volatile __u32 targ_tgid = 0; /* syscall tracepoints fire for all */
const volatile __u64 targ_page_size = 4096;
/* Pending bytes in the ring buffer above which a record wakes the reader;
 * below it records are only picked up by the reader's periodic drain. */
const volatile __u64 targ_wakeup_bytes = 1 << 20;
/* How far above the stack pointer a frame may lie (thread stacks are 8 MiB
 * by default; the main thread's may grow larger). */
const volatile __u64 targ_stack_span = 64 << 20;
/*
 * Sampling (0: off).  Like tcmalloc and Go, by bytes: each thread counts
 * down a number of bytes drawn from an exponential distribution of mean
 * targ_sample_bytes, and the allocation that crosses zero is sampled, so a
 * block of size s is sampled with probability 1 - exp(-s / mean).  The
 * draws come precomputed from userspace (no logarithm in BPF).
 */
const volatile __u64 targ_sample_bytes = 0;
const volatile __u64 targ_sample_draws[LW_SAMPLE_DRAWS] = {};

struct lw_alloc_drops drops = {};

enum sys_pending {
	SYS_NONE = 0,
	SYS_MMAP,
	SYS_MUNMAP,
	SYS_MREMAP,
};

/*
 * Per-thread state of the outermost allocator call in progress.  sp is the
 * stack pointer at function entry (the slot of the return address); an
 * allocation made with a lower or equal sp while it is set is nested
 * (operator new calling malloc, calloc calling malloc in musl, a tail
 * call) and is ignored, so one user request is counted once, with the
 * outermost call's arguments and the user's stack.  (Frees are not
 * filtered: see free_enter.)  The syscall tracepoints use the same state
 * to leave out the mmaps an allocator makes for itself.  Keying by sp instead
 * of a depth counter means a return we never see (an exception thrown out
 * of operator new) cannot wedge the thread: the next call from a frame
 * above it replaces the stale state.
 */
struct inflight {
	__u64 sp;
	__u64 size;
	__u64 old;
	__u64 memptr;
	__u32 kind;
	__u32 sys; /* enum sys_pending */
	__u64 sys_arg[3];
	__s64 sample_left; /* bytes until this thread's next sample */
	__u64 sample_armed; /* sample_left was drawn */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Sampling: addresses of the sampled live blocks; frees of other
 * addresses are dropped in BPF.  Sized by userspace (1 when off). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u8);
} sampled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by userspace */
} events SEC(".maps");

/*
 * Stacks whose frames were already sent.  LRU: if one is evicted it is
 * simply sent again, and userspace dedups by stack_id.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} stacks_seen SEC(".maps");

/*
 * Call-site cache, direct-mapped by the uretprobe's ip (the return
 * address into the allocator's caller, free of charge).  A walk costs
 * ~150 ns a frame, more than all the rest of a probe, so a call site whose
 * first SITE_LEARN stacks are all the same is marked fast and its later
 * calls reuse that stack's id without walking; every SITE_CHECK-th call
 * still walks, and a different stack turns the site to full walks for
 * good (a wrapper such as xmalloc called from many places is full from
 * its learning calls on).  Counted per site: what a fast site attributes
 * before a new path is noticed is bounded by SITE_CHECK calls.
 */
#define SITE_SLOTS 16384
#define SITE_LEARN 8
#define SITE_CHECK 64

enum site_mode {
	SITE_LEARNING = 0,
	SITE_FAST,
	SITE_FULL,
};

struct site_slot {
	__u64 ip;
	__u64 stack_id;
	__u32 calls;
	__u32 mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SITE_SLOTS);
	__type(key, __u32);
	__type(value, struct site_slot);
} site_cache SEC(".maps");

struct stack_buf {
	__u64 ips[LW_MAX_STACK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_buf);
} stack_scratch SEC(".maps");

static __always_inline void count(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

static __always_inline __u64 page_up(__u64 len)
{
	return (len + targ_page_size - 1) & ~(targ_page_size - 1);
}

static __always_inline __u64 submit_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * The hot records (allocations, frees) look at the ring's fill level only
 * now and then: the query costs a few percent of a probe, and one check
 * in 64 allocations is plenty to wake the reader before the ring fills.
 */
static __always_inline __u64 hot_submit_flags(__u32 tick)
{
	return (tick & 63) ? BPF_RB_NO_WAKEUP : submit_flags();
}

/*
 * Walk the frame-pointer chain by hand instead of bpf_get_stack(): the
 * kernel's walk follows %rbp wherever it points, and in code built without
 * frame pointers %rbp holds data, so every call would yield different
 * garbage frames and one leaking site would shatter into many.  A frame
 * must lie on this thread's stack above sp, 8-byte aligned, and each next
 * frame above the last.  ips[0] is ip: in a uretprobe the return address
 * into the allocator's caller.
 */
static __always_inline __u32 walk_stack(__u64 *ips, __u64 ip, __u64 sp,
					__u64 fp)
{
	__u64 frame[2];
	__u32 nr = 1, i;

	ips[0] = ip;
	for (i = 1; i < LW_MAX_STACK; i++) {
		if (fp < sp || fp - sp > targ_stack_span || (fp & 7))
			break;
		if (bpf_probe_read_user(frame, sizeof(frame), (void *)fp))
			break;
		if (frame[1] < 4096)
			break;
		ips[i] = frame[1];
		nr = i + 1;
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	return nr;
}

/*
 * The user stack as a 64-bit id.  The frames go to userspace only the
 * first time an id is seen; a record that cannot be sent is forgotten
 * again so a later call retries.  Returns 0 if no stack could be taken.
 */
static __always_inline __u64 stack_id(__u64 ip, __u64 sp, __u64 fp)
{
	struct stack_buf *buf;
	struct lw_rec_stack *rec;
	__u32 zero = 0, nr, i;
	__u64 h;
	__u8 one = 1;

	buf = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!buf) {
		count(&drops.stack_failed);
		return 0;
	}
	nr = walk_stack(buf->ips, ip, sp, fp);

	/* FNV-style mix of the frames; 0 is reserved for "no stack". */
	h = 0xcbf29ce484222325ULL ^ nr;
	for (i = 0; i < LW_MAX_STACK; i++) {
		if (i >= nr)
			break;
		h ^= buf->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	if (!h)
		h = 1;

	if (bpf_map_lookup_elem(&stacks_seen, &h))
		return h;
	/* NOEXIST: of two CPUs meeting a new stack at once, one sends it. */
	if (bpf_map_update_elem(&stacks_seen, &h, &one, BPF_NOEXIST))
		return h;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		bpf_map_delete_elem(&stacks_seen, &h);
		count(&drops.stack_rec_lost);
		count(&drops.ringbuf_full);
		return h;
	}
	rec->type = LW_REC_STACK;
	rec->nr_ips = nr;
	rec->stack_id = h;
	for (i = 0; i < LW_MAX_STACK; i++)
		rec->ips[i] = i < nr ? buf->ips[i] : 0;
	bpf_ringbuf_submit(rec, submit_flags());
	return h;
}

/* The stack id of this allocation: from the call-site cache or a walk.
 * *ret_calls: the site's call count (a cheap tick for hot_submit_flags). */
static __always_inline __u64 site_stack_id(struct pt_regs *ctx,
					   __u32 *ret_calls)
{
	__u64 ip = PT_REGS_IP(ctx), sid;
	__u32 idx = (__u32)((ip ^ (ip >> 17)) * 0x9e3779b1u) & (SITE_SLOTS - 1);
	struct site_slot *s;
	__u32 calls;

	*ret_calls = 0;
	s = bpf_map_lookup_elem(&site_cache, &idx);
	if (!s)
		return stack_id(ip, PT_REGS_SP(ctx), PT_REGS_FP(ctx));
	if (s->ip != ip) {
		/* A new site, or another one hashed here: learn it. */
		s->ip = ip;
		s->stack_id = 0;
		s->calls = 0;
		s->mode = SITE_LEARNING;
	}
	/* Races between CPUs only cost an extra walk or a later switch. */
	calls = s->calls++;
	*ret_calls = calls;
	if (s->mode == SITE_FAST && calls % SITE_CHECK)
		return s->stack_id;
	sid = stack_id(ip, PT_REGS_SP(ctx), PT_REGS_FP(ctx));
	if (s->mode == SITE_LEARNING) {
		if (!s->stack_id)
			s->stack_id = sid;
		else if (sid != s->stack_id)
			s->mode = SITE_FULL;
		else if (calls + 1 >= SITE_LEARN)
			s->mode = SITE_FAST;
	} else if (s->mode == SITE_FAST && sid != s->stack_id) {
		s->mode = SITE_FULL;
	}
	return sid;
}

/*
 * The attach cookie: kind in bits 0-7; in bits 8-15 how many bytes the
 * stack pointer at the probed instruction lies below the one at function
 * entry (non-zero only when the probe sits past the entry, see
 * docs/probe-placement.md).
 */
static __always_inline __u64 entry_sp(struct pt_regs *ctx, __u64 cookie)
{
	return PT_REGS_SP(ctx) + ((cookie >> 8) & 0xff);
}

/*
 * Inside an allocator call of this thread?  An equal sp is a tail call
 * (glibc's reallocarray jumps into realloc, musl's valloc into memalign):
 * the outer call's kind and arguments describe the request.
 */
static __always_inline int in_allocator(struct inflight *f, __u64 sp)
{
	return f && f->sp && sp <= f->sp;
}

SEC("uprobe")
int BPF_KPROBE(alloc_enter)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 sp = entry_sp(ctx, cookie);
	__u32 kind = cookie & 0xff;
	struct inflight *f;
	__u64 a0, a1, a2;

	f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!f) {
		count(&drops.inflight_failed);
		return 0;
	}
	if (in_allocator(f, sp))
		return 0;

	a0 = PT_REGS_PARM1(ctx);
	a1 = PT_REGS_PARM2(ctx);
	a2 = PT_REGS_PARM3(ctx);
	f->sp = sp;
	f->kind = kind;
	f->old = 0;
	f->memptr = 0;
	switch (kind) {
	case LW_K_CALLOC:
		f->size = a0 * a1;
		break;
	case LW_K_REALLOC:
		f->old = a0;
		f->size = a1;
		break;
	case LW_K_REALLOCARRAY:
		f->old = a0;
		f->size = a1 * a2;
		break;
	case LW_K_MEMALIGN:
		f->size = a1;
		break;
	case LW_K_POSIX_MEMALIGN:
		f->memptr = a0;
		f->size = a2;
		break;
	case LW_K_PVALLOC:
		/* glibc rounds up to whole pages, and pvalloc(0) is a page. */
		f->size = a0 ? page_up(a0) : targ_page_size;
		break;
	default:
		f->size = a0;
		break;
	}
	return 0;
}

static __always_inline __u64 sample_draw(void)
{
	__u32 i = bpf_get_prandom_u32() & (LW_SAMPLE_DRAWS - 1);

	return targ_sample_draws[i];
}

/* Does this allocation cross the thread's sampling point?  A sampled
 * block is remembered, so that only its free is reported. */
static __always_inline int take_sample(struct inflight *f, __u64 size,
				       __u64 addr)
{
	__u8 one = 1;

	if (!f->sample_armed) {
		f->sample_left = sample_draw();
		f->sample_armed = 1;
	}
	f->sample_left -= size;
	if (f->sample_left > 0)
		return 0;
	f->sample_left = sample_draw();
	if (bpf_map_update_elem(&sampled, &addr, &one, BPF_ANY)) {
		count(&drops.sampled_lost);
		return 0;
	}
	return 1;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	struct lw_rec_alloc *rec = NULL;
	struct lw_rec_realloc *rr;
	struct inflight *f;
	__u64 addr, old, size, sid = 0;
	__u32 kind, tick = 0;

	f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!f || !f->sp)
		return 0;
	/* After ret the stack pointer is one slot above the entry's. */
	if (PT_REGS_SP(ctx) - 8 != f->sp)
		return 0; /* a nested call returning */
	kind = f->kind;
	size = f->size;
	old = f->old;
	addr = PT_REGS_RC(ctx);
	f->sp = 0;

	if (kind == LW_K_POSIX_MEMALIGN) {
		if (addr != 0) /* an error number: nothing allocated */
			return 0;
		if (bpf_probe_read_user(&addr, sizeof(addr), (void *)f->memptr))
			return 0;
	}
	if (!addr) {
		/* realloc(p, 0) frees p; any other NULL is a failure that
		 * leaves the old block alone. */
		if (!old || size)
			return 0;
	}
	if (targ_sample_bytes) {
		/* Only sampled blocks are in the ledger: an old block that
		 * was not sampled needs no release. */
		if (old && bpf_map_delete_elem(&sampled, &old))
			old = 0;
		if (addr && !take_sample(f, size, addr))
			addr = 0;
		if (!addr && !old)
			return 0;
	}
	if (addr)
		sid = site_stack_id(ctx, &tick);

	/* Two record sizes: the common one stays at 32 bytes. */
	if (old) {
		rr = bpf_ringbuf_reserve(&events, sizeof(*rr), 0);
		if (rr) {
			rr->old_addr = old;
			rec = &rr->a;
		}
	} else {
		rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	}
	if (!rec) {
		count(&drops.ringbuf_full);
		if (old)
			count(&drops.free_lost);
		return 0;
	}
	rec->type = old ? LW_REC_REALLOC : LW_REC_ALLOC;
	rec->kind = kind;
	rec->addr = addr;
	rec->size = size;
	rec->stack_id = sid;
	bpf_ringbuf_submit(rec, hot_submit_flags(tick));
	return 0;
}

/*
 * No in-flight check here: a free made inside realloc (musl) or operator
 * delete (a forwarder to free) only releases its block a moment before
 * the outer call's record would, and the second release of an address is
 * a no-op in the ledger.  Saves a task-storage lookup on every free.
 */
SEC("uprobe")
int BPF_KPROBE(free_enter, void *ptr)
{
	struct lw_rec_free *rec;

	if (!ptr)
		return 0;
	/* Sampling: one hash delete decides, and most frees stop here. */
	if (targ_sample_bytes && bpf_map_delete_elem(&sampled, &ptr))
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.free_lost);
		return 0;
	}
	rec->type = LW_REC_FREE;
	rec->kind = LW_K_FREE;
	rec->addr = (__u64)ptr;
	/* Frees come between allocations, which check the fill level. */
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * Syscalls.  Anonymous mappings made by the program itself are blocks of
 * their own; those made inside an allocator call (malloc's mmap of a large
 * chunk or a new arena) are not counted again.
 */
static __always_inline __u64 user_sp(void)
{
	struct pt_regs *regs;

	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return BPF_CORE_READ(regs, sp);
}

static __always_inline struct inflight *sys_begin(int create)
{
	struct inflight *f;

	if ((bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return NULL;
	f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				 create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!f) {
		if (create)
			count(&drops.inflight_failed);
		return NULL;
	}
	if (in_allocator(f, user_sp()))
		return NULL;
	return f;
}

static __always_inline struct inflight *sys_end(enum sys_pending which)
{
	struct inflight *f;

	if ((bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return NULL;
	f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!f || f->sys != which)
		return NULL;
	f->sys = SYS_NONE;
	return f;
}

/* Remember a syscall's arguments until its exit tracepoint. */
static __always_inline void sys_save(enum sys_pending which, __u64 a0,
				     __u64 a1, __u64 a2)
{
	struct inflight *f = sys_begin(1);

	if (!f)
		return;
	f->sys = which;
	f->sys_arg[0] = a0;
	f->sys_arg[1] = a1;
	f->sys_arg[2] = a2;
}

static __always_inline int sys_failed(long ret)
{
	return ret < 0 && ret >= -MAX_ERRNO;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* len, flags */
	if (ctx->args[3] & MAP_ANONYMOUS)
		sys_save(SYS_MMAP, ctx->args[1], ctx->args[3], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lw_rec_mmap *rec;
	struct pt_regs *regs;
	struct inflight *f;
	__u64 sp;

	f = sys_end(SYS_MMAP);
	if (!f || sys_failed(ctx->ret))
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		return 0;
	}
	rec->type = LW_REC_MMAP;
	rec->flags = f->sys_arg[1];
	rec->addr = ctx->ret;
	rec->len = page_up(f->sys_arg[0]);
	rec->ts_ns = bpf_ktime_get_ns();
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	sp = BPF_CORE_READ(regs, sp);
	rec->nr_ips = walk_stack(rec->ips, BPF_CORE_READ(regs, ip), sp,
				 BPF_CORE_READ(regs, bp));
	rec->sp_ok = !bpf_probe_read_user(rec->sp_words, sizeof(rec->sp_words),
					  (void *)sp);
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int munmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* address, length */
	sys_save(SYS_MUNMAP, ctx->args[0], ctx->args[1], 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int munmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lw_rec_munmap *rec;
	struct inflight *f;

	f = sys_end(SYS_MUNMAP);
	if (!f || ctx->ret != 0)
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.free_lost);
		return 0;
	}
	rec->type = LW_REC_MUNMAP;
	rec->pad = 0;
	rec->addr = f->sys_arg[0];
	rec->len = page_up(f->sys_arg[1]);
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int mremap_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* old address, old length, new length */
	sys_save(SYS_MREMAP, ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int mremap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct lw_rec_mremap *rec;
	struct inflight *f;

	f = sys_end(SYS_MREMAP);
	if (!f || sys_failed(ctx->ret))
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.free_lost);
		return 0;
	}
	rec->type = LW_REC_MREMAP;
	rec->pad = 0;
	rec->old_addr = f->sys_arg[0];
	rec->old_len = page_up(f->sys_arg[1]);
	rec->new_addr = ctx->ret;
	rec->new_len = page_up(f->sys_arg[2]);
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
