/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Pure parts of the Go support: pprof's heap sample scaling, the heap
 * site verdict, the goroutine site verdict downgrade, decoding and
 * validating one runtime.g, and the JSON and text of the Go sections.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "go/goheap.h"
#include "go/goreport.h"
#include "go/goroutines.h"
#include "lwtest.h"
#include "render.h"

static void test_scale(void)
{
	double objs, bytes, s;

	/* One 64 KiB sample at the default rate: p = 1 - exp(-1/8). */
	lw_goheap_scale(1, 65536, 524288, &objs, &bytes);
	s = 1 / (1 - exp(-0.125));
	ASSERT_NEAR(objs, s, 1e-9, "objects");
	ASSERT_NEAR(bytes, 65536 * s, 1e-6, "bytes");
	ASSERT_NEAR(s, 8.510413955, 1e-9, "the factor itself");
	/* Three 100-byte samples: the mean size decides. */
	lw_goheap_scale(3, 300, 524288, &objs, &bytes);
	ASSERT_NEAR(objs, 15730.140047685, 1e-6, "small objects");
	ASSERT_NEAR(bytes, 1573014.004768527, 1e-4, "small bytes");
	/* Rate 1: every allocation sampled, exact. */
	lw_goheap_scale(100, 409600, 1, &objs, &bytes);
	ASSERT_NEAR(objs, 100, 0, "exact objects");
	ASSERT_NEAR(bytes, 409600, 0, "exact bytes");
	lw_goheap_scale(0, 0, 524288, &objs, &bytes);
	ASSERT_NEAR(objs + bytes, 0, 0, "nothing");
}

static void test_slope(void)
{
	const struct lw_point pts[] = {
		{0, 0, 5},
		{1, 10, 7},
		{2, 20, 9},
		{3, 30, 11},
	};

	ASSERT_NEAR(lw_go_slope(pts, 4, false), 10, 1e-12, "bytes/s");
	ASSERT_NEAR(lw_go_slope(pts, 4, true), 2, 1e-12, "count/s");
	ASSERT_NEAR(lw_go_slope(pts, 1, false), 0, 0, "one point");
}

static void test_heap_verdict(void)
{
	const struct lw_point rising[] = {
		{0, 100, 0}, {2, 200, 0}, {4, 300, 0}, {6, 400, 0}, {8, 500, 0},
	};
	/* Up once, then flat: a cache that filled, not a leak. */
	const struct lw_point step[] = {
		{0, 100, 0}, {2, 300, 0}, {4, 300, 0}, {6, 300, 0}, {8, 300, 0},
	};
	const struct lw_point flat[] = {
		{0, 300, 0},
		{4, 300, 0},
		{8, 300, 0},
	};
	const struct lw_point falling[] = {
		{0, 300, 0},
		{4, 200, 0},
		{8, 100, 0},
	};
	double slope;

	ASSERT_EQ(lw_goheap_verdict(rising, 5, 0, 8, 4, &slope),
		  LW_VERDICT_LEAK, "rising in every segment");
	ASSERT_NEAR(slope, 50, 1e-9, "slope");
	ASSERT_EQ(lw_goheap_verdict(step, 5, 0, 8, 4, &slope),
		  LW_VERDICT_GROWING, "one step");
	ASSERT_EQ(lw_goheap_verdict(flat, 3, 0, 8, 4, &slope),
		  LW_VERDICT_STABLE, "flat");
	ASSERT_EQ(lw_goheap_verdict(falling, 3, 0, 8, 4, &slope),
		  LW_VERDICT_STABLE, "falling");
	/* A site that appears at t=2 and keeps rising: from 0 at t_start. */
	ASSERT_EQ(lw_goheap_verdict(rising + 1, 4, 0, 8, 4, &slope),
		  LW_VERDICT_LEAK, "appeared then rising");
}

static void test_site_verdict(void)
{
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_LEAK, 10, 10, 0), LW_VERDICT_LEAK,
		  "all blocked");
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_LEAK, 10, 6, 0), LW_VERDICT_LEAK,
		  "most blocked");
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_LEAK, 10, 5, 0),
		  LW_VERDICT_GROWING, "half working");
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_LEAK, 10, 0, 0),
		  LW_VERDICT_GROWING, "all working");
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_GROWING, 10, 10, 0),
		  LW_VERDICT_GROWING, "never upgraded");
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_STABLE, 10, 10, 0),
		  LW_VERDICT_STABLE, "stable pool");
	/* Proven leaked by the runtime (_Gleaked): a leak even when flat. */
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_STABLE, 7, 7, 7),
		  LW_VERDICT_LEAK, "runtime-proven, flat");
	ASSERT_EQ(lw_go_site_verdict(LW_VERDICT_GROWING, 10, 3, 1),
		  LW_VERDICT_LEAK, "runtime-proven, one of ten");
}

