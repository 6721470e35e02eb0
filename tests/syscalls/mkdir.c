/* mkdir and mkdirat: modes under umask, EEXIST, ENOENT, ENOTDIR, dirfds. */
#include "lib/check.h"
#include <fcntl.h>

static void mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		printf("%s: stat -1 %s\n", path, errname(errno));
	else
		printf("%s: dir=%d mode=%04o nlink=%lu\n", path, S_ISDIR(st.st_mode),
		       st.st_mode & 07777, (unsigned long)st.st_nlink);
}

int main(void)
{
	SHOW(mkdir("/tmp/mkdir.d", 0777));
	mode_of("/tmp/mkdir.d");                          /* umask 022 -> 0755 */
	SHOW(mkdir("/tmp/mkdir.d", 0777));                /* EEXIST */
	SHOW(mkdir("/tmp/mkdir.d/", 0777));               /* EEXIST */
	SHOW(mkdir("/tmp/mkdir.d/a/b", 0777));            /* ENOENT */
	SHOW(mkdir("/tmp/mkdir.d/a/", 0700));             /* trailing slash is fine */
	mode_of("/tmp/mkdir.d/a");
	mode_of("/tmp/mkdir.d");                          /* nlink grew */
	SHOW(mkdir("/tmp/mkdir.d/sticky", 01777));
	mode_of("/tmp/mkdir.d/sticky");
	SHOW(mkdir("/tmp/mkdir.d/none", 0));
	mode_of("/tmp/mkdir.d/none");

	int fd = open("/tmp/mkdir.file", O_CREAT | O_WRONLY, 0644);
	SHOW(mkdir("/tmp/mkdir.file", 0755));             /* EEXIST */
	SHOW(mkdir("/tmp/mkdir.file/x", 0755));           /* ENOTDIR */
	SHOW(mkdir("/bin/sh", 0755));                     /* EEXIST: a symlink */
	SHOW(mkdir("", 0755));                            /* ENOENT */
	SHOW(mkdir("/", 0755));                           /* EEXIST */

	int dfd = open("/tmp/mkdir.d", O_RDONLY | O_DIRECTORY);
	SHOW(mkdirat(dfd, "rel", 0750));
	mode_of("/tmp/mkdir.d/rel");
	SHOW(mkdirat(dfd, "rel", 0750));                  /* EEXIST */
	SHOW(mkdirat(AT_FDCWD, "/tmp/mkdir.d/abs", 0750));
	SHOW(mkdirat(fd, "x", 0755));                     /* ENOTDIR: dirfd is a file */
	SHOW(mkdirat(999, "x", 0755));                    /* EBADF */
	SHOW(mkdirat(999, "/tmp/mkdir.d/abs2", 0755));    /* absolute: fine */

	umask(077);
	SHOW(mkdir("/tmp/mkdir.d/masked", 0777));
	mode_of("/tmp/mkdir.d/masked");
	umask(022);

	const char *dirs[] = { "a", "sticky", "none", "rel", "abs", "abs2", "masked" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		must(unlinkat(dfd, dirs[i], AT_REMOVEDIR) == 0, "cleanup");
	mode_of("/tmp/mkdir.d");
	SHOW(rmdir("/tmp/mkdir.d"));
	SHOW(unlink("/tmp/mkdir.file"));
	return 0;
}
