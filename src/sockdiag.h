/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * What a process's descriptors are, read from outside: the kind of each
 * open fd from its /proc/PID/fd link, and the protocol and state of every
 * TCP, UDP (v4 and v6) and unix socket from NETLINK_SOCK_DIAG dumps, keyed
 * by socket inode so the two join.  Pairs with sockdiag.c; no libbpf.
 */
#ifndef LW_SOCKDIAG_H
#define LW_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_hmap;

/* What an fd refers to, from its /proc/PID/fd link. */
enum lw_fd_kind {
	LW_FDK_SOCKET = 0,
	LW_FDK_FILE,   /* a path: regular file, directory, memfd */
	LW_FDK_DEVICE, /* a path under /dev */
	LW_FDK_PIPE,
	LW_FDK_EVENTFD,
	LW_FDK_EPOLL,
	LW_FDK_TIMERFD,
	LW_FDK_SIGNALFD,
	LW_FDK_INOTIFY,
	LW_FDK_PIDFD,
	LW_FDK_ANON, /* another anon_inode */
	LW_FDK_OTHER,
	LW_FDK_NR,
};

/* "socket", "file", "pipe", "eventfd", "epoll", ... */
const char *lw_fd_kind_name(unsigned kind);

/* The kind of fd whose link reads link ("socket:[1234]", "pipe:[5]",
 * "anon_inode:[eventfd]", "/tmp/x").  Sockets' inode into *ret_inode
 * (0 for other kinds); ret_inode may be NULL. */
enum lw_fd_kind lw_fd_kind_of(const char *link, uint64_t *ret_inode);

/* One open descriptor of a process. */
struct lw_fd_entry {
	int fd;
	unsigned kind;	/* enum lw_fd_kind */
	uint64_t inode; /* sockets only */
};

/*
 * The open descriptors of pid from /proc/PID/fd, in no order.  *ret is
 * malloc'ed (free() it).  0, -ESRCH when the process is gone or exiting
 * (its descriptors are being closed: the list would be wrong), or -errno.
 */
int lw_fd_list(int pid, struct lw_fd_entry **ret, size_t *ret_nr);

/* Socket protocols. */
enum lw_sock_proto {
	LW_PROTO_UNKNOWN = 0, /* not in any dump: netlink, packet, ... */
	LW_PROTO_TCP,
	LW_PROTO_TCP6,
	LW_PROTO_UDP,
	LW_PROTO_UDP6,
	LW_PROTO_UNIX,
	LW_PROTO_NR,
};

const char *lw_sock_proto_name(unsigned proto); /* "tcp", "unix", ... */

/*
 * Socket states are the kernel's TCP state numbers (include/net/tcp_states.h),
 * which UDP and unix sockets use too (a UDP socket that is not connected
 * is CLOSE); 0 is "UNKNOWN" (the socket was in no dump).
 */
#define LW_SOCK_UNKNOWN 0
#define LW_SOCK_ESTABLISHED 1
#define LW_SOCK_CLOSE 7
#define LW_SOCK_CLOSE_WAIT 8
#define LW_SOCK_LISTEN 10
#define LW_SOCK_NR_STATES 13

/* "ESTABLISHED", "CLOSE_WAIT", ...; "UNKNOWN" for 0 or out of range. */
const char *lw_sock_state_name(unsigned state);

/* What a dump says about one socket: the value type of the map. */
struct lw_sock_info {
	uint8_t proto; /* enum lw_sock_proto */
	uint8_t state;
	uint16_t pad;
};

struct lw_sockdiag;

/*
 * A NETLINK_SOCK_DIAG socket in pid's network namespace (entered for the
 * socket call only, when it differs from ours).  NULL with errno set.
 */
struct lw_sockdiag *lw_sockdiag__new(int pid);
void lw_sockdiag__free(struct lw_sockdiag *d); /* NULL-safe */

/*
 * Dump every TCP, UDP and unix socket of the namespace into socks (a map
 * from inode to struct lw_sock_info, cleared first).  A family the kernel
 * cannot dump (udp_diag not built) is skipped: its sockets stay unknown.
 * 0, or -errno when nothing could be dumped.
 */
int lw_sockdiag__dump(struct lw_sockdiag *d, struct lw_hmap *socks);

#endif /* LW_SOCKDIAG_H */
