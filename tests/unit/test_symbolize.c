/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for symbolize.c against the fixtures of fixtures_symbolize.cmake
 * (found in LW_FIXTURE_DIR): files with DWARF, split debug, stripped, C++,
 * live processes (dlopen, deleted binary, exit), and Go executables with
 * and without .symtab and DWARF (the fixtures of test_gobin, one per Go
 * toolchain, in LW_GO_FIXTURE_DIR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "go/gobin.h"
#include "lwtest.h"
#include "symbolize.h"

#define MAX_SITES 8

/* One "site KEY RUNTIME VADDR LINE" line of a fixture (sym_report.h). */
struct site {
	char key[32];
	uint64_t rt; /* return address in the running fixture */
	uint64_t vaddr; /* the same as an ELF virtual address */
	int line; /* line of the call */
};

struct child {
	pid_t pid;
	FILE *in; /* its stdin */
	FILE *out; /* its stdout */
	struct site sites[MAX_SITES];
	int nr_sites;
};

static void fixture_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("LW_FIXTURE_DIR");

	snprintf(buf, len, "%s/%s", dir ? dir : ".", name);
}

static bool spawn(const char *path, bool wait_stdin, struct child *c)
{
	int in[2], out[2];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	if (pipe2(in, O_CLOEXEC))
		return false;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return false;
	}
	c->pid = fork();
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, wait_stdin ? "--wait" : NULL, NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = fdopen(in[1], "w");
	c->out = fdopen(out[0], "r");
	if (c->pid < 0 || !c->in || !c->out)
		return false;
	setvbuf(c->in, NULL, _IOLBF, 0);
	return true;
}

/* Read site lines until one equal to end ("ready", "done"). */
static bool read_sites(struct child *c, const char *end)
{
	char line[512];
	struct site *st;

	while (fgets(line, sizeof(line), c->out)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, end))
			return true;
		if (c->nr_sites == MAX_SITES)
			return false;
		st = &c->sites[c->nr_sites];
		if (sscanf(line, "site %31s %" SCNx64 " %" SCNx64 " %d",
			   st->key, &st->rt, &st->vaddr, &st->line) != 4)
			return false;
		c->nr_sites++;
	}
	return false;
}

static const struct site *site(const struct child *c, const char *key)
{
	static const struct site none = { .key = "missing" };
	int i;

	for (i = 0; i < c->nr_sites; i++) {
		if (!strcmp(c->sites[i].key, key))
			return &c->sites[i];
	}
	ASSERT_TRUE(false, key);
	return &none;
}

/* Close its stdin (sym_prog --wait exits on EOF) and reap it. */
static int finish(struct child *c)
{
	int status = -1;

	if (c->in)
		fclose(c->in);
	if (c->out)
		fclose(c->out);
	c->in = c->out = NULL;
	if (c->pid > 0 && waitpid(c->pid, &status, 0) != c->pid)
		status = -1;
	c->pid = -1;
	return status;
}

