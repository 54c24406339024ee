/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Allocation probes, userspace half: skeleton lifetime, attach, and the
 * ring-buffer decoder feeding the ledger.  Pairs with bpf/alloc.bpf.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "alloc.h"
#include "alloc.skel.h"
#include "allocators.h"
#include "ledger.h"
#include "log.h"
#include "procmaps.h"

struct lw_alloc_probe {
	struct alloc_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nr_links;
	struct lw_ledger *ledger;
	int pid;
	int err; /* first error met by the ring-buffer callback */
	unsigned long long records;
	__u64 drain_ns; /* CLOCK_MONOTONIC at the start of this drain */
};

struct lw_alloc_probe *lw_alloc_probe__new(const struct lw_alloc_probe_opts *o)
{
	size_t ring = o->ring_bytes ? o->ring_bytes : 32u << 20;
	struct lw_alloc_probe *p;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = o->pid;
	p->ledger = o->ledger;

	p->skel = alloc_bpf__open();
	if (!p->skel) {
		err = -errno;
		goto err_out;
	}
	p->skel->rodata->targ_tgid = o->pid;
	p->skel->rodata->targ_page_size = page > 0 ? page : 4096;
	/* Wake the reader early once a quarter of the ring is pending. */
	p->skel->rodata->targ_wakeup_bytes = ring / 4;
	err = bpf_map__set_max_entries(p->skel->maps.events, ring);
	if (err)
		goto err_out;
	err = alloc_bpf__load(p->skel);
	if (err)
		goto err_out;
	return p;

err_out:
	lw_alloc_probe__free(p);
	errno = -err;
	return NULL;
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct lw_alloc_probe *p = ctx;
	const __u32 *type = data;
	int err = 0;

	if (size < sizeof(*type))
		return 0;
	p->records++;
	switch (*type) {
	case LW_REC_ALLOC: {
		const struct lw_rec_alloc *r = data;

		if (r->old_addr)
			lw_ledger__release(p->ledger, r->old_addr, r->ts_ns);
		if (r->addr)
			err = lw_ledger__alloc(p->ledger, r->kind, r->addr,
					       r->size, r->stack_id, r->ts_ns);
		break;
	}
	case LW_REC_FREE: {
		const struct lw_rec_free *r = data;

		/* Frees carry no time: the drain time is close enough for
		 * the window's end, and saves a helper call per free. */
		lw_ledger__release(p->ledger, r->addr, p->drain_ns);
		break;
	}
	case LW_REC_STACK: {
		const struct lw_rec_stack *r = data;
		unsigned i, nr = r->nr_ips < LW_MAX_STACK ? r->nr_ips : LW_MAX_STACK;
		uint64_t ips[LW_MAX_STACK]; /* __u64 is not uint64_t */

		for (i = 0; i < nr; i++)
			ips[i] = r->ips[i];
		err = lw_ledger__add_stack(p->ledger, r->stack_id, ips, nr);
		break;
	}
	case LW_REC_MMAP: {
		const struct lw_rec_mmap *r = data;

		err = lw_ledger__mmap(p->ledger, r->addr, r->len, r->flags,
				      r->stack_id, r->ts_ns);
		break;
	}
	case LW_REC_MUNMAP: {
		const struct lw_rec_munmap *r = data;

		err = lw_ledger__munmap(p->ledger, r->addr, r->len,
					p->drain_ns);
		break;
	}
	case LW_REC_MREMAP: {
		const struct lw_rec_mremap *r = data;

		err = lw_ledger__mremap(p->ledger, r->old_addr, r->old_len,
					r->new_addr, r->new_len, p->drain_ns);
		break;
	}
	default:
		pr_debug("unknown record type %u, ignoring\n", *type);
		break;
	}
	if (err && !p->err)
		p->err = err;
	/* A negative return stops the drain; keep going and report later. */
	return 0;
}

static int add_link(struct lw_alloc_probe *p, struct bpf_link *link)
{
	struct bpf_link **nl;

	nl = realloc(p->links, (p->nr_links + 1) * sizeof(*nl));
	if (!nl) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	p->links = nl;
	p->links[p->nr_links++] = link;
	return 0;
}

static int attach_point(struct lw_alloc_probe *p,
			const struct lw_probe_point *pt)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct bpf_link *link;
	int err;

	opts.bpf_cookie = pt->kind;
	if (pt->kind == LW_K_FREE) {
		link = bpf_program__attach_uprobe_opts(p->skel->progs.free_enter,
						       p->pid, pt->attach_path,
						       pt->file_offset, &opts);
		if (!link)
			return -errno;
		return add_link(p, link);
	}

	link = bpf_program__attach_uprobe_opts(p->skel->progs.alloc_enter,
					       p->pid, pt->attach_path,
					       pt->file_offset, &opts);
	if (!link)
		return -errno;
	err = add_link(p, link);
	if (err)
		return err;
	opts.retprobe = true;
	link = bpf_program__attach_uprobe_opts(p->skel->progs.alloc_exit,
					       p->pid, pt->attach_path,
					       pt->file_offset, &opts);
	if (!link)
		return -errno;
	return add_link(p, link);
}

int lw_alloc_probe__attach(struct lw_alloc_probe *p)
{
	struct lw_probe_set set = { 0 };
	struct lw_maps maps = { 0 };
	size_t i;
	int err;

	err = lw_maps__read(p->pid, &maps);
	if (err)
		goto out;
	err = lw_allocators__find(p->pid, &maps, &set);
	if (err)
		goto out;
	if (!set.n) {
		err = -ENOENT;
		goto out;
	}
	for (i = 0; i < set.n; i++) {
		const struct lw_probe_point *pt = &set.p[i];

		err = attach_point(p, pt);
		if (err) {
			pr_warn("cannot probe %s in \"%s\" at offset 0x%llx: %s\n",
				pt->func, pt->module,
				(unsigned long long)pt->file_offset,
				strerror(-err));
			goto out;
		}
		pr_debug("probe %-14s %s+0x%llx\n", pt->func, pt->module,
			 (unsigned long long)pt->file_offset);
	}

	/* Tracepoints last: uprobes are the likelier to fail. */
	err = alloc_bpf__attach(p->skel);
	if (err)
		goto out;

	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events),
				 handle_record, p, NULL);
	if (!p->rb) {
		err = -errno;
		goto out;
	}
	err = (int)set.n;
out:
	lw_probe_set__free(&set);
	lw_maps__free(&maps);
	return err;
}

int lw_alloc_probe__fd(const struct lw_alloc_probe *p)
{
	return p->rb ? ring_buffer__epoll_fd(p->rb) : -1;
}

int lw_alloc_probe__consume(struct lw_alloc_probe *p)
{
	int n;
	struct timespec ts;

	if (!p->rb)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->drain_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	n = ring_buffer__consume(p->rb);
	if (p->err)
		return p->err;
	return n;
}

void lw_alloc_probe__drops(const struct lw_alloc_probe *p,
			   struct lw_alloc_drops *ret)
{
	/* .bss is mmap'ed: read each counter once. */
	memcpy(ret, (const void *)&p->skel->bss->drops, sizeof(*ret));
}

unsigned long long lw_alloc_probe__records(const struct lw_alloc_probe *p)
{
	return p->records;
}

void lw_alloc_probe__free(struct lw_alloc_probe *p)
{
	size_t i;

	if (!p)
		return;
	ring_buffer__free(p->rb);
	for (i = 0; i < p->nr_links; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	alloc_bpf__destroy(p->skel);
	free(p);
}
