/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * uprobe_multi links (Linux 6.6+) without libbpf's help: libbpf 1.1 (the
 * one in Debian 12) predates them.  One link attaches a program to many
 * offsets of one file, and detaching it costs one RCU grace period
 * instead of one per probe (~100 ms each here).  Used by src/alloc.c and
 * bench/floor.c.
 */
#ifndef LW_UMULTI_H
#define LW_UMULTI_H

#include <stdbool.h>
#include <stdint.h>

/* enum bpf_attach_type value for uprobe_multi links (uapi, 6.6+): a
 * program must be loaded with it as expected attach type. */
#define LW_BPF_TRACE_UPROBE_MULTI 48

/*
 * Attach the program prog_fd to cnt offsets (file offsets) of the file at
 * path, for process pid only, as entry probes or, with retprobe, return
 * probes; cookies[i] is what bpf_get_attach_cookie() returns at
 * offsets[i] (cookies may be NULL).  Returns the link fd (close it to
 * detach) or -errno.
 */
int lw_uprobe_multi_attach(int prog_fd, const char *path,
			   const uint64_t *offsets, const uint64_t *cookies,
			   uint32_t cnt, bool retprobe, int pid);

#endif /* LW_UMULTI_H */
