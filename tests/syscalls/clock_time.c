/* clock_gettime, clock_getres, gettimeofday, time: monotonicity and agreement, errors. */
#include "lib/check.h"
#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Raw syscalls: glibc would use the vDSO, which the sandbox may not provide. */
static long cg(clockid_t id, struct timespec *t)
{
	return syscall(SYS_clock_gettime, id, t);
}

int main(void)
{
	struct timespec a, b, r;
	clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
			    CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
			    CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
	const char *names[] = { "REALTIME", "MONOTONIC", "MONOTONIC_RAW", "REALTIME_COARSE",
				"MONOTONIC_COARSE", "BOOTTIME", "PROCESS_CPUTIME", "THREAD_CPUTIME" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		long r1 = cg(ids[i], &a);
		int monotone = 1;
		for (int k = 0; k < 100; k++) {
			cg(ids[i], &b);
			if (ns(&b) < ns(&a))
				monotone = 0;
			a = b;
		}
		long rr = syscall(SYS_clock_getres, ids[i], &r);
		printf("%s: gettime=%ld valid nsec=%s nondecreasing=%s getres=%ld res<=10ms=%s\n",
		       names[i], r1, a.tv_nsec >= 0 && a.tv_nsec < 1000000000 ? "yes" : "no",
		       monotone ? "yes" : "no", rr,
		       ns(&r) > 0 && ns(&r) <= 10000000 ? "yes" : "no");
	}

	/* The realtime sources agree with each other within a second or two. */
	struct timeval tv;
	SHOW(syscall(SYS_gettimeofday, &tv, NULL));
	time_t t = 0;
	long tr = syscall(SYS_time, &t);
	cg(CLOCK_REALTIME, &a);
	FACT("time() returns what it stores", tr == t);
	FACT("time() close to CLOCK_REALTIME", labs((long)(a.tv_sec - t)) <= 2);
	FACT("gettimeofday close to CLOCK_REALTIME", labs((long)(a.tv_sec - tv.tv_sec)) <= 2);
	FACT("gettimeofday usec valid", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	FACT("realtime after 2020", a.tv_sec > 1577836800);
	FACT("time(NULL) works", syscall(SYS_time, NULL) > 1577836800);
	SHOW(syscall(SYS_gettimeofday, NULL, NULL));             /* nothing to write: 0 */
	struct timezone tz;
	SHOW(syscall(SYS_gettimeofday, NULL, &tz));

	/* Monotonic advances across a short sleep; boottime >= monotonic. */
	cg(CLOCK_MONOTONIC, &a);
	usleep(20000);
	cg(CLOCK_MONOTONIC, &b);
	FACT("monotonic advanced >= 20ms over a 20ms sleep", ns(&b) - ns(&a) >= 20000000);
	struct timespec boot;
	cg(CLOCK_BOOTTIME, &boot);
	cg(CLOCK_MONOTONIC, &a);
	FACT("boottime >= monotonic", ns(&boot) + 1000000 >= ns(&a));

	/* CPU time moves when we burn CPU. */
	cg(CLOCK_PROCESS_CPUTIME_ID, &a);
	volatile unsigned long spin = 0;
	for (unsigned long i = 0; i < 50000000UL; i++)
		spin += i;
	cg(CLOCK_PROCESS_CPUTIME_ID, &b);
	FACT("process CPU time advanced", ns(&b) > ns(&a));

	/* Errors. */
	SHOW(cg(-1000, &a));                                     /* EINVAL */
	SHOW(cg(100, &a));                                       /* EINVAL */
	SHOW(syscall(SYS_clock_getres, 100, &r));                /* EINVAL */
	SHOW(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));  /* NULL res is fine */
	SHOW(cg(CLOCK_MONOTONIC, NULL));                         /* EFAULT */
	SHOW(cg(CLOCK_REALTIME, KERNEL_PTR));
	SHOW(cg(CLOCK_REALTIME, unmapped_ptr()));
	SHOW(syscall(SYS_gettimeofday, KERNEL_PTR, NULL));
	SHOW(syscall(SYS_time, KERNEL_PTR));
	return 0;
}
