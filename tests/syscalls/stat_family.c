/* stat, fstat, lstat, newfstatat: type, mode, size, nlink (never inode, dev or times). */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/sysmacros.h>

static const char *type_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "regular";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "chardev";
	case S_IFBLK: return "blockdev";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	}
	return "unknown";
}

static void print_stat(const char *label, int r, const struct stat *st)
{
	if (r != 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: type=%s mode=%04o nlink=%lu uid=%u gid=%u", label, type_of(st->st_mode),
	       st->st_mode & 07777, (unsigned long)st->st_nlink, st->st_uid, st->st_gid);
	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
		printf(" size=%lld", (long long)st->st_size);
	if (S_ISCHR(st->st_mode))
		printf(" rdev=%u:%u", major(st->st_rdev), minor(st->st_rdev));
	printf("\n");
}

#define STAT(label, call)                                                                 \
	do {                                                                              \
		struct stat st_;                                                          \
		memset(&st_, 0, sizeof(st_));                                             \
		errno = 0;                                                                \
		int r_ = (call);                                                          \
		print_stat(label, r_, &st_);                                              \
	} while (0)

int main(void)
{
	const char *f = "/tmp/stat_family.txt";
	const char *d = "/tmp/stat_family.dir";
	int fd = open(f, O_CREAT | O_WRONLY | O_TRUNC, 0640);
	must(fd >= 0, "open");
	must(write(fd, "twelve bytes", 12) == 12, "write");
	must(mkdir(d, 0751) == 0, "mkdir");
	must(mkdir("/tmp/stat_family.dir/sub", 0700) == 0, "mkdir sub");

	STAT("stat file", stat(f, &st_));
	STAT("fstat file", fstat(fd, &st_));
	STAT("lstat file", lstat(f, &st_));
	STAT("stat dir", stat(d, &st_));
	STAT("stat dir/sub", stat("/tmp/stat_family.dir/sub", &st_));
	STAT("stat dir/.", stat("/tmp/stat_family.dir/.", &st_));
	STAT("stat dir/sub/..", stat("/tmp/stat_family.dir/sub/..", &st_));
	/* /tmp's nlink depends on what other programs have in it: print type and mode. */
	struct stat tmp;
	must(stat("/tmp", &tmp) == 0, "stat /tmp");
	printf("stat /tmp: type=%s mode=%04o\n", type_of(tmp.st_mode), tmp.st_mode & 07777);
	STAT("lstat /bin/sh", lstat("/bin/sh", &st_));
	STAT("stat /bin/sh", stat("/bin/sh", &st_));
	STAT("stat /bin/busybox", stat("/bin/busybox", &st_));
	STAT("stat /dev/null", stat("/dev/null", &st_));
	STAT("stat /dev/zero", stat("/dev/zero", &st_));

	/* nlink follows link/unlink... without link(2): fstat after unlink shows 0. */
	int dfd = open(d, O_RDONLY | O_DIRECTORY);
	STAT("fstat dir fd", fstat(dfd, &st_));
	STAT("fstatat dirfd sub", fstatat(dfd, "sub", &st_, 0));
	STAT("fstatat AT_FDCWD file", fstatat(AT_FDCWD, f, &st_, 0));
	STAT("fstatat nofollow /bin/sh", fstatat(AT_FDCWD, "/bin/sh", &st_, AT_SYMLINK_NOFOLLOW));
	STAT("fstatat follow /bin/sh", fstatat(AT_FDCWD, "/bin/sh", &st_, 0));
	STAT("fstatat empty path fd", fstatat(fd, "", &st_, AT_EMPTY_PATH));
	STAT("fstatat empty path no flag", fstatat(fd, "", &st_, 0));
	STAT("fstatat bad flags", fstatat(AT_FDCWD, f, &st_, 0x40000000));
	STAT("fstatat rel to file fd", fstatat(fd, "x", &st_, 0));
	STAT("fstatat bad dirfd", fstatat(999, "x", &st_, 0));
	STAT("fstatat bad dirfd abs", fstatat(999, f, &st_, 0));

	/* Mode changes made at creation. */
	int f2 = open("/tmp/stat_family.exec", O_CREAT | O_WRONLY | O_TRUNC, 04755);
	STAT("fstat setuid exec", fstat(f2, &st_));
	close(f2);
	unlink("/tmp/stat_family.exec");

	/* Errors. */
	STAT("stat missing", stat("/tmp/stat_family.none", &st_));
	STAT("stat through file", stat("/tmp/stat_family.txt/x", &st_));
	STAT("stat trailing slash on file", stat("/tmp/stat_family.txt/", &st_));
	STAT("stat empty", stat("", &st_));
	STAT("fstat bad fd", fstat(999, &st_));
	STAT("fstat -1", fstat(-1, &st_));

	/* Unlinked but open: fstat still works and reports nlink 0. */
	must(unlink(f) == 0, "unlink");
	STAT("fstat unlinked", fstat(fd, &st_));
	close(fd);

	/* Pipes are FIFOs. */
	int p[2];
	must(pipe(p) == 0, "pipe");
	struct stat ps;
	must(fstat(p[0], &ps) == 0, "fstat pipe");
	printf("pipe: type=%s mode=%04o\n", type_of(ps.st_mode), ps.st_mode & 07777);

	must(rmdir("/tmp/stat_family.dir/sub") == 0, "rmdir sub");
	STAT("fstat dir after rmdir sub", fstat(dfd, &st_));
	must(rmdir(d) == 0, "rmdir");
	return 0;
}
