/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Logging: pr_warn/pr_info/pr_debug over one lw_log().  Messages go to
 * stderr; under systemd (JOURNAL_STREAM set) each line gets an sd-daemon
 * level prefix so journald keeps the level.  Pairs with log.c.
 */
#ifndef LW_LOG_H
#define LW_LOG_H

#include <stdarg.h>

enum lw_log_level {
	LW_LOG_WARN = 0,
	LW_LOG_INFO = 1,
	LW_LOG_DEBUG = 2,
};

/* Messages above this level are dropped.  Default LW_LOG_INFO. */
void lw_log_set_level(enum lw_log_level level);
enum lw_log_level lw_log_get_level(void);

void lw_log(enum lw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lw_vlog(enum lw_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define pr_warn(...) lw_log(LW_LOG_WARN, __VA_ARGS__)
#define pr_info(...) lw_log(LW_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) lw_log(LW_LOG_DEBUG, __VA_ARGS__)

#endif /* LW_LOG_H */
