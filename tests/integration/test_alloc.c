/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Integration tests of the allocation family: runs the real leakwatch
 * binary on the workloads of tests/workloads (ground truth in workload.h),
 * parses its JSON report and asserts exact live figures per site.  One
 * subcommand per ctest test; exits 77 when not root.  Paths come from the
 * environment (see CMakeLists.txt).
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
#include <pty.h>

#include "workload.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LW_TIMEOUT_S 60 /* slack for leakwatch beyond its own window */

/* The colour of a LEAK verdict (render.h's LW_C_LEAK). */
#define LW_RED "\033[1;31m"

static char tmpdir[256]; /* short: file names fit in PATH_MAX */
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

/* Diff-style mismatch: "-" is the ground truth, "+" what leakwatch said. */
static void fail_diff(const char *what, const char *expected,
		      const char *actual)
{
	failures++;
	fprintf(stderr, "FAIL: %s\n-\t%s\n+\t%s\n", what, expected, actual);
}

static void fail_diff_u64(const char *site, const char *field,
			  uint64_t expected, uint64_t actual)
{
	char what[256], e[32], a[32];

	snprintf(what, sizeof(what), "%s: %s", site, field);
	snprintf(e, sizeof(e), "%" PRIu64, expected);
	snprintf(a, sizeof(a), "%" PRIu64, actual);
	fail_diff(what, e, a);
}

static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fail("%s is not set (run the test through ctest)", name);
		return NULL;
	}
	if (access(v, R_OK)) {
		fail("%s: \"%s\": %s", name, v, strerror(errno));
		return NULL;
	}
	return v;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
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

/* Text report headers: "leakwatch MODE: PID N (comm) exe, traced ...". */
static size_t count_headers(const char *s)
{
	size_t n = 0;
	const char *p = s;

	while (*p) {
		const char *eol = strchrnul(p, '\n');
		const char *pid = strstr(p, ": PID ");

		if (!strncmp(p, "leakwatch ", 10) && pid && pid < eol)
			n++;
		p = *eol ? eol + 1 : eol;
	}
	return n;
}

