/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * What the daemon serves: /metrics (Prometheus text), /api/v1/processes
 * (the diagnose JSON schema, one report per process), /debug/pprof/heap
 * and /debug/pprof/goroutine (gzip pprof), and the same profiles pushed
 * to Pyroscope.  Everything is rendered from the process table when asked;
 * nothing is cached.  Metric names: docs/daemon.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "daemon/buf.h"
#include "daemon/dstate.h"
#include "daemon/httpd.h"
#include "daemon/promtext.h"
#include "daemon/pyroscope.h"
#include "go/gocollect.h"
#include "go/goreport.h"
#include "pprof.h"
#include "render.h"
#include "report.h"

#ifndef LW_VERSION
#define LW_VERSION "0.1.0"
#endif

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The processes in /metrics order                                     */

static int cmp_interest(const void *a, const void *b)
{
	const struct lw_dproc *x = *(struct lw_dproc *const *)a;
	const struct lw_dproc *y = *(struct lw_dproc *const *)b;
	double ix = lw_dproc__interest(x), iy = lw_dproc__interest(y);

	if (ix != iy)
		return ix > iy ? -1 : 1;
	return x->pid - y->pid;
}

/* The top processes, most interesting first; *nr_all: how many exist. */
static struct lw_dproc **top_procs(const struct lw_dstate *d, size_t *nr,
				   size_t *nr_all)
{
	struct lw_dproc *const *all = lw_proctab__procs(d->tab, nr_all);
	struct lw_dproc **v;

	*nr = 0;
	v = malloc((*nr_all + 1) * sizeof(*v));
	if (!v)
		return NULL;
	memcpy(v, all, *nr_all * sizeof(*v));
	qsort(v, *nr_all, sizeof(*v), cmp_interest);
	*nr = *nr_all < d->o->top ? *nr_all : d->o->top;
	return v;
}

/* ------------------------------------------------------------------ */
/* /metrics                                                            */

struct plabels {
	char pid[16];
	const char *v[9]; /* pid, comm, container + 1 extra pair + NULL */
};

static void plabels_init(struct plabels *l, const struct lw_dproc *p)
{
	snprintf(l->pid, sizeof(l->pid), "%d", p->pid);
	l->v[0] = "pid";
	l->v[1] = l->pid;
	l->v[2] = "comm";
	l->v[3] = p->st.comm;
	l->v[4] = "container";
	l->v[5] = p->container;
	l->v[6] = NULL;
}

/* The same labels plus one more pair. */
static const char *const *plabels_with(struct plabels *l, const char *k,
				       const char *v)
{
	l->v[6] = k;
	l->v[7] = v;
	l->v[8] = NULL;
	return l->v;
}

static const char *const *plabels_only(struct plabels *l)
{
	l->v[6] = NULL;
	return l->v;
}

typedef void (*gauge_fn)(struct lw_buf *b, const char *name,
			 const struct lw_dproc *p, struct plabels *l);

/* One family, one sample per process where it applies. */
static void per_proc(struct lw_buf *b, struct lw_dproc **v, size_t nr,
		     const char *name, const char *help, gauge_fn fn)
{
	size_t i;

	lw_prom__family(b, name, "gauge", help);
	for (i = 0; i < nr; i++) {
		struct plabels l;

		plabels_init(&l, v[i]);
		fn(b, name, v[i], &l);
	}
}

static void g_rss(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		  struct plabels *l)
{
	lw_prom__sample(b, n, plabels_only(l), (double)p->st.rss_bytes);
}

static void g_anon(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		   struct plabels *l)
{
	lw_prom__sample(b, n, plabels_only(l), (double)p->st.anon_bytes);
}

static void g_live(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		   struct plabels *l)
{
	lw_prom__sample(b, n, plabels_only(l), (double)p->live[LW_DK_HEAP]);
}

static void g_goheap(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		     struct plabels *l)
{
	if (p->go && p->go_heap_ok)
		lw_prom__sample(b, n, plabels_only(l), (double)p->go_heap_inuse);
}

static void g_goroutines(struct lw_buf *b, const char *n,
			 const struct lw_dproc *p, struct plabels *l)
{
	if (p->go)
		lw_prom__sample(b, n, plabels_only(l), (double)p->goroutines);
}

static void g_threads(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		      struct plabels *l)
{
	lw_prom__sample(b, n, plabels_only(l), (double)p->st.num_threads);
}

