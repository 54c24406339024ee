/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Integration tests of the Go reader: runs the real leakwatch binary on the
 * Go fixture of tests/go/leaky (one build per toolchain, stripped or not)
 * and compares its "goroutines" and "go_heap" report sections with the
 * fixture's own counts (/counts) and with the Go runtime's own goroutine
 * profile (/debug/pprof/goroutine?debug=1), both read over loopback after
 * the report.  Ground truth: docs/testing.md, "Go fixture".
 *
 *	test_go leaks FIXTURE TAG stripped|unstripped [probes]
 *	test_go stress FIXTURE TAG [probes]
 *	test_go esbuild ESBUILD GOVERSION
 *	test_go gleak FIXTURE TAG stripped|unstripped
 *
 * esbuild: a released esbuild binary (stripped, built by its authors with
 * the Go version GOVERSION, "go1.16.3") serving files, read twice while
 * idle with a known number of keep-alive connections (test_esbuild()).
 * gleak: goroutines the Go runtime itself marked leaked (tests/go/gleak,
 * test_gleak()).
 *
 * TAG is the toolchain's version ("1.19").  probes: leakwatch runs with
 * --goroutine-probes, and the births and deaths it counts are checked
 * too (check_probes()).  leakwatch's path comes from LW_LEAKWATCH.  Exits
 * 77 when not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
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

#include <json-c/json.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The diagnosis window and the driver's schedule.  The driver starts when
 * leakwatch is ready (SIGUSR1) and stops DRIVE_S later, then collects the
 * garbage and goes quiet: the report at WINDOW_S sees a population that no
 * longer changes, and every quarter of the window saw leaks born (the leak
 * verdict needs survivors in each of its 4 segments).
 */
#define WINDOW_S 12
#define DRIVE_S 10
#define DRIVE_RATE 5
#define LW_SLACK_S 60 /* leakwatch's own time beyond its window */
#define STRESS_WORKERS 16
#define STRESS_DEFAULT_S 20 /* LW_GO_STRESS_S overrides: 600 by hand */
#define STRESS_PROBES_S 10  /* the same under --goroutine-probes */
#define SHORT_PER_ROUND 4   /* main.shortWorker goroutines per round */
#define HEAP_FUNC "main.heapLeakAlloc"

static char tmpdir[256];
static int failures;
static bool probes; /* run leakwatch with --goroutine-probes */

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

/* "-" is the ground truth, "+" what leakwatch (or the target) said. */
static void fail_diff(const char *what, const char *expected,
		      const char *actual)
{
	failures++;
	fprintf(stderr, "FAIL: %s\n-\t%s\n+\t%s\n", what, expected, actual);
}

static void fail_diff_u64(const char *what, uint64_t expected, uint64_t actual)
{
	char e[32], a[32];

	snprintf(e, sizeof(e), "%" PRIu64, expected);
	snprintf(a, sizeof(a), "%" PRIu64, actual);
	fail_diff(what, e, a);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

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
	/* getdelim with NUL reads a text file whole. */
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static void dump_file(const char *tag, const char *ext)
{
	char path[PATH_MAX];
	char *s;

	snprintf(path, sizeof(path), "%s/%s.%s", tmpdir, tag, ext);
	s = read_all(path);
	fprintf(stderr, "---- %s.%s ----\n%s%s", tag, ext, s,
		*s && s[strlen(s) - 1] != '\n' ? "\n" : "");
	free(s);
}

/*
 * Fork and exec argv with stdout/stderr to tmpdir/TAG.out and TAG.err and
 * stdin from in_fd (-1: /dev/null).  Returns the PID or -1.
 */
static pid_t spawn_in(char *const argv[], const char *tag, int in_fd)
{
	char out[PATH_MAX], err[PATH_MAX];
	pid_t pid;
	int i;

	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, tag);
	snprintf(err, sizeof(err), "%s/%s.err", tmpdir, tag);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || o < 0 || e < 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	fprintf(stderr, "run [%s]:", tag);
	for (i = 0; argv[i]; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\n");
	return pid;
}

static pid_t spawn(char *const argv[], const char *tag)
{
	return spawn_in(argv, tag, -1);
}

/* The exit code, 128 + signal, or -1 (killed after timeout_s, a failure). */
static int wait_exit(pid_t pid, int timeout_s, const char *tag)
{
	int status, i;

	for (i = 0; i < timeout_s * 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		sleep_ms(50);
	}
	fail("%s: still running after %d s, killed", tag, timeout_s);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* True while pid (our child) runs; reaps it and says how it ended if not. */
static bool still_running(pid_t pid, const char *tag)
{
	int status;
	pid_t r = waitpid(pid, &status, WNOHANG);

	if (r == 0)
		return true;
	if (r == pid && WIFSIGNALED(status))
		fail("%s: killed by signal %d", tag, WTERMSIG(status));
	else if (r == pid)
		fail("%s: exited with %d", tag, WEXITSTATUS(status));
	else
		fail("%s: waitpid: %s", tag, strerror(errno));
	dump_file(tag, "err");
	return false;
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Wait for path to appear while pid runs; false (a failure) if not. */
static bool wait_file(const char *path, pid_t pid, const char *tag,
		      int timeout_s)
{
	int i;

	for (i = 0; i < timeout_s * 50; i++) {
		if (!access(path, F_OK))
			return true;
		if (!still_running(pid, tag))
			return false;
		sleep_ms(20);
	}
	fail("%s: no \"%s\" after %d s", tag, path, timeout_s);
	return false;
}

/* ---- a minimal HTTP/1.0 client for the fixture on loopback ---- */

/* The body of GET path from 127.0.0.1:port, or NULL (a failure, reported)
 * unless the status is 200.  The caller frees it. */
static char *http_get(int port, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 20 };
	char *resp = NULL, *body = NULL, *hdr_end;
	size_t len = 0, cap = 0;
	char req[512];
	int fd, n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fail("GET %s: connect to port %d: %s", path, port,
		     strerror(errno));
		goto out;
	}
	/* HTTP/1.0: the server closes the connection after the reply, so the
	 * body ends at EOF. */
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, n) != n) {
		fail("GET %s: write: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *p = realloc(resp, cap + 65536);

			if (!p) {
				fail("GET %s: out of memory", path);
				goto out;
			}
			resp = p;
			cap += 65536;
		}
		r = read(fd, resp + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail("GET %s: read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += r;
	}
	resp[len] = '\0';
	hdr_end = strstr(resp, "\r\n\r\n");
	if (strncmp(resp, "HTTP/1.", 7) || strlen(resp) < 12 || !hdr_end ||
	    strncmp(resp + 9, "200", 3)) {
		fail("GET %s: not a 200 reply: \"%.80s\"", path, resp);
		goto out;
	}
	body = strdup(hdr_end + 4);
out:
	free(resp);
	close(fd);
	return body;
}

static struct json_object *http_get_json(int port, const char *path)
{
	char *body = http_get(port, path);
	struct json_object *o;

	if (!body)
		return NULL;
	o = json_tokener_parse(body);
	if (!o)
		fail("GET %s: not JSON: \"%.200s\"", path, body);
	free(body);
	return o;
}

/* ---- JSON access ---- */

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

static uint64_t ju64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(jget(o, key));
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* ---- the runtime's own goroutine profile ---- */

struct pprof_group {
	char *func; /* start function: the outermost frame of a record */
	uint64_t count;
};

struct pprof {
	struct pprof_group *g;
	size_t nr;
	uint64_t total;
};

static void pprof_add(struct pprof *p, const char *func, size_t len,
		      uint64_t count)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		if (strlen(p->g[i].func) == len &&
		    !strncmp(p->g[i].func, func, len)) {
			p->g[i].count += count;
			return;
		}
	}
	p->g = realloc(p->g, (p->nr + 1) * sizeof(*p->g));
	if (!p->g)
		abort();
	p->g[p->nr].func = strndup(func, len);
	p->g[p->nr].count = count;
	p->nr++;
}

/*
 * /debug/pprof/goroutine?debug=1 groups goroutines by identical stacks:
 *
 *	15 @ 0x43b296 0x407e9b 0x407998 0x6b7565 0x46b981
 *	#	0x6b7564	main.chanLeakWorker+0x84	/src/leaks.go:79
 *
 * The frames go from the innermost outwards and leave out runtime.goexit,
 * so the last "#" line of a record names its start function.  Sum the
 * records per start function.  A record without "#" lines (only goexit's
 * PC) is a goroutine created but not yet run: the backgroundRead of the
 * connection serving the profile.  It is left out.
 */
