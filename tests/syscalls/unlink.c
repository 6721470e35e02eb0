/* unlink, unlinkat, rmdir: ENOTEMPTY, EISDIR, ENOTDIR, EINVAL, ENOENT, open-but-unlinked. */
#include "lib/check.h"
#include <fcntl.h>

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd >= 0, "touch");
	close(fd);
}

int main(void)
{
	must(mkdir("/tmp/unlink.d", 0755) == 0, "mkdir");
	must(mkdir("/tmp/unlink.d/sub", 0755) == 0, "mkdir sub");
	touch("/tmp/unlink.d/f");
	touch("/tmp/unlink.d/sub/g");

	SHOW(rmdir("/tmp/unlink.d"));                     /* ENOTEMPTY */
	SHOW(rmdir("/tmp/unlink.d/sub"));                 /* ENOTEMPTY */
	SHOW(unlink("/tmp/unlink.d/sub"));                /* EISDIR */
	SHOW(rmdir("/tmp/unlink.d/f"));                   /* ENOTDIR */
	SHOW(unlink("/tmp/unlink.d/f/"));                 /* ENOTDIR */
	SHOW(unlink("/tmp/unlink.d/none"));               /* ENOENT */
	SHOW(rmdir("/tmp/unlink.d/none"));
	SHOW(rmdir("/tmp/unlink.d/sub/."));               /* EINVAL */
	SHOW(rmdir("/tmp/unlink.d/sub/.."));              /* ENOTEMPTY */
	SHOW(unlink(""));
	SHOW(rmdir(""));

	int dfd = open("/tmp/unlink.d", O_RDONLY | O_DIRECTORY);
	SHOW(unlinkat(dfd, "sub", 0));                    /* EISDIR */
	SHOW(unlinkat(dfd, "f", AT_REMOVEDIR));           /* ENOTDIR */
	SHOW(unlinkat(dfd, "f", 0x1));                    /* EINVAL: unknown flag */
	SHOW(unlinkat(dfd, "sub/g", 0));
	SHOW(unlinkat(dfd, "sub", AT_REMOVEDIR));
	SHOW(unlinkat(999, "f", 0));                      /* EBADF */

	/* An open file stays readable after unlink. */
	int fd = open("/tmp/unlink.d/f", O_RDWR);
	SHOW(write(fd, "still here", 10));
	SHOW(unlinkat(AT_FDCWD, "/tmp/unlink.d/f", 0));
	SHOW(access("/tmp/unlink.d/f", F_OK));
	char buf[16] = { 0 };
	SHOW(pread(fd, buf, sizeof(buf) - 1, 0));
	printf("read after unlink: %s\n", buf);
	SHOW(close(fd));

	SHOW(unlink("/tmp/unlink.d/sub"));                /* ENOENT: already gone */
	SHOW(rmdir("/tmp/unlink.d"));
	SHOW(rmdir("/tmp/unlink.d"));                     /* ENOENT */
	SHOW(rmdir("/"));                                 /* EBUSY */
	SHOW(rmdir("/tmp/.."));
	return 0;
}
