/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for the daemon's HTTP server (httpd.c): a server on
 * 127.0.0.1:0 driven by an epoll loop on a thread, as the daemon drives
 * it, and a plain-socket client on the test's thread that checks status
 * lines, headers and bodies byte for byte.  No root needed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <zlib.h>

#include "daemon/buf.h"
#include "daemon/httpd.h"
#include "lwtest.h"

#define BIG_LEN (4u << 20)
#define TEXT_LINES 400

struct server {
	struct lw_httpd *h;
	pthread_t thread;
	int stop; /* atomic */
	int wake; /* eventfd that interrupts the loop */
	int calls; /* atomic: handler calls */
};

static unsigned char big_byte(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void *dup_str(const char *s, size_t *len)
{
	*len = strlen(s);
	return strdup(s);
}

static void handler(void *ctx, const struct lw_http_request *rq,
		    struct lw_http_response *resp)
{
	struct server *s = ctx;
	struct lw_buf b = { 0 };
	size_t i;

	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (!strcmp(rq->path, "/hello")) {
		resp->body = dup_str("hello\n", &resp->len);
	} else if (!strcmp(rq->path, "/big")) {
		unsigned char *p = malloc(BIG_LEN);

		for (i = 0; p && i < BIG_LEN; i++)
			p[i] = big_byte(i);
		resp->content_type = "application/octet-stream";
		resp->body = p;
		resp->len = p ? BIG_LEN : 0;
	} else if (!strcmp(rq->path, "/text")) {
		for (i = 0; i < TEXT_LINES; i++)
			lw_buf__printf(&b, "leakwatch_line{n=\"%zu\"} %zu\n", i,
				       i * 7);
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		resp->body = lw_buf__steal(&b, &resp->len);
	} else if (!strcmp(rq->path, "/args")) {
		const char *pid = lw_http_request__arg(rq, "pid");
		const char *x = lw_http_request__arg(rq, "x");

		lw_buf__printf(&b, "%s pid=%s x=%s", rq->method,
			       pid ? pid : "(none)", x ? x : "(none)");
		resp->body = lw_buf__steal(&b, &resp->len);
	} else if (!strcmp(rq->path, "/pprof")) {
		/* Already compressed by the handler: passed through. */
		lw_gzip("profile", 7, &resp->body, &resp->len);
		resp->content_type = "application/octet-stream";
		resp->content_encoding = "gzip";
	} else if (!strcmp(rq->path, "/broken")) {
		resp->status = 0;
	} else {
		resp->status = 404;
		resp->body = dup_str("not found\n", &resp->len);
	}
}

/*
 * The daemon's loop: sleep until the httpd fd is readable or its timeout
 * is due.  No polling: a missed wakeup would show as a stalled transfer
 * (the 4 MiB body needs many).  s->wake ends it.
 */
static void *loop(void *arg)
{
	struct server *s = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lw_httpd__fd(s->h), &ev) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, s->wake, &ev))
		return NULL;
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		(void)epoll_wait(ep, &ev, 1, lw_httpd__timeout_ms(s->h));
		lw_httpd__run(s->h);
	}
	close(ep);
	return NULL;
}

static bool server_start(struct server *s, const char *listen)
{
	memset(s, 0, sizeof(*s));
	s->wake = eventfd(0, EFD_CLOEXEC);
	s->h = lw_httpd__new(listen, handler, s);
	if (!s->h || s->wake < 0 ||
	    pthread_create(&s->thread, NULL, loop, s)) {
		lw_httpd__free(s->h);
		s->h = NULL;
		if (s->wake >= 0)
			close(s->wake);
		return false;
	}
	return true;
}

static void server_stop(struct server *s)
{
	if (!s->h)
		return;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	(void)eventfd_write(s->wake, 1);
	pthread_join(s->thread, NULL);
	lw_httpd__free(s->h);
	s->h = NULL;
	close(s->wake);
}

struct reply {
	int status;
	char head[4096]; /* status line and headers */
	unsigned char *body;
	size_t len;
};

/* A header's value (up to CR) in r->head, case-insensitively; "" if none. */
static const char *header(const struct reply *r, const char *name,
			  char *out, size_t size)
{
	const char *p = r->head;
	size_t n = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			n = e ? (size_t)(e - v) : strlen(v);
			if (n >= size)
				n = size - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
	}
	return out;
}

/* Sends req to port over family and reads the whole answer (the requests
 * say "Connection: close").  0 or -errno. */