static void g_fds(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		  struct plabels *l)
{
	if (p->fds_ok)
		lw_prom__sample(b, n, plabels_only(l), (double)p->nr_fds);
}

/* "CLOSE_WAIT" -> "close_wait". */
static void lower(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a'
						      : in[i];
	out[i] = 0;
}

static void g_sockets(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		      struct plabels *l)
{
	char state[24];
	unsigned s;

	if (!p->fds_ok)
		return;
	for (s = 0; s < LW_SOCK_NR_STATES; s++) {
		if (!p->sock_states[s])
			continue;
		lower(lw_sock_state_name(s), state, sizeof(state));
		lw_prom__sample(b, n, plabels_with(l, "state", state),
				(double)p->sock_states[s]);
	}
}

static void g_growth(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		     struct plabels *l)
{
	unsigned k;

	for (k = 0; k < LW_DK_NR; k++)
		if (p->has[k])
			lw_prom__sample(b, n,
					plabels_with(l, "kind", lw_dkind_name(k)),
					p->growth[k]);
}

static void g_verdict(struct lw_buf *b, const char *n, const struct lw_dproc *p,
		      struct plabels *l)
{
	unsigned k;

	for (k = 0; k < LW_DK_NR; k++)
		if (p->has[k])
			lw_prom__sample(b, n,
					plabels_with(l, "kind", lw_dkind_name(k)),
					(double)p->verdict[k]);
}

static void g_suspected(struct lw_buf *b, const char *n,
			const struct lw_dproc *p, struct plabels *l)
{
	unsigned k;

	for (k = 0; k < LW_DK_NR; k++)
		if (p->has[k])
			lw_prom__sample(b, n,
					plabels_with(l, "kind", lw_dkind_name(k)),
					lw_dproc__suspected(p, k) ? 1 : 0);
}

static void leak_sites(struct lw_buf *b, const char *n,
		       const struct lw_dproc *p, struct plabels *l,
		       unsigned kind)
{
	unsigned i;

	for (i = 0; i < p->nr_leak_sites[kind]; i++)
		lw_prom__sample(b, n,
				plabels_with(l, "site",
					     p->leak_sites[kind][i].name),
				(double)p->leak_sites[kind][i].live);
}

static void g_site_goroutines(struct lw_buf *b, const char *n,
			      const struct lw_dproc *p, struct plabels *l)
{
	leak_sites(b, n, p, l, LW_DK_GOROUTINE);
}

static void g_site_bytes(struct lw_buf *b, const char *n,
			 const struct lw_dproc *p, struct plabels *l)
{
	leak_sites(b, n, p, l, LW_DK_HEAP);
}

