/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Allocation probes, userspace half: skeleton lifetime, attach, and the
 * ring-buffer decoder feeding the ledger.  Pairs with bpf/alloc.bpf.c.
 */
#define _GNU_SOURCE /* process_vm_readv() */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "alloc.h"
#include "alloc.skel.h"
#include "allocators.h"
#include "framecheck.h"
#include "hmap.h"
#include "ledger.h"
#include "log.h"
#include "procmaps.h"
#include "stackcheck.h"
#include "symbolize.h"
#include "umulti.h"

#define FRAME_CACHE_MAX (1u << 20) /* checked frame addresses kept */

struct lw_alloc_probe {
	struct alloc_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nr_links;
	struct lw_ledger *ledger;
	int pid;
	int err; /* first error met by the ring-buffer callback */
	__u64 drain_ns; /* CLOCK_MONOTONIC at the start of this drain */
	/* Stack trimming (stackcheck.h): raw stack id -> trimmed id, only
	 * for stacks that were trimmed; believable frames (over maps). */
	struct lw_hmap *remap;
	struct lw_frame_check frames;
	struct lw_hmap *cfa; /* wrapper ip -> CFA offset, or NO_CFA */
	bool multi; /* programs loaded for uprobe_multi links */
	int *multi_fds; /* uprobe_multi link fds */
	size_t nr_multi;
	struct lw_symbolizer *sym;
	struct lw_maps maps;
};

/* Sampled blocks remembered at once (each costs ~100 bytes of kernel
 * memory); beyond it samples are counted as lost. */
#define SAMPLED_MAX (1u << 20)

/*
 * Exponential draws of mean `mean` bytes for the BPF side to pick from at
 * random: -ln(U), U uniform in (0, 1].  The table is rescaled so its own
 * mean is exactly `mean`: a finite table's mean is off by ~1/sqrt(n), and
 * that error would bias every estimate of the session the same way.
 */
static void fill_draws(volatile __u64 *draws, uint64_t mean)
{
	static double raw[LW_SAMPLE_DRAWS];
	unsigned short seed[3];
	struct timespec ts;
	double sum = 0, v;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	seed[0] = (unsigned short)ts.tv_nsec;
	seed[1] = (unsigned short)(ts.tv_nsec >> 16);
	seed[2] = (unsigned short)getpid();
	for (i = 0; i < LW_SAMPLE_DRAWS; i++) {
		raw[i] = -log(1.0 - erand48(seed)); /* 1 - [0, 1) = (0, 1] */
		sum += raw[i];
	}
	for (i = 0; i < LW_SAMPLE_DRAWS; i++) {
		v = raw[i] * (double)mean * LW_SAMPLE_DRAWS / sum;
		draws[i] = v < 1 ? 1 : (__u64)(v + 0.5);
	}
}

