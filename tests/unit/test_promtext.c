/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for the daemon's Prometheus text writer (promtext.c) and its
 * buffer (buf.c): escaping, number spelling, and a small exposition that
 * `promtool check metrics` must accept.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

#include "daemon/buf.h"
#include "daemon/promtext.h"
#include "lwtest.h"

static const char *value(double v)
{
	static char buf[LW_PROM_NUMBUF];

	return lw_prom_value(v, buf);
}

static void test_numbers(void)
{
	/* Integers exactly, without exponent, up to 2^53. */
	ASSERT_STREQ(value(0), "0", "0");
	ASSERT_STREQ(value(-0.0), "0", "-0");
	ASSERT_STREQ(value(1), "1", "1");
	ASSERT_STREQ(value(-3), "-3", "-3");
	ASSERT_STREQ(value(1048576), "1048576", "1 MiB");
	ASSERT_STREQ(value(123456789012345.0), "123456789012345", "15 digits");
	ASSERT_STREQ(value(9007199254740992.0), "9007199254740992", "2^53");
	ASSERT_STREQ(value(-9007199254740992.0), "-9007199254740992",
		     "-2^53");
	/* Past 2^53 integers are no longer exact: shortest %g. */
	ASSERT_STREQ(value(18014398509481984.0), "18014398509481984", "2^54");
	ASSERT_STREQ(value(1e20), "1e+20", "1e20");
	/* Fractions: the shortest spelling that reads back the same. */
	ASSERT_STREQ(value(0.1), "0.1", "0.1");
	ASSERT_STREQ(value(0.5), "0.5", "0.5");
	ASSERT_STREQ(value(-2.25), "-2.25", "-2.25");
	ASSERT_STREQ(value(1.0 / 3), "0.3333333333333333", "1/3");
	ASSERT_STREQ(value(0.1 + 0.2), "0.30000000000000004", "0.1+0.2");
	ASSERT_STREQ(value(12.5e-9), "1.25e-08", "small");
	ASSERT_TRUE(strtod(value(M_PI), NULL) == M_PI, "pi round-trips");
	ASSERT_TRUE(strtod(value(1e-300), NULL) == 1e-300, "tiny round-trips");
	/* As Prometheus spells the special values. */
	ASSERT_STREQ(value(NAN), "NaN", "NaN");
	ASSERT_STREQ(value(INFINITY), "+Inf", "+Inf");
	ASSERT_STREQ(value(-INFINITY), "-Inf", "-Inf");
}

static void test_escaping(void)
{
	struct lw_buf b = { 0 };
	const char *const labels[] = { "pid",  "12", "comm", "a \"b\"\\c\nd",
				       NULL };
	const char *const nullval[] = { "pid", "7", "container", NULL, "x", "y",
					NULL };
	const char *const none[] = { NULL };

	lw_prom__family(&b, "m", "gauge", "back\\slash\nnew \"line\"");
	ASSERT_STREQ(b.data,
		     "# HELP m back\\\\slash\\nnew \"line\"\n"
		     "# TYPE m gauge\n",
		     "HELP escapes \\ and newline, not quotes");
	lw_buf__reset(&b);
	lw_prom__sample(&b, "m", labels, 5);
	ASSERT_STREQ(b.data, "m{pid=\"12\",comm=\"a \\\"b\\\"\\\\c\\nd\"} 5\n",
		     "label values escape \\, \" and newline");
	lw_buf__reset(&b);
	lw_prom__sample(&b, "m", nullval, 1);
	ASSERT_STREQ(b.data, "m{pid=\"7\",container=\"\",x=\"y\"} 1\n",
		     "a NULL value is empty and the list goes on");
	lw_buf__reset(&b);
	lw_prom__sample(&b, "m", none, 2.5);
	lw_prom__sample(&b, "m", NULL, NAN);
	ASSERT_STREQ(b.data, "m 2.5\nm NaN\n", "no labels, no braces");
	lw_buf__reset(&b);
	lw_prom__family(&b, "c", "counter", NULL);
	ASSERT_STREQ(b.data, "# TYPE c counter\n", "no HELP line");
	ASSERT_FALSE(b.oom, "no oom");
	lw_buf__free(&b);
}

