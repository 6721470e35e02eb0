/* vfork: the parent resumes after the child exits or execs. */
#include "lib/check.h"

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("exec'd from vfork child with arg %s\n", argv[1]);
		return 9;
	}

	int p[2];
	must(pipe(p) == 0, "pipe");

	/* The child writes before _exit; the parent only runs after that. */
	pid_t pid = vfork();
	if (pid == 0) {
		write(p[1], "c", 1);
		_exit(4);
	}
	write(p[1], "p", 1);
	char order[3] = { 0 };
	must(read(p[0], order, 2) == 2, "read");
	printf("order: %s\n", order);
	wait_and_report("vfork child _exit(4)", pid);

	/* vfork + execve: the standard spawn pattern. */
	pid = vfork();
	if (pid == 0) {
		char *args[] = { argv[0], "hello", NULL };
		char *env[] = { NULL };
		execve(argv[0], args, env);
		_exit(127);
	}
	wait_and_report("vfork+execve", pid);

	/* vfork + failing execve. */
	pid = vfork();
	if (pid == 0) {
		char *args[] = { "/nonexistent", NULL };
		char *env[] = { NULL };
		execve("/nonexistent", args, env);
		_exit(errno == ENOENT ? 126 : 125);
	}
	wait_and_report("vfork+failed execve", pid);

	/* vfork + /bin/sh. */
	pid = vfork();
	if (pid == 0) {
		char *args[] = { "sh", "-c", "echo from sh; exit 3", NULL };
		char *env[] = { "PATH=/bin", NULL };
		execve("/bin/sh", args, env);
		_exit(127);
	}
	wait_and_report("vfork+sh", pid);
	return 0;
}
