/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A growable byte buffer for the daemon's HTTP bodies (the /metrics
 * exposition, JSON, pprof) and an in-memory gzip.  Out of memory is
 * sticky: after the first failed growth every append is a no-op and
 * b->oom stays set, so a writer emits a whole document and checks once.
 * Pure: no I/O.  Pairs with buf.c.
 */
#ifndef LW_DAEMON_BUF_H
#define LW_DAEMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Zero-initialise ({ 0 }) to start.  data is NUL-terminated whenever it
 * is not NULL (the terminator is not counted in len), so a text body can
 * be used as a C string.
 */
struct lw_buf {
	char *data;
	size_t len, cap;
	bool oom;
};

/* Appends n bytes of p.  0, or -ENOMEM (and b->oom set). */
int lw_buf__append(struct lw_buf *b, const void *p, size_t n);
int lw_buf__puts(struct lw_buf *b, const char *s);
int lw_buf__putc(struct lw_buf *b, char c);
/* Appends printf-formatted text.  0, or -ENOMEM (and b->oom set). */
int lw_buf__printf(struct lw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Empties b (len 0, oom cleared) and keeps its memory for reuse. */
void lw_buf__reset(struct lw_buf *b);
/*
 * Hands the contents to the caller (who frees them with free()) and
 * leaves b empty.  NULL when b is empty or out of memory; *ret_len gets
 * the length.  This is how a handler passes a body to httpd.
 */
void *lw_buf__steal(struct lw_buf *b, size_t *ret_len);
/* Frees the contents; b is empty afterwards.  NULL-safe. */
void lw_buf__free(struct lw_buf *b);

/*
 * gzip (RFC 1952) of len bytes of data into a malloc'ed *ret of *ret_len
 * bytes: for HTTP Content-Encoding and for pprof bodies.  0, -ENOMEM or
 * -EINVAL (zlib refused).
 */
int lw_gzip(const void *data, size_t len, void **ret, size_t *ret_len);

#endif /* LW_DAEMON_BUF_H */
