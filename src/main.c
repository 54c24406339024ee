/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Command line: `leakwatch diagnose|attach [options] (-p PID | -- CMD)`.
 * Parses options into a session and runs it; session.c does the work.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "log.h"
#include "session.h"

#define LW_VERSION "0.1.0"

enum {
	OPT_JSON = 0x100,
	OPT_NO_COLOR,
	OPT_COLOR,
	OPT_MAX_SITES,
	OPT_MAX_FRAMES,
	OPT_RING_MB,
	OPT_READY_FILE,
	OPT_ENV,
	OPT_SAMPLE,
	OPT_PPROF,
	OPT_HTML,
	OPT_NO_THREADS,
	OPT_NO_SOCKETS,
	OPT_GOROUTINE_PROBES,
};

#define MAX_CMD_ENV 64

static struct env {
	struct lw_session_opts s;
	int verbose;
	int color; /* -1 auto, 0 never, 1 always */
	bool have_duration;
	char *cmd_env[MAX_CMD_ENV + 1];
	int nr_cmd_env;
} env = {
	.s = {
		.duration_s = 30,
		.interval_s = 10,
	},
	.color = -1,
};

static const char doc_diagnose[] =
	"Trace the allocations of a running process (or of a command) for a\n"
	"window, then print which allocation sites hold memory that is not\n"
	"freed, with a verdict per site: leak, growing or stable.\n"
	"\n"
	"EXAMPLES:\n"
	"  leakwatch diagnose -p 4242               # 30 s, then a report\n"
	"  leakwatch diagnose -d 60 -- ./server --port 8080\n"
	"  leakwatch diagnose -p 4242 --json report.json\n"
	"  leakwatch diagnose -p 4242 --pprof heap.pb.gz && go tool pprof -top heap.pb.gz\n"
	"  leakwatch diagnose -d 60 --html report.html -- ./server\n"
	"  leakwatch diagnose --env LD_PRELOAD=libjemalloc.so.2 -- ./server\n";

static const char doc_attach[] =
	"Watch a running process (or a command) continuously and print a\n"
	"report every interval until Ctrl-C (or -d seconds).\n"
	"\n"
	"EXAMPLES:\n"
	"  leakwatch attach -p 4242 -i 10           # a report every 10 s\n"
	"  leakwatch attach -p 4242 --json - | jq .allocations.live_bytes\n";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Process to trace", 0 },
	{ "duration", 'd', "SECS", 0,
	  "Tracing window (diagnose: default 30; attach: stop after SECS)", 0 },
	{ "interval", 'i', "SECS", 0, "attach: seconds between reports (10)",
	  0 },
	{ "json", OPT_JSON, "FILE", 0,
	  "Also write the report as JSON to FILE ('-': stdout, instead of the text report)",
	  0 },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "Also write outstanding allocations as a gzip pprof heap profile (go tool pprof FILE)",
	  0 },
	{ "html", OPT_HTML, "FILE", 0,
	  "Also write the report as one self-contained HTML page (verdicts, flame graph, charts)",
	  0 },
	{ "verbose", 'v', NULL, 0,
	  "Debug output (probe placement, libbpf) and a fuller report", 0 },
	{ "no-color", OPT_NO_COLOR, NULL, 0, "Never use colours", 0 },
	{ "color", OPT_COLOR, NULL, 0, "Always use colours", 0 },
	{ "max-sites", OPT_MAX_SITES, "N", 0,
	  "Sites shown in full in the text report (10)", 0 },
	{ "max-frames", OPT_MAX_FRAMES, "N", 0,
	  "Frames shown per stack in the text report (8)", 0 },
	{ "ring-mb", OPT_RING_MB, "MB", 0,
	  "Ring buffer size in MiB, a power of two (4)", 0 },
	{ "ready-file", OPT_READY_FILE, "PATH", 0,
	  "Create PATH once the probes are attached (for scripts)", 0 },
	{ "sample-bytes", OPT_SAMPLE, "BYTES", 0,
	  "Sample one allocation per BYTES on average (e.g. 512K) instead of tracing all; figures become estimates",
	  0 },
	{ "no-threads", OPT_NO_THREADS, NULL, 0,
	  "Do not trace thread creation and exit (no threads section)", 0 },
	{ "no-sockets", OPT_NO_SOCKETS, NULL, 0,
	  "Do not trace sockets and descriptors (no sockets section)", 0 },
	{ "goroutine-probes", OPT_GOROUTINE_PROBES, NULL, 0,
	  "Go: count every goroutine born and dying with uprobes (exact; costs the target ~10 us per goroutine)",
	  0 },
	{ "env", OPT_ENV, "VAR=VALUE", 0,
	  "Set VAR in the environment of CMD only, e.g. LD_PRELOAD=libjemalloc.so.2 (repeatable)",
	  0 },
	{},
};

