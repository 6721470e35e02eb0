/* uid/gid getters (the test runs as root on the host and as uid 0 in the sandbox). */
#include "lib/check.h"

int main(void)
{
	SHOW(getuid());
	SHOW(geteuid());
	SHOW(getgid());
	SHOW(getegid());
	uid_t r, e, s;
	SHOW(getresuid(&r, &e, &s));
	printf("resuid: %u %u %u\n", r, e, s);
	gid_t gr, ge, gs;
	SHOW(getresgid(&gr, &ge, &gs));
	printf("resgid: %u %u %u\n", gr, ge, gs);
	SHOW(syscall(SYS_getresuid, NULL, &e, &s));      /* EFAULT */
	SHOW(syscall(SYS_getresgid, &gr, KERNEL_PTR, &gs));

	/* Credentials are inherited by children. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(getuid() == 0 && getgid() == 0 ? 0 : 1);
	wait_and_report("child has uid 0 gid 0", pid);

	/* Root may set its uid to itself. */
	SHOW(setuid(0));
	SHOW(setgid(0));
	SHOW(getuid());
	return 0;
}
