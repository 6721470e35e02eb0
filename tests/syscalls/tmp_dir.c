/* /tmp is a writable, sticky directory for everyone. */
#include "lib/check.h"
#include <fcntl.h>

int main(void)
{
	struct stat st;
	SHOW(stat("/tmp", &st));
	FACT("/tmp is a directory", S_ISDIR(st.st_mode));
	printf("/tmp mode: %04o\n", st.st_mode & 07777);
	SHOW(access("/tmp", R_OK | W_OK | X_OK));

	int fd = open("/tmp/tmp_dir.file", O_CREAT | O_EXCL | O_RDWR, 0600);
	SHOW(fd);
	static char data[100000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	SHOW(write(fd, data, sizeof(data)));
	static char back[100000];
	SHOW(pread(fd, back, sizeof(back), 0));
	FACT("content round-trips", memcmp(data, back, sizeof(data)) == 0);
	SHOW(ftruncate(fd, 10));
	SHOW(fstat(fd, &st));
	printf("size after ftruncate: %lld\n", (long long)st.st_size);
	SHOW(ftruncate(fd, 5000));
	SHOW(pread(fd, back, sizeof(back), 0));
	FACT("extended part is zero", back[10] == 0 && back[4999] == 0);
	SHOW(close(fd));
	SHOW(truncate("/tmp/tmp_dir.file", 0));

	SHOW(mkdir("/tmp/tmp_dir.d", 0700));
	SHOW(open("/tmp/tmp_dir.d/nested", O_CREAT | O_WRONLY, 0600));
	SHOW(unlink("/tmp/tmp_dir.d/nested"));
	SHOW(rmdir("/tmp/tmp_dir.d"));
	SHOW(unlink("/tmp/tmp_dir.file"));
	SHOW(access("/tmp/tmp_dir.file", F_OK));
	return 0;
}
