/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Reads a Go executable from its ELF file (gobin.h): the build info, the
 * .gopclntab function table, runtime variables (from .symtab, or found in
 * the code of stripped binaries) and the layout of runtime.g.  Formats are
 * described in docs/go-binaries.md.
 */
#include "go/gobin.h"

#include <capstone/capstone.h>
#include <ctype.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GO_PCLN_116 0xfffffffau /* Go 1.16-1.17 */
#define GO_PCLN_118 0xfffffff0u /* Go 1.18-1.19 */
#define GO_PCLN_120 0xfffffff1u /* Go 1.20+ */

static const char go_buildinfo_magic[] = "\xff Go buildinf:";

/* Offset of moduledata.text: pcHeader, six slices, findfunctab, minpc and
 * maxpc come before it in every version since 1.16 (runtime/symtab.go). */
#define GO_MODDATA_TEXT (8 + 6 * 24 + 3 * 8)

struct gosec {
	const char *name;
	uint64_t addr, size, off;
	uint32_t type;
	uint64_t flags;
};

/* An R_X86_64_RELATIVE relocation: in a PIE the word at addr holds 0 in
 * the file and the loader writes bias + val. */
struct gorel {
	uint64_t addr, val;
};

struct lw_gobin {
	int fd;
	Elf *elf;
	const uint8_t *img;
	size_t img_size;
	bool pie, has_symtab, has_dwarf;

	struct gosec *secs;
	size_t nsecs;
	const struct gosec *symtab, *strtab;
	struct gorel *rels;
	size_t nrels;

	char version[64];
	int vmajor, vminor;

	/* .gopclntab */
	const uint8_t *pcln;
	uint64_t pcln_addr, pcln_size;
	uint32_t pcln_magic, quantum;
	uint64_t nfunc, text_start;
	uint64_t off_funcname, off_cu, off_file, off_pc, off_functab;
	uint64_t moddata; /* runtime.firstmoduledata, 0 unknown */

	/* Inlined frames and wrappers (goinl_init()). */
	uint64_t gofunc; /* moduledata.gofunc: base of funcdata, 0 unknown */
	int fid_wrapper, fid_gopanic, fid_sigpanic, fid_panicwrap; /* -1 */
};

/* ---- ELF helpers ---- */

static const struct gosec *sec_by_name(const struct lw_gobin *b,
				       const char *name)
{
	size_t i;

	for (i = 0; i < b->nsecs; i++)
		if (b->secs[i].name && !strcmp(b->secs[i].name, name))
			return &b->secs[i];
	return NULL;
}

/* The allocated section holding addr (NOBITS included), or NULL. */
static const struct gosec *sec_at(const struct lw_gobin *b, uint64_t addr)
{
	size_t i;

	for (i = 0; i < b->nsecs; i++) {
		const struct gosec *s = &b->secs[i];

		/* TLS sections (.tbss) have addresses relative to the
		 * thread pointer: never a data address. */
		if ((s->flags & SHF_ALLOC) && !(s->flags & SHF_TLS) &&
		    addr >= s->addr && addr - s->addr < s->size)
			return s;
	}
	return NULL;
}

static const uint8_t *sec_data(const struct lw_gobin *b, const struct gosec *s)
{
	if (s->type == SHT_NOBITS || s->off > b->img_size ||
	    s->size > b->img_size - s->off)
		return NULL;
	return b->img + s->off;
}

