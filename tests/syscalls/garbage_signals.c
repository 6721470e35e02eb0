/* Signal calls with garbage: numbers, set sizes, and a forged rt_sigreturn frame. */
#include "lib/check.h"

static void sigreturn_garbage(void)
{
	/* Point the stack at junk and call rt_sigreturn: Linux kills the task with SIGSEGV. */
	static unsigned long junk[512];
	for (int i = 0; i < 512; i++)
		junk[i] = 0xdeadbeefdeadbeefUL;
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov $15, %%eax\n\t"
			 "syscall\n\t"
			 :
			 : "r"(junk + 256)
			 : "rax", "memory");
}

int main(void)
{
	uint64_t set = 0, old = 0;
	struct {
		void *h;
		unsigned long f;
		void *r;
		uint64_t m;
	} act = { (void *)SIG_DFL, 0, NULL, 0 };

	/* The last is SIGURG (default: ignore) with a bit set in the upper half, which the
	 * kernel drops: the calls act on SIGURG. */
	long sigs[] = { 0, -1, 65, 1000, INT32_MIN, 0x100000000L + SIGURG };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char l[96];
		snprintf(l, sizeof(l), "rt_sigaction(%ld)", sigs[i]);
		SHOW_AS(l, syscall(SYS_rt_sigaction, sigs[i], &act, NULL, 8));
		snprintf(l, sizeof(l), "kill(self, %ld)", sigs[i]);
		SHOW_AS(l, syscall(SYS_kill, getpid(), sigs[i]));
		snprintf(l, sizeof(l), "tgkill(self, %ld)", sigs[i]);
		SHOW_AS(l, syscall(SYS_tgkill, getpid(), getpid(), sigs[i]));
	}

	size_t sizes[] = { 0, 1, 7, 9, 16, 128, SIZE_MAX };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char l[96];
		snprintf(l, sizeof(l), "rt_sigaction size %zu", sizes[i]);
		SHOW_AS(l, syscall(SYS_rt_sigaction, SIGUSR1, NULL, &act, sizes[i]));
		snprintf(l, sizeof(l), "rt_sigprocmask size %zu", sizes[i]);
		SHOW_AS(l, syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, sizes[i]));
		snprintf(l, sizeof(l), "rt_sigpending size %zu", sizes[i]);
		SHOW_AS(l, syscall(SYS_rt_sigpending, &set, sizes[i]));
	}

	/* Blocking everything with an all-ones set: SIGKILL/SIGSTOP are silently kept out. */
	set = ~0ULL;
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, &old, 8));
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &old, 8));
	printf("mask after all-ones: %#llx\n", (unsigned long long)old);
	set = 0;
	SHOW(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8));

	/* A handler address that is garbage is accepted (only delivery would fault). */
	act.h = KERNEL_PTR;
	SHOW(syscall(SYS_rt_sigaction, SIGUSR2, &act, NULL, 8));
	act.h = (void *)SIG_DFL;
	SHOW(syscall(SYS_rt_sigaction, SIGUSR2, &act, NULL, 8));

	in_child("rt_sigreturn with a garbage frame", sigreturn_garbage);
	printf("still alive\n");
	return 0;
}
