/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/go/gobin.c against fixtures/gobin built by every Go
 * toolchain the build found (LW_GO_TAGS, binaries in LW_GO_FIXTURE_DIR as
 * gobin-<tag> and gobin-<tag>-stripped): version, pclntab lookups, runtime
 * variables in stripped binaries versus .symtab, and runtime.g layouts.
 */
#include "lwtest.h"

#include "go/gobin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

/* fixtures/gobin/main.go: gobinLine spans lines 22-28 and calls
 * gobinMarker on line 25. */
#define LINE_FUNC_FIRST 22
#define LINE_FUNC_CALL 25
#define LINE_FUNC_LAST 28
/* The inlined chain gobinInl <- gobinInlA <- gobinInlB of main.go. */
#define LINE_INL 46
#define LINE_INL_A 50
#define LINE_INL_B 54

static const char *const vars[] = {
	"runtime.allgs",	"runtime.allglen",
	"runtime.allgptr",	"runtime.waitReasonStrings",
	"runtime.mbuckets",	"runtime.MemProfileRate",
	"runtime.buildVersion", "runtime.firstmoduledata",
};

static const char *const funcs[] = {
	"main.main",	    "main.gobinLine",	   "main.gobinMarker",
	"runtime.forEachG", "runtime.mallocgc",	   "runtime.newproc1",
	"runtime.allgadd",  "runtime.mProf_Flush", "runtime.goexit",
};

/* gobin-<tag>[-pie][-stripped] */
static const char *fixture(char *buf, size_t len, const char *tag, bool pie,
			   bool stripped)
{
	const char *dir = getenv("LW_GO_FIXTURE_DIR");

	snprintf(buf, len, "%s/gobin-%s%s%s", dir ? dir : ".", tag,
		 pie ? "-pie" : "", stripped ? "-stripped" : "");
	return buf;
}

