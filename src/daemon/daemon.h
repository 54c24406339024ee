/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * `leakwatch daemon`: every selected process on the host watched from
 * outside at a fixed interval (proctab.c), allocation probes for a bounded
 * window on native processes whose memory grows (escalate.c), and a
 * read-only HTTP server for Prometheus, the JSON API and pprof
 * (dserve.c).  dmain.c parses the command line and the config file into
 * struct lw_daemon_opts; daemon.c runs the loop.  docs/daemon.md.
 */
#ifndef LW_DAEMON_H
#define LW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct lw_procsel;

struct lw_daemon_opts {
	const char *listen; /* "127.0.0.1:9464" */
	double interval_s; /* between samples of every process (30) */
	double window_s; /* verdicts over this much history (600) */
	unsigned top; /* processes with their own series in /metrics (100) */
	struct lw_procsel *sel; /* which processes; never NULL */
	bool escalate; /* allocation probes on growing native processes */
	double escalate_window_s; /* how long they stay (60) */
	uint64_t escalate_budget; /* probe hits/s before detaching early */
	double escalate_cooldown_s; /* before the same process again (1800) */
	const char *pyroscope_url; /* NULL: no push */
	const char *pyroscope_app; /* "leakwatch" */
	const char *ready_file; /* created once the server listens */
	bool no_sockets; /* skip /proc/PID/fd and sock_diag */
};

/* Run until SIGINT/SIGTERM.  Returns the process exit code. */
int lw_daemon__run(const struct lw_daemon_opts *o);

/* `leakwatch daemon ...` (argv[0] is "daemon"). */
int lw_daemon_main(int argc, char **argv);

#endif /* LW_DAEMON_H */
