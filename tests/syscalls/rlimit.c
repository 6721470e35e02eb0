/* getrlimit, setrlimit, prlimit64: round trips, effects on fds, errors. */
#include "lib/check.h"
#include <fcntl.h>

static void show_limit(const char *label, int res)
{
	struct rlimit rl;
	if (getrlimit(res, &rl) != 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: cur=%lld max=%lld\n", label,
	       rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
	       rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
}

int main(void)
{
	struct rlimit rl;
	/* Start from fixed values (the initial ones differ between host and sandbox). */
	rl.rlim_cur = 200;
	rl.rlim_max = 400;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	show_limit("NOFILE", RLIMIT_NOFILE);
	rl.rlim_cur = 300;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	show_limit("NOFILE raised soft", RLIMIT_NOFILE);
	rl.rlim_cur = 500;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));                 /* EINVAL: cur > max */
	show_limit("NOFILE unchanged", RLIMIT_NOFILE);

	/* The fd limit is enforced. */
	rl.rlim_cur = 8;
	rl.rlim_max = 400;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	int last = -1, err = 0;
	for (int i = 0; i < 20; i++) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0) {
			err = errno;
			break;
		}
		last = fd;
	}
	printf("highest fd opened: %d, then %s\n", last, errname(err));
	SHOW(dup2(0, 8));                                     /* EBADF: >= limit */
	SHOW(dup2(0, 7));
	SHOW(fcntl(0, F_DUPFD, 8));                           /* EINVAL */
	int p[2];
	SHOW(pipe(p));                                        /* EMFILE */
	for (int fd = 3; fd < 8; fd++)
		close(fd);
	rl.rlim_cur = 300;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));

	/* Other resources round-trip. */
	rl.rlim_cur = 1 << 20;
	rl.rlim_max = 1 << 21;
	SHOW(setrlimit(RLIMIT_FSIZE, &rl));
	show_limit("FSIZE", RLIMIT_FSIZE);
	rl.rlim_cur = 8 << 20;
	rl.rlim_max = RLIM_INFINITY;
	SHOW(setrlimit(RLIMIT_STACK, &rl));
	show_limit("STACK", RLIMIT_STACK);
	show_limit("CORE (check.h sets 0)", RLIMIT_CORE);
	rl.rlim_cur = 100;
	rl.rlim_max = 200;
	SHOW(setrlimit(RLIMIT_CPU, &rl));
	show_limit("CPU", RLIMIT_CPU);

	/* prlimit64 on ourselves: old and new in one call. */
	struct rlimit newl = { 250, 400 }, oldl = { 0, 0 };
	SHOW(prlimit(0, RLIMIT_NOFILE, &newl, &oldl));
	printf("prlimit old: cur=%lld max=%lld\n", (long long)oldl.rlim_cur, (long long)oldl.rlim_max);
	SHOW(prlimit(getpid(), RLIMIT_NOFILE, NULL, &oldl));
	printf("prlimit now: cur=%lld max=%lld\n", (long long)oldl.rlim_cur, (long long)oldl.rlim_max);
	SHOW(prlimit(0, RLIMIT_NOFILE, NULL, NULL));
	SHOW(prlimit(0x3fffffff, RLIMIT_NOFILE, NULL, &oldl)); /* ESRCH */

	/* Limits are inherited by children. */
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit c;
		getrlimit(RLIMIT_NOFILE, &c);
		_exit(c.rlim_cur == 250 && c.rlim_max == 400 ? 0 : 1);
	}
	wait_and_report("child inherits NOFILE 250/400", pid);

	/* Errors. */
	SHOW(getrlimit(100, &rl));                            /* EINVAL */
	SHOW(setrlimit(100, &rl));
	SHOW(prlimit(0, 100, NULL, &oldl));
	SHOW(syscall(SYS_getrlimit, RLIMIT_NOFILE, NULL));    /* EFAULT */
	SHOW(syscall(SYS_getrlimit, RLIMIT_NOFILE, KERNEL_PTR));
	SHOW(syscall(SYS_setrlimit, RLIMIT_NOFILE, unmapped_ptr()));
	SHOW(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, KERNEL_PTR, NULL));
	rl.rlim_cur = 1 << 30;
	rl.rlim_max = 1 << 30;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));                  /* EPERM: above nr_open */
	return 0;
}
