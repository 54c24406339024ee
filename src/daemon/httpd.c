/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * libmicrohttpd in the caller's loop (MHD_USE_EPOLL without an internal
 * thread): we bind the listening socket ourselves, so that errors come
 * back as errno and ":port" can be one dual-stack socket, and hand it to
 * MHD.  Pairs with httpd.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "httpd.h"
#include "log.h"

#define HTTPD_MAX_CONNECTIONS 64
#define HTTPD_IDLE_TIMEOUT_S 10
#define HTTPD_BACKLOG 64
/* Smaller bodies are not worth a gzip round. */
#define HTTPD_GZIP_MIN 1024

struct lw_httpd {
	struct MHD_Daemon *mhd;
	lw_http_handler_fn fn;
	void *ctx;
	uint16_t port;
};

const char *lw_http_request__arg(const struct lw_http_request *rq,
				 const char *key)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
					   key);
}

/*
 * Splits "host:port", "[v6]:port" or ":port" into host (NULL: any) and
 * port, in caller-provided room.  0 or -EINVAL.
 */
static int split_listen(const char *listen, char *host, size_t host_size,
			char *port, size_t port_size)
{
	const char *colon, *h = listen;
	size_t hlen;
	char *end;
	long p;

	if (!listen || !*listen)
		return -EINVAL;
	if (*listen == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = listen + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - listen);
		/* "::1:9464" is ambiguous: v6 literals need brackets. */
		if (memchr(listen, ':', hlen))
			return -EINVAL;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		return -EINVAL;
	if (hlen >= host_size)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, port_size, "%ld", p);
	return 0;
}

