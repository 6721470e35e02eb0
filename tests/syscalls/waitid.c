/* waitid: P_PID/P_ALL/P_PGID, WEXITED, WNOHANG, WNOWAIT, siginfo fields, errors. */
#include "lib/check.h"

static const char *code_name(int code)
{
	switch (code) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	}
	return "?";
}

static void show_info(const char *label, int r, const siginfo_t *si, pid_t expect)
{
	if (r != 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	if (si->si_pid == 0) {
		printf("%s: 0, nothing to report (si_pid 0)\n", label);
		return;
	}
	printf("%s: signo=%s code=%s status=%d pid matches=%s uid=%d\n", label,
	       signame(si->si_signo), code_name(si->si_code), si->si_status,
	       si->si_pid == expect ? "yes" : "no", (int)si->si_uid);
}

int main(void)
{
	siginfo_t si;

	pid_t pid = fork();
	if (pid == 0)
		_exit(17);
	memset(&si, 0, sizeof(si));
	show_info("P_PID WNOWAIT", waitid(P_PID, pid, &si, WEXITED | WNOWAIT), &si, pid);
	memset(&si, 0, sizeof(si));
	show_info("P_PID again", waitid(P_PID, pid, &si, WEXITED), &si, pid);
	memset(&si, 0, sizeof(si));
	show_info("P_PID reaped", waitid(P_PID, pid, &si, WEXITED), &si, pid);

	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	memset(&si, 0, sizeof(si));
	show_info("P_ALL killed", waitid(P_ALL, 0, &si, WEXITED), &si, pid);

	int p[2];
	must(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	memset(&si, 0, sizeof(si));
	show_info("WNOHANG running", waitid(P_PID, pid, &si, WEXITED | WNOHANG), &si, pid);
	close(p[1]);
	memset(&si, 0, sizeof(si));
	show_info("after release", waitid(P_PID, pid, &si, WEXITED), &si, pid);

	/* P_PGID: the child's group is ours. */
	pid = fork();
	if (pid == 0)
		_exit(2);
	memset(&si, 0, sizeof(si));
	show_info("P_PGID own group", waitid(P_PGID, getpgid(0), &si, WEXITED), &si, pid);

	/* Errors. */
	SHOW(waitid(P_ALL, 0, &si, WEXITED));          /* ECHILD */
	SHOW(waitid(P_ALL, 0, &si, 0));                /* EINVAL: no event requested */
	SHOW(waitid(P_ALL, 0, &si, WEXITED | 0x10));  /* EINVAL: unknown option bit */
	SHOW(waitid((idtype_t)42, 0, &si, WEXITED));   /* EINVAL: bad idtype */
	SHOW(waitid(P_PID, 999999999, &si, WEXITED));  /* ECHILD */
	SHOW(syscall(SYS_waitid, P_PID, -1, &si, WEXITED, NULL)); /* EINVAL: pid < 0 */
	return 0;
}
