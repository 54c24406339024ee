/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The session loop: checks, launch or attach, one epoll loop over the ring
 * buffer, a timer, signals and the target's pidfd, then reports.  Pairs
 * with session.h; main.c only parses the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "alloc.h"
#include "fd.h"
#include "go/gobin.h"
#include "go/gocollect.h"
#include "go/goprobes.h"
#include "launch.h"
#include "ledger.h"
#include "log.h"
#include "procmaps.h"
#include "report.h"
#include "session.h"
#include "symbolize.h"
#include "sysenv.h"
#include "task.h"

#define TICK_MS 50 /* ring buffer drain period */
#define SAMPLE_MS 250 /* ledger series period */
#define REFRESH_MS 1000 /* symbolizer maps refresh period */
#define PROGRESS_MS 500 /* progress line refresh period */

struct session {
	const struct lw_session_opts *o;
	struct lw_target_info target;
	struct lw_ledger *ledger;
	struct lw_alloc_probe *probe;
	struct lw_task_probe *threads; /* NULL with --no-threads */
	struct lw_fd_probe *sockets; /* NULL with --no-sockets */
	struct lw_symbolizer *sym;
	struct lw_gocollect *go; /* NULL: not a Go target */
	struct lw_goprobes *goprobes; /* --goroutine-probes, else NULL */
	bool alloc_unprobed; /* Go without an allocator to probe */
	pid_t pid;
	bool launched; /* we started the target */
	bool held; /* launched and not yet released */
	bool exited;
	bool interrupted;
	bool progress_shown; /* a progress line is on stderr */
	int exit_code, exit_signal;
	uint64_t t0_ns, end_ns;
	struct lw_alloc_drops drops; /* last read from the probe */
	int epfd, tfd, sfd, pidfd;
	sigset_t old_mask;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf's own warnings repeat what we report in one line; keep
	 * them for -v. */
	if (lw_log_get_level() < LW_LOG_DEBUG)
		return 0;
	lw_vlog(LW_LOG_DEBUG, fmt, ap);
	return 0;
}

static void read_target_info(struct session *s)
{
	char path[64], *buf = NULL;
	ssize_t n;

	s->target.pid = s->pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", s->pid);
	if (!lw_read_file(path, &buf, NULL)) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(s->target.comm, sizeof(s->target.comm), "%s", buf);
		free(buf);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", s->pid);
	n = readlink(path, s->target.exe, sizeof(s->target.exe) - 1);
	s->target.exe[n > 0 ? n : 0] = '\0';
}

/* One line saying what is wrong and what to do, for start-up errors. */
static int preflight(const struct lw_session_opts *o)
{
	int err, mounted;

	if (lw_sysenv__check_privileges()) {
		pr_warn("permission denied: tracing needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE); run it with sudo\n");
		return -EPERM;
	}
	if (lw_sysenv__check_btf()) {
		pr_warn("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or newer)\n");
		return -ENOENT;
	}
	if (o->pid > 0 && kill(o->pid, 0) && errno == ESRCH) {
		pr_warn("no process with PID %d\n", o->pid);
		return -ESRCH;
	}
	err = lw_sysenv__ensure_tracefs(&mounted);
	if (err) {
		pr_warn("tracefs is not mounted and mounting it failed (%s): mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'\n",
			strerror(-err));
		return err;
	}
	if (mounted)
		pr_info("mounted tracefs, which was not mounted\n");
	return 0;
}

static int start_target(struct session *s)
{
	int err;

	if (!s->o->cmd) {
		s->pid = s->o->pid;
		return 0;
	}
	err = lw_launch__start(s->o->cmd, s->o->cmd_env, &s->pid);
	if (err) {
		pr_warn("cannot run \"%s\": %s\n", s->o->cmd[0], strerror(-err));
		return err;
	}
	s->launched = true;
	s->held = true;
	return 0;
}