static int pprof_parse(const char *text, struct pprof *p)
{
	const char *line = text;
	uint64_t count = 0;
	const char *last = NULL;
	size_t last_len = 0;

	memset(p, 0, sizeof(*p));
	while (*line) {
		const char *eol = strchrnul(line, '\n');
		char *end;

		if (*line >= '0' && *line <= '9' && strstr(line, " @ ") &&
		    strstr(line, " @ ") < eol) {
			if (last)
				pprof_add(p, last, last_len, count);
			count = strtoull(line, &end, 10);
			last = NULL;
		} else if (line[0] == '#' && line[1] == '\t') {
			/* "#\tPC\tFUNC+0xOFF\t...FILE:LINE" */
			const char *f = strchr(line + 2, '\t');
			const char *fe, *plus = NULL, *q;

			if (f && f < eol) {
				f++;
				fe = f;
				while (fe < eol && *fe != '\t')
					fe++;
				for (q = f; q < fe; q++)
					if (*q == '+')
						plus = q;
				last = f;
				last_len = (plus ?: fe) - f;
			}
		}
		line = *eol ? eol + 1 : eol;
	}
	if (last)
		pprof_add(p, last, last_len, count);
	for (size_t i = 0; i < p->nr; i++)
		p->total += p->g[i].count;
	return p->nr ? 0 : -EINVAL;
}

static uint64_t pprof_count(const struct pprof *p, const char *func)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->g[i].func, func))
			return p->g[i].count;
	return 0;
}

static void pprof_free(struct pprof *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		free(p->g[i].func);
	free(p->g);
}

/* ---- the report's goroutine sites ---- */

/* What the report says about one start function, over all its sites. */
struct gsum {
	int nr_sites;
	uint64_t live;
	bool any_leak;
	struct json_object *top; /* the site with the most live goroutines */
};

static struct json_object *gsites(struct json_object *root)
{
	return jget(jget(root, "goroutines"), "sites");
}

static struct gsum sum_start(struct json_object *root, const char *func)
{
	struct json_object *sites = gsites(root);
	size_t i, n = json_object_array_length(sites);
	struct gsum s = { 0 };

	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);

		if (!streq(jstr(site, "start_function"), func))
			continue;
		s.nr_sites++;
		s.live += ju64(site, "live");
		if (streq(jstr(site, "verdict"), "leak"))
			s.any_leak = true;
		if (!s.top || ju64(site, "live") > ju64(s.top, "live"))
			s.top = site;
	}
	return s;
}

static void print_gsites(struct json_object *root)
{
	struct json_object *sites = gsites(root);
	size_t i, n = json_object_array_length(sites);

	fprintf(stderr, "report: %zu goroutine sites\n", n);
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(sites, i);
		struct json_object *cb = jget(s, "created_by");

		fprintf(stderr,
			"  %-7s live=%-5" PRIu64 " %s created by %s (%s:%" PRIu64
			") waits %s\n",
			jstr(s, "verdict"), ju64(s, "live"),
			jstr(s, "start_function") ?: "??",
			jstr(cb, "function") ?: "??",
			base_name(jstr(cb, "file")) ?: "??", ju64(cb, "line"),
			json_object_to_json_string(jget(s, "wait_reasons")));
	}
}

static void print_pprof(const struct pprof *p)
{
	size_t i;

	fprintf(stderr, "pprof: %zu start functions, %" PRIu64 " goroutines\n",
		p->nr, p->total);
	for (i = 0; i < p->nr; i++)
		fprintf(stderr, "  %6" PRIu64 " %s\n", p->g[i].count,
			p->g[i].func);
}

/*
 * Who starts each goroutine of the fixture, and how its goroutines wait
 * once the driver has stopped (wait reason strings are the runtime's own,
 * the same in every version).  All wait with reason, but for
 * (*conn).serve: the SSE handlers among them wait with reason2.
 */
struct gexpect {
	const char *start;
	const char *creator;
	const char *reason; /* NULL: not checked (a ticker may be firing) */
	const char *reason2; /* (*conn).serve: the SSE handlers */
};

static const struct gexpect gexpects[] = {
	{ "main.chanLeakWorker", "main.handleLeakChan", "chan receive", NULL },
	{ "main.ctxLeakWorker", "main.handleLeakCtx", "chan receive", NULL },
	{ "main.tickerLeakWorker", "main.handleLeakTicker", NULL, NULL },
	{ "main.sseStream", "main.handleLeakSSE", "chan receive", NULL },
	{ "main.poolWorker", "main.startPool", "chan receive", NULL },
	{ "main.shortWorker", "main.handleShort", NULL, NULL },
	{ "net/http.(*persistConn).readLoop", "net/http.(*Transport).dialConn",
	  "select", NULL },
	{ "net/http.(*persistConn).writeLoop", "net/http.(*Transport).dialConn",
	  "select", NULL },
	{ "net/http.(*conn).serve", "net/http.(*Server).Serve", "IO wait",
	  "chan receive" },
};

static const struct gexpect *gexpect_of(const char *start)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gexpects); i++)
		if (!strcmp(gexpects[i].start, start))
			return &gexpects[i];
	return NULL;
}

static bool in_array(struct json_object *arr, const char *s)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
		if (streq(json_object_get_string(
				  json_object_array_get_idx(arr, i)),
			  s))
			return true;
	return false;
}

/* The site's created_by names the creator, in a file and line for main.*
 * (the fixture's source; pclntab keeps them even when stripped). */
static void check_creator(const char *start, struct json_object *site,
			  const struct gexpect *ge)
{
	struct json_object *cb = jget(site, "created_by");
	const char *fn = jstr(cb, "function"), *file = jstr(cb, "file");
	char what[256];

	snprintf(what, sizeof(what), "%s: created_by.function", start);
	if (!streq(fn, ge->creator))
		fail_diff(what, ge->creator, fn ?: "(null)");
	if (strncmp(start, "main.", 5))
		return;
	snprintf(what, sizeof(what), "%s: created_by file:line", start);
	if (!streq(base_name(file), "leaks.go") || !ju64(cb, "line"))
		fail_diff(what, "leaks.go:N", file ?: "(null)");
}

static void check_waits(const char *start, struct json_object *site,
			const struct gexpect *ge, uint64_t n1, uint64_t n2)
{
	struct json_object *wr = jget(site, "wait_reasons");
	char what[256];

	if (!ge->reason)
		return;
	snprintf(what, sizeof(what), "%s: wait_reasons[\"%s\"]", start,
		 ge->reason);
	if (ju64(wr, ge->reason) != n1)
		fail_diff_u64(what, n1, ju64(wr, ge->reason));
	if (!ge->reason2)
		return;
	snprintf(what, sizeof(what), "%s: wait_reasons[\"%s\"]", start,
		 ge->reason2);
	if (ju64(wr, ge->reason2) != n2)
		fail_diff_u64(what, n2, ju64(wr, ge->reason2));
}

/*
 * Every start function the fixture counts: the report's live goroutines
 * equal the fixture's count; leak patterns are `leak`, the others are not;
 * and the creator and wait reasons are right.
 */
