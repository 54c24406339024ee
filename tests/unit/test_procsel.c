/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/daemon/procsel.c: rule names and values, the empty
 * selection, include rules of every kind, exclude-wins, kernel threads and
 * the daemon itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/procsel.h"
#include "lwtest.h"

#define NS_A 4026531836ull
#define NS_B 4026532301ull

static struct lw_procstat mkstat(int pid, const char *comm, bool kthread)
{
	struct lw_procstat st = {.pid = pid, .kernel_thread = kthread};

	strncpy(st.comm, comm, sizeof(st.comm) - 1);
	return st;
}

static struct lw_procident *mkident(const char *exe, const char *cgroup,
				    const char *container, uint64_t pidns,
				    uint64_t netns)
{
	struct lw_procident *id = calloc(1, sizeof(*id));

	if (!id)
		return NULL;
	strcpy(id->exe, exe);
	strcpy(id->cgroup, cgroup);
	strcpy(id->container, container);
	id->pidns = pidns;
	id->netns = netns;
	return id;
}

static void test_add_rules(void)
{
	struct lw_procsel *sel = lw_procsel__new();

	if (!ASSERT_NOT_NULL(sel, "new"))
		return;
	ASSERT_FALSE(lw_procsel__needs_ident(sel), "empty needs nothing");
	ASSERT_OK(lw_procsel__add(sel, "comm", "nginx*"), "comm");
	ASSERT_FALSE(lw_procsel__needs_ident(sel), "comm needs no ident");
	ASSERT_OK(lw_procsel__add(sel, "exclude-comm", "sshd"), "xcomm");
	ASSERT_FALSE(lw_procsel__needs_ident(sel), "still no ident");
	ASSERT_EQ(lw_procsel__add(sel, "command", "x"), -EINVAL, "unknown");
	ASSERT_EQ(lw_procsel__add(sel, "--comm", "x"), -EINVAL, "dashes");
	ASSERT_EQ(lw_procsel__add(sel, "comm", ""), -EINVAL, "empty glob");
	ASSERT_EQ(lw_procsel__add(sel, "comm", NULL), -EINVAL, "NULL");
	ASSERT_EQ(lw_procsel__add(sel, "pidns", "abc"), -EINVAL, "pidns");
	ASSERT_EQ(lw_procsel__add(sel, "pidns", "12x"), -EINVAL, "pidns 2");
	ASSERT_EQ(lw_procsel__add(sel, "pidns", "0"), -EINVAL, "pidns 0");
	ASSERT_EQ(lw_procsel__add(sel, "netns", "pid:[4026531836]"), -EINVAL,
		  "wrong ns kind");
	ASSERT_EQ(lw_procsel__add(sel, "netns", "net:[4026531836"), -EINVAL,
		  "unclosed");
	ASSERT_EQ(lw_procsel__add(sel, "container", "xyz"), -EINVAL, "hex");
	ASSERT_EQ(lw_procsel__add(sel, "container",
				  "0123456789abcdef0123456789abcdef0123456789ab"
				  "cdef0123456789abcdef0"),
		  -EINVAL, "65 digits");
	ASSERT_FALSE(lw_procsel__needs_ident(sel), "failed adds add nothing");
	ASSERT_OK(lw_procsel__add(sel, "netns", "net:[4026531836]"), "ls -l");
	ASSERT_TRUE(lw_procsel__needs_ident(sel), "netns needs ident");
	ASSERT_TRUE(lw_procsel__is_rule("exclude-exe"), "is rule");
	ASSERT_FALSE(lw_procsel__is_rule("listen"), "listen is no rule");
	lw_procsel__free(sel);
	lw_procsel__free(NULL);
}

static void test_empty_is_everything(void)
{
	struct lw_procsel *sel = lw_procsel__new();
	struct lw_procstat a = mkstat(100, "bash", false);
	struct lw_procstat k = mkstat(2, "kthreadd", true);
	struct lw_procstat self = mkstat(getpid(), "leakwatch", false);

	if (!ASSERT_NOT_NULL(sel, "new"))
		return;
	ASSERT_TRUE(lw_procsel__includes_all(sel), "includes all");
	ASSERT_TRUE(lw_procsel__match(sel, &a, NULL), "any process");
	ASSERT_FALSE(lw_procsel__match(sel, &k, NULL), "no kernel thread");
	ASSERT_FALSE(lw_procsel__match(sel, &self, NULL), "not itself");
	lw_procsel__set_self(sel, 100);
	ASSERT_FALSE(lw_procsel__match(sel, &a, NULL), "set_self");
	ASSERT_TRUE(lw_procsel__match(sel, &self, NULL), "old self now ok");
	lw_procsel__free(sel);
}

