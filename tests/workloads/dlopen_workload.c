/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Loads libleakplugin.so (path in argv[1]) with dlopen() at step
 * WL_DLOPEN_STEP of the schedule, after leakwatch attached, and calls its
 * plugin_leak() every step from then on.  main_leak() leaks from the
 * executable itself every step.  Ground truth in workload.h.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

void *volatile wl_sink;

__attribute__((noinline)) void main_leak(void)
{
	wl_sink = malloc(WL_MALLOC_SIZE);
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, WL_STEP_MS * 1000000L };
	void *(*leak)(int) = NULL;
	void *h;
	int step;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_workload PLUGIN.so\n");
		return 2;
	}
	for (step = 0; step < WL_STEPS; step++) {
		if (step == WL_DLOPEN_STEP) {
			h = dlopen(argv[1], RTLD_NOW);
			if (!h) {
				fprintf(stderr, "dlopen_workload: %s\n", dlerror());
				return 1;
			}
			*(void **)&leak = dlsym(h, "plugin_leak");
			if (!leak) {
				fprintf(stderr, "dlopen_workload: %s\n", dlerror());
				return 1;
			}
		}
		main_leak();
		if (leak)
			wl_sink = leak(step);
		nanosleep(&ts, NULL);
	}
	return 0;
}
