/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * --html: the report as one self-contained HTML page (docs/html-report.md).
 * The verdict table, a flame graph per section and the charts are static
 * HTML and inline SVG written here, so the page reads without JavaScript;
 * the small embedded script only adds zoom and hover details.  Nothing is
 * fetched: no fonts, images, scripts or styles from elsewhere.
 *
 * Every report family (allocations, goroutines and the Go heap, threads,
 * sockets and the other descriptors) is first turned into a generic struct
 * html_section, and only sections are rendered: a new family needs one
 * fill function.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdtable.h"
#include "go/goreport.h"
#include "render.h"
#include "report.h"
#include "report_threads.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TOP_SITES 8 /* sites with a chart of their own, per section */
#define FLAME_W 1200 /* flame graph width in SVG units */
#define FLAME_ROW 18 /* height of one frame row */
#define FLAME_CHAR_W 7 /* mean glyph width at the flame graph font size */
#define CHART_W 560
#define CHART_H 170
#define CHART_L 70 /* room for the value labels */
#define CHART_R 12
#define CHART_T 12
#define CHART_B 24 /* room for the time labels */

enum html_unit {
	HTML_BYTES, /* lw_point.bytes, formatted "1.5 KiB" */
	HTML_COUNT, /* lw_point.count, formatted "1,234" */
};

/* One site of a section, whatever the family. */
struct html_site {
	enum lw_verdict verdict;
	char name[256]; /* first named frame, else "module+0xoff"... */
	char where[256]; /* "file.c:42" of that frame, or "" */
	double live; /* in the section's unit */
	uint64_t objects; /* live objects behind it (blocks, goroutines...) */
	double growth_per_s; /* in the section's unit */
	double oldest_age_s; /* < 0: unknown */
	const uint64_t *ips; /* raw stack, innermost first (may be NULL) */
	const struct lw_frame *frames; /* symbolized, or NULL */
	unsigned nr_frames;
	const struct lw_point *series;
	size_t nr_series;
	char note[384]; /* family facts: wait reasons, states, the call */
};

/* One family of the report, in the only form the renderer knows. */
struct html_section {
	const char *id; /* "alloc": element ids and data-section */
	const char *title; /* "Heap allocations" */
	const char *kind; /* verdict table column: "heap" */
	const char *measure; /* "outstanding bytes" */
	const char *object_noun; /* "block": the things counted in objects */
	enum html_unit unit;
	char summary[512]; /* one plain-text line under the title */
	const char *flame_top; /* what the top frames are */
	/* Why there are no charts (no series kept); NULL: charts. */
	const char *no_charts;
	bool no_stacks; /* sites are not stacks: no flame graph, no list */
	/* Extra static facts under the summary (RSS beside the Go heap). */
	void (*facts)(FILE *f, const struct lw_report *r);
	struct html_site *sites; /* leak first, as the family ordered them */
	size_t nr_sites;
	void *owned[2]; /* freed with the section: frames made for it */
};

/* ------------------------------------------------------------------ */
/* Escaping and formatting                                             */
/* ------------------------------------------------------------------ */

/* Text and attribute values alike: & < > " ' are the characters that
 * could end either. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			/* Control characters have no place in a name. */
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
		}
	}
}

static const char *fmt_value(const struct html_section *sec, double v,
			     char *buf, size_t len)
{
	v = lw_finite_or_zero(v);
	if (sec->unit == HTML_BYTES)
		return lw_fmt_bytes(v, buf, len);
	return lw_fmt_count(v > 0 ? (uint64_t)llround(v) : 0, buf, len);
}

/* A live amount with its unit: "1.5 KiB", "30 threads". */
static const char *fmt_amount(const struct html_section *sec, double v,
			      char *buf, size_t len)
{
	char n[LW_NUMBUF];
	uint64_t c;

	if (sec->unit == HTML_BYTES)
		return fmt_value(sec, v, buf, len);
	v = lw_finite_or_zero(v);
	c = v > 0 ? (uint64_t)llround(v) : 0;
	snprintf(buf, len, "%s %s%s", lw_fmt_count(c, n, sizeof(n)),
		 sec->object_noun, lw_plural(c));
	return buf;
}

static const char *fmt_growth(const struct html_section *sec, double v,
			      char *buf, size_t len)
{
	v = lw_finite_or_zero(v);
	if (sec->unit == HTML_BYTES)
		return lw_fmt_growth(v, buf, len);
	snprintf(buf, len, "%s%.1f", v >= 0.05 ? "+" : "", v);
	return buf;
}

static double point_value(const struct html_section *sec,
			  const struct lw_point *p)
{
	return sec->unit == HTML_BYTES ? (double)p->bytes : (double)p->count;
}

/* The name of frame i of a site: symbolized, else its raw address. */
static void frame_name(const struct html_site *s, unsigned i, char *buf,
		       size_t len)
{
	if (s->frames)
		lw_frame_name(&s->frames[i], buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, s->ips[i]);
}

/*
 * Frames between the code that asked and the thing made: the C library's
 * wrappers, the Go runtime and its syscall, poll and net layers.  A site
 * is named after the first frame past them, the code a reader owns.
 */
static bool plumbing(const struct lw_frame *fr)
{
	static const char *const go[] = { "runtime.", "syscall.",
					   "internal/", "net.",
					   "os.",	"golang.org/x/sys/" };
	size_t i;

	for (i = 0; fr->function && i < ARRAY_SIZE(go); i++)
		if (!strncmp(fr->function, go[i], strlen(go[i])))
			return true;
	return fr->module && !strncmp(lw_base_name(fr->module), "libc.so", 7);
}

/*
 * What the site is called: its first frame with a function name, past
 * the plumbing when skip_plumbing is set and anything is left after it.
 */
static void name_site(struct html_site *s, bool skip_plumbing)
{
	unsigned i, from = 0;

	s->where[0] = '\0';
	if (!s->nr_frames) {
		snprintf(s->name, sizeof(s->name), "(stack unknown)");
		return;
	}
	if (skip_plumbing && s->frames) {
		for (i = 0; i < s->nr_frames; i++)
			if (s->frames[i].function && !plumbing(&s->frames[i]))
				break;
		from = i < s->nr_frames ? i : 0;
	}
	for (i = from; s->frames && i < s->nr_frames; i++) {
		if (!s->frames[i].function)
			continue;
		lw_frame_name(&s->frames[i], s->name, sizeof(s->name));
		lw_frame_where(&s->frames[i], s->where, sizeof(s->where));
		return;
	}
	frame_name(s, 0, s->name, sizeof(s->name));
}

