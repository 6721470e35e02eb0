/*
 * Descriptors across fork: the child gets copies of the fd table entries that share the
 * open file descriptions (offset, status flags) with the parent; fd flags are per entry.
 */
#include "lib/check.h"
#include <fcntl.h>

int main(void)
{
	int fd = open("/tmp/fd_fork.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");
	must(write(fd, "0123456789", 10) == 10, "write");
	SHOW(lseek(fd, 2, SEEK_SET));
	int cx = dup(fd);
	SHOW(fcntl(cx, F_SETFD, FD_CLOEXEC));

	int sync[2];
	must(pipe(sync) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		/* The shared offset moves for both; our F_SETFL is visible to the parent. */
		read(fd, &c, 1);
		lseek(fd, 5, SEEK_CUR);
		fcntl(fd, F_SETFL, O_APPEND);
		/* fd flags are copied but separate: clearing ours does not touch the parent's. */
		fcntl(cx, F_SETFD, 0);
		/* Closing our copies does not close the parent's. */
		close(fd);
		close(cx);
		write(sync[1], "d", 1);
		_exit(0);
	}
	char c;
	must(read(sync[0], &c, 1) == 1, "sync");
	wait_and_report("child", pid);
	SHOW(lseek(fd, 0, SEEK_CUR));            /* 2 + 1 + 5 = 8 */
	SHOW(fcntl(fd, F_GETFL) & O_APPEND ? 1 : 0);
	SHOW(fcntl(cx, F_GETFD));                /* still FD_CLOEXEC */
	SHOW(read(fd, &c, 1));
	printf("read at shared offset: %c\n", c);
	SHOW(write(fd, "X", 1));                 /* O_APPEND set by the child: at the end */
	struct stat st;
	must(fstat(fd, &st) == 0, "fstat");
	printf("size: %lld\n", (long long)st.st_size);

	/* Two independent opens have independent offsets, even across fork. */
	int other = open("/tmp/fd_fork.txt", O_RDONLY);
	pid = fork();
	if (pid == 0) {
		lseek(other, 7, SEEK_SET);
		_exit(0);
	}
	wait_and_report("child seeking a shared description", pid);
	SHOW(lseek(other, 0, SEEK_CUR));         /* 7: the same description */
	int mine = open("/tmp/fd_fork.txt", O_RDONLY);
	SHOW(lseek(mine, 0, SEEK_CUR));          /* 0: a different description */

	/* A descriptor opened by the child after fork is not the parent's. */
	pid = fork();
	if (pid == 0) {
		int n = open("/dev/null", O_RDONLY);
		_exit(n);
	}
	wait_and_report("child's new fd number", pid);
	SHOW(fcntl(mine + 1, F_GETFD));          /* EBADF in the parent */

	unlink("/tmp/fd_fork.txt");
	return 0;
}
