/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/allocators.c on the real libraries of this machine,
 * static glibc and musl fixtures, and live fixture processes (with and
 * without LD_PRELOADed jemalloc).  Fixtures: fixtures_allocators.cmake.
 */
#define _GNU_SOURCE /* pipe2, RTLD_NOLOAD */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocators.h"
#include "leakwatch/alloc_events.h"
#include "lwtest.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define JEMALLOC LIBDIR "libjemalloc.so.2"
#define TCMALLOC LIBDIR "libtcmalloc_minimal.so.4"
#define LIBSTDCXX LIBDIR "libstdc++.so.6"

extern char **environ;

static const char *const new_names[] = {
	"_Znwm",
	"_Znam",
	"_ZnwmRKSt9nothrow_t",
	"_ZnamRKSt9nothrow_t",
	"_ZnwmSt11align_val_t",
	"_ZnamSt11align_val_t",
	"_ZnwmSt11align_val_tRKSt9nothrow_t",
	"_ZnamSt11align_val_tRKSt9nothrow_t",
};

static const char *const delete_names[] = {
	"_ZdlPv",
	"_ZdaPv",
	"_ZdlPvm",
	"_ZdaPvm",
	"_ZdlPvRKSt9nothrow_t",
	"_ZdaPvRKSt9nothrow_t",
	"_ZdlPvSt11align_val_t",
	"_ZdaPvSt11align_val_t",
	"_ZdlPvmSt11align_val_t",
	"_ZdaPvmSt11align_val_t",
	"_ZdlPvSt11align_val_tRKSt9nothrow_t",
	"_ZdaPvSt11align_val_tRKSt9nothrow_t",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char fixture_dir[PATH_MAX];

static void init_fixture_dir(void)
{
	const char *env = getenv("LW_FIXTURE_DIR");
	char *slash;
	ssize_t n;

	if (env) {
		snprintf(fixture_dir, sizeof(fixture_dir), "%s", env);
		return;
	}
	/* Run by hand: the fixtures sit next to the test binary. */
	n = readlink("/proc/self/exe", fixture_dir, sizeof(fixture_dir) - 1);
	if (n < 0)
		n = 0;
	fixture_dir[n] = '\0';
	slash = strrchr(fixture_dir, '/');
	if (slash)
		*slash = '\0';
}

static void fixture_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fixture_dir, name);

	/* Too long a build path: an empty path fails the open visibly. */
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

static size_t count_func(const struct lw_probe_set *s, const char *func,
			 const char *module)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->p[i].func, func) &&
		    (!module || !strcmp(s->p[i].module, module)))
			n++;
	return n;
}

static const struct lw_probe_point *get_func(const struct lw_probe_set *s,
					     const char *func,
					     const char *module)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->p[i].func, func) &&
		    (!module || !strcmp(s->p[i].module, module)))
			return &s->p[i];
	return NULL;
}

/* Each name in want[] exactly once, with the table's kind. */
static void expect_once(const struct lw_probe_set *s,
			const char *const *want, size_t n, const char *what)
{
	char msg[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "%s: %s once", what, want[i]);
		ASSERT_EQ(count_func(s, want[i], NULL), 1, msg);
	}
}

static void expect_none(const struct lw_probe_set *s,
			const char *const *names, size_t n, const char *what)
{
	char msg[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "%s: no %s", what, names[i]);
		ASSERT_EQ(count_func(s, names[i], NULL), 0, msg);
	}
}

/* Properties every point of every set must have. */
static void check_common(const struct lw_probe_set *s, const char *what)
{
	char msg[160];
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct lw_probe_point *p = &s->p[i];

		snprintf(msg, sizeof(msg), "%s: %s kind", what, p->func);
		ASSERT_EQ(p->kind, lw_allocators__kind_of(p->func), msg);
		snprintf(msg, sizeof(msg), "%s: %s paths", what, p->func);
		ASSERT_TRUE(p->module && p->attach_path, msg);
		snprintf(msg, sizeof(msg), "%s: %s no alias name", what,
			 p->func);
		ASSERT_TRUE(strncmp(p->func, "__libc_", 7) &&
				    strcmp(p->func, "cfree") &&
				    strcmp(p->func, "__posix_memalign") &&
				    (strncmp(p->func, "tc_", 3) ||
				     !strcmp(p->func,
					     "tc_malloc_skip_new_handler")),
			    msg);
		snprintf(msg, sizeof(msg), "%s: %s size", what, p->func);
		ASSERT_TRUE(p->size > 0, msg);
		/* One point per address and file. */
		for (j = i + 1; j < s->n; j++) {
			snprintf(msg, sizeof(msg), "%s: %s/%s same address",
				 what, p->func, s->p[j].func);
			ASSERT_FALSE(p->vaddr == s->p[j].vaddr &&
					     !strcmp(p->module, s->p[j].module),
				     msg);
		}
	}
}

