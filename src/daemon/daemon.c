/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The daemon loop: one epoll over a timer, signals, the HTTP server and
 * the escalation's ring buffer.  A scan of every process each interval;
 * after it, at most one escalation starts, on the native process whose
 * memory grows fastest.  Pairs with daemon.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "daemon/dstate.h"
#include "daemon/httpd.h"
#include "daemon/procfs.h"
#include "daemon/pyroscope.h"
#include "log.h"
#include "sysenv.h"

#define TICK_MS 100 /* escalation drain and budget check, while one runs */

struct loop {
	struct lw_dstate d;
	struct lw_httpd *http;
	int epfd, tfd, sfd;
	int esc_fd; /* in the epoll set, or -1 */
	sigset_t old_mask;
	uint64_t next_scan;
	bool stop;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* As in a session: libbpf's own lines only with -v. */
	(void)level;
	if (lw_log_get_level() < LW_LOG_DEBUG)
		return 0;
	lw_vlog(LW_LOG_DEBUG, fmt, ap);
	return 0;
}

static int watch_fd(struct loop *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup(struct loop *l)
{
	sigset_t mask;
	int err;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	l->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sfd < 0)
		return -errno;
	/* Armed by every tick() for the next one. */
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->tfd < 0)
		return -errno;
	err = watch_fd(l, l->sfd) ?: watch_fd(l, l->tfd) ?:
	      watch_fd(l, lw_httpd__fd(l->http));
	return err;
}

/* An escalation ended: park what it found on its process. */
static void finish_escalation(struct loop *l, uint64_t now)
{
	struct lw_dstate *d = &l->d;
	int pid = lw_escalation__pid(d->esc);
	struct lw_dproc *p;
	struct lw_dheap *h;

	if (l->esc_fd >= 0)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->esc_fd, NULL);
	l->esc_fd = -1;
	h = lw_escalation__finish(d->esc, now);
	d->esc = NULL;
	p = lw_proctab__find(d->tab, pid);
	if (p)
		p->escalating = false;
	if (!h)
		return;
	d->escalations[h->result]++;
	d->probe_hits += h->probe_hits;
	d->dropped_escalation += h->rep.dropped_events;
	pr_info("PID %d: allocation probes detached (%s) after %.1f s: %llu calls, %u leaking sites; detaching took %.3f s, the report %.3f s\n",
		pid, lw_esc_result_name(h->result),
		(h->ended_ns - h->started_ns) / 1e9,
		(unsigned long long)h->probe_hits, h->nr_leak_sites,
		h->detach_ns / 1e9, h->report_ns / 1e9);
	if (!p || h->result == LW_ESC_EXITED) {
		lw_dheap__free(h);
		return;
	}
	lw_dheap__free(p->heap);
	p->heap = h;
}

/* A native process whose memory grows, not escalated lately. */
static struct lw_dproc *candidate(struct loop *l, uint64_t now)
{
	const struct lw_daemon_opts *o = l->d.o;
	struct lw_dproc *const *v, *best = NULL;
	uint64_t cooldown = (uint64_t)(o->escalate_cooldown_s * 1e9);
	size_t nr, i;

	v = lw_proctab__procs(l->d.tab, &nr);
	for (i = 0; i < nr; i++) {
		struct lw_dproc *p = v[i];

		/* Go programs have their own heap profile. */
		if (p->go || p->verdict[LW_DK_HEAP] < LW_VERDICT_GROWING)
			continue;
		if (p->escalations && now - p->esc_started_ns < cooldown)
			continue;
		if (!best || p->growth[LW_DK_HEAP] > best->growth[LW_DK_HEAP])
			best = p;
	}
	return best;
}

static void maybe_escalate(struct loop *l, uint64_t now)
{
	const struct lw_daemon_opts *o = l->d.o;
	struct lw_escalation_opts eo = {
		.window_s = o->escalate_window_s,
		.budget = o->escalate_budget,
	};
	struct lw_dproc *p;
	int err;

	if (!o->escalate || l->d.esc)
		return;
	p = candidate(l, now);
	if (!p)
		return;
	eo.pid = p->pid;
	p->escalations++;
	p->esc_started_ns = now;
	err = lw_escalation__start(&eo, now, &l->d.esc);
	if (err) {
		pr_warn("PID %d (%s): cannot attach allocation probes: %s\n",
			p->pid, p->st.comm, strerror(-err));
		l->d.escalations[LW_ESC_FAILED]++;
		return;
	}
	p->escalating = true;
	pr_info("PID %d (%s): memory grows %.0f B/s, allocation probes for %.0f s (attached in %.3f s)\n",
		p->pid, p->st.comm, p->growth[LW_DK_HEAP], o->escalate_window_s,
		lw_escalation__attach_ns(l->d.esc) / 1e9);
	l->esc_fd = lw_escalation__fd(l->d.esc);
	if (l->esc_fd >= 0 && watch_fd(l, l->esc_fd))
		l->esc_fd = -1; /* the tick drains it anyway */
}

static void push_profiles(struct loop *l, uint64_t now)
{
	struct lw_dstate *d = &l->d;
	time_t until = time(NULL);

	if (!d->pyro)
		return;
	lw_dserve__push(d, now, (uint64_t)until - (uint64_t)d->o->interval_s,
			(uint64_t)until);
	d->last_push_ns = now;
}

/*
 * The next tick: the next scan, or in TICK_MS while an escalation runs.
 * Otherwise the daemon sleeps from scan to scan: waking every TICK_MS
 * for nothing was a third of its CPU while it watched 200 processes
 * every 30 s (docs/performance.md, "The daemon").
 */