static void test_buf(void)
{
	struct lw_buf b = { 0 };
	char big[5000];
	void *gz = NULL, *body;
	size_t len, gzlen = 0, i;
	uLongf outlen;
	char *out = NULL;
	z_stream z = { 0 };

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* printf past the first allocation takes the grow-and-retry path. */
	ASSERT_OK(lw_buf__printf(&b, "%s|%d", big, 42), "printf big");
	ASSERT_EQ(b.len, sizeof(big) - 1 + 3, "len");
	ASSERT_STREQ(b.data + sizeof(big) - 1, "|42", "tail");
	for (i = 0; i < 1000; i++)
		lw_buf__printf(&b, "line %zu\n", i);
	ASSERT_EQ(strlen(b.data), b.len, "NUL-terminated");

	ASSERT_OK(lw_gzip(b.data, b.len, &gz, &gzlen), "gzip");
	ASSERT_TRUE(gzlen > 10 && gzlen < b.len, "compressed");
	ASSERT_TRUE(gz && ((unsigned char *)gz)[0] == 0x1f &&
			    ((unsigned char *)gz)[1] == 0x8b,
		    "gzip magic");
	out = malloc(b.len);
	outlen = b.len;
	if (!ASSERT_NOT_NULL(out, "malloc"))
		goto out;
	/* windowBits 15 + 16: gunzip. */
	if (inflateInit2(&z, 15 + 16) == Z_OK) {
		z.next_in = gz;
		z.avail_in = (uInt)gzlen;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)outlen;
		ASSERT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END, "inflate");
		ASSERT_EQ(z.total_out, b.len, "inflated length");
		ASSERT_TRUE(!memcmp(out, b.data, b.len), "inflated bytes");
		inflateEnd(&z);
	}

	i = b.len;
	body = lw_buf__steal(&b, &len);
	ASSERT_TRUE(body && len == i, "steal");
	ASSERT_TRUE(!b.data && !b.len && !b.cap, "emptied by steal");
	free(body);
	ASSERT_TRUE(!lw_buf__steal(&b, &len) && len == 0, "steal empty");
out:
	free(out);
	free(gz);
	lw_buf__free(&b);
	lw_buf__free(NULL);
}

/* A small exposition in the shapes the daemon writes. */
static void write_exposition(struct lw_buf *b)
{
	const char *const p1[] = { "pid", "4242", "comm", "nginx: worker",
				   "container", "", NULL };
	const char *const p2[] = { "pid", "17", "comm", "we\"ird\\name",
				   "container", "0123456789ab", NULL };
	const char *const s1[] = { "pid",	"17",
				   "comm",	"we\"ird\\name",
				   "container", "0123456789ab",
				   "state",	"close_wait",
				   NULL };
	const char *const k1[] = { "pid", "17", "comm", "we\"ird\\name",
				   "container", "0123456789ab", "kind", "heap",
				   NULL };
	const char *const ver[] = { "version", "0.1.0", NULL };
	const char *const esc[] = { "result", "completed", NULL };

	lw_prom__family(b, "leakwatch_build_info", "gauge",
			"Build of the running leakwatch daemon.");
	lw_prom__sample(b, "leakwatch_build_info", ver, 1);
	lw_prom__family(b, "leakwatch_process_resident_bytes", "gauge",
			"Resident set size of the process.\nFrom /proc.");
	lw_prom__sample(b, "leakwatch_process_resident_bytes", p1, 123456789);
	lw_prom__sample(b, "leakwatch_process_resident_bytes", p2,
			9007199254740992.0);
	lw_prom__family(b, "leakwatch_open_sockets", "gauge",
			"Open sockets by TCP state.");
	lw_prom__sample(b, "leakwatch_open_sockets", s1, 3);
	lw_prom__family(b, "leakwatch_growth_per_second", "gauge",
			"Least-squares slope over the window.");
	lw_prom__sample(b, "leakwatch_growth_per_second", k1, 1234.5678);
	lw_prom__sample(b, "leakwatch_growth_per_second", p1, NAN);
	lw_prom__family(b, "leakwatch_escalations_total", "counter",
			"Allocation-probe escalations by result.");
	lw_prom__sample(b, "leakwatch_escalations_total", esc, 0);
	lw_prom__family(b, "leakwatch_scan_duration_seconds", "gauge",
			"Duration of the last scan.");
	lw_prom__sample(b, "leakwatch_scan_duration_seconds", NULL, 0.0123);
	lw_prom__family(b, "leakwatch_test_ratio", "gauge", "Inf and -Inf.");
	lw_prom__sample(b, "leakwatch_test_ratio", ver, INFINITY);
	lw_prom__sample(b, "leakwatch_test_ratio", esc, -INFINITY);
}

static bool run_ok(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	return pclose(f) == 0;
}

static void test_promtool(void)
{
	char path[] = "/tmp/lw-promtext-XXXXXX", cmd[512], out[4096];
	struct lw_buf b = { 0 };
	int fd;

	if (system("command -v promtool >/dev/null 2>&1")) {
		/* CI installs it (scripts/setup.sh): never skip there. */
		ASSERT_TRUE(!getenv("CI"), "promtool missing in CI");
		fprintf(stderr, "skip: promtool not installed\n");
		return;
	}
	write_exposition(&b);
	if (!ASSERT_FALSE(b.oom, "exposition"))
		goto out;
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		goto out;
	ASSERT_EQ(write(fd, b.data, b.len), (long long)b.len, "write");
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	/* promtool lints too (exit 3 on lint problems); any output is a
	 * complaint about our text. */
	ASSERT_TRUE(run_ok(cmd, out, sizeof(out)), "promtool check metrics");
	ASSERT_STREQ(out, "", "promtool says nothing");
	unlink(path);
out:
	lw_buf__free(&b);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_numbers),
		LWT_CASE(test_escaping),
		LWT_CASE(test_buf),
		LWT_CASE(test_promtool),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
