/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * The daemon's read-only HTTP server: libmicrohttpd driven from the
 * caller's epoll loop on one thread (no thread of its own).  Only GET and
 * HEAD reach the handler; any other method gets 405 with "Allow: GET,
 * HEAD", and a request with a body gets 413.  At most 64 connections, each
 * closed after 10 s idle.  Pairs with httpd.c.
 *
 * Loop: add lw_httpd__fd() to your epoll set for EPOLLIN, call
 * lw_httpd__run() when it is readable and whenever lw_httpd__timeout_ms()
 * has passed (calling it on every tick as well is harmless).
 */
#ifndef LW_DAEMON_HTTPD_H
#define LW_DAEMON_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct lw_httpd;

struct lw_http_request {
	const char *method; /* "GET" or "HEAD" */
	const char *path; /* decoded path without the query: "/metrics" */
	void *conn; /* opaque: the libmicrohttpd connection */
};

/* A query argument of the request ("pid" of "/x?pid=12"), decoded; NULL
 * when absent, "" when given without a value. */
const char *lw_http_request__arg(const struct lw_http_request *rq,
				 const char *key);

/*
 * What a handler fills in.  It starts as status 200, content_type NULL
 * ("text/plain; charset=utf-8"), no encoding and no body.  body is
 * malloc'ed and httpd frees it (also on HEAD, whose body is not sent).
 * content_encoding is NULL or "gzip" when body is already compressed;
 * otherwise httpd gzips text and JSON bodies of 1 KiB or more itself for
 * clients that send "Accept-Encoding: gzip".
 */
struct lw_http_response {
	int status;
	const char *content_type;
	const char *content_encoding;
	void *body;
	size_t len;
};

/* Called on the loop's thread, once per GET or HEAD request. */
typedef void (*lw_http_handler_fn)(void *ctx, const struct lw_http_request *rq,
				   struct lw_http_response *resp);

/*
 * Listens on listen: "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464", a
 * host name and port, or ":9464" (every IPv4 and IPv6 address).  Port 0
 * picks a free port (lw_httpd__port() tells which).  NULL with errno set:
 * EINVAL for a malformed address, EADDRINUSE, EACCES, ENOMEM, or EIO when
 * libmicrohttpd refused to start.
 */
struct lw_httpd *lw_httpd__new(const char *listen, lw_http_handler_fn fn,
			       void *ctx);
/* The epoll fd to watch for EPOLLIN. */
int lw_httpd__fd(const struct lw_httpd *h);
/* Accepts, reads, answers and times out what is ready, without blocking.
 * 0 or -EIO. */
int lw_httpd__run(struct lw_httpd *h);
/* Milliseconds until lw_httpd__run() must be called even if the fd stays
 * quiet (connection timeouts); -1 when nothing is pending. */
int lw_httpd__timeout_ms(const struct lw_httpd *h);
/* The bound port. */
uint16_t lw_httpd__port(const struct lw_httpd *h);
/* Closes the listener and every connection.  NULL-safe. */
void lw_httpd__free(struct lw_httpd *h);

#endif /* LW_DAEMON_HTTPD_H */
