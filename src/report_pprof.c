/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * --pprof: the report's outstanding allocations as a pprof heap profile
 * (inuse_objects/count, inuse_space/bytes), one sample per site with the
 * verdict and allocator as labels; for a Go program the Go heap's sites
 * join them (label heap=go) and its goroutines go to a second profile
 * (goroutine/count) beside it.  `go tool pprof FILE` opens both.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "go/goreport.h"
#include "pprof.h"
#include "report.h"

static const struct lw_pprof_type heap_types[] = {
	{ "inuse_objects", "count" },
	{ "inuse_space", "bytes" },
};

static int add_alloc_sites(struct lw_pprof *p, const struct lw_alloc_report *a)
{
	size_t i;
	int err;

	for (i = 0; i < a->nr_sites; i++) {
		const struct lw_site_report *s = &a->sites[i];
		const struct lw_pprof_label labels[] = {
			{ .key = "verdict", .str = lw_verdict_name(s->verdict) },
			{ .key = "allocator", .str = lw_alloc_kind_name(s->kind) },
			{ .key = "heap", .str = "native" },
		};
		int64_t values[2] = { (int64_t)s->live_count,
				      (int64_t)s->live_bytes };

		err = lw_pprof__add_sample(p, s->frames, s->ips, s->nr_ips,
					   values, labels, 3);
		if (err)
			return err;
	}
	return 0;
}

/* The Go runtime's own heap profile: already scaled like pprof does. */
static int add_go_heap_sites(struct lw_pprof *p, const struct lw_go_report *g)
{
	size_t i;
	int err;

	if (!g || !g->heap_available)
		return 0;
	if (g->nr_heap_sites && g->sample_rate > 1) {
		char c[96];

		snprintf(c, sizeof(c),
			 "heap=go: sampled by the Go runtime, 1 per %lld bytes; values scaled",
			 (long long)g->sample_rate);
		err = lw_pprof__add_comment(p, c);
		if (err)
			return err;
	}
	for (i = 0; i < g->nr_heap_sites; i++) {
		const struct lw_go_heap_site *s = &g->heap_sites[i];
		const struct lw_pprof_label labels[] = {
			{ .key = "verdict", .str = lw_verdict_name(s->verdict) },
			{ .key = "heap", .str = "go" },
		};
		int64_t values[2] = { (int64_t)s->inuse_objects,
				      (int64_t)s->inuse_bytes };
		unsigned skip = 0;

		/* As Go's own heap profiles do: the allocator's runtime
		 * frames on top are hidden, unless nothing else is left. */
		while (skip < s->nr_frames && s->frames[skip].function &&
		       !strncmp(s->frames[skip].function, "runtime.", 8))
			skip++;
		if (skip == s->nr_frames)
			skip = 0;
		err = lw_pprof__add_sample(p, s->frames + skip, NULL,
					   s->nr_frames - skip, values, labels,
					   2);
		if (err)
			return err;
	}
	return 0;
}

/* "heap.pb.gz" -> "heap.goroutine.pb.gz"; "heap" -> "heap.goroutine". */
static int goroutine_path(const char *path, char *buf, size_t len)
{
	static const char ext[] = ".pb.gz";
	size_t n = strlen(path), e = sizeof(ext) - 1;
	int w;

	if (n > e && !strcmp(path + n - e, ext))
		w = snprintf(buf, len, "%.*s.goroutine%s", (int)(n - e), path,
			     ext);
	else
		w = snprintf(buf, len, "%s.goroutine", path);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

/* One sample per creation site: a representative stack, the live count. */
static int write_goroutines(const struct lw_report *r, const char *path,
			    int64_t start_ns)
{
	static const struct lw_pprof_type type = { "goroutine", "count" };
	const struct lw_go_report *g = r->go;
	struct lw_pprof *p;
	size_t i;
	int err = 0;

	p = lw_pprof__new(&type, 1);
	if (!p)
		return -ENOMEM;
	lw_pprof__set_time(p, start_ns, (int64_t)(r->duration_s * 1e9));
	for (i = 0; !err && i < g->nr_sites; i++) {
		const struct lw_go_site *s = &g->sites[i];
		const struct lw_pprof_label labels[] = {
			{ .key = "verdict", .str = lw_verdict_name(s->verdict) },
			{ .key = "created_by", .str = s->created_by.function },
			{ .key = "wait_reason",
			  .str = s->nr_reasons ? s->reasons[0].name : NULL },
		};
		int64_t live = (int64_t)s->live;

		err = lw_pprof__add_sample(p, s->frames, NULL, s->nr_frames,
					   &live, labels,
					   labels[2].str ? 3 : 2);
	}
	if (!err)
		err = lw_pprof__write_file(p, path);
	lw_pprof__free(p);
	return err;
}

int lw_report__write_pprof(const struct lw_report *r, const char *path)
{
	struct lw_pprof *p;
	struct timespec now;
	char comment[96], gpath[PATH_MAX];
	int64_t start_ns;
	int err;

	p = lw_pprof__new(heap_types, 2);
	if (!p)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	start_ns = (now.tv_sec - (int64_t)r->duration_s) * 1000000000ll +
		   now.tv_nsec;
	lw_pprof__set_time(p, start_ns, (int64_t)(r->duration_s * 1e9));
	snprintf(comment, sizeof(comment), "leakwatch: PID %d (%.*s)",
		 r->target.pid, (int)sizeof(r->target.comm), r->target.comm);
	err = lw_pprof__set_default_type(p, "inuse_space") ?:
	      lw_pprof__add_comment(p, comment);
	if (!err && r->alloc.sample_bytes) {
		const struct lw_pprof_type space = { "space", "bytes" };

		err = lw_pprof__set_period(p, &space,
					   (int64_t)r->alloc.sample_bytes) ?:
		      lw_pprof__add_comment(p, "sampled: values are estimates");
	}
	if (!err)
		err = add_alloc_sites(p, &r->alloc) ?: add_go_heap_sites(p, r->go);
	if (!err)
		err = lw_pprof__write_file(p, path);
	lw_pprof__free(p);
	if (!err && r->go && r->go->goroutines_ok)
		err = goroutine_path(path, gpath, sizeof(gpath)) ?:
		      write_goroutines(r, gpath, start_ns);
	return err;
}
