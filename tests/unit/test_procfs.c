/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/daemon/procfs.c: stat/statm parsing on captured
 * samples (comm with spaces and parentheses, kernel thread, zombie),
 * cgroup path and container id for docker, containerd, CRI-O, podman and
 * kubepods lines (v1 and v2) and systemd units, and live reads of the test
 * process itself, a zombie child and a reaped pid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/procfs.h"
#include "lwtest.h"
#include "procmaps.h" /* lw_read_file() */

static char *fixture(const char *name)
{
	char path[512], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", LW_PROCFS_FIXTURES, name);
	if (lw_read_file(path, &text, NULL)) {
		fprintf(stderr, "cannot read fixture %s\n", path);
		return NULL;
	}
	return text;
}

static void test_stat_spaces_parens(void)
{
	struct lw_procstat st = {0};
	char *s = fixture("stat-spaces-parens.txt");
	char *m = fixture("statm-spaces-parens.txt");

	if (!ASSERT_NOT_NULL(s, "stat") || !ASSERT_NOT_NULL(m, "statm"))
		goto out;
	if (!ASSERT_OK(lw_procstat__parse_stat(s, &st), "parse"))
		goto out;
	ASSERT_EQ(st.pid, 31335, "pid");
	ASSERT_STREQ(st.comm, "a) (b c)", "comm");
	ASSERT_EQ(st.state, 'S', "state");
	ASSERT_EQ(st.ppid, 31326, "ppid");
	ASSERT_U64_EQ(st.num_threads, 3, "threads");
	ASSERT_U64_EQ(st.start_ticks, 1568223, "start");
	ASSERT_FALSE(st.kernel_thread, "not kthread");
	if (!ASSERT_OK(lw_procstat__parse_statm(m, 4096, &st), "statm"))
		goto out;
	ASSERT_U64_EQ(st.rss_bytes, 403 * 4096, "rss");
	ASSERT_U64_EQ(st.anon_bytes, (403 - 375) * 4096, "anon");
out:
	free(s);
	free(m);
}

static void test_stat_kthread(void)
{
	struct lw_procstat st = {0};
	char *s = fixture("stat-kthread.txt");
	char *m = fixture("statm-kthread.txt");

	if (!ASSERT_NOT_NULL(s, "stat") || !ASSERT_NOT_NULL(m, "statm"))
		goto out;
	if (!ASSERT_OK(lw_procstat__parse_stat(s, &st), "parse"))
		goto out;
	ASSERT_EQ(st.pid, 2, "pid");
	ASSERT_STREQ(st.comm, "kthreadd", "comm");
	ASSERT_EQ(st.ppid, 0, "ppid");
	ASSERT_TRUE(st.kernel_thread, "PF_KTHREAD");
	ASSERT_U64_EQ(st.start_ticks, 24, "start");
	ASSERT_OK(lw_procstat__parse_statm(m, 4096, &st), "statm");
	ASSERT_U64_EQ(st.rss_bytes, 0, "rss");
out:
	free(s);
	free(m);
}

static void test_stat_zombie(void)
{
	struct lw_procstat st = {0};
	char *s = fixture("stat-zombie.txt");
	char *m = fixture("statm-zombie.txt");

	if (!ASSERT_NOT_NULL(s, "stat") || !ASSERT_NOT_NULL(m, "statm"))
		goto out;
	if (!ASSERT_OK(lw_procstat__parse_stat(s, &st), "parse"))
		goto out;
	ASSERT_EQ(st.pid, 31338, "pid");
	ASSERT_STREQ(st.comm, "a) (b c)", "comm inherited");
	ASSERT_EQ(st.state, 'Z', "zombie");
	ASSERT_EQ(st.ppid, 31335, "ppid");
	ASSERT_U64_EQ(st.num_threads, 1, "threads");
	ASSERT_FALSE(st.kernel_thread, "flags 4227148 has no PF_KTHREAD");
	ASSERT_OK(lw_procstat__parse_statm(m, 4096, &st), "statm");
	ASSERT_U64_EQ(st.rss_bytes, 0, "rss");
	ASSERT_U64_EQ(st.anon_bytes, 0, "anon");
out:
	free(s);
	free(m);
}

