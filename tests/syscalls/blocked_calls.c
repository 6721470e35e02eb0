/*
 * Blocking calls and signals without handlers: SIGSTOP/SIGCONT do not break a blocked
 * nanosleep, read or wait4 (Linux restarts them), an ignored signal does not either,
 * and SIGKILL ends a task wherever it is blocked.
 */
#include "lib/check.h"
#include <time.h>

static long long now_ms(void)
{
	struct timespec t;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Child: report how a 300 ms nanosleep ended and how long it took (exit code). */
static void sleeper(void)
{
	struct timespec ts = { 0, 300 * 1000000L };
	long long t0 = now_ms();
	long r = syscall(SYS_nanosleep, &ts, NULL);
	long long took = now_ms() - t0;
	_exit(r == 0 && took >= 300 ? 0 : r == 0 ? 2 : 3);
}

int main(void)
{
	/* nanosleep stopped and continued in the middle. */
	pid_t pid = fork();
	if (pid == 0)
		sleeper();
	nap(50);
	SHOW(kill(pid, SIGSTOP));
	int status;
	must(waitpid(pid, &status, WUNTRACED) == pid, "wait stop");
	printf("sleeper: %s\n", describe_status(status));
	nap(50);
	SHOW(kill(pid, SIGCONT));
	wait_and_report("sleeper after stop/continue (0 = slept fully, no EINTR)", pid);

	/* An ignored-by-default signal (SIGCHLD, SIGURG, SIGWINCH) does not interrupt. */
	pid = fork();
	if (pid == 0)
		sleeper();
	nap(50);
	kill(pid, SIGURG);
	kill(pid, SIGWINCH);
	kill(pid, SIGCHLD);
	wait_and_report("sleeper sent ignored signals", pid);

	/* A read on a pipe survives stop/continue and then gets its data. */
	int p[2];
	must(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		char buf[8] = { 0 };
		close(p[1]);
		ssize_t n = read(p[0], buf, sizeof(buf));
		_exit(n == 4 && memcmp(buf, "data", 4) == 0 ? 0 : n < 0 ? 10 + (errno == EINTR) : 1);
	}
	close(p[0]);
	nap(50);
	kill(pid, SIGSTOP);
	must(waitpid(pid, &status, WUNTRACED) == pid, "wait stop");
	kill(pid, SIGCONT);
	nap(50);
	must(write(p[1], "data", 4) == 4, "write");
	wait_and_report("reader after stop/continue", pid);
	close(p[1]);

	/* wait4 in a child survives its own child's stop... and SIGCHLD arriving. */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			nap(150);
			_exit(7);
		}
		int st;
		pid_t r = waitpid(g, &st, 0);
		_exit(r == g && WIFEXITED(st) ? WEXITSTATUS(st) : 100);
	}
	nap(50);
	kill(pid, SIGSTOP);
	must(waitpid(pid, &status, WUNTRACED) == pid, "wait stop");
	kill(pid, SIGCONT);
	wait_and_report("waiter after stop/continue (7 = got its child)", pid);

	/* SIGKILL ends tasks blocked in nanosleep, read, wait4 and pause, at once. */
	const char *what[] = { "nanosleep(100 s)", "read(empty pipe)", "wait4(blocked child)",
			       "pause()" };
	for (int k = 0; k < 4; k++) {
		int q[2];
		must(pipe(q) == 0, "pipe");
		pid = fork();
		if (pid == 0) {
			struct timespec long_sleep = { 100, 0 };
			char c;
			switch (k) {
			case 0:
				nanosleep(&long_sleep, NULL);
				break;
			case 1:
				read(q[0], &c, 1);
				break;
			case 2:
				if (fork() == 0) {
					/* Blocks until the parent closes the pipe after the test. */
					close(q[1]);
					read(q[0], &c, 1);
					_exit(0);
				}
				wait(NULL);
				break;
			case 3:
				pause();
				break;
			}
			_exit(1);
		}
		nap(50);
		long long t0 = now_ms();
		kill(pid, SIGKILL);
		must(waitpid(pid, &status, 0) == pid, "wait");
		char label[80];
		snprintf(label, sizeof(label), "SIGKILL in %s", what[k]);
		printf("%s: %s, within 2 s: %s\n", label, describe_status(status),
		       now_ms() - t0 < 2000 ? "yes" : "no");
		close(q[0]);
		close(q[1]);
	}
	return 0;
}
