/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Descriptor kinds from /proc/PID/fd links and socket states from
 * NETLINK_SOCK_DIAG (inet_diag for TCP/UDP over IPv4/IPv6, unix_diag).
 * Pairs with sockdiag.h.
 */
#define _GNU_SOURCE /* setns() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>

#include "hmap.h"
#include "procmaps.h"
#include "sockdiag.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PF_EXITING 0x4 /* include/linux/sched.h */

static const char *const kind_names[LW_FDK_NR] = {
	[LW_FDK_SOCKET] = "socket",   [LW_FDK_FILE] = "file",
	[LW_FDK_DEVICE] = "device",   [LW_FDK_PIPE] = "pipe",
	[LW_FDK_EVENTFD] = "eventfd", [LW_FDK_EPOLL] = "epoll",
	[LW_FDK_TIMERFD] = "timerfd", [LW_FDK_SIGNALFD] = "signalfd",
	[LW_FDK_INOTIFY] = "inotify", [LW_FDK_PIDFD] = "pidfd",
	[LW_FDK_ANON] = "anon_inode", [LW_FDK_OTHER] = "other",
};

const char *lw_fd_kind_name(unsigned kind)
{
	return kind < LW_FDK_NR ? kind_names[kind] : "other";
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

enum lw_fd_kind lw_fd_kind_of(const char *link, uint64_t *ret_inode)
{
	static const struct {
		const char *name; /* after "anon_inode:" */
		enum lw_fd_kind kind;
	} anon[] = {
		{"[eventfd]", LW_FDK_EVENTFD}, {"[eventpoll]", LW_FDK_EPOLL},
		{"[timerfd]", LW_FDK_TIMERFD}, {"[signalfd]", LW_FDK_SIGNALFD},
		{"inotify", LW_FDK_INOTIFY},   {"[pidfd]", LW_FDK_PIDFD},
	};
	size_t i;

	if (ret_inode)
		*ret_inode = 0;
	if (starts(link, "socket:[")) {
		if (ret_inode)
			*ret_inode = strtoull(link + 8, NULL, 10);
		return LW_FDK_SOCKET;
	}
	if (starts(link, "pipe:["))
		return LW_FDK_PIPE;
	/* Since Linux 6.9 pidfds live in pidfs: "pidfd:[1234]". */
	if (starts(link, "pidfd:"))
		return LW_FDK_PIDFD;
	if (starts(link, "anon_inode:")) {
		for (i = 0; i < ARRAY_SIZE(anon); i++)
			if (!strcmp(link + 11, anon[i].name))
				return anon[i].kind;
		return LW_FDK_ANON;
	}
	if (starts(link, "/dev/"))
		return LW_FDK_DEVICE;
	if (link[0] == '/')
		return LW_FDK_FILE;
	return LW_FDK_OTHER;
}

/*
 * Whether pid is exiting: a zombie, dead, or with PF_EXITING set (do_exit
 * closes the descriptors before the task turns into a zombie).
 */
static bool exiting(int pid)
{
	char path[64], *buf = NULL, *p, state;
	unsigned long flags = 0;
	bool ret = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (lw_read_file(path, &buf, NULL))
		return true;
	/* The comm may hold anything, ")" included: go by the last one. */
	p = strrchr(buf, ')');
	/* ") S ppid pgrp session tty_nr tpgid flags" */
	if (p &&
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) == 2)
		ret = state == 'Z' || state == 'X' || state == 'x' ||
		      (flags & PF_EXITING);
	free(buf);
	return ret;
}

int lw_fd_list(int pid, struct lw_fd_entry **ret, size_t *ret_nr)
{
	struct lw_fd_entry *v = NULL, *nv;
	size_t nr = 0, cap = 0;
	char path[64], link[256];
	struct dirent *de;
	DIR *dir;
	ssize_t n;
	int err = 0;

	*ret = NULL;
	*ret_nr = 0;
	if (exiting(pid))
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd < 0)
			continue; /* "." and ".." */
		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue; /* closed since readdir */
		link[n] = '\0';
		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		v[nr].fd = (int)fd;
		v[nr].kind = lw_fd_kind_of(link, &v[nr].inode);
		nr++;
	}
	/* Exiting while we read: part of the list may already be gone. */
	if (exiting(pid))
		err = -ESRCH;
out:
	closedir(dir);
	if (err) {
		free(v);
		return err;
	}
	*ret = v;
	*ret_nr = nr;
	return 0;
}

static const char *const proto_names[LW_PROTO_NR] = {
	[LW_PROTO_UNKNOWN] = "unknown", [LW_PROTO_TCP] = "tcp",
	[LW_PROTO_TCP6] = "tcp6",	[LW_PROTO_UDP] = "udp",
	[LW_PROTO_UDP6] = "udp6",	[LW_PROTO_UNIX] = "unix",
};

const char *lw_sock_proto_name(unsigned proto)
{
	return proto < LW_PROTO_NR ? proto_names[proto] : "unknown";
}

static const char *const state_names[LW_SOCK_NR_STATES] = {
	"UNKNOWN",   "ESTABLISHED", "SYN_SENT",	    "SYN_RECV",	  "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT",   "CLOSE",	    "CLOSE_WAIT", "LAST_ACK",
	"LISTEN",    "CLOSING",	    "NEW_SYN_RECV",
};

