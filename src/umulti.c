/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* uprobe_multi links through the raw bpf() syscall; pairs with umulti.h. */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "umulti.h"

#define LW_BPF_F_UPROBE_MULTI_RETURN 1

/* The link_create part of union bpf_attr for uprobe_multi, as in the
 * kernel's include/uapi/linux/bpf.h (6.6+); Debian 12's headers are 6.1. */
struct lw_uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 pad;
};

_Static_assert(sizeof(struct lw_uprobe_multi_attr) == 64,
	       "link_create.uprobe_multi layout");

int lw_uprobe_multi_attach(int prog_fd, const char *path,
			   const uint64_t *offsets, const uint64_t *cookies,
			   uint32_t cnt, bool retprobe, int pid)
{
	struct lw_uprobe_multi_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = LW_BPF_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(uintptr_t)path;
	attr.offsets = (__u64)(uintptr_t)offsets;
	attr.cookies = (__u64)(uintptr_t)cookies;
	attr.cnt = cnt;
	attr.multi_flags = retprobe ? LW_BPF_F_UPROBE_MULTI_RETURN : 0;
	attr.pid = pid;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
