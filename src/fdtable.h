/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The descriptor table of one process as leakwatch knows it: open sockets
 * by fd with their creation site (a census, census.h), sockets in
 * CLOSE_WAIT (a second census over the same sites), and the other fd kinds
 * (a third census whose sites are the kinds).  Fed by the probe's records
 * (src/fd.c) and corrected by snapshots of /proc/PID/fd joined with
 * sock_diag states (sockdiag.h).  Pure: no libbpf, no I/O.
 */
#ifndef LW_FDTABLE_H
#define LW_FDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakwatch/fd_events.h"
#include "model.h"
#include "sockdiag.h"

struct lw_hmap;

/* Sites that are not stacks.  Stack ids are hashes and never this small. */
#define LW_FD_SITE_BEFORE 1   /* open when tracing started */
#define LW_FD_SITE_UNTRACED 2 /* found in /proc, no traced call made it */

/* "socket", "accept4", ...; "?" otherwise. */
const char *lw_fd_call_name(uint32_t call);

struct lw_socket_site {
	enum lw_verdict verdict; /* max of open_verdict and close_wait_verdict */
	enum lw_verdict open_verdict;	    /* open sockets' census verdict */
	enum lw_verdict close_wait_verdict; /* CLOSE_WAIT census verdict */
	uint64_t site;			    /* stack id, or LW_FD_SITE_* */
	uint32_t call; /* enum lw_fd_call of the site's first socket; 0 */
	uint64_t open; /* open sockets created here */
	uint64_t births, deaths; /* since the session start */
	double growth_per_s;	 /* slope of open over the window */
	double close_wait_growth_per_s;
	double oldest_age_s; /* 0: unknown (created before tracing) */
	bool has_unknown_births;
	unsigned segments, segments_with_survivors;
	uint64_t by_state[LW_SOCK_NR_STATES];
	uint64_t by_proto[LW_PROTO_NR];
	const uint64_t *ips; /* owned by the table */
	unsigned nr_ips;
	bool stack_truncated;
	/* nr_frames entries or NULL; owned here.  One per ip, plus the
	 * calls Go's compiler inlined (frames with inlined set). */
	struct lw_frame *frames;
	unsigned nr_frames;
	const struct lw_point *series; /* owned by the table's census */
	size_t nr_series;
};

/* A non-socket descriptor kind. */
struct lw_fd_kind_report {
	unsigned kind; /* enum lw_fd_kind */
	enum lw_verdict verdict;
	uint64_t open;
	double growth_per_s;
};

struct lw_socket_report {
	uint64_t open; /* open sockets */
	uint64_t by_state[LW_SOCK_NR_STATES];
	uint64_t by_proto[LW_PROTO_NR];
	bool states_known;    /* sock_diag answered */
	uint64_t snapshots;   /* /proc/PID/fd reconciliations */
	uint64_t corrections; /* members added or removed by them after the
			       * first: events the probe did not explain */
	uint64_t dropped_events;
	struct lw_fd_drops drops;
	/* Sites with open sockets: verdict (leak first), then open. */
	struct lw_socket_site *sites;
	size_t nr_sites;
	/* Non-socket kinds with open descriptors, by kind order. */
	struct lw_fd_kind_report kinds[LW_FDK_NR];
	size_t nr_kinds;
};

/* NULL-safe: frees sites[] and each site's frames[]; leaves *r empty. */
void lw_socket_report__clear(struct lw_socket_report *r);

struct lw_fdtable;

/* t0_ns: session start (CLOCK_MONOTONIC).  NULL with errno set. */
struct lw_fdtable *lw_fdtable__new(uint64_t t0_ns);
void lw_fdtable__free(struct lw_fdtable *t); /* NULL-safe */

/* The frames of stack id (call: what the first socket there came from).
 * Known ids are kept as they are.  0 or -ENOMEM. */
int lw_fdtable__add_stack(struct lw_fdtable *t, uint64_t id, uint32_t call,
			  const uint64_t *ips, unsigned nr, bool truncated);
bool lw_fdtable__has_stack(const struct lw_fdtable *t, uint64_t id);

/* Events, in the order the target made them. */
int lw_fdtable__open(struct lw_fdtable *t, int fd, uint64_t site, uint64_t ns);
void lw_fdtable__close(struct lw_fdtable *t, int fd, uint64_t ns);
/* close_range(first, last): only fds up to the highest one seen. */
void lw_fdtable__close_range(struct lw_fdtable *t, unsigned first,
			     unsigned last, uint64_t ns);
/* newfd became a copy of oldfd (whatever newfd was is closed). */
int lw_fdtable__dup(struct lw_fdtable *t, int oldfd, int newfd, uint64_t ns);

/*
 * A snapshot of the process's descriptors (lw_fd_list()) and, when socks
 * is not NULL, the socket states (lw_sockdiag__dump()).  Sockets not in
 * the table are added at LW_FD_SITE_BEFORE for the first snapshot and at
 * LW_FD_SITE_UNTRACED later; table entries missing from it are closed.
 * 0 or -ENOMEM.
 */
int lw_fdtable__reconcile(struct lw_fdtable *t, const struct lw_fd_entry *e,
			  size_t nr, const struct lw_hmap *socks, uint64_t now);

/* Append a point to every series (the session's sampling period). */
void lw_fdtable__sample(struct lw_fdtable *t, uint64_t now);

/*
 * The sockets section at now (states as of the last snapshot).  frames
 * are left NULL: the caller symbolizes.  0 or -ENOMEM.
 */
int lw_fdtable__report(struct lw_fdtable *t, uint64_t now,
		       struct lw_socket_report *ret);

#endif /* LW_FDTABLE_H */
