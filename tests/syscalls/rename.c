/* rename and renameat: files, directories, replacement rules and errors. */
#include "lib/check.h"
#include <fcntl.h>

static void put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd >= 0, "create");
	must(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
	close(fd);
}

static void cat(const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open -1 %s\n", path, errname(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	printf("%s: '%.*s'\n", path, (int)(n > 0 ? n : 0), buf);
	close(fd);
}

int main(void)
{
	must(mkdir("/tmp/rename.d", 0755) == 0, "mkdir");
	must(mkdir("/tmp/rename.d/d1", 0755) == 0, "mkdir d1");
	must(mkdir("/tmp/rename.d/d2", 0755) == 0, "mkdir d2");
	must(mkdir("/tmp/rename.d/full", 0755) == 0, "mkdir full");
	put("/tmp/rename.d/full/x", "x");
	put("/tmp/rename.d/a", "alpha");
	put("/tmp/rename.d/b", "beta");

	SHOW(rename("/tmp/rename.d/a", "/tmp/rename.d/c"));
	cat("/tmp/rename.d/a");
	cat("/tmp/rename.d/c");
	SHOW(rename("/tmp/rename.d/c", "/tmp/rename.d/b"));   /* replaces b */
	cat("/tmp/rename.d/b");
	cat("/tmp/rename.d/c");
	SHOW(rename("/tmp/rename.d/b", "/tmp/rename.d/b"));   /* same: no-op */
	cat("/tmp/rename.d/b");

	/* An open fd follows the file. */
	int fd = open("/tmp/rename.d/b", O_RDONLY);
	SHOW(rename("/tmp/rename.d/b", "/tmp/rename.d/d1/moved"));
	char buf[8] = { 0 };
	SHOW(read(fd, buf, 4));
	printf("read through old fd: %s\n", buf);
	close(fd);

	/* Directories. */
	SHOW(rename("/tmp/rename.d/d1", "/tmp/rename.d/d3"));
	cat("/tmp/rename.d/d3/moved");
	SHOW(rename("/tmp/rename.d/d3", "/tmp/rename.d/d2"));   /* onto an empty dir: ok */
	cat("/tmp/rename.d/d2/moved");
	SHOW(access("/tmp/rename.d/d3", F_OK));
	SHOW(rename("/tmp/rename.d/d2", "/tmp/rename.d/full")); /* ENOTEMPTY */
	put("/tmp/rename.d/f", "file");
	SHOW(rename("/tmp/rename.d/f", "/tmp/rename.d/d2"));    /* EISDIR */
	SHOW(rename("/tmp/rename.d/d2", "/tmp/rename.d/f"));    /* ENOTDIR */
	SHOW(rename("/tmp/rename.d/d2", "/tmp/rename.d/d2/in")); /* EINVAL: into itself */
	SHOW(rename("/tmp/rename.d/none", "/tmp/rename.d/x"));  /* ENOENT */
	SHOW(rename("/tmp/rename.d/f", "/tmp/rename.d/no/x"));  /* ENOENT */
	SHOW(rename("/tmp/rename.d/f", "/tmp/rename.d/f/x"));   /* ENOTDIR */
	SHOW(rename("/tmp/rename.d/f/", "/tmp/rename.d/g"));    /* ENOTDIR */
	SHOW(rename("", "/tmp/rename.d/g"));
	SHOW(rename("/tmp/rename.d/f", ""));
	SHOW(rename("/tmp/rename.d/d2/", "/tmp/rename.d/d4/")); /* dirs may have slashes */
	SHOW(rename("/tmp/rename.d/d4/.", "/tmp/rename.d/d5"));  /* EBUSY or EINVAL */

	/* renameat with dirfds. */
	int from = open("/tmp/rename.d/d4", O_RDONLY | O_DIRECTORY);
	int to = open("/tmp/rename.d/full", O_RDONLY | O_DIRECTORY);
	SHOW(renameat(from, "moved", to, "arrived"));
	cat("/tmp/rename.d/full/arrived");
	SHOW(renameat(to, "arrived", AT_FDCWD, "/tmp/rename.d/back"));
	SHOW(renameat(999, "x", to, "y"));                   /* EBADF */
	SHOW(renameat(to, "x", 999, "y"));                   /* EBADF */
	int file = open("/tmp/rename.d/f", O_RDONLY);
	SHOW(renameat(file, "x", to, "y"));                  /* ENOTDIR */

	/* Clean up. */
	must(unlink("/tmp/rename.d/back") == 0, "unlink back");
	must(unlink("/tmp/rename.d/f") == 0, "unlink f");
	must(unlink("/tmp/rename.d/full/x") == 0, "unlink x");
	must(rmdir("/tmp/rename.d/full") == 0, "rmdir full");
	must(rmdir("/tmp/rename.d/d4") == 0, "rmdir d4");
	SHOW(rmdir("/tmp/rename.d"));
	return 0;
}
