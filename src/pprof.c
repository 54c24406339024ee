/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * pprof writer: interning tables while samples are added, then one pass
 * that encodes the Profile message (field numbers from profile.proto) and
 * gzips it.  Pairs with pprof.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "hmap.h"
#include "daemon/buf.h"
#include "pprof.h"

/* Field numbers of profile.proto's messages. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1,
	VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	LABEL_NUM_UNIT = 4,
	MAPPING_ID = 1,
	MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

struct label {
	int64_t key, str, num, unit;
};

struct sample {
	uint64_t *locs;
	int64_t *values;
	struct label *labels;
	unsigned nr_locs, nr_labels;
};

struct function {
	int64_t name, file;
};

/* Lines of one Location: a call site and the calls inlined into it. */
#define MAX_LOC_LINES 8

struct location {
	uint64_t addr;
	uint64_t mapping; /* id, 0: none */
	/* Innermost first, the physical caller last, as pprof wants them.
	 * Unused entries are 0 (the struct is hashed and compared whole). */
	struct {
		uint64_t function; /* id, 0: none */
		int64_t line;
	} lines[MAX_LOC_LINES];
};

struct lw_pprof {
	unsigned nr_types;
	int64_t *types; /* string index pairs: type, unit */
	int64_t period_type, period_unit, period;
	int64_t time_ns, duration_ns, default_type;
	int64_t *comments;
	size_t nr_comments;

	char **strings;
	size_t nr_strings, strings_alloc;
	struct lw_hmap *string_of; /* hash -> index (chained by probing) */

	struct function *functions; /* id = index + 1 */
	size_t nr_functions, functions_alloc;
	struct lw_hmap *function_of;

	struct location *locations;
	size_t nr_locations, locations_alloc;
	struct lw_hmap *location_of;

	int64_t *mappings; /* filename string index; id = index + 1 */
	size_t nr_mappings, mappings_alloc;
	struct lw_hmap *mapping_of;

	struct sample *samples;
	size_t nr_samples, samples_alloc;
};

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

