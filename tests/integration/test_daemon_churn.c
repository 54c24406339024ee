/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Churn test of `leakwatch daemon`: hundreds of short-lived processes a
 * second (tests/workloads/churn_workload.c) for a minute while the daemon
 * scans every process twice a second.  The daemon must stay up, answer
 * every scrape, watch the churn (processes_started_total grows), forget
 * every churned process once it is gone, keep its descriptors and memory
 * bounded, and exit 0 on SIGTERM (in the sanitizer build: with no leak
 * at exit).  Exits 77 when not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHURN_RATE "400"	/* forks a second */
#define CHURN_SECONDS 60
#define CHURN_SECONDS_ARG "60"
#define SETTLE_S 6		/* scans before the baseline is taken */
#define AFTER_S 12		/* > --window: exited processes age out */
#define SAMPLE_MS 2000		/* RSS and descriptors */
#define SCRAPE_EVERY 5		/* seconds between scrapes */
#define MAX_SAMPLES 256
#define MIB (1024.0 * 1024.0)
/*
 * Bounds.  The RSS one is the issue's: +8 MiB over the whole run.  The
 * slope bound says "no steady growth": a daemon that kept even 100 bytes
 * per churned process (about 10,000 seen in the last 30 s) would exceed
 * it; allocator noise stays well below.
 */
#define MAX_FD_GROWTH 2
#define MAX_RSS_GROWTH (8 * MIB)
#define MAX_LATE_SLOPE (1 * MIB / 30) /* bytes per second */
#define MIN_STARTED 300

static char tmpdir[64];
static int failures;

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v || access(v, X_OK)) {
		fail("%s is not set to a program (run the test through ctest)",
		     name);
		return NULL;
	}
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts))
		;
}

static char *read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static void dump(const char *tag, const char *ext)
{
	char path[PATH_MAX], *s;

	snprintf(path, sizeof(path), "%s/%s.%s", tmpdir, tag, ext);
	s = read_all(path);
	fprintf(stderr, "---- %s.%s ----\n%s\n", tag, ext, s);
	free(s);
}

/* argv with stdout/stderr to tmpdir/TAG.out/.err.  PID or -1. */
static pid_t spawn(char *const argv[], const char *tag)
{
	char out[PATH_MAX], err[PATH_MAX];
	pid_t pid;

	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, tag);
	snprintf(err, sizeof(err), "%s/%s.err", tmpdir, tag);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || o < 0 || e < 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		/* An ASan build holds freed memory in a 256 MiB quarantine,
		 * which would read as growth: keep it small, so the bound
		 * measures the daemon, not the sanitizer. */
		{
			const char *a = getenv("ASAN_OPTIONS");
			char opts[512];

			snprintf(opts, sizeof(opts),
				 "%s%squarantine_size_mb=1:thread_local_quarantine_size_kb=64",
				 a ? a : "", a && *a ? ":" : "");
			setenv("ASAN_OPTIONS", opts, 1);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Exit code of pid, or -1 (killed) after timeout_s. */
static int wait_exit(pid_t pid, int timeout_s, const char *tag)
{
	double end = now_s() + timeout_s;
	int status;

	while (now_s() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		sleep_until(now_s() + 0.05);
	}
	fail("%s: still running after %d s, killed", tag, timeout_s);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* True while pid runs; reaps it (*ret_status) when it has exited. */
static bool alive(pid_t pid, int *ret_status)
{
	return waitpid(pid, ret_status, WNOHANG) == 0;
}

/* A loopback TCP port nobody listens on right now. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/*
 * GET path from 127.0.0.1:port over a plain socket.  Returns the body of a
 * 200 answer (caller frees) or NULL with *ret_why set.
 */
static char *http_get(int port, const char *path, const char **ret_why)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	struct timeval tv = { 10, 0 };
	size_t len = 0, cap = 1 << 16;
	char req[256], *buf = NULL, *body = NULL;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*ret_why = "socket";
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		*ret_why = "connect";
		goto out;
	}
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		 "Connection: close\r\n\r\n",
		 path, port);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		*ret_why = "write";
		goto out;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!buf) {
			*ret_why = "out of memory";
			goto out;
		}
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				*ret_why = "out of memory";
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			*ret_why = errno == EAGAIN ? "read timed out" : "read";
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.1 200 ", 13) && strncmp(buf, "HTTP/1.0 200 ", 13)) {
		*ret_why = "status is not 200";
		goto out;
	}
	body = strstr(buf, "\r\n\r\n");
	if (!body) {
		*ret_why = "no end of headers";
		goto out;
	}
	body = strdup(body + 4);
	if (!body)
		*ret_why = "out of memory";
out:
	free(buf);
	close(fd);
	return body;
}

