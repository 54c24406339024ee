/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Unit tests for src/go/gobin.c against fixtures/gobin built by every Go
 * toolchain the build found (LW_GO_TAGS, binaries in LW_GO_FIXTURE_DIR as
 * gobin-<tag> and gobin-<tag>-stripped): version, pclntab lookups, runtime
 * variables in stripped binaries versus .symtab, and runtime.g layouts.
 * Also released esbuild binaries (stripped Go built by others, fetched by
 * scripts/esbuild-fetch.sh) for the Go versions we have no toolchain for:
 * their rows of the layout table are checked against their own code.
 */
#include "lwtest.h"

#include "go/gobin.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
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

/* ---- esbuild: Go versions without a toolchain here ---- */

/* One memory operand of one instruction: [base + disp], not stack or
 * RIP-relative. */
struct memop {
	int64_t disp;
	uint8_t size;
	bool write, lea;
	x86_reg src; /* the register stored, for a MOV to memory */
};

/* The memory operands of function name in the file at path (link-time
 * addresses of a non-PIE), at most max.  -1 on error. */
static int func_memops(const struct lw_gobin *b, const char *path,
		       const char *name, struct memop *ops, int max)
{
	uint64_t entry, end, addr;
	const uint8_t *code;
	uint8_t *buf = NULL;
	size_t left, i, nph;
	cs_insn *in = NULL;
	Elf *elf = NULL;
	csh h = 0;
	int fd, n = -1;

	if (lw_gobin__find_func(b, name, &entry, &end))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nph))
		goto out;
	buf = malloc(end - entry);
	for (i = 0; buf && i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    entry < ph.p_vaddr || end > ph.p_vaddr + ph.p_filesz)
			continue;
		if (pread(fd, buf, end - entry,
			  (off_t)(ph.p_offset + entry - ph.p_vaddr)) ==
		    (ssize_t)(end - entry))
			n = 0;
		break;
	}
	if (n < 0 || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
		n = -1;
		goto out;
	}
	(void)cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	code = buf;
	left = end - entry;
	addr = entry;
	while (in && cs_disasm_iter(h, &code, &left, &addr, in)) {
		const cs_x86 *x = &in->detail->x86;
		int k;

		for (k = 0; k < x->op_count && n < max; k++) {
			const cs_x86_op *op = &x->operands[k];

			if (op->type != X86_OP_MEM || op->mem.base == X86_REG_RSP ||
			    op->mem.base == X86_REG_RIP ||
			    op->mem.base == X86_REG_INVALID ||
			    op->mem.segment != X86_REG_INVALID)
				continue;
			ops[n] = (struct memop){
				.disp = op->mem.disp,
				.size = op->size,
				.write = !!(op->access & CS_AC_WRITE),
				.lea = in->id == X86_INS_LEA,
				.src = in->id == X86_INS_MOV && k == 0 &&
						       x->op_count == 2 &&
						       x->operands[1].type ==
							       X86_OP_REG ?
					       x->operands[1].reg :
					       X86_REG_INVALID,
			};
			n++;
		}
	}
out:
	if (in)
		cs_free(in, 1);
	if (h)
		cs_close(&h);
	if (elf)
		elf_end(elf);
	free(buf);
	(void)close(fd);
	return n;
}

/* Is there an access of size bytes at disp (write or read, or a LEA)? */
static bool has_op(const struct memop *ops, int n, uint32_t disp, int size,
		   int kind)
{
	int i;

	for (i = 0; i < n; i++) {
		if (ops[i].disp != disp || (size && ops[i].size != size))
			continue;
		if ((kind == 'w' && ops[i].write && !ops[i].lea) ||
		    (kind == 'r' && !ops[i].write && !ops[i].lea) ||
		    (kind == 'l' && ops[i].lea))
			return true;
	}
	return false;
}

/*
 * The table row of a Go version we have no toolchain for, checked against
 * what that version's runtime code does with each field (Go's sources of
 * the version name the same fields; the offsets are the compiler's):
 *  - mcall saves the caller's pc, sp and rbp into g.sched (rbp itself is
 *    stored at sched.bp);
 *  - newproc1 stores newg.sched.sp, gopc, ancestors (gopc + 8), startpc
 *    and goid;
 *  - gopark reads the status (32 bits) and stores the wait reason (8);
 *  - reentersyscall stores syscallsp and syscallpc;
 *  - markroot tests and sets waitsince;
 *  - (*bucket).mp tests typ, reads nstk and skips the header;
 *  - mProf_FlushLocked adds a cycle into memRecord.active.
 */