static int http(int family, uint16_t port, const char *req, struct reply *r)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 10 };
	struct lw_buf in = { 0 };
	size_t off = 0, n = strlen(req);
	char chunk[65536], *end;
	int fd, err = 0;

	memset(r, 0, sizeof(*r));
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (family == AF_INET6 ?
		    connect(fd, (struct sockaddr *)&s6, sizeof(s6)) :
		    connect(fd, (struct sockaddr *)&s4, sizeof(s4))) {
		err = -errno;
		goto out;
	}
	while (off < n) {
		ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);

		if (w <= 0) {
			err = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		ssize_t got = recv(fd, chunk, sizeof(chunk), 0);

		if (got < 0) {
			err = -errno;
			goto out;
		}
		if (!got)
			break;
		lw_buf__append(&in, chunk, (size_t)got);
	}
	end = in.data ? strstr(in.data, "\r\n\r\n") : NULL;
	if (!end || (size_t)(end - in.data) >= sizeof(r->head)) {
		err = -EPROTO;
		goto out;
	}
	memcpy(r->head, in.data, (size_t)(end - in.data) + 2);
	r->head[end - in.data + 2] = '\0';
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1) {
		err = -EPROTO;
		goto out;
	}
	r->len = in.len - (size_t)(end + 4 - in.data);
	r->body = malloc(r->len + 1);
	if (r->body) {
		memcpy(r->body, end + 4, r->len);
		r->body[r->len] = '\0';
	}
out:
	lw_buf__free(&in);
	close(fd);
	return err;
}

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

#define GET(path, extra)                                                      \
	"GET " path " HTTP/1.1\r\nHost: localhost\r\n" extra                  \
	"Connection: close\r\n\r\n"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_get(void)
{
	struct server s;
	struct reply r = { 0 };
	char v[256];
	uint16_t port;

	if (!ASSERT_TRUE(server_start(&s, "127.0.0.1:0"), "start"))
		return;
	port = lw_httpd__port(s.h);
	ASSERT_TRUE(port != 0, "a port was picked");
	ASSERT_TRUE(lw_httpd__fd(s.h) >= 0, "epoll fd");

	if (ASSERT_OK(http(AF_INET, port, GET("/hello", ""), &r), "GET")) {
		ASSERT_EQ(r.status, 200, "status");
		ASSERT_STREQ(header(&r, "Content-Type", v, sizeof(v)),
			     "text/plain; charset=utf-8", "default type");
		ASSERT_STREQ(header(&r, "Content-Length", v, sizeof(v)), "6",
			     "length");
		ASSERT_STREQ(header(&r, "Cache-Control", v, sizeof(v)),
			     "no-store", "no caching");
		ASSERT_STREQ((char *)r.body, "hello\n", "body");
	}
	reply_free(&r);

	/* The handler's 404. */
	if (ASSERT_OK(http(AF_INET, port, GET("/nope", ""), &r), "GET 404")) {
		ASSERT_EQ(r.status, 404, "status 404");
		ASSERT_STREQ((char *)r.body, "not found\n", "404 body");
	}
	reply_free(&r);

	/* Query arguments, decoded. */
	if (ASSERT_OK(http(AF_INET, port, GET("/args?pid=4242&x=a%20b%2Cc", ""),
			   &r),
		      "GET args")) {
		ASSERT_EQ(r.status, 200, "args status");
		ASSERT_STREQ((char *)r.body, "GET pid=4242 x=a b,c", "args");
	}
	reply_free(&r);
	if (ASSERT_OK(http(AF_INET, port, GET("/args", ""), &r), "no args"))
		ASSERT_STREQ((char *)r.body, "GET pid=(none) x=(none)",
			     "absent args are NULL");
	reply_free(&r);

	/* A status outside 100..599 from the handler is a 500. */
	if (ASSERT_OK(http(AF_INET, port, GET("/broken", ""), &r), "broken"))
		ASSERT_EQ(r.status, 500, "status 500");
	reply_free(&r);
	ASSERT_EQ(__atomic_load_n(&s.calls, __ATOMIC_RELAXED), 5,
		  "handler calls");
	server_stop(&s);
}

