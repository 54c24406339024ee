/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The descriptor probe family: loads bpf/fd.bpf.c (syscall tracepoints
 * for one process), feeds its records into a descriptor table
 * (fdtable.h), reconciles that table with /proc/PID/fd and sock_diag
 * (sockdiag.h) periodically, and makes the sockets section of a report.
 * The only file that includes fd.skel.h.
 */
#ifndef LW_FD_H
#define LW_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdtable.h"

struct lw_symbolizer;
struct lw_fd_probe;

struct lw_fd_probe_opts {
	int pid;
	/* frame sizes of syscall wrappers and symbolization; not owned */
	struct lw_symbolizer *sym;
	size_t ring_bytes; /* power of two; 0 = 4 MiB */
};

/* Open and load the BPF object for pid.  NULL with errno set. */
struct lw_fd_probe *lw_fd_probe__new(const struct lw_fd_probe_opts *o);

/* Attach the tracepoints, then take the first snapshot (descriptors open
 * before tracing).  t0_ns: session start.  0 or -errno. */
int lw_fd_probe__attach(struct lw_fd_probe *p, uint64_t t0_ns);

/* fd to poll for forced wakeups (the ring buffer's epoll fd); -1. */
int lw_fd_probe__fd(const struct lw_fd_probe *p);

/* Drain pending records.  Records consumed or -errno. */
int lw_fd_probe__consume(struct lw_fd_probe *p);

/* Call on every loop turn: samples the table's series every 250 ms and
 * reconciles with /proc every 500 ms (at once after an exec). */
void lw_fd_probe__tick(struct lw_fd_probe *p, uint64_t now_ns);

/* End of tracing: drain, a last snapshot while the target still runs,
 * then detach (the table stays for the report).  Idempotent. */
void lw_fd_probe__finish(struct lw_fd_probe *p, uint64_t now_ns);

/* The sockets section, symbolized.  Interim reports (still attached)
 * take a snapshot first.  Clear it with lw_socket_report__clear().
 * 0 or -ENOMEM. */
int lw_fd_probe__report(struct lw_fd_probe *p, uint64_t now_ns,
			struct lw_socket_report *ret);

/*
 * Whether pid runs a Go program (its executable has a .go.buildinfo or
 * .gopclntab section, which stripping keeps).  Go brings no allocator for
 * the allocation probes, but its sockets are worth tracing.
 */
bool lw_fd_target_is_go(int pid);

/* Detach and free; NULL-safe. */
void lw_fd_probe__free(struct lw_fd_probe *p);

#endif /* LW_FD_H */
