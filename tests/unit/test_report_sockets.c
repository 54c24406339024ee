/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests of the sockets section renderers (src/report_sockets.c): the
 * JSON object (null when off, states and protocols, origins, stack ids,
 * inlined Go frames) and the text section, over a hand-made struct
 * lw_socket_report.
 */
#define _GNU_SOURCE /* open_memstream() */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "lwtest.h"
#include "report_sockets.h"

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static int64_t get_int(json_object *o, const char *key)
{
	return json_object_get_int64(get(o, key));
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_string(v) : NULL;
}

static struct lw_frame frames[2] = {
	{.addr = 0x401234,
	 .function = "accept_and_keep",
	 .module = "/usr/bin/srv",
	 .module_offset = 0x1233,
	 .file = "/src/srv.c",
	 .line = 42},
	{.addr = 0x405678,
	 .function = "serve",
	 .module = "/usr/bin/srv",
	 .module_offset = 0x5677},
};
static const uint64_t ips[2] = {0x401234, 0x405678};

/* Two sites: a CLOSE_WAIT leak with a stack, sockets from before tracing;
 * one other kind. */
static void fill(struct lw_socket_report *r, struct lw_socket_site *sites)
{
	memset(r, 0, sizeof(*r));
	memset(sites, 0, 2 * sizeof(*sites));
	sites[0].verdict = LW_VERDICT_LEAK;
	sites[0].open_verdict = LW_VERDICT_GROWING;
	sites[0].close_wait_verdict = LW_VERDICT_LEAK;
	sites[0].site = 0xabc;
	sites[0].call = LW_FD_ACCEPT;
	sites[0].open = 5;
	sites[0].births = 5;
	sites[0].by_state[LW_SOCK_CLOSE_WAIT] = 4;
	sites[0].by_state[LW_SOCK_ESTABLISHED] = 1;
	sites[0].by_proto[LW_PROTO_TCP] = 5;
	sites[0].ips = ips;
	sites[0].nr_ips = 2;
	sites[0].frames = frames;
	sites[0].nr_frames = 2;
	sites[0].segments = 4;
	sites[0].segments_with_survivors = 4;
	sites[1].verdict = LW_VERDICT_STABLE;
	sites[1].site = LW_FD_SITE_BEFORE;
	sites[1].open = 2;
	sites[1].has_unknown_births = true;
	sites[1].by_state[LW_SOCK_LISTEN] = 1;
	sites[1].by_state[LW_SOCK_UNKNOWN] = 1;
	sites[1].by_proto[LW_PROTO_UNIX] = 2;
	r->sites = sites;
	r->nr_sites = 2;
	r->open = 7;
	r->states_known = true;
	r->by_state[LW_SOCK_CLOSE_WAIT] = 4;
	r->by_state[LW_SOCK_ESTABLISHED] = 1;
	r->by_state[LW_SOCK_LISTEN] = 1;
	r->by_state[LW_SOCK_UNKNOWN] = 1;
	r->by_proto[LW_PROTO_TCP] = 5;
	r->by_proto[LW_PROTO_UNIX] = 2;
	r->kinds[0] = (struct lw_fd_kind_report){.kind = LW_FDK_EVENTFD,
						 .verdict = LW_VERDICT_LEAK,
						 .open = 9,
						 .growth_per_s = 2.0};
	r->nr_kinds = 1;
}

static void test_json(void)
{
	struct lw_socket_site sites[2];
	struct lw_socket_report r;
	json_object *root = json_object_new_object(), *s, *site, *bs;

	if (!ASSERT_OK(lw_sockets__to_json(root, NULL), "null section"))
		goto out;
	ASSERT_TRUE(get(root, "sockets") == NULL, "sockets: null when off");
	json_object_put(root);
	root = json_object_new_object();

	fill(&r, sites);
	if (!ASSERT_OK(lw_sockets__to_json(root, &r), "to_json"))
		goto out;
	s = get(root, "sockets");
	if (!ASSERT_TRUE(s != NULL, "sockets object"))
		goto out;
	ASSERT_EQ(get_int(s, "open"), 7, "open");
	ASSERT_EQ(get_int(get(s, "by_state"), "CLOSE_WAIT"), 4, "CLOSE_WAIT");
	ASSERT_EQ(get_int(get(s, "by_state"), "UNKNOWN"), 1, "UNKNOWN");
	ASSERT_TRUE(get(get(s, "by_state"), "TIME_WAIT") == NULL, "zero states "
								  "absent");
	ASSERT_EQ(get_int(get(s, "by_proto"), "unix"), 2, "unix");
	ASSERT_EQ(get_int(get(s, "verdicts"), "leak"), 1, "one leak");
	ASSERT_EQ(json_object_array_length(get(s, "sites")), 2, "sites");

	site = json_object_array_get_idx(get(s, "sites"), 0);
	ASSERT_STREQ(get_str(site, "verdict"), "leak", "verdict");
	ASSERT_STREQ(get_str(site, "open_verdict"), "growing", "open_verdict");
	ASSERT_STREQ(get_str(site, "close_wait_verdict"), "leak",
		     "close_wait_verdict");
	ASSERT_STREQ(get_str(site, "origin"), "stack", "origin");
	ASSERT_STREQ(get_str(site, "call"), "accept", "call");
	ASSERT_STREQ(get_str(site, "stack_id"), "0xabc", "stack_id");
	bs = get(site, "by_state");
	ASSERT_EQ(json_object_object_length(bs), 2, "two states");
	ASSERT_STREQ(get_str(json_object_array_get_idx(get(site, "stack"), 0),
			     "function"),
		     "accept_and_keep", "frame 0");

	site = json_object_array_get_idx(get(s, "sites"), 1);
	ASSERT_STREQ(get_str(site, "origin"), "before_tracing", "origin 2");
	ASSERT_TRUE(get(site, "stack_id") == NULL, "no stack id");
	ASSERT_TRUE(get(site, "call") == NULL, "no call");
	ASSERT_TRUE(json_object_get_boolean(get(site, "created_before_"
						      "tracing")),
		    "before tracing");

	ASSERT_STREQ(get_str(json_object_array_get_idx(get(s, "fd_kinds"), 0),
			     "kind"),
		     "eventfd", "kind");
out:
	json_object_put(root);
}

