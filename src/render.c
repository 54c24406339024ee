/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Building blocks every report section renders with: JSON helpers that
 * follow the conventions of docs/json-schema.md (null for unknown, hex
 * strings for addresses, doubles that always carry a fraction) and the
 * terminal's number, duration and colour formatting.  Pairs with render.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "render.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * NaN and the infinities have no JSON spelling and mean nothing to a
 * reader of the text report either; -0.0 would print as "-0".  All become 0.
 */
double lw_finite_or_zero(double d)
{
	if (!isfinite(d) || d == 0)
		return 0;
	return d;
}

double lw_shown_rate(double d, int decimals)
{
	static const double half_unit[] = { 0.5, 0.05, 0.005, 0.0005 };

	if (decimals < 0)
		decimals = 0;
	if (decimals > 3)
		decimals = 3;
	d = lw_finite_or_zero(d);
	return fabs(d) < half_unit[decimals] ? 0 : d;
}

const char *lw_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}


/*
 * Adds v under key; the object takes the reference.  A NULL v is stored as
 * JSON null, so callers that construct v use lw_json_add_new() instead, which
 * tells a failed constructor from a null.
 */
int lw_json_add(struct json_object *o, const char *key,
		   struct json_object *v)
{
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int lw_json_add_new(struct json_object *o, const char *key,
		       struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	return lw_json_add(o, key, v);
}

int lw_json_push(struct json_object *a, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(a, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

struct json_object *lw_json_new_hex(uint64_t v)
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
struct json_object *lw_json_new_double(double d)
{
	char buf[40], *comma;

	d = lw_finite_or_zero(d);
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
int lw_json_add_str(struct json_object *o, const char *key, const char *s)
{
	if (!s || !*s)
		return lw_json_add(o, key, NULL);
	return lw_json_add_new(o, key, json_object_new_string(s));
}

/* A fixed-size field that may fill its array without a NUL. */
int lw_json_add_strn(struct json_object *o, const char *key, const char *s,
		    size_t size)
{
	size_t n = strnlen(s, size);

	if (!n)
		return lw_json_add(o, key, NULL);
	return lw_json_add_new(o, key, json_object_new_string_len(s, (int)n));
}

int lw_json_add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return lw_json_add_new(o, key, json_object_new_uint64(v));
}

int lw_json_add_int(struct json_object *o, const char *key, int v)
{
	return lw_json_add_new(o, key, json_object_new_int(v));
}

int lw_json_add_bool(struct json_object *o, const char *key, bool v)
{
	return lw_json_add_new(o, key, json_object_new_boolean(v));
}

int lw_json_add_double(struct json_object *o, const char *key, double v)
{
	return lw_json_add_new(o, key, lw_json_new_double(v));
}

int lw_json_add_hex(struct json_object *o, const char *key, uint64_t v)
{
	return lw_json_add_new(o, key, lw_json_new_hex(v));
}

/*
 * Adds an empty object or array under key and returns it in *ret; the
 * parent owns it from then on, so a later failure needs no extra cleanup.
 */
int lw_json_add_child(struct json_object *o, const char *key,
		     struct json_object *child, struct json_object **ret)
{
	*ret = child;
	return lw_json_add_new(o, key, child);
}

/* One frame; fr NULL for an unsymbolized stack (address only). */
int lw_json_push_frame(struct json_object *stack, uint64_t ip,
			 const struct lw_frame *fr)
{
	struct json_object *o = json_object_new_object();

	if (lw_json_push(stack, o) || lw_json_add_hex(o, "address", ip))
		return -ENOMEM;
	if (!fr)
		return 0;
	if (lw_json_add_str(o, "function", fr->function) ||
	    lw_json_add_str(o, "module", fr->module) ||
	    (fr->module ? lw_json_add_hex(o, "offset", fr->module_offset) :
			  lw_json_add(o, "offset", NULL)) ||
	    lw_json_add_str(o, "file", fr->file) ||
	    (fr->line > 0 ? lw_json_add_int(o, "line", fr->line) :
			    lw_json_add(o, "line", NULL)))
		return -ENOMEM;
	/* Only on Go frames the compiler inlined: other stacks keep their
	 * fields. */
	if (fr->inlined && lw_json_add_bool(o, "inlined", true))
		return -ENOMEM;
	return 0;
}

int lw_json_push_point(struct json_object *series, const struct lw_point *p)
{
	struct json_object *a = json_object_new_array_ext(3);

	if (lw_json_push(series, a) || lw_json_push(a, lw_json_new_double(p->t_s)) ||
	    lw_json_push(a, json_object_new_uint64(p->bytes)) ||
	    lw_json_push(a, json_object_new_uint64(p->count)))
		return -ENOMEM;
	return 0;
}


const char *lw_fmt_bytes(double bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	size_t u = 0;
	double v;

	if (!buf || !len)
		return buf;
	bytes = lw_finite_or_zero(bytes);
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
const char *lw_fmt_count(uint64_t v, char *buf, size_t len)
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
const char *lw_fmt_duration(double s, char *buf, size_t len)
{
	uint64_t total;

	s = lw_finite_or_zero(s);
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
const char *lw_fmt_growth(double bps, char *buf, size_t len)
{
	char b[LW_NUMBUF - 1]; /* leaves room for the sign in a LW_NUMBUF buf */

	bps = lw_finite_or_zero(bps);
	lw_fmt_bytes(bps, b, sizeof(b));
	snprintf(buf, len, "%s%s", bps >= 0.5 ? "+" : "", b);
	return buf;
}


const char *lw_col(const struct lw_text *t, const char *code)
{
	return t->color ? code : "";
}

const char *lw_verdict_color(enum lw_verdict v)
{
	switch (v) {
	case LW_VERDICT_LEAK:
		return LW_C_LEAK;
	case LW_VERDICT_GROWING:
		return LW_C_GROWING;
	case LW_VERDICT_STABLE:
		break;
	}
	return LW_C_STABLE;
}

const char *lw_verdict_upper(enum lw_verdict v)
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


/* Function column of a frame: the name, else "module+0xoff", else "??". */
void lw_frame_name(const struct lw_frame *fr, char *buf, size_t len)
{
	if (fr->function)
		snprintf(buf, len, "%s", fr->function);
	else if (fr->module)
		snprintf(buf, len, "%s+0x%" PRIx64, lw_base_name(fr->module),
			 fr->module_offset);
	else
		snprintf(buf, len, "??");
}

void lw_frame_where(const struct lw_frame *fr, char *buf, size_t len)
{
	if (fr->file && fr->line > 0)
		snprintf(buf, len, "%s:%d", lw_base_name(fr->file), fr->line);
	else if (fr->file)
		snprintf(buf, len, "%s", lw_base_name(fr->file));
	else
		buf[0] = '\0';
}


const char *lw_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}


/* Function names past this width push their line out of alignment. */
#define NAME_COL_MAX 48

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

void lw_print_stack(const struct lw_text *t, const char *title,
		    const uint64_t *ips, const struct lw_frame *frames,
		    unsigned nr, uint64_t stack_id, bool truncated)
{
	unsigned i, shown;
	int wa = 0, wn = 0, ww = 0, wi;
	char addr[24], name[512], where[512];

	if (!ips && !frames)
		nr = 0;
	shown = nr;
	if (!nr) {
		fprintf(t->f, "    %s: unknown (capture failed)\n", title);
		return;
	}
	if (!t->verbose && shown > t->max_frames)
		shown = t->max_frames;

	/* First pass: column widths over the frames shown. */
	wi = snprintf(addr, sizeof(addr), "%u", shown - 1);
	for (i = 0; i < shown; i++) {
		wa = max_int(wa, snprintf(addr, sizeof(addr), "0x%" PRIx64,
					  (frames ? frames[i].addr : ips[i])));
		if (!frames)
			continue;
		lw_frame_name(&frames[i], name, sizeof(name));
		lw_frame_where(&frames[i], where, sizeof(where));
		wn = max_int(wn, (int)strlen(name));
		ww = max_int(ww, (int)strlen(where));
	}
	if (wn > NAME_COL_MAX)
		wn = NAME_COL_MAX;

	fprintf(t->f, "    %s", title);
	if (stack_id)
		fprintf(t->f, " 0x%" PRIx64, stack_id);
	fprintf(t->f, " (%u frame%s%s%s):\n", nr, nr == 1 ? "" : "s",
		truncated ? ", truncated" : "",
		frames ? "" : ", not symbolized");

	for (i = 0; i < shown; i++) {
		const struct lw_frame *fr = frames ? &frames[i] : NULL;

		snprintf(addr, sizeof(addr), "0x%" PRIx64, (frames ? frames[i].addr : ips[i]));
		if (!fr) {
			fprintf(t->f, "      #%-*u %s\n", wi, i, addr);
			continue;
		}
		lw_frame_name(fr, name, sizeof(name));
		lw_frame_where(fr, where, sizeof(where));
		/* Pad a column only when another one follows it. */
		fprintf(t->f, "      #%-*u %-*s  %-*s", wi, i, wa, addr,
			where[0] || fr->module ? wn : 0, name);
		/* A Go call inlined into the next frame has no code of its
		 * own: its module is the next frame's. */
		if (fr->module)
			fprintf(t->f, "  %-*s  %s%s%s", ww, where,
				lw_col(t, LW_C_DIM),
				fr->inlined ? "(inlined)" : fr->module,
				lw_col(t, LW_C_RESET));
		else if (where[0])
			fprintf(t->f, "  %s", where);
		fputc('\n', t->f);
	}
	if (shown < nr)
		fprintf(t->f, "      ... %u more frame%s\n", nr - shown,
			nr - shown == 1 ? "" : "s");
}


int lw_json_add_stack(struct json_object *o, const char *key,
		      const uint64_t *ips, const struct lw_frame *frames,
		      unsigned nr)
{
	struct json_object *stack;
	unsigned i;

	if (!ips && !frames)
		nr = 0;
	if (lw_json_add_child(o, key, json_object_new_array_ext(nr ? (int)nr : 1),
			      &stack))
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		if (lw_json_push_frame(stack, frames ? frames[i].addr : ips[i],
				       frames ? &frames[i] : NULL))
			return -ENOMEM;
	return 0;
}
