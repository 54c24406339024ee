/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Integration tests of the descriptor family: the real leakwatch binary on
 * tests/workloads/sock_workload (ground truth in sock_workload.h) and on
 * the Go fixture tests/go/sockleak (stripped and not, newest and oldest
 * Go toolchain), over real loopback sockets.  Asserts
 * exact open counts and TCP states per creation site, and verdicts.  One
 * subcommand per ctest test; exits 77 when not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sock_workload.h"

#define WINDOW_S "10" /* 5 s of activity, then quiet */
#define GO_REQUESTS 20
#define LW_TIMEOUT_S 60

static char tmpdir[256];
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

static void expect_u64(const char *what, const char *field, uint64_t want,
		       uint64_t got)
{
	if (want != got)
		fail("%s: %s\n-\t%" PRIu64 "\n+\t%" PRIu64, what, field, want,
		     got);
}

static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v || access(v, X_OK)) {
		fail("%s is not set or not executable (run through ctest)",
		     name);
		return NULL;
	}
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

/* argv with stdin from /dev/null, stdout/stderr to tmpdir/TAG.out/.err. */
static pid_t spawn(char *const argv[], const char *tag)
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
		int in = open("/dev/null", O_RDONLY);
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

static int wait_exit(pid_t pid, int timeout_s, const char *tag)
{
	int status, i;

	for (i = 0; i < timeout_s * 20; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status)
						 : 128 + WTERMSIG(status);
		sleep_ms(50);
	}
	fail("%s did not finish within %d s", tag, timeout_s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
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

static void dump_file(const char *tag, const char *ext)
{
	char path[PATH_MAX], *s;

	snprintf(path, sizeof(path), "%s/%s.%s", tmpdir, tag, ext);
	s = read_all(path);
	fprintf(stderr, "--- %s.%s ---\n%s\n", tag, ext, s);
	free(s);
}

/* Runs leakwatch with args (NULL-terminated, after "leakwatch"); the
 * sockets object of its JSON report, or NULL.  *ret_root to put. */
static json_object *run_report(const char *tag, char **args,
			       json_object **ret_root, char **ret_text)
{
	char json[PATH_MAX], out[PATH_MAX];
	char *argv[32];
	json_object *root, *s;
	const char *lw = env_path("LW_LEAKWATCH");
	int n = 0, rc;
	pid_t pid;

	*ret_root = NULL;
	*ret_text = NULL;
	if (!lw)
		return NULL;
	snprintf(json, sizeof(json), "%s/%s.json", tmpdir, tag);
	argv[n++] = (char *)lw;
	argv[n++] = "diagnose";
	argv[n++] = "--no-color";
	argv[n++] = "--json";
	argv[n++] = json;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = spawn(argv, tag);
	if (pid < 0)
		return NULL;
	rc = wait_exit(pid, LW_TIMEOUT_S, tag);
	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, tag);
	*ret_text = read_all(out);
	if (rc != 0) {
		fail("%s: leakwatch exited with %d", tag, rc);
		dump_file(tag, "err");
		return NULL;
	}
	root = json_object_from_file(json);
	if (!root) {
		fail("%s: no JSON report", tag);
		return NULL;
	}
	*ret_root = root;
	if (!json_object_object_get_ex(root, "sockets", &s) ||
	    !json_object_is_type(s, json_type_object)) {
		fail("%s: no \"sockets\" object in the report", tag);
		return NULL;
	}
	return s;
}

static uint64_t get_u64(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return UINT64_MAX;
	return (uint64_t)json_object_get_int64(v);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Is func (exactly: Go names closures main.main.func1) in the stack? */
static bool site_has_frame(json_object *site, const char *func)
{
	json_object *stack = get(site, "stack");
	size_t i, n = stack ? json_object_array_length(stack) : 0;

	for (i = 0; i < n; i++) {
		const char *f = get_str(json_object_array_get_idx(stack, i),
					"functio"
					"n");

		if (!strcmp(f, func))
			return true;
	}
	return false;
}

/* Sites whose stack holds func: how many into *nr, the first returned. */
static json_object *find_site(json_object *socks, const char *func,
			      size_t *ret_nr)
{
	json_object *sites = get(socks, "sites"), *first = NULL;
	size_t i, n = sites ? json_object_array_length(sites) : 0, nr = 0;

	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(sites, i);

		if (!site_has_frame(s, func))
			continue;
		if (!first)
			first = s;
		nr++;
	}
	if (ret_nr)
		*ret_nr = nr;
	return first;
}

