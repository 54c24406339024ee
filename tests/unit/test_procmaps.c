/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/procmaps.c: parsing maps text, binary search, open
 * paths through map_files on the test's own /proc/self/maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lwtest.h"
#include "procmaps.h"

static const char fixture_maps[] =
	"00400000-00452000 r-xp 00000000 08:02 173521     /usr/bin/dbus-daemon\n"
	"00651000-00652000 r--p 00051000 08:02 173521     /usr/bin/dbus-daemon\n"
	"00652000-00655000 rw-p 00052000 08:02 173521     /usr/bin/dbus-daemon\n"
	"00e03000-00e24000 rw-p 00000000 00:00 0          [heap]\n"
	"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	"7f0000001000-7f0000021000 r-xp 00002000 fd:01 42 /opt/my app/lib x.so\n"
	"7f0000021000-7f0000022000 rw-s 00000000 00:05 7  /dev/shm/w s (deleted)\n"
	"7ffd1234f000-7ffd12351000 r-xp 00000000 00:00 0  [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]";

static void test_parse_fixture(void)
{
	struct lw_maps m = { 0 };
	const struct lw_vma *v;

	if (!ASSERT_OK(lw_maps__parse(fixture_maps, &m), "parse"))
		return;
	if (!ASSERT_EQ(m.n, 9, "count"))
		goto out;

	v = &m.v[0];
	ASSERT_U64_EQ(v->start, 0x400000, "start");
	ASSERT_U64_EQ(v->end, 0x452000, "end");
	ASSERT_U64_EQ(v->offset, 0, "offset");
	ASSERT_EQ(v->dev_major, 8, "major");
	ASSERT_EQ(v->dev_minor, 2, "minor");
	ASSERT_U64_EQ(v->inode, 173521, "inode");
	ASSERT_TRUE(v->r && !v->w && v->x && v->p, "perms r-xp");
	ASSERT_FALSE(v->deleted, "not deleted");
	ASSERT_STREQ(v->path, "/usr/bin/dbus-daemon", "path");
	ASSERT_TRUE(lw_vma__is_file(v), "is file");

	ASSERT_U64_EQ(m.v[1].offset, 0x51000, "offset 2");

	v = &m.v[3];
	ASSERT_STREQ(v->path, "[heap]", "heap");
	ASSERT_FALSE(lw_vma__is_file(v), "heap is no file");
	ASSERT_TRUE(v->r && v->w && !v->x, "heap perms");

	/* Anonymous with a trailing blank: no path at all. */
	v = &m.v[4];
	ASSERT_TRUE(v->path == NULL, "anon path NULL");
	ASSERT_FALSE(v->r || v->w || v->x, "---p");
	ASSERT_FALSE(lw_vma__is_file(v), "anon is no file");

	v = &m.v[5];
	ASSERT_STREQ(v->path, "/opt/my app/lib x.so", "spaces kept");
	ASSERT_EQ(v->dev_major, 0xfd, "hex major");
	ASSERT_U64_EQ(v->offset, 0x2000, "offset 5");

	v = &m.v[6];
	ASSERT_TRUE(v->deleted, "deleted");
	ASSERT_STREQ(v->path, "/dev/shm/w s", "suffix stripped");
	ASSERT_FALSE(v->p, "shared");

	ASSERT_STREQ(m.v[7].path, "[vdso]", "vdso");
	ASSERT_U64_EQ(m.v[8].start, 0xffffffffff600000ULL, "vsyscall start");
	ASSERT_STREQ(m.v[8].path, "[vsyscall]", "last line, no newline");
out:
	lw_maps__free(&m);
	ASSERT_EQ(m.n, 0, "freed n");
	ASSERT_TRUE(m.v == NULL, "freed v");
}

static void test_parse_edge(void)
{
	static const char *const bad[] = {
		"garbage\n",
		"00400000-00452000 r-xp 00000000 08:02\n",
		"00452000-00400000 r-xp 0 08:02 1 /x\n", /* end < start */
		"00400000-00452000 r-x 00000000 08:02 1 /x\n", /* 3 perms */
		"00400000-00452000 r-xp 00000000 08:02 1 /x\nnot a line\n",
	};
	struct lw_maps m = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(lw_maps__parse(bad[i], &m), -EINVAL, bad[i]);
		ASSERT_EQ(m.n, 0, "untouched on error");
	}

	ASSERT_OK(lw_maps__parse("", &m), "empty");
	ASSERT_EQ(m.n, 0, "empty n");
	lw_maps__free(&m);

	/* Blank lines are skipped, a " (deleted)" alone is a path. */
	if (ASSERT_OK(lw_maps__parse("\n1000-2000 r--p 0 00:00 0 (deleted)\n\n",
				     &m),
		      "blank lines")) {
		ASSERT_EQ(m.n, 1, "one");
		ASSERT_STREQ(m.v[0].path, "(deleted)", "no suffix strip");
		ASSERT_FALSE(m.v[0].deleted, "not deleted");
	}
	lw_maps__free(&m);
	lw_maps__free(NULL);
}

