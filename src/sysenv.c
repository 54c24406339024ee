/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Privilege, BTF and tracefs checks; pairs with sysenv.h. */
#include <errno.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sysenv.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

int lw_sysenv__check_privileges(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return geteuid() == 0 ? 0 : -EPERM;
	/* CAP_SYS_ADMIN covers BPF and perf events on every kernel. */
	if (has_cap(data, CAP_SYS_ADMIN) && has_cap(data, CAP_SYS_PTRACE))
		return 0;
	if (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON) &&
	    has_cap(data, CAP_SYS_PTRACE))
		return 0;
	return -EPERM;
}

int lw_sysenv__check_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) ? -ENOENT : 0;
}

int lw_sysenv__ensure_tracefs(int *ret_mounted)
{
	int err;

	*ret_mounted = 0;
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (!mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		*ret_mounted = 1;
		pr_debug("mounted tracefs on /sys/kernel/tracing\n");
		return 0;
	}
	err = -errno;
	/* Older kernels expose tracing only below debugfs. */
	if (!mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) &&
	    !access("/sys/kernel/debug/tracing/events", F_OK)) {
		*ret_mounted = 1;
		pr_debug("mounted debugfs on /sys/kernel/debug\n");
		return 0;
	}
	return err;
}
