/* pipe and pipe2: data flow, flags, blocking read, EOF after the writer closes, EAGAIN. */
#include "lib/check.h"
#include <fcntl.h>
#include <time.h>

int main(void)
{
	int p[2];
	SHOW(pipe(p));
	printf("fds: %d %d\n", p[0], p[1]);
	SHOW(fcntl(p[0], F_GETFD));
	SHOW(fcntl(p[0], F_GETFL) & O_ACCMODE);
	SHOW(fcntl(p[1], F_GETFL) & O_ACCMODE);
	SHOW(write(p[1], "hello", 5));
	char buf[64] = { 0 };
	SHOW(read(p[0], buf, 3));                  /* partial read */
	SHOW(read(p[0], buf + 3, sizeof(buf) - 4));  /* the rest, without waiting for more */
	printf("data: %s\n", buf);
	SHOW(write(p[0], "x", 1));                 /* EBADF: read end */
	SHOW(read(p[1], buf, 1));                  /* EBADF: write end */

	/* EOF once every write end is closed. */
	SHOW(write(p[1], "bye", 3));
	SHOW(close(p[1]));
	SHOW(read(p[0], buf, sizeof(buf)));
	SHOW(read(p[0], buf, sizeof(buf)));
	SHOW(close(p[0]));

	/* pipe2 flags. */
	SHOW(pipe2(p, O_CLOEXEC));
	SHOW(fcntl(p[0], F_GETFD));
	SHOW(fcntl(p[1], F_GETFD));
	close(p[0]);
	close(p[1]);
	SHOW(pipe2(p, O_NONBLOCK));
	SHOW(fcntl(p[0], F_GETFL) & O_NONBLOCK ? 1 : 0);
	SHOW(read(p[0], buf, 1));                  /* EAGAIN: empty */
	SHOW(write(p[1], "z", 1));
	SHOW(read(p[0], buf, 8));
	/* Fill a non-blocking pipe: eventually EAGAIN. */
	long total = 0;
	static char chunk[4096];
	for (;;) {
		ssize_t n = write(p[1], chunk, sizeof(chunk));
		if (n < 0) {
			printf("fill stopped with %s, capacity at least 4096: %s\n", errname(errno),
			       total >= 4096 ? "yes" : "no");
			break;
		}
		total += n;
		if (total > (1L << 24)) {
			printf("pipe never filled\n");
			break;
		}
	}
	close(p[0]);
	close(p[1]);
	SHOW(pipe2(p, O_DIRECT | O_NONBLOCK | O_CLOEXEC));
	close(p[0]);
	close(p[1]);
	SHOW(pipe2(p, O_RDWR));                    /* EINVAL */
	SHOW(pipe2(p, 0x1));                       /* EINVAL */
	SHOW(pipe2(p, O_APPEND));                  /* EINVAL */

	/* A blocking read waits for a writer that writes later. */
	must(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		close(p[0]);
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		write(p[1], "late", 4);
		_exit(0);
	}
	close(p[1]);
	memset(buf, 0, sizeof(buf));
	SHOW(read(p[0], buf, sizeof(buf)));
	printf("blocking read got: %s\n", buf);
	SHOW(read(p[0], buf, sizeof(buf)));        /* EOF when the child exits */
	wait_and_report("writer child", pid);
	close(p[0]);

	/* Many writes from a child arrive in order and complete. */
	must(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < 1000; i++) {
			char line[16];
			int n = snprintf(line, sizeof(line), "%d\n", i);
			if (write(p[1], line, n) != n)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	long bytes = 0, sum = 0, cur = 0;
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				sum += cur;
				cur = 0;
			} else {
				cur = cur * 10 + (buf[i] - '0');
			}
		}
		bytes += n;
	}
	printf("streamed bytes=%ld sum=%ld\n", bytes, sum);
	wait_and_report("streaming child", pid);
	return 0;
}
