/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/daemon/dconfig.c: the config file syntax (comments,
 * blanks, quoting, CRLF, errors with their line) and the loader's
 * "FILE:LINE" callbacks on a real file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/dconfig.h"
#include "lwtest.h"

static void test_parse_ok(void)
{
	static const char text[] = "\xef\xbb\xbf# leakwatch daemon\n"
				   "\n"
				   "listen = 127.0.0.1:9464\n"
				   "   interval=30   \r\n"
				   "comm = nginx*\n"
				   "comm = redis-server # cache\n"
				   "\t# indented comment\n"
				   "exe = /opt/my app/bin/server  \n"
				   "pyroscope-app = \"shop #1 \\\"eu\\\" \\\\ "
				   "\" # quoted\n"
				   "exclude-comm = a#b\n"
				   "pyroscope =\n"
				   "container = \"\"\r\n"
				   "window = 600";
	struct lw_dconfig c;

	if (!ASSERT_OK(lw_dconfig__parse(text, &c), "parse"))
		goto out;
	if (!ASSERT_EQ(c.n, 10, "entries"))
		goto out;
	ASSERT_STREQ(c.v[0].key, "listen", "k0");
	ASSERT_STREQ(c.v[0].value, "127.0.0.1:9464", "v0");
	ASSERT_EQ(c.v[0].line, 3, "line after BOM, comment, blank");
	ASSERT_STREQ(c.v[1].key, "interval", "k1");
	ASSERT_STREQ(c.v[1].value, "30", "CRLF and blanks");
	ASSERT_EQ(c.v[1].line, 4, "l1");
	ASSERT_STREQ(c.v[2].value, "nginx*", "glob kept");
	ASSERT_STREQ(c.v[3].key, "comm", "repeated key");
	ASSERT_STREQ(c.v[3].value, "redis-server", "trailing comment");
	ASSERT_STREQ(c.v[4].value, "/opt/my app/bin/server", "inner spaces");
	ASSERT_EQ(c.v[4].line, 8, "l4");
	ASSERT_STREQ(c.v[5].value, "shop #1 \"eu\" \\ ", "quoted");
	ASSERT_STREQ(c.v[6].value, "a#b", "# inside a word");
	ASSERT_STREQ(c.v[7].key, "pyroscope", "empty key");
	ASSERT_STREQ(c.v[7].value, "", "empty value");
	ASSERT_STREQ(c.v[8].value, "", "empty quotes");
	ASSERT_STREQ(c.v[9].value, "600", "no final newline");
	ASSERT_EQ(c.v[9].line, 13, "last line");
out:
	lw_dconfig__free(&c);
}

struct bad_case {
	const char *text;
	int line;
	const char *msg_part;
};

static void test_parse_errors(void)
{
	static const struct bad_case cases[] = {
		{"listen = x\nno-escalate\n", 2, "option = value"},
		{"comm nginx\n", 1, "option = value"},
		{"# c\n= 5\n", 2, "missing option name"},
		{"\n\n--comm = x\n", 3, "leading"},
		{"Comm = x\n", 1, "bad option name"},
		{"co_mm = x\n", 1, "bad option name"},
		{"comm = \"nginx\n", 1, "unterminated"},
		{"comm = \"a\" b\n", 1, "after the closing quote"},
		{"a = 1\r\nb = \"x\r\n", 2, "unterminated"},
	};
	struct lw_dconfig c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(lw_dconfig__parse(cases[i].text, &c), -EINVAL,
			  cases[i].text);
		ASSERT_EQ(c.err_line, cases[i].line, cases[i].text);
		ASSERT_TRUE(c.err_msg && strstr(c.err_msg, cases[i].msg_part),
			    cases[i].text);
		lw_dconfig__free(&c);
	}
	lw_dconfig__free(NULL);
}

struct seen {
	char log[1024];
	int calls;
	int fail_at;
};

static int collect(void *ctx, const char *key, const char *value,
		   const char *where)
{
	struct seen *s = ctx;
	size_t len = strlen(s->log);

	s->calls++;
	snprintf(s->log + len, sizeof(s->log) - len, "%s|%s=%s;",
		 strrchr(where, '/') + 1, key, value);
	return s->calls == s->fail_at ? -EINVAL : 0;
}

static void test_load_file(void)
{
	char path[] = "/tmp/lw-dconfig-XXXXXX";
	struct seen s = {0};
	char want[256];
	const char *base;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	f = fdopen(fd, "w");
	if (!ASSERT_NOT_NULL(f, "fdopen")) {
		close(fd);
		goto out;
	}
	fputs("# test\ncomm = a\n\ncomm = b\ninterval = 5\n", f);
	fclose(f);
	base = strrchr(path, '/') + 1;

	ASSERT_OK(lw_dconfig__load(path, collect, &s), "load");
	ASSERT_EQ(s.calls, 3, "calls");
	snprintf(want, sizeof(want), "%s:2|comm=a;%s:4|comm=b;%s:5|interval=5;",
		 base, base, base);
	ASSERT_STREQ(s.log, want, "order and where");

	/* the handler's error stops the load and comes back */
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	ASSERT_EQ(lw_dconfig__load(path, collect, &s), -EINVAL, "fn error");
	ASSERT_EQ(s.calls, 2, "stopped");

	/* a syntax error applies nothing */
	f = fopen(path, "w");
	if (!ASSERT_NOT_NULL(f, "rewrite"))
		goto out;
	fputs("comm = a\nbogus\n", f);
	fclose(f);
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(lw_dconfig__load(path, collect, &s), -EINVAL, "syntax");
	ASSERT_EQ(s.calls, 0, "nothing applied");

	ASSERT_EQ(lw_dconfig__load("/nonexistent/leakwatch.conf", collect, &s),
		  -ENOENT, "missing file");
out:
	unlink(path);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_parse_ok),
		LWT_CASE(test_parse_errors),
		LWT_CASE(test_load_file),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