static int setup_loop(struct session *s)
{
	struct itimerspec its = {
		.it_interval = { 0, TICK_MS * 1000000L },
		.it_value = { 0, TICK_MS * 1000000L },
	};
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &s->old_mask) < 0)
		return -errno;
	s->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0)
		return -errno;
	ev.data.fd = s->sfd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sfd, &ev) < 0)
		return -errno;

	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->tfd < 0 || timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		return -errno;
	ev.data.fd = s->tfd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev) < 0)
		return -errno;

	if (s->sockets) {
		ev.data.fd = lw_fd_probe__fd(s->sockets);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
			return -errno;
	}
	if (s->threads) {
		ev.data.fd = lw_task_probe__fd(s->threads);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
			return -errno;
	}
	/* No allocation probe in a program without an allocator (Go). */
	if (s->probe) {
		ev.data.fd = lw_alloc_probe__fd(s->probe);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
			return -errno;
	}

	/* The pidfd turns readable when the target exits. */
	s->pidfd = syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd >= 0) {
		ev.data.fd = s->pidfd;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->pidfd, &ev) < 0)
			return -errno;
	}
	return 0;
}

static void note_exit(struct session *s)
{
	int status;

	if (s->exited)
		return;
	s->exited = true;
	s->exit_code = -1;
	if (!s->launched)
		return;
	if (waitpid(s->pid, &status, 0) == s->pid) {
		if (WIFEXITED(status))
			s->exit_code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			s->exit_signal = WTERMSIG(status);
	}
}

static bool target_alive(struct session *s)
{
	if (s->exited)
		return false;
	if (s->pidfd >= 0)
		return true; /* the pidfd tells us */
	if (kill(s->pid, 0) && errno == ESRCH) {
		note_exit(s);
		return false;
	}
	return true;
}

static void symbolize_sites(struct session *s, struct lw_alloc_report *a)
{
	size_t i;
	unsigned j;

	for (i = 0; i < a->nr_sites; i++) {
		struct lw_site_report *site = &a->sites[i];

		if (!site->nr_ips)
			continue;
		site->frames = calloc(site->nr_ips, sizeof(*site->frames));
		if (!site->frames)
			continue; /* rendered from raw addresses */
		for (j = 0; j < site->nr_ips; j++)
			(void)lw_symbolizer__resolve(s->sym, site->ips[j],
						     &site->frames[j]);
	}
}

