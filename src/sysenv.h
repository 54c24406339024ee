/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * What the machine must offer before probes can load: privileges, kernel
 * BTF, a mounted tracefs.  Each check returns 0 or -errno and leaves the
 * user-facing wording to the caller (sysenv_hint()).
 */
#ifndef LW_SYSENV_H
#define LW_SYSENV_H

/* Root, or CAP_BPF + CAP_PERFMON + CAP_SYS_PTRACE.  0 or -EPERM. */
int lw_sysenv__check_privileges(void);

/* /sys/kernel/btf/vmlinux readable.  0 or -ENOENT. */
int lw_sysenv__check_btf(void);

/*
 * Make sure tracefs is reachable where libbpf looks for tracepoint ids:
 * mounts tracefs on /sys/kernel/tracing (falling back to debugfs on
 * /sys/kernel/debug) when missing.  *ret_mounted says whether we mounted
 * it.  0 or -errno.
 */
int lw_sysenv__ensure_tracefs(int *ret_mounted);

#endif /* LW_SYSENV_H */
