/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A Go executable as read from its ELF file, with no help from the running
 * process: is it Go, which Go version built it, its function table
 * (.gopclntab: pc -> function, file, line), the runtime's data symbols
 * (from .symtab, or found in the code when the binary is stripped) and the
 * layout of runtime.g (from DWARF, or a per-version table).  Pure: reads
 * one file, no ptrace, no /proc.  Addresses are link-time virtual
 * addresses; the caller adds the load bias of a PIE.
 */
#ifndef LW_GOBIN_H
#define LW_GOBIN_H

#include <stdbool.h>
#include <stdint.h>

struct lw_gobin;

/*
 * Open path (a file, or /proc/PID/exe, or a /proc/PID/map_files entry).
 * 0 and *ret, -ENOEXEC when it is not a Go program for x86-64 (also for a
 * file that is not ELF at all), or another -errno (-ENOENT, -EACCES from
 * open).  Free with lw_gobin__free().  The result is read-only: calls on
 * one lw_gobin from several threads are safe.
 */
int lw_gobin__open(const char *path, struct lw_gobin **ret);
void lw_gobin__free(struct lw_gobin *b); /* NULL-safe */

/* "go1.22.5" from the build info (or runtime.buildVersion); never NULL
 * ("go?" when unknown). */
const char *lw_gobin__version(const struct lw_gobin *b);
/* 1 and 22 for go1.22.5; 0 and -ENOENT when unknown. */
int lw_gobin__version_num(const struct lw_gobin *b, int *major, int *minor);
bool lw_gobin__has_symtab(const struct lw_gobin *b); /* false: stripped */
bool lw_gobin__has_dwarf(const struct lw_gobin *b);
bool lw_gobin__is_pie(const struct lw_gobin *b); /* ET_DYN */

/* One pc looked up in .gopclntab.  Strings are owned by b. */
struct lw_gofunc {
	const char *name; /* "main.subscribe.func1" */
	uint64_t entry, end; /* [entry, end) */
	const char *file; /* NULL when unknown */
	int line; /* 0 when unknown */
};

/*
 * pc -> function and file:line.  For a return address, pass pc - 1 (the
 * call instruction).  0 or -ENOENT (not in Go text).
 */
int lw_gobin__lookup_pc(const struct lw_gobin *b, uint64_t pc,
			struct lw_gofunc *ret);

/*
 * One logical frame of a pc, as runtime.CallersFrames reports it: a call
 * the compiler inlined is a frame of its own, named after the inlined
 * function, at the position inside it.  Strings are owned by b.
 */
struct lw_goframe {
	const char *name;
	const char *file;    /* NULL when unknown */
	int line;	     /* 0 when unknown */
	uint64_t entry, end; /* the physical function holding the code */
	bool inlined;	     /* inlined into the frame after it (same pc) */
	bool wrapper;	     /* funcID wrapper: compiler-made, hidden by Go */
	bool panic; /* gopanic, sigpanic or panicwrap: keeps its wrapper */
};

/*
 * pc -> its logical frames, innermost first, the physical function last,
 * at most max of them (inline trees of Go 1.16-1.26).  For a return
 * address pass pc - 1.  next is the next return address of the stack pc
 * comes from, or 0: when it is the position of one of pc's inlined call
 * sites + 1 (runtime.Callers and the heap profile store such "virtual"
 * pcs for inlined frames), the expansion stops before that frame so that
 * no frame appears twice.  Returns how many frames were stored, or
 * -ENOENT (not in Go text).
 */
int lw_gobin__lookup_frames(const struct lw_gobin *b, uint64_t pc,
			    uint64_t next, struct lw_goframe *ret, int max);

/*
 * True when wrapper and panic in lw_goframe are known (the funcIDs of the
 * binary's runtime were found); else both are always false.
 */
bool lw_gobin__knows_wrappers(const struct lw_gobin *b);

/* Function by exact name -> [entry, end).  0 or -ENOENT. */
int lw_gobin__find_func(const struct lw_gobin *b, const char *name,
			uint64_t *entry, uint64_t *end);

/*
 * Address of a runtime variable: "runtime.allgs", "runtime.allglen",
 * "runtime.allgptr", "runtime.waitReasonStrings", "runtime.mbuckets",
 * "runtime.MemProfileRate", "runtime.buildVersion",
 * "runtime.firstmoduledata" at least.  From .symtab when there is one;
 * in a stripped binary, found by decoding the functions that use it.
 * 0 or -ENOENT.
 */
int lw_gobin__find_var(const struct lw_gobin *b, const char *name,
		       uint64_t *addr);

/* Number of functions in .gopclntab (0 when there is none). */
int lw_gobin__func_count(const struct lw_gobin *b);

/* One RIP-relative reference from code to Go's writable data. */
struct lw_godref {
	uint64_t insn; /* address of the instruction */
	uint64_t addr; /* referenced address (.data/.bss/.noptr*) */
	bool lea; /* address taken (LEA), else a load or store */
	bool write; /* the instruction writes there */
	uint8_t size; /* bytes the memory operand covers */
};

/*
 * Decode function func (by exact name, through .gopclntab) and list its
 * references to Go's writable data, in code order.  Returns how many were
 * stored (at most max), or -ENOENT.  The basis of find_var in stripped
 * binaries; exposed for tests and diagnostics.
 */
int lw_gobin__data_refs(const struct lw_gobin *b, const char *func,
			struct lw_godref *refs, int max);

/*
 * Name of the allocated section holding addr and the offset inside it
 * (".bss", 0x48), or NULL.  The string is owned by b.
 */
const char *lw_gobin__section(const struct lw_gobin *b, uint64_t addr,
			      uint64_t *ret_off);

/* Byte offsets inside runtime.g and friends (amd64). */
struct lw_go_layout {
	bool from_dwarf; /* else from the per-version table */
	uint32_t g_stack_lo, g_stack_hi;
	uint32_t g_sched_sp, g_sched_pc, g_sched_bp;
	uint32_t g_syscallsp, g_syscallpc;
	uint32_t g_atomicstatus, g_goid, g_waitsince, g_waitreason;
	uint32_t g_gopc, g_startpc;
	uint32_t g_parentgoid; /* 0: the field does not exist (< 1.21) */
	/* runtime.bucket: header size before stk[nstk], and offsets. */
	uint32_t bucket_next, bucket_allnext, bucket_typ, bucket_size,
		bucket_nstk, bucket_hdr_size;
	/* runtime.memRecord after stk: active cycle's counters */
	uint32_t memrecord_active_allocs, memrecord_active_frees,
		memrecord_active_alloc_bytes, memrecord_active_free_bytes;
};

/* 0, or -ENOENT when neither DWARF nor the table knows this version. */
int lw_gobin__layout(const struct lw_gobin *b, struct lw_go_layout *ret);
/* The two sources separately (tests compare them): 0 or -ENOENT. */
int lw_gobin__layout_dwarf(const struct lw_gobin *b, struct lw_go_layout *ret);
int lw_go_layout_for_version(int major, int minor, struct lw_go_layout *ret);

#endif /* LW_GOBIN_H */
