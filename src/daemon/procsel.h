/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Which processes the daemon watches (docs/daemon.md "Selecting
 * processes"): include rules (comm, exe, cgroup, container, pidns, netns;
 * any match includes, none at all includes everything) and exclude rules
 * (exclude-comm, exclude-exe) that always win.  Kernel threads and the
 * daemon itself are never selected.  Pure: works on procfs.h records.
 */
#ifndef LW_DAEMON_PROCSEL_H
#define LW_DAEMON_PROCSEL_H

#include <stdbool.h>

#include "procfs.h"

struct lw_procsel;

/*
 * An empty selection (everything but kernel threads and the calling
 * process, whose pid is taken from getpid()).  NULL with errno set.
 */
struct lw_procsel *lw_procsel__new(void);

/* NULL-safe. */
void lw_procsel__free(struct lw_procsel *sel);

/*
 * Add one rule.  rule is a flag name without "--": "comm", "exe",
 * "cgroup" (fnmatch globs, flags 0 so '*' also matches '/'), "container"
 * (a prefix of the id: 1 to 64 hex digits, case-insensitive), "pidns",
 * "netns" (an inode number, also accepted as "pid:[N]" / "net:[N]" the
 * way `ls -l /proc/PID/ns` prints it), "exclude-comm", "exclude-exe".
 * Returns 0, -EINVAL for an unknown rule name or a bad value (empty,
 * not a number, not hex), -ENOMEM.
 */
int lw_procsel__add(struct lw_procsel *sel, const char *rule,
		    const char *value);

/* True if rule is one of the names lw_procsel__add() knows. */
bool lw_procsel__is_rule(const char *rule);

/*
 * True if some rule looks at struct lw_procident (exe, cgroup, container,
 * namespaces), so the caller must read it before lw_procsel__match().
 */
bool lw_procsel__needs_ident(const struct lw_procsel *sel);

/* True if no include rule was added (everything is selected). */
bool lw_procsel__includes_all(const struct lw_procsel *sel);

/*
 * Does the selection take this process?  id may be NULL when
 * lw_procsel__needs_ident() is false; with a NULL id, rules that need it
 * neither include nor exclude.
 */
bool lw_procsel__match(const struct lw_procsel *sel,
		       const struct lw_procstat *st,
		       const struct lw_procident *id);

/* Treat pid as the daemon itself (tests; lw_procsel__new uses getpid()). */
void lw_procsel__set_self(struct lw_procsel *sel, int pid);

#endif /* LW_DAEMON_PROCSEL_H */