/* File bytes behind [addr, addr + len), or NULL (not in the file). */
static const uint8_t *addr_ptr(const struct lw_gobin *b, uint64_t addr,
			       uint64_t len)
{
	const struct gosec *s = sec_at(b, addr);
	const uint8_t *d;

	if (!s || !(d = sec_data(b, s)) || len > s->size - (addr - s->addr))
		return NULL;
	return d + (addr - s->addr);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static int rel_cmp(const void *a, const void *b)
{
	const struct gorel *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The pointer-sized word at addr as the loader leaves it (bias 0). */
static bool read_word(const struct lw_gobin *b, uint64_t addr, uint64_t *ret)
{
	const uint8_t *p = addr_ptr(b, addr, 8);
	struct gorel key = {.addr = addr}, *r;

	if (!p)
		return false;
	*ret = le64(p);
	if (b->nrels &&
	    (r = bsearch(&key, b->rels, b->nrels, sizeof(*r), rel_cmp)))
		*ret = r->val;
	return true;
}

/* A Go string header {ptr, len} at addr -> its bytes. */
static const char *read_gostring(const struct lw_gobin *b, uint64_t addr,
				 uint64_t *ret_len)
{
	uint64_t ptr, len;
	const uint8_t *p;

	if (!read_word(b, addr, &ptr) || !read_word(b, addr + 8, &len) ||
	    len > 4096 || !(p = addr_ptr(b, ptr, len)))
		return NULL;
	*ret_len = len;
	return (const char *)p;
}

static int load_sections(struct lw_gobin *b)
{
	size_t shstrndx, n = 0;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(b->elf, &shstrndx) || elf_getshdrnum(b->elf, &n))
		return -ENOEXEC;
	b->secs = calloc(n ? n : 1, sizeof(*b->secs));
	if (!b->secs)
		return -ENOMEM;
	while ((scn = elf_nextscn(b->elf, scn))) {
		GElf_Shdr sh;
		struct gosec *s;

		if (!gelf_getshdr(scn, &sh) || b->nsecs >= n)
			continue;
		s = &b->secs[b->nsecs++];
		s->name = elf_strptr(b->elf, shstrndx, sh.sh_name);
		s->addr = sh.sh_addr;
		s->size = sh.sh_size;
		s->off = sh.sh_offset;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		if (sh.sh_type == SHT_SYMTAB) {
			b->symtab = s;
			/* sh_link names the string table; fixed up below. */
			s->off = sh.sh_offset;
			s->flags |= (uint64_t)sh.sh_link << 32;
		}
	}
	if (b->symtab) {
		size_t link = b->symtab->flags >> 32, i;

		for (i = 0; i < b->nsecs; i++) {
			GElf_Shdr sh;
			Elf_Scn *ls = elf_getscn(b->elf, link);

			if (ls && gelf_getshdr(ls, &sh) &&
			    b->secs[i].off == sh.sh_offset &&
			    b->secs[i].type == SHT_STRTAB)
				b->strtab = &b->secs[i];
		}
		b->has_symtab = b->strtab != NULL;
	}
	/* Older Go linkers wrote compressed DWARF as .zdebug_*. */
	b->has_dwarf = sec_by_name(b, ".debug_info") != NULL;
	b->has_dwarf |= sec_by_name(b, ".zdebug_info") != NULL;
	return 0;
}

/* R_X86_64_RELATIVE relocations of a PIE, sorted by address. */
static int load_relocs(struct lw_gobin *b)
{
	size_t i, cap = 0;

	for (i = 0; i < b->nsecs; i++) {
		const struct gosec *s = &b->secs[i];
		const uint8_t *d = sec_data(b, s);
		uint64_t j;

		if (s->type != SHT_RELA || !d)
			continue;
		for (j = 0; j + sizeof(Elf64_Rela) <= s->size;
		     j += sizeof(Elf64_Rela)) {
			Elf64_Rela r;

			memcpy(&r, d + j, sizeof(r));
			if (ELF64_R_TYPE(r.r_info) != R_X86_64_RELATIVE)
				continue;
			if (b->nrels == cap) {
				size_t nc = cap ? cap * 2 : 1024;
				struct gorel *p;

				p = realloc(b->rels, nc * sizeof(*p));
				if (!p)
					return -ENOMEM;
				b->rels = p;
				cap = nc;
			}
			b->rels[b->nrels].addr = r.r_offset;
			b->rels[b->nrels++].val = (uint64_t)r.r_addend;
		}
	}
	if (b->nrels)
		qsort(b->rels, b->nrels, sizeof(*b->rels), rel_cmp);
	return 0;
}

static bool symtab_lookup(const struct lw_gobin *b, const char *name,
			  uint64_t *addr, uint64_t *size)
{
	const uint8_t *d, *strs;
	uint64_t i, n;

	if (!b->has_symtab || !(d = sec_data(b, b->symtab)) ||
	    !(strs = sec_data(b, b->strtab)))
		return false;
	n = b->symtab->size / sizeof(Elf64_Sym);
	for (i = 0; i < n; i++) {
		Elf64_Sym sym;

		memcpy(&sym, d + i * sizeof(sym), sizeof(sym));
		if (!sym.st_name || sym.st_name >= b->strtab->size ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		if (strncmp((const char *)strs + sym.st_name, name,
			    b->strtab->size - sym.st_name))
			continue;
		*addr = sym.st_value;
		if (size)
			*size = sym.st_size;
		return true;
	}
	return false;
}

/* ---- version ---- */

static bool uvarint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;
	int shift;

	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

static void set_version(struct lw_gobin *b, const char *s, size_t len)
{
	const char *p;

	if (!len || len >= sizeof(b->version))
		return;
	memcpy(b->version, s, len);
	b->version[len] = 0;
	/* "go1.22.5", also "devel go1.23-abcdef ..." */
	p = strstr(b->version, "go1.");
	if (p && sscanf(p, "go%d.%d", &b->vmajor, &b->vminor) != 2)
		b->vmajor = b->vminor = 0;
}

/*
 * .go.buildinfo: a 32-byte header (magic, pointer size, flags).  Since
 * Go 1.18 (flags & 2) the version and module info follow inline as
 * uvarint-prefixed strings; before, two pointers at offset 16 point to Go
 * string headers (the first one is runtime.buildVersion).
 */
static void parse_buildinfo(struct lw_gobin *b, const uint8_t *d, uint64_t size,
			    uint64_t addr)
{
	const uint8_t *p = d + 32, *end = d + size;
	uint64_t len, ptr;
	const char *s;

	if (size < 32 || memcmp(d, go_buildinfo_magic, 14))
		return;
	if (d[15] & 2) {
		if (uvarint(&p, end, &len) && len <= (uint64_t)(end - p))
			set_version(b, (const char *)p, len);
		return;
	}
	if (d[14] != 8 || (d[15] & 1))
		return; /* only 64-bit little-endian */
	ptr = le64(d + 16);
	if (b->nrels)
		(void)read_word(b, addr + 16, &ptr);
	s = read_gostring(b, ptr, &len);
	if (s)
		set_version(b, s, len);
}

static void find_version(struct lw_gobin *b)
{
	const struct gosec *s = sec_by_name(b, ".go.buildinfo");
	const uint8_t *d;
	uint64_t addr, len;
	const char *v;
	size_t i;

	if (s && (d = sec_data(b, s)))
		parse_buildinfo(b, d, s->size, s->addr);
	/* Externally linked binaries may lack the section name: search
	 * writable data for the 16-byte aligned magic, like Go does. */
	for (i = 0; !b->version[0] && i < b->nsecs; i++) {
		uint64_t o;

		s = &b->secs[i];
		if (!(s->flags & SHF_WRITE) || !(d = sec_data(b, s)))
			continue;
		for (o = 0; o + 32 <= s->size; o += 16)
			if (!memcmp(d + o, go_buildinfo_magic, 14)) {
				parse_buildinfo(b, d + o, s->size - o,
						s->addr + o);
				break;
			}
	}
	if (!b->version[0] &&
	    symtab_lookup(b, "runtime.buildVersion", &addr, NULL) &&
	    (v = read_gostring(b, addr, &len)))
		set_version(b, v, len);
}

/* ---- .gopclntab ---- */

static bool pcln_header_ok(const uint8_t *d, uint64_t size)
{
	uint32_t magic;

	if (size < 72)
		return false;
	magic = le32(d);
	return (magic == GO_PCLN_116 || magic == GO_PCLN_118 ||
		magic == GO_PCLN_120) &&
	       !d[4] && !d[5] && (d[6] == 1 || d[6] == 2 || d[6] == 4) &&
	       d[7] == 8;
}

static uint64_t find_moduledata(const struct lw_gobin *b);
static void version_from_code(struct lw_gobin *b);
static void goinl_init(struct lw_gobin *b);

static int load_pclntab(struct lw_gobin *b)
{
	static const char *const data_secs[] = {".data.rel.ro", ".rodata",
						NULL};
	const struct gosec *s = sec_by_name(b, ".gopclntab");
	const uint8_t *d, *h;
	uint64_t offs[5], word;
	size_t i;
	int k;

	/* Go's own linker names it .data.rel.ro.gopclntab in a PIE. */
	if (!s)
		s = sec_by_name(b, ".data.rel.ro.gopclntab");
	d = s ? sec_data(b, s) : NULL;
	if (d && pcln_header_ok(d, s->size)) {
		b->pcln = d;
		b->pcln_addr = s->addr;
		b->pcln_size = s->size;
	}
	/* A PIE linked externally keeps the table inside .data.rel.ro. */
	for (k = 0; !b->pcln && data_secs[k]; k++) {
		uint64_t o;

		s = sec_by_name(b, data_secs[k]);
		if (!s || !(d = sec_data(b, s)))
			continue;
		for (o = 0; o + 72 <= s->size; o += 8)
			if (pcln_header_ok(d + o, s->size - o)) {
				b->pcln = d + o;
				b->pcln_addr = s->addr + o;
				b->pcln_size = s->size - o;
				break;
			}
	}
	if (!b->pcln)
		return -ENOENT;

	h = b->pcln;
	b->pcln_magic = le32(h);
	b->quantum = h[6];
	b->nfunc = le64(h + 8);
	k = b->pcln_magic == GO_PCLN_116 ? 24 : 32;
	for (i = 0; i < 5; i++) {
		offs[i] = le64(h + k + 8 * i);
		if (offs[i] >= b->pcln_size)
			return -ENOENT;
	}
	b->off_funcname = offs[0];
	b->off_cu = offs[1];
	b->off_file = offs[2];
	b->off_pc = offs[3];
	b->off_functab = offs[4];
	if (b->nfunc > (b->pcln_size - b->off_functab) / 8)
		return -ENOENT;

	b->moddata = find_moduledata(b);
	if (b->pcln_magic != GO_PCLN_116) {
		/* Go 1.26 stopped filling textStart (it needed a relocation):
		 * moduledata.text has it, else the start of .text. */
		if (read_word(b, b->pcln_addr + 24, &word) && word)
			b->text_start = word;
		else if (b->moddata &&
			 read_word(b, b->moddata + GO_MODDATA_TEXT, &word) &&
			 word)
			b->text_start = word;
		else if ((s = sec_by_name(b, ".text")))
			b->text_start = s->addr;
		else
			return -ENOENT;
	}
	return 0;
}

/*
 * runtime.firstmoduledata: from .symtab, else the one word in Go's data
 * sections that points at the pclntab header and is followed by the
 * funcnametab slice.  0 when not found or not unique.
 */
static uint64_t find_moduledata(const struct lw_gobin *b)
{
	static const char *const secs[] = {".go.module", ".noptrdata", ".data",
					   ".data.rel.ro", NULL};
	uint64_t addr, found = 0, w;
	int k, hits = 0;

	if (symtab_lookup(b, "runtime.firstmoduledata", &addr, NULL))
		return addr;
	for (k = 0; secs[k]; k++) {
		const struct gosec *s = sec_by_name(b, secs[k]);
		uint64_t o;

		if (!s || !sec_data(b, s))
			continue;
		for (o = (8 - s->addr % 8) % 8; o + 16 <= s->size; o += 8) {
			if (!read_word(b, s->addr + o, &w) || w != b->pcln_addr)
				continue;
			if (!read_word(b, s->addr + o + 8, &w) ||
			    w != b->pcln_addr + b->off_funcname)
				continue;
			found = s->addr + o;
			hits++;
		}
		if (hits)
			break;
	}
	return hits == 1 ? found : 0;
}

/* Entry pc and _func offset (from the functab start) of function i;
 * i == nfunc gives the end of the last function. */
static bool func_at(const struct lw_gobin *b, uint64_t i, uint64_t *entry,
		    uint64_t *funcoff)
{
	const uint8_t *ft = b->pcln + b->off_functab;
	uint64_t avail = b->pcln_size - b->off_functab;

	if (b->pcln_magic == GO_PCLN_116) {
		if ((i + 1) * 16 > avail + (i == b->nfunc ? 8 : 0))
			return false;
		*entry = le64(ft + i * 16);
		if (funcoff)
			*funcoff = i < b->nfunc ? le64(ft + i * 16 + 8) : 0;
		return true;
	}
	if ((i + 1) * 8 > avail + (i == b->nfunc ? 4 : 0))
		return false;
	*entry = b->text_start + le32(ft + i * 8);
	if (funcoff)
		*funcoff = i < b->nfunc ? le32(ft + i * 8 + 4) : 0;
	return true;
}

/* The _func record: field k counted in uint32 after the entry. */
static bool func_field(const struct lw_gobin *b, uint64_t funcoff, int k,
		       uint32_t *ret)
{
	uint64_t base = b->off_functab + funcoff;
	uint64_t at = base + (b->pcln_magic == GO_PCLN_116 ? 8 : 4) + 4 * k;

	if (at + 4 > b->pcln_size || at < base)
		return false;
	*ret = le32(b->pcln + at);
	return true;
}

enum {
	FF_NAMEOFF,
	FF_ARGS,
	FF_DEFERRETURN,
	FF_PCSP,
	FF_PCFILE,
	FF_PCLN,
	FF_NPCDATA,
	FF_CUOFFSET
};

/* A NUL-terminated string at pclntab offset off, or NULL. */
static const char *pcln_str(const struct lw_gobin *b, uint64_t off)
{
	if (off >= b->pcln_size ||
	    !memchr(b->pcln + off, 0, b->pcln_size - off))
		return NULL;
	return (const char *)b->pcln + off;
}

static const char *func_name(const struct lw_gobin *b, uint64_t funcoff)
{
	uint32_t nameoff;

	if (!func_field(b, funcoff, FF_NAMEOFF, &nameoff))
		return NULL;
	return pcln_str(b, b->off_funcname + nameoff);
}

/*
 * Value of a pc-value table at target: pairs of (zigzag value delta,
 * pc delta / quantum) uvarints, starting from value -1 at the entry; a
 * zero value delta after the first pair ends the table.
 */
static bool pcvalue(const struct lw_gobin *b, uint32_t off, uint64_t entry,
		    uint64_t target, int32_t *ret)
{
	const uint8_t *p, *end = b->pcln + b->pcln_size;
	uint64_t pc = entry, uv, pd;
	int32_t val = -1;
	bool first = true;

	if (!off || b->off_pc + off >= b->pcln_size)
		return false;
	p = b->pcln + b->off_pc + off;
	for (;;) {
		if (!uvarint(&p, end, &uv) || (uv == 0 && !first))
			return false;
		val += (uv & 1) ? (int32_t) ~(uint32_t)(uv >> 1)
				: (int32_t)(uv >> 1);
		if (!uvarint(&p, end, &pd))
			return false;
		pc += pd * b->quantum;
		first = false;
		if (target < pc) {
			*ret = val;
			return true;
		}
	}
}

/* The function holding pc: largest i with entry(i) <= pc, by bisection. */
static bool func_of_pc(const struct lw_gobin *b, uint64_t pc, uint64_t *entry,
		       uint64_t *end, uint64_t *funcoff)
{
	uint64_t lo = 0, hi = b->nfunc;

	if (!b->pcln || !b->nfunc)
		return false;
	if (!func_at(b, 0, entry, NULL) || pc < *entry ||
	    !func_at(b, b->nfunc, end, NULL) || pc >= *end)
		return false;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!func_at(b, mid, entry, NULL))
			return false;
		if (*entry <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return func_at(b, lo, entry, funcoff) && func_at(b, lo + 1, end, NULL);
}

/* File and line of pc in the physical function funcoff. */
static void pc_file_line(const struct lw_gobin *b, uint64_t funcoff,
			 uint64_t entry, uint64_t pc, const char **file,
			 int *line)
{
	uint32_t pcfile, pcln, cuoff, fileoff;
	int32_t fileno, l;

	*file = NULL;
	*line = 0;
	if (func_field(b, funcoff, FF_PCLN, &pcln) &&
	    pcvalue(b, pcln, entry, pc, &l) && l > 0)
		*line = l;
	if (func_field(b, funcoff, FF_PCFILE, &pcfile) &&
	    func_field(b, funcoff, FF_CUOFFSET, &cuoff) &&
	    pcvalue(b, pcfile, entry, pc, &fileno) && fileno >= 0 &&
	    b->off_cu + 4 * ((uint64_t)cuoff + fileno) + 4 <= b->pcln_size) {
		fileoff = le32(b->pcln + b->off_cu +
			       4 * ((uint64_t)cuoff + fileno));
		if (fileoff != UINT32_MAX)
			*file = pcln_str(b, b->off_file + fileoff);
	}
}

int lw_gobin__lookup_pc(const struct lw_gobin *b, uint64_t pc,
			struct lw_gofunc *ret)
{
	uint64_t entry, end, funcoff;

	if (!func_of_pc(b, pc, &entry, &end, &funcoff))
		return -ENOENT;
	memset(ret, 0, sizeof(*ret));
	ret->name = func_name(b, funcoff);
	if (!ret->name)
		return -ENOENT;
	ret->entry = entry;
	ret->end = end;
	pc_file_line(b, funcoff, entry, pc, &ret->file, &ret->line);
	return 0;
}

int lw_gobin__find_func(const struct lw_gobin *b, const char *name,
			uint64_t *entry, uint64_t *end)
{
	uint64_t i, e, off;
	const char *n;

	if (!b->pcln)
		return -ENOENT;
	for (i = 0; i < b->nfunc; i++) {
		if (!func_at(b, i, &e, &off) || !(n = func_name(b, off)) ||
		    strcmp(n, name))
			continue;
		if (!func_at(b, i + 1, end, NULL))
			return -ENOENT;
		*entry = e;
		return 0;
	}
	return -ENOENT;
}

int lw_gobin__func_count(const struct lw_gobin *b)
{
	return b->pcln ? (int)b->nfunc : 0;
}

/* ---- inlined frames and wrappers ---- */

/* PCDATA and FUNCDATA indices, the same from Go 1.16 to 1.26
 * (internal/abi/symtab.go, runtime/symtab.go before 1.21). */
#define GO_PCDATA_INLTREEINDEX 2
#define GO_FUNCDATA_INLTREE 3

/*
 * Offset of funcID inside the _func record (runtime/runtime2.go), from
 * the record's start.  Nine 32-bit fields come first from Go 1.18 (entryOff
 * to cuOffset); 1.16-1.17 have a uintptr entry instead of entryOff; 1.20
 * (pclntab magic 0xfffffff1) added startLine after cuOffset.  funcID is
 * followed by flag (1.17+), a pad byte and nfuncdata; then npcdata u32
 * pcdata offsets and the funcdata.
 */
static uint32_t func_id_off(const struct lw_gobin *b)
{
	if (b->pcln_magic == GO_PCLN_116)
		return 8 + 8 * 4;
	return b->pcln_magic == GO_PCLN_118 ? 9 * 4 : 10 * 4;
}

static bool func_byte(const struct lw_gobin *b, uint64_t funcoff, uint32_t at,
		      uint8_t *ret)
{
	uint64_t p = b->off_functab + funcoff + at;

	if (p >= b->pcln_size)
		return false;
	*ret = b->pcln[p];
	return true;
}

static int func_id(const struct lw_gobin *b, uint64_t funcoff)
{
	uint8_t id;

	return func_byte(b, funcoff, func_id_off(b), &id) ? id : -1;
}

/* Offset in pctab of pcdata table i of a function, 0 when it has none. */
static uint32_t func_pcdata(const struct lw_gobin *b, uint64_t funcoff,
			    uint32_t i)
{
	uint64_t at = b->off_functab + funcoff + func_id_off(b) + 4 + 4 * i;
	uint32_t npcdata;

	if (!func_field(b, funcoff, FF_NPCDATA, &npcdata) || i >= npcdata ||
	    at + 4 > b->pcln_size)
		return 0;
	return le32(b->pcln + at);
}

/* Link address of funcdata i of a function, 0 when it has none. */
static uint64_t func_funcdata(const struct lw_gobin *b, uint64_t funcoff,
			      uint32_t i)
{
	uint64_t at, addr;
	uint32_t npcdata, off;
	uint8_t nfuncdata;

	if (!func_field(b, funcoff, FF_NPCDATA, &npcdata) ||
	    !func_byte(b, funcoff, func_id_off(b) + 3, &nfuncdata) ||
	    i >= nfuncdata || npcdata > 1024)
		return 0;
	at = b->off_functab + funcoff + func_id_off(b) + 4 + 4 * npcdata;
	if (b->pcln_magic == GO_PCLN_116) {
		/* Absolute pointers, aligned to 8 in memory (1.16-1.17). */
		at += (b->pcln_addr + at) % 8;
		return read_word(b, b->pcln_addr + at + 8 * i, &addr) ? addr
								      : 0;
	}
	/* From 1.18: u32 offsets from moduledata.gofunc, ~0 for none. */
	if (!b->gofunc || at + 4 * i + 4 > b->pcln_size)
		return 0;
	off = le32(b->pcln + at + 4 * i);
	return off == UINT32_MAX ? 0 : b->gofunc + off;
}

/* The funcIDs of the runtime functions names[i] (-1: not found), in one
 * pass over the function table. */
static void named_func_ids(const struct lw_gobin *b, const char *const *names,
			   int *ids, int nr)
{
	uint64_t i, e, off;
	const char *n;
	int k;

	for (k = 0; k < nr; k++)
		ids[k] = -1;
	for (i = 0; i < b->nfunc; i++) {
		if (!func_at(b, i, &e, &off) || !(n = func_name(b, off)) ||
		    strncmp(n, "runtime.", 8))
			continue;
		for (k = 0; k < nr; k++)
			if (ids[k] < 0 && !strcmp(n, names[k]))
				ids[k] = func_id(b, off);
	}
}

/*
 * The numbers of the funcIDs we need.  They are an enum that grew in the
 * middle between versions (funcID_wrapper is 21 in Go 1.19-1.22, 22 in
 * 1.23-1.24 with corostart, 23 from 1.25 with runFinalizers and
 * runCleanups), but wrapper has always been the last one, right after
 * systemstack_switch: so they are read from the binary's own runtime
 * functions instead of a table.  systemstack comes right before
 * systemstack_switch in every version, a cross-check.
 */
static void goinl_init(struct lw_gobin *b)
{
	static const char *const names[] = {
		"runtime.systemstack", "runtime.systemstack_switch",
		"runtime.gopanic",     "runtime.sigpanic",
		"runtime.panicwrap",
	};
	uint64_t gofunc_at = b->pcln_magic == GO_PCLN_118 ? 304 : 320;
	int ids[5];

	b->fid_wrapper = b->fid_gopanic = b->fid_sigpanic = -1;
	b->fid_panicwrap = -1;
	if (!b->pcln)
		return;
	/*
	 * moduledata.gofunc (Go 1.18+): after text at 176 come etext,
	 * noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss,
	 * enoptrbss, (covctrs, ecovctrs from 1.20), end, gcdata, gcbss,
	 * types, etypes and rodata (runtime/symtab.go).
	 */
	if (b->pcln_magic != GO_PCLN_116 && b->moddata &&
	    (!read_word(b, b->moddata + gofunc_at, &b->gofunc) ||
	     !sec_at(b, b->gofunc)))
		b->gofunc = 0;
	named_func_ids(b, names, ids, 5);
	if (ids[0] <= 0 || ids[1] != ids[0] + 1)
		return;
	b->fid_wrapper = ids[1] + 1;
	b->fid_gopanic = ids[2];
	b->fid_sigpanic = ids[3];
	b->fid_panicwrap = ids[4];
}

bool lw_gobin__knows_wrappers(const struct lw_gobin *b)
{
	return b->fid_wrapper > 0;
}

static void goframe_set_id(const struct lw_gobin *b, struct lw_goframe *f,
			   int id)
{
	f->wrapper = id >= 0 && id == b->fid_wrapper;
	f->panic = id > 0 && (id == b->fid_gopanic || id == b->fid_sigpanic ||
			      id == b->fid_panicwrap);
}

/*
 * One entry of the inline tree (FUNCDATA_InlTree): the called function's
 * name offset (into funcnametab), its funcID and parentPc, the offset
 * from the entry of an instruction whose position is the call site.
 * Go 1.16-1.19: {parent int16, funcID u8, _, file, line, func_ int32,
 * parentPc int32}, 20 bytes; 1.20+: {funcID u8, _ [3], nameOff int32,
 * parentPc int32, startLine int32}, 16 bytes (runtime/symtab.go,
 * runtime/symtabinl.go).
 */
static bool inl_entry(const struct lw_gobin *b, uint64_t tree, int32_t ix,
		      uint32_t *nameoff, int *funcid, uint32_t *parentpc)
{
	bool v120 = b->pcln_magic == GO_PCLN_120;
	uint64_t size = v120 ? 16 : 20;
	const uint8_t *p = addr_ptr(b, tree + (uint64_t)ix * size, size);

	if (!p)
		return false;
	*funcid = v120 ? p[0] : p[2];
	*nameoff = le32(p + (v120 ? 4 : 12));
	*parentpc = le32(p + (v120 ? 8 : 16));
	return true;
}

int lw_gobin__lookup_frames(const struct lw_gobin *b, uint64_t pc,
			    uint64_t next, struct lw_goframe *ret, int max)
{
	uint64_t entry, end, funcoff, tree;
	uint32_t inlpc, nameoff, parentpc;
	int n = 0, depth, id;
	int32_t ix;

	if (max <= 0 || !func_of_pc(b, pc, &entry, &end, &funcoff) ||
	    !func_name(b, funcoff))
		return -ENOENT;
	inlpc = func_pcdata(b, funcoff, GO_PCDATA_INLTREEINDEX);
	tree = inlpc ? func_funcdata(b, funcoff, GO_FUNCDATA_INLTREE) : 0;
	/*
	 * Walk out from the innermost inlined call as the runtime's inline
	 * unwinder does: the pc's inline tree index names the function whose
	 * body it is in; that call's parentPc is an instruction of the caller
	 * at the call's position, looked up the same way, until the index is
	 * -1 (the physical function).  The depth bound guards against a
	 * corrupt tree.
	 */
	for (depth = 0; depth < 64 && n < max; depth++) {
		struct lw_goframe *f = &ret[n++];

		memset(f, 0, sizeof(*f));
		f->entry = entry;
		f->end = end;
		pc_file_line(b, funcoff, entry, pc, &f->file, &f->line);
		if (!tree || !pcvalue(b, inlpc, entry, pc, &ix) || ix < 0 ||
		    !inl_entry(b, tree, ix, &nameoff, &id, &parentpc) ||
		    !(f->name = pcln_str(b, b->off_funcname + nameoff))) {
			f->name = func_name(b, funcoff);
			goframe_set_id(b, f, func_id(b, funcoff));
			return n;
		}
		f->inlined = true;
		goframe_set_id(b, f, id);
		pc = entry + parentpc;
		/* The caller's list holds the outer frames already: a pc of
		 * runtime.Callers is given to every logical frame, the call
		 * site's + 1 to the inlined ones. */
		if (next && next == pc + 1)
			return n;
	}
	return n;
}

/* ---- open / free / accessors ---- */

int lw_gobin__open(const char *path, struct lw_gobin **ret)
{
	struct lw_gobin *b;
	GElf_Ehdr eh;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = -1;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0) {
		err = -errno;
		goto err_out;
	}
	b->elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF ||
	    !gelf_getehdr(b->elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		err = -ENOEXEC;
		goto err_out;
	}
	b->img = (const uint8_t *)elf_rawfile(b->elf, &b->img_size);
	if (!b->img) {
		err = -ENOEXEC;
		goto err_out;
	}
	b->pie = eh.e_type == ET_DYN;
	err = load_sections(b);
	if (!err && b->pie)
		err = load_relocs(b);
	if (err)
		goto err_out;
	find_version(b);
	err = load_pclntab(b);
	if (err == -ENOENT && !b->version[0]) {
		err = -ENOEXEC; /* neither build info nor pclntab: not Go */
		goto err_out;
	}
	if (!err && !b->version[0])
		version_from_code(b);
	if (!b->version[0])
		strcpy(b->version, "go?");
	goinl_init(b);
	*ret = b;
	return 0;

err_out:
	lw_gobin__free(b);
	return err;
}

void lw_gobin__free(struct lw_gobin *b)
{
	if (!b)
		return;
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		(void)close(b->fd);
	free(b->secs);
	free(b->rels);
	free(b);
}

const char *lw_gobin__version(const struct lw_gobin *b)
{
	return b->version;
}

int lw_gobin__version_num(const struct lw_gobin *b, int *major, int *minor)
{
	*major = b->vmajor;
	*minor = b->vminor;
	return b->vmajor ? 0 : -ENOENT;
}

bool lw_gobin__has_symtab(const struct lw_gobin *b)
{
	return b->has_symtab;
}

bool lw_gobin__has_dwarf(const struct lw_gobin *b)
{
	return b->has_dwarf;
}

bool lw_gobin__is_pie(const struct lw_gobin *b)
{
	return b->pie;
}

/* ---- runtime variables ---- */

/* Go's writable data: where every runtime variable we look for lives. */
static bool is_go_data(const struct lw_gobin *b, uint64_t addr)
{
	const struct gosec *s = sec_at(b, addr);

	return s && (s->flags & SHF_WRITE) && s->name &&
	       (!strcmp(s->name, ".data") || !strcmp(s->name, ".bss") ||
		!strcmp(s->name, ".noptrdata") ||
		!strcmp(s->name, ".noptrbss"));
}

int lw_gobin__data_refs(const struct lw_gobin *b, const char *func,
			struct lw_godref *refs, int max)
{
	uint64_t entry, end, addr;
	const uint8_t *code;
	cs_insn *insn;
	size_t left;
	csh h;
	int n = 0, err;

	err = lw_gobin__find_func(b, func, &entry, &end);
	if (err)
		return err;
	code = addr_ptr(b, entry, end - entry);
	if (!code)
		return -ENOENT;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	(void)cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(h);
	if (!insn) {
		cs_close(&h);
		return -ENOMEM;
	}
	left = end - entry;
	addr = entry;
	/* Go pads between functions with INT3, which decodes fine; stop at
	 * the first byte capstone cannot decode. */
	while (cs_disasm_iter(h, &code, &left, &addr, insn)) {
		const cs_x86 *x = &insn->detail->x86;
		int i;

		for (i = 0; i < x->op_count; i++) {
			const cs_x86_op *op = &x->operands[i];
			uint64_t target;

			if (op->type != X86_OP_MEM ||
			    op->mem.base != X86_REG_RIP ||
			    op->mem.index != X86_REG_INVALID)
				continue;
			target = insn->address + insn->size + op->mem.disp;
			if (!is_go_data(b, target))
				continue;
			if (n < max) {
				refs[n].insn = insn->address;
				refs[n].addr = target;
				refs[n].lea = insn->id == X86_INS_LEA;
				refs[n].write = !!(op->access & CS_AC_WRITE);
				refs[n].size = op->size;
			}
			n++;
		}
	}
	cs_free(insn, 1);
	cs_close(&h);
	return n < max ? n : max;
}

/* Distinct referenced addresses, in order of first appearance. */
static int distinct(const struct lw_godref *r, int n, uint64_t *out, int max)
{
	int i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k && out[j] != r[i].addr; j++)
			;
		if (j == k && k < max)
			out[k++] = r[i].addr;
	}
	return k;
}

