/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * One escalation window: alloc.c's probes feeding a ledger for one PID,
 * sampled like a diagnosis, with an overhead budget checked every second.
 * Pairs with escalate.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "daemon/escalate.h"
#include "ledger.h"
#include "log.h"
#include "symbolize.h"

#define SAMPLE_NS 250000000ull /* ledger series step, as in a diagnosis */
#define RATE_NS 1000000000ull /* budget check period */
#define REFRESH_NS 1000000000ull /* symbolizer maps refresh */
#define MAX_SITES 50 /* sites kept in the result */
#define DEFAULT_RING (8u << 20)

struct lw_escalation {
	struct lw_escalation_opts o;
	struct lw_alloc_probe *probe;
	struct lw_ledger *ledger;
	struct lw_symbolizer *sym;
	struct lw_alloc_drops drops;
	enum lw_esc_result result;
	uint64_t t0_ns, end_ns, next_sample, next_rate, next_refresh;
	uint64_t rate_events; /* ledger events at the last rate check */
	double peak_rate;
	uint64_t attach_ns, detach_ns; /* what loading and detaching took */
};

/* For the window's own costs; the callers' now_ns are taken before
 * the scan, so they cannot time what happens after it. */
static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *lw_esc_result_name(enum lw_esc_result r)
{
	switch (r) {
	case LW_ESC_RUNNING:
		return "running";
	case LW_ESC_COMPLETED:
		return "completed";
	case LW_ESC_BUDGET:
		return "budget";
	case LW_ESC_EXITED:
		return "exited";
	case LW_ESC_FAILED:
		return "failed";
	}
	return "?";
}

int lw_escalation__pid(const struct lw_escalation *e)
{
	return e->o.pid;
}

uint64_t lw_escalation__attach_ns(const struct lw_escalation *e)
{
	return e->attach_ns;
}

int lw_escalation__fd(const struct lw_escalation *e)
{
	return e->probe ? lw_alloc_probe__fd(e->probe) : -1;
}

void lw_escalation__free(struct lw_escalation *e)
{
	if (!e)
		return;
	lw_alloc_probe__free(e->probe);
	lw_ledger__free(e->ledger);
	lw_symbolizer__free(e->sym);
	free(e);
}

int lw_escalation__start(const struct lw_escalation_opts *o, uint64_t now_ns,
			 struct lw_escalation **ret)
{
	struct lw_alloc_probe_opts popts = { 0 };
	uint64_t t = clock_ns();
	struct lw_escalation *e;
	int err;

	*ret = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->o = *o;
	e->ledger = lw_ledger__new(now_ns, NULL);
	e->sym = lw_symbolizer__new(o->pid);
	if (!e->ledger || !e->sym) {
		err = errno ? -errno : -ENOMEM;
		goto err_out;
	}
	popts.pid = o->pid;
	popts.ledger = e->ledger;
	popts.sym = e->sym;
	popts.ring_bytes = o->ring_bytes ? o->ring_bytes : DEFAULT_RING;
	e->probe = lw_alloc_probe__new(&popts);
	if (!e->probe) {
		err = -errno;
		goto err_out;
	}
	err = lw_alloc_probe__attach(e->probe);
	if (err < 0)
		goto err_out;
	e->t0_ns = now_ns;
	e->end_ns = now_ns + (uint64_t)(o->window_s * 1e9);
	e->next_sample = now_ns + SAMPLE_NS;
	e->next_rate = now_ns + RATE_NS;
	e->next_refresh = now_ns + REFRESH_NS;
	e->attach_ns = clock_ns() - t;
	*ret = e;
	return 0;

err_out:
	lw_escalation__free(e);
	return err;
}

/* Detach first, so the process stops paying, then take the rest. */
static void end_window(struct lw_escalation *e, enum lw_esc_result why,
		       uint64_t now_ns)
{
	uint64_t t = clock_ns();

	if (e->result != LW_ESC_RUNNING)
		return;
	e->result = why;
	if (e->probe) {
		(void)lw_alloc_probe__consume(e->probe);
		lw_alloc_probe__drops(e->probe, &e->drops);
		lw_alloc_probe__free(e->probe);
		e->probe = NULL;
	}
	e->detach_ns = clock_ns() - t;
	lw_ledger__sample(e->ledger, now_ns);
	e->end_ns = now_ns;
}

