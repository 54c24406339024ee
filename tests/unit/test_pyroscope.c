/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for the Pyroscope pusher (pyroscope.c): a loopback receiver
 * on plain sockets takes the POSTs, and the test checks the path and
 * query, takes the multipart form apart, gunzips the "profile" part and
 * decodes it as profile.proto (and has `go tool pprof -raw` read it when
 * go is installed).  Also: an error status, a dead server and a server
 * that never answers must cost the caller nothing.  No root needed.
 */
#define _GNU_SOURCE /* accept4(), memmem() */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "daemon/buf.h"
#include "daemon/pyroscope.h"
#include "lwtest.h"
#include "pprof.h"

#define RX_MAX 4

/* A one-request-per-connection HTTP receiver on 127.0.0.1. */
struct rx {
	int lfd;
	uint16_t port;
	pthread_t thread;
	int status; /* what to answer */
	bool hang; /* read the request, never answer */
	int stop; /* atomic */
	int accepted; /* atomic */
	int held[8]; /* hung connections, closed at stop */
	unsigned nheld;
	pthread_mutex_t lock;
	unsigned n; /* requests captured */
	char head[RX_MAX][4096];
	struct lw_buf body[RX_MAX];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The value of header name in head, or "". */
static const char *header(const char *head, const char *name, char *out,
			  size_t size)
{
	const char *p = head;
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
			break;
		}
	}
	return out;
}

/* Reads one request from fd: headers, then Content-Length bytes. */
static void rx_serve(struct rx *rx, int fd)
{
	struct lw_buf in = { 0 };
	char chunk[16384], v[64], *end = NULL;
	size_t want = 0, hlen = 0;
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t got = recv(fd, chunk, sizeof(chunk), 0);

		if (got <= 0)
			break;
		lw_buf__append(&in, chunk, (size_t)got);
		if (!end && (end = strstr(in.data, "\r\n\r\n"))) {
			hlen = (size_t)(end - in.data) + 4;
			want = hlen + strtoull(header(in.data,
						      "Content-Length", v,
						      sizeof(v)),
					       NULL, 10);
		}
		if (end && in.len >= want)
			break;
	}
	pthread_mutex_lock(&rx->lock);
	if (end && rx->n < RX_MAX && hlen < sizeof(rx->head[0])) {
		memcpy(rx->head[rx->n], in.data, hlen);
		rx->head[rx->n][hlen] = '\0';
		lw_buf__append(&rx->body[rx->n], in.data + hlen, in.len - hlen);
		rx->n++;
	}
	pthread_mutex_unlock(&rx->lock);
	lw_buf__free(&in);
	if (rx->hang && rx->nheld < 8) {
		rx->held[rx->nheld++] = fd;
		return;
	}
	snprintf(chunk, sizeof(chunk),
		 "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
		 "Connection: close\r\n\r\n",
		 rx->status);
	(void)send(fd, chunk, strlen(chunk), MSG_NOSIGNAL);
	close(fd);
}

static void *rx_loop(void *arg)
{
	struct rx *rx = arg;
	struct pollfd pfd = { .fd = rx->lfd, .events = POLLIN };

	while (!__atomic_load_n(&rx->stop, __ATOMIC_RELAXED)) {
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		__atomic_add_fetch(&rx->accepted, 1, __ATOMIC_RELAXED);
		rx_serve(rx, fd);
	}
	return NULL;
}

static bool rx_start(struct rx *rx, int status, bool hang)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	memset(rx, 0, sizeof(*rx));
	rx->status = status;
	rx->hang = hang;
	pthread_mutex_init(&rx->lock, NULL);
	rx->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rx->lfd < 0 || bind(rx->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(rx->lfd, 16) ||
	    getsockname(rx->lfd, (struct sockaddr *)&sa, &len))
		return false;
	rx->port = ntohs(sa.sin_port);
	return !pthread_create(&rx->thread, NULL, rx_loop, rx);
}

static void rx_stop(struct rx *rx)
{
	unsigned i;

	__atomic_store_n(&rx->stop, 1, __ATOMIC_RELAXED);
	pthread_join(rx->thread, NULL);
	for (i = 0; i < rx->nheld; i++)
		close(rx->held[i]);
	for (i = 0; i < RX_MAX; i++)
		lw_buf__free(&rx->body[i]);
	close(rx->lfd);
	pthread_mutex_destroy(&rx->lock);
}

