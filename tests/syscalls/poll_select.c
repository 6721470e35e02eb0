/* poll, ppoll, select, pselect6 on pipes and files: readiness bits, timeouts, errors. */
#include "lib/check.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec t;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void show_revents(const char *label, struct pollfd *fds, int n, int r)
{
	printf("%s: poll=%d", label, r);
	if (r < 0)
		printf(" %s", errname(errno));
	for (int i = 0; i < n; i++) {
		short e = fds[i].revents;
		printf(" [%s%s%s%s%s]", e & POLLIN ? "IN " : "", e & POLLOUT ? "OUT " : "",
		       e & POLLHUP ? "HUP " : "", e & POLLERR ? "ERR " : "", e & POLLNVAL ? "NVAL" : "");
	}
	printf("\n");
}

int main(void)
{
	int p[2];
	must(pipe(p) == 0, "pipe");
	struct pollfd fds[4] = {
		{ .fd = p[0], .events = POLLIN },
		{ .fd = p[1], .events = POLLOUT },
		{ .fd = 999, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },        /* negative fds are ignored */
	};
	show_revents("empty pipe", fds, 4, poll(fds, 4, 0));
	must(write(p[1], "x", 1) == 1, "write");
	show_revents("one byte queued", fds, 4, poll(fds, 4, 0));
	fds[1].events = POLLIN;                        /* asks for nothing the end can give */
	show_revents("write end asked for POLLIN", fds, 2, poll(fds, 2, 0));
	close(p[1]);
	show_revents("writer closed, byte left", fds, 1, poll(fds, 1, 0));
	char c;
	must(read(p[0], &c, 1) == 1, "read");
	show_revents("writer closed, drained", fds, 1, poll(fds, 1, 0));
	close(p[0]);

	must(pipe(p) == 0, "pipe");
	close(p[0]);
	struct pollfd w = { .fd = p[1], .events = POLLOUT };
	show_revents("reader closed", &w, 1, poll(&w, 1, 0));
	close(p[1]);

	int file = open("/tmp/poll_select.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int null = open("/dev/null", O_RDWR);
	struct pollfd f[2] = { { .fd = file, .events = POLLIN | POLLOUT },
			       { .fd = null, .events = POLLIN | POLLOUT } };
	show_revents("regular file and /dev/null", f, 2, poll(f, 2, 0));

	/* Timeouts: nothing ready, so poll sleeps about that long and returns 0. */
	must(pipe(p) == 0, "pipe");
	struct pollfd r = { .fd = p[0], .events = POLLIN };
	long long t0 = now_ms();
	SHOW(poll(&r, 1, 80));
	FACT("poll waited >= 80 ms", now_ms() - t0 >= 80);
	struct timespec ts = { 0, 60 * 1000000L };
	t0 = now_ms();
	SHOW(ppoll(&r, 1, &ts, NULL));
	FACT("ppoll waited >= 60 ms", now_ms() - t0 >= 60);
	SHOW(poll(NULL, 0, 10));                          /* a plain sleep */

	/* A writer in a child wakes a blocked poll. */
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec nap = { 0, 50 * 1000000L };
		nanosleep(&nap, NULL);
		write(p[1], "y", 1);
		_exit(0);
	}
	r.revents = 0;
	SHOW(poll(&r, 1, 10000));
	printf("woken with POLLIN: %s\n", r.revents & POLLIN ? "yes" : "no");
	wait_and_report("writer", pid);

	/* select. */
	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	struct timeval tv = { 0, 0 };
	SHOW(select(p[1] + 1, &rd, &wr, NULL, &tv));
	printf("select: read ready %d, write ready %d\n", FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr));
	must(read(p[0], &c, 1) == 1, "drain");
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv.tv_usec = 50000;
	t0 = now_ms();
	SHOW(select(p[0] + 1, &rd, NULL, NULL, &tv));
	FACT("select waited >= 50 ms", now_ms() - t0 >= 50);
	printf("timeval left: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	struct timespec pts = { 0, 0 };
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	SHOW(pselect(p[0] + 1, &rd, NULL, NULL, &pts, NULL));

	/* Errors. */
	FD_ZERO(&rd);
	FD_SET(60, &rd);     /* below 64: Linux ignores fds beyond its fd table's current size */
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	SHOW(select(61, &rd, NULL, NULL, &tv));           /* EBADF */
	SHOW(select(-1, NULL, NULL, NULL, &tv));          /* EINVAL */
	tv.tv_usec = -1;
	SHOW(select(0, NULL, NULL, NULL, &tv));           /* EINVAL */
	SHOW(syscall(SYS_poll, KERNEL_PTR, 1, 0));        /* EFAULT */
	SHOW(syscall(SYS_poll, NULL, 1, 0));
	SHOW(syscall(SYS_poll, &r, 1L << 20, 0));          /* EINVAL: > RLIMIT_NOFILE */
	ts.tv_nsec = 1000000000L;
	SHOW(ppoll(&r, 1, &ts, NULL));                    /* EINVAL */

	unlink("/tmp/poll_select.txt");
	return 0;
}
