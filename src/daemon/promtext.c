/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Prometheus text format 0.0.4: escaping and number spelling.  Pairs with
 * promtext.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

/* 2^53: every integer up to here is exact in a double. */
#define EXACT_INT_MAX 9007199254740992.0

const char *lw_prom_value(double v, char buf[LW_PROM_NUMBUF])
{
	int prec;

	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	if (v == 0) /* -0.0 too: Prometheus makes no difference */
		return strcpy(buf, "0");
	if (fabs(v) <= EXACT_INT_MAX && v == trunc(v)) {
		snprintf(buf, LW_PROM_NUMBUF, "%.0f", v);
		return buf;
	}
	/*
	 * The shortest of %.15g..%.17g that reads back exactly: 0.1 stays
	 * "0.1" rather than %.17g's "0.10000000000000001", and %.17g always
	 * round-trips (IEEE 754 double has 17 significant decimal digits).
	 * The daemon never calls setlocale(), so the point is a '.'.
	 */
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, LW_PROM_NUMBUF, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, LW_PROM_NUMBUF, "%.17g", v);
	return buf;
}

/* Appends s with backslash and newline escaped, and '"' when quoted. */
static void put_escaped(struct lw_buf *b, const char *s, bool quoted)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && quoted)
			esc = "\\\"";
		else
			continue;
		lw_buf__append(b, run, (size_t)(s - run));
		lw_buf__puts(b, esc);
		run = s + 1;
	}
	lw_buf__append(b, run, (size_t)(s - run));
}

void lw_prom__family(struct lw_buf *b, const char *name, const char *type,
		     const char *help)
{
	if (help) {
		lw_buf__printf(b, "# HELP %s ", name);
		put_escaped(b, help, false);
		lw_buf__putc(b, '\n');
	}
	lw_buf__printf(b, "# TYPE %s %s\n", name, type);
}

void lw_prom__sample(struct lw_buf *b, const char *name,
		     const char *const *labels, double value)
{
	char num[LW_PROM_NUMBUF];
	size_t i;

	lw_buf__puts(b, name);
	if (labels && labels[0]) {
		lw_buf__putc(b, '{');
		for (i = 0; labels[i]; i += 2) {
			lw_buf__printf(b, "%s%s=\"", i ? "," : "", labels[i]);
			put_escaped(b, labels[i + 1] ? labels[i + 1] : "",
				    true);
			lw_buf__putc(b, '"');
		}
		lw_buf__putc(b, '}');
	}
	lw_buf__putc(b, ' ');
	lw_buf__puts(b, lw_prom_value(value, num));
	lw_buf__putc(b, '\n');
}