static void check_counts(struct json_object *root, struct json_object *counts)
{
	struct json_object *gs = jget(counts, "goroutines");
	struct json_object *leaks = jget(counts, "leaks");
	uint64_t sse = ju64(gs, "main.sseStream");

	json_object_object_foreach(gs, start, val)
	{
		uint64_t want = json_object_get_uint64(val);
		struct gsum s = sum_start(root, start);
		bool leak = in_array(leaks, start);
		const struct gexpect *ge = gexpect_of(start);
		char what[256];

		if (!strncmp(start, "main.stress", 11))
			continue; /* not running in this mode */
		snprintf(what, sizeof(what), "%s: live goroutines", start);
		if (s.live != want)
			fail_diff_u64(what, want, s.live);
		snprintf(what, sizeof(what), "%s: verdict", start);
		if (leak && !s.any_leak)
			fail_diff(what, "leak",
				  s.top ? jstr(s.top, "verdict") ?: "(null)" :
					  "site absent");
		if (!leak && s.any_leak)
			fail_diff(what, "not leak", "leak");
		if (!want || !s.top || !ge)
			continue;
		check_creator(start, s.top, ge);
		if (s.nr_sites == 1)
			check_waits(start, s.top, ge,
				    ge->reason2 ? want - sse : want, sse);
	}
	/* The ground truth itself: one goroutine per driver round for each
	 * leak (two for (*conn).serve), a full pool, no short-lived left. */
	json_object_object_foreach(gs, name, count)
	{
		uint64_t per_round =
			!strcmp(name, "net/http.(*conn).serve") ? 2 : 1;
		uint64_t rounds = ju64(counts, "rounds");
		char what[256];

		if (!in_array(leaks, name) ||
		    json_object_get_uint64(count) == per_round * rounds)
			continue;
		snprintf(what, sizeof(what), "fixture: %s", name);
		fail_diff_u64(what, per_round * rounds,
			      json_object_get_uint64(count));
	}
	if (ju64(gs, "main.poolWorker") != 8)
		fail_diff_u64("fixture: main.poolWorker", 8,
			      ju64(gs, "main.poolWorker"));
	if (ju64(gs, "main.shortWorker"))
		fail_diff_u64("fixture: main.shortWorker", 0,
			      ju64(gs, "main.shortWorker"));
}

/*
 * The report agrees with the runtime's own profile, read after the report
 * with the population unchanged.  Per start function, both ways, except:
 * the profile leaves out the runtime's system goroutines (so a report
 * site of runtime.* other than runtime.main is not compared), and it
 * includes the connection serving the profile itself (one more
 * (*conn).serve, and its (*connReader).backgroundRead).
 */
static void check_pprof(struct json_object *root, const struct pprof *p)
{
	struct json_object *sites = gsites(root);
	size_t i, n = json_object_array_length(sites);
	char what[256];

	for (i = 0; i < p->nr; i++) {
		const char *f = p->g[i].func;
		uint64_t want = p->g[i].count;
		struct gsum s;

		if (!strcmp(f, "net/http.(*connReader).backgroundRead"))
			continue;
		if (!strcmp(f, "net/http.(*conn).serve"))
			want--;
		s = sum_start(root, f);
		snprintf(what, sizeof(what),
			 "%s: live goroutines, pprof vs leakwatch", f);
		if (s.live != want)
			fail_diff_u64(what, want, s.live);
	}
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);
		const char *f = jstr(site, "start_function");

		if (!f || (!strncmp(f, "runtime.", 8) &&
			   strcmp(f, "runtime.main")))
			continue;
		if (!pprof_count(p, f) && ju64(site, "live")) {
			snprintf(what, sizeof(what),
				 "%s: in pprof's goroutine profile", f);
			fail_diff(what, "listed (the report has it live)",
				  "absent");
		}
	}
}

/* go.version is the toolchain's ("go1.19.8" for tag "1.19"). */
static void check_go(struct json_object *root, const char *tag, bool stripped)
{
	struct json_object *go = jget(root, "go");
	const char *v = jstr(go, "version");
	char want[32];
	size_t n;

	n = snprintf(want, sizeof(want), "go%s", tag);
	if (!go) {
		fail_diff("go", "an object", "missing");
		return;
	}
	if (!v || strncmp(v, want, n) || (v[n] >= '0' && v[n] <= '9'))
		fail_diff("go.version", want, v ?: "(null)");
	if (json_object_get_boolean(jget(go, "stripped")) != stripped)
		fail_diff("go.stripped", stripped ? "true" : "false",
			  stripped ? "false" : "true");
	fprintf(stderr, "go: %s, stripped %s, layout from %s\n", v ?: "?",
		json_object_to_json_string(jget(go, "stripped")),
		jstr(go, "layout_from") ?: "?");
}

/* go_heap: the heap leak site holds exactly what /leak/heap kept
 * (MemProfileRate = 1: every allocation is in the profile) and grows. */
static void check_heap(struct json_object *root, struct json_object *counts)
{
	struct json_object *gh = jget(root, "go_heap");
	struct json_object *sites = jget(gh, "sites");
	struct json_object *heap = jget(counts, "heap");
	uint64_t want_n = ju64(heap, "objects"), want_b = ju64(heap, "bytes");
	uint64_t objs = 0, bytes = 0;
	size_t i, j, n = json_object_array_length(sites);
	int nr = 0;
	bool stable = false;

	if (!json_object_get_boolean(jget(gh, "available"))) {
		fail_diff("go_heap.available", "true",
			  jstr(gh, "reason") ?: "false, no reason");
		return;
	}
	if (ju64(gh, "sample_rate") != 1)
		fail_diff_u64("go_heap.sample_rate", 1, ju64(gh, "sample_rate"));
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);
		struct json_object *stack = jget(site, "stack");
		size_t m = json_object_array_length(stack);

		for (j = 0; j < m; j++) {
			struct json_object *fr =
				json_object_array_get_idx(stack, j);

			if (streq(jstr(fr, "function"), HEAP_FUNC))
				break;
		}
		if (j == m)
			continue;
		nr++;
		objs += ju64(site, "inuse_objects");
		bytes += ju64(site, "inuse_bytes");
		if (streq(jstr(site, "verdict"), "stable"))
			stable = true;
	}
	if (!nr) {
		fail_diff("go_heap: site of " HEAP_FUNC, "listed", "absent");
		return;
	}
	if (objs != want_n)
		fail_diff_u64("go_heap: " HEAP_FUNC " inuse_objects", want_n,
			      objs);
	if (bytes != want_b)
		fail_diff_u64("go_heap: " HEAP_FUNC " inuse_bytes", want_b,
			      bytes);
	if (stable)
		fail_diff("go_heap: " HEAP_FUNC " verdict", "leak or growing",
			  "stable");
}

static int read_port(const char *path)
{
	char *s = read_all(path);
	int port = atoi(s);

	free(s);
	if (port <= 0 || port > 65535)
		fail("bad port file \"%s\"", path);
	return port;
}

/* Start the fixture with args (after the port file), wait for its port. */
static pid_t start_fixture(const char *exe, char *const args[],
			   const char *tag, int *ret_port)
{
	char port_file[PATH_MAX];
	char *argv[16];
	size_t i = 0;
	pid_t pid;

	snprintf(port_file, sizeof(port_file), "%s/port", tmpdir);
	argv[i++] = (char *)exe;
	argv[i++] = "-port-file";
	argv[i++] = port_file;
	while (*args && i < ARRAY_SIZE(argv) - 1)
		argv[i++] = *args++;
	argv[i] = NULL;
	pid = spawn(argv, tag);
	if (pid < 0)
		return -1;
	if (!wait_file(port_file, pid, tag, 30)) {
		stop_child(pid);
		return -1;
	}
	*ret_port = read_port(port_file);
	return pid;
}

/* ---- scenarios ---- */

