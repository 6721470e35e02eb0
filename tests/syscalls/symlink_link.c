/* symlink, symlinkat, link, linkat, and how path lookup treats symlinks. */
#include "lib/check.h"
#include <fcntl.h>

#define D "/tmp/symlink_link.d"

static void show_link(const char *path)
{
	char buf[128];
	ssize_t n = readlink(path, buf, sizeof(buf));
	if (n < 0)
		printf("readlink %s: -1 %s\n", path, errname(errno));
	else
		printf("readlink %s: '%.*s'\n", path, (int)n, buf);
}

static void show_stat(const char *label, int r, const struct stat *st)
{
	if (r != 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else if (S_ISDIR(st->st_mode))       /* a directory's size depends on the filesystem */
		printf("%s: dir mode=%04o nlink=%lu\n", label, st->st_mode & 07777,
		       (unsigned long)st->st_nlink);
	else
		printf("%s: %s mode=%04o nlink=%lu size=%lld\n", label,
		       S_ISLNK(st->st_mode) ? "symlink" : "file", st->st_mode & 07777,
		       (unsigned long)st->st_nlink, (long long)st->st_size);
}

#define STAT(fn, path)                                                                    \
	do {                                                                              \
		struct stat st_;                                                          \
		int r_ = fn(path, &st_);                                                  \
		show_stat(#fn " " path, r_, &st_);                                        \
	} while (0)

int main(void)
{
	must(mkdir(D, 0755) == 0, "mkdir");
	must(mkdir(D "/dir", 0755) == 0, "mkdir dir");
	int fd = open(D "/file", O_CREAT | O_WRONLY, 0644);
	must(fd >= 0 && write(fd, "content", 7) == 7, "file");
	close(fd);

	SHOW(symlink("file", D "/rel"));
	SHOW(symlink(D "/file", D "/abs"));
	SHOW(symlink("dir", D "/dirlink"));
	SHOW(symlink("missing", D "/dangling"));
	SHOW(symlink("loop2", D "/loop1"));
	SHOW(symlink("loop1", D "/loop2"));
	SHOW(symlink("", D "/empty"));                   /* ENOENT */
	SHOW(symlink("x", D "/file"));                   /* EEXIST */
	SHOW(symlink("x", D "/nodir/link"));             /* ENOENT */
	int dfd = open(D, O_RDONLY | O_DIRECTORY);
	SHOW(symlinkat("../symlink_link.d/file", dfd, "viaat"));
	show_link(D "/rel");
	show_link(D "/abs");
	show_link(D "/viaat");
	show_link(D "/dangling");

	STAT(lstat, D "/rel");
	STAT(stat, D "/rel");
	STAT(stat, D "/abs");
	STAT(stat, D "/viaat");
	STAT(stat, D "/dangling");                       /* ENOENT */
	STAT(lstat, D "/dangling");
	STAT(stat, D "/loop1");                          /* ELOOP */
	STAT(stat, D "/dirlink/");
	STAT(lstat, D "/dirlink/");                      /* trailing slash follows */
	STAT(stat, D "/rel/");                           /* ENOTDIR */
	STAT(stat, D "/dirlink/..");                     /* the parent of dir, i.e. D */

	/* Opening through links. */
	SHOW(open(D "/rel", O_RDONLY | O_NOFOLLOW));     /* ELOOP */
	SHOW(open(D "/loop1", O_RDONLY));                /* ELOOP */
	fd = open(D "/abs", O_RDONLY);
	char buf[16] = { 0 };
	SHOW(read(fd, buf, sizeof(buf) - 1));
	printf("read through abs link: %s\n", buf);
	close(fd);
	SHOW(open(D "/rel", O_CREAT | O_EXCL | O_WRONLY, 0644)); /* EEXIST even for a link */
	fd = open(D "/dangling", O_CREAT | O_WRONLY, 0600);      /* creates the target */
	SHOW(fd >= 0);
	close(fd);
	STAT(lstat, D "/missing");
	SHOW(open(D "/dirlink", O_RDONLY | O_DIRECTORY) >= 0);

	/* chdir through a directory link: getcwd shows the real path. */
	SHOW(chdir(D "/dirlink"));
	char cwd[128];
	printf("cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	SHOW(chdir(".."));
	printf("cwd after ..: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	SHOW(chdir("/"));

	/* An absolute target resolves inside our root, not the host's. */
	SHOW(symlink("/bin/busybox", D "/bb"));
	STAT(stat, D "/bb");
	SHOW(access(D "/bb", X_OK));

	/* A chain of 41 links is too long; 39 is fine. */
	char name[64], target[64];
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), D "/chain%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "file");
		else
			snprintf(target, sizeof(target), "chain%d", i - 1);
		must(symlink(target, name) == 0, "chain");
	}
	STAT(stat, D "/chain39");
	STAT(stat, D "/chain40");                         /* ELOOP */

	/* Hard links. */
	SHOW(link(D "/file", D "/hard"));
	STAT(stat, D "/file");
	SHOW(link(D "/file", D "/hard"));                 /* EEXIST */
	SHOW(link(D "/dir", D "/dirhard"));               /* EPERM */
	SHOW(link(D "/none", D "/x"));                    /* ENOENT */
	SHOW(link(D "/rel", D "/hardrel"));               /* links the symlink itself */
	STAT(lstat, D "/hardrel");
	SHOW(linkat(dfd, "rel", dfd, "hardfollow", AT_SYMLINK_FOLLOW));
	STAT(lstat, D "/hardfollow");
	STAT(stat, D "/file");
	SHOW(linkat(dfd, "file", dfd, "y", 0x1));         /* EINVAL */
	SHOW(unlink(D "/file"));
	STAT(stat, D "/hard");
	fd = open(D "/hard", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	SHOW(read(fd, buf, sizeof(buf) - 1));
	printf("read through the remaining link: %s\n", buf);
	close(fd);
	STAT(stat, D "/rel");                             /* dangling now */

	/* Renaming a symlink moves the link, not the target. */
	SHOW(rename(D "/abs", D "/abs2"));
	show_link(D "/abs2");
	/* rename onto a hard link of the same file: no-op success. */
	SHOW(rename(D "/hard", D "/hardfollow"));
	STAT(stat, D "/hard");

	/* Clean up. */
	const char *names[] = { "rel", "abs2", "dirlink", "dangling", "missing", "loop1", "loop2",
				"viaat", "bb", "hard", "hardrel", "hardfollow" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlinkat(dfd, names[i], 0);
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "chain%d", i);
		unlinkat(dfd, name, 0);
	}
	SHOW(rmdir(D "/dir"));
	SHOW(rmdir(D));
	return 0;
}
