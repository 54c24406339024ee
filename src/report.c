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

#include "report.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define LW_JSON_VERSION 1
#define DEFAULT_MAX_SITES 10
#define DEFAULT_MAX_FRAMES 8

/* Room for "18,446,744,073,709,551,615" and for any lw_fmt_bytes() result. */
#define NUMBUF 32

/*
 * NaN and the infinities have no JSON spelling and mean nothing to a
 * reader of the text report either; -0.0 would print as "-0".  All become 0.
 */
static double finite_or_zero(double d)
{
	if (!isfinite(d) || d == 0)
		return 0;
	return d;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

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

/*
 * Adds v under key; the object takes the reference.  A NULL v is stored as
 * JSON null, so callers that construct v use obj_add_new() instead, which
 * tells a failed constructor from a null.
 */
static int obj_add(struct json_object *o, const char *key,
		   struct json_object *v)
{
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int obj_add_new(struct json_object *o, const char *key,
		       struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	return obj_add(o, key, v);
}

static int arr_add_new(struct json_object *a, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(a, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *new_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

/*
 * json-c prints doubles with "%.17g", which turns 0.1 into
 * 0.10000000000000001.  Print the shorter %.15g when it reads back as the
 * same double, so values stay exact and readable, and keep a '.' or an
 * exponent so that every reader types the value as a number with a
 * fraction even when it is integral (30 -> 30.0).
 */
static struct json_object *new_double(double d)
{
	char buf[40], *comma;

	d = finite_or_zero(d);
	snprintf(buf, sizeof(buf), "%.15g", d);
	if (strtod(buf, NULL) != d)
		snprintf(buf, sizeof(buf), "%.17g", d);
	/*
	 * printf() follows LC_NUMERIC; a caller that set a locale with a
	 * decimal comma must still get valid JSON.
	 */
	comma = strchr(buf, ',');
	if (comma)
		*comma = '.';
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0"); /* %.17g needs at most 24 of the 40 bytes */
	return json_object_new_double_s(d, buf);
}

/* Unknown (NULL or empty) strings are JSON null. */
static int add_str(struct json_object *o, const char *key, const char *s)
{
	if (!s || !*s)
		return obj_add(o, key, NULL);
	return obj_add_new(o, key, json_object_new_string(s));
}

/* A fixed-size field that may fill its array without a NUL. */
static int add_strn(struct json_object *o, const char *key, const char *s,
		    size_t size)
{
	size_t n = strnlen(s, size);

	if (!n)
		return obj_add(o, key, NULL);
	return obj_add_new(o, key, json_object_new_string_len(s, (int)n));
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return obj_add_new(o, key, json_object_new_uint64(v));
}

static int add_int(struct json_object *o, const char *key, int v)
{
	return obj_add_new(o, key, json_object_new_int(v));
}

static int add_bool(struct json_object *o, const char *key, bool v)
{
	return obj_add_new(o, key, json_object_new_boolean(v));
}

static int add_double(struct json_object *o, const char *key, double v)
{
	return obj_add_new(o, key, new_double(v));
}

static int add_hex(struct json_object *o, const char *key, uint64_t v)
{
	return obj_add_new(o, key, new_hex(v));
}

/*
 * Adds an empty object or array under key and returns it in *ret; the
 * parent owns it from then on, so a later failure needs no extra cleanup.
 */
static int add_child(struct json_object *o, const char *key,
		     struct json_object *child, struct json_object **ret)
{
	*ret = child;
	return obj_add_new(o, key, child);
}

/* One frame; fr NULL for an unsymbolized stack (address only). */
static int frame_to_json(struct json_object *stack, uint64_t ip,
			 const struct lw_frame *fr)
{
	struct json_object *o = json_object_new_object();

	if (arr_add_new(stack, o) || add_hex(o, "address", ip))
		return -ENOMEM;
	if (!fr)
		return 0;
	if (add_str(o, "function", fr->function) ||
	    add_str(o, "module", fr->module) ||
	    (fr->module ? add_hex(o, "offset", fr->module_offset) :
			  obj_add(o, "offset", NULL)) ||
	    add_str(o, "file", fr->file) ||
	    (fr->line > 0 ? add_int(o, "line", fr->line) :
			    obj_add(o, "line", NULL)))
		return -ENOMEM;
	return 0;
}

static int point_to_json(struct json_object *series, const struct lw_point *p)
{
	struct json_object *a = json_object_new_array_ext(3);

	if (arr_add_new(series, a) || arr_add_new(a, new_double(p->t_s)) ||
	    arr_add_new(a, json_object_new_uint64(p->bytes)) ||
	    arr_add_new(a, json_object_new_uint64(p->count)))
		return -ENOMEM;
	return 0;
}

static int site_to_json(struct json_object *sites,
			const struct lw_site_report *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *stack, *series;
	unsigned i, nr = site_nr_frames(s);
	size_t k;

	if (arr_add_new(sites, o) ||
	    add_str(o, "verdict", lw_verdict_name(s->verdict)) ||
	    add_str(o, "kind", lw_alloc_kind_name(s->kind)) ||
	    add_u64(o, "live_count", s->live_count) ||
	    add_u64(o, "live_bytes", s->live_bytes) ||
	    add_u64(o, "sampled_live_count", s->sampled_live_count) ||
	    add_u64(o, "total_allocs", s->total_allocs) ||
	    add_u64(o, "total_frees", s->total_frees) ||
	    add_u64(o, "total_bytes", s->total_bytes) ||
	    add_double(o, "growth_bytes_per_s", s->growth_bytes_per_s) ||
	    add_double(o, "growth_count_per_s", s->growth_count_per_s) ||
	    add_double(o, "oldest_age_s", s->oldest_age_s) ||
	    add_u64(o, "segments", s->segments) ||
	    add_u64(o, "segments_with_survivors", s->segments_with_survivors) ||
	    (s->stack_id ? add_hex(o, "stack_id", s->stack_id) :
			   obj_add(o, "stack_id", NULL)) ||
	    add_bool(o, "stack_truncated", s->stack_truncated) ||
	    add_bool(o, "symbolized", s->frames != NULL) ||
	    add_child(o, "stack", json_object_new_array_ext(nr ? (int)nr : 1),
		      &stack))
		return -ENOMEM;

	for (i = 0; i < nr; i++)
		if (frame_to_json(stack, site_ip(s, i),
				  s->frames ? &s->frames[i] : NULL))
			return -ENOMEM;

	if (add_child(o, "series", json_object_new_array(), &series))
		return -ENOMEM;
	for (k = 0; s->series && k < s->nr_series; k++)
		if (point_to_json(series, &s->series[k]))
			return -ENOMEM;
	return 0;
}

static int alloc_to_json(struct json_object *parent,
			 const struct lw_alloc_report *a)
{
	struct json_object *o, *drops, *window, *verdicts, *sites, *sampling;
	uint64_t nr_verdict[3] = { 0 };
	size_t i;

	for (i = 0; i < a->nr_sites; i++)
		if ((unsigned)a->sites[i].verdict < ARRAY_SIZE(nr_verdict))
			nr_verdict[a->sites[i].verdict]++;

	if (add_child(parent, "allocations", json_object_new_object(), &o) ||
	    (a->sample_bytes ?
		     add_child(o, "sampling", json_object_new_object(),
			       &sampling) ||
			     add_u64(sampling, "mean_bytes", a->sample_bytes) ||
			     add_bool(sampling, "estimates", true) :
		     obj_add(o, "sampling", NULL)) ||
	    add_u64(o, "live_bytes", a->live_bytes) ||
	    add_u64(o, "live_count", a->live_count) ||
	    add_u64(o, "total_allocs", a->total_allocs) ||
	    add_u64(o, "total_frees", a->total_frees) ||
	    add_u64(o, "unknown_frees", a->unknown_frees) ||
	    add_u64(o, "dropped_events", a->dropped_events) ||
	    add_child(o, "drops", json_object_new_object(), &drops) ||
	    add_u64(drops, "ringbuf_full", a->drops.ringbuf_full) ||
	    add_u64(drops, "stack_failed", a->drops.stack_failed) ||
	    add_u64(drops, "stack_rec_lost", a->drops.stack_rec_lost) ||
	    add_u64(drops, "inflight_failed", a->drops.inflight_failed) ||
	    add_u64(drops, "free_lost", a->drops.free_lost) ||
	    add_u64(drops, "sampled_lost", a->drops.sampled_lost) ||
	    add_child(o, "window", json_object_new_object(), &window) ||
	    add_double(window, "start_s", a->window_start_s) ||
	    add_double(window, "end_s", a->window_end_s) ||
	    add_child(o, "verdicts", json_object_new_object(), &verdicts) ||
	    add_u64(verdicts, "leak", nr_verdict[LW_VERDICT_LEAK]) ||
	    add_u64(verdicts, "growing", nr_verdict[LW_VERDICT_GROWING]) ||
	    add_u64(verdicts, "stable", nr_verdict[LW_VERDICT_STABLE]) ||
	    add_child(o, "sites", json_object_new_array(), &sites))
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

	if (add_child(parent, "target", json_object_new_object(), &o) ||
	    add_int(o, "pid", ti->pid) ||
	    add_strn(o, "comm", ti->comm, sizeof(ti->comm)) ||
	    add_strn(o, "exe", ti->exe, sizeof(ti->exe)) ||
	    add_bool(o, "exited", r->target_exited))
		return -ENOMEM;
	if (!r->target_exited)
		return 0;
	if (r->exit_signal > 0)
		return obj_add(o, "exit_code", NULL) ?:
		       add_int(o, "exit_signal", r->exit_signal);
	return add_int(o, "exit_code", r->exit_code) ?:
	       obj_add(o, "exit_signal", NULL);
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
	if (add_int(root, "version", r->version ?: LW_JSON_VERSION) ||
	    add_str(root, "mode", r->mode) || target_to_json(root, r) ||
	    add_double(root, "duration_s", r->duration_s) ||
	    add_bool(root, "interrupted", r->interrupted) ||
	    add_bool(root, "final", r->final) ||
	    alloc_to_json(root, &r->alloc))
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

const char *lw_fmt_bytes(double bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	size_t u = 0;
	double v;

	if (!buf || !len)
		return buf;
	bytes = finite_or_zero(bytes);
	/* Round first, so that 1023.7 becomes "1.0 KiB" and not "1024 B". */
	if (fabs(bytes) < 1023.5) {
		if (fabs(bytes) < 0.5)
			bytes = 0; /* no "-0 B" */
		snprintf(buf, len, "%.0f B", bytes);
		return buf;
	}
	v = bytes / 1024;
	while (fabs(v) >= 1023.95 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

/* 1234567 -> "1,234,567".  Not the locale's: reports must compare. */
static const char *fmt_count(uint64_t v, char *buf, size_t len)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
	size_t o = 0;
	int i;

	for (i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* "29.6 s", "41m 3s", "2h 5m", "3d 4h". */
static const char *fmt_duration(double s, char *buf, size_t len)
{
	uint64_t total;

	s = finite_or_zero(s);
	if (s < 0)
		s = 0;
	if (s < 59.95) {
		snprintf(buf, len, "%.1f s", s);
		return buf;
	}
	if (s > 1e15) /* keep the conversion below defined */
		s = 1e15;
	total = (uint64_t)(s + 0.5);
	if (total < 3600)
		snprintf(buf, len, "%" PRIu64 "m %" PRIu64 "s", total / 60,
			 total % 60);
	else if (total < 86400)
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "m", total / 3600,
			 total % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 "h", total / 86400,
			 total % 86400 / 3600);
	return buf;
}

/* A rate in bytes per second with an explicit sign when it is not zero. */
static const char *fmt_growth(double bps, char *buf, size_t len)
{
	char b[NUMBUF - 1]; /* leaves room for the sign in a NUMBUF buf */

	bps = finite_or_zero(bps);
	lw_fmt_bytes(bps, b, sizeof(b));
	snprintf(buf, len, "%s%s", bps >= 0.5 ? "+" : "", b);
	return buf;
}

#define C_RESET "\033[0m"
#define C_LEAK "\033[1;31m"
#define C_GROWING "\033[33m"
#define C_STABLE "\033[32m"
#define C_WARN "\033[1;31m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"

struct text {
	FILE *f;
	bool color;
	bool verbose;
	unsigned max_sites;
	unsigned max_frames;
};

static const char *col(const struct text *t, const char *code)
{
	return t->color ? code : "";
}

static const char *verdict_color(enum lw_verdict v)
{
	switch (v) {
	case LW_VERDICT_LEAK:
		return C_LEAK;
	case LW_VERDICT_GROWING:
		return C_GROWING;
	case LW_VERDICT_STABLE:
		break;
	}
	return C_STABLE;
}

static const char *verdict_upper(enum lw_verdict v)
{
	switch (v) {
	case LW_VERDICT_LEAK:
		return "LEAK";
	case LW_VERDICT_GROWING:
		return "GROWING";
	case LW_VERDICT_STABLE:
		break;
	}
	return "STABLE";
}

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
				 base_name(fr->file), fr->line);
		else if (fr->file)
			snprintf(buf, len, "%s (%s)", fr->function,
				 base_name(fr->file));
		else if (fr->module)
			snprintf(buf, len, "%s (%s)", fr->function,
				 base_name(fr->module));
		else
			snprintf(buf, len, "%s", fr->function);
		return;
	}
	for (i = 0; s->frames && i < nr; i++) {
		fr = &s->frames[i];
		if (!fr->module)
			continue;
		snprintf(buf, len, "%s+0x%" PRIx64, base_name(fr->module),
			 fr->module_offset);
		return;
	}
	snprintf(buf, len, "0x%" PRIx64, site_ip(s, 0));
}

static void print_header(const struct text *t, const struct lw_report *r)
{
	char d[NUMBUF];

	fprintf(t->f, "%sleakwatch%s%s: PID %d", col(t, C_BOLD),
		r->mode ? " " : "", r->mode ? r->mode : "", r->target.pid);
	if (r->target.comm[0])
		fprintf(t->f, " (%.*s)", (int)sizeof(r->target.comm),
			r->target.comm);
	if (r->target.exe[0])
		fprintf(t->f, " %.*s", (int)sizeof(r->target.exe),
			r->target.exe);
	fprintf(t->f, ", traced %s%s%s\n",
		fmt_duration(r->duration_s, d, sizeof(d)),
		r->final ? "" : " (interim report)", col(t, C_RESET));

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
static void print_drops(const struct text *t, const struct lw_alloc_report *a)
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
	char n[NUMBUF];
	const char *sep = " (";
	size_t i;

	if (!a->dropped_events) {
		if (t->verbose)
			fprintf(t->f, "no events dropped\n");
		return;
	}
	fprintf(t->f, "%sWARNING: %s events dropped", col(t, C_WARN),
		fmt_count(a->dropped_events, n, sizeof(n)));
	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		if (!parts[i].n)
			continue;
		fprintf(t->f, "%s%s: %s", sep, parts[i].what,
			fmt_count(parts[i].n, n, sizeof(n)));
		sep = ", ";
	}
	fprintf(t->f, "%s: figures may undercount", *sep == ',' ? ")" : "");
	/* A lost free leaves its block live forever: it looks like a leak. */
	if (a->drops.free_lost)
		fprintf(t->f, "; %s lost frees can make freed blocks look live",
			fmt_count(a->drops.free_lost, n, sizeof(n)));
	fprintf(t->f, "%s\n", col(t, C_RESET));
}

static void print_summary(const struct text *t, const struct lw_report *r)
{
	const struct lw_alloc_report *a = &r->alloc;
	char n1[NUMBUF], n2[NUMBUF], n3[NUMBUF], b[NUMBUF];
	char d1[NUMBUF], d2[NUMBUF];
	size_t nr[3] = { 0 }, i;

	for (i = 0; i < a->nr_sites; i++)
		if ((unsigned)a->sites[i].verdict < ARRAY_SIZE(nr))
			nr[a->sites[i].verdict]++;

	fprintf(t->f, "\nallocations: %s allocs, %s frees",
		fmt_count(a->total_allocs, n1, sizeof(n1)),
		fmt_count(a->total_frees, n2, sizeof(n2)));
	if (t->verbose && a->unknown_frees)
		fprintf(t->f, " (%s of blocks allocated before tracing)",
			fmt_count(a->unknown_frees, n3, sizeof(n3)));
	fprintf(t->f, "; live: %s blocks, %s in %zu site%s\n",
		fmt_count(a->live_count, n1, sizeof(n1)),
		lw_fmt_bytes((double)a->live_bytes, b, sizeof(b)), a->nr_sites,
		a->nr_sites == 1 ? "" : "s");
	fprintf(t->f, "verdicts: %s%zu leak%s%s, %s%zu growing%s, %zu stable",
		nr[LW_VERDICT_LEAK] ? col(t, C_LEAK) : "", nr[LW_VERDICT_LEAK],
		nr[LW_VERDICT_LEAK] == 1 ? "" : "s",
		nr[LW_VERDICT_LEAK] ? col(t, C_RESET) : "",
		nr[LW_VERDICT_GROWING] ? col(t, C_GROWING) : "",
		nr[LW_VERDICT_GROWING],
		nr[LW_VERDICT_GROWING] ? col(t, C_RESET) : "",
		nr[LW_VERDICT_STABLE]);
	fprintf(t->f, " (analysis window %s to %s)\n",
		fmt_duration(a->window_start_s, d1, sizeof(d1)),
		fmt_duration(a->window_end_s, d2, sizeof(d2)));
	if (a->sample_bytes)
		fprintf(t->f,
			"sampled: one allocation per %s on average; blocks and bytes are estimates, allocs/frees count samples\n",
			lw_fmt_bytes((double)a->sample_bytes, b, sizeof(b)));
}

/* The cells of one table row, formatted once to size the columns. */
struct row {
	char growth[NUMBUF];
	char blocks[NUMBUF];
	char bytes[NUMBUF];
	char oldest[NUMBUF];
	char site[512];
};

enum { COL_VERDICT, COL_GROWTH, COL_BLOCKS, COL_BYTES, COL_OLDEST, NR_COLS };

static void fill_row(const struct lw_site_report *s, struct row *row)
{
	fmt_growth(s->growth_bytes_per_s, row->growth, sizeof(row->growth));
	fmt_count(s->live_count, row->blocks, sizeof(row->blocks));
	lw_fmt_bytes((double)s->live_bytes, row->bytes, sizeof(row->bytes));
	fmt_duration(s->oldest_age_s, row->oldest, sizeof(row->oldest));
	site_label(s, row->site, sizeof(row->site));
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Whether the table shows site i: caps apply per verdict class. */
static bool row_shown(const struct text *t, const struct lw_site_report *s,
		      size_t *nr_unstable, size_t *nr_stable)
{
	size_t *seen = s->verdict == LW_VERDICT_STABLE ? nr_stable :
							  nr_unstable;

	return t->verbose || (*seen)++ < t->max_sites;
}

static void print_table(const struct text *t, const struct lw_alloc_report *a)
{
	static const char *const heads[NR_COLS] = {
		"VERDICT", "GROWTH/s", "BLOCKS", "BYTES", "OLDEST",
	};
	uint64_t hidden_bytes[2] = { 0 };
	size_t hidden[2] = { 0 };
	size_t i, nu = 0, ns = 0;
	int w[NR_COLS];
	struct row row;
	char b[NUMBUF];

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

	fprintf(t->f, "\n%s%-*s  %*s  %*s  %*s  %*s  SITE%s\n", col(t, C_BOLD),
		w[COL_VERDICT], heads[COL_VERDICT], w[COL_GROWTH],
		heads[COL_GROWTH], w[COL_BLOCKS], heads[COL_BLOCKS],
		w[COL_BYTES], heads[COL_BYTES], w[COL_OLDEST],
		heads[COL_OLDEST], col(t, C_RESET));

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
			col(t, verdict_color(s->verdict)), w[COL_VERDICT],
			verdict_upper(s->verdict), col(t, C_RESET),
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
			col(t, C_DIM), hidden[1], hidden[1] == 1 ? "" : "s",
			lw_fmt_bytes((double)hidden_bytes[1], b, sizeof(b)),
			col(t, C_RESET));
}

/* Function column of a frame: the name, else "module+0xoff", else "??". */
static void frame_name(const struct lw_frame *fr, char *buf, size_t len)
{
	if (fr->function)
		snprintf(buf, len, "%s", fr->function);
	else if (fr->module)
		snprintf(buf, len, "%s+0x%" PRIx64, base_name(fr->module),
			 fr->module_offset);
	else
		snprintf(buf, len, "??");
}

static void frame_where(const struct lw_frame *fr, char *buf, size_t len)
{
	if (fr->file && fr->line > 0)
		snprintf(buf, len, "%s:%d", base_name(fr->file), fr->line);
	else if (fr->file)
		snprintf(buf, len, "%s", base_name(fr->file));
	else
		buf[0] = '\0';
}

/* Function names past this width push their line out of alignment. */
#define NAME_COL_MAX 48

static void print_stack(const struct text *t, const struct lw_site_report *s)
{
	unsigned i, nr = site_nr_frames(s), shown = nr;
	int wa = 0, wn = 0, ww = 0, wi;
	char addr[24], name[512], where[512];

	if (!nr) {
		fprintf(t->f, "    stack: unknown (capture failed)\n");
		return;
	}
	if (!t->verbose && shown > t->max_frames)
		shown = t->max_frames;

	/* First pass: column widths over the frames shown. */
	wi = snprintf(addr, sizeof(addr), "%u", shown - 1);
	for (i = 0; i < shown; i++) {
		wa = max_int(wa, snprintf(addr, sizeof(addr), "0x%" PRIx64,
					  site_ip(s, i)));
		if (!s->frames)
			continue;
		frame_name(&s->frames[i], name, sizeof(name));
		frame_where(&s->frames[i], where, sizeof(where));
		wn = max_int(wn, (int)strlen(name));
		ww = max_int(ww, (int)strlen(where));
	}
	if (wn > NAME_COL_MAX)
		wn = NAME_COL_MAX;

	fprintf(t->f, "    stack");
	if (s->stack_id)
		fprintf(t->f, " 0x%" PRIx64, s->stack_id);
	fprintf(t->f, " (%u frame%s%s%s):\n", nr, nr == 1 ? "" : "s",
		s->stack_truncated ? ", truncated" : "",
		s->frames ? "" : ", not symbolized");

	for (i = 0; i < shown; i++) {
		const struct lw_frame *fr = s->frames ? &s->frames[i] : NULL;

		snprintf(addr, sizeof(addr), "0x%" PRIx64, site_ip(s, i));
		if (!fr) {
			fprintf(t->f, "      #%-*u %s\n", wi, i, addr);
			continue;
		}
		frame_name(fr, name, sizeof(name));
		frame_where(fr, where, sizeof(where));
		/* Pad a column only when another one follows it. */
		fprintf(t->f, "      #%-*u %-*s  %-*s", wi, i, wa, addr,
			where[0] || fr->module ? wn : 0, name);
		if (fr->module)
			fprintf(t->f, "  %-*s  %s%s%s", ww, where,
				col(t, C_DIM), fr->module, col(t, C_RESET));
		else if (where[0])
			fprintf(t->f, "  %s", where);
		fputc('\n', t->f);
	}
	if (shown < nr)
		fprintf(t->f, "      ... %u more frame%s\n", nr - shown,
			nr - shown == 1 ? "" : "s");
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void print_site(const struct text *t, const struct lw_site_report *s,
		       size_t idx)
{
	char n1[NUMBUF], n2[NUMBUF], b1[NUMBUF], b2[NUMBUF];
	const char *kind = lw_alloc_kind_name(s->kind);
	char label[512];

	site_label(s, label, sizeof(label));
	fprintf(t->f, "\n%s#%zu %s%s  %s\n", col(t, verdict_color(s->verdict)),
		idx, verdict_upper(s->verdict), col(t, C_RESET), label);
	fprintf(t->f, "    live: %s block%s, %s (%s bytes) from %s\n",
		fmt_count(s->live_count, n1, sizeof(n1)), plural(s->live_count),
		lw_fmt_bytes((double)s->live_bytes, b1, sizeof(b1)),
		fmt_count(s->live_bytes, n2, sizeof(n2)),
		strcmp(kind, "?") ? kind : "an unknown allocator");
	fprintf(t->f, "    growth: %s/s, %+.1f blocks/s; oldest block %s old\n",
		fmt_growth(s->growth_bytes_per_s, b1, sizeof(b1)),
		finite_or_zero(s->growth_count_per_s),
		fmt_duration(s->oldest_age_s, b2, sizeof(b2)));
	fprintf(t->f, "    since start: %s alloc%s (%s), %s free%s",
		fmt_count(s->total_allocs, n1, sizeof(n1)),
		plural(s->total_allocs),
		lw_fmt_bytes((double)s->total_bytes, b1, sizeof(b1)),
		fmt_count(s->total_frees, n2, sizeof(n2)),
		plural(s->total_frees));
	/* The verdict's evidence: which parts of the window left survivors. */
	if (s->segments)
		fprintf(t->f, "; survivors in %u of %u window segments",
			s->segments_with_survivors, s->segments);
	fputc('\n', t->f);
	print_stack(t, s);
}

/*
 * Leaking and growing sites in full, in the sites order (biggest first);
 * verbose shows the stable ones too.
 */
static void print_details(const struct text *t,
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
	struct text t = {
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
	print_drops(&t, &r->alloc);
	print_summary(&t, r);
	if (r->alloc.nr_sites) {
		print_table(&t, &r->alloc);
		print_details(&t, &r->alloc);
	} else {
		fprintf(f, "\nno outstanding allocations from the traced "
			   "window\n");
	}

	/*
	 * Each fprintf() could fail; the stream's error flag remembers it, so
	 * one check after the flush covers them all.
	 */
	if (fflush(f) == EOF || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
