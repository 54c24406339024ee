/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/report.c: hand-built reports rendered to JSON (parsed
 * back with json-c, fields and types checked) and to text in memory.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lwtest.h"
#include "report.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fixture ---------------------------------------------------------- */

static const uint64_t ips_a[] = { 0x55d0c0a1b2c3, 0x55d0c0a1b000,
				  0x7f0012345678, 0x7f00ffff0000 };
static const uint64_t ips_b[] = { 0x7f1100001111, 0x7f1100002222 };
static const uint64_t ips_c[] = { 0x7f2200004f0, 0x7f22000050a };
static const uint64_t ips_d[] = { 0x401234, 0x401500, 0x401600 };
static const struct lw_point series_a[] = {
	{ 0.5, 1024, 1 },
	{ 1.0, 4096, 4 },
	{ 1.5, 8192, 8 },
};

/*
 * Five sites in report order: a symbolized leak, a growing site whose
 * first frame has no function, a stable site without any function, a
 * stable site that was never symbolized, and one without a stack.
 */
struct fixture {
	struct lw_report r;
	struct lw_site_report sites[5];
	struct lw_frame fa[4], fb[2], fc[2];
};

static void fixture_init(struct fixture *fx)
{
	struct lw_site_report *s = fx->sites;

	memset(fx, 0, sizeof(*fx));
	fx->fa[0] = (struct lw_frame){ 0x55d0c0a1b2c3, "handle_request",
				       "/usr/bin/server", 0x1b2c2,
				       "/home/dev/server/src/server.c", 42, false };
	fx->fa[1] = (struct lw_frame){ 0x55d0c0a1b000, "main",
				       "/usr/bin/server", 0x1afff, "server.c",
				       100, false };
	fx->fa[2] = (struct lw_frame){ 0x7f0012345678, NULL,
				       "/lib/x86_64-linux-gnu/libc.so.6",
				       0x29d8f, NULL, 0, false };
	fx->fa[3] = (struct lw_frame){ 0x7f00ffff0000, NULL, NULL, 0, NULL,
				       0, false };
	fx->fb[0] = (struct lw_frame){ 0x7f1100001111, NULL,
				       "/usr/lib/libcache.so.2", 0x1110, NULL,
				       0, false };
	fx->fb[1] = (struct lw_frame){ 0x7f1100002222, "cache_put",
				       "/usr/lib/libcache.so.2", 0x2221, NULL,
				       0, false };
	fx->fc[0] = (struct lw_frame){ 0x7f2200004f0, NULL,
				       "/usr/lib/libz.so.1", 0x4ef, NULL, 0, false };
	fx->fc[1] = (struct lw_frame){ 0x7f22000050a, NULL,
				       "/usr/lib/libz.so.1", 0x509, NULL, 0, false };

	s[0] = (struct lw_site_report){
		.verdict = LW_VERDICT_LEAK, .kind = LW_K_MALLOC,
		.stack_id = 0xdeadbeefcafe, .live_count = 1200,
		.live_bytes = 4915200, .total_allocs = 3000,
		.total_frees = 1800, .total_bytes = 12288000,
		.growth_bytes_per_s = 40960, .growth_count_per_s = 10,
		.oldest_age_s = 29.6, .segments = 6,
		.segments_with_survivors = 6, .ips = ips_a,
		.nr_ips = ARRAY_SIZE(ips_a), .frames = fx->fa,
		.series = series_a, .nr_series = ARRAY_SIZE(series_a),
	};
	s[1] = (struct lw_site_report){
		.verdict = LW_VERDICT_GROWING, .kind = LW_K_CALLOC,
		.stack_id = 0x2, .live_count = 310, .live_bytes = 1153434,
		.total_allocs = 400, .total_frees = 90,
		.total_bytes = 1500000, .growth_bytes_per_s = 1228.8,
		.growth_count_per_s = 0.1, .oldest_age_s = 12,
		.segments = 6, .segments_with_survivors = 3, .ips = ips_b,
		.nr_ips = ARRAY_SIZE(ips_b), .frames = fx->fb,
	};
	s[2] = (struct lw_site_report){
		.verdict = LW_VERDICT_STABLE, .kind = LW_K_REALLOC,
		.stack_id = 0x3, .live_count = 100, .live_bytes = 20480,
		.total_allocs = 100, .oldest_age_s = 1, .ips = ips_c,
		.nr_ips = ARRAY_SIZE(ips_c), .frames = fx->fc,
	};
	s[3] = (struct lw_site_report){
		.verdict = LW_VERDICT_STABLE, .kind = LW_K_MMAP,
		.stack_id = 0x4, .live_count = 2, .live_bytes = 8192,
		.total_allocs = 2, .growth_bytes_per_s = -3.5,
		.oldest_age_s = 2463, .ips = ips_d,
		.nr_ips = ARRAY_SIZE(ips_d), .stack_truncated = true,
	};
	s[4] = (struct lw_site_report){
		.verdict = LW_VERDICT_STABLE, .kind = 99, .live_count = 1,
		.live_bytes = 16, .total_allocs = 1,
	};

	fx->r = (struct lw_report){
		.version = 1, .mode = "diagnose",
		.target = { .pid = 4242, .comm = "server",
			    .exe = "/usr/bin/server" },
		.duration_s = 30, .exit_code = -1, .final = true,
		.alloc = {
			.live_bytes = 4915200 + 1153434 + 20480 + 8192 + 16,
			.live_count = 1200 + 310 + 100 + 2 + 1,
			.total_allocs = 1234567, .total_frees = 1230000,
			.unknown_frees = 7, .window_start_s = 2,
			.window_end_s = 30, .sites = fx->sites,
			.nr_sites = ARRAY_SIZE(fx->sites),
		},
	};
}

