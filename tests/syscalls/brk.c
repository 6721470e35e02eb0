/* brk: query, grow, use, shrink, and requests below the start (raw syscall). */
#include "lib/check.h"

static uintptr_t sys_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

static char *heap_end;

static void touch_released(void)
{
	heap_end[-1] = 1;
}

int main(void)
{
	uintptr_t start = sys_brk(0);
	FACT("brk(0) is non-zero", start != 0);
	FACT("brk(0) is stable", sys_brk(0) == start);

	uintptr_t grown = sys_brk(start + 64 * 1024);
	FACT("grow by 64 KiB returns the new end", grown == start + 64 * 1024);
	char *mem = (char *)start;
	memset(mem, 'h', 64 * 1024);
	FACT("grown memory is usable", mem[64 * 1024 - 1] == 'h');

	uintptr_t odd = sys_brk(start + 64 * 1024 + 123);
	FACT("unaligned break is returned as asked", odd == start + 64 * 1024 + 123);
	FACT("memory up to the page end is usable", (mem[64 * 1024 + 200] = 1) == 1);

	uintptr_t shrunk = sys_brk(start + 4096);
	FACT("shrink returns the new end", shrunk == start + 4096);
	FACT("memory below the new end survives", mem[100] == 'h');
	heap_end = (char *)start + 8192;
	in_child("touch memory released by brk", touch_released);

	/* Growing again gives zeroed memory. */
	sys_brk(start + 16384);
	FACT("re-grown memory is zero", mem[8192] == 0 && mem[16383] == 0);

	/*
	 * A request below the start of the heap is refused: the current break is returned.
	 * (Static glibc has already moved the break for its TLS block, so "start" above is
	 * not the heap's start; 1 certainly is below it.)
	 */
	FACT("brk(1) fails softly", sys_brk(1) == start + 16384);
	/* An impossible request (kernel half) is refused the same way. */
	FACT("brk in kernel half fails softly", sys_brk(0xffff800000000000UL) == start + 16384);
	/* Colliding with an existing mapping is refused. */
	char *m = mmap((void *)(start + 1024 * 1024), 4096, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != MAP_FAILED)
		FACT("brk over a mapping fails softly",
		     sys_brk(start + 2 * 1024 * 1024) == start + 16384);
	else
		printf("could not place the blocking mapping: %s\n", errname(errno));

	/* A child inherits the break and its contents. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(sys_brk(0) == start + 16384 && mem[100] == 'h' ? 0 : 1);
	wait_and_report("child inherits the heap", pid);

	/* malloc still works on top of whatever brk does. */
	char *big = malloc(1 << 20);
	FACT("malloc 1 MiB", big != NULL);
	memset(big, 1, 1 << 20);
	free(big);
	return 0;
}
