/* dup, dup2, dup3 and close: lowest free fd, EBADF, EINVAL, same-fd cases. */
#include "lib/check.h"
#include <fcntl.h>

int main(void)
{
	int fd = open("/tmp/fd_dup.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd == 3, "open gives fd 3");

	SHOW(dup(fd));                   /* lowest free: 4 */
	SHOW(close(4));
	SHOW(dup2(fd, 10));
	SHOW(dup2(fd, fd));              /* same fd: returns fd, no-op */
	SHOW(dup2(fd, 10));              /* replaces 10 silently */
	SHOW(dup3(fd, 11, 0));
	SHOW(dup3(fd, fd, 0));           /* EINVAL: same fd */
	SHOW(dup3(fd, 12, 0x1));         /* EINVAL: unknown flag */
	SHOW(dup3(fd, 12, O_CLOEXEC));
	SHOW(fcntl(12, F_GETFD));        /* FD_CLOEXEC */
	SHOW(fcntl(11, F_GETFD));        /* 0 */
	SHOW(dup(fd));                   /* 4 again: the hole is reused */

	/* dup2 onto itself keeps FD_CLOEXEC; onto another fd it clears the target's. */
	SHOW(fcntl(12, F_SETFD, FD_CLOEXEC));
	SHOW(dup2(12, 12));
	SHOW(fcntl(12, F_GETFD));
	SHOW(dup3(fd, 12, 0));
	SHOW(fcntl(12, F_GETFD));
	SHOW(fcntl(12, F_SETFD, FD_CLOEXEC));
	SHOW(dup2(fd, 12));
	SHOW(fcntl(12, F_GETFD));
	SHOW(fcntl(fd, F_GETFD));        /* the source's flag is not copied either way */

	/* A dup shares the file offset. */
	SHOW(write(fd, "abcdef", 6));
	SHOW(lseek(10, 0, SEEK_CUR));
	SHOW(lseek(11, 2, SEEK_SET));
	SHOW(lseek(fd, 0, SEEK_CUR));

	/* Closing one dup leaves the file open through the others. */
	SHOW(close(fd));
	char buf[8] = { 0 };
	SHOW(pread(10, buf, 6, 0));
	printf("read through dup: %s\n", buf);

	SHOW(dup(-1));
	SHOW(dup(999));
	SHOW(dup2(-1, 20));
	SHOW(dup2(10, -1));
	SHOW(dup2(999, 20));
	SHOW(dup3(10, -5, 0));
	SHOW(close(999));
	SHOW(close(-1));
	SHOW(close(10));
	SHOW(close(10));                 /* EBADF: already closed */
	SHOW(close(11));
	SHOW(close(12));
	SHOW(close(4));
	SHOW(unlink("/tmp/fd_dup.txt"));
	return 0;
}
