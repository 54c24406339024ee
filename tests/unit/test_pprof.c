/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for pprof.c: the encoded message is decoded again with a
 * minimal protobuf reader and checked field by field (`go tool pprof`
 * reading real files is covered by the integration tests).
 */
#include <stdlib.h>

#include "lwtest.h"
#include "pprof.h"

struct pb {
	const uint8_t *p, *end;
};

static bool pb_varint(struct pb *b, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (b->p < b->end && shift < 64) {
		uint8_t c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
		shift += 7;
	}
	return false;
}

/* Next field: number, wire type, varint value or sub-buffer. */
static bool pb_next(struct pb *b, unsigned *field, uint64_t *v, struct pb *sub)
{
	uint64_t key, len;

	if (b->p >= b->end || !pb_varint(b, &key))
		return false;
	*field = (unsigned)(key >> 3);
	switch (key & 7) {
	case 0:
		return pb_varint(b, v);
	case 2:
		if (!pb_varint(b, &len) || len > (uint64_t)(b->end - b->p))
			return false;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		*v = len;
		return true;
	}
	return false;
}

static void test_roundtrip(void)
{
	static const struct lw_pprof_type types[] = {
		{ "inuse_objects", "count" },
		{ "inuse_space", "bytes" },
	};
	const struct lw_frame frames[] = {
		{ .addr = 0x1000, .function = "leaker", .module = "/bin/x",
		  .file = "x.c", .line = 10 },
		{ .addr = 0x2000, .function = "main", .module = "/bin/x",
		  .file = "x.c", .line = 20 },
	};
	const uint64_t raw[] = { 0x3000 };
	const struct lw_pprof_label label = { .key = "verdict", .str = "leak" };
	const int64_t v1[] = { 3, 300 }, v2[] = { 1, 4096 };
	struct lw_pprof *p = lw_pprof__new(types, 2);
	unsigned field, nr_samples = 0, nr_locs = 0, nr_funcs = 0, nr_str = 0;
	uint8_t *data = NULL;
	char strings[8][16];
	struct pb b, sub;
	size_t len = 0;
	uint64_t v;

	if (!ASSERT_NOT_NULL(p, "new"))
		return;
	ASSERT_OK(lw_pprof__add_sample(p, frames, NULL, 2, v1, &label, 1),
		  "sample 1");
	/* The same stack again must reuse its locations and functions. */
	ASSERT_OK(lw_pprof__add_sample(p, frames, NULL, 2, v1, NULL, 0),
		  "sample 2");
	ASSERT_OK(lw_pprof__add_sample(p, NULL, raw, 1, v2, NULL, 0),
		  "sample 3");
	ASSERT_OK(lw_pprof__set_default_type(p, "inuse_space"), "default");
	ASSERT_OK(lw_pprof__encode(p, &data, &len), "encode");

	b.p = data;
	b.end = data + len;
	while (pb_next(&b, &field, &v, &sub)) {
		switch (field) {
		case 2:
			nr_samples++;
			break;
		case 4:
			nr_locs++;
			break;
		case 5:
			nr_funcs++;
			break;
		case 6:
			if (nr_str < 8)
				snprintf(strings[nr_str], sizeof(strings[0]),
					 "%.*s", (int)v, (const char *)sub.p);
			nr_str++;
			break;
		}
	}
	ASSERT_TRUE(b.p == b.end, "decoded to the end");
	ASSERT_EQ(nr_samples, 3, "samples");
	ASSERT_EQ(nr_locs, 3, "locations deduplicated");
	ASSERT_EQ(nr_funcs, 2, "functions deduplicated");
	ASSERT_TRUE(nr_str >= 1 && !strings[0][0], "string 0 is empty");
	ASSERT_STREQ(strings[1], "inuse_objects", "first type");

	/* The first sample: packed location ids 1,2 and values 3,300. */
	b.p = data;
	while (pb_next(&b, &field, &v, &sub) && field != 2)
		;
	{
		struct pb s = sub, pk;
		uint64_t ids[4] = { 0 }, vals[4] = { 0 }, x;
		unsigned n;

		while (pb_next(&s, &field, &v, &pk)) {
			n = 0;
			if (field == 1)
				while (n < 4 && pb_varint(&pk, &x))
					ids[n++] = x;
			if (field == 2)
				while (n < 4 && pb_varint(&pk, &x))
					vals[n++] = x;
		}
		ASSERT_U64_EQ(ids[0], 1, "location 1");
		ASSERT_U64_EQ(ids[1], 2, "location 2");
		ASSERT_U64_EQ(vals[0], 3, "objects");
		ASSERT_U64_EQ(vals[1], 300, "bytes");
	}
	free(data);
	lw_pprof__free(p);
}