static int write_json(const struct lw_report *r, const char *path,
		      bool compact)
{
	char tmp[PATH_MAX];
	struct json_object *doc;
	FILE *f;
	int err = 0;

	if (!strcmp(path, "-")) {
		if (!compact)
			return lw_report__write_json(r, stdout);
		doc = lw_report__to_json(r);
		if (!doc)
			return -ENOMEM;
		if (puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN)) < 0)
			err = -EIO;
		json_object_put(doc);
		fflush(stdout);
		return err;
	}
	/* Write beside and rename, so a reader never sees half a report. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = lw_report__write_json(r, f);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		(void)unlink(tmp);
	return err;
}

static int emit_report(struct session *s, bool final)
{
	const struct lw_session_opts *o = s->o;
	struct lw_report r = { 0 };
	struct lw_thread_report threads = { 0 };
	struct lw_socket_report sockets = { 0 };
	struct lw_go_report go = { 0 };
	uint64_t now = s->end_ns ? s->end_ns : now_ns();
	int err;

	if (s->probe)
		lw_alloc_probe__drops(s->probe, &s->drops);
	r.version = 1;
	r.mode = o->mode == LW_MODE_DIAGNOSE ? "diagnose" : "attach";
	r.target = s->target;
	r.duration_s = (now - s->t0_ns) / 1e9;
	r.target_exited = s->exited;
	r.exit_code = s->exit_code;
	r.exit_signal = s->exit_signal;
	r.interrupted = s->interrupted;
	r.final = final;
	r.alloc_unprobed = s->alloc_unprobed;
	err = lw_ledger__report(s->ledger, now, &s->drops, &r.alloc);
	if (err)
		return err;
	symbolize_sites(s, &r.alloc);
	if (s->go) {
		err = lw_gocollect__report(s->go, now, &go);
		if (err) {
			lw_alloc_report__clear(&r.alloc);
			return err;
		}
		r.go = &go;
	}
	if (s->threads) {
		err = lw_task_probe__report(s->threads, now, &threads);
		if (err) {
			lw_alloc_report__clear(&r.alloc);
			lw_go_report__clear(&go);
			return err;
		}
		r.threads = &threads;
	}
	if (s->sockets) {
		err = lw_fd_probe__report(s->sockets, now, &sockets);
		if (err) {
			lw_alloc_report__clear(&r.alloc);
			lw_go_report__clear(&go);
			lw_thread_report__clear(&threads);
			return err;
		}
		r.sockets = &sockets;
	}

	if (!o->json_path || strcmp(o->json_path, "-")) {
		if (o->mode == LW_MODE_ATTACH && !final)
			printf("\n");
		err = lw_report__write_text(&r, stdout, &o->text);
		fflush(stdout);
	}
	if (!err && o->json_path)
		err = write_json(&r, o->json_path, o->mode == LW_MODE_ATTACH);
	if (!err && o->pprof_path)
		err = lw_report__write_pprof(&r, o->pprof_path);
	if (!err && o->html_path)
		err = lw_report__write_html(&r, o->html_path);
	if (err)
		pr_warn("cannot write the report: %s\n", strerror(-err));
	lw_alloc_report__clear(&r.alloc);
	lw_thread_report__clear(&threads);
	lw_socket_report__clear(&sockets);
	lw_go_report__clear(&go);
	return err;
}

static int drain(struct session *s)
{
	/* No allocation probe in a program without an allocator (Go). */
	int n = s->probe ? lw_alloc_probe__consume(s->probe) : 0;

	if (n < 0) {
		pr_warn("cannot keep up: %s\n", strerror(-n));
		return n;
	}
	n = s->threads ? lw_task_probe__consume(s->threads) : 0;
	if (n < 0) {
		pr_warn("cannot keep up with thread events: %s\n", strerror(-n));
		return n;
	}
	n = s->sockets ? lw_fd_probe__consume(s->sockets) : 0;
	if (n < 0) {
		pr_warn("cannot keep up with descriptor events: %s\n",
			strerror(-n));
		return n;
	}
	n = s->goprobes ? lw_goprobes__consume(s->goprobes) : 0;
	if (n < 0) {
		pr_warn("cannot keep up with goroutine events: %s\n",
			strerror(-n));
		return n;
	}
	return 0;
}

/*
 * One line on stderr, rewritten in place, so a person at a terminal sees
 * the diagnosis is alive; erased before the report.  Only when main.c
 * found both stdout and stderr are terminals.
 */
static void show_progress(struct session *s, uint64_t now, uint64_t deadline)
{
	char left[LW_NUMBUF], ev[LW_NUMBUF], live[LW_NUMBUF];
	uint64_t events, live_bytes;

	lw_ledger__totals(s->ledger, &events, &live_bytes);
	lw_fmt_duration(deadline > now ? (deadline - now) / 1e9 : 0, left,
			sizeof(left));
	fprintf(stderr, "\r\033[Kleakwatch: %s left, %s allocator events, %s live",
		left, lw_fmt_count(events, ev, sizeof(ev)),
		lw_fmt_bytes((double)live_bytes, live, sizeof(live)));
	fflush(stderr);
	s->progress_shown = true;
}

