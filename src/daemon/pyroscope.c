/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Pyroscope push over libcurl: a FIFO of jobs guarded by one mutex, one
 * worker thread that owns the curl handle, and a stop sequence that gives
 * the queue a short deadline before aborting the transfer in flight.
 * Pairs with pyroscope.h.
 *
 * The request is what Pyroscope's own Go client sends (grafana/pyroscope
 * pkg/ingester/pyroscope/ingest_handler.go reads it):
 *   POST {url}/ingest?name=APP.KIND{labels}&from=S&until=S&spyName=leakwatch
 *   Content-Type: multipart/form-data, one file part "profile"
 * with no "format" argument: the server reads the body as a multipart
 * form only when format is absent (format=pprof makes it take the whole
 * body as raw profile.proto).  The profile may be gzip'ed; the sample
 * types (inuse_objects/inuse_space, goroutine) are in the server's default
 * mapping, so no sample_type_config part is needed.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np() */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "pyroscope.h"

/* Two kinds per process and 100 processes per interval fit. */
#define PYRO_QUEUE_MAX 256
#define PYRO_QUEUE_BYTES (32u << 20)
#define PYRO_CONNECT_TIMEOUT_MS 3000L
#define PYRO_TIMEOUT_MS 15000L
/* How long lw_pyroscope__free() lets the queue drain. */
#define PYRO_FLUSH_DEADLINE_S 2

struct job {
	struct job *next;
	char *query; /* "name=...&from=...&until=...&spyName=leakwatch" */
	void *gz;
	size_t len;
};

struct lw_pyroscope {
	char *url; /* base, no trailing '/' */
	char *app;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail; /* under lock */
	unsigned queued; /* under lock */
	size_t queued_bytes; /* under lock */
	bool stopping; /* under lock: drain, then exit */
	int abort; /* atomic: the flush deadline passed */
	uint64_t ok, errors, dropped; /* atomic */
	bool curl_inited, thread_started, sync_inited;
};

static void count(uint64_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static bool is_name_char(char c, bool label_name)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.')
		return true;
	return !label_name && (c == '-' || c == '/');
}

/* RFC 3986 percent-encoding of everything but the unreserved set. */
static void put_encoded(struct lw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			lw_buf__putc(b, (char)c);
		else
			lw_buf__append(b, esc, 3);
	}
}

/* s with characters the label-set parser would misread replaced. */
static void put_clean(struct lw_buf *b, const char *s, int what)
{
	for (; *s; s++) {
		char c = *s;
		bool bad;

		if (what == 2) /* a label value */
			bad = c == ',' || c == '{' || c == '}' ||
			      (unsigned char)c < 0x20 || c == 0x7f;
		else
			bad = !is_name_char(c, what == 1);
		lw_buf__putc(b, bad ? '_' : c);
	}
}

int lw_pyroscope_name(struct lw_buf *b, const char *app, const char *kind,
		      const char *const *labels)
{
	struct lw_buf raw = { 0 };
	bool first = true;
	size_t i;
	int err = 0;

	put_clean(&raw, app && *app ? app : "leakwatch", 0);
	lw_buf__putc(&raw, '.');
	put_clean(&raw, kind && *kind ? kind : "unknown", 0);
	lw_buf__putc(&raw, '{');
	for (i = 0; labels && labels[i]; i += 2) {
		const char *v = labels[i + 1];

		/* Pyroscope drops empty values; __name__ is the app. */
		if (!*labels[i] || !v || !*v || !strcmp(labels[i], "__name__"))
			continue;
		if (!first)
			lw_buf__putc(&raw, ',');
		first = false;
		put_clean(&raw, labels[i], 1);
		lw_buf__putc(&raw, '=');
		put_clean(&raw, v, 2);
	}
	lw_buf__putc(&raw, '}');
	if (raw.oom)
		err = -ENOMEM;
	else
		put_encoded(b, raw.data, raw.len);
	lw_buf__free(&raw);
	if (!err && b->oom)
		err = -ENOMEM;
	return err;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->query);
	free(j->gz);
	free(j);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *cls)
{
	return size * nmemb;
}

/* Aborts the transfer in flight once the flush deadline has passed. */
static int progress(void *cls, curl_off_t dltotal, curl_off_t dlnow,
		    curl_off_t ultotal, curl_off_t ulnow)
{
	struct lw_pyroscope *p = cls;

	return __atomic_load_n(&p->abort, __ATOMIC_RELAXED) ? 1 : 0;
}

