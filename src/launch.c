/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/* Launch a command held at its ELF entry point; pairs with launch.h. */
#define _GNU_SOURCE /* pipe2() */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "log.h"

static int read_entry(pid_t pid, unsigned long *ret)
{
	Elf64_auxv_t aux;
	char path[64];
	int fd, err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (read(fd, &aux, sizeof(aux)) == sizeof(aux)) {
		if (aux.a_type == AT_NULL)
			break;
		if (aux.a_type == AT_ENTRY) {
			*ret = aux.a_un.a_val;
			err = 0;
			break;
		}
	}
	(void)close(fd);
	return err;
}

/* Wait for the next stop with signal sig, passing other signals on. */
static int wait_stop(pid_t pid, int sig)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ECHILD;
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == sig)
			return 0;
		if (ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(status)) < 0)
			return -errno;
	}
}

/*
 * Run the stopped tracee to addr with a temporary int3 there, then put
 * the original instruction back and rewind rip onto it.
 */
static int run_to(pid_t pid, unsigned long addr)
{
	struct user_regs_struct regs;
	long orig;
	int err;

	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, pid, addr, 0);
	if (errno)
		return -errno;
	if (ptrace(PTRACE_POKETEXT, pid, addr, (orig & ~0xffL) | 0xcc) < 0)
		return -errno;
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
		return -errno;
	err = wait_stop(pid, SIGTRAP);
	if (err)
		return err;
	if (ptrace(PTRACE_POKETEXT, pid, addr, orig) < 0)
		return -errno;
	if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
		return -errno;
	if (regs.rip != addr + 1)
		return -EPROTO;
	regs.rip = addr;
	if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
		return -errno;
	return 0;
}

int lw_launch__start(char *const argv[], char *const env[], pid_t *ret_pid)
{
	unsigned long entry = 0;
	int pipefd[2], child_errno = 0, err;
	ssize_t n;
	pid_t pid;

	/* The child reports a failed execvp through a close-on-exec pipe:
	 * a successful exec closes it empty. */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		(void)close(pipefd[0]);
		(void)close(pipefd[1]);
		return err;
	}
	if (pid == 0) {
		sigset_t none;

		(void)close(pipefd[0]);
		/* leakwatch blocks the signals it reads through a signalfd;
		 * the program must start with a clean mask. */
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		for (; env && *env; env++)
			(void)putenv(*env);
		/* Stop at the exec so the parent can place its probes first. */
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			child_errno = errno;
		else
			execvp(argv[0], argv);
		if (!child_errno)
			child_errno = errno;
		(void)!write(pipefd[1], &child_errno, sizeof(child_errno));
		_exit(127);
	}
	(void)close(pipefd[1]);

	/* A traced child stops with SIGTRAP right after a successful exec. */
	err = wait_stop(pid, SIGTRAP);
	n = read(pipefd[0], &child_errno, sizeof(child_errno));
	(void)close(pipefd[0]);
	if (n == sizeof(child_errno) && child_errno) {
		(void)waitpid(pid, NULL, 0);
		return -child_errno;
	}
	if (err)
		goto err_kill;

	err = read_entry(pid, &entry);
	if (err)
		goto err_kill;
	/* The loader has mapped every DT_NEEDED library by the time it
	 * jumps to the program's entry. */
	err = run_to(pid, entry);
	if (err)
		goto err_kill;
	pr_debug("held PID %d at its entry point 0x%lx\n", pid, entry);
	*ret_pid = pid;
	return 0;

err_kill:
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	return err;
}

int lw_launch__release(pid_t pid)
{
	if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
		return -errno;
	return 0;
}