static struct alloc_bpf *open_skel(const struct lw_alloc_probe_opts *o,
				   size_t ring, bool multi)
{
	struct alloc_bpf *skel;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	skel = alloc_bpf__open();
	if (!skel)
		return NULL;
	skel->rodata->targ_tgid = o->pid;
	skel->rodata->targ_page_size = page > 0 ? page : 4096;
	/* Wake the reader early once a quarter of the ring is pending. */
	skel->rodata->targ_wakeup_bytes = ring / 4;
	err = bpf_map__set_max_entries(skel->maps.events, ring);
	if (!err && o->sample_bytes) {
		skel->rodata->targ_sample_bytes = o->sample_bytes;
		fill_draws(skel->rodata->targ_sample_draws, o->sample_bytes);
		err = bpf_map__set_max_entries(skel->maps.sampled,
					       SAMPLED_MAX);
	}
	if (!err && multi) {
		bpf_program__set_expected_attach_type(skel->progs.alloc_enter,
						      LW_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.alloc_exit,
						      LW_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.free_enter,
						      LW_BPF_TRACE_UPROBE_MULTI);
	}
	if (!err)
		err = alloc_bpf__load(skel);
	if (err) {
		alloc_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

struct lw_alloc_probe *lw_alloc_probe__new(const struct lw_alloc_probe_opts *o)
{
	/*
	 * Small on purpose: the probes write the ring front to back, so all
	 * of it cycles through the cache and the TLB.  With a 4 MiB ring
	 * the allocation's return program took a third less time than
	 * with 32 MiB in the benchmark (docs/performance.md).  The reader
	 * is woken at a quarter full, which leaves it 3 MiB (~65 ms of the
	 * fastest single-threaded allocation rate) before records are
	 * dropped; drops are counted and reported, and --ring-mb raises it.
	 */
	size_t ring = o->ring_bytes ? o->ring_bytes : 4u << 20;
	struct lw_alloc_probe *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = o->pid;
	p->ledger = o->ledger;
	p->sym = o->sym;
	p->remap = lw_hmap__new(sizeof(uint64_t), 64);
	p->cfa = lw_hmap__new(sizeof(uint64_t), 16);
	if (!p->remap || !p->cfa ||
	    lw_frame_check__init(&p->frames, p->pid, &p->maps,
				 FRAME_CACHE_MAX)) {
		err = -ENOMEM;
		goto err_out;
	}

	/* A kernel without uprobe_multi refuses the attach type at load:
	 * then fall back to one perf-event uprobe per function.  The
	 * environment can force the fallback (tests cover both paths). */
	p->multi = !getenv("LEAKWATCH_NO_UPROBE_MULTI");
	p->skel = p->multi ? open_skel(o, ring, true) : NULL;
	if (!p->skel) {
		pr_debug("uprobe_multi not available (%s), using single uprobes\n",
			 strerror(errno));
		p->multi = false;
		p->skel = open_skel(o, ring, false);
	}
	if (!p->skel) {
		err = -errno;
		goto err_out;
	}
	return p;

err_out:
	lw_alloc_probe__free(p);
	errno = -err;
	return NULL;
}

/* A frame past the first is believable if it returns into executable code
 * right after a call instruction. */
static bool frame_believable(struct lw_alloc_probe *p, uint64_t ip)
{
	return lw_frame_check__ok(&p->frames, ip, p->drain_ns);
}

/*
 * Frame 0 is the allocator's own return address, always right; later
 * frames come from a frame-pointer walk and are cut at the first one that
 * is not believable.  A trimmed stack gets its own id, and records naming
 * the raw id are mapped to it, so calls from one place share one site.
 */
static int add_stack(struct lw_alloc_probe *p, const struct lw_rec_stack *r)
{
	unsigned i, nr = r->nr_ips < LW_MAX_STACK ? r->nr_ips : LW_MAX_STACK;
	uint64_t ips[LW_MAX_STACK], id = r->stack_id, *slot;
	unsigned keep = nr ? 1 : 0;
	bool created;

	for (i = 0; i < nr; i++)
		ips[i] = r->ips[i]; /* __u64 is not uint64_t */
	while (keep < nr && frame_believable(p, ips[keep]))
		keep++;
	if (keep < nr) {
		id = lw_stack_hash(ips, keep);
		slot = lw_hmap__put(p->remap, r->stack_id, &created);
		if (!slot)
			return -ENOMEM;
		*slot = id;
	}
	return lw_ledger__add_stack(p->ledger, id, ips, keep);
}

#define NO_CFA UINT64_MAX
#define MAX_UNWIND 4 /* frameless frames unwound from the sp words */

static uint64_t cfa_offset(struct lw_alloc_probe *p, uint64_t ip,
			   bool is_return)
{
	/* A return address and a syscall ip with the same value get
	 * different answers: tag the key with bit 63 (not a user address). */
	uint64_t key = ip | (is_return ? 1ull << 63 : 0), *slot, off;
	bool created;

	slot = lw_hmap__get(p->cfa, key);
	if (slot)
		return *slot;
	if (!p->sym || lw_symbolizer__cfa_offset(p->sym, ip, is_return, &off))
		off = NO_CFA;
	slot = lw_hmap__put(p->cfa, key, &created);
	if (slot)
		*slot = off;
	return off;
}

/*
 * The stack of an mmap record.  ips[0] is inside the syscall wrapper
 * (libc's mmap, musl's __mmap, tcmalloc's mmap calling libc's syscall()):
 * code without frame pointers, so the frame-pointer walk in ips[1..]
 * skipped their callers or stopped.  Unwind those frames with their frame
 * sizes (CFI, or the decoded prologue) over the words captured above sp,
 * while each return address found is believable and its function has no
 * frame pointer; the frames found replace the syscall's own, and the
 * believable part of the walk follows.  Returns the stack id.
 */
static int mmap_stack(struct lw_alloc_probe *p, const struct lw_rec_mmap *r,
		      uint64_t *ret_id)
{
	unsigned i, nr = r->nr_ips < LW_MAX_STACK ? r->nr_ips : LW_MAX_STACK;
	uint64_t walk[LW_MAX_STACK], ips[LW_MAX_STACK];
	uint64_t ip, off, ret, sp_off = 0;
	unsigned n = 0, keep, from = 1, step;
	bool joined = false; /* reached the walk's frame 1 */

	if (!nr) {
		*ret_id = 0;
		return 0;
	}
	for (i = 0; i < nr; i++)
		walk[i] = r->ips[i];
	ip = walk[0];
	for (step = 0; r->sp_ok && step < MAX_UNWIND; step++) {
		off = cfa_offset(p, ip, step > 0);
		if (off == NO_CFA || off < 8 || off % 8 ||
		    (sp_off + off - 8) / 8 >= LW_SP_WORDS)
			break;
		ret = r->sp_words[(sp_off + off - 8) / 8];
		if (!frame_believable(p, ret))
			break;
		if (nr > 1 && walk[1] == ret) {
			joined = true; /* the walk goes on from here */
			break;
		}
		ips[n++] = ret;
		sp_off += off;
		ip = ret;
	}
	if (joined) {
		ips[n++] = walk[1];
		from = 2;
	} else if (!n) {
		ips[n++] = walk[0];
	}
	for (i = from; i < nr && n < LW_MAX_STACK; i++)
		ips[n++] = walk[i];
	keep = 1;
	while (keep < n && frame_believable(p, ips[keep]))
		keep++;
	*ret_id = lw_stack_hash(ips, keep);
	return lw_ledger__add_stack(p->ledger, *ret_id, ips, keep);
}

static uint64_t site_id(const struct lw_alloc_probe *p, uint64_t raw)
{
	const uint64_t *id;

	if (!lw_hmap__count(p->remap))
		return raw;
	id = lw_hmap__get(p->remap, raw);
	return id ? *id : raw;
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct lw_alloc_probe *p = ctx;
	const __u32 *type = data;
	int err = 0;

	if (size < sizeof(*type))
		return 0;
	switch (*type) {
	case LW_REC_ALLOC: {
		const struct lw_rec_alloc *r = data;

		/* Allocations carry no time: the drain's time is close
		 * enough (50 ms) for ages and window segments. */
		err = lw_ledger__alloc(p->ledger, r->kind, r->addr, r->size,
				       site_id(p, r->stack_id), p->drain_ns);
		break;
	}
	case LW_REC_REALLOC: {
		const struct lw_rec_realloc *r = data;

		lw_ledger__release(p->ledger, r->old_addr, p->drain_ns);
		if (r->a.addr)
			err = lw_ledger__alloc(p->ledger, r->a.kind, r->a.addr,
					       r->a.size,
					       site_id(p, r->a.stack_id),
					       p->drain_ns);
		break;
	}
	case LW_REC_FREE: {
		const struct lw_rec_free *r = data;

		lw_ledger__release(p->ledger, r->addr, p->drain_ns);
		break;
	}
	case LW_REC_STACK:
		err = add_stack(p, data);
		break;
	case LW_REC_MMAP: {
		const struct lw_rec_mmap *r = data;
		uint64_t id;

		err = mmap_stack(p, r, &id);
		if (!err)
			err = lw_ledger__mmap(p->ledger, r->addr, r->len,
					      r->flags, id, r->ts_ns);
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

	opts.bpf_cookie = pt->kind | (__u64)pt->sp_adjust << 8;
	if (pt->kind == LW_K_FREE) {
		link = bpf_program__attach_uprobe_opts(p->skel->progs.free_enter,
						       p->pid, pt->attach_path,
						       pt->probe_offset, &opts);
		if (!link)
			return -errno;
		return add_link(p, link);
	}

	link = bpf_program__attach_uprobe_opts(p->skel->progs.alloc_enter,
					       p->pid, pt->attach_path,
					       pt->probe_offset, &opts);
	if (!link)
		return -errno;
	err = add_link(p, link);
	if (err)
		return err;
	opts.retprobe = true;
	link = bpf_program__attach_uprobe_opts(p->skel->progs.alloc_exit,
					       p->pid, pt->attach_path,
					       pt->probe_offset, &opts);
	if (!link)
		return -errno;
	return add_link(p, link);
}

static int multi_link(struct lw_alloc_probe *p, const struct bpf_program *prog,
		      const char *path, const __u64 *offsets,
		      const __u64 *cookies, __u32 cnt, bool ret)
{
	int fd, *nfds;

	/* __u64 and uint64_t are the same width, not the same type. */
	fd = lw_uprobe_multi_attach(bpf_program__fd(prog), path,
				    (const uint64_t *)offsets,
				    (const uint64_t *)cookies, cnt, ret, p->pid);
	if (fd < 0)
		return fd;
	nfds = realloc(p->multi_fds, (p->nr_multi + 1) * sizeof(*nfds));
	if (!nfds) {
		(void)close(fd);
		return -ENOMEM;
	}
	p->multi_fds = nfds;
	p->multi_fds[p->nr_multi++] = fd;
	return 0;
}

/* All points of one binary (set->p[from..to), same attach_path): one link
 * for the entries, one for the returns, one for the frees. */
static int attach_multi(struct lw_alloc_probe *p, const struct lw_probe_set *set,
			size_t from, size_t to)
{
	size_t n = to - from, i, na = 0, nf = 0;
	__u64 *a_off, *a_ck, *f_off, *f_ck;
	const char *path = set->p[from].attach_path;
	int err = -ENOMEM;

	a_off = calloc(n, sizeof(__u64));
	a_ck = calloc(n, sizeof(__u64));
	f_off = calloc(n, sizeof(__u64));
	f_ck = calloc(n, sizeof(__u64));
	if (!a_off || !a_ck || !f_off || !f_ck)
		goto out;
	for (i = from; i < to; i++) {
		const struct lw_probe_point *pt = &set->p[i];

		/* The cookie: kind, and how far the function pushed
		 * before the probe (bpf/alloc.bpf.c entry_sp()). */
		if (pt->kind == LW_K_FREE) {
			f_off[nf] = pt->probe_offset;
			f_ck[nf++] = pt->kind | (__u64)pt->sp_adjust << 8;
		} else {
			a_off[na] = pt->probe_offset;
			a_ck[na++] = pt->kind | (__u64)pt->sp_adjust << 8;
		}
	}
	err = 0;
	if (na)
		err = multi_link(p, p->skel->progs.alloc_enter, path, a_off,
				 a_ck, na, false);
	if (!err && na)
		err = multi_link(p, p->skel->progs.alloc_exit, path, a_off,
				 a_ck, na, true);
	if (!err && nf)
		err = multi_link(p, p->skel->progs.free_enter, path, f_off,
				 f_ck, nf, false);
out:
	free(a_off);
	free(a_ck);
	free(f_off);
	free(f_ck);
	return err;
}

int lw_alloc_probe__attach(struct lw_alloc_probe *p)
{
	struct lw_probe_set set = { 0 };
	size_t i, j;
	int err;

	/* Kept for checking stack frames too (the frame check refreshes it). */
	err = lw_maps__read(p->pid, &p->maps);
	if (err)
		goto out;
	err = lw_allocators__find(p->pid, &p->maps, &set);
	if (err)
		goto out;
	if (!set.n) {
		err = -ENOENT;
		goto out;
	}
	for (i = 0; i < set.n; i++) {
		const struct lw_probe_point *pt = &set.p[i];

		pr_debug("probe %-14s %s+0x%llx at +%llu (%s)\n", pt->func,
			 pt->module, (unsigned long long)pt->file_offset,
			 (unsigned long long)(pt->probe_offset - pt->file_offset),
			 pt->place_reason);
		if (p->multi)
			continue;
		err = attach_point(p, pt);
		if (err) {
			pr_warn("cannot probe %s in \"%s\" at offset 0x%llx: %s\n",
				pt->func, pt->module,
				(unsigned long long)pt->file_offset,
				strerror(-err));
			goto out;
		}
	}
	/* Points come grouped by file (one file is read at a time). */
	for (i = 0, j = 0; p->multi && i < set.n; i = j) {
		for (j = i + 1; j < set.n; j++) {
			if (strcmp(set.p[j].attach_path, set.p[i].attach_path))
				break;
		}
		err = attach_multi(p, &set, i, j);
		if (err) {
			pr_warn("cannot probe the allocator in \"%s\": %s\n",
				set.p[i].module, strerror(-err));
			goto out;
		}
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

void lw_alloc_probe__free(struct lw_alloc_probe *p)
{
	size_t i;

	if (!p)
		return;
	ring_buffer__free(p->rb);
	for (i = 0; i < p->nr_links; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	for (i = 0; i < p->nr_multi; i++)
		(void)close(p->multi_fds[i]);
	free(p->multi_fds);
	alloc_bpf__destroy(p->skel);
	lw_hmap__free(p->remap);
	lw_frame_check__fini(&p->frames);
	lw_hmap__free(p->cfa);
	lw_maps__free(&p->maps);
	free(p);
}
