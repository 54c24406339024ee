/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A census of things that are born at a site and die later: threads,
 * sockets, goroutines.  The ledger (ledger.h) does the same for memory
 * blocks, with bytes; a census counts members.  Each member has an id
 * unique among the live ones (a TID, a (pid, fd) pair, a goid) and a site
 * (an opaque 64-bit key the caller chose: a stack id, a creation pc).
 *
 * Members are fed either one event at a time (birth/death, from BPF
 * records) or as whole snapshots (mark/seen/sweep, from /proc or from
 * reading a Go process), or both: a snapshot corrects drift from lost
 * events.  The session samples the census on a timer; the report gives
 * per-site live counts, growth and a verdict from trend.h, with the same
 * rules as the ledger (docs/verdicts.md).  Pure logic, no I/O.
 */
#ifndef LW_CENSUS_H
#define LW_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct lw_census;

struct lw_census_opts {
	unsigned segments; /* window segments for verdicts; 0 = 4 */
	unsigned series_cap; /* points kept per site; 0 = 512 (then halved) */
	/*
	 * 0: verdicts over the whole session.  Else over the last window_s
	 * seconds only, and series keep only that window: a process watched
	 * for days (the daemon) is judged on what it does now.  Members born
	 * before the window count as born in its first segment.
	 */
	double window_s;
};

/* t0_ns: session start, CLOCK_MONOTONIC.  opts may be NULL.  NULL with
 * errno set on failure. */
struct lw_census *lw_census__new(uint64_t t0_ns,
				 const struct lw_census_opts *opts);
void lw_census__free(struct lw_census *c); /* NULL-safe */

/*
 * Member id became live at site, born at born_ns (0 or anything before t0:
 * born before the session, birth time unknown).  If id is already live it
 * is replaced (its death was missed): the old member dies at born_ns.
 * 0 or -ENOMEM.
 */
int lw_census__birth(struct lw_census *c, uint64_t id, uint64_t site,
		     uint64_t born_ns);

/* Member id died at ns.  false if it was not live (born before we looked,
 * and not yet seen in a snapshot). */
bool lw_census__death(struct lw_census *c, uint64_t id, uint64_t ns);

/* The site of live member id into *site; false if id is not live. */
bool lw_census__lookup(const struct lw_census *c, uint64_t id,
		       uint64_t *site);

/*
 * Snapshot reconciliation:
 *
 *	lw_census__mark(c);
 *	for each member in the snapshot: lw_census__seen(c, id, site, born);
 *	lw_census__sweep(c, now);
 *
 * seen() is a birth for an id not live yet, a no-op for a live id with the
 * same site, and a death plus a birth if the site changed (the id was
 * reused).  sweep() kills every live member not seen since mark(), at ns,
 * and returns how many.
 */
void lw_census__mark(struct lw_census *c);
int lw_census__seen(struct lw_census *c, uint64_t id, uint64_t site,
		    uint64_t born_ns);
size_t lw_census__sweep(struct lw_census *c, uint64_t ns);

/* Append a point (live count per site) to every site's series. */
void lw_census__sample(struct lw_census *c, uint64_t now_ns);

/* Live members over all sites. */
uint64_t lw_census__live(const struct lw_census *c);

struct lw_census_site {
	uint64_t site; /* the caller's key */
	enum lw_verdict verdict;
	uint64_t live;
	uint64_t births, deaths; /* since the session start (births: known ones) */
	double growth_per_s; /* least-squares slope of live over the window */
	double oldest_age_s; /* age of the oldest live member (0: unknown) */
	bool has_unknown_births; /* some live members predate the session */
	unsigned segments, segments_with_survivors;
	const struct lw_point *series; /* owned by the census; count == bytes */
	size_t nr_series;
};

/*
 * Sites with live members at now_ns, leak first, then by live count, then
 * by key.  The window is [t0, last birth/death/seen change], as in the
 * ledger.  *ret is malloc'ed (free() it); series pointers stay valid until
 * the next call that changes the census.  0 or -ENOMEM.
 */
int lw_census__report(struct lw_census *c, uint64_t now_ns,
		      struct lw_census_site **ret, size_t *nr);

#endif /* LW_CENSUS_H */
