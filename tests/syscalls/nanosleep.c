/* nanosleep and clock_nanosleep: sleep at least the time asked, errors. */
#include "lib/check.h"
#include <time.h>

static long long now_ns(clockid_t id)
{
	struct timespec t;
	syscall(SYS_clock_gettime, id, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	struct timespec req = { 0, 50 * 1000000L }, rem = { 99, 99 };
	long long t0 = now_ns(CLOCK_MONOTONIC);
	SHOW(syscall(SYS_nanosleep, &req, &rem));
	long long t1 = now_ns(CLOCK_MONOTONIC);
	FACT("nanosleep 50ms slept >= 50ms", t1 - t0 >= 50000000LL);
	FACT("nanosleep 50ms slept < 5s", t1 - t0 < 5000000000LL);

	req.tv_sec = 0;
	req.tv_nsec = 0;
	SHOW(syscall(SYS_nanosleep, &req, NULL));                /* zero: returns at once */

	/* clock_nanosleep returns the error number instead of setting errno. */
	req.tv_nsec = 30 * 1000000L;
	t0 = now_ns(CLOCK_MONOTONIC);
	SHOW_RC(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
	t1 = now_ns(CLOCK_MONOTONIC);
	FACT("clock_nanosleep relative 30ms slept >= 30ms", t1 - t0 >= 30000000LL);

	struct timespec abs_t;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &abs_t);
	abs_t.tv_nsec += 40 * 1000000L;
	if (abs_t.tv_nsec >= 1000000000L) {
		abs_t.tv_sec++;
		abs_t.tv_nsec -= 1000000000L;
	}
	SHOW_RC(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_t, NULL));
	long long after = now_ns(CLOCK_MONOTONIC);
	FACT("absolute sleep ended after the deadline",
	     after >= (long long)abs_t.tv_sec * 1000000000LL + abs_t.tv_nsec);
	/* An absolute time in the past returns at once. */
	struct timespec past = { 1, 0 };
	t0 = now_ns(CLOCK_MONOTONIC);
	SHOW_RC(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
	FACT("past deadline returns quickly", now_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL);
	req.tv_nsec = 10 * 1000000L;
	SHOW_RC(clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL));
	SHOW_RC(clock_nanosleep(CLOCK_BOOTTIME, 0, &req, NULL));

	/* Bad times. */
	struct timespec bad = { 0, 1000000000L };
	SHOW(syscall(SYS_nanosleep, &bad, NULL));                /* EINVAL */
	bad.tv_nsec = -1;
	SHOW(syscall(SYS_nanosleep, &bad, NULL));
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	SHOW(syscall(SYS_nanosleep, &bad, NULL));                /* EINVAL: negative sec */
	bad.tv_sec = 0;
	bad.tv_nsec = 1000000000L;
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &bad, NULL));

	/* Bad clocks and pointers. */
	SHOW(syscall(SYS_clock_nanosleep, 100, 0, &req, NULL));  /* EINVAL */
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL));
	SHOW(syscall(SYS_nanosleep, NULL, NULL));                /* EFAULT */
	SHOW(syscall(SYS_nanosleep, KERNEL_PTR, NULL));
	SHOW(syscall(SYS_nanosleep, unmapped_ptr(), NULL));
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, NULL, NULL));
	/* A bad rem pointer is only used when interrupted: a full sleep succeeds. */
	req.tv_nsec = 1000000L;
	SHOW(syscall(SYS_nanosleep, &req, KERNEL_PTR));
	return 0;
}