/* What the fixture prints for runtime.Version(): the expected version. */
static bool run_version(const char *path, char *buf, size_t len)
{
	char cmd[PATH_MAX + 16];
	FILE *f;
	bool ok;

	snprintf(cmd, sizeof(cmd), "'%s' version", path);
	f = popen(cmd, "r");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	if (pclose(f) != 0)
		ok = false;
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static const char *basename_of(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p;
}

static void check_layout_eq(const struct lw_go_layout *a,
			    const struct lw_go_layout *b, const char *tag)
{
	char what[96];

#define F(f)                                                          \
	do {                                                          \
		snprintf(what, sizeof(what), "go%s layout " #f, tag); \
		ASSERT_EQ(a->f, b->f, what);                          \
	} while (0)
	F(g_stack_lo);
	F(g_stack_hi);
	F(g_sched_sp);
	F(g_sched_pc);
	F(g_sched_bp);
	F(g_syscallsp);
	F(g_syscallpc);
	F(g_atomicstatus);
	F(g_goid);
	F(g_waitsince);
	F(g_waitreason);
	F(g_gopc);
	F(g_startpc);
	F(g_parentgoid);
	F(bucket_next);
	F(bucket_allnext);
	F(bucket_typ);
	F(bucket_size);
	F(bucket_nstk);
	F(bucket_hdr_size);
	F(memrecord_active_allocs);
	F(memrecord_active_frees);
	F(memrecord_active_alloc_bytes);
	F(memrecord_active_free_bytes);
#undef F
}

/*
 * main.gobinInl holds gobinInlA and gobinInlB, inlined: the call to
 * gobinMarker expands to three frames, innermost first, at the lines of
 * each call; its pc + 1 given as the next pc of a stack (a virtual pc of
 * runtime.Callers) stops the expansion before the outer frames.
 */
static void check_inlined(const struct lw_gobin *b, const char *path)
{
	struct lw_goframe g[8];
	uint64_t entry, end, pc;
	int n, seen = 0, bad = 0;

	ASSERT_TRUE(lw_gobin__knows_wrappers(b), "wrapper funcIDs known");
	if (!ASSERT_OK(lw_gobin__find_func(b, "main.gobinInl", &entry, &end),
		       path))
		return;
	n = lw_gobin__lookup_frames(b, entry, 0, g, 8);
	if (ASSERT_EQ(n, 1, "entry: one frame")) {
		ASSERT_STREQ(g[0].name, "main.gobinInl", "entry's function");
		ASSERT_TRUE(!g[0].inlined && !g[0].wrapper, "entry physical");
	}
	for (pc = entry; pc < end; pc++) {
		n = lw_gobin__lookup_frames(b, pc, 0, g, 8);
		if (n != 3 || strcmp(g[0].name, "main.gobinInlB"))
			continue;
		seen++;
		bad += strcmp(g[1].name, "main.gobinInlA") ||
		       strcmp(g[2].name, "main.gobinInl");
		bad += g[0].line != LINE_INL_B || g[1].line != LINE_INL_A ||
		       g[2].line != LINE_INL;
		bad += !g[0].inlined || !g[1].inlined || g[2].inlined;
		bad += g[0].entry != entry || g[2].entry != entry;
		bad += strcmp(basename_of(g[0].file) ?: "", "main.go") != 0;
	}
	ASSERT_TRUE(seen > 0, "pcs in gobinInlB inlined into gobinInl");
	ASSERT_EQ(bad, 0, "inlined frames' names, lines and flags");
	ASSERT_EQ(lw_gobin__lookup_frames(b, 0x1000, 0, g, 8), -ENOENT,
		  "frames of pc 0x1000");
}

/* Everything a single binary must answer by itself. */
static void check_one(const char *tag, bool pie, bool stripped)
{
	char path[PATH_MAX], want[64], what[128];
	struct lw_gobin *b = NULL;
	struct lw_go_layout l, t;
	uint64_t entry, end, pc;
	struct lw_gofunc f;
	int major, minor, err, seen_first = 0, seen_call = 0, bad = 0;
	int padding = 0;

	fixture(path, sizeof(path), tag, pie, stripped);
	err = lw_gobin__open(path, &b);
	if (!ASSERT_OK(err, path))
		return;
	snprintf(what, sizeof(what), "%.64s version", basename_of(path));
	if (ASSERT_TRUE(run_version(path, want, sizeof(want)), what))
		ASSERT_STREQ(lw_gobin__version(b), want, what);
	ASSERT_OK(lw_gobin__version_num(b, &major, &minor), what);
	ASSERT_EQ(major, 1, what);
	ASSERT_EQ(minor, atoi(tag + 2), what);
	ASSERT_EQ(lw_gobin__has_symtab(b), !stripped, "has_symtab");
	ASSERT_EQ(lw_gobin__has_dwarf(b), !stripped, "has_dwarf");
	ASSERT_EQ(lw_gobin__is_pie(b), pie, "is_pie");

	/* Entry of a function -> that function. */
	snprintf(what, sizeof(what), "%.64s main.gobinLine", basename_of(path));
	if (!ASSERT_OK(lw_gobin__find_func(b, "main.gobinLine", &entry, &end),
		       what))
		goto out;
	ASSERT_TRUE(end > entry && end - entry < 4096, what);
	if (ASSERT_OK(lw_gobin__lookup_pc(b, entry, &f), what)) {
		ASSERT_STREQ(f.name, "main.gobinLine", what);
		ASSERT_U64_EQ(f.entry, entry, what);
		ASSERT_U64_EQ(f.end, end, what);
		ASSERT_STREQ(basename_of(f.file), "main.go", what);
		ASSERT_EQ(f.line, LINE_FUNC_FIRST, what);
	}
	/* Every pc of it: same function, lines within its body, the loop
	 * line (the call) among them.  Only the INT3 padding before the next
	 * function has no line: a suffix of the range. */
	for (pc = entry; pc < end; pc++) {
		if (lw_gobin__lookup_pc(b, pc, &f) || strcmp(f.name, "main."
								     "gobinLin"
								     "e")) {
			bad++;
			continue;
		}
		if (!f.line && !f.file) {
			padding++;
			continue;
		}
		if (padding || strcmp(basename_of(f.file) ?: "", "main.go") ||
		    f.line < LINE_FUNC_FIRST || f.line > LINE_FUNC_LAST) {
			bad++;
			continue;
		}
		seen_first += f.line == LINE_FUNC_FIRST;
		seen_call += f.line == LINE_FUNC_CALL;
	}
	ASSERT_TRUE(padding < 64, "padding < 64 bytes");
	ASSERT_EQ(bad, 0, "pcs of main.gobinLine outside its lines");
	ASSERT_TRUE(seen_first > 0, "line 22 seen");
	ASSERT_TRUE(seen_call > 0, "line 25 seen");
	check_inlined(b, path);
	ASSERT_EQ(lw_gobin__lookup_pc(b, 0x1000, &f), -ENOENT, "pc 0x1000");
	ASSERT_EQ(lw_gobin__lookup_pc(b, UINT64_MAX - 1, &f), -ENOENT,
		  "pc max");
	ASSERT_EQ(lw_gobin__find_func(b, "main.noSuchFunc", &entry, &end),
		  -ENOENT, "no such func");

	/* runtime.g and profile bucket layout: DWARF when there is some,
	 * and the per-version table must agree with it. */
	snprintf(what, sizeof(what), "go%s layout", tag);
	if (ASSERT_OK(lw_gobin__layout(b, &l), what)) {
		ASSERT_EQ(l.from_dwarf, !stripped, what);
		if (ASSERT_OK(lw_go_layout_for_version(1, minor, &t), what))
			check_layout_eq(&l, &t, tag);
	}
	if (!stripped) {
		ASSERT_OK(lw_gobin__layout_dwarf(b, &l), "layout_dwarf");
		ASSERT_TRUE(l.from_dwarf, "from_dwarf");
	} else {
		ASSERT_EQ(lw_gobin__layout_dwarf(b, &l), -ENOENT, "no DWARF");
	}
	ASSERT_EQ(lw_gobin__find_var(b, "runtime.noSuchVar", &pc), -ENOENT,
		  "no such var");
out:
	lw_gobin__free(b);
}

/*
 * The stripped twin must find the same functions at the same addresses
 * and the same variables as .symtab says.  Data moves a little between
 * the two builds (the section headers differ), so variables are compared
 * as section name + offset.
 */
static void check_twins(const char *tag, bool pie)
{
	char upath[PATH_MAX], spath[PATH_MAX], what[128];
	struct lw_gobin *u = NULL, *s = NULL;
	uint64_t ue, uend, se, send, ua, sa, uoff, soff;
	const char *usec, *ssec;
	size_t i;

	fixture(upath, sizeof(upath), tag, pie, false);
	fixture(spath, sizeof(spath), tag, pie, true);
	if (!ASSERT_OK(lw_gobin__open(upath, &u), upath) ||
	    !ASSERT_OK(lw_gobin__open(spath, &s), spath))
		goto out;
	ASSERT_EQ(lw_gobin__func_count(u), lw_gobin__func_count(s),
		  "func count");
	ASSERT_TRUE(lw_gobin__func_count(u) > 1000, "func count > 1000");
	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		snprintf(what, sizeof(what), "go%s %s", tag, funcs[i]);
		if (!ASSERT_OK(lw_gobin__find_func(u, funcs[i], &ue, &uend),
			       what) ||
		    !ASSERT_OK(lw_gobin__find_func(s, funcs[i], &se, &send),
			       what))
			continue;
		ASSERT_U64_EQ(se, ue, what);
		ASSERT_U64_EQ(send, uend, what);
	}
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		snprintf(what, sizeof(what), "go%s %s", tag, vars[i]);
		if (!ASSERT_OK(lw_gobin__find_var(u, vars[i], &ua), what) ||
		    !ASSERT_OK(lw_gobin__find_var(s, vars[i], &sa), what))
			continue;
		usec = lw_gobin__section(u, ua, &uoff);
		ssec = lw_gobin__section(s, sa, &soff);
		ASSERT_STREQ(ssec, usec, what);
		ASSERT_U64_EQ(soff, uoff, what);
	}
out:
	lw_gobin__free(u);
	lw_gobin__free(s);
}