/* `go tool pprof -raw FILE` into tag.out; the text or NULL (failed). */
static char *pprof_raw(const char *file, const char *tag)
{
	const char *go = getenv("LW_GO");
	char path[PATH_MAX];
	int code;

	if (!go || !*go) {
		fail("LW_GO is not set: no go tool to read the --pprof files");
		return NULL;
	}
	{
		char *argv[] = { (char *)go, "tool", "pprof", "-raw",
				 (char *)file, NULL };

		code = wait_exit(spawn(argv, tag), 60, tag);
	}
	if (code) {
		fail("go tool pprof -raw %s: exit code %d", file, code);
		dump_file(tag, "err");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.out", tmpdir, tag);
	return read_all(path);
}

/*
 * --pprof wrote a heap profile with the Go heap's sites and a goroutine
 * profile beside it: go tool pprof reads both, the goroutine samples add
 * up to the report's live goroutines, and the heap leak's function is in
 * the heap profile.
 */
static void check_pprof_files(struct json_object *root, const char *heap,
			      const char *goroutine)
{
	uint64_t want = ju64(jget(root, "goroutines"), "live"), sum = 0;
	char *out = pprof_raw(goroutine, "pprof-goroutine"), *line, *end;

	if (out) {
		/* Samples: "        40: 1 2 3" up to "Locations". */
		end = strstr(out, "\nLocations");
		for (line = strstr(out, "goroutine/count"); line && (!end || line < end);
		     line = strchr(line + 1, '\n')) {
			unsigned long long n;
			char colon;

			if (sscanf(line + 1, " %llu%c", &n, &colon) == 2 &&
			    colon == ':')
				sum += n;
		}
		if (sum != want)
			fail_diff_u64("goroutine profile: sum of samples", want,
				      sum);
		free(out);
	}
	out = pprof_raw(heap, "pprof-heap");
	if (out && !strstr(out, "main.heapLeakAlloc"))
		fail("heap profile: no main.heapLeakAlloc location");
	free(out);
}

/* One frame of Go's traceback text: "name(args)\n\tfile:line +0x..". */
struct tb_frame {
	char name[256], file[1024];
	int line;
};

/*
 * The first goroutine of a debug=2 dump that has a frame named fn: its
 * frames (innermost first, "created by" excluded).  Returns how many, or
 * -1.  text is modified.
 */
static int tb_parse(char *text, const char *fn, struct tb_frame *fr, int max)
{
	char key[300], *p, *nl, *tab, *colon, *paren;
	int n = 0;

	snprintf(key, sizeof(key), "\n%s(", fn);
	if (!(p = strstr(text, key)))
		return -1;
	/* Back to the goroutine's header line. */
	while (p > text && strncmp(p, "\ngoroutine ", 11))
		p--;
	if (!(p = strchr(p + 1, '\n')))
		return -1;
	p++;
	while (n < max && *p && *p != '\n' && strncmp(p, "created by ", 11)) {
		if (!(nl = strchr(p, '\n')))
			return -1;
		*nl = '\0';
		if ((paren = strrchr(p, '(')))
			*paren = '\0';
		snprintf(fr[n].name, sizeof(fr[n].name), "%s", p);
		p = nl + 1;
		if (*p != '\t' || !(nl = strchr(p, '\n')))
			return -1;
		*nl = '\0';
		tab = p + 1;
		if ((colon = strchr(tab, ' ')))
			*colon = '\0';
		if (!(colon = strrchr(tab, ':')))
			return -1;
		*colon = '\0';
		snprintf(fr[n].file, sizeof(fr[n].file), "%s", tab);
		fr[n++].line = atoi(colon + 1);
		p = nl + 1;
	}
	return n;
}

/*
 * main.chanLeakWorker blocks in main.awaitResult, inlined: the report's
 * stack of that site, from awaitResult outwards, must be the frames Go's
 * own debug=2 dump prints (function, file and line), awaitResult marked
 * inlined; and the goroutine profile file must hold both in one Location.
 */
static void check_inlined(struct json_object *root, char *dump,
			  const char *goroutine_pprof)
{
	struct json_object *sites = gsites(root), *stack = NULL;
	size_t i, k, n = json_object_array_length(sites), depth;
	struct tb_frame tb[32];
	char what[512], *out, *at;
	int nt, j;

	nt = tb_parse(dump, "main.awaitResult", tb, 32);
	if (nt < 2) {
		fail("debug=2: no goroutine in main.awaitResult");
		return;
	}
	for (i = 0; i < n && !stack; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);

		if (streq(jstr(site, "start_function"), "main.chanLeakWorker"))
			stack = jget(site, "stack");
	}
	depth = stack ? json_object_array_length(stack) : 0;
	for (k = 0; k < depth; k++)
		if (streq(jstr(json_object_array_get_idx(stack, k), "function"),
			  "main.awaitResult"))
			break;
	if (k == depth) {
		fail("main.chanLeakWorker's stack: no main.awaitResult frame");
		return;
	}
	for (j = 0; j < nt; j++) {
		struct json_object *f = json_object_array_get_idx(stack, k + j);
		const char *fn = f ? jstr(f, "function") : NULL;
		const char *file = f ? jstr(f, "file") : NULL;
		int line = f ? (int)ju64(f, "line") : 0;

		snprintf(what, sizeof(what),
			 "stack frame %zu as debug=2 has it", k + j);
		if (!streq(fn, tb[j].name) || !streq(file, tb[j].file) ||
		    line != tb[j].line) {
			char want[1300], got[1300];

			snprintf(want, sizeof(want), "%.255s %.1023s:%d",
				 tb[j].name, tb[j].file, tb[j].line);
			snprintf(got, sizeof(got), "%.255s %.1023s:%d",
				 fn ?: "(null)", file ?: "(null)", line);
			fail_diff(what, want, got);
		}
	}
	if (!json_object_get_boolean(
		    jget(json_object_array_get_idx(stack, k), "inlined")))
		fail("main.awaitResult: not marked inlined");
	if (json_object_get_boolean(
		    jget(json_object_array_get_idx(stack, k + 1), "inlined")))
		fail("main.chanLeakWorker: marked inlined");

	/* pprof -raw: "N: 0xADDR M=1 main.awaitResult FILE:LINE s=0" then
	 * the caller's Line on the next line, without an address. */
	out = pprof_raw(goroutine_pprof, "pprof-inlined");
	at = out ? strstr(out, " main.awaitResult ") : NULL;
	if (out &&
	    (!at || !(at = strchr(at, '\n')) ||
	     strncmp(at + 1 + strspn(at + 1, " "), "main.chanLeakWorker ", 20)))
		fail("goroutine profile: main.awaitResult and "
		     "main.chanLeakWorker not Lines of one Location");
	free(out);
}

/* Births and deaths per start function, over all its sites. */
static void sum_churn(struct json_object *root, const char *func,
		      uint64_t *births, uint64_t *deaths)
{
	struct json_object *sites = gsites(root);
	size_t i, n = json_object_array_length(sites);

	*births = *deaths = 0;
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);

		if (!streq(jstr(site, "start_function"), func))
			continue;
		*births += ju64(site, "births");
		*deaths += ju64(site, "deaths");
	}
}

/*
 * --goroutine-probes: the mode is reported, nothing was lost, and the
 * probes counted the churn the snapshots cannot see: every driver round
 * started SHORT_PER_ROUND main.shortWorker goroutines that were gone
 * milliseconds later, all inside the window (the driver starts when
 * leakwatch is ready), so births and deaths are exactly that many and
 * the site, empty at the end, is still reported.  Each leak pattern's
 * goroutines were all born in the window too: births == live.
 */
static void check_probes(struct json_object *root, struct json_object *counts)
{
	struct json_object *g = jget(root, "goroutines");
	struct json_object *pr = jget(g, "probes");
	struct json_object *gs = jget(counts, "goroutines");
	struct json_object *leaks = jget(counts, "leaks");
	uint64_t rounds = ju64(counts, "rounds"), b, d;
	size_t i, n = json_object_array_length(leaks);
	char what[256];

	if (!streq(jstr(g, "mode"), "probes"))
		fail_diff("goroutines.mode", "probes",
			  jstr(g, "mode") ?: "(null)");
	if (!pr) {
		fail_diff("goroutines.probes", "an object", "null");
		return;
	}
	if (ju64(pr, "lost"))
		fail_diff_u64("goroutines.probes.lost", 0, ju64(pr, "lost"));
	if (!ju64(pr, "newproc1_rets"))
		fail("goroutines.probes.newproc1_rets is 0");
	fprintf(stderr, "probes: %s\n", json_object_to_json_string(pr));
	if (ju64(pr, "births") < SHORT_PER_ROUND * rounds)
		fail("goroutines.probes.births %" PRIu64 " < %" PRIu64,
		     ju64(pr, "births"), SHORT_PER_ROUND * rounds);
	sum_churn(root, "main.shortWorker", &b, &d);
	if (b != SHORT_PER_ROUND * rounds)
		fail_diff_u64("main.shortWorker: births (probes)",
			      SHORT_PER_ROUND * rounds, b);
	if (d != SHORT_PER_ROUND * rounds)
		fail_diff_u64("main.shortWorker: deaths (probes)",
			      SHORT_PER_ROUND * rounds, d);
	for (i = 0; i < n; i++) {
		const char *f = json_object_get_string(
			json_object_array_get_idx(leaks, i));
		uint64_t want = ju64(gs, f);

		/* (*conn).serve: the server's connections also serve
		 * /short and friends, which end; births exceed live. */
		if (!f || strncmp(f, "main.", 5))
			continue;
		sum_churn(root, f, &b, &d);
		snprintf(what, sizeof(what), "%s: births (probes)", f);
		if (b != want)
			fail_diff_u64(what, want, b);
		snprintf(what, sizeof(what), "%s: deaths (probes)", f);
		if (d)
			fail_diff_u64(what, 0, d);
	}
}