static int parse_double(const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "512K", "2M", "4096": bytes, with a binary K/M/G suffix. */
static int parse_bytes(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || !v || v > (1ull << 40))
		return -EINVAL;
	*ret = v;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	long l = 0; /* argp_error() exits, but is not declared noreturn */

	switch (key) {
	case 'p':
		if (parse_long(arg, 1, INT_MAX, &l))
			argp_error(state, "invalid PID \"%s\"", arg);
		env.s.pid = (int)l;
		break;
	case 'd':
		if (parse_double(arg, 0.1, 1e9, &env.s.duration_s))
			argp_error(state, "invalid duration \"%s\"", arg);
		env.have_duration = true;
		break;
	case 'i':
		if (parse_double(arg, 0.1, 1e9, &env.s.interval_s))
			argp_error(state, "invalid interval \"%s\"", arg);
		break;
	case OPT_JSON:
		env.s.json_path = arg;
		break;
	case OPT_PPROF:
		env.s.pprof_path = arg;
		break;
	case OPT_HTML:
		env.s.html_path = arg;
		break;
	case 'v':
		env.verbose++;
		break;
	case OPT_NO_COLOR:
		env.color = 0;
		break;
	case OPT_COLOR:
		env.color = 1;
		break;
	case OPT_MAX_SITES:
		if (parse_long(arg, 1, 1000000, &l))
			argp_error(state, "invalid site count \"%s\"", arg);
		env.s.text.max_sites = (unsigned)l;
		break;
	case OPT_MAX_FRAMES:
		if (parse_long(arg, 1, 1000, &l))
			argp_error(state, "invalid frame count \"%s\"", arg);
		env.s.text.max_frames = (unsigned)l;
		break;
	case OPT_RING_MB:
		if (parse_long(arg, 1, 4096, &l) || (l & (l - 1)))
			argp_error(state, "ring size must be a power of two MiB, not \"%s\"",
				   arg);
		env.s.ring_bytes = (size_t)l << 20;
		break;
	case OPT_READY_FILE:
		env.s.ready_file = arg;
		break;
	case OPT_SAMPLE:
		if (parse_bytes(arg, &env.s.sample_bytes))
			argp_error(state, "invalid sample size \"%s\"", arg);
		break;
	case OPT_NO_THREADS:
		env.s.no_threads = true;
		break;
	case OPT_NO_SOCKETS:
		env.s.no_sockets = true;
		break;
	case OPT_GOROUTINE_PROBES:
		env.s.goroutine_probes = true;
		break;
	case OPT_ENV:
		if (!strchr(arg, '=') || arg[0] == '=')
			argp_error(state, "--env takes VAR=VALUE, not \"%s\"", arg);
		if (env.nr_cmd_env == MAX_CMD_ENV)
			argp_error(state, "too many --env options");
		env.cmd_env[env.nr_cmd_env++] = arg;
		env.s.cmd_env = env.cmd_env;
		break;
	case ARGP_KEY_ARG:
		/* Everything from the first operand on is the command. */
		env.s.cmd = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!env.s.pid == !env.s.cmd)
			argp_error(state, "give either -p PID or -- CMD [ARGS...]");
		if (env.nr_cmd_env && !env.s.cmd)
			argp_error(state, "--env applies to a launched command (-- CMD)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool want_color(void)
{
	const char *nc = getenv("NO_COLOR");

	/* https://no-color.org: any non-empty value disables colour, even
	 * with --color. */
	if (nc && *nc)
		return false;
	if (env.color >= 0)
		return env.color;
	return isatty(STDOUT_FILENO);
}

static int run(int argc, char **argv, enum lw_session_mode mode,
	       const char *args_doc, const char *doc)
{
	const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = args_doc,
		.doc = doc,
	};
	int err;

	env.s.mode = mode;
	err = argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, NULL);
	if (err)
		return 2;
	if (mode == LW_MODE_ATTACH && !env.have_duration)
		env.s.duration_s = 0;
	if (env.verbose)
		lw_log_set_level(LW_LOG_DEBUG);
	env.s.text.color = want_color();
	/* A progress line only for a person watching: both streams on a
	 * terminal, and the report not going to stdout as JSON. */
	env.s.progress = mode == LW_MODE_DIAGNOSE && isatty(STDOUT_FILENO) &&
			 isatty(STDERR_FILENO) &&
			 !(env.s.json_path && !strcmp(env.s.json_path, "-"));
	env.s.text.verbose = env.verbose > 0;
	return lw_session__run(&env.s);
}

static int do_diagnose(int argc, char **argv)
{
	/* argp names the program after argv[0] in usage and errors. */
	argv[0] = (char *)"leakwatch diagnose";
	return run(argc, argv, LW_MODE_DIAGNOSE, "-p PID | -- CMD [ARGS...]",
		   doc_diagnose);
}

static int do_attach(int argc, char **argv)
{
	argv[0] = (char *)"leakwatch attach";
	return run(argc, argv, LW_MODE_ATTACH, "-p PID | -- CMD [ARGS...]",
		   doc_attach);
}

static int usage(FILE *f)
{
	fprintf(f,
		"Usage: leakwatch COMMAND [OPTIONS] (-p PID | -- CMD [ARGS...])\n"
		"\n"
		"Find memory leaks in a running process, without restarting it.\n"
		"\n"
		"Commands:\n"
		"  diagnose   trace for a window (30 s) and print one report\n"
		"  attach     watch continuously, a report every interval\n"
		"  daemon     watch every process on the host, serve metrics\n"
		"\n"
		"Examples:\n"
		"  sudo leakwatch diagnose -p 4242\n"
		"  sudo leakwatch diagnose -d 60 -- ./server --port 8080\n"
		"  sudo leakwatch attach -p 4242 -i 10\n"
		"  sudo leakwatch diagnose -p 4242 --json report.json\n"
		"  sudo leakwatch daemon --listen 127.0.0.1:9464\n"
		"\n"
		"'leakwatch COMMAND --help' lists the options of a command.\n");
	return f == stderr ? 2 : 0;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "diagnose", do_diagnose },
	{ "attach", do_attach },
	{ "daemon", lw_daemon_main },
};

int main(int argc, char **argv)
{
	size_t i;

	/* argp_error() exits by itself: make usage errors exit 2. */
	argp_err_exit_status = 2;
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") ||
	    !strcmp(argv[1], "version")) {
		printf("leakwatch %s\n", LW_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "leakwatch: unknown command \"%s\"\n\n", argv[1]);
	return usage(stderr);
}
