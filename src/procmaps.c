/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* /proc/PID/maps parsing and lookup; pairs with procmaps.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procmaps.h"

#define DELETED_SUFFIX " (deleted)"

int lw_read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	size_t cap = 16384, len = 0;
	char *buf = NULL, *nbuf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!buf || cap - len < 4096) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto err_out;
			}
			buf = nbuf;
		}
		/* proc files must be read in pieces; size is not known. */
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto err_out;
		}
		if (n == 0)
			break;
		len += n;
	}
	(void)close(fd);
	buf[len] = '\0';
	*ret_buf = buf;
	if (ret_len)
		*ret_len = len;
	return 0;

err_out:
	(void)close(fd);
	free(buf);
	return err;
}

static int parse_line(char *line, struct lw_vma *v)
{
	char perms[5];
	int pos = 0;
	size_t plen;
	char *path;

	memset(v, 0, sizeof(*v));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 "%n",
		   &v->start, &v->end, perms, &v->offset, &v->dev_major,
		   &v->dev_minor, &v->inode, &pos) != 7)
		return -EINVAL;
	if (strlen(perms) != 4 || v->end < v->start)
		return -EINVAL;
	v->r = perms[0] == 'r';
	v->w = perms[1] == 'w';
	v->x = perms[2] == 'x';
	v->p = perms[3] == 'p';

	path = line + pos;
	while (*path == ' ' || *path == '\t')
		path++;
	if (!*path)
		return 0;
	plen = strlen(path);
	if (plen > strlen(DELETED_SUFFIX) &&
	    !strcmp(path + plen - strlen(DELETED_SUFFIX), DELETED_SUFFIX)) {
		v->deleted = true;
		plen -= strlen(DELETED_SUFFIX);
	}
	v->path = strndup(path, plen);
	return v->path ? 0 : -ENOMEM;
}

int lw_maps__parse(const char *text, struct lw_maps *ret)
{
	struct lw_maps m = { 0 };
	size_t cap = 0;
	const char *p = text;
	char *line = NULL;
	int err = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == 0) {
			p += 1;
			continue;
		}
		if (m.n == cap) {
			struct lw_vma *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(m.v, cap * sizeof(*nv));
			if (!nv) {
				err = -ENOMEM;
				goto err_out;
			}
			m.v = nv;
		}
		line = strndup(p, len);
		if (!line) {
			err = -ENOMEM;
			goto err_out;
		}
		err = parse_line(line, &m.v[m.n]);
		free(line);
		if (err)
			goto err_out;
		m.n++;
		p += len + (nl ? 1 : 0);
	}
	*ret = m;
	return 0;

err_out:
	lw_maps__free(&m);
	return err;
}

int lw_maps__read(int pid, struct lw_maps *ret)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = lw_read_file(path, &text, NULL);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	err = lw_maps__parse(text, ret);
	free(text);
	return err;
}

void lw_maps__free(struct lw_maps *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct lw_vma *lw_maps__find(const struct lw_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lw_vma *v = &m->v[mid];

		if (addr < v->start)
			hi = mid;
		else if (addr >= v->end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

bool lw_vma__is_file(const struct lw_vma *v)
{
	return v->path && v->path[0] == '/';
}

int lw_vma__open_path(int pid, const struct lw_vma *v, char *buf, size_t len)
{
	int n;

	if (!lw_vma__is_file(v))
		return -ENOENT;
	n = snprintf(buf, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
		     v->start, v->end);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (access(buf, F_OK) == 0)
		return 0;
	n = snprintf(buf, len, "/proc/%d/root%s", pid, v->path);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}
