/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Address -> function, module, file:line on top of elfutils' libdwfl, with
 * a per-address cache and interned strings; pairs with symbolize.h.  Go
 * executables are read through their .gopclntab (src/go/gobin.c), which
 * stripped Go binaries keep.  docs/symbolization.md describes what is
 * supported.
 */
#define _GNU_SOURCE /* asprintf() */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include "go/gobin.h"
#include "procmaps.h"
#include "stackcheck.h"
#include "symbolize.h"

/* libstdc++'s demangler (the project links stdc++); no C header has it. */
extern char *__cxa_demangle(const char *mangled_name, char *output_buffer,
			    size_t *length, int *status);

#define DELETED_SUFFIX " (deleted)"
/* A miss may re-read the maps at most this often (ns). */
#define AUTO_REFRESH_INTERVAL_NS (100ULL * 1000 * 1000)

struct cache_slot {
	bool used;
	struct lw_frame f; /* f.addr is the key */
};

/*
 * A module that is a Go executable.  Its function table is read on the
 * first lookup in it; until then fd, a duplicate of the descriptor libdwfl
 * got for the module, keeps the very file reachable after the target
 * exits (the symbolizer works on after it) or its binary is replaced.
 */
struct go_module {
	Dwfl_Module *mod;
	int fd; /* -1 once the gobin was opened (or could not be) */
	struct lw_gobin *bin; /* NULL until opened, or when it cannot be */
};

struct lw_symbolizer {
	/* libdwfl keeps a pointer to the callbacks: they live here. */
	Dwfl_Callbacks cb;
	Dwfl *dwfl;
	int pid; /* -1 for a file symbolizer */
	bool gone; /* the process has exited */
	/* "/proc/PID/root" if the target has another root, else "". */
	char root[64];
	/* Last maps read: find_elf() looks mappings up in it. */
	struct lw_maps maps;
	uint64_t maps_hash;
	size_t maps_len;
	uint64_t last_auto_refresh_ns;
	/* Open-addressing hash tables, sizes are powers of two. */
	struct cache_slot *cache;
	size_t cache_cap, cache_n;
	char **strs;
	size_t strs_cap, strs_n;
	/* Go executables among the modules; a few at most. */
	struct go_module *gomods;
	size_t gomods_n;
};

static uint64_t hash_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_addr(uint64_t a)
{
	/* Return addresses share low bits poorly; mix them (splitmix64). */
	a ^= a >> 30;
	a *= 0xbf58476d1ce4e5b9ULL;
	a ^= a >> 27;
	a *= 0x94d049bb133111ebULL;
	return a ^ (a >> 31);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Interned copy of str (or of its first len bytes), NULL on ENOMEM. */
static const char *intern_n(struct lw_symbolizer *s, const char *str,
			    size_t len)
{
	uint64_t h = hash_bytes(str, len);
	size_t i, mask;
	char *copy;

	if ((s->strs_n + 1) * 4 > s->strs_cap * 3) {
		size_t ncap = s->strs_cap ? s->strs_cap * 2 : 256;
		char **nstrs = calloc(ncap, sizeof(*nstrs));

		if (!nstrs)
			return NULL;
		for (i = 0; i < s->strs_cap; i++) {
			char *o = s->strs[i];
			size_t j;

			if (!o)
				continue;
			j = hash_bytes(o, strlen(o)) & (ncap - 1);
			while (nstrs[j])
				j = (j + 1) & (ncap - 1);
			nstrs[j] = o;
		}
		free(s->strs);
		s->strs = nstrs;
		s->strs_cap = ncap;
	}
	mask = s->strs_cap - 1;
	for (i = h & mask; s->strs[i]; i = (i + 1) & mask) {
		if (!strncmp(s->strs[i], str, len) && s->strs[i][len] == '\0')
			return s->strs[i];
	}
	copy = strndup(str, len);
	if (!copy)
		return NULL;
	s->strs[i] = copy;
	s->strs_n++;
	return copy;
}

static const char *intern(struct lw_symbolizer *s, const char *str)
{
	return intern_n(s, str, strlen(str));
}

static struct cache_slot *cache_find(struct lw_symbolizer *s, uint64_t addr)
{
	size_t i, mask;

	if (!s->cache_cap)
		return NULL;
	mask = s->cache_cap - 1;
	for (i = hash_addr(addr) & mask; s->cache[i].used; i = (i + 1) & mask) {
		if (s->cache[i].f.addr == addr)
			return &s->cache[i];
	}
	return NULL;
}

static int cache_insert(struct lw_symbolizer *s, const struct lw_frame *f)
{
	size_t i, mask;

	if ((s->cache_n + 1) * 4 > s->cache_cap * 3) {
		size_t ncap = s->cache_cap ? s->cache_cap * 2 : 1024;
		struct cache_slot *nc = calloc(ncap, sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		for (i = 0; i < s->cache_cap; i++) {
			size_t j;

			if (!s->cache[i].used)
				continue;
			j = hash_addr(s->cache[i].f.addr) & (ncap - 1);
			while (nc[j].used)
				j = (j + 1) & (ncap - 1);
			nc[j] = s->cache[i];
		}
		free(s->cache);
		s->cache = nc;
		s->cache_cap = ncap;
	}
	mask = s->cache_cap - 1;
	i = hash_addr(f->addr) & mask;
	while (s->cache[i].used)
		i = (i + 1) & mask;
	s->cache[i].used = true;
	s->cache[i].f = *f;
	s->cache_n++;
	return 0;
}

char *lw_demangle(const char *name)
{
	int status = 0;
	char *out;

	/*
	 * __cxa_demangle() also decodes bare type manglings ("i" is "int"),
	 * which would turn plain C names into nonsense: only ask it about
	 * Itanium symbol names.
	 */
	if (!name || strncmp(name, "_Z", 2))
		return NULL;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status) {
		free(out);
		return NULL;
	}
	return out;
}

/* Open path only if it is a regular ELF file: mappings of devices
 * (/dev/zero, GPU nodes) must not be opened, reading them may block or
 * have side effects. */
static int open_elf_file(const char *path)
{
	unsigned char magic[SELFMAG];
	struct stat st;
	int fd;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, ELFMAG, SELFMAG)) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Does elf have Go's function table (or build info)?  Only its section
 * headers are read. */