static void test_includes(void)
{
	struct lw_procsel *sel = lw_procsel__new();
	struct lw_procstat nginx = mkstat(10, "nginx", false);
	struct lw_procstat api = mkstat(11, "api-server", false);
	struct lw_procstat redis = mkstat(12, "redis-server", false);
	struct lw_procstat kt = mkstat(13, "nginx", true);
	struct lw_procident *in_pod = mkident("/usr/bin/api-server",
					      "/kubepods.slice/"
					      "kubepods-pod1.slice/"
					      "cri-containerd-2397d068a8d1."
					      "scope",
					      "2397d068a8d1552a4c3f9147ba9c94e0"
					      "86bfd66fb2acb5bbaf47197105127d5"
					      "f",
					      NS_B, NS_B + 1);
	struct lw_procident *on_host = mkident("/usr/bin/redis-server",
					       "/system.slice/"
					       "redis-server.service",
					       "", NS_A, NS_A - 3);

	if (!ASSERT_NOT_NULL(sel, "new") || !ASSERT_NOT_NULL(in_pod, "id") ||
	    !ASSERT_NOT_NULL(on_host, "id"))
		goto out;
	ASSERT_OK(lw_procsel__add(sel, "comm", "ngin?"), "comm");
	ASSERT_FALSE(lw_procsel__includes_all(sel), "has include");
	ASSERT_TRUE(lw_procsel__match(sel, &nginx, NULL), "comm glob");
	ASSERT_FALSE(lw_procsel__match(sel, &api, in_pod), "other comm");
	ASSERT_FALSE(lw_procsel__match(sel, &kt, NULL), "kthread never");

	/* container prefix, case-insensitive value */
	ASSERT_OK(lw_procsel__add(sel, "container", "2397D068A8D1"), "ctr");
	ASSERT_TRUE(lw_procsel__match(sel, &api, in_pod), "container prefix");
	ASSERT_FALSE(lw_procsel__match(sel, &redis, on_host), "no container");
	/* without ident, ident rules cannot include */
	ASSERT_FALSE(lw_procsel__match(sel, &api, NULL), "no ident");
	lw_procsel__free(sel);

	sel = lw_procsel__new();
	if (!ASSERT_NOT_NULL(sel, "new 2"))
		goto out;
	ASSERT_OK(lw_procsel__add(sel, "pidns", "4026531836"), "pidns");
	ASSERT_TRUE(lw_procsel__match(sel, &redis, on_host), "pidns equal");
	ASSERT_FALSE(lw_procsel__match(sel, &api, in_pod), "pidns differs");
	lw_procsel__free(sel);

	sel = lw_procsel__new();
	if (!ASSERT_NOT_NULL(sel, "new 3"))
		goto out;
	ASSERT_OK(lw_procsel__add(sel, "netns", "net:[4026532302]"), "netns");
	ASSERT_TRUE(lw_procsel__match(sel, &api, in_pod), "netns equal");
	ASSERT_FALSE(lw_procsel__match(sel, &redis, on_host), "netns differs");
	lw_procsel__free(sel);

	sel = lw_procsel__new();
	if (!ASSERT_NOT_NULL(sel, "new 4"))
		goto out;
	/* flags 0: '*' crosses '/' so one glob covers a whole subtree */
	ASSERT_OK(lw_procsel__add(sel, "cgroup", "/kubepods*"), "cgroup");
	ASSERT_OK(lw_procsel__add(sel, "exe", "*/redis-*"), "exe");
	ASSERT_TRUE(lw_procsel__match(sel, &api, in_pod), "cgroup glob");
	ASSERT_TRUE(lw_procsel__match(sel, &redis, on_host), "exe glob");
	ASSERT_FALSE(lw_procsel__match(sel, &nginx, NULL), "neither rule");
	on_host->exe[0] = '\0';
	ASSERT_FALSE(lw_procsel__match(sel, &redis, on_host), "unreadable exe "
							      "matches no "
							      "glob");
out:
	lw_procsel__free(sel);
	free(in_pod);
	free(on_host);
}

static void test_exclude_wins(void)
{
	struct lw_procsel *sel = lw_procsel__new();
	struct lw_procstat a = mkstat(20, "java", false);
	struct lw_procstat b = mkstat(21, "javac", false);
	struct lw_procstat c = mkstat(22, "python3", false);
	struct lw_procident *ja =
		mkident("/opt/jdk/bin/java", "/", "", NS_A, NS_A);
	struct lw_procident *py =
		mkident("/usr/bin/python3.11", "/", "", NS_A, NS_A);

	if (!ASSERT_NOT_NULL(sel, "new") || !ASSERT_NOT_NULL(ja, "id") ||
	    !ASSERT_NOT_NULL(py, "id"))
		goto out;
	/* excludes alone: everything else still selected */
	ASSERT_OK(lw_procsel__add(sel, "exclude-comm", "javac"), "x");
	ASSERT_TRUE(lw_procsel__includes_all(sel), "exclude is no include");
	ASSERT_TRUE(lw_procsel__match(sel, &a, NULL), "java in");
	ASSERT_FALSE(lw_procsel__match(sel, &b, NULL), "javac out");
	ASSERT_TRUE(lw_procsel__match(sel, &c, NULL), "python in");

	/* include that also matches the excluded one: exclude wins,
	 * whatever the order the rules came in */
	ASSERT_OK(lw_procsel__add(sel, "comm", "java*"), "include");
	ASSERT_TRUE(lw_procsel__match(sel, &a, NULL), "java in");
	ASSERT_FALSE(lw_procsel__match(sel, &b, NULL), "javac still out");
	ASSERT_FALSE(lw_procsel__match(sel, &c, NULL), "python not included");

	ASSERT_OK(lw_procsel__add(sel, "exe", "/usr/bin/python*"), "exe");
	ASSERT_OK(lw_procsel__add(sel, "exclude-exe", "*3.11"), "x exe");
	ASSERT_TRUE(lw_procsel__needs_ident(sel), "needs ident");
	ASSERT_FALSE(lw_procsel__match(sel, &c, py), "exclude-exe wins");
	ASSERT_TRUE(lw_procsel__match(sel, &a, ja), "java still in");
out:
	lw_procsel__free(sel);
	free(ja);
	free(py);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_add_rules),
		LWT_CASE(test_empty_is_everything),
		LWT_CASE(test_includes),
		LWT_CASE(test_exclude_wins),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
