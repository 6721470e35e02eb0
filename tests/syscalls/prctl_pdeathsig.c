/* prctl: PR_SET_NAME/PR_GET_NAME, PR_SET_PDEATHSIG, dumpable, no_new_privs, bad options. */
#include "lib/check.h"
#include <sys/prctl.h>

int main(void)
{
	char name[32] = { 0 };
	SHOW(prctl(PR_GET_NAME, name));
	printf("initial name: %s\n", name);               /* the basename of the program */
	SHOW(prctl(PR_SET_NAME, "renamed-task-with-a-long-name"));
	memset(name, 0, sizeof(name));
	SHOW(prctl(PR_GET_NAME, name));
	printf("name (truncated to 15): %s\n", name);
	SHOW(prctl(PR_GET_DUMPABLE));
	SHOW(prctl(PR_SET_DUMPABLE, 0));
	SHOW(prctl(PR_GET_DUMPABLE));
	SHOW(prctl(PR_SET_DUMPABLE, 5));                   /* EINVAL */
	SHOW(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	SHOW(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	SHOW(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	SHOW(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));      /* EINVAL: cannot be unset */
	SHOW(prctl(9999, 0, 0, 0, 0));                     /* EINVAL */
	SHOW(syscall(SYS_prctl, PR_GET_NAME, KERNEL_PTR));  /* EFAULT */

	/* The name is inherited by a child and replaced by execve. */
	pid_t pid = fork();
	if (pid == 0) {
		char n[32] = { 0 };
		prctl(PR_GET_NAME, n);
		_exit(strcmp(n, "renamed-task-wi") == 0 ? 0 : 1);
	}
	wait_and_report("child inherits the name", pid);

	/* PR_SET_PDEATHSIG: a grandchild is signalled when its parent (our child) dies. */
	int p[2];
	must(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			close(p[0]);
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int sig = -1;
			SHOW(prctl(PR_GET_PDEATHSIG, &sig));
			printf("grandchild pdeathsig: %s\n", signame(sig));
			write(p[1], "r", 1);
			for (;;)
				pause();
		}
		char c;
		read(p[0], &c, 1);
		_exit(0);         /* the grandchild gets SIGUSR1 and dies of it */
	}
	close(p[1]);
	wait_and_report("middle", pid);
	/* The grandchild held the pipe's write end: EOF means it is gone. */
	char c;
	SHOW(read(p[0], &c, 1));
	SHOW(prctl(PR_SET_PDEATHSIG, 99));                 /* EINVAL */
	return 0;
}