/* ---- helpers ---------------------------------------------------------- */

/* Renders to JSON text and parses it back, as a consumer would. */
static struct json_object *roundtrip(const struct lw_report *r)
{
	struct json_object *doc = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!ASSERT_NOT_NULL(f, "open_memstream"))
		return NULL;
	if (!ASSERT_OK(lw_report__write_json(r, f), "write_json")) {
		fclose(f);
		goto out;
	}
	fclose(f);
	ASSERT_TRUE(size > 0 && buf[size - 1] == '\n', "ends with newline");
	ASSERT_TRUE(!strstr(buf, "\\/"), "slashes not escaped");
	doc = json_tokener_parse(buf);
	ASSERT_NOT_NULL(doc, "parse");
out:
	free(buf);
	return doc;
}

static char *render_text(const struct lw_report *r,
			 const struct lw_text_opts *opts)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int err;

	f = open_memstream(&buf, &size);
	if (!ASSERT_NOT_NULL(f, "open_memstream"))
		return NULL;
	err = lw_report__write_text(r, f, opts);
	fclose(f);
	if (!ASSERT_OK(err, "write_text")) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Member by a dotted path; NULL if missing or null. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s",
			 (int)(dot ? (size_t)(dot - path) : strlen(path)),
			 path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot ? dot + 1 : NULL;
	}
	return o;
}