static bool refs_has(const struct lw_godref *r, int n, uint64_t addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].addr == addr)
			return true;
	return false;
}

static bool in_sec(const struct lw_gobin *b, uint64_t addr, const char *name)
{
	const struct gosec *s = sec_at(b, addr);

	return s && s->name && !strcmp(s->name, name);
}

#define MAX_REFS 512

/*
 * runtime.forEachGRace reads exactly two variables, in this order:
 * atomicAllG() loads allglen, then allgptr (atomic loads keep their
 * order).  runtime.allgadd must store both.
 */
static int find_allg_race(const struct lw_gobin *b, struct lw_godref *r,
			  bool want_len, uint64_t *ret)
{
	uint64_t d[3];
	int n, k;

	n = lw_gobin__data_refs(b, "runtime.forEachGRace", r, MAX_REFS);
	if (n < 0)
		return n;
	k = distinct(r, n, d, 3);
	if (k != 2 ||
	    (!in_sec(b, d[0], ".noptrbss") && !in_sec(b, d[0], ".bss")))
		return -ENOENT;
	n = lw_gobin__data_refs(b, "runtime.allgadd", r, MAX_REFS);
	if (n < 0 || !refs_has(r, n, d[0]) || !refs_has(r, n, d[1]))
		return -ENOENT;
	*ret = want_len ? d[0] : d[1];
	return 0;
}