static void clear_progress(struct session *s)
{
	if (!s->progress_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	s->progress_shown = false;
}

static int handle_signal(struct session *s)
{
	struct signalfd_siginfo si;

	clear_progress(s);
	while (read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
		pr_info("%s received, reporting what was seen so far\n",
			strsignal(si.ssi_signo));
		s->interrupted = true;
	}
	return s->interrupted;
}

static int run_loop(struct session *s)
{
	const struct lw_session_opts *o = s->o;
	uint64_t deadline = 0, next_sample, next_refresh, next_report = 0;
	uint64_t next_progress = s->t0_ns;
	struct epoll_event evs[4];
	int err, n, i;

	if (o->mode == LW_MODE_DIAGNOSE || o->duration_s > 0)
		deadline = s->t0_ns + (uint64_t)(o->duration_s * 1e9);
	if (o->mode == LW_MODE_ATTACH)
		next_report = s->t0_ns + (uint64_t)(o->interval_s * 1e9);
	next_sample = s->t0_ns + SAMPLE_MS * 1000000ull;
	next_refresh = s->t0_ns + REFRESH_MS * 1000000ull;

	for (;;) {
		uint64_t now;

		n = epoll_wait(s->epfd, evs, 4, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			uint64_t ticks;

			if (evs[i].data.fd == s->tfd)
				(void)!read(s->tfd, &ticks, sizeof(ticks));
			else if (evs[i].data.fd == s->sfd && handle_signal(s))
				return 0;
			else if (evs[i].data.fd == s->pidfd)
				note_exit(s);
		}
		err = drain(s);
		if (err)
			return err;
		if (!target_alive(s))
			return 0;

		now = now_ns();
		/* -ESRCH is the target exiting: the pidfd reports that. */
		if (s->go && lw_gocollect__tick(s->go, now, false) == -ENOMEM)
			return -ENOMEM;
		if (now >= next_sample) {
			lw_ledger__sample(s->ledger, now);
			next_sample += SAMPLE_MS * 1000000ull;
		}
		if (s->threads)
			lw_task_probe__tick(s->threads, now);
		if (s->sockets)
			lw_fd_probe__tick(s->sockets, now);
		if (now >= next_refresh) {
			(void)lw_symbolizer__refresh(s->sym);
			next_refresh = now + REFRESH_MS * 1000000ull;
		}
		if (o->progress && deadline && now >= next_progress) {
			show_progress(s, now, deadline);
			next_progress = now + PROGRESS_MS * 1000000ull;
		}
		if (deadline && now >= deadline)
			return 0;
		if (next_report && now >= next_report) {
			err = emit_report(s, false);
			if (err)
				return err;
			next_report += (uint64_t)(o->interval_s * 1e9);
		}
	}
}

/* Stop a target we launched once its window is over. */
static void stop_launched(struct session *s)
{
	int i;

	if (!s->launched || s->exited)
		return;
	s->launched = false; /* once: the PID is free after the wait */
	if (s->held)
		(void)lw_launch__release(s->pid);
	(void)kill(s->pid, SIGTERM);
	for (i = 0; i < 40; i++) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
			return;
		usleep(50000);
	}
	(void)kill(s->pid, SIGKILL);
	(void)waitpid(s->pid, NULL, 0);
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		(void)close(fd);
	else
		pr_warn("cannot create \"%s\": %s, ignoring\n", path,
			strerror(errno));
}

/*
 * The thread probes beside the allocation probes.  Allocations are the
 * main job: when the thread tracepoints cannot be had (an old kernel
 * without BTF-typed tracepoints), say so and go on without them.
 */
static void open_threads(struct session *s)
{
	struct lw_task_probe_opts topts = {
		.pid = s->pid,
		.sym = s->sym,
	};
	int err;

	if (s->o->no_threads)
		return;
	s->threads = lw_task_probe__new(&topts);
	err = s->threads ? lw_task_probe__attach(s->threads) : -errno;
	if (!err)
		return;
	pr_warn("cannot trace the threads of PID %d: %s, ignoring\n", s->pid,
		strerror(-err));
	lw_task_probe__free(s->threads);
	s->threads = NULL;
}

/*
 * The descriptor probes, like the thread probes: optional, so a failure
 * costs the sockets section only.
 */
static void open_sockets(struct session *s)
{
	struct lw_fd_probe_opts fopts = {
		.pid = s->pid,
		.sym = s->sym,
	};
	int err;

	if (s->o->no_sockets)
		return;
	s->sockets = lw_fd_probe__new(&fopts);
	err = s->sockets ? lw_fd_probe__attach(s->sockets, now_ns()) : -errno;
	if (!err)
		return;
	pr_warn("cannot trace the sockets of PID %d: %s, ignoring\n", s->pid,
		strerror(-err));
	lw_fd_probe__free(s->sockets);
	s->sockets = NULL;
}

/*
 * --goroutine-probes: attached before the collector's first snapshot, so
 * the snapshot seeds the census and the probes see every goroutine born
 * after (docs/go.md).  Optional like the thread probes: on failure the
 * snapshots alone run, and the report says mode "snapshot".
 */