/* Append "; text" (or text) to the site's note; cut when full. */
static void __attribute__((format(printf, 2, 3)))
note_add(struct html_site *h, const char *fmt, ...)
{
	size_t off = strlen(h->note);
	va_list ap;

	if (off + 3 >= sizeof(h->note))
		return;
	if (off) {
		memcpy(h->note + off, "; ", 3);
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(h->note + off, sizeof(h->note) - off, fmt, ap);
	va_end(ap);
}

/* "sleeping 30, running 1" from name/count pairs into the note. */
static void note_counts(struct html_site *h, const char *label,
			const struct lw_thread_group *g)
{
	char list[256], n[LW_NUMBUF];
	size_t off = 0;
	unsigned i;

	list[0] = '\0';
	for (i = 0; i < g->nr && off < sizeof(list); i++) {
		int w = snprintf(list + off, sizeof(list) - off, "%s%s %s",
				 off ? ", " : "", g->e[i].name,
				 lw_fmt_count(g->e[i].n, n, sizeof(n)));

		if (w > 0)
			off += (size_t)w;
	}
	if (off)
		note_add(h, "%s%s", label, list);
}

/* ------------------------------------------------------------------ */
/* Section producers                                                   */
/* ------------------------------------------------------------------ */

static int fill_alloc(const struct lw_report *r, struct html_section *sec)
{
	const struct lw_alloc_report *a = &r->alloc;
	char b1[LW_NUMBUF], b2[LW_NUMBUF], b3[LW_NUMBUF], b4[LW_NUMBUF];
	size_t i;

	sec->id = "alloc";
	sec->title = "Heap allocations";
	sec->kind = "heap";
	sec->measure = "outstanding bytes";
	sec->object_noun = "block";
	sec->unit = HTML_BYTES;
	sec->flame_top = "the frame that allocated";
	if (r->alloc_unprobed) {
		/* A pure Go binary: no malloc to probe.  Empty figures
		 * would read as "nothing leaks"; say why there are none. */
		snprintf(sec->summary, sizeof(sec->summary),
			 "Heap allocations: not traced, the target has no "
			 "allocator functions to probe (a pure Go binary); "
			 "the Go heap section covers its memory.");
		return 1;
	}
	snprintf(sec->summary, sizeof(sec->summary),
		 "%s allocs, %s frees; live: %s blocks, %s in %zu site%s%s%s",
		 lw_fmt_count(a->total_allocs, b1, sizeof(b1)),
		 lw_fmt_count(a->total_frees, b2, sizeof(b2)),
		 lw_fmt_count(a->live_count, b3, sizeof(b3)),
		 lw_fmt_bytes((double)a->live_bytes, b4, sizeof(b4)),
		 a->nr_sites, lw_plural(a->nr_sites),
		 a->sample_bytes ? "; sampled: figures are estimates" : "",
		 a->dropped_events ? "; events were dropped: figures are low" :
				     "");
	if (!a->nr_sites)
		return 0;
	sec->sites = calloc(a->nr_sites, sizeof(*sec->sites));
	if (!sec->sites)
		return -ENOMEM;
	for (i = 0; i < a->nr_sites; i++) {
		const struct lw_site_report *s = &a->sites[i];
		struct html_site *h = &sec->sites[i];

		h->verdict = s->verdict;
		h->live = (double)s->live_bytes;
		h->objects = s->live_count;
		h->growth_per_s = s->growth_bytes_per_s;
		h->oldest_age_s = s->oldest_age_s;
		h->ips = s->ips;
		h->frames = s->frames;
		h->nr_frames = s->frames || s->ips ? s->nr_ips : 0;
		h->series = s->series;
		h->nr_series = s->series ? s->nr_series : 0;
		name_site(h, false);
		if (s->kind)
			note_add(h, "%s", lw_alloc_kind_name(s->kind));
	}
	sec->nr_sites = a->nr_sites;
	return 0;
}

/* Room for one "created by ..." frame name per goroutine site. */
#define GO_CREATOR_LEN 288

/*
 * Goroutines by creation site.  A site's stack is one representative's
 * (where it waits), innermost first; the go statement that made them is
 * added as the outermost frame, "created by F", so that the flame graph
 * reads creator -> start function -> where they wait, weighed by count.
 */
static int fill_goroutines(const struct lw_report *r,
			   struct html_section *sec)
{
	const struct lw_go_report *g = r->go;
	char b1[LW_NUMBUF], b2[LW_NUMBUF], fn[256], wh[256], leaked[96];
	struct lw_frame *frames;
	char *names;
	size_t i, k, nr_frames = 0, at = 0;

	if (!g)
		return 1;
	sec->id = "goroutine";
	sec->title = "Goroutines";
	sec->kind = "goroutines";
	sec->measure = "live goroutines";
	sec->object_noun = "goroutine";
	sec->unit = HTML_COUNT;
	sec->flame_top = "the function a goroutine waits in, under the go "
			 "statement that created it";
	if (!g->goroutines_ok) {
		snprintf(sec->summary, sizeof(sec->summary),
			 "Goroutines: could not be read (%s).",
			 g->goroutines_error ?: "unknown reason");
		return 1;
	}
	/* How many, not just "some": the number is the one Go's own
	 * goroutineleak profile gives. */
	leaked[0] = '\0';
	if (g->leaked_by_runtime)
		snprintf(leaked, sizeof(leaked),
			 "; %s marked leaked by the Go runtime itself",
			 lw_fmt_count(g->leaked_by_runtime, b1, sizeof(b1)));
	snprintf(sec->summary, sizeof(sec->summary),
		 "%s%s, layout from %s: %s live goroutines in %zu site%s, "
		 "growth %+.1f/s; %s snapshot%s, every %.1f s, %.2f ms each%s",
		 g->version ?: "Go", g->stripped ? " (stripped)" : "",
		 g->layout_from ?: "?", lw_fmt_count(g->live, b1, sizeof(b1)),
		 g->nr_sites, lw_plural(g->nr_sites),
		 lw_shown_rate(g->growth_per_s, 1),
		 lw_fmt_count(g->snapshots, b2, sizeof(b2)),
		 lw_plural(g->snapshots), lw_finite_or_zero(g->interval_s),
		 lw_finite_or_zero(g->snapshot_ms), leaked);
	if (!g->nr_sites)
		return 0;
	for (i = 0; i < g->nr_sites; i++)
		nr_frames += g->sites[i].nr_frames + 1;
	sec->sites = calloc(g->nr_sites, sizeof(*sec->sites));
	frames = calloc(nr_frames, sizeof(*frames));
	names = calloc(g->nr_sites, GO_CREATOR_LEN);
	sec->owned[0] = frames;
	sec->owned[1] = names;
	if (!sec->sites || !frames || !names)
		return -ENOMEM;
	for (i = 0; i < g->nr_sites; i++) {
		const struct lw_go_site *s = &g->sites[i];
		struct html_site *h = &sec->sites[i];
		char *creator = names + i * GO_CREATOR_LEN;

		h->verdict = s->verdict;
		h->live = (double)s->live;
		h->objects = s->live;
		h->growth_per_s = s->growth_per_s;
		h->oldest_age_s = s->oldest_age_s > 0 ? s->oldest_age_s : -1;
		h->series = s->series;
		h->nr_series = s->series ? s->nr_series : 0;
		h->frames = &frames[at];
		for (k = 0; k < s->nr_frames; k++)
			frames[at++] = s->frames[k];
		lw_frame_name(&s->created_by, fn, sizeof(fn));
		lw_frame_where(&s->created_by, wh, sizeof(wh));
		snprintf(creator, GO_CREATOR_LEN, "created by %s", fn);
		frames[at] = s->created_by;
		frames[at++].function = creator;
		h->nr_frames = s->nr_frames + 1;
		/* Named by what the goroutines run, as go tool pprof does;
		 * where is the go statement. */
		if (s->start_function) {
			snprintf(h->name, sizeof(h->name), "%s",
				 s->start_function);
			snprintf(h->where, sizeof(h->where), "%s", wh);
		} else {
			name_site(h, false);
		}
		note_add(h, "created by %s%s%s%s", fn, *wh ? " (" : "", wh,
			 *wh ? ")" : "");
		if (s->nr_reasons) {
			char list[256];
			size_t off = 0, j;

			list[0] = '\0';
			for (j = 0; j < s->nr_reasons && off < sizeof(list);
			     j++) {
				int w = snprintf(list + off, sizeof(list) - off,
						 "%s%s %s", off ? ", " : "",
						 s->reasons[j].name ?: "?",
						 lw_fmt_count(s->reasons[j].n,
							      b1, sizeof(b1)));

				if (w > 0)
					off += (size_t)w;
			}
			note_add(h, "waiting: %s", list);
		}
		if (s->running || s->runnable || s->syscall)
			note_add(h,
				 "%" PRIu64 " running, %" PRIu64
				 " runnable, %" PRIu64 " in syscalls",
				 s->running, s->runnable, s->syscall);
		if (s->oldest_blocked_s > 0)
			note_add(h, "blocked for at least %s",
				 lw_fmt_duration(s->oldest_blocked_s, b2,
						 sizeof(b2)));
		if (s->leaked)
			note_add(h,
				 "%" PRIu64 " marked leaked by the Go runtime",
				 s->leaked);
		if (s->verdict != s->census_verdict)
			note_add(h, "%s by count, but its goroutines work",
				 lw_verdict_name(s->census_verdict));
	}
	sec->nr_sites = g->nr_sites;
	return 0;
}

/* The Go heap beside the process: are they growing together? */
static void goheap_facts(FILE *f, const struct lw_report *r)
{
	const struct lw_go_report *g = r->go;
	char a[LW_NUMBUF], b[LW_NUMBUF];

	fprintf(f, "<table class=\"facts\" id=\"goheap-vs-rss\">\n<thead><tr>"
		   "<th></th><th>Now</th><th>Growth</th></tr></thead>\n<tbody>"
		   "\n");
	fprintf(f,
		"<tr><th>Go heap in use</th><td class=\"num\">%s</td><td "
		"class=\"num\">%s/s</td></tr>\n",
		lw_fmt_bytes((double)g->inuse_bytes, a, sizeof(a)),
		lw_fmt_growth(g->growth_bytes_per_s, b, sizeof(b)));
	fprintf(f,
		"<tr><th>Process RSS</th><td class=\"num\">%s</td><td "
		"class=\"num\">%s/s</td></tr>\n",
		lw_fmt_bytes((double)g->rss_bytes, a, sizeof(a)),
		lw_fmt_growth(g->rss_growth_bytes_per_s, b, sizeof(b)));
	fprintf(f,
		"<tr><th>of which anonymous</th><td class=\"num\">%s</td>"
		"<td></td></tr>\n</tbody>\n</table>\n",
		lw_fmt_bytes((double)g->rss_anon_bytes, a, sizeof(a)));
}

/* The Go runtime's heap profile: bytes in use by allocation stack. */
static int fill_goheap(const struct lw_report *r, struct html_section *sec)
{
	const struct lw_go_report *g = r->go;
	char b1[LW_NUMBUF], b2[LW_NUMBUF], b3[LW_NUMBUF];
	size_t i;

	if (!g)
		return 1;
	sec->id = "goheap";
	sec->title = "Go heap";
	sec->kind = "go heap";
	sec->measure = "bytes in use";
	sec->object_noun = "object";
	sec->unit = HTML_BYTES;
	sec->flame_top = "the frame that allocated";
	sec->no_charts = "The Go runtime's heap profile has no history: the "
			 "growth column is the slope over leakwatch's "
			 "snapshots, there is no series to draw.";
	if (!g->heap_available) {
		snprintf(sec->summary, sizeof(sec->summary),
			 "Go heap: not available (%s).",
			 g->heap_reason ?: "unknown reason");
		return 1;
	}
	sec->facts = goheap_facts;
	snprintf(sec->summary, sizeof(sec->summary),
		 "%s in use in %s objects at %zu site%s, beside an RSS of "
		 "%s; %s",
		 lw_fmt_bytes((double)g->inuse_bytes, b1, sizeof(b1)),
		 lw_fmt_count(g->inuse_objects, b2, sizeof(b2)),
		 g->nr_heap_sites, lw_plural(g->nr_heap_sites),
		 lw_fmt_bytes((double)g->rss_bytes, b3, sizeof(b3)),
		 g->sample_rate == 1 ? "every allocation profiled: exact" :
				       "sampled by the runtime: estimates");
	if (!g->nr_heap_sites)
		return 0;
	sec->sites = calloc(g->nr_heap_sites, sizeof(*sec->sites));
	if (!sec->sites)
		return -ENOMEM;
	for (i = 0; i < g->nr_heap_sites; i++) {
		const struct lw_go_heap_site *s = &g->heap_sites[i];
		struct html_site *h = &sec->sites[i];

		h->verdict = s->verdict;
		h->live = (double)s->inuse_bytes;
		h->objects = s->inuse_objects;
		h->growth_per_s = s->growth_bytes_per_s;
		h->oldest_age_s = -1;
		h->frames = s->frames;
		h->nr_frames = s->frames ? s->nr_frames : 0;
		name_site(h, true);
	}
	sec->nr_sites = g->nr_heap_sites;
	return 0;
}

static int fill_threads(const struct lw_report *r, struct html_section *sec)
{
	const struct lw_thread_report *t = r->threads;
	char b1[LW_NUMBUF], b2[LW_NUMBUF], b3[LW_NUMBUF];
	size_t i;

	if (!t)
		return 1;
	sec->id = "thread";
	sec->title = "Threads";
	sec->kind = "threads";
	sec->measure = "live threads";
	sec->object_noun = "thread";
	sec->unit = HTML_COUNT;
	sec->flame_top = "the function that created the thread";
	snprintf(sec->summary, sizeof(sec->summary),
		 "%s live threads in %zu site%s; %s created and %s exited "
		 "during the session%s%s",
		 lw_fmt_count(t->live, b1, sizeof(b1)), t->nr_sites,
		 lw_plural(t->nr_sites), lw_fmt_count(t->births, b2, sizeof(b2)),
		 lw_fmt_count(t->deaths, b3, sizeof(b3)),
		 t->states_known ? "" : "; thread states unknown",
		 t->dropped_events ? "; events were dropped: figures are low" :
				     "");
	if (!t->nr_sites)
		return 0;
	sec->sites = calloc(t->nr_sites, sizeof(*sec->sites));
	if (!sec->sites)
		return -ENOMEM;
	for (i = 0; i < t->nr_sites; i++) {
		const struct lw_thread_site *s = &t->sites[i];
		struct html_site *h = &sec->sites[i];

		h->verdict = s->verdict;
		h->live = (double)s->live;
		h->objects = s->live;
		h->growth_per_s = s->growth_per_s;
		h->oldest_age_s = s->oldest_age_s > 0 ? s->oldest_age_s : -1;
		h->ips = s->ips;
		h->frames = s->frames;
		/* Symbolized: inlined Go calls are frames of their own. */
		h->nr_frames = s->frames ? s->nr_frames : 0;
		if (!s->frames && s->ips)
			h->nr_frames = s->nr_ips;
		h->series = s->series;
		h->nr_series = s->series ? s->nr_series : 0;
		if (!s->stack_id && !h->nr_frames) {
			snprintf(h->name, sizeof(h->name),
				 "(created before attach)");
			h->where[0] = '\0';
		} else {
			name_site(h, true);
		}
		note_counts(h, "", &s->states);
		note_counts(h, "in ", &s->syscalls);
		note_counts(h, "wchan ", &s->wchan);
		if (s->created_before_attach && s->stack_id)
			note_add(h, "some predate the session");
	}
	sec->nr_sites = t->nr_sites;
	return 0;
}

/* "ESTABLISHED 3, CLOSE_WAIT 2" of a by_state array into buf. */
static void states_list(const uint64_t *by_state, char *buf, size_t len)
{
	char n[LW_NUMBUF];
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < LW_SOCK_NR_STATES && off < len; i++) {
		int w;

		if (!by_state[i])
			continue;
		w = snprintf(buf + off, len - off, "%s%s %s", off ? ", " : "",
			     lw_sock_state_name(i),
			     lw_fmt_count(by_state[i], n, sizeof(n)));
		if (w > 0)
			off += (size_t)w;
	}
}

