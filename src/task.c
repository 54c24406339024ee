/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * Thread probes, userspace half: skeleton lifetime, the ring-buffer
 * decoder, creation stacks unwound from the captured registers and stack
 * words (libdwfl with the modules' CFI), the census of live threads by
 * creation stack, and reconciliation with /proc/PID/task.  Pairs with
 * bpf/task.bpf.c.
 */
#define _GNU_SOURCE /* process_vm_readv() */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <elfutils/libdwfl.h>

#include "census.h"
#include "framecheck.h"
#include "hmap.h"
#include "log.h"
#include "procmaps.h"
#include "stackcheck.h"
#include "symbolize.h"
#include "task.h"
#include "task.skel.h"

#define SAMPLE_NS 250000000ull /* census series period */
#define RECONCILE_NS 2000000000ull /* /proc reconciliation period */
/* A thread in /proc that the census does not know is a lost birth only
 * once it is this old: a younger one's record may still be on its way. */
#define LOST_AGE_NS 1000000000ull
#define DWFL_REFRESH_NS 1000000000ull
#define FRAME_CACHE_MAX (1u << 16)
#define SITE_BEFORE 0 /* census key of threads with no known creation */

struct tstack {
	unsigned nr;
	bool truncated;
	uint64_t ips[LW_MAX_STACK];
};

/* What one thread was doing when last looked at. */
struct tstate {
	char state; /* /proc/.../stat state letter */
	int sysno; /* syscall number, or SYS_* below */
	char wchan[40];
};

#define SYS_RUNNING -1 /* "running": on a CPU, in user space */
#define SYS_NONE -2 /* blocked in the kernel, not in a syscall */
#define SYS_UNKNOWN -3

struct lw_task_probe {
	struct task_bpf *skel;
	struct ring_buffer *rb;
	struct lw_symbolizer *sym;
	struct lw_census *census;
	int pid;
	int err; /* first error met by the ring-buffer callback */
	bool finished;
	uint64_t t0_ns;
	bool rescan; /* an exec: re-read the thread list */
	bool new_image; /* an exec: modules and code caches are stale */
	uint64_t births, deaths;
	uint64_t next_sample, next_reconcile;
	struct lw_task_drops drops; /* copy taken at finish */
	struct lw_hmap *stacks; /* stack id -> struct tstack */
	struct lw_hmap *frame_ok; /* return address -> believable (u8) */
	struct lw_hmap *states; /* tid -> struct tstate */
	bool states_known;
	Dwfl *dwfl;
	uint64_t dwfl_ns;
	const struct lw_trec_new *cur; /* the record being unwound */
	bool leaf; /* unwind from the return address at [sp], see unwind() */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Unwinding the creating thread's stack                              */
/* ------------------------------------------------------------------ */

/* Stack reads come from the words captured at the clone, nothing else:
 * the live stack has moved on since. */
static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			   void *arg)
{
	struct lw_task_probe *p = arg;
	const struct lw_trec_new *r = p->cur;
	uint64_t sp;

	if (!r || r->stack_bytes < 8)
		return false;
	sp = r->regs[7];
	if (addr < sp || addr - sp > r->stack_bytes - 8)
		return false;
	memcpy(result, r->stack + (addr - sp), sizeof(*result));
	return true;
}

static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	return 0; /* threads are only ever asked for by tid */
}

static bool uw_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