static void test_stat_times_and_nice(void)
{
	struct lw_procstat st = {0};
	char *b = fixture("stat-busy.txt"), *n = fixture("stat-nice.txt");

	if (!ASSERT_NOT_NULL(b, "busy") || !ASSERT_NOT_NULL(n, "nice"))
		goto out;
	if (ASSERT_OK(lw_procstat__parse_stat(b, &st), "busy")) {
		ASSERT_STREQ(st.comm, "process_api", "comm");
		ASSERT_U64_EQ(st.utime_ticks, 889, "utime");
		ASSERT_U64_EQ(st.stime_ticks, 4506, "stime");
		ASSERT_U64_EQ(st.num_threads, 12, "threads");
	}
	/* nice -5 puts "15 -5" in fields 18-19: skipped, not misparsed */
	if (ASSERT_OK(lw_procstat__parse_stat(n, &st), "nice")) {
		ASSERT_STREQ(st.comm, "cat", "comm");
		ASSERT_EQ(st.state, 'R', "state");
		ASSERT_U64_EQ(st.num_threads, 1, "threads");
		ASSERT_U64_EQ(st.start_ticks, 1569789, "start");
	}
out:
	free(b);
	free(n);
}

static void test_stat_malformed(void)
{
	struct lw_procstat st = {0};

	ASSERT_EQ(lw_procstat__parse_stat("", &st), -EINVAL, "empty");
	ASSERT_EQ(lw_procstat__parse_stat("12 (x S 1 1", &st), -EINVAL, "no )");
	ASSERT_EQ(lw_procstat__parse_stat("12 (x) S 1 1 1 0 -1", &st), -EINVAL,
		  "truncated");
	ASSERT_EQ(lw_procstat__parse_stat("12 (0123456789abcdef) S 1", &st),
		  -EINVAL, "comm too long");
	ASSERT_EQ(lw_procstat__parse_statm("12", 4096, &st), -EINVAL,
		  "short statm");
	/* shared above resident (counters read apart): anon clamps at 0 */
	ASSERT_OK(lw_procstat__parse_statm("10 5 7 1 0 3 0\n", 4096, &st), "sta"
									   "t"
									   "m");
	ASSERT_U64_EQ(st.anon_bytes, 0, "anon clamp");
}

struct cg_case {
	const char *file;
	const char *container; /* NULL: none */
	const char *cgroup;
};

static void test_cgroup_lines(void)
{
	static const struct cg_case cases[] = {
		{"cgroup-docker-v2.txt",
		 "d548c5b83fa61d8e3bd86ad42a7ffea9b7c86e3f9d8095c1577d3e1270bb9"
		 "420",
		 "/system.slice/"
		 "docker-"
		 "d548c5b83fa61d8e3bd86ad42a7ffea9b7c86e3f9d8095c1577d3e1270bb9"
		 "420.scope"},
		{"cgroup-docker-v1.txt",
		 "6f1c3a260be1fc1d6102697c7bc37f9fa5d177d3141e61df8d23dfdfb514e"
		 "312",
		 "/docker/"
		 "6f1c3a260be1fc1d6102697c7bc37f9fa5d177d3141e61df8d23dfdfb514e"
		 "312"},
		{"cgroup-containerd-k8s-v2.txt",
		 "2397d068a8d1552a4c3f9147ba9c94e086bfd66fb2acb5bbaf47197105127"
		 "d5f",
		 "/kubepods.slice/kubepods-burstable.slice/"
		 "kubepods-burstable-pod8c2f1a4e_5b6d_4c3e_9f1a_2b3c4d5e6f70."
		 "slice/"
		 "cri-containerd-"
		 "2397d068a8d1552a4c3f9147ba9c94e086bfd66fb2acb5bbaf47197105127"
		 "d5f.scope"},
		{"cgroup-crio-v2.txt",
		 "c64064614423cb790e88b3e5492ff5ccf673b25ae823089f7a60c65cda24d"
		 "809",
		 NULL},
		{"cgroup-crio-conmon-v2.txt", NULL, NULL},
		{"cgroup-podman-rootless-v2.txt",
		 "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1"
		 "bb9",
		 "/user.slice/user-1000.slice/user@1000.service/user.slice/"
		 "libpod-"
		 "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1"
		 "bb9.scope/container"},
		{"cgroup-kubepods-v1.txt",
		 "7ab9b39a15b5b065f62b7d99d0e69e8f90ad69308a6ae873a8bbe70255646"
		 "867",
		 /* pure v1: name=systemd's path */
		 "/kubepods/burstable/pod8c2f1a4e-5b6d-4c3e-9f1a-2b3c4d5e6f70/"
		 "7ab9b39a15b5b065f62b7d99d0e69e8f90ad69308a6ae873a8bbe70255646"
		 "867"},
		{"cgroup-containerd-nsdelegated-v2.txt",
		 "d8d721822766628805a7eaa5b03d88fc410f6e90c984a69079642dedfad97"
		 "22b",
		 NULL},
		{"cgroup-systemd-service-v2.txt", NULL,
		 "/system.slice/nginx.service"},
		{"cgroup-user-session-v2.txt", NULL,
		 "/user.slice/user-1000.slice/session-3.scope"},
		/* 32 hex digits are no container id; v2 is "/", so memory's */
		{"cgroup-hybrid-firecracker.txt", NULL,
		 "/process_api/fc5164dafce4c1b020f3925405ff7907"},
	};
	char buf[1024];
	size_t i;
	int err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = fixture(cases[i].file);

		if (!ASSERT_NOT_NULL(t, cases[i].file))
			continue;
		err = lw_container_id_from_cgroup(t, buf, sizeof(buf));
		if (cases[i].container) {
			if (ASSERT_OK(err, cases[i].file))
				ASSERT_STREQ(buf, cases[i].container,
					     cases[i].file);
		} else {
			ASSERT_EQ(err, -ENOENT, cases[i].file);
		}
		if (cases[i].cgroup &&
		    ASSERT_OK(lw_cgroup_path_from_cgroup(t, buf, sizeof(buf)),
			      cases[i].file))
			ASSERT_STREQ(buf, cases[i].cgroup, cases[i].file);
		free(t);
	}
}

