/* statx, renameat2 (NOREPLACE, EXCHANGE) and openat2 (resolve flags, strict checks). */
#include "lib/check.h"
#include <fcntl.h>
#include <linux/openat2.h>

#define D "/tmp/statx_rename2_openat2.d"

static void put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "put");
	close(fd);
}

static void cat(const char *path)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	printf("%s: %s\n", path, n >= 0 ? buf : errname(errno));
	if (fd >= 0)
		close(fd);
}

static long oa2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int main(void)
{
	must(mkdir(D, 0755) == 0, "mkdir");
	put(D "/a", "alpha");
	put(D "/b", "beta");
	must(mkdir(D "/sub", 0700) == 0, "mkdir sub");
	must(symlink("a", D "/link") == 0, "symlink");
	must(symlink("/bin/busybox", D "/abslink") == 0, "symlink abs");

	/* statx. */
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	SHOW(statx(AT_FDCWD, D "/a", 0, STATX_BASIC_STATS, &sx));
	printf("statx a: basic stats in mask: %s, type+mode=%06o nlink=%u size=%llu uid=%u\n",
	       (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no",
	       sx.stx_mode, sx.stx_nlink, (unsigned long long)sx.stx_size, sx.stx_uid);
	struct stat st;
	must(stat(D "/a", &st) == 0, "stat");
	FACT("statx ino == stat ino", sx.stx_ino == st.st_ino);
	FACT("statx mtime == stat mtime", sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
						  sx.stx_mtime.tv_nsec == (uint32_t)st.st_mtim.tv_nsec);
	SHOW(statx(AT_FDCWD, D "/link", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &sx));
	printf("statx link: symlink=%d size=%llu\n", S_ISLNK(sx.stx_mode),
	       (unsigned long long)sx.stx_size);
	int fd = open(D "/b", O_RDONLY);
	SHOW(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
	printf("statx by fd: size=%llu\n", (unsigned long long)sx.stx_size);
	SHOW(statx(AT_FDCWD, D "/a", 0, 0x80000000U, &sx));  /* EINVAL: reserved mask bit */
	SHOW(statx(AT_FDCWD, D "/a", 0x40000000, STATX_SIZE, &sx)); /* EINVAL */
	SHOW(statx(AT_FDCWD, D "/a", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_SIZE, &sx));
	SHOW(statx(AT_FDCWD, D "/none", 0, STATX_SIZE, &sx));
	SHOW(syscall(SYS_statx, AT_FDCWD, D "/a", 0, STATX_SIZE, KERNEL_PTR));

	/* renameat2. */
	SHOW(renameat2(AT_FDCWD, D "/a", AT_FDCWD, D "/b", RENAME_NOREPLACE));  /* EEXIST */
	SHOW(renameat2(AT_FDCWD, D "/a", AT_FDCWD, D "/c", RENAME_NOREPLACE));
	cat(D "/c");
	SHOW(renameat2(AT_FDCWD, D "/c", AT_FDCWD, D "/b", RENAME_EXCHANGE));
	cat(D "/b");
	cat(D "/c");
	SHOW(renameat2(AT_FDCWD, D "/c", AT_FDCWD, D "/none", RENAME_EXCHANGE)); /* ENOENT */
	SHOW(renameat2(AT_FDCWD, D "/c", AT_FDCWD, D "/sub", RENAME_EXCHANGE));  /* file <-> dir */
	must(stat(D "/c", &st) == 0, "stat c");
	printf("after exchanging with a dir, c is a dir: %d\n", S_ISDIR(st.st_mode));
	SHOW(renameat2(AT_FDCWD, D "/c", AT_FDCWD, D "/sub", RENAME_EXCHANGE));  /* and back */
	SHOW(renameat2(AT_FDCWD, D "/b", AT_FDCWD, D "/c",
		       RENAME_NOREPLACE | RENAME_EXCHANGE));                    /* EINVAL */
	SHOW(renameat2(AT_FDCWD, D "/b", AT_FDCWD, D "/d", 0x80));              /* EINVAL */
	SHOW(renameat2(AT_FDCWD, D "/b", AT_FDCWD, D "/d", 0));
	cat(D "/d");

	/* openat2: unlike open, unknown bits are errors; resolve flags confine lookups. */
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	long r = oa2(dfd, "d", O_RDONLY, 0, 0);
	SHOW(r >= 0);
	if (r >= 0)
		close((int)r);
	SHOW(oa2(dfd, "d", O_RDONLY | 0x40000000, 0, 0));       /* EINVAL: unknown flag */
	SHOW(oa2(dfd, "d", O_RDONLY, 0644, 0));                  /* EINVAL: mode without O_CREAT */
	SHOW(oa2(dfd, "d", O_RDONLY, 0, 0x1000));                /* EINVAL: unknown resolve */
	SHOW(oa2(dfd, "../statx_rename2_openat2.d/d", O_RDONLY, 0, RESOLVE_BENEATH)); /* EXDEV */
	SHOW(oa2(dfd, "/bin/busybox", O_RDONLY, 0, RESOLVE_BENEATH));                 /* EXDEV */
	SHOW(oa2(dfd, "sub/../d", O_RDONLY, 0, RESOLVE_BENEATH) >= 0);
	SHOW(oa2(dfd, "link", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));                    /* ELOOP */
	SHOW(oa2(dfd, "abslink", O_RDONLY, 0, RESOLVE_BENEATH));                     /* EXDEV */
	SHOW(oa2(dfd, "abslink", O_RDONLY, 0, RESOLVE_IN_ROOT));       /* /bin in D: ENOENT */
	SHOW(oa2(dfd, "../../..", O_RDONLY | O_DIRECTORY, 0, RESOLVE_IN_ROOT) >= 0);
	struct open_how small = { 0 };
	SHOW(syscall(SYS_openat2, dfd, "d", &small, 8));         /* EINVAL: size too small */
	SHOW(syscall(SYS_openat2, dfd, "d", NULL, sizeof(small)));   /* EFAULT */
	struct { struct open_how how; uint64_t extra; } big = { { 0 }, 1 };
	SHOW(syscall(SYS_openat2, dfd, "d", &big, sizeof(big)));  /* E2BIG: non-zero tail */
	big.extra = 0;
	r = syscall(SYS_openat2, dfd, "d", &big, sizeof(big));     /* zero tail: fine */
	SHOW(r >= 0);

	unlink(D "/d");
	unlink(D "/link");
	unlink(D "/abslink");
	unlink(D "/c");
	rmdir(D "/sub");
	SHOW(rmdir(D));
	return 0;
}