/* Run a fixture to completion and collect its sites. */
static bool run_fixture(const char *name, struct child *c)
{
	char path[PATH_MAX];
	bool ok;

	fixture_path(name, path, sizeof(path));
	if (!ASSERT_TRUE(spawn(path, false, c), "spawn"))
		return false;
	ok = ASSERT_TRUE(read_sites(c, "ready"), "read sites");
	return ASSERT_EQ(finish(c), 0, "fixture exit") && ok;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/*
 * Resolve a site's address (rt for a live process, vaddr for a file) and
 * check everything: name, module, offset and, with want_file, file:line.
 */
static void check_site(struct lw_symbolizer *s, const struct site *st,
		       uint64_t addr, const char *function,
		       const char *module, const char *want_file)
{
	struct lw_frame f;
	int err;

	err = lw_symbolizer__resolve(s, addr, &f);
	ASSERT_OK(err, st->key);
	ASSERT_U64_EQ(f.addr, addr, "addr");
	ASSERT_STREQ(f.function, function, st->key);
	ASSERT_STREQ(f.module, module, "module");
	ASSERT_U64_EQ(f.module_offset, st->vaddr - 1, "module_offset");
	if (want_file) {
		ASSERT_TRUE(ends_with(f.file, want_file),
			    f.file ? f.file : "no file");
		ASSERT_EQ(f.line, st->line, st->key);
	}
}

static void test_demangle(void)
{
	char *d;

	d = lw_demangle("_ZN2ns5Klass6methodEi");
	ASSERT_STREQ(d, "ns::Klass::method(int)", "method");
	free(d);
	d = lw_demangle("_Z3fooPKcm");
	ASSERT_STREQ(d, "foo(char const*, unsigned long)", "foo");
	free(d);
	d = lw_demangle("_ZNSt6vectorIiSaIiEE9push_backERKi");
	ASSERT_STREQ(d,
		     "std::vector<int, std::allocator<int> >"
		     "::push_back(int const&)",
		     "vector");
	free(d);
	/* Plain C names, bare type manglings and garbage stay undemangled. */
	ASSERT_TRUE(lw_demangle("main") == NULL, "main");
	ASSERT_TRUE(lw_demangle("i") == NULL, "i");
	ASSERT_TRUE(lw_demangle("_Z") == NULL, "_Z");
	ASSERT_TRUE(lw_demangle("_Zgarbage!") == NULL, "garbage");
	ASSERT_TRUE(lw_demangle(NULL) == NULL, "NULL");
}

/* (a) PIE with DWARF, symbolized offline at link-time addresses. */
static void test_file_dwarf(void)
{
	struct lw_symbolizer *s = NULL;
	struct lw_frame f1, f2, f3[4];
	char path[PATH_MAX];
	struct child c;

	if (!run_fixture("sym_prog", &c))
		return;
	fixture_path("sym_prog", path, sizeof(path));
	s = lw_symbolizer__new_file(path);
	if (!ASSERT_NOT_NULL(s, "new_file"))
		return;
	check_site(s, site(&c, "alpha"), site(&c, "alpha")->vaddr, "sym_alpha",
		   path, "/sym_prog.c");
	check_site(s, site(&c, "beta"), site(&c, "beta")->vaddr, "sym_beta",
		   path, "/sym_prog.c");
	check_site(s, site(&c, "gamma"), site(&c, "gamma")->vaddr, "sym_gamma",
		   path, "/sym_prog.c");

	/* Cached: the same interned strings come back. */
	ASSERT_OK(lw_symbolizer__resolve(s, site(&c, "alpha")->vaddr, &f1),
		  "first");
	ASSERT_OK(lw_symbolizer__resolve(s, site(&c, "alpha")->vaddr, &f2),
		  "cached");
	ASSERT_TRUE(f1.function == f2.function && f1.file == f2.file,
		    "interned");
	/* Not Go: resolve_inline() is resolve(). */
	ASSERT_EQ(lw_symbolizer__resolve_inline(s, site(&c, "alpha")->vaddr, f3,
						4),
		  1, "C: one frame");
	ASSERT_TRUE(f3[0].function == f1.function && f3[0].file == f1.file &&
			    f3[0].line == f1.line && !f3[0].inlined,
		    "C: resolve_inline = resolve");

	/* In no module: the frame is kept, without module.  (Low addresses
	 * are in the module: a PIE starts at 0 with bias 0.) */
	ASSERT_EQ(lw_symbolizer__resolve(s, 1ULL << 40, &f1), -ENOENT,
		  "unmapped");
	ASSERT_TRUE(f1.module == NULL && f1.function == NULL, "unmapped frame");
	ASSERT_U64_EQ(f1.addr, 1ULL << 40, "unmapped addr");
	ASSERT_EQ(lw_symbolizer__resolve(s, 0, &f1), -ENOENT, "zero");
	ASSERT_OK(lw_symbolizer__refresh(s), "refresh of a file");
	lw_symbolizer__free(s);

	errno = 0;
	fixture_path("no-such-file", path, sizeof(path));
	ASSERT_TRUE(lw_symbolizer__new_file(path) == NULL && errno == ENOENT,
		    "missing file");
}

/* (b) Stripped, with names and lines from the .gnu_debuglink file next
 * to it. */
static void test_file_debuglink(void)
{
	struct lw_symbolizer *s;
	char path[PATH_MAX];
	struct child c;

	if (!run_fixture("sym_prog", &c))
		return;
	fixture_path("sym_dbglink/sym_prog", path, sizeof(path));
	s = lw_symbolizer__new_file(path);
	if (!ASSERT_NOT_NULL(s, "new_file"))
		return;
	check_site(s, site(&c, "alpha"), site(&c, "alpha")->vaddr, "sym_alpha",
		   path, "/sym_prog.c");
	check_site(s, site(&c, "beta"), site(&c, "beta")->vaddr, "sym_beta",
		   path, "/sym_prog.c");
	lw_symbolizer__free(s);
}

/* (c) Fully stripped: exported names from .dynsym, else module+offset. */
static void test_file_stripped(void)
{
	const struct site *beta;
	struct lw_symbolizer *s;
	char path[PATH_MAX];
	struct lw_frame f;
	struct child c;
	int err;

	if (!run_fixture("sym_prog", &c))
		return;
	fixture_path("sym_stripped/sym_prog", path, sizeof(path));
	s = lw_symbolizer__new_file(path);
	if (!ASSERT_NOT_NULL(s, "new_file"))
		return;
	check_site(s, site(&c, "alpha"), site(&c, "alpha")->vaddr, "sym_alpha",
		   path, NULL);
	check_site(s, site(&c, "gamma"), site(&c, "gamma")->vaddr, "sym_gamma",
		   path, NULL);
	ASSERT_OK(lw_symbolizer__resolve(s, site(&c, "alpha")->vaddr, &f),
		  "alpha");
	ASSERT_TRUE(f.file == NULL && f.line == 0, "no line info");

	beta = site(&c, "beta");
	err = lw_symbolizer__resolve(s, beta->vaddr, &f);
	ASSERT_EQ(err, -ENOENT, "static function");
	ASSERT_TRUE(f.function == NULL, "no name");
	ASSERT_STREQ(f.module, path, "module");
	ASSERT_U64_EQ(f.module_offset, beta->vaddr - 1, "offset");
	lw_symbolizer__free(s);
}

/* (d) C++: demangled names. */
static void test_file_cxx(void)
{
	struct lw_symbolizer *s;
	char path[PATH_MAX];
	struct child c;

	if (!run_fixture("sym_cxx", &c))
		return;
	fixture_path("sym_cxx", path, sizeof(path));
	s = lw_symbolizer__new_file(path);
	if (!ASSERT_NOT_NULL(s, "new_file"))
		return;
	check_site(s, site(&c, "method"), site(&c, "method")->vaddr,
		   "ns::Klass::method(int)", path, "/sym_cxx.cc");
	check_site(s, site(&c, "overload"), site(&c, "overload")->vaddr,
		   "ns::overload(double)", path, "/sym_cxx.cc");
	check_site(s, site(&c, "tmpl"), site(&c, "tmpl")->vaddr,
		   "void ns::tmpl<long>(long)", path, "/sym_cxx.cc");
	lw_symbolizer__free(s);
}

/* Start of the [vdso] mapping of pid, 0 if none. */
static uint64_t vdso_start(pid_t pid)
{
	char path[64], line[512];
	uint64_t start = 0, lo;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vdso]") &&
		    sscanf(line, "%" SCNx64 "-", &lo) == 1) {
			start = lo;
			break;
		}
	}
	fclose(f);
	return start;
}