static void test_cgroup_edges(void)
{
	char buf[16];

	/* hybrid docker: v2 "/" but the v1 lines name the container */
	ASSERT_OK(lw_cgroup_path_from_cgroup("0::/\n", buf, sizeof(buf)), "roo"
									  "t");
	ASSERT_STREQ(buf, "/", "root path");
	ASSERT_EQ(lw_cgroup_path_from_cgroup("", buf, sizeof(buf)), -ENOENT,
		  "empty");
	ASSERT_EQ(lw_cgroup_path_from_cgroup("0::/a/very/long/path\n", buf,
					     sizeof(buf)),
		  -ENAMETOOLONG, "too long");
	/* an id of 12+ hex digits inside a scope name is enough */
	ASSERT_OK(lw_container_id_from_cgroup("0::/system.slice/"
					      "docker-0123456789ab.scope\n",
					      buf, sizeof(buf)),
		  "short id");
	ASSERT_STREQ(buf, "0123456789ab", "short id value");
	ASSERT_EQ(lw_container_id_from_cgroup("0::/system.slice/"
					      "docker-0123456789a.scope\n",
					      buf, sizeof(buf)),
		  -ENOENT, "11 digits");
	ASSERT_EQ(lw_container_id_from_cgroup("0::/system.slice/"
					      "docker.service\n",
					      buf, sizeof(buf)),
		  -ENOENT, "the docker daemon itself");
	/* daemon in its own cgroup namespace: relative ".." prefixes */
	ASSERT_OK(lw_container_id_from_cgroup("0::/../../system.slice/"
					      "crio-abcdef012345.scope\n",
					      buf, sizeof(buf)),
		  "cgroupns relative");
	ASSERT_STREQ(buf, "abcdef012345", "cgroupns id");
}

