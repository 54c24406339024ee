/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Start a command held at its entry point: fork, exec under ptrace, run
 * the dynamic loader up to the program's entry (so every shared library
 * it needs is mapped and can be probed), and keep it stopped there until
 * the caller has attached its probes.  Nothing the program's own code
 * allocates is missed.
 */
#ifndef LW_LAUNCH_H
#define LW_LAUNCH_H

#include <sys/types.h>

/*
 * Fork and exec argv (PATH lookup as execvp), with the "VAR=VALUE" entries
 * of env (NULL-terminated, may be NULL) added to the environment.  On
 * success the child is stopped at its entry point and *ret_pid is set.
 * -ENOENT/-EACCES... when the command cannot be executed (errno of the
 * child's execvp), other -errno on ptrace failures (the child is killed).
 */
int lw_launch__start(char *const argv[], char *const env[], pid_t *ret_pid);

/* Let the held child run (detach from it).  0 or -errno. */
int lw_launch__release(pid_t pid);

#endif /* LW_LAUNCH_H */
