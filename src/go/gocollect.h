/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * What the session runs for a Go target: goroutine snapshots (one a
 * second, backing off when a snapshot gets expensive) fed into a census
 * by creation site, per-site states, wait reasons and a representative
 * stack, plus the Go heap profile and RSS over the window.  Read from
 * outside with process_vm_readv; with --goroutine-probes, births and
 * deaths between snapshots come from uprobes too (goprobes.h).  Pairs
 * with gocollect.c; the report it builds is goreport.h.
 */
#ifndef LW_GOCOLLECT_H
#define LW_GOCOLLECT_H

#include <stdint.h>

#include "goreport.h"

struct lw_gocollect;
struct lw_goproc;

/*
 * Open PID as a Go target.  0 and *ret; -ENOEXEC when it is not a Go
 * program; -ENOENT when its Go version is not supported (no runtime.g
 * layout, no allgs); -ESRCH; -ENOMEM.  Nothing is read from its memory
 * until lw_gocollect__start().
 */
int lw_gocollect__new(int pid, struct lw_gocollect **ret);
void lw_gocollect__free(struct lw_gocollect *c); /* NULL-safe */

/* Go version, as in the report ("go1.22.5"). */
const char *lw_gocollect__version(const struct lw_gocollect *c);

/*
 * The daemon watches for days: judge and keep only the last window_s
 * seconds (census.h's sliding window; the heap and RSS series too).
 * Call before lw_gocollect__start().
 */
void lw_gocollect__set_window(struct lw_gocollect *c, double window_s);

/*
 * The window starts at t0_ns (CLOCK_MONOTONIC): take the first snapshot.
 * Goroutines alive then have unknown birth times.  0 or -errno (-ESRCH:
 * the target is gone).
 */
int lw_gocollect__start(struct lw_gocollect *c, uint64_t t0_ns);

/*
 * Call often (the session's 50 ms tick): takes a snapshot when one is
 * due.  force: take one now (the last one before a report).  0, or
 * -ESRCH once the target is gone (later calls do nothing), -ENOMEM.
 */
int lw_gocollect__tick(struct lw_gocollect *c, uint64_t now_ns, bool force);

/* The target as opened (for the goroutine probes, goprobes.h). */
const struct lw_goproc *lw_gocollect__proc(const struct lw_gocollect *c);

/*
 * Exact mode (--goroutine-probes, goprobes.h): drain(ctx) delivers the
 * probes' pending births and deaths, through the two calls below; the
 * collector calls it before every snapshot, so a snapshot reconciles a
 * census that is up to date.  death_func and nr_rets say what is probed,
 * for the report.  drain NULL: the probes are gone (the report still says
 * which mode ran).
 */
void lw_gocollect__set_probes(struct lw_gocollect *c, int (*drain)(void *ctx),
			      void *ctx, const char *death_func,
			      unsigned nr_rets);

/*
 * A goroutine born (a RET of newproc1) or dying (gdestroy/goexit0), at
 * ns.  Before lw_gocollect__start() they are ignored.  A birth of a goid
 * a snapshot already saw at the same site is a no-op (the snapshot ran
 * between the birth and its record's delivery); a death of a goid not
 * live is too (born before we looked, or a snapshot's sweep saw it gone
 * first).  birth: 0 or -ENOMEM.
 */
int lw_gocollect__probe_birth(struct lw_gocollect *c, uint64_t goid,
			      uint64_t gopc, uint64_t startpc, uint64_t ns);
void lw_gocollect__probe_death(struct lw_gocollect *c, uint64_t goid,
			       uint64_t ns);
/* The probes' own counters (cumulative), for the report. */
void lw_gocollect__probe_counts(struct lw_gocollect *c, uint64_t births,
				uint64_t deaths, uint64_t lost);

/*
 * Build the report at now_ns into *ret (clear it with
 * lw_go_report__clear()).  Strings in it belong to the collector and
 * stay valid until it is freed.  0 or -ENOMEM.
 */
int lw_gocollect__report(struct lw_gocollect *c, uint64_t now_ns,
			 struct lw_go_report *ret);

#endif /* LW_GOCOLLECT_H */