/*
 * (e) live process, (g) a library dlopen()ed after the symbolizer was
 * made, (h) addresses first resolved after the process exited.
 */
static void test_live(void)
{
	char path[PATH_MAX], exe[PATH_MAX], lib[PATH_MAX];
	struct lw_symbolizer *s = NULL;
	struct lw_frame f;
	struct child c;
	uint64_t vdso;
	int nr_exe;

	fixture_path("sym_prog", path, sizeof(path));
	if (!ASSERT_NOT_NULL(realpath(path, exe), "realpath exe"))
		return;
	fixture_path("libsym_lib.so", path, sizeof(path));
	if (!ASSERT_NOT_NULL(realpath(path, lib), "realpath lib"))
		return;
	if (!ASSERT_TRUE(spawn(exe, true, &c), "spawn"))
		goto out;
	if (!ASSERT_TRUE(read_sites(&c, "ready"), "read sites"))
		goto out;
	nr_exe = c.nr_sites;

	s = lw_symbolizer__new(c.pid);
	if (!ASSERT_NOT_NULL(s, "new"))
		goto out;
	check_site(s, site(&c, "alpha"), site(&c, "alpha")->rt, "sym_alpha",
		   exe, "/sym_prog.c");
	check_site(s, site(&c, "beta"), site(&c, "beta")->rt, "sym_beta", exe,
		   "/sym_prog.c");
	ASSERT_OK(lw_symbolizer__refresh(s), "refresh, unchanged");

	/* The vdso is a module too, read from the process memory. */
	vdso = vdso_start(c.pid);
	if (vdso) {
		(void)lw_symbolizer__resolve(s, vdso + 0x100, &f);
		ASSERT_STREQ(f.module, "[vdso]", "vdso");
	}

	/* (g) The library is not in the maps read by new(): resolve must
	 * refresh by itself. */
	fprintf(c.in, "dlopen %s\n", lib);
	if (!ASSERT_TRUE(read_sites(&c, "done"), "dlopen"))
		goto out;
	if (!ASSERT_EQ(c.nr_sites, nr_exe + 2, "lib sites"))
		goto out;
	check_site(s, site(&c, "lib_entry"), site(&c, "lib_entry")->rt,
		   "sym_lib_entry", lib, "/sym_lib.c");

	/* (h) Exited and reaped: map_files and maps are gone. */
	fprintf(c.in, "exit\n");
	ASSERT_EQ(finish(&c), 0, "exit status");
	ASSERT_EQ(lw_symbolizer__refresh(s), -ESRCH, "refresh after exit");
	check_site(s, site(&c, "gamma"), site(&c, "gamma")->rt, "sym_gamma",
		   exe, "/sym_prog.c");
	check_site(s, site(&c, "lib_inner"), site(&c, "lib_inner")->rt,
		   "sym_lib_inner", lib, "/sym_lib.c");
	check_site(s, site(&c, "alpha"), site(&c, "alpha")->rt, "sym_alpha",
		   exe, "/sym_prog.c");

	/* Unmapped: kept as a frame without module. */
	ASSERT_EQ(lw_symbolizer__resolve(s, 0x1000, &f), -ENOENT, "unmapped");
	ASSERT_TRUE(f.module == NULL && f.function == NULL, "unmapped frame");
out:
	lw_symbolizer__free(s);
	finish(&c);
}

