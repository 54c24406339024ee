/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Cheap per-process facts from /proc (see procfs.h).  Parsers are pure;
 * readers use one open/read on a stack buffer per file, because the daemon
 * reads stat and statm of every process on every scan.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"

#define PF_KTHREAD_FLAG 0x00200000u /* include/linux/sched.h */

/*
 * Read a small /proc file into buf (NUL-terminated).  A process that died
 * gives ENOENT at open or ESRCH at read: both become -ESRCH.
 */
static int read_small(const char *path, char *buf, size_t len, size_t *ret_n)
{
	size_t n = 0;
	ssize_t r;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while (n < len - 1) {
		r = read(fd, buf + n, len - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno == ENOENT ? -ESRCH : -errno;
			break;
		}
		if (r == 0)
			break;
		n += r;
	}
	(void)close(fd);
	buf[n] = '\0';
	if (ret_n)
		*ret_n = n;
	return err;
}

static int parse_u64(const char **p, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	while (**p == ' ')
		(*p)++;
	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	v = strtoull(*p, &end, 10);
	if (errno)
		return -EINVAL;
	*p = end;
	*ret = v;
	return 0;
}

/* Skip n space-separated fields (any content). */
static int skip_fields(const char **p, int n)
{
	while (n-- > 0) {
		while (**p == ' ')
			(*p)++;
		if (!**p || **p == '\n')
			return -EINVAL;
		while (**p && **p != ' ' && **p != '\n')
			(*p)++;
	}
	return 0;
}

int lw_procstat__parse_stat(const char *text, struct lw_procstat *ret)
{
	const char *open, *close, *p;
	uint64_t pid, ppid, flags, utime, stime, threads, start;
	size_t clen;
	char state;

	if (parse_u64(&text, &pid) || pid > INT_MAX)
		return -EINVAL;
	open = strchr(text, '(');
	close = strrchr(text, ')');
	if (!open || !close || close < open)
		return -EINVAL;
	clen = close - open - 1;
	/* The kernel prints at most TASK_COMM_LEN - 1 bytes. */
	if (clen >= sizeof(ret->comm))
		return -EINVAL;

	/* Field 3 on: state ppid pgrp session tty tpgid flags ... */
	p = close + 1;
	if (*p++ != ' ' || !*p || *p == ' ')
		return -EINVAL;
	state = *p++;
	if (parse_u64(&p, &ppid) || ppid > INT_MAX)
		return -EINVAL;
	/* pgrp, session, tty_nr, tpgid: fields 5-8 (tpgid may be -1) */
	if (skip_fields(&p, 4) || parse_u64(&p, &flags))
		return -EINVAL;
	/* minflt cminflt majflt cmajflt: fields 10-13 */
	if (skip_fields(&p, 4) || parse_u64(&p, &utime) ||
	    parse_u64(&p, &stime))
		return -EINVAL;
	/* cutime cstime priority nice: fields 16-19 (may be negative) */
	if (skip_fields(&p, 4) || parse_u64(&p, &threads))
		return -EINVAL;
	/* itrealvalue: field 21 */
	if (skip_fields(&p, 1) || parse_u64(&p, &start))
		return -EINVAL;

	ret->pid = (int)pid;
	memcpy(ret->comm, open + 1, clen);
	ret->comm[clen] = '\0';
	ret->state = state;
	ret->ppid = (int)ppid;
	ret->kernel_thread = flags & PF_KTHREAD_FLAG;
	ret->utime_ticks = utime;
	ret->stime_ticks = stime;
	ret->num_threads = threads;
	ret->start_ticks = start;
	return 0;
}

int lw_procstat__parse_statm(const char *text, uint64_t page_size,
			     struct lw_procstat *ret)
{
	uint64_t size, resident, shared;

	if (parse_u64(&text, &size) || parse_u64(&text, &resident) ||
	    parse_u64(&text, &shared))
		return -EINVAL;
	/*
	 * resident and shared are sampled from per-mm counters that are not
	 * read atomically together; never let anon go below zero.
	 */
	ret->rss_bytes = resident * page_size;
	ret->anon_bytes = resident > shared ? (resident - shared) * page_size
					    : 0;
	return 0;
}

int lw_procstat__read(int pid, struct lw_procstat *ret)
{
	static long page_size;
	char path[64], buf[1024];
	struct lw_procstat st = {0};
	int err;

	if (!page_size)
		page_size = sysconf(_SC_PAGESIZE);

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	err = read_small(path, buf, sizeof(buf), NULL);
	if (err)
		return err;
	err = lw_procstat__parse_stat(buf, &st);
	if (err)
		return err;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	err = read_small(path, buf, sizeof(buf), NULL);
	if (err)
		return err;
	err = lw_procstat__parse_statm(buf, page_size, &st);
	if (err)
		return err;
	*ret = st;
	return 0;
}

