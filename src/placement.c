/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Probe placement over decoded x86-64 code; pairs with placement.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "placement.h"

/*
 * What arch/x86/kernel/uprobes.c emulates instead of single-stepping:
 * branch_setup_xol_ops() takes call rel32, jmp rel8/rel32, jcc rel8/rel32
 * and nop (0x90, and 0f 1f nops on recent kernels), with no operand-size
 * prefix; push_setup_xol_ops() takes push of a 64-bit register, with an
 * optional REX.B.  Anything else is copied to an XOL slot and stepped.
 */
bool lw_x86_uprobe_emulated(const uint8_t *c, size_t len)
{
	if (!len)
		return false;
	switch (c[0]) {
	case 0x90: /* nop */
	case 0xe8: /* call rel32 */
	case 0xe9: /* jmp rel32 */
	case 0xeb: /* jmp rel8 */
		return true;
	case 0x50 ... 0x57: /* push %rax..%rdi */
		return true;
	case 0x70 ... 0x7f: /* jcc rel8 */
		return true;
	case 0x41: /* REX.B push %r8..%r15 */
		return len > 1 && c[1] >= 0x50 && c[1] <= 0x57;
	case 0x0f:
		if (len < 2)
			return false;
		/* jcc rel32, multi-byte nop */
		return (c[1] >= 0x80 && c[1] <= 0x8f) || c[1] == 0x1f;
	default:
		return false;
	}
}

/* The 64-bit register a (sub)register belongs to, for rdi/rsi/rdx/rsp. */
static uint32_t arg_bit(uint16_t reg)
{
	switch (reg) {
	case X86_REG_RDI:
	case X86_REG_EDI:
	case X86_REG_DI:
	case X86_REG_DIL:
		return LW_ARG_RDI;
	case X86_REG_RSI:
	case X86_REG_ESI:
	case X86_REG_SI:
	case X86_REG_SIL:
		return LW_ARG_RSI;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DL:
	case X86_REG_DH:
		return LW_ARG_RDX;
	default:
		return 0;
	}
}

static bool is_rsp(uint16_t reg)
{
	return reg == X86_REG_RSP || reg == X86_REG_ESP || reg == X86_REG_SP ||
	       reg == X86_REG_SPL;
}

/* Bytes an instruction moves %rsp down by, when it is a push, pop or an
 * immediate sub/add on %rsp; -1 for any other write to %rsp. */
static int64_t rsp_change(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	switch (insn->id) {
	case X86_INS_PUSH:
		return 8;
	case X86_INS_POP:
		return -8;
	case X86_INS_SUB:
	case X86_INS_ADD:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    is_rsp(x->operands[0].reg) &&
		    x->operands[1].type == X86_OP_IMM)
			return insn->id == X86_INS_SUB ? x->operands[1].imm :
							 -x->operands[1].imm;
		return -1;
	default:
		return -1;
	}
}

static bool is_branch(csh h, const cs_insn *insn)
{
	return cs_insn_group(h, insn, CS_GRP_JUMP) ||
	       cs_insn_group(h, insn, CS_GRP_CALL) ||
	       cs_insn_group(h, insn, CS_GRP_RET) ||
	       cs_insn_group(h, insn, CS_GRP_INT) ||
	       cs_insn_group(h, insn, CS_GRP_IRET);
}

int lw_place_probe(const uint8_t *code, size_t len, uint32_t args_read,
		   bool with_return, struct lw_placement *ret)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr, i;
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = 0;
	int64_t sp = 0, d;
	cs_insn *insn = NULL;
	char passed[64] = "";
	size_t plen = 0;
	unsigned n;
	csh h;

	memset(ret, 0, sizeof(*ret));
	ret->emulated = lw_x86_uprobe_emulated(code, len);
	if (ret->emulated) {
		snprintf(ret->reason, sizeof(ret->reason),
			 "+0: first instruction is emulated");
		return 0;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return -ENOMEM;
	(void)cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(h);
	if (!insn) {
		cs_close(&h);
		return -ENOMEM;
	}
	snprintf(ret->reason, sizeof(ret->reason),
		 "+0: no emulated instruction reachable");
	for (n = 0; n < LW_PLACE_MAX_INSNS && addr < LW_PLACE_MAX_BYTES; n++) {
		uint64_t at = addr;

		if (!cs_disasm_iter(h, &p, &left, &addr, insn)) {
			snprintf(ret->reason, sizeof(ret->reason),
				 "+0: undecodable at +%llu",
				 (unsigned long long)at);
			break;
		}
		/* The instruction at `at` is passed over: may it be? */
		if (is_branch(h, insn)) {
			snprintf(ret->reason, sizeof(ret->reason),
				 "+0: %.16s at +%llu is a branch", insn->mnemonic,
				 (unsigned long long)at);
			break;
		}
		if (cs_regs_access(h, insn, rd, &nrd, wr, &nwr) != CS_ERR_OK)
			break;
		for (i = 0; i < nwr; i++) {
			if (arg_bit(wr[i]) & args_read)
				break;
		}
		if (i < nwr) {
			snprintf(ret->reason, sizeof(ret->reason),
				 "+0: %.16s %.40s at +%llu writes an argument",
				 insn->mnemonic, insn->op_str,
				 (unsigned long long)at);
			break;
		}
		for (i = 0; i < nwr && !is_rsp(wr[i]); i++)
			;
		if (i < nwr) {
			d = rsp_change(insn);
			if (with_return || d < 0) {
				snprintf(ret->reason, sizeof(ret->reason),
					 "+0: %.16s at +%llu moves %%rsp%s",
					 insn->mnemonic, (unsigned long long)at,
					 with_return ? " under a return probe" :
						       "");
				break;
			}
			sp += d;
		}
		if (plen < sizeof(passed))
			plen += snprintf(passed + plen, sizeof(passed) - plen,
					 "%s%s", plen ? ", " : "",
					 insn->mnemonic);
		if (lw_x86_uprobe_emulated(p, left)) {
			ret->offset = (uint32_t)addr;
			ret->sp_adjust = (uint32_t)sp;
			ret->emulated = true;
			if (n < 3)
				snprintf(ret->reason, sizeof(ret->reason),
					 "+%u: past %.40s (straight-line) to an emulated instruction",
					 ret->offset, passed);
			else
				snprintf(ret->reason, sizeof(ret->reason),
					 "+%u: past %u straight-line instructions to an emulated one",
					 ret->offset, n + 1);
			break;
		}
	}
	cs_free(insn, 1);
	cs_close(&h);
	return 0;
}
