/* read, write, readv, writev on a regular file: counts, offsets, EOF, EBADF. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/uio.h>

int main(void)
{
	const char *path = "/tmp/rw_basic.txt";
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");

	SHOW(write(fd, "hello ", 6));
	SHOW(write(fd, "", 0));
	struct iovec wv[3] = {
		{ .iov_base = "world", .iov_len = 5 },
		{ .iov_base = NULL, .iov_len = 0 },
		{ .iov_base = "!\n", .iov_len = 2 },
	};
	SHOW(writev(fd, wv, 3));
	SHOW(writev(fd, wv, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));

	SHOW(lseek(fd, 0, SEEK_SET));
	char a[4], b[5], c[32];
	memset(c, 0, sizeof(c));
	struct iovec rv[3] = {
		{ .iov_base = a, .iov_len = sizeof(a) },
		{ .iov_base = b, .iov_len = sizeof(b) },
		{ .iov_base = c, .iov_len = sizeof(c) - 1 },
	};
	SHOW(readv(fd, rv, 3));
	printf("a=%.4s b=%.5s c=%s", a, b, c);
	SHOW(read(fd, c, sizeof(c)));    /* EOF */
	SHOW(lseek(fd, 2, SEEK_SET));
	SHOW(read(fd, c, 3));
	printf("partial read: %.3s\n", c);
	SHOW(read(fd, c, 0));

	/* Overwrite in the middle: size stays, content changes. */
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(write(fd, "J", 1));
	SHOW(pread(fd, c, sizeof(c), 0));
	printf("content: %.13s", c);

	/* Wrong access mode. */
	int ro = open(path, O_RDONLY);
	int wo = open(path, O_WRONLY);
	SHOW(write(ro, "x", 1));
	SHOW(read(wo, c, 1));
	SHOW(writev(ro, wv, 1));
	SHOW(readv(wo, rv, 1));

	/* Bad descriptors. */
	SHOW(read(-1, c, 1));
	SHOW(write(999, "x", 1));
	SHOW(readv(999, rv, 1));
	SHOW(writev(-3, wv, 1));

	/* Bad iovec counts. */
	SHOW(syscall(SYS_readv, fd, rv, -1));
	SHOW(syscall(SYS_writev, fd, wv, 1025));

	/* A directory cannot be read with read(). */
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	SHOW(read(dir, c, sizeof(c)));

	/* stdout works as a plain fd. */
	SHOW(write(1, "direct to stdout\n", 17));

	SHOW(unlink(path));
	return 0;
}