static uint64_t self_rss(void)
{
	unsigned long long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static uint64_t self_fds(void)
{
	struct lw_fd_entry *fds = NULL;
	size_t nr = 0;

	if (lw_fd_list(getpid(), &fds, &nr))
		return 0;
	free(fds);
	return nr;
}

static void one(struct lw_buf *b, const char *name, const char *type,
		const char *help, const char *const *labels, double v)
{
	lw_prom__family(b, name, type, help);
	lw_prom__sample(b, name, labels, v);
}

static void daemon_metrics(struct lw_buf *b, const struct lw_dstate *d,
			   size_t nr_all, size_t nr_shown)
{
	const struct lw_proctab_stats *st = lw_proctab__stats(d->tab);
	static const char *const version[] = { "version", LW_VERSION, NULL };
	uint64_t ok = 0, errors = 0, dropped = 0;
	struct rusage ru;
	double cpu = 0;
	unsigned r;

	if (!getrusage(RUSAGE_SELF, &ru))
		cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	one(b, "leakwatch_build_info", "gauge",
	    "leakwatch's version, as a label; always 1", version, 1);
	one(b, "leakwatch_daemon_cpu_seconds_total", "counter",
	    "CPU time the daemon used, user and system", NULL, cpu);
	one(b, "leakwatch_daemon_resident_bytes", "gauge",
	    "The daemon's resident memory", NULL, (double)self_rss());
	one(b, "leakwatch_daemon_open_fds", "gauge",
	    "Descriptors the daemon has open", NULL, (double)self_fds());
	one(b, "leakwatch_processes_watched", "gauge",
	    "Processes the daemon samples", NULL, (double)nr_all);
	one(b, "leakwatch_processes_omitted", "gauge",
	    "Watched processes left out of the per-process series (--top)",
	    NULL, (double)(nr_all - nr_shown));
	one(b, "leakwatch_processes_started_total", "counter",
	    "Processes that started being watched", NULL,
	    (double)st->started);
	one(b, "leakwatch_processes_exited_total", "counter",
	    "Watched processes that exited (or whose PID was reused)", NULL,
	    (double)st->exited);
	one(b, "leakwatch_scans_total", "counter",
	    "Samples of every watched process taken", NULL,
	    (double)st->scans);
	one(b, "leakwatch_scan_duration_seconds", "gauge",
	    "Wall time of the last scan", NULL, st->last_scan_s);
	one(b, "leakwatch_read_errors_total", "counter",
	    "Process samples that could not be read (not counting exits)",
	    NULL, (double)st->read_errors);
	{
		static const char *const src[] = { "source", "escalation", NULL };

		one(b, "leakwatch_dropped_events_total", "counter",
		    "Probe records lost before the daemon read them", src,
		    (double)d->dropped_escalation);
	}
	lw_prom__family(b, "leakwatch_escalations_total", "counter",
			"Allocation-probe windows ended, by how they ended");
	for (r = LW_ESC_COMPLETED; r <= LW_ESC_FAILED; r++) {
		const char *l[] = { "result", lw_esc_result_name(r), NULL };

		lw_prom__sample(b, "leakwatch_escalations_total", l,
				(double)d->escalations[r]);
	}
	one(b, "leakwatch_escalations_active", "gauge",
	    "Allocation-probe windows running now", NULL, d->esc ? 1 : 0);
	one(b, "leakwatch_escalation_probe_hits_total", "counter",
	    "Allocator calls seen by finished allocation-probe windows", NULL,
	    (double)d->probe_hits);
	if (d->pyro) {
		const char *lok[] = { "result", "ok", NULL };
		const char *lerr[] = { "result", "error", NULL };
		const char *ldrop[] = { "result", "dropped", NULL };

		lw_pyroscope__stats(d->pyro, &ok, &errors, &dropped);
		lw_prom__family(b, "leakwatch_pyroscope_pushes_total",
				"counter", "Profiles pushed to Pyroscope");
		lw_prom__sample(b, "leakwatch_pyroscope_pushes_total", lok, ok);
		lw_prom__sample(b, "leakwatch_pyroscope_pushes_total", lerr,
				errors);
		lw_prom__sample(b, "leakwatch_pyroscope_pushes_total", ldrop,
				dropped);
	}
}

static int render_metrics(const struct lw_dstate *d, struct lw_buf *b)
{
	size_t nr, nr_all;
	struct lw_dproc **v = top_procs(d, &nr, &nr_all);

	if (!v)
		return -ENOMEM;
	per_proc(b, v, nr, "leakwatch_process_resident_bytes",
		 "Resident memory of the process", g_rss);
	per_proc(b, v, nr, "leakwatch_process_anon_bytes",
		 "Resident anonymous memory of the process (heap, stacks)",
		 g_anon);
	per_proc(b, v, nr, "leakwatch_live_bytes",
		 "Memory the heap verdict judges: the Go heap in use for Go programs, anonymous memory otherwise",
		 g_live);
	per_proc(b, v, nr, "leakwatch_go_heap_inuse_bytes",
		 "Go heap in use, from the runtime's own profile (Go programs)",
		 g_goheap);
	per_proc(b, v, nr, "leakwatch_goroutines",
		 "Live goroutines (Go programs)", g_goroutines);
	per_proc(b, v, nr, "leakwatch_threads", "Threads of the process",
		 g_threads);
	per_proc(b, v, nr, "leakwatch_open_fds", "Open file descriptors",
		 g_fds);
	per_proc(b, v, nr, "leakwatch_open_sockets",
		 "Open sockets by state (TCP state names; unknown: in no sock_diag dump)",
		 g_sockets);
	per_proc(b, v, nr, "leakwatch_growth_per_second",
		 "Least-squares growth over the window: bytes/s for heap, count/s otherwise",
		 g_growth);
	per_proc(b, v, nr, "leakwatch_leak_verdict",
		 "Verdict over the window: 0 stable, 1 growing, 2 leak",
		 g_verdict);
	per_proc(b, v, nr, "leakwatch_leak_suspected",
		 "1 when the verdict of this kind is leak", g_suspected);
	per_proc(b, v, nr, "leakwatch_leak_site_goroutines",
		 "Live goroutines of a leaking creation site", g_site_goroutines);
	per_proc(b, v, nr, "leakwatch_leak_site_bytes",
		 "Live bytes of a leaking allocation site (from an escalation)",
		 g_site_bytes);
	daemon_metrics(b, d, nr_all, nr);
	free(v);
	return b->oom ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* Per-process reports                                                 */

/* The diagnose schema's struct lw_report for a watched process. */
static int build_report(const struct lw_dproc *p, uint64_t now,
			struct lw_report *r, struct lw_go_report *go)
{
	memset(r, 0, sizeof(*r));
	r->version = 1;
	r->mode = "daemon";
	r->target.pid = p->pid;
	snprintf(r->target.comm, sizeof(r->target.comm), "%s", p->st.comm);
	snprintf(r->target.exe, sizeof(r->target.exe), "%s",
		 p->exe ? p->exe : "");
	r->duration_s = (now - p->t0_ns) / 1e9;
	r->exit_code = -1;
	if (p->heap)
		r->alloc = p->heap->rep; /* borrowed: never cleared here */
	else
		r->alloc_unprobed = true;
	if (p->go) {
		int err = lw_gocollect__report(p->go, now, go);

		if (err)
			return err;
		r->go = go;
	}
	return 0;
}

static int kind_json(struct json_object *kinds, const struct lw_dproc *p,
		     unsigned k)
{
	struct json_object *o, *sites;
	unsigned i;

	if (!p->has[k])
		return 0;
	if (lw_json_add_child(kinds, lw_dkind_name(k), json_object_new_object(),
			      &o) ||
	    lw_json_add_str(o, "verdict", lw_verdict_name(p->verdict[k])) ||
	    lw_json_add_bool(o, "suspected", lw_dproc__suspected(p, k)) ||
	    lw_json_add_u64(o, "live", p->live[k]) ||
	    lw_json_add_double(o, "growth_per_s", p->growth[k]) ||
	    lw_json_add_child(o, "leak_sites", json_object_new_array(),
			      &sites))
		return -ENOMEM;
	for (i = 0; i < p->nr_leak_sites[k]; i++) {
		struct json_object *s = json_object_new_object();

		if (lw_json_push(sites, s) ||
		    lw_json_add_str(s, "site", p->leak_sites[k][i].name) ||
		    lw_json_add_u64(s, "live", p->leak_sites[k][i].live))
			return -ENOMEM;
	}
	return 0;
}

static int escalation_json(struct json_object *o, const struct lw_dstate *d,
			   const struct lw_dproc *p, uint64_t now)
{
	const struct lw_dheap *h = p->heap;
	struct json_object *e;

	if (lw_json_add_child(o, "escalation", json_object_new_object(), &e) ||
	    lw_json_add_u64(e, "count", p->escalations) ||
	    lw_json_add_bool(e, "running",
			 d->esc && lw_escalation__pid(d->esc) == p->pid))
		return -ENOMEM;
	if (!h)
		return lw_json_add(e, "last", NULL);
	if (lw_json_add_child(e, "last", json_object_new_object(), &e) ||
	    lw_json_add_str(e, "result", lw_esc_result_name(h->result)) ||
	    lw_json_add_double(e, "ended_s_ago", (now - h->ended_ns) / 1e9) ||
	    lw_json_add_double(e, "duration_s",
			       (h->ended_ns - h->started_ns) / 1e9) ||
	    lw_json_add_u64(e, "probe_hits", h->probe_hits) ||
	    lw_json_add_double(e, "peak_hits_per_s", h->peak_hits_per_s) ||
	    lw_json_add_u64(e, "leak_sites", h->nr_leak_sites) ||
	    lw_json_add_double(e, "attach_s", h->attach_ns / 1e9) ||
	    lw_json_add_double(e, "detach_s", h->detach_ns / 1e9) ||
	    lw_json_add_double(e, "report_s", h->report_ns / 1e9))
		return -ENOMEM;
	return 0;
}

/* The daemon's own section: what it samples from outside. */
static int process_json(struct json_object *root, const struct lw_dstate *d,
			const struct lw_dproc *p, uint64_t now)
{
	struct json_object *o, *socks, *kinds;
	unsigned s, k;

	if (lw_json_add_child(root, "process", json_object_new_object(), &o) ||
	    lw_json_add_int(o, "pid", p->pid) ||
	    lw_json_add_strn(o, "comm", p->st.comm, sizeof(p->st.comm)) ||
	    lw_json_add_str(o, "exe", p->exe) ||
	    lw_json_add_str(o, "container", p->container) ||
	    lw_json_add_str(o, "cgroup", p->cgroup) ||
	    lw_json_add_double(o, "watched_s", (now - p->first_ns) / 1e9) ||
	    lw_json_add_u64(o, "rss_bytes", p->st.rss_bytes) ||
	    lw_json_add_u64(o, "anon_bytes", p->st.anon_bytes) ||
	    lw_json_add_u64(o, "threads", p->st.num_threads) ||
	    lw_json_add_str(o, "go_version", p->go_version))
		return -ENOMEM;
	if (p->fds_ok) {
		if (lw_json_add_u64(o, "open_fds", p->nr_fds) ||
		    lw_json_add_child(o, "sockets", json_object_new_object(),
				      &socks))
			return -ENOMEM;
		for (s = 0; s < LW_SOCK_NR_STATES; s++)
			if (p->sock_states[s] &&
			    lw_json_add_u64(socks, lw_sock_state_name(s),
					    p->sock_states[s]))
				return -ENOMEM;
	} else if (lw_json_add(o, "open_fds", NULL) ||
		   lw_json_add(o, "sockets", NULL)) {
		return -ENOMEM;
	}
	if (lw_json_add_child(o, "kinds", json_object_new_object(), &kinds))
		return -ENOMEM;
	for (k = 0; k < LW_DK_NR; k++)
		if (kind_json(kinds, p, k))
			return -ENOMEM;
	return escalation_json(o, d, p, now);
}

static struct json_object *proc_json(const struct lw_dstate *d,
				     const struct lw_dproc *p, uint64_t now)
{
	struct lw_go_report go = { 0 };
	struct json_object *root = NULL;
	struct lw_report r;

	if (build_report(p, now, &r, &go))
		goto out;
	root = lw_report__to_json(&r);
	if (root && process_json(root, d, p, now)) {
		json_object_put(root);
		root = NULL;
	}
out:
	lw_go_report__clear(&go);
	return root;
}

static int render_processes(const struct lw_dstate *d, struct lw_buf *b,
			    int only_pid)
{
	struct json_object *arr = json_object_new_array();
	uint64_t now = mono_ns();
	size_t nr, nr_all, i;
	struct lw_dproc **v;
	int err = 0;

	if (!arr)
		return -ENOMEM;
	/* Every process, most interesting first (no top-N: it is asked). */
	v = top_procs(d, &nr, &nr_all);
	if (!v) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (i = 0; !err && i < nr_all; i++) {
		if (only_pid && v[i]->pid != only_pid)
			continue;
		err = lw_json_push(arr, proc_json(d, v[i], now));
	}
	if (!err)
		err = lw_buf__puts(b, json_object_to_json_string_ext(
					      arr, JSON_C_TO_STRING_PLAIN));
	if (!err)
		err = lw_buf__putc(b, '\n');
	json_object_put(arr);
	free(v);
	return err;
}

/* A gzip pprof of p: the heap (goroutines false) or its goroutines. */
static int proc_pprof(const struct lw_dproc *p, bool goroutines,
		      uint8_t **gz, size_t *len)
{
	struct lw_go_report go = { 0 };
	struct lw_report r;
	const struct lw_pprof_label labels[] = {
		{ .key = "pid", .num = p->pid },
		{ .key = "comm", .str = p->st.comm },
		{ .key = "container", .str = p->container },
	};
	int err;

	err = build_report(p, mono_ns(), &r, &go);
	if (!err)
		err = lw_report__pprof_gz(&r, goroutines, labels,
					  p->container[0] ? 3 : 2, gz, len);
	lw_go_report__clear(&go);
	return err;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */

static void text(struct lw_http_response *resp, int status, const char *msg)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body = strdup(msg);
	resp->len = resp->body ? strlen(msg) : 0;
}

static void from_buf(struct lw_http_response *resp, struct lw_buf *b,
		     const char *type)
{
	if (b->oom) {
		lw_buf__free(b);
		text(resp, 500, "out of memory\n");
		return;
	}
	resp->content_type = type;
	resp->body = lw_buf__steal(b, &resp->len);
}

static const char index_text[] =
	"leakwatch daemon\n"
	"\n"
	"/metrics                       Prometheus metrics\n"
	"/api/v1/processes              every watched process, JSON (?pid=N: one)\n"
	"/debug/pprof/heap?pid=N        heap profile (gzip pprof)\n"
	"/debug/pprof/goroutine?pid=N   goroutine profile of a Go program\n";

static int pid_arg(const struct lw_http_request *rq, int *pid)
{
	const char *s = lw_http_request__arg(rq, "pid");
	char *end;
	long v;

	*pid = 0;
	if (!s)
		return -ENOENT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 0x7fffffff)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

static void serve_pprof(struct lw_dstate *d, const struct lw_http_request *rq,
			struct lw_http_response *resp, bool goroutines)
{
	struct lw_dproc *p;
	uint8_t *gz = NULL;
	size_t len = 0;
	int pid, err;

	if (pid_arg(rq, &pid)) {
		text(resp, 400, "give the process: ?pid=N\n");
		return;
	}
	p = lw_proctab__find(d->tab, pid);
	if (!p) {
		text(resp, 404, "that PID is not watched\n");
		return;
	}
	if (goroutines && !p->go) {
		text(resp, 404, "not a Go program\n");
		return;
	}
	err = proc_pprof(p, goroutines, &gz, &len);
	if (err == -ENOENT) {
		text(resp, 404, "no goroutines could be read\n");
		return;
	}
	if (err) {
		text(resp, 500, "cannot build the profile\n");
		return;
	}
	resp->content_type = "application/octet-stream";
	/* The body is a .pb.gz file, as Go's /debug/pprof serves it: not a
	 * Content-Encoding, which clients would undo. */
	resp->body = gz;
	resp->len = len;
}

void lw_dserve__handle(void *ctx, const struct lw_http_request *rq,
		       struct lw_http_response *resp)
{
	struct lw_dstate *d = ctx;
	struct lw_buf b = { 0 };
	int pid = 0;

	if (!strcmp(rq->path, "/metrics")) {
		if (render_metrics(d, &b))
			b.oom = true;
		from_buf(resp, &b, "text/plain; version=0.0.4; charset=utf-8");
	} else if (!strcmp(rq->path, "/api/v1/processes")) {
		if (pid_arg(rq, &pid) == -EINVAL) {
			text(resp, 400, "pid must be a number\n");
			return;
		}
		if (render_processes(d, &b, pid))
			b.oom = true;
		from_buf(resp, &b, "application/json");
	} else if (!strcmp(rq->path, "/debug/pprof/heap")) {
		serve_pprof(d, rq, resp, false);
	} else if (!strcmp(rq->path, "/debug/pprof/goroutine")) {
		serve_pprof(d, rq, resp, true);
	} else if (!strcmp(rq->path, "/")) {
		text(resp, 200, index_text);
	} else {
		text(resp, 404, "not found; see /\n");
	}
}

/* ------------------------------------------------------------------ */
/* Pyroscope                                                           */

void lw_dserve__push(struct lw_dstate *d, uint64_t now_ns, uint64_t from_s,
		     uint64_t until_s)
{
	size_t nr, nr_all, i;
	struct lw_dproc **v = top_procs(d, &nr, &nr_all);

	(void)now_ns;
	if (!v)
		return;
	for (i = 0; i < nr; i++) {
		const struct lw_dproc *p = v[i];
		char pid[16];
		const char *labels[] = { "pid",	      pid,
					 "comm",      p->st.comm,
					 "container", p->container,
					 NULL };
		uint8_t *gz;
		size_t len;

		/* Only what has a profile: a Go heap, or an escalation's. */
		if (!p->heap && !(p->go && p->go_heap_ok))
			continue;
		snprintf(pid, sizeof(pid), "%d", p->pid);
		if (!p->container[0])
			labels[4] = NULL;
		if (!proc_pprof(p, false, &gz, &len))
			lw_pyroscope__push(d->pyro, "inuse", labels, from_s,
					   until_s, gz, len);
		if (p->go && !proc_pprof(p, true, &gz, &len))
			lw_pyroscope__push(d->pyro, "goroutines", labels,
					   from_s, until_s, gz, len);
	}
	free(v);
}
