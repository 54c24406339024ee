/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * leaky-demo: the program of the README quick start.  A fake request
 * handler serving one request every 20 ms until killed.  It fills a
 * session cache once (stable), keeps a bounded queue of recent requests
 * (stable), frees a scratch buffer per request, and leaks one audit record
 * per request from record_audit_entry().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define NOINLINE __attribute__((noinline))

#define NR_SESSIONS 64
#define SESSION_SIZE 256
#define NR_RECENT 16
#define RECENT_SIZE 128
#define SCRATCH_SIZE 4096
#define REQUEST_MS 20

struct audit_record {
	struct audit_record *next;
	long request_id;
	long when;
	char user[40];
};
_Static_assert(sizeof(struct audit_record) == WL_DEMO_AUDIT_SIZE,
	       "workload.h: WL_DEMO_AUDIT_SIZE");

static char *sessions[NR_SESSIONS];
static char *recent[NR_RECENT];
static struct audit_record *audit_log;

NOINLINE void fill_session_cache(void)
{
	int i;

	for (i = 0; i < NR_SESSIONS; i++) {
		sessions[i] = malloc(SESSION_SIZE);
		if (sessions[i])
			snprintf(sessions[i], SESSION_SIZE, "session-%d", i);
	}
}

NOINLINE void remember_request(long id)
{
	int slot = id % NR_RECENT;

	free(recent[slot]);
	recent[slot] = malloc(RECENT_SIZE);
	if (recent[slot])
		snprintf(recent[slot], RECENT_SIZE, "GET /item/%ld", id);
}

/* The bug: records are linked in and never trimmed. */
NOINLINE void record_audit_entry(long id, const char *user)
{
	struct audit_record *r = malloc(sizeof(*r));

	if (!r)
		return;
	r->request_id = id;
	r->when = (long)time(NULL);
	snprintf(r->user, sizeof(r->user), "%s", user);
	r->next = audit_log;
	audit_log = r;
}

NOINLINE void handle_request(long id)
{
	char *scratch = malloc(SCRATCH_SIZE);

	if (!scratch)
		return;
	snprintf(scratch, SCRATCH_SIZE, "%s handling request %ld",
		 sessions[id % NR_SESSIONS], id);
	remember_request(id);
	record_audit_entry(id, sessions[id % NR_SESSIONS]);
	free(scratch);
}

int main(void)
{
	struct timespec ts = { 0, REQUEST_MS * 1000000L };
	long id;

	printf("leaky-demo (pid %d): a fake request handler that leaks one audit record per request; stop it with Ctrl-C\n",
	       (int)getpid());
	fflush(stdout);
	fill_session_cache();
	for (id = 0;; id++) {
		handle_request(id);
		nanosleep(&ts, NULL);
	}
	return 0;
}
