/* getpid, getppid, gettid: relations between processes (printed as booleans). */
#include "lib/check.h"

int main(void)
{
	pid_t me = getpid();
	FACT("pid > 0", me > 0);
	FACT("getpid is stable", getpid() == me);
	FACT("gettid == getpid in a single-threaded process", syscall(SYS_gettid) == me);
	FACT("ppid > 0 or 0", getppid() >= 0);
	FACT("ppid != pid", getppid() != me);

	int p[2];
	must(pipe(p) == 0, "pipe");
	pid_t child = fork();
	must(child >= 0, "fork");
	if (child == 0) {
		pid_t mine = getpid();
		pid_t facts[3] = { mine, getppid(), (pid_t)syscall(SYS_gettid) };
		write(p[1], facts, sizeof(facts));
		_exit(0);
	}
	pid_t facts[3];
	must(read(p[0], facts, sizeof(facts)) == sizeof(facts), "read");
	wait_and_report("child", child);
	FACT("fork returned the child's pid", facts[0] == child);
	FACT("child's ppid == parent's pid", facts[1] == me);
	FACT("child's tid == child's pid", facts[2] == child);
	FACT("child pid differs from parent", child != me);

	/* A second child gets yet another pid. */
	pid_t second = fork();
	if (second == 0)
		_exit(0);
	wait_and_report("second child", second);
	FACT("second child pid differs from first", second != child && second != me);

	/* Orphans are re-parented when their parent exits. */
	pid_t mid = fork();
	if (mid == 0) {
		pid_t mid_pid = getpid();
		pid_t grandchild = fork();
		if (grandchild == 0) {
			close(p[0]);
			/* Wait until the middle process is gone, then report our new parent. */
			while (getppid() == mid_pid)
				usleep(1000);
			pid_t np = getppid();
			write(p[1], &np, sizeof(np));
			_exit(0);
		}
		_exit(0);
	}
	wait_and_report("middle process", mid);
	pid_t new_parent;
	must(read(p[0], &new_parent, sizeof(new_parent)) == sizeof(new_parent), "read");
	FACT("orphan was re-parented away from the dead parent", new_parent != mid);
	return 0;
}