/*
 * Go frames inlined into one pc are one Location with a Line each,
 * innermost first and the physical function last (profile.proto).
 */
static void test_inlined(void)
{
	static const struct lw_pprof_type types[] = {
		{"goroutine", "count"},
	};
	const struct lw_frame frames[] = {
		{.addr = 0x1000,
		 .function = "main.inner",
		 .module = "/bin/g",
		 .file = "g.go",
		 .line = 30,
		 .inlined = true},
		{.addr = 0x1000,
		 .function = "main.middle",
		 .module = "/bin/g",
		 .file = "g.go",
		 .line = 20,
		 .inlined = true},
		{.addr = 0x1000,
		 .function = "main.outer",
		 .module = "/bin/g",
		 .file = "g.go",
		 .line = 10},
		{.addr = 0x2000,
		 .function = "main.main",
		 .module = "/bin/g",
		 .file = "g.go",
		 .line = 5},
	};
	const int64_t v = 1;
	struct lw_pprof *p = lw_pprof__new(types, 1);
	unsigned field, nr_locs = 0, nr_funcs = 0, lines[4] = {0};
	uint64_t line_fn[4][4] = {{0}}, line_no[4][4] = {{0}};
	uint8_t *data = NULL;
	struct pb b, sub;
	size_t len = 0;
	uint64_t val;

	if (!ASSERT_NOT_NULL(p, "new"))
		return;
	ASSERT_OK(lw_pprof__add_sample(p, frames, NULL, 4, &v, NULL, 0), "sampl"
									 "e");
	ASSERT_OK(lw_pprof__encode(p, &data, &len), "encode");
	b.p = data;
	b.end = data + len;
	while (pb_next(&b, &field, &val, &sub)) {
		struct pb l = sub, ln;

		if (field == 5)
			nr_funcs++;
		if (field != 4 || nr_locs >= 4)
			continue;
		while (pb_next(&l, &field, &val, &ln)) {
			struct pb x = ln;
			unsigned k = lines[nr_locs], f;
			uint64_t w;

			if (field != 4 || k >= 4)
				continue;
			while (pb_next(&x, &f, &w, &sub)) {
				if (f == 1)
					line_fn[nr_locs][k] = w;
				if (f == 2)
					line_no[nr_locs][k] = w;
			}
			lines[nr_locs]++;
		}
		nr_locs++;
	}
	ASSERT_EQ(nr_locs, 2, "one location per pc");
	ASSERT_EQ(nr_funcs, 4, "a function per frame");
	ASSERT_EQ(lines[0], 3, "three lines at the inlined pc");
	ASSERT_EQ(lines[1], 1, "one line at the caller");
	ASSERT_U64_EQ(line_no[0][0], 30, "innermost first");
	ASSERT_U64_EQ(line_no[0][1], 20, "then its caller");
	ASSERT_U64_EQ(line_no[0][2], 10, "the physical function last");
	ASSERT_TRUE(line_fn[0][0] != line_fn[0][2], "distinct functions");
	free(data);
	lw_pprof__free(p);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_roundtrip),
		LWT_CASE(test_inlined),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
