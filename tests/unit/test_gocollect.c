/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The Go collector against a live Go program whose goroutines and heap
 * profile are known exactly (fixtures/goparked), built with every Go
 * toolchain, with and without symbols.  Reading a child's memory needs no
 * privilege, so this runs as a unit test.  Fixture lines asserted below
 * are those of fixtures/goparked/main.go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "go/gocollect.h"
#include "lwtest.h"

#define LINE_GO_RECV 63
#define LINE_GO_SELECT 66
#define LINE_GO_SLEEP 69
#define LINE_KEEP_ALLOC 25
#define LINE_NEWBLOCK_ALLOC 125 /* make() in newBlock, inlined */
#define LINE_KEEPINL_CALL 120	/* keepInlined's call to newBlock */

/* The fixture's stdout up to "ready": Go's own traceback of the goroutine
 * parked in inlined code is in it. */
static char fixture_out[65536];

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Run path with stdout on a pipe; return its pid once it said "ready". */
static pid_t start_fixture(const char *path)
{
	char *buf = fixture_out;
	size_t len = 0, cap = sizeof(fixture_out);
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	(void)close(fds[1]);
	buf[0] = '\0';
	while (pid > 0 && len < cap - 1) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 20000) <= 0)
			break;
		n = read(fds[0], buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		if (strstr(buf, "ready\n")) {
			(void)close(fds[0]);
			return pid;
		}
	}
	(void)close(fds[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static bool has_frame(const struct lw_frame *frames, unsigned n, const char *fn)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (frames[i].function && !strcmp(frames[i].function, fn))
			return true;
	return false;
}

/*
 * The site whose goroutines run fn.  Not by start function: `go f(x)`
 * starts a compiler-made wrapper (main.main.gowrap1, main.main.func1).
 */
static const struct lw_go_site *site_running(const struct lw_go_report *r,
					     const char *fn)
{
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if (has_frame(r->sites[i].frames, r->sites[i].nr_frames, fn))
			return &r->sites[i];
	return NULL;
}

static void check_site(const struct lw_go_report *r, const char *start,
		       uint64_t live, const char *reason, int line)
{
	const struct lw_go_site *s = site_running(r, start);

	if (!ASSERT_NOT_NULL(s, start))
		return;
	ASSERT_U64_EQ(s->live, live, "live");
	ASSERT_U64_EQ(s->waiting, live, "all waiting");
	ASSERT_EQ(s->verdict, LW_VERDICT_STABLE, "not a leak");
	ASSERT_STREQ(s->created_by.function, "main.main", "created by");
	ASSERT_EQ(s->created_by.line, line, "created at line");
	if (ASSERT_EQ(s->nr_reasons, 1, "one wait reason")) {
		ASSERT_STREQ(s->reasons[0].name, reason, "wait reason");
		ASSERT_U64_EQ(s->reasons[0].n, live, "reason count");
	}
	if (ASSERT_TRUE(s->nr_frames > 1, "stack walked")) {
		ASSERT_STREQ(s->frames[0].function, "runtime.gopark", "parked");
	}
	/* As Go names it: the function, not the go statement's wrapper. */
	ASSERT_STREQ(s->start_function, start, "start function");
}

/* The (last) heap site with a frame in fn, or NULL. */
static const struct lw_go_heap_site *
heap_site_with(const struct lw_go_report *r, const char *fn)
{
	const struct lw_go_heap_site *h = NULL;
	size_t i;

	for (i = 0; i < r->nr_heap_sites; i++)
		if (has_frame(r->heap_sites[i].frames,
			      r->heap_sites[i].nr_frames, fn))
			h = &r->heap_sites[i];
	return h;
}

static void check_heap(const struct lw_go_report *r)
{
	const struct lw_go_heap_site *keep = NULL;
	size_t i;

	if (!ASSERT_TRUE(r->heap_available, "heap profile available"))
		return;
	ASSERT_EQ(r->sample_rate, 1, "MemProfileRate");
	keep = heap_site_with(r, "main.keep");
	if (!ASSERT_NOT_NULL(keep, "main.keep's heap site"))
		return;
	/* Rate 1: every allocation sampled, figures exact. */
	ASSERT_U64_EQ(keep->inuse_objects, 100, "objects");
	ASSERT_U64_EQ(keep->inuse_bytes, 100 * 4096, "bytes");
	ASSERT_TRUE(keep->verdict != LW_VERDICT_LEAK, "not a leak");
	for (i = 0; i < keep->nr_frames; i++)
		if (keep->frames[i].function &&
		    !strcmp(keep->frames[i].function, "main.keep"))
			ASSERT_EQ(keep->frames[i].line, LINE_KEEP_ALLOC,
				  "allocation line");
}

/* One frame of Go's traceback text: "name(args)\n\tfile:line +0x..". */
struct go_tb_frame {
	char name[256], file[1024];
	int line;
};

/*
 * Parse the fixture's "inlined-stack:" block: the frames Go prints
 * (innermost first) and the "created by" frame.  Returns the number of
 * frames, or -1.
 */
static int parse_traceback(struct go_tb_frame *fr, int max,
			   struct go_tb_frame *created)
{
	char *p = strstr(fixture_out, "inlined-stack:\n"), *end, *nl;
	int n = 0;

	if (!p || !(end = strstr(p, "inlined-end")))
		return -1;
	p = strchr(p, '\n') + 1;
	p = strchr(p, '\n'); /* "goroutine N [chan receive]:" */
	if (!p)
		return -1;
	p++;
	memset(created, 0, sizeof(*created));
	while (p < end && (nl = strchr(p, '\n')) && nl < end) {
		struct go_tb_frame *f = n < max ? &fr[n] : NULL;
		bool by = !strncmp(p, "created by ", 11);
		char *paren, *colon, *tab;

		if (by) {
			f = created;
			p += 11;
		}
		if (!f || *p == '\t' || p == nl)
			break;
		*nl = '\0';
		/* "main.main in goroutine 1" (1.21+) or "f(args)" */
		paren = by ? strstr(p, " in goroutine ") : strrchr(p, '(');
		if (paren)
			*paren = '\0';
		snprintf(f->name, sizeof(f->name), "%s", p);
		p = nl + 1;
		if (!(nl = strchr(p, '\n')) || *p != '\t')
			return -1;
		*nl = '\0';
		tab = p + 1;
		if ((colon = strchr(tab, ' ')))
			*colon = '\0';
		colon = strrchr(tab, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		snprintf(f->file, sizeof(f->file), "%s", tab);
		f->line = atoi(colon + 1);
		p = nl + 1;
		if (by)
			break;
		n++;
	}
	return n;
}

/*
 * The goroutine parked three inlined calls deep: leakwatch's stack from
 * main.inlInner outwards must be exactly what Go's own traceback printed
 * (function, file, line), the inlined frames marked so, and the site
 * named and created as Go says.
 */
static void check_inlined(const struct lw_go_report *r)
{
	struct go_tb_frame tb[16], created;
	const struct lw_go_site *s = site_running(r, "main.inlInner");
	unsigned k;
	int n, j;

	n = parse_traceback(tb, 16, &created);
	if (!ASSERT_TRUE(n >= 4, "Go's traceback of the inlined goroutine"))
		return;
	ASSERT_STREQ(tb[0].name, "main.inlInner", "Go's innermost frame");
	if (!ASSERT_NOT_NULL(s, "site in main.inlInner"))
		return;
	for (k = 0; k < s->nr_frames; k++)
		if (s->frames[k].function &&
		    !strcmp(s->frames[k].function, "main.inlInner"))
			break;
	/* Go hides runtime.gopark and the channel code below it. */
	for (j = 0; j < n && ASSERT_TRUE(k + j < s->nr_frames, "deep enough");
	     j++) {
		const struct lw_frame *f = &s->frames[k + j];

		ASSERT_STREQ(f->function, tb[j].name, "frame as Go names it");
		ASSERT_STREQ(f->file, tb[j].file, "frame's file");
		ASSERT_EQ(f->line, tb[j].line, "frame's line");
		/* inlInner, inlMiddle, inlOuter in parkInlined's code */
		ASSERT_EQ(f->inlined, j < 3, "inlined flag");
		if (j > 0)
			ASSERT_TRUE(f->addr == s->frames[k].addr || j > 3,
				    "inlined frames share the pc");
	}
	if (k + n < s->nr_frames)
		ASSERT_STREQ(s->frames[k + n].function, "runtime.goexit",
			     "nothing between the program and goexit");
	ASSERT_STREQ(s->start_function, tb[n - 1].name, "start function");
	ASSERT_STREQ(s->created_by.function, created.name, "created by");
	ASSERT_STREQ(s->created_by.file, created.file, "created by file");
	ASSERT_EQ(s->created_by.line, created.line, "created by line");
	ASSERT_U64_EQ(s->live, 1, "one goroutine");
}

/* A heap site allocating in code inlined into keepInlined. */
static void check_heap_inlined(const struct lw_go_report *r)
{
	const struct lw_go_heap_site *h = heap_site_with(r, "main.newBlock");
	unsigned k;

	if (!ASSERT_NOT_NULL(h, "main.newBlock's heap site"))
		return;
	ASSERT_U64_EQ(h->inuse_objects, 10, "objects");
	ASSERT_U64_EQ(h->inuse_bytes, 10 * 8192, "bytes");
	for (k = 0; k + 1 < h->nr_frames; k++)
		if (!strcmp(h->frames[k].function, "main.newBlock"))
			break;
	if (!ASSERT_TRUE(k + 1 < h->nr_frames, "caller of newBlock"))
		return;
	ASSERT_EQ(h->frames[k].line, LINE_NEWBLOCK_ALLOC, "allocation line");
	ASSERT_TRUE(h->frames[k].inlined, "newBlock inlined");
	ASSERT_STREQ(h->frames[k + 1].function, "main.keepInlined", "caller");
	ASSERT_EQ(h->frames[k + 1].line, LINE_KEEPINL_CALL, "call line");
	ASSERT_TRUE(!h->frames[k + 1].inlined, "keepInlined physical");
	/* Exactly once: the heap profile's own pcs for inlined frames
	 * (runtime.Callers style) must not expand a second time. */
	ASSERT_TRUE(k + 2 >= h->nr_frames ||
			    strcmp(h->frames[k + 2].function, "main."
							      "keepInlined"),
		    "no duplicate frame");
}

static void run_one(const char *dir, const char *tag, bool stripped)
{
	struct lw_go_report r = {0};
	struct lw_gocollect *c = NULL;
	char path[4096], want[32];
	pid_t pid;
	uint64_t t0;
	int err;

	snprintf(path, sizeof(path), "%s/goparked-%s%s", dir, tag,
		 stripped ? "-stripped" : "");
	fprintf(stderr, "  %s\n", path);
	pid = start_fixture(path);
	if (!ASSERT_TRUE(pid > 0, "fixture ready"))
		return;
	err = lw_gocollect__new(pid, &c);
	if (!ASSERT_OK(err, "new"))
		goto out;
	t0 = mono_ns();
	if (!ASSERT_OK(lw_gocollect__start(c, t0), "start") ||
	    !ASSERT_OK(lw_gocollect__tick(c, t0 + 1000000000ull, true), "second"
									" snaps"
									"ho"
									"t") ||
	    !ASSERT_OK(lw_gocollect__report(c, t0 + 1000000000ull, &r), "repor"
									"t"))
		goto out;
	snprintf(want, sizeof(want), "go%s", tag);
	ASSERT_TRUE(!strncmp(r.version, want, strlen(want)) &&
			    (r.version[strlen(want)] == '.' ||
			     !r.version[strlen(want)]),
		    "version");
	ASSERT_EQ(r.stripped, stripped, "stripped");
	ASSERT_STREQ(r.layout_from, stripped ? "table" : "dwarf", "layout");
	ASSERT_TRUE(r.goroutines_ok, "goroutines read");
	ASSERT_U64_EQ(r.snapshots, 2, "snapshots");
	ASSERT_U64_EQ(r.torn, 0, "no torn reads");
	check_site(&r, "main.parkRecv", 7, "chan receive", LINE_GO_RECV);
	check_site(&r, "main.parkSelect", 3, "select", LINE_GO_SELECT);
	check_site(&r, "main.parkSleep", 2, "sleep", LINE_GO_SLEEP);
	check_inlined(&r);
	for (size_t i = 0; i < r.nr_sites; i++)
		ASSERT_TRUE(r.sites[i].verdict != LW_VERDICT_LEAK, "no leak in "
								   "a fixed "
								   "populatio"
								   "n");
	check_heap(&r);
	check_heap_inlined(&r);
out:
	lw_go_report__clear(&r);
	lw_gocollect__free(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_fixtures(void)
{
	const char *dir = getenv("LW_GO_FIXTURE_DIR");
	const char *tags = getenv("LW_GO_TAGS");
	char *list, *tag, *save = NULL;

	if (!ASSERT_TRUE(dir && tags && *tags, "fixtures built"))
		return;
	list = strdup(tags);
	for (tag = strtok_r(list, ",", &save); tag;
	     tag = strtok_r(NULL, ",", &save)) {
		run_one(dir, tag, false);
		run_one(dir, tag, true);
	}
	free(list);
}

static void test_not_go(void)
{
	struct lw_gocollect *c = (void *)1;
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	/* The test binary itself: C, not Go. */
	ASSERT_EQ(lw_gocollect__new(pid, &c), -ENOEXEC, "not Go");
	ASSERT_TRUE(c == NULL, "no collector");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_not_go),
		LWT_CASE(test_fixtures),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
