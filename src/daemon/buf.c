/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The growable buffer and in-memory gzip of buf.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"

/* Room for need more bytes plus the NUL terminator. */
static int reserve(struct lw_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->oom)
		return -ENOMEM;
	if (need > SIZE_MAX / 2 - b->len - 1)
		goto oom;
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto oom;
	b->data = p;
	b->cap = cap;
	return 0;
oom:
	b->oom = true;
	return -ENOMEM;
}

int lw_buf__append(struct lw_buf *b, const void *p, size_t n)
{
	int err = reserve(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int lw_buf__puts(struct lw_buf *b, const char *s)
{
	return lw_buf__append(b, s, strlen(s));
}

int lw_buf__putc(struct lw_buf *b, char c)
{
	return lw_buf__append(b, &c, 1);
}

int lw_buf__printf(struct lw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	/* Most lines fit in what is left: format once, grow only if not. */
	err = reserve(b, 0);
	if (err)
		return err;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return -EINVAL;
	}
	if ((size_t)n >= b->cap - b->len) {
		err = reserve(b, (size_t)n);
		if (err) {
			b->data[b->len] = '\0';
			return err;
		}
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

void lw_buf__reset(struct lw_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void *lw_buf__steal(struct lw_buf *b, size_t *ret_len)
{
	void *p = b->oom ? NULL : b->data;

	*ret_len = p ? b->len : 0;
	if (!p)
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
	return p;
}

void lw_buf__free(struct lw_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

int lw_gzip(const void *data, size_t len, void **ret, size_t *ret_len)
{
	z_stream z = { 0 };
	uint8_t *out = NULL, *p;
	size_t cap;
	int zerr, err = 0;

	*ret = NULL;
	*ret_len = 0;
	/* windowBits 15 + 16 asks zlib for the gzip wrapper. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	if (len > UINT32_MAX) { /* one deflate() call takes a uInt */
		err = -EINVAL;
		goto out;
	}
	cap = deflateBound(&z, (uLong)len);
	out = malloc(cap);
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	/* deflateBound() is enough for a single Z_FINISH call. */
	zerr = deflate(&z, Z_FINISH);
	if (zerr != Z_STREAM_END) {
		err = -EINVAL;
		goto out;
	}
	*ret_len = cap - z.avail_out;
	p = realloc(out, *ret_len ? *ret_len : 1);
	*ret = p ? p : out;
	out = NULL;
out:
	free(out);
	deflateEnd(&z);
	return err;
}
