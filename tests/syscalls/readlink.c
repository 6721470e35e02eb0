/* readlink and readlinkat: targets, truncation, EINVAL on non-links, errors. */
#include "lib/check.h"
#include <fcntl.h>

static void show_link(const char *label, ssize_t n, const char *buf)
{
	if (n < 0)
		printf("%s = -1 %s\n", label, errname(errno));
	else
		printf("%s = %zd '%.*s'\n", label, n, (int)n, buf);
}

int main(void)
{
	char buf[256];
	ssize_t n;

	n = readlink("/bin/sh", buf, sizeof(buf));
	show_link("readlink /bin/sh", n, buf);
	n = readlink("/bin/ls", buf, 3);           /* truncated, no NUL, no error */
	show_link("readlink /bin/ls bufsiz 3", n, buf);
	n = readlink("/bin/ls", buf, 1);
	show_link("readlink /bin/ls bufsiz 1", n, buf);
	SHOW(readlink("/bin/ls", buf, 0));         /* EINVAL */
	SHOW(syscall(SYS_readlink, "/bin/ls", buf, -1));

	SHOW(readlink("/bin/busybox", buf, sizeof(buf)));  /* EINVAL: not a link */
	SHOW(readlink("/tmp", buf, sizeof(buf)));
	SHOW(readlink("/dev/null", buf, sizeof(buf)));
	SHOW(readlink("/tmp/readlink.none", buf, sizeof(buf)));  /* ENOENT */
	SHOW(readlink("/bin/busybox/x", buf, sizeof(buf)));      /* ENOTDIR */
	SHOW(readlink("", buf, sizeof(buf)));                    /* ENOENT */
	SHOW(readlink("/bin/sh/", buf, sizeof(buf)));            /* follows: not a dir */

	int bin = open("/bin", O_RDONLY | O_DIRECTORY);
	n = readlinkat(bin, "sh", buf, sizeof(buf));
	show_link("readlinkat(bin, sh)", n, buf);
	n = readlinkat(AT_FDCWD, "/bin/cat", buf, sizeof(buf));
	show_link("readlinkat(AT_FDCWD, /bin/cat)", n, buf);
	must(chdir("/bin") == 0, "chdir");
	n = readlinkat(AT_FDCWD, "true", buf, sizeof(buf));
	show_link("readlinkat(AT_FDCWD, true) in /bin", n, buf);
	n = readlink("./echo", buf, sizeof(buf));
	show_link("readlink ./echo in /bin", n, buf);
	SHOW(readlinkat(999, "sh", buf, sizeof(buf)));           /* EBADF */
	int file = open("/bin/busybox", O_RDONLY);
	SHOW(readlinkat(file, "sh", buf, sizeof(buf)));          /* ENOTDIR */
	SHOW(readlinkat(bin, "", buf, sizeof(buf)));             /* dir fd, empty: ENOENT */
	n = readlinkat(999, "/bin/sh", buf, sizeof(buf));
	show_link("readlinkat(999, /bin/sh)", n, buf);

	/* An O_PATH|O_NOFOLLOW fd of a symlink with an empty path reads the link itself. */
	int lfd = open("/bin/sh", O_PATH | O_NOFOLLOW);
	SHOW_OK(lfd);
	n = readlinkat(lfd, "", buf, sizeof(buf));
	show_link("readlinkat(O_PATH link fd, \"\")", n, buf);
	return 0;
}
