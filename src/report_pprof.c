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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "go/goreport.h"
#include "pprof.h"
#include "report.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_EXTRA 4 /* labels the caller adds to every sample */

/* Labels every sample carries (the daemon's pid, comm, container). */
struct extra {
	const struct lw_pprof_label *l;
	unsigned nr;
};

/* A sample with its own labels followed by the extra ones. */
static int add_sample(struct lw_pprof *p, const struct extra *x,
		      const struct lw_frame *frames, const uint64_t *ips,
		      unsigned nr_frames, const int64_t *values,
		      const struct lw_pprof_label *labels, unsigned nr_labels)
{
	struct lw_pprof_label all[8];
	unsigned i, n = 0;

	for (i = 0; i < nr_labels && n < ARRAY_LEN(all); i++)
		all[n++] = labels[i];
	for (i = 0; x && i < x->nr && n < ARRAY_LEN(all); i++)
		all[n++] = x->l[i];
	return lw_pprof__add_sample(p, frames, ips, nr_frames, values, all, n);
}

static const struct lw_pprof_type heap_types[] = {
	{ "inuse_objects", "count" },
	{ "inuse_space", "bytes" },
};

static int add_alloc_sites(struct lw_pprof *p, const struct extra *x,
			   const struct lw_alloc_report *a)
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

		err = add_sample(p, x, s->frames, s->ips, s->nr_ips, values,
				 labels, 3);
		if (err)
			return err;
	}
	return 0;
}

/* The Go runtime's own heap profile: already scaled like pprof does. */
static int add_go_heap_sites(struct lw_pprof *p, const struct extra *x,
			     const struct lw_go_report *g)
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
		err = add_sample(p, x, s->frames + skip, NULL,
				 s->nr_frames - skip, values, labels, 2);
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
static int goroutine_profile(const struct lw_report *r, const struct extra *x,
			     int64_t start_ns, struct lw_pprof **ret)
{
	static const struct lw_pprof_type type = { "goroutine", "count" };
	const struct lw_go_report *g = r->go;
	struct lw_pprof *p;
	size_t i;
	int err = 0;

	*ret = NULL;
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

		err = add_sample(p, x, s->frames, NULL, s->nr_frames, &live,
				 labels, labels[2].str ? 3 : 2);
	}
	if (err) {
		lw_pprof__free(p);
		return err;
	}
	*ret = p;
	return 0;
}

static int64_t start_time_ns(const struct lw_report *r)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (now.tv_sec - (int64_t)r->duration_s) * 1000000000ll +
	       now.tv_nsec;
}

static int heap_profile(const struct lw_report *r, const struct extra *x,
			int64_t start_ns, struct lw_pprof **ret)
{
	struct lw_pprof *p;
	char comment[96];
	int err;

	*ret = NULL;
	p = lw_pprof__new(heap_types, 2);
	if (!p)
		return -ENOMEM;
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
		err = add_alloc_sites(p, x, &r->alloc) ?:
		      add_go_heap_sites(p, x, r->go);
	if (err) {
		lw_pprof__free(p);
		return err;
	}
	*ret = p;
	return 0;
}

int lw_report__write_pprof(const struct lw_report *r, const char *path)
{
	struct lw_pprof *p;
	char gpath[PATH_MAX];
	int64_t start_ns = start_time_ns(r);
	int err;

	err = heap_profile(r, NULL, start_ns, &p);
	if (!err)
		err = lw_pprof__write_file(p, path);
	lw_pprof__free(p);
	if (!err && r->go && r->go->goroutines_ok) {
		err = goroutine_path(path, gpath, sizeof(gpath)) ?:
		      goroutine_profile(r, NULL, start_ns, &p);
		if (!err)
			err = lw_pprof__write_file(p, gpath);
		lw_pprof__free(p);
	}
	return err;
}

int lw_report__pprof_gz(const struct lw_report *r, bool goroutines,
			const struct lw_pprof_label *extra, unsigned nr_extra,
			uint8_t **gz, size_t *len)
{
	struct extra x = { extra, nr_extra < MAX_EXTRA ? nr_extra : MAX_EXTRA };
	struct lw_pprof *p = NULL;
	int err;

	*gz = NULL;
	*len = 0;
	if (goroutines && !(r->go && r->go->goroutines_ok))
		return -ENOENT;
	err = goroutines ? goroutine_profile(r, &x, start_time_ns(r), &p)
			 : heap_profile(r, &x, start_time_ns(r), &p);
	if (!err)
		err = lw_pprof__gzip(p, gz, len);
	lw_pprof__free(p);
	return err;
}
