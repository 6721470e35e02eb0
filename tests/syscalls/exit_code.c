/* The program's exit status is moat's: exit_group(42) from a program with output. */
#include "lib/check.h"

int main(void)
{
	printf("exiting with 42\n");
	syscall(SYS_exit_group, 42);
	printf("not reached\n");
	return 1;
}
