/* ioctl TCGETS/TIOCGWINSZ on non-terminals: ENOTTY; bad fds: EBADF. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
	struct termios t;
	struct winsize ws;
	int p[2];
	must(pipe(p) == 0, "pipe");
	int file = open("/tmp/ioctl_tty.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	int null = open("/dev/null", O_RDWR);
	int zero = open("/dev/zero", O_RDONLY);
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);

	SHOW(ioctl(p[0], TCGETS, &t));
	SHOW(ioctl(p[1], TIOCGWINSZ, &ws));
	SHOW(ioctl(file, TCGETS, &t));
	SHOW(ioctl(file, TIOCGWINSZ, &ws));
	SHOW(ioctl(null, TCGETS, &t));
	SHOW(ioctl(null, TIOCGWINSZ, &ws));
	SHOW(ioctl(zero, TCGETS, &t));
	SHOW(ioctl(dir, TCGETS, &t));
	SHOW(ioctl(dir, TIOCGWINSZ, &ws));
	SHOW(isatty(p[0]));
	SHOW(isatty(file));
	SHOW(isatty(null));
	/* stdin is /dev/null and stdout a pipe in both runs. */
	SHOW(isatty(0));
	SHOW(isatty(1));
	SHOW(ioctl(1, TIOCGWINSZ, &ws));

	SHOW(ioctl(-1, TCGETS, &t));
	SHOW(ioctl(999, TIOCGWINSZ, &ws));
	SHOW(ioctl(file, TCGETS, NULL));           /* ENOTTY wins over EFAULT */

	/* FIONREAD on a pipe reports queued bytes. */
	must(write(p[1], "12345", 5) == 5, "write");
	int avail = -1;
	SHOW(ioctl(p[0], FIONREAD, &avail));
	printf("FIONREAD: %d\n", avail);
	/* FIOCLEX/FIONCLEX toggle close-on-exec. */
	SHOW(ioctl(file, FIOCLEX));
	SHOW(fcntl(file, F_GETFD));
	SHOW(ioctl(file, FIONCLEX));
	SHOW(fcntl(file, F_GETFD));

	SHOW(unlink("/tmp/ioctl_tty.txt"));
	return 0;
}
