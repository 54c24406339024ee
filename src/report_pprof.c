/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * --pprof: the report's outstanding allocations as a pprof heap profile
 * (inuse_objects/count, inuse_space/bytes), one sample per site with the
 * verdict and allocator as labels.  `go tool pprof FILE` opens it.
 */
#include <errno.h>
#include <time.h>

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
		};
		int64_t values[2] = { (int64_t)s->live_count,
				      (int64_t)s->live_bytes };

		err = lw_pprof__add_sample(p, s->frames, s->ips, s->nr_ips,
					   values, labels, 2);
		if (err)
			return err;
	}
	return 0;
}

int lw_report__write_pprof(const struct lw_report *r, const char *path)
{
	struct lw_pprof *p;
	struct timespec now;
	char comment[96];
	int err;

	p = lw_pprof__new(heap_types, 2);
	if (!p)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &now);
	lw_pprof__set_time(p, (now.tv_sec - (int64_t)r->duration_s) *
				      1000000000ll + now.tv_nsec,
			   (int64_t)(r->duration_s * 1e9));
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
		err = add_alloc_sites(p, &r->alloc);
	if (!err)
		err = lw_pprof__write_file(p, path);
	lw_pprof__free(p);
	return err;
}
