/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Report renderers over one struct lw_report: the JSON document (json-c,
 * schema in docs/json-schema.md) and the terminal text report (layout in
 * docs/report-format.md).  Pairs with report.h.
 */
#define _GNU_SOURCE /* sigabbrev_np() */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "go/goreport.h"
#include "render.h"
#include "report.h"
#include "report_sockets.h"
#include "report_threads.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define LW_JSON_VERSION 1
#define DEFAULT_MAX_SITES 10
#define DEFAULT_MAX_FRAMES 8

/*
 * The address of frame i of a site: the symbolized frame keeps the
 * captured address too, so either array will do.
 */
static uint64_t site_ip(const struct lw_site_report *s, unsigned i)
{
	return s->frames ? s->frames[i].addr : s->ips[i];
}

/* Frames a site can show: none when neither array is there. */
static unsigned site_nr_frames(const struct lw_site_report *s)
{
	return s->frames || s->ips ? s->nr_ips : 0;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static int site_to_json(struct json_object *sites,
			const struct lw_site_report *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *series;
	unsigned nr = site_nr_frames(s);
	size_t k;

	if (lw_json_push(sites, o) ||
	    lw_json_add_str(o, "verdict", lw_verdict_name(s->verdict)) ||
	    lw_json_add_str(o, "kind", lw_alloc_kind_name(s->kind)) ||
	    lw_json_add_u64(o, "live_count", s->live_count) ||
	    lw_json_add_u64(o, "live_bytes", s->live_bytes) ||
	    lw_json_add_u64(o, "sampled_live_count", s->sampled_live_count) ||
	    lw_json_add_u64(o, "total_allocs", s->total_allocs) ||
	    lw_json_add_u64(o, "total_frees", s->total_frees) ||
	    lw_json_add_u64(o, "total_bytes", s->total_bytes) ||
	    lw_json_add_double(o, "growth_bytes_per_s", s->growth_bytes_per_s) ||
	    lw_json_add_double(o, "growth_count_per_s", s->growth_count_per_s) ||
	    lw_json_add_double(o, "oldest_age_s", s->oldest_age_s) ||
	    lw_json_add_u64(o, "segments", s->segments) ||
	    lw_json_add_u64(o, "segments_with_survivors", s->segments_with_survivors) ||
	    (s->stack_id ? lw_json_add_hex(o, "stack_id", s->stack_id) :
			   lw_json_add(o, "stack_id", NULL)) ||
	    lw_json_add_bool(o, "stack_truncated", s->stack_truncated) ||
	    lw_json_add_bool(o, "symbolized", s->frames != NULL) ||
	    lw_json_add_stack(o, "stack", s->ips, s->frames, nr))
		return -ENOMEM;

	if (lw_json_add_child(o, "series", json_object_new_array(), &series))
		return -ENOMEM;
	for (k = 0; s->series && k < s->nr_series; k++)
		if (lw_json_push_point(series, &s->series[k]))
			return -ENOMEM;
	return 0;
}

static int alloc_to_json(struct json_object *parent,
			 const struct lw_alloc_report *a, bool probed)
{
	struct json_object *o, *drops, *window, *verdicts, *sites, *sampling;
	uint64_t nr_verdict[3] = { 0 };
	size_t i;

	for (i = 0; i < a->nr_sites; i++)
		if ((unsigned)a->sites[i].verdict < ARRAY_SIZE(nr_verdict))
			nr_verdict[a->sites[i].verdict]++;

	if (lw_json_add_child(parent, "allocations", json_object_new_object(), &o) ||
	    lw_json_add_bool(o, "probed", probed) ||
	    (a->sample_bytes ?
		     lw_json_add_child(o, "sampling", json_object_new_object(),
			       &sampling) ||
			     lw_json_add_u64(sampling, "mean_bytes", a->sample_bytes) ||
			     lw_json_add_bool(sampling, "estimates", true) :
		     lw_json_add(o, "sampling", NULL)) ||
	    lw_json_add_u64(o, "live_bytes", a->live_bytes) ||
	    lw_json_add_u64(o, "live_count", a->live_count) ||
	    lw_json_add_u64(o, "total_allocs", a->total_allocs) ||
	    lw_json_add_u64(o, "total_frees", a->total_frees) ||
	    lw_json_add_u64(o, "unknown_frees", a->unknown_frees) ||
	    lw_json_add_u64(o, "dropped_events", a->dropped_events) ||
	    lw_json_add_child(o, "drops", json_object_new_object(), &drops) ||
	    lw_json_add_u64(drops, "ringbuf_full", a->drops.ringbuf_full) ||
	    lw_json_add_u64(drops, "stack_failed", a->drops.stack_failed) ||
	    lw_json_add_u64(drops, "stack_rec_lost", a->drops.stack_rec_lost) ||
	    lw_json_add_u64(drops, "inflight_failed", a->drops.inflight_failed) ||
	    lw_json_add_u64(drops, "free_lost", a->drops.free_lost) ||
	    lw_json_add_u64(drops, "sampled_lost", a->drops.sampled_lost) ||
	    lw_json_add_child(o, "window", json_object_new_object(), &window) ||
	    lw_json_add_double(window, "start_s", a->window_start_s) ||
	    lw_json_add_double(window, "end_s", a->window_end_s) ||
	    lw_json_add_child(o, "verdicts", json_object_new_object(), &verdicts) ||
	    lw_json_add_u64(verdicts, "leak", nr_verdict[LW_VERDICT_LEAK]) ||
	    lw_json_add_u64(verdicts, "growing", nr_verdict[LW_VERDICT_GROWING]) ||
	    lw_json_add_u64(verdicts, "stable", nr_verdict[LW_VERDICT_STABLE]) ||
	    lw_json_add_child(o, "sites", json_object_new_array(), &sites))
		return -ENOMEM;

	for (i = 0; i < a->nr_sites; i++)
		if (site_to_json(sites, &a->sites[i]))
			return -ENOMEM;
	return 0;
}

/* exit_code and exit_signal are there only for an exited target. */
static int target_to_json(struct json_object *parent, const struct lw_report *r)
{
	const struct lw_target_info *ti = &r->target;
	struct json_object *o;

	if (lw_json_add_child(parent, "target", json_object_new_object(), &o) ||
	    lw_json_add_int(o, "pid", ti->pid) ||
	    lw_json_add_strn(o, "comm", ti->comm, sizeof(ti->comm)) ||
	    lw_json_add_strn(o, "exe", ti->exe, sizeof(ti->exe)) ||
	    lw_json_add_bool(o, "exited", r->target_exited))
		return -ENOMEM;
	if (!r->target_exited)
		return 0;
	if (r->exit_signal > 0)
		return lw_json_add(o, "exit_code", NULL) ?:
		       lw_json_add_int(o, "exit_signal", r->exit_signal);
	return lw_json_add_int(o, "exit_code", r->exit_code) ?:
	       lw_json_add(o, "exit_signal", NULL);
}

struct json_object *lw_report__to_json(const struct lw_report *r)
{
	struct json_object *root;

	if (!r) {
		errno = EINVAL;
		return NULL;
	}
	root = json_object_new_object();
	if (!root)
		goto err_out;
	if (lw_json_add_int(root, "version", r->version ?: LW_JSON_VERSION) ||
	    lw_json_add_str(root, "mode", r->mode) || target_to_json(root, r) ||
	    lw_json_add_double(root, "duration_s", r->duration_s) ||
	    lw_json_add_bool(root, "interrupted", r->interrupted) ||
	    lw_json_add_bool(root, "final", r->final) ||
	    alloc_to_json(root, &r->alloc, !r->alloc_unprobed) ||
	    lw_go_report__to_json(root, r->go) ||
	    lw_thread_report__to_json(root, r->threads) ||
	    lw_sockets__to_json(root, r->sockets))
		goto err_out;
	return root;

err_out:
	json_object_put(root); /* NULL-safe; frees every child added so far */
	errno = ENOMEM;
	return NULL;
}

/* Paths are the bulk of the document: keep "/usr/bin", not "\/usr\/bin". */
#define JSON_FLAGS                                                             \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |                   \
	 JSON_C_TO_STRING_NOSLASHESCAPE)

