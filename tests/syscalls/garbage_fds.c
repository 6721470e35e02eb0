/*
 * Bad file descriptors: negative, unopened, huge, and 64-bit values whose upper half is
 * set (the kernel truncates fd arguments to 32 bits, so 0x1_0000_0001 means fd 1).
 */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

#define N_BAD 7
/* Not -100: that is AT_FDCWD for the *at calls. The fd limit is fixed at 1024 below. */
static const long bad_fd[N_BAD] = { -1, -2, INT32_MIN, 999, 1024, 1L << 20, INT32_MAX };

#define EACH_FD(label, expr)                                                              \
	do {                                                                              \
		for (int i_ = 0; i_ < N_BAD; i_++) {                                      \
			long F = bad_fd[i_];                                              \
			char l_[128];                                                     \
			snprintf(l_, sizeof(l_), "%s [fd %ld]", label, F);                \
			SHOW_AS(l_, expr);                                                \
		}                                                                         \
	} while (0)

int main(void)
{
	char buf[64];
	struct stat st;
	struct termios t;
	struct rlimit lim = { 1024, 4096 };
	must(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit");

	EACH_FD("read", syscall(SYS_read, F, buf, 1));
	EACH_FD("write", syscall(SYS_write, F, "x", 1));
	EACH_FD("pread64", syscall(SYS_pread64, F, buf, 1, 0));
	EACH_FD("close", syscall(SYS_close, F));
	EACH_FD("fstat", syscall(SYS_fstat, F, &st));
	EACH_FD("dup", syscall(SYS_dup, F));
	EACH_FD("dup2 old", syscall(SYS_dup2, F, 20));
	/* 999 is a valid target (below the limit): close it again afterwards. */
	EACH_FD("dup2 new", syscall(SYS_dup2, 0, F));
	SHOW(close(999));
	EACH_FD("dup3 new", syscall(SYS_dup3, 0, F, 0));
	SHOW(close(999));
	EACH_FD("fcntl F_GETFD", syscall(SYS_fcntl, F, F_GETFD));
	EACH_FD("lseek", syscall(SYS_lseek, F, 0, SEEK_SET));
	EACH_FD("getdents64", syscall(SYS_getdents64, F, buf, sizeof(buf)));
	EACH_FD("fchdir", syscall(SYS_fchdir, F));
	EACH_FD("ioctl TCGETS", syscall(SYS_ioctl, F, TCGETS, &t));
	EACH_FD("mmap", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, (int)F, 0));
	EACH_FD("openat rel", syscall(SYS_openat, F, "x", O_RDONLY));
	EACH_FD("newfstatat rel", syscall(SYS_newfstatat, F, "x", &st, 0));
	EACH_FD("newfstatat empty", syscall(SYS_newfstatat, F, "", &st, AT_EMPTY_PATH));
	EACH_FD("readlinkat rel", syscall(SYS_readlinkat, F, "x", buf, sizeof(buf)));
	EACH_FD("mkdirat rel", syscall(SYS_mkdirat, F, "x", 0755));
	EACH_FD("unlinkat rel", syscall(SYS_unlinkat, F, "x", 0));
	EACH_FD("faccessat rel", syscall(SYS_faccessat, F, "x", F_OK));
	EACH_FD("renameat rel", syscall(SYS_renameat, F, "x", AT_FDCWD, "/tmp/garbage_fds.y"));

	/* Upper 32 bits are ignored: these act on fd 1 (stdout) and fd 0. */
	SHOW(syscall(SYS_fcntl, 0xffffffff00000001L, F_GETFD));
	SHOW(syscall(SYS_write, 0x100000001L, "through fd 0x1_0000_0001\n", 25));
	SHOW(syscall(SYS_lseek, 0x500000000L, 0, SEEK_CUR));   /* fd 0: /dev/null */
	SHOW(syscall(SYS_fstat, 0x7fffffff00000000L, &st));
	/* ... but a value that is negative as a 32-bit int is still bad. */
	SHOW(syscall(SYS_write, 0x1ffffffffL, "x", 1));

	/* An fd closed by a previous call is bad. */
	int fd = dup(1);
	SHOW(close(fd));
	SHOW(write(fd, "x", 1));
	/* close_range is not required; closing fds 0..2 of a child is fine. */
	pid_t pid = fork();
	if (pid == 0) {
		close(0);
		close(2);
		_exit(write(2, "x", 1) == -1 && errno == EBADF ? 0 : 1);
	}
	wait_and_report("child writing to closed stderr", pid);
	return 0;
}
