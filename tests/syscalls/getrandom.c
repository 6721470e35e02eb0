/* getrandom: lengths, flags, EINVAL, EFAULT. */
#include "lib/check.h"
#include <sys/random.h>

int main(void)
{
	unsigned char a[64], b[64];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	SHOW(getrandom(a, sizeof(a), 0));
	SHOW(getrandom(b, sizeof(b), GRND_NONBLOCK));
	FACT("two draws differ", memcmp(a, b, sizeof(a)) != 0);
	SHOW(getrandom(a, 0, 0));
	SHOW(getrandom(a, 1, 0));
	SHOW(getrandom(a, 16, GRND_RANDOM));
	SHOW(getrandom(a, 16, GRND_RANDOM | GRND_NONBLOCK));
	SHOW(getrandom(a, 16, GRND_INSECURE));
	static unsigned char big[1 << 20];
	SHOW(getrandom(big, sizeof(big), 0));
	int zero_run = 0, longest = 0;
	for (size_t i = 0; i < sizeof(big); i++) {
		zero_run = big[i] ? 0 : zero_run + 1;
		if (zero_run > longest)
			longest = zero_run;
	}
	FACT("no long run of zeros in 1 MiB", longest < 16);

	/* Flags. */
	SHOW(getrandom(a, 16, 0x8));                             /* EINVAL */
	SHOW(getrandom(a, 16, GRND_INSECURE | GRND_RANDOM));     /* EINVAL */
	SHOW(getrandom(a, 16, -1));

	/* Bad buffers. */
	SHOW(syscall(SYS_getrandom, NULL, 16, 0));
	SHOW(syscall(SYS_getrandom, KERNEL_PTR, 16, 0));
	SHOW(syscall(SYS_getrandom, unmapped_ptr(), 16, 0));
	SHOW(syscall(SYS_getrandom, NULL, 0, 0));                /* nothing to write */
	return 0;
}
