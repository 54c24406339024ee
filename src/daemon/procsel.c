/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The daemon's process selection (see procsel.h): a flat list of rules,
 * matched in order.  Selections are a handful of rules, so a linear scan
 * per process costs nothing next to reading its /proc files.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "procsel.h"

enum rule_kind {
	R_COMM,
	R_EXE,
	R_CGROUP,
	R_CONTAINER,
	R_PIDNS,
	R_NETNS,
	R_EXCLUDE_COMM,
	R_EXCLUDE_EXE,
};

static const struct {
	const char *name;
	enum rule_kind kind;
	bool needs_ident;
	bool exclude;
} rule_names[] = {
	{"comm", R_COMM, false, false},
	{"exe", R_EXE, true, false},
	{"cgroup", R_CGROUP, true, false},
	{"container", R_CONTAINER, true, false},
	{"pidns", R_PIDNS, true, false},
	{"netns", R_NETNS, true, false},
	{"exclude-comm", R_EXCLUDE_COMM, false, true},
	{"exclude-exe", R_EXCLUDE_EXE, true, true},
};

#define NR_RULE_NAMES (sizeof(rule_names) / sizeof(rule_names[0]))

struct rule {
	enum rule_kind kind;
	char *text; /* glob or lowercase container prefix */
	uint64_t inode;
};

struct lw_procsel {
	struct rule *rules;
	size_t nr;
	int self_pid;
	bool needs_ident;
	bool has_include;
};

struct lw_procsel *lw_procsel__new(void)
{
	struct lw_procsel *sel = calloc(1, sizeof(*sel));

	if (!sel)
		return NULL;
	sel->self_pid = getpid();
	return sel;
}

void lw_procsel__free(struct lw_procsel *sel)
{
	size_t i;

	if (!sel)
		return;
	for (i = 0; i < sel->nr; i++)
		free(sel->rules[i].text);
	free(sel->rules);
	free(sel);
}

static int find_rule(const char *name)
{
	size_t i;

	for (i = 0; i < NR_RULE_NAMES; i++)
		if (!strcmp(rule_names[i].name, name))
			return (int)i;
	return -1;
}

bool lw_procsel__is_rule(const char *rule)
{
	return rule && find_rule(rule) >= 0;
}

/* "4026531836", or "pid:[4026531836]" as ls -l and readlink print it. */
static int parse_inode(const char *value, const char *ns, uint64_t *ret)
{
	size_t nslen = strlen(ns), len;
	const char *p = value;
	unsigned long long v;
	char *end;

	if (!strncmp(p, ns, nslen) && p[nslen] == ':' && p[nslen + 1] == '[') {
		p += nslen + 2;
		len = strlen(p);
		if (len < 2 || p[len - 1] != ']')
			return -EINVAL;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || v == 0)
		return -EINVAL;
	if (*end && !(end[0] == ']' && !end[1] && p != value))
		return -EINVAL;
	*ret = v;
	return 0;
}

int lw_procsel__add(struct lw_procsel *sel, const char *name, const char *value)
{
	struct rule r = {0}, *nr;
	int i, err;
	size_t k;

	i = name ? find_rule(name) : -1;
	if (i < 0 || !value || !*value)
		return -EINVAL;
	r.kind = rule_names[i].kind;

	switch (r.kind) {
	case R_PIDNS:
	case R_NETNS:
		err = parse_inode(value, r.kind == R_PIDNS ? "pid" : "net",
				  &r.inode);
		if (err)
			return err;
		break;
	case R_CONTAINER:
		/* Ids are 64 hex digits; tools print the first 12. */
		if (strlen(value) > 64)
			return -EINVAL;
		r.text = strdup(value);
		if (!r.text)
			return -ENOMEM;
		for (k = 0; r.text[k]; k++) {
			if (!isxdigit((unsigned char)r.text[k])) {
				free(r.text);
				return -EINVAL;
			}
			r.text[k] = tolower((unsigned char)r.text[k]);
		}
		break;
	default:
		r.text = strdup(value);
		if (!r.text)
			return -ENOMEM;
		break;
	}

	nr = realloc(sel->rules, (sel->nr + 1) * sizeof(*nr));
	if (!nr) {
		free(r.text);
		return -ENOMEM;
	}
	sel->rules = nr;
	sel->rules[sel->nr++] = r;
	if (rule_names[i].needs_ident)
		sel->needs_ident = true;
	if (!rule_names[i].exclude)
		sel->has_include = true;
	return 0;
}

bool lw_procsel__needs_ident(const struct lw_procsel *sel)
{
	return sel->needs_ident;
}

bool lw_procsel__includes_all(const struct lw_procsel *sel)
{
	return !sel->has_include;
}

void lw_procsel__set_self(struct lw_procsel *sel, int pid)
{
	sel->self_pid = pid;
}

static bool glob(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

/* Does one rule hold for the process?  Ident rules need id. */
static bool rule_holds(const struct rule *r, const struct lw_procstat *st,
		       const struct lw_procident *id)
{
	switch (r->kind) {
	case R_COMM:
	case R_EXCLUDE_COMM:
		return glob(r->text, st->comm);
	default:
		break;
	}
	if (!id)
		return false;
	switch (r->kind) {
	case R_EXE:
	case R_EXCLUDE_EXE:
		/* An unreadable exe matches nothing, not even "*". */
		return id->exe[0] && glob(r->text, id->exe);
	case R_CGROUP:
		return id->cgroup[0] && glob(r->text, id->cgroup);
	case R_CONTAINER:
		return id->container[0] &&
		       !strncmp(id->container, r->text, strlen(r->text));
	case R_PIDNS:
		return id->pidns == r->inode;
	case R_NETNS:
		return id->netns == r->inode;
	default:
		return false;
	}
}

static bool is_exclude(enum rule_kind k)
{
	return k == R_EXCLUDE_COMM || k == R_EXCLUDE_EXE;
}

bool lw_procsel__match(const struct lw_procsel *sel,
		       const struct lw_procstat *st,
		       const struct lw_procident *id)
{
	bool included = !sel->has_include;
	size_t i;

	if (st->kernel_thread || st->pid == sel->self_pid)
		return false;
	for (i = 0; i < sel->nr; i++) {
		const struct rule *r = &sel->rules[i];

		if (is_exclude(r->kind)) {
			if (rule_holds(r, st, id))
				return false;
		} else if (!included && rule_holds(r, st, id)) {
			included = true;
		}
	}
	return included;
}
