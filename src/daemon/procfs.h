/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Cheap per-process facts from /proc for the daemon's periodic scan: stat
 * and statm (identity, threads, memory), exe, cgroup, container id and
 * namespace inodes.  The parse functions are pure and unit-tested on
 * captured text (tests/unit/test_procfs.c); the readers are thin.
 */
#ifndef LW_DAEMON_PROCFS_H
#define LW_DAEMON_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_procstat {
	int pid;
	char comm[16];
	char state; /* 'R', 'S', 'D', 'Z', ... as in field 3 */
	int ppid;
	/*
	 * Field 22, clock ticks after boot.  With pid it names one process
	 * for its whole life: a reused pid has another start time.
	 */
	uint64_t start_ticks;
	uint64_t utime_ticks, stime_ticks;
	uint64_t num_threads;
	/* statm: resident, and resident - shared (shared = file + shmem). */
	uint64_t rss_bytes, anon_bytes;
	bool kernel_thread; /* PF_KTHREAD in the flags (field 9) */
};

/*
 * Read /proc/PID/stat and /proc/PID/statm (nothing else).  Returns 0,
 * -ESRCH when the process is gone (or is gone between the two reads), or
 * another -errno.  A zombie reads fine with zero memory.
 */
int lw_procstat__read(int pid, struct lw_procstat *ret);

/*
 * Parse the text of /proc/PID/stat into *ret (memory fields untouched).
 * comm may hold spaces and ')': it runs from the first '(' to the LAST
 * ')'.  Returns 0 or -EINVAL.
 */
int lw_procstat__parse_stat(const char *text, struct lw_procstat *ret);

/*
 * Parse /proc/PID/statm text: fills rss_bytes and anon_bytes using
 * page_size.  Returns 0 or -EINVAL.
 */
int lw_procstat__parse_statm(const char *text, uint64_t page_size,
			     struct lw_procstat *ret);

struct lw_procident {
	/* readlink of /proc/PID/exe, " (deleted)" stripped; "" if unknown */
	char exe[4096];
	bool exe_deleted; /* the kernel said " (deleted)" */
	/*
	 * The cgroup v2 path (the "0::" line).  Without one (pure v1), or
	 * when it is "/" on a hybrid host, the most telling v1 path:
	 * name=systemd's, else the first non-root one, else "/".  Paths are
	 * relative to the reader's cgroup namespace, so a daemon inside a
	 * container with its own cgroupns sees "/../..." prefixes.
	 */
	char cgroup[1024];
	/* lw_container_id_from_cgroup() of the cgroup file; "" when none */
	char container[80];
	uint64_t pidns, netns, mntns; /* inode numbers; 0 if unreadable */
};

/*
 * readlink /proc/PID/exe (kernel threads and some others fail: left ""),
 * read /proc/PID/cgroup, stat /proc/PID/ns/{pid,net,mnt}.  Returns 0,
 * -ESRCH when the process is gone, or another -errno from the cgroup read.
 */
int lw_procident__read(int pid, struct lw_procident *ret);

/*
 * Pure: the cgroup path lw_procident keeps (see above) from the text of
 * /proc/PID/cgroup.  Returns 0, -ENOENT if the text has no line, or
 * -ENAMETOOLONG.
 */
int lw_cgroup_path_from_cgroup(const char *cgroup_text, char *buf, size_t len);

/*
 * Pure: the container id named in the text of /proc/PID/cgroup, lowercase
 * hex as printed there.  Recognised path components, innermost first:
 * docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope,
 * containerd-ID.scope (ID: 12 or more hex digits), "...slice:cri-containerd:ID"
 * and "...:crio:ID" (systemd driver, cgroup-namespaced containerd), and a
 * bare 64-hex-digit component (/docker/ID, /kubepods/.../podUID/ID,
 * /libpod_parent/libpod-ID).  conmon scopes (crio-conmon-ID,
 * libpod-conmon-ID) are the runtime's monitor on the host, not the
 * container, and give no id.  The v2 ("0::") line is looked at first.
 * Returns 0, -ENOENT when there is no container id, -ENAMETOOLONG.
 */
int lw_container_id_from_cgroup(const char *cgroup_text, char *buf, size_t len);

/*
 * The numeric entries of /proc (thread group leaders), in the order the
 * kernel lists them.  One O_DIRECTORY fd is kept open and rewound between
 * calls, read with getdents64 into a reused buffer: no opendir/readdir
 * allocation per scan.  *pids is malloc'ed (free() it).  Returns 0 or
 * -errno.  Safe to call from several threads (serialised).
 */
int lw_proc_list(int **pids, size_t *nr);

/* Close the kept /proc fd (at exit; the next lw_proc_list reopens it). */
void lw_proc_list__close(void);

#endif /* LW_DAEMON_PROCFS_H */
