/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The threads section of a report, as JSON (docs/json-schema.md) and as
 * text (docs/threads.md).  Pairs with report_threads.h; pure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "report_threads.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void lw_thread_group__add(struct lw_thread_group *g, const char *name)
{
	unsigned i;

	for (i = 0; i < g->nr; i++) {
		if (!strcmp(g->e[i].name, name)) {
			g->e[i].n++;
			return;
		}
	}
	if (g->nr < LW_THREAD_MAX_KEYS) {
		snprintf(g->e[g->nr].name, sizeof(g->e[0].name), "%s", name);
		g->e[g->nr++].n = 1;
		return;
	}
	/* The overflow slot. */
	if (g->nr == LW_THREAD_MAX_KEYS) {
		snprintf(g->e[g->nr].name, sizeof(g->e[0].name), "other");
		g->e[g->nr++].n = 0;
	}
	g->e[LW_THREAD_MAX_KEYS].n++;
}

void lw_thread_report__clear(struct lw_thread_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr_sites; i++) {
		free(r->sites[i].ips);
		free(r->sites[i].frames);
	}
	free(r->sites);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static int group_to_json(struct json_object *o, const char *key,
			 const struct lw_thread_group *g)
{
	struct json_object *m;
	unsigned i;

	if (lw_json_add_child(o, key, json_object_new_object(), &m))
		return -ENOMEM;
	for (i = 0; i < g->nr; i++)
		if (lw_json_add_u64(m, g->e[i].name, g->e[i].n))
			return -ENOMEM;
	return 0;
}

static int site_to_json(struct json_object *sites,
			const struct lw_thread_site *s)
{
	struct json_object *o = json_object_new_object(), *series;
	size_t k;

	if (lw_json_push(sites, o) ||
	    lw_json_add_str(o, "verdict", lw_verdict_name(s->verdict)) ||
	    lw_json_add_u64(o, "live", s->live) ||
	    lw_json_add_double(o, "growth_per_s", s->growth_per_s) ||
	    lw_json_add_u64(o, "created", s->births) ||
	    lw_json_add_u64(o, "exited", s->deaths) ||
	    lw_json_add_bool(o, "created_before_attach",
			     s->created_before_attach) ||
	    lw_json_add_double(o, "oldest_age_s", s->oldest_age_s) ||
	    lw_json_add_u64(o, "segments", s->segments) ||
	    lw_json_add_u64(o, "segments_with_survivors",
			    s->segments_with_survivors) ||
	    group_to_json(o, "states", &s->states) ||
	    group_to_json(o, "syscalls", &s->syscalls) ||
	    group_to_json(o, "wchan", &s->wchan) ||
	    (s->stack_id ? lw_json_add_hex(o, "stack_id", s->stack_id) :
			   lw_json_add(o, "stack_id", NULL)) ||
	    lw_json_add_bool(o, "stack_truncated", s->stack_truncated) ||
	    lw_json_add_bool(o, "symbolized", s->frames != NULL) ||
	    lw_json_add_stack(o, "stack", s->ips, s->frames,
			      s->frames ? s->nr_frames : s->nr_ips) ||
	    lw_json_add_child(o, "series", json_object_new_array(), &series))
		return -ENOMEM;
	for (k = 0; s->series && k < s->nr_series; k++)
		if (lw_json_push_point(series, &s->series[k]))
			return -ENOMEM;
	return 0;
}