static bool refs_writes(const struct lw_godref *r, int n, uint64_t addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].addr == addr && r[i].write)
			return true;
	return false;
}

/*
 * Go 1.16 has no forEachG (nor forEachGRace): allgs from allgadd alone,
 * whose append reads the slice's pointer, length and capacity (A, A + 8,
 * A + 16) and stores the new length at A + 8.
 */
static int find_allgs_append(const struct lw_gobin *b, struct lw_godref *r,
			     uint64_t *ret)
{
	uint64_t d[64], found = 0;
	int n, k, i, hits = 0;

	n = lw_gobin__data_refs(b, "runtime.allgadd", r, MAX_REFS);
	if (n < 0)
		return n;
	k = distinct(r, n, d, 64);
	for (i = 0; i < k; i++) {
		if (!in_sec(b, d[i], ".bss") || !refs_has(r, n, d[i] + 16) ||
		    !refs_writes(r, n, d[i] + 8))
			continue;
		found = d[i];
		hits++;
	}
	if (hits != 1)
		return -ENOENT;
	*ret = found;
	return 0;
}

/*
 * runtime.allgs is a slice: forEachG loads its pointer and length (A and
 * A + 8) and allgadd's append touches A, A + 8 and A + 16.
 */
static int find_allgs(const struct lw_gobin *b, struct lw_godref *r,
		      uint64_t *ret)
{
	uint64_t d[16], found = 0;
	int n, k, i, hits = 0;

	n = lw_gobin__data_refs(b, "runtime.forEachG", r, MAX_REFS);
	if (n == -ENOENT)
		return find_allgs_append(b, r, ret);
	if (n < 0)
		return n;
	k = distinct(r, n, d, 16);
	for (i = 0; i < k; i++) {
		if (!refs_has(r, n, d[i] + 8) || !in_sec(b, d[i], ".bss"))
			continue;
		found = d[i];
		hits++;
	}
	if (hits != 1)
		return -ENOENT;
	n = lw_gobin__data_refs(b, "runtime.allgadd", r, MAX_REFS);
	if (n < 0 || !refs_has(r, n, found) || !refs_has(r, n, found + 8) ||
	    !refs_has(r, n, found + 16))
		return -ENOENT;
	*ret = found;
	return 0;
}

