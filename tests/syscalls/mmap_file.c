/* File-backed MAP_PRIVATE mappings: contents, offsets, copy-on-write, EOF, errors. */
#include "lib/check.h"
#include <fcntl.h>

#define PAGE 4096L

static char *map;

static void touch_beyond_eof(void)
{
	volatile char c = map[2 * PAGE];   /* the file has 1.5 pages; page 3 is past EOF */
	(void)c;
}

int main(void)
{
	const char *path = "/tmp/mmap_file.bin";
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");
	static char data[PAGE + PAGE / 2];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = 'A' + (char)(i / 512);
	must(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data), "write");

	char *p = mmap(NULL, sizeof(data), PROT_READ, MAP_PRIVATE, fd, 0);
	must(p != MAP_FAILED, "mmap");
	FACT("mapping shows the file", memcmp(p, data, sizeof(data)) == 0);
	printf("bytes 0, 511, 512, 4096, 6143: %c %c %c %c %c\n", p[0], p[511], p[512], p[4096],
	       p[6143]);
	FACT("tail of the last page is zero", p[6144] == 0 && p[PAGE * 2 - 1] == 0);

	/* An offset mapping. */
	char *o = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
	must(o != MAP_FAILED, "mmap offset");
	printf("offset mapping starts with: %c\n", o[0]);

	/* Private writes are not written back, and are private to the mapping. */
	char *w = mmap(NULL, sizeof(data), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	must(w != MAP_FAILED, "mmap rw");
	w[0] = 'z';
	char first;
	must(pread(fd, &first, 1, 0) == 1, "pread");
	printf("after private write: mapping %c, file %c, other mapping %c\n", w[0], first, p[0]);

	/* A mapping outlives close() and unlink(). */
	close(fd);
	unlink(path);
	printf("after close+unlink: %c %c\n", p[1000], o[100]);

	/* Access beyond the last page of the file: SIGBUS. */
	map = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE,
		   fd = open("/bin/busybox", O_RDONLY), 0);
	must(map != MAP_FAILED, "mmap busybox");
	printf("busybox starts with: %02x %c%c%c\n", (unsigned char)map[0], map[1], map[2], map[3]);
	munmap(map, 4 * PAGE);
	close(fd);
	fd = open("/tmp/mmap_file.small", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data), "write small");
	map = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	must(map != MAP_FAILED, "mmap small");
	in_child("read past EOF page", touch_beyond_eof);

	/* Errors. */
	int wo = open("/tmp/mmap_file.small", O_WRONLY);
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0));       /* EACCES */
	int ro = open("/tmp/mmap_file.small", O_RDONLY);
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, ro, 100));     /* EINVAL: offset */
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, wo, 0));        /* EACCES */
	SHOW(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0)); /* EACCES */
	SHOW_OK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0)); /* fine */
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0));      /* ENODEV */
	int p2[2];
	must(pipe(p2) == 0, "pipe");
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, p2[0], 0));    /* ENODEV */
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0));      /* EBADF */
	SHOW_OK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, ro, 100 * PAGE)); /* past EOF: ok */

	unlink("/tmp/mmap_file.small");
	return 0;
}