/* Go 1.22's runtime.g offsets (docs/go.md). */
static const struct lw_go_layout l122 = {
	.g_stack_lo = 0,
	.g_stack_hi = 8,
	.g_sched_sp = 56,
	.g_sched_pc = 64,
	.g_sched_bp = 104,
	.g_syscallsp = 112,
	.g_syscallpc = 120,
	.g_atomicstatus = 144,
	.g_goid = 152,
	.g_waitsince = 168,
	.g_waitreason = 176,
	.g_gopc = 280,
	.g_startpc = 296,
};

#define TEXT_LO 0x400000
#define TEXT_HI 0x500000

static void put64(unsigned char *b, uint32_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void put32(unsigned char *b, uint32_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void make_g(unsigned char *b, uint32_t status)
{
	memset(b, 0, 320);
	put64(b, 0, 0xc000100000);
	put64(b, 8, 0xc000102000);
	put64(b, 56, 0xc000101f00);
	put64(b, 64, 0x431dae);
	put64(b, 104, 0xc000101f40);
	put32(b, 144, status);
	put64(b, 152, 42);
	put64(b, 168, 123456789);
	b[176] = 7;
	put64(b, 280, 0x45e72f);
	put64(b, 296, 0x45e800);
}

static void test_decode(void)
{
	unsigned char b[320];
	struct lw_goroutine g;

	make_g(b, LW_G_WAITING);
	if (ASSERT_TRUE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO,
					    TEXT_HI, 40, &g),
			"waiting g")) {
		ASSERT_U64_EQ(g.goid, 42, "goid");
		ASSERT_EQ(g.status, LW_G_WAITING, "status");
		ASSERT_EQ(g.waitreason, 7, "reason");
		ASSERT_EQ(g.waitsince, 123456789, "waitsince");
		ASSERT_U64_EQ(g.gopc, 0x45e72f, "gopc");
		ASSERT_U64_EQ(g.startpc, 0x45e800, "startpc");
		ASSERT_U64_EQ(g.sched_bp, 0xc000101f40, "bp");
	}
	make_g(b, LW_G_SCAN | LW_G_WAITING);
	ASSERT_TRUE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					40, &g) &&
			    g.status == LW_G_WAITING,
		    "scan bit masked");
	make_g(b, LW_G_DEADEXTRA);
	ASSERT_TRUE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					40, &g) &&
			    g.status == LW_G_DEAD,
		    "a spare cgo g is dead");

	/* Every inconsistency is a failed read, never data. */
	make_g(b, 5);
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					 40, &g),
		     "unused status");
	make_g(b, 0x20004);
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					 40, &g),
		     "stray status bits");
	make_g(b, LW_G_WAITING);
	put64(b, 152, 0);
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					 40, &g),
		     "goid 0");
	make_g(b, LW_G_WAITING);
	put64(b, 280, 0x600000);
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					 40, &g),
		     "gopc outside the code");
	make_g(b, LW_G_WAITING);
	put64(b, 8, 0xc0000f0000);
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					 40, &g),
		     "stack hi below lo");
	make_g(b, LW_G_WAITING);
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					 7, &g),
		     "wait reason past the table");
	ASSERT_FALSE(lw_goroutine_decode(&l122, b, 200, TEXT_LO, TEXT_HI, 40,
					 &g),
		     "short read");
	/* An extra M's g running a cgo callback has neither pc. */
	make_g(b, LW_G_SYSCALL);
	put64(b, 280, 0);
	put64(b, 296, 0);
	ASSERT_TRUE(lw_goroutine_decode(&l122, b, sizeof(b), TEXT_LO, TEXT_HI,
					40, &g),
		    "cgo callback g");
}

static struct lw_frame fr(const char *fn, const char *file, int line)
{
	struct lw_frame f = {
		.addr = 0x401000,
		.function = fn,
		.module = "/srv/app",
		.module_offset = 0x400fff,
		.file = file,
		.line = line,
	};
	return f;
}

