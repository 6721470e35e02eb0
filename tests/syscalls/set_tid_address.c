/* set_tid_address returns the caller's tid, in the parent and in a child. */
#include "lib/check.h"

int main(void)
{
	static int slot;
	long tid = syscall(SYS_set_tid_address, &slot);
	FACT("returns the tid", tid == syscall(SYS_gettid));
	FACT("tid == pid", tid == getpid());
	FACT("NULL pointer accepted", syscall(SYS_set_tid_address, NULL) == getpid());
	FACT("kernel pointer accepted (not checked until exit)",
	     syscall(SYS_set_tid_address, KERNEL_PTR) == getpid());
	/* Put back a harmless value: the kernel writes 0 there when the thread exits. */
	syscall(SYS_set_tid_address, &slot);

	pid_t pid = fork();
	if (pid == 0) {
		long t = syscall(SYS_set_tid_address, &slot);
		_exit(t == getpid() && t == syscall(SYS_gettid) ? 0 : 1);
	}
	wait_and_report("child's set_tid_address returns its own tid", pid);

	/* clear_child_tid in a child: a bad pointer there must not crash anything at exit. */
	pid = fork();
	if (pid == 0) {
		syscall(SYS_set_tid_address, unmapped_ptr());
		_exit(4);
	}
	wait_and_report("child exiting with unmapped clear_child_tid", pid);
	return 0;
}