static bool is_go_elf(Elf *elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return false;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		/* A PIE linked by Go names it .data.rel.ro.gopclntab. */
		if (name && (!strcmp(name, ".go.buildinfo") ||
			     (strlen(name) >= 10 &&
			      !strcmp(name + strlen(name) - 10, ".gopclntab"))))
			return true;
	}
	return false;
}

/*
 * Remember mod as a Go module when elf is one, with a duplicate of fd (the
 * module's file).  Failures only cost the Go names of that module.
 */
static void note_go_module(struct lw_symbolizer *s, Dwfl_Module *mod, Elf *elf,
			   int fd)
{
	struct go_module *n;
	int dfd;

	if (!is_go_elf(elf))
		return;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return;
	n = realloc(s->gomods, (s->gomods_n + 1) * sizeof(*n));
	if (!n) {
		(void)close(dfd);
		return;
	}
	s->gomods = n;
	n[s->gomods_n++] = (struct go_module){.mod = mod, .fd = dfd};
}

/*
 * The Go function table of mod, opened on first use; NULL when mod is not
 * a Go executable or its table cannot be read.  Modules are only added
 * (refreshes report with dwfl_report_begin_add()), so a Dwfl_Module
 * pointer names one module for the symbolizer's whole life.
 */
static struct lw_gobin *go_module_bin(struct lw_symbolizer *s, Dwfl_Module *mod)
{
	struct go_module *g;
	char path[64];
	size_t i;

	for (i = 0; i < s->gomods_n && s->gomods[i].mod != mod; i++)
		;
	if (i == s->gomods_n)
		return NULL;
	g = &s->gomods[i];
	if (g->fd >= 0) {
		/* Reopening the descriptor works for deleted files too. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", g->fd);
		if (lw_gobin__open(path, &g->bin))
			g->bin = NULL;
		(void)close(g->fd);
		g->fd = -1;
	}
	return g->bin;
}

/* The mapping of the file named path that starts at base, or any mapping
 * of it if the maps changed in between. */
static const struct lw_vma *find_vma(const struct lw_maps *m, uint64_t base,
				     const char *path, size_t plen)
{
	const struct lw_vma *v = lw_maps__find(m, base);
	size_t i;

	if (v && lw_vma__is_file(v) && !strncmp(v->path, path, plen) &&
	    !v->path[plen])
		return v;
	for (i = 0; i < m->n; i++) {
		v = &m->v[i];
		if (lw_vma__is_file(v) && !strncmp(v->path, path, plen) &&
		    !v->path[plen])
			return v;
	}
	return NULL;
}

/*
 * find_elf callback.  dwfl_linux_proc_report() names modules by the path
 * in /proc/PID/maps, " (deleted)" suffix included (elfutils 0.188 keeps
 * it).  That path may not exist for us (deleted or replaced binary, other
 * mount namespace), so open the file through /proc/PID/map_files of one
 * of its mappings, falling back to /proc/PID/root/PATH.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct lw_symbolizer *s = *userdata;
	const struct lw_vma *v;
	char open_path[4096];
	size_t plen, slen = strlen(DELETED_SUFFIX);
	bool deleted;
	Elf *elf;
	int fd;

	if (!s || s->pid < 0)
		return -1;
	/* "[vdso: PID]": libdwfl reads the image from the process memory. */
	if (modname[0] != '/')
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base,
						file_name, elfp);

