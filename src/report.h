/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Report renderers over one struct lw_report: the terminal text report and
 * the JSON document (json-c).  Pure: no libbpf, no /proc.
 */
#ifndef LW_REPORT_H
#define LW_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "render.h"

struct json_object;
struct lw_pprof_label;

struct lw_text_opts {
	bool color; /* ANSI colours (caller decides: TTY and no NO_COLOR) */
	unsigned max_sites; /* sites printed in full; 0 = 10 */
	unsigned max_frames; /* frames per stack; 0 = 8 */
	bool verbose; /* all sites, all frames, drop breakdown */
};

/* Text report to f.  0 or -errno (write error). */
int lw_report__write_text(const struct lw_report *r, FILE *f,
			  const struct lw_text_opts *opts);

/* The JSON document (schema in docs/json-schema.md).  NULL on ENOMEM.
 * Caller puts it with json_object_put(). */
struct json_object *lw_report__to_json(const struct lw_report *r);

/* Pretty-printed JSON plus a newline to f.  0 or -errno. */
int lw_report__write_json(const struct lw_report *r, FILE *f);

/*
 * The outstanding allocations as a gzip pprof heap profile (inuse_objects,
 * inuse_space) at path.  0 or -errno.  (report_pprof.c)
 */
int lw_report__write_pprof(const struct lw_report *r, const char *path);

/*
 * The same profiles in memory (the daemon serves them): the heap profile,
 * or with goroutines the goroutine profile (-ENOENT when the report has
 * none); extra labels (at most 4) are added to every sample.  *gz is
 * malloc'ed gzip data.  0 or -errno.  (report_pprof.c)
 */
int lw_report__pprof_gz(const struct lw_report *r, bool goroutines,
			const struct lw_pprof_label *extra, unsigned nr_extra,
			uint8_t **gz, size_t *len);

/*
 * The report as one self-contained HTML page at path (written beside and
 * renamed): verdict table, flame graph and charts as static HTML/SVG, a
 * small inline script for zoom and hover.  0 or -errno.  (report_html.c)
 */
int lw_report__write_html(const struct lw_report *r, const char *path);

#endif /* LW_REPORT_H */
