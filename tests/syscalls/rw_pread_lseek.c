/* pread64/pwrite64 and lseek: offsets, holes, SEEK_END, ESPIPE, EINVAL. */
#include "lib/check.h"
#include <fcntl.h>

int main(void)
{
	const char *path = "/tmp/rw_pread_lseek.txt";
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");
	char buf[64];

	SHOW(pwrite(fd, "0123456789", 10, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));           /* pwrite does not move the offset */
	SHOW(pread(fd, buf, 4, 3));
	printf("pread: %.4s\n", buf);
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(pread(fd, buf, 10, 8));            /* short read at end */
	SHOW(pread(fd, buf, 10, 10));           /* at EOF */
	SHOW(pread(fd, buf, 10, 1000));         /* past EOF */
	SHOW(pread(fd, buf, 1, -1));            /* EINVAL: negative offset */
	SHOW(pwrite(fd, "x", 1, -1));

	SHOW(lseek(fd, 0, SEEK_END));
	SHOW(lseek(fd, -3, SEEK_END));
	SHOW(read(fd, buf, 10));
	SHOW(lseek(fd, 5, SEEK_SET));
	SHOW(lseek(fd, 2, SEEK_CUR));
	SHOW(lseek(fd, -100, SEEK_CUR));        /* EINVAL: before start */
	SHOW(lseek(fd, 0, SEEK_CUR));           /* unchanged after the error */
	SHOW(lseek(fd, 0, 7));                  /* EINVAL: unknown whence */
	SHOW(lseek(fd, 0, -1));

	/* A write past the end leaves a hole that reads as zeros. */
	SHOW(lseek(fd, 20, SEEK_SET));
	SHOW(write(fd, "end", 3));
	struct stat st;
	must(fstat(fd, &st) == 0, "fstat");
	printf("size after hole write: %lld\n", (long long)st.st_size);
	memset(buf, 'z', sizeof(buf));
	SHOW(pread(fd, buf, 23, 0));
	for (int i = 0; i < 23; i++)
		putchar(buf[i] ? buf[i] : '.');
	putchar('\n');
	SHOW(lseek(fd, 1000, SEEK_SET));        /* seeking past the end is fine */
	SHOW(read(fd, buf, 1));

	/* O_APPEND: writes go to the end whatever the offset; pwrite too (Linux quirk). */
	int ap = open(path, O_WRONLY | O_APPEND);
	SHOW(lseek(ap, 0, SEEK_SET));
	SHOW(write(ap, "A", 1));
	SHOW(lseek(ap, 0, SEEK_CUR));
	SHOW(pwrite(ap, "B", 1, 0));
	must(fstat(fd, &st) == 0, "fstat");
	printf("size after append writes: %lld\n", (long long)st.st_size);
	SHOW(pread(fd, buf, 3, 0));
	printf("head: %.3s\n", buf);

	/* Pipes are not seekable. */
	int p[2];
	must(pipe(p) == 0, "pipe");
	SHOW(lseek(p[0], 0, SEEK_SET));
	SHOW(lseek(p[1], 0, SEEK_CUR));
	SHOW(pread(p[0], buf, 1, 0));
	SHOW(pwrite(p[1], "x", 1, 0));

	/* Bad fds. */
	SHOW(lseek(-1, 0, SEEK_SET));
	SHOW(lseek(999, 0, SEEK_SET));
	SHOW(pread(999, buf, 1, 0));
	SHOW(pwrite(-1, buf, 1, 0));

	/* Wrong access mode. */
	int ro = open(path, O_RDONLY);
	SHOW(pwrite(ro, "x", 1, 0));

	SHOW(unlink(path));
	return 0;
}
