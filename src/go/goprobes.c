/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Goroutine probes, userspace half: where the probes go (every RET of
 * runtime.newproc1, the entry of gdestroy or goexit0, found with
 * capstone), attaching them to one PID, and the ring-buffer reader that
 * feeds births and deaths into the Go collector.  Pairs with goprobes.h
 * and bpf/goprobe.bpf.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <capstone/capstone.h>

#include "leakwatch/goprobe_events.h" /* before the skeleton: its types */
#include "goprobe.skel.h"
#include "gocollect.h"
#include "goprobes.h"
#include "goproc.h"
#include "log.h"
#include "umulti.h"

#define DEFAULT_RING (4u << 20)
#define MAX_FUNC_BYTES (1u << 16) /* newproc1 is ~1 KiB; a bound */
#define MAX_SKIP_INSNS 4	  /* an entry probe moves at most this far */

struct lw_goprobes {
	struct goprobe_bpf *skel;
	struct ring_buffer *rb;
	struct lw_gocollect *c;
	struct lw_goprobe_plan plan;
	char path[64]; /* /proc/PID/exe */
	int pid;
	bool multi;
	int link_fds[2];
	struct bpf_link *links[LW_GOPROBE_MAX_RETS + 1];
	size_t nr_links;
	int err; /* first error met by the ring-buffer callback */
};

/* ---- where the probes go ---- */

/* Link-time address -> file offset through the PT_LOAD headers. */
static int vaddr_to_off(Elf *elf, uint64_t vaddr, uint64_t *ret)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz) {
			*ret = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* The code of [entry, end) from the file: malloc'ed into *ret. */
static int read_code(int fd, Elf *elf, uint64_t entry, uint64_t end,
		     uint8_t **ret)
{
	uint64_t off;
	uint8_t *buf;
	int err;

	if (end <= entry || end - entry > MAX_FUNC_BYTES)
		return -ENOENT;
	err = vaddr_to_off(elf, entry, &off);
	if (err)
		return err;
	buf = malloc(end - entry);
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, end - entry, (off_t)off) != (ssize_t)(end - entry)) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	return 0;
}

/*
 * Instructions the kernel emulates at a uprobe (arch/x86/kernel/uprobes.c:
 * branch_setup_xol_ops and push_setup_xol_ops): a relative jmp, call or
 * jcc, a push of a register.  Every other instruction is single-stepped
 * out of line, a debug trap that costs ~9 µs here (docs/performance.md).
 */
