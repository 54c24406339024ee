/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Names and cleanup for the report model; pairs with model.h. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

const char *lw_verdict_name(enum lw_verdict v)
{
	switch (v) {
	case LW_VERDICT_LEAK:
		return "leak";
	case LW_VERDICT_GROWING:
		return "growing";
	case LW_VERDICT_STABLE:
		break;
	}
	return "stable";
}

const char *lw_alloc_kind_name(uint32_t kind)
{
	static const char *const names[LW_K_MAX] = {
		[LW_K_MALLOC] = "malloc",
		[LW_K_CALLOC] = "calloc",
		[LW_K_REALLOC] = "realloc",
		[LW_K_REALLOCARRAY] = "reallocarray",
		[LW_K_MEMALIGN] = "memalign",
		[LW_K_POSIX_MEMALIGN] = "posix_memalign",
		[LW_K_VALLOC] = "valloc",
		[LW_K_PVALLOC] = "pvalloc",
		[LW_K_FREE] = "free",
		[LW_K_MMAP] = "mmap",
	};

	if (kind < LW_K_MAX && names[kind])
		return names[kind];
	return "?";
}

void lw_alloc_report__clear(struct lw_alloc_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr_sites; i++)
		free(r->sites[i].frames);
	free(r->sites);
	memset(r, 0, sizeof(*r));
}