static void arm_timer(struct loop *l)
{
	uint64_t at = l->next_scan, soon = mono_ns() + TICK_MS * 1000000ull;
	struct itimerspec its = { 0 };

	if (l->d.esc && soon < at)
		at = soon;
	its.it_value.tv_sec = (time_t)(at / 1000000000ull);
	its.it_value.tv_nsec = (long)(at % 1000000000ull);
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		pr_warn("cannot arm the timer: %s\n", strerror(errno));
}

static void tick(struct loop *l)
{
	uint64_t now = mono_ns();
	int err;

	if (l->d.esc &&
	    lw_escalation__poll(l->d.esc, now) != LW_ESC_RUNNING)
		finish_escalation(l, now);
	if (now >= l->next_scan) {
		l->next_scan = now + (uint64_t)(l->d.o->interval_s * 1e9);
		err = lw_proctab__scan(l->d.tab, now);
		if (err)
			pr_warn("scan failed: %s\n", strerror(-err));
		maybe_escalate(l, now);
		push_profiles(l, now);
	}
	arm_timer(l);
}

static void handle_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
		pr_info("%s: stopping\n", strsignal((int)si.ssi_signo));
		l->stop = true;
	}
}

static int run_loop(struct loop *l)
{
	struct epoll_event evs[8];
	uint64_t exp;
	int n, i, timeout;

	while (!l->stop) {
		timeout = lw_httpd__timeout_ms(l->http);
		n = epoll_wait(l->epfd, evs, 8, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == l->sfd) {
				handle_signal(l);
			} else if (fd == l->tfd) {
				while (read(l->tfd, &exp, sizeof(exp)) > 0)
					;
				tick(l);
			} else if (fd == l->esc_fd && l->d.esc) {
				if (lw_escalation__poll(l->d.esc, mono_ns()) !=
				    LW_ESC_RUNNING)
					finish_escalation(l, mono_ns());
			}
		}
		/* Every wakeup: accepting, reading and timing out connections
		 * costs nothing when there is nothing to do. */
		(void)lw_httpd__run(l->http);
	}
	return 0;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f)
		fclose(f);
	else
		pr_warn("cannot create %s: %s\n", path, strerror(errno));
}

/* Escalation needs what diagnose needs; the rest works without. */
static bool can_escalate(void)
{
	int mounted;

	if (lw_sysenv__check_privileges()) {
		pr_warn("no privileges for allocation probes (CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE): escalation disabled\n");
		return false;
	}
	if (lw_sysenv__check_btf()) {
		pr_warn("no kernel BTF: escalation disabled\n");
		return false;
	}
	if (lw_sysenv__ensure_tracefs(&mounted)) {
		pr_warn("no tracefs: escalation disabled\n");
		return false;
	}
	if (mounted)
		pr_info("mounted tracefs, which was not mounted\n");
	return true;
}

int lw_daemon__run(const struct lw_daemon_opts *opts)
{
	struct lw_daemon_opts o = *opts;
	struct lw_proctab_opts topts = {
		.interval_s = o.interval_s,
		.window_s = o.window_s,
		.sel = o.sel,
		.no_sockets = o.no_sockets,
		.self_pid = getpid(),
	};
	struct loop l = {
		.epfd = -1,
		.tfd = -1,
		.sfd = -1,
		.esc_fd = -1,
	};
	sigset_t mask;
	int err;

	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before any thread starts (the Pyroscope pusher), so every
	 * thread inherits the mask and the signals reach the signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, &l.old_mask) < 0)
		return 1;
	if (o.escalate)
		o.escalate = can_escalate();
	l.d.o = &o;
	l.d.t0_ns = mono_ns();
	l.d.tab = lw_proctab__new(&topts);
	if (!l.d.tab) {
		err = -errno;
		goto out;
	}
	l.http = lw_httpd__new(o.listen, lw_dserve__handle, &l.d);
	if (!l.http) {
		err = -errno;
		pr_warn("cannot listen on %s: %s\n", o.listen, strerror(-err));
		goto out;
	}
	if (o.pyroscope_url) {
		l.d.pyro = lw_pyroscope__new(o.pyroscope_url, o.pyroscope_app);
		if (!l.d.pyro) {
			err = -errno;
			pr_warn("cannot push to %s: %s\n", o.pyroscope_url,
				strerror(-err));
			goto out;
		}
	}
	err = setup(&l);
	if (err) {
		pr_warn("cannot set up the event loop: %s\n", strerror(-err));
		goto out;
	}
	/* The first scan now: the server has data from the start. */
	l.next_scan = mono_ns();
	tick(&l);
	pr_info("watching %zu processes every %.0f s, verdicts over %.0f s; serving http://%s/metrics (port %u)%s\n",
		({
			size_t nr;
			(void)lw_proctab__procs(l.d.tab, &nr);
			nr;
		}),
		o.interval_s, o.window_s, o.listen, lw_httpd__port(l.http),
		o.escalate ? "" : "; no escalation");
	if (o.ready_file)
		touch(o.ready_file);
	err = run_loop(&l);

out:
	if (l.d.esc) {
		lw_escalation__stop(l.d.esc, mono_ns());
		lw_escalation__free(l.d.esc);
	}
	lw_pyroscope__free(l.d.pyro);
	lw_httpd__free(l.http);
	lw_proctab__free(l.d.tab);
	lw_proc_list__close();
	if (l.tfd >= 0)
		close(l.tfd);
	if (l.sfd >= 0)
		close(l.sfd);
	(void)sigprocmask(SIG_SETMASK, &l.old_mask, NULL);
	if (l.epfd >= 0)
		close(l.epfd);
	return err ? 1 : 0;
}
