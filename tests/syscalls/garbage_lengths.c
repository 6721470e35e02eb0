/* Huge and negative lengths and counts: SIZE_MAX, SSIZE_MAX, INT_MAX, negative ints. */
#include "lib/check.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>

int main(void)
{
	char buf[64];
	int zero = open("/dev/zero", O_RDONLY);
	int null = open("/dev/null", O_WRONLY);
	int file = open("/tmp/garbage_lengths.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(zero >= 0 && null >= 0 && file >= 0, "open");
	must(write(file, "data", 4) == 4, "write");
	int p[2];
	must(pipe(p) == 0, "pipe");

	SHOW(syscall(SYS_read, zero, buf, SIZE_MAX));
	SHOW(syscall(SYS_read, zero, buf, SSIZE_MAX));
	SHOW(syscall(SYS_pread64, file, buf, SIZE_MAX, 0));
	SHOW(syscall(SYS_write, null, buf, SIZE_MAX));
	SHOW(syscall(SYS_write, p[1], buf, SIZE_MAX));
	SHOW(syscall(SYS_read, p[0], buf, (size_t)1 << 62));

	/* iovec limits. */
	struct iovec iov[2] = { { buf, SIZE_MAX }, { buf, 1 } };
	SHOW(syscall(SYS_readv, zero, iov, 1));                   /* EINVAL: > SSIZE_MAX */
	iov[0].iov_len = SSIZE_MAX;
	iov[1].iov_len = SSIZE_MAX;
	SHOW(syscall(SYS_writev, null, iov, 2));                  /* EINVAL: sum overflows */
	static struct iovec many[1025];
	for (int i = 0; i < 1025; i++) {
		many[i].iov_base = buf;
		many[i].iov_len = 0;
	}
	many[0].iov_len = 1;
	SHOW(syscall(SYS_writev, null, many, 1024));             /* ok */
	SHOW(syscall(SYS_writev, null, many, 1025));             /* EINVAL */
	SHOW(syscall(SYS_readv, zero, many, -1));
	SHOW(syscall(SYS_readv, zero, many, 0));

	/* Lengths of other calls. */
	SHOW(syscall(SYS_getcwd, buf, SIZE_MAX));                 /* only the path is copied */
	SHOW(syscall(SYS_readlink, "/bin/sh", buf, SIZE_MAX));    /* int bufsiz: -1 -> EINVAL */
	SHOW(syscall(SYS_readlink, "/bin/sh", buf, INT_MAX));     /* big but valid: 7 */
	SHOW(syscall(SYS_readlink, "/bin/sh", buf, 0x100000007L)); /* truncated to 7 */
	SHOW(syscall(SYS_getrandom, buf, 0, 0));

	/* Memory-management lengths. */
	SHOW(mmap(NULL, SIZE_MAX, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(NULL, SIZE_MAX - 4095, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(NULL, 1UL << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SHOW(munmap(m, SIZE_MAX));
	SHOW(munmap(m, SIZE_MAX - 4095));
	SHOW(mprotect(m, SIZE_MAX, PROT_READ));
	SHOW(mprotect(m, SIZE_MAX - 4095, PROT_READ));
	/*
	 * Low but legal: 0x10000 is the usual vm.mmap_min_addr. (Below it, the answer depends
	 * on the host's sysctl and on CAP_SYS_RAWIO, so it is not a fair comparison.)
	 */
	SHOW(mmap((void *)0x10000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SHOW(munmap((void *)0x10000, 4096));
	SHOW(mmap((void *)0x7ffffffff000UL, 8192, PROT_READ,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SHOW(mmap(KERNEL_PTR, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SHOW(munmap(KERNEL_PTR, 4096));
	SHOW(mprotect(KERNEL_PTR, 4096, PROT_READ));
	int fd = open("/bin/busybox", O_RDONLY);
	SHOW(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, (off_t)-4096));  /* EINVAL */
	SHOW(mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, (off_t)0x7ffffffffffff000L));

	/* lseek offsets (on a pipe-free, fs-independent file: /dev/zero). */
	SHOW(lseek(zero, LLONG_MAX, SEEK_SET) >= 0);
	SHOW(lseek(file, -1, SEEK_SET));
	SHOW(lseek(file, LLONG_MIN, SEEK_CUR));
	SHOW(syscall(SYS_pread64, file, buf, 1, -1L));
	SHOW(syscall(SYS_pread64, file, buf, 1, LLONG_MIN));

	/* One argument bigger than the kernel's 128 KiB per-string limit: E2BIG. */
	static char huge_arg[200 * 1024];
	memset(huge_arg, 'a', sizeof(huge_arg) - 1);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = { "/bin/true", huge_arg, NULL };
		char *env[] = { NULL };
		execve("/bin/true", args, env);
		printf("execve with a 200 KiB argument: %s\n", errname(errno));
		_exit(0);
	}
	wait_and_report("child", pid);

	unlink("/tmp/garbage_lengths.txt");
	printf("still alive\n");
	return 0;
}
