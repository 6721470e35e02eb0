/*
 * A sweep of garbage arguments: each call below gets all-zero, all-ones and all
 * kernel-half arguments, in a child process. The result (ok or errno name) and how the
 * child ended must match Linux, and the sandbox must survive.
 *
 * The list is chosen by hand so that none of these argument patterns can do harm on the
 * host, where this runs as root: no kill, no process creation or exit, nothing that
 * changes a file through an inherited fd (fd 0 is the host's /dev/null), nothing that
 * blocks forever.
 */
#include "lib/check.h"

struct call {
	const char *name;
	long nr;
};

static const struct call calls[] = {
	{ "read", SYS_read }, { "write", SYS_write }, { "open", SYS_open },
	{ "stat", SYS_stat }, { "fstat", SYS_fstat }, { "lstat", SYS_lstat },
	{ "poll", SYS_poll }, { "lseek", SYS_lseek }, { "mmap", SYS_mmap },
	{ "mprotect", SYS_mprotect }, { "munmap", SYS_munmap }, { "brk", SYS_brk },
	{ "rt_sigaction", SYS_rt_sigaction }, { "rt_sigprocmask", SYS_rt_sigprocmask },
	{ "ioctl", SYS_ioctl }, { "pread64", SYS_pread64 }, { "pwrite64", SYS_pwrite64 },
	{ "readv", SYS_readv }, { "writev", SYS_writev }, { "access", SYS_access },
	{ "pipe", SYS_pipe }, { "sched_yield", SYS_sched_yield }, { "mremap", SYS_mremap },
	{ "madvise", SYS_madvise }, { "dup", SYS_dup }, { "dup2", SYS_dup2 },
	{ "nanosleep", SYS_nanosleep }, { "getpid", SYS_getpid }, { "uname", SYS_uname },
	{ "fcntl", SYS_fcntl }, { "flock", SYS_flock }, { "getdents64", SYS_getdents64 },
	{ "getcwd", SYS_getcwd }, { "chdir", SYS_chdir }, { "fchdir", SYS_fchdir },
	{ "rename", SYS_rename }, { "mkdir", SYS_mkdir }, { "rmdir", SYS_rmdir },
	{ "creat", SYS_creat }, { "link", SYS_link }, { "unlink", SYS_unlink },
	{ "symlink", SYS_symlink }, { "readlink", SYS_readlink }, { "chmod", SYS_chmod },
	{ "chown", SYS_chown }, { "lchown", SYS_lchown }, { "umask", SYS_umask },
	{ "gettimeofday", SYS_gettimeofday }, { "getrlimit", SYS_getrlimit },
	{ "sysinfo", SYS_sysinfo }, { "getuid", SYS_getuid }, { "getgid", SYS_getgid },
	{ "setuid", SYS_setuid }, { "setgid", SYS_setgid }, { "setpgid", SYS_setpgid },
	{ "getppid", SYS_getppid }, { "getpgrp", SYS_getpgrp }, { "setsid", SYS_setsid },
	{ "getgroups", SYS_getgroups }, { "setgroups", SYS_setgroups },
	{ "getresuid", SYS_getresuid }, { "getresgid", SYS_getresgid },
	{ "getpgid", SYS_getpgid }, { "getsid", SYS_getsid },
	{ "rt_sigpending", SYS_rt_sigpending }, { "sigaltstack", SYS_sigaltstack },
	{ "mknod", SYS_mknod }, { "prctl", SYS_prctl }, { "arch_prctl", SYS_arch_prctl },
	{ "setrlimit", SYS_setrlimit }, { "chroot", SYS_chroot }, { "gettid", SYS_gettid },
	{ "time", SYS_time }, { "futex", SYS_futex }, { "set_tid_address", SYS_set_tid_address },
	{ "clock_gettime", SYS_clock_gettime }, { "clock_getres", SYS_clock_getres },
	{ "clock_nanosleep", SYS_clock_nanosleep }, { "wait4", SYS_wait4 },
	{ "waitid", SYS_waitid }, { "openat", SYS_openat }, { "mkdirat", SYS_mkdirat },
	{ "newfstatat", SYS_newfstatat }, { "unlinkat", SYS_unlinkat },
	{ "renameat", SYS_renameat }, { "linkat", SYS_linkat }, { "symlinkat", SYS_symlinkat },
	{ "readlinkat", SYS_readlinkat }, { "faccessat", SYS_faccessat },
	{ "dup3", SYS_dup3 }, { "pipe2", SYS_pipe2 }, { "prlimit64", SYS_prlimit64 },
	{ "getrandom", SYS_getrandom }, { "memfd_create", SYS_memfd_create },
	{ "statx", SYS_statx }, { "faccessat2", SYS_faccessat2 },
	{ "renameat2", SYS_renameat2 }, { "openat2", SYS_openat2 },
	{ "epoll_create1", SYS_epoll_create1 }, { "epoll_ctl", SYS_epoll_ctl },
	{ "eventfd2", SYS_eventfd2 }, { "sched_getaffinity", SYS_sched_getaffinity },
};

static const long patterns[3] = { 0, -1, (long)0xffff800000000000UL };
static const char *pattern_names[3] = { "zeros", "ones", "kernel" };

int main(void)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		int p[2];
		must(pipe(p) == 0, "pipe");
		fflush(stdout);
		pid_t pid = fork();
		must(pid >= 0, "fork");
		if (pid == 0) {
			close(p[0]);
			char line[256];
			int len = snprintf(line, sizeof(line), "%-18s", calls[i].name);
			for (int k = 0; k < 3; k++) {
				long a = patterns[k];
				errno = 0;
				long r = syscall(calls[i].nr, a, a, a, a, a, a);
				len += snprintf(line + len, sizeof(line) - len, " %s=%s", pattern_names[k],
						r == -1 ? errname(errno) : "ok");
			}
			line[len++] = '\n';
			/* One write, through a pipe that survives whatever the calls did to stdout. */
			write(p[1], line, len);
			_exit(0);
		}
		close(p[1]);
		char buf[256];
		ssize_t n = read(p[0], buf, sizeof(buf));
		close(p[0]);
		int status;
		waitpid(pid, &status, 0);
		if (n > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		else
			printf("%-18s (no result)\n", calls[i].name);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			printf("%-18s child: %s\n", calls[i].name, describe_status(status));
	}
	return 0;
}
