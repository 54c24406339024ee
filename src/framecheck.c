/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Frame checks against the live target.  Pairs with framecheck.h. */
#define _GNU_SOURCE /* process_vm_readv() */
#include <errno.h>
#include <sys/uio.h>

#include "framecheck.h"
#include "hmap.h"
#include "stackcheck.h"

#define MAPS_REFRESH_NS 100000000ull /* re-read maps at most every 100 ms */

int lw_read_before(int pid, uint64_t addr, uint8_t out[8])
{
	struct iovec local = { .iov_base = out, .iov_len = 8 };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)(addr - 8),
				.iov_len = 8 };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != 8)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return 0;
}

int lw_frame_check__init(struct lw_frame_check *fc, int pid,
			 struct lw_maps *maps, unsigned cache_max)
{
	fc->pid = pid;
	fc->maps = maps;
	fc->maps_ns = 0;
	fc->cache_max = cache_max;
	fc->ok = lw_hmap__new(sizeof(uint8_t), 256);
	return fc->ok ? 0 : -ENOMEM;
}

void lw_frame_check__fini(struct lw_frame_check *fc)
{
	lw_hmap__free(fc->ok);
	fc->ok = NULL;
}

static const struct lw_vma *find_vma(struct lw_frame_check *fc, uint64_t addr,
				     uint64_t now_ns)
{
	const struct lw_vma *v = lw_maps__find(fc->maps, addr);
	struct lw_maps fresh;

	if (v || now_ns - fc->maps_ns < MAPS_REFRESH_NS)
		return v;
	/* Code mapped since the last look (dlopen). */
	fc->maps_ns = now_ns;
	if (lw_maps__read(fc->pid, &fresh))
		return NULL;
	lw_maps__free(fc->maps);
	*fc->maps = fresh;
	return lw_maps__find(fc->maps, addr);
}

bool lw_frame_check__ok(struct lw_frame_check *fc, uint64_t ip,
			uint64_t now_ns)
{
	const struct lw_vma *v;
	uint8_t code[8], *cached;
	bool ok = false;

	cached = lw_hmap__get(fc->ok, ip);
	if (cached)
		return *cached;
	v = find_vma(fc, ip, now_ns);
	if (v && v->x && ip >= 8) {
		switch (lw_read_before(fc->pid, ip, code)) {
		case 0:
			ok = lw_x86_follows_call(code);
			break;
		case -ESRCH:
			ok = true;
			break;
		default:
			break;
		}
	}
	/* Unbounded garbage must not grow the cache forever. */
	if (lw_hmap__count(fc->ok) >= fc->cache_max)
		lw_hmap__clear(fc->ok);
	cached = lw_hmap__put(fc->ok, ip, NULL);
	if (cached)
		*cached = ok;
	return ok;
}