/* The only data waitReason.String touches: `return waitReasonStrings[w]`,
 * an array of Go strings whose first one ("") has length 0. */
static int find_wait_reasons(const struct lw_gobin *b, struct lw_godref *r,
			     uint64_t *ret)
{
	uint64_t d[2], len, l2;
	int n;

	n = lw_gobin__data_refs(b, "runtime.waitReason.String", r, MAX_REFS);
	if (n < 0)
		return n;
	if (distinct(r, n, d, 2) != 1 || !r[0].lea || !in_sec(b, d[0], ".data"))
		return -ENOENT;
	if (!read_word(b, d[0] + 8, &len) || len ||
	    !read_gostring(b, d[0] + 16, &l2) || !l2)
		return -ENOENT;
	*ret = d[0];
	return 0;
}

/*
 * mProf_FlushLocked walks `for b := mbuckets; ...`.  From Go 1.19 that is
 * its only variable (the cycle index is an argument); before, it also
 * loads the 32-bit mProf.cycle first.  So: the one pointer-sized plain
 * load, among at most two variables.
 */
static int find_mbuckets(const struct lw_gobin *b, struct lw_godref *r,
			 uint64_t *ret)
{
	uint64_t d[3], found = 0;
	int n, i, hits = 0;

	n = lw_gobin__data_refs(b, "runtime.mProf_FlushLocked", r, MAX_REFS);
	if (n < 0)
		return n;
	if (distinct(r, n, d, 3) > 2)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		/* .noptrbss up to 1.18: bucket was go:notinheap then. */
		if (r[i].lea || r[i].write || r[i].size != 8 ||
		    (!in_sec(b, r[i].addr, ".bss") &&
		     !in_sec(b, r[i].addr, ".noptrbss")))
			continue;
		if (hits && r[i].addr == found)
			continue;
		found = r[i].addr;
		hits++;
	}
	if (hits != 1)
		return -ENOENT;
	*ret = found;
	return 0;
}