static bool uw_set_registers(Dwfl_Thread *thread, void *arg)
{
	struct lw_task_probe *p = arg;
	Dwarf_Word regs[LW_TASK_NR_REGS];
	unsigned i;

	for (i = 0; i < LW_TASK_NR_REGS; i++)
		regs[i] = p->cur->regs[i];
	if (p->leaf) {
		/* Start in the caller, inside its call instruction (an
		 * activation pc is looked up as is, a return address is
		 * not), with the return address popped. */
		if (p->cur->stack_bytes < 8)
			return false;
		memcpy(&regs[16], p->cur->stack, sizeof(regs[16]));
		regs[16] -= 1;
		regs[7] += 8;
	}
	/* DWARF numbers 0-15 are the general registers; the pc apart. */
	if (!dwfl_thread_state_registers(thread, 0, 16, regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[16]);
	return true;
}

static const Dwfl_Thread_Callbacks uw_callbacks = {
	.next_thread = uw_next_thread,
	.get_thread = uw_get_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_registers,
};

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/* (Re)read the process's modules for the unwinder. */
static int open_dwfl(struct lw_task_probe *p)
{
	Dwfl *d = dwfl_begin(&proc_callbacks);

	if (!d)
		return -ENOMEM;
	p->dwfl_ns = mono_ns();
	if (dwfl_linux_proc_report(d, p->pid) ||
	    dwfl_report_end(d, NULL, NULL) ||
	    !dwfl_attach_state(d, NULL, p->pid, &uw_callbacks, p)) {
		dwfl_end(d);
		return -ESRCH;
	}
	dwfl_end(p->dwfl);
	p->dwfl = d;
	return 0;
}

struct unwind {
	uint64_t ips[LW_MAX_STACK];
	unsigned nr;
	bool truncated;
	bool leaf;
};

static int uw_frame(Dwfl_Frame *state, void *arg)
{
	struct unwind *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (u->nr == LW_MAX_STACK) {
		u->truncated = true;
		return DWARF_CB_ABORT;
	}
	/* Frame 0 is the instruction after the syscall, the others return
	 * addresses: both are looked up at - 1 by the symbolizer. */
	if (u->leaf && activation)
		pc += 1; /* back from inside the call to its return address */
	u->ips[u->nr++] = pc;
	return DWARF_CB_OK;
}

static void unwind(struct lw_task_probe *p, const struct lw_trec_new *r,
		   struct unwind *u)
{
	u->nr = 0;
	u->truncated = false;
	u->leaf = false;
	if (!p->dwfl)
		return;
	p->cur = r;
	p->leaf = false;
	/* The end of the stack or of the captured words ends the walk with
	 * an error; the frames up to there are good. */
	(void)dwfl_getthread_frames(p->dwfl, r->parent_tid, uw_frame, u);
	/*
	 * glibc's clone3 ends its unwind info before the syscall (the child
	 * would unwind wrongly), so there is no CFI at the pc.  Such a
	 * syscall wrapper has pushed nothing: its return address is at sp.
	 * Unwind again from there, behind the syscall's own frame.
	 */
	if (u->nr <= 1) {
		u->nr = 1;
		u->ips[0] = r->regs[16];
		u->leaf = true;
		p->leaf = true;
		(void)dwfl_getthread_frames(p->dwfl, r->parent_tid, uw_frame,
					    u);
		p->leaf = false;
	}
	p->cur = NULL;
}

/* A return address is believable if a call instruction precedes it. */
static bool frame_believable(struct lw_task_probe *p, uint64_t ip)
{
	uint8_t code[8], *cached;
	bool ok;

	cached = lw_hmap__get(p->frame_ok, ip);
	if (cached)
		return *cached;
	ok = ip >= 4096 && !lw_read_before(p->pid, ip, code) &&
	     lw_x86_follows_call(code);
	if (lw_hmap__count(p->frame_ok) >= FRAME_CACHE_MAX)
		lw_hmap__clear(p->frame_ok);
	cached = lw_hmap__put(p->frame_ok, ip, NULL);
	if (cached)
		*cached = ok;
	return ok;
}

/*
 * The machinery between the code that asked for a thread and the clone
 * system call: glibc's and musl's pthread_create and clone wrappers, Go's
 * runtime.clone/newosproc (and retryOnEAGAIN around it), and the thread classes of C++ (libstdc++'s
 * std::thread::_M_start_thread and the constructor templates), Boost and
 * Rust's std.  Leading frames in these are left out of a site's stack,
 * so that stack[0] is the code that asked for the thread.
 */
static bool creation_frame(struct lw_task_probe *p, uint64_t ip)
{
	static const char *const names[] = {
		"clone",	  "__clone",	      "clone3",
		"__clone3",	  "__clone_internal", "__clone_internal_fallback",
		"create_thread", "pthread_create",   "__pthread_create",
		"__pthread_create_2_1", "__pthread_create_2_0",
		"runtime.clone", "runtime.newosproc",
		/* Go >= 1.21: newosproc clones inside a closure that
		 * retryOnEAGAIN runs. */
		"runtime.newosproc.func1", "runtime.retryOnEAGAIN",
	};
	static const char *const prefixes[] = {
		"std::thread::", "std::jthread::", "boost::thread::",
		"std::sys::", /* Rust: std::sys::pal::unix::thread::Thread::new */
	};
	struct lw_frame fr;
	const char *f;
	size_t i, n;

	if (!p->sym || lw_symbolizer__resolve(p->sym, ip, &fr) || !fr.function)
		return false;
	/* glibc's internal aliases: "__GI___clone_internal". */
	f = fr.function;
	if (!strncmp(f, "__GI_", 5))
		f += 5;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(f, prefixes[i], strlen(prefixes[i])))
			return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		/* Versioned names: "pthread_create@@GLIBC_2.34"; Go's
		 * assembly: "runtime.clone.abi0". */
		if (!strncmp(f, names[i], n) &&
		    (f[n] == '\0' || f[n] == '@' || !strcmp(f + n, ".abi0")))
			return true;
	}
	return false;
}