static void test_render(void)
{
	struct lw_frame frames[3] = {
		fr("runtime.gopark", "/go/src/runtime/proc.go", 402),
		fr("runtime.chanrecv1", "/go/src/runtime/chan.go", 442),
		fr("main.subscribe.func1", "/src/server.go", 91),
	};
	struct lw_go_count reasons[1] = {{"chan receive", 12004}};
	struct lw_go_site site = {
		.verdict = LW_VERDICT_LEAK,
		.live = 12004,
		.growth_per_s = 10.1,
		.gopc = 0x401000,
		.created_by = fr("main.subscribe", "/src/server.go", 88),
		.start_function = "main.subscribe.func1",
		.waiting = 12004,
		.reasons = reasons,
		.nr_reasons = 1,
		.oldest_blocked_s = 2460,
		.frames = frames,
		.nr_frames = 3,
	};
	struct lw_go_report r = {
		.version = "go1.22.5",
		.layout_from = "table",
		.stripped = true,
		.goroutines_ok = true,
		.live = 18342,
		.snapshots = 30,
		.growth_per_s = 61,
		.sites = &site,
		.nr_sites = 1,
		.heap_available = false,
		.heap_reason = LW_GOHEAP_DISABLED,
		.rss_bytes = 1 << 20,
	};
	struct json_object *root = json_object_new_object(), *g, *s, *v;
	struct lw_text t = {.max_sites = 10, .max_frames = 8};
	char *text = NULL;
	size_t len = 0;

	if (!ASSERT_OK(lw_go_report__to_json(root, &r), "json"))
		goto out;
	ASSERT_TRUE(json_object_object_get_ex(root, "go", &g) &&
			    json_object_object_get_ex(g, "layout_from", &v) &&
			    !strcmp(json_object_get_string(v), "table"),
		    "go.layout_from");
	ASSERT_TRUE(json_object_object_get_ex(root, "goroutines", &g) &&
			    json_object_object_get_ex(g, "sites", &s) &&
			    json_object_array_length(s) == 1,
		    "one site");
	s = json_object_array_get_idx(s, 0);
	ASSERT_TRUE(s && json_object_object_get_ex(s, "verdict", &v) &&
			    !strcmp(json_object_get_string(v), "leak"),
		    "verdict");
	ASSERT_TRUE(s && json_object_object_get_ex(s, "created_by", &v) &&
			    json_object_object_get_ex(v, "line", &v) &&
			    json_object_get_int(v) == 88,
		    "created_by.line");
	ASSERT_TRUE(s && json_object_object_get_ex(s, "wait_reasons", &v) &&
			    json_object_object_get_ex(v, "chan receive", &v) &&
			    json_object_get_int64(v) == 12004,
		    "wait_reasons");
	ASSERT_TRUE(json_object_object_get_ex(root, "go_heap", &g) &&
			    json_object_object_get_ex(g, "available", &v) &&
			    !json_object_get_boolean(v),
		    "heap not available");

	t.f = open_memstream(&text, &len);
	if (!ASSERT_NOT_NULL(t.f, "memstream"))
		goto out;
	lw_go_report__print(&t, &r);
	fclose(t.f);
	ASSERT_TRUE(strstr(text, "goroutines: 18,342 live (+61.0/s)") != NULL,
		    "summary line");
	ASSERT_TRUE(strstr(text, "created by main.subscribe (server.go:88)") !=
			    NULL,
		    "created by");
	ASSERT_TRUE(strstr(text, "all waiting: chan receive, oldest 41m") !=
			    NULL,
		    "states line");
	ASSERT_TRUE(strstr(text, "stack: runtime.gopark (proc.go:402) ... "
				 "main.subscribe.func1 (server.go:91)") != NULL,
		    "short stack");
	ASSERT_TRUE(strstr(text, LW_GOHEAP_DISABLED) != NULL, "heap reason");
	if (lwt_failed)
		fprintf(stderr, "%s", text);

	/* Not a Go target: all three null. */
	json_object_put(root);
	root = json_object_new_object();
	ASSERT_OK(lw_go_report__to_json(root, NULL), "null json");
	ASSERT_TRUE(json_object_object_get_ex(root, "go", &v) && !v &&
			    json_object_object_get_ex(root, "go_heap", &v) &&
			    !v,
		    "nulls");
out:
	free(text);
	json_object_put(root);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_scale),	     LWT_CASE(test_slope),
		LWT_CASE(test_heap_verdict), LWT_CASE(test_site_verdict),
		LWT_CASE(test_decode),	     LWT_CASE(test_render),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