static size_t count_lines(const char *s, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	const char *p = s;

	while (*p) {
		if (!strncmp(p, prefix, plen))
			n++;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return n;
}

/*
 * Fork and exec argv with stdout/stderr to tmpdir/TAG.out and TAG.err and
 * stdin from /dev/null; env_add entries ("K=V") are added to the
 * environment.  Returns the PID or -1.
 */
static pid_t spawn(char *const argv[], char *const env_add[], const char *tag)
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
		for (i = 0; env_add && env_add[i]; i++)
			putenv(env_add[i]);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	fprintf(stderr, "run [%s]:", tag);
	for (i = 0; env_add && env_add[i]; i++)
		fprintf(stderr, " %s", env_add[i]);
	for (i = 0; argv[i]; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "\n");
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* Wait for pid; killed and counted as a failure after timeout_s.
 * Returns the exit code, 128 + signal, or -1. */
static int wait_exit(pid_t pid, int timeout_s, const char *tag)
{
	int status, i;

	for (i = 0; i < timeout_s * 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		}
		if (r < 0)
			return -1;
		sleep_ms(50);
	}
	fail("%s: still running after %d s, killed", tag, timeout_s);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static int run(char *const argv[], char *const env_add[], const char *tag,
	       int timeout_s)
{
	pid_t pid = spawn(argv, env_add, tag);

	if (pid < 0)
		return -1;
	return wait_exit(pid, timeout_s, tag);
}

static bool wait_file(const char *path, int timeout_s)
{
	int i;

	for (i = 0; i < timeout_s * 50; i++) {
		if (!access(path, F_OK))
			return true;
		sleep_ms(20);
	}
	return false;
}

/* Wait until tmpdir/TAG.out holds "ready". */
static bool wait_ready(const char *tag, int timeout_s)
{
	char path[PATH_MAX];
	int i;

	snprintf(path, sizeof(path), "%s/%s.out", tmpdir, tag);
	for (i = 0; i < timeout_s * 50; i++) {
		char *s = read_all(path);
		bool ok = strstr(s, "ready") != NULL;

		free(s);
		if (ok)
			return true;
		sleep_ms(20);
	}
	fail("%s: the workload never printed \"ready\"", tag);
	return false;
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

static struct json_object *load_report(const char *path)
{
	struct json_object *root = json_object_from_file(path);

	if (!root)
		fail("cannot parse the JSON report \"%s\": %s", path,
		     json_util_get_last_err());
	return root;
}

/* "leak_node" matches "leak_node" and the demangled "leak_node(int)". */
static bool func_is(const char *function, const char *name)
{
	size_t n = strlen(name);

	return function && !strncmp(function, name, n) &&
	       (function[n] == '\0' || function[n] == '(');
}

/* An expected site after applying the step count and skip list. */
struct expect {
	const char *func;
	enum wl_class cls;
	const char *kind;
	uint64_t count, bytes;
	const char *file; /* basename of the source on the matched frame */
	const char *module; /* realpath of the object, NULL: not checked */
	bool loose; /* verdict only: live figures not known in advance */
};

/* What the report holds for one expected function (all its sites). */
struct seen {
	int nr_sites;
	uint64_t count, bytes, total_allocs;
	bool any_leak;
	const char *verdict, *kind; /* of the first site */
	struct json_object *frame; /* the matched frame of the first site */
};

/* Index in ex[] of the first frame naming one of the expected functions. */
static int match_site(struct json_object *site, const struct expect *ex,
		      size_t nr, struct json_object **ret_frame)
{
	struct json_object *stack = jget(site, "stack");
	size_t i, j, n = json_object_array_length(stack);

	for (i = 0; i < n; i++) {
		struct json_object *fr = json_object_array_get_idx(stack, i);
		const char *fn = jstr(fr, "function");

		for (j = 0; fn && j < nr; j++) {
			if (func_is(fn, ex[j].func)) {
				*ret_frame = fr;
				return (int)j;
			}
		}
	}
	return -1;
}

static void print_site(FILE *f, struct json_object *site)
{
	struct json_object *stack = jget(site, "stack");
	size_t i, n = json_object_array_length(stack);

	fprintf(f, "  %-7s %-14s count=%-6" PRIu64 " bytes=%-8" PRIu64 " allocs=%" PRIu64 " frees=%" PRIu64 "\n",
		jstr(site, "verdict"), jstr(site, "kind"),
		ju64(site, "live_count"), ju64(site, "live_bytes"),
		ju64(site, "total_allocs"), ju64(site, "total_frees"));
	for (i = 0; i < n && i < 6; i++) {
		struct json_object *fr = json_object_array_get_idx(stack, i);
		const char *file = jstr(fr, "file");

		fprintf(f, "      #%zu %s %s in %s", i, jstr(fr, "address"),
			jstr(fr, "function") ?: "??",
			jstr(fr, "module") ?: "??");
		if (file)
			fprintf(f, " (%s:%" PRIu64 ")", file, ju64(fr, "line"));
		fputc('\n', f);
	}
}

static void print_sites(struct json_object *root)
{
	struct json_object *sites = jget(jget(root, "allocations"), "sites");
	size_t i, n = json_object_array_length(sites);

	fprintf(stderr, "report: %zu sites\n", n);
	for (i = 0; i < n; i++)
		print_site(stderr, json_object_array_get_idx(sites, i));
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* Compare one expected site with what was seen. */
static void check_one(const struct expect *e, const struct seen *s,
		      bool check_frames)
{
	char what[256];
	const char *file, *module;

	if (e->cls == WL_FREED) {
		if (s->nr_sites && (s->count || s->bytes)) {
			snprintf(what, sizeof(what), "%s: live blocks", e->func);
			fail_diff(what, "site absent (everything freed)",
				  "site listed with live blocks");
			fail_diff_u64(e->func, "live_count", 0, s->count);
		}
		return;
	}
	if (!s->nr_sites) {
		if (e->cls == WL_NOT_LEAK)
			return;
		snprintf(what, sizeof(what), "%s: site", e->func);
		fail_diff(what, "listed", "absent from the report");
		return;
	}
	if (e->cls == WL_LEAK && !s->any_leak) {
		snprintf(what, sizeof(what), "%s: verdict", e->func);
		fail_diff(what, "leak", s->verdict ?: "(none)");
	}
	if (e->cls != WL_LEAK && s->any_leak) {
		snprintf(what, sizeof(what), "%s: verdict", e->func);
		fail_diff(what, "not leak (stable or growing)", "leak");
	}
	if (e->cls == WL_NOT_LEAK || e->loose)
		return;
	if (s->nr_sites != 1) {
		snprintf(what, sizeof(what), "%s: number of sites", e->func);
		fail_diff(what, "1", s->nr_sites > 1 ? "several" : "0");
	}
	if (s->count != e->count)
		fail_diff_u64(e->func, "live_count", e->count, s->count);
	if (s->bytes != e->bytes)
		fail_diff_u64(e->func, "live_bytes", e->bytes, s->bytes);
	if (e->kind && (!s->kind || strcmp(e->kind, s->kind))) {
		snprintf(what, sizeof(what), "%s: kind", e->func);
		fail_diff(what, e->kind, s->kind ?: "(null)");
	}
	if (!check_frames || e->cls != WL_LEAK)
		return;
	file = jstr(s->frame, "file");
	module = jstr(s->frame, "module");
	if (!file || strcmp(base_name(file), e->file)) {
		snprintf(what, sizeof(what), "%s: frame file", e->func);
		fail_diff(what, e->file, file ?: "(null)");
	}
	if (json_object_get_int(jget(s->frame, "line")) <= 0) {
		snprintf(what, sizeof(what), "%s: frame line", e->func);
		fail_diff(what, "> 0", jstr(s->frame, "line") ?: "(null)");
	}
	if (e->module && (!module || strcmp(module, e->module))) {
		snprintf(what, sizeof(what), "%s: frame module", e->func);
		fail_diff(what, e->module, module ?: "(null)");
	}
}

/*
 * Check the sites of a report against ex[]: exact figures, verdicts, frames
 * (file/line/module, when check_frames), no leak verdict on any other site,
 * and no dropped event.  ret_seen (may be NULL) gets what was seen.
 */
static void check_sites(struct json_object *root, const struct expect *ex,
			size_t nr, bool check_frames, struct seen *ret_seen)
{
	struct json_object *alloc = jget(root, "allocations");
	struct json_object *sites = jget(alloc, "sites");
	struct seen seen[64] = { 0 };
	size_t i, n = json_object_array_length(sites);
	int before = failures;

	if (!alloc || !sites) {
		fail("report has no allocations.sites");
		return;
	}
	if (ju64(alloc, "dropped_events"))
		fail_diff_u64("allocations", "dropped_events", 0,
			      ju64(alloc, "dropped_events"));
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);
		struct json_object *frame = NULL;
		const char *verdict = jstr(site, "verdict");
		int j = match_site(site, ex, nr, &frame);

		if (j < 0) {
			if (verdict && !strcmp(verdict, "leak")) {
				fail("a site outside the workload's functions has verdict \"leak\":");
				print_site(stderr, site);
			}
			continue;
		}
		if (!seen[j].nr_sites++) {
			seen[j].verdict = verdict;
			seen[j].kind = jstr(site, "kind");
			seen[j].frame = frame;
		}
		seen[j].count += ju64(site, "live_count");
		seen[j].bytes += ju64(site, "live_bytes");
		seen[j].total_allocs += ju64(site, "total_allocs");
		if (verdict && !strcmp(verdict, "leak"))
			seen[j].any_leak = true;
	}
	for (i = 0; i < nr; i++)
		check_one(&ex[i], &seen[i], check_frames);
	if (failures != before)
		print_sites(root);
	if (ret_seen)
		memcpy(ret_seen, seen, nr * sizeof(*seen));
}

static bool skip_has(const char *skip, const char *key)
{
	size_t n;
	const char *p = skip;

	if (!key || !skip)
		return false;
	n = strlen(key);
	while ((p = strstr(p, key))) {
		if ((p == skip || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

/* Expectations from a workload.h table; skipped sites must be absent. */
static size_t expect_from(const struct wl_site *tab, size_t nr, long steps,
			  const char *skip, const char *file,
			  const char *module, struct expect *ex)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		const struct wl_site *w = &tab[i];

		ex[i] = (struct expect){
			.func = w->func,
			.cls = w->cls,
			.kind = w->kind,
			.count = w->count_per_step * steps + w->count_once,
			.bytes = w->bytes_per_step * steps + w->bytes_once,
			.file = file,
			.module = module,
		};
		if (skip_has(skip, w->skip))
			ex[i].cls = WL_FREED;
	}
	return nr;
}

static void check_header(struct json_object *root, const char *mode,
			 int pid, int exited)
{
	struct json_object *t = jget(root, "target");
	const char *m = jstr(root, "mode");
	char e[32], a[32];

	if (json_object_get_int(jget(root, "version")) != 1)
		fail("report version is not 1");
	if (!m || strcmp(m, mode))
		fail_diff("mode", mode, m ?: "(null)");
	if (pid > 0 && json_object_get_int(jget(t, "pid")) != pid) {
		snprintf(e, sizeof(e), "%d", pid);
		snprintf(a, sizeof(a), "%d", json_object_get_int(jget(t, "pid")));
		fail_diff("target.pid", e, a);
	}
	if (exited >= 0 &&
	    json_object_get_boolean(jget(t, "exited")) != !!exited)
		fail_diff("target.exited", exited ? "true" : "false",
			  exited ? "false" : "true");
}

static char *real(const char *path)
{
	static char buf[4][PATH_MAX];
	static int k;
	char *b = buf[k++ % 4];

	if (!realpath(path, b))
		snprintf(b, PATH_MAX, "%s", path);
	return b;
}

static int check_exit(const char *tag, int code, int want)
{
	char e[16], a[16], what[64];

	if (code == want)
		return 0;
	snprintf(what, sizeof(what), "%s: exit code", tag);
	snprintf(e, sizeof(e), "%d", want);
	snprintf(a, sizeof(a), "%d", code);
	fail_diff(what, e, a);
	dump_file(tag, "out");
	dump_file(tag, "err");
	return -1;
}

/* ---- scenarios ---- */

/*
 * Run leakwatch as argv (writing its JSON report to json), expect exit 0
 * within secs, and load the report.  NULL after a failure (reported).
 */
static struct json_object *run_report(const char *tag, char *const argv[],
				      int secs, const char *json)
{
	if (check_exit(tag, run(argv, NULL, tag, secs), 0))
		return NULL;
	return load_report(json);
}

/*
 * `leakwatch diagnose -d SECS --json J -- exe args...` on alloc_workload
 * (or a variant): the target exits after its schedule, exact figures.
 */
static void launch_alloc(const char *tag, const char *exe_env,
			 const char *skip, const char *child_env)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path(exe_env);
	struct expect ex[ARRAY_SIZE(wl_alloc_sites)];
	char json[PATH_MAX];
	struct json_object *root;
	char *out;
	size_t nr;

	if (!lw || !exe)
		return;
	tmp_path(json, sizeof(json), "report.json");
	{
		/* The child's environment goes through --env: a sanitized
		 * leakwatch must not get LD_PRELOAD itself. */
		char *argv[] = { (char *)lw, "diagnose", "-d", "6", "--json",
				 json, "--env", (char *)(child_env ?: "LW_UNUSED=1"),
				 "--", (char *)exe, "--skip",
				 (char *)(skip ?: ""), NULL };

		root = run_report(tag, argv, 6 + LW_TIMEOUT_S, json);
	}
	if (!root)
		return;
	check_header(root, "diagnose", 0, 1);
	nr = expect_from(wl_alloc_sites, ARRAY_SIZE(wl_alloc_sites), WL_STEPS,
			 skip, "alloc_workload.c", real(exe), ex);
	check_sites(root, ex, nr, true, NULL);

	/* The text report went to stdout at the same time. */
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s.out", tmpdir, tag);
		out = read_all(path);
	}
	if (count_headers(out) != 1 || !strstr(out, "LEAK")) {
		fail("%s: the text report on stdout lacks its header or a LEAK row",
		     tag);
		dump_file(tag, "out");
	}
	free(out);
	json_object_put(root);
}

static void test_basic(void)
{
	launch_alloc("basic", "LW_ALLOC_WORKLOAD", "", NULL);
}

/* -O2 without frame pointers: short stacks, same exact sites. */
static void test_o2(void)
{
	launch_alloc("o2", "LW_ALLOC_WORKLOAD_O2", NULL, NULL);
}

static void test_static(void)
{
	launch_alloc("static", "LW_ALLOC_WORKLOAD_STATIC", "", NULL);
}

static void test_musl(void)
{
	const char *v = getenv("LW_ALLOC_WORKLOAD_MUSL");

	if (!v || !*v || access(v, X_OK)) {
		fail("alloc_workload_musl was not built: musl-gcc is missing (install musl-tools and reconfigure)");
		return;
	}
	/* musl 1.2 has no pvalloc(). */
	launch_alloc("musl", "LW_ALLOC_WORKLOAD_MUSL", "pvalloc", NULL);
}

static void test_preload(const char *tag, const char *lib, const char *skip)
{
	char preload[PATH_MAX + 16];

	if (access(lib, R_OK)) {
		fail("%s: \"%s\" is missing (install it: the CI scripts do)",
		     tag, lib);
		return;
	}
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", lib);
	launch_alloc(tag, "LW_ALLOC_WORKLOAD", skip, preload);
}

/* jemalloc 5.3 exports neither pvalloc nor reallocarray. */
static void test_jemalloc(void)
{
	test_preload("jemalloc", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
		     "pvalloc,reallocarray");
}

/* gperftools 2.10 has pvalloc but no reallocarray. */
static void test_tcmalloc(void)
{
	test_preload("tcmalloc",
		     "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
		     "reallocarray");
}

/*
 * `leakwatch diagnose -d 6 --json J -- exe` on a workload whose sites are
 * all in tab (exact figures, no other leak).  Returns the report for
 * further checks (the caller puts it), or NULL after a failure.
 */
static struct json_object *launch_table(const char *tag, const char *exe_env,
					const struct wl_site *tab, size_t nr_tab,
					const char *source)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path(exe_env);
	struct json_object *root;
	struct expect *ex;
	char json[PATH_MAX];
	size_t nr;

	if (!lw || !exe)
		return NULL;
	tmp_path(json, sizeof(json), "report.json");
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "6", "--json",
				 json, "--", (char *)exe, NULL };

		root = run_report(tag, argv, 6 + LW_TIMEOUT_S, json);
	}
	if (!root)
		return NULL;
	ex = calloc(nr_tab, sizeof(*ex));
	if (!ex) {
		fail("%s: out of memory", tag);
		json_object_put(root);
		return NULL;
	}
	check_header(root, "diagnose", 0, 1);
	nr = expect_from(tab, nr_tab, WL_STEPS, "", source, real(exe), ex);
	check_sites(root, ex, nr, true, NULL);
	free(ex);
	return root;
}

