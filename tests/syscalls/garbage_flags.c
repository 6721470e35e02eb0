/* Unknown flag bits and out-of-range modes: ignored where Linux ignores them, EINVAL where not. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/random.h>
#include <time.h>

static void fl(const char *label, int fd)
{
	/* Raw value: on x86-64 Linux also reports O_LARGEFILE (0100000) for every open. */
	int f = fcntl(fd, F_GETFL);
	printf("%s: F_GETFL = %#o\n", label, f);
}

int main(void)
{
	/* open ignores unknown flag bits (openat2 would not). */
	int fd = open("/tmp/garbage_flags.txt", O_CREAT | O_RDWR | 0x40000000, 0644);
	SHOW(fd);
	fl("unknown open bit", fd);
	SHOW(close(fd));
	/* Mode bits beyond 07777 are dropped. */
	SHOW(open("/tmp/garbage_flags.mode", O_CREAT | O_WRONLY, 0177777));
	struct stat st;
	must(stat("/tmp/garbage_flags.mode", &st) == 0, "stat");
	printf("created with mode 0177777 under umask 022: %04o\n", st.st_mode & 07777);
	close(3);
	unlink("/tmp/garbage_flags.mode");
	/* Access mode 3 ("no access") on a regular file: opens, but neither reads nor writes. */
	fd = open("/tmp/garbage_flags.txt", 3);
	SHOW(fd);
	char c;
	SHOW(read(fd, &c, 1));
	SHOW(write(fd, "x", 1));
	close(fd);
	/* O_TMPFILE needs O_WRONLY or O_RDWR; without a dir it is ENOTDIR, read-only EINVAL. */
	SHOW(open("/tmp/garbage_flags.txt", O_TMPFILE | O_RDWR, 0600));
	SHOW(open("/tmp", O_TMPFILE | O_RDONLY, 0600));
	/* O_CREAT | O_DIRECTORY is refused since Linux 6.4. */
	SHOW(open("/tmp/garbage_flags.d", O_CREAT | O_DIRECTORY | O_RDONLY, 0755));

	/* fcntl: unknown F_SETFD bits are dropped; F_SETFL keeps only the settable flags. */
	fd = open("/tmp/garbage_flags.txt", O_RDWR);
	SHOW(fcntl(fd, F_SETFD, 0xff));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_SETFL, O_APPEND | O_CREAT | O_EXCL | O_TRUNC | O_WRONLY | 0x40000000));
	fl("after F_SETFL with junk", fd);
	SHOW(fcntl(fd, -1));
	SHOW(fcntl(fd, 0x7fffffff));

	/* Calls that validate their flags. */
	int p[2];
	SHOW(pipe2(p, 0x40000000));
	SHOW(pipe2(p, O_CLOEXEC | 0x1));
	SHOW(dup3(fd, 20, 0x40000000));
	SHOW(dup3(fd, 20, O_NONBLOCK));
	SHOW(unlinkat(AT_FDCWD, "/tmp/garbage_flags.none", 0x40000000));
	SHOW(unlinkat(AT_FDCWD, "/tmp/garbage_flags.none", AT_SYMLINK_NOFOLLOW));
	SHOW(fstatat(AT_FDCWD, "/", &st, 0x40000000));
	SHOW(fstatat(AT_FDCWD, "/", &st, AT_REMOVEDIR));
	SHOW(syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, 0x40000000));
	SHOW(syscall(SYS_wait4, -1, NULL, 0x40000000 | 0x10, NULL));
	siginfo_t si;
	SHOW(syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | 0x10, NULL));
	SHOW(getrandom(&c, 1, 0x40000000));
	SHOW(syscall(SYS_rt_sigprocmask, 99, NULL, NULL, 8));
	SHOW(lseek(fd, 0, 99));
	SHOW(syscall(SYS_access, "/", 0x40000000));
	struct timespec ts = { 0, 1000 };
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0x40000000, &ts, NULL)); /* ignored */
	SHOW(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME | 0x2, &ts, NULL));

	/* mkdir drops mode bits beyond 07777 too. */
	SHOW(mkdir("/tmp/garbage_flags.d", 0177777));
	must(stat("/tmp/garbage_flags.d", &st) == 0, "stat dir");
	printf("mkdir with mode 0177777 under umask 022: %04o\n", st.st_mode & 07777);
	rmdir("/tmp/garbage_flags.d");

	/* mmap: legacy flags ignore unknown bits, MAP_SHARED_VALIDATE does not; bad prot fails. */
	void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x10000000, -1, 0);
	FACT("mmap with an unknown flag bit succeeds", m != MAP_FAILED);
	SHOW(mmap(NULL, 4096, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x10000000, -1, 0));
	SHOW_OK(mmap(NULL, 4096, PROT_READ | 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	SHOW(mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));           /* no type: EINVAL */
	SHOW(mmap(NULL, 4096, PROT_READ, 0, -1, 0));                       /* file map, fd -1 */
	SHOW(mprotect(m, 4096, PROT_READ | 0x100));
	SHOW(mprotect(m, 4096, PROT_GROWSDOWN | PROT_GROWSUP));

	/*
	 * rt_sigaction: unknown sa_flags bits are accepted; Linux 5.11+ drops them when the
	 * action is read back (0x400 is SA_UNSUPPORTED, 0x10000000 is SA_RESTART).
	 */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} act = { (void *)SIG_IGN, 0x00000400UL | 0x10000000UL, NULL, 0 }, old;
	SHOW(syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 8));
	SHOW(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8));
	printf("sa_flags read back: %#lx\n", old.flags);

	/* umask keeps only 0777. */
	printf("umask(0xffffffff) then umask(022) -> %03o\n", (umask(0xffffffff), umask(022)));

	unlink("/tmp/garbage_flags.txt");
	return 0;
}
