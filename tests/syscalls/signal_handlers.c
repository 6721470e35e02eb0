/* Signal handlers: delivery, siginfo, masks during handlers, SA_RESETHAND, SA_RESTART vs
 * EINTR, sigsuspend, sigaltstack, and a SIGSEGV handler that sees the faulting address. */
#include "lib/check.h"
#include <fcntl.h>
#include <setjmp.h>
#include <time.h>

static volatile sig_atomic_t hits, in_handler_blocked_self, in_handler_blocked_extra;
static volatile int last_signo, last_code, last_pid_ok, on_altstack;
static void *fault_addr;
static sigjmp_buf jump;
static char *altstack;

static void counter(int sig)
{
	hits++;
	last_signo = sig;
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	in_handler_blocked_self = sigismember(&cur, sig);
	in_handler_blocked_extra = sigismember(&cur, SIGTERM);
}

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_signo = si->si_signo;
	last_code = si->si_code;
	last_pid_ok = si->si_pid == getpid();
	(void)sig;
}

static void alt_handler(int sig)
{
	(void)sig;
	char probe;
	on_altstack = &probe >= altstack && &probe < altstack + SIGSTKSZ * 4;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	last_code = si->si_code;
	siglongjmp(jump, 1);
}

static const char *code_name(int code)
{
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_TKILL: return "SI_TKILL";
	case SI_KERNEL: return "SI_KERNEL";
	case SEGV_MAPERR: return "SEGV_MAPERR";
	case SEGV_ACCERR: return "SEGV_ACCERR";
	}
	return "?";
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));

	/* Plain handler; the signal itself and sa_mask are blocked while it runs. */
	sa.sa_handler = counter;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	SHOW(sigaction(SIGUSR1, &sa, NULL));
	SHOW(raise(SIGUSR1));
	printf("hits=%d signo=%s self blocked in handler=%d SIGTERM blocked in handler=%d\n",
	       hits, signame(last_signo), in_handler_blocked_self, in_handler_blocked_extra);
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("mask restored after handler: %s\n",
	       !sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGTERM) ? "yes" : "no");

	/* SA_NODEFER leaves the signal unblocked in its handler. */
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SA_NODEFER: self blocked in handler=%d\n", in_handler_blocked_self);

	/* SA_SIGINFO: siginfo from kill and from tgkill. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	kill(getpid(), SIGUSR2);
	printf("kill: signo=%s code=%s pid ok=%d\n", signame(last_signo), code_name(last_code),
	       last_pid_ok);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
	printf("tgkill: signo=%s code=%s pid ok=%d\n", signame(last_signo), code_name(last_code),
	       last_pid_ok);

	/* SA_RESETHAND: the disposition is back to default after one delivery. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = counter;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGHUP, &sa, NULL);
	raise(SIGHUP);
	struct sigaction now;
	sigaction(SIGHUP, NULL, &now);
	printf("after SA_RESETHAND delivery: %s\n", now.sa_handler == SIG_DFL ? "SIG_DFL" : "handler");

	/* A blocked signal with a handler runs when unblocked. */
	int before = hits;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	printf("while blocked: ran=%d\n", hits - before);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("after unblock: ran=%d\n", hits - before);

	/* A read interrupted by a handler: EINTR without SA_RESTART, restarted with it. */
	for (int restart = 0; restart < 2; restart++) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = counter;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		int p[2], done[2];
		must(pipe(p) == 0 && pipe2(done, O_NONBLOCK) == 0, "pipe");
		pid_t pid = fork();
		if (pid == 0) {
			/*
			 * Signal every 50 ms until the parent says its read returned (up to 2 s),
			 * so that one surely lands while it blocks; with SA_RESTART the read only
			 * returns once the data below arrives, so stop after a few.
			 */
			struct timespec ts = { 0, 50 * 1000000L };
			char d;
			for (int i = 0; i < (restart ? 5 : 40); i++) {
				nanosleep(&ts, NULL);
				if (read(done[0], &d, 1) == 1)
					break;
				kill(getppid(), SIGALRM);
			}
			write(p[1], "z", 1);
			_exit(0);
		}
		char c;
		errno = 0;
		ssize_t n = read(p[0], &c, 1);
		int saved = errno;
		must(write(done[1], "d", 1) == 1, "done");
		printf("read with%s SA_RESTART: %zd %s\n", restart ? "" : "out", n,
		       n < 0 ? errname(saved) : "");
		wait_and_report("signaller", pid);
		close(p[0]);
		close(p[1]);
		close(done[0]);
		close(done[1]);
	}

	/* sigsuspend: waits with a temporary mask, returns -1 EINTR after the handler. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = counter;
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	sigset_t empty;
	sigemptyset(&empty);
	before = hits;
	SHOW(sigsuspend(&empty));
	printf("handler ran during sigsuspend: %d\n", hits - before);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("mask restored after sigsuspend: %s\n", sigismember(&cur, SIGUSR1) ? "yes" : "no");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	wait_and_report("child", pid);

	/* pause returns EINTR after a handler (the child repeats until it is killed). */
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000000L };
		for (;;) {
			nanosleep(&ts, NULL);
			kill(getppid(), SIGUSR1);
		}
	}
	SHOW(pause());
	kill(pid, SIGKILL);
	wait_and_report("child", pid);

	/* sigaltstack. */
	altstack = malloc(SIGSTKSZ * 4);
	stack_t ss = { .ss_sp = altstack, .ss_size = SIGSTKSZ * 4, .ss_flags = 0 };
	SHOW(sigaltstack(&ss, NULL));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alt_handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGWINCH, &sa, NULL);
	raise(SIGWINCH);
	printf("handler ran on the alternate stack: %s\n", on_altstack ? "yes" : "no");
	stack_t old;
	SHOW(sigaltstack(NULL, &old));
	printf("altstack flags=%d size ok=%d\n", old.ss_flags, old.ss_size == SIGSTKSZ * 4);
	ss.ss_size = 100;
	SHOW(sigaltstack(&ss, NULL));                      /* ENOMEM: too small */
	ss.ss_flags = 0x1234;
	ss.ss_size = SIGSTKSZ * 4;
	SHOW(sigaltstack(&ss, NULL));                      /* EINVAL */

	/* A SIGSEGV handler sees the address and the kind of fault. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = unmapped_ptr();
	if (sigsetjmp(jump, 1) == 0)
		ro[10] = 1;
	printf("write to read-only page: addr ok=%d code=%s\n", fault_addr == ro + 10,
	       code_name(last_code));
	if (sigsetjmp(jump, 1) == 0)
		(void)*(volatile char *)(gone + 20);
	printf("read of unmapped page: addr ok=%d code=%s\n", fault_addr == gone + 20,
	       code_name(last_code));
	printf("still alive\n");
	return 0;
}
