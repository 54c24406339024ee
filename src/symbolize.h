/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Symbolization as a service: an address in a process -> function, module
 * and file:line.  The ELF/DWARF back end is elfutils' libdwfl (.symtab,
 * .dynsym, separate debug files by build-id and .gnu_debuglink, DWARF line
 * info), with C++ names demangled.  Files are opened through
 * /proc/PID/map_files (deleted or replaced binaries, containers) and kept
 * open, so a target that exits can still be symbolized.
 */
#ifndef LW_SYMBOLIZE_H
#define LW_SYMBOLIZE_H

#include <stdint.h>

#include "model.h"

struct lw_symbolizer;

/*
 * Symbolizer for a live process: reads /proc/PID/maps and opens every
 * mapped ELF file now.  NULL with errno set (ESRCH: no such process).
 */
struct lw_symbolizer *lw_symbolizer__new(int pid);

/*
 * Symbolizer over one ELF file, as if loaded at its link-time addresses
 * (bias 0).  For tests and offline use.  NULL with errno set.
 */
struct lw_symbolizer *lw_symbolizer__new_file(const char *path);

/*
 * Re-read the maps of a live process and open files mapped since (dlopen).
 * Cheap when nothing changed.  0, or -ESRCH once the process is gone (what
 * was loaded stays usable).  No-op for file symbolizers.
 */
int lw_symbolizer__refresh(struct lw_symbolizer *s);

/*
 * Resolve a return address: looks up addr - 1 and fills *ret (ret->addr =
 * addr).  A frame is never dropped: when the function is unknown, module
 * and module_offset are still set if addr is in a mapped file, and the
 * function is NULL.  Results are cached per address; strings live as long
 * as the symbolizer.  If addr is in no known module and the process is
 * alive, refreshes once (rate-limited) and retries.  Returns 0 if a
 * function name was found, -ENOENT otherwise (ret still filled).
 */
int lw_symbolizer__resolve(struct lw_symbolizer *s, uint64_t addr,
			   struct lw_frame *ret);

void lw_symbolizer__free(struct lw_symbolizer *s); /* NULL-safe */

/* Demangle a C++ (Itanium ABI) name into a malloc'ed string, or NULL if
 * name is not mangled. */
char *lw_demangle(const char *name);

#endif /* LW_SYMBOLIZE_H */