static void check_layout_code(struct lw_gobin *b, const char *path,
			      const char *ver, const struct lw_go_layout *l)
{
	struct memop *ops = calloc(4096, sizeof(*ops));
	char what[160];
	int n, i;
	bool bp_saved = false;

	if (!ASSERT_NOT_NULL(ops, "calloc"))
		return;
#define CODE(fn)                                                               \
	(n = func_memops(b, path, fn, ops, 4096),                              \
	 snprintf(what, sizeof(what), "%s %s", ver, fn),                        \
	 ASSERT_TRUE(n > 0, what))
#define HAS(disp, size, kind, field)                                           \
	do {                                                                   \
		snprintf(what, sizeof(what), "%s: %s at %u", ver, field,       \
			 (unsigned)(disp));                                    \
		ASSERT_TRUE(has_op(ops, n, disp, size, kind), what);           \
	} while (0)
	if (CODE("runtime.mcall")) {
		for (i = 0; i < n; i++)
			if (ops[i].write && ops[i].src == X86_REG_RBP &&
			    ops[i].disp == l->g_sched_bp)
				bp_saved = true;
		snprintf(what, sizeof(what), "%s: mcall stores rbp at %u", ver,
			 l->g_sched_bp);
		ASSERT_TRUE(bp_saved, what);
		HAS(l->g_sched_sp, 8, 'w', "sched.sp");
		HAS(l->g_sched_pc, 8, 'w', "sched.pc");
	}
	if (CODE("runtime.newproc1")) {
		HAS(l->g_sched_sp, 8, 'w', "newg.sched.sp");
		HAS(l->g_gopc, 8, 'w', "newg.gopc");
		HAS(l->g_gopc + 8, 8, 'w', "newg.ancestors");
		HAS(l->g_startpc, 8, 'w', "newg.startpc");
		HAS(l->g_goid, 8, 'w', "newg.goid");
	}
	if (CODE("runtime.gopark")) {
		HAS(l->g_atomicstatus, 4, 'r', "readgstatus(gp)");
		HAS(l->g_waitreason, 1, 'w', "gp.waitreason");
	}
	if (CODE("runtime.reentersyscall")) {
		HAS(l->g_syscallsp, 8, 'w', "syscallsp");
		HAS(l->g_syscallpc, 8, 'w', "syscallpc");
	}
	if (CODE("runtime.markroot")) {
		HAS(l->g_waitsince, 8, 'r', "waitsince test");
		HAS(l->g_waitsince, 8, 'w', "waitsince set");
	}
	if (CODE("runtime.(*bucket).mp")) {
		HAS(l->bucket_typ, 8, 'r', "bucket.typ");
		HAS(l->bucket_nstk, 8, 'r', "bucket.nstk");
		HAS(l->bucket_hdr_size, 0, 'l', "bucket header size");
	}
	if (CODE("runtime.mProf_FlushLocked")) {
		HAS(l->memrecord_active_allocs, 8, 'w', "active.allocs");
		HAS(l->memrecord_active_frees, 8, 'w', "active.frees");
		HAS(l->memrecord_active_alloc_bytes, 8, 'w',
		    "active.alloc_bytes");
		HAS(l->memrecord_active_free_bytes, 8, 'w',
		    "active.free_bytes");
	}
#undef CODE
#undef HAS
	free(ops);
}

/* scripts/esbuild-fetch.sh's pins, and what their build info says. */
static const struct {
	const char *esbuild, *go;
	int minor;
	bool row_from_code; /* no toolchain: check the row against code */
} esbuilds[] = {
	{"0.11.23", "go1.16.3", 16, true}, {"0.13.15", "go1.17.2", 17, true},
	{"0.14.49", "go1.18.3", 18, true}, {"0.18.20", "go1.20.7", 20, true},
	{"0.28.2", "go1.26.5", 26, false},
};

static void test_esbuild(void)
{
	const char *dir = getenv("LW_ESBUILD_CACHE");
	char path[PATH_MAX], what[128];
	struct lw_go_layout l;
	struct lw_gofunc f;
	uint64_t entry, end, a;
	size_t i, k;
	int found = 0;

	if (!dir || !*dir)
		dir = "/var/cache/leakwatch/esbuild";
	for (i = 0; i < sizeof(esbuilds) / sizeof(esbuilds[0]); i++) {
		struct lw_gobin *b = NULL;

		snprintf(path, sizeof(path), "%s/%s/esbuild", dir,
			 esbuilds[i].esbuild);
		if (access(path, R_OK))
			continue;
		found++;
		if (!ASSERT_OK(lw_gobin__open(path, &b), path))
			continue;
		ASSERT_STREQ(lw_gobin__version(b), esbuilds[i].go, path);
		ASSERT_FALSE(lw_gobin__has_symtab(b), "esbuild is stripped");
		ASSERT_TRUE(lw_gobin__func_count(b) > 5000, "func count");
		snprintf(what, sizeof(what), "%s net/http.(*conn).serve",
			 esbuilds[i].go);
		if (ASSERT_OK(lw_gobin__find_func(b, "net/http.(*conn).serve",
						  &entry, &end),
			      what) &&
		    ASSERT_OK(lw_gobin__lookup_pc(b, entry, &f), what)) {
			ASSERT_STREQ(f.name, "net/http.(*conn).serve", what);
			ASSERT_STREQ(f.file, "net/http/server.go", what);
			ASSERT_TRUE(f.line > 0, what);
			ASSERT_U64_EQ(f.entry, entry, what);
		}
		for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++) {
			/* Go 1.16: allgs only (no forEachGRace). */
			if (esbuilds[i].minor == 16 &&
			    (!strcmp(vars[k], "runtime.allglen") ||
			     !strcmp(vars[k], "runtime.allgptr")))
				continue;
			snprintf(what, sizeof(what), "%s %s", esbuilds[i].go,
				 vars[k]);
			ASSERT_OK(lw_gobin__find_var(b, vars[k], &a), what);
		}
		snprintf(what, sizeof(what), "%s layout", esbuilds[i].go);
		if (ASSERT_OK(lw_gobin__layout(b, &l), what) &&
		    esbuilds[i].row_from_code)
			check_layout_code(b, path, esbuilds[i].go, &l);
		lw_gobin__free(b);
	}
	if (!found)
		printf("no esbuild binaries in %s (scripts/esbuild-fetch.sh): their checks did not run\n",
		       dir);
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
	ASSERT_EQ(lw_go_layout_for_version(1, 15, &l), -ENOENT, "no 1.15 row");
	ASSERT_EQ(lw_go_layout_for_version(2, 0, &l), -ENOENT, "go2");
}

int main(void)
{
	static const struct lwt_case cases[] = {
		LWT_CASE(test_not_go),
		LWT_CASE(test_go_fixtures),
		LWT_CASE(test_esbuild),
	};

	return lw_test_main(cases, sizeof(cases) / sizeof(cases[0]));
}
