/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A running Go process: executable, load bias and memory reads through
 * process_vm_readv.  Pairs with goproc.h.
 */
#define _GNU_SOURCE /* process_vm_readv() */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "goproc.h"
#include "procmaps.h"

/* The kernel takes at most this many iovecs per call (UIO_MAXIOV). */
#define MAX_IOV 1024

/*
 * Link-time address of the first byte of the file: the PT_LOAD that maps
 * file offset 0, page-aligned down.  The kernel maps that page at the
 * lowest address of the executable, which gives the bias of a PIE.
 */
static int first_load_vaddr(const char *path, uint64_t *ret)
{
	GElf_Phdr ph;
	size_t i, n;
	Elf *e = NULL;
	int fd, err = -ENOEXEC;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_getphdrnum(e, &n))
		goto out;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset == 0) {
			*ret = ph.p_vaddr & ~(uint64_t)4095;
			err = 0;
			break;
		}
	}
out:
	elf_end(e);
	(void)close(fd);
	return err;
}

/* Bias and code bounds from the mappings of the exe's (dev, inode). */
static int map_exe(struct lw_goproc *p, const char *exe_path)
{
	struct lw_maps maps = {0};
	uint64_t vaddr0 = 0, base = UINT64_MAX;
	struct stat st;
	size_t i;
	int err;

	if (stat(exe_path, &st))
		return errno == ENOENT ? -ESRCH : -errno;
	err = lw_maps__read(p->pid, &maps);
	if (err)
		return err;
	p->text_lo = UINT64_MAX;
	p->text_hi = 0;
	for (i = 0; i < maps.n; i++) {
		const struct lw_vma *v = &maps.v[i];

		if (v->inode != st.st_ino || !v->path ||
		    v->dev_major != major(st.st_dev) ||
		    v->dev_minor != minor(st.st_dev))
			continue;
		if (v->offset == 0 && v->start < base)
			base = v->start;
		if (v->x) {
			if (v->start < p->text_lo)
				p->text_lo = v->start;
			if (v->end > p->text_hi)
				p->text_hi = v->end;
		}
	}
	lw_maps__free(&maps);
	if (base == UINT64_MAX || !p->text_hi)
		return -ENOEXEC; /* not mapped yet: nothing to read */
	if (lw_gobin__is_pie(p->bin)) {
		err = first_load_vaddr(exe_path, &vaddr0);
		if (err)
			return err;
		p->bias = base - vaddr0;
	}
	return 0;
}

int lw_goproc__open(int pid, struct lw_goproc **ret)
{
	struct lw_goproc *p;
	char path[64];
	ssize_t n;
	int err;

	*ret = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	if (n < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto err_out;
	}
	p->exe[n] = '\0';
	err = lw_gobin__open(path, &p->bin);
	if (err)
		goto err_out;
	err = lw_gobin__layout(p->bin, &p->layout);
	if (err)
		goto err_out;
	err = map_exe(p, path);
	if (err)
		goto err_out;
	*ret = p;
	return 0;

err_out:
	lw_goproc__free(p);
	return err;
}

void lw_goproc__free(struct lw_goproc *p)
{
	if (!p)
		return;
	lw_gobin__free(p->bin);
	free(p);
}

int lw_goproc__var(const struct lw_goproc *p, const char *name, uint64_t *ret)
{
	uint64_t a;
	int err = lw_gobin__find_var(p->bin, name, &a);

	if (err)
		return err;
	*ret = a + p->bias;
	return 0;
}

static int read_errno(void)
{
	/* ESRCH: gone; EFAULT/EIO: an unmapped address; EPERM: no access. */
	if (errno == ESRCH || errno == EPERM)
		return -errno;
	return -EFAULT;
}

int lw_goproc__read(struct lw_goproc *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr,
			       .iov_len = len};
	ssize_t n;

	if (!addr)
		return -EFAULT;
	p->nr_reads++;
	n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return read_errno();
	p->nr_bytes += n;
	return (size_t)n == len ? 0 : -EFAULT;
}

int lw_goproc__read_u64(struct lw_goproc *p, uint64_t addr, uint64_t *ret)
{
	return lw_goproc__read(p, addr, ret, sizeof(*ret));
}

/*
 * One call reads pieces [from, from + cnt) until the first one that is
 * not mapped; the kernel then returns the bytes read so far.  The pieces
 * before that point are good; the failing one is retried alone, so a bad
 * address costs one piece, not the batch.
 */
int lw_goproc__readv(struct lw_goproc *p, const uint64_t *addrs, size_t len,
		     void *buf, size_t n, bool *ok)
{
	struct iovec local[MAX_IOV], remote[MAX_IOV];
	size_t i = 0, k, cnt, done;
	int nr_ok = 0;
	ssize_t got;

	while (i < n) {
		cnt = n - i < MAX_IOV ? n - i : MAX_IOV;
		for (k = 0; k < cnt; k++) {
			local[k].iov_base = (char *)buf + (i + k) * len;
			local[k].iov_len = len;
			remote[k].iov_base = (void *)(uintptr_t)addrs[i + k];
			remote[k].iov_len = len;
		}
		p->nr_reads++;
		got = process_vm_readv(p->pid, local, cnt, remote, cnt, 0);
		if (got < 0) {
			if (errno == ESRCH)
				return -ESRCH;
			got = 0;
		}
		p->nr_bytes += got;
		done = (size_t)got / len;
		for (k = 0; k < done; k++)
			ok[i + k] = true;
		nr_ok += done;
		if (done == cnt) {
			i += cnt;
			continue;
		}
		/* pieces[done] failed (or was cut short): skip it. */
		ok[i + done] = false;
		i += done + 1;
	}
	return nr_ok;
}

bool lw_goproc__in_text(const struct lw_goproc *p, uint64_t addr)
{
	return addr >= p->text_lo && addr < p->text_hi;
}

int lw_goproc__read_gostring(struct lw_goproc *p, uint64_t addr, char *buf,
			     size_t len)
{
	uint64_t hdr[2];
	size_t n;
	int err;

	buf[0] = '\0';
	err = lw_goproc__read(p, addr, hdr, sizeof(hdr));
	if (err)
		return err;
	/* Names the runtime keeps are short; anything else is garbage. */
	if (hdr[1] > 4096)
		return -EINVAL;
	n = hdr[1] < len - 1 ? hdr[1] : len - 1;
	if (n) {
		err = lw_goproc__read(p, hdr[0], buf, n);
		if (err)
			return err;
	}
	buf[n] = '\0';
	return 0;
}

static uint64_t status_kib(const char *text, const char *key)
{
	const char *s = strstr(text, key);

	return s ? strtoull(s + strlen(key), NULL, 10) * 1024 : 0;
}

int lw_goproc__rss(const struct lw_goproc *p, uint64_t *rss, uint64_t *anon)
{
	char path[64], *text = NULL;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/status", p->pid);
	err = lw_read_file(path, &text, NULL);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	*rss = status_kib(text, "\nVmRSS:");
	*anon = status_kib(text, "\nRssAnon:");
	free(text);
	return 0;
}