/* Whether we may open map_files entries (the kernel asks for a
 * capability, not just ptrace access). */
static bool can_open_map_files(void)
{
	char line[256], path[128];
	uint64_t lo, hi;
	bool ok = false;
	FILE *f;
	int fd;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f) &&
	    sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2) {
		snprintf(path, sizeof(path), "/proc/self/map_files/%" PRIx64
			 "-%" PRIx64, lo, hi);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ok = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
	return ok;
}

/*
 * (f) The binary was deleted after exec: opened through map_files; (h)
 * and first used after the process exited.
 */
static void test_live_deleted(void)
{
	char dir[PATH_MAX], src[PATH_MAX], rdir[PATH_MAX];
	char copy[PATH_MAX + 32];
	struct lw_symbolizer *s = NULL;
	struct child c = { .pid = -1 };
	bool dir_made = false, copied = false;
	char buf[65536];
	int in = -1, out = -1;
	ssize_t n;

	if (!can_open_map_files()) {
		fprintf(stderr, "skip %s: /proc/PID/map_files needs "
				"CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE\n",
			__func__);
		return;
	}
	fixture_path("symdelXXXXXX", dir, sizeof(dir));
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/symdelXXXXXX");
		if (!ASSERT_NOT_NULL(mkdtemp(dir), "mkdtemp"))
			return;
	}
	dir_made = true;
	if (!ASSERT_NOT_NULL(realpath(dir, rdir), "realpath"))
		goto out;
	snprintf(copy, sizeof(copy), "%s/sym_prog_copy", rdir);
	fixture_path("sym_prog", src, sizeof(src));
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (!ASSERT_TRUE(in >= 0 && out >= 0, "open copy"))
		goto out;
	copied = true;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (!ASSERT_EQ(write(out, buf, n), n, "write copy"))
			goto out;
	}
	/* Closed before exec, or exec fails with ETXTBSY. */
	close(out);
	out = -1;

	if (!ASSERT_TRUE(spawn(copy, true, &c), "spawn"))
		goto out;
	if (!ASSERT_TRUE(read_sites(&c, "ready"), "read sites"))
		goto out;
	ASSERT_OK(unlink(copy), "unlink");
	copied = false;
	ASSERT_OK(rmdir(rdir), "rmdir");
	dir_made = false;

	s = lw_symbolizer__new(c.pid);
	if (!ASSERT_NOT_NULL(s, "new"))
		goto out;

	/* Neither the file nor the process exist now, and nothing was
	 * resolved yet: only the ELF that new() opened can answer. */
	fprintf(c.in, "exit\n");
	ASSERT_EQ(finish(&c), 0, "exit status");
	check_site(s, site(&c, "alpha"), site(&c, "alpha")->rt, "sym_alpha",
		   copy, "/sym_prog.c");
	check_site(s, site(&c, "beta"), site(&c, "beta")->rt, "sym_beta",
		   copy, "/sym_prog.c");
