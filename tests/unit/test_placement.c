/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for placement.c on hand-made instruction sequences: the
 * prologues of real allocators, and the unsafe cases the probe must not
 * move over.
 */
#include <stdint.h>
#include <string.h>

#include "lwtest.h"
#include "placement.h"

#define PLACE(code, args, ret, pl)                                             \
	ASSERT_OK(lw_place_probe(code, sizeof(code), args, ret, pl), #code)

static void test_emulated_set(void)
{
	static const uint8_t push_r12[] = { 0x41, 0x54 };
	static const uint8_t push_rbp[] = { 0x55 };
	static const uint8_t jcc32[] = { 0x0f, 0x84, 0, 0, 0, 0 };
	static const uint8_t nopl[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const uint8_t test_rdi[] = { 0x48, 0x85, 0xff };
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const uint8_t mov_rdi[] = { 0x48, 0x89, 0xfb };
	static const uint8_t data16_jmp[] = { 0x66, 0xe9, 0, 0 };

	ASSERT_TRUE(lw_x86_uprobe_emulated(push_r12, 2), "push %r12");
	ASSERT_TRUE(lw_x86_uprobe_emulated(push_rbp, 1), "push %rbp");
	ASSERT_TRUE(lw_x86_uprobe_emulated(jcc32, 6), "je rel32");
	ASSERT_TRUE(lw_x86_uprobe_emulated(nopl, 5), "nopl");
	ASSERT_FALSE(lw_x86_uprobe_emulated(test_rdi, 3), "test");
	ASSERT_FALSE(lw_x86_uprobe_emulated(endbr64, 4), "endbr64");
	ASSERT_FALSE(lw_x86_uprobe_emulated(mov_rdi, 3), "mov");
	ASSERT_FALSE(lw_x86_uprobe_emulated(data16_jmp, 4), "66 prefix");
	ASSERT_FALSE(lw_x86_uprobe_emulated(push_r12, 1), "truncated");
}

/* glibc 2.36 free: test %rdi,%rdi; je rel32 -> the je, entry only. */
static void test_glibc_free(void)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf,
					0x00, 0x00, 0x00, 0x55 };
	struct lw_placement pl;

	if (PLACE(code, LW_ARG_RDI, false, &pl)) {
		ASSERT_EQ(pl.offset, 3, "offset");
		ASSERT_EQ(pl.sp_adjust, 0, "sp");
		ASSERT_TRUE(pl.emulated, "emulated");
	}
}

/* glibc malloc starts with push %r12: already emulated, stay. */
static void test_glibc_malloc(void)
{
	static const uint8_t code[] = { 0x41, 0x54, 0x55, 0x53, 0x48, 0x89,
					0xfb };
	struct lw_placement pl;

	if (PLACE(code, LW_ARG_RDI, true, &pl)) {
		ASSERT_EQ(pl.offset, 0, "offset");
		ASSERT_TRUE(pl.emulated, "emulated");
	}
}

/* glibc posix_memalign: cmpb $0,rip(..); push %r12: the cmp writes no
 * argument and leaves %rsp, so entry and return both go to the push. */
static void test_glibc_posix_memalign(void)
{
	static const uint8_t code[] = { 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00,
					0x00, 0x41, 0x54, 0x49, 0x89, 0xd4 };
	struct lw_placement pl;

	if (PLACE(code, LW_ARG_RDI | LW_ARG_RDX, true, &pl)) {
		ASSERT_EQ(pl.offset, 7, "offset");
		ASSERT_EQ(pl.sp_adjust, 0, "sp");
	}
}

/* glibc reallocarray: mov %rsi,%rax; mul %rdx: mul writes %rdx, which the
 * probe reads: stay at +0. */
static void test_writes_argument(void)
{
	static const uint8_t code[] = { 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2,
					0x48, 0x89, 0xc6, 0x70, 0x05 };
	struct lw_placement pl;

	if (PLACE(code, LW_ARG_RDI | LW_ARG_RSI | LW_ARG_RDX, true, &pl)) {
		ASSERT_EQ(pl.offset, 0, "offset");
		ASSERT_FALSE(pl.emulated, "not emulated");
	}
	/* A partial write counts too: mov $0,%edi; push %rbx. */
	{
		static const uint8_t edi[] = { 0xbf, 0, 0, 0, 0, 0x53 };

		if (PLACE(edi, LW_ARG_RDI, false, &pl))
			ASSERT_EQ(pl.offset, 0, "edi write");
	}
	/* Writing a register the probe does not read is fine. */
	{
		static const uint8_t rax[] = { 0xb8, 0, 0, 0, 0, 0x53 };

		if (PLACE(rax, LW_ARG_RDI, true, &pl))
			ASSERT_EQ(pl.offset, 5, "rax write");
	}
}

/* A conditional branch may be the site, never something passed over: a
 * probe after it would miss the calls that take it. */