	plen = strlen(modname);
	deleted = plen > slen && !strcmp(modname + plen - slen, DELETED_SUFFIX);
	if (deleted)
		plen -= slen;
	v = find_vma(&s->maps, base, modname, plen);
	deleted = deleted || (v && v->deleted);
	fd = -1;
	if (v && !lw_vma__open_path(s->pid, v, open_path, sizeof(open_path)) &&
	    strstr(open_path, "/map_files/"))
		fd = open_elf_file(open_path);
	/*
	 * Without map_files (opening needs CAP_SYS_ADMIN or, since 5.9,
	 * CAP_CHECKPOINT_RESTORE), open by path, unless the mapped file was
	 * deleted: what has that path now (say, the binary of an upgraded
	 * package) is another file.
	 */
	if (fd < 0 && !deleted) {
		if (snprintf(open_path, sizeof(open_path), "%s%.*s", s->root,
			     (int)plen, modname) >= (int)sizeof(open_path))
			return -1;
		fd = open_elf_file(open_path);
	}
	if (fd < 0)
		return -1;
	/* The mapping keeps the file's pages reachable after the process
	 * exits and its map_files entries are gone. */
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		(void)close(fd);
		return -1;
	}
	/*
	 * The path as we see it, even when deleted: libdwfl looks for the
	 * .gnu_debuglink file in its directory (and under /usr/lib/debug).
	 */
	if (asprintf(file_name, "%s%.*s", s->root, (int)plen, modname) < 0)
		*file_name = NULL;
	note_go_module(s, mod, elf, fd);
	*elfp = elf;
	return fd;
}

/* Give every module our pointer and open its ELF now, while its
 * map_files entries still exist. */
static int open_module(Dwfl_Module *mod, void **userdata, const char *name,
		       Dwarf_Addr start, void *arg)
{
	GElf_Addr bias;

	if (!*userdata)
		*userdata = arg;
	(void)dwfl_module_getelf(mod, &bias);
	return DWARF_CB_OK;
}

/* Read the maps; *ret_changed tells whether they differ from the last. */
static int read_maps(struct lw_symbolizer *s, bool *ret_changed)
{
	struct lw_maps m = { 0 };
	char path[64], *text = NULL;
	size_t len;
	uint64_t h;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", s->pid);
	err = lw_read_file(path, &text, &len);
	if (err) {
		err = err == -ENOENT ? -ESRCH : err;
		goto out;
	}
	/* A zombie has an empty maps file: it is gone as far as we care. */
	if (len == 0) {
		err = -ESRCH;
		goto out;
	}
	h = hash_bytes(text, len);
	*ret_changed = h != s->maps_hash || len != s->maps_len;
	if (!*ret_changed)
		goto out;
	err = lw_maps__parse(text, &m);
	if (err)
		goto out;
	lw_maps__free(&s->maps);
	s->maps = m;
	s->maps_hash = h;
	s->maps_len = len;
out:
	free(text);
	return err;
}

/* (Re)report the modules of s->pid and open the new ones. */
static int report(struct lw_symbolizer *s, bool add)
{
	int r;

	if (add)
		dwfl_report_begin_add(s->dwfl);
	else
		dwfl_report_begin(s->dwfl);
	r = dwfl_linux_proc_report(s->dwfl, s->pid);
	if (dwfl_report_end(s->dwfl, NULL, NULL) && !r)
		r = -1;
	/* Modules reported before a failure are usable: open them anyway. */
	(void)dwfl_getmodules(s->dwfl, open_module, s, 0);
	if (r > 0)
		return r == ENOENT ? -ESRCH : -r;
	return r < 0 ? -EIO : 0;
}