static void test_methods(void)
{
	struct server s;
	struct reply r = { 0 };
	char v[256];
	uint16_t port;

	if (!ASSERT_TRUE(server_start(&s, "127.0.0.1:0"), "start"))
		return;
	port = lw_httpd__port(s.h);

	if (ASSERT_OK(http(AF_INET, port,
			   "POST /hello HTTP/1.1\r\nHost: x\r\n"
			   "Content-Length: 3\r\nConnection: close\r\n\r\nabc",
			   &r),
		      "POST")) {
		ASSERT_EQ(r.status, 405, "POST is 405");
		ASSERT_STREQ(header(&r, "Allow", v, sizeof(v)), "GET, HEAD",
			     "Allow");
	}
	reply_free(&r);
	if (ASSERT_OK(http(AF_INET, port,
			   "DELETE /hello HTTP/1.1\r\nHost: x\r\n"
			   "Connection: close\r\n\r\n",
			   &r),
		      "DELETE"))
		ASSERT_EQ(r.status, 405, "DELETE is 405");
	reply_free(&r);

	/* A GET with a body is refused without reading it. */
	if (ASSERT_OK(http(AF_INET, port,
			   GET("/hello", "Content-Length: 5\r\n") "hello", &r),
		      "GET with body"))
		ASSERT_EQ(r.status, 413, "body is 413");
	reply_free(&r);

	/* HEAD: the GET's headers with no body. */
	if (ASSERT_OK(http(AF_INET, port,
			   "HEAD /big HTTP/1.1\r\nHost: x\r\n"
			   "Connection: close\r\n\r\n",
			   &r),
		      "HEAD")) {
		ASSERT_EQ(r.status, 200, "HEAD status");
		ASSERT_EQ(atol(header(&r, "Content-Length", v, sizeof(v))),
			  BIG_LEN, "HEAD length");
		ASSERT_EQ(r.len, 0, "HEAD has no body");
	}
	reply_free(&r);
	if (ASSERT_OK(http(AF_INET, port,
			   "HEAD /args?pid=1 HTTP/1.1\r\nHost: x\r\n"
			   "Connection: close\r\n\r\n",
			   &r),
		      "HEAD args"))
		ASSERT_EQ(atol(header(&r, "Content-Length", v, sizeof(v))),
			  strlen("HEAD pid=1 x=(none)"), "handler saw HEAD");
	reply_free(&r);
	/* Only GET and HEAD reached the handler. */
	ASSERT_EQ(__atomic_load_n(&s.calls, __ATOMIC_RELAXED), 2,
		  "handler calls");
	server_stop(&s);
}

static void test_bodies(void)
{
	struct server s;
	struct reply r = { 0 };
	char v[256];
	uint16_t port;
	size_t i, bad = 0;

	if (!ASSERT_TRUE(server_start(&s, "127.0.0.1:0"), "start"))
		return;
	port = lw_httpd__port(s.h);

	/* 4 MiB through the non-blocking loop, byte for byte. */
	if (ASSERT_OK(http(AF_INET, port, GET("/big", ""), &r), "GET big")) {
		ASSERT_EQ(r.status, 200, "big status");
		ASSERT_EQ(r.len, BIG_LEN, "big length");
		for (i = 0; r.body && i < r.len; i++)
			bad += r.body[i] != big_byte(i);
		ASSERT_EQ(bad, 0, "big bytes");
		ASSERT_STREQ(header(&r, "Content-Encoding", v, sizeof(v)), "",
			     "binary is never gzipped");
	}
	reply_free(&r);

	/* Text: plain without Accept-Encoding, gzip with it. */
	if (ASSERT_OK(http(AF_INET, port, GET("/text", ""), &r), "text")) {
		ASSERT_STREQ(header(&r, "Content-Encoding", v, sizeof(v)), "",
			     "plain");
		ASSERT_TRUE(r.len > 1024 &&
				    !strncmp((char *)r.body,
					     "leakwatch_line{n=\"0\"} 0\n", 24),
			    "plain body");
	}
	{
		struct reply z = { 0 };
		unsigned char *out = NULL;
		uLongf outlen = r.len;

		if (ASSERT_OK(http(AF_INET, port,
				   GET("/text",
				       "Accept-Encoding: deflate, gzip\r\n"),
				   &z),
			      "text gzip")) {
			z_stream zs = { 0 };

			ASSERT_STREQ(header(&z, "Content-Encoding", v,
					    sizeof(v)),
				     "gzip", "gzipped");
			ASSERT_STREQ(header(&z, "Vary", v, sizeof(v)),
				     "Accept-Encoding", "Vary");
			ASSERT_TRUE(z.len < r.len, "smaller");
			out = malloc(outlen);
			if (out && inflateInit2(&zs, 15 + 16) == Z_OK) {
				zs.next_in = z.body;
				zs.avail_in = (uInt)z.len;
				zs.next_out = out;
				zs.avail_out = (uInt)outlen;
				ASSERT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END,
					  "gunzip");
				ASSERT_EQ(zs.total_out, r.len, "same length");
				ASSERT_TRUE(!memcmp(out, r.body, r.len),
					    "same text");
				inflateEnd(&zs);
			}
		}
		free(out);
		reply_free(&z);
		/* q=0 refuses gzip. */
		if (ASSERT_OK(http(AF_INET, port,
				   GET("/text",
				       "Accept-Encoding: gzip;q=0\r\n"),
				   &z),
			      "text q=0"))
			ASSERT_STREQ(header(&z, "Content-Encoding", v,
					    sizeof(v)),
				     "", "q=0 is plain");
		reply_free(&z);
	}
	reply_free(&r);

	/* A short body is not worth compressing. */
	if (ASSERT_OK(http(AF_INET, port,
			   GET("/hello", "Accept-Encoding: gzip\r\n"), &r),
		      "short"))
		ASSERT_STREQ((char *)r.body, "hello\n", "short stays plain");
	reply_free(&r);

	/* The handler's own gzip passes through untouched. */
	if (ASSERT_OK(http(AF_INET, port, GET("/pprof", ""), &r), "pprof")) {
		ASSERT_STREQ(header(&r, "Content-Encoding", v, sizeof(v)),
			     "gzip", "handler's encoding");
		ASSERT_STREQ(header(&r, "Content-Type", v, sizeof(v)),
			     "application/octet-stream", "handler's type");
		ASSERT_TRUE(r.len > 2 && r.body[0] == 0x1f && r.body[1] == 0x8b,
			    "gzip magic");
	}
	reply_free(&r);
	server_stop(&s);
}