/* The creation site of a birth record: a stack id, its frames stored. */
static int creation_site(struct lw_task_probe *p, const struct lw_trec_new *r,
			 uint64_t *ret_site)
{
	struct unwind u;
	struct tstack *st;
	unsigned keep, skip = 0;
	uint64_t id;
	bool created;

	if (p->new_image) {
		/* The first thread after an exec: the loader has mapped the
		 * new program's libraries by now. */
		p->new_image = false;
		lw_hmap__clear(p->frame_ok);
		if (p->sym)
			(void)lw_symbolizer__refresh(p->sym);
		(void)open_dwfl(p);
	}
	unwind(p, r, &u);
	/* A module mapped since the last look (dlopen) stops the unwinder
	 * early: look again, at most once a second. */
	if (u.nr <= 2 && mono_ns() - p->dwfl_ns > DWFL_REFRESH_NS &&
	    !open_dwfl(p))
		unwind(p, r, &u);
	if (!u.nr) {
		u.ips[0] = r->regs[16];
		u.nr = 1;
	}
	/* Frame 0 is exact; later ones must be real return addresses. */
	keep = 1;
	while (keep < u.nr && frame_believable(p, u.ips[keep]))
		keep++;
	if (keep < u.nr)
		u.truncated = false;
	while (skip + 1 < keep && creation_frame(p, u.ips[skip]))
		skip++;

	id = lw_stack_hash(u.ips + skip, keep - skip);
	if (id == SITE_BEFORE)
		id = 1;
	st = lw_hmap__put(p->stacks, id, &created);
	if (!st)
		return -ENOMEM;
	if (created) {
		st->nr = keep - skip;
		st->truncated = u.truncated;
		memcpy(st->ips, u.ips + skip, st->nr * sizeof(st->ips[0]));
	}
	*ret_site = id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

static int handle_record(void *ctx, void *data, size_t size)
{
	struct lw_task_probe *p = ctx;
	const __u32 *type = data;
	uint64_t site;
	int err = 0;

	if (size < sizeof(*type) || !p->census)
		return 0;
	switch (*type) {
	case LW_TREC_NEW: {
		const struct lw_trec_new *r = data;

		if (size < sizeof(*r))
			break;
		err = creation_site(p, r, &site);
		/* Born between attach and the session start: just after the
		 * start (the census reads t0 and earlier as "before the
		 * session", birth time unknown). */
		if (!err)
			err = lw_census__birth(p->census, r->tid, site,
					       r->ts_ns > p->t0_ns ?
						       r->ts_ns :
						       p->t0_ns + 1);
		p->births++;
		break;
	}
	case LW_TREC_EXIT: {
		const struct lw_trec_exit *r = data;

		if (lw_census__death(p->census, r->tid, r->ts_ns))
			p->deaths++;
		break;
	}
	case LW_TREC_EXEC:
		/* The other threads' exits come as records; the caller may
		 * have changed its tid: the thread list tells. */
		p->rescan = true;
		p->new_image = true;
		break;
	default:
		pr_debug("unknown thread record type %u, ignoring\n", *type);
		break;
	}
	if (err && !p->err)
		p->err = err;
	return 0;
}

/* ------------------------------------------------------------------ */
/* /proc                                                               */
/* ------------------------------------------------------------------ */

/* The state letter and start time (clock ticks since boot) of a thread. */
static int read_stat(int pid, int tid, char *ret_state,
		     unsigned long long *ret_start)
{
	char path[64], *buf = NULL, *s;
	unsigned long long start = 0;
	int err, field;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	err = lw_read_file(path, &buf, NULL);
	if (err)
		return err;
	/* comm may hold spaces and parentheses: fields follow the last ')'. */
	s = strrchr(buf, ')');
	if (!s || s[1] != ' ') {
		free(buf);
		return -EINVAL;
	}
	s += 2;
	*ret_state = *s;
	/* Field 3 is the state; the start time is field 22. */
	for (field = 3; field < 22 && s; field++) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	if (s)
		start = strtoull(s, NULL, 10);
	free(buf);
	*ret_start = start;
	return 0;
}

/*
 * How long ago a thread started, and whether it is still running code
 * (not a zombie or dead task that /proc lists a moment longer).
 */
static bool thread_age(int pid, int tid, uint64_t *ret_age_ns)
{
	unsigned long long start;
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t boot_ns, start_ns;
	char state;

	if (read_stat(pid, tid, &state, &start) || state == 'Z' ||
	    state == 'X' || hz <= 0)
		return false;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	boot_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	start_ns = start * (1000000000ull / (uint64_t)hz);
	*ret_age_ns = boot_ns > start_ns ? boot_ns - start_ns : 0;
	return true;
}

/*
 * Make the census agree with /proc/PID/task.  Threads the census knows
 * keep their site; threads that are gone die now (a lost exit record).
 * An unknown thread is counted at the "before attach" site when all is
 * unknown yet (initial), else only once it is old enough that its birth
 * record cannot still be in flight (a lost birth record).
 */
static int reconcile(struct lw_task_probe *p, uint64_t now, bool initial)
{
	char path[64];
	struct dirent *de;
	uint64_t site, age;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	d = opendir(path);
	if (!d)
		return -errno;
	lw_census__mark(p->census);
	while ((de = readdir(d))) {
		int tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		if (lw_census__lookup(p->census, tid, &site)) {
			err = lw_census__seen(p->census, tid, site, 0);
		} else if (initial) {
			err = lw_census__seen(p->census, tid, SITE_BEFORE, 0);
		} else if (thread_age(p->pid, tid, &age) &&
			   age >= LOST_AGE_NS) {
			pr_debug("thread %d: no creation record, counted as created before attach\n",
				 tid);
			err = lw_census__seen(p->census, tid, SITE_BEFORE,
					      now > age ? now - age : 0);
		}
		if (err)
			break;
	}
	(void)closedir(d);
	if (err)
		return err;
	p->deaths += lw_census__sweep(p->census, now);
	return 0;
}

static void read_line(int pid, int tid, const char *what, char *buf,
		      size_t len)
{
	char path[80], *s = NULL;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, what);
	if (lw_read_file(path, &s, NULL))
		return;
	snprintf(buf, len, "%s", s);
	buf[strcspn(buf, "\n")] = '\0';
	free(s);
}

