/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * `leakwatch daemon` command line and config file.  Every long option can
 * also be a line of the config file (`interval = 30`, `comm = nginx`):
 * both go through set_opt(), the file first, then the command line.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/dconfig.h"
#include "daemon/procsel.h"
#include "log.h"

enum {
	OPT_LISTEN = 0x200,
	OPT_INTERVAL,
	OPT_WINDOW,
	OPT_CONFIG,
	OPT_TOP,
	OPT_ESC_WINDOW,
	OPT_ESC_BUDGET,
	OPT_ESC_COOLDOWN,
	OPT_NO_ESCALATE,
	OPT_PYROSCOPE,
	OPT_PYROSCOPE_APP,
	OPT_READY_FILE,
	OPT_NO_SOCKETS,
	OPT_VERBOSE,
	/* Selection rules, named as procsel.c knows them: keys from here on,
	 * after every other option's. */
	OPT_RULE = 0x300,
};

static const char doc[] =
	"Watch every process on this host (or a selection) for leaks, from\n"
	"outside and at a low, fixed cost: memory, threads, sockets and, in Go\n"
	"programs, goroutines and the Go heap, each with a verdict over a\n"
	"sliding window.  A native process whose memory grows gets allocation\n"
	"probes for a bounded window to name the leaking code.  Serves\n"
	"Prometheus metrics, a JSON API and pprof profiles over HTTP.\n"
	"\n"
	"EXAMPLES:\n"
	"  leakwatch daemon                              # every process, :9464 on loopback\n"
	"  leakwatch daemon --comm 'nginx*' --comm api-server\n"
	"  leakwatch daemon --config /etc/leakwatch/daemon.conf\n"
	"  leakwatch daemon --interval 5 --window 120    # faster verdicts, for a demo\n"
	"  curl -s localhost:9464/metrics | grep leak_suspected\n"
	"  go tool pprof http://localhost:9464/debug/pprof/heap?pid=4242\n"
	"\n"
	"Every long option can be a line of the config file: 'comm = nginx'.\n";

/* Selection rules are options whose names procsel.c defines. */
static const struct argp_option opts[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "HTTP address (127.0.0.1:9464; ':9464' for every address)", 0 },
	{ "interval", OPT_INTERVAL, "SECS", 0,
	  "Seconds between two samples of every process (30)", 0 },
	{ "window", OPT_WINDOW, "SECS", 0,
	  "Verdicts judge this much history (600)", 0 },
	{ "config", OPT_CONFIG, "FILE", 0,
	  "Read options from FILE first, one 'option = value' a line", 0 },
	{ "top", OPT_TOP, "N", 0,
	  "Processes with their own series in /metrics (100)", 0 },
	{ NULL, 0, NULL, 0, "Selection (none: every process; any include rule matching includes; excludes win):", 1 },
	{ "comm", OPT_RULE + 0, "GLOB", 0, "Include by command name", 1 },
	{ "exe", OPT_RULE + 1, "GLOB", 0, "Include by executable path", 1 },
	{ "cgroup", OPT_RULE + 2, "GLOB", 0, "Include by cgroup path", 1 },
	{ "container", OPT_RULE + 3, "ID", 0,
	  "Include a container by id (a prefix)", 1 },
	{ "pidns", OPT_RULE + 4, "INODE", 0, "Include a PID namespace", 1 },
	{ "netns", OPT_RULE + 5, "INODE", 0, "Include a network namespace", 1 },
	{ "exclude-comm", OPT_RULE + 6, "GLOB", 0, "Exclude by command name", 1 },
	{ "exclude-exe", OPT_RULE + 7, "GLOB", 0, "Exclude by executable path", 1 },
	{ NULL, 0, NULL, 0, "Escalation (allocation probes on growing native processes):", 2 },
	{ "escalate-window", OPT_ESC_WINDOW, "SECS", 0,
	  "How long the probes stay (60)", 2 },
	{ "escalate-budget", OPT_ESC_BUDGET, "CALLS", 0,
	  "Detach early above this many allocator calls per second (20000)",
	  2 },
	{ "escalate-cooldown", OPT_ESC_COOLDOWN, "SECS", 0,
	  "Before the same process is probed again (1800)", 2 },
	{ "no-escalate", OPT_NO_ESCALATE, NULL, 0, "Never attach probes", 2 },
	{ NULL, 0, NULL, 0, "Other:", 3 },
	{ "pyroscope", OPT_PYROSCOPE, "URL", 0,
	  "Push heap and goroutine profiles to this Pyroscope server every interval",
	  3 },
	{ "pyroscope-app", OPT_PYROSCOPE_APP, "NAME", 0,
	  "Application name in Pyroscope (leakwatch)", 3 },
	{ "no-sockets", OPT_NO_SOCKETS, NULL, 0,
	  "Do not count descriptors and sockets", 3 },
	{ "ready-file", OPT_READY_FILE, "PATH", 0,
	  "Create PATH once the server listens (for scripts)", 3 },
	{ "verbose", OPT_VERBOSE, NULL, 0, "Debug output", 3 },
	{},
};

/* One option as given: the config file's are applied before these. */
struct given {
	int key;
	const char *name;
	char *value;
};

static struct denv {
	struct lw_daemon_opts o;
	const char *config;
	struct given *given;
	size_t nr_given;
	char **owned; /* strings kept from the config file */
	size_t nr_owned;
	int verbose;
} env;

static const struct argp_option *find_opt(const char *name)
{
	const struct argp_option *o;

	for (o = opts; o->name || o->doc; o++)
		if (o->name && !strcmp(o->name, name))
			return o;
	return NULL;
}

