/* execve of "#!" scripts: interpreter, its argument, and the script path in argv. */
#include "lib/check.h"
#include <fcntl.h>

static void make_script(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	must(fd >= 0, "create");
	must(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
	must(fchmod(fd, mode) == 0, "fchmod");
	close(fd);
}

static void run(const char *label, const char *path, char *const argv[])
{
	char *env[] = { "PATH=/bin", NULL };
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, argv, env);
		printf("%s: execve -1 %s\n", label, errname(errno));
		_exit(111);
	}
	wait_and_report(label, pid);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		/* Used as an interpreter: show what the kernel passed. */
		for (int i = 1; i < argc; i++)
			printf("interp argv[%d]='%s'\n", i, argv[i]);
		return 0;
	}

	make_script("/tmp/execve_script.sh", "#!/bin/sh\necho \"script $0 $1\"\nexit 4\n", 0755);
	char *a1[] = { "/tmp/execve_script.sh", "arg1", NULL };
	run("sh script", "/tmp/execve_script.sh", a1);

	make_script("/tmp/execve_script.int", "#!/execve_script  one two  \n", 0755);
	char *a2[] = { "ignored-argv0", "x", "y", NULL };
	run("custom interpreter", "/tmp/execve_script.int", a2);

	make_script("/tmp/execve_script.nointerp", "#!/tmp/execve_script.none\n", 0755);
	run("missing interpreter", "/tmp/execve_script.nointerp", a2);

	make_script("/tmp/execve_script.noexec", "#!/bin/sh\nexit 0\n", 0644);
	run("script without exec bit", "/tmp/execve_script.noexec", a2);

	unlink("/tmp/execve_script.sh");
	unlink("/tmp/execve_script.int");
	unlink("/tmp/execve_script.nointerp");
	unlink("/tmp/execve_script.noexec");
	return 0;
}
