/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Descriptor probes: syscall tracepoints for the calls that create sockets
 * (socket, socketpair, accept, accept4), duplicate descriptors (dup, dup2,
 * dup3, fcntl F_DUPFD*) or close them (close, close_range), and exec.
 * Records go to one ring buffer without wakeups; src/fd.c drains it with
 * the session's tick and keeps the census of open sockets.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "leakwatch/fd_events.h"

#define F_DUPFD 0
#define F_DUPFD_CLOEXEC 1030
#define MAX_ERRNO 4095

/* Set through skel->rodata before load. */
const volatile __u32 targ_tgid = 0; /* syscall tracepoints fire for all */
/* Pending bytes above which a record wakes the reader early. */
const volatile __u64 targ_wakeup_bytes = 1 << 20;
/* How far above the stack pointer a frame may lie. */
const volatile __u64 targ_stack_span = 64 << 20;

struct lw_fd_drops drops = {};

/*
 * Arguments a syscall's exit needs (socketpair's array, dup's old fd),
 * by thread.  A thread is in one syscall at a time, so the tid is key
 * enough; the exit deletes the entry.
 */
struct pending {
	__u32 call; /* enum lw_fd_call */
	__u32 pad;
	__u64 arg0;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by userspace */
} events SEC(".maps");

static __always_inline void count(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

/* The first check of every program: only the target's threads count. */
static __always_inline int is_target(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

static __always_inline __u64 submit_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline int sys_failed(long ret)
{
	return ret < 0 && ret >= -MAX_ERRNO;
}

/*
 * The frame-pointer walk of bpf/alloc.bpf.c: a frame must lie on this
 * thread's stack above sp, 8-byte aligned, each next frame above the last.
 * ips[0] is ip.
 */
static __always_inline __u32 walk_stack(__u64 *ips, __u64 ip, __u64 sp,
					__u64 fp)
{
	__u64 frame[2];
	__u32 nr = 1, i;

	ips[0] = ip;
	for (i = 1; i < LW_FD_MAX_STACK; i++) {
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

/* A new socket descriptor (two for socketpair) with the creating stack. */
static __always_inline void emit_open(__u32 call, int fd, int fd2)
{
	struct lw_fd_rec_open *rec;
	struct pt_regs *regs;
	__u64 sp;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		return;
	}
	rec->type = LW_FD_REC_OPEN;
	rec->call = call;
	rec->fd = fd;
	rec->fd2 = fd2;
	rec->ts_ns = bpf_ktime_get_ns();
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	sp = BPF_CORE_READ(regs, sp);
	rec->nr_ips = walk_stack(rec->ips, BPF_CORE_READ(regs, ip), sp,
				 BPF_CORE_READ(regs, bp));
	rec->sp_ok = !bpf_probe_read_user(rec->sp_words, sizeof(rec->sp_words),
					  (void *)sp);
	bpf_ringbuf_submit(rec, submit_flags());
}

static __always_inline void save(__u32 call, __u64 arg0)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending p = {.call = call, .arg0 = arg0};

	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY))
		count(&drops.pending_failed);
}

/* The saved arguments of this thread's call, removed from the map into
 * *ret.  0, or -1 when there are none for this call. */
static __always_inline int take(__u32 call, struct pending *ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p;

	p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return -1;
	*ret = *p;
	bpf_map_delete_elem(&pending, &tid);
	return ret->call == call ? 0 : -1;
}

SEC("tracepoint/syscalls/sys_exit_socket")
int socket_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!is_target() || sys_failed(ctx->ret))
		return 0;
	emit_open(LW_FD_SOCKET, (int)ctx->ret, -1);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!is_target() || sys_failed(ctx->ret))
		return 0;
	emit_open(LW_FD_ACCEPT, (int)ctx->ret, -1);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!is_target() || sys_failed(ctx->ret))
		return 0;
	emit_open(LW_FD_ACCEPT4, (int)ctx->ret, -1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_socketpair")
int socketpair_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!is_target())
		return 0;
	save(LW_FD_SOCKETPAIR, ctx->args[3]); /* int sv[2] */
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_socketpair")
int socketpair_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pending p;
	int sv[2];

	if (!is_target() || take(LW_FD_SOCKETPAIR, &p) || ctx->ret != 0)
		return 0;
	if (bpf_probe_read_user(sv, sizeof(sv), (void *)p.arg0))
		return 0;
	emit_open(LW_FD_SOCKETPAIR, sv[0], sv[1]);
	return 0;
}

