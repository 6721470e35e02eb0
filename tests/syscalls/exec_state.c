/*
 * What execve keeps and what it resets: kept are pid, ppid, cwd, rlimits, process group,
 * session, the signal mask, pending signals and ignored dispositions; reset are the memory
 * (old mappings and the old heap are gone) and caught dispositions. (The umask is kept
 * too, but check.h sets it again at startup, so it is tested across fork in umask.c.)
 */
#include "lib/check.h"
#include <fcntl.h>

static void after(char **argv)
{
	char cwd[64];
	printf("cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("NOFILE: %lld/%lld\n", (long long)rl.rlim_cur, (long long)rl.rlim_max);
	printf("pid kept: %s\n", atol(argv[2]) == getpid() ? "yes" : "no");
	printf("ppid kept: %s\n", atol(argv[3]) == getppid() ? "yes" : "no");
	printf("pgid kept: %s\n", atol(argv[4]) == getpgid(0) ? "yes" : "no");
	printf("sid kept: %s\n", atol(argv[5]) == getsid(0) ? "yes" : "no");
	/* The old mapping is gone: reading into it faults. */
	void *old = (void *)strtoul(argv[6], NULL, 16);
	int zero = open("/dev/zero", O_RDONLY);
	long r = syscall(SYS_read, zero, old, 1);
	printf("old mapping after exec: %s\n", r == 1 ? "still mapped" : errname(errno));
	/* The old heap was grown by 64 MiB; its top page is not part of the new heap. */
	char *old_top = (char *)strtoul(argv[7], NULL, 16) - 4096;
	r = syscall(SYS_read, zero, old_top, 1);
	printf("old heap top after exec: %s\n", r == 1 ? "still mapped" : errname(errno));
	sigset_t mask, pend;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	sigpending(&pend);
	printf("SIGUSR2 blocked: %d, pending: %d\n", sigismember(&mask, SIGUSR2),
	       sigismember(&pend, SIGUSR2));
	struct sigaction sa;
	sigaction(SIGHUP, NULL, &sa);
	printf("SIGHUP ignored: %s\n", sa.sa_handler == SIG_IGN ? "yes" : "no");
	sigaction(SIGINT, NULL, &sa);
	printf("SIGINT default: %s\n", sa.sa_handler == SIG_DFL ? "yes" : "no");
}

static void on_int(int s) { (void)s; }

int main(int argc, char **argv)
{
	if (argc > 1) {
		after(argv);
		return 0;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		must(mkdir("/tmp/exec_state.d", 0755) == 0, "mkdir");
		must(chdir("/tmp/exec_state.d") == 0, "chdir");
		struct rlimit rl = { 77, 99 };
		setrlimit(RLIMIT_NOFILE, &rl);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, on_int);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		kill(getpid(), SIGUSR2);
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uintptr_t brk_now = (uintptr_t)syscall(SYS_brk, 0);
		syscall(SYS_brk, brk_now + (64 << 20));
		char a[7][32];
		snprintf(a[0], 32, "%d", getpid());
		snprintf(a[1], 32, "%d", getppid());
		snprintf(a[2], 32, "%d", getpgid(0));
		snprintf(a[3], 32, "%d", getsid(0));
		snprintf(a[4], 32, "%lx", (unsigned long)m);
		snprintf(a[5], 32, "%lx", (unsigned long)syscall(SYS_brk, 0));
		char *args[] = { "/exec_state", "after", a[0], a[1], a[2], a[3], a[4], a[5], NULL };
		char *env[] = { NULL };
		execve("/exec_state", args, env);
		_exit(111);
	}
	wait_and_report("exec'd child", pid);
	rmdir("/tmp/exec_state.d");
	return 0;
}
