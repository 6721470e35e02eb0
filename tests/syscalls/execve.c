/* execve: argv/envp passing, pid kept, busybox applets, and the error cases. */
#include "lib/check.h"
#include <fcntl.h>

extern char **environ;

static void make_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	must(fd >= 0, "create");
	must(write(fd, data, len) == (ssize_t)len, "write");
	must(fchmod(fd, mode) == 0, "fchmod");
	close(fd);
}

static void show_args(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]='%s'\n", i, argv[i]);
	printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
	int n = 0;
	for (char **e = environ; *e; e++, n++)
		printf("env[%d]='%s'\n", n, *e);
	printf("env count=%d\n", n);
}

/* Runs execve in a child; prints the errno if it fails, else how the child ended. */
static void try_exec(const char *label, const char *path, char *const argv[], char *const envp[])
{
	fflush(stdout);
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		execve(path, argv, envp);
		printf("%s: execve -1 %s\n", label, errname(errno));
		_exit(111);
	}
	wait_and_report(label, pid);
}

int main(int argc, char **argv)
{
	char *self = "/execve";
	if (argc > 1 && strcmp(argv[1], "show") == 0) {
		show_args(argc, argv);
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "pid") == 0) {
		printf("pid kept across exec: %s\n", atoi(argv[2]) == getpid() ? "yes" : "no");
		return 0;
	}

	char *args1[] = { "custom-argv0", "show", "a b", "", "  spaced  ", "last", NULL };
	char *env1[] = { "FOO=bar", "EMPTY=", "WITH=equals=inside", "NOEQUALS", NULL };
	try_exec("self with args and env", self, args1, env1);

	char *args2[] = { self, "show", NULL };
	char *env2[] = { NULL };
	try_exec("self with empty env", self, args2, env2);

	/* Many and long arguments. */
	static char long_arg[10000];
	memset(long_arg, 'x', sizeof(long_arg) - 1);
	char *args3[300];
	args3[0] = self;
	args3[1] = "show";
	for (int i = 2; i < 298; i++)
		args3[i] = "many";
	args3[298] = long_arg;
	args3[299] = NULL;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int out = open("/tmp/execve.out", O_CREAT | O_WRONLY | O_TRUNC, 0644);
		dup2(out, 1);
		execve(self, args3, env2);
		_exit(111);
	}
	wait_and_report("many args", pid);
	struct stat st;
	must(stat("/tmp/execve.out", &st) == 0, "stat out");
	printf("many args output size: %lld\n", (long long)st.st_size);
	unlink("/tmp/execve.out");

	/* The pid survives execve. */
	pid = fork();
	if (pid == 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", getpid());
		char *a[] = { self, "pid", buf, NULL };
		execve(self, a, env2);
		_exit(111);
	}
	wait_and_report("pid check", pid);

	/* Busybox applets through symlinks. */
	char *t[] = { "true", NULL };
	try_exec("/bin/true", "/bin/true", t, env2);
	char *f[] = { "false", NULL };
	try_exec("/bin/false", "/bin/false", f, env2);
	char *sh[] = { "sh", "-c", "echo \"sh says $0 $1 $GREETING\"; exit 5", "zero", "one", NULL };
	char *shenv[] = { "GREETING=hi", "PATH=/bin", NULL };
	try_exec("/bin/sh -c", "/bin/sh", sh, shenv);
	char *echo[] = { "echo", "via", "busybox", NULL };
	try_exec("/bin/busybox echo", "/bin/busybox", echo, env2);

	/* Error cases. */
	char *none[] = { "x", NULL };
	try_exec("missing file", "/tmp/execve.none", none, env2);
	try_exec("missing dir", "/tmp/execve.nodir/x", none, env2);
	try_exec("through a file", "/bin/busybox/x", none, env2);
	try_exec("directory", "/tmp", none, env2);
	try_exec("empty path", "", none, env2);
	make_file("/tmp/execve.noexec", "\x7f" "ELF", 4, 0644);
	try_exec("no exec bit", "/tmp/execve.noexec", none, env2);
	make_file("/tmp/execve.garbage", "this is not a program\n", 22, 0755);
	try_exec("garbage", "/tmp/execve.garbage", none, env2);
	make_file("/tmp/execve.empty", "", 0, 0755);
	try_exec("empty file", "/tmp/execve.empty", none, env2);
	static char header[64] = "\x7f" "ELF";
	make_file("/tmp/execve.badelf", header, sizeof(header), 0755);
	try_exec("bad ELF header", "/tmp/execve.badelf", none, env2);
	static char zeros[4096];
	make_file("/tmp/execve.zeros", zeros, sizeof(zeros), 0755);
	try_exec("zeros", "/tmp/execve.zeros", none, env2);
	try_exec("/dev/null", "/dev/null", none, env2);
	unlink("/tmp/execve.noexec");
	unlink("/tmp/execve.garbage");
	unlink("/tmp/execve.empty");
	unlink("/tmp/execve.badelf");
	unlink("/tmp/execve.zeros");

	/* Bad pointers. */
	try_exec("NULL path", NULL, none, env2);
	try_exec("kernel path", KERNEL_PTR, none, env2);
	char *bad_argv[] = { "x", KERNEL_PTR, NULL };
	try_exec("bad argv string", self, bad_argv, env2);
	char *bad_envp[] = { "A=1", unmapped_ptr(), NULL };
	try_exec("bad envp string", self, none, bad_envp);
	try_exec("argv pointer unmapped", self, unmapped_ptr(), env2);
	return 0;
}