enum lw_esc_result lw_escalation__poll(struct lw_escalation *e,
				       uint64_t now_ns)
{
	uint64_t events, live;
	int n;

	if (e->result != LW_ESC_RUNNING)
		return e->result;
	n = lw_alloc_probe__consume(e->probe);
	if (n == -ESRCH || kill(e->o.pid, 0)) {
		end_window(e, LW_ESC_EXITED, now_ns);
		return e->result;
	}
	if (now_ns >= e->next_sample) {
		lw_ledger__sample(e->ledger, now_ns);
		e->next_sample = now_ns + SAMPLE_NS;
	}
	if (now_ns >= e->next_refresh) {
		(void)lw_symbolizer__refresh(e->sym);
		e->next_refresh = now_ns + REFRESH_NS;
	}
	if (now_ns >= e->next_rate) {
		double dt = (now_ns - e->next_rate + RATE_NS) / 1e9, rate;

		lw_ledger__totals(e->ledger, &events, &live);
		rate = (events - e->rate_events) / dt;
		e->rate_events = events;
		e->next_rate = now_ns + RATE_NS;
		if (rate > e->peak_rate)
			e->peak_rate = rate;
		if (e->o.budget && rate > (double)e->o.budget) {
			pr_info("PID %d: %.0f allocator calls/s is over the budget of %llu/s, detaching early\n",
				e->o.pid, rate,
				(unsigned long long)e->o.budget);
			end_window(e, LW_ESC_BUDGET, now_ns);
			return e->result;
		}
	}
	if (n < 0 && n != -EAGAIN) {
		pr_warn("PID %d: allocation records lost: %s\n", e->o.pid,
			strerror(-n));
		end_window(e, LW_ESC_FAILED, now_ns);
		return e->result;
	}
	if (now_ns >= e->end_ns)
		end_window(e, LW_ESC_COMPLETED, now_ns);
	return e->result;
}

void lw_escalation__stop(struct lw_escalation *e, uint64_t now_ns)
{
	end_window(e, LW_ESC_COMPLETED, now_ns);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void free_frames(struct lw_frame *f, unsigned n)
{
	unsigned i;

	if (!f)
		return;
	for (i = 0; i < n; i++) {
		free((char *)f[i].function);
		free((char *)f[i].module);
		free((char *)f[i].file);
	}
	free(f);
}

void lw_dheap__free(struct lw_dheap *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->rep.nr_sites; i++) {
		struct lw_site_report *s = &h->rep.sites[i];

		free_frames(s->frames, s->nr_ips);
		s->frames = NULL;
		free((uint64_t *)s->ips);
		free((struct lw_point *)s->series);
	}
	lw_alloc_report__clear(&h->rep);
	free(h);
}

/* One site, symbolized, with everything it points to copied. */
static int copy_site(struct lw_symbolizer *sym, const struct lw_site_report *in,
		     struct lw_site_report *out)
{
	uint64_t *ips = NULL;
	struct lw_point *series = NULL;
	unsigned j;

	*out = *in;
	out->ips = NULL;
	out->series = NULL;
	out->frames = NULL;
	out->nr_series = 0;
	out->nr_ips = 0;
	if (in->nr_ips) {
		ips = malloc(in->nr_ips * sizeof(*ips));
		out->frames = calloc(in->nr_ips, sizeof(*out->frames));
		if (!ips || !out->frames) {
			free(ips);
			free(out->frames);
			out->frames = NULL;
			return -ENOMEM;
		}
		memcpy(ips, in->ips, in->nr_ips * sizeof(*ips));
		out->ips = ips;
		out->nr_ips = in->nr_ips;
		for (j = 0; j < in->nr_ips; j++) {
			struct lw_frame f = { 0 };
			struct lw_frame *o = &out->frames[j];

			(void)lw_symbolizer__resolve(sym, in->ips[j], &f);
			*o = f;
			o->function = dup_or_null(f.function);
			o->module = dup_or_null(f.module);
			o->file = dup_or_null(f.file);
		}
	}
	if (in->nr_series) {
		series = malloc(in->nr_series * sizeof(*series));
		if (series) {
			memcpy(series, in->series,
			       in->nr_series * sizeof(*series));
			out->series = series;
			out->nr_series = in->nr_series;
		}
	}
	return 0;
}

struct lw_dheap *lw_escalation__finish(struct lw_escalation *e,
				       uint64_t now_ns)
{
	struct lw_alloc_report rep = { 0 };
	struct lw_dheap *h;
	uint64_t t;
	size_t i, n;

	end_window(e, LW_ESC_COMPLETED, now_ns);
	t = clock_ns();
	h = calloc(1, sizeof(*h));
	if (!h)
		goto out;
	h->result = e->result;
	h->started_ns = e->t0_ns;
	h->ended_ns = e->end_ns;
	h->peak_hits_per_s = e->peak_rate;
	h->attach_ns = e->attach_ns;
	h->detach_ns = e->detach_ns;
	lw_ledger__totals(e->ledger, &h->probe_hits, &(uint64_t){ 0 });
	if (lw_ledger__report(e->ledger, e->end_ns, &e->drops, &rep)) {
		free(h);
		h = NULL;
		goto out;
	}
	h->rep = rep;
	n = rep.nr_sites < MAX_SITES ? rep.nr_sites : MAX_SITES;
	h->rep.sites = calloc(n + 1, sizeof(*h->rep.sites));
	h->rep.nr_sites = 0;
	if (!h->rep.sites) {
		lw_alloc_report__clear(&rep);
		free(h);
		h = NULL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (copy_site(e->sym, &rep.sites[i], &h->rep.sites[i]))
			break;
		h->rep.nr_sites++;
		if (rep.sites[i].verdict == LW_VERDICT_LEAK)
			h->nr_leak_sites++;
	}
	lw_alloc_report__clear(&rep);
	h->report_ns = clock_ns() - t;
out:
	lw_escalation__free(e);
	return h;
}