/*
 * The site's by_state must be exactly {state: n} (one state), its open
 * count n, its creating call and its verdict as given.
 */
static void expect_site(json_object *socks, const char *func, size_t nr_sites,
			const char *call, uint64_t open, const char *state,
			const char *verdict)
{
	json_object *sites = get(socks, "sites"), *bs;
	size_t i, n = sites ? json_object_array_length(sites) : 0, found = 0;

	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(sites, i);

		if (!site_has_frame(s, func))
			continue;
		found++;
		expect_u64(func, "open", open, get_u64(s, "open"));
		bs = get(s, "by_state");
		expect_u64(func, "number of states", 1,
			   bs ? (uint64_t)json_object_object_length(bs) : 0);
		expect_u64(func, state, open, get_u64(bs, state));
		if (strcmp(get_str(s, "call"), call))
			fail("%s: call\n-\t%s\n+\t%s", func, call,
			     get_str(s, "call"));
		if (strcmp(get_str(s, "verdict"), verdict))
			fail("%s: verdict\n-\t%s\n+\t%s", func, verdict,
			     get_str(s, "verdict"));
	}
	expect_u64(func, "sites", nr_sites, found);
}

/* No site may hold func: the careful code closed everything it opened. */
static void expect_no_site(json_object *socks, const char *func)
{
	size_t nr;

	find_site(socks, func, &nr);
	expect_u64(func, "sites with open sockets", 0, nr);
}

static json_object *find_kind(json_object *socks, const char *kind)
{
	json_object *kinds = get(socks, "fd_kinds");
	size_t i, n = kinds ? json_object_array_length(kinds) : 0;

	for (i = 0; i < n; i++) {
		json_object *k = json_object_array_get_idx(kinds, i);

		if (!strcmp(get_str(k, "kind"), kind))
			return k;
	}
	return NULL;
}

static void expect_leaks(json_object *socks, uint64_t want)
{
	json_object *sites = get(socks, "sites");
	size_t i, n = sites ? json_object_array_length(sites) : 0;
	uint64_t leaks = 0;

	for (i = 0; i < n; i++)
		leaks += !strcmp(get_str(json_object_array_get_idx(sites, i),
					 "verdict"),
				 "leak");
	expect_u64("sockets", "sites with the leak verdict", want, leaks);
	expect_u64("sockets", "verdicts.leak", want,
		   get_u64(get(socks, "verdicts"), "leak"));
}

static void expect_text(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail("text report lacks \"%s\"", needle);
}

