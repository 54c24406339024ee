/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/report_html.c: hand-built reports written as HTML
 * and read back as text.  Escaping of hostile names, the process total
 * merged from series sampled at different instants, the flame graph's
 * geometry, empty and stack-less reports, and write errors.  The browser
 * side is tests/integration/test_html.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwtest.h"
#include "report.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char dir[64];

static const uint64_t ips_a[] = { 0x401010, 0x402020, 0x403030 };
static const uint64_t ips_b[] = { 0x7f0000001000, 0x402020, 0x403030 };
static const struct lw_point series_a[] = {
	{ 0.5, 1024, 1 },
	{ 1.0, 4096, 4 },
	{ 1.5, 8192, 8 },
};
static const struct lw_point series_b[] = {
	{ 1.0, 100, 1 },
	{ 2.0, 300, 3 },
};

struct fixture {
	struct lw_report r;
	struct lw_site_report sites[3];
	struct lw_frame fa[3], fb[3];
};

/*
 * A leak whose innermost function name is an attack on the page, a
 * stable site sharing its two outer frames, and a site without a stack.
 */
static void fixture_init(struct fixture *fx)
{
	struct lw_site_report *s = fx->sites;

	memset(fx, 0, sizeof(*fx));
	fx->r.version = 1;
	fx->r.mode = "diagnose";
	fx->r.target.pid = 4242;
	snprintf(fx->r.target.comm, sizeof(fx->r.target.comm), "<srv>");
	snprintf(fx->r.target.exe, sizeof(fx->r.target.exe),
		 "/opt/a&b/\"srv\"");
	fx->r.duration_s = 2.0;
	fx->fa[0] = (struct lw_frame){ 0x401010, "<script>alert('x')</script>",
				       "/opt/srv", 0x100f, "evil.c", 7, false };
	fx->fa[1] = (struct lw_frame){ 0x402020, "serve", "/opt/srv", 0x201f,
				       "srv.c", 20, false };
	fx->fa[2] = (struct lw_frame){ 0x403030, "main", "/opt/srv", 0x302f,
				       "srv.c", 30, false };
	fx->fb[0] = (struct lw_frame){ 0x7f0000001000, NULL,
				       "/usr/lib/libz.so.1", 0xfff, NULL, 0, false };
	fx->fb[1] = fx->fa[1];
	fx->fb[2] = fx->fa[2];
	s[0] = (struct lw_site_report){
		.verdict = LW_VERDICT_LEAK, .live_count = 8,
		.live_bytes = 8192, .growth_bytes_per_s = 7168,
		.oldest_age_s = 1.5, .ips = ips_a, .nr_ips = 3,
		.frames = fx->fa, .series = series_a,
		.nr_series = ARRAY_SIZE(series_a),
	};
	s[1] = (struct lw_site_report){
		.verdict = LW_VERDICT_STABLE,
		.live_count = 3,
		.live_bytes = 300,
		.oldest_age_s = 1.0,
		.ips = ips_b,
		.nr_ips = 3,
		.frames = fx->fb,
		.series = series_b,
		.nr_series = ARRAY_SIZE(series_b),
	};
	s[2] = (struct lw_site_report){
		.verdict = LW_VERDICT_STABLE, .live_count = 1, .live_bytes = 0,
	};
	fx->r.alloc.live_bytes = 8492;
	fx->r.alloc.live_count = 12;
	fx->r.alloc.sites = s;
	fx->r.alloc.nr_sites = 3;
}