static void test_cxx(void)
{
	json_object_put(launch_table("cxx", "LW_CXX_WORKLOAD", wl_cxx_sites,
				     ARRAY_SIZE(wl_cxx_sites),
				     "cxx_workload.cc"));
}

static void test_dlopen(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_DLOPEN_WORKLOAD");
	const char *plugin = env_path("LW_LEAKPLUGIN");
	struct expect ex[2];
	struct json_object *root;
	char json[PATH_MAX];

	if (!lw || !exe || !plugin)
		return;
	tmp_path(json, sizeof(json), "report.json");
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "6", "--json",
				 json, "--", (char *)exe, (char *)plugin,
				 NULL };

		root = run_report("dlopen", argv, 6 + LW_TIMEOUT_S, json);
	}
	if (!root)
		return;
	check_header(root, "diagnose", 0, 1);
	ex[0] = (struct expect){ "main_leak", WL_LEAK, "malloc", WL_STEPS,
				 WL_STEPS * WL_MALLOC_SIZE,
				 "dlopen_workload.c", real(exe), false };
	ex[1] = (struct expect){ "plugin_leak", WL_LEAK, "malloc",
				 WL_STEPS - WL_DLOPEN_STEP,
				 (WL_STEPS - WL_DLOPEN_STEP) * WL_PLUGIN_SIZE,
				 "leakplugin.c", real(plugin), false };
	check_sites(root, ex, 2, true, NULL);
	json_object_put(root);
}

/*
 * Attach to a running workload waiting for SIGUSR1: diagnose -p with a
 * ready file, then let it go.  With remove_exe the executable is deleted
 * before attaching; its sites must still be named.
 */