static void protos_list(const uint64_t *by_proto, char *buf, size_t len)
{
	char n[LW_NUMBUF];
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < LW_PROTO_NR && off < len; i++) {
		int w;

		if (!by_proto[i])
			continue;
		w = snprintf(buf + off, len - off, "%s%s %s", off ? ", " : "",
			     lw_sock_proto_name(i),
			     lw_fmt_count(by_proto[i], n, sizeof(n)));
		if (w > 0)
			off += (size_t)w;
	}
}

static int fill_sockets(const struct lw_report *r, struct html_section *sec)
{
	const struct lw_socket_report *k = r->sockets;
	char b1[LW_NUMBUF], st[192], pr[128];
	size_t i;

	if (!k)
		return 1;
	sec->id = "socket";
	sec->title = "Sockets";
	sec->kind = "sockets";
	sec->measure = "open sockets";
	sec->object_noun = "socket";
	sec->unit = HTML_COUNT;
	sec->flame_top = "the call that made the socket";
	states_list(k->by_state, st, sizeof(st));
	protos_list(k->by_proto, pr, sizeof(pr));
	snprintf(sec->summary, sizeof(sec->summary),
		 "%s open sockets in %zu site%s%s%s%s%s%s%s%s",
		 lw_fmt_count(k->open, b1, sizeof(b1)), k->nr_sites,
		 lw_plural(k->nr_sites), *st ? "; states: " : "", st,
		 *pr ? "; protocols: " : "", pr,
		 k->states_known || !k->open ? "" :
					       "; states unknown (sock_diag "
					       "did not answer)",
		 k->dropped_events ? "; events were dropped: figures are low" :
				     "",
		 k->corrections ? "; /proc corrected the traced table" : "");
	if (!k->nr_sites)
		return 0;
	sec->sites = calloc(k->nr_sites, sizeof(*sec->sites));
	if (!sec->sites)
		return -ENOMEM;
	for (i = 0; i < k->nr_sites; i++) {
		const struct lw_socket_site *s = &k->sites[i];
		struct html_site *h = &sec->sites[i];

		h->verdict = s->verdict;
		h->live = (double)s->open;
		h->objects = s->open;
		h->growth_per_s = s->growth_per_s;
		h->oldest_age_s = s->oldest_age_s > 0 ? s->oldest_age_s : -1;
		h->ips = s->ips;
		h->frames = s->frames;
		/* Symbolized: inlined Go calls are frames of their own. */
		h->nr_frames = s->frames ? s->nr_frames : 0;
		if (!s->frames && s->ips)
			h->nr_frames = s->nr_ips;
		h->series = s->series;
		h->nr_series = s->series ? s->nr_series : 0;
		if (s->site == LW_FD_SITE_BEFORE)
			snprintf(h->name, sizeof(h->name),
				 "(open before tracing started)");
		else if (s->site == LW_FD_SITE_UNTRACED)
			snprintf(h->name, sizeof(h->name),
				 "(made by an untraced call)");
		else
			name_site(h, true);
		if (s->call)
			note_add(h, "%s", lw_fd_call_name(s->call));
		states_list(s->by_state, st, sizeof(st));
		if (*st)
			note_add(h, "%s", st);
		protos_list(s->by_proto, pr, sizeof(pr));
		if (*pr)
			note_add(h, "%s", pr);
		if (s->close_wait_verdict != LW_VERDICT_STABLE)
			note_add(h, "CLOSE_WAIT %s",
				 lw_verdict_name(s->close_wait_verdict));
	}
	sec->nr_sites = k->nr_sites;
	return 0;
}