/* What every thread is doing now, into p->states.  Keeps the previous
 * look when the process is gone. */
static void read_states(struct lw_task_probe *p)
{
	char path[64], line[64];
	unsigned long long start;
	struct dirent *de;
	struct tstate *ts;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", p->pid);
	d = opendir(path);
	if (!d)
		return;
	lw_hmap__clear(p->states);
	p->states_known = true;
	while ((de = readdir(d))) {
		int tid = atoi(de->d_name);
		char state;

		if (tid <= 0 || read_stat(p->pid, tid, &state, &start))
			continue;
		ts = lw_hmap__put(p->states, tid, NULL);
		if (!ts)
			break;
		ts->state = state;
		/* "202 0x... ..." in a syscall, "-1 sp pc" blocked outside
		 * one, "running" on a CPU. */
		read_line(p->pid, tid, "syscall", line, sizeof(line));
		if (!strncmp(line, "running", 7))
			ts->sysno = SYS_RUNNING;
		else if (!strncmp(line, "-1", 2))
			ts->sysno = SYS_NONE;
		else if (line[0] >= '0' && line[0] <= '9')
			ts->sysno = atoi(line);
		else
			ts->sysno = SYS_UNKNOWN;
		read_line(p->pid, tid, "wchan", ts->wchan, sizeof(ts->wchan));
		if (!strcmp(ts->wchan, "0"))
			ts->wchan[0] = '\0';
	}
	(void)closedir(d);
}

static const char *state_name(char c)
{
	switch (c) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "uninterruptible";
	case 'T':
		return "stopped";
	case 't':
		return "traced";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle";
	default:
		return "unknown";
	}
}

