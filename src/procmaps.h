/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * /proc/PID/maps as data: parse it, find the mapping of an address, and
 * name a path through which the file behind a mapping can be opened from
 * outside the process (map_files works for deleted or replaced binaries
 * and for files inside containers).  Pure apart from lw_maps__read().
 */
#ifndef LW_PROCMAPS_H
#define LW_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_vma {
	uint64_t start, end; /* [start, end) */
	uint64_t offset; /* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	bool r, w, x, p; /* permissions; p = private */
	bool deleted; /* path ended in " (deleted)" (suffix stripped) */
	char *path; /* NULL for anonymous; "[heap]", "[vdso]"... kept as is */
};

struct lw_maps {
	struct lw_vma *v; /* sorted by start, as the kernel prints them */
	size_t n;
};

/*
 * Parse maps text.  Returns 0 or -errno (-EINVAL on a malformed line,
 * -ENOMEM).  On success *ret owns its memory; release with lw_maps__free().
 */
int lw_maps__parse(const char *text, struct lw_maps *ret);

/* Read and parse /proc/PID/maps.  -ESRCH if the process is gone. */
int lw_maps__read(int pid, struct lw_maps *ret);

/* NULL-safe; leaves *m empty. */
void lw_maps__free(struct lw_maps *m);

/* Mapping that contains addr, or NULL.  Binary search. */
const struct lw_vma *lw_maps__find(const struct lw_maps *m, uint64_t addr);

/* True for a mapping backed by a regular file (path starts with '/'). */
bool lw_vma__is_file(const struct lw_vma *v);

/*
 * Write into buf a path that opens the file behind v from outside the
 * target: "/proc/PID/map_files/START-END" when that exists, else
 * "/proc/PID/root" + path.  Returns 0, -ENOENT for anonymous mappings,
 * -ENAMETOOLONG if buf is too small.
 */
int lw_vma__open_path(int pid, const struct lw_vma *v, char *buf, size_t len);

/* Read a whole (proc) file into a NUL-terminated malloc'ed buffer. */
int lw_read_file(const char *path, char **ret_buf, size_t *ret_len);

#endif /* LW_PROCMAPS_H */