static int grow(void **arr, size_t *alloc, size_t nr, size_t size)
{
	size_t want;
	void *n;

	if (nr < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 16;
	n = realloc(*arr, want * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*alloc = want;
	return 0;
}

static uint64_t fnv(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_SEED 0xcbf29ce484222325ull

/*
 * Index of s in the string table, added if new.  Hash collisions are
 * resolved by probing the next key: the map's keys are hashes, not ids.
 */
static int64_t intern(struct lw_pprof *p, const char *s)
{
	uint64_t h;
	int64_t *slot;
	bool created;

	if (!s)
		s = "";
	h = fnv(s, strlen(s), FNV_SEED);
	for (;; h++) {
		slot = lw_hmap__put(p->string_of, h, &created);
		if (!slot)
			return -ENOMEM;
		if (!created) {
			if (!strcmp(p->strings[*slot], s))
				return *slot;
			continue;
		}
		if (grow((void **)&p->strings, &p->strings_alloc,
			 p->nr_strings, sizeof(*p->strings)))
			goto undo;
		p->strings[p->nr_strings] = strdup(s);
		if (!p->strings[p->nr_strings])
			goto undo;
		*slot = (int64_t)p->nr_strings;
		return (int64_t)p->nr_strings++;
	}
undo:
	lw_hmap__del(p->string_of, h, NULL);
	return -ENOMEM;
}

static int64_t function_id(struct lw_pprof *p, const char *name,
			   const char *file)
{
	int64_t n = intern(p, name), f = intern(p, file);
	uint64_t key, *slot;
	bool created;

	if (n < 0 || f < 0)
		return -ENOMEM;
	/* String indexes stay far below 2^32: the pair is its own key. */
	key = (uint64_t)n << 32 | (uint64_t)f;
	slot = lw_hmap__put(p->function_of, key, &created);
	if (!slot)
		return -ENOMEM;
	if (!created)
		return (int64_t)*slot;
	if (grow((void **)&p->functions, &p->functions_alloc, p->nr_functions,
		 sizeof(*p->functions))) {
		lw_hmap__del(p->function_of, key, NULL);
		return -ENOMEM;
	}
	p->functions[p->nr_functions] = (struct function){ n, f };
	*slot = ++p->nr_functions;
	return (int64_t)*slot;
}

static int64_t mapping_id(struct lw_pprof *p, const char *module)
{
	int64_t f = intern(p, module);
	uint64_t *slot;
	bool created;

	if (f < 0)
		return -ENOMEM;
	slot = lw_hmap__put(p->mapping_of, (uint64_t)f, &created);
	if (!slot)
		return -ENOMEM;
	if (!created)
		return (int64_t)*slot;
	if (grow((void **)&p->mappings, &p->mappings_alloc, p->nr_mappings,
		 sizeof(*p->mappings))) {
		lw_hmap__del(p->mapping_of, (uint64_t)f, NULL);
		return -ENOMEM;
	}
	p->mappings[p->nr_mappings] = f;
	*slot = ++p->nr_mappings;
	return (int64_t)*slot;
}

/* The Location of nr frames sharing addr (fr[0..nr-2] inlined into
 * fr[nr-1]), or of a bare address when fr is NULL. */
static int64_t location_id(struct lw_pprof *p, uint64_t addr,
			   const struct lw_frame *fr, unsigned nr)
{
	struct location loc = { .addr = addr };
	struct location *l;
	uint64_t h, *slot;
	bool created;
	unsigned i, k = 0;
	int64_t id;

	for (i = 0; fr && i < nr && i < MAX_LOC_LINES; i++) {
		if (!fr[i].function)
			continue;
		id = function_id(p, fr[i].function, fr[i].file);
		if (id < 0)
			return id;
		loc.lines[k].function = (uint64_t)id;
		loc.lines[k++].line = fr[i].line > 0 ? fr[i].line : 0;
	}
	if (fr && fr->module) {
		id = mapping_id(p, fr->module);
		if (id < 0)
			return id;
		loc.mapping = (uint64_t)id;
	}
	h = fnv(&loc, sizeof(loc), FNV_SEED);
	for (;; h++) {
		slot = lw_hmap__put(p->location_of, h, &created);
		if (!slot)
			return -ENOMEM;
		if (!created) {
			l = &p->locations[*slot - 1];
			if (!memcmp(l, &loc, sizeof(loc)))
				return (int64_t)*slot;
			continue;
		}
		if (grow((void **)&p->locations, &p->locations_alloc,
			 p->nr_locations, sizeof(*p->locations))) {
			lw_hmap__del(p->location_of, h, NULL);
			return -ENOMEM;
		}
		p->locations[p->nr_locations] = loc;
		*slot = ++p->nr_locations;
		return (int64_t)*slot;
	}
}

struct lw_pprof *lw_pprof__new(const struct lw_pprof_type *types,
			       unsigned nr_types)
{
	struct lw_pprof *p = calloc(1, sizeof(*p));
	unsigned i;

	if (!p)
		return NULL;
	p->nr_types = nr_types;
	p->types = calloc(nr_types ? 2 * nr_types : 1, sizeof(*p->types));
	p->string_of = lw_hmap__new(sizeof(int64_t), 256);
	p->function_of = lw_hmap__new(sizeof(uint64_t), 256);
	p->location_of = lw_hmap__new(sizeof(uint64_t), 256);
	p->mapping_of = lw_hmap__new(sizeof(uint64_t), 16);
	if (!p->types || !p->string_of || !p->function_of ||
	    !p->location_of || !p->mapping_of)
		goto err_out;
	/* string_table[0] must be "". */
	if (intern(p, "") != 0)
		goto err_out;
	for (i = 0; i < nr_types; i++) {
		p->types[2 * i] = intern(p, types[i].type);
		p->types[2 * i + 1] = intern(p, types[i].unit);
		if (p->types[2 * i] < 0 || p->types[2 * i + 1] < 0)
			goto err_out;
	}
	return p;

err_out:
	lw_pprof__free(p);
	errno = ENOMEM;
	return NULL;
}

void lw_pprof__free(struct lw_pprof *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr_strings; i++)
		free(p->strings[i]);
	for (i = 0; i < p->nr_samples; i++) {
		free(p->samples[i].locs);
		free(p->samples[i].values);
		free(p->samples[i].labels);
	}
	free(p->strings);
	free(p->functions);
	free(p->locations);
	free(p->mappings);
	free(p->samples);
	free(p->comments);
	free(p->types);
	lw_hmap__free(p->string_of);
	lw_hmap__free(p->function_of);
	lw_hmap__free(p->location_of);
	lw_hmap__free(p->mapping_of);
	free(p);
}

int lw_pprof__set_period(struct lw_pprof *p, const struct lw_pprof_type *t,
			 int64_t period)
{
	int64_t type = intern(p, t->type), unit = intern(p, t->unit);

	if (type < 0 || unit < 0)
		return -ENOMEM;
	p->period_type = type;
	p->period_unit = unit;
	p->period = period;
	return 0;
}

void lw_pprof__set_time(struct lw_pprof *p, int64_t time_ns,
			int64_t duration_ns)
{
	p->time_ns = time_ns;
	p->duration_ns = duration_ns;
}

int lw_pprof__set_default_type(struct lw_pprof *p, const char *type)
{
	int64_t s = intern(p, type);

	if (s < 0)
		return -ENOMEM;
	p->default_type = s;
	return 0;
}

int lw_pprof__add_comment(struct lw_pprof *p, const char *text)
{
	int64_t s = intern(p, text);
	int64_t *n;

	if (s < 0)
		return -ENOMEM;
	n = realloc(p->comments, (p->nr_comments + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->comments = n;
	p->comments[p->nr_comments++] = s;
	return 0;
}

int lw_pprof__add_sample(struct lw_pprof *p, const struct lw_frame *frames,
			 const uint64_t *ips, unsigned nr_frames,
			 const int64_t *values,
			 const struct lw_pprof_label *labels,
			 unsigned nr_labels)
{
	struct sample s = { 0 };
	unsigned i, n;
	int64_t id;

	if (!frames && !ips)
		nr_frames = 0;
	if (grow((void **)&p->samples, &p->samples_alloc, p->nr_samples,
		 sizeof(*p->samples)))
		return -ENOMEM;
	s.locs = calloc(nr_frames ? nr_frames : 1, sizeof(*s.locs));
	s.values = calloc(p->nr_types ? p->nr_types : 1, sizeof(*s.values));
	s.labels = calloc(nr_labels ? nr_labels : 1, sizeof(*s.labels));
	if (!s.locs || !s.values || !s.labels)
		goto err_out;
	for (i = 0; i < nr_frames; i += n) {
		const struct lw_frame *fr = frames ? &frames[i] : NULL;

		/* Go: calls inlined into one pc are one Location. */
		for (n = 1; fr && i + n < nr_frames && n < MAX_LOC_LINES &&
			    fr[n - 1].inlined && fr[n].addr == fr[0].addr;
		     n++)
			;
		id = location_id(p, fr ? fr->addr : ips[i], fr, n);
		if (id < 0)
			goto err_out;
		s.locs[s.nr_locs++] = (uint64_t)id;
	}
	memcpy(s.values, values, p->nr_types * sizeof(*values));
	for (i = 0; i < nr_labels; i++) {
		struct label *l = &s.labels[s.nr_labels];

		l->key = intern(p, labels[i].key);
		if (labels[i].str) {
			l->str = intern(p, labels[i].str);
		} else {
			l->num = labels[i].num;
			l->unit = labels[i].num_unit ?
					  intern(p, labels[i].num_unit) :
					  0;
		}
		if (l->key < 0 || l->str < 0 || l->unit < 0)
			goto err_out;
		s.nr_labels++;
	}
	p->samples[p->nr_samples++] = s;
	return 0;

err_out:
	free(s.locs);
	free(s.values);
	free(s.labels);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

struct buf {
	uint8_t *data;
	size_t len, alloc;
	bool oom;
};

static void put_bytes(struct buf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;
		uint8_t *n;

		while (want < b->len + len)
			want *= 2;
		n = realloc(b->data, want);
		if (!n) {
			b->oom = true;
			return;
		}
		b->data = n;
		b->alloc = want;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	put_bytes(b, tmp, n);
}

static void put_key(struct buf *b, unsigned field, unsigned wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

/* int64 fields are plain varints of the two's complement value; proto3
 * leaves zero values out. */
static void put_int(struct buf *b, unsigned field, int64_t v)
{
	if (!v)
		return;
	put_key(b, field, WIRE_VARINT);
	put_varint(b, (uint64_t)v);
}

static void put_len(struct buf *b, unsigned field, const void *data,
		    size_t len)
{
	put_key(b, field, WIRE_LEN);
	put_varint(b, len);
	put_bytes(b, data, len);
}

/* An embedded message: encoded into sub, then copied with its length. */
static void put_msg(struct buf *b, unsigned field, struct buf *sub)
{
	if (sub->oom)
		b->oom = true;
	put_len(b, field, sub->data, sub->len);
	sub->len = 0;
}

static void put_packed(struct buf *b, unsigned field, const uint64_t *v,
		       size_t n, struct buf *tmp)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		put_varint(tmp, v[i]);
	put_msg(b, field, tmp);
}

static void put_value_type(struct buf *b, unsigned field, int64_t type,
			   int64_t unit, struct buf *tmp)
{
	put_int(tmp, VALUETYPE_TYPE, type);
	put_int(tmp, VALUETYPE_UNIT, unit);
	put_msg(b, field, tmp);
}

static void put_sample(struct buf *b, const struct lw_pprof *p,
		       const struct sample *s, struct buf *tmp,
		       struct buf *tmp2)
{
	unsigned i;

	put_packed(tmp, SAMPLE_LOCATION_ID, s->locs, s->nr_locs, tmp2);
	put_packed(tmp, SAMPLE_VALUE, (const uint64_t *)s->values,
		   p->nr_types, tmp2);
	for (i = 0; i < s->nr_labels; i++) {
		const struct label *l = &s->labels[i];

		put_int(tmp2, LABEL_KEY, l->key);
		put_int(tmp2, LABEL_STR, l->str);
		put_int(tmp2, LABEL_NUM, l->num);
		put_int(tmp2, LABEL_NUM_UNIT, l->unit);
		put_msg(tmp, SAMPLE_LABEL, tmp2);
	}
	put_msg(b, PROFILE_SAMPLE, tmp);
}

static void put_location(struct buf *b, uint64_t id,
			 const struct location *l, struct buf *tmp,
			 struct buf *tmp2)
{
	unsigned i;

	put_int(tmp, LOCATION_ID, (int64_t)id);
	put_int(tmp, LOCATION_MAPPING_ID, (int64_t)l->mapping);
	put_int(tmp, LOCATION_ADDRESS, (int64_t)l->addr);
	for (i = 0; i < MAX_LOC_LINES && l->lines[i].function; i++) {
		put_int(tmp2, LINE_FUNCTION_ID, (int64_t)l->lines[i].function);
		put_int(tmp2, LINE_LINE, l->lines[i].line);
		put_msg(tmp, LOCATION_LINE, tmp2);
	}
	put_msg(b, PROFILE_LOCATION, tmp);
}

int lw_pprof__encode(const struct lw_pprof *p, uint8_t **ret, size_t *len)
{
	struct buf b = { 0 }, tmp = { 0 }, tmp2 = { 0 };
	size_t i;

	for (i = 0; i < p->nr_types; i++)
		put_value_type(&b, PROFILE_SAMPLE_TYPE, p->types[2 * i],
			       p->types[2 * i + 1], &tmp);
	for (i = 0; i < p->nr_samples; i++)
		put_sample(&b, p, &p->samples[i], &tmp, &tmp2);
	for (i = 0; i < p->nr_mappings; i++) {
		put_int(&tmp, MAPPING_ID, (int64_t)i + 1);
		put_int(&tmp, MAPPING_FILENAME, p->mappings[i]);
		/* Symbolized already: pprof must not try again. */
		put_int(&tmp, MAPPING_HAS_FUNCTIONS, 1);
		put_int(&tmp, MAPPING_HAS_FILENAMES, 1);
		put_int(&tmp, MAPPING_HAS_LINE_NUMBERS, 1);
		put_msg(&b, PROFILE_MAPPING, &tmp);
	}
	for (i = 0; i < p->nr_locations; i++)
		put_location(&b, i + 1, &p->locations[i], &tmp, &tmp2);
	for (i = 0; i < p->nr_functions; i++) {
		put_int(&tmp, FUNCTION_ID, (int64_t)i + 1);
		put_int(&tmp, FUNCTION_NAME, p->functions[i].name);
		put_int(&tmp, FUNCTION_SYSTEM_NAME, p->functions[i].name);
		put_int(&tmp, FUNCTION_FILENAME, p->functions[i].file);
		put_msg(&b, PROFILE_FUNCTION, &tmp);
	}
	/* Every string, the empty string at index 0 included. */
	for (i = 0; i < p->nr_strings; i++)
		put_len(&b, PROFILE_STRING_TABLE, p->strings[i],
			strlen(p->strings[i]));
	put_int(&b, PROFILE_TIME_NANOS, p->time_ns);
	put_int(&b, PROFILE_DURATION_NANOS, p->duration_ns);
	if (p->period_type || p->period_unit)
		put_value_type(&b, PROFILE_PERIOD_TYPE, p->period_type,
			       p->period_unit, &tmp);
	put_int(&b, PROFILE_PERIOD, p->period);
	for (i = 0; i < p->nr_comments; i++)
		put_int(&b, PROFILE_COMMENT, p->comments[i]);
	put_int(&b, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);

	free(tmp.data);
	free(tmp2.data);
	if (b.oom || tmp.oom || tmp2.oom) {
		free(b.data);
		return -ENOMEM;
	}
	*ret = b.data;
	*len = b.len;
	return 0;
}

/* gzip (RFC 1952) of data, as pprof files are. */
int lw_pprof__gzip(const struct lw_pprof *p, uint8_t **ret, size_t *len)
{
	uint8_t *data = NULL;
	size_t n = 0;
	int err;

	*ret = NULL;
	*len = 0;
	err = lw_pprof__encode(p, &data, &n);
	if (!err)
		err = lw_gzip(data, n, (void **)ret, len);
	free(data);
	return err;
}

int lw_pprof__write_file(const struct lw_pprof *p, const char *path)
{
	char tmp[PATH_MAX];
	uint8_t *gz = NULL;
	size_t len = 0, off = 0;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = lw_pprof__gzip(p, &gz, &len);
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, gz + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		(void)unlink(tmp);
out:
	free(gz);
	return err;
}