static void attach_alloc(const char *tag, bool remove_exe)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_ALLOC_WORKLOAD");
	struct expect ex[ARRAY_SIZE(wl_alloc_sites)];
	char json[PATH_MAX], ready[PATH_MAX], copy[PATH_MAX], pidstr[16];
	char wtag[64];
	struct json_object *root = NULL;
	pid_t wl, lwp;
	int code;

	if (!lw || !exe)
		return;
	snprintf(wtag, sizeof(wtag), "%s-workload", tag);
	tmp_path(json, sizeof(json), "report.json");
	tmp_path(ready, sizeof(ready), "ready");
	snprintf(copy, sizeof(copy), "%s", exe);
	if (remove_exe) {
		char cmd[3 * PATH_MAX];

		tmp_path(copy, sizeof(copy), "alloc_workload_copy");
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'",
			 exe, copy, copy);
		if (system(cmd)) {
			fail("cannot copy the workload");
			return;
		}
	}
	{
		char *argv[] = { copy, "--wait", NULL };

		wl = spawn(argv, NULL, wtag);
	}
	if (wl < 0)
		return;
	if (!wait_ready(wtag, 10))
		goto out_kill;
	if (remove_exe && unlink(copy)) {
		fail("unlink \"%s\": %s", copy, strerror(errno));
		goto out_kill;
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)wl);
	{
		char *argv[] = { (char *)lw, "diagnose", "-p", pidstr, "-d",
				 "6", "--ready-file", ready, "--json", json,
				 NULL };

		lwp = spawn(argv, NULL, tag);
	}
	if (lwp < 0)
		goto out_kill;
	if (!wait_file(ready, 30)) {
		fail("%s: leakwatch never created its --ready-file", tag);
		dump_file(tag, "err");
		kill(lwp, SIGKILL);
		waitpid(lwp, NULL, 0);
		goto out_kill;
	}
	kill(wl, SIGUSR1);
	code = wait_exit(lwp, 6 + LW_TIMEOUT_S, tag);
	if (check_exit(tag, code, 0))
		goto out_kill;
	root = load_report(json);
	if (!root)
		goto out_kill;
	check_header(root, "diagnose", wl, 1);
	expect_from(wl_alloc_sites, ARRAY_SIZE(wl_alloc_sites), WL_STEPS, "",
		    "alloc_workload.c", remove_exe ? NULL : real(exe), ex);
	/* A deleted executable may have lost its file/line: names suffice. */
	check_sites(root, ex, ARRAY_SIZE(ex), !remove_exe, NULL);
	json_object_put(root);
out_kill:
	kill(wl, SIGKILL);
	waitpid(wl, NULL, 0);
}

static void test_attach(void)
{
	attach_alloc("attach", false);
}

static void test_deleted(void)
{
	attach_alloc("deleted", true);
}

/* `leakwatch attach -i 1` for ~3.5 s, then SIGINT. */
static void test_attach_mode(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_ALLOC_WORKLOAD");
	char json[PATH_MAX], path[PATH_MAX], pidstr[16];
	struct json_object *root;
	pid_t wl, lwp;
	size_t headers;
	char *out;
	int code;

	if (!lw || !exe)
		return;
	tmp_path(json, sizeof(json), "report.json");
	{
		char *argv[] = { (char *)exe, "--steps", "1000000", NULL };

		wl = spawn(argv, NULL, "attach_mode-workload");
	}
	if (wl < 0)
		return;
	snprintf(pidstr, sizeof(pidstr), "%d", (int)wl);
	{
		char *argv[] = { (char *)lw, "attach", "-p", pidstr, "-i", "1",
				 "--json", json, NULL };

		lwp = spawn(argv, NULL, "attach_mode");
	}
	if (lwp < 0)
		goto out_kill;
	sleep_ms(3500);
	kill(lwp, SIGINT);
	code = wait_exit(lwp, LW_TIMEOUT_S, "attach_mode");
	if (check_exit("attach_mode", code, 0))
		goto out_kill;
	snprintf(path, sizeof(path), "%s/attach_mode.out", tmpdir);
	out = read_all(path);
	headers = count_headers(out);
	if (headers < 3) {
		char a[16];

		snprintf(a, sizeof(a), "%zu", headers);
		fail_diff("attach_mode: text reports on stdout",
			  ">= 3 (2 interim + final)", a);
		dump_file("attach_mode", "out");
	}
	free(out);
	root = load_report(json);
	if (!root)
		goto out_kill;
	check_header(root, "attach", wl, 0);
	if (!json_object_get_boolean(jget(root, "final")))
		fail_diff("attach_mode: final", "true", "false or missing");
	if (!json_object_get_boolean(jget(root, "interrupted")))
		fail_diff("attach_mode: interrupted", "true", "false or missing");
	if (ju64(jget(root, "allocations"), "dropped_events"))
		fail_diff_u64("allocations", "dropped_events", 0,
			      ju64(jget(root, "allocations"), "dropped_events"));
	json_object_put(root);
out_kill:
	kill(wl, SIGKILL);
	waitpid(wl, NULL, 0);
}

/* Programs of leakwatch's skeleton currently loaded. */
static int count_lw_progs(void)
{
	FILE *p = popen("bpftool prog show 2>&1", "r");
	char line[1024];
	int n = 0;

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, " name alloc_enter ") ||
		    strstr(line, " name free_enter "))
			n++;
	if (pclose(p))
		return -1;
	return n;
}

