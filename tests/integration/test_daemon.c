/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Integration test of `leakwatch daemon`: fixture processes that leak one
 * thing each (daemon_workload: heap, threads, sockets; the Go fixture
 * leaking goroutines) beside ones that do not, the daemon watching them,
 * a real Prometheus (Debian's) scraping it and a loopback Pyroscope
 * receiver taking its pushes.  Checks, from Prometheus's HTTP API, that
 * the leak suspect series are 1 for the leaking fixtures with the right
 * kind and for no kind of the others; that the escalation named the
 * leaking function; that `promtool check metrics` accepts /metrics; that
 * `go tool pprof -raw` parses every profile served or pushed; that the
 * JSON API carries the diagnose schema.  Exits 77 when not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define INTERVAL "1"
#define WINDOW "12"
#define SETTLE_S 24 /* window, first escalation, a few scrapes */
#define LEAK_BLOCK 65536 /* daemon_workload.c LEAK_BYTES */

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

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fail("%s is not set (run through ctest; scripts/setup.sh installs what it names)",
		     name);
		return NULL;
	}
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* ------------------------------------------------------------------ */
/* Processes                                                           */

/* Start argv; with wait_ready, until its stdout said "ready". */
static pid_t spawn(char *const argv[], bool wait_ready)
{
	int p[2];
	pid_t pid;
	char buf[64];
	ssize_t n;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (pid > 0 && wait_ready) {
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n <= 0 || !memmem(buf, (size_t)n, "ready", 5)) {
			fail("%s did not get ready", argv[0]);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid = -1;
		}
	}
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool wait_file(const char *path, int secs)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (!access(path, F_OK))
			return true;
		sleep_ms(100);
	}
	return false;
}