static void test_read_self(void)
{
	struct lw_procstat st = {0}, st2 = {0};
	struct lw_procident *id = calloc(1, sizeof(*id));
	char comm[16] = {0}, exe[4096], *cg = NULL;
	struct stat ns;
	ssize_t n;

	if (!ASSERT_NOT_NULL(id, "alloc"))
		return;
	prctl(PR_GET_NAME, comm);
	if (!ASSERT_OK(lw_procstat__read(getpid(), &st), "read self"))
		goto out;
	ASSERT_EQ(st.pid, getpid(), "pid");
	ASSERT_EQ(st.ppid, getppid(), "ppid");
	ASSERT_STREQ(st.comm, comm, "comm");
	ASSERT_EQ(st.state, 'R', "running while reading itself");
	ASSERT_U64_EQ(st.num_threads, 1, "threads");
	ASSERT_FALSE(st.kernel_thread, "kthread");
	ASSERT_TRUE(st.rss_bytes > 0, "rss");
	ASSERT_TRUE(st.anon_bytes > 0 && st.anon_bytes <= st.rss_bytes, "anon "
									"within"
									" rss");
	/* the identity does not change between reads */
	if (ASSERT_OK(lw_procstat__read(getpid(), &st2), "read again"))
		ASSERT_U64_EQ(st2.start_ticks, st.start_ticks, "start stable");

	if (!ASSERT_OK(lw_procident__read(getpid(), id), "ident"))
		goto out;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (ASSERT_TRUE(n > 0, "readlink")) {
		exe[n] = '\0';
		ASSERT_STREQ(id->exe, exe, "exe");
	}
	ASSERT_FALSE(id->exe_deleted, "exe not deleted");
	if (!stat("/proc/self/ns/net", &ns))
		ASSERT_U64_EQ(id->netns, ns.st_ino, "netns");
	if (!stat("/proc/self/ns/pid", &ns))
		ASSERT_U64_EQ(id->pidns, ns.st_ino, "pidns");
	if (!stat("/proc/self/ns/mnt", &ns))
		ASSERT_U64_EQ(id->mntns, ns.st_ino, "mntns");
	if (ASSERT_OK(lw_read_file("/proc/self/cgroup", &cg, NULL), "cg")) {
		char want[1024];

		if (ASSERT_OK(lw_cgroup_path_from_cgroup(cg, want,
							 sizeof(want)),
			      "cgroup path"))
			ASSERT_STREQ(id->cgroup, want, "cgroup");
	}
out:
	free(cg);
	free(id);
}

static bool has_pid(const int *v, size_t n, int pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

static void test_zombie_and_gone(void)
{
	struct lw_procstat st = {0};
	struct lw_procident id;
	int *pids = NULL, status, i;
	size_t n = 0;
	pid_t child;

	child = fork();
	if (!ASSERT_TRUE(child >= 0, "fork"))
		return;
	if (child == 0)
		_exit(0);
	/* wait until it is a zombie, without reaping it */
	for (i = 0; i < 200; i++) {
		if (!lw_procstat__read(child, &st) && st.state == 'Z')
			break;
		usleep(10000);
	}
	ASSERT_EQ(st.state, 'Z', "zombie");
	ASSERT_EQ(st.ppid, getpid(), "zombie ppid");
	ASSERT_U64_EQ(st.rss_bytes, 0, "zombie rss");

	/* listed twice in a row through the same rewound fd */
	for (i = 0; i < 2; i++) {
		if (!ASSERT_OK(lw_proc_list(&pids, &n), "list"))
			break;
		ASSERT_TRUE(has_pid(pids, n, getpid()), "self listed");
		ASSERT_TRUE(has_pid(pids, n, child), "zombie listed");
		ASSERT_TRUE(has_pid(pids, n, 1), "init listed");
		ASSERT_TRUE(n >= 3, "count");
		free(pids);
		pids = NULL;
	}

	waitpid(child, &status, 0);
	ASSERT_EQ(lw_procstat__read(child, &st), -ESRCH, "reaped stat");
	ASSERT_EQ(lw_procident__read(child, &id), -ESRCH, "reaped ident");
	if (ASSERT_OK(lw_proc_list(&pids, &n), "list after reap"))
		ASSERT_FALSE(has_pid(pids, n, child), "reaped not listed");
	free(pids);
	lw_proc_list__close();
	/* and reopens after a close */
	if (ASSERT_OK(lw_proc_list(&pids, &n), "list after close"))
		ASSERT_TRUE(has_pid(pids, n, getpid()), "self again");
	free(pids);
	lw_proc_list__close();
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_stat_spaces_parens),
		LWT_CASE(test_stat_kthread),
		LWT_CASE(test_stat_zombie),
		LWT_CASE(test_stat_times_and_nice),
		LWT_CASE(test_stat_malformed),
		LWT_CASE(test_cgroup_lines),
		LWT_CASE(test_cgroup_edges),
		LWT_CASE(test_read_self),
		LWT_CASE(test_zombie_and_gone),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
