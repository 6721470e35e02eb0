/* arch_prctl: ARCH_GET_FS/ARCH_SET_FS round trip, the FS base in use, and errors. */
#include "lib/check.h"
#include <asm/prctl.h>

static long ap(int code, unsigned long addr)
{
	return syscall(SYS_arch_prctl, code, addr);
}

static unsigned long read_fs0(void)
{
	unsigned long v;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	return v;
}

static unsigned long read_fs8(void)
{
	unsigned long v;
	__asm__ volatile("mov %%fs:8, %0" : "=r"(v));
	return v;
}

int main(void)
{
	unsigned long fs = 0;
	SHOW(ap(ARCH_GET_FS, (unsigned long)&fs));
	FACT("FS base is non-zero", fs != 0);
	/* glibc keeps a self-pointer at %fs:0. */
	FACT("%fs:0 holds the FS base (glibc TCB self-pointer)", read_fs0() == fs);

	/* Point FS at our own block, read through it, then restore. No libc in between. */
	static unsigned long block[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
	long set_ret = ap(ARCH_SET_FS, (unsigned long)block);
	unsigned long seen0 = read_fs0();
	unsigned long seen8 = read_fs8();
	unsigned long got = 0;
	long get_ret = ap(ARCH_GET_FS, (unsigned long)&got);
	long restore_ret = ap(ARCH_SET_FS, fs);
	printf("set=%ld get=%ld restore=%ld\n", set_ret, get_ret, restore_ret);
	FACT("GET_FS returns what SET_FS set", got == (unsigned long)block);
	printf("read through new FS: %lx %lx\n", seen0, seen8);
	FACT("FS restored", read_fs0() == fs);

	/* A child inherits the FS base; exec resets it (checked by libc working at all). */
	pid_t pid = fork();
	if (pid == 0) {
		unsigned long c = 0;
		ap(ARCH_GET_FS, (unsigned long)&c);
		_exit(c == fs ? 0 : 1);
	}
	wait_and_report("child has the same FS base", pid);

	/* GS too. */
	unsigned long gs = 1;
	SHOW(ap(ARCH_GET_GS, (unsigned long)&gs));
	printf("GS base: %lx\n", gs);

	/* Errors. */
	SHOW(ap(0x9999, 0));                                  /* EINVAL: unknown code */
	SHOW(ap(ARCH_GET_FS, 0));                             /* EFAULT */
	SHOW(ap(ARCH_GET_FS, (unsigned long)KERNEL_PTR));     /* EFAULT */
	SHOW(ap(ARCH_GET_FS, (unsigned long)unmapped_ptr())); /* EFAULT */
	SHOW(ap(ARCH_SET_FS, 0xffff800000000000UL));          /* EPERM: kernel address */
	SHOW(ap(ARCH_SET_FS, 0x0000800000000000UL));          /* EPERM: above user space */
	FACT("FS unchanged after failed sets", read_fs0() == fs);
	return 0;
}
