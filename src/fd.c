/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Descriptor probes, userspace half: skeleton lifetime, the ring-buffer
 * decoder feeding the descriptor table, creation stacks, and the periodic
 * /proc + sock_diag reconciliation.  Pairs with bpf/fd.bpf.c.
 */
#define _GNU_SOURCE /* process_vm_readv() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>

#include "fd.h"
#include "fd.skel.h"
#include "framecheck.h"
#include "hmap.h"
#include "log.h"
#include "procmaps.h"
#include "sockdiag.h"
#include "stackcheck.h"
#include "symbolize.h"

#define RECONCILE_NS 500000000ull /* /proc + sock_diag every 500 ms */
/* A snapshot may take 5% of its period; on a host with very many sockets
 * the period doubles until it does (up to 8 s). */
#define RECONCILE_MAX_NS 8000000000ull
#define RECONCILE_SHARE 20
#define SAMPLE_NS 250000000ull /* series points, as the ledger's */
#define FRAME_CACHE_MAX (1u << 16)
#define MAX_UNWIND 4 /* frameless frames unwound from the sp words */
#define NO_CFA UINT64_MAX

struct lw_fd_probe {
	struct fd_bpf *skel;
	struct ring_buffer *rb;
	struct lw_fdtable *table;
	struct lw_sockdiag *diag; /* NULL: states unknown */
	struct lw_hmap *socks;	  /* inode -> struct lw_sock_info */
	struct lw_symbolizer *sym;
	struct lw_frame_check frames; /* believable return addresses */
	struct lw_hmap *cfa; /* ip (bit 63: a return address) -> CFA offset */
	struct lw_maps maps;
	struct lw_fd_drops drops; /* copied at detach */
	int pid;
	int err;   /* first error met by the ring-buffer callback */
	bool gone; /* the target exited: /proc has nothing more to say */
	bool exec_pending; /* an exec record asks for a snapshot now */
	uint64_t drain_ns, next_reconcile_ns, next_sample_ns;
	uint64_t reconcile_period_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct lw_fd_probe *lw_fd_probe__new(const struct lw_fd_probe_opts *o)
{
	size_t ring = o->ring_bytes ? o->ring_bytes : 4u << 20;
	struct lw_fd_probe *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = o->pid;
	p->sym = o->sym;
	p->cfa = lw_hmap__new(sizeof(uint64_t), 16);
	p->socks = lw_hmap__new(sizeof(struct lw_sock_info), 256);
	if (!p->cfa || !p->socks ||
	    lw_frame_check__init(&p->frames, p->pid, &p->maps,
				 FRAME_CACHE_MAX)) {
		err = -ENOMEM;
		goto err_out;
	}
	p->skel = fd_bpf__open();
	if (!p->skel) {
		err = -errno;
		goto err_out;
	}
	p->skel->rodata->targ_tgid = o->pid;
	p->skel->rodata->targ_wakeup_bytes = ring / 4;
	err = bpf_map__set_max_entries(p->skel->maps.events, ring);
	if (!err)
		err = fd_bpf__load(p->skel);
	if (err)
		goto err_out;
	return p;

err_out:
	lw_fd_probe__free(p);
	errno = -err;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Stacks                                                              */
/* ------------------------------------------------------------------ */

/* A return address is believable in executable code right after a call. */
static bool believable(struct lw_fd_probe *p, uint64_t ip)
{
	return lw_frame_check__ok(&p->frames, ip, p->drain_ns);
}

static uint64_t cfa_offset(struct lw_fd_probe *p, uint64_t ip, bool is_return)
{
	uint64_t key = ip | (is_return ? 1ull << 63 : 0), *slot, off;

	slot = lw_hmap__get(p->cfa, key);
	if (slot)
		return *slot;
	if (!p->sym || lw_symbolizer__cfa_offset(p->sym, ip, is_return, &off))
		off = NO_CFA;
	slot = lw_hmap__put(p->cfa, key, NULL);
	if (slot)
		*slot = off;
	return off;
}

/*
 * The creation stack of a record.  ips[0] is inside the syscall wrapper
 * (libc's socket or accept, Go's Syscall6), which keeps no frame pointer:
 * the frame-pointer walk in ips[1..] skipped the wrapper's caller, the
 * very function that made the socket.  Its return address is in the words
 * above sp, at the wrapper's frame size (CFI, or the decoded prologue).
 * Unwind those frameless frames first, then go on with the believable
 * part of the walk.  The same method as src/alloc.c's mmap records.
 */
static uint64_t record_stack(struct lw_fd_probe *p,
			     const struct lw_fd_rec_open *r, int *ret_err)
{
	unsigned i,
		nr = r->nr_ips < LW_FD_MAX_STACK ? r->nr_ips : LW_FD_MAX_STACK;
	uint64_t walk[LW_FD_MAX_STACK], ips[LW_FD_MAX_STACK];
	uint64_t ip, off, ret, sp_off = 0, id;
	unsigned n = 0, keep, from = 1, step;
	bool joined = false;

	*ret_err = 0;
	if (!nr)
		return 0;
	for (i = 0; i < nr; i++)
		walk[i] = r->ips[i];
	ip = walk[0];
	for (step = 0; r->sp_ok && step < MAX_UNWIND; step++) {
		off = cfa_offset(p, ip, step > 0);
		if (off == NO_CFA || off < 8 || off % 8 ||
		    (sp_off + off - 8) / 8 >= LW_FD_SP_WORDS)
			break;
		ret = r->sp_words[(sp_off + off - 8) / 8];
		if (!believable(p, ret))
			break;
		if (nr > 1 && walk[1] == ret) {
			joined = true;
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
	for (i = from; i < nr && n < LW_FD_MAX_STACK; i++)
		ips[n++] = walk[i];
	keep = 1;
	while (keep < n && believable(p, ips[keep]))
		keep++;
	id = lw_stack_hash(ips, keep);
	if (!lw_fdtable__has_stack(p->table, id))
		*ret_err = lw_fdtable__add_stack(
			p->table, id, r->call, ips, keep,
			r->nr_ips >= LW_FD_MAX_STACK && keep == n);
	return id;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

static int handle_record(void *ctx, void *data, size_t size)
{
	struct lw_fd_probe *p = ctx;
	const __u32 *type = data;
	int err = 0;

	if (size < sizeof(*type))
		return 0;
	switch (*type) {
	case LW_FD_REC_OPEN: {
		const struct lw_fd_rec_open *r = data;
		uint64_t site = record_stack(p, r, &err);

		if (!err)
			err = lw_fdtable__open(p->table, r->fd, site, r->ts_ns);
		if (!err && r->fd2 >= 0)
			err = lw_fdtable__open(p->table, r->fd2, site,
					       r->ts_ns);
		break;
	}
	case LW_FD_REC_CLOSE: {
		const struct lw_fd_rec_close *r = data;

		lw_fdtable__close(p->table, r->fd, r->ts_ns);
		break;
	}
	case LW_FD_REC_CLOSE_RANGE: {
		const struct lw_fd_rec_close_range *r = data;

		/* CLOSE_RANGE_CLOEXEC (1 << 2) only marks them. */
		if (!(r->flags & (1u << 2)))
			lw_fdtable__close_range(p->table, r->first, r->last,
						r->ts_ns);
		break;
	}
	case LW_FD_REC_DUP: {
		const struct lw_fd_rec_dup *r = data;

		err = lw_fdtable__dup(p->table, r->oldfd, r->newfd, r->ts_ns);
		break;
	}
	case LW_FD_REC_EXEC:
		p->exec_pending = true;
		break;
	default:
		pr_debug("unknown fd record type %u, ignoring\n", *type);
		break;
	}
	if (err && !p->err)
		p->err = err;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

static int reconcile(struct lw_fd_probe *p, uint64_t now)
{
	struct lw_fd_entry *e = NULL;
	const struct lw_hmap *socks = NULL;
	size_t nr, i;
	bool any_socket = false;
	int err;

	if (p->gone)
		return 0;
	err = lw_fd_list(p->pid, &e, &nr);
	if (err == -ESRCH) {
		/* Exiting: its descriptors close with it.  The table keeps
		 * what was open at exit, as the ledger keeps memory. */
		p->gone = true;
		return 0;
	}
	if (err)
		return err;
	for (i = 0; i < nr && !any_socket; i++)
		any_socket = e[i].kind == LW_FDK_SOCKET;
	if (p->diag && any_socket) {
		err = lw_sockdiag__dump(p->diag, p->socks);
		if (err == -ENOMEM)
			goto out;
		if (!err)
			socks = p->socks;
		else
			pr_debug("sock_diag dump failed: %s\n", strerror(-err));
	} else if (p->diag) {
		socks = p->socks; /* no sockets: every state is known */
		lw_hmap__clear(p->socks);
	}
	err = lw_fdtable__reconcile(p->table, e, nr, socks, now);
out:
	free(e);
	return err;
}

int lw_fd_probe__attach(struct lw_fd_probe *p, uint64_t t0_ns)
{
	int err;

	p->table = lw_fdtable__new(t0_ns);
	if (!p->table)
		return -errno;
	err = lw_maps__read(p->pid, &p->maps);
	if (err)
		return err;
	p->diag = lw_sockdiag__new(p->pid);
	if (!p->diag)
		pr_info("socket states unavailable (sock_diag: %s), ignoring\n",
			strerror(errno));
	err = fd_bpf__attach(p->skel);
	if (err)
		return err;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events),
				 handle_record, p, NULL);
	if (!p->rb)
		return -errno;
	/* After the attach, so that no descriptor falls between the two:
	 * one made meanwhile is found here and again in a record. */
	err = reconcile(p, mono_ns());
	p->reconcile_period_ns = RECONCILE_NS;
	p->next_reconcile_ns = mono_ns() + RECONCILE_NS;
	return err;
}

int lw_fd_probe__fd(const struct lw_fd_probe *p)
{
	return p && p->rb ? ring_buffer__epoll_fd(p->rb) : -1;
}

int lw_fd_probe__consume(struct lw_fd_probe *p)
{
	int n;

	if (!p->rb)
		return 0;
	p->drain_ns = mono_ns();
	n = ring_buffer__consume(p->rb);
	if (p->err)
		return p->err;
	return n;
}

void lw_fd_probe__tick(struct lw_fd_probe *p, uint64_t now_ns)
{
	uint64_t took;
	int err;

	if (p->rb && (p->exec_pending || now_ns >= p->next_reconcile_ns)) {
		/* Records first: the snapshot corrects only what they miss. */
		(void)lw_fd_probe__consume(p);
		p->exec_pending = false;
		err = reconcile(p, now_ns);
		if (err)
			pr_debug("descriptor snapshot failed: %s\n",
				 strerror(-err));
		took = mono_ns() - now_ns;
		if (took * RECONCILE_SHARE > p->reconcile_period_ns &&
		    p->reconcile_period_ns < RECONCILE_MAX_NS) {
			p->reconcile_period_ns *= 2;
			pr_debug("descriptor snapshot took %llu us: every %llu "
				 "ms from now on\n",
				 (unsigned long long)took / 1000,
				 (unsigned long long)p->reconcile_period_ns /
					 1000000);
		}
		p->next_reconcile_ns = now_ns + p->reconcile_period_ns;
	}
	if (now_ns >= p->next_sample_ns) {
		lw_fdtable__sample(p->table, now_ns);
		p->next_sample_ns = now_ns + SAMPLE_NS;
	}
}

static void detach(struct lw_fd_probe *p)
{
	if (p->skel)
		memcpy(&p->drops, (const void *)&p->skel->bss->drops,
		       sizeof(p->drops));
	ring_buffer__free(p->rb);
	p->rb = NULL;
	fd_bpf__destroy(p->skel);
	p->skel = NULL;
}

void lw_fd_probe__finish(struct lw_fd_probe *p, uint64_t now_ns)
{
	if (!p->rb)
		return;
	(void)lw_fd_probe__consume(p);
	(void)reconcile(p, now_ns);
	detach(p);
	lw_fdtable__sample(p->table, now_ns);
}

int lw_fd_probe__report(struct lw_fd_probe *p, uint64_t now_ns,
			struct lw_socket_report *ret)
{
	size_t i;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (!p->table)
		return 0;
	if (p->rb) {
		/* An interim report: as fresh as the final one. */
		(void)lw_fd_probe__consume(p);
		(void)reconcile(p, now_ns);
		p->next_reconcile_ns = now_ns + p->reconcile_period_ns;
	}
	err = lw_fdtable__report(p->table, now_ns, ret);
	if (err)
		return err;
	if (p->skel)
		memcpy(&p->drops, (const void *)&p->skel->bss->drops,
		       sizeof(p->drops));
	ret->drops = p->drops;
	ret->dropped_events = p->drops.ringbuf_full + p->drops.pending_failed;
	for (i = 0; i < ret->nr_sites; i++) {
		struct lw_socket_site *s = &ret->sites[i];

		if (!s->nr_ips || !p->sym)
			continue;
		/* Out of memory: rendered from raw addresses. */
		(void)lw_symbolizer__resolve_stack(p->sym, s->ips, s->nr_ips,
						   &s->frames, &s->nr_frames);
	}
	return 0;
}

void lw_fd_probe__free(struct lw_fd_probe *p)
{
	if (!p)
		return;
	detach(p);
	lw_fdtable__free(p->table);
	lw_sockdiag__free(p->diag);
	lw_hmap__free(p->socks);
	lw_frame_check__fini(&p->frames);
	lw_hmap__free(p->cfa);
	lw_maps__free(&p->maps);
	free(p);
}

bool lw_fd_target_is_go(int pid)
{
	char path[64];
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;
	bool go = false;
	Elf *elf;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while (!go && (scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			break;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		go = name &&
		     (!strcmp(name, ".go.buildinfo") || !strcmp(name, ".gopclnt"
								      "ab"));
	}
out:
	elf_end(elf);
	(void)close(fd);
	return go;
}
