/* A process's cwd and open directory fds follow renames of their directories. */
#include "lib/check.h"
#include <fcntl.h>

static void pwd(const char *label)
{
	char buf[256];
	if (getcwd(buf, sizeof(buf)))
		printf("%s: %s\n", label, buf);
	else
		printf("%s: getcwd -1 %s\n", label, errname(errno));
}

int main(void)
{
	must(mkdir("/tmp/cwd_rename.x", 0755) == 0, "mkdir");
	must(mkdir("/tmp/cwd_rename.x/a", 0755) == 0, "mkdir a");
	int fd = open("/tmp/cwd_rename.x/a/file", O_CREAT | O_WRONLY, 0644);
	must(fd >= 0, "create");
	close(fd);

	SHOW(chdir("/tmp/cwd_rename.x/a"));
	int dirfd = open("/tmp/cwd_rename.x", O_RDONLY | O_DIRECTORY);
	SHOW(rename("/tmp/cwd_rename.x", "/tmp/cwd_rename.y"));
	pwd("cwd after renaming its parent");
	SHOW(access("file", F_OK));
	SHOW(access("/tmp/cwd_rename.x/a/file", F_OK));
	SHOW(faccessat(dirfd, "a/file", F_OK, 0));
	SHOW(rename("/tmp/cwd_rename.y/a", "/tmp/cwd_rename.y/b"));
	pwd("cwd after renaming itself");
	SHOW(mkdir("/tmp/cwd_rename.z", 0755));
	SHOW(rename("/tmp/cwd_rename.y/b", "/tmp/cwd_rename.z/moved"));
	pwd("cwd after moving to another parent");
	SHOW(chdir(".."));
	pwd("after chdir ..");
	SHOW(fchdir(dirfd));
	pwd("fchdir to the renamed dir fd");

	/* A child's cwd is its own copy of the reference: renames show there too. */
	SHOW(chdir("/tmp/cwd_rename.z/moved"));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		read(0, &c, 0);
		pwd("child before rename");
		_exit(0);
	}
	wait_and_report("child", pid);
	SHOW(rename("/tmp/cwd_rename.z", "/tmp/cwd_rename.w"));
	pid = fork();
	if (pid == 0) {
		pwd("child after rename");
		_exit(0);
	}
	wait_and_report("child", pid);

	SHOW(chdir("/"));
	SHOW(unlink("/tmp/cwd_rename.w/moved/file"));
	SHOW(rmdir("/tmp/cwd_rename.w/moved"));
	SHOW(rmdir("/tmp/cwd_rename.w"));
	SHOW(rmdir("/tmp/cwd_rename.y"));
	return 0;
}
