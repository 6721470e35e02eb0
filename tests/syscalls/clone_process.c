/* clone without CLONE_VM: a fork by another name, exit signals, TID writes, flag checks. */
#include "lib/check.h"
#include <sched.h>

static long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls)
{
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls. */
	return syscall(SYS_clone, flags, stack, ptid, ctid, tls);
}

int main(void)
{
	/* clone(SIGCHLD) is fork. */
	long pid = raw_clone(SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(21);
	wait_and_report("clone(SIGCHLD)", (pid_t)pid);

	/* SYS_exit from the only thread ends the process with that status. */
	pid = raw_clone(SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		syscall(SYS_exit, 9);
	wait_and_report("child calling SYS_exit(9)", (pid_t)pid);

	/* CLONE_PARENT_SETTID stores the child's tid in the parent's memory. */
	static int ptid = -1;
	pid = raw_clone(SIGCHLD | CLONE_PARENT_SETTID, NULL, &ptid, NULL, 0);
	if (pid == 0)
		_exit(ptid == getpid() ? 0 : 1);
	FACT("CLONE_PARENT_SETTID: parent sees the child's tid", ptid == pid);
	wait_and_report("child's copy has it (Linux: no, exit 1)", (pid_t)pid);

	/* CLONE_CHILD_SETTID stores it in the child's memory only. */
	static int ctid = -1;
	pid = raw_clone(SIGCHLD | CLONE_CHILD_SETTID, NULL, NULL, &ctid, 0);
	if (pid == 0)
		_exit(ctid == getpid() ? 0 : 1);
	wait_and_report("CLONE_CHILD_SETTID: child sees its tid", (pid_t)pid);
	FACT("parent's copy untouched", ctid == -1);

	/* A child with exit signal 0 or SIGUSR1 is a "clone" child: only __WALL finds it. */
	int status;
	signal(SIGUSR1, SIG_IGN);                        /* the child's exit signal */
	pid = raw_clone(SIGUSR1, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(5);
	usleep(50000);
	SHOW(waitpid(-1, &status, WNOHANG));             /* 0 or ECHILD: not a normal child */
	FACT("__WALL reaps the SIGUSR1 child", waitpid((pid_t)pid, &status, __WALL) == pid);
	printf("status: %s\n", describe_status(status));
	pid = raw_clone(0, NULL, NULL, NULL, 0);
	if (pid == 0)
		_exit(6);
	FACT("__WCLONE reaps the exit-signal-0 child", waitpid((pid_t)pid, &status, __WCLONE) == pid);
	printf("status: %s\n", describe_status(status));

	/* Flag combinations Linux refuses before doing anything. */
	SHOW(raw_clone(CLONE_THREAD | SIGCHLD, NULL, NULL, NULL, 0));       /* needs SIGHAND */
	SHOW(raw_clone(CLONE_SIGHAND | SIGCHLD, NULL, NULL, NULL, 0));      /* needs VM */
	SHOW(raw_clone(CLONE_NEWNS | CLONE_FS | SIGCHLD, NULL, NULL, NULL, 0));
	SHOW(raw_clone(CLONE_NEWUSER | CLONE_FS | SIGCHLD, NULL, NULL, NULL, 0));
	SHOW(waitpid(-1, &status, WNOHANG));             /* nothing was created */
	return 0;
}