int lw_report__write_json(const struct lw_report *r, FILE *f)
{
	struct json_object *root;
	const char *s;
	int err = 0;

	if (!f)
		return -EINVAL;
	root = lw_report__to_json(r);
	if (!root)
		return -errno;
	s = json_object_to_json_string_ext(root, JSON_FLAGS);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	errno = 0;
	if (fputs(s, f) == EOF || fputc('\n', f) == EOF || fflush(f) == EOF)
		err = errno ? -errno : -EIO;
out:
	json_object_put(root);
	return err;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/*
 * What the site is called in the table and in its detail heading: the
 * first frame with a function, "func (file.c:42)" or "func (module)";
 * without any function "module+0xoff"; else the raw address.
 */
static void site_label(const struct lw_site_report *s, char *buf, size_t len)
{
	unsigned i, nr = site_nr_frames(s);
	const struct lw_frame *fr;

	if (!nr) {
		snprintf(buf, len, "(stack unknown)");
		return;
	}
	for (i = 0; s->frames && i < nr; i++) {
		fr = &s->frames[i];
		if (!fr->function)
			continue;
		if (fr->file && fr->line > 0)
			snprintf(buf, len, "%s (%s:%d)", fr->function,
				 lw_base_name(fr->file), fr->line);
		else if (fr->file)
			snprintf(buf, len, "%s (%s)", fr->function,
				 lw_base_name(fr->file));
		else if (fr->module)
			snprintf(buf, len, "%s (%s)", fr->function,
				 lw_base_name(fr->module));
		else
			snprintf(buf, len, "%s", fr->function);
		return;
	}
	for (i = 0; s->frames && i < nr; i++) {
		fr = &s->frames[i];
		if (!fr->module)
			continue;
		snprintf(buf, len, "%s+0x%" PRIx64, lw_base_name(fr->module),
			 fr->module_offset);
		return;
	}
	snprintf(buf, len, "0x%" PRIx64, site_ip(s, 0));
}

static void print_header(const struct lw_text *t, const struct lw_report *r)
{
	char d[LW_NUMBUF];

	fprintf(t->f, "%sleakwatch%s%s: PID %d", lw_col(t, LW_C_BOLD),
		r->mode ? " " : "", r->mode ? r->mode : "", r->target.pid);
	if (r->target.comm[0])
		fprintf(t->f, " (%.*s)", (int)sizeof(r->target.comm),
			r->target.comm);
	if (r->target.exe[0])
		fprintf(t->f, " %.*s", (int)sizeof(r->target.exe),
			r->target.exe);
	fprintf(t->f, ", traced %s%s%s\n",
		lw_fmt_duration(r->duration_s, d, sizeof(d)),
		r->final ? "" : " (interim report)", lw_col(t, LW_C_RESET));

	if (r->target_exited) {
		fprintf(t->f, "target exited after %s (", d);
		if (r->exit_signal > 0) {
			const char *abbrev = sigabbrev_np(r->exit_signal);

			if (abbrev)
				fprintf(t->f, "killed by SIG%s)\n", abbrev);
			else
				fprintf(t->f, "killed by signal %d)\n",
					r->exit_signal);
		} else {
			fprintf(t->f, "exit code %d)\n", r->exit_code);
		}
	}
	if (r->interrupted)
		fprintf(t->f, "interrupted after %s\n", d);
}

/* Lists the non-zero drop counters after a warning prefix. */
static void print_drops(const struct lw_text *t, const struct lw_alloc_report *a)
{
	const struct {
		const char *what;
		uint64_t n;
	} parts[] = {
		{ "ring buffer full", a->drops.ringbuf_full },
		{ "stack capture failed", a->drops.stack_failed },
		{ "stack record lost", a->drops.stack_rec_lost },
		{ "no in-flight slot", a->drops.inflight_failed },
		{ "sample set full", a->drops.sampled_lost },
	};
	char n[LW_NUMBUF];
	const char *sep = " (";
	size_t i;

	if (!a->dropped_events) {
		if (t->verbose)
			fprintf(t->f, "no events dropped\n");
		return;
	}
	fprintf(t->f, "%sWARNING: %s events dropped", lw_col(t, LW_C_WARN),
		lw_fmt_count(a->dropped_events, n, sizeof(n)));
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		if (!parts[i].n)
			continue;
		fprintf(t->f, "%s%s: %s", sep, parts[i].what,
			lw_fmt_count(parts[i].n, n, sizeof(n)));
		sep = ", ";
	}
	fprintf(t->f, "%s: figures may undercount", *sep == ',' ? ")" : "");
	/* A lost free leaves its block live forever: it looks like a leak. */
	if (a->drops.free_lost)
		fprintf(t->f, "; %s lost frees can make freed blocks look live",
			lw_fmt_count(a->drops.free_lost, n, sizeof(n)));
	fprintf(t->f, "%s\n", lw_col(t, LW_C_RESET));
}

