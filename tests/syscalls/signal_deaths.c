/* Exit statuses of children killed by signals, as seen through wait4. */
#include "lib/check.h"

static void die_by(int sig)
{
	kill(getpid(), sig);
	_exit(100);    /* only reached if the signal did not kill */
}

static void sigkill(void) { die_by(SIGKILL); }
static void sigterm(void) { die_by(SIGTERM); }
static void sigint(void) { die_by(SIGINT); }
static void sighup(void) { die_by(SIGHUP); }
static void sigusr1(void) { die_by(SIGUSR1); }
static void sigalrm(void) { die_by(SIGALRM); }
static void sigquit(void) { die_by(SIGQUIT); }   /* core action, no core: RLIMIT_CORE 0 */
static void sigabrt(void) { abort(); }
static void sigsys(void) { die_by(SIGSYS); }
static void rt_signal(void) { die_by(SIGRTMIN + 2); }

static void null_deref(void)
{
	volatile int *p = NULL;
	*p = 1;
}

static void divide_by_zero(void)
{
	volatile int zero = 0, seven = 7;
	volatile int x = seven / zero;
	(void)x;
}

static void ud2(void)
{
	__asm__ volatile("ud2");
}

static void int3(void)
{
	__asm__ volatile("int3");
}

static void raise_from_parent(void)
{
	pause();
}

int main(void)
{
	in_child("kill SIGKILL", sigkill);
	in_child("kill SIGTERM", sigterm);
	in_child("kill SIGINT", sigint);
	in_child("kill SIGHUP", sighup);
	in_child("kill SIGUSR1", sigusr1);
	in_child("kill SIGALRM", sigalrm);
	in_child("kill SIGQUIT", sigquit);
	in_child("abort()", sigabrt);
	in_child("kill SIGSYS", sigsys);
	in_child("kill SIGRTMIN+2", rt_signal);
	in_child("NULL store", null_deref);
	in_child("integer divide by zero", divide_by_zero);
	in_child("ud2", ud2);
	in_child("int3", int3);

	/* A signal sent by the parent to a paused child. */
	pid_t pid = fork();
	if (pid == 0) {
		raise_from_parent();
		_exit(100);
	}
	SHOW(kill(pid, SIGTERM));
	wait_and_report("parent's SIGTERM", pid);

	int status;
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(100);
	}
	SHOW(kill(pid, SIGKILL));
	must(waitpid(pid, &status, 0) == pid, "waitpid");
	printf("raw checks: WIFSIGNALED=%d WTERMSIG=%s WIFEXITED=%d\n", WIFSIGNALED(status),
	       signame(WTERMSIG(status)), WIFEXITED(status));
	return 0;
}