/* Waits up to 5 s for ok + errors to reach n. */
static void wait_done(struct lw_pyroscope *p, uint64_t n, uint64_t *ok,
		      uint64_t *errors, uint64_t *dropped)
{
	double until = now_s() + 5;

	do {
		lw_pyroscope__stats(p, ok, errors, dropped);
		if (*ok + *errors >= n)
			return;
		usleep(10000);
	} while (now_s() < until);
}

/* Minimal protobuf reading: varints and length-delimited fields. */
struct pb {
	const uint8_t *p, *end;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
	unsigned shift;

	*v = 0;
	for (shift = 0; b->p < b->end && shift < 64; shift += 7) {
		uint8_t c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

static bool pb_field(struct pb *b, unsigned *num, uint64_t *v, struct pb *sub)
{
	uint64_t key;

	if (b->p >= b->end || !pb_varint(b, &key))
		return false;
	*num = (unsigned)(key >> 3);
	if ((key & 7) == 0)
		return pb_varint(b, v);
	if ((key & 7) != 2 || !pb_varint(b, v) ||
	    *v > (uint64_t)(b->end - b->p))
		return false;
	sub->p = b->p;
	sub->end = b->p + *v;
	b->p += *v;
	return true;
}

/* Appends the gunzipped data to out; false on a bad stream. */
static bool gunzip(const void *data, size_t len, struct lw_buf *out)
{
	z_stream z = { 0 };
	unsigned char chunk[16384];
	int zerr;

	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return false;
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zerr = inflate(&z, Z_NO_FLUSH);
		lw_buf__append(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zerr == Z_OK);
	inflateEnd(&z);
	return zerr == Z_STREAM_END && !out->oom;
}

/* The profile of test_push: two heap sites. */
static struct lw_pprof *heap_profile(void)
{
	static const struct lw_pprof_type types[] = {
		{ "inuse_objects", "count" },
		{ "inuse_space", "bytes" },
	};
	const struct lw_frame leak[] = {
		{ .addr = 0x401000, .function = "cache_insert",
		  .file = "cache.c", .line = 42 },
		{ .addr = 0x402000, .function = "main", .file = "main.c",
		  .line = 7 },
	};
	const struct lw_frame ok[] = {
		{ .addr = 0x403000, .function = "buffer_grow",
		  .file = "buf.c", .line = 9 },
		{ .addr = 0x402000, .function = "main", .file = "main.c",
		  .line = 7 },
	};
	const int64_t v_leak[] = { 1000, 64000 }, v_ok[] = { 2, 8192 };
	struct lw_pprof *p = lw_pprof__new(types, 2);

	if (!p || lw_pprof__add_sample(p, leak, NULL, 2, v_leak, NULL, 0) ||
	    lw_pprof__add_sample(p, ok, NULL, 2, v_ok, NULL, 0)) {
		lw_pprof__free(p);
		return NULL;
	}
	return p;
}

/* The content of part name of a multipart/form-data body, or NULL. */
static const char *form_part(const char *ctype, const struct lw_buf *body,
			     const char *name, size_t *ret_len)
{
	char delim[256], disp[128];
	const char *b = strstr(ctype, "boundary="), *p, *end, *hdr_end;
	size_t dlen;

	if (!b)
		return NULL;
	b += strlen("boundary=");
	if (*b == '"')
		b++;
	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%.*s",
				(int)strcspn(b, "\";"), b);
	snprintf(disp, sizeof(disp), "name=\"%s\"", name);
	/* The body starts with the delimiter without its CRLF. */
	p = memmem(body->data, body->len, delim + 2, dlen - 2);
	while (p) {
		p += dlen - 2;
		hdr_end = memmem(p, body->len - (size_t)(p - body->data),
				 "\r\n\r\n", 4);
		if (!hdr_end)
			return NULL;
		end = memmem(hdr_end + 4,
			     body->len - (size_t)(hdr_end + 4 - body->data),
			     delim, dlen);
		if (!end)
			return NULL;
		if (memmem(p, (size_t)(hdr_end - p), disp, strlen(disp))) {
			*ret_len = (size_t)(end - (hdr_end + 4));
			return hdr_end + 4;
		}
		p = end + 2;
	}
	return NULL;
}

static void test_name(void)
{
	struct lw_buf b = { 0 };
	const char *const labels[] = { "pid",	    "4242", "comm",
				       "my app,x}", "container", "",
				       "bad-key",   "v=1",  NULL };

	ASSERT_OK(lw_pyroscope_name(&b, "leakwatch", "inuse", labels), "name");
	/* leakwatch.inuse{pid=4242,comm=my app_x_,bad_key=v=1} */
	ASSERT_STREQ(b.data,
		     "leakwatch.inuse%7Bpid%3D4242%2Ccomm%3Dmy%20app_x_%2C"
		     "bad_key%3Dv%3D1%7D",
		     "encoded name");
	lw_buf__reset(&b);
	ASSERT_OK(lw_pyroscope_name(&b, "my app/prod", "goroutines", NULL),
		  "no labels");
	ASSERT_STREQ(b.data, "my_app%2Fprod.goroutines%7B%7D", "app cleaned");
	lw_buf__free(&b);
}

/* A file with data, for go tool pprof.  0 or -errno. */
static int write_tmp(char *path, const void *data, size_t len)
{
	int fd = mkstemp(path);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static void check_go_pprof(const void *gz, size_t len)
{
	char path[] = "/tmp/lw-pyro-XXXXXX", cmd[256], out[8192];
	FILE *f;
	size_t n;

	if (system("command -v go >/dev/null 2>&1")) {
		ASSERT_TRUE(!getenv("CI"), "go missing in CI");
		fprintf(stderr, "skip: go not installed\n");
		return;
	}
	if (!ASSERT_OK(write_tmp(path, gz, len), "write profile"))
		return;
	snprintf(cmd, sizeof(cmd), "go tool pprof -raw %s 2>&1", path);
	f = popen(cmd, "r");
	if (ASSERT_NOT_NULL(f, "popen")) {
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		ASSERT_EQ(pclose(f), 0, "go tool pprof -raw");
		ASSERT_TRUE(strstr(out,
				   "inuse_objects/count inuse_space/bytes"),
			    "sample types");
		/* A sample line: values, then location ids. */
		ASSERT_TRUE(strstr(out, "1000      64000: 1 2"), "leak sample");
		ASSERT_TRUE(strstr(out, "cache_insert cache.c:42"),
			    "leak function");
	}
	unlink(path);
}

static void test_push(void)
{
	const char *const labels[] = { "pid", "4242", "comm", "my app,x",
				       "container", "", NULL };
	struct lw_buf raw_out = { 0 };
	struct lw_pprof *prof = NULL;
	struct lw_pyroscope *p = NULL;
	uint64_t ok = 0, errors = 0, dropped = 0;
	uint8_t *raw = NULL;
	void *gz = NULL, *gz_copy = NULL;
	size_t raw_len = 0, gz_len = 0, part_len = 0;
	char url[128], v[256];
	const char *part;
	struct rx rx;

	if (!ASSERT_TRUE(rx_start(&rx, 200, false), "receiver"))
		return;
	prof = heap_profile();
	if (!ASSERT_NOT_NULL(prof, "profile") ||
	    !ASSERT_OK(lw_pprof__encode(prof, &raw, &raw_len), "encode") ||
	    !ASSERT_OK(lw_gzip(raw, raw_len, &gz, &gz_len), "gzip"))
		goto out;
	gz_copy = malloc(gz_len);
	if (!ASSERT_NOT_NULL(gz_copy, "copy"))
		goto out;
	memcpy(gz_copy, gz, gz_len);

	/* A path prefix and a trailing slash, as behind a proxy. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/pyro/", rx.port);
	p = lw_pyroscope__new(url, "leakwatch");
	if (!ASSERT_NOT_NULL(p, "new"))
		goto out;
	lw_pyroscope__push(p, "inuse", labels, 1700000000, 1700000030, gz,
			   gz_len);
	gz = NULL; /* the pusher owns it */
	wait_done(p, 1, &ok, &errors, &dropped);
	ASSERT_U64_EQ(ok, 1, "delivered");
	ASSERT_U64_EQ(errors, 0, "no errors");
	ASSERT_U64_EQ(dropped, 0, "none dropped");

	pthread_mutex_lock(&rx.lock);
	if (!ASSERT_EQ(rx.n, 1, "one request")) {
		pthread_mutex_unlock(&rx.lock);
		goto out;
	}
	pthread_mutex_unlock(&rx.lock);
	ASSERT_TRUE(!strncmp(rx.head[0],
			     "POST /pyro/ingest?"
			     "name=leakwatch.inuse%7Bpid%3D4242%2C"
			     "comm%3Dmy%20app_x%7D"
			     "&from=1700000000&until=1700000030"
			     "&spyName=leakwatch HTTP/1.1\r\n",
			     strlen("POST /pyro/ingest?") + 100),
		    "request line");
	ASSERT_TRUE(strstr(rx.head[0], "&from=1700000000&until=1700000030&") &&
			    !strstr(rx.head[0], "format="),
		    "from, until, and no format (multipart body)");
	header(rx.head[0], "Content-Type", v, sizeof(v));
	ASSERT_TRUE(!strncmp(v, "multipart/form-data; boundary=", 30),
		    "multipart");
	ASSERT_STREQ(header(rx.head[0], "Expect", v + 128, 128), "",
		     "no 100-continue");

	part = form_part(v, &rx.body[0], "profile", &part_len);
	if (!ASSERT_NOT_NULL(part, "profile part"))
		goto out;
	ASSERT_TRUE(memmem(rx.body[0].data, rx.body[0].len,
			   "filename=\"profile.pprof\"", 24),
		    "file part");
	ASSERT_EQ(part_len, gz_len, "part length");
	ASSERT_TRUE(part_len == gz_len && !memcmp(part, gz_copy, gz_len),
		    "part is the gzip'ed profile");
	if (ASSERT_TRUE(gunzip(part, part_len, &raw_out), "gunzip")) {
		struct pb b = { (uint8_t *)raw_out.data,
				(uint8_t *)raw_out.data + raw_out.len };
		struct pb sub = { NULL, NULL };
		unsigned num, samples = 0, strings = 0, types = 0;
		bool inuse_space = false, cache_insert = false;
		uint64_t val;

		ASSERT_TRUE(raw_out.len == raw_len &&
				    !memcmp(raw_out.data, raw, raw_len),
			    "same message");
		/* Profile: sample_type = 1, sample = 2, string_table = 6. */
		while (pb_field(&b, &num, &val, &sub)) {
			types += num == 1;
			samples += num == 2;
			if (num == 6) {
				strings++;
				inuse_space |=
					val == 11 &&
					!memcmp(sub.p, "inuse_space", 11);
				cache_insert |=
					val == 12 &&
					!memcmp(sub.p, "cache_insert", 12);
			}
		}
		ASSERT_TRUE(b.p == b.end, "decoded to the end");
		ASSERT_EQ(types, 2, "two sample types");
		ASSERT_EQ(samples, 2, "two samples");
		ASSERT_TRUE(inuse_space && cache_insert, "strings");
	}
	check_go_pprof(part, part_len);
out:
	lw_pyroscope__free(p);
	rx_stop(&rx);
	lw_buf__free(&raw_out);
	lw_pprof__free(prof);
	free(raw);
	free(gz);
	free(gz_copy);
}

/* A gzip'ed dummy body: the receivers here do not look inside. */
static void *blob(size_t *len)
{
	void *gz = NULL;

	lw_gzip("x", 1, &gz, len);
	return gz;
}

static void test_error_status(void)
{
	struct lw_pyroscope *p;
	uint64_t ok = 0, errors = 0, dropped = 0;
	char url[64];
	struct rx rx;
	size_t len = 0;
	void *gz;

	if (!ASSERT_TRUE(rx_start(&rx, 500, false), "receiver"))
		return;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", rx.port);
	p = lw_pyroscope__new(url, NULL);
	if (ASSERT_NOT_NULL(p, "new")) {
		gz = blob(&len);
		lw_pyroscope__push(p, "goroutines", NULL, 1, 2, gz, len);
		wait_done(p, 1, &ok, &errors, &dropped);
		ASSERT_U64_EQ(ok, 0, "500 is not ok");
		ASSERT_U64_EQ(errors, 1, "500 is an error");
		pthread_mutex_lock(&rx.lock);
		ASSERT_TRUE(rx.n == 1 && !strncmp(rx.head[0],
						  "POST /ingest?name="
						  "leakwatch.goroutines%7B%7D&",
						  44),
			    "default app name");
		pthread_mutex_unlock(&rx.lock);
	}
	lw_pyroscope__free(p);
	rx_stop(&rx);
	errno = 0;
	ASSERT_TRUE(!lw_pyroscope__new("ftp://x", NULL) && errno == EINVAL,
		    "not http");
}

static void test_dead_server(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	struct lw_pyroscope *p;
	uint64_t ok = 0, errors = 0, dropped = 0;
	double t0, push_s;
	char url[64];
	void *gz[5];
	size_t len[5];
	int fd, i;

	/* A port that was just free: nothing listens, connect is refused. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(fd >= 0 && !bind(fd, (struct sockaddr *)&sa,
					  sizeof(sa)) &&
				 !getsockname(fd, (struct sockaddr *)&sa,
					      &slen),
			 "free port"))
		return;
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(sa.sin_port));
	p = lw_pyroscope__new(url, "app");
	if (!ASSERT_NOT_NULL(p, "new"))
		return;
	for (i = 0; i < 5; i++)
		gz[i] = blob(&len[i]);
	t0 = now_s();
	for (i = 0; i < 5; i++)
		lw_pyroscope__push(p, "inuse", NULL, 1, 2, gz[i], len[i]);
	push_s = now_s() - t0;
	ASSERT_TRUE(push_s < 0.05, "push never waits on the network");
	wait_done(p, 5, &ok, &errors, &dropped);
	ASSERT_U64_EQ(errors, 5, "refused connections are errors");
	ASSERT_U64_EQ(ok, 0, "none delivered");
	ASSERT_U64_EQ(dropped, 0, "none dropped");
	t0 = now_s();
	lw_pyroscope__free(p);
	ASSERT_TRUE(now_s() - t0 < 0.5, "free is quick when idle");
}

static void test_slow_server(void)
{
	struct lw_pyroscope *p;
	uint64_t ok = 0, errors = 0, dropped = 0;
	double t0, until, push_s, free_s;
	char url[64];
	struct rx rx;
	size_t len = 0, many_len[300];
	void *gz, *many[300];
	int i;

	if (!ASSERT_TRUE(rx_start(&rx, 200, true), "receiver"))
		return;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", rx.port);
	p = lw_pyroscope__new(url, "app");
	if (!ASSERT_NOT_NULL(p, "new")) {
		rx_stop(&rx);
		return;
	}
	gz = blob(&len);
	lw_pyroscope__push(p, "inuse", NULL, 1, 2, gz, len);
	/* Wait until that one is in flight and hanging. */
	until = now_s() + 5;
	while (!__atomic_load_n(&rx.accepted, __ATOMIC_RELAXED) &&
	       now_s() < until)
		usleep(5000);
	ASSERT_EQ(__atomic_load_n(&rx.accepted, __ATOMIC_RELAXED), 1,
		  "in flight");
	/* 256 fit in the queue; the rest are dropped at once. */
	for (i = 0; i < 300; i++)
		many[i] = blob(&many_len[i]);
	t0 = now_s();
	for (i = 0; i < 300; i++)
		lw_pyroscope__push(p, "inuse", NULL, 1, 2, many[i],
				   many_len[i]);
	push_s = now_s() - t0;
	lw_pyroscope__stats(p, &ok, &errors, &dropped);
	ASSERT_U64_EQ(dropped, 300 - 256, "dropped when full");
	ASSERT_U64_EQ(ok + errors, 0, "nothing finished");
	ASSERT_TRUE(push_s < 0.1, "a full queue does not block");
	/* free() gives the queue 2 s, then aborts the hanging transfer. */
	t0 = now_s();
	lw_pyroscope__free(p);
	free_s = now_s() - t0;
	ASSERT_TRUE(free_s >= 1.9 && free_s < 4.5, "free within its deadline");
	fprintf(stderr, "push of 300: %.3f ms, free: %.2f s\n", push_s * 1e3,
		free_s);
	rx_stop(&rx);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_name),
		LWT_CASE(test_push),
		LWT_CASE(test_error_status),
		LWT_CASE(test_dead_server),
		LWT_CASE(test_slow_server),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