static void test_text(void)
{
	struct lw_socket_site sites[2];
	struct lw_socket_report r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct lw_text t = {.f = f, .max_sites = 10, .max_frames = 8};

	if (!ASSERT_TRUE(f != NULL, "memstream"))
		return;
	fill(&r, sites);
	lw_sockets__write_text(&t, &r);
	lw_sockets__write_text(&t, NULL); /* prints nothing */
	fclose(f);
	ASSERT_TRUE(strstr(buf, "sockets: 7 open (ESTABLISHED 1, CLOSE_WAIT 4, "
				"LISTEN 1, UNKNOWN 1); tcp 5, unix 2 in 2 "
				"sites") != NULL,
		    "summary line");
	ASSERT_TRUE(strstr(buf, "accept in accept_and_keep (srv.c:42)") != NULL,
		    "site row");
	ASSERT_TRUE(strstr(buf, "(open before tracing started)") != NULL, "befo"
									  "re-"
									  "trac"
									  "ing "
									  "ro"
									  "w");
	ASSERT_TRUE(strstr(buf, "eventfd 9 (LEAK, +2.00/s)") != NULL, "kinds "
								      "line");
	ASSERT_TRUE(strstr(buf, "#1 LEAK  accept_and_keep (srv.c:42)") != NULL,
		    "detail heading");
	ASSERT_TRUE(strstr(buf, "#2") == NULL, "stable sites not detailed");
	if (lwt_failed)
		fprintf(stderr, "%s", buf);
	free(buf);
}

/* A Go site whose first address holds an inlined call: three frames for
 * two addresses, all rendered, the inlined one marked. */
static void test_inlined(void)
{
	static struct lw_frame go[3] = {
		{.addr = 0x4a0010,
		 .function = "main.dialInl",
		 .module = "/usr/bin/gosrv",
		 .module_offset = 0x4a000f,
		 .file = "/src/main.go",
		 .line = 12,
		 .inlined = true},
		{.addr = 0x4a0010,
		 .function = "main.dial",
		 .module = "/usr/bin/gosrv",
		 .module_offset = 0x4a000f,
		 .file = "/src/main.go",
		 .line = 20},
		{.addr = 0x4a0200,
		 .function = "main.main",
		 .module = "/usr/bin/gosrv",
		 .module_offset = 0x4a01ff,
		 .file = "/src/main.go",
		 .line = 30},
	};
	static const uint64_t go_ips[2] = {0x4a0010, 0x4a0200};
	struct lw_socket_site sites[2];
	struct lw_socket_report r;
	json_object *root = json_object_new_object(), *stack;
	struct lw_text t = {.max_sites = 10, .max_frames = 8};
	char *buf = NULL;
	size_t len = 0;

	fill(&r, sites);
	sites[0].ips = go_ips;
	sites[0].frames = go;
	sites[0].nr_frames = 3;
	if (!ASSERT_OK(lw_sockets__to_json(root, &r), "to_json"))
		goto out;
	stack = get(json_object_array_get_idx(get(get(root, "sockets"), "site"
									"s"),
					      0),
		    "stack");
	if (!ASSERT_EQ(stack ? json_object_array_length(stack) : 0, 3,
		       "frames"))
		goto out;
	ASSERT_TRUE(json_object_get_boolean(
			    get(json_object_array_get_idx(stack, 0), "inline"
								     "d")),
		    "frame 0 inlined");
	ASSERT_TRUE(get(json_object_array_get_idx(stack, 1), "inlined") == NULL,
		    "frame 1 physical");
	ASSERT_STREQ(get_str(json_object_array_get_idx(stack, 2), "function"),
		     "main.main", "frame 2");
	ASSERT_STREQ(get_str(json_object_array_get_idx(stack, 2), "address"),
		     "0x4a0200", "frame 2 address");

	t.f = open_memstream(&buf, &len);
	if (!ASSERT_TRUE(t.f != NULL, "memstream"))
		goto out;
	lw_sockets__write_text(&t, &r);
	fclose(t.f);
	ASSERT_TRUE(strstr(buf, "#1 LEAK  main.dialInl (main.go:12)") != NULL,
		    "named after the inlined call");
	ASSERT_TRUE(strstr(buf, "(3 frames)") != NULL, "three frames shown");
	if (lwt_failed)
		fprintf(stderr, "%s", buf);
	free(buf);
out:
	json_object_put(root);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_json),
		LWT_CASE(test_text),
		LWT_CASE(test_inlined),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
