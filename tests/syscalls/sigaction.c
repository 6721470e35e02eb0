/* rt_sigaction: defaults, old values, SIG_IGN, flags/mask round trip, and errors. */
#include "lib/check.h"

/* The kernel's struct sigaction for the raw syscall (no sa_restorer games by libc). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void handler(int sig) { (void)sig; }

static const char *disp(void *h)
{
	if (h == (void *)SIG_DFL)
		return "SIG_DFL";
	if (h == (void *)SIG_IGN)
		return "SIG_IGN";
	if (h == (void *)handler)
		return "handler";
	return "other";
}

static long raw(int sig, const struct ksigaction *act, struct ksigaction *old, size_t size)
{
	return syscall(SYS_rt_sigaction, sig, act, old, size);
}

int main(void)
{
	struct ksigaction old, act;

	/* Every signal starts at SIG_DFL (std::process resets SIGPIPE for the host run). */
	int non_default = 0;
	for (int sig = 1; sig <= 64; sig++) {
		memset(&old, 0x55, sizeof(old));
		if (raw(sig, NULL, &old, 8) != 0) {
			if (sig != 32 && sig != 33)
				printf("query %d: -1 %s\n", sig, errname(errno));
			continue;
		}
		if (old.handler != (void *)SIG_DFL && sig != 32 && sig != 33) {
			printf("signal %s starts as %s\n", signame(sig), disp(old.handler));
			non_default++;
		}
	}
	printf("signals not at SIG_DFL initially: %d\n", non_default);

	/* Set SIG_IGN, read it back through the old value. */
	memset(&act, 0, sizeof(act));
	act.handler = (void *)SIG_IGN;
	SHOW(raw(SIGUSR1, &act, &old, 8));
	printf("old SIGUSR1: %s\n", disp(old.handler));
	SHOW(raw(SIGUSR1, NULL, &old, 8));
	printf("now SIGUSR1: %s\n", disp(old.handler));

	/* A handler with flags and mask round-trips (through libc, which adds SA_RESTORER). */
	struct sigaction sa, osa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGTERM);
	SHOW(sigaction(SIGUSR2, &sa, NULL));
	SHOW(sigaction(SIGUSR2, NULL, &osa));
	printf("SIGUSR2: %s flags SA_RESTART=%d SA_NODEFER=%d SA_SIGINFO=%d mask USR2=%d TERM=%d INT=%d\n",
	       disp((void *)osa.sa_handler), !!(osa.sa_flags & SA_RESTART),
	       !!(osa.sa_flags & SA_NODEFER), !!(osa.sa_flags & SA_SIGINFO),
	       sigismember(&osa.sa_mask, SIGUSR2), sigismember(&osa.sa_mask, SIGTERM),
	       sigismember(&osa.sa_mask, SIGINT));

	/* SIGKILL and SIGSTOP cannot be caught or ignored, but can be queried. */
	act.handler = (void *)SIG_IGN;
	SHOW(raw(SIGKILL, &act, NULL, 8));
	SHOW(raw(SIGSTOP, &act, NULL, 8));
	act.handler = (void *)SIG_DFL;
	SHOW(raw(SIGKILL, &act, NULL, 8));         /* EINVAL even for SIG_DFL */
	SHOW(raw(SIGKILL, NULL, &old, 8));
	printf("SIGKILL: %s\n", disp(old.handler));

	/* Bad signal numbers and sizes. */
	SHOW(raw(0, NULL, &old, 8));
	SHOW(raw(65, NULL, &old, 8));
	SHOW(raw(-1, NULL, &old, 8));
	SHOW(raw(SIGUSR1, NULL, &old, 4));
	SHOW(raw(SIGUSR1, NULL, &old, 16));
	SHOW(raw(SIGUSR1, NULL, NULL, 8));          /* nothing to do: fine */
	SHOW(raw(SIGRTMIN + 1, NULL, &old, 8));
	SHOW(raw(64, NULL, &old, 8));

	/* Ignored signals are discarded; SIG_DFL with "ignore" default too. */
	SHOW(kill(getpid(), SIGUSR1));
	SHOW(kill(getpid(), SIGCHLD));
	SHOW(kill(getpid(), SIGURG));
	SHOW(kill(getpid(), SIGWINCH));
	printf("still alive\n");

	/* Dispositions across fork are inherited; across exec, handlers reset. */
	pid_t pid = fork();
	if (pid == 0) {
		struct ksigaction o;
		raw(SIGUSR1, NULL, &o, 8);
		printf("child SIGUSR1: %s\n", disp(o.handler));
		raw(SIGUSR2, NULL, &o, 8);
		printf("child SIGUSR2: %s\n", disp(o.handler));
		_exit(0);
	}
	wait_and_report("child", pid);

	/* Restoring the default. */
	act.handler = (void *)SIG_DFL;
	SHOW(raw(SIGUSR1, &act, &old, 8));
	printf("old SIGUSR1: %s\n", disp(old.handler));
	return 0;
}
