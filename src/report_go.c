/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The Go sections of the report, JSON and text: "go", "goroutines" and
 * "go_heap" (docs/json-schema.md, docs/go.md).  Pairs with go/goreport.h;
 * report.c calls it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "go/goreport.h"
#include "render.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void lw_go_report__clear(struct lw_go_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr_sites; i++) {
		free(r->sites[i].frames);
		free(r->sites[i].reasons);
	}
	free(r->sites);
	for (i = 0; i < r->nr_heap_sites; i++)
		free(r->heap_sites[i].frames);
	free(r->heap_sites);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static int frames_to_json(struct json_object *o, const char *key,
			  const struct lw_frame *frames, unsigned nr)
{
	struct json_object *a;
	unsigned i;

	if (lw_json_add_child(o, key, json_object_new_array(), &a))
		return -ENOMEM;
	for (i = 0; frames && i < nr; i++)
		if (lw_json_push_frame(a, frames[i].addr, &frames[i]))
			return -ENOMEM;
	return 0;
}

static int gsite_to_json(struct json_object *sites, const struct lw_go_site *s)
{
	struct json_object *o = json_object_new_object(), *cb, *wr, *st, *ser;
	size_t i;

	if (lw_json_push(sites, o) ||
	    lw_json_add_str(o, "verdict", lw_verdict_name(s->verdict)) ||
	    lw_json_add_u64(o, "live", s->live) ||
	    lw_json_add_double(o, "growth_per_s", s->growth_per_s) ||
	    lw_json_add_child(o, "created_by", json_object_new_object(), &cb) ||
	    lw_json_add_str(cb, "function", s->created_by.function) ||
	    lw_json_add_str(cb, "file", s->created_by.file) ||
	    (s->created_by.line > 0
		     ? lw_json_add_int(cb, "line", s->created_by.line)
		     : lw_json_add(cb, "line", NULL)) ||
	    (s->gopc ? lw_json_add_hex(cb, "address", s->gopc)
		     : lw_json_add(cb, "address", NULL)) ||
	    lw_json_add_str(o, "start_function", s->start_function) ||
	    lw_json_add_child(o, "wait_reasons", json_object_new_object(), &wr))
		return -ENOMEM;
	for (i = 0; i < s->nr_reasons; i++)
		if (lw_json_add_u64(wr, s->reasons[i].name, s->reasons[i].n))
			return -ENOMEM;
	if (lw_json_add_child(o, "states", json_object_new_object(), &st) ||
	    lw_json_add_u64(st, "waiting", s->waiting) ||
	    lw_json_add_u64(st, "runnable", s->runnable) ||
	    lw_json_add_u64(st, "running", s->running) ||
	    lw_json_add_u64(st, "syscall", s->syscall) ||
	    lw_json_add_u64(st, "other", s->other) ||
	    lw_json_add_u64(o, "leaked_by_runtime", s->leaked) ||
	    lw_json_add_double(o, "oldest_blocked_s", s->oldest_blocked_s) ||
	    (s->has_unknown_births ? lw_json_add(o, "oldest_age_s", NULL)
				   : lw_json_add_double(o, "oldest_age_s",
							s->oldest_age_s)) ||
	    lw_json_add_u64(o, "births", s->births) ||
	    lw_json_add_u64(o, "deaths", s->deaths) ||
	    lw_json_add_u64(o, "segments", s->segments) ||
	    lw_json_add_u64(o, "segments_with_survivors",
			    s->segments_with_survivors) ||
	    frames_to_json(o, "stack", s->frames, s->nr_frames) ||
	    lw_json_add_child(o, "series", json_object_new_array(), &ser))
		return -ENOMEM;
	for (i = 0; s->series && i < s->nr_series; i++)
		if (lw_json_push_point(ser, &s->series[i]))
			return -ENOMEM;
	return 0;
}

/* "probes": what --goroutine-probes probed and counted, or null. */
static int probes_to_json(struct json_object *o, const struct lw_go_report *r)
{
	struct json_object *p;

	if (!r->mode || strcmp(r->mode, "probes"))
		return lw_json_add(o, "probes", NULL);
	return lw_json_add_child(o, "probes", json_object_new_object(), &p) ||
	       lw_json_add_str(p, "death_function", r->probe_death_func) ||
	       lw_json_add_u64(p, "newproc1_rets", r->probe_rets) ||
	       lw_json_add_u64(p, "births", r->probe_births) ||
	       lw_json_add_u64(p, "deaths", r->probe_deaths) ||
	       lw_json_add_u64(p, "lost", r->probe_lost);
}