/* The other descriptor kinds: a verdict per kind, no stacks, no series. */
static int fill_fds(const struct lw_report *r, struct html_section *sec)
{
	const struct lw_socket_report *k = r->sockets;
	size_t i;

	if (!k || !k->nr_kinds)
		return 1;
	sec->id = "fd";
	sec->title = "Other descriptors";
	sec->kind = "fds";
	sec->measure = "open descriptors";
	sec->object_noun = "descriptor";
	sec->unit = HTML_COUNT;
	sec->no_stacks = true;
	sec->no_charts = "Counted per kind from /proc at each snapshot: no "
			 "creation stacks and no series are kept for them.";
	snprintf(sec->summary, sizeof(sec->summary),
		 "Descriptors that are not sockets, by kind (%zu kind%s open).",
		 k->nr_kinds, lw_plural(k->nr_kinds));
	sec->sites = calloc(k->nr_kinds, sizeof(*sec->sites));
	if (!sec->sites)
		return -ENOMEM;
	for (i = 0; i < k->nr_kinds; i++) {
		const struct lw_fd_kind_report *d = &k->kinds[i];
		struct html_site *h = &sec->sites[i];

		h->verdict = d->verdict;
		h->live = (double)d->open;
		h->objects = d->open;
		h->growth_per_s = d->growth_per_s;
		h->oldest_age_s = -1;
		snprintf(h->name, sizeof(h->name), "%s",
			 lw_fd_kind_name(d->kind));
	}
	sec->nr_sites = k->nr_kinds;
	return 0;
}

/*
 * Every family the report may hold, in page order; the allocations come
 * first, so their flame graph is the first one.  A producer fills sec and
 * returns 0, or returns 1 when its family is absent from r (with, in
 * summary, a one-line note saying why when that is worth knowing).
 */
static int (*const producers[])(const struct lw_report *r,
				struct html_section *sec) = {
	fill_alloc, fill_goroutines, fill_goheap,
	fill_threads, fill_sockets, fill_fds,
};

/* ------------------------------------------------------------------ */
/* Flame graph                                                         */
/* ------------------------------------------------------------------ */

struct fnode {
	char *name;
	double value; /* sum over the sites whose stack passes here */
	double x; /* left edge as a fraction of the root's value */
	int first_child, next_sibling; /* -1: none */
	unsigned depth; /* 0: the root */
	enum lw_verdict worst; /* worst verdict of those sites */
};

struct flame {
	struct fnode *n;
	size_t nr, cap;
	unsigned max_depth;
};