/* The C workload, launched by leakwatch: every site has a stack. */
static void test_c(void)
{
	const char *wl = env_path("LW_SOCK_WORKLOAD");
	char *args[] = {"-d", WINDOW_S, "--", (char *)wl, NULL};
	json_object *root, *socks, *k, *bs;
	char *text;

	if (!wl)
		return;
	socks = run_report("c", args, &root, &text);
	if (!socks)
		goto out;
	if (!strstr(text, "done"))
		fail("the workload did not finish its steps in the window");

	/* The two leaks, with their states. */
	expect_site(socks, "forgetful_connect", 1, "socket", SW_FORGETFUL,
		    "ESTABLISHED", "leak");
	expect_site(socks, "accept_and_keep", 1, "accept", SW_CLOSE_WAIT,
		    "CLOSE_WAIT", "leak");
	k = find_site(socks, "accept_and_keep", NULL);
	if (k && strcmp(get_str(k, "close_wait_verdict"), "leak"))
		fail("accept_and_keep: close_wait_verdict is \"%s\"",
		     get_str(k, "close_wait_verdict"));

	/* Careful code leaves nothing open. */
	expect_no_site(socks, "careful_connect");
	expect_no_site(socks, "hangup_connect");
	expect_no_site(socks, "accept_and_watch");

	/* Kept from the start: stable.  The pool moved through dup,
	 * fcntl(F_DUPFD_CLOEXEC) and dup2; the listeners are three call
	 * paths (three sites) of one function. */
	expect_site(socks, "open_pool", 1, "socket", SW_POOL, "ESTABLISHED",
		    "stable");
	expect_site(socks, "make_listener", SW_LISTENERS, "socket", 1, "LISTEN",
		    "stable");
	expect_site(socks, "make_udp", 1, "socket", SW_UDP, "CLOSE", "stable");
	expect_site(socks, "make_pair", 1, "socketpair", SW_PAIR, "ESTABLISHED",
		    "stable");
	expect_site(socks, "make_listener6", 1, "socket", SW_V6_LISTEN,
		    "LISTEN", "stable");
	expect_site(socks, "connect6", 1, "socket", SW_V6_CONN, "ESTABLISHED",
		    "stable");
	expect_leaks(socks, 2);

	/* Totals. */
	expect_u64("sockets", "open", SW_OPEN, get_u64(socks, "open"));
	bs = get(socks, "by_state");
	expect_u64("sockets", "by_state.CLOSE_WAIT", SW_CLOSE_WAIT,
		   get_u64(bs, "CLOSE_WAIT"));
	expect_u64("sockets", "by_state.ESTABLISHED", SW_ESTABLISHED,
		   get_u64(bs, "ESTABLISHED"));
	expect_u64("sockets", "by_state.LISTEN", SW_LISTEN,
		   get_u64(bs, "LISTEN"));
	expect_u64("sockets", "by_proto.tcp6", SW_V6_LISTEN + SW_V6_CONN,
		   get_u64(get(socks, "by_proto"), "tcp6"));
	expect_u64("sockets", "by_proto.unix", SW_PAIR,
		   get_u64(get(socks, "by_proto"), "unix"));
	expect_u64("sockets", "by_proto.udp", SW_UDP,
		   get_u64(get(socks, "by_proto"), "udp"));
	expect_u64("sockets", "dropped_events", 0,
		   get_u64(socks, "dropped_events"));
	if (!json_object_get_boolean(get(socks, "states_known")))
		fail("sockets: states_known is false");

	/* Other kinds: the eventfds leak, the pipe does not. */
	k = find_kind(socks, "eventfd");
	expect_u64("eventfd", "open", SW_EVENTFDS, k ? get_u64(k, "open") : 0);
	if (!k || strcmp(get_str(k, "verdict"), "leak"))
		fail("eventfd: verdict is not leak");
	k = find_kind(socks, "pipe");
	/* Pipes inherited from whoever runs the test add to ours. */
	if (!k || get_u64(k, "open") < SW_PIPE_FDS ||
	    !strcmp(get_str(k, "verdict"), "leak"))
		fail("pipe: missing, fewer than %d, or a leak", SW_PIPE_FDS);

	expect_text(text, "accept in accept_and_keep (sock_workload.c:");
	expect_text(text, "socket in forgetful_connect (sock_workload.c:");
	expect_text(text, "CLOSE_WAIT 20");
	expect_text(text, "eventfd 20 (LEAK");
out:
	if (failures)
		dump_file("c", "out");
	free(text);
	json_object_put(root);
}

/*
 * Attached to a workload that is already done: every socket predates
 * tracing, comes from /proc and sock_diag alone, and nothing may be
 * called a leak (no birth was seen).
 */