static void test_leaks(const char *lw, const char *exe, const char *tag,
		       bool stripped)
{
	char heap[PATH_MAX], goroutine[PATH_MAX];
	char json[PATH_MAX], ready[PATH_MAX], pidstr[16], drive[16], rate[16],
		window[16];
	struct json_object *root = NULL, *counts = NULL;
	struct pprof pp = { 0 };
	pid_t fx, lwp = -1;
	char *prof = NULL, *dump = NULL;
	int port = 0, code;

	snprintf(drive, sizeof(drive), "%d", DRIVE_S);
	snprintf(rate, sizeof(rate), "%d", DRIVE_RATE);
	{
		char *args[] = { "-drive", drive, "-rate", rate, "-wait",
				 "-memprofilerate1", NULL };

		fx = start_fixture(exe, args, "fixture", &port);
	}
	if (fx < 0)
		return;
	snprintf(json, sizeof(json), "%s/report.json", tmpdir);
	snprintf(heap, sizeof(heap), "%s/heap.pb.gz", tmpdir);
	snprintf(goroutine, sizeof(goroutine), "%s/heap.goroutine.pb.gz",
		 tmpdir);
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)fx);
	snprintf(window, sizeof(window), "%d", WINDOW_S);
	{
		char *argv[] = { (char *)lw, "diagnose", "-p", pidstr, "-d",
				 window, "--json", json, "--pprof", heap,
				 "--ready-file", ready,
				 probes ? "--goroutine-probes" : NULL, NULL };

		lwp = spawn(argv, "leakwatch");
	}
	if (lwp < 0 || !wait_file(ready, lwp, "leakwatch", 30))
		goto out;
	/* Drive now: every leak is born inside the window. */
	kill(fx, SIGUSR1);
	code = wait_exit(lwp, WINDOW_S + LW_SLACK_S, "leakwatch");
	lwp = -1;
	if (code) {
		fail("leakwatch: exit code %d", code);
		dump_file("leakwatch", "out");
		dump_file("leakwatch", "err");
		goto out;
	}
	if (!still_running(fx, "fixture"))
		goto out;
	/* The profile first: the connection of an earlier request could
	 * still be closing, one more (*conn).serve in the profile. */
	prof = http_get(port, "/debug/pprof/goroutine?debug=1");
	dump = http_get(port, "/debug/pprof/goroutine?debug=2");
	counts = http_get_json(port, "/counts");
	if (!counts || !prof)
		goto out;
	if (!json_object_get_boolean(jget(counts, "drive_done")) ||
	    ju64(counts, "drive_errors") ||
	    ju64(counts, "rounds") < DRIVE_S * DRIVE_RATE / 2) {
		fail("fixture: the driver did not finish in time, or failed: %s",
		     json_object_to_json_string(counts));
		dump_file("fixture", "err");
		goto out;
	}
	fprintf(stderr, "fixture: %" PRIu64 " rounds\n",
		ju64(counts, "rounds"));
	if (pprof_parse(prof, &pp)) {
		fail("cannot parse the goroutine profile: \"%.200s\"", prof);
		goto out;
	}
	root = json_object_from_file(json);
	if (!root) {
		fail("cannot parse the JSON report \"%s\": %s", json,
		     json_util_get_last_err());
		goto out;
	}
	check_go(root, tag, stripped);
	if (!gsites(root)) {
		fail_diff("goroutines.sites", "an array", "missing");
		goto out;
	}
	check_counts(root, counts);
	check_pprof(root, &pp);
	check_heap(root, counts);
	check_pprof_files(root, heap, goroutine);
	if (dump)
		check_inlined(root, dump, goroutine);
	else
		fail("no debug=2 goroutine dump");
	if (probes)
		check_probes(root, counts);
	if (failures) {
		print_gsites(root);
		print_pprof(&pp);
		fprintf(stderr, "fixture counts: %s\n",
			json_object_to_json_string(counts));
	}
out:
	stop_child(lwp);
	stop_child(fx);
	pprof_free(&pp);
	free(prof);
	free(dump);
	json_object_put(counts);
	json_object_put(root);
}

/*
 * Stress: `leakwatch attach` on the fixture in -stress mode (goroutines
 * whose stacks grow and are copied all the time) for LW_GO_STRESS_S
 * seconds (20; 600 for the 10-minute run), then SIGINT.  The target must
 * still run, with no checksum mismatch, and go on after the detach.
 */
static void test_stress(const char *lw, const char *exe)
{
	const char *env = getenv("LW_GO_STRESS_S");
	int secs = env && atoi(env) > 0 ? atoi(env)
		   : probes		  ? STRESS_PROBES_S
					  : STRESS_DEFAULT_S;
	char json[PATH_MAX], pidstr[16], workers[16];
	struct json_object *root = NULL, *st = NULL;
	uint64_t rounds0 = 0;
	pid_t fx, lwp = -1;
	int port = 0, code, i;
	struct gsum s;

	snprintf(workers, sizeof(workers), "%d", STRESS_WORKERS);
	{
		char *args[] = { "-stress", workers, NULL };

		fx = start_fixture(exe, args, "fixture", &port);
	}
	if (fx < 0)
		return;
	st = http_get_json(port, "/stress");
	if (!st)
		goto out;
	rounds0 = ju64(st, "rounds");
	json_object_put(st);
	st = NULL;
	snprintf(json, sizeof(json), "%s/report.json", tmpdir);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)fx);
	{
		char *argv[] = { (char *)lw, "attach", "-p", pidstr, "-i", "5",
				 "--json", json,
				 probes ? "--goroutine-probes" : NULL, NULL };

		lwp = spawn(argv, "leakwatch");
	}
	if (lwp < 0)
		goto out;
	fprintf(stderr, "stress: tracing for %d s\n", secs);
	for (i = 0; i < secs * 10; i++) {
		sleep_ms(100);
		if (!still_running(fx, "fixture"))
			goto out;
		if (!still_running(lwp, "leakwatch")) {
			lwp = -1;
			goto out;
		}
	}
	kill(lwp, SIGINT);
	code = wait_exit(lwp, LW_SLACK_S, "leakwatch");
	lwp = -1;
	if (code) {
		fail("leakwatch: exit code %d", code);
		dump_file("leakwatch", "err");
	}
	/* Still alive, still right, and still going after the detach. */
	sleep_ms(1000);
	if (!still_running(fx, "fixture"))
		goto out;
	st = http_get_json(port, "/stress");
	if (!st)
		goto out;
	fprintf(stderr, "stress: %s\n", json_object_to_json_string(st));
	if (ju64(st, "mismatches"))
		fail_diff_u64("fixture: checksum mismatches", 0,
			      ju64(st, "mismatches"));
	if (ju64(st, "workers") != STRESS_WORKERS)
		fail_diff_u64("fixture: stress workers", STRESS_WORKERS,
			      ju64(st, "workers"));
	if (ju64(st, "rounds") < rounds0 + (uint64_t)secs * STRESS_WORKERS)
		fail("fixture: only %" PRIu64 " rounds in %d s",
		     ju64(st, "rounds") - rounds0, secs);
	if (code)
		goto out;
	root = json_object_from_file(json);
	if (!root) {
		fail("cannot parse the JSON report \"%s\": %s", json,
		     json_util_get_last_err());
		goto out;
	}
	s = sum_start(root, "main.stressWorker");
	if (s.live != STRESS_WORKERS)
		fail_diff_u64("main.stressWorker: live goroutines",
			      STRESS_WORKERS, s.live);
	if (s.any_leak)
		fail_diff("main.stressWorker: verdict", "not leak", "leak");
	if (probes &&
	    !streq(jstr(jget(root, "goroutines"), "mode"), "probes"))
		fail_diff("goroutines.mode", "probes",
			  jstr(jget(root, "goroutines"), "mode") ?: "(null)");
	if (failures)
		print_gsites(root);
out:
	stop_child(lwp);
	stop_child(fx);
	json_object_put(st);
	json_object_put(root);
}

/* ---- esbuild: stripped Go binaries built by others ---- */

