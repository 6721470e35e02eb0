/* getrusage and times: CPU time accounting for self and reaped children (booleans). */
#include "lib/check.h"
#include <sys/resource.h>
#include <sys/times.h>

static void burn(void)
{
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 300000000UL; i++)
		x += i;
}

int main(void)
{
	struct rusage self, kids;
	SHOW(getrusage(RUSAGE_SELF, &self));
	burn();
	struct rusage after;
	SHOW(getrusage(RUSAGE_SELF, &after));
	FACT("own user time grew", after.ru_utime.tv_sec * 1000000L + after.ru_utime.tv_usec >
					   self.ru_utime.tv_sec * 1000000L + self.ru_utime.tv_usec);
	FACT("maxrss > 0", after.ru_maxrss > 0);

	SHOW(getrusage(RUSAGE_CHILDREN, &kids));
	FACT("no children yet: zero child time", kids.ru_utime.tv_sec == 0 && kids.ru_utime.tv_usec == 0);
	pid_t pid = fork();
	if (pid == 0) {
		burn();
		_exit(0);
	}
	struct rusage ru;
	int status;
	SHOW(wait4(pid, &status, 0, &ru) == pid);
	FACT("wait4 rusage has the child's user time", ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
	SHOW(getrusage(RUSAGE_CHILDREN, &kids));
	FACT("children's time counted after reaping", kids.ru_utime.tv_sec > 0 || kids.ru_utime.tv_usec > 0);

	struct tms t;
	clock_t c = times(&t);
	FACT("times() returns non-zero", c != (clock_t)-1 && c != 0);
	FACT("tms_utime > 0", t.tms_utime > 0);
	FACT("tms_cutime > 0", t.tms_cutime > 0);
	SHOW(syscall(SYS_times, NULL) != -1);                     /* NULL buffer is allowed */

	SHOW(getrusage(99, &ru));                                 /* EINVAL */
	SHOW(syscall(SYS_getrusage, RUSAGE_SELF, KERNEL_PTR));    /* EFAULT */
	SHOW(syscall(SYS_times, KERNEL_PTR));                     /* EFAULT */
	return 0;
}
