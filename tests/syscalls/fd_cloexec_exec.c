/* Close-on-exec: which descriptors survive execve. */
#include "lib/check.h"
#include <fcntl.h>

static void after_exec(void)
{
	/* Fds 5..9 were set up before exec; print which are still open. */
	for (int fd = 5; fd <= 9; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0)
			printf("after exec: fd %d closed (%s)\n", fd, errname(errno));
		else
			printf("after exec: fd %d open, FD_CLOEXEC=%d\n", fd, flags & FD_CLOEXEC);
	}
	char buf[16] = { 0 };
	ssize_t n = pread(5, buf, sizeof(buf) - 1, 0);
	printf("after exec: read fd 5: %zd '%s'\n", n, n > 0 ? buf : "");
	unlink("/tmp/fd_cloexec_exec.txt");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after") == 0) {
		after_exec();
		return 0;
	}

	int fd = open("/tmp/fd_cloexec_exec.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");
	must(write(fd, "survivor", 8) == 8, "write");

	SHOW(dup2(fd, 5));                               /* kept */
	SHOW(dup3(fd, 6, O_CLOEXEC));                    /* closed */
	SHOW(fcntl(fd, F_DUPFD_CLOEXEC, 7));             /* closed */
	SHOW(dup2(fd, 8));
	SHOW(fcntl(8, F_SETFD, FD_CLOEXEC));             /* closed */
	SHOW(dup3(fd, 9, O_CLOEXEC));
	SHOW(fcntl(9, F_SETFD, 0));                      /* kept */
	int oc = open("/tmp/fd_cloexec_exec.txt", O_RDONLY | O_CLOEXEC);
	SHOW(fcntl(oc, F_GETFD));

	char *args[] = { argv[0], "after", NULL };
	char *env[] = { NULL };
	execve(argv[0], args, env);
	printf("execve failed: %s\n", errname(errno));
	return 1;
}
