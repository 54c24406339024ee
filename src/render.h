/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Building blocks shared by every report section (allocations, goroutines,
 * threads, sockets): JSON values in the conventions of docs/json-schema.md
 * and the terminal's formatting.  Pure: no libbpf, no /proc.
 */
#ifndef LW_RENDER_H
#define LW_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

struct json_object;

/* Room for "18,446,744,073,709,551,615" and for any lw_fmt_*() result. */
#define LW_NUMBUF 32

/* NaN, the infinities and -0.0 become 0: no JSON or text spelling. */
double lw_finite_or_zero(double d);
/* A rate about to be printed with %+.Nf (N = decimals, 0-3): what
 * lw_finite_or_zero() gives, and 0 when it would round to zero, so a tiny
 * negative slope prints "+0.0" and not "-0.0". */
double lw_shown_rate(double d, int decimals);
/* "/usr/lib/libc.so.6" -> "libc.so.6". */
const char *lw_base_name(const char *path);

/*
 * JSON.  Every lw_json_add_*() adds one member to object o and returns 0
 * or -ENOMEM; the object owns what was added even on failure, so a caller
 * chains them with || and frees only the root.  Unknown (NULL or empty)
 * strings become null.
 */
int lw_json_add(struct json_object *o, const char *key, struct json_object *v);
/* As lw_json_add() but a NULL v (a failed constructor) is -ENOMEM. */
int lw_json_add_new(struct json_object *o, const char *key,
		    struct json_object *v);
/* Appends v to array a; NULL v is -ENOMEM. */
int lw_json_push(struct json_object *a, struct json_object *v);
struct json_object *lw_json_new_hex(uint64_t v); /* "0x1f" */
struct json_object *lw_json_new_double(double d); /* 30 -> 30.0 */
int lw_json_add_str(struct json_object *o, const char *key, const char *s);
int lw_json_add_strn(struct json_object *o, const char *key, const char *s,
		     size_t size);
int lw_json_add_u64(struct json_object *o, const char *key, uint64_t v);
int lw_json_add_int(struct json_object *o, const char *key, int v);
int lw_json_add_bool(struct json_object *o, const char *key, bool v);
int lw_json_add_double(struct json_object *o, const char *key, double v);
int lw_json_add_hex(struct json_object *o, const char *key, uint64_t v);
/* Adds the new (empty) object or array child under key, *ret = child. */
int lw_json_add_child(struct json_object *o, const char *key,
		      struct json_object *child, struct json_object **ret);
/* One stack frame object appended to stack; fr NULL: address only. */
int lw_json_push_frame(struct json_object *stack, uint64_t ip,
		       const struct lw_frame *fr);
/* [t_s, bytes, count] appended to series. */
int lw_json_push_point(struct json_object *series, const struct lw_point *p);
/* key: array of nr frames (frames may be NULL: addresses only). */
int lw_json_add_stack(struct json_object *o, const char *key,
		      const uint64_t *ips, const struct lw_frame *frames,
		      unsigned nr);

/* Text. */
#define LW_C_RESET "\033[0m"
#define LW_C_LEAK "\033[1;31m"
#define LW_C_GROWING "\033[33m"
#define LW_C_STABLE "\033[32m"
#define LW_C_WARN "\033[1;31m"
#define LW_C_BOLD "\033[1m"
#define LW_C_DIM "\033[2m"

struct lw_text {
	FILE *f;
	bool color;
	bool verbose;
	unsigned max_sites;
	unsigned max_frames;
};

/* code when colours are on, else "". */
const char *lw_col(const struct lw_text *t, const char *code);
const char *lw_verdict_color(enum lw_verdict v);
const char *lw_verdict_upper(enum lw_verdict v); /* "LEAK", ... */
/* "1.5 KiB", "12 B", "3.2 MiB"... into buf. */
const char *lw_fmt_bytes(double bytes, char *buf, size_t len);
/* 1234567 -> "1,234,567" (not the locale's: reports must compare). */
const char *lw_fmt_count(uint64_t v, char *buf, size_t len);
/* "29.6 s", "41m 3s", "2h 5m", "3d 4h". */
const char *lw_fmt_duration(double s, char *buf, size_t len);
/* Bytes per second with a sign: "+1.5 KiB". */
const char *lw_fmt_growth(double bps, char *buf, size_t len);
/* Function column of a frame: the name, else "module+0xoff", else "??". */
void lw_frame_name(const struct lw_frame *fr, char *buf, size_t len);
/* "file.c:42", "file.c" or "". */
void lw_frame_where(const struct lw_frame *fr, char *buf, size_t len);
const char *lw_plural(uint64_t n); /* "" for 1, else "s" */
/*
 * The indented frame list of a stack (at most t->max_frames unless
 * verbose), headed "    <title> (N frames...):".  frames may be NULL
 * (raw addresses); stack_id 0 is not shown.
 */
void lw_print_stack(const struct lw_text *t, const char *title,
		    const uint64_t *ips, const struct lw_frame *frames,
		    unsigned nr, uint64_t stack_id, bool truncated);

#endif /* LW_RENDER_H */
