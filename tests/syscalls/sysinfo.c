/* sysinfo: fields are sane (printed as booleans), EFAULT. */
#include "lib/check.h"
#include <sys/sysinfo.h>
#include <time.h>

int main(void)
{
	struct sysinfo si;
	memset(&si, 0xff, sizeof(si));
	SHOW(sysinfo(&si));
	FACT("uptime > 0", si.uptime > 0);
	FACT("mem_unit >= 1", si.mem_unit >= 1);
	FACT("totalram > 0", si.totalram > 0);
	FACT("freeram <= totalram", si.freeram <= si.totalram);
	FACT("sharedram <= totalram", si.sharedram <= si.totalram);
	FACT("bufferram <= totalram", si.bufferram <= si.totalram);
	FACT("freeswap <= totalswap", si.freeswap <= si.totalswap);
	FACT("procs >= 1", si.procs >= 1);
	FACT("totalram >= 64 MiB", (unsigned long long)si.totalram * si.mem_unit >= (64ULL << 20));
	FACT("loads are not garbage", si.loads[0] < (1UL << 30) && si.loads[1] < (1UL << 30));

	/* Uptime agrees with CLOCK_BOOTTIME. */
	struct timespec boot;
	syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &boot);
	FACT("uptime close to CLOCK_BOOTTIME", labs((long)(boot.tv_sec - si.uptime)) <= 2);

	SHOW(syscall(SYS_sysinfo, NULL));
	SHOW(syscall(SYS_sysinfo, KERNEL_PTR));
	SHOW(syscall(SYS_sysinfo, unmapped_ptr()));
	return 0;
}
