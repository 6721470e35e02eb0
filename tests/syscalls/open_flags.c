/* open, openat, creat: O_CREAT|O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, dirfds, errors. */
#include "lib/check.h"
#include <fcntl.h>

static long size_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (long)st.st_size;
}

int main(void)
{
	const char *f = "/tmp/open_flags.txt";
	const char *d = "/tmp/open_flags.dir";

	SHOW(open(f, O_RDONLY));                          /* ENOENT */
	SHOW(open(f, O_CREAT | O_EXCL | O_WRONLY, 0644)); /* 3 */
	SHOW(write(3, "0123456789", 10));
	SHOW(open(f, O_CREAT | O_EXCL | O_WRONLY, 0644)); /* EEXIST */
	SHOW(open(f, O_CREAT | O_WRONLY, 0644));          /* exists: fine */
	SHOW(close(4));
	printf("size before O_TRUNC: %ld\n", size_of(f));
	SHOW(open(f, O_RDONLY | O_TRUNC));
	SHOW(close(4));
	SHOW(open(f, O_WRONLY | O_TRUNC));
	printf("size after O_TRUNC: %ld\n", size_of(f));
	SHOW(close(4));

	SHOW(open(f, O_WRONLY | O_APPEND));
	SHOW(write(3, "abc", 3));                         /* at offset 10: hole */
	SHOW(write(4, "xyz", 3));                         /* appended at the end */
	printf("size after append: %ld\n", size_of(f));
	SHOW(close(4));

	SHOW(creat(f, 0600));                             /* truncates */
	printf("size after creat: %ld\n", size_of(f));
	SHOW(read(4, (char[4]){ 0 }, 1));                 /* creat is write-only */
	SHOW(close(4));

	SHOW(mkdir(d, 0755));
	SHOW(open(f, O_RDONLY | O_DIRECTORY));            /* ENOTDIR */
	SHOW(open(d, O_RDONLY | O_DIRECTORY));
	SHOW(close(4));
	SHOW(open(d, O_RDONLY));
	SHOW(close(4));
	SHOW(open(d, O_WRONLY));                          /* EISDIR */
	SHOW(open(d, O_RDWR));
	SHOW(open(d, O_CREAT | O_RDONLY, 0644));          /* EISDIR */
	SHOW(open("/tmp/open_flags.txt/x", O_RDONLY));    /* ENOTDIR */
	SHOW(open("/tmp/open_flags.none/x", O_CREAT | O_WRONLY, 0644)); /* ENOENT */
	SHOW(open("/tmp/open_flags.dir/", O_RDONLY));
	SHOW(close(4));
	SHOW(open("/tmp/open_flags.txt/", O_RDONLY));     /* ENOTDIR: trailing slash */
	SHOW(open("/tmp/open_flags.new/", O_CREAT | O_WRONLY, 0644)); /* EISDIR */

	/* openat relative to a directory fd; absolute paths ignore the dirfd. */
	int dfd = open(d, O_RDONLY | O_DIRECTORY);
	SHOW(dfd);
	SHOW(openat(dfd, "inner", O_CREAT | O_WRONLY, 0644));
	SHOW(close(5));
	printf("inner exists: %ld\n", size_of("/tmp/open_flags.dir/inner"));
	SHOW(openat(dfd, f, O_RDONLY));
	SHOW(close(5));
	SHOW(openat(dfd, "../open_flags.txt", O_RDONLY));
	SHOW(close(5));
	SHOW(openat(3, "inner", O_RDONLY));               /* ENOTDIR: dirfd is a file */
	SHOW(openat(999, "inner", O_RDONLY));             /* EBADF */
	SHOW(openat(-1, "inner", O_RDONLY));              /* EBADF */
	SHOW(openat(999, "/tmp/open_flags.txt", O_RDONLY)); /* absolute: dirfd unused */
	SHOW(close(5));
	SHOW(chdir("/tmp"));
	SHOW(openat(AT_FDCWD, "open_flags.txt", O_RDONLY));
	SHOW(close(5));
	SHOW(open("open_flags.dir/inner", O_RDONLY));
	SHOW(close(5));
	SHOW(open("", O_RDONLY));                         /* ENOENT */

	/* Lowest free descriptor. */
	SHOW(close(3));
	SHOW(open(f, O_RDONLY));
	SHOW(close(3));

	SHOW(unlink("/tmp/open_flags.dir/inner"));
	SHOW(rmdir(d));
	SHOW(unlink(f));
	return 0;
}
