/* access, faccessat, faccessat2: F_OK/R_OK/W_OK/X_OK as root, flags, errors. */
#include "lib/check.h"
#include <fcntl.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

static void make(const char *path, mode_t mode)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	must(fd >= 0, "create");
	must(fchmod(fd, mode) == 0, "fchmod");
	close(fd);
}

int main(void)
{
	make("/tmp/access.none", 0000);
	make("/tmp/access.ro", 0444);
	make("/tmp/access.ux", 0100);
	make("/tmp/access.ox", 0001);
	must(mkdir("/tmp/access.dir", 0000) == 0, "mkdir");

	/* Root may read and write anything, but execute only if some x bit is set. */
	SHOW(access("/tmp/access.none", F_OK));
	SHOW(access("/tmp/access.none", R_OK));
	SHOW(access("/tmp/access.none", W_OK));
	SHOW(access("/tmp/access.none", X_OK));
	SHOW(access("/tmp/access.ro", R_OK | W_OK));
	SHOW(access("/tmp/access.ux", X_OK));
	SHOW(access("/tmp/access.ox", X_OK));
	SHOW(access("/tmp/access.dir", R_OK | W_OK | X_OK)); /* dirs: x always for root */
	SHOW(access("/bin/busybox", X_OK));
	SHOW(access("/bin/sh", X_OK));                       /* follows the link */
	SHOW(access("/tmp/access.missing", F_OK));
	SHOW(access("/tmp/access.ro/x", F_OK));               /* ENOTDIR */
	SHOW(access("", F_OK));
	SHOW(access("/tmp/access.ro", 8));                   /* EINVAL: unknown mode bit */
	SHOW(access("/tmp/access.ro", -1));

	int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
	SHOW(faccessat(tmp, "access.ro", R_OK, 0));
	SHOW(faccessat(tmp, "access.none", X_OK, 0));
	SHOW(faccessat(AT_FDCWD, "/tmp/access.ux", X_OK, 0));
	SHOW(faccessat(999, "access.ro", F_OK, 0));          /* EBADF */
	SHOW(faccessat(999, "/tmp/access.ro", F_OK, 0));     /* absolute: fine */
	SHOW(syscall(SYS_faccessat, tmp, "access.ro", R_OK)); /* raw: no flags argument */

	SHOW(syscall(SYS_faccessat2, tmp, "access.ro", R_OK, 0));
	SHOW(syscall(SYS_faccessat2, tmp, "access.ux", X_OK, AT_EACCESS));
	SHOW(syscall(SYS_faccessat2, AT_FDCWD, "/bin/sh", F_OK, AT_SYMLINK_NOFOLLOW));
	SHOW(syscall(SYS_faccessat2, AT_FDCWD, "/tmp/access.none", X_OK, AT_SYMLINK_NOFOLLOW));
	SHOW(syscall(SYS_faccessat2, tmp, "access.ro", R_OK, 0x1));      /* EINVAL */
	SHOW(syscall(SYS_faccessat2, tmp, "access.ro", R_OK, 0x80000));  /* EINVAL */
	SHOW(syscall(SYS_faccessat2, tmp, "access.ro", 0x10, 0));        /* EINVAL */
	int file = open("/tmp/access.ro", O_RDONLY);
	SHOW(syscall(SYS_faccessat2, file, "", R_OK, AT_EMPTY_PATH));
	SHOW(syscall(SYS_faccessat2, file, "", R_OK, 0));                /* ENOENT */
	SHOW(syscall(SYS_faccessat2, file, "x", R_OK, 0));               /* ENOTDIR */

	unlink("/tmp/access.none");
	unlink("/tmp/access.ro");
	unlink("/tmp/access.ux");
	unlink("/tmp/access.ox");
	rmdir("/tmp/access.dir");
	return 0;
}
