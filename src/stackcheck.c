/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Frame plausibility checks; pairs with stackcheck.h. */
#include <errno.h>

#include <capstone/capstone.h>

#include "stackcheck.h"

bool lw_x86_follows_call(const uint8_t c[8])
{
	/* The encodings compilers emit for calls, by length. */
	if (c[3] == 0xe8) /* call rel32 */
		return true;
	if (c[2] == 0xff && c[3] == 0x15) /* call *disp32(%rip) */
		return true;
	if (c[6] == 0xff && (c[7] & 0xf8) == 0xd0) /* call *%reg */
		return true;
	if (c[6] == 0xff && (c[7] & 0xf8) == 0x10 && (c[7] & 7) != 4 &&
	    (c[7] & 7) != 5) /* call *(%reg) */
		return true;
	if (c[5] == 0xff && (c[6] & 0xf8) == 0x50 && (c[6] & 7) != 4)
		return true; /* call *disp8(%reg) */
	if (c[4] == 0xff && c[5] == 0x54) /* call *disp8(%reg,%reg,s) */
		return true;
	if (c[2] == 0xff && (c[3] & 0xf8) == 0x90 && (c[3] & 7) != 4)
		return true; /* call *disp32(%reg) */
	if (c[1] == 0xff && c[2] == 0x94) /* call *disp32(%reg,%reg,s) */
		return true;
	return false;
}

uint64_t lw_stack_hash(const uint64_t *ips, unsigned nr)
{
	/* A different seed from the BPF side's, so a trimmed stack's id
	 * cannot be mistaken for a raw one. */
	uint64_t h = 0x84222325cbf29ce4ULL ^ nr;
	unsigned i;

	for (i = 0; i < nr; i++) {
		h ^= ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h ? h : 1;
}

/* Does insn name %rsp as its first (destination) operand? */
static bool writes_rsp(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	uint8_t i;

	for (i = 0; i < insn->detail->regs_write_count; i++) {
		if (insn->detail->regs_write[i] == X86_REG_RSP)
			return true;
	}
	return x->op_count > 0 && x->operands[0].type == X86_OP_REG &&
	       x->operands[0].reg == X86_REG_RSP;
}

static int rsp_imm(const cs_insn *insn, int64_t *ret)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[0].reg != X86_REG_RSP || x->operands[1].type != X86_OP_IMM)
		return -EINVAL;
	*ret = x->operands[1].imm;
	return 0;
}

int lw_x86_stack_delta(const uint8_t *code, size_t len, size_t target,
		       uint64_t *ret_delta)
{
	const uint8_t *p = code;
	size_t left = len < target ? len : target;
	uint64_t addr = 0;
	int64_t delta = 0, imm;
	cs_insn *insn = NULL;
	int err = -EINVAL;
	csh h;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	if (cs_option(h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK)
		goto out;
	insn = cs_malloc(h);
	if (!insn) {
		err = -ENOMEM;
		goto out;
	}
	while (addr < target && cs_disasm_iter(h, &p, &left, &addr, insn)) {
		switch (insn->id) {
		case X86_INS_PUSH:
			delta += insn->detail->x86.operands[0].size == 2 ? 2 : 8;
			break;
		case X86_INS_POP:
			delta -= insn->detail->x86.operands[0].size == 2 ? 2 : 8;
			break;
		case X86_INS_SUB:
		case X86_INS_ADD:
			if (!writes_rsp(insn))
				break;
			if (rsp_imm(insn, &imm))
				goto out;
			delta += insn->id == X86_INS_SUB ? imm : -imm;
			break;
		case X86_INS_CALL:
			break; /* the callee returns: no net change */
		case X86_INS_RET:
		case X86_INS_RETF:
		case X86_INS_JMP:
		case X86_INS_LJMP:
			goto out; /* the straight path ends before target */
		default:
			if (writes_rsp(insn))
				goto out;
			break;
		}
	}
	if (addr != target || delta < 0)
		goto out;
	*ret_delta = (uint64_t)delta;
	err = 0;
out:
	if (insn)
		cs_free(insn, 1);
	cs_close(&h);
	return err;
}