static void open_goprobes(struct session *s)
{
	if (!s->o->goroutine_probes)
		return;
	if (!s->go) {
		pr_warn("--goroutine-probes: PID %d is not a Go program we can read, ignoring\n",
			s->pid);
		return;
	}
	s->goprobes = lw_goprobes__new(s->go, 0);
	if (!s->goprobes)
		pr_warn("cannot probe the goroutines of PID %d: %s, reading snapshots only\n",
			s->pid, strerror(errno));
}

/*
 * A Go target the collector could not open.  -ENOENT from it means either
 * no runtime.g layout for its version (stripped, no DWARF, a version the
 * table has no row for: better said plainly than "No such file") or a
 * runtime variable its code did not give away.
 */
static void warn_go_unreadable(int pid, int err)
{
	struct lw_go_layout l;
	struct lw_gobin *b;
	char exe[64];

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (err != -ENOENT || lw_gobin__open(exe, &b)) {
		pr_warn("PID %d is a Go program but its runtime cannot be read: %s, ignoring\n",
			pid, strerror(-err));
		return;
	}
	if (lw_gobin__layout(b, &l))
		pr_warn("PID %d is a Go program (%s, without DWARF) whose runtime.g layout leakwatch does not know (its table covers Go 1.16-1.26), ignoring its goroutines and Go heap\n",
			pid, lw_gobin__version(b));
	else
		pr_warn("PID %d is a Go program (%s) but the runtime variables leakwatch reads were not found in its code, ignoring its goroutines and Go heap\n",
			pid, lw_gobin__version(b));
	lw_gobin__free(b);
}

