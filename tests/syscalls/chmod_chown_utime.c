/* chmod family, chown family (as root), truncate/ftruncate, utimensat with explicit times. */
#include "lib/check.h"
#include <fcntl.h>

#define F "/tmp/chmod_chown_utime.f"
#define D "/tmp/chmod_chown_utime.d"

static void show(const char *label, const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: mode=%04o uid=%u gid=%u", label, st.st_mode & 07777, st.st_uid, st.st_gid);
	if (!S_ISDIR(st.st_mode))
		printf(" size=%lld", (long long)st.st_size);
	printf("\n");
}

int main(void)
{
	int fd = open(F, O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");
	must(mkdir(D, 0755) == 0, "mkdir");
	must(symlink("../chmod_chown_utime.f", D "/link") == 0, "symlink");

	SHOW(chmod(F, 0600));
	show("chmod 0600", F);
	SHOW(fchmod(fd, 04755));
	show("fchmod 04755", F);
	SHOW(fchmodat(AT_FDCWD, F, 02710, 0));
	show("fchmodat 02710", F);
	SHOW(chmod(F, 0177777));                          /* only 07777 is kept */
	show("chmod 0177777", F);
	SHOW(chmod(D "/link", 0600));                     /* follows the link */
	show("chmod through a link: target", F);
	show("chmod through a link: link", D "/link");
	SHOW(fchmodat(AT_FDCWD, D "/link", 0600, AT_SYMLINK_NOFOLLOW)); /* EOPNOTSUPP */
	SHOW(fchmodat(AT_FDCWD, F, 0600, 0x1));           /* EINVAL */
	SHOW(chmod("/tmp/chmod_chown_utime.none", 0600)); /* ENOENT */
	SHOW(fchmod(999, 0600));                          /* EBADF */

	/* chown as root; a chown of a file clears its set-id bits. */
	SHOW(chmod(F, 06755));
	SHOW(chown(F, 1000, 2000));
	show("chown 1000:2000 (set-id bits cleared)", F);
	SHOW(fchown(fd, -1, 3000));                        /* -1 keeps the uid */
	show("fchown -1:3000", F);
	SHOW(lchown(D "/link", 42, 43));
	show("lchown link", D "/link");
	show("lchown target unchanged", F);
	SHOW(fchownat(AT_FDCWD, D "/link", 7, 8, 0));     /* follows */
	show("fchownat follow: target", F);
	SHOW(fchownat(AT_FDCWD, F, 0, 0, 0x1));           /* EINVAL */
	SHOW(chown(D, 5, 6));
	show("chown dir", D);
	SHOW(chmod(D, 02775));
	SHOW(chown(D, 0, 0));
	show("chown dir keeps setgid", D);
	SHOW(chown(F, 0, 0));

	/* truncate and ftruncate. */
	SHOW(write(fd, "0123456789", 10));
	SHOW(ftruncate(fd, 4));
	show("ftruncate 4", F);
	SHOW(truncate(F, 100));
	show("truncate 100", F);
	char buf[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	SHOW(pread(fd, buf, 8, 4));
	printf("bytes after the old end: %d %d\n", buf[0], buf[7]);
	SHOW(ftruncate(fd, -1));                          /* EINVAL */
	SHOW(truncate(F, -1));
	SHOW(truncate(D, 0));                             /* EISDIR */
	SHOW(truncate("/tmp/chmod_chown_utime.none", 0)); /* ENOENT */
	int ro = open(F, O_RDONLY);
	SHOW(ftruncate(ro, 0));                           /* EINVAL: not open for writing */
	int p[2];
	must(pipe(p) == 0, "pipe");
	SHOW(ftruncate(p[1], 0));                         /* EINVAL */
	SHOW(ftruncate(999, 0));                          /* EBADF */

	/* utimensat with explicit times reads back exactly. */
	struct timespec t[2] = { { 1000000000, 123456789 }, { 1500000000, 987654321 } };
	SHOW(utimensat(AT_FDCWD, F, t, 0));
	struct stat st;
	must(stat(F, &st) == 0, "stat");
	printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 42, 0 } };
	SHOW(futimens(fd, omit));
	must(fstat(fd, &st) == 0, "fstat");
	printf("atime %lld (kept) mtime %lld\n", (long long)st.st_atim.tv_sec,
	       (long long)st.st_mtim.tv_sec);
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	SHOW(utimensat(AT_FDCWD, F, now, 0));
	must(stat(F, &st) == 0, "stat");
	FACT("UTIME_NOW sets a recent time", st.st_mtim.tv_sec > 1577836800);
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	SHOW(utimensat(AT_FDCWD, F, bad, 0));             /* EINVAL */
	SHOW(utimensat(AT_FDCWD, F, t, 0x1));             /* EINVAL */
	SHOW(utimensat(AT_FDCWD, D "/link", t, AT_SYMLINK_NOFOLLOW));
	must(lstat(D "/link", &st) == 0, "lstat");
	printf("link mtime %lld\n", (long long)st.st_mtim.tv_sec);

	unlink(D "/link");
	rmdir(D);
	unlink(F);
	return 0;
}
