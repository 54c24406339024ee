/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The sockets section of a report (struct lw_socket_report, fdtable.h):
 * its JSON object (docs/json-schema.md, "sockets") and its text section
 * (docs/sockets.md).  Called by report.c.  Pure.
 */
#ifndef LW_REPORT_SOCKETS_H
#define LW_REPORT_SOCKETS_H

#include "fdtable.h"
#include "render.h"

struct json_object;

/* Adds "sockets" to parent: the section, or null when s is NULL (socket
 * tracing was off).  0 or -ENOMEM. */
int lw_sockets__to_json(struct json_object *parent,
			const struct lw_socket_report *s);

/* The text section; nothing when s is NULL. */
void lw_sockets__write_text(const struct lw_text *t,
			    const struct lw_socket_report *s);

#endif /* LW_REPORT_SOCKETS_H */
