/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Which allocator does a process really use, and where to put the probes:
 * walks the ELF objects mapped into the process (/proc/PID/maps, opened
 * through map_files or /proc/PID/root), reads their .dynsym and .symtab
 * with libelf, and returns one probe point per distinct allocator entry
 * address: glibc in libc.so, the executable itself when statically linked
 * (glibc or musl), jemalloc or tcmalloc when linked or LD_PRELOADed, and
 * libstdc++'s (or the allocator's own) operator new/delete.
 */
#ifndef LW_ALLOCATORS_H
#define LW_ALLOCATORS_H

#include <stddef.h>
#include <stdint.h>

#include "procmaps.h"

struct lw_probe_point {
	uint32_t kind; /* enum lw_alloc_kind */
	const char *func; /* symbol name, static string from the name table */
	char *module; /* path as in /proc/PID/maps (display) */
	char *attach_path; /* path to hand to the uprobe attach (map_files) */
	uint64_t vaddr; /* symbol value (ELF virtual address) */
	uint64_t file_offset; /* the function's start as a file offset */
	uint64_t size; /* symbol size, 0 if unknown */
	/*
	 * Where the probes go (placement.h): a file offset at or after
	 * file_offset, on an instruction the kernel emulates when that is
	 * provably safe.  Entry and return probes of an allocator share it;
	 * sp_adjust is how many bytes the function pushed before it (only
	 * ever non-zero for entry-only probes, i.e. free).
	 */
	uint64_t probe_offset;
	uint32_t sp_adjust;
	char place_reason[96]; /* for -v and docs */
};

struct lw_probe_set {
	struct lw_probe_point *p;
	size_t n;
};

/*
 * Find allocator entry points in every ELF object mapped executable in
 * maps (already read for pid).  Aliases (several names at one address in
 * one file, e.g. malloc/__libc_malloc, tc_malloc) give one point, named by
 * the first name in the table.  Files mapped more than once are read once
 * (same dev/inode).  Returns 0 (ret->n may be 0: nothing found) or -errno.
 */
int lw_allocators__find(int pid, const struct lw_maps *maps,
			struct lw_probe_set *ret);

/* Same, for a single ELF file outside any process (tests, tooling):
 * module = attach_path = path. */
int lw_allocators__find_in_file(const char *path, struct lw_probe_set *ret);

void lw_probe_set__free(struct lw_probe_set *s); /* NULL-safe */

/* The name table: symbol name -> kind.  Returns kind or 0 if not ours. */
uint32_t lw_allocators__kind_of(const char *symbol);

/*
 * libelf helpers, shared with the symbolizer's tests: translate an ELF
 * virtual address to a file offset through the PT_LOAD headers of the
 * file open at fd.  0 or -ENOENT (not in any PT_LOAD) / -EINVAL.
 */
int lw_elf__vaddr_to_offset(int fd, uint64_t vaddr, uint64_t *ret_off);

#endif /* LW_ALLOCATORS_H */