/* x86-64 numbers of the calls threads usually block in. */
static const char *syscall_name(int nr, char *buf, size_t len)
{
	static const struct {
		int nr;
		const char *name;
	} tab[] = {
		{ 0, "read" },		   { 1, "write" },
		{ 7, "poll" },		   { 23, "select" },
		{ 34, "pause" },	   { 35, "nanosleep" },
		{ 43, "accept" },	   { 45, "recvfrom" },
		{ 47, "recvmsg" },	   { 61, "wait4" },
		{ 128, "rt_sigtimedwait" }, { 130, "rt_sigsuspend" },
		{ 202, "futex" },	   { 230, "clock_nanosleep" },
		{ 232, "epoll_wait" },	   { 247, "waitid" },
		{ 270, "pselect6" },	   { 271, "ppoll" },
		{ 281, "epoll_pwait" },	   { 288, "accept4" },
		{ 299, "recvmmsg" },	   { 441, "epoll_pwait2" },
		{ 449, "futex_waitv" },
	};
	size_t i;

	switch (nr) {
	case SYS_RUNNING:
		return "running";
	case SYS_NONE:
		return "none";
	case SYS_UNKNOWN:
		return "unknown";
	}
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].nr == nr)
			return tab[i].name;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */
/* ------------------------------------------------------------------ */

struct lw_task_probe *lw_task_probe__new(const struct lw_task_probe_opts *o)
{
	size_t ring = o->ring_bytes ? o->ring_bytes : 8u << 20;
	struct lw_task_probe *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = o->pid;
	p->sym = o->sym;
	p->stacks = lw_hmap__new(sizeof(struct tstack), 16);
	p->frame_ok = lw_hmap__new(sizeof(uint8_t), 64);
	p->states = lw_hmap__new(sizeof(struct tstate), 64);
	if (!p->stacks || !p->frame_ok || !p->states) {
		err = -ENOMEM;
		goto err_out;
	}
	p->skel = task_bpf__open();
	if (!p->skel) {
		err = -errno;
		goto err_out;
	}
	p->skel->rodata->targ_tgid = o->pid;
	/* Births are large records and can come in bursts: wake the
	 * reader once an eighth of the ring is pending. */
	p->skel->rodata->targ_wakeup_bytes = ring / 8;
	err = bpf_map__set_max_entries(p->skel->maps.events, ring);
	if (!err)
		err = task_bpf__load(p->skel);
	if (err)
		goto err_out;
	return p;

err_out:
	lw_task_probe__free(p);
	errno = -err;
	return NULL;
}

int lw_task_probe__attach(struct lw_task_probe *p)
{
	int err;

	err = task_bpf__attach(p->skel);
	if (err)
		return err;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events),
				 handle_record, p, NULL);
	if (!p->rb)
		return -errno;
	/* Without modules no stack unwinds, but counting still works. */
	err = open_dwfl(p);
	if (err)
		pr_debug("cannot read the modules of PID %d for unwinding: %s (%s), ignoring\n",
			 p->pid, strerror(-err), dwfl_errmsg(-1));
	return 0;
}

int lw_task_probe__start(struct lw_task_probe *p, uint64_t t0_ns)
{
	int err;

	p->census = lw_census__new(t0_ns, NULL);
	if (!p->census)
		return -errno;
	p->t0_ns = t0_ns;
	/* Births since attach are in the ring: take them first, so that
	 * only the threads without a record become "before attach". */
	err = lw_task_probe__consume(p);
	if (err < 0)
		return err;
	err = reconcile(p, t0_ns, true);
	p->next_sample = t0_ns;
	p->next_reconcile = t0_ns + RECONCILE_NS;
	/* Gone already: the session notices through its pidfd. */
	return err == -ENOENT || err == -ESRCH ? 0 : err;
}

int lw_task_probe__fd(const struct lw_task_probe *p)
{
	return p->rb ? ring_buffer__epoll_fd(p->rb) : -1;
}

int lw_task_probe__consume(struct lw_task_probe *p)
{
	int n;

	if (!p->rb || p->finished)
		return 0;
	n = ring_buffer__consume(p->rb);
	if (p->err)
		return p->err;
	return n;
}

void lw_task_probe__tick(struct lw_task_probe *p, uint64_t now_ns)
{
	if (!p->census || p->finished)
		return;
	/* After an exec, and now and then anyway: a lost record must not
	 * leave the counts wrong for the rest of the session. */
	if (p->rescan || now_ns >= p->next_reconcile) {
		(void)reconcile(p, now_ns, p->rescan);
		p->rescan = false;
		p->next_reconcile = now_ns + RECONCILE_NS;
	}
	if (now_ns >= p->next_sample) {
		lw_census__sample(p->census, now_ns);
		p->next_sample += SAMPLE_NS;
		if (p->next_sample <= now_ns)
			p->next_sample = now_ns + SAMPLE_NS;
	}
}