static int parse_num(const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A string that outlives the config file's buffers. */
static const char *keep(const char *s)
{
	char **n = realloc(env.owned, (env.nr_owned + 1) * sizeof(*n));

	if (!n)
		return NULL;
	env.owned = n;
	n[env.nr_owned] = strdup(s);
	return n[env.nr_owned] ? n[env.nr_owned++] : NULL;
}

/* Apply one option; where names it for messages ("--top", "FILE:3"). */
static int set_opt(const struct argp_option *opt, const char *value,
		   const char *where)
{
	struct lw_daemon_opts *o = &env.o;
	double v;
	int err = 0;

	if ((opt->arg != NULL) != (value != NULL)) {
		fprintf(stderr, "leakwatch daemon: %s: %s %s\n", where,
			opt->name, opt->arg ? "needs a value" : "takes no value");
		return -EINVAL;
	}
	switch (opt->key) {
	case OPT_LISTEN:
		o->listen = keep(value);
		break;
	case OPT_INTERVAL:
		err = parse_num(value, 0.1, 86400, &o->interval_s);
		break;
	case OPT_WINDOW:
		err = parse_num(value, 1, 30 * 86400.0, &o->window_s);
		break;
	case OPT_TOP:
		err = parse_num(value, 1, 1e6, &v);
		o->top = (unsigned)v;
		break;
	case OPT_ESC_WINDOW:
		err = parse_num(value, 1, 86400, &o->escalate_window_s);
		break;
	case OPT_ESC_BUDGET:
		err = parse_num(value, 0, 1e9, &v);
		o->escalate_budget = (uint64_t)v;
		break;
	case OPT_ESC_COOLDOWN:
		err = parse_num(value, 0, 30 * 86400.0,
				&o->escalate_cooldown_s);
		break;
	case OPT_NO_ESCALATE:
		o->escalate = false;
		break;
	case OPT_PYROSCOPE:
		o->pyroscope_url = keep(value);
		break;
	case OPT_PYROSCOPE_APP:
		o->pyroscope_app = keep(value);
		break;
	case OPT_READY_FILE:
		o->ready_file = keep(value);
		break;
	case OPT_NO_SOCKETS:
		o->no_sockets = true;
		break;
	case OPT_VERBOSE:
		env.verbose++;
		break;
	case OPT_CONFIG:
		fprintf(stderr, "leakwatch daemon: %s: a config file cannot name another\n",
			where);
		return -EINVAL;
	default:
		if (opt->key < OPT_RULE)
			return -EINVAL;
		err = lw_procsel__add(o->sel, opt->name, value);
		if (err == -ENOMEM)
			return err;
	}
	if (err)
		fprintf(stderr, "leakwatch daemon: %s: invalid %s \"%s\"\n",
			where, opt->name, value ? value : "");
	return err;
}

static int config_line(void *ctx, const char *key, const char *value,
		       const char *where)
{
	const struct argp_option *opt = find_opt(key);

	(void)ctx;
	if (!opt) {
		fprintf(stderr, "leakwatch daemon: %s: unknown option \"%s\"\n",
			where, key);
		return -EINVAL;
	}
	/* "no-escalate = true" style for flags; an empty value too. */
	if (!opt->arg && value && (!*value || !strcmp(value, "true") ||
				   !strcmp(value, "yes") || !strcmp(value, "1")))
		value = NULL;
	return set_opt(opt, value && *value ? value : opt->arg ? "" : NULL,
		       where);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	const struct argp_option *o;
	struct given *n;

	if (key == ARGP_KEY_ARG)
		argp_error(state, "unexpected argument \"%s\"", arg);
	if (key == OPT_CONFIG) {
		env.config = arg;
		return 0;
	}
	for (o = opts; o->name || o->doc; o++)
		if (o->name && o->key == key)
			break;
	if (!o->name)
		return ARGP_ERR_UNKNOWN;
	n = realloc(env.given, (env.nr_given + 1) * sizeof(*n));
	if (!n)
		argp_failure(state, 1, ENOMEM, "options");
	env.given = n;
	n[env.nr_given++] = (struct given){ key, o->name, arg };
	return 0;
}

int lw_daemon_main(int argc, char **argv)
{
	const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.doc = doc,
	};
	size_t i;
	int err = 0, ret = 2;

	argv[0] = (char *)"leakwatch daemon";
	env.o = (struct lw_daemon_opts){
		.listen = "127.0.0.1:9464",
		.interval_s = 30,
		.window_s = 600,
		.top = 100,
		.escalate = true,
		.escalate_window_s = 60,
		.escalate_budget = 20000,
		.escalate_cooldown_s = 1800,
		.pyroscope_app = "leakwatch",
	};
	env.o.sel = lw_procsel__new();
	if (!env.o.sel)
		return 1;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		goto out;
	if (env.config) {
		err = lw_dconfig__load(env.config, config_line, NULL);
		if (err) {
			if (err != -EINVAL)
				fprintf(stderr, "leakwatch daemon: cannot read %s: %s\n",
					env.config, strerror(-err));
			goto out;
		}
	}
	for (i = 0; i < env.nr_given; i++) {
		char where[64];

		snprintf(where, sizeof(where), "--%s", env.given[i].name);
		if (set_opt(find_opt(env.given[i].name), env.given[i].value,
			    where))
			goto out;
	}
	if (env.o.window_s < 4 * env.o.interval_s) {
		fprintf(stderr, "leakwatch daemon: the window (%.0f s) must hold at least 4 intervals (%.0f s each)\n",
			env.o.window_s, env.o.interval_s);
		goto out;
	}
	if (env.verbose)
		lw_log_set_level(LW_LOG_DEBUG);
	ret = lw_daemon__run(&env.o);
out:
	lw_procsel__free(env.o.sel);
	for (i = 0; i < env.nr_owned; i++)
		free(env.owned[i]);
	free(env.owned);
	free(env.given);
	return ret;
}