/* The value of an unlabelled series, or -1 when it is missing. */
static double metric(const char *body, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* Lines of per-process series whose comm label is comm. */
static int series_of_comm(const char *body, const char *comm)
{
	char needle[64];
	const char *p = body;
	int n = 0;

	snprintf(needle, sizeof(needle), "comm=\"%s\"", comm);
	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static long rss_bytes(pid_t pid)
{
	char path[64];
	long size, rss;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%ld %ld", &size, &rss);
	fclose(f);
	return n == 2 ? rss * sysconf(_SC_PAGESIZE) : -1;
}

static int open_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

struct sample {
	double t; /* seconds since the churn started */
	long rss;
	int fds;
};

/* Least-squares slope of rss over the samples with t >= from. */
static double rss_slope(const struct sample *s, int n, double from)
{
	double st = 0, sr = 0, stt = 0, str = 0;
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i].t < from)
			continue;
		k++;
		st += s[i].t;
		sr += s[i].rss;
		stt += s[i].t * s[i].t;
		str += s[i].t * s[i].rss;
	}
	if (k < 3 || k * stt - st * st == 0)
		return 0;
	return (k * str - st * sr) / (k * stt - st * st);
}

struct scrape {
	int ok, failed;
	double started, exited, watched, scans;
};

/* Scrape /metrics; a failure is a test failure. */
static char *scrape(int port, struct scrape *sc, const char *when)
{
	const char *why = NULL;
	char *body = http_get(port, "/metrics", &why);

	if (!body) {
		sc->failed++;
		fail("scrape %s: %s", when, why);
		return NULL;
	}
	sc->started = metric(body, "leakwatch_processes_started_total");
	sc->exited = metric(body, "leakwatch_processes_exited_total");
	sc->watched = metric(body, "leakwatch_processes_watched");
	sc->scans = metric(body, "leakwatch_scans_total");
	if (sc->started < 0 || sc->exited < 0 || sc->watched < 0 ||
	    sc->scans < 0) {
		sc->failed++;
		fail("scrape %s: a daemon series is missing", when);
	} else {
		sc->ok++;
	}
	return body;
}