/*
 * Cross-check against binutils: every point's vaddr is the value of a
 * symbol of that name (readelf -sW), and its file offset is what the
 * PT_LOAD lines of readelf -lW give.  Skipped if readelf is missing.
 */
struct seg {
	uint64_t off, vaddr, filesz;
};

static void check_readelf(const struct lw_probe_set *s, const char *path)
{
	struct seg segs[16];
	size_t nseg = 0, i, j;
	char cmd[PATH_MAX + 64], line[1024], msg[160];
	bool *seen;
	FILE *f;

	if (access("/usr/bin/readelf", X_OK)) {
		fprintf(stderr, "SKIP readelf cross-check: no readelf\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "readelf -lW '%s'", path);
	f = popen(cmd, "r");
	if (!ASSERT_NOT_NULL(f, "popen readelf -l"))
		return;
	while (fgets(line, sizeof(line), f) && nseg < ARRAY_SIZE(segs)) {
		struct seg *g = &segs[nseg];

		if (sscanf(line, " LOAD 0x%" SCNx64 " 0x%" SCNx64
				 " 0x%*x 0x%" SCNx64,
			   &g->off, &g->vaddr, &g->filesz) == 3)
			nseg++;
	}
	pclose(f);
	ASSERT_TRUE(nseg > 0, "readelf LOAD lines");

	for (i = 0; i < s->n; i++) {
		const struct lw_probe_point *p = &s->p[i];
		bool found = false;

		for (j = 0; j < nseg; j++) {
			if (p->vaddr < segs[j].vaddr ||
			    p->vaddr >= segs[j].vaddr + segs[j].filesz)
				continue;
			snprintf(msg, sizeof(msg), "%s: %s offset", path,
				 p->func);
			ASSERT_U64_EQ(p->file_offset,
				      p->vaddr - segs[j].vaddr + segs[j].off,
				      msg);
			found = true;
			break;
		}
		snprintf(msg, sizeof(msg), "%s: %s in a LOAD", path, p->func);
		ASSERT_TRUE(found, msg);
	}

	seen = calloc(s->n + 1, sizeof(*seen));
	if (!ASSERT_NOT_NULL(seen, "calloc"))
		return;
	snprintf(cmd, sizeof(cmd), "readelf -sW --dyn-syms '%s'", path);
	f = popen(cmd, "r");
	if (!ASSERT_NOT_NULL(f, "popen readelf -s")) {
		free(seen);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[512], *at;
		uint64_t value;

		/* "  12: 0000000000098930 620 FUNC GLOBAL DEFAULT 16 malloc" */
		if (sscanf(line, " %*u: %" SCNx64 " %*s %*s %*s %*s %*s %511s",
			   &value, name) != 2)
			continue;
		at = strchr(name, '@');
		if (at)
			*at = '\0';
		for (i = 0; i < s->n; i++)
			if (s->p[i].vaddr == value &&
			    !strcmp(s->p[i].func, name))
				seen[i] = true;
	}
	pclose(f);
	for (i = 0; i < s->n; i++) {
		snprintf(msg, sizeof(msg), "%s: readelf has %s at %#" PRIx64,
			 path, s->p[i].func, s->p[i].vaddr);
		ASSERT_TRUE(seen[i], msg);
	}
	free(seen);
}

static void test_kind_of(void)
{
	ASSERT_EQ(lw_allocators__kind_of("malloc"), LW_K_MALLOC, "malloc");
	ASSERT_EQ(lw_allocators__kind_of("calloc"), LW_K_CALLOC, "calloc");
	ASSERT_EQ(lw_allocators__kind_of("realloc"), LW_K_REALLOC, "realloc");
	ASSERT_EQ(lw_allocators__kind_of("reallocarray"), LW_K_REALLOCARRAY,
		  "reallocarray");
	ASSERT_EQ(lw_allocators__kind_of("free"), LW_K_FREE, "free");
	ASSERT_EQ(lw_allocators__kind_of("posix_memalign"),
		  LW_K_POSIX_MEMALIGN, "posix_memalign");
	ASSERT_EQ(lw_allocators__kind_of("aligned_alloc"), LW_K_MEMALIGN,
		  "aligned_alloc");
	ASSERT_EQ(lw_allocators__kind_of("memalign"), LW_K_MEMALIGN,
		  "memalign");
	ASSERT_EQ(lw_allocators__kind_of("valloc"), LW_K_VALLOC, "valloc");
	ASSERT_EQ(lw_allocators__kind_of("pvalloc"), LW_K_PVALLOC, "pvalloc");
	ASSERT_EQ(lw_allocators__kind_of("__libc_malloc"), LW_K_MALLOC,
		  "__libc_malloc");
	ASSERT_EQ(lw_allocators__kind_of("__posix_memalign"),
		  LW_K_POSIX_MEMALIGN, "__posix_memalign");
	ASSERT_EQ(lw_allocators__kind_of("cfree"), LW_K_FREE, "cfree");
	ASSERT_EQ(lw_allocators__kind_of("tc_malloc"), LW_K_MALLOC,
		  "tc_malloc");
	ASSERT_EQ(lw_allocators__kind_of("_ZnwmSt11align_val_t"), LW_K_MALLOC,
		  "aligned new");
	ASSERT_EQ(lw_allocators__kind_of("_ZdaPvmSt11align_val_t"), LW_K_FREE,
		  "sized aligned delete[]");
	ASSERT_EQ(lw_allocators__kind_of("mallocx"), 0, "mallocx not ours");
	ASSERT_EQ(lw_allocators__kind_of("malloc_usable_size"), 0, "usable");
	ASSERT_EQ(lw_allocators__kind_of("malloc@@GLIBC_2.2.5"), 0,
		  "versioned text");
	ASSERT_EQ(lw_allocators__kind_of(""), 0, "empty");
	ASSERT_EQ(lw_allocators__kind_of(NULL), 0, "NULL");
}

static void test_libc(void)
{
	static const char *const want[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free",
		"posix_memalign", "valloc", "pvalloc",
	};
	struct lw_probe_set s = { 0 };
	const struct lw_probe_point *a, *m;

	if (!ASSERT_OK(lw_allocators__find_in_file(LIBC, &s), "find"))
		return;
	expect_once(&s, want, ARRAY_SIZE(want), "libc");
	/* glibc 2.36: aligned_alloc and memalign are one function. */
	a = get_func(&s, "aligned_alloc", NULL);
	m = get_func(&s, "memalign", NULL);
	ASSERT_EQ(count_func(&s, "aligned_alloc", NULL) +
			  count_func(&s, "memalign", NULL),
		  a && m && a->vaddr != m->vaddr ? 2 : 1, "memalign group");
	ASSERT_EQ(s.n, ARRAY_SIZE(want) + 1, "nothing else");
	ASSERT_STREQ(s.p[0].module, LIBC, "module");
	ASSERT_STREQ(s.p[0].attach_path, LIBC, "attach path");
	check_common(&s, "libc");
	check_readelf(&s, LIBC);
	lw_probe_set__free(&s);
	ASSERT_EQ(s.n, 0, "freed");
}

static void test_jemalloc(void)
{
	static const char *const want[] = {
		"malloc", "calloc", "realloc", "free", "posix_memalign",
		"aligned_alloc", "memalign", "valloc",
	};
	/* jemalloc 5.3 has neither; its mallocx family is not probed. */
	static const char *const absent[] = { "pvalloc", "reallocarray" };
	struct lw_probe_set s = { 0 };

	if (!ASSERT_OK(lw_allocators__find_in_file(JEMALLOC, &s), "find"))
		return;
	expect_once(&s, want, ARRAY_SIZE(want), "jemalloc");
	expect_once(&s, new_names, ARRAY_SIZE(new_names), "jemalloc");
	expect_once(&s, delete_names, ARRAY_SIZE(delete_names), "jemalloc");
	expect_none(&s, absent, ARRAY_SIZE(absent), "jemalloc");
	ASSERT_EQ(s.n,
		  ARRAY_SIZE(want) + ARRAY_SIZE(new_names) +
			  ARRAY_SIZE(delete_names),
		  "nothing else");
	check_common(&s, "jemalloc");
	check_readelf(&s, JEMALLOC);
	lw_probe_set__free(&s);
}

static void test_tcmalloc(void)
{
	/* One name per address; the rest (tc_*, _Znam, _ZdaPv...) alias. */
	static const char *const want[] = {
		"malloc",
		"calloc",
		"realloc",
		"free", /* also _ZdlPv, _ZdaPv, cfree, tc_free, tc_delete */
		"posix_memalign",
		"aligned_alloc", /* also memalign, tc_memalign */
		"valloc",
		"pvalloc",
		"_Znwm", /* also _Znam */
		"_ZnwmRKSt9nothrow_t",
		"_ZnwmSt11align_val_t",
		"_ZnwmSt11align_val_tRKSt9nothrow_t",
		"_ZdlPvm",
		"_ZdlPvRKSt9nothrow_t",
		"_ZdlPvSt11align_val_t",
		"_ZdlPvmSt11align_val_t",
		"_ZdlPvSt11align_val_tRKSt9nothrow_t",
		"tc_malloc_skip_new_handler",
	};
	static const char *const absent[] = {
		"memalign", "reallocarray", "_Znam", "_ZdlPv", "_ZdaPv",
		"_ZdaPvm", "tc_malloc", "tc_free",
	};
	struct lw_probe_set s = { 0 };

	if (!ASSERT_OK(lw_allocators__find_in_file(TCMALLOC, &s), "find"))
		return;
	expect_once(&s, want, ARRAY_SIZE(want), "tcmalloc");
	expect_none(&s, absent, ARRAY_SIZE(absent), "tcmalloc");
	ASSERT_EQ(s.n, ARRAY_SIZE(want), "nothing else");
	check_common(&s, "tcmalloc");
	check_readelf(&s, TCMALLOC);
	lw_probe_set__free(&s);
}

static void test_libstdcxx(void)
{
	struct lw_probe_set s = { 0 };

	if (!ASSERT_OK(lw_allocators__find_in_file(LIBSTDCXX, &s), "find"))
		return;
	/* libstdc++'s operator delete only calls free(), which is probed
	 * itself: its deletes are left out, its news are probed. */
	expect_once(&s, new_names, ARRAY_SIZE(new_names), "libstdc++");
	expect_none(&s, delete_names, ARRAY_SIZE(delete_names), "libstdc++");
	ASSERT_EQ(s.n, ARRAY_SIZE(new_names), "only new");
	check_common(&s, "libstdc++");
	check_readelf(&s, LIBSTDCXX);
	lw_probe_set__free(&s);
}

static void test_bad_files(void)
{
	char path[] = "/tmp/lw_allocators_XXXXXX";
	struct lw_probe_set s = { 0 };
	uint64_t off = 0;
	int fd;

	ASSERT_EQ(lw_allocators__find_in_file("/nonexistent/lw", &s), -ENOENT,
		  "missing");
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	ASSERT_EQ(write(fd, "not an ELF file\n", 16), 16, "write");
	ASSERT_EQ(lw_allocators__find_in_file(path, &s), -ENOEXEC, "not ELF");
	ASSERT_EQ(s.n, 0, "no points");
	ASSERT_EQ(lw_elf__vaddr_to_offset(fd, 0x1000, &off), -EINVAL,
		  "vaddr_to_offset not ELF");
	(void)close(fd);
	(void)unlink(path);
	lw_probe_set__free(NULL);
}

static void test_vaddr_to_offset(void)
{
	char path[PATH_MAX];
	uint64_t off = 0;
	int fd;

	/*
	 * readelf -lW alloc_static: LOAD 0x001000 0x401000 ... R E; the
	 * non-PIE static link puts the text segment at 0x401000 with file
	 * offset 0x1000 (gcc -static, ld defaults).
	 */
	fixture_path("alloc_static", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!ASSERT_TRUE(fd >= 0, "open alloc_static"))
		return;
	ASSERT_OK(lw_elf__vaddr_to_offset(fd, 0x401234, &off), "text");
	ASSERT_U64_EQ(off, 0x1234, "text offset");
	ASSERT_EQ(lw_elf__vaddr_to_offset(fd, 0x10, &off), -ENOENT, "below");
	ASSERT_EQ(lw_elf__vaddr_to_offset(fd, 0x7f0000000000ULL, &off),
		  -ENOENT, "above");
	(void)close(fd);
}

/* A running fixture: the names and addresses it printed, then "ready". */
struct child {
	pid_t pid;
	int in_fd;
	size_t n;
	char names[16][32];
	uint64_t addrs[16];
};

static int spawn(const char *path, const char *preload, struct child *c)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	char line[128], env_preload[PATH_MAX + 16];
	char *envp[2] = { NULL, NULL };
	char *argv[2] = { (char *)path, NULL };
	FILE *f = NULL;
	int err = -EIO;

	memset(c, 0, sizeof(*c));
	c->in_fd = -1;
	if (preload) {
		snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s",
			 preload);
		envp[0] = env_preload;
	}
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		goto err_out;
	c->pid = fork();
	if (c->pid < 0)
		goto err_out;
	if (c->pid == 0) {
		/* dup2 clears O_CLOEXEC on the copies. */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(126);
		execve(path, argv, preload ? envp : environ);
		_exit(127);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	in[0] = out[1] = -1;
	c->in_fd = in[1];
	f = fdopen(out[0], "r");
	if (!f)
		goto err_out;
	out[0] = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "ready\n")) {
			err = 0;
			break;
		}
		if (c->n < ARRAY_SIZE(c->addrs) &&
		    sscanf(line, "%31s %" SCNx64, c->names[c->n],
			   &c->addrs[c->n]) == 2)
			c->n++;
	}
	fclose(f);
	return err;