static struct lw_symbolizer *symbolizer_alloc(int pid)
{
	struct lw_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->pid = pid;
	s->cb.find_elf = find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	/* NULL debuginfo_path: libdwfl's ":.debug:/usr/lib/debug". */
	s->cb.debuginfo_path = NULL;
	s->dwfl = dwfl_begin(&s->cb);
	if (!s->dwfl) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

/* Files of a target in another mount namespace (container) are reached
 * through its root. */
static void set_root(struct lw_symbolizer *s)
{
	struct stat ours, theirs;

	snprintf(s->root, sizeof(s->root), "/proc/%d/root", s->pid);
	if (!stat("/", &ours) && !stat(s->root, &theirs) &&
	    ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
		s->root[0] = '\0';
}

struct lw_symbolizer *lw_symbolizer__new(int pid)
{
	struct lw_symbolizer *s;
	bool changed;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	s = symbolizer_alloc(pid);
	if (!s)
		return NULL;
	set_root(s);
	err = read_maps(s, &changed);
	if (err)
		goto err_out;
	err = report(s, false);
	if (err)
		goto err_out;
	return s;

err_out:
	lw_symbolizer__free(s);
	errno = -err;
	return NULL;
}

struct lw_symbolizer *lw_symbolizer__new_file(const char *path)
{
	struct lw_symbolizer *s;
	Dwfl_Module *mod;
	GElf_Addr bias;
	Elf *elf;
	int fd, err;

	s = symbolizer_alloc(-1);
	if (!s)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto err_out;
	}
	/*
	 * dwfl_report_offline() would place an ET_DYN file at an arbitrary
	 * offline address; dwfl_report_elf() with base 0 relative to p_vaddr
	 * keeps link-time addresses (bias 0).  It consumes fd on success.
	 */
	dwfl_report_begin(s->dwfl);
	mod = dwfl_report_elf(s->dwfl, path, path, fd, 0, true);
	if (dwfl_report_end(s->dwfl, NULL, NULL) || !mod) {
		if (!mod)
			(void)close(fd);
		err = -EINVAL;
		goto err_out;
	}
	elf = dwfl_module_getelf(mod, &bias);
	if (elf) {
		/* libdwfl owns the descriptor it was given: lend it a new one. */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			note_go_module(s, mod, elf, fd);
			(void)close(fd);
		}
	}
	return s;

err_out:
	lw_symbolizer__free(s);
	errno = -err;
	return NULL;
}

int lw_symbolizer__refresh(struct lw_symbolizer *s)
{
	bool changed = false;
	int err;

	if (s->pid < 0)
		return 0;
	if (s->gone)
		return -ESRCH;
	err = read_maps(s, &changed);
	if (!err && changed)
		err = report(s, true);
	if (err == -ESRCH)
		s->gone = true;
	else if (err)
		s->maps_len = 0; /* not reported: the next call must retry */
	return err;
}

/* Module name as in the maps, minus " (deleted)"; "[vdso]" for the vdso. */
static const char *module_name(struct lw_symbolizer *s, const char *name)
{
	size_t len = strlen(name), slen = strlen(DELETED_SUFFIX);

	if (!strncmp(name, "[vdso", 5))
		return intern(s, "[vdso]");
	if (len > slen && !strcmp(name + len - slen, DELETED_SUFFIX))
		len -= slen;
	return intern_n(s, name, len);
}

/*
 * Name and position from Go's own function table, the source of the names
 * in Go's tracebacks and profiles: the same answers whether or not the
 * binary was stripped (the linker writes DWARF names and lines from the
 * same data).  Code outside Go's table (cgo's C functions) is left to
 * libdwfl.  pc is the link-time address.
 */
static void lookup_go(struct lw_symbolizer *s, Dwfl_Module *mod, uint64_t pc,
		      struct lw_frame *f)
{
	struct lw_gobin *bin = go_module_bin(s, mod);
	struct lw_gofunc gf;

	if (!bin || lw_gobin__lookup_pc(bin, pc, &gf))
		return;
	f->function = intern(s, gf.name);
	if (gf.file) {
		f->file = intern(s, gf.file);
		f->line = f->file ? gf.line : 0;
	}
}

