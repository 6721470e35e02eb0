/* umask: round trip and its effect on the modes of created files and directories. */
#include "lib/check.h"
#include <fcntl.h>

static void mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		printf("%s: -1 %s\n", path, errname(errno));
	else
		printf("%s: %04o\n", path, st.st_mode & 07777);
}

int main(void)
{
	printf("umask(027) -> %03o (check.h set 022)\n", umask(027));
	printf("umask(027) -> %03o\n", umask(027));
	printf("umask(0) -> %03o\n", umask(0));
	printf("umask(0777) -> %03o\n", umask(0777));
	printf("umask(01777) -> %03o\n", umask(01777));
	printf("umask(022) -> %03o (only 0777 bits are kept)\n", umask(022));
	printf("raw umask(-1) -> %03lo\n", syscall(SYS_umask, -1));
	printf("raw umask(022) -> %03lo\n", syscall(SYS_umask, 022));

	umask(0);
	close(open("/tmp/umask.0", O_CREAT | O_WRONLY, 0777));
	mode_of("/tmp/umask.0");
	umask(022);
	close(open("/tmp/umask.022", O_CREAT | O_WRONLY, 0777));
	mode_of("/tmp/umask.022");
	umask(077);
	close(open("/tmp/umask.077", O_CREAT | O_WRONLY, 0666));
	mode_of("/tmp/umask.077");
	mkdir("/tmp/umask.dir", 0777);
	mode_of("/tmp/umask.dir");
	close(creat("/tmp/umask.creat", 0644));
	mode_of("/tmp/umask.creat");
	umask(0);
	close(open("/tmp/umask.suid", O_CREAT | O_WRONLY, 04777));
	mode_of("/tmp/umask.suid");
	/* An existing file's mode is not changed by open. */
	umask(0777);
	close(open("/tmp/umask.0", O_CREAT | O_WRONLY, 0777));
	mode_of("/tmp/umask.0");
	/* Explicit fchmod/chmod ignore the umask. */
	SHOW(chmod("/tmp/umask.0", 0751));
	mode_of("/tmp/umask.0");

	/* The umask is inherited by children. */
	umask(0035);
	pid_t pid = fork();
	if (pid == 0)
		_exit(umask(0));
	wait_and_report("child's umask (0035 = 29)", pid);

	unlink("/tmp/umask.0");
	unlink("/tmp/umask.022");
	unlink("/tmp/umask.077");
	unlink("/tmp/umask.creat");
	unlink("/tmp/umask.suid");
	rmdir("/tmp/umask.dir");
	return 0;
}