/*
 * profilealloc reads mcache0 and MemProfileRate (its inlined nextSample);
 * allocmcache reads mheap_ and MemProfileRate (nextSample again).  The
 * variable both load is the rate.  Failing that, the rate is the one
 * statically initialized to its default, 512 KiB, in .noptrdata.
 */
static int find_memprofilerate(const struct lw_gobin *b, struct lw_godref *r,
			       uint64_t *ret)
{
	struct lw_godref *r2 = r + MAX_REFS / 2;
	uint64_t d[8], v, found = 0;
	int n, n2, k, i, hits = 0;

	n = lw_gobin__data_refs(b, "runtime.profilealloc", r, MAX_REFS / 2);
	if (n < 0)
		return n;
	n2 = lw_gobin__data_refs(b, "runtime.allocmcache", r2, MAX_REFS / 2);
	k = distinct(r, n, d, 8);
	for (i = 0; n2 > 0 && i < k; i++) {
		if (!in_sec(b, d[i], ".noptrdata") &&
		    !in_sec(b, d[i], ".noptrbss"))
			continue;
		if (!refs_has(r2, n2, d[i]))
			continue;
		found = d[i];
		hits++;
	}
	if (hits != 1) {
		hits = 0;
		for (i = 0; i < k; i++) {
			if (!in_sec(b, d[i], ".noptrdata") ||
			    !read_word(b, d[i], &v) || v != 512 * 1024)
				continue;
			found = d[i];
			hits++;
		}
	}
	if (hits != 1)
		return -ENOENT;
	*ret = found;
	return 0;
}