out:
	lw_symbolizer__free(s);
	finish(&c);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (copied)
		unlink(copy);
	if (dir_made)
		rmdir(dir);
}

static void test_no_process(void)
{
	struct child c;
	char path[PATH_MAX];
	pid_t pid;

	/* A reaped child's pid is free (reuse within this instant is not a
	 * worry for a test). */
	fixture_path("sym_prog", path, sizeof(path));
	if (!ASSERT_TRUE(spawn(path, false, &c), "spawn"))
		return;
	pid = c.pid;
	finish(&c);
	errno = 0;
	ASSERT_TRUE(lw_symbolizer__new(pid) == NULL, "new");
	ASSERT_EQ(errno, ESRCH, "errno");
	lw_symbolizer__free(NULL);
}

/* ---- Go executables: names from .gopclntab, stripped or not ---- */

/* fixtures/gobin/main.go (keep in sync): gobinLine spans lines 22-28 and
 * calls gobinMarker on line 25. */
#define GO_LINE_FIRST 22
#define GO_LINE_CALL 25
#define GO_LINE_LAST 28
/* gobinInlB (inlined into gobinInlA, inlined into gobinInl) calls
 * gobinMarker on line 54; the calls to them are on lines 50 and 46. */
#define GO_LINE_INL 46
#define GO_LINE_INL_A 50
#define GO_LINE_INL_B 54
#define GO_SRC_SUFFIX "/tests/unit/fixtures/gobin/main.go"

/* gobin-<tag>[-pie][-stripped] */
static void go_fixture(char *buf, size_t len, const char *tag, bool pie,
		       bool stripped)
{
	const char *dir = getenv("LW_GO_FIXTURE_DIR");

	snprintf(buf, len, "%s/gobin-%s%s%s", dir ? dir : ".", tag,
		 pie ? "-pie" : "", stripped ? "-stripped" : "");
}

/*
 * Link-time address just after the first "call rel32" in [from, to) of the
 * ELF file at path that calls target: a return address whose call the test
 * knows the line of.  0 when there is none.
 */
