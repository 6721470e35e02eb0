/* uname: sysname and machine are fixed; the release is not compared (the sentry has its own). */
#include "lib/check.h"
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	memset(&u, 0, sizeof(u));
	SHOW(uname(&u));
	printf("sysname: %s\n", u.sysname);
	printf("machine: %s\n", u.machine);
	FACT("release non-empty", u.release[0] != '\0');
	FACT("release starts with a digit", u.release[0] >= '0' && u.release[0] <= '9');
	FACT("version non-empty", u.version[0] != '\0');
	FACT("nodename NUL-terminated", memchr(u.nodename, '\0', sizeof(u.nodename)) != NULL);
	FACT("domainname NUL-terminated", memchr(u.domainname, '\0', sizeof(u.domainname)) != NULL);

	/* Two calls agree. */
	struct utsname v;
	uname(&v);
	FACT("stable across calls", memcmp(&u, &v, sizeof(u)) == 0);

	/* A child sees the same. */
	pid_t pid = fork();
	if (pid == 0) {
		struct utsname w;
		uname(&w);
		_exit(memcmp(&u, &w, sizeof(u)) == 0 ? 0 : 1);
	}
	wait_and_report("child sees the same uname", pid);

	SHOW(syscall(SYS_uname, NULL));
	SHOW(syscall(SYS_uname, KERNEL_PTR));
	SHOW(syscall(SYS_uname, unmapped_ptr()));
	/* A buffer whose end runs into an unmapped page. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(page != MAP_FAILED, "mmap");
	must(munmap(page + 4096, 4096) == 0, "munmap");
	SHOW(syscall(SYS_uname, page + 4096 - 100));
	return 0;
}