static void test_go_fixtures(void)
{
	const char *env = getenv("LW_GO_TAGS");
	char tags[256], *save = NULL, *tag;
	int n = 0;

	if (!env || !*env) {
		printf("no Go toolchains: only the non-Go checks ran\n");
		return;
	}
	snprintf(tags, sizeof(tags), "%s", env);
	for (tag = strtok_r(tags, ",", &save); tag;
	     tag = strtok_r(NULL, ",", &save)) {
		check_one(tag, false, false);
		check_one(tag, false, true);
		check_twins(tag, false);
		n++;
	}
	ASSERT_TRUE(n > 0, "toolchains");
	env = getenv("LW_GO_PIE_TAGS");
	snprintf(tags, sizeof(tags), "%s", env ? env : "");
	for (tag = strtok_r(tags, ",", &save); tag;
	     tag = strtok_r(NULL, ",", &save)) {
		check_one(tag, true, false);
		check_one(tag, true, true);
		check_twins(tag, true);
	}
}

/* Not Go: an ELF (this C test program), a text file, no file at all. */
static void test_not_go(void)
{
	char tmp[] = "/tmp/lw-gobin-XXXXXX";
	struct lw_gobin *b = NULL;
	struct lw_go_layout l;
	int fd;

	ASSERT_EQ(lw_gobin__open("/proc/self/exe", &b), -ENOEXEC, "C ELF");
	ASSERT_EQ(lw_gobin__open("/nonexistent/gobin", &b), -ENOENT, "missing");
	fd = mkstemp(tmp);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	ASSERT_TRUE(write(fd, "not an ELF file\n", 16) == 16, "write");
	(void)close(fd);
	ASSERT_EQ(lw_gobin__open(tmp, &b), -ENOEXEC, "text file");
	(void)unlink(tmp);
	lw_gobin__free(NULL);
	ASSERT_EQ(lw_go_layout_for_version(1, 20, &l), -ENOENT, "no 1.20 row");
	ASSERT_EQ(lw_go_layout_for_version(2, 0, &l), -ENOENT, "go2");
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_not_go),
		LWT_CASE(test_go_fixtures),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