static uint64_t go_return_address(const char *path, uint64_t from, uint64_t to,
				  uint64_t target)
{
	unsigned char code[4096];
	uint64_t ret = 0, pc;
	GElf_Phdr ph;
	size_t i, n;
	int32_t rel;
	Elf *elf;
	int fd;

	if (to <= from || to - from > sizeof(code))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &n))
		n = 0;
	for (i = 0; i < n && !ret; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    from < ph.p_vaddr || to > ph.p_vaddr + ph.p_filesz)
			continue;
		if (pread(fd, code, to - from,
			  (off_t)(ph.p_offset + from - ph.p_vaddr)) !=
		    (ssize_t)(to - from))
			break;
		for (pc = from; pc + 5 <= to && !ret; pc++) {
			if (code[pc - from] != 0xe8)
				continue;
			memcpy(&rel, &code[pc - from + 1], sizeof(rel));
			if (pc + 5 + (int64_t)rel == target)
				ret = pc + 5;
		}
	}
	elf_end(elf);
	(void)close(fd);
	return ret;
}

/* ret[i] is func at line of the fixture, inlined or not, at addr. */
static void expect_go_frame(const struct lw_frame *f, const char *func,
			    int line, bool inlined, uint64_t addr,
			    const char *what)
{
	ASSERT_STREQ(f->function, func, what);
	ASSERT_TRUE(ends_with(f->file, GO_SRC_SUFFIX), what);
	ASSERT_EQ(f->line, line, what);
	ASSERT_EQ(f->inlined, inlined, what);
	ASSERT_U64_EQ(f->addr, addr, what);
	ASSERT_U64_EQ(f->module_offset, addr - 1, what);
}

/*
 * Inlined calls as frames: the return address of gobinInlB's call to
 * gobinMarker, inside gobinInl, is gobinInlB:54 and gobinInlA:50 (both
 * inlined) and gobinInl:46; resolve() names the physical function at the
 * innermost line; a cap keeps the innermost call and the physical frame;
 * an address without inlined calls (ret_line, into gobinLine) is one
 * frame; a stack is the concatenation.
 */
static void check_go_inline(struct lw_symbolizer *s, struct lw_gobin *b,
			    const char *path, uint64_t ret_line,
			    uint64_t marker)
{
	uint64_t entry, end, ret, ips[2];
	struct lw_frame f[4], *st = NULL;
	char what[PATH_MAX + 32];
	unsigned n = 0;

	snprintf(what, sizeof(what), "%s: inlined", path);
	if (!ASSERT_OK(lw_gobin__find_func(b, "main.gobinInl", &entry, &end),
		       what))
		return;
	ret = go_return_address(path, entry, end, marker);
	if (!ASSERT_TRUE(ret != 0, "call gobinMarker in gobinInl"))
		return;
	if (ASSERT_EQ(lw_symbolizer__resolve_inline(s, ret, f, 4), 3, what)) {
		expect_go_frame(&f[0], "main.gobinInlB", GO_LINE_INL_B, true,
				ret, what);
		expect_go_frame(&f[1], "main.gobinInlA", GO_LINE_INL_A, true,
				ret, what);
		expect_go_frame(&f[2], "main.gobinInl", GO_LINE_INL, false, ret,
				what);
	}
	if (ASSERT_OK(lw_symbolizer__resolve(s, ret, &f[3]), what))
		expect_go_frame(&f[3], "main.gobinInl", GO_LINE_INL_B, false,
				ret, what);
	if (ASSERT_EQ(lw_symbolizer__resolve_inline(s, ret, f, 2), 2, what)) {
		expect_go_frame(&f[0], "main.gobinInlB", GO_LINE_INL_B, true,
				ret, what);
		expect_go_frame(&f[1], "main.gobinInl", GO_LINE_INL, false, ret,
				what);
	}
	if (ASSERT_EQ(lw_symbolizer__resolve_inline(s, ret_line, f, 4), 1,
		      what))
		expect_go_frame(&f[0], "main.gobinLine", GO_LINE_CALL, false,
				ret_line, what);
	ips[0] = ret;
	ips[1] = ret_line;
	if (ASSERT_OK(lw_symbolizer__resolve_stack(s, ips, 2, &st, &n), what) &&
	    ASSERT_EQ(n, 4, what)) {
		expect_go_frame(&st[0], "main.gobinInlB", GO_LINE_INL_B, true,
				ret, what);
		expect_go_frame(&st[2], "main.gobinInl", GO_LINE_INL, false,
				ret, what);
		expect_go_frame(&st[3], "main.gobinLine", GO_LINE_CALL, false,
				ret_line, what);
	}
	free(st);
}