static bool emulated(const cs_insn *in)
{
	const uint8_t *b = in->bytes;

	if (in->size >= 1 && b[0] >= 0x70 && b[0] <= 0x7f)
		return true; /* jcc rel8 */
	if (in->size >= 2 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f)
		return true; /* jcc rel32 */
	if (b[0] == 0xeb || b[0] == 0xe9 || b[0] == 0xe8)
		return true; /* jmp rel8, jmp rel32, call rel32 */
	if (in->size == 1 && b[0] >= 0x50 && b[0] <= 0x57)
		return true; /* push rax..rdi */
	if (in->size == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true; /* push r8..r15 */
	return false;
}

static bool writes_rax(csh h, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nr_rd, nr_wr, i;

	if (cs_regs_access(h, in, rd, &nr_rd, wr, &nr_wr))
		return true; /* cannot tell: assume it does */
	for (i = 0; i < nr_wr; i++)
		if (wr[i] == X86_REG_RAX || wr[i] == X86_REG_EAX ||
		    wr[i] == X86_REG_AX || wr[i] == X86_REG_AL ||
		    wr[i] == X86_REG_AH)
			return true;
	return false;
}

static bool is_branch(csh h, const cs_insn *in)
{
	return cs_insn_group(h, in, X86_GRP_JUMP) ||
	       cs_insn_group(h, in, X86_GRP_CALL) ||
	       cs_insn_group(h, in, X86_GRP_RET) ||
	       cs_insn_group(h, in, X86_GRP_INT);
}

/*
 * An entry probe reading RAX: at the entry, or further on at the first
 * instruction the kernel emulates, when every instruction before it runs
 * on every call (no branch) and leaves RAX alone.  A Go function starts
 * with its stack check, `cmp rsp, 16(r14)` then `jbe morestack`: the
 * probe lands on the jbe, emulated, instead of the single-stepped cmp.
 */
static uint64_t entry_probe(csh h, cs_insn *in, const uint8_t *code,
			    uint64_t entry, uint64_t end)
{
	uint64_t addr = entry;
	size_t left = end - entry;
	unsigned i;

	for (i = 0; i <= MAX_SKIP_INSNS; i++) {
		if (!cs_disasm_iter(h, &code, &left, &addr, in))
			break;
		if (emulated(in))
			return in->address;
		if (is_branch(h, in) || writes_rax(h, in))
			break;
	}
	return entry;
}

/*
 * Every RET of newproc1, by a linear sweep: Go puts no data in its code,
 * and pads between functions with INT3.  A JMP out of the function would
 * be a tail call that returns for us unseen: refuse.
 */
static int find_rets(csh h, cs_insn *in, const uint8_t *code, uint64_t entry,
		     uint64_t end, struct lw_goprobe_plan *pl)
{
	uint64_t addr = entry;
	size_t left = end - entry;

	while (cs_disasm_iter(h, &code, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;

		if (in->id == X86_INS_RET) {
			if (pl->nr_rets == LW_GOPROBE_MAX_RETS)
				return -EOPNOTSUPP;
			pl->rets[pl->nr_rets++] = in->address;
			continue;
		}
		if (in->id != X86_INS_JMP)
			continue;
		if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			return -EOPNOTSUPP; /* an indirect jump */
		if ((uint64_t)x->operands[0].imm < entry ||
		    (uint64_t)x->operands[0].imm >= end)
			return -EOPNOTSUPP;
	}
	return pl->nr_rets ? 0 : -ENOENT;
}

int lw_goprobe_plan(const struct lw_gobin *b, const char *path,
		    struct lw_goprobe_plan *pl)
{
	uint64_t np_entry, np_end, d_entry, d_end;
	uint8_t *np_code = NULL, *d_code = NULL;
	cs_insn *in = NULL;
	Elf *elf = NULL;
	csh h = 0;
	int fd, err, major, minor;
	unsigned i;

	memset(pl, 0, sizeof(*pl));
	/* The probes read newproc1's result and gdestroy's/goexit0's
	 * argument from RAX: Go's register ABI, amd64 from Go 1.17.  Go
	 * 1.16 passes both on the stack.  An unknown version is refused
	 * too: the g layout would be unknown anyway. */
	if (lw_gobin__version_num(b, &major, &minor) ||
	    (major == 1 && minor < 17))
		return -EOPNOTSUPP;
	err = lw_gobin__find_func(b, "runtime.newproc1", &np_entry, &np_end);
	if (err)
		return err;
	/* Go 1.22 moved the end of a goroutine into gdestroy, called by
	 * goexit0 and by coroexit (iter.Pull's coroutines, born in
	 * newproc1 too): probe it where it exists. */
	pl->death_func = "runtime.gdestroy";
	err = lw_gobin__find_func(b, pl->death_func, &d_entry, &d_end);
	if (err) {
		pl->death_func = "runtime.goexit0";
		err = lw_gobin__find_func(b, pl->death_func, &d_entry, &d_end);
	}
	if (err)
		return err;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		err = -ENOEXEC;
		goto out;
	}
	err = read_code(fd, elf, np_entry, np_end, &np_code);
	if (!err)
		err = read_code(fd, elf, d_entry, d_end, &d_code);
	if (err)
		goto out;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		h = 0;
		err = -ENOMEM;
		goto out;
	}
	(void)cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		err = -ENOMEM;
		goto out;
	}
	err = find_rets(h, in, np_code, np_entry, np_end, pl);
	if (err)
		goto out;
	pl->death_entry = d_entry;
	pl->death_probe = entry_probe(h, in, d_code, d_entry, d_end);
	for (i = 0; !err && i < pl->nr_rets; i++)
		err = vaddr_to_off(elf, pl->rets[i], &pl->ret_offs[i]);
	if (!err)
		err = vaddr_to_off(elf, pl->death_probe, &pl->death_off);
out:
	if (in)
		cs_free(in, 1);
	if (h)
		cs_close(&h);
	free(np_code);
	free(d_code);
	if (elf)
		elf_end(elf);
	(void)close(fd);
	return err;
}

/* ---- the probes ---- */

static int on_record(void *ctx, void *data, size_t len)
{
	struct lw_goprobes *p = ctx;
	const struct lw_grec *r = data;
	int err = 0;

	if (len < sizeof(*r))
		return 0;
	if (r->type == LW_GREC_BIRTH)
		err = lw_gocollect__probe_birth(p->c, r->goid, r->gopc,
						r->startpc, r->ts_ns);
	else if (r->type == LW_GREC_DEATH)
		lw_gocollect__probe_death(p->c, r->goid, r->ts_ns);
	if (err && !p->err)
		p->err = err;
	return 0;
}

int lw_goprobes__consume(struct lw_goprobes *p)
{
	const struct lw_go_counts *k = &p->skel->bss->counts;
	int n;

	n = ring_buffer__consume(p->rb);
	if (n < 0)
		return n;
	lw_gocollect__probe_counts(p->c, k->births, k->deaths,
				   k->ringbuf_full + k->read_fail);
	return p->err ? p->err : n;
}

static int drain_cb(void *ctx)
{
	int n = lw_goprobes__consume(ctx);

	return n < 0 ? n : 0;
}

