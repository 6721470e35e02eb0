/* /dev/null, /dev/zero, /dev/urandom. */
#include "lib/check.h"
#include <fcntl.h>

int main(void)
{
	char buf[256];

	int null = open("/dev/null", O_RDWR);
	SHOW_OK(null);
	SHOW(read(null, buf, sizeof(buf)));        /* EOF */
	SHOW(write(null, "anything", 8));
	SHOW(write(null, buf, sizeof(buf)));
	SHOW(lseek(null, 100, SEEK_SET));          /* seeking /dev/null "works" */
	SHOW(pread(null, buf, 10, 0));

	int zero = open("/dev/zero", O_RDWR);
	SHOW_OK(zero);
	memset(buf, 0x5a, sizeof(buf));
	SHOW(read(zero, buf, sizeof(buf)));
	int all_zero = 1;
	for (size_t i = 0; i < sizeof(buf); i++)
		all_zero &= buf[i] == 0;
	FACT("/dev/zero gives zeros", all_zero);
	SHOW(write(zero, "x", 1));                 /* writes are discarded */
	static char big[1 << 20];
	memset(big, 1, sizeof(big));
	SHOW(read(zero, big, sizeof(big)));
	FACT("1 MiB of zeros", big[0] == 0 && big[sizeof(big) - 1] == 0);

	int ur = open("/dev/urandom", O_RDONLY);
	SHOW_OK(ur);
	unsigned char a[64] = { 0 }, b[64] = { 0 };
	SHOW(read(ur, a, sizeof(a)));
	SHOW(read(ur, b, sizeof(b)));
	int nonzero = 0;
	for (size_t i = 0; i < sizeof(a); i++)
		nonzero |= a[i];
	FACT("urandom not all zero", nonzero);
	FACT("two urandom reads differ", memcmp(a, b, sizeof(a)) != 0);
	SHOW(write(open("/dev/urandom", O_WRONLY), "seed", 4));

	/* Device files are character devices, and open(O_CREAT) on them is fine. */
	struct stat st;
	must(stat("/dev/null", &st) == 0, "stat");
	FACT("/dev/null is a char device", S_ISCHR(st.st_mode));
	SHOW_OK(open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	SHOW(open("/dev/null", O_WRONLY | O_CREAT | O_EXCL, 0644));  /* EEXIST */

	/* Redirecting stdout to /dev/null through dup2 swallows output. */
	int saved = dup(1);
	dup2(null, 1);
	printf("this line goes to /dev/null\n");
	dup2(saved, 1);
	printf("back on stdout\n");
	return 0;
}
