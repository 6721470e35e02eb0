/*
 * Writes outside /tmp: new files in / and /root, a directory tree, and changes to an
 * existing file of the image (/etc/group), which is restored afterwards. Under moat all
 * of it lands in the memory overlay; the runner checks the host rootfs is untouched.
 * The *.keep files are not removed: the runner deletes them after the host run, and
 * finding them after the moat run means the sandbox wrote through to the host.
 */
#include "lib/check.h"
#include <fcntl.h>

static void cat(const char *path)
{
	char buf[128] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open -1 %s\n", path, errname(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	printf("%s: %zd bytes: ", path, n);
	for (ssize_t i = 0; i < n; i++)
		putchar(buf[i] == '\n' ? '|' : buf[i]);
	putchar('\n');
}

int main(void)
{
	int fd = open("/overlay_writes.top", O_CREAT | O_EXCL | O_WRONLY, 0644);
	SHOW(fd);
	SHOW(write(fd, "top level\n", 10));
	close(fd);
	cat("/overlay_writes.top");

	SHOW(mkdir("/overlay_writes.dir", 0755));
	SHOW(mkdir("/overlay_writes.dir/sub", 0700));
	fd = open("/overlay_writes.dir/sub/file", O_CREAT | O_WRONLY, 0600);
	SHOW(write(fd, "deep\n", 5));
	close(fd);
	SHOW(rename("/overlay_writes.dir/sub/file", "/overlay_writes.dir/moved"));
	cat("/overlay_writes.dir/moved");
	SHOW(chmod("/overlay_writes.dir/moved", 0640));
	struct stat st;
	SHOW(stat("/overlay_writes.dir/moved", &st));
	printf("mode after chmod: %04o\n", st.st_mode & 07777);

	fd = open("/root/overlay_writes.home", O_CREAT | O_WRONLY, 0600);
	SHOW(write(fd, "home\n", 5));
	close(fd);
	cat("/root/overlay_writes.home");

	/* Modify a file of the image, read it back, then restore its old size. */
	cat("/etc/group");
	SHOW(stat("/etc/group", &st));
	off_t size = st.st_size;
	fd = open("/etc/group", O_WRONLY | O_APPEND);
	SHOW(write(fd, "extra:x:42:\n", 12));
	close(fd);
	cat("/etc/group");
	SHOW(truncate("/etc/group", size));
	cat("/etc/group");

	/* Removing image files is only simulated here: create, then remove, our own. */
	SHOW(unlink("/overlay_writes.dir/moved"));
	SHOW(rmdir("/overlay_writes.dir/sub"));
	SHOW(rmdir("/overlay_writes.dir"));
	SHOW(unlink("/overlay_writes.top"));
	SHOW(unlink("/root/overlay_writes.home"));
	SHOW(access("/overlay_writes.top", F_OK));

	/* Left behind on purpose (see the top comment). */
	SHOW(close(open("/overlay_writes.keep", O_CREAT | O_EXCL | O_WRONLY, 0644)));
	SHOW(close(open("/tmp/overlay_writes.keep", O_CREAT | O_EXCL | O_WRONLY, 0644)));
	SHOW(mkdir("/root/overlay_writes.keep.d", 0700));
	SHOW(close(open("/root/overlay_writes.keep.d/inner", O_CREAT | O_EXCL | O_WRONLY, 0644)));
	return 0;
}
