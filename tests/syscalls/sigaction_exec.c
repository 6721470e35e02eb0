/* Across execve: caught signals reset to SIG_DFL, ignored stay ignored, mask is kept. */
#include "lib/check.h"

static void handler(int sig) { (void)sig; }

static const char *disp_of(int sig)
{
	struct sigaction sa;
	if (sigaction(sig, NULL, &sa) != 0)
		return errname(errno);
	if (sa.sa_handler == SIG_DFL)
		return "SIG_DFL";
	if (sa.sa_handler == SIG_IGN)
		return "SIG_IGN";
	return "handler";
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("after exec: SIGUSR1 %s, SIGUSR2 %s, SIGTERM %s\n", disp_of(SIGUSR1),
		       disp_of(SIGUSR2), disp_of(SIGTERM));
		sigset_t cur;
		sigprocmask(SIG_SETMASK, NULL, &cur);
		printf("after exec: blocked SIGINT=%d SIGHUP=%d\n", sigismember(&cur, SIGINT),
		       sigismember(&cur, SIGHUP));
		sigset_t pend;
		sigpending(&pend);
		printf("after exec: SIGINT still pending: %s\n",
		       sigismember(&pend, SIGINT) ? "yes" : "no");
		return 0;
	}
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, handler);
	signal(SIGTERM, handler);
	printf("before exec: SIGUSR1 %s, SIGUSR2 %s, SIGTERM %s\n", disp_of(SIGUSR1),
	       disp_of(SIGUSR2), disp_of(SIGTERM));
	pid_t pid = fork();
	if (pid == 0) {
		/* Pending signals are not inherited by fork, so make one pending here. */
		sigset_t block;
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigprocmask(SIG_BLOCK, &block, NULL);
		kill(getpid(), SIGINT);
		char *args[] = { argv[0], "after", NULL };
		char *env[] = { NULL };
		execve(argv[0], args, env);
		_exit(111);
	}
	wait_and_report("exec'd child", pid);
	return 0;
}