static void test_attach(void)
{
	const char *wl = env_path("LW_SOCK_WORKLOAD");
	char *wargv[] = {(char *)wl, NULL};
	char pid_s[16], out[PATH_MAX], *s, *text = NULL;
	char *args[] = {"-p", pid_s, "-d", "3", NULL};
	json_object *root = NULL, *socks, *sites, *site, *bs;
	pid_t pid;
	int i;

	if (!wl)
		return;
	pid = spawn(wargv, "attach-wl");
	if (pid < 0)
		return;
	snprintf(out, sizeof(out), "%s/attach-wl.out", tmpdir);
	for (i = 0; i < 200; i++) {
		s = read_all(out);
		if (strstr(s, "done")) {
			free(s);
			break;
		}
		free(s);
		sleep_ms(50);
	}
	if (i == 200) {
		fail("attach: the workload never said done");
		goto out;
	}
	sleep_ms(300); /* the last hangups reach the server */
	snprintf(pid_s, sizeof(pid_s), "%d", pid);
	socks = run_report("attach", args, &root, &text);
	if (!socks)
		goto out;
	sites = get(socks, "sites");
	expect_u64("attach", "sites", 1,
		   sites ? json_object_array_length(sites) : 0);
	site = sites && json_object_array_length(sites)
		       ? json_object_array_get_idx(sites, 0)
		       : NULL;
	if (!site)
		goto out;
	if (strcmp(get_str(site, "origin"), "before_tracing"))
		fail("attach: origin is \"%s\"", get_str(site, "origin"));
	if (!strcmp(get_str(site, "verdict"), "leak"))
		fail("attach: sockets open before tracing called a leak");
	expect_u64("attach", "open", SW_OPEN, get_u64(site, "open"));
	bs = get(site, "by_state");
	expect_u64("attach", "CLOSE_WAIT", SW_CLOSE_WAIT,
		   get_u64(bs, "CLOSE_WAIT"));
	expect_u64("attach", "ESTABLISHED", SW_ESTABLISHED,
		   get_u64(bs, "ESTABLISHED"));
	expect_u64("attach", "LISTEN", SW_LISTEN, get_u64(bs, "LISTEN"));
	expect_u64("attach", "CLOSE", SW_UDP, get_u64(bs, "CLOSE"));
	expect_leaks(socks, 0);
	expect_text(text, "(open before tracing started)");
out:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (failures)
		dump_file("attach", "out");
	free(text);
	json_object_put(root);
}

/*
 * Go: http.Get without Body.Close, N requests to its own server, in the
 * fixture at bin.  The sockets object of the report (*ret_root to put), or
 * NULL after a failure.
 */
static json_object *run_go(const char *tag, const char *bin,
			   json_object **ret_root)
{
	char n_s[16];
	char *args[] = {"-d", WINDOW_S, "--", (char *)bin, n_s, NULL};
	json_object *socks;
	char *text;

	*ret_root = NULL;
	snprintf(n_s, sizeof(n_s), "%d", GO_REQUESTS);
	socks = run_report(tag, args, ret_root, &text);
	if (!socks)
		goto out;
	if (!strstr(text, "done"))
		fail("%s: the Go fixture did not finish its requests in the "
		     "window",
		     tag);
	/* The client's connections, dialled by the transport ... */
	expect_site(socks, "net/http.(*Transport).dialConn", 1, "socket",
		    GO_REQUESTS, "ESTABLISHED", "leak");
	/* ... and the server's ends, idle in keep-alive. */
	expect_site(socks, "net/http.(*Server).Serve", 1, "accept4",
		    GO_REQUESTS, "ESTABLISHED", "leak");
	expect_site(socks, "main.main", 1, "socket", 1, "LISTEN", "stable");
	/* A function of its own in Go 1.19, inlined into doDialTCPProto in
	 * 1.26: a frame either way (inlined calls are expanded). */
	if (!site_has_frame(find_site(socks, "net/http.(*Transport).dialConn",
				      NULL),
			    "net.(*sysDialer).doDialTCP"))
		fail("%s: net.(*sysDialer).doDialTCP not in the dialConn stack",
		     tag);
	expect_leaks(socks, 2);
	expect_u64("sockets", "open", 2 * GO_REQUESTS + 1,
		   get_u64(socks, "open"));
	expect_u64("sockets", "dropped_events", 0,
		   get_u64(socks, "dropped_events"));
	expect_text(text, "socket in net/http.(*Transport).dial");
	expect_text(text, "accept4 in net/http.");
out:
	if (failures)
		dump_file(tag, "out");
	free(text);
	return socks;
}