static int flame_add_node(struct flame *fl, int parent, const char *name)
{
	struct fnode *n;

	if (fl->nr == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 64;

		n = realloc(fl->n, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		fl->n = n;
		fl->cap = cap;
	}
	n = &fl->n[fl->nr];
	*n = (struct fnode){ .first_child = -1, .next_sibling = -1 };
	n->name = strdup(name);
	if (!n->name)
		return -ENOMEM;
	if (parent >= 0) {
		/* Append, so siblings keep the sites' order (leak first). */
		int *link = &fl->n[parent].first_child;

		while (*link >= 0)
			link = &fl->n[*link].next_sibling;
		*link = (int)fl->nr;
		n->depth = fl->n[parent].depth + 1;
		if (n->depth > fl->max_depth)
			fl->max_depth = n->depth;
	}
	return (int)fl->nr++;
}

static int flame_child(struct flame *fl, int parent, const char *name)
{
	int c;

	for (c = fl->n[parent].first_child; c >= 0; c = fl->n[c].next_sibling)
		if (!strcmp(fl->n[c].name, name))
			return c;
	return flame_add_node(fl, parent, name);
}

/* Merge one site's stack, outermost frame first, under the root (0). */
static int flame_add_site(struct flame *fl, const struct html_site *s)
{
	char name[256];
	int node = 0;
	unsigned i;

	fl->n[0].value += s->live;
	if (s->verdict > fl->n[0].worst)
		fl->n[0].worst = s->verdict;
	for (i = s->nr_frames; i-- > 0;) {
		frame_name(s, i, name, sizeof(name));
		node = flame_child(fl, node, name);
		if (node < 0)
			return node;
		fl->n[node].value += s->live;
		if (s->verdict > fl->n[node].worst)
			fl->n[node].worst = s->verdict;
	}
	return 0;
}

static void flame_free(struct flame *fl)
{
	size_t i;

	for (i = 0; i < fl->nr; i++)
		free(fl->n[i].name);
	free(fl->n);
}

/* Children start at the parent's left edge, one after another. */
static void flame_layout(struct flame *fl)
{
	size_t i;

	for (i = 0; i < fl->nr; i++) {
		double x = fl->n[i].x;
		int c;

		for (c = fl->n[i].first_child; c >= 0;
		     c = fl->n[c].next_sibling) {
			fl->n[c].x = x;
			x += fl->n[0].value > 0 ?
				     fl->n[c].value / fl->n[0].value :
				     0;
		}
	}
}

/* A stable colour per name, in the verdict's family of hues. */
static void flame_fill(const struct fnode *n, char *buf, size_t len)
{
	unsigned h = 2166136261u;
	const char *p;

	for (p = n->name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	switch (n->worst) {
	case LW_VERDICT_LEAK:
		snprintf(buf, len, "hsl(%u,78%%,%u%%)", h % 14,
			 58 + h / 14 % 12);
		break;
	case LW_VERDICT_GROWING:
		snprintf(buf, len, "hsl(%u,85%%,%u%%)", 30 + h % 15,
			 58 + h / 15 % 12);
		break;
	default:
		snprintf(buf, len, "hsl(%u,22%%,%u%%)", 195 + h % 30,
			 70 + h / 30 % 12);
	}
}

/* The visible label of a w-unit wide frame; "" when nothing fits. */
static void flame_label(const char *name, double w, char *buf, size_t len)
{
	long fit = (long)((w - 6) / FLAME_CHAR_W);
	size_t n = strlen(name);

	if (fit < 3) {
		buf[0] = '\0';
		return;
	}
	if (n <= (size_t)fit) {
		snprintf(buf, len, "%s", name);
		return;
	}
	n = (size_t)fit - 2;
	if (n >= len - 3)
		n = len - 3;
	/* Never cut a UTF-8 sequence in half. */
	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	snprintf(buf, len, "%.*s..", (int)n, name);
}

static void write_flame(FILE *f, const struct html_section *sec,
			const struct flame *fl)
{
	unsigned rows = fl->max_depth + 1;
	char v[LW_NUMBUF * 2], fill[48], label[256];
	size_t i;

	fprintf(f,
		"<svg class=\"flame\" id=\"flame-%s\" data-section=\"%s\" "
		"viewBox=\"0 0 %d %u\" width=\"%d\" height=\"%u\" role=\"img\" "
		"aria-label=\"flame graph of %s by stack\">\n",
		sec->id, sec->id, FLAME_W, rows * FLAME_ROW, FLAME_W,
		rows * FLAME_ROW, sec->measure);
	for (i = 0; i < fl->nr; i++) {
		const struct fnode *n = &fl->n[i];
		double share = fl->n[0].value > 0 ? n->value / fl->n[0].value :
						    0;
		double x = n->x * FLAME_W, w = share * FLAME_W;
		unsigned y = (fl->max_depth - n->depth) * FLAME_ROW;

		flame_fill(n, fill, sizeof(fill));
		flame_label(n->name, w, label, sizeof(label));
		fprintf(f,
			"<g class=\"fr v-%s\" data-x=\"%.6f\" data-w=\"%.6f\" "
			"data-d=\"%u\" data-n=\"",
			lw_verdict_name(n->worst), n->x, share, n->depth);
		esc(f, n->name);
		fprintf(f, "\"><title>");
		esc(f, n->name);
		fprintf(f, ": %s (%.1f%%)%s</title>",
			fmt_amount(sec, n->value, v, sizeof(v)), share * 100,
			n->worst == LW_VERDICT_LEAK ? ", leaking" : "");
		fprintf(f,
			"<rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" "
			"height=\"%d\" "
			"fill=\"%s\"/><text x=\"%.2f\" y=\"%u\">",
			x, y, w, FLAME_ROW - 1, fill, x + 3, y + FLAME_ROW - 5);
		esc(f, label);
		fprintf(f, "</text></g>\n");
	}
	fprintf(f, "</svg>\n");
}

static int section_flame(FILE *f, const struct html_section *sec)
{
	struct flame fl = { 0 };
	char v[LW_NUMBUF * 2];
	size_t i;
	int err;

	if (sec->no_stacks)
		return 0;
	fprintf(f, "<h3>Flame graph: %s by stack</h3>\n", sec->measure);
	err = flame_add_node(&fl, -1, "all");
	for (i = 0; err >= 0 && i < sec->nr_sites; i++)
		if (sec->sites[i].live > 0)
			err = flame_add_site(&fl, &sec->sites[i]);
	if (err < 0)
		goto out;
	err = 0;
	if (fl.n[0].value <= 0) {
		fprintf(f, "<p class=\"none\">Nothing outstanding.</p>\n");
		goto out;
	}
	flame_layout(&fl);
	fprintf(f,
		"<p class=\"hint\">Outermost frame at the bottom, %s on "
		"top; width is the share of the %s %s. Reds lead to leaking "
		"sites. Click a frame to zoom, click the bottom bar to "
		"reset.</p>\n<div class=\"flame-wrap\">",
		sec->flame_top, fmt_amount(sec, fl.n[0].value, v, sizeof(v)),
		sec->unit == HTML_BYTES ? sec->measure : "in all");
	write_flame(f, sec, &fl);
	fprintf(f,
		"</div>\n<p class=\"details\" id=\"details-%s\">&nbsp;</p>\n",
		sec->id);
out:
	flame_free(&fl);
	return err;
}

/* ------------------------------------------------------------------ */
/* Charts                                                              */
/* ------------------------------------------------------------------ */

struct series {
	double *t, *v;
	size_t n;
};

static int series_of_site(const struct html_section *sec,
			  const struct html_site *s, struct series *out)
{
	size_t k;

	out->n = 0;
	out->t = calloc(s->nr_series ?: 1, sizeof(double));
	out->v = calloc(s->nr_series ?: 1, sizeof(double));
	if (!out->t || !out->v)
		return -ENOMEM;
	for (k = 0; k < s->nr_series; k++) {
		out->t[k] = s->series[k].t_s;
		out->v[k] = point_value(sec, &s->series[k]);
	}
	out->n = s->nr_series;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The process as a whole: at every instant any site was sampled, the sum
 * over all sites of their last value at or before it (0 before a site's
 * first point).  Sites halve their series independently, so the instants
 * are the union of theirs.
 */
static int series_total(const struct html_section *sec, struct series *out)
{
	size_t i, k, nr = 0;
	size_t *cur = NULL;

	out->n = 0;
	for (i = 0; i < sec->nr_sites; i++)
		nr += sec->sites[i].nr_series;
	out->t = calloc(nr ?: 1, sizeof(double));
	out->v = calloc(nr ?: 1, sizeof(double));
	cur = calloc(sec->nr_sites ?: 1, sizeof(*cur));
	if (!out->t || !out->v || !cur) {
		free(cur);
		return -ENOMEM;
	}
	for (i = 0; i < sec->nr_sites; i++)
		for (k = 0; k < sec->sites[i].nr_series; k++)
			out->t[out->n++] = sec->sites[i].series[k].t_s;
	qsort(out->t, out->n, sizeof(double), cmp_double);
	for (i = k = 0; i < out->n; i++)
		if (!k || out->t[i] != out->t[k - 1])
			out->t[k++] = out->t[i];
	out->n = k;
	for (k = 0; k < out->n; k++) {
		double sum = 0;

		for (i = 0; i < sec->nr_sites; i++) {
			const struct html_site *s = &sec->sites[i];

			while (cur[i] < s->nr_series &&
			       s->series[cur[i]].t_s <= out->t[k])
				cur[i]++;
			if (cur[i])
				sum += point_value(sec, &s->series[cur[i] - 1]);
		}
		out->v[k] = sum;
	}
	free(cur);
	return 0;
}

static void series_free(struct series *s)
{
	free(s->t);
	free(s->v);
	s->t = s->v = NULL;
}

/*
 * One line chart, t in [0, t_end] seconds, values from 0 up.  data-t and
 * data-v carry the exact figures for the hover read-out; the polyline has
 * one vertex per point.
 */
static void write_chart(FILE *f, const struct html_section *sec,
			const char *title, const char *where, long site,
			enum lw_verdict verdict, const struct series *s,
			double t_end, double growth)
{
	const double pw = CHART_W - CHART_L - CHART_R;
	const double ph = CHART_H - CHART_T - CHART_B;
	char b[LW_NUMBUF * 2], g[LW_NUMBUF];
	double vmax = 0;
	size_t k;
	int i;

	for (k = 0; k < s->n; k++)
		if (s->v[k] > vmax)
			vmax = s->v[k];
	/* Headroom, and a visible axis for an all-zero series. */
	vmax = vmax > 0 ? vmax * 1.1 : 1;
	if (t_end <= 0)
		t_end = 1;

	fprintf(f, "<figure class=\"chart-box v-%s\">\n<figcaption>",
		lw_verdict_name(verdict));
	if (site >= 0)
		fprintf(f, "<span class=\"tag v-%s\">%s</span> ",
			lw_verdict_name(verdict), lw_verdict_upper(verdict));
	esc(f, title);
	if (where && *where) {
		fprintf(f, " <span class=\"where\">");
		esc(f, where);
		fprintf(f, "</span>");
	}
	fprintf(f, "</figcaption>\n<svg class=\"chart\" data-section=\"%s\" ",
		sec->id);
	if (site >= 0)
		fprintf(f, "data-site=\"%ld\" ", site);
	else
		fprintf(f, "data-site=\"total\" ");
	if (sec->unit == HTML_COUNT)
		fprintf(f, "data-noun=\"%s\" ", sec->object_noun);
	fprintf(f,
		"data-unit=\"%s\" data-n=\"%zu\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\">\n<title>",
		sec->unit == HTML_BYTES ? "bytes" : "count", s->n, CHART_W,
		CHART_H, CHART_W, CHART_H);
	esc(f, title);
	fprintf(f, ": %zu points over %.1f s", s->n, t_end);
	if (s->n)
		fprintf(f, ", last %s", fmt_amount(sec, s->v[s->n - 1], b,
						   sizeof(b)));
	fprintf(f, ", growth %s/s</title>\n",
		fmt_growth(sec, growth, g, sizeof(g)));

	/* Grid and value labels: 0, 1/4, ..., the top. */
	for (i = 0; i <= 4; i++) {
		double y = CHART_T + ph - ph * i / 4;

		fprintf(f,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
			"y2=\"%.1f\"/><text class=\"ylab\" x=\"%d\" "
			"y=\"%.1f\">%s</text>\n",
			CHART_L, y, CHART_W - CHART_R, y, CHART_L - 6, y + 4,
			fmt_value(sec, vmax * i / 4, b, sizeof(b)));
	}
	for (i = 0; i <= 4; i++) {
		double x = CHART_L + pw * i / 4;

		fprintf(f,
			"<text class=\"xlab\" x=\"%.1f\" y=\"%d\">%.1f "
			"s</text>\n",
			x, CHART_H - 6, t_end * i / 4);
	}
	fprintf(f, "<polyline class=\"line v-%s\" points=\"",
		lw_verdict_name(verdict));
	for (k = 0; k < s->n; k++)
		fprintf(f, "%s%.1f,%.1f", k ? " " : "",
			CHART_L + pw * s->t[k] / t_end,
			CHART_T + ph - ph * s->v[k] / vmax);
	fprintf(f, "\" data-t=\"");
	for (k = 0; k < s->n; k++)
		fprintf(f, "%s%.3f", k ? " " : "", s->t[k]);
	fprintf(f, "\" data-v=\"");
	for (k = 0; k < s->n; k++)
		fprintf(f, "%s%.0f", k ? " " : "", s->v[k]);
	fprintf(f, "\"/>\n</svg>\n<div class=\"readout\">growth %s/s</div>"
		   "\n</figure>\n",
		fmt_growth(sec, growth, g, sizeof(g)));
}

/* Least-squares slope of the total, as the sites' growth is computed. */
static double slope(const struct series *s)
{
	double mt = 0, mv = 0, num = 0, den = 0;
	size_t k;

	if (s->n < 2)
		return 0;
	for (k = 0; k < s->n; k++) {
		mt += s->t[k];
		mv += s->v[k];
	}
	mt /= s->n;
	mv /= s->n;
	for (k = 0; k < s->n; k++) {
		num += (s->t[k] - mt) * (s->v[k] - mv);
		den += (s->t[k] - mt) * (s->t[k] - mt);
	}
	return den > 0 ? num / den : 0;
}

static int section_charts(FILE *f, const struct html_section *sec,
			  double t_end)
{
	struct series s = { 0 };
	enum lw_verdict worst = LW_VERDICT_STABLE;
	char title[320];
	size_t i, k;
	int err;

	for (i = 0; i < sec->nr_sites; i++) {
		if (sec->sites[i].verdict > worst)
			worst = sec->sites[i].verdict;
		for (k = 0; k < sec->sites[i].nr_series; k++)
			if (sec->sites[i].series[k].t_s > t_end)
				t_end = sec->sites[i].series[k].t_s;
	}
	if (sec->no_charts) {
		fprintf(f, "<p class=\"none nocharts\">");
		esc(f, sec->no_charts);
		fprintf(f, "</p>\n");
		return 0;
	}
	if (sec->unit == HTML_COUNT && !sec->nr_sites) {
		/* Nothing live: a chart would be a flat line at 0. */
		fprintf(f, "<p class=\"none nocharts\">Nothing live: no "
			   "chart.</p>\n");
		return 0;
	}
	fprintf(f,
		"<h3>Live %s%s over the window</h3>\n<div class=\"charts\" "
		"id=\"charts-%s\">\n",
		sec->unit == HTML_BYTES ? "bytes" : sec->object_noun,
		sec->unit == HTML_BYTES ? "" : "s", sec->id);
	err = series_total(sec, &s);
	if (err)
		goto out;
	write_chart(f, sec, "Process total (all sites)", NULL, -1, worst, &s,
		    t_end, slope(&s));
	series_free(&s);
	for (i = 0; i < sec->nr_sites && i < TOP_SITES; i++) {
		const struct html_site *h = &sec->sites[i];

		err = series_of_site(sec, h, &s);
		if (err)
			goto out;
		snprintf(title, sizeof(title), "#%zu %s", i + 1, h->name);
		write_chart(f, sec, title, h->where, (long)i, h->verdict, &s,
			    t_end, h->growth_per_s);
		series_free(&s);
	}
	fprintf(f, "</div>\n");
out:
	series_free(&s);
	return err;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

/* The rows of sec's sites with verdict v, in the section's order. */
static void verdict_rows(FILE *f, const struct html_section *sec,
			 enum lw_verdict verdict)
{
	char v[LW_NUMBUF * 2], n[LW_NUMBUF], g[LW_NUMBUF], age[LW_NUMBUF];
	size_t i;

	for (i = 0; i < sec->nr_sites; i++) {
		const struct html_site *h = &sec->sites[i];
		const char *vn = lw_verdict_name(h->verdict);

		if (h->verdict != verdict)
			continue;
		fprintf(f,
			"<tr class=\"site v-%s\" data-section=\"%s\" "
			"data-index=\"%zu\" data-verdict=\"%s\" "
			"data-live=\"%.0f\" data-site=\"",
			vn, sec->id, i, vn, lw_finite_or_zero(h->live));
		esc(f, h->name);
		fprintf(f,
			"\"><td class=\"verdict\"><span class=\"tag v-%s\">%s"
			"</span></td><td>%s</td><td class=\"name\">",
			vn, lw_verdict_upper(h->verdict), sec->kind);
		/* To the site's stack, or to its section when it has none. */
		if (sec->no_stacks)
			fprintf(f, "<a href=\"#sec-%s\">", sec->id);
		else
			fprintf(f, "<a href=\"#site-%s-%zu\">", sec->id, i);
		esc(f, h->name);
		fprintf(f, "</a></td><td class=\"where\">");
		esc(f, h->where);
		if (h->oldest_age_s >= 0)
			lw_fmt_duration(h->oldest_age_s, age, sizeof(age));
		else
			snprintf(age, sizeof(age), "?");
		fprintf(f,
			"</td><td class=\"num\">%s</td><td "
			"class=\"num\">%s</td>"
			"<td class=\"num\">%s/s</td><td class=\"num\">%s</td>"
			"<td class=\"note\">",
			fmt_amount(sec, h->live, v, sizeof(v)),
			lw_fmt_count(h->objects, n, sizeof(n)),
			fmt_growth(sec, h->growth_per_s, g, sizeof(g)), age);
		esc(f, h->note);
		fprintf(f, "</td></tr>\n");
	}
}

static void verdict_table(FILE *f, const struct html_section *secs,
			  size_t nr)
{
	size_t i, rows = 0;
	int v;

	fprintf(f, "<section id=\"verdicts\">\n<h2>Verdicts</h2>\n");
	for (i = 0; i < nr; i++)
		rows += secs[i].nr_sites;
	if (!rows) {
		fprintf(f, "<p class=\"none\">No site holds anything live: "
			   "nothing leaks.</p>\n</section>\n");
		return;
	}
	fprintf(f, "<table class=\"verdicts\">\n<thead><tr><th>Verdict</th>"
		   "<th>Kind</th><th>Site</th><th>Where</th><th>Live</th>"
		   "<th>Objects</th><th>Growth</th><th>Oldest</th>"
		   "<th>Details</th></tr></thead>\n<tbody>\n");
	/* Leaks of every family first, then growing, then stable. */
	for (v = LW_VERDICT_LEAK; v >= LW_VERDICT_STABLE; v--)
		for (i = 0; i < nr; i++)
			verdict_rows(f, &secs[i], (enum lw_verdict)v);
	fprintf(f, "</tbody>\n</table>\n</section>\n");
}

/* Each site's full stack, folded (<details> needs no script). */
static void section_stacks(FILE *f, const struct html_section *sec)
{
	char name[256], where[256], v[LW_NUMBUF * 2], n[LW_NUMBUF];
	size_t i;
	unsigned k;

	if (!sec->nr_sites || sec->no_stacks)
		return;
	fprintf(f, "<h3>Stacks</h3>\n");
	for (i = 0; i < sec->nr_sites; i++) {
		const struct html_site *h = &sec->sites[i];

		fprintf(f,
			"<details id=\"site-%s-%zu\"%s><summary><span "
			"class=\"tag v-%s\">%s</span> #%zu ",
			sec->id, i,
			h->verdict == LW_VERDICT_LEAK ? " open" : "",
			lw_verdict_name(h->verdict),
			lw_verdict_upper(h->verdict), i + 1);
		esc(f, h->name);
		if (sec->unit == HTML_BYTES)
			fprintf(f, ": %s in %s %s%s",
				fmt_amount(sec, h->live, v, sizeof(v)),
				lw_fmt_count(h->objects, n, sizeof(n)),
				sec->object_noun, lw_plural(h->objects));
		else
			fprintf(f, ": %s",
				fmt_amount(sec, h->live, v, sizeof(v)));
		if (h->note[0]) {
			fprintf(f, " <span class=\"note\">(");
			esc(f, h->note);
			fprintf(f, ")</span>");
		}
		fprintf(f, "</summary>\n<ol class=\"stack\">\n");
		for (k = 0; k < h->nr_frames; k++) {
			uint64_t ip = h->frames ? h->frames[k].addr : h->ips[k];

			frame_name(h, k, name, sizeof(name));
			if (h->frames)
				lw_frame_where(&h->frames[k], where,
					       sizeof(where));
			else
				where[0] = '\0';
			fprintf(f, "<li><code>0x%" PRIx64 "</code> <b>", ip);
			esc(f, name);
			fprintf(f, "</b> <span class=\"where\">");
			esc(f, where);
			fprintf(f, "</span> <span class=\"module\">");
			if (h->frames && h->frames[k].module)
				esc(f, lw_base_name(h->frames[k].module));
			fprintf(f, "</span></li>\n");
		}
		fprintf(f, "</ol>\n</details>\n");
	}
}

/* ------------------------------------------------------------------ */
/* The page                                                            */
/* ------------------------------------------------------------------ */

static const char page_css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:"
	"1240px;padding:16px;color:#1d2228;background:#fff}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px;"
	"border-bottom:1px solid #d5dae0}h3{font-size:15px;margin:18px 0 6px}\n"
	".meta,.hint,.where,.module,.none{color:#5b6570}.hint{font-size:12px}\n"
	"table.verdicts{border-collapse:collapse;width:100%}\n"
	".verdicts th,.verdicts td{padding:3px 8px;border-bottom:1px solid "
	"#e3e7eb;text-align:left;vertical-align:top}.verdicts td.num,"
	".verdicts th:nth-child(n+5):not(:last-child){text-align:right;"
	"font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	".note{color:#5b6570;font-size:12px}\n"
	"table.facts{border-collapse:collapse;margin:4px 0 8px}.facts th,"
	".facts td{padding:2px 10px;border-bottom:1px solid #e3e7eb;"
	"text-align:left}.facts td.num{text-align:right}\n"
	"tr.v-leak{background:#fdecec}tr.v-growing{background:#fff6e5}\n"
	".tag{display:inline-block;min-width:5.5em;text-align:center;"
	"font-weight:700;font-size:12px;border-radius:3px;padding:0 4px;"
	"color:#fff;background:#3f8f5a}.tag.v-leak{background:#c62828}"
	".tag.v-growing{background:#d98200}\n"
	".flame-wrap{overflow-x:auto}svg.flame{display:block;max-width:100%;"
	"height:auto;font:12px monospace}svg.flame g{cursor:pointer}\n"
	"svg.flame rect{stroke:#fff;stroke-width:.5}svg.flame g:hover rect"
	"{stroke:#000}svg.flame text{fill:#111;pointer-events:none}\n"
	".details{font:12px monospace;min-height:1.5em;margin:4px 0}\n"
	".charts{display:flex;flex-wrap:wrap;gap:12px}\n"
	"figure.chart-box{margin:0;border:1px solid #e3e7eb;border-radius:4px;"
	"padding:6px}figcaption{font-size:13px;margin-bottom:2px}\n"
	"svg.chart{display:block;font:11px sans-serif}\n"
	"svg.chart .grid{stroke:#e8ebef}svg.chart .ylab{text-anchor:end;"
	"fill:#5b6570}svg.chart .xlab{text-anchor:middle;fill:#5b6570}\n"
	"polyline.line{fill:none;stroke:#3f8f5a;stroke-width:2}polyline.line"
	".v-leak{stroke:#c62828}polyline.line.v-growing{stroke:#d98200}\n"
	"svg.chart .mark{fill:#000}.readout{font:12px monospace;color:#333}\n"
	"ol.stack{font:12px monospace;margin:4px 0 10px}summary{cursor:"
	"pointer}\n"
	"@media print{.hint,.details,.readout{display:none}}\n";

/*
 * Zoom and hover only; everything it touches is already on the page.
 * Flame graph: each frame's data-x/-w are fractions of the root width and
 * data-d its depth, so a zoom is arithmetic over those attributes; they
 * are written with 6 decimals, hence the 1e-5 slack when comparing edges.
 * Charts: data-t/-v on the polyline hold the exact figures.
 */
static const char page_js[] =
	"(function(){\n"
	"'use strict';\n"
	"var CW=7;\n" /* FLAME_CHAR_W */
	"function fmtB(v){var u=['B','KiB','MiB','GiB','TiB'],i=0;"
	"while(Math.abs(v)>=1024&&i<u.length-1){v/=1024;i++;}"
	"return (i?v.toFixed(1):Math.round(v))+' '+u[i];}\n"
	"function fmt(v,unit,noun){if(unit==='bytes')return fmtB(v);"
	"var n=Math.round(v);return n.toLocaleString('en-US')+"
	"(noun?' '+noun+(n===1?'':'s'):'');}\n"
	"function label(n,w){var fit=Math.floor((w-6)/CW);"
	"if(fit<3)return '';return n.length<=fit?n:n.slice(0,fit-2)+'..';}\n"
	"function zoom(svg,g){var W=svg.viewBox.baseVal.width,x=+g.dataset.x,"
	"w=+g.dataset.w,d=+g.dataset.d,e=1e-5;\n"
	" svg.querySelectorAll('g.fr').forEach(function(n){\n"
	"  var "
	"nx=+n.dataset.x,nw=+n.dataset.w,nd=+n.dataset.d,r=n.firstElementChild"
	".nextElementSibling,t=r.nextElementSibling,X,Wd;\n"
	"  if(nd<d){if(nx<=x+e&&nx+nw>=x+w-e){X=0;Wd=W;}}\n"
	"  else if(nx>=x-e&&nx+nw<=x+w+e&&w>0){X=(nx-x)/w*W;Wd=nw/w*W;}\n"
	"  if(Wd===undefined){n.style.display='none';return;}\n"
	"  n.style.display='';r.setAttribute('x',X.toFixed(2));"
	"r.setAttribute('width',Wd.toFixed(2));\n"
	"  "
	"t.setAttribute('x',(X+3).toFixed(2));t.textContent=label(n.dataset.n,"
	"Wd);});}\n"
	"document.querySelectorAll('svg.flame').forEach(function(svg){\n"
	" var out=document.getElementById('details-'+svg.dataset.section);\n"
	" svg.addEventListener('click',function(ev){var g=ev.target.closest"
	"('g.fr');if(g)zoom(svg,g);});\n"
	" svg.addEventListener('mouseover',function(ev){var g=ev.target.closest"
	"('g.fr');if(g&&out)out.textContent=g.querySelector('title')"
	".textContent;});});\n"
	"document.querySelectorAll('svg.chart').forEach(function(svg){\n"
	" var pl=svg.querySelector('polyline'),box=svg.parentNode.querySelector"
	"('.readout');if(!pl||!box)return;\n"
	" var ts=pl.dataset.t?pl.dataset.t.split(' ').map(Number):[],"
	"vs=pl.dataset.v?pl.dataset.v.split(' ').map(Number):[],"
	"ps=pl.getAttribute('points').split(' ').map(function(p){"
	"return p.split(',').map(Number);}),unit=svg.dataset.unit,keep="
	"box.textContent;\n"
	" var m=document.createElementNS(svg.namespaceURI,'circle');"
	"m.setAttribute('r','3.5');m.setAttribute('class','mark');"
	"m.style.display='none';svg.appendChild(m);\n"
	" svg.addEventListener('mousemove',function(ev){if(!ts.length)return;"
	"var r=svg.getBoundingClientRect(),x=(ev.clientX-r.left)*"
	"svg.viewBox.baseVal.width/r.width,best=0;\n"
	"  for(var i=1;i<ps.length;i++)if(Math.abs(ps[i][0]-x)<Math.abs("
	"ps[best][0]-x))best=i;\n"
	"  m.setAttribute('cx',ps[best][0]);m.setAttribute('cy',ps[best][1]);"
	"m.style.display='';\n"
	"  box.textContent='t='+ts[best].toFixed(1)+' s: '+fmt(vs[best],unit,"
	"svg.dataset.noun)+"
	"' ('+keep+')';});\n"
	" svg.addEventListener('mouseleave',function(){m.style.display='none';"
	"box.textContent=keep;});});\n"
	"document.documentElement.setAttribute('data-js','ready');\n"
	"})();\n";

static void write_header(FILE *f, const struct lw_report *r)
{
	const struct lw_target_info *ti = &r->target;
	char comm[sizeof(ti->comm) + 1], dur[LW_NUMBUF];

	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(ti->comm), ti->comm);
	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		/* The page may fetch nothing, even by mistake. */
		"<meta http-equiv=\"Content-Security-Policy\" content=\""
		"default-src 'none'; style-src 'unsafe-inline'; "
		"script-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width\">\n"
		"<title>leakwatch: ");
	esc(f, comm);
	fprintf(f, " (PID %d)</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		   "<header>\n<h1>leakwatch %s: PID %d (",
		ti->pid, page_css, r->mode ? r->mode : "report", ti->pid);
	esc(f, comm);
	fprintf(f, ")</h1>\n<p class=\"meta\">");
	esc(f, ti->exe);
	fprintf(f, " &middot; traced %s",
		lw_fmt_duration(r->duration_s, dur, sizeof(dur)));
	if (r->target_exited && r->exit_signal > 0)
		fprintf(f, " &middot; target killed by signal %d",
			r->exit_signal);
	else if (r->target_exited)
		fprintf(f, " &middot; target exited with code %d",
			r->exit_code);
	if (r->interrupted)
		fprintf(f, " &middot; interrupted: the window was cut short");
	fprintf(f, "</p>\n</header>\n");
}

static int write_section(FILE *f, const struct lw_report *r,
			 const struct html_section *sec, double t_end)
{
	int err;

	fprintf(f, "<section class=\"family\" id=\"sec-%s\">\n<h2>", sec->id);
	esc(f, sec->title);
	fprintf(f, "</h2>\n<p>");
	esc(f, sec->summary);
	fprintf(f, "</p>\n");
	if (sec->facts)
		sec->facts(f, r);
	err = section_flame(f, sec);
	if (!err)
		err = section_charts(f, sec, t_end);
	if (!err)
		section_stacks(f, sec);
	fprintf(f, "</section>\n");
	return err;
}

static int write_page(FILE *f, const struct lw_report *r)
{
	struct html_section secs[ARRAY_SIZE(producers)] = { 0 };
	struct html_section absent[ARRAY_SIZE(producers)] = { 0 };
	size_t i, nr = 0, nr_absent = 0;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(producers); i++) {
		err = producers[i](r, &secs[nr]);
		if (err < 0)
			goto out;
		if (err == 0) {
			nr++;
			continue;
		}
		/* Absent: keep its note, if it has one, and reuse the slot. */
		if (secs[nr].summary[0])
			absent[nr_absent++] = secs[nr];
		memset(&secs[nr], 0, sizeof(secs[nr]));
	}
	err = 0;
	write_header(f, r);
	verdict_table(f, secs, nr);
	for (i = 0; i < nr_absent; i++) {
		fprintf(f, "<p class=\"none absent\" id=\"absent-%s\">",
			absent[i].id);
		esc(f, absent[i].summary);
		fprintf(f, "</p>\n");
	}
	for (i = 0; i < nr && !err; i++)
		err = write_section(f, r, &secs[i], r->duration_s);
	fprintf(f, "<footer class=\"meta\"><p>Written by leakwatch. The "
		   "tables and graphs are static; scripting only adds zoom "
		   "and hover read-outs.</p></footer>\n<script>\n%s</script>\n"
		   "</body>\n</html>\n",
		page_js);
out:
	for (i = 0; i < ARRAY_SIZE(secs); i++) {
		free(secs[i].sites);
		free(secs[i].owned[0]);
		free(secs[i].owned[1]);
	}
	return err;
}

int lw_report__write_html(const struct lw_report *r, const char *path)
{
	char tmp[4096];
	FILE *f;
	int err;

	if (!r || !path)
		return -EINVAL;
	/* Write beside and rename, so a reader never sees half a page. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = write_page(f, r);
	if (!err && ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		(void)unlink(tmp);
	return err;
}
