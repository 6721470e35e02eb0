/* getcwd, chdir, fchdir: paths, relative lookups, "..", errors. */
#include "lib/check.h"
#include <fcntl.h>

static void pwd(const char *label)
{
	char buf[256];
	if (getcwd(buf, sizeof(buf)))
		printf("%s: cwd=%s\n", label, buf);
	else
		printf("%s: getcwd -1 %s\n", label, errname(errno));
}

int main(void)
{
	pwd("start");
	must(mkdir("/tmp/cwd.dir", 0755) == 0, "mkdir");
	must(mkdir("/tmp/cwd.dir/a", 0755) == 0, "mkdir a");
	must(mkdir("/tmp/cwd.dir/a/b", 0755) == 0, "mkdir b");

	SHOW(chdir("/tmp/cwd.dir"));
	pwd("after chdir");
	SHOW(chdir("a/b"));
	pwd("relative chdir");
	SHOW(chdir("../.."));
	pwd("dotdot");
	SHOW(chdir("/"));
	SHOW(chdir(".."));
	pwd("dotdot at root stays");
	SHOW(chdir("/tmp/cwd.dir/a/./b/../b//"));
	pwd("messy path");
	SHOW(open("marker", O_CREAT | O_WRONLY, 0644));
	SHOW(access("/tmp/cwd.dir/a/b/marker", F_OK));
	SHOW(unlink("marker"));

	/* Errors leave the cwd unchanged. */
	SHOW(chdir("/tmp/cwd.none"));
	SHOW(chdir("/bin/busybox"));
	SHOW(chdir(""));
	pwd("after failed chdirs");

	/* fchdir. */
	int fa = open("/tmp/cwd.dir/a", O_RDONLY | O_DIRECTORY);
	int file = open("/bin/busybox", O_RDONLY);
	SHOW(fchdir(fa));
	pwd("fchdir a");
	SHOW(fchdir(file));                      /* ENOTDIR */
	SHOW(fchdir(999));                       /* EBADF */
	SHOW(fchdir(-1));
	int fpath = open("/tmp/cwd.dir/a/b", O_PATH | O_DIRECTORY);
	SHOW(fchdir(fpath));                     /* O_PATH fds are fine */
	pwd("fchdir O_PATH");

	/* getcwd buffer sizes. */
	char small[8];
	errno = 0;
	char *got = getcwd(small, sizeof(small));
	printf("getcwd small: %s %s\n", got ? "ok" : "NULL", errname(errno));
	SHOW(syscall(SYS_getcwd, small, 0));
	char exact[32];
	SHOW(syscall(SYS_getcwd, exact, strlen("/tmp/cwd.dir/a/b") + 1)); /* returns length+1 */
	SHOW(syscall(SYS_getcwd, exact, strlen("/tmp/cwd.dir/a/b")));     /* ERANGE */

	/* The cwd is inherited across fork and is per process. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pwd("child");
		chdir("/");
		_exit(0);
	}
	wait_and_report("child", pid);
	pwd("parent after child chdir");

	/* Removing the cwd: getcwd reports ENOENT. */
	SHOW(chdir("/tmp/cwd.dir/a/b"));
	SHOW(rmdir("/tmp/cwd.dir/a/b"));
	pwd("removed cwd");
	SHOW(chdir(".."));
	pwd("back up");
	SHOW(rmdir("/tmp/cwd.dir/a"));
	SHOW(rmdir("/tmp/cwd.dir"));
	return 0;
}