/* SIGTERM cuts a 60 s window short: report, exit 0, probes gone. */
static void test_sigterm(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_ALLOC_WORKLOAD");
	struct expect ex[ARRAY_SIZE(wl_alloc_sites)];
	struct seen seen[ARRAY_SIZE(wl_alloc_sites)];
	struct json_object *root;
	char json[PATH_MAX], ready[PATH_MAX], path[PATH_MAX];
	size_t i;
	int code, before, after;
	pid_t lwp;
	char *out;

	if (!lw || !exe)
		return;
	before = count_lw_progs();
	if (before < 0) {
		fail("bpftool prog show failed");
		return;
	}
	tmp_path(json, sizeof(json), "report.json");
	tmp_path(ready, sizeof(ready), "ready");
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "60",
				 "--ready-file", ready, "--json", json, "--",
				 (char *)exe, "--steps", "1000000",
				 "--step-ms", "100", NULL };

		lwp = spawn(argv, NULL, "sigterm");
	}
	if (lwp < 0)
		return;
	if (!wait_file(ready, 30)) {
		fail("sigterm: leakwatch never created its --ready-file");
		kill(lwp, SIGKILL);
		waitpid(lwp, NULL, 0);
		return;
	}
	sleep_ms(2000);
	kill(lwp, SIGTERM);
	code = wait_exit(lwp, 15, "sigterm");
	if (check_exit("sigterm", code, 0))
		return;
	snprintf(path, sizeof(path), "%s/sigterm.out", tmpdir);
	out = read_all(path);
	if (count_headers(out) != 1) {
		fail("sigterm: no text report on stdout");
		dump_file("sigterm", "out");
	}
	free(out);
	/* The kernel frees programs after their last reference goes, an
	 * RCU grace period or so after leakwatch exits; and another
	 * leakwatch on the machine may come and go meanwhile: allow 5 s. */
	after = count_lw_progs();
	for (i = 0; i < 50 && after != before; i++) {
		sleep_ms(100);
		after = count_lw_progs();
	}
	if (after != before) {
		char e[16], a[16];

		snprintf(e, sizeof(e), "%d", before);
		snprintf(a, sizeof(a), "%d", after);
		fail_diff("sigterm: alloc_enter/free_enter programs loaded after exit",
			  e, a);
	}
	root = load_report(json);
	if (!root)
		return;
	check_header(root, "diagnose", 0, -1);
	if (!json_object_get_boolean(jget(root, "interrupted")))
		fail_diff("sigterm: interrupted", "true", "false or missing");
	/*
	 * A cut window: verdicts as usual, but the figures depend on when
	 * the signal came; leak_malloc (ex[0]) must hold every block it made.
	 */
	expect_from(wl_alloc_sites, ARRAY_SIZE(wl_alloc_sites), 0, "",
		    "alloc_workload.c", NULL, ex);
	for (i = 0; i < ARRAY_SIZE(ex); i++) {
		ex[i].loose = true;
		if (ex[i].cls != WL_LEAK)
			ex[i].cls = WL_NOT_LEAK;
	}
	check_sites(root, ex, ARRAY_SIZE(ex), false, seen);
	if (!seen[0].nr_sites || !seen[0].count) {
		fail("sigterm: leak_malloc holds no live block");
	} else {
		if (seen[0].count != seen[0].total_allocs)
			fail_diff_u64("leak_malloc", "live_count (= total_allocs)",
				      seen[0].total_allocs, seen[0].count);
		if (seen[0].bytes != seen[0].count * WL_MALLOC_SIZE)
			fail_diff_u64("leak_malloc", "live_bytes",
				      seen[0].count * WL_MALLOC_SIZE,
				      seen[0].bytes);
	}
	json_object_put(root);
}

static void expect_error(const char *tag, char *const argv[], int want,
			 const char *must_mention, const char *alt)
{
	char path[PATH_MAX];
	char *err;
	int code = run(argv, NULL, tag, 30);

	if (check_exit(tag, code, want))
		return;
	snprintf(path, sizeof(path), "%s/%s.err", tmpdir, tag);
	err = read_all(path);
	if (must_mention && !strstr(err, must_mention) &&
	    !(alt && strstr(err, alt))) {
		char what[128];

		snprintf(what, sizeof(what), "%s: stderr mentions", tag);
		fail_diff(what, must_mention, err);
	}
	if (want == 1 && count_lines(err, "") != 1) {
		char what[128];

		snprintf(what, sizeof(what), "%s: stderr lines", tag);
		fail_diff(what, "exactly one line", err);
	}
	free(err);
}

static void test_errors(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	char pidstr[16], self[16], copy[PATH_MAX], cmd[3 * PATH_MAX];
	pid_t gone;

	if (!lw)
		return;

	/* A PID that just exited and was reaped. */
	gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)gone);
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "1", "-p",
				 pidstr, NULL };

		expect_error("no_pid", argv, 1, pidstr, NULL);
	}
	{
		char *argv[] = { (char *)lw, "diagnose", NULL };

		expect_error("usage", argv, 2, NULL, NULL);
	}
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "1", "--",
				 "/nonexistent/lw-no-such-command", NULL };

		expect_error("no_cmd", argv, 1,
			     "/nonexistent/lw-no-such-command", NULL);
	}

	/* A stripped static binary has no symbols to find its malloc. */
	{
		const char *st = env_path("LW_ALLOC_WORKLOAD_STATIC");
		char stripped[PATH_MAX], sh[3 * PATH_MAX];

		tmp_path(stripped, sizeof(stripped), "stripped-static");
		snprintf(sh, sizeof(sh), "strip --strip-all -o '%s' '%s'",
			 stripped, st ? st : "/nonexistent");
		if (!st || system(sh)) {
			fail("cannot make a stripped copy of alloc_workload_static");
		} else {
			char *argv[] = { (char *)lw, "diagnose", "-d", "1",
					 "--", stripped, NULL };

			expect_error("stripped_static", argv, 1,
				     "no allocator functions", NULL);
		}
	}

	/* Unprivileged: a copy nobody can run, outside any private dir. */
	if (access("/usr/bin/setpriv", X_OK)) {
		fail("/usr/bin/setpriv is missing (util-linux)");
		return;
	}
	tmp_path(copy, sizeof(copy), "leakwatch");
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'", lw, copy,
		 copy);
	if (system(cmd)) {
		fail("cannot copy leakwatch");
		return;
	}
	snprintf(self, sizeof(self), "%d", (int)getpid());
	{
		char *argv[] = { "/usr/bin/setpriv", "--reuid=65534",
				 "--regid=65534", "--clear-groups", copy,
				 "diagnose", "-d", "1", "-p", self, NULL };

		expect_error("unprivileged", argv, 1, "root", "sudo");
	}
}

/*
 * `go tool pprof -raw FILE` must read the profile, and the sample whose
 * innermost frame is func must carry count objects and bytes bytes.
 */
static void check_pprof(const char *tag, const char *file, const char *func,
			uint64_t count, uint64_t bytes)
{
	const char *go = env_path("LW_GO");
	char rtag[64], path[PATH_MAX], *out, *p, *line;
	unsigned long loc = 0;
	bool found = false;

	if (!go)
		return;
	snprintf(rtag, sizeof(rtag), "%s-pprof", tag);
	{
		char *argv[] = { (char *)go, "tool", "pprof", "-raw",
				 (char *)file, NULL };

		if (check_exit(rtag, run(argv, NULL, rtag, 60), 0))
			return;
	}
	snprintf(path, sizeof(path), "%s/%s.out", tmpdir, rtag);
	out = read_all(path);
	if (!out)
		return;
	/* "Locations" lines: "     3: 0x55.. M=1 func file:line s=0". */
	p = strstr(out, "\nLocations\n");
	for (line = p; line && !loc; line = strchr(line + 1, '\n')) {
		unsigned long id;
		char name[256];

		if (sscanf(line + 1, " %lu: %*s %*s %255s", &id, name) == 2 &&
		    !strcmp(name, func))
			loc = id;
	}
	/* Sample lines: "        248      15872: 1 2 3 4". */
	for (line = out; loc && (line = strchr(line, '\n'));) {
		unsigned long long c, b;
		unsigned long first;

		line++;
		if (p && line > p)
			break;
		if (sscanf(line, " %llu %llu: %lu", &c, &b, &first) == 3 &&
		    first == loc) {
			found = true;
			if (c != count || b != bytes)
				fail("%s: pprof sample of %s: %llu objects, %llu bytes; expected %" PRIu64 ", %" PRIu64,
				     tag, func, c, b, count, bytes);
		}
	}
	if (!found) {
		fail("%s: no pprof sample starting at %s", tag, func);
		dump_file(rtag, "out");
	}
	free(out);
}

