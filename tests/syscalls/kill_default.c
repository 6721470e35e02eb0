/* kill and tgkill: default actions (terminate / ignore), signal 0, and errors. */
#include "lib/check.h"

/*
 * Forks a child blocked in read(), sends it sig, then releases it with a byte: a child
 * that survived the signal exits 0. The signal is pending before the byte is written, so
 * a fatal one always wins.
 */
static void send_to_child(int sig)
{
	int ready[2], go[2];
	must(pipe(ready) == 0 && pipe(go) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		write(ready[1], "r", 1);
		while (read(go[0], &c, 1) < 0)
			;
		_exit(0);
	}
	/* go[0] stays open here too, so the write below never meets a dead reader. */
	char c;
	must(read(ready[0], &c, 1) == 1, "child ready");
	int r = kill(pid, sig);
	int saved = errno;
	write(go[1], "g", 1);
	char label[64];
	snprintf(label, sizeof(label), "kill(child, %s) = %s", signame(sig), r == 0 ? "0" : errname(saved));
	wait_and_report(label, pid);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

static void tgkill_self(void)
{
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGTERM);
	_exit(100);
}

static void tkill_self(void)
{
	syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR2);
	_exit(100);
}

int main(void)
{
	send_to_child(SIGTERM);
	send_to_child(SIGUSR1);
	send_to_child(SIGHUP);
	send_to_child(SIGCHLD);     /* default: ignore */
	send_to_child(SIGURG);      /* default: ignore */
	send_to_child(SIGWINCH);    /* default: ignore */
	send_to_child(SIGCONT);     /* default: continue, i.e. nothing here */
	send_to_child(SIGKILL);
	send_to_child(0);           /* existence check only */

	in_child("tgkill(self, SIGTERM)", tgkill_self);
	in_child("tkill(self, SIGUSR2)", tkill_self);

	/* Signal 0 probes. */
	SHOW(kill(getpid(), 0));
	SHOW(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0));
	SHOW(kill(0x3fffffff, 0));                       /* ESRCH */
	SHOW(kill(0x3fffffff, SIGTERM));

	/* Errors. */
	SHOW(kill(getpid(), 65));                        /* EINVAL */
	SHOW(kill(getpid(), -1));
	SHOW(syscall(SYS_tgkill, getpid(), 0, SIGTERM)); /* EINVAL: tid <= 0 */
	SHOW(syscall(SYS_tgkill, 0, getpid(), SIGTERM)); /* EINVAL: tgid <= 0 */
	SHOW(syscall(SYS_tgkill, getpid(), -5, SIGTERM));
	SHOW(syscall(SYS_tgkill, getpid(), 0x3fffffff, SIGTERM)); /* ESRCH */
	SHOW(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 65)); /* EINVAL */
	SHOW(syscall(SYS_tkill, 0, SIGTERM));            /* EINVAL */
	SHOW(syscall(SYS_tkill, -1, SIGTERM));

	/* A reaped child's pid is gone. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	wait_and_report("short child", pid);
	SHOW(kill(pid, 0));                              /* ESRCH */

	/* A zombie still exists for kill(pid, 0). */
	pid = fork();
	if (pid == 0)
		_exit(0);
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	SHOW(kill(pid, 0));
	SHOW(kill(pid, SIGKILL));                        /* fine, no effect */
	wait_and_report("zombie", pid);

	/* kill(0, sig) signals our process group: use a child in its own group. */
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		pid_t g = fork();
		if (g == 0) {
			pause();
			_exit(1);
		}
		signal(SIGTERM, SIG_IGN);
		usleep(50000);
		kill(0, SIGTERM);
		int st;
		waitpid(g, &st, 0);
		printf("group member: %s\n", describe_status(st));
		_exit(0);
	}
	wait_and_report("group leader ignoring SIGTERM", pid);

	/* kill(-pgid, sig). */
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		pause();
		_exit(1);
	}
	setpgid(pid, pid);
	usleep(50000);
	SHOW(kill(-pid, SIGHUP) == 0);
	wait_and_report("killed through its group", pid);
	SHOW(kill(-0x3fffffff, SIGHUP));                 /* ESRCH */
	return 0;
}