int lw_task_probe__finish(struct lw_task_probe *p, uint64_t now_ns)
{
	int err;

	if (!p || p->finished)
		return 0;
	err = lw_task_probe__consume(p);
	if (err >= 0 && p->census) {
		/* The target may be gone: then the records said it all. */
		(void)reconcile(p, now_ns, p->rescan);
		lw_census__sample(p->census, now_ns);
		read_states(p);
		err = 0;
	}
	memcpy(&p->drops, (const void *)&p->skel->bss->drops, sizeof(p->drops));
	task_bpf__detach(p->skel);
	p->finished = true;
	return err;
}

/* Index of site key in r->sites, by linear search: sites are few. */
static struct lw_thread_site *find_site(struct lw_thread_report *r,
					const uint64_t *keys, uint64_t key)
{
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if (keys[i] == key)
			return &r->sites[i];
	return NULL;
}

static int fill_stack(struct lw_task_probe *p, struct lw_thread_site *s)
{
	const struct tstack *st = lw_hmap__get(p->stacks, s->stack_id);

	if (!st || !st->nr)
		return 0;
	s->ips = calloc(st->nr, sizeof(*s->ips));
	if (!s->ips)
		return -ENOMEM;
	memcpy(s->ips, st->ips, st->nr * sizeof(*s->ips));
	s->nr_ips = st->nr;
	s->stack_truncated = st->truncated;
	if (!p->sym)
		return 0;
	/* Out of memory: rendered from raw addresses. */
	(void)lw_symbolizer__resolve_stack(p->sym, st->ips, st->nr, &s->frames,
					   &s->nr_frames);
	return 0;
}

int lw_task_probe__report(struct lw_task_probe *p, uint64_t now_ns,
			  struct lw_thread_report *ret)
{
	struct lw_census_site *cs = NULL;
	struct lw_hmap_iter it;
	uint64_t *keys = NULL;
	size_t nr = 0, i;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (!p->census)
		return 0;
	if (!p->finished) {
		memcpy(&p->drops, (const void *)&p->skel->bss->drops,
		       sizeof(p->drops));
		read_states(p);
	}
	ret->drops = p->drops;
	ret->dropped_events = p->drops.ringbuf_full;
	ret->live = lw_census__live(p->census);
	ret->births = p->births;
	ret->deaths = p->deaths;
	ret->states_known = p->states_known;

	err = lw_census__report(p->census, now_ns, &cs, &nr);
	if (err)
		return err;
	ret->sites = calloc(nr ? nr : 1, sizeof(*ret->sites));
	keys = calloc(nr ? nr : 1, sizeof(*keys));
	if (!ret->sites || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++) {
		struct lw_thread_site *s = &ret->sites[i];

		keys[i] = cs[i].site;
		s->verdict = cs[i].verdict;
		s->stack_id = cs[i].site;
		s->live = cs[i].live;
		s->births = cs[i].births;
		s->deaths = cs[i].deaths;
		s->growth_per_s = cs[i].growth_per_s;
		s->oldest_age_s = cs[i].oldest_age_s;
		s->created_before_attach = cs[i].has_unknown_births;
		s->segments = cs[i].segments;
		s->segments_with_survivors = cs[i].segments_with_survivors;
		s->series = cs[i].series;
		s->nr_series = cs[i].nr_series;
		ret->nr_sites++;
		if (s->stack_id != SITE_BEFORE) {
			err = fill_stack(p, s);
			if (err)
				goto out;
		}
	}
	/* Group the states of the live threads by their site. */
	for (lw_hmap__iter_init(&it, p->states); lw_hmap__iter_next(&it);) {
		const struct tstate *ts = it.value;
		struct lw_thread_site *s;
		char buf[32];
		uint64_t site;

		if (!lw_census__lookup(p->census, it.key, &site))
			continue;
		s = find_site(ret, keys, site);
		if (!s)
			continue;
		lw_thread_group__add(&s->states, state_name(ts->state));
		lw_thread_group__add(&s->syscalls,
				     syscall_name(ts->sysno, buf, sizeof(buf)));
		lw_thread_group__add(&s->wchan, ts->wchan[0] ? ts->wchan : "none");
	}
out:
	free(keys);
	free(cs);
	if (err)
		lw_thread_report__clear(ret);
	return err;
}

void lw_task_probe__free(struct lw_task_probe *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	task_bpf__destroy(p->skel);
	dwfl_end(p->dwfl);
	lw_census__free(p->census);
	lw_hmap__free(p->stacks);
	lw_hmap__free(p->frame_ok);
	lw_hmap__free(p->states);
	free(p);
}