/* The README demo: the audit records leak, the cache and queue do not. */
static void test_demo(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_LEAKY_DEMO");
	struct expect ex[4];
	struct seen seen[4];
	struct json_object *root;
	char json[PATH_MAX], pprof[PATH_MAX];

	if (!lw || !exe)
		return;
	tmp_path(json, sizeof(json), "report.json");
	tmp_path(pprof, sizeof(pprof), "heap.pb.gz");
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "4", "--json",
				 json, "--pprof", pprof, "--", (char *)exe,
				 NULL };

		root = run_report("demo", argv, 4 + LW_TIMEOUT_S, json);
	}
	if (!root)
		return;
	check_header(root, "diagnose", 0, -1);
	/* Fixed figures: 64 sessions of 256 B, a ring of 16 x 128 B. */
	ex[0] = (struct expect){ "record_audit_entry", WL_LEAK, "malloc", 0,
				 0, "leaky_demo.c", NULL, true };
	ex[1] = (struct expect){ "fill_session_cache", WL_KEPT, "malloc", 64,
				 64 * 256, "leaky_demo.c", NULL, false };
	ex[2] = (struct expect){ "remember_request", WL_KEPT, "malloc", 16,
				 16 * 128, "leaky_demo.c", NULL, false };
	ex[3] = (struct expect){ "handle_request", WL_FREED, NULL, 0, 0,
				 "leaky_demo.c", NULL, false };
	check_sites(root, ex, 4, false, seen);
	/* The audit site: every record it made is still live. */
	if (seen[0].count < 100 || seen[0].count != seen[0].total_allocs)
		fail_diff_u64("record_audit_entry",
			      "live_count (= total_allocs, >= 100)",
			      seen[0].total_allocs, seen[0].count);
	if (seen[0].bytes != seen[0].count * WL_DEMO_AUDIT_SIZE)
		fail_diff_u64("record_audit_entry", "live_bytes",
			      seen[0].count * WL_DEMO_AUDIT_SIZE,
			      seen[0].bytes);
	if (seen[0].frame && !jstr(seen[0].frame, "file"))
		fail("record_audit_entry: frame has no file");
	check_pprof("demo", pprof, "record_audit_entry", seen[0].count,
		    seen[0].bytes);
	/* Piped output: no progress line, no colours. */
	{
		char path[PATH_MAX], *err;

		snprintf(path, sizeof(path), "%s/demo.err", tmpdir);
		err = read_all(path);
		if (err && (strstr(err, " left, ") || strchr(err, '\033')))
			fail("demo: a progress line or colour went to a pipe");
		free(err);
	}
	json_object_put(root);
}

/*
 * Diagnose the demo on a pseudo-terminal: the progress line shows up (and
 * is erased), colours are on; with NO_COLOR they are off.
 */
static char *run_on_pty(char *const argv[], const char *env_add)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int master, status;
	pid_t pid;

	if (!buf)
		return NULL;
	pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0) {
		fail("forkpty: %s", strerror(errno));
		free(buf);
		return NULL;
	}
	if (pid == 0) {
		if (env_add)
			putenv((char *)env_add);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(master, buf + len, cap - len - 1);
		if (n <= 0)
			break; /* EIO once the child side is closed */
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(master);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fail("pty run did not exit 0 (status %d)", status);
	}
	return buf;
}

static void test_tty(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_LEAKY_DEMO");
	char *out;

	if (!lw || !exe)
		return;
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "3", "--",
				 (char *)exe, NULL };

		out = run_on_pty(argv, NULL);
		if (out && !strstr(out, " left, "))
			fail("tty: no progress line on the terminal");
		if (out && !strstr(out, "\r\033[K"))
			fail("tty: the progress line was not erased");
		if (out && !strstr(out, LW_RED))
			fail("tty: no colours on a terminal");
		if (out && !strstr(out, "LEAK"))
			fail("tty: no report");
		free(out);

		out = run_on_pty(argv, "NO_COLOR=1");
		if (out && strstr(out, LW_RED))
			fail("tty: colours despite NO_COLOR");
		if (out && !strstr(out, "LEAK"))
			fail("tty: no report with NO_COLOR");
		free(out);
	}
}

/*
 * Producers and consumers on threads (mt_workload), launched held at its
 * entry: cross-thread frees, a thread-local cache, exact figures, and
 * every free matches a block seen allocated.
 */
static void test_threads(void)
{
	struct json_object *root, *alloc;

	root = launch_table("threads", "LW_MT_WORKLOAD", wl_mt_sites,
			    ARRAY_SIZE(wl_mt_sites), "mt_workload.c");
	if (!root)
		return;
	alloc = jget(root, "allocations");
	if (ju64(alloc, "unknown_frees"))
		fail_diff_u64("allocations", "unknown_frees", 0,
			      ju64(alloc, "unknown_frees"));
	json_object_put(root);
}

/* Live figures summed over every site whose stack names func. */
static void sum_func(struct json_object *root, const char *func,
		     struct seen *s)
{
	struct json_object *sites = jget(jget(root, "allocations"), "sites");
	struct expect one = { .func = func };
	size_t i, n = json_object_array_length(sites);

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);
		struct json_object *frame = NULL;

		if (match_site(site, &one, 1, &frame) < 0)
			continue;
		s->nr_sites++;
		s->count += ju64(site, "live_count");
		s->bytes += ju64(site, "live_bytes");
		s->total_allocs += ju64(site, "total_allocs");
	}
}

/* The first line of s holding both needles, as a new string, or NULL. */
static char *find_line(const char *s, const char *a, const char *b)
{
	const char *p = s;

	while (*p) {
		const char *eol = strchrnul(p, '\n');
		char *line = strndup(p, eol - p);

		if (line && strstr(line, a) && strstr(line, b))
			return line;
		free(line);
		p = *eol ? eol + 1 : eol;
	}
	return NULL;
}

/*
 * A malloc/free flood through a 1 MiB ring buffer: records may be lost,
 * but never silently.  Either nothing was dropped and the figures are
 * exact, or the drops add up, the text report warns, and the leak site's
 * count is off by no more than the drops allow.  With stall_ms, leakwatch
 * is stopped (SIGSTOP) that long once its probes are attached, so the
 * ring fills while the flood goes on: that run must drop events.
 */
