/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Ground truth shared by tests/workloads/sock_workload.c and the driver
 * tests/integration/test_sockets.c: the schedule and what each socket
 * site holds once the workload is done.  docs/sockets.md prints the table.
 */
#ifndef LW_SOCK_WORKLOAD_H
#define LW_SOCK_WORKLOAD_H

/* SW_STEPS steps, SW_STEP_MS apart: 5 s of activity, then idle. */
#define SW_STEPS 20
#define SW_STEP_MS 250

/*
 * Per step: forgetful_connect() opens a TCP connection to the quiet
 * listener and keeps it (ESTABLISHED); careful_connect() connects to the
 * good listener and closes; hangup_connect() connects to the bad listener
 * and closes, and the bad server's accept_and_keep() never closes its
 * end (CLOSE_WAIT); leak_eventfd() keeps one eventfd.
 */
#define SW_FORGETFUL SW_STEPS  /* ESTABLISHED, leak */
#define SW_CLOSE_WAIT SW_STEPS /* CLOSE_WAIT at accept_and_keep, leak */
#define SW_EVENTFDS SW_STEPS   /* eventfd kind, leak */

/* Once, at start: kept to the end, none of them leaks. */
#define SW_LISTENERS 3 /* make_listener(): good, bad, quiet; LISTEN */
#define SW_POOL 3      /* open_pool(): ESTABLISHED to the quiet listener */
#define SW_UDP 1       /* make_udp(): bound, not connected (CLOSE) */
#define SW_PAIR 2      /* make_pair(): one unix socketpair */
#define SW_PIPE_FDS 2  /* one pipe */
#define SW_V6_LISTEN 1 /* make_listener6(): on ::1, never accepts; LISTEN */
#define SW_V6_CONN 1   /* connect6(): kept, in its backlog; ESTABLISHED */

/* Every socket open at the end, and per state. */
#define SW_OPEN                                                           \
	(SW_FORGETFUL + SW_CLOSE_WAIT + SW_POOL + SW_LISTENERS + SW_UDP + \
	 SW_PAIR + SW_V6_LISTEN + SW_V6_CONN)
#define SW_ESTABLISHED (SW_FORGETFUL + SW_POOL + SW_PAIR + SW_V6_CONN)
#define SW_LISTEN (SW_LISTENERS + SW_V6_LISTEN)

/* The quiet listener never accepts: its backlog must hold them all. */
#define SW_BACKLOG 128

#endif /* LW_SOCK_WORKLOAD_H */