static int goroutines_to_json(struct json_object *root,
			      const struct lw_go_report *r)
{
	struct json_object *o, *v, *sites;
	uint64_t nr[3] = {0};
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if ((unsigned)r->sites[i].verdict < ARRAY_SIZE(nr))
			nr[r->sites[i].verdict]++;
	if (lw_json_add_child(root, "goroutines", json_object_new_object(),
			      &o) ||
	    lw_json_add_str(o, "error",
			    r->goroutines_ok ? NULL : r->goroutines_error) ||
	    lw_json_add_u64(o, "live", r->live) ||
	    lw_json_add_u64(o, "leaked_by_runtime", r->leaked_by_runtime) ||
	    lw_json_add_u64(o, "snapshots", r->snapshots) ||
	    lw_json_add_u64(o, "torn", r->torn) ||
	    lw_json_add_double(o, "growth_per_s", r->growth_per_s) ||
	    lw_json_add_double(o, "snapshot_ms", r->snapshot_ms) ||
	    lw_json_add_double(o, "goroutines_per_s", r->goroutines_per_s) ||
	    lw_json_add_double(o, "interval_s", r->interval_s) ||
	    lw_json_add_str(o, "mode", r->mode ? r->mode : "snapshot") ||
	    probes_to_json(o, r) ||
	    lw_json_add_child(o, "verdicts", json_object_new_object(), &v) ||
	    lw_json_add_u64(v, "leak", nr[LW_VERDICT_LEAK]) ||
	    lw_json_add_u64(v, "growing", nr[LW_VERDICT_GROWING]) ||
	    lw_json_add_u64(v, "stable", nr[LW_VERDICT_STABLE]) ||
	    lw_json_add_child(o, "sites", json_object_new_array(), &sites))
		return -ENOMEM;
	for (i = 0; i < r->nr_sites; i++)
		if (gsite_to_json(sites, &r->sites[i]))
			return -ENOMEM;
	return 0;
}

static int heap_to_json(struct json_object *root, const struct lw_go_report *r)
{
	struct json_object *o, *sites, *s;
	size_t i;

	if (lw_json_add_child(root, "go_heap", json_object_new_object(), &o) ||
	    lw_json_add_bool(o, "available", r->heap_available) ||
	    lw_json_add_str(o, "reason",
			    r->heap_available ? NULL : r->heap_reason) ||
	    lw_json_add_u64(o, "sample_rate",
			    r->sample_rate > 0 ? (uint64_t)r->sample_rate
					       : 0) ||
	    lw_json_add_u64(o, "inuse_bytes", r->inuse_bytes) ||
	    lw_json_add_u64(o, "inuse_objects", r->inuse_objects) ||
	    lw_json_add_double(o, "growth_bytes_per_s",
			       r->growth_bytes_per_s) ||
	    lw_json_add_u64(o, "rss_bytes", r->rss_bytes) ||
	    lw_json_add_u64(o, "rss_anon_bytes", r->rss_anon_bytes) ||
	    lw_json_add_double(o, "rss_growth_bytes_per_s",
			       r->rss_growth_bytes_per_s) ||
	    lw_json_add_child(o, "sites", json_object_new_array(), &sites))
		return -ENOMEM;
	for (i = 0; i < r->nr_heap_sites; i++) {
		const struct lw_go_heap_site *h = &r->heap_sites[i];

		s = json_object_new_object();
		if (lw_json_push(sites, s) ||
		    lw_json_add_str(s, "verdict",
				    lw_verdict_name(h->verdict)) ||
		    lw_json_add_u64(s, "inuse_bytes", h->inuse_bytes) ||
		    lw_json_add_u64(s, "inuse_objects", h->inuse_objects) ||
		    lw_json_add_double(s, "growth_bytes_per_s",
				       h->growth_bytes_per_s) ||
		    frames_to_json(s, "stack", h->frames, h->nr_frames))
			return -ENOMEM;
	}
	return 0;
}