static void lookup(struct lw_symbolizer *s, uint64_t addr, struct lw_frame *f)
{
	/* A return address points after the call; the call is before it. */
	Dwarf_Addr pc = addr ? addr - 1 : 0, start, bias;
	const char *name, *src;
	Dwfl_Module *mod;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;
	char *dem;
	int lineno;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	mod = addr ? dwfl_addrmodule(s->dwfl, pc) : NULL;
	if (!mod)
		return;
	name = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL,
				NULL);
	f->module = name ? module_name(s, name) : NULL;
	if (dwfl_module_getelf(mod, &bias)) {
		f->module_offset = pc - bias;
		lookup_go(s, mod, f->module_offset, f);
	} else {
		f->module_offset = pc - start;
	}

	if (!f->function) {
		name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL,
					    NULL);
		if (name) {
			dem = lw_demangle(name);
			f->function = intern(s, dem ? dem : name);
			free(dem);
		}
	}
	line = f->file ? NULL : dwfl_module_getsrc(mod, pc);
	if (line) {
		src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		if (src) {
			f->file = intern(s, src);
			f->line = lineno;
		}
	}
}

int lw_symbolizer__resolve(struct lw_symbolizer *s, uint64_t addr,
			   struct lw_frame *ret)
{
	struct cache_slot *slot;
	struct lw_frame f;
	uint64_t now;

	slot = cache_find(s, addr);
	if (slot) {
		*ret = slot->f;
		return ret->function ? 0 : -ENOENT;
	}
	lookup(s, addr, &f);
	/* Maybe mapped since the last refresh (dlopen): look once more. */
	if (!f.module && addr && s->pid > 0 && !s->gone) {
		now = now_ns();
		if (!s->last_auto_refresh_ns ||
		    now - s->last_auto_refresh_ns >= AUTO_REFRESH_INTERVAL_NS) {
			s->last_auto_refresh_ns = now;
			if (!lw_symbolizer__refresh(s))
				lookup(s, addr, &f);
		}
	}
	/*
	 * Don't remember "unmapped" while the process lives: the address
	 * may be mapped later.  An allocation failure only costs the cache.
	 */
	if (f.module || s->pid < 0 || s->gone)
		(void)cache_insert(s, &f);
	*ret = f;
	return f.function ? 0 : -ENOENT;
}

/* Logical frames one address may expand to; deeper inline chains keep
 * their innermost calls. */
#define MAX_INLINE 16

int lw_symbolizer__resolve_inline(struct lw_symbolizer *s, uint64_t addr,
				  struct lw_frame *ret, unsigned max)
{
	struct lw_goframe g[MAX_INLINE];
	struct lw_frame phys;
	struct lw_gobin *bin;
	Dwfl_Module *mod;
	GElf_Addr bias;
	int n, i;

	(void)lw_symbolizer__resolve(s, addr, &phys);
	ret[0] = phys;
	if (max < 2 || !phys.function || !addr)
		return 1;
	/* resolve() found the module: no refresh is needed here. */
	mod = dwfl_addrmodule(s->dwfl, addr - 1);
	if (!mod || !dwfl_module_getelf(mod, &bias))
		return 1;
	bin = go_module_bin(s, mod);
	if (!bin)
		return 1;
	/* The physical frame last: else the chain was cut, keep resolve()'s
	 * answer alone. */
	n = lw_gobin__lookup_frames(bin, addr - 1 - bias, 0, g, MAX_INLINE);
	if (n < 2 || strcmp(g[n - 1].name, phys.function))
		return 1;
	if ((unsigned)n > max) {
		/* The innermost calls and the physical frame, which names
		 * the code the address is in. */
		g[max - 1] = g[n - 1];
		n = (int)max;
	}
	for (i = 0; i < n; i++) {
		ret[i] = phys;
		ret[i].function = intern(s, g[i].name);
		ret[i].file = g[i].file ? intern(s, g[i].file) : NULL;
		ret[i].line = ret[i].file ? g[i].line : 0;
		ret[i].inlined = g[i].inlined;
		/* Out of memory: the physical frame alone is still right. */
		if (!ret[i].function) {
			ret[0] = phys;
			return 1;
		}
	}
	return n;
}