#define ESBUILD_WINDOW_S 5
#define ESBUILD_CONNS_1 3 /* idle keep-alive connections, first reading */
#define ESBUILD_CONNS_2 5 /* and second */
#define ESBUILD_BODY "console.log(\"leakwatch\")\n"

/* A loopback TCP port nobody listens on right now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * One HTTP/1.1 keep-alive request on a new connection, read up to the end
 * of the body (which is ESBUILD_BODY), the connection left open: net/http
 * then keeps one goroutine in (*conn).serve waiting for the next request.
 * The fd, or -1 (a failure, reported).
 */
static int keepalive_conn(int port)
{
	static const char req[] = "GET /a.js HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Connection: keep-alive\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 20 };
	char buf[4096];
	size_t len = 0;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1) {
		fail("keep-alive request to port %d: %s", port,
		     strerror(errno));
		close(fd);
		return -1;
	}
	/* The reply is small: the body is its last bytes. */
	while (len < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			break;
		len += r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") && strstr(buf, ESBUILD_BODY))
			return fd;
	}
	buf[len] = '\0';
	fail("keep-alive request to port %d: no full reply: \"%.200s\"", port,
	     buf);
	close(fd);
	return -1;
}

/* A frame or creation site names a function, a file and a line. */
static bool named_place(struct json_object *o)
{
	const char *fn = jstr(o, "function"), *file = jstr(o, "file");

	return fn && *fn && file && *file && ju64(o, "line") > 0;
}

/*
 * The checks of one report of the idle esbuild server with conns open
 * keep-alive connections.  Returns the number of goroutines at sites
 * other than the connections' (the server's own, for the next reading to
 * compare), or -1.
 */
static long check_esbuild_report(const char *json, const char *goversion,
				 int conns)
{
	struct json_object *root = json_object_from_file(json), *go, *gr;
	struct json_object *sites, *cb;
	size_t i, n;
	long others = 0;
	uint64_t live, sum = 0;
	bool own_pkg = false, rt_main = false;
	struct gsum c;

	if (!root) {
		fail("cannot parse the JSON report \"%s\": %s", json,
		     json_util_get_last_err());
		return -1;
	}
	go = jget(root, "go");
	gr = jget(root, "goroutines");
	sites = gsites(root);
	if (!streq(jstr(go, "version"), goversion))
		fail_diff("go.version (the binary's build info)", goversion,
			  jstr(go, "version") ?: "(null)");
	if (!json_object_get_boolean(jget(go, "stripped")))
		fail_diff("go.stripped", "true", "false");
	if (!streq(jstr(go, "layout_from"), "table"))
		fail_diff("go.layout_from", "table",
			  jstr(go, "layout_from") ?: "(null)");
	if (!gr || jget(gr, "error") || !sites) {
		fail("goroutines: missing, or an error: %s",
		     json_object_to_json_string(gr));
		goto out;
	}
	if (ju64(gr, "torn"))
		fail_diff_u64("goroutines.torn", 0, ju64(gr, "torn"));
	if (ju64(jget(gr, "verdicts"), "leak"))
		fail_diff_u64("goroutines.verdicts.leak (an idle server)", 0,
			      ju64(jget(gr, "verdicts"), "leak"));

	/* Exactly one goroutine per open connection, all at net/http's
	 * `go c.serve(connCtx)` in (*Server).Serve, waiting for input. */
	c = sum_start(root, "net/http.(*conn).serve");
	if (c.live != (uint64_t)conns || c.nr_sites != 1)
		fail("net/http.(*conn).serve: %" PRIu64
		     " goroutines in %d sites, expected %d in 1 (one per open keep-alive connection)",
		     c.live, c.nr_sites, conns);
	if (c.top) {
		cb = jget(c.top, "created_by");
		if (!streq(jstr(cb, "function"), "net/http.(*Server).Serve") ||
		    !streq(jstr(cb, "file"), "net/http/server.go") ||
		    !ju64(cb, "line"))
			fail_diff("(*conn).serve created by",
				  "net/http.(*Server).Serve (net/http/server.go:N)",
				  json_object_to_json_string(cb));
		if (ju64(jget(c.top, "wait_reasons"), "IO wait") !=
		    (uint64_t)conns)
			fail_diff("(*conn).serve wait reasons", "all IO wait",
				  json_object_to_json_string(
					  jget(c.top, "wait_reasons")));
	}

	n = json_object_array_length(sites);
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);
		struct json_object *stack = jget(site, "stack");
		const char *start = jstr(site, "start_function");
		size_t k, nf = json_object_array_length(stack);

		live = ju64(site, "live");
		sum += live;
		cb = jget(site, "created_by");
		if (streq(jstr(site, "verdict"), "leak"))
			fail("site %s: verdict leak on an idle server", start);
		/* Every site: both ends named from the binary's own pclntab. */
		if (!start || !*start || !named_place(cb))
			fail("site without a named start function or creation place: %s",
			     json_object_to_json_string(site));
		for (k = 0; k < nf; k++)
			if (!named_place(json_object_array_get_idx(stack, k)))
				fail("site %s: frame %zu not symbolized: %s",
				     start, k,
				     json_object_to_json_string(
					     json_object_array_get_idx(stack,
								       k)));
		if (start && strstr(start, "github.com/evanw/esbuild/"))
			own_pkg = true;
		if (streq(start, "runtime.main"))
			rt_main = true;
		if (!streq(start, "net/http.(*conn).serve"))
			others += live;
	}
	if (sum != ju64(gr, "live"))
		fail_diff_u64("goroutines.live (sum of the sites)", sum,
			      ju64(gr, "live"));
	if (!own_pkg)
		fail("no goroutine started in esbuild's own packages (github.com/evanw/esbuild/...)");
	if (!rt_main)
		fail("no runtime.main goroutine");
	if (failures)
		print_gsites(root);
out:
	json_object_put(root);
	return failures ? -1 : others;
}

/* `leakwatch diagnose -p pid -d window_s --json json`, its text in
 * tmpdir/TAG.out; true if it exited 0 (else a failure, reported). */
static bool run_diagnose(const char *lw, pid_t pid, int window_s,
			 const char *json, const char *tag)
{
	char pidstr[16], window[16];
	char *argv[] = { (char *)lw, "diagnose", "-p", pidstr, "-d", window,
			 "--json", (char *)json, NULL };
	pid_t lwp;
	int code;

	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	snprintf(window, sizeof(window), "%d", window_s);
	lwp = spawn(argv, tag);
	if (lwp < 0)
		return false;
	code = wait_exit(lwp, window_s + LW_SLACK_S, tag);
	if (code) {
		fail("%s: exit code %d", tag, code);
		dump_file(tag, "out");
		dump_file(tag, "err");
		return false;
	}
	return true;
}

/*
 * A released esbuild (a static, stripped Go program built by its authors,
 * scripts/esbuild-fetch.sh) serving a directory, read twice while idle:
 * with ESBUILD_CONNS_1 and then ESBUILD_CONNS_2 keep-alive connections
 * open.  The Go version must be the build info's, each reading must count
 * exactly one net/http connection goroutine per open connection, every
 * site must be named, nothing may be a leak, the server's other goroutines
 * must be the same in both readings, and esbuild must still serve after.
 */