static void test_branch(void)
{
	/* cmpb; ... no: test; jne +5 is the site (emulated) */
	static const uint8_t jcc[] = { 0x48, 0x85, 0xff, 0x75, 0x05, 0x55 };
	/* cmp; ret; push: ret ends the straight path */
	static const uint8_t ret[] = { 0x48, 0x39, 0xf7, 0xc3, 0x55 };
	/* test; jmp *%rax (indirect, not emulated) */
	static const uint8_t ind[] = { 0x48, 0x85, 0xff, 0xff, 0xe0, 0x55 };
	struct lw_placement pl;

	if (PLACE(jcc, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 3, "on the jcc");
	if (PLACE(ret, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 0, "not past ret");
	if (PLACE(ind, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 0, "not past an indirect jump");
}

/* Moving %rsp: never under a return probe; for an entry-only probe the
 * pushes are counted so the BPF side can rebuild the entry sp. */
static void test_rsp(void)
{
	/* endbr64; sub $0x18,%rsp; mov %rdi,%rbx? no: mov %rax,%rbx; push */
	static const uint8_t sub[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83,
				       0xec, 0x18, 0x48, 0x89, 0xc3, 0x55 };
	/* lea 8(%rsp),%rsp is not a push/pop/imm adjust: refused */
	static const uint8_t lea[] = { 0x48, 0x8d, 0x64, 0x24, 0x08, 0x55 };
	struct lw_placement pl;

	if (PLACE(sub, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 0, "return probe: rsp moved");
	if (PLACE(sub, LW_ARG_RDI, false, &pl)) {
		ASSERT_EQ(pl.offset, 11, "entry only: past sub");
		ASSERT_EQ(pl.sp_adjust, 0x18, "sp adjust");
	}
	if (PLACE(lea, LW_ARG_RDI, false, &pl))
		ASSERT_EQ(pl.offset, 0, "lea on rsp refused");
}

/* CET: endbr64 (not emulated, writes nothing) is passed over. */
static void test_endbr64(void)
{
	static const uint8_t code[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x41, 0x54 };
	struct lw_placement pl;

	if (PLACE(code, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 4, "past endbr64");
}

/* The search is bounded and tolerates truncated or undecodable code. */
static void test_limits(void)
{
	uint8_t movs[128];
	static const uint8_t junk[] = { 0x0f, 0x0b }; /* ud2 */
	static const uint8_t cut[] = { 0x48, 0x85 }; /* half a test */
	struct lw_placement pl;
	size_t i;

	/* 42 x mov %rax,%rbx then a push: too far. */
	for (i = 0; i + 3 <= sizeof(movs); i += 3) {
		movs[i] = 0x48;
		movs[i + 1] = 0x89;
		movs[i + 2] = 0xc3;
	}
	movs[126] = 0x55;
	if (PLACE(movs, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 0, "bounded");
	if (PLACE(junk, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 0, "ud2");
	if (PLACE(cut, LW_ARG_RDI, true, &pl))
		ASSERT_EQ(pl.offset, 0, "truncated");
}

/* jemalloc 5.3's free: nine straight-line instructions reading %rdi,
 * then jne rel32 at +0x30, where the entry-only probe belongs. */
static void test_jemalloc_free(void)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8, /* mov %rdi,%rax */
		0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, /* mov rip,%rdx */
		0x48, 0x89, 0xf9, /* mov %rdi,%rcx */
		0x48, 0xc1, 0xe8, 0x1a, /* shr $0x1a,%rax */
		0x48, 0x81, 0xe1, 0x00, 0x00, 0x00, 0xc0, /* and ...,%rcx */
		0x25, 0xf0, 0x00, 0x00, 0x00, /* and $0xf0,%eax */
		0x64, 0x48, 0x03, 0x04, 0x25, 0, 0, 0, 0, /* add %fs:0,%rax */
		0x48, 0x01, 0xd0, /* add %rdx,%rax */
		0x48, 0x3b, 0x88, 0xb0, 0x01, 0x00, 0x00, /* cmp 0x1b0(%rax) */
		0x0f, 0x85, 0x8a, 0x00, 0x00, 0x00, /* jne rel32 */
		0x48, 0x89, 0xfe, /* mov %rdi,%rsi */
	};
	struct lw_placement pl;

	if (PLACE(code, LW_ARG_RDI, false, &pl)) {
		ASSERT_EQ(pl.offset, 0x30, "offset");
		ASSERT_EQ(pl.sp_adjust, 0, "sp");
	}
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_emulated_set),
		LWT_CASE(test_glibc_free),
		LWT_CASE(test_glibc_malloc),
		LWT_CASE(test_glibc_posix_memalign),
		LWT_CASE(test_writes_argument),
		LWT_CASE(test_branch),
		LWT_CASE(test_rsp),
		LWT_CASE(test_endbr64),
		LWT_CASE(test_limits),
		LWT_CASE(test_jemalloc_free),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
