/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The daemon's config file format (see dconfig.h): a line parser that
 * keeps entries in order, and a loader that hands them to the command-line
 * option handler with "FILE:LINE" for its messages.
 */
#define _GNU_SOURCE /* asprintf() */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dconfig.h"
#include "log.h"
#include "procmaps.h" /* lw_read_file() */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int fail(struct lw_dconfig *cfg, int line, const char *msg)
{
	cfg->err_line = line;
	cfg->err_msg = msg;
	return -EINVAL;
}

static int push(struct lw_dconfig *cfg, const char *key, size_t klen,
		char *value, int line)
{
	struct lw_dconfig_entry *nv, *e;

	nv = realloc(cfg->v, (cfg->n + 1) * sizeof(*nv));
	if (!nv) {
		free(value);
		return -ENOMEM;
	}
	cfg->v = nv;
	e = &cfg->v[cfg->n];
	e->key = strndup(key, klen);
	if (!e->key) {
		free(value);
		return -ENOMEM;
	}
	e->value = value;
	e->line = line;
	cfg->n++;
	return 0;
}

/* One line without its terminator: [s, e).  Adds at most one entry. */
static int parse_line(struct lw_dconfig *cfg, const char *s, const char *e,
		      int line)
{
	const char *key, *kend, *p;
	char *value, *out;

	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e || *s == '#')
		return 0;
	if (*s == '-')
		return fail(cfg, line, "option names have no leading \"--\"");
	key = s;
	while (s < e && is_key_char(*s))
		s++;
	kend = s;
	if (s < e && !is_blank(*s) && *s != '=')
		return fail(cfg, line,
			    "bad option name (lowercase letters, digits and "
			    "'-')");
	if (kend == key)
		return fail(cfg, line, "missing option name before '='");
	while (s < e && is_blank(*s))
		s++;
	if (s == e || *s != '=')
		return fail(cfg, line, "expected \"option = value\"");
	s++; /* '=' */
	while (s < e && is_blank(*s))
		s++;

	value = malloc(e - s + 1);
	if (!value)
		return -ENOMEM;
	out = value;
	if (s < e && *s == '"') {
		for (p = s + 1; p < e && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < e &&
			    (p[1] == '"' || p[1] == '\\'))
				p++;
			*out++ = *p;
		}
		if (p == e) {
			free(value);
			return fail(cfg, line, "unterminated quoted value");
		}
		for (p++; p < e && is_blank(*p); p++)
			;
		if (p < e && *p != '#') {
			free(value);
			return fail(cfg, line, "text after the closing quote");
		}
	} else {
		for (p = s; p < e; p++) {
			if (*p == '#' && (p == s || is_blank(p[-1])))
				break;
			*out++ = *p;
		}
		while (out > value && is_blank(out[-1]))
			out--;
	}
	*out = '\0';
	return push(cfg, key, kend - key, value, line);
}

int lw_dconfig__parse(const char *text, struct lw_dconfig *cfg)
{
	const char *s = text, *nl, *e;
	int line = 0, err;

	memset(cfg, 0, sizeof(*cfg));
	if (!strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (*s) {
		line++;
		nl = strchr(s, '\n');
		e = nl ? nl : s + strlen(s);
		if (e > s && e[-1] == '\r')
			e--;
		err = parse_line(cfg, s, e, line);
		if (err)
			return err;
		if (!nl)
			break;
		s = nl + 1;
	}
	return 0;
}

void lw_dconfig__free(struct lw_dconfig *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n; i++) {
		free(cfg->v[i].key);
		free(cfg->v[i].value);
	}
	free(cfg->v);
	memset(cfg, 0, sizeof(*cfg));
}

int lw_dconfig__load(const char *path, lw_dconfig_fn fn, void *ctx)
{
	struct lw_dconfig cfg = {0};
	char *text = NULL, *where = NULL;
	size_t len, i;
	int err;

	err = lw_read_file(path, &text, &len);
	if (err)
		goto out;
	if (strlen(text) != len) {
		pr_warn("%s: NUL byte in the config file\n", path);
		err = -EINVAL;
		goto out;
	}
	err = lw_dconfig__parse(text, &cfg);
	if (err == -EINVAL)
		pr_warn("%s:%d: %s\n", path, cfg.err_line, cfg.err_msg);
	if (err)
		goto out;
	for (i = 0; i < cfg.n; i++) {
		free(where);
		if (asprintf(&where, "%s:%d", path, cfg.v[i].line) < 0) {
			where = NULL;
			err = -ENOMEM;
			goto out;
		}
		err = fn(ctx, cfg.v[i].key, cfg.v[i].value, where);
		if (err)
			goto out;
	}
out:
	free(where);
	lw_dconfig__free(&cfg);
	free(text);
	return err;
}
