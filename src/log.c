/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Logging to stderr, with sd-daemon level prefixes under journald. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static enum lw_log_level log_level = LW_LOG_INFO;
static int log_journal = -1; /* -1: not decided yet */

void lw_log_set_level(enum lw_log_level level)
{
	log_level = level;
}

enum lw_log_level lw_log_get_level(void)
{
	return log_level;
}

void lw_vlog(enum lw_log_level level, const char *fmt, va_list ap)
{
	/* sd-daemon(3) priorities: warning 4, info 6, debug 7. */
	static const char *const prefix[] = { "<4>", "<6>", "<7>" };

	if (level > log_level)
		return;
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (log_journal)
		fputs(prefix[level], stderr);
	else
		fputs("leakwatch: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void lw_log(enum lw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lw_vlog(level, fmt, ap);
	va_end(ap);
}
