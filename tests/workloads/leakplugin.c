/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * libleakplugin.so: loaded by dlopen_workload.c after tracing started, so
 * its leak can only be named if the symbolizer notices the new mapping.
 */
#include <stdlib.h>
#include <string.h>

#include "workload.h"

void *plugin_leak(int step);

__attribute__((noinline)) void *plugin_leak(int step)
{
	char *p = malloc(WL_PLUGIN_SIZE);

	if (p)
		memset(p, step, WL_PLUGIN_SIZE);
	return p;
}
