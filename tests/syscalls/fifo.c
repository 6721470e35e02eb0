/* Named pipes (mknod/mkfifo): open rendezvous, O_NONBLOCK rules, data flow, EOF, errors. */
#include "lib/check.h"
#include <fcntl.h>

#define F "/tmp/fifo.p"

int main(void)
{
	SHOW(mkfifo(F, 0644));
	struct stat st;
	SHOW(stat(F, &st));
	printf("is a FIFO: %d, mode %04o, size %lld\n", S_ISFIFO(st.st_mode), st.st_mode & 07777,
	       (long long)st.st_size);
	SHOW(mkfifo(F, 0644));                                   /* EEXIST */
	SHOW(mknod("/tmp/fifo.q", S_IFIFO | 0600, 0));
	SHOW(unlink("/tmp/fifo.q"));

	/* Non-blocking opens: a reader is fine alone, a writer without a reader is ENXIO. */
	int r = open(F, O_RDONLY | O_NONBLOCK);
	SHOW(r >= 0);
	SHOW(read(r, &st, 1));                                   /* no writer yet: 0 (EOF) */
	int w = open(F, O_WRONLY | O_NONBLOCK);
	SHOW(w >= 0);
	SHOW(write(w, "hello", 5));
	char buf[16] = { 0 };
	SHOW(read(r, buf, sizeof(buf)));
	printf("got: %s\n", buf);
	SHOW(read(r, buf, sizeof(buf)));                         /* writer open, empty: EAGAIN */
	close(w);
	SHOW(read(r, buf, sizeof(buf)));                         /* writer gone: EOF */
	close(r);
	SHOW(open(F, O_WRONLY | O_NONBLOCK));                    /* ENXIO */

	/* Blocking opens rendezvous: the child opens for writing, we open for reading. */
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(F, O_WRONLY);
		write(fd, "from child", 10);
		close(fd);
		_exit(fd >= 0 ? 0 : 1);
	}
	r = open(F, O_RDONLY);
	SHOW(r >= 0);
	memset(buf, 0, sizeof(buf));
	ssize_t n, total = 0;
	while ((n = read(r, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	printf("read %zd: %s\n", total, buf);
	wait_and_report("writer child", pid);
	close(r);

	/* O_RDWR never blocks on a FIFO (Linux). */
	int rw = open(F, O_RDWR);
	SHOW(rw >= 0);
	SHOW(write(rw, "x", 1));
	SHOW(read(rw, buf, 1));
	close(rw);

	/* lseek on a FIFO is ESPIPE; reading a FIFO as a directory fails. */
	r = open(F, O_RDONLY | O_NONBLOCK);
	SHOW(lseek(r, 0, SEEK_SET));
	SHOW(open(F, O_RDONLY | O_NONBLOCK | O_DIRECTORY));     /* ENOTDIR */
	close(r);

	SHOW(mknod("/tmp/fifo.bad", S_IFIFO | 0600, 0) == 0 && unlink("/tmp/fifo.bad") == 0);
	SHOW(mknod("/tmp/fifo.reg", S_IFREG | 0600, 0));         /* a plain file: fine */
	SHOW(unlink("/tmp/fifo.reg"));
	SHOW(mknod("/tmp/fifo.inval", 0170000 | 0600, 0));      /* EINVAL: bad type */
	SHOW(unlink(F));
	return 0;
}