static void print_summary(const struct lw_text *t, const struct lw_report *r)
{
	const struct lw_alloc_report *a = &r->alloc;
	char n1[LW_NUMBUF], n2[LW_NUMBUF], n3[LW_NUMBUF], b[LW_NUMBUF];
	char d1[LW_NUMBUF], d2[LW_NUMBUF];
	size_t nr[3] = { 0 }, i;

	for (i = 0; i < a->nr_sites; i++)
		if ((unsigned)a->sites[i].verdict < ARRAY_SIZE(nr))
			nr[a->sites[i].verdict]++;

	fprintf(t->f, "\nallocations: %s allocs, %s frees",
		lw_fmt_count(a->total_allocs, n1, sizeof(n1)),
		lw_fmt_count(a->total_frees, n2, sizeof(n2)));
	if (t->verbose && a->unknown_frees)
		fprintf(t->f, " (%s of blocks allocated before tracing)",
			lw_fmt_count(a->unknown_frees, n3, sizeof(n3)));
	fprintf(t->f, "; live: %s blocks, %s in %zu site%s\n",
		lw_fmt_count(a->live_count, n1, sizeof(n1)),
		lw_fmt_bytes((double)a->live_bytes, b, sizeof(b)), a->nr_sites,
		a->nr_sites == 1 ? "" : "s");
	fprintf(t->f, "verdicts: %s%zu leak%s%s, %s%zu growing%s, %zu stable",
		nr[LW_VERDICT_LEAK] ? lw_col(t, LW_C_LEAK) : "", nr[LW_VERDICT_LEAK],
		nr[LW_VERDICT_LEAK] == 1 ? "" : "s",
		nr[LW_VERDICT_LEAK] ? lw_col(t, LW_C_RESET) : "",
		nr[LW_VERDICT_GROWING] ? lw_col(t, LW_C_GROWING) : "",
		nr[LW_VERDICT_GROWING],
		nr[LW_VERDICT_GROWING] ? lw_col(t, LW_C_RESET) : "",
		nr[LW_VERDICT_STABLE]);
	fprintf(t->f, " (analysis window %s to %s)\n",
		lw_fmt_duration(a->window_start_s, d1, sizeof(d1)),
		lw_fmt_duration(a->window_end_s, d2, sizeof(d2)));
	if (a->sample_bytes)
		fprintf(t->f,
			"sampled: one allocation per %s on average; blocks and bytes are estimates, allocs/frees count samples\n",
			lw_fmt_bytes((double)a->sample_bytes, b, sizeof(b)));
}

