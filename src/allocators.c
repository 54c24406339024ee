/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Allocator entry points from the ELF symbol tables of mapped objects;
 * pairs with allocators.h.  docs/allocators.md says what each library
 * really exports and why the name table looks the way it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakwatch/alloc_events.h"
#include "allocators.h"
#include "placement.h"

struct alloc_name {
	const char *name;
	uint32_t kind; /* enum lw_alloc_kind */
	/*
	 * Only a second name for an address that a primary name also has.
	 * musl's hidden __libc_malloc is its own function next to malloc,
	 * used for libc-internal memory that is freed through __libc_free;
	 * probing it would report libc's bookkeeping, so it names no point.
	 */
	bool alias_only;
};

/*
 * In priority order: when several names share one address, the lowest
 * entry names the probe point.  Every alias_only entry comes after every
 * primary one, so the best name at an address is primary if any is.
 */
static const struct alloc_name names[] = {
	{ "malloc", LW_K_MALLOC, false },
	{ "calloc", LW_K_CALLOC, false },
	{ "realloc", LW_K_REALLOC, false },
	{ "reallocarray", LW_K_REALLOCARRAY, false },
	{ "free", LW_K_FREE, false },
	{ "posix_memalign", LW_K_POSIX_MEMALIGN, false },
	{ "aligned_alloc", LW_K_MEMALIGN, false },
	{ "memalign", LW_K_MEMALIGN, false },
	{ "valloc", LW_K_VALLOC, false },
	{ "pvalloc", LW_K_PVALLOC, false },

	/* C++ operator new: size is arg0 in every variant. */
	{ "_Znwm", LW_K_MALLOC, false },
	{ "_Znam", LW_K_MALLOC, false },
	{ "_ZnwmRKSt9nothrow_t", LW_K_MALLOC, false },
	{ "_ZnamRKSt9nothrow_t", LW_K_MALLOC, false },
	{ "_ZnwmSt11align_val_t", LW_K_MALLOC, false },
	{ "_ZnamSt11align_val_t", LW_K_MALLOC, false },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", LW_K_MALLOC, false },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", LW_K_MALLOC, false },

	/* C++ operator delete: the pointer is arg0 in every variant. */
	{ "_ZdlPv", LW_K_FREE, false },
	{ "_ZdaPv", LW_K_FREE, false },
	{ "_ZdlPvm", LW_K_FREE, false },
	{ "_ZdaPvm", LW_K_FREE, false },
	{ "_ZdlPvRKSt9nothrow_t", LW_K_FREE, false },
	{ "_ZdaPvRKSt9nothrow_t", LW_K_FREE, false },
	{ "_ZdlPvSt11align_val_t", LW_K_FREE, false },
	{ "_ZdaPvSt11align_val_t", LW_K_FREE, false },
	{ "_ZdlPvmSt11align_val_t", LW_K_FREE, false },
	{ "_ZdaPvmSt11align_val_t", LW_K_FREE, false },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", LW_K_FREE, false },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", LW_K_FREE, false },

	/*
	 * The one tcmalloc (gperftools 2.10) entry that is a function of its
	 * own rather than an alias of a standard name.
	 */
	{ "tc_malloc_skip_new_handler", LW_K_MALLOC, false },

	/*
	 * jemalloc configured with --with-jemalloc-prefix=je_ (as bundled by
	 * some servers) exports these instead of the standard names.
	 * Debian's libjemalloc2 has no prefix and exports none of them.
	 */
	{ "je_malloc", LW_K_MALLOC, false },
	{ "je_calloc", LW_K_CALLOC, false },
	{ "je_realloc", LW_K_REALLOC, false },
	{ "je_free", LW_K_FREE, false },
	{ "je_posix_memalign", LW_K_POSIX_MEMALIGN, false },
	{ "je_aligned_alloc", LW_K_MEMALIGN, false },
	{ "je_memalign", LW_K_MEMALIGN, false },
	{ "je_valloc", LW_K_VALLOC, false },

	/* glibc's internal names and the old cfree. */
	{ "__libc_malloc", LW_K_MALLOC, true },
	{ "__libc_calloc", LW_K_CALLOC, true },
	{ "__libc_realloc", LW_K_REALLOC, true },
	{ "__libc_reallocarray", LW_K_REALLOCARRAY, true },
	{ "__libc_free", LW_K_FREE, true },
	{ "__libc_memalign", LW_K_MEMALIGN, true },
	{ "__libc_valloc", LW_K_VALLOC, true },
	{ "__libc_pvalloc", LW_K_PVALLOC, true },
	{ "__posix_memalign", LW_K_POSIX_MEMALIGN, true },
	{ "cfree", LW_K_FREE, true },

	/* tcmalloc's tc_* names: all aliases of standard ones in 2.10. */
	{ "tc_malloc", LW_K_MALLOC, true },
	{ "tc_calloc", LW_K_CALLOC, true },
	{ "tc_realloc", LW_K_REALLOC, true },
	{ "tc_free", LW_K_FREE, true },
	{ "tc_cfree", LW_K_FREE, true },
	{ "tc_free_sized", LW_K_FREE, true },
	{ "tc_posix_memalign", LW_K_POSIX_MEMALIGN, true },
	{ "tc_memalign", LW_K_MEMALIGN, true },
	{ "tc_valloc", LW_K_VALLOC, true },
	{ "tc_pvalloc", LW_K_PVALLOC, true },
	{ "tc_new", LW_K_MALLOC, true },
	{ "tc_newarray", LW_K_MALLOC, true },
	{ "tc_new_nothrow", LW_K_MALLOC, true },
	{ "tc_newarray_nothrow", LW_K_MALLOC, true },
	{ "tc_new_aligned", LW_K_MALLOC, true },
	{ "tc_newarray_aligned", LW_K_MALLOC, true },
	{ "tc_new_aligned_nothrow", LW_K_MALLOC, true },
	{ "tc_newarray_aligned_nothrow", LW_K_MALLOC, true },
	{ "tc_delete", LW_K_FREE, true },
	{ "tc_deletearray", LW_K_FREE, true },
	{ "tc_delete_sized", LW_K_FREE, true },
	{ "tc_deletearray_sized", LW_K_FREE, true },
	{ "tc_delete_nothrow", LW_K_FREE, true },
	{ "tc_deletearray_nothrow", LW_K_FREE, true },
	{ "tc_delete_aligned", LW_K_FREE, true },
	{ "tc_deletearray_aligned", LW_K_FREE, true },
	{ "tc_delete_sized_aligned", LW_K_FREE, true },
	{ "tc_deletearray_sized_aligned", LW_K_FREE, true },
	{ "tc_delete_aligned_nothrow", LW_K_FREE, true },
	{ "tc_deletearray_aligned_nothrow", LW_K_FREE, true },
};

