/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A writer for the Prometheus text exposition format 0.0.4, the body of
 * the daemon's GET /metrics.  A family is one "# HELP" and one "# TYPE"
 * line followed by its samples; every sample of a family must follow it
 * before the next family starts.  Metric and label names are the
 * caller's constants and are written as given; label values and HELP
 * text are escaped.  Pure: writes into a struct lw_buf.  Pairs with
 * promtext.c.
 */
#ifndef LW_DAEMON_PROMTEXT_H
#define LW_DAEMON_PROMTEXT_H

#include "buf.h"

/* The Content-Type of a 0.0.4 exposition. */
#define LW_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * "# HELP name help" and "# TYPE name type".  type is "gauge" or
 * "counter" (or any other 0.0.4 type); help may be NULL (no HELP line).
 * Backslashes and newlines in help are escaped.
 */
void lw_prom__family(struct lw_buf *b, const char *name, const char *type,
		     const char *help);

/*
 * One sample line: name{l1="v1",...} value.  labels is NULL or a
 * NULL-terminated array of name, value pairs ({"pid", "12", "comm", "a b",
 * NULL}); the list ends at a NULL name, and a NULL value is written as
 * "" (an unknown container id).  Values are escaped (\\, \", \n).
 * A label set with no pairs writes no braces.
 */
void lw_prom__sample(struct lw_buf *b, const char *name,
		     const char *const *labels, double value);

/* Room for any lw_prom_value() result. */
#define LW_PROM_NUMBUF 32

/*
 * value as the exposition spells it into buf: integers of magnitude up to
 * 2^53 exactly and without exponent ("12", "-3", "9007199254740992"),
 * NaN, +Inf and -Inf by name, anything else in the shortest %g form that
 * reads back as the same double.  Returns buf.
 */
const char *lw_prom_value(double value, char buf[LW_PROM_NUMBUF]);

#endif /* LW_DAEMON_PROMTEXT_H */
