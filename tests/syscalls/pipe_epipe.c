/* Broken pipes: SIGPIPE kills by default; with SIGPIPE ignored or blocked, EPIPE. */
#include "lib/check.h"

static int p[2];

static void write_to_broken_pipe(void)
{
	ssize_t n = write(p[1], "x", 1);
	printf("child: write returned %zd %s\n", n, n < 0 ? errname(errno) : "");
}

static void with_sigpipe_ignored(void)
{
	signal(SIGPIPE, SIG_IGN);
	write_to_broken_pipe();
}

static void with_sigpipe_blocked(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	write_to_broken_pipe();
	sigset_t pending;
	sigpending(&pending);
	printf("child: SIGPIPE pending: %s\n", sigismember(&pending, SIGPIPE) ? "yes" : "no");
}

int main(void)
{
	must(pipe(p) == 0, "pipe");
	SHOW(close(p[0]));

	in_child("default SIGPIPE", write_to_broken_pipe);
	in_child("ignored SIGPIPE", with_sigpipe_ignored);
	in_child("blocked SIGPIPE", with_sigpipe_blocked);

	/* The reader goes away while data sits in the pipe. */
	int q[2];
	must(pipe(q) == 0, "pipe");
	signal(SIGPIPE, SIG_IGN);
	SHOW(write(q[1], "abc", 3));
	SHOW(close(q[0]));
	SHOW(write(q[1], "def", 3));
	SHOW(write(p[1], "", 0));                  /* zero bytes to a broken pipe */

	/* The reader is a child that exits without reading. */
	int r[2];
	must(pipe(r) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(r[1]);
		_exit(3);
	}
	close(r[0]);
	wait_and_report("reader child", pid);
	SHOW(write(r[1], "x", 1));
	return 0;
}