int lw_thread_report__to_json(struct json_object *parent,
			      const struct lw_thread_report *r)
{
	struct json_object *o, *drops, *verdicts, *sites;
	uint64_t nr_verdict[3] = { 0 };
	size_t i;

	if (!r)
		return lw_json_add(parent, "threads", NULL);
	for (i = 0; i < r->nr_sites; i++)
		if ((unsigned)r->sites[i].verdict < ARRAY_SIZE(nr_verdict))
			nr_verdict[r->sites[i].verdict]++;
	if (lw_json_add_child(parent, "threads", json_object_new_object(), &o) ||
	    lw_json_add_u64(o, "live", r->live) ||
	    lw_json_add_u64(o, "created", r->births) ||
	    lw_json_add_u64(o, "exited", r->deaths) ||
	    lw_json_add_bool(o, "states_known", r->states_known) ||
	    lw_json_add_u64(o, "dropped_events", r->dropped_events) ||
	    lw_json_add_child(o, "drops", json_object_new_object(), &drops) ||
	    lw_json_add_u64(drops, "ringbuf_full", r->drops.ringbuf_full) ||
	    lw_json_add_u64(drops, "new_lost", r->drops.new_lost) ||
	    lw_json_add_u64(drops, "exit_lost", r->drops.exit_lost) ||
	    lw_json_add_u64(drops, "stack_short", r->drops.stack_short) ||
	    lw_json_add_child(o, "verdicts", json_object_new_object(), &verdicts) ||
	    lw_json_add_u64(verdicts, "leak", nr_verdict[LW_VERDICT_LEAK]) ||
	    lw_json_add_u64(verdicts, "growing", nr_verdict[LW_VERDICT_GROWING]) ||
	    lw_json_add_u64(verdicts, "stable", nr_verdict[LW_VERDICT_STABLE]) ||
	    lw_json_add_child(o, "sites", json_object_new_array(), &sites))
		return -ENOMEM;
	for (i = 0; i < r->nr_sites; i++)
		if (site_to_json(sites, &r->sites[i]))
			return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/*
 * "func (file.c:42)", "func (module)", "module+0xoff", or why unknown.
 * Always from stack[0], the code that asked for the thread: in a stripped
 * program a later named frame (libc's start code) would mislead.
 */
static void site_label(const struct lw_thread_site *s, char *buf, size_t len)
{
	const struct lw_frame *fr;
	char where[256];

	if (!s->stack_id) {
		snprintf(buf, len, "(created before attach: stack unknown)");
		return;
	}
	if (!s->nr_ips) {
		snprintf(buf, len, "(stack unknown)");
		return;
	}
	if (!s->frames) {
		snprintf(buf, len, "0x%" PRIx64, s->ips[0]);
		return;
	}
	fr = &s->frames[0];
	if (!fr->function) {
		lw_frame_name(fr, buf, len);
		return;
	}
	lw_frame_where(fr, where, sizeof(where));
	if (where[0])
		snprintf(buf, len, "%s (%s)", fr->function, where);
	else if (fr->module)
		snprintf(buf, len, "%s (%s)", fr->function,
			 lw_base_name(fr->module));
	else
		snprintf(buf, len, "%s", fr->function);
}

/* "412 sleeping, 2 running" */
static void group_text(const struct lw_thread_group *g, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < g->nr && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%" PRIu64 " %s",
				i ? ", " : "", g->e[i].n, g->e[i].name);
}

static void print_site(const struct lw_text *t, const struct lw_thread_site *s,
		       size_t idx)
{
	char label[512], n1[LW_NUMBUF], n2[LW_NUMBUF], d[LW_NUMBUF];
	char st[256], sc[256], wc[256];

	site_label(s, label, sizeof(label));
	fprintf(t->f, "\n%s#%zu %s%s  %s\n",
		lw_col(t, lw_verdict_color(s->verdict)), idx,
		lw_verdict_upper(s->verdict), lw_col(t, LW_C_RESET), label);
	fprintf(t->f, "    live: %s thread%s, %+.1f/s; since start: %s created, %s exited",
		lw_fmt_count(s->live, n1, sizeof(n1)), lw_plural(s->live),
		lw_shown_rate(s->growth_per_s, 1),
		lw_fmt_count(s->births, n2, sizeof(n2)),
		lw_fmt_count(s->deaths, d, sizeof(d)));
	if (s->segments)
		fprintf(t->f, "; survivors in %u of %u window segments",
			s->segments_with_survivors, s->segments);
	fputc('\n', t->f);
	if (s->oldest_age_s > 0)
		fprintf(t->f, "    oldest: %s old\n",
			lw_fmt_duration(s->oldest_age_s, d, sizeof(d)));
	if (s->states.nr) {
		group_text(&s->states, st, sizeof(st));
		group_text(&s->syscalls, sc, sizeof(sc));
		group_text(&s->wchan, wc, sizeof(wc));
		fprintf(t->f, "    now: %s; in syscall: %s; waiting in: %s\n",
			st, sc, wc);
	}
	if (s->stack_id)
		lw_print_stack(t, "created at", s->ips, s->frames,
			       s->frames ? s->nr_frames : s->nr_ips,
			       s->stack_id, s->stack_truncated);
}