err_out:
	if (f)
		fclose(f);
	if (in[0] >= 0)
		(void)close(in[0]);
	if (out[0] >= 0)
		(void)close(out[0]);
	if (out[1] >= 0)
		(void)close(out[1]);
	return err;
}

/* Close its stdin and reap it; it exits 0 if all went well. */
static int reap(struct child *c)
{
	int status = 0;

	if (c->in_fd >= 0)
		(void)close(c->in_fd);
	c->in_fd = -1;
	if (c->pid <= 0)
		return -ECHILD;
	if (waitpid(c->pid, &status, 0) < 0)
		return -errno;
	c->pid = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * The point whose code the kernel mapped at addr in the live process: a
 * point in the mapping's file whose file offset is the one that maps to
 * addr.  This uses only the kernel's view (maps) and the address the
 * dynamic linker bound, not the ELF headers allocators.c reads.
 */
static const struct lw_probe_point *point_at(const struct lw_probe_set *s,
					     const struct lw_maps *m,
					     uint64_t addr)
{
	const struct lw_vma *v = lw_maps__find(m, addr);
	uint64_t off;
	size_t i;

	if (!v || !v->path)
		return NULL;
	off = addr - v->start + v->offset;
	for (i = 0; i < s->n; i++)
		if (s->p[i].file_offset == off &&
		    !strcmp(s->p[i].module, v->path))
			return &s->p[i];
	return NULL;
}

/* Same, and the name is the printed one or an alias of it. */
static void check_printed(const struct child *c, const struct lw_probe_set *s,
			  const struct lw_maps *m, const char *what)
{
	const struct lw_probe_point *p;
	char msg[160];
	size_t i;

	ASSERT_TRUE(c->n > 0, "fixture printed addresses");
	for (i = 0; i < c->n; i++) {
		p = point_at(s, m, c->addrs[i]);
		snprintf(msg, sizeof(msg), "%s: point at printed %s %#" PRIx64,
			 what, c->names[i], c->addrs[i]);
		if (!ASSERT_NOT_NULL(p, msg))
			continue;
		snprintf(msg, sizeof(msg), "%s: %s named %s", what,
			 c->names[i], p->func);
		ASSERT_TRUE(!strcmp(p->func, c->names[i]) ||
				    (!strcmp(c->names[i], "memalign") &&
				     !strcmp(p->func, "aligned_alloc")),
			    msg);
		snprintf(msg, sizeof(msg), "%s: %s kind", what, c->names[i]);
		ASSERT_EQ(p->kind, lw_allocators__kind_of(c->names[i]), msg);
	}
}

static void check_attach_paths(const struct lw_probe_set *s,
			       const char *what)
{
	char msg[PATH_MAX + 64];
	size_t i;

	for (i = 0; i < s->n; i++) {
		snprintf(msg, sizeof(msg), "%s: open %s", what,
			 s->p[i].attach_path);
		ASSERT_OK(access(s->p[i].attach_path, R_OK), msg);
	}
}

/*
 * Static fixtures: find_in_file on the binary, then the same binary
 * running, whose printed addresses must land on our points.
 */
static void check_static(const char *name, const char *const *want,
			 size_t nwant)
{
	struct lw_probe_set s = { 0 }, live = { 0 };
	struct lw_maps m = { 0 };
	struct child c;
	char path[PATH_MAX];

	fixture_path(name, path, sizeof(path));
	if (!ASSERT_OK(lw_allocators__find_in_file(path, &s), name))
		return;
	expect_once(&s, want, nwant, name);
	ASSERT_EQ(s.n, nwant, "nothing else");
	check_common(&s, name);
	check_readelf(&s, path);

	if (ASSERT_OK(spawn(path, NULL, &c), "spawn") &&
	    ASSERT_OK(lw_maps__read(c.pid, &m), "maps") &&
	    ASSERT_OK(lw_allocators__find(c.pid, &m, &live), "find live")) {
		ASSERT_EQ(live.n, s.n, "live = file");
		check_printed(&c, &live, &m, name);
		check_attach_paths(&live, name);
	}
	ASSERT_OK(reap(&c), "fixture exit");
	lw_maps__free(&m);
	lw_probe_set__free(&live);
	lw_probe_set__free(&s);
}

static void test_static_glibc(void)
{
	/* memalign is aligned_alloc's alias in glibc 2.36. */
	static const char *const want[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free",
		"posix_memalign", "aligned_alloc", "valloc", "pvalloc",
	};

	check_static("alloc_static", want, ARRAY_SIZE(want));
}

static void test_static_musl(void)
{
	/*
	 * musl 1.2.3: memalign is its own 5-byte function (a tail jump to
	 * aligned_alloc), there is no pvalloc, and the hidden
	 * __libc_malloc stub must not show up.
	 */
	static const char *const want[] = {
		"malloc", "calloc", "realloc", "reallocarray", "free",
		"posix_memalign", "aligned_alloc", "memalign", "valloc",
	};
	char path[PATH_MAX];

	fixture_path("alloc_musl", path, sizeof(path));
	if (access(path, X_OK)) {
		fprintf(stderr, "SKIP %s: no musl fixture (musl-gcc)\n",
			lwt_current);
		return;
	}
	check_static("alloc_musl", want, ARRAY_SIZE(want));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static size_t count_module(const struct lw_probe_set *s, const char *suffix)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (ends_with(s->p[i].module, suffix))
			n++;
	return n;
}

/*
 * A dynamic fixture running (optionally with LD_PRELOAD): points in libc
 * (and in the preloaded library), none in the executable unless it
 * defines allocator functions itself, and every printed address (what
 * the dynamic linker bound) lands on a point.
 */
static void check_live(const char *name, const char *preload,
		       size_t want_exe)
{
	struct lw_probe_set s = { 0 };
	struct lw_maps m = { 0 };
	char path[PATH_MAX], exe[PATH_MAX], link[64];
	struct child c;
	ssize_t n;

	fixture_path(name, path, sizeof(path));
	if (!ASSERT_OK(spawn(path, preload, &c), "spawn"))
		goto out;
	snprintf(link, sizeof(link), "/proc/%d/exe", c.pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (!ASSERT_TRUE(n > 0, "readlink exe"))
		goto out;
	exe[n] = '\0';
	if (!ASSERT_OK(lw_maps__read(c.pid, &m), "maps") ||
	    !ASSERT_OK(lw_allocators__find(c.pid, &m, &s), "find"))
		goto out;

	ASSERT_TRUE(count_module(&s, "/libc.so.6") >= 9, "libc points");
	ASSERT_EQ(count_func(&s, "malloc", NULL),
		  1 + (preload ? 1 : 0) + (want_exe ? 1 : 0), "malloc count");
	if (preload)
		ASSERT_EQ(count_module(&s, "/libjemalloc.so.2"), 28,
			  "jemalloc points");
	ASSERT_EQ(count_module(&s, exe), want_exe, "exe points");
	if (want_exe) {
		ASSERT_NOT_NULL(get_func(&s, "malloc", exe), "exe malloc");
		ASSERT_NOT_NULL(get_func(&s, "free", exe), "exe free");
	}
	check_common(&s, name);
	check_printed(&c, &s, &m, name);
	check_attach_paths(&s, name);
	if (preload) {
		/* The preloaded malloc is the one bound. */
		const struct lw_probe_point *p = point_at(&s, &m, c.addrs[0]);

		ASSERT_STREQ(c.names[0], "malloc", "first printed");
		ASSERT_TRUE(p && ends_with(p->module, "/libjemalloc.so.2"),
			    "malloc bound in jemalloc");
	}
out:
	ASSERT_OK(reap(&c), "fixture exit");
	lw_maps__free(&m);
	lw_probe_set__free(&s);
}

static void test_live_dynamic(void)
{
	check_live("alloc_dyn", NULL, 0);
}

static void test_live_jemalloc_preload(void)
{
	check_live("alloc_dyn", JEMALLOC, 0);
}

static void test_live_own_malloc(void)
{
	check_live("alloc_own", NULL, 4);
}

/*
 * The test process itself: libc's malloc as dlsym() finds it (ASan, when
 * built in, interposes the global one) must be a point of our own maps.
 */
static void test_live_self(void)
{
	static const char *const fns[] = { "malloc", "free", "calloc",
					   "realloc", "posix_memalign" };
	struct lw_probe_set s = { 0 };
	struct lw_maps m = { 0 };
	const struct lw_probe_point *p;
	char msg[64];
	void *libc, *addr;
	size_t i;

	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!ASSERT_NOT_NULL(libc, "dlopen libc"))
		return;
	if (!ASSERT_OK(lw_maps__read(getpid(), &m), "maps") ||
	    !ASSERT_OK(lw_allocators__find(getpid(), &m, &s), "find"))
		goto out;
	for (i = 0; i < ARRAY_SIZE(fns); i++) {
		addr = dlsym(libc, fns[i]);
		snprintf(msg, sizeof(msg), "dlsym %s", fns[i]);
		if (!ASSERT_NOT_NULL(addr, msg))
			continue;
		p = point_at(&s, &m, (uint64_t)(uintptr_t)addr);
		snprintf(msg, sizeof(msg), "self %s", fns[i]);
		if (ASSERT_NOT_NULL(p, msg)) {
			ASSERT_STREQ(p->func, fns[i], msg);
			ASSERT_TRUE(ends_with(p->module, "/libc.so.6"), msg);
		}
	}
	check_common(&s, "self");
out:
	lw_maps__free(&m);
	lw_probe_set__free(&s);
	dlclose(libc);
}

static void test_gone_and_empty(void)
{
	static const char maps_text[] =
		"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/nope\n"
		"00e03000-00e24000 rw-p 00000000 00:00 0 [heap]\n"
		"7ffd1234f000-7ffd12351000 r-xp 00000000 00:00 0 [vdso]\n";
	struct lw_probe_set s = { 0 };
	struct lw_maps m = { 0 };

	if (!ASSERT_OK(lw_maps__parse(maps_text, &m), "parse"))
		return;
	ASSERT_EQ(lw_allocators__find(0x7ffffff0, &m, &s), -ESRCH, "gone");
	ASSERT_EQ(s.n, 0, "no points");
	/* Only anonymous and special mappings: nothing to open, no error. */
	ASSERT_OK(lw_allocators__find(0x7ffffff0,
				      &(struct lw_maps){ m.v + 1, 2 }, &s),
		  "no files");
	ASSERT_EQ(s.n, 0, "nothing found");
	lw_maps__free(&m);
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_kind_of),
		LWT_CASE(test_libc),
		LWT_CASE(test_jemalloc),
		LWT_CASE(test_tcmalloc),
		LWT_CASE(test_libstdcxx),
		LWT_CASE(test_bad_files),
		LWT_CASE(test_vaddr_to_offset),
		LWT_CASE(test_static_glibc),
		LWT_CASE(test_static_musl),
		LWT_CASE(test_live_dynamic),
		LWT_CASE(test_live_jemalloc_preload),
		LWT_CASE(test_live_own_malloc),
		LWT_CASE(test_live_self),
		LWT_CASE(test_gone_and_empty),
	};

	/* A fixture dying early must fail a check, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	init_fixture_dir();
	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
