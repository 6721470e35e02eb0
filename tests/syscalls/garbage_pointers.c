/*
 * Bad pointers from the application: NULL, unmapped, kernel-half, the last byte of the
 * address space, and buffers that run off the end of a mapping. Each result is printed
 * as the value or errno name Linux gives; the sandbox must give the same and not crash.
 */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>

static void *bad[4];
static const char *bad_name[4] = { "NULL", "unmapped", "kernel", "top" };

/* Runs an expression once per bad pointer; B is the pointer under test. */
#define EACH_BAD(label, expr)                                                             \
	do {                                                                              \
		for (int i_ = 0; i_ < 4; i_++) {                                          \
			void *B = bad[i_];                                                \
			char l_[128];                                                     \
			snprintf(l_, sizeof(l_), "%s [%s]", label, bad_name[i_]);         \
			SHOW_AS(l_, expr);                                                \
			(void)B;                                                          \
		}                                                                         \
	} while (0)

int main(void)
{
	bad[0] = NULL;
	bad[1] = unmapped_ptr();
	bad[2] = KERNEL_PTR;
	bad[3] = TOP_PTR;

	int zero = open("/dev/zero", O_RDONLY);
	int null = open("/dev/null", O_RDWR);
	int file = open("/tmp/garbage_pointers.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(zero >= 0 && null >= 0 && file >= 0, "open");
	must(write(file, "0123456789abcdef", 16) == 16, "write");
	int p[2];
	must(pipe(p) == 0, "pipe");
	must(write(p[1], "queued", 6) == 6, "write pipe");
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);

	EACH_BAD("read /dev/zero", syscall(SYS_read, zero, B, 16));
	EACH_BAD("read file", syscall(SYS_pread64, file, B, 16, 0));
	EACH_BAD("read file at EOF", syscall(SYS_pread64, file, B, 16, 100));
	EACH_BAD("read pipe", syscall(SYS_read, p[0], B, 1));
	EACH_BAD("write file", syscall(SYS_pwrite64, file, B, 16, 0));
	EACH_BAD("write /dev/null", syscall(SYS_write, null, B, 16));
	EACH_BAD("write pipe", syscall(SYS_write, p[1], B, 16));
	EACH_BAD("write len 0", syscall(SYS_write, file, B, 0));
	EACH_BAD("readv iov", syscall(SYS_readv, zero, B, 1));
	EACH_BAD("writev iov", syscall(SYS_writev, null, B, 1));
	EACH_BAD("open path", syscall(SYS_open, B, O_RDONLY));
	EACH_BAD("openat path", syscall(SYS_openat, AT_FDCWD, B, O_RDONLY));
	EACH_BAD("stat path", syscall(SYS_stat, B, B));
	EACH_BAD("stat buf", syscall(SYS_stat, "/", B));
	EACH_BAD("fstat buf", syscall(SYS_fstat, 0, B));
	EACH_BAD("newfstatat buf", syscall(SYS_newfstatat, AT_FDCWD, "/", B, 0));
	EACH_BAD("getcwd buf", syscall(SYS_getcwd, B, 100));
	EACH_BAD("uname", syscall(SYS_uname, B));
	EACH_BAD("clock_gettime", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, B));
	EACH_BAD("pipe", syscall(SYS_pipe, B));
	EACH_BAD("pipe2", syscall(SYS_pipe2, B, 0));
	EACH_BAD("getdents64", syscall(SYS_getdents64, dir, B, 4096));
	EACH_BAD("readlink buf", syscall(SYS_readlink, "/bin/sh", B, 64));
	EACH_BAD("rt_sigaction act", syscall(SYS_rt_sigaction, SIGUSR1, B, NULL, 8));
	EACH_BAD("rt_sigaction oldact", syscall(SYS_rt_sigaction, SIGUSR1, NULL, B, 8));
	EACH_BAD("rt_sigprocmask set", syscall(SYS_rt_sigprocmask, SIG_BLOCK, B, NULL, 8));
	EACH_BAD("rt_sigprocmask oldset", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, B, 8));
	EACH_BAD("rt_sigpending", syscall(SYS_rt_sigpending, B, 8));
	EACH_BAD("nanosleep req", syscall(SYS_nanosleep, B, NULL));
	EACH_BAD("ioctl FIONREAD", syscall(SYS_ioctl, p[0], FIONREAD, B));
	EACH_BAD("ioctl TCGETS file", syscall(SYS_ioctl, file, TCGETS, B));
	EACH_BAD("getrlimit", syscall(SYS_getrlimit, RLIMIT_NOFILE, B));
	EACH_BAD("sysinfo", syscall(SYS_sysinfo, B));
	EACH_BAD("getrandom", syscall(SYS_getrandom, B, 8, 0));
	EACH_BAD("gettimeofday", syscall(SYS_gettimeofday, B, NULL));
	EACH_BAD("access path", syscall(SYS_access, B, F_OK));
	EACH_BAD("chdir path", syscall(SYS_chdir, B));
	EACH_BAD("mkdir path", syscall(SYS_mkdir, B, 0755));
	EACH_BAD("unlink path", syscall(SYS_unlink, B));
	EACH_BAD("rename from", syscall(SYS_rename, B, "/tmp/garbage_pointers.x"));
	EACH_BAD("rename to", syscall(SYS_rename, "/tmp/garbage_pointers.txt", B));

	/* No fds leak from a pipe() whose result could not be stored. */
	int probe = dup(0);
	printf("next free fd after failed pipes: %d\n", probe);
	close(probe);

	/* wait4 with a bad status pointer: EFAULT, and (on Linux) the child is reaped. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(1);
	usleep(20000);
	SHOW(syscall(SYS_wait4, pid, KERNEL_PTR, 0, NULL));
	SHOW(syscall(SYS_wait4, pid, NULL, WNOHANG, NULL));
	pid = fork();
	if (pid == 0)
		_exit(1);
	SHOW(syscall(SYS_wait4, pid, NULL, 0, KERNEL_PTR));     /* bad rusage */

	/* A readv iovec whose base is bad, after a good one: partial or EFAULT. */
	char good[4];
	struct iovec iov[2] = { { good, sizeof(good) }, { KERNEL_PTR, 4 } };
	SHOW(syscall(SYS_readv, zero, iov, 2));
	struct iovec iov2[2] = { { KERNEL_PTR, 4 }, { good, sizeof(good) } };
	SHOW(syscall(SYS_readv, zero, iov2, 2));
	SHOW(syscall(SYS_writev, null, iov2, 2));

	/* Buffers that run into an unmapped page: Linux copies what it can. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(page != MAP_FAILED, "mmap");
	must(munmap(page + 4096, 4096) == 0, "munmap");
	char *edge = page + 4096 - 10;
	SHOW(syscall(SYS_pread64, file, edge, 16, 0));
	SHOW(syscall(SYS_read, zero, edge, 16));
	SHOW(syscall(SYS_read, zero, page, 8192));
	memset(page, 'e', 4096);
	SHOW(syscall(SYS_pwrite64, file, edge, 16, 0));
	SHOW(syscall(SYS_write, null, edge, 16));
	SHOW(syscall(SYS_stat, "/", page + 4096 - 16));
	SHOW(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, page + 4096 - 8));

	/* A read-only page is a bad destination too. */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW(syscall(SYS_read, zero, ro, 16));
	SHOW(syscall(SYS_uname, ro));
	SHOW(syscall(SYS_write, null, ro, 16));        /* reading from it is fine */

	printf("still alive\n");
	unlink("/tmp/garbage_pointers.txt");
	return 0;
}