/* Next line of text as [*ret_start, *ret_end); NULL at the end. */
static const char *next_line(const char *p, const char **ret_start,
			     const char **ret_end)
{
	const char *nl;

	if (!p || !*p)
		return NULL;
	nl = strchr(p, '\n');
	*ret_start = p;
	*ret_end = nl ? nl : p + strlen(p);
	return nl ? nl + 1 : *ret_end;
}

/*
 * Split a cgroup line "ID:CONTROLLERS:PATH" (PATH may contain ':') into
 * its hierarchy id, controllers and path.  Returns false if malformed.
 */
static bool split_cgroup_line(const char *s, const char *e, long *ret_id,
			      const char **ret_ctl, size_t *ret_ctl_len,
			      const char **ret_path, size_t *ret_path_len)
{
	const char *c1, *c2;
	char *end;

	c1 = memchr(s, ':', e - s);
	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', e - c1 - 1);
	if (!c2)
		return false;
	*ret_id = strtol(s, &end, 10);
	if (end != c1)
		return false;
	*ret_ctl = c1 + 1;
	*ret_ctl_len = c2 - c1 - 1;
	*ret_path = c2 + 1;
	*ret_path_len = e - c2 - 1;
	return true;
}

static int copy_span(const char *s, size_t n, char *buf, size_t len)
{
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static bool is_root_path(const char *p, size_t n)
{
	return n == 0 || (n == 1 && p[0] == '/');
}

int lw_cgroup_path_from_cgroup(const char *text, char *buf, size_t len)
{
	const char *s, *e, *ctl, *path;
	const char *v2 = NULL, *sysd = NULL, *first = NULL;
	size_t ctl_len, path_len, v2_len = 0, sysd_len = 0, first_len = 0;
	bool any = false;
	long id;

	while ((text = next_line(text, &s, &e))) {
		if (!split_cgroup_line(s, e, &id, &ctl, &ctl_len, &path,
				       &path_len))
			continue;
		any = true;
		if (id == 0 && ctl_len == 0) {
			v2 = path;
			v2_len = path_len;
		} else if (ctl_len == 12 && !memcmp(ctl, "name=systemd", 12)) {
			sysd = path;
			sysd_len = path_len;
		} else if (!first && !is_root_path(path, path_len)) {
			first = path;
			first_len = path_len;
		}
	}
	if (!any)
		return -ENOENT;
	/*
	 * A pure v2 host has only "0::PATH".  A hybrid host has both, and on
	 * such hosts without systemd managing the unified hierarchy the
	 * v2 path may be "/" while a v1 hierarchy says where the process
	 * really is: then the v1 path tells more.
	 */
	if (v2 && !is_root_path(v2, v2_len))
		return copy_span(v2, v2_len, buf, len);
	if (sysd && !is_root_path(sysd, sysd_len))
		return copy_span(sysd, sysd_len, buf, len);
	if (first)
		return copy_span(first, first_len, buf, len);
	return copy_span("/", 1, buf, len);
}

static size_t hex_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && isxdigit((unsigned char)s[i]) &&
	       !isupper((unsigned char)s[i]))
		i++;
	return i;
}

static bool has_prefix(const char *s, size_t n, const char *pfx, size_t *plen)
{
	*plen = strlen(pfx);
	return n >= *plen && !memcmp(s, pfx, *plen);
}

/* The container id in one path component, or 0 (its length otherwise). */
static size_t component_id(const char *c, size_t n, const char **ret_id)
{
	static const char *const prefixes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-",
	};
	const char *colon;
	size_t i, plen, h;

	/* systemd cgroup driver under a namespaced containerd/cri-o:
	 * "kubepods-besteffort-podUID.slice:cri-containerd:ID" */
	colon = memrchr(c, ':', n);
	if (colon) {
		const char *id = colon + 1;
		size_t idn = c + n - id;

		h = hex_run(id, idn);
		if (h == idn && h >= 12) {
			*ret_id = id;
			return h;
		}
		return 0;
	}
	if (n > 6 && !memcmp(c + n - 6, ".scope", 6)) {
		for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			if (!has_prefix(c, n - 6, prefixes[i], &plen))
				continue;
			h = hex_run(c + plen, n - 6 - plen);
			if (h == n - 6 - plen && h >= 12) {
				*ret_id = c + plen;
				return h;
			}
		}
		return 0;
	}
	/* podman's cgroupfs manager: /libpod_parent/libpod-ID */
	if (has_prefix(c, n, "libpod-", &plen)) {
		h = hex_run(c + plen, n - plen);
		if (h == n - plen && h == 64) {
			*ret_id = c + plen;
			return h;
		}
		return 0;
	}
	/* cgroupfs drivers: /docker/ID, /kubepods/burstable/podUID/ID */
	if (n == 64 && hex_run(c, n) == 64) {
		*ret_id = c;
		return 64;
	}
	return 0;
}

