/* fork and wait4: exit codes, WNOHANG, specific pids, ECHILD, rusage, order. */
#include "lib/check.h"
#include <sys/resource.h>
#include <time.h>

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	int status;
	SHOW(wait4(-1, &status, 0, NULL));              /* ECHILD: no children */
	SHOW(wait4(-1, &status, WNOHANG, NULL));

	/* Exit codes are truncated to 8 bits. */
	int codes[] = { 0, 1, 42, 255, 256, 257, -1 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(codes[i]);
		char label[32];
		snprintf(label, sizeof(label), "_exit(%d)", codes[i]);
		wait_and_report(label, pid);
	}
	/* exit() through libc after main-like cleanup also works. */
	pid_t pid = fork();
	if (pid == 0)
		exit(7);
	wait_and_report("exit(7)", pid);

	/* WNOHANG on a running child returns 0; then wait for it. */
	int p[2];
	must(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);                      /* wait for the parent's go */
		_exit(5);
	}
	close(p[0]);
	SHOW(wait4(pid, &status, WNOHANG, NULL));
	must(write(p[1], "g", 1) == 1, "write");
	struct rusage ru;
	pid_t got = wait4(pid, &status, 0, &ru);
	FACT("wait4 returned the child's pid", got == pid);
	printf("status: %s\n", describe_status(status));
	SHOW(wait4(pid, &status, 0, NULL));             /* ECHILD: already reaped */

	/* Waiting for a specific child among several, in reverse order. */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			nap_ms(20 * (3 - i));
			_exit(10 + i);
		}
	}
	for (int i = 2; i >= 0; i--) {
		got = wait4(kids[i], &status, 0, NULL);
		printf("kid %d: right pid: %s, %s\n", i, got == kids[i] ? "yes" : "no",
		       describe_status(status));
	}

	/* wait4(-1) reaps whichever child has exited: release them in the order 2, 0, 1. */
	int go[3][2];
	for (int i = 0; i < 3; i++) {
		must(pipe(go[i]) == 0, "pipe");
		kids[i] = fork();
		if (kids[i] == 0) {
			char c;
			read(go[i][0], &c, 1);
			_exit(20 + i);
		}
		close(go[i][0]);
	}
	int order[3] = { 2, 0, 1 };
	for (int k = 0; k < 3; k++) {
		must(write(go[order[k]][1], "g", 1) == 1, "release");
		got = wait4(-1, &status, 0, NULL);
		int idx = got == kids[0] ? 0 : got == kids[1] ? 1 : got == kids[2] ? 2 : -1;
		printf("released kid %d, reaped kid %d: %s\n", order[k], idx, describe_status(status));
	}

	/* A grandchild is not our child. */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(1);
		int st;
		waitpid(g, &st, 0);
		_exit(WEXITSTATUS(st) + 30);
	}
	wait_and_report("child that waited for its own child", pid);

	/* NULL status pointer is allowed. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	got = wait4(pid, NULL, 0, NULL);
	FACT("wait4 with NULL status", got == pid);

	/* Errors. */
	SHOW(wait4(-1, &status, 0x10, NULL));          /* EINVAL: unknown option bit */
	SHOW(wait4(999999999, &status, 0, NULL));      /* ECHILD */
	SHOW(waitpid(0, &status, 0));                  /* ECHILD: no children in group */

	/* Memory is copied, not shared, between parent and child. */
	static int shared_looking = 1;
	pid = fork();
	if (pid == 0) {
		shared_looking = 2;
		_exit(shared_looking);
	}
	wait_and_report("child modified its copy", pid);
	printf("parent's value: %d\n", shared_looking);
	return 0;
}
