/* eventfd: counter semantics, EFD_SEMAPHORE, non-blocking limits, poll readiness, errors. */
#include "lib/check.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>

static void rd(const char *label, int fd)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, sizeof(v));
	if (n < 0)
		printf("%s: read -1 %s\n", label, errname(errno));
	else
		printf("%s: read %zd value %llu\n", label, n, (unsigned long long)v);
}

static void wr(const char *label, int fd, uint64_t v)
{
	ssize_t n = write(fd, &v, sizeof(v));
	if (n < 0)
		printf("%s: write -1 %s\n", label, errname(errno));
	else
		printf("%s: write %zd\n", label, n);
}

static int readable(int fd, int events)
{
	struct pollfd p = { .fd = fd, .events = (short)events };
	poll(&p, 1, 0);
	return p.revents;
}

int main(void)
{
	int e = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	SHOW(e >= 0);
	SHOW(fcntl(e, F_GETFD));
	SHOW(fcntl(e, F_GETFL) & O_NONBLOCK ? 1 : 0);
	wr("add 4", e, 4);
	printf("poll: %s\n", readable(e, POLLIN | POLLOUT) == (POLLIN | POLLOUT) ? "IN OUT" : "?");
	rd("read sums and resets", e);
	rd("empty, non-blocking", e);
	printf("poll when zero: %s\n", readable(e, POLLIN) ? "IN" : "none");
	wr("max value", e, 0xfffffffffffffffeULL);
	wr("one more would overflow", e, 1);
	wr("all ones is invalid", e, 0xffffffffffffffffULL);
	rd("read max", e);
	uint32_t small;
	SHOW(read(e, &small, sizeof(small)));                    /* EINVAL: < 8 bytes */
	SHOW(write(e, &small, sizeof(small)));                   /* EINVAL */
	close(e);

	int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	rd("semaphore 1", s);
	rd("semaphore 2", s);
	rd("semaphore empty", s);
	close(s);

	/* Blocking read woken by a write from a child, through the shared description. */
	int b = eventfd(0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		uint64_t v = 7;
		write(b, &v, sizeof(v));
		_exit(0);
	}
	rd("blocking read", b);
	wait_and_report("child", pid);

	SHOW(eventfd(0, 0x10));                                   /* EINVAL */
	SHOW(syscall(SYS_eventfd2, 0, EFD_SEMAPHORE | 0x10));
	return 0;
}