int lw_go_report__to_json(struct json_object *root,
			  const struct lw_go_report *r)
{
	struct json_object *o;

	if (!r)
		return lw_json_add(root, "go", NULL) ?:
		       lw_json_add(root, "goroutines", NULL) ?:
		       lw_json_add(root, "go_heap", NULL);
	if (lw_json_add_child(root, "go", json_object_new_object(), &o) ||
	    lw_json_add_str(o, "version", r->version) ||
	    lw_json_add_bool(o, "stripped", r->stripped) ||
	    lw_json_add_str(o, "layout_from", r->layout_from))
		return -ENOMEM;
	return goroutines_to_json(root, r) ?: heap_to_json(root, r);
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/* "main.subscribe (server.go:88)", or the address. */
static void frame_label(const struct lw_frame *fr, char *buf, size_t len)
{
	if (!fr->function)
		snprintf(buf, len, "0x%" PRIx64, fr->addr);
	else if (fr->file && fr->line > 0)
		snprintf(buf, len, "%s (%s:%d)", fr->function,
			 lw_base_name(fr->file), fr->line);
	else
		snprintf(buf, len, "%s", fr->function);
}

/* "runtime.gopark ... main.subscribe.func1 (server.go:91)": where it
 * blocks, and the first frame of the program's own code. */
static void print_short_stack(const struct lw_text *t,
			      const struct lw_go_site *s)
{
	char a[512];
	unsigned i;

	if (!s->nr_frames) {
		fprintf(t->f, "        stack: not captured\n");
		return;
	}
	frame_label(&s->frames[0], a, sizeof(a));
	fprintf(t->f, "        stack: %s", a);
	for (i = 1; i < s->nr_frames; i++) {
		const char *fn = s->frames[i].function;

		if (fn && strncmp(fn, "runtime.", 8) &&
		    strncmp(fn, "internal/", 9)) {
			frame_label(&s->frames[i], a, sizeof(a));
			fprintf(t->f, "%s%s", i > 1 ? " ... " : " <- ", a);
			break;
		}
	}
	fputc('\n', t->f);
}

static void print_states(const struct lw_text *t, const struct lw_go_site *s)
{
	const struct {
		const char *what;
		uint64_t n;
	} parts[] = {
		{"runnable", s->runnable},
		{"running", s->running},
		{"in syscalls", s->syscall},
		{"other", s->other},
	};
	char n[LW_NUMBUF], d[LW_NUMBUF];
	size_t i;

	fprintf(t->f, "        running %s, ",
		s->start_function ? s->start_function : "?");
	if (s->waiting == s->live)
		fprintf(t->f, "all waiting");
	else
		fprintf(t->f, "%s waiting",
			lw_fmt_count(s->waiting, n, sizeof(n)));
	/* One reason: its name; several: how many wait for each. */
	for (i = 0; i < s->nr_reasons && i < 3; i++) {
		fprintf(t->f, "%s%s", i ? ", " : ": ", s->reasons[i].name);
		if (s->nr_reasons > 1)
			fprintf(t->f, " %s",
				lw_fmt_count(s->reasons[i].n, n, sizeof(n)));
	}
	if (s->nr_reasons > 3)
		fprintf(t->f, ", ...");
	for (i = 0; i < ARRAY_SIZE(parts); i++)
		if (parts[i].n)
			fprintf(t->f, "; %s %s",
				lw_fmt_count(parts[i].n, n, sizeof(n)),
				parts[i].what);
	if (s->leaked)
		fprintf(t->f, "; %s marked leaked by the Go runtime",
			lw_fmt_count(s->leaked, n, sizeof(n)));
	if (s->oldest_blocked_s > 0)
		fprintf(t->f, ", oldest %s",
			lw_fmt_duration(s->oldest_blocked_s, d, sizeof(d)));
	fputc('\n', t->f);
}

static void print_gsite(const struct lw_text *t, const struct lw_go_site *s)
{
	char n[LW_NUMBUF], where[512];

	frame_label(&s->created_by, where, sizeof(where));
	fprintf(t->f, "  %s%-7s%s %+6.1f/s  %s live  created by %s\n",
		lw_col(t, lw_verdict_color(s->verdict)),
		lw_verdict_upper(s->verdict), lw_col(t, LW_C_RESET),
		lw_finite_or_zero(s->growth_per_s),
		lw_fmt_count(s->live, n, sizeof(n)),
		s->gopc ? where : "the runtime (cgo callback)");
	print_states(t, s);
	if (t->verbose)
		lw_print_stack(t, "    stack", NULL, s->frames, s->nr_frames, 0,
			       false);
	else
		print_short_stack(t, s);
}

static void print_goroutines(const struct lw_text *t,
			     const struct lw_go_report *r)
{
	char n[LW_NUMBUF], n2[LW_NUMBUF], d[LW_NUMBUF];
	size_t i, shown = 0, hidden = 0;
	uint64_t hidden_live = 0;

	if (!r->goroutines_ok) {
		fprintf(t->f, "  goroutines: not read: %s\n",
			r->goroutines_error);
		return;
	}
	fprintf(t->f, "  goroutines: %s live (%+.1f/s) in %zu site%s",
		lw_fmt_count(r->live, n, sizeof(n)),
		lw_shown_rate(r->growth_per_s, 1), r->nr_sites,
		lw_plural(r->nr_sites));
	if (r->leaked_by_runtime)
		fprintf(t->f, ", %s%s marked leaked by the Go runtime%s",
			lw_col(t, LW_C_WARN),
			lw_fmt_count(r->leaked_by_runtime, n2, sizeof(n2)),
			lw_col(t, LW_C_RESET));
	fprintf(t->f, "\n");
	if (r->mode && !strcmp(r->mode, "probes"))
		fprintf(t->f,
			"  exact mode (--goroutine-probes): %s born, %s died "
			"in the window, %s record%s lost\n",
			lw_fmt_count(r->probe_births, n, sizeof(n)),
			lw_fmt_count(r->probe_deaths, n2, sizeof(n2)),
			lw_fmt_count(r->probe_lost, d, sizeof(d)),
			lw_plural(r->probe_lost));
	if (t->verbose)
		fprintf(t->f,
			"  %s snapshot%s, %.2f ms each (%.0f goroutines/s), "
			"every %s; %s torn goroutine%s left out\n",
			lw_fmt_count(r->snapshots, n, sizeof(n)),
			lw_plural(r->snapshots),
			lw_finite_or_zero(r->snapshot_ms),
			lw_finite_or_zero(r->goroutines_per_s),
			lw_fmt_duration(r->interval_s, d, sizeof(d)),
			lw_fmt_count(r->torn, n2, sizeof(n2)),
			lw_plural(r->torn));
	for (i = 0; i < r->nr_sites; i++) {
		const struct lw_go_site *s = &r->sites[i];

		/* A site the runtime marked leaked is shown even when its
		 * count is stable: Go itself proved those goroutines can
		 * never run again, and the summary line counted them. */
		if (!t->verbose &&
		    ((s->verdict == LW_VERDICT_STABLE && !s->leaked) ||
		     shown >= t->max_sites)) {
			hidden++;
			hidden_live += s->live;
			continue;
		}
		shown++;
		print_gsite(t, s);
	}
	if (hidden)
		fprintf(t->f,
			"%s  ... and %zu more site%s with %s goroutine%s (-v "
			"shows them)%s\n",
			lw_col(t, LW_C_DIM), hidden, lw_plural(hidden),
			lw_fmt_count(hidden_live, n, sizeof(n)),
			lw_plural(hidden_live), lw_col(t, LW_C_RESET));
}

static void print_heap(const struct lw_text *t, const struct lw_go_report *r)
{
	char b1[LW_NUMBUF], b2[LW_NUMBUF], b3[LW_NUMBUF], b4[LW_NUMBUF];
	char label[512];
	size_t i, shown = 0;

	fprintf(t->f, "  go heap: ");
	if (r->heap_available)
		fprintf(t->f, "in-use %s (%s/s, sampled 1 per %s)",
			lw_fmt_bytes((double)r->inuse_bytes, b1, sizeof(b1)),
			lw_fmt_growth(r->growth_bytes_per_s, b2, sizeof(b2)),
			lw_fmt_bytes((double)r->sample_rate, b3, sizeof(b3)));
	else
		fprintf(t->f, "%s",
			r->heap_reason ? r->heap_reason : "not available");
	fprintf(t->f, "; RSS %s (%s/s)\n",
		lw_fmt_bytes((double)r->rss_bytes, b1, sizeof(b1)),
		lw_fmt_growth(r->rss_growth_bytes_per_s, b4, sizeof(b4)));
	for (i = 0; i < r->nr_heap_sites; i++) {
		const struct lw_go_heap_site *h = &r->heap_sites[i];
		unsigned k;

		if (!t->verbose &&
		    (h->verdict == LW_VERDICT_STABLE || shown >= t->max_sites))
			continue;
		if (!shown++)
			fprintf(t->f, "  top growing allocation stacks:\n");
		strcpy(label, "?");
		/* The first frame of the program's own code. */
		for (k = 0; k < h->nr_frames; k++) {
			const char *fn = h->frames[k].function;

			if (fn && strncmp(fn, "runtime.", 8)) {
				frame_label(&h->frames[k], label,
					    sizeof(label));
				break;
			}
		}
		fprintf(t->f, "  %s%-7s%s %s/s  %s in use  %s\n",
			lw_col(t, lw_verdict_color(h->verdict)),
			lw_verdict_upper(h->verdict), lw_col(t, LW_C_RESET),
			lw_fmt_growth(h->growth_bytes_per_s, b1, sizeof(b1)),
			lw_fmt_bytes((double)h->inuse_bytes, b2, sizeof(b2)),
			label);
		if (t->verbose)
			lw_print_stack(t, "    stack", NULL, h->frames,
				       h->nr_frames, 0, false);
	}
}

void lw_go_report__print(const struct lw_text *t, const struct lw_go_report *r)
{
	if (!r)
		return;
	fprintf(t->f, "\n%sgo: %s%s, runtime layout from %s%s\n",
		lw_col(t, LW_C_BOLD), r->version ? r->version : "go?",
		r->stripped ? " (stripped)" : "", r->layout_from,
		lw_col(t, LW_C_RESET));
	print_goroutines(t, r);
	print_heap(t, r);
}