/* One POST.  true when the server answered 2xx. */
static bool send_job(struct lw_pyroscope *p, CURL *curl,
		     struct curl_slist *headers, const struct job *j)
{
	struct lw_buf url = { 0 };
	curl_mime *mime = NULL;
	curl_mimepart *part;
	long status = 0;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	lw_buf__printf(&url, "%s/ingest?%s", p->url, j->query);
	mime = curl_mime_init(curl);
	part = mime ? curl_mime_addpart(mime) : NULL;
	if (url.oom || !part)
		goto out;
	/* The form the Go client writes: a file part "profile". */
	if (curl_mime_name(part, "profile") ||
	    curl_mime_filename(part, "profile.pprof") ||
	    curl_mime_type(part, "application/octet-stream") ||
	    curl_mime_data(part, j->gz, j->len))
		goto out;
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
out:
	if (rc != CURLE_OK)
		pr_debug("pyroscope: push to \"%s\" failed: %s\n", p->url,
			 curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		pr_debug("pyroscope: \"%s\" answered %ld\n", p->url, status);
	curl_easy_setopt(curl, CURLOPT_MIMEPOST, NULL);
	curl_mime_free(mime);
	lw_buf__free(&url);
	return rc == CURLE_OK && status >= 200 && status <= 299;
}

static void *worker(void *arg)
{
	struct lw_pyroscope *p = arg;
	struct curl_slist *headers = NULL;
	CURL *curl;

	curl = curl_easy_init();
	/* No "Expect: 100-continue" round trip before each body. */
	headers = curl_slist_append(NULL, "Expect:");
	if (curl) {
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
				 PYRO_CONNECT_TIMEOUT_MS);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, PYRO_TIMEOUT_MS);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, p);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "leakwatch");
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job *j;
		bool sent;

		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		j = p->head;
		if (!j)
			break; /* stopping and drained */
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		p->queued_bytes -= j->len;
		pthread_mutex_unlock(&p->lock);

		if (__atomic_load_n(&p->abort, __ATOMIC_RELAXED)) {
			count(&p->dropped);
		} else {
			sent = curl && headers && send_job(p, curl, headers, j);
			count(sent ? &p->ok : &p->errors);
		}
		job_free(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	curl_slist_free_all(headers);
	if (curl)
		curl_easy_cleanup(curl);
	return NULL;
}

struct lw_pyroscope *lw_pyroscope__new(const char *url, const char *app)
{
	struct lw_pyroscope *p;
	size_t n;
	int err;

	if (!url ||
	    (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->url = strdup(url);
	p->app = strdup(app ? app : "leakwatch");
	if (!p->url || !p->app) {
		err = -ENOMEM;
		goto err_out;
	}
	n = strlen(p->url);
	while (n > 0 && p->url[n - 1] == '/')
		p->url[--n] = '\0';
	/* Counted: each call pairs with the curl_global_cleanup() in free. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		err = -ENOMEM;
		goto err_out;
	}
	p->curl_inited = true;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->sync_inited = true;
	err = -pthread_create(&p->thread, NULL, worker, p);
	if (err)
		goto err_out;
	p->thread_started = true;
	return p;
err_out:
	lw_pyroscope__free(p);
	errno = -err;
	return NULL;
}

void lw_pyroscope__push(struct lw_pyroscope *p, const char *kind,
			const char *const *labels, uint64_t from_s,
			uint64_t until_s, void *gz, size_t len)
{
	struct lw_buf q = { 0 };
	struct job *j = NULL;

	if (!gz || !len)
		goto drop;
	/* The labels are the caller's: the query is built now. */
	lw_buf__puts(&q, "name=");
	if (lw_pyroscope_name(&q, p->app, kind, labels))
		goto drop;
	lw_buf__printf(&q, "&from=%llu&until=%llu&spyName=leakwatch",
		       (unsigned long long)from_s,
		       (unsigned long long)until_s);
	j = calloc(1, sizeof(*j));
	if (!j || q.oom)
		goto drop;
	j->gz = gz;
	j->len = len;
	j->query = lw_buf__steal(&q, &(size_t){ 0 });
	pthread_mutex_lock(&p->lock);
	if (p->stopping || p->queued >= PYRO_QUEUE_MAX ||
	    p->queued_bytes + len > PYRO_QUEUE_BYTES) {
		pthread_mutex_unlock(&p->lock);
		job_free(j);
		count(&p->dropped);
		return;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	p->queued_bytes += len;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return;
drop:
	free(j);
	free(gz);
	lw_buf__free(&q);
	count(&p->dropped);
}

void lw_pyroscope__stats(const struct lw_pyroscope *p, uint64_t *ok,
			 uint64_t *errors, uint64_t *dropped)
{
	*ok = __atomic_load_n(&p->ok, __ATOMIC_RELAXED);
	*errors = __atomic_load_n(&p->errors, __ATOMIC_RELAXED);
	*dropped = __atomic_load_n(&p->dropped, __ATOMIC_RELAXED);
}

void lw_pyroscope__free(struct lw_pyroscope *p)
{
	struct timespec deadline;

	if (!p)
		return;
	if (p->thread_started) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		/* pthread_timedjoin_np() measures against CLOCK_REALTIME. */
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += PYRO_FLUSH_DEADLINE_S;
		if (pthread_timedjoin_np(p->thread, NULL, &deadline)) {
			/* The worker drops what is left and the progress
			 * callback ends the transfer in flight. */
			__atomic_store_n(&p->abort, 1, __ATOMIC_RELAXED);
			pthread_join(p->thread, NULL);
		}
	}
	if (p->sync_inited) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
	}
	if (p->curl_inited)
		curl_global_cleanup();
	free(p->url);
	free(p->app);
	free(p);
}
