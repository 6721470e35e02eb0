/* getdents64: every entry once (sorted before printing), d_type, offsets, errors. */
#include "lib/check.h"
#include <dirent.h>
#include <fcntl.h>

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *dtype(unsigned char t)
{
	switch (t) {
	case DT_REG: return "reg";
	case DT_DIR: return "dir";
	case DT_LNK: return "lnk";
	case DT_CHR: return "chr";
	case DT_FIFO: return "fifo";
	case DT_UNKNOWN: return "unknown";
	}
	return "other";
}

/* Lists a directory with a given buffer size; prints sorted "name type" lines. */
static void list(const char *path, size_t bufsize, int print)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	must(fd >= 0, "open dir");
	char *buf = malloc(bufsize);
	char *names[512];
	int n = 0, calls = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsize);
		if (r < 0) {
			printf("getdents64(%s, %zu): -1 %s\n", path, bufsize, errname(errno));
			break;
		}
		if (r == 0)
			break;
		calls++;
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (n < 512) {
				names[n] = malloc(300);
				snprintf(names[n], 300, "%s %s", d->d_name, dtype(d->d_type));
				n++;
			}
			if (d->d_reclen == 0 || d->d_reclen % 8 != 0) {
				printf("bad d_reclen %u\n", d->d_reclen);
				return;
			}
			off += d->d_reclen;
		}
	}
	qsort(names, n, sizeof(names[0]), cmp);
	printf("%s (buffer %zu): %d entries, several calls: %s\n", path, bufsize, n,
	       calls > 1 ? "yes" : "no");
	for (int i = 0; i < n; i++) {
		if (print)
			printf("  %s\n", names[i]);
		free(names[i]);
	}
	/* At the end: more calls keep returning 0. */
	printf("  again at end: %ld\n", syscall(SYS_getdents64, fd, buf, bufsize));
	free(buf);
	close(fd);
}

int main(void)
{
	const char *d = "/tmp/getdents.dir";
	must(mkdir(d, 0755) == 0, "mkdir");
	char path[128];
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "%s/file-%02d-with-a-longish-name", d, i);
		int fd = open(path, O_CREAT | O_WRONLY, 0644);
		must(fd >= 0, "create");
		close(fd);
	}
	must(mkdir("/tmp/getdents.dir/subdir", 0755) == 0, "mkdir sub");

	list(d, 32768, 1);
	list(d, 128, 0);    /* forces many calls: resumption must not skip or repeat */
	list("/tmp/getdents.dir/subdir", 4096, 1);
	list("/bin", 65536, 0);

	/* Errors. */
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	char small[8];
	char buf[4096];
	SHOW(syscall(SYS_getdents64, fd, small, sizeof(small)));  /* EINVAL: too small */
	SHOW(syscall(SYS_getdents64, 999, buf, sizeof(buf)));
	SHOW(syscall(SYS_getdents64, -1, buf, sizeof(buf)));
	int file = open("/bin/busybox", O_RDONLY);
	must(file >= 0, "open busybox");
	SHOW(syscall(SYS_getdents64, file, buf, sizeof(buf)));    /* ENOTDIR */
	int p[2];
	must(pipe(p) == 0, "pipe");
	SHOW(syscall(SYS_getdents64, p[0], buf, sizeof(buf)));

	/* Rewinding with lseek restarts the listing. */
	long first = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	SHOW(lseek(fd, 0, SEEK_SET));
	long again = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	FACT("rewind gives the same first batch", first == again && first > 0);

	/* Unlinking during a listing does not break it. */
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "%s/file-%02d-with-a-longish-name", d, i);
		must(unlink(path) == 0, "unlink");
	}
	must(rmdir("/tmp/getdents.dir/subdir") == 0, "rmdir sub");
	list(d, 4096, 1);
	must(rmdir(d) == 0, "rmdir");
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(syscall(SYS_getdents64, fd, buf, sizeof(buf)));      /* removed dir: empty */
	return 0;
}
