/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The Go sections of a report as plain data: goroutines grouped by
 * creation site with verdicts, and the Go heap profile beside RSS.  Built
 * by gocollect.c, rendered by report_go.c (JSON in docs/json-schema.md,
 * text in docs/go.md).  No libbpf, no /proc.
 */
#ifndef LW_GOREPORT_H
#define LW_GOREPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

struct json_object;
struct lw_text;

struct lw_go_count {
	const char *name; /* a wait reason, owned by the collector */
	uint64_t n;
};

struct lw_go_site {
	enum lw_verdict verdict;
	enum lw_verdict census_verdict; /* before the blocked downgrade */
	uint64_t live;
	double growth_per_s;
	uint64_t gopc, startpc;	    /* runtime addresses */
	struct lw_frame created_by; /* the go statement (gopc) */
	const char *start_function; /* NULL when unknown */
	uint64_t waiting, runnable, running, syscall, other;
	uint64_t leaked;	     /* status _Gleaked */
	struct lw_go_count *reasons; /* of waiting members, most first */
	size_t nr_reasons;
	double oldest_blocked_s; /* lower bound; 0: none blocked */
	double oldest_age_s;	 /* 0: born before the session */
	bool has_unknown_births;
	uint64_t births, deaths;
	unsigned segments, segments_with_survivors;
	struct lw_frame *frames; /* one representative's stack */
	unsigned nr_frames;
	const struct lw_point *series; /* owned by the collector's census */
	size_t nr_series;
};

struct lw_go_heap_site {
	enum lw_verdict verdict;
	uint64_t inuse_bytes, inuse_objects; /* scaled estimates */
	double growth_bytes_per_s;
	struct lw_frame *frames;
	unsigned nr_frames;
};

struct lw_go_report {
	const char *version; /* "go1.22.5" */
	bool stripped;
	const char *layout_from; /* "dwarf" or "table" */

	/* Goroutines.  ok false: none could be read (error says why). */
	bool goroutines_ok;
	const char *goroutines_error;
	uint64_t live, leaked_by_runtime, snapshots;
	uint64_t torn; /* gs dropped in the last snapshot, never consistent */
	double growth_per_s;
	double snapshot_ms;	  /* mean cost of one snapshot */
	double goroutines_per_s;  /* read speed */
	double interval_s;	  /* snapshot period after back-off */
	/* "snapshot", or "probes" (--goroutine-probes: births and deaths
	 * between snapshots counted by uprobes). */
	const char *mode;
	const char *probe_death_func; /* probes: "runtime.gdestroy"... */
	unsigned probe_rets;	      /* probes: RETs of newproc1 probed */
	uint64_t probe_births, probe_deaths; /* probes: hits */
	uint64_t probe_lost; /* probes: records lost (ring full, bad read) */
	struct lw_go_site *sites; /* leak first, then live */
	size_t nr_sites;

	/* Go heap and the process beside it. */
	bool heap_available;
	const char *heap_reason; /* static, when !heap_available */
	int64_t sample_rate;	 /* MemProfileRate */
	uint64_t inuse_bytes, inuse_objects;
	double growth_bytes_per_s;
	uint64_t rss_bytes, rss_anon_bytes;
	double rss_growth_bytes_per_s;
	struct lw_go_heap_site *heap_sites; /* leak first, then bytes */
	size_t nr_heap_sites;
};

/* Frees what the report owns (sites' arrays); NULL-safe, leaves it empty. */
void lw_go_report__clear(struct lw_go_report *r);

/*
 * Add "go", "goroutines" and "go_heap" to the JSON root: objects, or
 * null for all three when r is NULL (not a Go target).  0 or -ENOMEM.
 */
int lw_go_report__to_json(struct json_object *root,
			  const struct lw_go_report *r);

/* The text sections (nothing when r is NULL). */
void lw_go_report__print(const struct lw_text *t, const struct lw_go_report *r);

/*
 * The verdict of a goroutine site: the census verdict, but a leak whose
 * live members are mostly not blocked (running, runnable, in syscalls) is
 * only growing: goroutines that work are a load, not a leak.  A site
 * holding goroutines the Go runtime itself proved leaked (_Gleaked:
 * blocked on objects nothing reachable can wake) is a leak whatever its
 * count does: they can never end, and a proof beats a trend.
 */
enum lw_verdict lw_go_site_verdict(enum lw_verdict census, uint64_t live,
				   uint64_t blocked, uint64_t leaked);

#endif /* LW_GOREPORT_H */