#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* A matching symbol before deduplication. */
struct cand {
	uint64_t vaddr;
	uint64_t size;
	uint32_t idx; /* into names[] */
};

struct cand_vec {
	struct cand *c;
	size_t n, cap;
};

/* The result under construction: lw_probe_set has no capacity field. */
struct point_vec {
	struct lw_probe_set set;
	size_t cap;
};

static int name_index(const char *symbol)
{
	size_t i;

	for (i = 0; i < N_NAMES; i++)
		if (!strcmp(names[i].name, symbol))
			return (int)i;
	return -1;
}

uint32_t lw_allocators__kind_of(const char *symbol)
{
	int i = symbol ? name_index(symbol) : -1;

	return i < 0 ? 0 : names[i].kind;
}

void lw_probe_set__free(struct lw_probe_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->p[i].module);
		free(s->p[i].attach_path);
	}
	free(s->p);
	s->p = NULL;
	s->n = 0;
}

/*
 * Find the PT_LOAD segment holding vaddr in its file image (p_filesz, not
 * p_memsz: .bss has no bytes in the file to put a probe on).
 */
static int phdr_lookup(Elf *elf, uint64_t vaddr, uint64_t *ret_off,
		       uint32_t *ret_flags)
{
	GElf_Phdr ph;
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph))
			return -EINVAL;
		if (ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		*ret_off = vaddr - ph.p_vaddr + ph.p_offset;
		if (ret_flags)
			*ret_flags = ph.p_flags;
		return 0;
	}
	return -ENOENT;
}

int lw_elf__vaddr_to_offset(int fd, uint64_t vaddr, uint64_t *ret_off)
{
	Elf *elf;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	err = elf_kind(elf) == ELF_K_ELF ?
		      phdr_lookup(elf, vaddr, ret_off, NULL) :
		      -EINVAL;
	elf_end(elf);
	return err;
}

static int cand_push(struct cand_vec *v, const struct cand *c)
{
	struct cand *nc;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 32;

		nc = realloc(v->c, cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		v->c = nc;
		v->cap = cap;
	}
	v->c[v->n++] = *c;
	return 0;
}