/* Whether ::1 can be bound here (a kernel may have IPv6 off). */
static bool have_ipv6(void)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&s6, sizeof(s6));

	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_listen(void)
{
	struct server s, s6;
	struct reply r = { 0 };
	struct lw_httpd *h;
	char addr[64];
	static const char *const bad[] = {
		"", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999",
		"127.0.0.1:80x", "::1:9464", "[::1]9464", "[::1:9464",
	};
	size_t i;
	int fds = count_fds();
	bool v6 = have_ipv6();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		h = lw_httpd__new(bad[i], handler, NULL);
		ASSERT_TRUE(!h && errno == EINVAL, bad[i]);
		lw_httpd__free(h);
	}
	if (!ASSERT_TRUE(server_start(&s, "127.0.0.1:0"), "start"))
		return;
	/* A taken port is EADDRINUSE, as the daemon reports it. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", lw_httpd__port(s.h));
	errno = 0;
	h = lw_httpd__new(addr, handler, NULL);
	ASSERT_TRUE(!h && errno == EADDRINUSE, "port in use");
	lw_httpd__free(h);
	server_stop(&s);

	/* ":0" is every address, IPv4 and IPv6 alike. */
	if (ASSERT_TRUE(server_start(&s, ":0"), "start :0")) {
		uint16_t port = lw_httpd__port(s.h);

		if (ASSERT_OK(http(AF_INET, port, GET("/hello", ""), &r),
			      "v4 on :0"))
			ASSERT_EQ(r.status, 200, "v4 status");
		reply_free(&r);
		if (v6 && ASSERT_OK(http(AF_INET6, port, GET("/hello", ""), &r),
				    "v6 on :0"))
			ASSERT_EQ(r.status, 200, "v6 status");
		reply_free(&r);
		server_stop(&s);
	}
	if (!v6)
		fprintf(stderr, "skip: no IPv6 loopback here\n");
	else if (ASSERT_TRUE(server_start(&s6, "[::1]:0"), "start [::1]:0")) {
		if (ASSERT_OK(http(AF_INET6, lw_httpd__port(s6.h),
				   GET("/hello", ""), &r),
			      "GET on ::1"))
			ASSERT_STREQ((char *)r.body, "hello\n", "v6 body");
		reply_free(&r);
		server_stop(&s6);
	}
	/* The listener, MHD's epoll fd and every connection are closed. */
	ASSERT_EQ(count_fds(), fds, "no fd left open");
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_get),
		LWT_CASE(test_methods),
		LWT_CASE(test_bodies),
		LWT_CASE(test_listen),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