static void test_find(void)
{
	struct lw_maps m = { 0 }, empty = { 0 };
	const struct lw_vma *v;

	if (!ASSERT_OK(lw_maps__parse(fixture_maps, &m), "parse"))
		return;
	ASSERT_TRUE(lw_maps__find(&m, 0) == NULL, "below first");
	ASSERT_TRUE(lw_maps__find(&m, 0x3fffff) == NULL, "just below");
	ASSERT_TRUE(lw_maps__find(&m, 0x400000) == &m.v[0], "first start");
	ASSERT_TRUE(lw_maps__find(&m, 0x451fff) == &m.v[0], "first end-1");
	ASSERT_TRUE(lw_maps__find(&m, 0x452000) == NULL, "gap after first");
	/* Adjacent mappings: end of one is the start of the next. */
	ASSERT_TRUE(lw_maps__find(&m, 0x652000) == &m.v[2], "adjacent");
	ASSERT_TRUE(lw_maps__find(&m, 0x651fff) == &m.v[1], "adjacent-1");
	v = lw_maps__find(&m, 0x7f0000001234ULL);
	ASSERT_TRUE(v == &m.v[5], "middle");
	ASSERT_TRUE(lw_maps__find(&m, 0xffffffffff600fffULL) == &m.v[8],
		    "last end-1");
	ASSERT_TRUE(lw_maps__find(&m, 0xffffffffff601000ULL) == NULL,
		    "past last");
	ASSERT_TRUE(lw_maps__find(&m, UINT64_MAX) == NULL, "max");
	ASSERT_TRUE(lw_maps__find(&empty, 0x400000) == NULL, "empty maps");
	lw_maps__free(&m);
}

static void test_open_path_self(void)
{
	struct lw_maps m = { 0 };
	const struct lw_vma *v;
	char buf[PATH_MAX];
	struct stat st;
	int fd;

	if (!ASSERT_OK(lw_maps__read(getpid(), &m), "read self"))
		return;
	ASSERT_TRUE(m.n > 3, "some mappings");

	/* The mapping holding this function is our executable. */
	v = lw_maps__find(&m, (uint64_t)(uintptr_t)test_open_path_self);
	if (!ASSERT_NOT_NULL(v, "own text"))
		goto out;
	ASSERT_TRUE(v->x, "text is executable");
	ASSERT_TRUE(lw_vma__is_file(v), "text is a file");
	if (!ASSERT_OK(lw_vma__open_path(getpid(), v, buf, sizeof(buf)),
		       "open path"))
		goto out;
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (ASSERT_TRUE(fd >= 0, "open")) {
		ASSERT_OK(fstat(fd, &st), "fstat");
		ASSERT_U64_EQ(st.st_ino, v->inode, "same inode");
		ASSERT_EQ(major(st.st_dev), v->dev_major, "same major");
		ASSERT_EQ(minor(st.st_dev), v->dev_minor, "same minor");
		(void)close(fd);
	}
	ASSERT_EQ(lw_vma__open_path(getpid(), v, buf, 10), -ENAMETOOLONG,
		  "short buffer");

	/* The stack is anonymous as far as open paths go. */
	v = lw_maps__find(&m, (uint64_t)(uintptr_t)&st);
	if (ASSERT_NOT_NULL(v, "stack"))
		ASSERT_EQ(lw_vma__open_path(getpid(), v, buf, sizeof(buf)),
			  -ENOENT, "anon");
out:
	lw_maps__free(&m);
}

static void test_read_errors(void)
{
	struct lw_maps m = { 0 };
	char *buf = NULL;

	/* Above any pid_max (at most 2^22). */
	ASSERT_EQ(lw_maps__read(0x7ffffff0, &m), -ESRCH, "no such pid");
	ASSERT_EQ(lw_read_file("/nonexistent/leakwatch", &buf, NULL), -ENOENT,
		  "no file");
	ASSERT_TRUE(buf == NULL, "buf untouched");
}

static void test_read_file_large(void)
{
	char path[] = "/tmp/lw_procmaps_XXXXXX";
	size_t len = 0, i, n = 200000;
	char *data, *buf = NULL;
	int fd;

	data = malloc(n);
	if (!ASSERT_NOT_NULL(data, "malloc"))
		return;
	for (i = 0; i < n; i++)
		data[i] = 'a' + i % 26;
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		goto out;
	ASSERT_EQ(write(fd, data, n), (long long)n, "write");
	(void)close(fd);
	/* Larger than the first buffer: exercises every growth step. */
	if (ASSERT_OK(lw_read_file(path, &buf, &len), "read")) {
		ASSERT_U64_EQ(len, n, "len");
		ASSERT_TRUE(!memcmp(buf, data, n), "content");
		ASSERT_EQ(buf[n], '\0', "terminated");
	}
	(void)unlink(path);
out:
	free(buf);
	free(data);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_parse_fixture),
		LWT_CASE(test_parse_edge),
		LWT_CASE(test_find),
		LWT_CASE(test_open_path_self),
		LWT_CASE(test_read_errors),
		LWT_CASE(test_read_file_large),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
