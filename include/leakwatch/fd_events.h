/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Wire types shared by bpf/fd.bpf.c and src/fd.c: the records the
 * descriptor probes put on their ring buffer (sockets created, descriptors
 * closed or duplicated, exec) and the drop counters.  Fixed-size __u and __s
 * fields only; sizes are pinned below.
 */
#ifndef LEAKWATCH_FD_EVENTS_H
#define LEAKWATCH_FD_EVENTS_H

#ifndef __bpf__
#include <linux/types.h> /* BPF gets __u* from vmlinux.h */
#endif

/* Frames and words above the user sp per creation record; the same sizes
 * as the allocation family's syscall records (alloc_events.h). */
#define LW_FD_MAX_STACK 32
#define LW_FD_SP_WORDS 32

/* The system call that made a descriptor. */
enum lw_fd_call {
	LW_FD_SOCKET = 1,
	LW_FD_SOCKETPAIR,
	LW_FD_ACCEPT,
	LW_FD_ACCEPT4,
	LW_FD_DUP,
	LW_FD_DUP2,
	LW_FD_DUP3,
	LW_FD_FCNTL_DUPFD, /* F_DUPFD and F_DUPFD_CLOEXEC */
	LW_FD_CALL_MAX,
};

/* Ring buffer record types.  Every record starts with __u32 type. */
enum lw_fd_rec_type {
	LW_FD_REC_OPEN = 1,    /* socket, socketpair, accept, accept4 */
	LW_FD_REC_CLOSE,       /* close(fd) */
	LW_FD_REC_CLOSE_RANGE, /* close_range(first, last, flags) */
	LW_FD_REC_DUP,	       /* dup, dup2, dup3, fcntl(F_DUPFD*) */
	LW_FD_REC_EXEC, /* the target called execve: CLOEXEC fds are gone */
};

/*
 * A socket descriptor was created (fd2 >= 0 for socketpair's second end).
 * The stack is taken at the syscall: ips[0] is the user ip after the
 * syscall instruction, inside a wrapper that usually keeps no frame
 * pointer (libc's socket, Go's Syscall6), so the frame-pointer walk in
 * ips[1..] skips the wrapper's caller; sp_words (the first words above the
 * user sp) hold its return address, which userspace finds with the
 * wrapper's frame size, as for mmap records (src/alloc.c).
 */
struct lw_fd_rec_open {
	__u32 type;
	__u32 call; /* enum lw_fd_call */
	__s32 fd;
	__s32 fd2;   /* -1 unless socketpair */
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u32 nr_ips;
	__u32 sp_ok; /* sp_words could be read */
	__u64 ips[LW_FD_MAX_STACK];
	__u64 sp_words[LW_FD_SP_WORDS];
};

/* close(fd) was called.  Linux releases the descriptor whatever close
 * returns (except EBADF: it was not open), so this is sent at entry. */
struct lw_fd_rec_close {
	__u32 type;
	__s32 fd;
	__u64 ts_ns;
};

/* close_range(first, last, flags).  With CLOSE_RANGE_CLOEXEC nothing is
 * closed (the flag is only set). */
struct lw_fd_rec_close_range {
	__u32 type;
	__u32 flags;
	__u32 first;
	__u32 last;
	__u64 ts_ns;
};

/* newfd is now a copy of oldfd.  dup2/dup3 closed whatever newfd was. */
struct lw_fd_rec_dup {
	__u32 type;
	__u32 call; /* enum lw_fd_call */
	__s32 oldfd;
	__s32 newfd;
	__u64 ts_ns;
};

/* The target exec'ed a new program. */
struct lw_fd_rec_exec {
	__u32 type;
	__u32 pad;
	__u64 ts_ns;
};

/* What the BPF side could not deliver (.bss, read through the skeleton). */
struct lw_fd_drops {
	__u64 ringbuf_full; /* records lost: reservation failed */
	__u64 close_lost;   /* subset of ringbuf_full: a close or close_range */
	__u64 pending_failed; /* no slot to carry arguments to the exit */
};

#ifndef __bpf__
_Static_assert(sizeof(struct lw_fd_rec_open) ==
		       32 + 8 * (LW_FD_MAX_STACK + LW_FD_SP_WORDS),
	       "lw_fd_rec_open layout");
_Static_assert(sizeof(struct lw_fd_rec_close) == 16, "lw_fd_rec_close layout");
_Static_assert(sizeof(struct lw_fd_rec_close_range) == 24, "lw_fd_rec_close_"
							   "range layout");
_Static_assert(sizeof(struct lw_fd_rec_dup) == 24, "lw_fd_rec_dup layout");
_Static_assert(sizeof(struct lw_fd_rec_exec) == 16, "lw_fd_rec_exec layout");
_Static_assert(sizeof(struct lw_fd_drops) == 24, "lw_fd_drops layout");
#endif

#endif /* LEAKWATCH_FD_EVENTS_H */
