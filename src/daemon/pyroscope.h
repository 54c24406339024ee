/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Pushes gzip'ed pprof profiles to a Pyroscope server (`--pyroscope URL`)
 * through its /ingest endpoint, from a worker thread with a bounded queue:
 * a slow or dead server costs the daemon loop nothing but dropped
 * profiles, which are counted.  Pairs with pyroscope.c; docs/daemon.md
 * "Pushing to Pyroscope" describes the request.
 */
#ifndef LW_DAEMON_PYROSCOPE_H
#define LW_DAEMON_PYROSCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct lw_pyroscope;

/*
 * A pusher to url (the server's base URL, "http://host:4040", with or
 * without a path prefix) under application name app ("leakwatch"; NULL
 * means that).  Starts the worker thread.  NULL with errno set (EINVAL for
 * a URL that is not http:// or https://, ENOMEM, or pthread's error).
 */
struct lw_pyroscope *lw_pyroscope__new(const char *url, const char *app);

/*
 * Queues one profile.  Takes ownership of gz (malloc'ed, gzip'ed
 * profile.proto) whatever happens.  kind names the profile: "inuse" (heap
 * profile with inuse_objects/inuse_space) or "goroutines".  labels: NULL
 * or a NULL-terminated array of name, value pairs (pid, comm, container);
 * labels with an empty or NULL value are left out.  from_s and until_s:
 * the Unix seconds the profile covers.  Never blocks on the network; when
 * the queue is full the profile is dropped and counted.
 */
void lw_pyroscope__push(struct lw_pyroscope *p, const char *kind,
			const char *const *labels, uint64_t from_s,
			uint64_t until_s, void *gz, size_t len);

/* Profiles delivered (2xx), failed (network error or other status), and
 * dropped (queue full, or still queued at lw_pyroscope__free()). */
void lw_pyroscope__stats(const struct lw_pyroscope *p, uint64_t *ok,
			 uint64_t *errors, uint64_t *dropped);

/* Sends what is queued for at most 2 seconds, abandons the rest, joins
 * the thread.  NULL-safe. */
void lw_pyroscope__free(struct lw_pyroscope *p);

/*
 * The value of the "name" query argument into b: "APP.KIND{k=v,...}" as
 * Pyroscope's label-set parser reads it, URL-encoded.  That parser has no
 * escapes, so characters it would misread are replaced by '_': outside
 * [A-Za-z0-9_.-/] in app and kind, outside [A-Za-z0-9_.] in label names,
 * and ',', '{', '}' and control characters in values.  0 or -ENOMEM.
 */
int lw_pyroscope_name(struct lw_buf *b, const char *app, const char *kind,
		      const char *const *labels);

#endif /* LW_DAEMON_PYROSCOPE_H */