/* Innermost container id in one cgroup path, or 0. */
static size_t path_id(const char *path, size_t n, const char **ret_id)
{
	const char *end = path + n, *start;
	size_t got;

	while (end > path) {
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (end > start) {
			got = component_id(start, end - start, ret_id);
			if (got)
				return got;
		}
		end = start > path ? start - 1 : path;
	}
	return 0;
}

int lw_container_id_from_cgroup(const char *text, char *buf, size_t len)
{
	const char *t, *s, *e, *ctl, *path, *id;
	size_t ctl_len, path_len, n;
	long hid;
	int pass;

	/* Pass 0: the v2 line; pass 1: every v1 hierarchy. */
	for (pass = 0; pass < 2; pass++) {
		t = text;
		while ((t = next_line(t, &s, &e))) {
			if (!split_cgroup_line(s, e, &hid, &ctl, &ctl_len,
					       &path, &path_len))
				continue;
			if ((hid == 0 && ctl_len == 0) != (pass == 0))
				continue;
			n = path_id(path, path_len, &id);
			if (n)
				return copy_span(id, n, buf, len);
		}
	}
	return -ENOENT;
}

static uint64_t ns_inode(int pid, const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

int lw_procident__read(int pid, struct lw_procident *ret)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	char path[64], buf[8192];
	ssize_t n;
	int err;

	memset(ret, 0, sizeof(*ret));

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	err = read_small(path, buf, sizeof(buf), NULL);
	if (err)
		return err;
	if (lw_cgroup_path_from_cgroup(buf, ret->cgroup, sizeof(ret->cgroup)))
		ret->cgroup[0] = '\0';
	if (lw_container_id_from_cgroup(buf, ret->container,
					sizeof(ret->container)))
		ret->container[0] = '\0';

	/* Kernel threads have no exe; other users' need CAP_SYS_PTRACE. */
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, ret->exe, sizeof(ret->exe) - 1);
	if (n < 0 || (size_t)n >= sizeof(ret->exe) - 1)
		n = 0;
	ret->exe[n] = '\0';
	if ((size_t)n > dlen && !strcmp(ret->exe + n - dlen, deleted)) {
		ret->exe[n - dlen] = '\0';
		ret->exe_deleted = true;
	}

	ret->pidns = ns_inode(pid, "pid");
	ret->netns = ns_inode(pid, "net");
	ret->mntns = ns_inode(pid, "mnt");
	return 0;
}

/* The kept /proc directory fd and getdents64 buffer of lw_proc_list(). */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static int list_fd = -1;
static char list_buf[32768];

struct lw_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int parse_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

int lw_proc_list(int **pids, size_t *nr)
{
	size_t n = 0, cap = 0;
	int *v = NULL, *nv, pid, err = 0;
	long got, off;

	pthread_mutex_lock(&list_lock);
	if (list_fd < 0) {
		list_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (list_fd < 0) {
			err = -errno;
			goto out;
		}
	} else if (lseek(list_fd, 0, SEEK_SET) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		got = syscall(SYS_getdents64, list_fd, list_buf,
			      sizeof(list_buf));
		if (got < 0) {
			err = -errno;
			goto out;
		}
		if (got == 0)
			break;
		for (off = 0; off < got;) {
			struct lw_dirent64 *d = (void *)(list_buf + off);

			off += d->d_reclen;
			if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
				continue;
			pid = parse_pid(d->d_name);
			if (pid <= 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					err = -ENOMEM;
					goto out;
				}
				v = nv;
			}
			v[n++] = pid;
		}
	}
out:
	pthread_mutex_unlock(&list_lock);
	if (err) {
		free(v);
		return err;
	}
	*pids = v;
	*nr = n;
	return 0;
}

void lw_proc_list__close(void)
{
	pthread_mutex_lock(&list_lock);
	if (list_fd >= 0)
		(void)close(list_fd);
	list_fd = -1;
	pthread_mutex_unlock(&list_lock);
}
