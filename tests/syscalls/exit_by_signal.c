/*
 * A program killed by a signal: moat must exit 128+N. A fault is used (SIGSEGV: 139)
 * because it kills even a process that is PID 1 of its namespace, which a sandbox's
 * first process may be.
 */
#include "lib/check.h"

int main(void)
{
	printf("about to store through NULL\n");
	volatile int *p = NULL;
	*p = 1;
	printf("not reached\n");
	return 1;
}
