/*
 * Tiny helpers shared by the differential syscall tests.
 *
 * Every program prints only what must be identical on Linux and under Moat:
 * return values that do not depend on the run (byte counts, fd numbers, modes),
 * errno NAMES (never numbers or messages), and booleans for relations between
 * values that do change between runs (pids, addresses, times).
 */
#ifndef MOAT_SYSCALL_CHECK_H
#define MOAT_SYSCALL_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A pointer into the kernel half of the address space. */
#define KERNEL_PTR ((void *)0xffff800000000000UL)
/* The last byte of the address space. */
#define TOP_PTR ((void *)0xffffffffffffffffUL)

/* Name of an errno value, e.g. "ENOENT"; "E?<n>" for a value glibc does not know. */
static inline const char *errname(int e)
{
	static char buf[32];
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E?%d", e);
	return buf;
}

/* Name of a signal, e.g. "SIGSEGV"; "SIG<n>" (e.g. "SIG36") for real-time signals. */
static inline const char *signame(int s)
{
	static char buf[32];
	const char *n = sigabbrev_np(s);
	if (n) {
		snprintf(buf, sizeof(buf), "SIG%s", n);
		return buf;
	}
	snprintf(buf, sizeof(buf), "SIG%d", s);
	return buf;
}

/* Prints "label = value", or "label = -1 ENAME" when r is -1. */
static inline void report(const char *label, long r, int err)
{
	if (r == -1)
		printf("%s = -1 %s\n", label, errname(err));
	else
		printf("%s = %ld\n", label, r);
}

/* Prints "label = ok" for a success whose value varies between runs. */
static inline void report_ok(const char *label, long r, int err)
{
	if (r == -1)
		printf("%s = -1 %s\n", label, errname(err));
	else
		printf("%s = ok\n", label);
}

/* Evaluates a libc or syscall() expression and prints its value or errno name. */
#define SHOW(expr)                                                                        \
	do {                                                                              \
		errno = 0;                                                                \
		long r_ = (long)(expr);                                                   \
		report(#expr, r_, errno);                                                 \
	} while (0)

/* Like SHOW but prints "ok" instead of the value (for fds-that-vary, pids, addresses). */
#define SHOW_OK(expr)                                                                     \
	do {                                                                              \
		errno = 0;                                                                \
		long r_ = (long)(expr);                                                   \
		report_ok(#expr, r_, errno);                                              \
	} while (0)

/* Like SHOW but prints under a caller-chosen label. */
#define SHOW_AS(label, expr)                                                              \
	do {                                                                              \
		errno = 0;                                                                \
		long r_ = (long)(expr);                                                   \
		report(label, r_, errno);                                                 \
	} while (0)

/* Prints a boolean fact: "label: yes" or "label: no". */
#define FACT(label, cond) printf("%s: %s\n", (label), (cond) ? "yes" : "no")

/* For functions that return an error number instead of setting errno (posix_*, pthread_*). */
#define SHOW_RC(expr)                                                                     \
	do {                                                                              \
		int rc_ = (expr);                                                         \
		printf("%s = %s\n", #expr, rc_ == 0 ? "0" : errname(rc_));                \
	} while (0)

/* Setup that must not fail: print why and exit with a distinctive status. */
static inline void must(int ok, const char *what)
{
	if (!ok) {
		printf("SETUP FAILED: %s: %s\n", what, errname(errno));
		exit(99);
	}
}

/* Describes a wait status: "exited N", "killed by SIGX", "stopped by SIGX", "continued". */
static inline const char *describe_status(int status)
{
	static char buf[64];
	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by %s", signame(WTERMSIG(status)));
	else if (WIFSTOPPED(status))
		snprintf(buf, sizeof(buf), "stopped by %s", signame(WSTOPSIG(status)));
	else if (WIFCONTINUED(status))
		snprintf(buf, sizeof(buf), "continued");
	else
		snprintf(buf, sizeof(buf), "status 0x%x", status);
	return buf;
}

/* Waits for a specific child and prints "label: <status>". */
static inline void wait_and_report(const char *label, pid_t pid)
{
	int status = 0;
	pid_t r = waitpid(pid, &status, 0);
	if (r != pid) {
		printf("%s: waitpid failed: %s\n", label, errname(errno));
		return;
	}
	printf("%s: %s\n", label, describe_status(status));
}

/* Runs fn in a forked child (which then exits 0) and reports how the child ended. */
static inline void in_child(const char *label, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	wait_and_report(label, pid);
}

/* A page-aligned address that was mapped and then unmapped, so nothing lives there. */
static inline void *unmapped_ptr(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(p != MAP_FAILED, "mmap for unmapped_ptr");
	must(munmap(p, 4096) == 0, "munmap for unmapped_ptr");
	return p;
}

/*
 * Runs before main: unbuffered stdout so that output written before fork or a fatal
 * signal is neither duplicated nor lost, no core files (the host run writes into the
 * rootfs), and a fixed umask.
 */
__attribute__((constructor)) static void check_h_init(void)
{
	struct rlimit no_core = { 0, 0 };
	setvbuf(stdout, NULL, _IONBF, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	umask(022);
}

#endif
