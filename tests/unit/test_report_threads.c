/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests of report_threads.c: state groups and their cap, the JSON
 * view of the threads section (docs/json-schema.md) and the text view.
 */
#define _GNU_SOURCE /* open_memstream() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lwtest.h"
#include "report_threads.h"

static void test_group_cap(void)
{
	struct lw_thread_group g = { 0 };
	char name[16];
	int i;

	for (i = 0; i < 3; i++)
		lw_thread_group__add(&g, "futex");
	lw_thread_group__add(&g, "read");
	ASSERT_EQ(g.nr, 2, "two keys");
	ASSERT_U64_EQ(g.e[0].n, 3, "futex thrice");
	/* Past LW_THREAD_MAX_KEYS names, the rest goes to "other". */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "call%d", i);
		lw_thread_group__add(&g, name);
	}
	ASSERT_EQ(g.nr, LW_THREAD_MAX_KEYS + 1, "capped");
	ASSERT_STREQ(g.e[LW_THREAD_MAX_KEYS].name, "other", "overflow key");
	ASSERT_U64_EQ(g.e[LW_THREAD_MAX_KEYS].n, 4, "4 in other");
}

/* A leak site with a symbolized frame and the stack-unknown site. */
static void fill(struct lw_thread_report *r, struct lw_thread_site *s,
		 uint64_t *ips, struct lw_frame *fr)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, 2 * sizeof(*s));
	ips[0] = 0x401234;
	fr[0] = (struct lw_frame){ .addr = 0x401234, .function = "leak_spawn",
				   .module = "/usr/bin/srv",
				   .module_offset = 0x1233,
				   .file = "/src/srv.c", .line = 85 };
	s[0].verdict = LW_VERDICT_LEAK;
	s[0].stack_id = 0xabc;
	s[0].live = 30;
	s[0].births = 30;
	s[0].growth_per_s = 5.0;
	s[0].ips = ips;
	s[0].nr_ips = 1;
	s[0].frames = fr;
	s[0].nr_frames = 1;
	s[0].segments = 4;
	s[0].segments_with_survivors = 4;
	for (int i = 0; i < 30; i++) {
		lw_thread_group__add(&s[0].states, "sleeping");
		lw_thread_group__add(&s[0].syscalls, "futex");
		lw_thread_group__add(&s[0].wchan, "futex_do_wait");
	}
	s[1].verdict = LW_VERDICT_STABLE;
	s[1].live = 1;
	s[1].created_before_attach = true;
	r->live = 31;
	r->births = 30;
	r->states_known = true;
	r->sites = s;
	r->nr_sites = 2;
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static void test_json(void)
{
	struct lw_thread_report r;
	struct lw_thread_site s[2];
	struct lw_frame fr[1];
	uint64_t ips[1];
	struct json_object *root = json_object_new_object(), *th, *site;

	fill(&r, s, ips, fr);
	ASSERT_OK(lw_thread_report__to_json(root, &r), "to_json");
	th = jget(root, "threads");
	ASSERT_U64_EQ(json_object_get_uint64(jget(th, "live")), 31, "live");
	ASSERT_U64_EQ(json_object_get_uint64(jget(jget(th, "verdicts"), "leak")),
		      1, "verdicts.leak");
	site = json_object_array_get_idx(jget(th, "sites"), 0);
	ASSERT_STREQ(json_object_get_string(jget(site, "verdict")), "leak",
		     "verdict");
	ASSERT_U64_EQ(json_object_get_uint64(jget(jget(site, "syscalls"),
						  "futex")),
		      30, "syscalls.futex");
	ASSERT_STREQ(json_object_get_string(jget(site, "stack_id")), "0xabc",
		     "stack_id");
	ASSERT_TRUE(json_object_is_type(jget(site, "growth_per_s"),
					json_type_double),
		    "growth is a double");
	site = json_object_array_get_idx(jget(th, "sites"), 1);
	ASSERT_TRUE(jget(site, "stack_id") == NULL &&
			    json_object_object_get_ex(site, "stack_id", NULL),
		    "unknown stack_id is null");
	ASSERT_EQ(json_object_array_length(jget(site, "stack")), 0,
		  "no frames");
	json_object_put(root);

	/* Off: "threads": null. */
	root = json_object_new_object();
	ASSERT_OK(lw_thread_report__to_json(root, NULL), "to_json NULL");
	ASSERT_TRUE(json_object_object_get_ex(root, "threads", &th) && !th,
		    "null when off");
	json_object_put(root);
}

static void test_text(void)
{
	struct lw_thread_report r;
	struct lw_thread_site s[2];
	struct lw_frame fr[1];
	uint64_t ips[1];
	char *buf = NULL;
	size_t len = 0;
	struct lw_text t = { .max_sites = 10, .max_frames = 8 };

	fill(&r, s, ips, fr);
	t.f = open_memstream(&buf, &len);
	if (!t.f)
		return;
	lw_thread_report__print(&t, &r);
	fclose(t.f);
	ASSERT_TRUE(strstr(buf, "threads: 31 live in 2 sites") != NULL,
		    "summary line");
	ASSERT_TRUE(strstr(buf, "leak_spawn (srv.c:85)  [30 futex]") != NULL,
		    "table row");
	ASSERT_TRUE(strstr(buf, "now: 30 sleeping; in syscall: 30 futex; waiting in: 30 futex_do_wait") != NULL,
		    "states line");
	ASSERT_TRUE(strstr(buf, "(created before attach: stack unknown)") != NULL,
		    "unknown site");
	free(buf);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_group_cap),
		LWT_CASE(test_json),
		LWT_CASE(test_text),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
