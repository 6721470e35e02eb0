/* memfd_create, sendfile, flock, fallocate: behaviour that is the same on any filesystem. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/sendfile.h>

int main(void)
{
	/* memfd: an anonymous file; MFD_CLOEXEC; shared mappings see writes. */
	int m = memfd_create("moat-test", MFD_CLOEXEC);
	SHOW(m >= 0);
	SHOW(fcntl(m, F_GETFD));
	SHOW(write(m, "memfd data", 10));
	SHOW(ftruncate(m, 4096));
	char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	FACT("MAP_SHARED of a memfd", map != MAP_FAILED);
	if (map != MAP_FAILED) {
		printf("mapped: %.10s\n", map);
		map[0] = 'M';
		char c;
		SHOW(pread(m, &c, 1, 0));
		printf("write through the mapping is seen by read: %c\n", c);
	}
	struct stat st;
	SHOW(fstat(m, &st));
	printf("memfd: regular=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
	SHOW(memfd_create("x", 0x1000));                          /* EINVAL */
	static char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	SHOW(memfd_create(longname, 0));                          /* EINVAL: name too long */

	/* sendfile from a file into a pipe, with and without an offset pointer. */
	int f = open("/tmp/memfd_sendfile_flock.src", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(f >= 0 && write(f, "0123456789", 10) == 10, "src");
	int p[2];
	must(pipe(p) == 0, "pipe");
	off_t off = 2;
	SHOW(sendfile(p[1], f, &off, 5));
	printf("offset after: %lld, file position: %lld\n", (long long)off,
	       (long long)lseek(f, 0, SEEK_CUR));
	char buf[16] = { 0 };
	SHOW(read(p[0], buf, sizeof(buf) - 1));
	printf("pipe got: %s\n", buf);
	SHOW(lseek(f, 7, SEEK_SET));
	SHOW(sendfile(p[1], f, NULL, 100));                       /* to EOF: 3 bytes */
	SHOW(lseek(f, 0, SEEK_CUR));
	SHOW(sendfile(p[1], f, NULL, 100));                       /* at EOF: 0 */
	int out = open("/tmp/memfd_sendfile_flock.dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
	off = 0;
	SHOW(sendfile(out, f, &off, 10));                         /* file to file */
	SHOW(sendfile(out, 999, NULL, 1));                        /* EBADF */
	SHOW(sendfile(f, p[0], NULL, 1));                         /* EINVAL: pipe as source */
	int wo = open("/tmp/memfd_sendfile_flock.src", O_WRONLY);
	SHOW(sendfile(out, wo, NULL, 1));                         /* EBADF: not readable */
	off = -1;
	SHOW(sendfile(out, f, &off, 1));                          /* EINVAL */

	/* flock: shared and exclusive locks between separate opens. */
	int a = open("/tmp/memfd_sendfile_flock.src", O_RDONLY);
	int b = open("/tmp/memfd_sendfile_flock.src", O_RDONLY);
	SHOW(flock(a, LOCK_SH));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(b, LOCK_EX | LOCK_NB));                         /* EWOULDBLOCK */
	SHOW(flock(a, LOCK_UN));
	SHOW(flock(b, LOCK_EX | LOCK_NB));                         /* now alone: upgrade works */
	SHOW(flock(a, LOCK_SH | LOCK_NB));                         /* EWOULDBLOCK */
	/* A child inherits the description, hence the lock. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(flock(b, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	wait_and_report("child relocking the inherited lock", pid);
	/* Closing the last fd of the description drops the lock. */
	close(b);
	SHOW(flock(a, LOCK_EX | LOCK_NB));
	SHOW(flock(a, 0));                                         /* EINVAL */
	SHOW(flock(999, LOCK_SH));                                 /* EBADF */

	/* fallocate grows the file; mode 0 only. */
	SHOW(fallocate(out, 0, 0, 8192));
	SHOW(fstat(out, &st));
	printf("size after fallocate: %lld\n", (long long)st.st_size);
	SHOW(fallocate(out, 0, 0, 0));                             /* EINVAL: len 0 */
	SHOW(fallocate(out, 0, -1, 10));                           /* EINVAL */
	SHOW(fallocate(p[1], 0, 0, 10));                           /* ESPIPE */
	SHOW(fallocate(a, 0, 0, 10));                              /* EBADF: read-only */

	unlink("/tmp/memfd_sendfile_flock.src");
	unlink("/tmp/memfd_sendfile_flock.dst");
	return 0;
}
