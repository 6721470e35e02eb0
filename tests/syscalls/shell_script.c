/* busybox sh runs a small script (pipes, loops, redirections, cd, exit status). */
#include "lib/check.h"

int main(void)
{
	const char *script =
		"echo hello | cat; for i in 1 2 3; do echo $i; done; ls /etc; "
		"cd /tmp && echo x > shell_script.f && cat shell_script.f; "
		"echo a b c | wc -w; printf '%s-%d\\n' str 42; "
		"x=$(echo sub); echo \"subst $x\"; "
		"false || echo 'false failed'; true && echo 'true passed'; "
		"(exit 3); echo \"subshell status $?\"; "
		"echo pipeline | tr a-z A-Z | rev; "
		"rm shell_script.f; ls /tmp/shell_script.f 2>/dev/null || echo gone; "
		"exit 7";
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		char *args[] = { "sh", "-c", (char *)script, NULL };
		char *env[] = { "PATH=/bin", NULL };
		execve("/bin/sh", args, env);
		_exit(127);
	}
	wait_and_report("sh", pid);
	return 0;
}
