/* Unknown and retired syscall numbers return ENOSYS; the process carries on. */
#include "lib/check.h"

int main(void)
{
	/* Far outside the table. */
	SHOW(syscall(1000));
	SHOW(syscall(-1));
	SHOW(syscall(-2, 1, 2, 3));
	SHOW(syscall(0x3fffffff));
	SHOW(syscall(0x7fffffff));
	SHOW(syscall(512));                 /* first x32 number, without the x32 bit */
	SHOW(syscall(547));

	/*
	 * Holes in the x86-64 table (numbers never assigned). 335 and 336 are avoided: some
	 * vendor kernels (including the CI host's) put private calls there.
	 */
	SHOW(syscall(387));
	SHOW(syscall(400));
	SHOW(syscall(423));
	SHOW(syscall(600));

	/* The x32 bit: x32 is not enabled, so these are unknown too. */
	SHOW(syscall(0x40000000 | SYS_getpid));
	SHOW(syscall(0x40000000 | 512));

	/* Assigned but not implemented by Linux (retired or reserved). */
	SHOW(syscall(134));                 /* uselib (configured out on modern kernels) */
	SHOW(syscall(174));                 /* create_module */
	SHOW(syscall(177));                 /* get_kernel_syms */
	SHOW(syscall(178));                 /* query_module */
	SHOW(syscall(180));                 /* nfsservctl */
	SHOW(syscall(181));                 /* getpmsg */
	SHOW(syscall(182));                 /* putpmsg */
	SHOW(syscall(183));                 /* afs_syscall */
	SHOW(syscall(184));                 /* tuxcall */
	SHOW(syscall(185));                 /* security */
	SHOW(syscall(236));                 /* vserver */

	/* All six argument registers full of garbage do not matter for ENOSYS. */
	SHOW(syscall(1000, -1L, KERNEL_PTR, TOP_PTR, 0x5555555555555555L, -1L, 0L));

	/*
	 * The kernel reads the syscall number as a 32-bit int: the upper half of rax is
	 * ignored, so (1 << 32) | SYS_getpid is getpid.
	 */
	long pid = syscall((1L << 32) | SYS_getpid);
	FACT("upper half of the number is ignored ((1<<32)|getpid is getpid)", pid == getpid());
	SHOW(syscall((1L << 32) | 1000));

	/* Still fully working afterwards. */
	SHOW(write(1, "alive\n", 6));
	pid_t child = fork();
	if (child == 0)
		_exit(syscall(999) == -1 && errno == ENOSYS ? 0 : 1);
	wait_and_report("child also gets ENOSYS", child);
	return 0;
}