static char *render(const struct lw_report *r)
{
	char path[128];
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/r.html", dir);
	if (!ASSERT_OK(lw_report__write_html(r, path), "write_html"))
		return NULL;
	f = fopen(path, "r");
	if (!ASSERT_NOT_NULL(f, "fopen"))
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	ASSERT_NOT_NULL(buf, "read back");
	return buf;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	while (s && (s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

/* The value of the first attr="..." after needle. */
static char *attr_after(const char *s, const char *needle, const char *attr)
{
	char key[64];
	const char *p = s ? strstr(s, needle) : NULL;

	snprintf(key, sizeof(key), " %s=\"", attr);
	p = p ? strstr(p, key) : NULL;
	if (!p)
		return NULL;
	p += strlen(key);
	return strndup(p, strcspn(p, "\""));
}

static void test_escaping(void)
{
	struct fixture fx;
	char *page;

	fixture_init(&fx);
	page = render(&fx.r);
	if (!page)
		return;
	/* Our one script element, none from the data. */
	ASSERT_EQ(count(page, "<script"), 1, "script elements");
	ASSERT_EQ(count(page, "alert('x')"), 0, "raw name");
	ASSERT_TRUE(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
				 "&gt;"),
		    "escaped name");
	ASSERT_TRUE(strstr(page, "<title>leakwatch: &lt;srv&gt; (PID 4242)"),
		    "escaped comm");
	ASSERT_TRUE(strstr(page, "/opt/a&amp;b/&quot;srv&quot;"),
		    "escaped exe");
	ASSERT_EQ(count(page, "http://") + count(page, "https://"), 0,
		  "no URL");
	free(page);
}

/*
 * Site a is sampled at 0.5, 1.0, 1.5 and site b at 1.0, 2.0: the total
 * has the four instants, each the sum of the last values at or before it.
 */
static void test_total_series(void)
{
	struct fixture fx;
	char *page, *t, *v, *n;

	fixture_init(&fx);
	page = render(&fx.r);
	if (!page)
		return;
	n = attr_after(page, "data-site=\"total\"", "data-n");
	t = attr_after(page, "data-site=\"total\"", "data-t");
	v = attr_after(page, "data-site=\"total\"", "data-v");
	ASSERT_STREQ(n, "4", "total points");
	ASSERT_STREQ(t, "0.500 1.000 1.500 2.000", "total instants");
	ASSERT_STREQ(v, "1024 4196 8292 8492", "total values");
	free(n);
	free(t);
	free(v);
	v = attr_after(page, "<svg class=\"chart\" data-section=\"alloc\" "
			     "data-site=\"0\"",
		       "data-v");
	ASSERT_STREQ(v, "1024 4096 8192", "site 0 values");
	free(v);
	/* Total and three sites: four charts. */
	ASSERT_EQ(count(page, "<svg class=\"chart\""), 4, "charts");
	free(page);
}

static void test_flame(void)
{
	struct fixture fx;
	char *page;

	fixture_init(&fx);
	page = render(&fx.r);
	if (!page)
		return;
	/* all, main, serve, the two leaves: shared frames merge. */
	ASSERT_EQ(count(page, "<g class=\"fr "), 5, "frames");
	/* Geometry in fractions of the root: x, width, depth. */
	ASSERT_TRUE(strstr(page, "data-x=\"0.000000\" data-w=\"1.000000\" "
				 "data-d=\"0\" data-n=\"all\""),
		    "root");
	ASSERT_TRUE(strstr(page, "data-x=\"0.000000\" data-w=\"1.000000\" "
				 "data-d=\"2\" data-n=\"serve\""),
		    "serve is shared");
	ASSERT_TRUE(strstr(page, "data-x=\"0.000000\" data-w=\"0.964673\" "
				 "data-d=\"3\" data-n=\"&lt;script"),
		    "the leak: 8192 of 8492 bytes");
	/* 300 of 8492 bytes after it, coloured stable, named by module. */
	ASSERT_TRUE(strstr(page, "<g class=\"fr v-stable\" data-x=\"0.964673\" "
				 "data-w=\"0.035327\" data-d=\"3\" "
				 "data-n=\"libz.so.1+0xfff\""),
		    "stable leaf");
	ASSERT_TRUE(strstr(page, "<g class=\"fr v-leak\" data-x=\"0.000000\" "
				 "data-w=\"1.000000\" data-d=\"1\" "
				 "data-n=\"main\""),
		    "main leads to a leak");
	/* The verdict table lists the stack-less site too. */
	ASSERT_TRUE(strstr(page, "data-site=\"(stack unknown)\""),
		    "stack-less row");
	free(page);
}

static void test_empty(void)
{
	struct lw_report r = { .version = 1, .mode = "attach" };
	char *page;

	r.target.pid = 1;
	page = render(&r);
	if (!page)
		return;
	ASSERT_TRUE(strstr(page, "nothing leaks"), "no sites");
	ASSERT_TRUE(strstr(page, "Nothing outstanding"), "empty flame");
	ASSERT_EQ(count(page, "<svg class=\"chart\""), 1, "total chart only");
	ASSERT_TRUE(strstr(page, "</html>\n"), "complete page");
	free(page);
}

static void test_errors(void)
{
	struct fixture fx;
	char path[128];

	fixture_init(&fx);
	snprintf(path, sizeof(path), "%s/missing/r.html", dir);
	ASSERT_EQ(lw_report__write_html(&fx.r, path), -ENOENT, "no dir");
	ASSERT_EQ(lw_report__write_html(NULL, path), -EINVAL, "NULL report");
	snprintf(path, sizeof(path), "%s/missing", dir);
	ASSERT_EQ(access(path, F_OK), -1, "nothing left behind");
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_escaping), LWT_CASE(test_total_series),
		LWT_CASE(test_flame),	 LWT_CASE(test_empty),
		LWT_CASE(test_errors),
	};
	char path[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/lw-html-unit-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	rc = lw_test_main(cases, ARRAY_SIZE(cases));
	snprintf(path, sizeof(path), "%s/r.html", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	return rc;
}
