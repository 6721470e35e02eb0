/* fcntl: F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC, errors. */
#include "lib/check.h"
#include <fcntl.h>

static void show_fl(const char *what, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		printf("%s: F_GETFL -1 %s\n", what, errname(errno));
		return;
	}
	printf("%s: acc=%s%s%s\n", what,
	       (fl & O_ACCMODE) == O_RDONLY ? "O_RDONLY" :
	       (fl & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "O_RDWR",
	       fl & O_APPEND ? " O_APPEND" : "", fl & O_NONBLOCK ? " O_NONBLOCK" : "");
}

int main(void)
{
	int fd = open("/tmp/fd_fcntl.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd >= 0, "open");

	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_SETFD, FD_CLOEXEC));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_SETFD, 0));
	SHOW(fcntl(fd, F_GETFD));

	show_fl("initial", fd);
	SHOW(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	show_fl("after set append|nonblock", fd);
	SHOW(fcntl(fd, F_SETFL, O_RDWR));  /* access mode bits are ignored */
	show_fl("after set O_RDWR", fd);
	/* O_CREAT etc. in F_GETFL are never reported. */
	FACT("F_GETFL hides O_CREAT|O_TRUNC", (fcntl(fd, F_GETFL) & (O_CREAT | O_TRUNC)) == 0);

	SHOW(fcntl(fd, F_DUPFD, 0));
	SHOW(fcntl(fd, F_DUPFD, 30));
	SHOW(fcntl(fd, F_DUPFD, 30));
	SHOW(fcntl(fd, F_DUPFD_CLOEXEC, 40));
	SHOW(fcntl(40, F_GETFD));
	SHOW(fcntl(30, F_GETFD));
	SHOW(fcntl(fd, F_DUPFD, -1));        /* EINVAL */
	SHOW(fcntl(fd, F_DUPFD, 1 << 30));   /* EINVAL: above RLIMIT_NOFILE */

	/* The description's flags are shared between dups, fd flags are not. */
	SHOW(fcntl(30, F_SETFL, O_APPEND));
	show_fl("dup sees F_SETFL", 31);
	SHOW(fcntl(31, F_GETFD));

	SHOW(fcntl(fd, 9999));               /* EINVAL: unknown command */
	SHOW(fcntl(-1, F_GETFD));
	SHOW(fcntl(999, F_GETFL));
	SHOW(fcntl(999, F_SETFD, 0));
	SHOW(fcntl(999, F_DUPFD, 0));

	int rd = open("/tmp/fd_fcntl.txt", O_RDONLY);
	show_fl("read-only open", rd);
	int rw = open("/tmp/fd_fcntl.txt", O_RDWR | O_APPEND);
	show_fl("read-write append open", rw);
	int nb = open("/tmp/fd_fcntl.txt", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	show_fl("nonblock open", nb);
	SHOW(fcntl(nb, F_GETFD));

	SHOW(unlink("/tmp/fd_fcntl.txt"));
	return 0;
}
