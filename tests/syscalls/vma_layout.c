/*
 * VMA bookkeeping: after mmap, mprotect, munmap and MAP_FIXED on parts of a region,
 * every page has the right access. Access is probed without faulting: writing from a
 * page into a pipe needs read access, reading /dev/zero into it needs write access.
 */
#include "lib/check.h"
#include <fcntl.h>

#define PAGE 4096UL
#define PAGES 16

static int zero_fd, pipe_fd[2];

static char probe(char *page)
{
	int readable = write(pipe_fd[1], page, 1) == 1;
	if (readable) {
		char c;
		must(read(pipe_fd[0], &c, 1) == 1, "drain");
	}
	/* Only try writing into pages whose content we do not mind losing: all of them. */
	int writable = read(zero_fd, page, 1) == 1;
	if (!readable && !writable)
		return errno == EFAULT ? '-' : '?';
	return readable && writable ? 'w' : readable ? 'r' : 'W';
}

static void show(const char *label, char *base)
{
	char map[PAGES + 1];
	for (int i = 0; i < PAGES; i++)
		map[i] = probe(base + i * PAGE);
	map[PAGES] = '\0';
	printf("%-40s %s\n", label, map);
}

int main(void)
{
	zero_fd = open("/dev/zero", O_RDONLY);
	must(zero_fd >= 0 && pipe(pipe_fd) == 0, "setup");
	printf("legend: w = read+write, r = read only, W = write only, - = no access\n");

	char *b = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(b != MAP_FAILED, "mmap");
	show("fresh rw region", b);
	SHOW(mprotect(b + 2 * PAGE, 3 * PAGE, PROT_READ));
	show("pages 2-4 read-only", b);
	SHOW(mprotect(b + 3 * PAGE, PAGE, PROT_NONE));
	show("page 3 none", b);
	SHOW(munmap(b + 6 * PAGE, 2 * PAGE));
	show("pages 6-7 unmapped", b);
	SHOW(mprotect(b + 5 * PAGE, 4 * PAGE, PROT_READ));   /* spans a hole: ENOMEM */
	show("after mprotect across the hole", b);
	char *f = mmap(b + 6 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	FACT("MAP_FIXED into the hole", f == b + 6 * PAGE);
	show("page 6 mapped read-only", b);
	SHOW(mprotect(b, PAGES * PAGE, PROT_READ | PROT_WRITE));  /* hole at 7: ENOMEM */
	show("after full-range mprotect", b);
	SHOW(mprotect(b + 8 * PAGE, 8 * PAGE, PROT_WRITE));
	show("pages 8-15 PROT_WRITE", b);
	SHOW(munmap(b + 10 * PAGE, 100 * PAGE));              /* beyond the end: fine */
	show("pages 10+ unmapped", b);
	char *g = mmap(b + 12 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	FACT("MAP_FIXED beyond", g == b + 12 * PAGE);
	show("pages 12-13 remapped", b);
	SHOW(munmap(b, PAGES * PAGE));
	show("all unmapped", b);

	/* Content survives splits and merges. */
	char *c = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 4; i++)
		memset(c + i * PAGE, '0' + i, PAGE);
	mprotect(c + PAGE, PAGE, PROT_READ);
	mprotect(c + PAGE, PAGE, PROT_READ | PROT_WRITE);
	munmap(c + 2 * PAGE, PAGE);
	printf("content after split/merge: %c %c %c\n", c[0], c[PAGE + 100], c[3 * PAGE + 4095]);

	/* The child sees the same layout. */
	b = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(b + PAGE, PAGE, PROT_READ);
	munmap(b + 2 * PAGE, PAGE);
	mprotect(b + 3 * PAGE, PAGE, PROT_NONE);
	show("parent layout", b);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		show("child layout", b);
		_exit(0);
	}
	wait_and_report("child", pid);
	return 0;
}
