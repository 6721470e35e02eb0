/* futex between processes on a MAP_SHARED page: wait/wake, value mismatch, timeouts, errors. */
#include "lib/check.h"
#include <linux/futex.h>
#include <time.h>

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

int main(void)
{
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	must(word != MAP_FAILED, "mmap");
	uint32_t *priv = malloc(sizeof(uint32_t));
	*priv = 5;

	/* Value mismatch: EAGAIN at once. */
	SHOW(futex(priv, FUTEX_WAIT_PRIVATE, 4, NULL));
	/* Timeout. */
	struct timespec ts = { 0, 30 * 1000000L };
	SHOW(futex(priv, FUTEX_WAIT_PRIVATE, 5, &ts));
	/* Nobody waits: wake returns 0. */
	SHOW(futex(priv, FUTEX_WAKE_PRIVATE, 1, NULL));

	/* A child waits on the shared word; the parent changes it and wakes it. */
	word[0] = 0;
	word[1] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		__atomic_store_n(&word[1], 1, __ATOMIC_SEQ_CST);        /* "about to wait" */
		while (__atomic_load_n(&word[0], __ATOMIC_SEQ_CST) == 0)
			futex(&word[0], FUTEX_WAIT, 0, NULL);
		_exit((int)word[0]);
	}
	while (__atomic_load_n(&word[1], __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	usleep(50000);
	__atomic_store_n(&word[0], 42, __ATOMIC_SEQ_CST);
	long woken = futex(&word[0], FUTEX_WAKE, 1, NULL);
	FACT("wake returned 0 or 1", woken == 0 || woken == 1);
	wait_and_report("waiter (exit = the new value)", pid);

	/* Wake several: three children wait, one FUTEX_WAKE with INT_MAX releases them all. */
	word[0] = 0;
	word[2] = 0;
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			__atomic_add_fetch(&word[2], 1, __ATOMIC_SEQ_CST);
			while (__atomic_load_n(&word[0], __ATOMIC_SEQ_CST) == 0)
				futex(&word[0], FUTEX_WAIT, 0, NULL);
			_exit(0);
		}
	}
	while (__atomic_load_n(&word[2], __ATOMIC_SEQ_CST) < 3)
		usleep(1000);
	usleep(50000);
	__atomic_store_n(&word[0], 1, __ATOMIC_SEQ_CST);
	futex(&word[0], FUTEX_WAKE, 0x7fffffff, NULL);
	for (int i = 0; i < 3; i++)
		wait_and_report("one of three waiters", kids[i]);

	/* Errors. */
	SHOW(futex((uint32_t *)((char *)priv + 1), FUTEX_WAIT_PRIVATE, 0, NULL)); /* EINVAL */
	SHOW(futex(KERNEL_PTR, FUTEX_WAIT_PRIVATE, 0, NULL));                      /* EFAULT */
	SHOW(futex(unmapped_ptr(), FUTEX_WAIT_PRIVATE, 0, NULL));                  /* EFAULT */
	SHOW(futex(priv, 99, 0, NULL));                                            /* ENOSYS */
	struct timespec bad = { 0, 1000000000L };
	SHOW(futex(priv, FUTEX_WAIT_PRIVATE, 5, &bad));                            /* EINVAL */
	return 0;
}
