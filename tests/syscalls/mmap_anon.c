/* Anonymous mmap/munmap/mprotect: zero fill, MAP_FIXED, faults seen by the parent, errors. */
#include "lib/check.h"

#define PAGE 4096UL

static char *region;

static void touch_unmapped(void)
{
	region[0] = 1;
}

static void read_unmapped(void)
{
	volatile char c = region[PAGE];
	(void)c;
}

static void write_readonly(void)
{
	region[2 * PAGE] = 1;
}

static void read_none(void)
{
	volatile char c = region[3 * PAGE];
	(void)c;
}

static void exec_data(void)
{
	void (*fn)(void) = (void (*)(void))(region + 4 * PAGE);
	fn();
}

int main(void)
{
	char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(p != MAP_FAILED, "mmap");
	FACT("page aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
	int zero = 1;
	for (size_t i = 0; i < 8 * PAGE; i++)
		zero &= p[i] == 0;
	FACT("zero filled", zero);
	memset(p, 'a', 8 * PAGE);
	FACT("writable", p[8 * PAGE - 1] == 'a');

	/* MAP_FIXED over the middle replaces those pages with fresh zero pages. */
	char *q = mmap(p + 2 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	FACT("MAP_FIXED returns the address", q == p + 2 * PAGE);
	printf("after MAP_FIXED: %d %d %d %d\n", p[PAGE], p[2 * PAGE], p[3 * PAGE + 5], p[4 * PAGE]);

	/* A hint that is free is usually honoured; it must at least not fail. */
	char *h = mmap(p + 16 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FACT("hinted mmap succeeds", h != MAP_FAILED);

	/* MAP_FIXED_NOREPLACE on a used range fails with EEXIST. */
	SHOW(mmap(p, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));

	/* munmap part of the region; other pages keep their data. */
	SHOW(munmap(p, PAGE));
	SHOW(munmap(p, PAGE));                       /* unmapping a hole is fine */
	FACT("neighbour page intact", p[PAGE] == 'a');
	region = p;
	in_child("write to unmapped page", touch_unmapped);

	/* mprotect. */
	SHOW(mprotect(p + 2 * PAGE, PAGE, PROT_READ));
	SHOW(mprotect(p + 3 * PAGE, PAGE, PROT_NONE));
	FACT("read of PROT_READ page works", p[2 * PAGE] == 0);
	in_child("write to PROT_READ page", write_readonly);
	in_child("read of PROT_NONE page", read_none);
	in_child("execute a PROT_READ|PROT_WRITE page", exec_data);
	SHOW(mprotect(p + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE));
	p[3 * PAGE] = 'b';
	FACT("writable again after mprotect", p[3 * PAGE] == 'b');
	SHOW(munmap(p + PAGE, PAGE));
	in_child("read of unmapped page", read_unmapped);

	/* A child's writes do not reach the parent's private pages. */
	pid_t pid = fork();
	if (pid == 0) {
		p[5 * PAGE] = 'c';
		_exit(p[5 * PAGE] == 'c' ? 0 : 1);
	}
	wait_and_report("child writes its copy", pid);
	printf("parent still sees: %c\n", p[5 * PAGE]);

	/* MAP_SHARED|MAP_ANONYMOUS memory is shared with children. */
	int *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	must(shared != MAP_FAILED, "mmap shared");
	pid = fork();
	if (pid == 0) {
		*shared = 42;
		_exit(0);
	}
	wait_and_report("child writes shared page", pid);
	printf("parent sees shared value: %d\n", *shared);

	/* A large reservation that is never touched. */
	char *big = mmap(NULL, 1UL << 32, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	FACT("4 GiB PROT_NONE reservation", big != MAP_FAILED);
	SHOW(munmap(big, 1UL << 32));

	/* Errors. */
	SHOW(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));     /* EINVAL */
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0));                /* EINVAL */
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(p + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0));                  /* EBADF */
	SHOW(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1));  /* EINVAL: unaligned offset */
	SHOW(munmap(p + 1, PAGE));                                              /* EINVAL */
	SHOW(munmap(p, 0));                                                     /* EINVAL */
	SHOW(munmap((void *)0xffff800000000000UL, PAGE));                      /* EINVAL */
	SHOW(mprotect(p + 1, PAGE, PROT_READ));                                 /* EINVAL */
	SHOW(mprotect(p + 5 * PAGE, PAGE, 0x10000));                            /* EINVAL */
	SHOW(mprotect(p, PAGE, PROT_READ));                                     /* ENOMEM: unmapped */
	SHOW(mprotect(p + 5 * PAGE, 0, PROT_READ));                             /* 0: nothing */
	SHOW(munmap(p + 2 * PAGE, 6 * PAGE));
	return 0;
}