static void drops_run(const char *tag, int stall_ms)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_FLOOD_WORKLOAD");
	struct json_object *root, *alloc, *drops;
	uint64_t dropped, full, stack_failed, stack_lost, inflight, free_lost;
	uint64_t made = WL_FLOOD_PAIRS + WL_FLOOD_LEAKS, sum, lo, hi;
	struct expect ex[2];
	struct seen seen;
	char json[PATH_MAX], ready[PATH_MAX], path[PATH_MAX];
	char name[64], what[128];
	char *out, *warning;
	pid_t lwp;
	int code;

	if (!lw || !exe)
		return;
	snprintf(name, sizeof(name), "%s.json", tag);
	tmp_path(json, sizeof(json), name);
	snprintf(name, sizeof(name), "%s.ready", tag);
	tmp_path(ready, sizeof(ready), name);
	{
		/* The window only bounds a starved run: the report comes as
		 * soon as the flood ends (a few seconds on a quiet machine),
		 * but on a loaded one 2M traced pairs can take far longer. */
		char *plain[] = { (char *)lw, "diagnose", "--ring-mb", "1",
				  "-d", "50", "--json", json, "--",
				  (char *)exe, NULL };
		char *stalled[] = { (char *)lw, "diagnose", "--ring-mb", "1",
				    "-d", "50", "--json", json,
				    "--ready-file", ready, "--", (char *)exe,
				    NULL };

		lwp = spawn(stall_ms ? stalled : plain, NULL, tag);
	}
	if (lwp < 0)
		return;
	if (stall_ms) {
		if (!wait_file(ready, 30)) {
			fail("%s: leakwatch never created its --ready-file", tag);
			dump_file(tag, "err");
			kill(lwp, SIGKILL);
			waitpid(lwp, NULL, 0);
			return;
		}
		kill(lwp, SIGSTOP);
		sleep_ms(stall_ms);
		kill(lwp, SIGCONT);
		fprintf(stderr, "%s: leakwatch stopped for %d ms after attach\n",
			tag, stall_ms);
	}
	code = wait_exit(lwp, 20 + LW_TIMEOUT_S, tag);
	if (check_exit(tag, code, 0))
		return;
	root = load_report(json);
	if (!root)
		return;
	/* The flood must end inside the window: all its leaks were made. */
	check_header(root, "diagnose", 0, 1);
	alloc = jget(root, "allocations");
	drops = jget(alloc, "drops");
	if (!alloc || !drops) {
		fail("%s: report has no allocations.drops", tag);
		goto out_put;
	}
	snprintf(path, sizeof(path), "%s/%s.out", tmpdir, tag);
	out = read_all(path);
	warning = find_line(out, "WARNING", "events dropped");
	dropped = ju64(alloc, "dropped_events");
	full = ju64(drops, "ringbuf_full");
	stack_failed = ju64(drops, "stack_failed");
	stack_lost = ju64(drops, "stack_rec_lost");
	inflight = ju64(drops, "inflight_failed");
	free_lost = ju64(drops, "free_lost");
	sum_func(root, "flood_leak", &seen);
	fprintf(stderr,
		"%s: allocs %" PRIu64 ", frees %" PRIu64 ", unknown frees %" PRIu64 "; dropped_events %" PRIu64 " (ringbuf_full %" PRIu64 ", stack_failed %" PRIu64 ", stack_rec_lost %" PRIu64 ", inflight_failed %" PRIu64 ", free_lost %" PRIu64 "); flood_leak: %" PRIu64 " blocks, %" PRIu64 " bytes in %d site%s\n",
		tag, ju64(alloc, "total_allocs"), ju64(alloc, "total_frees"),
		ju64(alloc, "unknown_frees"), dropped, full, stack_failed,
		stack_lost, inflight, free_lost, seen.count, seen.bytes,
		seen.nr_sites, seen.nr_sites == 1 ? "" : "s");

	if (!dropped) {
		fprintf(stderr, "%s: branch 1: no event dropped, exact figures required\n",
			tag);
		if (stall_ms) {
			snprintf(what, sizeof(what),
				 "%s: events dropped while leakwatch was stopped",
				 tag);
			fail_diff(what, "> 0", "0");
		}
		ex[0] = (struct expect){ "flood_leak", WL_LEAK, "malloc",
					 WL_FLOOD_LEAKS,
					 WL_FLOOD_LEAKS * WL_FLOOD_LEAK_SIZE,
					 "flood_workload.c", real(exe), false };
		ex[1] = (struct expect){ "flood_churn", WL_FREED, NULL, 0, 0,
					 "flood_workload.c", NULL, false };
		check_sites(root, ex, 2, true, NULL);
		if (ju64(alloc, "unknown_frees"))
			fail_diff_u64("allocations", "unknown_frees", 0,
				      ju64(alloc, "unknown_frees"));
		if (ju64(alloc, "total_allocs") != made)
			fail_diff_u64("allocations", "total_allocs", made,
				      ju64(alloc, "total_allocs"));
		if (ju64(alloc, "total_frees") != WL_FLOOD_PAIRS)
			fail_diff_u64("allocations", "total_frees",
				      WL_FLOOD_PAIRS,
				      ju64(alloc, "total_frees"));
		if (warning) {
			snprintf(what, sizeof(what), "%s: text report", tag);
			fail_diff(what, "no dropped-events warning", warning);
		}
		goto out_free;
	}

	fprintf(stderr, "%s: branch 2: %" PRIu64 " events dropped, the report must say so\n",
		tag, dropped);
	/* stack_rec_lost and free_lost are parts of ringbuf_full. */
	sum = full + stack_failed + inflight;
	if (sum != dropped)
		fail_diff_u64("allocations",
			      "dropped_events (ringbuf_full + stack_failed + inflight_failed)",
			      sum, dropped);
	/*
	 * Every allocation made was seen or counted as lost: a lost record
	 * that is neither a free nor a stack (both also counted in
	 * ringbuf_full) is an allocation; inflight_failed ones sent none.
	 */
	if (free_lost + stack_lost > full) {
		fail_diff_u64("allocations.drops",
			      "free_lost + stack_rec_lost (part of ringbuf_full, at most)",
			      full, free_lost + stack_lost);
	} else {
		uint64_t lost = full - free_lost - stack_lost + inflight;

		fprintf(stderr, "%s: allocations: %" PRIu64 " seen + %" PRIu64 " lost, %" PRIu64 " made\n",
			tag, ju64(alloc, "total_allocs"), lost, made);
		if (ju64(alloc, "total_allocs") + lost != made)
			fail_diff_u64("allocations",
				      "total_allocs + lost allocation records",
				      made, ju64(alloc, "total_allocs") + lost);
	}
	if (!warning) {
		snprintf(what, sizeof(what), "%s: text report on stdout", tag);
		fail_diff(what, "a line \"WARNING: N events dropped ...\"",
			  "no such line");
		dump_file(tag, "out");
	} else {
		fprintf(stderr, "%s: stdout: %s\n", tag, warning);
	}
	/* Lost allocations undercount, lost frees can make blocks look live. */
	lo = dropped < WL_FLOOD_LEAKS ? WL_FLOOD_LEAKS - dropped : 0;
	hi = WL_FLOOD_LEAKS + free_lost;
	fprintf(stderr, "%s: flood_leak live_count %" PRIu64 " must lie in [%" PRIu64 ", %" PRIu64 "]\n",
		tag, seen.count, lo, hi);
	if (seen.count < lo || seen.count > hi) {
		char e[96], a[32];

		snprintf(e, sizeof(e), "in [%" PRIu64 ", %" PRIu64 "]", lo, hi);
		snprintf(a, sizeof(a), "%" PRIu64, seen.count);
		fail_diff("flood_leak: live_count", e, a);
		print_sites(root);
	}