static void test_go(void)
{
	const char *bin = env_path("LW_SOCKLEAK_GO");
	json_object *root = NULL;

	if (bin)
		(void)run_go("go", bin, &root);
	json_object_put(root);
}

/*
 * The stacks of the sites holding func in both reports: frame for frame
 * the same function, file and line, inlined or not, every frame named and
 * placed.
 */
static void expect_same_stack(json_object *plain, json_object *stripped,
			      const char *func)
{
	json_object *sp = find_site(plain, func, NULL);
	json_object *ss = find_site(stripped, func, NULL);
	json_object *a = sp ? get(sp, "stack") : NULL;
	json_object *b = ss ? get(ss, "stack") : NULL;
	size_t i, n = a ? json_object_array_length(a) : 0;

	if (!a || !b) {
		fail("%s: no site in the %s report", func,
		     a ? "stripped" : "unstripped");
		return;
	}
	expect_u64(func, "frames (stripped)", n, json_object_array_length(b));
	for (i = 0; i < n && i < json_object_array_length(b); i++) {
		json_object *x = json_object_array_get_idx(a, i);
		json_object *y = json_object_array_get_idx(b, i);

		if (!*get_str(y, "function") || !*get_str(y, "file") ||
		    get_u64(y, "line") == UINT64_MAX)
			fail("%s: stripped frame %zu is not symbolized: %s "
			     "%s:%s",
			     func, i, get_str(y, "function"),
			     get_str(y, "file"), get_str(y, "line"));
		if (strcmp(get_str(x, "function"), get_str(y, "function")) ||
		    strcmp(get_str(x, "file"), get_str(y, "file")) ||
		    get_u64(x, "line") != get_u64(y, "line") ||
		    !get(x, "inlined") != !get(y, "inlined"))
			fail("%s: frame %zu\n-\t%s %s:%s\n+\t%s %s:%s", func, i,
			     get_str(x, "function"), get_str(x, "file"),
			     get_str(x, "line"), get_str(y, "function"),
			     get_str(y, "file"), get_str(y, "line"));
	}
}

/*
 * The same fixture built by one toolchain with and without -ldflags=-s -w
 * (no .symtab, no DWARF: names come from .gopclntab only).  Both reports
 * pass every check of test_go, and the stripped one names the leaking
 * sites' frames with the same functions, files and lines.
 */
static void test_go_stripped(const char *env_plain, const char *env_stripped)
{
	const char *plain = env_path(env_plain);
	const char *stripped = env_path(env_stripped);
	json_object *rp = NULL, *rs = NULL, *sp = NULL, *ss = NULL;

	if (!plain || !stripped)
		return;
	sp = run_go("go-unstripped", plain, &rp);
	ss = run_go("go-stripped", stripped, &rs);
	if (sp && ss) {
		expect_same_stack(sp, ss, "net/http.(*Transport).dialConn");
		expect_same_stack(sp, ss, "net/http.(*Server).Serve");
		expect_same_stack(sp, ss, "main.main");
	}
	json_object_put(rp);
	json_object_put(rs);
}

int main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : "";

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root\n");
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lw-sockets-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (!strcmp(t, "c"))
		test_c();
	else if (!strcmp(t, "attach"))
		test_attach();
	else if (!strcmp(t, "go"))
		test_go();
	else if (!strcmp(t, "go_stripped"))
		test_go_stripped("LW_SOCKLEAK_GO", "LW_SOCKLEAK_GO_STRIPPED");
	else if (!strcmp(t, "go_old"))
		test_go_stripped("LW_SOCKLEAK_GO_OLD", "LW_SOCKLEAK_GO_OLD_"
						       "STRIPPED");
	else
		fail("unknown test \"%s\" (c, attach, go, go_stripped, "
		     "go_old)",
		     t);
	if (!failures) {
		char cmd[PATH_MAX];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		(void)!system(cmd);
	}
	fprintf(stderr, "%s: %s (%d failure%s)\n", argv[0],
		failures ? "FAILED" : "ok", failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
