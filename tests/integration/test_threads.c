/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Integration tests of the thread family: the real leakwatch binary on
 * tests/workloads/thread_workload.c, whose ground truth is exact: a fixed
 * pool (pool_start, 4 threads), a leak (leak_spawn, one detached thread
 * per step), short-lived joined threads (churn_spawn, one per step) and
 * the main thread.  Asserts live counts per creation site, states,
 * verdicts, and that nothing but the leak is called one.  One subcommand
 * per ctest test; exits 77 when not root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define POOL 4
#define LEAK 30 /* threads leaked, one per step */
#define STEP_MS "200"
#define WINDOW_S "10" /* the workload's steps take 6 s of it */

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

static void expect_u64(const char *what, uint64_t want, uint64_t got)
{
	if (want != got)
		fail("%s\n-\t%" PRIu64 "\n+\t%" PRIu64, what, want, got);
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
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Exit code of pid, or -1 (killed) after timeout_s. */
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

static bool wait_for(const char *path, const char *text, int timeout_s)
{
	int i;

	for (i = 0; i < timeout_s * 50; i++) {
		char *s = read_all(path);
		bool ok = text ? strstr(s, text) != NULL : !access(path, F_OK);

		free(s);
		if (ok)
			return true;
		sleep_ms(20);
	}
	return false;
}

/* ---- JSON ---- */

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

/* The function of a site's stack[0]: pthread_create's caller. */
static const char *site_func(struct json_object *site)
{
	return jstr(json_object_array_get_idx(jget(site, "stack"), 0),
		    "function");
}

static void print_sites(struct json_object *threads)
{
	struct json_object *sites = jget(threads, "sites");
	size_t i;

	for (i = 0; i < json_object_array_length(sites); i++) {
		struct json_object *s = json_object_array_get_idx(sites, i);

		fprintf(stderr, "  %-7s live=%-4" PRIu64 " %s states=%s syscalls=%s\n",
			jstr(s, "verdict"), ju64(s, "live"),
			site_func(s) ?: "(no stack)",
			json_object_to_json_string(jget(s, "states")),
			json_object_to_json_string(jget(s, "syscalls")));
	}
}

/* The one site whose stack[0] is func (NULL: the stackless site). */
static struct json_object *find_site(struct json_object *threads,
				     const char *func)
{
	struct json_object *sites = jget(threads, "sites"), *found = NULL;
	size_t i;
	int n = 0;

	for (i = 0; i < json_object_array_length(sites); i++) {
		struct json_object *s = json_object_array_get_idx(sites, i);
		const char *f = site_func(s);

		if (func ? f && !strcmp(f, func) : !jstr(s, "stack_id")) {
			found = s;
			n++;
		}
	}
	if (n > 1)
		fail("%s: %d sites, want one", func ?: "(before attach)", n);
	return found;
}

/* All n threads of site are asleep in futex (a condition variable). */
static void check_waiting(struct json_object *site, const char *what,
			  uint64_t n)
{
	char w[128];

	snprintf(w, sizeof(w), "%s: states.sleeping", what);
	expect_u64(w, n, ju64(jget(site, "states"), "sleeping"));
	snprintf(w, sizeof(w), "%s: syscalls.futex", what);
	expect_u64(w, n, ju64(jget(site, "syscalls"), "futex"));
	snprintf(w, sizeof(w), "%s: number of distinct states", what);
	expect_u64(w, 1, json_object_object_length(jget(site, "states")));
}

static bool is_leak(struct json_object *site)
{
	const char *v = jstr(site, "verdict");

	return v && !strcmp(v, "leak");
}

/*
 * The checks common to both tests.  before: live threads created before
 * leakwatch attached (the site without a stack); created/exited: births
 * and deaths seen during the session; pool_traced: the pool was created
 * under tracing (else it is part of before).
 */
static void check_report(struct json_object *root, uint64_t before,
			 uint64_t created, uint64_t exited, bool pool_traced)
{
	struct json_object *th = jget(root, "threads"), *s, *fr;
	struct json_object *sites = jget(th, "sites");
	int before_failures = failures;
	size_t i;

	if (!th || !sites) {
		fail("report has no threads.sites");
		return;
	}
	expect_u64("threads.dropped_events", 0, ju64(th, "dropped_events"));
	expect_u64("threads.live", 1 + POOL + LEAK, ju64(th, "live"));
	expect_u64("threads.created", created, ju64(th, "created"));
	expect_u64("threads.exited", exited, ju64(th, "exited"));

	s = find_site(th, "leak_spawn");
	if (!s) {
		fail("no thread site created at leak_spawn");
	} else {
		expect_u64("leak_spawn: live", LEAK, ju64(s, "live"));
		if (!is_leak(s))
			fail("leak_spawn: verdict\n-\tleak\n+\t%s",
			     jstr(s, "verdict"));
		check_waiting(s, "leak_spawn", LEAK);
		fr = json_object_array_get_idx(jget(s, "stack"), 0);
		if (!jstr(fr, "file") ||
		    strcmp(strrchr(jstr(fr, "file"), '/') ?
				   strrchr(jstr(fr, "file"), '/') + 1 :
				   jstr(fr, "file"),
			   "thread_workload.c") ||
		    ju64(fr, "line") == 0)
			fail("leak_spawn: stack[0] is not a line of thread_workload.c");
	}

	s = find_site(th, "pool_start");
	if (!s) {
		if (pool_traced)
			fail("no thread site created at pool_start");
	} else if (!pool_traced) {
		fail("pool_start: listed, but the pool predates the session");
	} else {
		expect_u64("pool_start: live", POOL, ju64(s, "live"));
		check_waiting(s, "pool_start", POOL);
	}

	s = find_site(th, NULL);
	if (!s) {
		fail("no site for the threads created before attach");
	} else {
		expect_u64("before attach: live", before, ju64(s, "live"));
		if (!json_object_get_boolean(jget(s, "created_before_attach")))
			fail("before attach: created_before_attach is false");
	}

	if (find_site(th, "churn_spawn"))
		fail("churn_spawn: listed, but its threads were all joined");

	/* Nothing but the leak is a leak (the pool, the main thread). */
	for (i = 0; i < json_object_array_length(sites); i++) {
		s = json_object_array_get_idx(sites, i);
		if (is_leak(s) && (!site_func(s) ||
				   strcmp(site_func(s), "leak_spawn")))
			fail("site %s has verdict leak",
			     site_func(s) ?: "(before attach)");
	}
	if (failures != before_failures)
		print_sites(th);
}

static struct json_object *load(const char *path)
{
	struct json_object *root = json_object_from_file(path);

	if (!root)
		fail("cannot parse the JSON report \"%s\"", path);
	return root;
}

/*
 * `leakwatch diagnose -- thread_workload`: every thread but main is
 * created under tracing.
 */
static void test_launch(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *wl = env_path("LW_THREAD_WORKLOAD");
	char json[PATH_MAX], out[PATH_MAX];
	struct json_object *root;
	char *text;
	pid_t pid;

	if (!lw || !wl)
		return;
	snprintf(json, sizeof(json), "%s/report.json", tmpdir);
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", WINDOW_S,
				 "--json", json, "--", (char *)wl, "--leak",
				 "30", "--pool", "4", "--interval-ms", STEP_MS,
				 NULL };

		pid = spawn(argv, "launch");
	}
	if (pid < 0)
		return;
	if (wait_exit(pid, 90, "launch") != 0) {
		fail("leakwatch failed");
		dump("launch", "err");
		return;
	}
	root = load(json);
	if (!root)
		return;
	/* Before attach: main.  Churn threads were born and died. */
	check_report(root, 1, POOL + 2 * LEAK, LEAK, true);
	json_object_put(root);

	snprintf(out, sizeof(out), "%s/launch.out", tmpdir);
	text = read_all(out);
	if (!strstr(text, "\nthreads: ") || !strstr(text, "leak_spawn (thread_workload.c:"))
		fail("the text report lacks its threads section or the leak_spawn site");
	free(text);
}

