/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A session: one target process, its probes, ledger and symbolizer, one
 * epoll loop, and the reports.  diagnose and attach are two schedules of
 * the same session (one report at the end of a window, or one every
 * interval until stopped).
 */
#ifndef LW_SESSION_H
#define LW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

enum lw_session_mode {
	LW_MODE_DIAGNOSE,
	LW_MODE_ATTACH,
};

struct lw_session_opts {
	enum lw_session_mode mode;
	int pid; /* target, or 0 when cmd is given */
	char *const *cmd; /* command to launch held at entry, or NULL */
	char *const *cmd_env; /* "VAR=VALUE" added to cmd's environment */
	double duration_s; /* diagnose window; attach: 0 = until stopped */
	double interval_s; /* attach: seconds between reports */
	const char *json_path; /* NULL, "-" (stdout) or a file */
	const char *pprof_path; /* NULL, or a gzip pprof heap profile */
	const char *html_path; /* NULL, or a self-contained HTML report */
	const char *ready_file; /* created once probes are attached */
	bool progress; /* diagnose: a live progress line on stderr (a TTY) */
	size_t ring_bytes; /* 0 = default */
	uint64_t sample_bytes; /* 0: exact; else sample one per N bytes */
	bool no_threads; /* do not trace threads (--no-threads) */
	bool no_sockets; /* do not trace descriptors (--no-sockets) */
	bool goroutine_probes; /* Go: exact goroutine births and deaths */
	struct lw_text_opts text;
};

/* Run to the end; returns the process exit code (0, 1 on errors). */
int lw_session__run(const struct lw_session_opts *o);

#endif /* LW_SESSION_H */
