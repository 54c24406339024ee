/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A writer for pprof profiles: the protocol-buffer message that
 * `go tool pprof`, Parca, Pyroscope and speedscope read (profile.proto in
 * github.com/google/pprof), gzip-compressed.  Hand-encoded: the message is
 * small and flat, and a protobuf runtime would be the larger dependency.
 *
 * A profile has fixed sample types (e.g. inuse_objects/count and
 * inuse_space/bytes) and samples, each a stack (innermost frame first)
 * with one value per type and optional labels.  Frames are symbolized
 * struct lw_frame; the writer interns strings, functions and locations.
 * Pure: no I/O besides the final write.
 */
#ifndef LW_PPROF_H
#define LW_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct lw_pprof;

struct lw_pprof_type {
	const char *type; /* "inuse_space" */
	const char *unit; /* "bytes" */
};

/*
 * A profile with nr_types values per sample.  types are copied.  NULL with
 * errno set on failure.
 */
struct lw_pprof *lw_pprof__new(const struct lw_pprof_type *types,
			       unsigned nr_types);
void lw_pprof__free(struct lw_pprof *p); /* NULL-safe */

/* Optional profile-wide facts: the period (what one sample stands for),
 * start time (CLOCK_REALTIME ns), duration, and the default type's index. */
int lw_pprof__set_period(struct lw_pprof *p, const struct lw_pprof_type *t,
			 int64_t period);
void lw_pprof__set_time(struct lw_pprof *p, int64_t time_ns,
			int64_t duration_ns);
int lw_pprof__set_default_type(struct lw_pprof *p, const char *type);
/* A free-text comment shown by `pprof -comments`. */
int lw_pprof__add_comment(struct lw_pprof *p, const char *text);

struct lw_pprof_label {
	const char *key;
	const char *str; /* NULL: numeric label */
	int64_t num;
	const char *num_unit; /* NULL or "bytes", ... */
};

/*
 * One sample.  frames[0] is the innermost frame; a frame whose function is
 * NULL becomes an address-only location (pprof shows it as hex).  frames
 * may be NULL with ips given instead (unsymbolized).  values has the
 * nr_types of lw_pprof__new().  0 or -ENOMEM.
 */
int lw_pprof__add_sample(struct lw_pprof *p, const struct lw_frame *frames,
			 const uint64_t *ips, unsigned nr_frames,
			 const int64_t *values,
			 const struct lw_pprof_label *labels,
			 unsigned nr_labels);

/* The encoded, uncompressed message (for tests).  Caller frees *ret. */
int lw_pprof__encode(const struct lw_pprof *p, uint8_t **ret, size_t *len);

/* Encoded and gzip-compressed, as served over HTTP.  Caller frees *ret.
 * 0 or -ENOMEM. */
int lw_pprof__gzip(const struct lw_pprof *p, uint8_t **ret, size_t *len);

/* Encode, gzip and write to path (atomically: path.tmp then rename).
 * 0 or -errno. */
int lw_pprof__write_file(const struct lw_pprof *p, const char *path);

#endif /* LW_PPROF_H */
