/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Is a stack frame believable?  The BPF side walks frame pointers; in code
 * built without them the walk can pick up data that looks like frames.  A
 * real return address lies in executable code right after a call
 * instruction: the checks here decide that, and trim a stack at its first
 * unbelievable frame so equal call paths get equal ids.  Pure.
 */
#ifndef LW_STACKCHECK_H
#define LW_STACKCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Do the 8 bytes before a return address end with an x86-64 call? */
bool lw_x86_follows_call(const uint8_t before[8]);

/*
 * How far the stack pointer has moved down at code offset target, running
 * straight through code[0..target) from a function's entry: pushes, pops,
 * and sub/add of an immediate to %rsp (x86-64, capstone).  For wrappers
 * without CFI: the return address then lies at sp + delta.  0, or -EINVAL
 * when the code does anything else to %rsp, leaves the straight path
 * (ret, jmp) or does not decode exactly up to target.
 */
int lw_x86_stack_delta(const uint8_t *code, size_t len, size_t target,
		       uint64_t *ret_delta);

/* 64-bit id of a stack (never 0), for stacks trimmed in userspace. */
uint64_t lw_stack_hash(const uint64_t *ips, unsigned nr);

#endif /* LW_STACKCHECK_H */
