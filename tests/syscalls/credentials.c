/*
 * Credentials: setgroups/getgroups, and a child that drops to uid/gid 1000 and then
 * meets permission checks (files, directories, kill, setuid back).
 */
#include "lib/check.h"
#include <fcntl.h>
#include <grp.h>

#define D "/tmp/credentials.d"

static void as_user(void)
{
	/* A known hard limit first (the inherited one differs between host and sandbox). */
	SHOW(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 64, 128 }));
	SHOW(setgroups(0, NULL));
	SHOW(setgid(1000));
	SHOW(setuid(1000));
	printf("ids: uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
	SHOW(setuid(0));                                   /* EPERM */
	SHOW(setgid(0));                                   /* EPERM */
	SHOW(setgroups(0, NULL));                          /* EPERM */

	SHOW(open(D "/root-only", O_RDONLY));              /* EACCES: 0600 root */
	SHOW(access(D "/root-only", R_OK));
	SHOW(access(D "/world-read", R_OK));
	SHOW(access(D "/world-read", W_OK));               /* EACCES */
	SHOW(open(D "/world-read", O_WRONLY));             /* EACCES */
	SHOW(open(D "/group-rw", O_RDWR) >= 0);            /* gid 1000 group rw */
	SHOW(open(D "/mine", O_RDWR) >= 0);                /* owned by 1000 */
	SHOW(chmod(D "/mine", 0600));
	SHOW(chmod(D "/world-read", 0666));                /* EPERM: not the owner */
	SHOW(chown(D "/mine", 0, 0));                      /* EPERM */
	SHOW(open(D "/closed/x", O_RDONLY));               /* EACCES: dir 0700 root */
	SHOW(stat(D "/closed", &(struct stat){ 0 }));
	SHOW(mkdir(D "/newdir", 0755));                    /* EACCES: D is 0755 root */
	SHOW(unlink(D "/mine"));                           /* EACCES */
	SHOW(open(D "/open/created", O_CREAT | O_WRONLY, 0644) >= 0);   /* 0777 dir */
	struct stat st;
	SHOW(stat(D "/open/created", &st));
	printf("created file owner: %u:%u\n", st.st_uid, st.st_gid);
	SHOW(unlink(D "/open/created"));
	SHOW(unlink(D "/sticky/roots"));                   /* EPERM: sticky, not ours */
	SHOW(kill(getppid(), SIGUSR1));                    /* EPERM: parent is root */
	SHOW(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 64, 256 }));     /* EPERM: raise max */
	SHOW(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 32, 100 }));     /* lowering is fine */
	char *args[] = { "x", NULL };
	char *env[] = { NULL };
	execve(D "/root-exec", args, env);                 /* 0700 root: EACCES */
	printf("execve 0700 root binary: %s\n", errname(errno));
}

static void make(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	must(fd >= 0, "create");
	must(fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0, "chown/chmod");
	close(fd);
}

int main(void)
{
	gid_t groups[4] = { 10, 20, 30 };
	SHOW(setgroups(3, groups));
	gid_t got[8];
	SHOW(getgroups(8, got));
	printf("groups: %d %d %d\n", got[0], got[1], got[2]);
	SHOW(getgroups(0, NULL));
	SHOW(getgroups(1, got));                           /* EINVAL: too small */
	SHOW(setgroups(-1, groups));                       /* EINVAL */
	SHOW(syscall(SYS_setgroups, 1, KERNEL_PTR));       /* EFAULT */
	SHOW(setgroups(0, NULL));

	must(mkdir(D, 0755) == 0, "mkdir");
	must(mkdir(D "/closed", 0700) == 0 && mkdir(D "/open", 0777) == 0, "mkdir");
	must(chmod(D "/open", 0777) == 0, "chmod");
	must(mkdir(D "/sticky", 01777) == 0 && chmod(D "/sticky", 01777) == 0, "sticky");
	make(D "/root-only", 0600, 0, 0);
	make(D "/world-read", 0644, 0, 0);
	make(D "/group-rw", 0660, 0, 1000);
	make(D "/mine", 0644, 1000, 1000);
	make(D "/sticky/roots", 0666, 0, 0);
	make(D "/root-exec", 0700, 0, 0);

	signal(SIGUSR1, SIG_IGN);
	in_child("unprivileged child", as_user);

	const char *files[] = { "root-only", "world-read", "group-rw", "mine", "sticky/roots",
				"root-exec", "open/created" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), D "/%s", files[i]);
		unlink(path);
	}
	rmdir(D "/closed");
	rmdir(D "/open");
	rmdir(D "/sticky");
	rmdir(D "/newdir");
	SHOW(rmdir(D));
	return 0;
}