/* Collect the symbols of one SHT_SYMTAB or SHT_DYNSYM section. */
static int scan_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
		       struct cand_vec *v)
{
	Elf_Data *data;
	size_t i, nsym;
	GElf_Sym sym;

	data = elf_getdata(scn, NULL);
	/* A .symtab in a separate debug file can be NOBITS: no data. */
	if (!data || !data->d_buf || !sh->sh_entsize)
		return 0;
	nsym = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < nsym; i++) {
		struct cand c;
		const char *name;
		int bind, idx, err;

		if (!gelf_getsym(data, (int)i, &sym))
			break;
		bind = GELF_ST_BIND(sym.st_info);
		/*
		 * STT_GNU_IFUNC is deliberately left out: its value is the
		 * resolver, which runs once at bind time; a probe there
		 * would never see an allocation.
		 */
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    (bind != STB_GLOBAL && bind != STB_WEAK) ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		idx = name_index(name);
		if (idx < 0)
			continue;
		c.vaddr = sym.st_value;
		c.size = sym.st_size;
		c.idx = (uint32_t)idx;
		err = cand_push(v, &c);
		if (err)
			return err;
	}
	return 0;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return 0;
}

static int point_push(struct point_vec *pv, const struct cand *c,
		      uint64_t size, uint64_t off, const char *module,
		      const char *attach_path)
{
	struct lw_probe_point *p;

	if (pv->set.n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 16;

		p = realloc(pv->set.p, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		pv->set.p = p;
		pv->cap = cap;
	}
	p = &pv->set.p[pv->set.n];
	memset(p, 0, sizeof(*p));
	p->module = strdup(module);
	p->attach_path = strdup(attach_path);
	if (!p->module || !p->attach_path) {
		free(p->module);
		free(p->attach_path);
		return -ENOMEM;
	}
	p->kind = names[c->idx].kind;
	p->func = names[c->idx].name;
	p->vaddr = c->vaddr;
	p->file_offset = off;
	p->size = size;
	p->probe_offset = off;
	snprintf(p->place_reason, sizeof(p->place_reason), "function entry");
	pv->set.n++;
	return 0;
}

/* Argument registers the BPF entry program reads for each kind. */
static uint32_t args_read(uint32_t kind)
{
	switch (kind) {
	case LW_K_CALLOC:
	case LW_K_REALLOC:
		return LW_ARG_RDI | LW_ARG_RSI;
	case LW_K_REALLOCARRAY:
		return LW_ARG_RDI | LW_ARG_RSI | LW_ARG_RDX;
	case LW_K_MEMALIGN:
		return LW_ARG_RSI;
	case LW_K_POSIX_MEMALIGN:
		return LW_ARG_RDI | LW_ARG_RDX;
	default: /* malloc, valloc, pvalloc, operator new, free */
		return LW_ARG_RDI;
	}
}

/*
 * Move the point's probe onto an instruction the kernel emulates when that
 * is safe (placement.h).  The code is read from the file at the function's
 * offset; a short read (a tiny function at the end of a segment) just
 * limits the search.  On any failure the probe stays at the start.
 */
static void place(int fd, struct lw_probe_point *p)
{
	uint8_t code[LW_PLACE_MAX_BYTES + 16];
	struct lw_placement pl;
	size_t len;
	ssize_t n;

	n = pread(fd, code, sizeof(code), (off_t)p->file_offset);
	if (n <= 0)
		return;
	len = (size_t)n;
	/* Never look past the symbol's end. */
	if (p->size && p->size < len)
		len = p->size;
	if (lw_place_probe(code, len, args_read(p->kind), p->kind != LW_K_FREE,
			   &pl))
		return;
	p->probe_offset = p->file_offset + pl.offset;
	p->sp_adjust = pl.sp_adjust;
	snprintf(p->place_reason, sizeof(p->place_reason), "%s", pl.reason);
}

/*
 * GCC's libstdc++ implements every operator delete as a call to free(),
 * which is probed anyway: probing both would cost two probe hits per
 * delete for one release.  (Its operator new is probed: from its return
 * the stack starts in the user's code, while malloc's return would land
 * inside libstdc++, which keeps no frame pointers.)  jemalloc and
 * tcmalloc define their own operator delete, which does not call free.
 */
static bool forwards_to_free(const char *module)
{
	const char *base = strrchr(module, '/');

	base = base ? base + 1 : module;
	return !strncmp(base, "libstdc++.so", strlen("libstdc++.so"));
}

/*
 * Add the probe points of the ELF file open at fd.  -ENOEXEC if it is not
 * an executable or shared object, -EINVAL if libelf cannot read it.
 */
static int scan_fd(int fd, const char *module, const char *attach_path,
		   struct point_vec *pv)
{
	struct cand_vec cv = { 0 };
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf *elf;
	size_t i, j;
	int err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		err = -ENOEXEC;
		goto out;
	}

	/*
	 * Read both tables: shared libraries on Debian ship only .dynsym,
	 * static executables only .symtab, and an unstripped PIE has both
	 * (duplicates fold away below).
	 */
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh)) {
			err = -EINVAL;
			goto out;
		}
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		err = scan_symtab(elf, scn, &sh, &cv);
		if (err)
			goto out;
	}

	/* Sorted by address, then priority: each group's head names it. */
	if (cv.n) /* qsort's base must not be NULL, even for 0 elements */
		qsort(cv.c, cv.n, sizeof(*cv.c), cand_cmp);
	for (i = 0; i < cv.n; i = j) {
		uint64_t off, size = 0;
		uint32_t flags;

		for (j = i; j < cv.n && cv.c[j].vaddr == cv.c[i].vaddr; j++)
			if (cv.c[j].size > size)
				size = cv.c[j].size;
		if (names[cv.c[i].idx].alias_only)
			continue;
		if (names[cv.c[i].idx].kind == LW_K_FREE && forwards_to_free(module))
			continue;
		/* A function outside any executable segment is not code. */
		if (phdr_lookup(elf, cv.c[i].vaddr, &off, &flags) ||
		    !(flags & PF_X))
			continue;
		err = point_push(pv, &cv.c[i], size, off, module, attach_path);
		if (err)
			goto out;
		place(fd, &pv->set.p[pv->set.n - 1]);
	}