static void test_esbuild(const char *lw, const char *exe,
			 const char *goversion)
{
	char www[512], js[PATH_MAX], serve[64], dir[PATH_MAX];
	char json1[PATH_MAX], json2[PATH_MAX];
	int conns[ESBUILD_CONNS_2], nconns = 0, in[2] = { -1, -1 };
	int port, i;
	long others1, others2;
	char *body = NULL;
	pid_t es = -1;
	FILE *f;

	for (i = 0; i < ESBUILD_CONNS_2; i++)
		conns[i] = -1;
	snprintf(www, sizeof(www), "%s/www", tmpdir);
	snprintf(js, sizeof(js), "%s/a.js", www);
	if (mkdir(www, 0755) || !(f = fopen(js, "w"))) {
		fail("cannot write \"%s\": %s", js, strerror(errno));
		return;
	}
	fputs(ESBUILD_BODY, f);
	fclose(f);
	port = free_port();
	if (port < 0) {
		fail("no free loopback port: %s", strerror(errno));
		return;
	}
	snprintf(serve, sizeof(serve), "--serve=127.0.0.1:%d", port);
	snprintf(dir, sizeof(dir), "--servedir=%s", www);
	/* Newer esbuild stops serving when its stdin closes: keep a pipe's
	 * write end open for as long as the test runs. */
	if (pipe2(in, O_CLOEXEC)) {
		fail("pipe: %s", strerror(errno));
		return;
	}
	{
		char *argv[] = { (char *)exe, serve, dir, NULL };

		es = spawn_in(argv, "esbuild", in[0]);
	}
	close(in[0]);
	if (es < 0)
		goto out;
	for (i = 0; i < 300 && nconns == 0; i++) {
		sleep_ms(100);
		if (!still_running(es, "esbuild")) {
			es = -1;
			goto out;
		}
		/* Probe quietly until it listens; the first open connection
		 * is the first of the held ones. */
		{
			struct sockaddr_in sa = { .sin_family = AF_INET,
						  .sin_port = htons(port) };
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (fd >= 0 &&
			    !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
				close(fd);
				conns[nconns] = keepalive_conn(port);
				if (conns[nconns] < 0)
					goto out;
				nconns++;
			} else if (fd >= 0) {
				close(fd);
			}
		}
	}
	if (!nconns) {
		fail("esbuild: not listening on port %d after 30 s", port);
		dump_file("esbuild", "err");
		goto out;
	}
	while (nconns < ESBUILD_CONNS_1) {
		conns[nconns] = keepalive_conn(port);
		if (conns[nconns] < 0)
			goto out;
		nconns++;
	}
	/* The probe connection's goroutine ends when it sees the close. */
	sleep_ms(500);

	snprintf(json1, sizeof(json1), "%s/report1.json", tmpdir);
	snprintf(json2, sizeof(json2), "%s/report2.json", tmpdir);
	if (!run_diagnose(lw, es, ESBUILD_WINDOW_S, json1, "leakwatch1"))
		goto out;
	others1 = check_esbuild_report(json1, goversion, nconns);
	while (nconns < ESBUILD_CONNS_2) {
		conns[nconns] = keepalive_conn(port);
		if (conns[nconns] < 0)
			goto out;
		nconns++;
	}
	if (!run_diagnose(lw, es, ESBUILD_WINDOW_S, json2, "leakwatch2"))
		goto out;
	others2 = check_esbuild_report(json2, goversion, nconns);
	if (others1 >= 0 && others2 >= 0 && others1 != others2)
		fail("the idle server's own goroutines changed between readings: %ld, then %ld",
		     others1, others2);
	if (others2 >= 0)
		fprintf(stderr,
			"esbuild %s: %d and %d connections, %ld other goroutines\n",
			goversion, ESBUILD_CONNS_1, ESBUILD_CONNS_2, others2);

	/* Unharmed: still running, still serving. */
	if (!still_running(es, "esbuild")) {
		es = -1;
		goto out;
	}
	body = http_get(port, "/a.js");
	if (body && strcmp(body, ESBUILD_BODY))
		fail_diff("esbuild's reply after the readings", ESBUILD_BODY,
			  body);
out:
	free(body);
	for (i = 0; i < nconns; i++)
		close(conns[i]);
	if (in[1] >= 0)
		close(in[1]);
	stop_child(es);
}

/*
 * gleak: goroutines Go's own leak detector marked _Gleaked (Go 1.26 with
 * GOEXPERIMENT=goroutineleakprofile; fixture tests/go/gleak).  The fixture
 * parks GLEAK_LEAKED goroutines on channels only their own stacks
 * reference and GLEAK_HELD on a channel a global references, and writes
 * the goroutineleak profile when told to on stdin, which runs the
 * detection GC.  leakwatch must count exactly the goroutines the profile
 * counted, at their creation site, and none of the held ones.
 */
#define GLEAK_LEAKED 7
#define GLEAK_HELD 4
#define GLEAK_WINDOW_S 2

/*
 * The value after "PREFIX " on the nth (1-based) line of the fixture's
 * stdout that starts so, waiting up to 30 s for it while the fixture runs.
 * -1 (a failure, reported) if it never comes.
 */
static long fixture_line(pid_t pid, const char *prefix, int nth)
{
	char path[PATH_MAX];
	size_t plen = strlen(prefix);
	int i;

	snprintf(path, sizeof(path), "%s/fixture.out", tmpdir);
	for (i = 0; i < 30 * 50; i++) {
		char *text = read_all(path), *line, *save = NULL;
		int seen = 0;
		long v = -1;

		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (!strncmp(line, prefix, plen) &&
			    (line[plen] == ' ' || !line[plen]) &&
			    ++seen == nth) {
				v = line[plen]
					    ? strtol(line + plen + 1, NULL, 10)
					    : 0;
				break;
			}
		free(text);
		if (seen == nth)
			return v;
		if (!still_running(pid, "fixture"))
			return -1;
		sleep_ms(20);
	}
	fail("fixture: no line %d \"%s\" after 30 s", nth, prefix);
	dump_file("fixture", "out");
	dump_file("fixture", "err");
	return -1;
}

static bool fixture_cmd(int fd, const char *cmd)
{
	size_t n = strlen(cmd);

	if (write(fd, cmd, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
		fail("fixture: cannot write \"%s\": %s", cmd, strerror(errno));
		return false;
	}
	return true;
}

/* `leakwatch diagnose -p PID` for GLEAK_WINDOW_S; the JSON report or NULL
 * (a failure, reported).  The text report is in tmpdir/TAG.out. */
static struct json_object *gleak_diagnose(const char *lw, pid_t fx,
					  const char *tag)
{
	struct json_object *root;
	char json[PATH_MAX];

	snprintf(json, sizeof(json), "%s/%s.json", tmpdir, tag);
	if (!run_diagnose(lw, fx, GLEAK_WINDOW_S, json, tag))
		return NULL;
	root = json_object_from_file(json);
	if (!root)
		fail("cannot parse the JSON report \"%s\": %s", json,
		     json_util_get_last_err());
	return root;
}

/*
 * The one site of start function func: live, leaked_by_runtime, waiting
 * and "chan receive" exactly as given, created by main.main.  live 0: no
 * such site at all.
 */
static void check_gleak_site(struct json_object *root, const char *func,
			     uint64_t live, uint64_t leaked)
{
	struct gsum s = sum_start(root, func);
	struct json_object *o = s.top;
	char what[160];

	snprintf(what, sizeof(what), "sites of %s", func);
	if (!live) {
		if (s.nr_sites)
			fail_diff_u64(what, 0, s.nr_sites);
		return;
	}
	if (s.nr_sites != 1) {
		fail_diff_u64(what, 1, s.nr_sites);
		return;
	}
	snprintf(what, sizeof(what), "%s: live", func);
	if (ju64(o, "live") != live)
		fail_diff_u64(what, live, ju64(o, "live"));
	snprintf(what, sizeof(what), "%s: leaked_by_runtime", func);
	if (ju64(o, "leaked_by_runtime") != leaked)
		fail_diff_u64(what, leaked, ju64(o, "leaked_by_runtime"));
	/* _Gleaked is parked for good: counted as waiting, with its reason. */
	snprintf(what, sizeof(what), "%s: states.waiting", func);
	if (ju64(jget(o, "states"), "waiting") != live)
		fail_diff_u64(what, live, ju64(jget(o, "states"), "waiting"));
	snprintf(what, sizeof(what), "%s: wait_reasons.chan receive", func);
	if (ju64(jget(o, "wait_reasons"), "chan receive") != live)
		fail_diff_u64(what, live,
			      ju64(jget(o, "wait_reasons"), "chan receive"));
	snprintf(what, sizeof(what), "%s: created_by.function", func);
	if (!streq(jstr(jget(o, "created_by"), "function"), "main.main"))
		fail_diff(what, "main.main",
			  jstr(jget(o, "created_by"), "function") ?: "null");
	/* The runtime's proof makes a leak of a flat count; goroutines Go
	 * can still wake stay what their count says (here: flat). */
	snprintf(what, sizeof(what), "%s: verdict", func);
	if (!streq(jstr(o, "verdict"), leaked ? "leak" : "stable"))
		fail_diff(what, leaked ? "leak" : "stable",
			  jstr(o, "verdict") ?: "null");
}

/* Every site's leaked_by_runtime adds up to the section's. */
static void check_gleak_total(struct json_object *root, uint64_t leaked,
			      const char *when)
{
	struct json_object *sites = gsites(root);
	size_t i, n = json_object_array_length(sites);
	uint64_t sum = 0, total;
	char what[128];

	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);

		sum += ju64(site, "leaked_by_runtime");
	}
	total = ju64(jget(root, "goroutines"), "leaked_by_runtime");
	snprintf(what, sizeof(what), "%s: goroutines.leaked_by_runtime", when);
	if (total != leaked)
		fail_diff_u64(what, leaked, total);
	snprintf(what, sizeof(what), "%s: sum of sites[].leaked_by_runtime",
		 when);
	if (sum != leaked)
		fail_diff_u64(what, leaked, sum);
}

