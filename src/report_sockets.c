/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Renders the sockets section: JSON (docs/json-schema.md) and text
 * (docs/sockets.md).  Pairs with report_sockets.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "report_sockets.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *origin_name(uint64_t site)
{
	if (site == LW_FD_SITE_BEFORE)
		return "before_tracing";
	if (site == LW_FD_SITE_UNTRACED)
		return "untraced";
	return "stack";
}

static bool is_stack_site(uint64_t site)
{
	return site != LW_FD_SITE_BEFORE && site != LW_FD_SITE_UNTRACED &&
	       site != 0;
}

/* Frames of the stack: symbolized ones (inlined Go calls included), else
 * raw addresses. */
static unsigned site_nr_frames(const struct lw_socket_site *s)
{
	if (s->frames)
		return s->nr_frames;
	return s->ips ? s->nr_ips : 0;
}

/* Frame i's address: symbolized frames keep it too. */
static uint64_t site_ip(const struct lw_socket_site *s, unsigned i)
{
	return s->frames ? s->frames[i].addr : s->ips[i];
}

/* {"ESTABLISHED": n, ...}: states with sockets only. */
static int add_states(struct json_object *o, const char *key,
		      const uint64_t *by_state)
{
	struct json_object *m;
	unsigned i;

	if (lw_json_add_child(o, key, json_object_new_object(), &m))
		return -ENOMEM;
	for (i = 0; i < LW_SOCK_NR_STATES; i++)
		if (by_state[i] &&
		    lw_json_add_u64(m, lw_sock_state_name(i), by_state[i]))
			return -ENOMEM;
	return 0;
}

static int add_protos(struct json_object *o, const char *key,
		      const uint64_t *by_proto)
{
	struct json_object *m;
	unsigned i;

	if (lw_json_add_child(o, key, json_object_new_object(), &m))
		return -ENOMEM;
	for (i = 0; i < LW_PROTO_NR; i++)
		if (by_proto[i] &&
		    lw_json_add_u64(m, lw_sock_proto_name(i), by_proto[i]))
			return -ENOMEM;
	return 0;
}