/* "go1.N", "go1.N.P" or "go1.NrcK": what a release's buildVersion holds. */
static bool release_version(const char *s, uint64_t len)
{
	uint64_t i;

	if (len < 5 || len > 32 || memcmp(s, "go1.", 4) ||
	    !isdigit((unsigned char)s[4]))
		return false;
	for (i = 4; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.')
			return false;
	return true;
}

/*
 * schedinit reads buildVersion (`if buildVersion == ""`): the variable
 * whose string is the version found in the build info.  A binary without
 * build info (some release pipelines drop .go.buildinfo) has no version to
 * compare with: then the one variable of schedinit holding a release
 * version string.
 */
static int find_buildversion(const struct lw_gobin *b, struct lw_godref *r,
			     uint64_t *ret)
{
	uint64_t d[MAX_REFS], len, found = 0;
	size_t vlen = strlen(b->version);
	int n, k, i, hits = 0;
	const char *s;

	n = lw_gobin__data_refs(b, "runtime.schedinit", r, MAX_REFS);
	if (n < 0)
		return n;
	k = distinct(r, n, d, MAX_REFS);
	for (i = 0; i < k; i++) {
		s = read_gostring(b, d[i], &len);
		if (!s)
			continue;
		if (b->vmajor ? len != vlen || memcmp(s, b->version, vlen)
			      : !release_version(s, len))
			continue;
		found = d[i];
		hits++;
	}
	if (hits != 1)
		return -ENOENT;
	*ret = found;
	return 0;
}

/* Last resort for the version: runtime.buildVersion found in the code. */
static void version_from_code(struct lw_gobin *b)
{
	struct lw_godref *r = calloc(MAX_REFS, sizeof(*r));
	uint64_t addr, len;
	const char *v;

	if (r && !find_buildversion(b, r, &addr) &&
	    (v = read_gostring(b, addr, &len)))
		set_version(b, v, len);
	free(r);
}

int lw_gobin__find_var(const struct lw_gobin *b, const char *name,
		       uint64_t *addr)
{
	struct lw_godref *r;
	int err;

	if (symtab_lookup(b, name, addr, NULL))
		return 0;
	if (!strcmp(name, "runtime.firstmoduledata")) {
		*addr = b->moddata;
		return b->moddata ? 0 : -ENOENT;
	}
	r = calloc(MAX_REFS, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (!strcmp(name, "runtime.allglen"))
		err = find_allg_race(b, r, true, addr);
	else if (!strcmp(name, "runtime.allgptr"))
		err = find_allg_race(b, r, false, addr);
	else if (!strcmp(name, "runtime.allgs"))
		err = find_allgs(b, r, addr);
	else if (!strcmp(name, "runtime.waitReasonStrings"))
		err = find_wait_reasons(b, r, addr);
	else if (!strcmp(name, "runtime.mbuckets"))
		err = find_mbuckets(b, r, addr);
	else if (!strcmp(name, "runtime.MemProfileRate"))
		err = find_memprofilerate(b, r, addr);
	else if (!strcmp(name, "runtime.buildVersion"))
		err = find_buildversion(b, r, addr);
	else
		err = -ENOENT;
	free(r);
	return err;
}

const char *lw_gobin__section(const struct lw_gobin *b, uint64_t addr,
			      uint64_t *ret_off)
{
	const struct gosec *s = sec_at(b, addr);

	if (!s)
		return NULL;
	if (ret_off)
		*ret_off = addr - s->addr;
	return s->name;
}

/* ---- layout of runtime.g, runtime.bucket, runtime.memRecord ---- */

static bool die_member(Dwarf_Die *st, const char *name, Dwarf_Die *ret,
		       uint32_t *off)
{
	Dwarf_Attribute at;
	Dwarf_Word w;
	Dwarf_Die m;
	const char *n;

	if (dwarf_child(st, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member ||
		    !(n = dwarf_diename(&m)) || strcmp(n, name))
			continue;
		if (!dwarf_attr(&m, DW_AT_data_member_location, &at) ||
		    dwarf_formudata(&at, &w) != 0)
			return false;
		*off = (uint32_t)w;
		*ret = m;
		return true;
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/*
 * Offset of a dotted member path ("sched.sp") inside struct st.  A
 * trailing atomic wrapper (atomic.Uint32 and friends, a struct around one
 * "value" member) is looked through so "atomicstatus" works everywhere.
 */
static bool member_off(Dwarf_Die *st, const char *path, uint32_t *ret)
{
	char buf[64], *save = NULL, *part;
	Dwarf_Die cur = *st, m, ty;
	Dwarf_Attribute at;
	uint32_t off, total = 0;

	if (strlen(path) >= sizeof(buf))
		return false;
	strcpy(buf, path);
	for (part = strtok_r(buf, ".", &save); part;
	     part = strtok_r(NULL, ".", &save)) {
		if (!die_member(&cur, part, &m, &off))
			return false;
		total += off;
		if (!dwarf_attr(&m, DW_AT_type, &at) ||
		    !dwarf_formref_die(&at, &ty))
			return false;
		/* Go names its struct types through a typedef. */
		while (dwarf_tag(&ty) == DW_TAG_typedef &&
		       dwarf_attr(&ty, DW_AT_type, &at) &&
		       dwarf_formref_die(&at, &ty))
			;
		cur = ty;
	}
	if (dwarf_tag(&cur) == DW_TAG_structure_type &&
	    die_member(&cur, "value", &m, &off))
		total += off;
	*ret = total;
	return true;
}

enum { T_G, T_BUCKET, T_MEMRECORD, T_N };

static int layout_from_dwarf(const struct lw_gobin *b, struct lw_go_layout *l)
{
	static const char *const names[T_N] = {"runtime.g", "runtime.bucket",
					       "runtime.memRecord"};
	Dwarf_Die dies[T_N], cu, child;
	bool found[T_N] = {false};
	Dwarf_Off off = 0, next;
	size_t hsize;
	Dwarf *dw;
	int i, nfound = 0, err = -ENOENT;
	Dwarf_Word size;
	bool ok = true;

	dw = dwarf_begin_elf(b->elf, DWARF_C_READ, NULL);
	if (!dw)
		return -ENOENT;
	while (nfound < T_N &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (!dwarf_offdie(dw, off + hsize, &cu) ||
		    dwarf_child(&cu, &child) != 0)
			goto next_cu;
		do {
			const char *n;

			if (dwarf_tag(&child) != DW_TAG_structure_type ||
			    !(n = dwarf_diename(&child)))
				continue;
			for (i = 0; i < T_N; i++)
				if (!found[i] && !strcmp(n, names[i])) {
					dies[i] = child;
					found[i] = true;
					nfound++;
				}
		} while (nfound < T_N && dwarf_siblingof(&child, &child) == 0);
	next_cu:
		off = next;
	}
	if (nfound < T_N)
		goto out;

	memset(l, 0, sizeof(*l));
	l->from_dwarf = true;
#define G(field, path) ok &= member_off(&dies[T_G], path, &l->field)
	G(g_stack_lo, "stack.lo");
	G(g_stack_hi, "stack.hi");
	G(g_sched_sp, "sched.sp");
	G(g_sched_pc, "sched.pc");
	G(g_sched_bp, "sched.bp");
	G(g_syscallsp, "syscallsp");
	G(g_syscallpc, "syscallpc");
	G(g_atomicstatus, "atomicstatus");
	G(g_goid, "goid");
	G(g_waitsince, "waitsince");
	G(g_waitreason, "waitreason");
	G(g_gopc, "gopc");
	G(g_startpc, "startpc");
#undef G
	/* parentGoid appeared in Go 1.21; 0 means absent. */
	if (!member_off(&dies[T_G], "parentGoid", &l->g_parentgoid))
		l->g_parentgoid = 0;
#define B(field, path) ok &= member_off(&dies[T_BUCKET], path, &l->field)
	B(bucket_next, "next");
	B(bucket_allnext, "allnext");
	B(bucket_typ, "typ");
	B(bucket_size, "size");
	B(bucket_nstk, "nstk");
#undef B
	ok &= dwarf_aggregate_size(&dies[T_BUCKET], &size) == 0;
	l->bucket_hdr_size = (uint32_t)size;
#define M(field, path) ok &= member_off(&dies[T_MEMRECORD], path, &l->field)
	M(memrecord_active_allocs, "active.allocs");
	M(memrecord_active_frees, "active.frees");
	M(memrecord_active_alloc_bytes, "active.alloc_bytes");
	M(memrecord_active_free_bytes, "active.free_bytes");
#undef M
	err = ok ? 0 : -ENOENT;
out:
	dwarf_end(dw);
	return err;
}

int lw_gobin__layout_dwarf(const struct lw_gobin *b, struct lw_go_layout *ret)
{
	if (!b->has_dwarf)
		return -ENOENT;
	return layout_from_dwarf(b, ret);
}

/*
 * runtime.g offsets per Go version on amd64, for binaries without DWARF.
 * Measured from the DWARF of each toolchain's own binaries; test_gobin
 * compares every row it has a toolchain for with DWARF, so a row that
 * stops matching fails the build.  Versions without a row (older than
 * 1.16, and anything newer than the last row) get -ENOENT rather than a
 * guess.
 */
struct go_g_row {
	int minor;
	uint16_t sched_bp, syscallsp, atomicstatus, goid, waitsince, waitreason,
		gopc, parentgoid;
};

static const struct go_g_row go_g_rows[] = {
	/* startpc = gopc + 16, syscallpc = syscallsp + 8 in every row. */
	/*
	 * 1.16, 1.17, 1.18 and 1.20: no toolchain of these versions is
	 * available here, so these rows were not measured from DWARF.  They
	 * were read from the machine code of each version's own runtime in
	 * stripped esbuild binaries (go1.16.3, go1.17.2, go1.18.3, go1.20.7):
	 * mcall's stores to sched.sp/pc/bp, newproc1's stores to gopc,
	 * ancestors, startpc and goid, gopark's status read and waitreason
	 * store, reentersyscall's syscallsp/pc stores and markroot's
	 * waitsince test, and they agree with runtime2.go of those versions
	 * (1.17 added the sched-latency tracking fields before gopc).
	 * test_gobin re-checks them against those binaries when they are
	 * cached, and the esbuild integration test reads live servers.
	 */
	{16, 104, 112, 144, 152, 168, 176, 280, 0},
	{17, 104, 112, 144, 152, 168, 176, 296, 0},
	{18, 104, 112, 144, 152, 168, 176, 296, 0},
	{19, 104, 112, 144, 152, 168, 176, 296, 0},
	{20, 104, 112, 144, 152, 168, 176, 296, 0},
	{21, 104, 112, 144, 152, 168, 176, 280, 272},
	{22, 104, 112, 144, 152, 168, 176, 280, 272},
	{23, 104, 112, 152, 160, 176, 184, 288, 280},
	{24, 104, 112, 152, 160, 176, 184, 288, 280},
	{25, 96, 104, 144, 152, 168, 176, 280, 272},
	{26, 96, 104, 144, 152, 168, 176, 288, 280},
};

int lw_go_layout_for_version(int major, int minor, struct lw_go_layout *ret)
{
	size_t i;

	if (major != 1)
		return -ENOENT;
	for (i = 0; i < sizeof(go_g_rows) / sizeof(go_g_rows[0]); i++) {
		const struct go_g_row *r = &go_g_rows[i];

		if (r->minor != minor)
			continue;
		*ret = (struct lw_go_layout){
			.g_stack_lo = 0,
			.g_stack_hi = 8,
			.g_sched_sp = 56,
			.g_sched_pc = 64,
			.g_sched_bp = r->sched_bp,
			.g_syscallsp = r->syscallsp,
			.g_syscallpc = r->syscallsp + 8,
			.g_atomicstatus = r->atomicstatus,
			.g_goid = r->goid,
			.g_waitsince = r->waitsince,
			.g_waitreason = r->waitreason,
			.g_gopc = r->gopc,
			.g_startpc = r->gopc + 16,
			.g_parentgoid = r->parentgoid,
			/* runtime.bucket and memRecord: the same in 1.16-1.26
			 * ((*bucket).mp and mProf_FlushLocked of each). */
			.bucket_next = 0,
			.bucket_allnext = 8,
			.bucket_typ = 16,
			.bucket_size = 32,
			.bucket_nstk = 40,
			.bucket_hdr_size = 48,
			.memrecord_active_allocs = 0,
			.memrecord_active_frees = 8,
			.memrecord_active_alloc_bytes = 16,
			.memrecord_active_free_bytes = 24,
		};
		return 0;
	}
	return -ENOENT;
}

int lw_gobin__layout(const struct lw_gobin *b, struct lw_go_layout *ret)
{
	if (b->has_dwarf && !layout_from_dwarf(b, ret))
		return 0;
	return lw_go_layout_for_version(b->vmajor, b->vminor, ret);
}
