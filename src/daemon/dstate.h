/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * What the daemon loop (daemon.c) shares with what it serves (dserve.c):
 * the process table, the escalation under way and the counters.  One
 * thread touches all of it: the HTTP server runs inside the loop.
 */
#ifndef LW_DAEMON_DSTATE_H
#define LW_DAEMON_DSTATE_H

#include <stdint.h>

#include "daemon/daemon.h"
#include "daemon/escalate.h"
#include "daemon/proctab.h"

struct lw_pyroscope;
struct lw_http_request;
struct lw_http_response;

struct lw_dstate {
	const struct lw_daemon_opts *o;
	struct lw_proctab *tab;
	struct lw_escalation *esc; /* the one running, or NULL */
	struct lw_pyroscope *pyro; /* NULL without --pyroscope */
	uint64_t t0_ns; /* daemon start, CLOCK_MONOTONIC */
	uint64_t escalations[LW_ESC_FAILED + 1]; /* by result */
	uint64_t probe_hits; /* over every finished escalation */
	uint64_t dropped_escalation; /* ring records lost */
	uint64_t last_push_ns; /* last Pyroscope push */
};

/* The HTTP handler (httpd.h's lw_http_handler_fn); ctx is the state. */
void lw_dserve__handle(void *ctx, const struct lw_http_request *rq,
		       struct lw_http_response *resp);

/* Push the top processes' profiles to Pyroscope (from, until: Unix s). */
void lw_dserve__push(struct lw_dstate *d, uint64_t now_ns, uint64_t from_s,
		     uint64_t until_s);

#endif /* LW_DAEMON_DSTATE_H */