/*
 * `leakwatch diagnose -p PID` on a running workload whose pool already
 * exists: the pool and main are counted from /proc, with no stack.
 */
static void test_attach(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *wl = env_path("LW_THREAD_WORKLOAD");
	char json[PATH_MAX], go[PATH_MAX], wout[PATH_MAX], pidbuf[16];
	struct json_object *root;
	pid_t wpid, pid;
	int code;

	if (!lw || !wl)
		return;
	snprintf(json, sizeof(json), "%s/report.json", tmpdir);
	snprintf(go, sizeof(go), "%s/go", tmpdir);
	snprintf(wout, sizeof(wout), "%s/workload.out", tmpdir);
	{
		char *argv[] = { (char *)wl, "--leak", "30", "--pool", "4",
				 "--interval-ms", STEP_MS, "--go-file", go,
				 NULL };

		wpid = spawn(argv, "workload");
	}
	if (wpid < 0)
		return;
	if (!wait_for(wout, "ready", 10)) {
		fail("the workload never printed \"ready\"");
		goto out;
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", wpid);
	{
		/* The ready file releases the workload's leaking loop. */
		char *argv[] = { (char *)lw, "diagnose", "-d", WINDOW_S,
				 "--json", json, "--ready-file", go, "-p",
				 pidbuf, NULL };

		pid = spawn(argv, "attach");
	}
	if (pid < 0)
		goto out;
	code = wait_exit(pid, 90, "attach");
	if (code != 0) {
		fail("leakwatch exited with %d", code);
		dump("attach", "err");
		goto out;
	}
	root = load(json);
	if (root) {
		check_report(root, 1 + POOL, 2 * LEAK, LEAK, false);
		json_object_put(root);
	}
out:
	kill(wpid, SIGKILL);
	waitpid(wpid, NULL, 0);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "launch", test_launch },
	{ "attach", test_attach },
};

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2)
		goto usage;
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		if (!strcmp(argv[1], tests[i].name))
			break;
	if (i == ARRAY_SIZE(tests))
		goto usage;
	if (geteuid() != 0) {
		printf("skipped: %s needs root\n", argv[1]);
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lw-thr-%s-XXXXXX", argv[1]);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	tests[i].fn();
	if (failures) {
		fprintf(stderr, "%s: %d failure%s; files kept in %s\n", argv[1],
			failures, failures == 1 ? "" : "s", tmpdir);
		return 1;
	}
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("%s: ok\n", argv[1]);
	return 0;

usage:
	fprintf(stderr, "usage: %s launch|attach\n", argv[0]);
	return 2;
}
