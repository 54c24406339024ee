/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * --html: the report as one self-contained HTML page (docs/html-report.md).
 * The verdict table, a flame graph per section and the charts are static
 * HTML and inline SVG written here, so the page reads without JavaScript;
 * the small embedded script only adds zoom and hover details.  Nothing is
 * fetched: no fonts, images, scripts or styles from elsewhere.
 *
 * Every report family (allocations today; goroutines, threads and sockets
 * later) is first turned into a generic struct html_section, and only
 * sections are rendered: a new family needs one fill function.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"
#include "report.h"

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
	struct html_site *sites; /* leak first, as the family ordered them */
	size_t nr_sites;
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

/* What the site is called: its first frame with a function name. */
static void name_site(struct html_site *s)
{
	unsigned i;

	s->where[0] = '\0';
	if (!s->nr_frames) {
		snprintf(s->name, sizeof(s->name), "(stack unknown)");
		return;
	}
	for (i = 0; s->frames && i < s->nr_frames; i++) {
		if (!s->frames[i].function)
			continue;
		lw_frame_name(&s->frames[i], s->name, sizeof(s->name));
		lw_frame_where(&s->frames[i], s->where, sizeof(s->where));
		return;
	}
	frame_name(s, 0, s->name, sizeof(s->name));
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
		name_site(h);
	}
	sec->nr_sites = a->nr_sites;
	return 0;
}

/*
 * Every family the report may hold, in page order.  A producer fills sec
 * and returns 0, or returns 1 when its family is absent from r.
 */
static int (*const producers[])(const struct lw_report *r,
				struct html_section *sec) = {
	fill_alloc,
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
	char v[LW_NUMBUF], fill[48], label[256];
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
			fmt_value(sec, n->value, v, sizeof(v)), share * 100,
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
	char v[LW_NUMBUF];
	size_t i;
	int err;

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
		"<p class=\"hint\">Outermost frame at the bottom, the frame "
		"that allocated on top; width is the share of %s %s. Reds "
		"lead to leaking sites. Click a frame to zoom, click the "
		"bottom bar to reset.</p>\n<div class=\"flame-wrap\">",
		fmt_value(sec, fl.n[0].value, v, sizeof(v)), sec->measure);
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
	char b[LW_NUMBUF], g[LW_NUMBUF];
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
	fprintf(f,
		"data-unit=\"%s\" data-n=\"%zu\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\">\n<title>",
		sec->unit == HTML_BYTES ? "bytes" : "count", s->n, CHART_W,
		CHART_H, CHART_W, CHART_H);
	esc(f, title);
	fprintf(f, ": %zu points over %.1f s", s->n, t_end);
	if (s->n)
		fprintf(f, ", last %s", fmt_value(sec, s->v[s->n - 1], b,
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
	fprintf(f,
		"<h3>Live %s over the window</h3>\n<div class=\"charts\" "
		"id=\"charts-%s\">\n",
		sec->unit == HTML_BYTES ? "bytes" : sec->object_noun, sec->id);
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

static void verdict_rows(FILE *f, const struct html_section *sec)
{
	char v[LW_NUMBUF], n[LW_NUMBUF], g[LW_NUMBUF], age[LW_NUMBUF];
	size_t i;

	for (i = 0; i < sec->nr_sites; i++) {
		const struct html_site *h = &sec->sites[i];
		const char *vn = lw_verdict_name(h->verdict);

		fprintf(f,
			"<tr class=\"site v-%s\" data-section=\"%s\" "
			"data-index=\"%zu\" data-verdict=\"%s\" data-site=\"",
			vn, sec->id, i, vn);
		esc(f, h->name);
		fprintf(f,
			"\"><td class=\"verdict\"><span class=\"tag v-%s\">%s"
			"</span></td><td>%s</td><td class=\"name\">"
			"<a href=\"#site-%s-%zu\">",
			vn, lw_verdict_upper(h->verdict), sec->kind, sec->id,
			i);
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
			"</tr>\n",
			fmt_value(sec, h->live, v, sizeof(v)),
			lw_fmt_count(h->objects, n, sizeof(n)),
			fmt_growth(sec, h->growth_per_s, g, sizeof(g)), age);
	}
}

static void verdict_table(FILE *f, const struct html_section *secs,
			  size_t nr)
{
	size_t i, rows = 0;

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
		   "<th>Objects</th><th>Growth</th><th>Oldest</th></tr>"
		   "</thead>\n<tbody>\n");
	for (i = 0; i < nr; i++)
		verdict_rows(f, &secs[i]);
	fprintf(f, "</tbody>\n</table>\n</section>\n");
}

/* Each site's full stack, folded (<details> needs no script). */
static void section_stacks(FILE *f, const struct html_section *sec)
{
	char name[256], where[256], v[LW_NUMBUF], n[LW_NUMBUF];
	size_t i;
	unsigned k;

	if (!sec->nr_sites)
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
		fprintf(f, ": %s in %s %s%s</summary>\n<ol class=\"stack\">\n",
			fmt_value(sec, h->live, v, sizeof(v)),
			lw_fmt_count(h->objects, n, sizeof(n)),
			sec->object_noun, lw_plural(h->objects));
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
	"#e3e7eb;text-align:left}.verdicts td.num,.verdicts th:nth-child(n+5)"
	"{text-align:right;font-variant-numeric:tabular-nums}\n"
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
	"function fmt(v,unit){return unit==='bytes'?fmtB(v):"
	"Math.round(v).toLocaleString('en-US');}\n"
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
	"  box.textContent='t='+ts[best].toFixed(1)+' s: '+fmt(vs[best],unit)+"
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

static int write_section(FILE *f, const struct html_section *sec,
			 double t_end)
{
	int err;

	fprintf(f, "<section class=\"family\" id=\"sec-%s\">\n<h2>", sec->id);
	esc(f, sec->title);
	fprintf(f, "</h2>\n<p>");
	esc(f, sec->summary);
	fprintf(f, "</p>\n");
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
	size_t i, nr = 0;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(producers); i++) {
		err = producers[i](r, &secs[nr]);
		if (err < 0)
			goto out;
		if (err == 0)
			nr++;
	}
	err = 0;
	write_header(f, r);
	verdict_table(f, secs, nr);
	for (i = 0; i < nr && !err; i++)
		err = write_section(f, &secs[i], r->duration_s);
	fprintf(f, "<footer class=\"meta\"><p>Written by leakwatch. The "
		   "tables and graphs are static; scripting only adds zoom "
		   "and hover read-outs.</p></footer>\n<script>\n%s</script>\n"
		   "</body>\n</html>\n",
		page_js);
out:
	for (i = 0; i < ARRAY_SIZE(secs); i++)
		free(secs[i].sites);
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