int lw_symbolizer__resolve_stack(struct lw_symbolizer *s, const uint64_t *ips,
				 unsigned nr, struct lw_frame **ret,
				 unsigned *ret_nr)
{
	struct lw_frame one[MAX_INLINE], *frames, *grown;
	size_t cap = nr ? nr : 1, n = 0;
	unsigned i, got;

	*ret = NULL;
	*ret_nr = 0;
	/* One frame per address, more only where calls were inlined. */
	frames = calloc(cap, sizeof(*frames));
	if (!frames)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		got = (unsigned)lw_symbolizer__resolve_inline(s, ips[i], one,
							      MAX_INLINE);
		if (n + got > cap) {
			while (n + got > cap)
				cap *= 2;
			grown = realloc(frames, cap * sizeof(*frames));
			if (!grown) {
				free(frames);
				return -ENOMEM;
			}
			frames = grown;
		}
		memcpy(&frames[n], one, got * sizeof(*one));
		n += got;
	}
	*ret = frames;
	*ret_nr = (unsigned)n;
	return 0;
}

/* DWARF register number of %rsp on x86-64. */
#define DWARF_REG_RSP 7
#define MAX_PROLOGUE 512

static int cfi_offset(Dwfl_Module *mod, uint64_t ip, uint64_t *ret)
{
	Dwarf_Frame *frame;
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;
	Dwarf_Op *ops;
	size_t nops;
	int pass, err = -ENOENT;

	for (pass = 0; pass < 2 && err == -ENOENT; pass++) {
		cfi = pass ? dwfl_module_dwarf_cfi(mod, &bias) :
			     dwfl_module_eh_cfi(mod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, ip - bias, &frame))
			continue;
		/* libdw gives a "register + offset" rule as one bregx.  Any
		 * other rule (CFA = %rbp + 16) means a frame pointer. */
		err = -EOPNOTSUPP;
		if (!dwarf_frame_cfa(frame, &ops, &nops) && nops == 1 &&
		    ops[0].atom == DW_OP_bregx &&
		    ops[0].number == DWARF_REG_RSP) {
			*ret = ops[0].number2;
			err = 0;
		}
		free(frame);
	}
	return err;
}

/* How far ip is into its function: from the symbol table, else from Go's
 * function table.  0 or -ENOENT. */
static int func_offset(struct lw_symbolizer *s, Dwfl_Module *mod, uint64_t ip,
		       GElf_Off *ret)
{
	struct lw_gobin *bin;
	struct lw_gofunc gf;
	GElf_Addr bias;
	GElf_Sym sym;

	if (dwfl_module_addrinfo(mod, ip, ret, &sym, NULL, NULL, NULL))
		return 0;
	if (!dwfl_module_getelf(mod, &bias))
		return -ENOENT;
	bin = go_module_bin(s, mod);
	if (!bin || lw_gobin__lookup_pc(bin, ip - bias, &gf))
		return -ENOENT;
	*ret = ip - bias - gf.entry;
	return 0;
}

int lw_symbolizer__cfa_offset(struct lw_symbolizer *s, uint64_t ip,
			      bool is_return, uint64_t *ret)
{
	uint8_t code[MAX_PROLOGUE];
	struct iovec local, remote;
	Dwfl_Module *mod;
	uint64_t delta;
	GElf_Off off;
	int err;

	mod = dwfl_addrmodule(s->dwfl, is_return ? ip - 1 : ip);
	if (!mod)
		return -ENOENT;
	err = cfi_offset(mod, is_return ? ip - 1 : ip, ret);
	if (err != -ENOENT)
		return err;
	/* No CFI (musl is built without unwind tables, stripped Go binaries
	 * have none left): decode. */
	if (s->pid <= 0 || func_offset(s, mod, ip, &off) || off > sizeof(code))
		return -ENOENT;
	local.iov_base = code;
	local.iov_len = off;
	remote.iov_base = (void *)(uintptr_t)(ip - off);
	remote.iov_len = off;
	if (off && process_vm_readv(s->pid, &local, 1, &remote, 1, 0) != (ssize_t)off)
		return -ENOENT;
	if (lw_x86_stack_delta(code, off, off, &delta))
		return -ENOENT;
	*ret = delta + 8;
	return 0;
}

void lw_symbolizer__free(struct lw_symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	for (i = 0; i < s->gomods_n; i++) {
		lw_gobin__free(s->gomods[i].bin);
		if (s->gomods[i].fd >= 0)
			(void)close(s->gomods[i].fd);
	}
	free(s->gomods);
	lw_maps__free(&s->maps);
	for (i = 0; i < s->strs_cap; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->cache);
	free(s);
}
