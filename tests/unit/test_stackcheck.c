/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Unit tests for stackcheck.c: call-instruction recognition, stack ids. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lwtest.h"
#include "stackcheck.h"

/* Put insn at the end of an 8-byte window preceded by filler. */
static bool ends_with(const uint8_t *insn, size_t len, uint8_t filler)
{
	uint8_t w[8];

	memset(w, filler, sizeof(w));
	memcpy(w + 8 - len, insn, len);
	return lw_x86_follows_call(w);
}

static void test_calls(void)
{
	/* Encodings taken from gcc/clang output of real call sites. */
	static const struct {
		const char *what;
		uint8_t b[8];
		size_t len;
	} calls[] = {
		{ "call rel32", { 0xe8, 0x10, 0x20, 0x00, 0x00 }, 5 },
		{ "call *disp32(%rip)", { 0xff, 0x15, 0x00, 0x10, 0x00, 0x00 }, 6 },
		{ "call *%rax", { 0xff, 0xd0 }, 2 },
		{ "call *%r11", { 0x41, 0xff, 0xd3 }, 3 },
		{ "call *(%rax)", { 0xff, 0x10 }, 2 },
		{ "call *0x8(%rax)", { 0xff, 0x50, 0x08 }, 3 },
		{ "call *0x8(%rsp)", { 0xff, 0x54, 0x24, 0x08 }, 4 },
		{ "call *0x100(%rbx)", { 0xff, 0x93, 0x00, 0x01, 0x00, 0x00 }, 6 },
		{ "call *0x100(%rax,%rbx,8)",
		  { 0xff, 0x94, 0xd8, 0x00, 0x01, 0x00, 0x00 }, 7 },
	};
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		ASSERT_TRUE(ends_with(calls[i].b, calls[i].len, 0x90),
			    calls[i].what);
		ASSERT_TRUE(ends_with(calls[i].b, calls[i].len, 0x00),
			    calls[i].what);
	}
}

static void test_not_calls(void)
{
	static const struct {
		const char *what;
		uint8_t b[8];
	} others[] = {
		{ "zeros", { 0 } },
		{ "nops", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 } },
		{ "mov %rsp,%rbp; push", { 0x00, 0x00, 0x00, 0x48, 0x89, 0xe5, 0x41, 0x57 } },
		{ "jmp *%rax", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xe0 } },
		{ "ascii text", { 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o' } },
		{ "heap pointer", { 0x10, 0x52, 0x3c, 0x7a, 0x55, 0x56, 0x00, 0x00 } },
		{ "inc (%rsp) (ff /0)", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x04, 0x24 } },
	};
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		ASSERT_FALSE(lw_x86_follows_call(others[i].b), others[i].what);
}

static void test_hash(void)
{
	uint64_t a[3] = { 0x401000, 0x401100, 0x7f0000001000 };
	uint64_t b[3] = { 0x401000, 0x401100, 0x7f0000001001 };

	ASSERT_TRUE(lw_stack_hash(a, 3) != 0, "never 0");
	ASSERT_U64_EQ(lw_stack_hash(a, 3), lw_stack_hash(a, 3), "stable");
	ASSERT_TRUE(lw_stack_hash(a, 3) != lw_stack_hash(b, 3), "differs");
	ASSERT_TRUE(lw_stack_hash(a, 2) != lw_stack_hash(a, 3), "prefix differs");
	ASSERT_TRUE(lw_stack_hash(a, 0) != 0, "empty never 0");
}

static void test_stack_delta(void)
{
	/* musl 1.2.3 __mmap up to its syscall: push %r12; push %rbx;
	 * sub $0x28,%rsp; test $0xfff,%r9d; jne +0x7c; mov $9,%eax; syscall */
	static const uint8_t musl_mmap[] = {
		0x41, 0x54, 0x53, 0x48, 0x83, 0xec, 0x28, 0x41, 0xf7, 0xc1,
		0xff, 0x0f, 0x00, 0x00, 0x0f, 0x85, 0x7c, 0x00, 0x00, 0x00,
		0xb8, 0x09, 0x00, 0x00, 0x00, 0x0f, 0x05,
	};
	/* glibc 2.36 mmap64: mov %ecx,%r10d; test $0xfff,%r9d; jne +0x14;
	 * mov $9,%eax; syscall */
	static const uint8_t glibc_mmap[] = {
		0x41, 0x89, 0xca, 0x41, 0xf7, 0xc1, 0xff, 0x0f, 0x00, 0x00,
		0x75, 0x14, 0xb8, 0x09, 0x00, 0x00, 0x00, 0x0f, 0x05,
	};
	/* push %rbp; mov %rsp,%rbp; and $-16,%rsp; syscall */
	static const uint8_t realign[] = {
		0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xe4, 0xf0, 0x0f, 0x05,
	};
	/* sub $0x1000,%rsp (imm32); push %rbx; add $0x10,%rsp; syscall */
	static const uint8_t imm32[] = {
		0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00, 0x53,
		0x48, 0x83, 0xc4, 0x10, 0x0f, 0x05,
	};
	/* ret; syscall: the straight path ends first */
	static const uint8_t early_ret[] = { 0xc3, 0x0f, 0x05 };
	uint64_t d = 0;

	if (ASSERT_OK(lw_x86_stack_delta(musl_mmap, sizeof(musl_mmap),
					 sizeof(musl_mmap), &d), "musl"))
		ASSERT_U64_EQ(d, 56, "musl delta");
	if (ASSERT_OK(lw_x86_stack_delta(glibc_mmap, sizeof(glibc_mmap),
					 sizeof(glibc_mmap), &d), "glibc"))
		ASSERT_U64_EQ(d, 0, "glibc delta");
	if (ASSERT_OK(lw_x86_stack_delta(imm32, sizeof(imm32), sizeof(imm32),
					 &d), "imm32"))
		ASSERT_U64_EQ(d, 0x1000 + 8 - 0x10, "imm32 delta");
	ASSERT_EQ(lw_x86_stack_delta(realign, sizeof(realign), sizeof(realign),
				     &d), -EINVAL, "and on rsp refused");
	ASSERT_EQ(lw_x86_stack_delta(early_ret, sizeof(early_ret),
				     sizeof(early_ret), &d), -EINVAL,
		  "ret before target refused");
	/* target inside an instruction: not an instruction boundary */
	ASSERT_EQ(lw_x86_stack_delta(musl_mmap, sizeof(musl_mmap), 4, &d),
		  -EINVAL, "misaligned target refused");
	/* target 0: nothing executed yet */
	if (ASSERT_OK(lw_x86_stack_delta(musl_mmap, sizeof(musl_mmap), 0, &d),
		      "entry"))
		ASSERT_U64_EQ(d, 0, "entry delta");
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_calls),
		LWT_CASE(test_not_calls),
		LWT_CASE(test_hash),
		LWT_CASE(test_stack_delta),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
