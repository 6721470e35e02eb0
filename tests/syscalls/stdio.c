/*
 * The program's stdio is moat's: stdin is /dev/null and stdout/stderr are pipes in both
 * runs (the test runner sets them up that way).
 */
#include "lib/check.h"
#include <fcntl.h>

static const char *type_of(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return errname(errno);
	if (S_ISCHR(st.st_mode))
		return "chardev";
	if (S_ISFIFO(st.st_mode))
		return "fifo";
	if (S_ISREG(st.st_mode))
		return "regular";
	if (S_ISSOCK(st.st_mode))
		return "socket";
	return "other";
}

int main(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int fl = fcntl(fd, F_GETFL);
		printf("fd %d: type=%s access=%d cloexec=%d\n", fd, type_of(fd), fl & O_ACCMODE,
		       fcntl(fd, F_GETFD));
	}
	SHOW(fcntl(3, F_GETFD));                 /* nothing else is open */
	char buf[16];
	SHOW(read(0, buf, sizeof(buf)));         /* /dev/null: EOF */
	SHOW(write(1, "to stdout\n", 10));
	SHOW(write(2, "to stderr (not compared)\n", 25));
	SHOW(lseek(1, 0, SEEK_CUR));             /* ESPIPE */
	SHOW(isatty(0));
	SHOW(isatty(1));

	/* A child writes to the same stdout; its output comes before the parent's next line. */
	pid_t pid = fork();
	if (pid == 0) {
		printf("child writes to the inherited stdout\n");
		_exit(0);
	}
	wait_and_report("child", pid);

	/* dup'ing stdout and writing through the dup. */
	int d = dup(1);
	SHOW(d);
	SHOW(write(d, "through a dup of stdout\n", 24));
	int closed = close(1);
	errno = 0;
	int written = write(1, "x", 1);          /* EBADF */
	int write_errno = errno;
	SHOW(dup2(d, 1));
	printf("stdout restored; while closed: close=%d write=%d %s\n", closed, written,
	       errname(write_errno));

	/* A large write arrives whole. */
	static char big[200000];
	memset(big, '.', sizeof(big));
	for (size_t i = 99; i < sizeof(big); i += 100)
		big[i] = '\n';
	SHOW(write(1, big, sizeof(big)));
	return 0;
}
