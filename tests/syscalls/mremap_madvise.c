/* mremap (grow, shrink, move, fixed) and madvise (DONTNEED zeroes private anonymous pages). */
#include "lib/check.h"

#define PAGE 4096UL

int main(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(p != MAP_FAILED, "mmap");
	for (int i = 0; i < 4; i++)
		memset(p + i * PAGE, 'a' + i, PAGE);

	/* Shrink in place. */
	char *q = mremap(p, 4 * PAGE, 2 * PAGE, 0);
	FACT("shrink stays in place", q == p);
	printf("after shrink: %c %c\n", q[0], q[2 * PAGE - 1]);

	/* Grow, allowing a move: content is kept, new part is zero. */
	char *g = mremap(q, 2 * PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	FACT("grow with MAYMOVE succeeds", g != MAP_FAILED);
	printf("after grow: %c %c new=%d %d\n", g[0], g[2 * PAGE - 1], g[2 * PAGE], g[64 * PAGE - 1]);

	/* Move to a fixed place. */
	char *target = mmap(NULL, 64 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *m = mremap(g, 64 * PAGE, 64 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	FACT("MREMAP_FIXED lands on the target", m == target);
	if (m == MAP_FAILED) {
		printf("mremap MREMAP_FIXED: %s\n", errname(errno));
		m = g;     /* keep going with the old mapping */
	}
	printf("moved content: %c %c\n", m[0], m[PAGE + 5]);

	/* Errors. */
	SHOW(mremap(m + 1, PAGE, 2 * PAGE, 0));                       /* EINVAL: unaligned */
	SHOW(mremap(m, PAGE, 2 * PAGE, 0x80));                        /* EINVAL: bad flag */
	SHOW(mremap(m, PAGE, 0, MREMAP_MAYMOVE));                     /* EINVAL: new size 0 */
	SHOW(mremap(m, PAGE, 2 * PAGE, MREMAP_FIXED));                /* EINVAL: FIXED w/o MAYMOVE */
	SHOW(mremap(unmapped_ptr(), PAGE, 2 * PAGE, MREMAP_MAYMOVE)); /* EFAULT */
	/* Growing in place into a used neighbour fails without MAYMOVE. */
	char *a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(munmap(a + PAGE, PAGE) == 0, "munmap");
	char *blocker = mmap(a + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	must(blocker == a + PAGE, "blocker");
	SHOW(mremap(a, PAGE, 2 * PAGE, 0));                           /* ENOMEM */

	/* madvise. */
	char *d = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(d, 'x', 4 * PAGE);
	SHOW(madvise(d + PAGE, 2 * PAGE, MADV_DONTNEED));
	printf("after DONTNEED on pages 1-2: %c %d %d %c\n", d[0], d[PAGE], d[3 * PAGE - 1],
	       d[3 * PAGE]);
	SHOW(madvise(d, 4 * PAGE, MADV_WILLNEED));
	SHOW(madvise(d, 4 * PAGE, MADV_SEQUENTIAL));
	SHOW(madvise(d, 4 * PAGE, MADV_NORMAL));
	SHOW(madvise(d + 1, PAGE, MADV_DONTNEED));                    /* EINVAL */
	SHOW(madvise(d, PAGE, 12345));                                /* EINVAL */
	SHOW(madvise(unmapped_ptr(), PAGE, MADV_DONTNEED));           /* ENOMEM */
	/* DONTNEED on a shared anonymous page keeps the data (it lives in the shared object). */
	char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 's';
	SHOW(madvise(s, PAGE, MADV_DONTNEED));
	printf("shared page after DONTNEED: %c\n", s[0]);
	return 0;
}