const char *lw_sock_state_name(unsigned state)
{
	return state < LW_SOCK_NR_STATES ? state_names[state] : "UNKNOWN";
}

struct lw_sockdiag {
	int fd;
	__u32 seq;
	char *buf;
	size_t buf_len;
};

#define DIAG_BUF (32 * 1024)

/* A socket of the given kind in the network namespace of pid. */
static int socket_in_netns(int pid, int domain, int type, int proto)
{
	struct stat ours, theirs;
	char path[64];
	int self = -1, target = -1, fd = -1, err;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat("/proc/self/ns/net", &ours) || stat(path, &theirs) ||
	    ours.st_ino == theirs.st_ino)
		return socket(domain, type | SOCK_CLOEXEC, proto);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0 || setns(target, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	err = fd < 0 ? -errno : 0;
	/* Back home, or every later socket would be in their namespace. */
	if (setns(self, CLONE_NEWNET)) {
		err = -errno;
		if (fd >= 0)
			(void)close(fd);
		fd = -1;
	}
out:
	if (self >= 0)
		(void)close(self);
	if (target >= 0)
		(void)close(target);
	return fd >= 0 ? fd : err;
}

struct lw_sockdiag *lw_sockdiag__new(int pid)
{
	struct lw_sockdiag *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return NULL;
	d->buf_len = DIAG_BUF;
	d->buf = malloc(d->buf_len);
	if (!d->buf) {
		err = -ENOMEM;
		goto err_out;
	}
	d->fd = socket_in_netns(pid, AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
	if (d->fd < 0) {
		err = d->fd;
		goto err_out;
	}
	return d;

err_out:
	d->fd = -1;
	lw_sockdiag__free(d);
	errno = -err;
	return NULL;
}

void lw_sockdiag__free(struct lw_sockdiag *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		(void)close(d->fd);
	free(d->buf);
	free(d);
}

static int put_sock(struct lw_hmap *socks, uint64_t inode, unsigned proto,
		    unsigned state)
{
	struct lw_sock_info *si;

	if (!inode)
		return 0; /* TIME_WAIT minisockets and the like: no fd */
	si = lw_hmap__put(socks, inode, NULL);
	if (!si)
		return -ENOMEM;
	si->proto = (uint8_t)proto;
	si->state = (uint8_t)(state < LW_SOCK_NR_STATES ? state : 0);
	return 0;
}

/* Send one dump request and read the reply into socks. */
static int dump_one(struct lw_sockdiag *d, const void *req, size_t req_len,
		    unsigned proto, struct lw_hmap *socks)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct nlmsghdr *h;
	ssize_t n;
	int err;

	if (sendto(d->fd, req, req_len, 0, (struct sockaddr *)&sa, sizeof(sa)) <
	    0)
		return -errno;
	for (;;) {
		n = recv(d->fd, d->buf, d->buf_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)d->buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != d->seq)
				continue; /* a late answer to an older dump */
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EIO;
			}
			if (proto == LW_PROTO_UNIX) {
				const struct unix_diag_msg *m = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
					continue;
				err = put_sock(socks, m->udiag_ino, proto,
					       m->udiag_state);
			} else {
				const struct inet_diag_msg *m = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
					continue;
				err = put_sock(socks, m->idiag_inode, proto,
					       m->idiag_state);
			}
			if (err)
				return err;
		}
	}
}

static int dump_inet(struct lw_sockdiag *d, int family, int ipproto,
		     unsigned proto, struct lw_hmap *socks)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh =
			{
				.nlmsg_len = sizeof(req),
				.nlmsg_type = SOCK_DIAG_BY_FAMILY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
				.nlmsg_seq = ++d->seq,
			},
		.r =
			{
				.sdiag_family = (__u8)family,
				.sdiag_protocol = (__u8)ipproto,
				.idiag_states = ~0u,
			},
	};

	return dump_one(d, &req, sizeof(req), proto, socks);
}

static int dump_unix(struct lw_sockdiag *d, struct lw_hmap *socks)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh =
			{
				.nlmsg_len = sizeof(req),
				.nlmsg_type = SOCK_DIAG_BY_FAMILY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
				.nlmsg_seq = ++d->seq,
			},
		.r =
			{
				.sdiag_family = AF_UNIX,
				.udiag_states = ~0u,
			},
	};

	return dump_one(d, &req, sizeof(req), LW_PROTO_UNIX, socks);
}

int lw_sockdiag__dump(struct lw_sockdiag *d, struct lw_hmap *socks)
{
	static const struct {
		int family, ipproto;
		unsigned proto;
	} inet[] = {
		{AF_INET, IPPROTO_TCP, LW_PROTO_TCP},
		{AF_INET6, IPPROTO_TCP, LW_PROTO_TCP6},
		{AF_INET, IPPROTO_UDP, LW_PROTO_UDP},
		{AF_INET6, IPPROTO_UDP, LW_PROTO_UDP6},
	};
	int err, first_err = 0, ok = 0;
	size_t i;

	lw_hmap__clear(socks);
	for (i = 0; i <= ARRAY_SIZE(inet); i++) {
		if (i < ARRAY_SIZE(inet))
			err = dump_inet(d, inet[i].family, inet[i].ipproto,
					inet[i].proto, socks);
		else
			err = dump_unix(d, socks);
		if (err == -ENOMEM)
			return err;
		if (err && !first_err)
			first_err = err;
		ok += !err;
	}
	return ok ? 0 : first_err;
}
