/* The main stack grows on demand up to RLIMIT_STACK; overflowing it is SIGSEGV. */
#include "lib/check.h"
#include <alloca.h>

static int depth_reached;

static int recurse(int depth, int max)
{
	volatile char frame[1024];
	frame[0] = (char)depth;
	frame[1023] = (char)depth;
	if (depth >= max)
		return frame[0] + frame[1023];
	depth_reached = depth;
	return recurse(depth + 1, max) + frame[0];
}

static void overflow(void)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	setrlimit(RLIMIT_STACK, &rl);
	recurse(0, 1 << 30);
}

int main(void)
{
	/* Fix the limit: the host's and the sandbox's defaults may differ. */
	struct rlimit rl = { 8 << 20, 8 << 20 };
	SHOW(setrlimit(RLIMIT_STACK, &rl));

	/* About 2 MiB of frames. */
	recurse(0, 2000);
	printf("recursion depth reached: %d\n", depth_reached + 1);

	/* A big alloca touched from the far end first. */
	char *big = alloca(3 << 20);
	big[0] = 1;
	big[(3 << 20) - 1] = 2;
	printf("3 MiB alloca: %d %d\n", big[0], big[(3 << 20) - 1]);

	/* A child inherits the grown stack and can grow it further. */
	pid_t pid = fork();
	if (pid == 0) {
		recurse(0, 4000);
		_exit(depth_reached + 1 == 4000 ? 0 : 1);
	}
	wait_and_report("child recursing 4 MiB", pid);

	/* Unbounded recursion with a 1 MiB limit. */
	in_child("unbounded recursion", overflow);
	return 0;
}
