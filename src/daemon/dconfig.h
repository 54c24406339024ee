/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The daemon's config file (--config FILE, docs/daemon.md "Config file"):
 * one "option = value" per line, option a long flag name without "--".
 * Parsed into an ordered list of (key, value, line) so repeated keys
 * repeat, then fed to the same option handler as the command line.
 */
#ifndef LW_DAEMON_DCONFIG_H
#define LW_DAEMON_DCONFIG_H

#include <stddef.h>

struct lw_dconfig_entry {
	char *key;   /* [a-z0-9-]+ */
	char *value; /* unquoted, unescaped; may be "" */
	int line;    /* 1-based */
};

struct lw_dconfig {
	struct lw_dconfig_entry *v;
	size_t n;
	/* On a syntax error: its line and what is wrong. */
	int err_line;
	const char *err_msg; /* static string */
};

/*
 * Parse config text.  Syntax, per line (CRLF or LF): leading and trailing
 * blanks ignored; blank lines and lines starting with '#' skipped;
 * otherwise KEY = VALUE where KEY is [a-z0-9-]+ (no leading "--").  VALUE
 * is either
 *  - unquoted: the rest of the line up to a '#' that starts it or follows
 *    a blank (a comment), trailing blanks dropped, inner blanks kept
 *    ("comm = a#b" is "a#b", "interval = 30 # s" is "30"); or
 *  - double-quoted: '#' and blanks inside are kept, \" and \\ are the
 *    only escapes, and only blanks or a comment may follow.
 * An empty value is allowed ("key =", or key = "").  A UTF-8 byte order
 * mark at the start is skipped.  Returns 0, -EINVAL on a syntax error
 * (cfg->err_line and err_msg say where and what; entries parsed so far are
 * kept), -ENOMEM.  Release with lw_dconfig__free() in every case.
 */
int lw_dconfig__parse(const char *text, struct lw_dconfig *cfg);

/* NULL-safe; leaves *cfg empty. */
void lw_dconfig__free(struct lw_dconfig *cfg);

/*
 * Called for each entry in file order.  where is "FILE:LINE" for messages.
 * A non-zero return stops the load and is returned by lw_dconfig__load().
 */
typedef int (*lw_dconfig_fn)(void *ctx, const char *key, const char *value,
			     const char *where);

/*
 * Read and parse path, then call fn for each entry.  Returns 0, -errno
 * from reading the file, -EINVAL on a syntax error, or fn's first non-zero
 * return.  A syntax error is logged here ("FILE:LINE: what"), because no
 * caller could name the line; fn's errors are fn's to log, with where.
 * Nothing is applied when the file has a syntax error.
 */
int lw_dconfig__load(const char *path, lw_dconfig_fn fn, void *ctx);

#endif /* LW_DAEMON_DCONFIG_H */