static struct goprobe_bpf *open_skel(const struct lw_goproc *gp, size_t ring,
				     bool multi)
{
	struct goprobe_bpf *skel;
	int err;

	skel = goprobe_bpf__open();
	if (!skel)
		return NULL;
	skel->rodata->targ_tgid = gp->pid;
	skel->rodata->targ_off_goid = gp->layout.g_goid;
	skel->rodata->targ_off_gopc = gp->layout.g_gopc;
	skel->rodata->targ_off_startpc = gp->layout.g_startpc;
	skel->rodata->targ_wakeup_bytes = ring / 4;
	err = bpf_map__set_max_entries(skel->maps.events, ring);
	if (!err && multi) {
		bpf_program__set_expected_attach_type(
			skel->progs.newproc1_ret, LW_BPF_TRACE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(
			skel->progs.gdestroy_enter, LW_BPF_TRACE_UPROBE_MULTI);
	}
	if (!err)
		err = goprobe_bpf__load(skel);
	if (err) {
		goprobe_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

/* One uprobe_multi link per program: every RET in one link. */
static int attach_multi(struct lw_goprobes *p)
{
	const struct lw_goprobe_plan *pl = &p->plan;
	int fd;

	fd = lw_uprobe_multi_attach(
		bpf_program__fd(p->skel->progs.newproc1_ret), p->path,
		pl->ret_offs, NULL, pl->nr_rets, false, p->pid);
	if (fd < 0)
		return fd;
	p->link_fds[0] = fd;
	fd = lw_uprobe_multi_attach(
		bpf_program__fd(p->skel->progs.gdestroy_enter), p->path,
		&pl->death_off, NULL, 1, false, p->pid);
	if (fd < 0)
		return fd;
	p->link_fds[1] = fd;
	return 0;
}

/* Without uprobe_multi: one perf-event uprobe per address. */
static int attach_single(struct lw_goprobes *p)
{
	const struct lw_goprobe_plan *pl = &p->plan;
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct bpf_link *l;
	unsigned i;

	for (i = 0; i <= pl->nr_rets; i++) {
		bool death = i == pl->nr_rets;

		l = bpf_program__attach_uprobe_opts(
			death ? p->skel->progs.gdestroy_enter
			      : p->skel->progs.newproc1_ret,
			p->pid, p->path,
			death ? pl->death_off : pl->ret_offs[i], &opts);
		if (!l)
			return -errno;
		p->links[p->nr_links++] = l;
	}
	return 0;
}

struct lw_goprobes *lw_goprobes__new(struct lw_gocollect *c, size_t ring_bytes)
{
	const struct lw_goproc *gp = lw_gocollect__proc(c);
	size_t ring = ring_bytes ? ring_bytes : DEFAULT_RING;
	struct lw_goprobes *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->c = c;
	p->pid = gp->pid;
	p->link_fds[0] = p->link_fds[1] = -1;
	snprintf(p->path, sizeof(p->path), "/proc/%d/exe", p->pid);
	err = lw_goprobe_plan(gp->bin, p->path, &p->plan);
	if (err)
		goto err_out;
	pr_debug("goroutine probes: %u RETs of runtime.newproc1, %s at +%llu\n",
		 p->plan.nr_rets, p->plan.death_func,
		 (unsigned long long)(p->plan.death_probe -
				      p->plan.death_entry));

	/* As in alloc.c: uprobe_multi where the kernel has it (one link,
	 * one RCU grace period at detach), else single uprobes. */
	p->multi = !getenv("LEAKWATCH_NO_UPROBE_MULTI");
	p->skel = p->multi ? open_skel(gp, ring, true) : NULL;
	if (p->skel) {
		err = attach_multi(p);
		if (err) {
			pr_debug("uprobe_multi attach failed (%s), using "
				 "single uprobes\n",
				 strerror(-err));
			goprobe_bpf__destroy(p->skel);
			p->skel = NULL;
			if (p->link_fds[0] >= 0)
				(void)close(p->link_fds[0]);
			p->link_fds[0] = -1;
		}
	}
	if (!p->skel) {
		p->multi = false;
		p->skel = open_skel(gp, ring, false);
		if (!p->skel) {
			err = -errno;
			goto err_out;
		}
		err = attach_single(p);
		if (err)
			goto err_out;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_record,
				 p, NULL);
	if (!p->rb) {
		err = -errno;
		goto err_out;
	}
	lw_gocollect__set_probes(c, drain_cb, p, p->plan.death_func,
				 p->plan.nr_rets);
	return p;

err_out:
	lw_goprobes__free(p);
	errno = -err;
	return NULL;
}

void lw_goprobes__free(struct lw_goprobes *p)
{
	size_t i;

	if (!p)
		return;
	if (p->rb)
		lw_gocollect__set_probes(p->c, NULL, NULL, NULL, 0);
	for (i = 0; i < 2; i++)
		if (p->link_fds[i] >= 0)
			(void)close(p->link_fds[i]);
	for (i = 0; i < p->nr_links; i++)
		bpf_link__destroy(p->links[i]);
	ring_buffer__free(p->rb);
	goprobe_bpf__destroy(p->skel);
	free(p);
}
