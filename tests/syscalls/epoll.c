/* epoll: interest list management, level-triggered readiness on pipes, timeouts, errors. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/epoll.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec t;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void show_wait(const char *label, int ep, int timeout)
{
	struct epoll_event ev[8];
	int n = epoll_wait(ep, ev, 8, timeout);
	printf("%s: %d", label, n);
	if (n < 0)
		printf(" %s", errname(errno));
	/* Sort by data so that the order of ready events does not matter. */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (ev[j].data.u32 < ev[i].data.u32) {
				struct epoll_event t = ev[i];
				ev[i] = ev[j];
				ev[j] = t;
			}
	for (int i = 0; i < n; i++)
		printf(" [data=%u%s%s%s%s]", ev[i].data.u32, ev[i].events & EPOLLIN ? " IN" : "",
		       ev[i].events & EPOLLOUT ? " OUT" : "", ev[i].events & EPOLLHUP ? " HUP" : "",
		       ev[i].events & EPOLLERR ? " ERR" : "");
	printf("\n");
}

int main(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	SHOW(ep >= 0);
	SHOW(fcntl(ep, F_GETFD));
	SHOW(epoll_create(0));                                    /* EINVAL */
	SHOW(epoll_create1(0x1));                                 /* EINVAL */

	int p[2], q[2];
	must(pipe(p) == 0 && pipe(q) == 0, "pipe");
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));            /* EEXIST */
	ev.events = EPOLLOUT;
	ev.data.u32 = 2;
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 3;
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));

	show_wait("only the write end is ready", ep, 0);
	must(write(p[1], "ab", 2) == 2, "write");
	show_wait("data in p", ep, 0);
	show_wait("level-triggered: still ready", ep, 0);
	char buf[4];
	must(read(p[0], buf, 2) == 2, "read");
	show_wait("drained", ep, 0);

	/* MOD and DEL. */
	ev.events = EPOLLIN;
	ev.data.u32 = 20;
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));            /* write end never readable */
	show_wait("write end now asks for IN", ep, 0);
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));           /* ENOENT */
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));            /* ENOENT */

	/* Hang-up: the writer of q goes away. */
	close(q[1]);
	show_wait("q writer closed", ep, 0);
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));

	/* EPOLLONESHOT: one report, then disabled until MOD. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u32 = 1;
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	must(write(p[1], "x", 1) == 1, "write");
	show_wait("oneshot first", ep, 0);
	show_wait("oneshot second", ep, 0);
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	show_wait("oneshot re-armed", ep, 0);
	must(read(p[0], buf, 1) == 1, "read");

	/* Timeout and wake-up by a child. */
	ev.events = EPOLLIN;
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
	long long t0 = now_ms();
	show_wait("nothing for 60 ms", ep, 60);
	FACT("waited >= 60 ms", now_ms() - t0 >= 60);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
		write(p[1], "y", 1);
		_exit(0);
	}
	show_wait("woken by a child", ep, 10000);
	wait_and_report("writer", pid);
	must(read(p[0], buf, 1) == 1, "read");

	/* Closing an fd removes it from the interest list. */
	int r[2];
	must(pipe(r) == 0, "pipe");
	ev.events = EPOLLIN;
	ev.data.u32 = 9;
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, r[0], &ev));
	must(write(r[1], "z", 1) == 1, "write");
	close(r[0]);
	show_wait("after closing a registered fd", ep, 0);

	/* Errors. */
	int file = open("/tmp/epoll.txt", O_CREAT | O_RDWR, 0644);
	ev.events = EPOLLIN;
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev));            /* EPERM: regular file */
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));              /* EINVAL: itself */
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));             /* EBADF */
	SHOW(epoll_ctl(file, EPOLL_CTL_ADD, p[0], &ev));          /* EINVAL: not an epoll fd */
	SHOW(epoll_ctl(ep, 99, p[0], &ev));                       /* EINVAL */
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], KERNEL_PTR));     /* EFAULT */
	struct epoll_event out[1];
	SHOW(epoll_wait(ep, out, 0, 0));                          /* EINVAL */
	SHOW(epoll_wait(file, out, 1, 0));                        /* EINVAL */
	SHOW(epoll_wait(999, out, 1, 0));                         /* EBADF */
	must(write(p[1], "w", 1) == 1, "write");
	SHOW(epoll_wait(ep, KERNEL_PTR, 1, 0));                   /* EFAULT */
	unlink("/tmp/epoll.txt");
	return 0;
}