static int site_to_json(struct json_object *sites,
			const struct lw_socket_site *s)
{
	struct json_object *o = json_object_new_object(), *series;
	unsigned nr = site_nr_frames(s);
	size_t k;

	if (lw_json_push(sites, o) ||
	    lw_json_add_str(o, "verdict", lw_verdict_name(s->verdict)) ||
	    lw_json_add_str(o, "open_verdict",
			    lw_verdict_name(s->open_verdict)) ||
	    lw_json_add_str(o, "close_wait_verdict",
			    lw_verdict_name(s->close_wait_verdict)) ||
	    lw_json_add_str(o, "origin", origin_name(s->site)) ||
	    lw_json_add_str(o, "call",
			    s->call ? lw_fd_call_name(s->call) : NULL) ||
	    lw_json_add_u64(o, "open", s->open) ||
	    lw_json_add_u64(o, "created", s->births) ||
	    lw_json_add_u64(o, "closed", s->deaths) ||
	    lw_json_add_double(o, "growth_per_s", s->growth_per_s) ||
	    lw_json_add_double(o, "close_wait_growth_per_s",
			       s->close_wait_growth_per_s) ||
	    lw_json_add_double(o, "oldest_age_s", s->oldest_age_s) ||
	    lw_json_add_bool(o, "created_before_tracing",
			     s->has_unknown_births) ||
	    lw_json_add_u64(o, "segments", s->segments) ||
	    lw_json_add_u64(o, "segments_with_survivors",
			    s->segments_with_survivors) ||
	    add_states(o, "by_state", s->by_state) ||
	    add_protos(o, "by_proto", s->by_proto) ||
	    (is_stack_site(s->site) ? lw_json_add_hex(o, "stack_id", s->site)
				    : lw_json_add(o, "stack_id", NULL)) ||
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

static int kind_to_json(struct json_object *kinds,
			const struct lw_fd_kind_report *k)
{
	struct json_object *o = json_object_new_object();

	if (lw_json_push(kinds, o) ||
	    lw_json_add_str(o, "kind", lw_fd_kind_name(k->kind)) ||
	    lw_json_add_str(o, "verdict", lw_verdict_name(k->verdict)) ||
	    lw_json_add_u64(o, "open", k->open) ||
	    lw_json_add_double(o, "growth_per_s", k->growth_per_s))
		return -ENOMEM;
	return 0;
}

int lw_sockets__to_json(struct json_object *parent,
			const struct lw_socket_report *s)
{
	struct json_object *o, *drops, *verdicts, *sites, *kinds;
	uint64_t nr_verdict[3] = {0};
	size_t i;

	if (!s)
		return lw_json_add(parent, "sockets", NULL);
	for (i = 0; i < s->nr_sites; i++)
		if ((unsigned)s->sites[i].verdict < ARRAY_SIZE(nr_verdict))
			nr_verdict[s->sites[i].verdict]++;
	if (lw_json_add_child(parent, "sockets", json_object_new_object(),
			      &o) ||
	    lw_json_add_u64(o, "open", s->open) ||
	    lw_json_add_bool(o, "states_known", s->states_known) ||
	    add_states(o, "by_state", s->by_state) ||
	    add_protos(o, "by_proto", s->by_proto) ||
	    lw_json_add_u64(o, "snapshots", s->snapshots) ||
	    lw_json_add_u64(o, "corrections", s->corrections) ||
	    lw_json_add_u64(o, "dropped_events", s->dropped_events) ||
	    lw_json_add_child(o, "drops", json_object_new_object(), &drops) ||
	    lw_json_add_u64(drops, "ringbuf_full", s->drops.ringbuf_full) ||
	    lw_json_add_u64(drops, "close_lost", s->drops.close_lost) ||
	    lw_json_add_u64(drops, "pending_failed", s->drops.pending_failed) ||
	    lw_json_add_child(o, "verdicts", json_object_new_object(),
			      &verdicts) ||
	    lw_json_add_u64(verdicts, "leak", nr_verdict[LW_VERDICT_LEAK]) ||
	    lw_json_add_u64(verdicts, "growing",
			    nr_verdict[LW_VERDICT_GROWING]) ||
	    lw_json_add_u64(verdicts, "stable",
			    nr_verdict[LW_VERDICT_STABLE]) ||
	    lw_json_add_child(o, "sites", json_object_new_array(), &sites))
		return -ENOMEM;
	for (i = 0; i < s->nr_sites; i++)
		if (site_to_json(sites, &s->sites[i]))
			return -ENOMEM;
	if (lw_json_add_child(o, "fd_kinds", json_object_new_array(), &kinds))
		return -ENOMEM;
	for (i = 0; i < s->nr_kinds; i++)
		if (kind_to_json(kinds, &s->kinds[i]))
			return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text                                                                */
/* ------------------------------------------------------------------ */

/*
 * Plumbing between the caller and the system call: Go's syscall, poll and
 * net layers, the runtime, and libc when its wrapper could not be unwound.
 * The site is named after the first frame past them.
 */
static bool plumbing(const struct lw_frame *fr)
{
	static const char *const go[] = {
		"syscall.", "internal/", "runtime.",
		"net.",	    "os.",	 "golang.org/x/sys/",
	};
	size_t i;

	for (i = 0; fr->function && i < ARRAY_SIZE(go); i++)
		if (!strncmp(fr->function, go[i], strlen(go[i])))
			return true;
	return fr->module && !strncmp(lw_base_name(fr->module), "libc.so", 7);
}

/*
 * "func (file.c:42)" of the first frame with a function that is not
 * plumbing (else of the first frame with a function), else
 * "module+0xoff", else the address; fixed names for the non-stack sites.
 */
static void site_label(const struct lw_socket_site *s, char *buf, size_t len)
{
	unsigned i, nr = site_nr_frames(s);
	char name[240], where[240]; /* both fit in the 512 of a label */

	if (s->site == LW_FD_SITE_BEFORE) {
		snprintf(buf, len, "(open before tracing started)");
		return;
	}
	if (s->site == LW_FD_SITE_UNTRACED) {
		snprintf(buf, len, "(made by an untraced call)");
		return;
	}
	if (!nr) {
		snprintf(buf, len, "(stack unknown)");
		return;
	}
	for (i = 0; s->frames && i < nr; i++)
		if (s->frames[i].function && !plumbing(&s->frames[i]))
			break;
	if (s->frames && i == nr)
		i = 0;
	for (; s->frames && i < nr; i++) {
		if (!s->frames[i].function)
			continue;
		lw_frame_name(&s->frames[i], name, sizeof(name));
		lw_frame_where(&s->frames[i], where, sizeof(where));
		if (where[0])
			snprintf(buf, len, "%s (%s)", name, where);
		else
			snprintf(buf, len, "%s", name);
		return;
	}
	if (s->frames) {
		lw_frame_name(&s->frames[0], buf, len);
		return;
	}
	snprintf(buf, len, "0x%" PRIx64, site_ip(s, 0));
}

/* "ESTABLISHED 3, CLOSE_WAIT 2" into buf; "-" when empty. */
static void states_text(const uint64_t *by_state, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	/* Known states first, the unknown remainder last. */
	for (i = 1; i <= LW_SOCK_NR_STATES; i++) {
		unsigned st = i % LW_SOCK_NR_STATES;
		int n;

		if (!by_state[st] || off >= len)
			continue;
		n = snprintf(buf + off, len - off, "%s%s %" PRIu64,
			     off ? ", " : "", lw_sock_state_name(st),
			     by_state[st]);
		if (n > 0)
			off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "-");
}

static void print_summary(const struct lw_text *t,
			  const struct lw_socket_report *s)
{
	char st[512], n[LW_NUMBUF];
	size_t nr[3] = {0}, i;
	const char *sep = "";

	for (i = 0; i < s->nr_sites; i++)
		if ((unsigned)s->sites[i].verdict < ARRAY_SIZE(nr))
			nr[s->sites[i].verdict]++;
	states_text(s->by_state, st, sizeof(st));
	fprintf(t->f, "\nsockets: %s open",
		lw_fmt_count(s->open, n, sizeof(n)));
	if (s->open)
		fprintf(t->f, " (%s)", st);
	for (i = 1; i < LW_PROTO_NR; i++) {
		if (!s->by_proto[i])
			continue;
		fprintf(t->f, "%s%s %" PRIu64, *sep ? ", " : "; ",
			lw_sock_proto_name((unsigned)i), s->by_proto[i]);
		sep = ",";
	}
	fprintf(t->f, " in %zu site%s\n", s->nr_sites, lw_plural(s->nr_sites));
	if (!s->states_known && s->open)
		fprintf(t->f, "socket states unknown: sock_diag did not "
			      "answer\n");
	fprintf(t->f, "verdicts: %s%zu leak%s%s, %s%zu growing%s, %zu stable\n",
		nr[LW_VERDICT_LEAK] ? lw_col(t, LW_C_LEAK) : "",
		nr[LW_VERDICT_LEAK], nr[LW_VERDICT_LEAK] == 1 ? "" : "s",
		nr[LW_VERDICT_LEAK] ? lw_col(t, LW_C_RESET) : "",
		nr[LW_VERDICT_GROWING] ? lw_col(t, LW_C_GROWING) : "",
		nr[LW_VERDICT_GROWING],
		nr[LW_VERDICT_GROWING] ? lw_col(t, LW_C_RESET) : "",
		nr[LW_VERDICT_STABLE]);
	if (s->dropped_events)
		fprintf(t->f,
			"%sWARNING: %s descriptor events dropped: counts were "
			"corrected from /proc every 500 ms%s\n",
			lw_col(t, LW_C_WARN),
			lw_fmt_count(s->dropped_events, n, sizeof(n)),
			lw_col(t, LW_C_RESET));
	if (t->verbose)
		fprintf(t->f,
			"%" PRIu64 " /proc snapshots, %" PRIu64 " corrections"
								"\n",
			s->snapshots, s->corrections);
}

static void print_table(const struct lw_text *t,
			const struct lw_socket_report *s)
{
	char label[512], st[512];
	size_t i, shown_u = 0, shown_s = 0, hidden = 0;

	fprintf(t->f, "\n%s%-7s  %8s  %6s  %-28s  SITE%s\n",
		lw_col(t, LW_C_BOLD), "VERDICT", "GROWTH/s", "OPEN", "STATES",
		lw_col(t, LW_C_RESET));
	for (i = 0; i < s->nr_sites; i++) {
		const struct lw_socket_site *x = &s->sites[i];
		size_t *seen = x->verdict == LW_VERDICT_STABLE ? &shown_s
							       : &shown_u;

		if (!t->verbose && (*seen)++ >= t->max_sites) {
			hidden++;
			continue;
		}
		site_label(x, label, sizeof(label));
		states_text(x->by_state, st, sizeof(st));
		fprintf(t->f, "%s%-7s%s  %+8.2f  %6" PRIu64 "  %-28s  %s%s%s\n",
			lw_col(t, lw_verdict_color(x->verdict)),
			lw_verdict_upper(x->verdict), lw_col(t, LW_C_RESET),
			lw_finite_or_zero(x->growth_per_s), x->open, st,
			x->call ? lw_fd_call_name(x->call) : "",
			x->call ? " in " : "", label);
	}
	if (hidden)
		fprintf(t->f, "... and %zu more site%s\n", hidden,
			lw_plural(hidden));
}

static void print_kinds(const struct lw_text *t,
			const struct lw_socket_report *s)
{
	size_t i;

	if (!s->nr_kinds)
		return;
	fprintf(t->f, "other descriptors:");
	for (i = 0; i < s->nr_kinds; i++) {
		const struct lw_fd_kind_report *k = &s->kinds[i];

		fprintf(t->f, "%s %s %" PRIu64, i ? "," : "",
			lw_fd_kind_name(k->kind), k->open);
		if (k->verdict != LW_VERDICT_STABLE)
			fprintf(t->f, " (%s%s%s, %+.2f/s)",
				lw_col(t, lw_verdict_color(k->verdict)),
				lw_verdict_upper(k->verdict),
				lw_col(t, LW_C_RESET),
				lw_shown_rate(k->growth_per_s, 2));
	}
	fputc('\n', t->f);
}

static void print_site(const struct lw_text *t, const struct lw_socket_site *x,
		       size_t idx)
{
	char label[512], st[512], d[LW_NUMBUF];

	site_label(x, label, sizeof(label));
	states_text(x->by_state, st, sizeof(st));
	fprintf(t->f, "\n%s#%zu %s%s  %s\n",
		lw_col(t, lw_verdict_color(x->verdict)), idx,
		lw_verdict_upper(x->verdict), lw_col(t, LW_C_RESET), label);
	fprintf(t->f, "    open: %" PRIu64 " socket%s from %s: %s\n", x->open,
		lw_plural(x->open),
		x->call ? lw_fd_call_name(x->call) : "an unknown call", st);
	fprintf(t->f, "    growth: %+.2f sockets/s, CLOSE_WAIT %+.2f/s",
		lw_shown_rate(x->growth_per_s, 2),
		lw_shown_rate(x->close_wait_growth_per_s, 2));
	if (x->oldest_age_s > 0)
		fprintf(t->f, "; oldest %s old",
			lw_fmt_duration(x->oldest_age_s, d, sizeof(d)));
	fprintf(t->f,
		"\n    since start: %" PRIu64 " created, %" PRIu64 " closed; "
								   "survivors "
								   "in %u of "
								   "%u window "
								   "segments\n",
		x->births, x->deaths, x->segments_with_survivors, x->segments);
	if (is_stack_site(x->site))
		lw_print_stack(t, "stack", x->ips, x->frames, site_nr_frames(x),
			       x->site, x->stack_truncated);
}

void lw_sockets__write_text(const struct lw_text *t,
			    const struct lw_socket_report *s)
{
	size_t i, shown = 0;

	if (!s)
		return;
	print_summary(t, s);
	if (s->nr_sites)
		print_table(t, s);
	print_kinds(t, s);
	for (i = 0; i < s->nr_sites; i++) {
		const struct lw_socket_site *x = &s->sites[i];

		if (x->verdict == LW_VERDICT_STABLE && !t->verbose)
			continue;
		if (!t->verbose && shown >= t->max_sites)
			break;
		print_site(t, x, ++shown);
	}
}