out_free:
	free(warning);
	free(out);
out_put:
	json_object_put(root);
}

/*
 * The run as users would make it (drops only if leakwatch cannot keep up),
 * then one that is made to drop, so both branches are exercised.
 */
static void test_drops(void)
{
	drops_run("drops", 0);
	drops_run("drops_stalled", 1500);
}

/* The live estimate of the site whose frames name func (summed). */
static void site_estimate(struct json_object *root, const char *func,
			  uint64_t *ret_count, uint64_t *ret_bytes,
			  uint64_t *ret_samples, const char **ret_verdict)
{
	struct json_object *sites = jget(jget(root, "allocations"), "sites");
	size_t i, k, n = json_object_array_length(sites);

	*ret_count = *ret_bytes = *ret_samples = 0;
	*ret_verdict = NULL;
	for (i = 0; i < n; i++) {
		struct json_object *site = json_object_array_get_idx(sites, i);
		struct json_object *stack = jget(site, "stack");

		for (k = 0; k < json_object_array_length(stack); k++) {
			const char *fn = jstr(json_object_array_get_idx(stack, k),
					      "function");

			if (!func_is(fn, func))
				continue;
			*ret_count += ju64(site, "live_count");
			*ret_bytes += ju64(site, "live_bytes");
			*ret_samples += ju64(site, "sampled_live_count");
			if (!*ret_verdict ||
			    !strcmp(jstr(site, "verdict"), "leak"))
				*ret_verdict = jstr(site, "verdict");
			break;
		}
	}
}

/* Within +-tol (fraction) of want? */
static void check_estimate(const char *what, uint64_t got, uint64_t want,
			   double tol)
{
	double err = ((double)got - (double)want) / (double)want;

	fprintf(stderr, "sampled: %s estimate %" PRIu64 ", truth %" PRIu64 " (%+.1f%%)\n",
		what, got, want, 100 * err);
	if (err > tol || err < -tol)
		fail("sampled: %s estimate %" PRIu64 " is more than %.0f%% from the truth %" PRIu64,
		     what, got, 100 * tol, want);
}

/*
 * --sample-bytes: the leak's estimates land near the truth (the bounds,
 * 25%, are about 9 standard deviations of the sampling error at ~1,210
 * samples: a failure is a bug, not bad luck), the once-filled table is not
 * a leak, the freed churn leaves nothing, and the report says it sampled.
 */
static void test_sampled(void)
{
	const char *lw = env_path("LW_LEAKWATCH");
	const char *exe = env_path("LW_SAMPLE_WORKLOAD");
	struct json_object *root, *alloc, *sampling;
	uint64_t count, bytes, samples;
	const char *verdict;
	char json[PATH_MAX], mean[32];
	char *out;

	if (!lw || !exe)
		return;
	tmp_path(json, sizeof(json), "report.json");
	snprintf(mean, sizeof(mean), "%d", WL_SAMPLE_MEAN);
	{
		char *argv[] = { (char *)lw, "diagnose", "-d", "6",
				 "--sample-bytes", mean, "--json", json, "--",
				 (char *)exe, NULL };

		root = run_report("sampled", argv, 6 + LW_TIMEOUT_S, json);
	}
	if (!root)
		return;
	alloc = jget(root, "allocations");
	sampling = jget(alloc, "sampling");
	if (!sampling || ju64(sampling, "mean_bytes") != WL_SAMPLE_MEAN)
		fail("sampled: allocations.sampling.mean_bytes is not %d",
		     WL_SAMPLE_MEAN);
	if (ju64(alloc, "dropped_events"))
		fail_diff_u64("allocations", "dropped_events", 0,
			      ju64(alloc, "dropped_events"));

	site_estimate(root, "sample_leak", &count, &bytes, &samples, &verdict);
	fprintf(stderr, "sampled: sample_leak: %" PRIu64 " samples\n", samples);
	check_estimate("sample_leak blocks", count,
		       WL_STEPS * WL_SAMPLE_LEAK_PER_STEP, 0.25);
	check_estimate("sample_leak bytes", bytes,
		       (uint64_t)WL_STEPS * WL_SAMPLE_LEAK_PER_STEP *
			       WL_SAMPLE_LEAK_SIZE,
		       0.25);
	if (!verdict || strcmp(verdict, "leak"))
		fail("sampled: sample_leak verdict \"%s\", expected \"leak\"",
		     verdict ? verdict : "(absent)");
	if (!samples || samples >= count)
		fail("sampled: sample_leak: %" PRIu64 " samples behind an estimate of %" PRIu64,
		     samples, count);

	site_estimate(root, "sample_hold", &count, &bytes, &samples, &verdict);
	check_estimate("sample_hold bytes", bytes,
		       (uint64_t)WL_SAMPLE_HOLD_COUNT * WL_SAMPLE_HOLD_SIZE,
		       0.25);
	if (verdict && !strcmp(verdict, "leak"))
		fail("sampled: sample_hold (filled once) reported as a leak");

	site_estimate(root, "sample_churn", &count, &bytes, &samples, &verdict);
	if (count)
		fail("sampled: sample_churn frees everything, yet %" PRIu64 " blocks are live",
		     count);

	tmp_path(json, sizeof(json), "sampled.out");
	out = read_all(json);
	if (!out || !strstr(out, "estimates"))
		fail("sampled: the text report does not say its figures are estimates");
	free(out);
	json_object_put(root);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "basic", test_basic },	   { "static", test_static },
	{ "musl", test_musl },		   { "jemalloc", test_jemalloc },
	{ "tcmalloc", test_tcmalloc },	   { "cxx", test_cxx },
	{ "dlopen", test_dlopen },	   { "attach", test_attach },
	{ "attach_mode", test_attach_mode }, { "sigterm", test_sigterm },
	{ "errors", test_errors },	   { "deleted", test_deleted },
	{ "demo", test_demo },		   { "threads", test_threads },
	{ "drops", test_drops },	   { "sampled", test_sampled },
	{ "o2", test_o2 },		   { "tty", test_tty },
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
	if (sysconf(_SC_PAGESIZE) != WL_PAGE) {
		printf("skipped: the ground truth assumes %d-byte pages\n",
		       WL_PAGE);
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lw-it-%s-XXXXXX", argv[1]);
	if (!mkdtemp(tmpdir) || chmod(tmpdir, 0755)) {
		perror("mkdtemp");
		return 1;
	}
	tests[i].fn();
	if (failures) {
		fprintf(stderr, "%s: %d failure%s; files kept in %s\n",
			argv[1], failures, failures == 1 ? "" : "s", tmpdir);
		return 1;
	}
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf("%s: ok\n", argv[1]);
	return 0;

usage:
	fprintf(stderr, "usage: %s TEST\ntests:", argv[0]);
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		fprintf(stderr, " %s", tests[i].name);
	fputc('\n', stderr);
	return 2;
}
