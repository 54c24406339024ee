/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * floor -p PID: the reference point of the overhead benchmark.  Finds the
 * probe points leakwatch would use in PID (lw_allocators__find), keeps
 * libc's malloc and free, and attaches programs that only count
 * (bench/floor.bpf.c) at the same offsets and in the same way leakwatch
 * does: uprobe_multi links for PID, created with the raw bpf() syscall.
 * The difference between leakwatch and this floor is what leakwatch's own
 * BPF work costs; the floor itself is the price of the probes.
 *
 *   floor -p PID [--ready-file F]   attach, count until SIGINT/SIGTERM
 *   floor -p PID --print            list the probe points and their
 *                                   placement, attach nothing
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "allocators.h"
#include "umulti.h"
#include "floor.skel.h"
#include "leakwatch/alloc_events.h"
#include "procmaps.h"

/* keep in sync with bench/floor.bpf.c */
enum floor_counter {
	FLOOR_MALLOC_ENTER = 0,
	FLOOR_MALLOC_EXIT,
	FLOOR_FREE_ENTER,
	FLOOR_NR,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool in_libc(const struct lw_probe_point *pt)
{
	const char *base = strrchr(pt->module, '/');

	base = base ? base + 1 : pt->module;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
}

/* The point leakwatch uses for malloc, resp. free, in libc; NULL if none. */
static const struct lw_probe_point *pick(const struct lw_probe_set *set,
					 const char *func, uint32_t kind)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct lw_probe_point *pt = &set->p[i];

		if (pt->kind == kind && !strcmp(pt->func, func) && in_libc(pt))
			return pt;
	}
	return NULL;
}

static int link_multi(const struct bpf_program *prog, int pid,
		      const char *path, uint64_t offset, bool ret)
{
	uint64_t cookie = 0;

	return lw_uprobe_multi_attach(bpf_program__fd(prog), path, &offset,
				      &cookie, 1, ret, pid);
}

static void print_set(const struct lw_probe_set *set,
		      const struct lw_probe_point *m,
		      const struct lw_probe_point *f)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct lw_probe_point *pt = &set->p[i];

		printf("%c %-22s %s entry+0x%llx probe+0x%llx (+%llu) sp_adjust=%u: %s\n",
		       pt == m || pt == f ? '*' : ' ', pt->func, pt->module,
		       (unsigned long long)pt->file_offset,
		       (unsigned long long)pt->probe_offset,
		       (unsigned long long)(pt->probe_offset - pt->file_offset),
		       pt->sp_adjust, pt->place_reason);
	}
}

static void sum_counts(struct floor_bpf *skel, unsigned long long ret[FLOOR_NR])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.counts);
	__u64 vals[ncpu > 0 ? ncpu : 1];
	__u32 k;
	int c;

	for (k = 0; k < FLOOR_NR; k++) {
		ret[k] = 0;
		if (ncpu <= 0 || bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			ret[k] += vals[c];
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: floor -p PID [--ready-file PATH] [--print]\n"
		"Attach counting-only probes on libc's malloc (entry, return) and\n"
		"free (entry) of PID at the offsets leakwatch chooses; print the\n"
		"counts on SIGINT/SIGTERM.  --print: list the probe points only.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "print", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const struct lw_probe_point *m, *f;
	struct lw_probe_set set = { 0 };
	struct lw_maps maps = { 0 };
	struct floor_bpf *skel = NULL;
	unsigned long long n[FLOOR_NR];
	const char *ready = NULL;
	bool print = false;
	int pid = 0, c, err, fds[3] = { -1, -1, -1 }, i;
	struct sigaction sa;

	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'r':
			ready = optarg;
			break;
		case 'P':
			print = true;
			break;
		default:
			usage();
		}
	}
	if (pid <= 0 || optind != argc)
		usage();

	err = lw_maps__read(pid, &maps);
	if (!err)
		err = lw_allocators__find(pid, &maps, &set);
	if (err) {
		fprintf(stderr, "floor: cannot find the allocators of PID %d: %s\n",
			pid, strerror(-err));
		goto out;
	}
	m = pick(&set, "malloc", LW_K_MALLOC);
	f = pick(&set, "free", LW_K_FREE);
	if (print) {
		print_set(&set, m, f);
		goto out;
	}
	if (!m || !f) {
		fprintf(stderr, "floor: no malloc/free in libc of PID %d\n", pid);
		err = -ENOENT;
		goto out;
	}

	libbpf_set_print(libbpf_quiet);
	skel = floor_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "floor: cannot open the BPF object: %s\n",
			strerror(-err));
		goto out;
	}
	skel->rodata->targ_tgid = pid;
	bpf_program__set_expected_attach_type(skel->progs.floor_malloc_enter,
					      LW_BPF_TRACE_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(skel->progs.floor_malloc_exit,
					      LW_BPF_TRACE_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(skel->progs.floor_free_enter,
					      LW_BPF_TRACE_UPROBE_MULTI);
	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load the BPF programs: %s\n",
			strerror(-err));
		goto out;
	}

	fds[0] = link_multi(skel->progs.floor_malloc_enter, pid, m->attach_path,
			    m->probe_offset, false);
	fds[1] = link_multi(skel->progs.floor_malloc_exit, pid, m->attach_path,
			    m->probe_offset, true);
	fds[2] = link_multi(skel->progs.floor_free_enter, pid, f->attach_path,
			    f->probe_offset, false);
	for (i = 0; i < 3; i++) {
		if (fds[i] < 0) {
			err = fds[i];
			fprintf(stderr, "floor: cannot attach (uprobe_multi): %s\n",
				strerror(-err));
			goto out;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("floor: attached to PID %d: malloc %s+0x%llx (%s), free %s+0x%llx (%s)\n",
	       pid, m->module, (unsigned long long)m->probe_offset,
	       m->place_reason, f->module, (unsigned long long)f->probe_offset,
	       f->place_reason);
	fflush(stdout);
	if (ready) {
		c = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (c >= 0)
			(void)close(c);
	}
	while (!stop && kill(pid, 0) == 0)
		usleep(50000);

	sum_counts(skel, n);
	printf("floor: malloc_enter=%llu malloc_exit=%llu free_enter=%llu\n",
	       n[FLOOR_MALLOC_ENTER], n[FLOOR_MALLOC_EXIT], n[FLOOR_FREE_ENTER]);
	err = 0;
out:
	for (i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			(void)close(fds[i]);
	}
	floor_bpf__destroy(skel);
	lw_probe_set__free(&set);
	lw_maps__free(&maps);
	return err ? 1 : 0;
}