/* Sent at entry: the descriptor is released whatever close returns. */
SEC("tracepoint/syscalls/sys_enter_close")
int close_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct lw_fd_rec_close *rec;

	if (!is_target())
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.close_lost);
		return 0;
	}
	rec->type = LW_FD_REC_CLOSE;
	rec->fd = (int)ctx->args[0];
	rec->ts_ns = bpf_ktime_get_ns();
	/* Closes come between creations, which check the fill level. */
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close_range")
int close_range_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct lw_fd_rec_close_range *rec;

	if (!is_target())
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		count(&drops.close_lost);
		return 0;
	}
	rec->type = LW_FD_REC_CLOSE_RANGE;
	rec->first = (__u32)ctx->args[0];
	rec->last = (__u32)ctx->args[1];
	rec->flags = (__u32)ctx->args[2];
	rec->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(rec, submit_flags());
	return 0;
}

static __always_inline void emit_dup(__u32 call, long oldfd, long newfd)
{
	struct lw_fd_rec_dup *rec;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		return;
	}
	rec->type = LW_FD_REC_DUP;
	rec->call = call;
	rec->oldfd = (int)oldfd;
	rec->newfd = (int)newfd;
	rec->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(rec, submit_flags());
}

/* dup(old), dup2(old, new), dup3(old, new, flags): the exit returns new. */
static __always_inline int dup_enter(struct trace_event_raw_sys_enter *ctx,
				     __u32 call)
{
	if (is_target())
		save(call, ctx->args[0]);
	return 0;
}

static __always_inline int dup_exit(struct trace_event_raw_sys_exit *ctx,
				    __u32 call)
{
	struct pending p;

	if (!is_target() || take(call, &p) || sys_failed(ctx->ret))
		return 0;
	emit_dup(call, (long)p.arg0, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_dup")
int dup_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return dup_enter(ctx, LW_FD_DUP);
}

SEC("tracepoint/syscalls/sys_exit_dup")
int dup_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return dup_exit(ctx, LW_FD_DUP);
}

SEC("tracepoint/syscalls/sys_enter_dup2")
int dup2_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return dup_enter(ctx, LW_FD_DUP2);
}

SEC("tracepoint/syscalls/sys_exit_dup2")
int dup2_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return dup_exit(ctx, LW_FD_DUP2);
}

SEC("tracepoint/syscalls/sys_enter_dup3")
int dup3_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return dup_enter(ctx, LW_FD_DUP3);
}

SEC("tracepoint/syscalls/sys_exit_dup3")
int dup3_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return dup_exit(ctx, LW_FD_DUP3);
}

/* fcntl is called often (Go sets flags with it): only F_DUPFD and
 * F_DUPFD_CLOEXEC leave a pending entry, so the other exits find none. */
SEC("tracepoint/syscalls/sys_enter_fcntl")
int fcntl_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!is_target())
		return 0;
	if (ctx->args[1] == F_DUPFD || ctx->args[1] == F_DUPFD_CLOEXEC)
		save(LW_FD_FCNTL_DUPFD, ctx->args[0]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_fcntl")
int fcntl_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid;

	if (!is_target())
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	if (!bpf_map_lookup_elem(&pending, &tid))
		return 0;
	return dup_exit(ctx, LW_FD_FCNTL_DUPFD);
}

/* exec closed every CLOEXEC descriptor: userspace re-reads /proc. */
SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	struct lw_fd_rec_exec *rec;

	if (!is_target())
		return 0;
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count(&drops.ringbuf_full);
		return 0;
	}
	rec->type = LW_FD_REC_EXEC;
	rec->pad = 0;
	rec->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