/*
 * One Go fixture and its stripped twin.  In the stripped one (neither
 * .symtab nor DWARF: before .gopclntab was read, frames there were only
 * module+offset) a return address into gobinLine is named main.gobinLine
 * at main.go:25, and its entry + 1 at its first line.  Every address of
 * gobinLine resolves to the same function, file and line in both twins,
 * the function being what .symtab of the unstripped one says.  (libdwfl
 * finds no line in Go's DWARF, "address out of range": lines come from
 * .gopclntab in both.)
 */
static void check_go(const char *tag, bool pie)
{
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
	};
	char plain[PATH_MAX], stripped[PATH_MAX], what[PATH_MAX + 32];
	struct lw_symbolizer *su = NULL, *ss = NULL;
	uint64_t entry, end, uentry, uend, mentry, mend, ret, d;
	struct lw_gobin *b = NULL, *ub = NULL;
	struct lw_frame fu, fs;
	Dwfl_Module *mod = NULL;
	Dwfl *dwfl = NULL;
	const char *dname;
	int bad = 0;

	go_fixture(plain, sizeof(plain), tag, pie, false);
	go_fixture(stripped, sizeof(stripped), tag, pie, true);
	if (!ASSERT_OK(lw_gobin__open(stripped, &b), stripped) ||
	    !ASSERT_OK(lw_gobin__open(plain, &ub), plain))
		goto out;
	ASSERT_FALSE(lw_gobin__has_symtab(b), "stripped: no .symtab");
	ASSERT_FALSE(lw_gobin__has_dwarf(b), "stripped: no DWARF");
	ASSERT_TRUE(lw_gobin__has_dwarf(ub), "unstripped: DWARF");
	if (!ASSERT_OK(lw_gobin__find_func(b, "main.gobinLine", &entry, &end),
		       "gobinLine") ||
	    !ASSERT_OK(lw_gobin__find_func(ub, "main.gobinLine", &uentry,
					   &uend),
		       "unstripped gobinLine") ||
	    !ASSERT_OK(lw_gobin__find_func(b, "main.gobinMarker", &mentry,
					   &mend),
		       "gobinMarker") ||
	    !ASSERT_U64_EQ(end - entry, uend - uentry, "gobinLine size"))
		goto out;
	ss = lw_symbolizer__new_file(stripped);
	su = lw_symbolizer__new_file(plain);
	dwfl = dwfl_begin(&cb);
	if (dwfl) {
		dwfl_report_begin(dwfl);
		mod = dwfl_report_elf(dwfl, plain, plain, -1, 0, true);
		(void)dwfl_report_end(dwfl, NULL, NULL);
	}
	if (!ASSERT_NOT_NULL(ss, "new_file stripped") ||
	    !ASSERT_NOT_NULL(su, "new_file unstripped") ||
	    !ASSERT_NOT_NULL(mod, "libdwfl on the unstripped twin"))
		goto out;

	ret = go_return_address(stripped, entry, end, mentry);
	if (!ASSERT_TRUE(ret != 0, "call gobinMarker in gobinLine"))
		goto out;
	snprintf(what, sizeof(what), "%s: return into gobinLine", stripped);
	if (ASSERT_OK(lw_symbolizer__resolve(ss, ret, &fs), what)) {
		ASSERT_U64_EQ(fs.addr, ret, what);
		ASSERT_STREQ(fs.function, "main.gobinLine", what);
		ASSERT_STREQ(fs.module, stripped, what);
		ASSERT_U64_EQ(fs.module_offset, ret - 1, what);
		ASSERT_TRUE(ends_with(fs.file, GO_SRC_SUFFIX), what);
		ASSERT_EQ(fs.line, GO_LINE_CALL, what);
		ASSERT_FALSE(fs.inlined, what);
	}
	/* Cached: the same strings again. */
	if (ASSERT_OK(lw_symbolizer__resolve(ss, ret, &fu), what))
		ASSERT_TRUE(fu.function == fs.function && fu.file == fs.file,
			    "cached");
	snprintf(what, sizeof(what), "%s: gobinLine entry", stripped);
	if (ASSERT_OK(lw_symbolizer__resolve(ss, entry + 1, &fs), what)) {
		ASSERT_STREQ(fs.function, "main.gobinLine", what);
		ASSERT_U64_EQ(fs.module_offset, entry, what);
		ASSERT_TRUE(ends_with(fs.file, GO_SRC_SUFFIX), what);
		ASSERT_EQ(fs.line, GO_LINE_FIRST, what);
	}

	/* Every address of gobinLine as a return address (the byte after
	 * it), in both twins, at the same offset from the entry.  Only the
	 * trailing INT3 padding has no line. */
	for (d = 1; d <= end - entry; d++) {
		int eu = lw_symbolizer__resolve(su, uentry + d, &fu);
		int es = lw_symbolizer__resolve(ss, entry + d, &fs);

		dname = dwfl_module_addrname(mod, uentry + d - 1);
		/* .symtab's size leaves the INT3 padding out. */
		if (eu || es || strcmp(fs.function, "main.gobinLine") ||
		    strcmp(fu.function, fs.function) || fu.line != fs.line ||
		    strcmp(fu.file ?: "", fs.file ?: "") ||
		    fu.module_offset - uentry != fs.module_offset - entry ||
		    (fs.file ? !ends_with(fs.file, GO_SRC_SUFFIX) ||
				       fs.line < GO_LINE_FIRST ||
				       fs.line > GO_LINE_LAST ||
				       strcmp(dname ?: "", fs.function)
			     : d < 8)) {
			if (!bad)
				fprintf(stderr,
					"  %s +%" PRIu64 ": %s %s:%d, stripped "
					"%s %s:%d, .symtab %s\n",
					tag, d, fu.function ?: "?",
					fu.file ?: "?", fu.line,
					fs.function ?: "?", fs.file ?: "?",
					fs.line, dname ?: "?");
			bad++;
		}
	}
	snprintf(what, sizeof(what), "%s%s: gobinLine twins and .symtab", tag,
		 pie ? " pie" : "");
	ASSERT_EQ(bad, 0, what);
	check_go_inline(ss, b, stripped, ret, mentry);
out:
	if (dwfl)
		dwfl_end(dwfl);
	lw_symbolizer__free(su);
	lw_symbolizer__free(ss);
	lw_gobin__free(ub);
	lw_gobin__free(b);
}

static void test_go(void)
{
	const char *envs[] = {"LW_GO_TAGS", "LW_GO_PIE_TAGS"};
	char tags[256], *save = NULL, *tag;
	const char *env;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		env = getenv(envs[i]);
		snprintf(tags, sizeof(tags), "%s", env ? env : "");
		for (tag = strtok_r(tags, ",", &save); tag;
		     tag = strtok_r(NULL, ",", &save)) {
			check_go(tag, i == 1);
			n++;
		}
	}
	if (!n)
		printf("no Go toolchains: Go symbolization not tested\n");
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_demangle),
		LWT_CASE(test_file_dwarf),
		LWT_CASE(test_file_debuglink),
		LWT_CASE(test_file_stripped),
		LWT_CASE(test_file_cxx),
		LWT_CASE(test_live),
		LWT_CASE(test_live_deleted),
		LWT_CASE(test_no_process),
		LWT_CASE(test_go),
	};

	/* A fixture that dies must not kill us through a pipe write. */
	signal(SIGPIPE, SIG_IGN);
	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
