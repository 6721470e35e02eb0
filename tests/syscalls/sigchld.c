/* SIGCHLD to the parent on child exit; SIG_IGN for SIGCHLD auto-reaps children. */
#include "lib/check.h"

static int chld_pending(void)
{
	sigset_t pend;
	sigpending(&pend);
	return sigismember(&pend, SIGCHLD);
}

int main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	SHOW(sigprocmask(SIG_BLOCK, &set, NULL));
	FACT("SIGCHLD pending before any child", chld_pending());

	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	wait_and_report("child", pid);
	FACT("SIGCHLD pending after the child exited", chld_pending());

	/* Unblocking with the default disposition (ignore) discards it. */
	SHOW(sigprocmask(SIG_UNBLOCK, &set, NULL));
	FACT("still pending after unblock", chld_pending());
	SHOW(sigprocmask(SIG_BLOCK, &set, NULL));

	/* A child killed by a signal also sends SIGCHLD. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(1);
	}
	kill(pid, SIGKILL);
	wait_and_report("killed child", pid);
	FACT("SIGCHLD pending after the killed child", chld_pending());
	SHOW(sigprocmask(SIG_UNBLOCK, &set, NULL));

	/* A child's own SIGCHLD comes from its children, not from itself or its siblings. */
	pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_BLOCK, &set, NULL);
		int before = chld_pending();
		pid_t g = fork();
		if (g == 0)
			_exit(0);
		waitpid(g, NULL, 0);
		_exit(before * 10 + chld_pending());
	}
	wait_and_report("child: exit code 10*before + after", pid);

	/* SIGCHLD ignored: children are reaped automatically and wait reports ECHILD. */
	signal(SIGCHLD, SIG_IGN);
	pid = fork();
	if (pid == 0)
		_exit(5);
	int status;
	SHOW(waitpid(pid, &status, 0));
	SHOW(waitpid(-1, &status, WNOHANG));

	/* SA_NOCLDWAIT has the same effect with a non-ignore disposition. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	SHOW(sigaction(SIGCHLD, &sa, NULL));
	pid = fork();
	if (pid == 0)
		_exit(6);
	SHOW(waitpid(pid, &status, 0));

	signal(SIGCHLD, SIG_DFL);
	pid = fork();
	if (pid == 0)
		_exit(7);
	wait_and_report("with SIG_DFL again", pid);
	return 0;
}