static bool jhas(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static bool jis_null(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && !v;
}

#define ASSERT_JTYPE(o, path, type)                                            \
	ASSERT_TRUE(json_object_is_type(jget((o), (path)), (type)), path)
#define ASSERT_JSTR(o, path, s)                                                \
	ASSERT_STREQ(json_object_get_string(jget((o), (path))), (s), path)
#define ASSERT_JU64(o, path, v)                                                \
	({                                                                     \
		ASSERT_JTYPE(o, path, json_type_int);                          \
		ASSERT_U64_EQ(json_object_get_uint64(jget((o), (path))), (v),  \
			      path);                                           \
	})
#define ASSERT_JDBL(o, path, v)                                                \
	({                                                                     \
		ASSERT_JTYPE(o, path, json_type_double);                       \
		ASSERT_NEAR(json_object_get_double(jget((o), (path))), (v),    \
			    1e-9, path);                                       \
	})

/* ---- lw_fmt_bytes ----------------------------------------------------- */

static void test_fmt_bytes(void)
{
	static const struct {
		double in;
		const char *out;
	} cases[] = {
		{ 0, "0 B" },
		{ 12, "12 B" },
		{ 1023, "1023 B" },
		{ 1023.7, "1.0 KiB" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 3.2 * 1024 * 1024, "3.2 MiB" },
		{ 1048575, "1.0 MiB" },
		{ 5.0 * 1024 * 1024 * 1024, "5.0 GiB" },
		{ 2.5 * 1024 * 1024 * 1024 * 1024, "2.5 TiB" },
		{ -2048, "-2.0 KiB" },
		{ -0.2, "0 B" },
		{ NAN, "0 B" },
		{ INFINITY, "0 B" },
	};
	char buf[32], tiny[4];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		ASSERT_STREQ(lw_fmt_bytes(cases[i].in, buf, sizeof(buf)),
			     cases[i].out, cases[i].out);
	/* Truncates instead of overflowing. */
	ASSERT_STREQ(lw_fmt_bytes(1536, tiny, sizeof(tiny)), "1.5", "tiny");
	ASSERT_TRUE(lw_fmt_bytes(1, buf, 0) == buf, "len 0");
}

/* Rates printed with %+.Nf: a slope that rounds to zero is "+0.0", never
 * "-0.0" (the goroutine summary used to print "-0.0/s"). */
static void test_shown_rate(void)
{
	static const struct {
		double in;
		int decimals;
		const char *out;
	} cases[] = {
		{ -0.01, 1, "+0.0" },	{ -0.049, 1, "+0.0" },
		{ -0.05, 1, "-0.1" },	{ 0.04, 1, "+0.0" },
		{ 10.1, 1, "+10.1" },	{ -0.004, 2, "+0.00" },
		{ -0.006, 2, "-0.01" }, { NAN, 2, "+0.00" },
		{ -0.4, 0, "+0" },	{ -INFINITY, 1, "+0.0" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(buf, sizeof(buf), "%+.*f", cases[i].decimals,
			 lw_shown_rate(cases[i].in, cases[i].decimals));
		ASSERT_STREQ(buf, cases[i].out, cases[i].out);
	}
}

/* ---- JSON ------------------------------------------------------------- */

static void test_json_top(void)
{
	struct fixture fx;
	struct json_object *doc;

	fixture_init(&fx);
	doc = roundtrip(&fx.r);
	if (!doc)
		return;
	ASSERT_JU64(doc, "version", 1);
	ASSERT_JSTR(doc, "mode", "diagnose");
	ASSERT_JU64(doc, "target.pid", 4242);
	ASSERT_JSTR(doc, "target.comm", "server");
	ASSERT_JSTR(doc, "target.exe", "/usr/bin/server");
	ASSERT_JTYPE(doc, "target.exited", json_type_boolean);
	ASSERT_FALSE(json_object_get_boolean(jget(doc, "target.exited")),
		     "exited");
	ASSERT_FALSE(jhas(jget(doc, "target"), "exit_code"), "no exit_code");
	ASSERT_FALSE(jhas(jget(doc, "target"), "exit_signal"),
		     "no exit_signal");
	ASSERT_JDBL(doc, "duration_s", 30.0);
	ASSERT_JTYPE(doc, "interrupted", json_type_boolean);
	ASSERT_JTYPE(doc, "final", json_type_boolean);
	ASSERT_TRUE(json_object_get_boolean(jget(doc, "final")), "final");

	ASSERT_JU64(doc, "allocations.live_bytes", fx.r.alloc.live_bytes);
	ASSERT_JU64(doc, "allocations.live_count", 1613);
	ASSERT_JU64(doc, "allocations.total_allocs", 1234567);
	ASSERT_JU64(doc, "allocations.total_frees", 1230000);
	ASSERT_JU64(doc, "allocations.unknown_frees", 7);
	ASSERT_JU64(doc, "allocations.dropped_events", 0);
	ASSERT_JU64(doc, "allocations.drops.ringbuf_full", 0);
	ASSERT_JU64(doc, "allocations.drops.stack_failed", 0);
	ASSERT_JU64(doc, "allocations.drops.stack_rec_lost", 0);
	ASSERT_JU64(doc, "allocations.drops.inflight_failed", 0);
	ASSERT_JU64(doc, "allocations.drops.free_lost", 0);
	ASSERT_JDBL(doc, "allocations.window.start_s", 2.0);
	ASSERT_JDBL(doc, "allocations.window.end_s", 30.0);
	ASSERT_JU64(doc, "allocations.verdicts.leak", 1);
	ASSERT_JU64(doc, "allocations.verdicts.growing", 1);
	ASSERT_JU64(doc, "allocations.verdicts.stable", 3);
	ASSERT_JTYPE(doc, "allocations.sites", json_type_array);
	ASSERT_EQ(json_object_array_length(jget(doc, "allocations.sites")), 5,
		  "nr sites");
	json_object_put(doc);
}

static void test_json_sites(void)
{
	static const char *const verdicts[] = { "leak", "growing", "stable",
						"stable", "stable" };
	struct json_object *doc, *sites, *s, *stack, *fr, *series, *pt;
	struct fixture fx;
	size_t i;

	fixture_init(&fx);
	doc = roundtrip(&fx.r);
	if (!doc)
		return;
	sites = jget(doc, "allocations.sites");
	for (i = 0; i < 5; i++)
		ASSERT_JSTR(json_object_array_get_idx(sites, i), "verdict",
			    verdicts[i]);

	/* The symbolized leak. */
	s = json_object_array_get_idx(sites, 0);
	ASSERT_JSTR(s, "kind", "malloc");
	ASSERT_JU64(s, "live_count", 1200);
	ASSERT_JU64(s, "live_bytes", 4915200);
	ASSERT_JU64(s, "total_allocs", 3000);
	ASSERT_JU64(s, "total_frees", 1800);
	ASSERT_JU64(s, "total_bytes", 12288000);
	ASSERT_JDBL(s, "growth_bytes_per_s", 40960.0);
	ASSERT_JDBL(s, "growth_count_per_s", 10.0);
	ASSERT_JDBL(s, "oldest_age_s", 29.6);
	ASSERT_JU64(s, "segments", 6);
	ASSERT_JU64(s, "segments_with_survivors", 6);
	ASSERT_JSTR(s, "stack_id", "0xdeadbeefcafe");
	ASSERT_JTYPE(s, "stack_truncated", json_type_boolean);
	ASSERT_TRUE(json_object_get_boolean(jget(s, "symbolized")),
		    "symbolized");

	stack = jget(s, "stack");
	ASSERT_EQ(json_object_array_length(stack), 4, "frames");
	fr = json_object_array_get_idx(stack, 0);
	ASSERT_JSTR(fr, "address", "0x55d0c0a1b2c3");
	ASSERT_JSTR(fr, "function", "handle_request");
	ASSERT_JSTR(fr, "module", "/usr/bin/server");
	ASSERT_JSTR(fr, "offset", "0x1b2c2");
	ASSERT_JSTR(fr, "file", "/home/dev/server/src/server.c");
	ASSERT_JU64(fr, "line", 42);
	/* libc frame: module known, function and line info not. */
	fr = json_object_array_get_idx(stack, 2);
	ASSERT_TRUE(jis_null(fr, "function"), "function null");
	ASSERT_JSTR(fr, "module", "/lib/x86_64-linux-gnu/libc.so.6");
	ASSERT_JSTR(fr, "offset", "0x29d8f");
	ASSERT_TRUE(jis_null(fr, "file"), "file null");
	ASSERT_TRUE(jis_null(fr, "line"), "line null");
	/* Unmapped frame: everything but the address is null. */
	fr = json_object_array_get_idx(stack, 3);
	ASSERT_JSTR(fr, "address", "0x7f00ffff0000");
	ASSERT_TRUE(jis_null(fr, "module"), "module null");
	ASSERT_TRUE(jis_null(fr, "offset"), "offset null");

	series = jget(s, "series");
	ASSERT_EQ(json_object_array_length(series), 3, "series length");
	pt = json_object_array_get_idx(series, 2);
	ASSERT_EQ(json_object_array_length(pt), 3, "point length");
	ASSERT_TRUE(json_object_is_type(json_object_array_get_idx(pt, 0),
					json_type_double),
		    "t_s double");
	ASSERT_NEAR(json_object_get_double(json_object_array_get_idx(pt, 0)),
		    1.5, 0, "t_s");
	ASSERT_TRUE(json_object_is_type(json_object_array_get_idx(pt, 1),
					json_type_int),
		    "bytes int");
	ASSERT_EQ(json_object_get_int64(json_object_array_get_idx(pt, 1)),
		  8192, "bytes");
	ASSERT_EQ(json_object_get_int64(json_object_array_get_idx(pt, 2)), 8,
		  "count");

	/* Growing site: calloc, no series given -> empty array. */
	s = json_object_array_get_idx(sites, 1);
	ASSERT_JSTR(s, "kind", "calloc");
	ASSERT_JDBL(s, "growth_bytes_per_s", 1228.8);
	ASSERT_JDBL(s, "growth_count_per_s", 0.1);
	ASSERT_EQ(json_object_array_length(jget(s, "series")), 0, "no series");

	/* Unsymbolized site: frames carry only the address. */
	s = json_object_array_get_idx(sites, 3);
	ASSERT_JSTR(s, "kind", "mmap");
	ASSERT_FALSE(json_object_get_boolean(jget(s, "symbolized")),
		     "not symbolized");
	ASSERT_TRUE(json_object_get_boolean(jget(s, "stack_truncated")),
		    "truncated");
	ASSERT_JDBL(s, "growth_bytes_per_s", -3.5);
	stack = jget(s, "stack");
	ASSERT_EQ(json_object_array_length(stack), 3, "raw frames");
	fr = json_object_array_get_idx(stack, 0);
	ASSERT_EQ(json_object_object_length(fr), 1, "address only");
	ASSERT_JSTR(fr, "address", "0x401234");

	/* No stack at all: unknown kind, null stack_id, empty stack. */
	s = json_object_array_get_idx(sites, 4);
	ASSERT_JSTR(s, "kind", "?");
	ASSERT_TRUE(jis_null(s, "stack_id"), "stack_id null");
	ASSERT_EQ(json_object_array_length(jget(s, "stack")), 0, "no frames");
	json_object_put(doc);
}

static void test_json_exited(void)
{
	struct json_object *doc;
	struct fixture fx;

	fixture_init(&fx);
	fx.r.target_exited = true;
	fx.r.exit_code = 3;
	doc = roundtrip(&fx.r);
	if (doc) {
		ASSERT_TRUE(json_object_get_boolean(jget(doc, "target.exited")),
			    "exited");
		ASSERT_JU64(doc, "target.exit_code", 3);
		ASSERT_TRUE(jis_null(jget(doc, "target"), "exit_signal"),
			    "exit_signal null");
		json_object_put(doc);
	}

	fx.r.exit_code = -1;
	fx.r.exit_signal = 11;
	doc = roundtrip(&fx.r);
	if (doc) {
		ASSERT_TRUE(jis_null(jget(doc, "target"), "exit_code"),
			    "exit_code null");
		ASSERT_JU64(doc, "target.exit_signal", 11);
		json_object_put(doc);
	}
}

static void test_json_edge_values(void)
{
	struct json_object *doc;
	struct fixture fx;

	fixture_init(&fx);
	fx.r.mode = NULL;
	fx.r.version = 0;
	/* A comm that fills its array without a terminator. */
	memset(fx.r.target.comm, 'x', sizeof(fx.r.target.comm));
	fx.r.target.exe[0] = '\0';
	fx.r.duration_s = INFINITY;
	fx.sites[0].growth_bytes_per_s = NAN;
	fx.sites[0].oldest_age_s = -0.0;
	fx.sites[0].live_bytes = UINT64_MAX;
	doc = roundtrip(&fx.r);
	if (!doc)
		return;
	ASSERT_JU64(doc, "version", 1);
	ASSERT_TRUE(jis_null(doc, "mode"), "mode null");
	ASSERT_EQ(strlen(json_object_get_string(jget(doc, "target.comm"))),
		  sizeof(fx.r.target.comm), "comm bounded");
	ASSERT_TRUE(jis_null(jget(doc, "target"), "exe"), "exe null");
	ASSERT_JDBL(doc, "duration_s", 0.0);
	ASSERT_JDBL(json_object_array_get_idx(jget(doc, "allocations.sites"),
					      0),
		    "growth_bytes_per_s", 0.0);
	ASSERT_JU64(json_object_array_get_idx(jget(doc, "allocations.sites"),
					      0),
		    "live_bytes", UINT64_MAX);
	json_object_put(doc);
}

/* Doubles print short and exact: 0.1, not 0.10000000000000001. */
static void test_json_double_format(void)
{
	struct json_object *doc;
	struct fixture fx;
	const char *s;

	fixture_init(&fx);
	fx.r.duration_s = 0.1;
	doc = lw_report__to_json(&fx.r);
	if (!ASSERT_NOT_NULL(doc, "to_json"))
		return;
	s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	ASSERT_TRUE(strstr(s, "\"duration_s\":0.1,") != NULL, "0.1");
	ASSERT_TRUE(strstr(s, "\"start_s\":2.0,") != NULL, "2.0");
	ASSERT_TRUE(strstr(s, "\"oldest_age_s\":29.6,") != NULL, "29.6");
	json_object_put(doc);
}

static void test_json_empty(void)
{
	struct json_object *doc;
	struct lw_report r = { .version = 1, .mode = "attach", .final = true };

	doc = roundtrip(&r);
	if (!doc)
		return;
	ASSERT_JTYPE(doc, "allocations.sites", json_type_array);
	ASSERT_EQ(json_object_array_length(jget(doc, "allocations.sites")), 0,
		  "no sites");
	ASSERT_TRUE(jis_null(jget(doc, "target"), "comm"), "comm null");
	json_object_put(doc);
}

static void test_json_drops(void)
{
	struct json_object *doc;
	struct fixture fx;

	fixture_init(&fx);
	fx.r.alloc.drops = (struct lw_alloc_drops){ 1200, 34, 5, 6, 300, 0 };
	/* stack_rec_lost and free_lost are parts of ringbuf_full. */
	fx.r.alloc.dropped_events = 1200 + 34 + 6;
	doc = roundtrip(&fx.r);
	if (!doc)
		return;
	ASSERT_JU64(doc, "allocations.dropped_events", 1240);
	ASSERT_JU64(doc, "allocations.drops.ringbuf_full", 1200);
	ASSERT_JU64(doc, "allocations.drops.stack_failed", 34);
	ASSERT_JU64(doc, "allocations.drops.stack_rec_lost", 5);
	ASSERT_JU64(doc, "allocations.drops.inflight_failed", 6);
	ASSERT_JU64(doc, "allocations.drops.free_lost", 300);
	json_object_put(doc);
}

/* ---- text ------------------------------------------------------------- */

/* Whether every needle occurs in hay, each after the previous one. */
static bool in_order(const char *hay, const char *const *needles, size_t n)
{
	const char *p = hay;
	size_t i;

	for (i = 0; i < n; i++) {
		p = strstr(p, needles[i]);
		if (!p) {
			fprintf(stderr, "  missing in order: \"%s\"\n",
				needles[i]);
			return false;
		}
		p += strlen(needles[i]);
	}
	return true;
}

static const char *const layout_order[] = {
	/* The table, with the site labels. */
	"VERDICT",
	"GROWTH/s",
	"SITE\n",
	"LEAK ",
	"+40.0 KiB",
	"1,200",
	"4.7 MiB",
	"29.6 s",
	"handle_request (server.c:42)\n",
	"GROWING ",
	"cache_put (libcache.so.2)\n",
	"STABLE ",
	"libz.so.1+0x4ef\n",
	"STABLE ",
	"41m 3s",
	"0x401234\n",
	"STABLE ",
	"(stack unknown)\n",
	/* Details: only the leak and the growing site, leak first. */
	"#1 LEAK  handle_request (server.c:42)",
	"4.7 MiB (4,915,200 bytes) from malloc",
	"+40.0 KiB/s, +10.0 blocks/s",
	"3,000 allocs (11.7 MiB), 1,800 frees",
	"stack 0xdeadbeefcafe (4 frames)",
	"#0 0x55d0c0a1b2c3  handle_request",
	"server.c:42",
	"/usr/bin/server\n",
	"#2 0x7f0012345678  libc.so.6+0x29d8f",
	"#3 0x7f00ffff0000  ??\n",
	"#2 GROWING  cache_put",
	"from calloc",
	"#0 0x7f1100001111  libcache.so.2+0x1110",
};

static void test_text_layout(void)
{
	struct lw_text_opts opts = { 0 };
	struct fixture fx;
	char *out;

	fixture_init(&fx);
	out = render_text(&fx.r, &opts);
	if (!out)
		return;
	ASSERT_TRUE(strstr(out, "leakwatch diagnose: PID 4242 (server) "
				"/usr/bin/server, traced 30.0 s\n") == out,
		    "header first");
	ASSERT_TRUE(strstr(out, "allocations: 1,234,567 allocs, 1,230,000 "
				"frees; live: 1,613 blocks, 5.8 MiB in 5 "
				"sites") != NULL,
		    "summary");
	ASSERT_TRUE(strstr(out, "verdicts: 1 leak, 1 growing, 3 stable") !=
			    NULL,
		    "verdict counts");
	ASSERT_TRUE(!strchr(out, '\033'), "no ESC without colour");
	ASSERT_TRUE(!strstr(out, " \n"), "no trailing blanks");
	ASSERT_TRUE(!strstr(out, "WARNING"), "no drop warning");
	ASSERT_TRUE(!strstr(out, "exited"), "not exited");

	/* Table, then details: verdicts first, biggest first. */
	ASSERT_TRUE(in_order(out, layout_order, ARRAY_SIZE(layout_order)),
		    "layout order");
	ASSERT_TRUE(!strstr(out, "#3 STABLE"), "no stable details");
	free(out);
}

static void test_text_frames_cap(void)
{
	struct lw_text_opts opts = { .max_frames = 2 };
	struct fixture fx;
	char *out;

	fixture_init(&fx);
	out = render_text(&fx.r, &opts);
	if (!out)
		return;
	ASSERT_TRUE(strstr(out, "      ... 2 more frames\n") != NULL,
		    "more frames");
	ASSERT_TRUE(!strstr(out, "#2 0x7f0012345678"), "frame 2 hidden");
	free(out);

	opts.verbose = true;
	out = render_text(&fx.r, &opts);
	if (!out)
		return;
	ASSERT_TRUE(strstr(out, "#3 0x7f00ffff0000") != NULL, "verbose: all");
	ASSERT_TRUE(strstr(out, "\nno events dropped\n") != NULL,
		    "verbose: drops");
	ASSERT_TRUE(strstr(out, "#3 STABLE") != NULL, "verbose: stable too");
	ASSERT_TRUE(strstr(out, "(3 frames, truncated, not symbolized)") !=
			    NULL,
		    "raw stack");
	ASSERT_TRUE(strstr(out, "stack: unknown") != NULL, "no stack");
	ASSERT_TRUE(strstr(out, "(7 of blocks allocated before tracing)") !=
			    NULL,
		    "unknown frees");
	free(out);
}

static void test_text_stable_cap(void)
{
	struct lw_text_opts opts = { .max_sites = 1 };
	struct fixture fx;
	char *out;

	fixture_init(&fx);
	out = render_text(&fx.r, &opts);
	if (!out)
		return;
	ASSERT_TRUE(strstr(out, "libz.so.1+0x4ef") != NULL, "first stable");
	ASSERT_TRUE(!strstr(out, "0x401234\n"), "second stable hidden");
	/* 8192 + 16 bytes in the two hidden sites. */
	ASSERT_TRUE(strstr(out, "... and 2 more stable sites holding 8.0 "
				"KiB\n") != NULL,
		    "stable summary");
	ASSERT_TRUE(!strstr(out, "#2 GROWING"), "one detail only");
	/* Two leak/growing sites, one allowed: the growing one is summed. */
	ASSERT_TRUE(strstr(out, "... and 1 more leaking or growing site "
				"holding 1.1 MiB\n") != NULL,
		    "unstable summary");
	free(out);
}

static void test_text_drops(void)
{
	struct fixture fx;
	char *out;

	fixture_init(&fx);
	fx.r.alloc.drops = (struct lw_alloc_drops){ 1200, 34, 0, 0, 300, 0 };
	fx.r.alloc.dropped_events = 1234;
	out = render_text(&fx.r, NULL);
	if (!out)
		return;
	ASSERT_TRUE(strstr(out, "WARNING: 1,234 events dropped (ring buffer "
				"full: 1,200, stack capture failed: 34): "
				"figures may undercount; 300 lost frees") !=
			    NULL,
		    "drop warning");
	ASSERT_TRUE(strstr(out, "WARNING") < strstr(out, "allocations:"),
		    "warning before summary");
	free(out);
}

static void test_text_exit(void)
{
	struct fixture fx;
	char *out;

	fixture_init(&fx);
	fx.r.target_exited = true;
	fx.r.exit_code = 0;
	fx.r.duration_s = 7500;
	out = render_text(&fx.r, NULL);
	if (out) {
		ASSERT_TRUE(strstr(out, "traced 2h 5m\n") != NULL, "2h 5m");
		ASSERT_TRUE(strstr(out, "target exited after 2h 5m (exit code "
					"0)\n") != NULL,
			    "exit code");
		free(out);
	}

	fx.r.exit_code = -1;
	fx.r.exit_signal = 11;
	fx.r.interrupted = true;
	fx.r.final = false;
	fx.r.duration_s = 29.64;
	out = render_text(&fx.r, NULL);
	if (out) {
		ASSERT_TRUE(strstr(out, "target exited after 29.6 s (killed by "
					"SIGSEGV)\n") != NULL,
			    "signal");
		ASSERT_TRUE(strstr(out, "interrupted after 29.6 s\n") != NULL,
			    "interrupted");
		ASSERT_TRUE(strstr(out, "(interim report)") != NULL, "interim");
		free(out);
	}
}

static void test_text_color(void)
{
	struct lw_text_opts opts = { .color = true };
	struct fixture fx;
	char *out;

	fixture_init(&fx);
	fx.r.alloc.dropped_events = 1;
	fx.r.alloc.drops.ringbuf_full = 1;
	out = render_text(&fx.r, &opts);
	if (!out)
		return;
	ASSERT_TRUE(strchr(out, '\033') != NULL, "ESC with colour");
	ASSERT_TRUE(strstr(out, "\033[1;31mLEAK   \033[0m") != NULL,
		    "red padded LEAK");
	ASSERT_TRUE(strstr(out, "\033[33mGROWING\033[0m") != NULL,
		    "yellow GROWING");
	ASSERT_TRUE(strstr(out, "\033[1;31mWARNING") != NULL, "red warning");
	free(out);
}

static void test_text_empty(void)
{
	struct lw_report r = {
		.version = 1, .mode = "attach", .duration_s = 2463,
		.target = { .pid = 7 }, .final = true,
	};
	char *out;

	out = render_text(&r, NULL);
	if (!out)
		return;
	ASSERT_TRUE(strstr(out, "leakwatch attach: PID 7, traced 41m 3s\n") ==
			    out,
		    "header");
	ASSERT_TRUE(strstr(out, "live: 0 blocks, 0 B in 0 sites") != NULL,
		    "summary");
	ASSERT_TRUE(strstr(out, "no outstanding allocations from the traced "
				"window\n") != NULL,
		    "empty line");
	ASSERT_TRUE(!strstr(out, "VERDICT"), "no table");
	free(out);
}

static void test_write_errors(void)
{
	struct fixture fx;
	FILE *f;

	fixture_init(&fx);
	ASSERT_EQ(lw_report__write_text(NULL, stdout, NULL), -EINVAL, "NULL");
	ASSERT_EQ(lw_report__write_json(&fx.r, NULL), -EINVAL, "NULL f");
	ASSERT_TRUE(lw_report__to_json(NULL) == NULL && errno == EINVAL,
		    "NULL json");
	/* /dev/full takes the writes and fails them at flush time. */
	f = fopen("/dev/full", "w");
	if (!f)
		return;
	ASSERT_EQ(lw_report__write_text(&fx.r, f, NULL), -ENOSPC, "text");
	clearerr(f);
	ASSERT_EQ(lw_report__write_json(&fx.r, f), -ENOSPC, "json");
	fclose(f);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_fmt_bytes),
		LWT_CASE(test_shown_rate),
		LWT_CASE(test_json_top),
		LWT_CASE(test_json_sites),
		LWT_CASE(test_json_exited),
		LWT_CASE(test_json_edge_values),
		LWT_CASE(test_json_double_format),
		LWT_CASE(test_json_empty),
		LWT_CASE(test_json_drops),
		LWT_CASE(test_text_layout),
		LWT_CASE(test_text_frames_cap),
		LWT_CASE(test_text_stable_cap),
		LWT_CASE(test_text_drops),
		LWT_CASE(test_text_exit),
		LWT_CASE(test_text_color),
		LWT_CASE(test_text_empty),
		LWT_CASE(test_write_errors),
	};

	return lw_test_main(cases, ARRAY_SIZE(cases));
}