/* A listening, non-blocking socket on ai.  fd or -errno. */
static int listen_on(const struct sockaddr *sa, socklen_t salen, bool dual)
{
	int fd, one = 1, zero = 0, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	/* A restarted daemon must not wait out TIME_WAIT of its old port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto err_out;
	if (dual && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			       sizeof(zero)))
		goto err_out;
	if (bind(fd, sa, salen) || listen(fd, HTTPD_BACKLOG))
		goto err_out;
	return fd;
err_out:
	err = -errno;
	(void)close(fd);
	return err;
}

/* Binds listen as split_listen() understands it.  fd or -errno. */
static int open_listener(const char *listen, int *ret_family)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL, *ai;
	char host[256], port[8];
	int fd, err;

	err = split_listen(listen, host, sizeof(host), port, sizeof(port));
	if (err)
		return err;
	if (!*host) {
		/* ":port": one IPv6 socket that takes IPv4 too, or plain
		 * IPv4 on a host without IPv6. */
		struct sockaddr_in6 s6 = {
			.sin6_family = AF_INET6,
			.sin6_addr = IN6ADDR_ANY_INIT,
			.sin6_port = htons((uint16_t)atoi(port)),
		};
		struct sockaddr_in s4 = {
			.sin_family = AF_INET,
			.sin_addr.s_addr = htonl(INADDR_ANY),
			.sin_port = htons((uint16_t)atoi(port)),
		};

		fd = listen_on((struct sockaddr *)&s6, sizeof(s6), true);
		*ret_family = AF_INET6;
		if (fd == -EAFNOSUPPORT) {
			fd = listen_on((struct sockaddr *)&s4, sizeof(s4),
				       false);
			*ret_family = AF_INET;
		}
		return fd;
	}
	err = getaddrinfo(host, port, &hints, &res);
	if (err)
		return err == EAI_MEMORY ? -ENOMEM : -EINVAL;
	fd = -EINVAL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = listen_on(ai->ai_addr, ai->ai_addrlen, false);
		if (fd >= 0) {
			*ret_family = ai->ai_family;
			break;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	/* MHD's complaints (a client reset, a timeout) are not ours to
	 * warn about; keep them for -v. */
	if (lw_log_get_level() >= LW_LOG_DEBUG)
		lw_vlog(LW_LOG_DEBUG, fmt, ap);
}

/* Whether an Accept-Encoding header value admits gzip (RFC 9110 12.5.3). */
static bool accepts_gzip(const char *ae)
{
	const char *p = ae;

	while (p && *p) {
		const char *end = strchr(p, ','), *semi;
		size_t n;

		if (!end)
			end = p + strlen(p);
		while (*p == ' ' || *p == '\t')
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		n = (size_t)((semi ? semi : end) - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((n == 4 && !strncasecmp(p, "gzip", 4)) ||
		    (n == 6 && !strncasecmp(p, "x-gzip", 6))) {
			const char *q = semi ? strstr(semi, "q=") : NULL;

			/* "gzip;q=0" refuses it. */
			return !q || q > end || strtod(q + 2, NULL) > 0;
		}
		p = *end ? end + 1 : end;
	}
	return false;
}

static bool compressible(const char *type)
{
	return !strncmp(type, "text/", 5) ||
	       !strncmp(type, "application/json", 16);
}

/* Queues a small text/plain answer (405, 413, 500). */
static enum MHD_Result answer_text(struct MHD_Connection *conn, int status,
				   const char *text, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				      "text/plain; charset=utf-8");
	if (allow)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The request has a body: a Content-Length above 0 or a chunked one. */
static bool has_body(struct MHD_Connection *conn)
{
	const char *cl, *te;

	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return te || (cl && strtoull(cl, NULL, 10) > 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct lw_httpd *h = cls;
	struct lw_http_request rq = { method, url, conn };
	struct lw_http_response resp = { .status = 200 };
	const char *type, *ae;
	struct MHD_Response *r;
	enum MHD_Result ret;
	bool vary = false;

	/*
	 * MHD calls once with the headers, then again per chunk of body.
	 * We answer on the first call: no request here has a body, and one
	 * that does is refused without reading it (MHD then closes).
	 */
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "method not allowed: read-only\n",
				   "GET, HEAD");
	if (has_body(conn))
		return answer_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				   "request bodies are not accepted\n", NULL);

	h->fn(h->ctx, &rq, &resp);
	if (resp.status < 100 || resp.status > 599) {
		free(resp.body);
		return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "internal error\n", NULL);
	}
	type = resp.content_type ? resp.content_type :
				   "text/plain; charset=utf-8";
	if (!resp.content_encoding && compressible(type)) {
		vary = true;
		ae = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
		if (resp.len >= HTTPD_GZIP_MIN && ae && accepts_gzip(ae)) {
			void *gz;
			size_t gzlen;

			/* Failing to compress just sends it plain. */
			if (!lw_gzip(resp.body, resp.len, &gz, &gzlen)) {
				free(resp.body);
				resp.body = gz;
				resp.len = gzlen;
				resp.content_encoding = "gzip";
			}
		}
	}
	if (resp.body && resp.len) {
		r = MHD_create_response_from_buffer(resp.len, resp.body,
						    MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(resp.body);
	} else {
		free(resp.body);
		r = MHD_create_response_from_buffer(0, (void *)"",
						    MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (resp.content_encoding)
		(void)MHD_add_response_header(
			r, MHD_HTTP_HEADER_CONTENT_ENCODING,
			resp.content_encoding);
	if (vary)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
					      MHD_HTTP_HEADER_ACCEPT_ENCODING);
	/* Every answer is a snapshot of now. */
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				      "no-store");
	ret = MHD_queue_response(conn, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

struct lw_httpd *lw_httpd__new(const char *listen, lw_http_handler_fn fn,
			       void *ctx)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct lw_httpd *h;
	int fd = -1, family = AF_INET, err;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (!fn) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	h->fn = fn;
	h->ctx = ctx;
	fd = open_listener(listen, &family);
	if (fd < 0) {
		err = fd;
		goto err_out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen)) {
		err = -errno;
		goto err_out;
	}
	h->port = ntohs(ss.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_IDLE_TIMEOUT_S,
		MHD_OPTION_END);
	if (!h->mhd) {
		err = -EIO;
		goto err_out;
	}
	/* From here MHD owns fd and closes it in MHD_stop_daemon(). */
	return h;
err_out:
	/* MHD may have closed the socket it was given while failing. */
	if (fd >= 0 && fcntl(fd, F_GETFD) >= 0)
		(void)close(fd);
	free(h);
	errno = -err;
	return NULL;
}

int lw_httpd__fd(const struct lw_httpd *h)
{
	const union MHD_DaemonInfo *info;

	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

int lw_httpd__run(struct lw_httpd *h)
{
	return MHD_run(h->mhd) == MHD_YES ? 0 : -EIO;
}

int lw_httpd__timeout_ms(const struct lw_httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		return -1;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

uint16_t lw_httpd__port(const struct lw_httpd *h)
{
	return h->port;
}

void lw_httpd__free(struct lw_httpd *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	free(h);
}
