/* chroot in a child: the new root confines lookups, "..", absolute symlinks and getcwd. */
#include "lib/check.h"
#include <fcntl.h>

#define D "/tmp/chroot_child.d"

static void in_jail(void)
{
	SHOW(chroot(D));
	char cwd[128];
	/* The cwd was not changed by chroot: it is now outside the root. */
	printf("cwd after chroot: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	SHOW(chdir("/"));
	printf("cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	int fd = open("/inside", O_RDONLY);
	char buf[16] = { 0 };
	SHOW(read(fd, buf, sizeof(buf) - 1));
	printf("read /inside: %s\n", buf);
	SHOW(access("/bin/busybox", F_OK));                      /* ENOENT: outside */
	SHOW(access("/../../../inside", F_OK));                  /* ".." stops at the root */
	SHOW(access("/abs", F_OK));                              /* absolute link: in the jail */
	SHOW(chdir("sub"));
	printf("cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	SHOW(chroot("/nonexistent"));                             /* ENOENT */
	SHOW(chroot("/inside"));                                  /* ENOTDIR */
}

int main(void)
{
	must(mkdir(D, 0755) == 0 && mkdir(D "/sub", 0755) == 0, "mkdir");
	int fd = open(D "/inside", O_CREAT | O_WRONLY, 0644);
	must(fd >= 0 && write(fd, "jailed", 6) == 6, "write");
	close(fd);
	must(symlink("/inside", D "/abs") == 0, "symlink");
	must(chdir("/tmp") == 0, "chdir");

	in_child("child in chroot", in_jail);
	char cwd[64];
	printf("parent root unchanged, cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	SHOW(access("/bin/busybox", F_OK));

	SHOW(chroot(""));                                         /* ENOENT */
	unlink(D "/abs");
	unlink(D "/inside");
	rmdir(D "/sub");
	SHOW(rmdir(D));
	return 0;
}