int lw_session__run(const struct lw_session_opts *o)
{
	struct lw_alloc_probe_opts popts = { 0 };
	struct lw_ledger_opts lopts = { 0 };
	struct session s = {
		.o = o,
		.epfd = -1,
		.tfd = -1,
		.sfd = -1,
		.pidfd = -1,
		.exit_code = -1,
	};
	int err, nr_probes;

	libbpf_set_print(libbpf_print);
	signal(SIGPIPE, SIG_IGN);
	err = preflight(o);
	if (err)
		return 1;
	err = start_target(&s);
	if (err)
		return 1;
	read_target_info(&s);
	err = lw_gocollect__new(s.pid, &s.go);
	if (err && err != -ENOEXEC)
		warn_go_unreadable(s.pid, err);
	else if (!err)
		pr_debug("PID %d is a Go program (%s)\n", s.pid,
			 lw_gocollect__version(s.go));

	s.t0_ns = now_ns();
	lopts.sample_bytes = o->sample_bytes;
	s.ledger = lw_ledger__new(s.t0_ns, &lopts);
	if (!s.ledger) {
		err = -errno;
		goto out;
	}
	s.sym = lw_symbolizer__new(s.pid);
	if (!s.sym) {
		err = -errno;
		pr_warn("cannot read the memory map of PID %d: %s\n", s.pid,
			strerror(-err));
		goto out;
	}
	popts.pid = s.pid;
	popts.ledger = s.ledger;
	popts.sym = s.sym;
	popts.ring_bytes = o->ring_bytes;
	popts.sample_bytes = o->sample_bytes;
	s.probe = lw_alloc_probe__new(&popts);
	if (!s.probe) {
		err = -errno;
		pr_warn("cannot load the BPF programs: %s (run with -v for the verifier's log)\n",
			strerror(-err));
		goto out;
	}
	nr_probes = lw_alloc_probe__attach(s.probe);
	if (nr_probes == -ENOENT &&
	    (s.go || (!o->no_sockets && lw_fd_target_is_go(s.pid)))) {
		/* A pure Go binary has no malloc: goroutines and the Go
		 * heap are read from outside, sockets and threads traced,
		 * with no allocation probe at all. */
		lw_alloc_probe__free(s.probe);
		s.probe = NULL;
		s.alloc_unprobed = true;
		nr_probes = 0;
	} else if (nr_probes == -ENOENT) {
		err = nr_probes;
		pr_warn("no allocator functions found in PID %d (%s): is it a stripped static binary?\n",
			s.pid, s.target.exe);
		goto out;
	}
	if (nr_probes < 0) {
		err = nr_probes;
		if (err == -ESRCH)
			pr_warn("PID %d exited before the probes were attached\n",
				s.pid);
		else
			pr_warn("cannot attach the probes to PID %d: %s\n",
				s.pid, strerror(-err));
		goto out;
	}
	open_threads(&s);
	open_sockets(&s);
	open_goprobes(&s);
	err = setup_loop(&s);
	if (err) {
		pr_warn("cannot set up the event loop: %s\n", strerror(-err));
		goto out;
	}
	/* The window starts once every probe is in place. */
	s.t0_ns = now_ns();
	if (s.threads) {
		err = lw_task_probe__start(s.threads, s.t0_ns);
		if (err) {
			pr_warn("cannot read the threads of PID %d: %s\n",
				s.pid, strerror(-err));
			goto out;
		}
	}
	if (s.held) {
		err = lw_launch__release(s.pid);
		if (err) {
			pr_warn("cannot release PID %d: %s\n", s.pid,
				strerror(-err));
			goto out;
		}
		s.held = false;
	}
	/* After the release: a launched program's runtime starts now. */
	if (s.go) {
		err = lw_gocollect__start(s.go, s.t0_ns);
		if (err && err != -ESRCH) {
			pr_warn("cannot read the goroutines of PID %d: %s\n",
				s.pid, strerror(-err));
			goto out;
		}
		err = 0; /* gone already: the loop notices */
	}
	if (s.alloc_unprobed)
		pr_info("tracing PID %d (%s): a Go program without an allocator to probe, %s, reporting %s\n",
			s.pid, s.target.comm,
			s.go ? "reading its goroutines and Go heap" :
			       "its runtime unreadable (above): threads and sockets only",
			o->mode == LW_MODE_DIAGNOSE ? "at the end" : "periodically");
	else if (o->mode == LW_MODE_DIAGNOSE)
		pr_info("tracing PID %d (%s): %d allocator functions probed, reporting in %.0f s\n",
			s.pid, s.target.comm, nr_probes, o->duration_s);
	else
		pr_info("tracing PID %d (%s): %d allocator functions probed, reporting every %.0f s until stopped\n",
			s.pid, s.target.comm, nr_probes, o->interval_s);
	if (o->ready_file)
		touch(o->ready_file);

	err = run_loop(&s);
	s.end_ns = now_ns();
	clear_progress(&s);
	/* The last goroutine snapshot, before the target is stopped. */
	if (!err && s.go && !s.exited)
		(void)lw_gocollect__tick(s.go, s.end_ns, true);
	/* What the target did up to now is in the ring: take it all, then
	 * detach before anything slow, so the target stops paying. */
	if (!err)
		err = drain(&s);
	/* Thread states are read from /proc: before a launched target
	 * is stopped. */
	if (!err && s.threads)
		err = lw_task_probe__finish(s.threads, s.end_ns);
	if (!err && s.sockets)
		lw_fd_probe__finish(s.sockets, s.end_ns);
	if (s.probe)
		lw_alloc_probe__drops(s.probe, &s.drops);
	lw_alloc_probe__free(s.probe);
	s.probe = NULL;
	lw_goprobes__free(s.goprobes);
	s.goprobes = NULL;
	stop_launched(&s);
	if (!err) {
		lw_ledger__sample(s.ledger, s.end_ns);
		if (s.exited)
			pr_info("PID %d exited after %.1f s\n", s.pid,
				(s.end_ns - s.t0_ns) / 1e9);
		err = emit_report(&s, true);
	}

out:
	lw_goprobes__free(s.goprobes);
	lw_alloc_probe__free(s.probe);
	lw_task_probe__free(s.threads);
	lw_fd_probe__free(s.sockets);
	stop_launched(&s);
	lw_symbolizer__free(s.sym);
	lw_gocollect__free(s.go);
	lw_ledger__free(s.ledger);
	if (s.pidfd >= 0)
		(void)close(s.pidfd);
	if (s.tfd >= 0)
		(void)close(s.tfd);
	if (s.sfd >= 0) {
		(void)close(s.sfd);
		(void)sigprocmask(SIG_SETMASK, &s.old_mask, NULL);
	}
	if (s.epfd >= 0)
		(void)close(s.epfd);
	return err ? 1 : 0;
}