out:
	free(cv.c);
	elf_end(elf);
	return err;
}

int lw_allocators__find_in_file(const char *path, struct lw_probe_set *ret)
{
	struct point_vec pv = { 0 };
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = scan_fd(fd, path, path, &pv);
	(void)close(fd);
	if (err) {
		lw_probe_set__free(&pv.set);
		return err;
	}
	*ret = pv.set;
	return 0;
}

struct file_key {
	uint64_t inode;
	uint32_t dev_major, dev_minor;
};

static bool key_seen(const struct file_key *keys, size_t n,
		     const struct lw_vma *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (keys[i].inode == v->inode &&
		    keys[i].dev_major == v->dev_major &&
		    keys[i].dev_minor == v->dev_minor)
			return true;
	return false;
}

static bool proc_gone(int pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return access(path, F_OK) != 0;
}

int lw_allocators__find(int pid, const struct lw_maps *maps,
			struct lw_probe_set *ret)
{
	struct point_vec pv = { 0 };
	struct file_key *keys = NULL, *nk;
	size_t nkeys = 0, i;
	char path[PATH_MAX];
	int fd, err = 0;

	for (i = 0; i < maps->n; i++) {
		const struct lw_vma *v = &maps->v[i];

		/* Anonymous, [vdso], [vsyscall], data-only mappings. */
		if (!v->x || !lw_vma__is_file(v))
			continue;
		if (key_seen(keys, nkeys, v))
			continue;
		nk = realloc(keys, (nkeys + 1) * sizeof(*keys));
		if (!nk) {
			err = -ENOMEM;
			goto out;
		}
		keys = nk;
		keys[nkeys].inode = v->inode;
		keys[nkeys].dev_major = v->dev_major;
		keys[nkeys].dev_minor = v->dev_minor;
		nkeys++;

		if (lw_vma__open_path(pid, v, path, sizeof(path)))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			/*
			 * One unreadable object must not cost the probes in
			 * the others, but a vanished process is an error.
			 */
			if (proc_gone(pid)) {
				err = -ESRCH;
				goto out;
			}
			continue;
		}
		err = scan_fd(fd, v->path, path, &pv);
		(void)close(fd);
		/* Not ELF (a mapped data file with x set) or unreadable. */
		if (err == -ENOEXEC || err == -EINVAL)
			err = 0;
		if (err)
			goto out;
	}

out:
	free(keys);
	if (err) {
		lw_probe_set__free(&pv.set);
		return err;
	}
	*ret = pv.set;
	return 0;
}
