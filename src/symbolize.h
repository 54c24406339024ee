/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Symbolization as a service: an address in a process -> function, module
 * and file:line.  The ELF/DWARF back end is elfutils' libdwfl (.symtab,
 * .dynsym, separate debug files by build-id and .gnu_debuglink, DWARF line
 * info), with C++ names demangled; Go executables through their function
 * table (src/go/gobin.c).  Files are opened through
 * /proc/PID/map_files (deleted or replaced binaries, containers) and kept
 * open, so a target that exits can still be symbolized.
 */
#ifndef LW_SYMBOLIZE_H
#define LW_SYMBOLIZE_H

#include <stdbool.h>
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
 * addr).  In a Go executable, function and file:line come from its
 * .gopclntab (kept by stripped binaries), else from libdwfl.  A frame is
 * never dropped: when the function is unknown, module
 * and module_offset are still set if addr is in a mapped file, and the
 * function is NULL.  Results are cached per address; strings live as long
 * as the symbolizer.  If addr is in no known module and the process is
 * alive, refreshes once (rate-limited) and retries.  Returns 0 if a
 * function name was found, -ENOENT otherwise (ret still filled).
 */
int lw_symbolizer__resolve(struct lw_symbolizer *s, uint64_t addr,
			   struct lw_frame *ret);

/*
 * Like lw_symbolizer__resolve(), with the calls the compiler inlined at
 * addr as frames of their own where the module says what they are (Go
 * executables: .gopclntab's inline trees): ret[0..n-2] are the inlined
 * calls, innermost first, with inlined = true and addr, module and
 * module_offset of the physical frame; ret[n-1] is the physical frame,
 * resolve()'s answer except that its file:line is the position of the
 * outermost inlined call in it.  Elsewhere n is 1 and ret[0] is what
 * resolve() gives.  At most max frames (max >= 1; the innermost are kept
 * when more exist).  Returns n; strings live as long as the symbolizer.
 */
int lw_symbolizer__resolve_inline(struct lw_symbolizer *s, uint64_t addr,
				  struct lw_frame *ret, unsigned max);

/*
 * A stack of return addresses (innermost first) as frames, each expanded
 * by lw_symbolizer__resolve_inline(): *ret (malloc'ed, the caller frees)
 * holds *ret_nr >= nr frames.  0, or -ENOMEM with *ret NULL.
 */
int lw_symbolizer__resolve_stack(struct lw_symbolizer *s, const uint64_t *ips,
				 unsigned nr, struct lw_frame **ret,
				 unsigned *ret_nr);

/*
 * How far above the stack pointer the canonical frame address lies at
 * code address ip, so that the return address is at sp + *ret - 8: from
 * the module's CFI (.eh_frame or .debug_frame) when it has a rule
 * "CFA = %rsp + n" there, else by decoding the function's straight-line
 * code from its start (symbol, or Go's function table) up to ip (live
 * processes only).  is_return: ip is
 * a return address (CFI is looked up at ip - 1, inside the call).  0;
 * -EOPNOTSUPP when the CFI rule is not %rsp-based (the function keeps a
 * frame pointer); -ENOENT when neither tells.
 */
int lw_symbolizer__cfa_offset(struct lw_symbolizer *s, uint64_t ip,
			      bool is_return, uint64_t *ret);

void lw_symbolizer__free(struct lw_symbolizer *s); /* NULL-safe */

/* Demangle a C++ (Itanium ABI) name into a malloc'ed string, or NULL if
 * name is not mangled. */
char *lw_demangle(const char *name);

#endif /* LW_SYMBOLIZE_H */