/* The text report names the count, and the site it is in (shown without
 * -v although its count is stable). */
static void check_gleak_text(const char *tag)
{
	char path[PATH_MAX], want[2][160];
	char *text;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s.out", tmpdir, tag);
	text = read_all(path);
	snprintf(want[0], sizeof(want[0]),
		 ", %d marked leaked by the Go runtime\n", GLEAK_LEAKED);
	snprintf(want[1], sizeof(want[1]),
		 "running main.leakWorker, all waiting: chan receive; %d "
		 "marked leaked by the Go runtime",
		 GLEAK_LEAKED);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(text, want[i]))
			fail_diff("text report", want[i], "not there");
	if (failures)
		dump_file(tag, "out");
	free(text);
}

static void test_gleak(const char *lw, const char *exe, const char *tag,
		       bool stripped)
{
	struct json_object *root = NULL;
	char leaked[16], held[16], vpre[16];
	int in[2] = { -1, -1 };
	pid_t fx = -1;
	long n;

	/* CLOEXEC: leakwatch must not inherit the write end, or the
	 * fixture would never see stdin close. */
	if (pipe2(in, O_CLOEXEC)) {
		fail("pipe: %s", strerror(errno));
		return;
	}
	snprintf(leaked, sizeof(leaked), "%d", GLEAK_LEAKED);
	snprintf(held, sizeof(held), "%d", GLEAK_HELD);
	{
		char *argv[] = { (char *)exe, leaked, held, NULL };

		fx = spawn_in(argv, "fixture", in[0]);
	}
	(void)close(in[0]);
	if (fx < 0 || fixture_line(fx, "ready", 1) < 0)
		goto out;

	/* 1. Go's detector runs; its own count is the ground truth. */
	if (!fixture_cmd(in[1], "profile"))
		goto out;
	n = fixture_line(fx, "goroutineleak", 1);
	if (n != GLEAK_LEAKED)
		fail_diff_u64("fixture: the goroutineleak profile's total",
			      GLEAK_LEAKED, (uint64_t)n);
	n = fixture_line(fx, "leakWorker", 1);
	if (n != GLEAK_LEAKED)
		fail_diff_u64("fixture: profile records in main.leakWorker",
			      GLEAK_LEAKED, (uint64_t)n);
	if (failures)
		goto out;

	root = gleak_diagnose(lw, fx, "leakwatch");
	if (!root)
		goto out;
	snprintf(vpre, sizeof(vpre), "go%s", tag);
	if (strncmp(jstr(jget(root, "go"), "version") ?: "", vpre,
		    strlen(vpre)))
		fail_diff("go.version", vpre,
			  jstr(jget(root, "go"), "version") ?: "null");
	if (json_object_get_boolean(jget(jget(root, "go"), "stripped")) !=
	    stripped)
		fail_diff("go.stripped", stripped ? "true" : "false",
			  stripped ? "false" : "true");
	check_gleak_total(root, GLEAK_LEAKED, "after the profile");
	check_gleak_site(root, "main.leakWorker", GLEAK_LEAKED, GLEAK_LEAKED);
	check_gleak_site(root, "main.heldWorker", GLEAK_HELD, 0);
	check_gleak_text("leakwatch");
	if (failures) {
		print_gsites(root);
		goto out;
	}
	json_object_put(root);
	root = NULL;

	/*
	 * 2. The target still works: the held goroutines return when their
	 * channel closes.  Ordinary GCs leave _Gleaked alone (only the next
	 * detection GC resets it), so the leaked ones stay counted.
	 */
	if (!fixture_cmd(in[1], "release") || !fixture_cmd(in[1], "gc"))
		goto out;
	n = fixture_line(fx, "released", 1);
	if (n != GLEAK_HELD)
		fail_diff_u64("fixture: held goroutines released", GLEAK_HELD,
			      (uint64_t)n);
	if (fixture_line(fx, "gc", 1) < 0)
		goto out;
	root = gleak_diagnose(lw, fx, "leakwatch2");
	if (!root)
		goto out;
	check_gleak_total(root, GLEAK_LEAKED, "after release and GCs");
	check_gleak_site(root, "main.leakWorker", GLEAK_LEAKED, GLEAK_LEAKED);
	check_gleak_site(root, "main.heldWorker", 0, 0);
	if (failures)
		print_gsites(root);

	/* 3. A second detection resets and marks the same ones again; then
	 * the fixture exits cleanly when its stdin closes. */
	if (!fixture_cmd(in[1], "profile"))
		goto out;
	n = fixture_line(fx, "goroutineleak", 2);
	if (n != GLEAK_LEAKED)
		fail_diff_u64("fixture: the second profile's total",
			      GLEAK_LEAKED, (uint64_t)n);
	(void)close(in[1]);
	in[1] = -1;
	n = wait_exit(fx, 30, "fixture");
	fx = -1;
	if (n) {
		fail("fixture: exit code %ld", n);
		dump_file("fixture", "err");
	}
out:
	if (in[1] >= 0)
		(void)close(in[1]);
	stop_child(fx);
	json_object_put(root);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

int main(int argc, char **argv)
{
	const char *lw = getenv("LW_LEAKWATCH");
	const char *mode = argc > 1 ? argv[1] : "";
	bool leaks = !strcmp(mode, "leaks"), stress = !strcmp(mode, "stress");
	char name[64];

	bool esbuild = !strcmp(mode, "esbuild");
	bool gleak = !strcmp(mode, "gleak");

	probes = argc > 1 && !strcmp(argv[argc - 1], "probes");
	if (probes)
		argc--;
	if (!((leaks || (gleak && !probes)) && argc == 5 &&
	      (!strcmp(argv[4], "stripped") || !strcmp(argv[4], "unstrippe"
								"d"))) &&
	    !(stress && argc == 4) && !(esbuild && argc == 4 && !probes)) {
		fprintf(stderr,
			"usage: %s leaks FIXTURE TAG stripped|unstripped "
			"[probes]\n"
			"       %s stress FIXTURE TAG [probes]\n"
			"       %s esbuild ESBUILD GOVERSION\n"
			"       %s gleak FIXTURE TAG stripped|unstripped\n",
			argv[0], argv[0], argv[0], argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("skipped: %s needs root\n", mode);
		return 77;
	}
	if (esbuild && access(argv[2], X_OK)) {
		fprintf(stderr, "FAIL: \"%s\" is missing: scripts/setup.sh fetches it from the npm registry (scripts/esbuild-fetch.sh)\n",
			argv[2]);
		return 1;
	}
	if (!lw || access(lw, X_OK) || access(argv[2], X_OK)) {
		fprintf(stderr, "FAIL: LW_LEAKWATCH (\"%s\") or the fixture \"%s\" is missing (run through ctest)\n",
			lw ?: "", argv[2]);
		return 1;
	}
	snprintf(name, sizeof(name), "go-%s%s-%s%s", probes ? "probes-" : "",
		 mode, argv[3],
		 (leaks || gleak) && !strcmp(argv[4], "stripped") ? "-stripped"
								  : "");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lw-it-%s-XXXXXX", name);
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755)) {
		perror("mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (leaks)
		test_leaks(lw, argv[2], argv[3], !strcmp(argv[4], "stripped"));
	else if (esbuild)
		test_esbuild(lw, argv[2], argv[3]);
	else if (gleak)
		test_gleak(lw, argv[2], argv[3], !strcmp(argv[4], "stripped"));
	else
		test_stress(lw, argv[2]);
	if (failures) {
		fprintf(stderr, "%s: %d failure%s; files kept in %s\n", name,
			failures, failures == 1 ? "" : "s", tmpdir);
		return 1;
	}
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("%s: ok\n", name);
	return 0;
}