/* The cells of one table row, formatted once to size the columns. */
struct row {
	char growth[LW_NUMBUF];
	char blocks[LW_NUMBUF];
	char bytes[LW_NUMBUF];
	char oldest[LW_NUMBUF];
	char site[512];
};

enum { COL_VERDICT, COL_GROWTH, COL_BLOCKS, COL_BYTES, COL_OLDEST, NR_COLS };

static void fill_row(const struct lw_site_report *s, struct row *row)
{
	lw_fmt_growth(s->growth_bytes_per_s, row->growth, sizeof(row->growth));
	lw_fmt_count(s->live_count, row->blocks, sizeof(row->blocks));
	lw_fmt_bytes((double)s->live_bytes, row->bytes, sizeof(row->bytes));
	lw_fmt_duration(s->oldest_age_s, row->oldest, sizeof(row->oldest));
	site_label(s, row->site, sizeof(row->site));
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Whether the table shows site i: caps apply per verdict class. */
static bool row_shown(const struct lw_text *t, const struct lw_site_report *s,
		      size_t *nr_unstable, size_t *nr_stable)
{
	size_t *seen = s->verdict == LW_VERDICT_STABLE ? nr_stable :
							  nr_unstable;

	return t->verbose || (*seen)++ < t->max_sites;
}

static void print_table(const struct lw_text *t, const struct lw_alloc_report *a)
{
	static const char *const heads[NR_COLS] = {
		"VERDICT", "GROWTH/s", "BLOCKS", "BYTES", "OLDEST",
	};
	uint64_t hidden_bytes[2] = { 0 };
	size_t hidden[2] = { 0 };
	size_t i, nu = 0, ns = 0;
	int w[NR_COLS];
	struct row row;
	char b[LW_NUMBUF];

	for (i = 0; i < NR_COLS; i++)
		w[i] = (int)strlen(heads[i]);
	for (i = 0; i < a->nr_sites; i++) {
		const struct lw_site_report *s = &a->sites[i];

		if (!row_shown(t, s, &nu, &ns))
			continue;
		fill_row(s, &row);
		w[COL_GROWTH] = max_int(w[COL_GROWTH], (int)strlen(row.growth));
		w[COL_BLOCKS] = max_int(w[COL_BLOCKS], (int)strlen(row.blocks));
		w[COL_BYTES] = max_int(w[COL_BYTES], (int)strlen(row.bytes));
		w[COL_OLDEST] = max_int(w[COL_OLDEST], (int)strlen(row.oldest));
	}

	fprintf(t->f, "\n%s%-*s  %*s  %*s  %*s  %*s  SITE%s\n", lw_col(t, LW_C_BOLD),
		w[COL_VERDICT], heads[COL_VERDICT], w[COL_GROWTH],
		heads[COL_GROWTH], w[COL_BLOCKS], heads[COL_BLOCKS],
		w[COL_BYTES], heads[COL_BYTES], w[COL_OLDEST],
		heads[COL_OLDEST], lw_col(t, LW_C_RESET));

	nu = ns = 0;
	for (i = 0; i < a->nr_sites; i++) {
		const struct lw_site_report *s = &a->sites[i];
		bool stable = s->verdict == LW_VERDICT_STABLE;

		if (!row_shown(t, s, &nu, &ns)) {
			hidden[stable]++;
			hidden_bytes[stable] += s->live_bytes;
			continue;
		}
		fill_row(s, &row);
		/* Pad outside the colour codes so that columns line up. */
		fprintf(t->f, "%s%-*s%s  %*s  %*s  %*s  %*s  %s\n",
			lw_col(t, lw_verdict_color(s->verdict)), w[COL_VERDICT],
			lw_verdict_upper(s->verdict), lw_col(t, LW_C_RESET),
			w[COL_GROWTH], row.growth, w[COL_BLOCKS], row.blocks,
			w[COL_BYTES], row.bytes, w[COL_OLDEST], row.oldest,
			row.site);
	}
	if (hidden[0])
		fprintf(t->f, "... and %zu more leaking or growing site%s "
			      "holding %s\n",
			hidden[0], hidden[0] == 1 ? "" : "s",
			lw_fmt_bytes((double)hidden_bytes[0], b, sizeof(b)));
	if (hidden[1])
		fprintf(t->f, "%s... and %zu more stable site%s holding %s%s\n",
			lw_col(t, LW_C_DIM), hidden[1], hidden[1] == 1 ? "" : "s",
			lw_fmt_bytes((double)hidden_bytes[1], b, sizeof(b)),
			lw_col(t, LW_C_RESET));
}

static void print_site(const struct lw_text *t, const struct lw_site_report *s,
		       size_t idx)
{
	char n1[LW_NUMBUF], n2[LW_NUMBUF], b1[LW_NUMBUF], b2[LW_NUMBUF];
	const char *kind = lw_alloc_kind_name(s->kind);
	char label[512];

	site_label(s, label, sizeof(label));
	fprintf(t->f, "\n%s#%zu %s%s  %s\n", lw_col(t, lw_verdict_color(s->verdict)),
		idx, lw_verdict_upper(s->verdict), lw_col(t, LW_C_RESET), label);
	fprintf(t->f, "    live: %s block%s, %s (%s bytes) from %s\n",
		lw_fmt_count(s->live_count, n1, sizeof(n1)), lw_plural(s->live_count),
		lw_fmt_bytes((double)s->live_bytes, b1, sizeof(b1)),
		lw_fmt_count(s->live_bytes, n2, sizeof(n2)),
		strcmp(kind, "?") ? kind : "an unknown allocator");
	fprintf(t->f, "    growth: %s/s, %+.1f blocks/s; oldest block %s old\n",
		lw_fmt_growth(s->growth_bytes_per_s, b1, sizeof(b1)),
		lw_shown_rate(s->growth_count_per_s, 1),
		lw_fmt_duration(s->oldest_age_s, b2, sizeof(b2)));
	fprintf(t->f, "    since start: %s alloc%s (%s), %s free%s",
		lw_fmt_count(s->total_allocs, n1, sizeof(n1)),
		lw_plural(s->total_allocs),
		lw_fmt_bytes((double)s->total_bytes, b1, sizeof(b1)),
		lw_fmt_count(s->total_frees, n2, sizeof(n2)),
		lw_plural(s->total_frees));
	/* The verdict's evidence: which parts of the window left survivors. */
	if (s->segments)
		fprintf(t->f, "; survivors in %u of %u window segments",
			s->segments_with_survivors, s->segments);
	fputc('\n', t->f);
	lw_print_stack(t, "stack", s->ips, s->frames, site_nr_frames(s),
		       s->stack_id, s->stack_truncated);
}

/*
 * Leaking and growing sites in full, in the sites order (biggest first);
 * verbose shows the stable ones too.
 */
static void print_details(const struct lw_text *t,
			  const struct lw_alloc_report *a)
{
	size_t i, shown = 0;

	for (i = 0; i < a->nr_sites; i++) {
		const struct lw_site_report *s = &a->sites[i];

		if (s->verdict == LW_VERDICT_STABLE && !t->verbose)
			continue;
		if (!t->verbose && shown >= t->max_sites)
			break;
		print_site(t, s, ++shown);
	}
}

int lw_report__write_text(const struct lw_report *r, FILE *f,
			  const struct lw_text_opts *opts)
{
	struct lw_text t = {
		.f = f,
		.max_sites = DEFAULT_MAX_SITES,
		.max_frames = DEFAULT_MAX_FRAMES,
	};

	if (!r || !f)
		return -EINVAL;
	if (opts) {
		t.color = opts->color;
		t.verbose = opts->verbose;
		if (opts->max_sites)
			t.max_sites = opts->max_sites;
		if (opts->max_frames)
			t.max_frames = opts->max_frames;
	}

	/* Only write errors may set errno from here on; see the end. */
	errno = 0;
	print_header(&t, r);
	if (r->alloc_unprobed) {
		/* A pure Go binary: the Go sections below say it all. */
		fprintf(f, "\nallocations: not probed (no allocator functions in this binary)\n");
	} else {
		print_drops(&t, &r->alloc);
		print_summary(&t, r);
		if (r->alloc.nr_sites) {
			print_table(&t, &r->alloc);
			print_details(&t, &r->alloc);
		} else {
			fprintf(f, "\nno outstanding allocations from the "
				   "traced window\n");
		}
	}
	lw_go_report__print(&t, r->go);
	if (r->threads)
		lw_thread_report__print(&t, r->threads);
	lw_sockets__write_text(&t, r->sockets);

	/*
	 * Each fprintf() could fail; the stream's error flag remembers it, so
	 * one check after the flush covers them all.
	 */
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