static void test_churn(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *wl = env_path("LW_CHURN_WORKLOAD");
	static struct sample smp[MAX_SAMPLES];
	struct scrape sc = { 0 }, before;
	char ready[PATH_MAX], listen[32], churn_out[PATH_MAX], *body, *s;
	double t0, next_scrape, last_scans, slope, churn_end = -1;
	long rss0, rss_end, rss_max;
	int port, fds0, fds_end, n = 0, i, status, code;
	unsigned long forked = 0;
	pid_t dpid, cpid;

	if (!lw || !wl)
		return;
	port = free_port();
	if (port < 0) {
		fail("no free loopback port: %s", strerror(errno));
		return;
	}
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	{
		/* --top: every process gets series, churned ones included.
		 * --no-escalate: an escalation of some growing process on
		 * the host holds ~50 BPF descriptors for its window, which
		 * is not what this test measures. */
		char *argv[] = { (char *)lw, "daemon", "--listen", listen,
				 "--interval", "0.5", "--window", "10",
				 "--top", "100000", "--no-escalate",
				 "--ready-file", ready, NULL };

		dpid = spawn(argv, "daemon");
	}
	if (dpid < 0)
		return;
	for (i = 0; i < 30 * 20 && access(ready, F_OK); i++) {
		if (!alive(dpid, &status)) {
			fail("the daemon exited before listening");
			dump("daemon", "err");
			return;
		}
		sleep_until(now_s() + 0.05);
	}
	if (access(ready, F_OK)) {
		fail("the daemon did not create its ready file in 30 s");
		goto out_kill;
	}

	/* Baseline, once the first scans have filled the tables. */
	sleep_until(now_s() + SETTLE_S);
	body = scrape(port, &sc, "before the churn");
	free(body);
	before = sc;
	fds0 = open_fds(dpid);
	rss0 = rss_bytes(dpid);
	fprintf(stderr, "before: rss %.1f MiB, %d fds, %g watched, %g scans\n",
		rss0 / MIB, fds0, sc.watched, sc.scans);

	{
		char *argv[] = { (char *)wl, "--rate", CHURN_RATE, "--seconds",
				 CHURN_SECONDS_ARG, NULL };

		cpid = spawn(argv, "churn");
	}
	if (cpid < 0)
		goto out_kill;
	t0 = now_s();
	next_scrape = t0 + SCRAPE_EVERY;
	last_scans = sc.scans;
	rss_max = rss0;
	/* Sample until AFTER_S after the churn ended. */
	for (i = 1;; i++) {
		double t;

		sleep_until(t0 + i * SAMPLE_MS / 1000.0);
		t = now_s() - t0;
		if (!alive(dpid, &status)) {
			fail("the daemon died %.0f s into the churn (status %#x)",
			     t, status);
			dump("daemon", "err");
			goto out_churn;
		}
		if (n < MAX_SAMPLES) {
			smp[n].t = t;
			smp[n].rss = rss_bytes(dpid);
			smp[n].fds = open_fds(dpid);
			if (smp[n].rss > rss_max)
				rss_max = smp[n].rss;
			n++;
		}
		if (now_s() >= next_scrape) {
			char when[32];

			snprintf(when, sizeof(when), "at %.0f s", t);
			free(scrape(port, &sc, when));
			next_scrape += SCRAPE_EVERY;
			if (sc.scans <= last_scans)
				fail("scrape %s: scans_total did not grow (%g)",
				     when, sc.scans);
			last_scans = sc.scans;
		}
		if (churn_end < 0 && !alive(cpid, &status)) {
			churn_end = t;
			code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			if (code != 0) {
				fail("churn_workload exited with %d", code);
				dump("churn", "err");
			}
		}
		if (churn_end >= 0 && t >= churn_end + AFTER_S)
			break;
		if (t > CHURN_SECONDS + 60) {
			fail("churn_workload still runs after %.0f s", t);
			goto out_churn;
		}
	}

	snprintf(churn_out, sizeof(churn_out), "%s/churn.out", tmpdir);
	s = read_all(churn_out);
	fprintf(stderr, "churn: %s", strstr(s, "forked") ?: "(no summary)\n");
	if (!strstr(s, "forked") || sscanf(strstr(s, "forked"), "forked %lu",
					   &forked) != 1 || forked < 1000)
		fail("churn_workload forked %lu processes, want >= 1000",
		     forked);
	free(s);

	/* The end: the churn is over and has aged out of the window. */
	body = scrape(port, &sc, "at the end");
	fds_end = open_fds(dpid);
	rss_end = rss_bytes(dpid);
	slope = rss_slope(smp, n, CHURN_SECONDS - 30);
	fprintf(stderr,
		"after: rss %.1f MiB (peak %.1f), %d fds, %g watched, %g scans, "
		"started +%g, exited +%g, rss slope over the last 30 s of "
		"churn %.0f B/s, %d scrapes ok\n",
		rss_end / MIB, rss_max / MIB, fds_end, sc.watched, sc.scans,
		sc.started - before.started, sc.exited - before.exited, slope,
		sc.ok);
	for (i = 0; i < n; i++)
		fprintf(stderr, "  t=%5.1f rss %.2f MiB fds %d\n", smp[i].t,
			smp[i].rss / MIB, smp[i].fds);
	if (body) {
		/*
		 * Every churned process is gone: none may still be watched.
		 * Exec'd children are "true"; the others keep the parent's
		 * comm, as does the workload itself.
		 */
		if (series_of_comm(body, "churn_workload"))
			fail("churn_workload processes still have series at the end");
		if (series_of_comm(body, "true"))
			fail("exec'd /bin/true children still have series at the end");
		free(body);
	}
	if (sc.started - before.started < MIN_STARTED)
		fail("processes_started_total grew by %g, want >= %d",
		     sc.started - before.started, MIN_STARTED);
	if (sc.exited - before.exited < sc.started - before.started - 50)
		fail("processes_exited_total grew by %g, started by %g",
		     sc.exited - before.exited, sc.started - before.started);
	if (sc.watched != sc.started - sc.exited)
		fail("processes_watched %g != started %g - exited %g",
		     sc.watched, sc.started, sc.exited);
	if (fds_end < 0 || fds_end > fds0 + MAX_FD_GROWTH)
		fail("daemon descriptors: %d before the churn, %d after", fds0,
		     fds_end);
	for (i = 0; i < n; i++)
		if (smp[i].fds < 0 || smp[i].fds > fds0 + 16)
			fail("daemon descriptors at %.0f s: %d (before: %d)",
			     smp[i].t, smp[i].fds, fds0);
	if (rss_end < 0 || rss_end > rss0 + MAX_RSS_GROWTH)
		fail("daemon RSS: %.1f MiB before the churn, %.1f MiB after",
		     rss0 / MIB, rss_end / MIB);
	if (slope > MAX_LATE_SLOPE)
		fail("daemon RSS grows steadily: %.0f B/s over the last 30 s of churn",
		     slope);
	if (sc.failed)
		fail("%d of %d scrapes failed", sc.failed, sc.ok + sc.failed);

	/* SIGTERM: a clean exit, and (sanitizer build) no leak report. */
	kill(dpid, SIGTERM);
	code = wait_exit(dpid, 60, "daemon");
	if (code != 0)
		fail("the daemon exited with %d on SIGTERM", code);
	snprintf(churn_out, sizeof(churn_out), "%s/daemon.err", tmpdir);
	s = read_all(churn_out);
	if (strstr(s, "Sanitizer") || strstr(s, "runtime error"))
		fail("the daemon's stderr has a sanitizer report");
	free(s);
	if (code != 0 || failures)
		dump("daemon", "err");
	return;

out_churn:
	kill(cpid, SIGKILL);
	waitpid(cpid, NULL, 0);
out_kill:
	kill(dpid, SIGKILL);
	waitpid(dpid, NULL, 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

int main(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "churn")) {
		fprintf(stderr, "usage: %s churn\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("skipped: %s needs root\n", argv[1]);
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lw-churn-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_churn();
	if (failures) {
		fprintf(stderr, "%s: %d failure%s; files kept in %s\n", argv[1],
			failures, failures == 1 ? "" : "s", tmpdir);
		return 1;
	}
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("%s: ok\n", argv[1]);
	return 0;
}