/* Exit status of argv run with stdout to out_path ("" : /dev/null). */
static int run_to(char *const argv[], const char *out_path, const char *in_path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int o = open(*out_path ? out_path : "/dev/null",
			     O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int i = in_path ? open(in_path, O_RDONLY) : -1;

		if (o >= 0)
			dup2(o, STDOUT_FILENO);
		if (i >= 0)
			dup2(i, STDIN_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &n, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	if (buf && len)
		*len = strlen(buf);
	fclose(f);
	return buf;
}

static bool write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return !fclose(f) && ok;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && !bind(s, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(s, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* GET http://127.0.0.1:port/path: status, body (malloc'ed) and length. */
static int http_get(int port, const char *path, char **body, size_t *len)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	char *buf = NULL, *hdr_end;
	size_t n = 0, cap = 0;
	int s, status = -1;
	ssize_t r;

	*body = NULL;
	*len = 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	dprintf(s, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	for (;;) {
		if (n + 65536 > cap) {
			char *nb = realloc(buf, cap + 262144);

			if (!nb)
				goto out;
			buf = nb;
			cap += 262144;
		}
		r = read(s, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (!buf)
		goto out;
	buf[n] = 0;
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/%*s %d", &status) != 1)
		goto out;
	*len = n - (size_t)(hdr_end + 4 - buf);
	*body = malloc(*len + 1);
	if (*body) {
		memcpy(*body, hdr_end + 4, *len);
		(*body)[*len] = 0;
	}
out:
	if (s >= 0)
		close(s);
	free(buf);
	return status;
}

/* ------------------------------------------------------------------ */
/* A Pyroscope stand-in: keeps the request line and body of each POST.  */

#define MAX_PUSHES 64

static struct receiver {
	int fd, port;
	pthread_mutex_t lock;
	size_t nr;
	char *line[MAX_PUSHES];
	char *ctype[MAX_PUSHES];
	char *body[MAX_PUSHES];
	size_t len[MAX_PUSHES];
} rcv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static char *header(const char *head, const char *name)
{
	const char *p = strcasestr(head, name);
	const char *e;

	if (!p)
		return NULL;
	p += strlen(name);
	while (*p == ' ')
		p++;
	/* The last header ends where the head was cut. */
	e = strstr(p, "\r\n");
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

static void receive_one(int c)
{
	char *buf = malloc(1 << 22), *end, *cl;
	size_t n = 0, want = 0, cap = 1 << 22;
	ssize_t r;

	if (!buf)
		return;
	while (n < cap) {
		r = read(c, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		end = memmem(buf, n, "\r\n\r\n", 4);
		if (!end)
			continue;
		*end = 0;
		cl = header(buf, "Content-Length:");
		want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl, NULL, 10) : 0);
		free(cl);
		*end = '\r';
		if (n >= want)
			break;
	}
	end = memmem(buf, n, "\r\n\r\n", 4);
	if (end && want && n >= want) {
		pthread_mutex_lock(&rcv.lock);
		if (rcv.nr < MAX_PUSHES) {
			size_t i = rcv.nr++;

			*end = 0;
			rcv.line[i] = strndup(buf, strcspn(buf, "\r"));
			rcv.ctype[i] = header(buf, "Content-Type:");
			rcv.len[i] = want - (size_t)(end + 4 - buf);
			rcv.body[i] = malloc(rcv.len[i] + 1);
			if (rcv.body[i])
				memcpy(rcv.body[i], end + 4, rcv.len[i]);
		}
		pthread_mutex_unlock(&rcv.lock);
	}
	dprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	free(buf);
}

static void *receiver_main(void *arg)
{
	int c;

	(void)arg;
	while ((c = accept(rcv.fd, NULL, NULL)) >= 0) {
		receive_one(c);
		close(c);
	}
	return NULL;
}

static bool receiver_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	pthread_t t;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rcv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rcv.fd < 0 || bind(rcv.fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(rcv.fd, 16) ||
	    getsockname(rcv.fd, (struct sockaddr *)&a, &len))
		return false;
	rcv.port = ntohs(a.sin_port);
	if (pthread_create(&t, NULL, receiver_main, NULL))
		return false;
	pthread_detach(t);
	return true;
}

/* The "profile" file part of a multipart/form-data body. */
static bool multipart_profile(const char *ctype, const char *body, size_t len,
			      const char **part, size_t *part_len)
{
	const char *b = ctype ? strstr(ctype, "boundary=") : NULL;
	char delim[128];
	const char *p, *start, *end;

	if (!b)
		return false;
	b += 9;
	if (*b == '"')
		b++;
	snprintf(delim, sizeof(delim), "--%.*s", (int)strcspn(b, "\";"), b);
	for (p = memmem(body, len, delim, strlen(delim)); p;
	     p = memmem(p + 1, len - (size_t)(p + 1 - body), delim,
			strlen(delim))) {
		const char *hend = memmem(p, len - (size_t)(p - body),
					  "\r\n\r\n", 4);

		if (!hend)
			return false;
		if (!memmem(p, (size_t)(hend - p), "name=\"profile\"", 14))
			continue;
		start = hend + 4;
		end = memmem(start, len - (size_t)(start - body), delim,
			     strlen(delim));
		if (!end || end - start < 2)
			return false;
		*part = start;
		*part_len = (size_t)(end - start) - 2; /* the CRLF before */
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

/* go tool pprof -raw on data; its output into *out (may be NULL). */
static bool pprof_ok(const char *go, const void *data, size_t len,
		     const char *name, char **out)
{
	char path[128], txt[128];
	char *argv[] = { (char *)go, "tool", "pprof", "-raw", path, NULL };
	int rc;

	snprintf(path, sizeof(path), "%s/%s.pb.gz", tmpdir, name);
	snprintf(txt, sizeof(txt), "%s/%s.txt", tmpdir, name);
	if (!write_file(path, data, len))
		return false;
	rc = run_to(argv, txt, NULL);
	if (rc) {
		fail("go tool pprof -raw %s exited %d", name, rc);
		return false;
	}
	if (out)
		*out = read_file(txt, NULL);
	return true;
}

struct fixture {
	const char *name;
	const char *expect; /* kinds that must be suspected, "" none */
	pid_t pid;
	bool any_kind_ok; /* other kinds may be suspected too */
};

/* Which kinds Prometheus has leakwatch_leak_suspected == 1 for, per PID. */
static char *suspects_of(struct json_object *res, pid_t pid)
{
	static char kinds[128];
	size_t i;

	kinds[0] = 0;
	for (i = 0; i < json_object_array_length(res); i++) {
		struct json_object *m, *p, *k;
		struct json_object *e = json_object_array_get_idx(res, i);

		if (!json_object_object_get_ex(e, "metric", &m) ||
		    !json_object_object_get_ex(m, "pid", &p) ||
		    !json_object_object_get_ex(m, "kind", &k) ||
		    atoi(json_object_get_string(p)) != pid)
			continue;
		strncat(kinds, json_object_get_string(k),
			sizeof(kinds) - strlen(kinds) - 2);
		strcat(kinds, " ");
	}
	return kinds;
}

static struct json_object *prom_query(int port, const char *q)
{
	struct json_object *doc, *data, *res;
	char path[512], *body;
	size_t len;
	int st;

	snprintf(path, sizeof(path), "/api/v1/query?query=%s", q);
	st = http_get(port, path, &body, &len);
	if (st != 200) {
		fail("Prometheus query %s: HTTP %d", q, st);
		free(body);
		return NULL;
	}
	doc = json_tokener_parse(body);
	free(body);
	if (!doc || !json_object_object_get_ex(doc, "data", &data) ||
	    !json_object_object_get_ex(data, "result", &res)) {
		fail("Prometheus query %s: no data.result", q);
		json_object_put(doc);
		return NULL;
	}
	json_object_get(res);
	json_object_put(doc);
	return res;
}

static void check_prometheus(int pport, struct fixture *fx, size_t nr,
			     pid_t heap_pid)
{
	struct json_object *res;
	size_t i, j;
	bool named = false;

	res = prom_query(pport, "leakwatch_leak_suspected%3D%3D1");
	if (!res)
		return;
	for (i = 0; i < nr; i++) {
		char *got = suspects_of(res, fx[i].pid);

		fprintf(stderr, "%-12s pid %d suspected: %s\n", fx[i].name,
			fx[i].pid, *got ? got : "(none)");
		if (!*fx[i].expect && *got)
			fail("%s is not leaking but is suspected of: %s",
			     fx[i].name, got);
		if (*fx[i].expect && !strstr(got, fx[i].expect))
			fail("%s leaks %s but Prometheus has no suspect series for it (got: %s)",
			     fx[i].name, fx[i].expect, got);
	}
	json_object_put(res);

	/* The escalation named the leaking function. */
	res = prom_query(pport, "leakwatch_leak_site_bytes");
	for (j = 0; res && j < json_object_array_length(res); j++) {
		struct json_object *e = json_object_array_get_idx(res, j), *m,
				   *p, *s;

		if (json_object_object_get_ex(e, "metric", &m) &&
		    json_object_object_get_ex(m, "pid", &p) &&
		    json_object_object_get_ex(m, "site", &s) &&
		    atoi(json_object_get_string(p)) == heap_pid &&
		    strstr(json_object_get_string(s), "leak_chunk"))
			named = true;
	}
	if (res && !named)
		fail("no leakwatch_leak_site_bytes series names leak_chunk for PID %d",
		     heap_pid);
	json_object_put(res);
}

static struct json_object *find_proc(struct json_object *arr, pid_t pid)
{
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *t,
				   *p;

		if (json_object_object_get_ex(e, "target", &t) &&
		    json_object_object_get_ex(t, "pid", &p) &&
		    json_object_get_int(p) == pid)
			return e;
	}
	return NULL;
}

/* The JSON API: diagnose's schema plus "process"; the escalation's
 * allocation sites with exact block sizes. */
static void check_api(int dport, pid_t heap_pid, pid_t stable_pid)
{
	struct json_object *arr, *e, *o, *sites, *s, *v;
	char *body;
	size_t len, i;
	bool found = false;

	if (http_get(dport, "/api/v1/processes", &body, &len) != 200) {
		fail("/api/v1/processes did not answer 200");
		free(body);
		return;
	}
	arr = json_tokener_parse(body);
	free(body);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		fail("/api/v1/processes is not a JSON array");
		json_object_put(arr);
		return;
	}
	e = find_proc(arr, heap_pid);
	if (!e || !json_object_object_get_ex(e, "mode", &v) ||
	    strcmp(json_object_get_string(v), "daemon") ||
	    !json_object_object_get_ex(e, "version", &v) ||
	    !json_object_object_get_ex(e, "process", &o) ||
	    !json_object_object_get_ex(e, "allocations", &o) ||
	    !json_object_object_get_ex(o, "sites", &sites)) {
		fail("the heap leaker's report lacks mode/version/process/allocations.sites");
		goto out;
	}
	for (i = 0; i < json_object_array_length(sites); i++) {
		struct json_object *lb, *lc, *st;
		const char *stack;

		s = json_object_array_get_idx(sites, i);
		if (!json_object_object_get_ex(s, "verdict", &v) ||
		    strcmp(json_object_get_string(v), "leak") ||
		    !json_object_object_get_ex(s, "stack", &st))
			continue;
		stack = json_object_to_json_string(st);
		if (!strstr(stack, "leak_chunk"))
			continue;
		found = true;
		json_object_object_get_ex(s, "live_bytes", &lb);
		json_object_object_get_ex(s, "live_count", &lc);
		if (!lc || json_object_get_int64(lc) < 10 ||
		    json_object_get_int64(lb) !=
			    json_object_get_int64(lc) * LEAK_BLOCK)
			fail("leak_chunk site: %s blocks, %s bytes: not N x 64 KiB with N >= 10",
			     json_object_get_string(lc),
			     json_object_get_string(lb));
	}
	if (!found)
		fail("the escalation's sites have no leak in leak_chunk");
	for (i = 0; i < json_object_array_length(sites); i++) {
		s = json_object_array_get_idx(sites, i);
		if (json_object_object_get_ex(s, "verdict", &v) &&
		    !strcmp(json_object_get_string(v), "leak") &&
		    strstr(json_object_to_json_string(s), "churn"))
			fail("churn() frees everything but is a leak site");
	}
	e = find_proc(arr, stable_pid);
	if (!e || !json_object_object_get_ex(e, "process", &o) ||
	    !json_object_object_get_ex(o, "kinds", &o) ||
	    !json_object_object_get_ex(o, "heap", &o) ||
	    !json_object_object_get_ex(o, "verdict", &v) ||
	    !strcmp(json_object_get_string(v), "leak"))
		fail("the stable process: no process.kinds.heap, or a leak");
out:
	json_object_put(arr);
}

static void check_metrics_lint(int dport)
{
	char path[128], *body, *argv[] = { "promtool", "check", "metrics", NULL };
	size_t len;
	int rc;

	if (http_get(dport, "/metrics", &body, &len) != 200 || !body) {
		fail("/metrics did not answer 200");
		free(body);
		return;
	}
	snprintf(path, sizeof(path), "%s/metrics.txt", tmpdir);
	write_file(path, body, len);
	free(body);
	rc = run_to(argv, "", path);
	if (rc)
		fail("promtool check metrics exited %d on /metrics (%s)", rc,
		     path);
}

static void check_profiles(int dport, const char *go, pid_t heap_pid,
			   pid_t go_pid, pid_t stable_pid)
{
	char path[96], *body, *out = NULL;
	size_t len;

	snprintf(path, sizeof(path), "/debug/pprof/heap?pid=%d", heap_pid);
	if (http_get(dport, path, &body, &len) != 200)
		fail("%s: not 200", path);
	else if (pprof_ok(go, body, len, "native-heap", &out) &&
		 (!out || !strstr(out, "leak_chunk")))
		fail("the native heap profile has no leak_chunk");
	free(body);
	free(out);
	out = NULL;
	snprintf(path, sizeof(path), "/debug/pprof/heap?pid=%d", stable_pid);
	if (http_get(dport, path, &body, &len) != 200)
		fail("%s: not 200", path);
	else
		pprof_ok(go, body, len, "stable-heap", NULL);
	free(body);
	snprintf(path, sizeof(path), "/debug/pprof/heap?pid=%d", go_pid);
	if (http_get(dport, path, &body, &len) != 200)
		fail("%s: not 200", path);
	else
		pprof_ok(go, body, len, "go-heap", NULL);
	free(body);
	snprintf(path, sizeof(path), "/debug/pprof/goroutine?pid=%d", go_pid);
	if (http_get(dport, path, &body, &len) != 200)
		fail("%s: not 200", path);
	else if (pprof_ok(go, body, len, "goroutine", &out) &&
		 (!out || !strstr(out, "main.")))
		fail("the goroutine profile names no main.* function");
	free(body);
	free(out);
	snprintf(path, sizeof(path), "/debug/pprof/goroutine?pid=%d",
		 heap_pid);
	if (http_get(dport, path, &body, &len) != 404)
		fail("a goroutine profile of a C program is not a 404");
	free(body);
	if (http_get(dport, "/debug/pprof/heap?pid=1", &body, &len) != 404)
		fail("an unwatched PID is not a 404");
	free(body);
}

static void check_pushes(const char *go)
{
	size_t i, goroutines = 0, heaps = 0;

	pthread_mutex_lock(&rcv.lock);
	for (i = 0; i < rcv.nr; i++) {
		const char *part;
		size_t plen;
		char name[32];

		if (strncmp(rcv.line[i], "POST /ingest?", 13) ||
		    !strstr(rcv.line[i], "from=") ||
		    !strstr(rcv.line[i], "until=")) {
			fail("push %zu: %s", i, rcv.line[i]);
			continue;
		}
		if (!multipart_profile(rcv.ctype[i], rcv.body[i], rcv.len[i],
				       &part, &plen)) {
			fail("push %zu: no multipart \"profile\" part (%s)", i,
			     rcv.ctype[i] ? rcv.ctype[i] : "no type");
			continue;
		}
		snprintf(name, sizeof(name), "push%zu", i);
		if (!pprof_ok(go, part, plen, name, NULL))
			continue;
		if (strstr(rcv.line[i], "goroutines"))
			goroutines++;
		else
			heaps++;
	}
	pthread_mutex_unlock(&rcv.lock);
	fprintf(stderr, "pyroscope: %zu pushes, %zu goroutine and %zu heap profiles parsed\n",
		rcv.nr, goroutines, heaps);
	if (!goroutines || !heaps)
		fail("the receiver got no goroutine or no heap profile");
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	const char *lw = need_env("LW_LEAKWATCH");
	const char *wl = need_env("LW_DAEMON_WORKLOAD");
	const char *leaky = need_env("LW_GO_LEAKY");
	const char *go = need_env("LW_GO");
	char ready[128], pyro[64], listen_at[64], prom_yml[128], prom_db[128];
	char prom_at[64], yml[512], *body;
	struct fixture fx[] = {
		{ "heap-leak", "heap", 0, false },
		{ "heap-stable", "", 0, false },
		{ "thread-leak", "thread", 0, true },
		{ "socket-leak", "socket", 0, true },
		{ "idle", "", 0, false },
		{ "go-leak", "goroutine", 0, true },
		{ "go-idle", "", 0, false },
	};
	size_t nr = sizeof(fx) / sizeof(fx[0]), i, len;
	pid_t daemon_pid = -1, prom = -1;
	int dport, pport, st, rc;

	if (geteuid()) {
		fprintf(stderr, "SKIP: needs root\n");
		return 77;
	}
	if (failures)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	strcpy(tmpdir, "/tmp/lw-daemon-XXXXXX");
	if (!mkdtemp(tmpdir) || !receiver_start()) {
		fprintf(stderr, "FAIL: setup\n");
		return 1;
	}
	for (i = 0; i < 5; i++) {
		char *argv[] = { (char *)wl, (char *)fx[i].name, NULL };

		fx[i].pid = spawn(argv, true);
	}
	{
		char *lk[] = { (char *)leaky, "-drive", "120", "-rate", "4",
			       NULL };
		char *idle[] = { (char *)leaky, "-drive", "120", "-wait",
				 NULL };

		fx[5].pid = spawn(lk, false);
		fx[6].pid = spawn(idle, false);
	}
	for (i = 0; i < nr; i++)
		if (fx[i].pid <= 0)
			goto out;
	sleep_ms(500); /* the Go runtime up */

	dport = free_port();
	pport = free_port();
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", dport);
	snprintf(pyro, sizeof(pyro), "http://127.0.0.1:%d", rcv.port);
	snprintf(ready, sizeof(ready), "%s/ready", tmpdir);
	{
		char *argv[] = { (char *)lw, "daemon", "--listen", listen_at,
				 "--interval", INTERVAL, "--window", WINDOW,
				 "--escalate-window", "4", "--comm",
				 "daemon_workloa*", "--comm", "leaky-*",
				 "--pyroscope", pyro, "--ready-file", ready,
				 NULL };

		daemon_pid = spawn(argv, false);
	}
	if (!wait_file(ready, 30)) {
		fail("the daemon did not start");
		goto out;
	}

	snprintf(prom_yml, sizeof(prom_yml), "%s/prometheus.yml", tmpdir);
	snprintf(prom_db, sizeof(prom_db), "--storage.tsdb.path=%s/tsdb",
		 tmpdir);
	snprintf(prom_at, sizeof(prom_at), "--web.listen-address=127.0.0.1:%d",
		 pport);
	snprintf(yml, sizeof(yml),
		 "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		 "scrape_configs:\n  - job_name: leakwatch\n"
		 "    static_configs:\n      - targets: ['127.0.0.1:%d']\n",
		 dport);
	write_file(prom_yml, yml, strlen(yml));
	{
		char cfg[160];
		char *argv[] = { "prometheus", cfg, prom_db, prom_at, NULL };

		snprintf(cfg, sizeof(cfg), "--config.file=%s", prom_yml);
		prom = fork();
		if (prom == 0) {
			int dn = open("/dev/null", O_WRONLY);

			dup2(dn, STDOUT_FILENO);
			dup2(dn, STDERR_FILENO);
			execvp(argv[0], argv);
			_exit(127);
		}
	}
	for (i = 0; i < 300; i++) {
		st = http_get(pport, "/-/ready", &body, &len);
		free(body);
		if (st == 200)
			break;
		sleep_ms(100);
	}
	if (st != 200) {
		fail("Prometheus did not get ready (is the prometheus package installed?)");
		goto out;
	}
	fprintf(stderr, "daemon on :%d, Prometheus on :%d, waiting %d s\n",
		dport, pport, SETTLE_S);
	sleep_ms(SETTLE_S * 1000);

	check_prometheus(pport, fx, nr, fx[0].pid);
	check_api(dport, fx[0].pid, fx[1].pid);
	check_metrics_lint(dport);
	check_profiles(dport, go, fx[0].pid, fx[5].pid, fx[1].pid);
	check_pushes(go);

	/* SIGTERM: a clean stop, exit 0 (and, in the ASan tree, no leak). */
	kill(daemon_pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(daemon_pid, &st, WNOHANG) == daemon_pid)
			break;
		sleep_ms(100);
	}
	if (i == 100) {
		fail("the daemon did not stop on SIGTERM");
	} else {
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (rc)
			fail("the daemon exited %d on SIGTERM", rc);
		daemon_pid = -1;
	}
out:
	stop(daemon_pid);
	stop(prom);
	for (i = 0; i < nr; i++)
		stop(fx[i].pid);
	if (!failures)
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "files kept in %s\n", tmpdir);
	fprintf(stderr, "%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
