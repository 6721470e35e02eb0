/* SIGSTOP/SIGTSTP stop a child, SIGCONT resumes it; seen through WUNTRACED/WCONTINUED. */
#include "lib/check.h"

static void show_wait(const char *label, pid_t pid, int options)
{
	int status = 0;
	pid_t r = waitpid(pid, &status, options);
	if (r < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else if (r == 0)
		printf("%s: nothing\n", label);
	else
		printf("%s: %s\n", label, describe_status(status));
}

int main(void)
{
	int p[2];
	must(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		raise(SIGSTOP);
		char c;
		read(p[0], &c, 1);
		_exit(12);
	}
	close(p[0]);
	show_wait("after raise(SIGSTOP)", pid, WUNTRACED);
	show_wait("stopped again?", pid, WUNTRACED | WNOHANG);   /* reported once */
	SHOW(kill(pid, SIGCONT));
	show_wait("after SIGCONT", pid, WCONTINUED);
	show_wait("continued again?", pid, WCONTINUED | WNOHANG);

	/* Stop from outside, with SIGTSTP (default: stop). */
	SHOW(kill(pid, SIGTSTP));
	show_wait("after SIGTSTP", pid, WUNTRACED);
	/* A stopped process still gets SIGKILL... but first continue and let it exit. */
	SHOW(kill(pid, SIGCONT));
	show_wait("continued", pid, WCONTINUED);
	write(p[1], "x", 1);
	show_wait("exit", pid, 0);

	/* Without WUNTRACED, a stop is not reported; SIGKILL ends a stopped child. */
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(13);
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	SHOW(waitid(P_PID, pid, &si, WSTOPPED));
	printf("waitid stop: code=%s status=%s\n", si.si_code == CLD_STOPPED ? "CLD_STOPPED" : "?",
	       signame(si.si_status));
	show_wait("WNOHANG without WUNTRACED", pid, WNOHANG);
	SHOW(kill(pid, SIGKILL));
	show_wait("killed while stopped", pid, 0);
	return 0;
}
