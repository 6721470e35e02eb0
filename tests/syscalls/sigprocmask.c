/* rt_sigprocmask: old values, blocked signals stay pending, SIGKILL unblockable, errors. */
#include "lib/check.h"

static void print_set(const char *label, const sigset_t *s)
{
	printf("%s:", label);
	int any = 0;
	for (int sig = 1; sig < 65; sig++) {
		if (sigismember(s, sig) == 1) {
			printf(" %s", signame(sig));
			any = 1;
		}
	}
	printf("%s\n", any ? "" : " (empty)");
}

static void pending_then_unblock(void)
{
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	sigpending(&pend);
	print_set("child pending after kill", &pend);
	printf("child: unblocking SIGUSR1 now\n");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("child: survived the unblock (wrong)\n");
}

static void ignore_discards_pending(void)
{
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGTERM);
	sigpending(&pend);
	print_set("child pending", &pend);
	signal(SIGTERM, SIG_IGN);
	sigpending(&pend);
	print_set("child pending after SIG_IGN", &pend);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("child: alive after unblocking\n");
}

static void several_pending(void)
{
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGHUP);
	sigpending(&pend);
	print_set("child pending", &pend);
	/* Exit with both still blocked: they are never delivered. */
}

int main(void)
{
	sigset_t set, old;
	sigemptyset(&old);
	SHOW(sigprocmask(SIG_SETMASK, NULL, &old));
	print_set("initial mask", &old);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGINT);
	SHOW(sigprocmask(SIG_BLOCK, &set, &old));
	print_set("old after BLOCK", &old);
	SHOW(sigprocmask(SIG_BLOCK, NULL, &old));
	print_set("now", &old);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	SHOW(sigprocmask(SIG_UNBLOCK, &set, &old));
	SHOW(sigprocmask(SIG_SETMASK, NULL, &old));
	print_set("after UNBLOCK SIGINT", &old);

	/* SIGKILL and SIGSTOP are silently dropped from the mask. */
	sigfillset(&set);
	SHOW(sigprocmask(SIG_SETMASK, &set, NULL));
	SHOW(sigprocmask(SIG_SETMASK, NULL, &old));
	printf("SIGKILL blocked: %d, SIGSTOP blocked: %d, SIGTERM blocked: %d\n",
	       sigismember(&old, SIGKILL), sigismember(&old, SIGSTOP), sigismember(&old, SIGTERM));
	sigemptyset(&set);
	SHOW(sigprocmask(SIG_SETMASK, &set, NULL));

	/* The mask is inherited by children. */
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t m;
		sigprocmask(SIG_SETMASK, NULL, &m);
		print_set("child mask", &m);
		_exit(0);
	}
	wait_and_report("child", pid);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	in_child("pending then unblock", pending_then_unblock);
	in_child("SIG_IGN discards pending", ignore_discards_pending);
	in_child("several pending, never unblocked", several_pending);

	/* Errors (raw syscall: libc checks nothing, but be explicit). */
	uint64_t kset = 0, kold = 0;
	SHOW(syscall(SYS_rt_sigprocmask, 3, &kset, &kold, 8));      /* EINVAL: how */
	SHOW(syscall(SYS_rt_sigprocmask, -1, &kset, &kold, 8));
	SHOW(syscall(SYS_rt_sigprocmask, 3, NULL, &kold, 8));       /* how ignored: ok */
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &kset, &kold, 4));  /* EINVAL: size */
	SHOW(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &kset, &kold, 16));
	SHOW(syscall(SYS_rt_sigpending, &kset, 4));                 /* EINVAL */
	SHOW(syscall(SYS_rt_sigpending, &kset, 8));
	printf("pending raw: %llx\n", (unsigned long long)kset);
	return 0;
}