void lw_thread_report__print(const struct lw_text *t,
			     const struct lw_thread_report *r)
{
	char n1[LW_NUMBUF], n2[LW_NUMBUF], n3[LW_NUMBUF], g[LW_NUMBUF];
	char label[512], now[256];
	size_t nr[3] = { 0 }, i, shown = 0;

	if (!r)
		return;
	for (i = 0; i < r->nr_sites; i++)
		if ((unsigned)r->sites[i].verdict < ARRAY_SIZE(nr))
			nr[r->sites[i].verdict]++;
	fprintf(t->f, "\nthreads: %s live in %zu site%s; since start %s created, %s exited\n",
		lw_fmt_count(r->live, n1, sizeof(n1)), r->nr_sites,
		r->nr_sites == 1 ? "" : "s",
		lw_fmt_count(r->births, n2, sizeof(n2)),
		lw_fmt_count(r->deaths, n3, sizeof(n3)));
	if (r->dropped_events)
		fprintf(t->f, "%sWARNING: %s thread events dropped (ring buffer full); /proc reconciliation corrects the live counts%s\n",
			lw_col(t, LW_C_WARN),
			lw_fmt_count(r->dropped_events, n1, sizeof(n1)),
			lw_col(t, LW_C_RESET));
	fprintf(t->f, "thread verdicts: %s%zu leak%s%s, %zu growing, %zu stable\n",
		nr[LW_VERDICT_LEAK] ? lw_col(t, LW_C_LEAK) : "",
		nr[LW_VERDICT_LEAK], nr[LW_VERDICT_LEAK] == 1 ? "" : "s",
		nr[LW_VERDICT_LEAK] ? lw_col(t, LW_C_RESET) : "",
		nr[LW_VERDICT_GROWING], nr[LW_VERDICT_STABLE]);
	if (!r->nr_sites)
		return;

	fprintf(t->f, "\n%s%-7s  %8s  %7s  %s%s\n", lw_col(t, LW_C_BOLD),
		"VERDICT", "GROWTH/s", "THREADS", "SITE  [now]",
		lw_col(t, LW_C_RESET));
	for (i = 0; i < r->nr_sites; i++) {
		const struct lw_thread_site *s = &r->sites[i];

		if (!t->verbose && i >= t->max_sites) {
			fprintf(t->f, "... and %zu more thread site%s\n",
				r->nr_sites - i, r->nr_sites - i == 1 ? "" : "s");
			break;
		}
		site_label(s, label, sizeof(label));
		group_text(&s->syscalls, now, sizeof(now));
		snprintf(g, sizeof(g), "%+.1f", lw_shown_rate(s->growth_per_s, 1));
		fprintf(t->f, "%s%-7s%s  %8s  %7s  %s%s%s%s\n",
			lw_col(t, lw_verdict_color(s->verdict)),
			lw_verdict_upper(s->verdict), lw_col(t, LW_C_RESET), g,
			lw_fmt_count(s->live, n1, sizeof(n1)), label,
			now[0] ? "  [" : "", now, now[0] ? "]" : "");
	}
	for (i = 0; i < r->nr_sites; i++) {
		const struct lw_thread_site *s = &r->sites[i];

		if (s->verdict == LW_VERDICT_STABLE && !t->verbose)
			continue;
		if (!t->verbose && shown >= t->max_sites)
			break;
		print_site(t, s, ++shown);
	}
}
