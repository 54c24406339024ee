/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Probe placement: where in an allocator function to put its probes.  A
 * uprobe on an instruction the kernel emulates (nop, push reg, jmp/call
 * rel, jcc) costs ~0.5 us a hit here; on any other instruction the kernel
 * single-steps it out of line for ~9 us (glibc's free starts with test).
 * So the probe moves forward to the first emulated instruction when that
 * is provably safe.  Pure (capstone over a byte buffer); see
 * docs/probe-placement.md.
 */
#ifndef LW_PLACEMENT_H
#define LW_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argument registers a probe's BPF program reads, as a mask. */
#define LW_ARG_RDI (1u << 0)
#define LW_ARG_RSI (1u << 1)
#define LW_ARG_RDX (1u << 2)

/* How many instructions/bytes the search may pass over. */
#define LW_PLACE_MAX_INSNS 16
#define LW_PLACE_MAX_BYTES 96

struct lw_placement {
	uint32_t offset; /* from the function's start */
	uint32_t sp_adjust; /* bytes pushed before offset */
	bool emulated; /* the instruction at offset is emulated */
	char reason[96];
};

/*
 * Choose the probe site in code (the function's first len bytes).  The
 * probe may move past an instruction only if (a) it is straight-line: not
 * a branch, call or return, so the site still runs on every call; (b) it
 * writes none of the argument registers in args_read; (c) when
 * with_return, it leaves %rsp alone, because a return probe takes the
 * return address from [%rsp] at its site.  An entry-only probe may move
 * past pushes and stack adjustments; *ret->sp_adjust then says how far.
 * The first emulated instruction so reachable wins; if none is, the
 * function's start.  0, or -ENOMEM (capstone).
 */
int lw_place_probe(const uint8_t *code, size_t len, uint32_t args_read,
		   bool with_return, struct lw_placement *ret);

/* Does the kernel emulate (not single-step) a uprobe on this
 * instruction?  code points at the instruction, len bytes available. */
bool lw_x86_uprobe_emulated(const uint8_t *code, size_t len);

#endif /* LW_PLACEMENT_H */
