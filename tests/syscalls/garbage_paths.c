/* Path strings: too long, unterminated at a page edge, empty, odd components, escapes. */
#include "lib/check.h"
#include <fcntl.h>
#include <limits.h>

int main(void)
{
	struct stat st;
	static char path[PATH_MAX + 16];

	/* PATH_MAX counts the NUL: 4095 characters are fine, 4096 are not. */
	memset(path, '/', sizeof(path));
	path[PATH_MAX - 1] = '\0';
	SHOW(stat(path, &st));
	path[PATH_MAX - 1] = '/';
	path[PATH_MAX] = '\0';
	SHOW(stat(path, &st));
	SHOW(open(path, O_RDONLY));
	SHOW(mkdir(path, 0755));
	SHOW(chdir(path));
	SHOW(access(path, F_OK));

	/* NAME_MAX: a 255-character component is merely missing, 256 is too long. */
	char name[300];
	size_t prefix = strlen("/tmp/");
	memset(name, 'n', sizeof(name));
	memcpy(name, "/tmp/garbage_paths.", strlen("/tmp/garbage_paths."));
	name[prefix + 255] = '\0';
	SHOW(stat(name, &st));
	SHOW(open(name, O_CREAT | O_WRONLY, 0644) >= 0);
	SHOW(unlink(name));
	name[prefix + 255] = 'n';
	name[prefix + 256] = '\0';
	SHOW(stat(name, &st));
	SHOW(open(name, O_CREAT | O_WRONLY, 0644));
	SHOW(mkdir(name, 0755));

	/* A string that runs into an unmapped page without a NUL: EFAULT. */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(page != MAP_FAILED, "mmap");
	must(munmap(page + 4096, 4096) == 0, "munmap");
	memset(page, '/', 4096);
	SHOW(stat(page + 4096 - 5, &st));
	SHOW(open(page + 4096 - 5, O_RDONLY));
	/* The same string with its NUL as the very last mapped byte works. */
	page[4095] = '\0';
	SHOW(stat(page + 4096 - 5, &st));
	memcpy(page + 4096 - 5, "/tmp", 5);
	SHOW(stat(page + 4096 - 5, &st));

	/* Empty paths and odd components. */
	SHOW(stat("", &st));
	SHOW(chdir(""));
	SHOW(mkdir("", 0755));
	SHOW(stat("////tmp////", &st));
	SHOW(stat("/tmp/./././.", &st));
	SHOW(stat("/bin/busybox/.", &st));          /* ENOTDIR */
	SHOW(stat("/bin/busybox/..", &st));         /* ENOTDIR */
	SHOW(mkdir("/tmp/.", 0755));                /* EEXIST */
	SHOW(mkdir("/tmp/..", 0755));
	SHOW(rmdir("/tmp/."));                      /* EINVAL */
	SHOW(unlink("/tmp/."));                     /* EISDIR */
	SHOW(rename("/tmp/.", "/tmp/garbage_paths.x"));  /* EBUSY */
	SHOW(rename("/tmp/garbage_paths.none", "/tmp/."));

	/* ".." cannot climb above the root. */
	SHOW(chdir("/../../../tmp/../.."));
	char cwd[64];
	printf("cwd after climbing: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errname(errno));
	SHOW(stat("/../../../bin/busybox", &st));
	int root = open("/", O_RDONLY | O_DIRECTORY);
	SHOW(openat(root, "../../bin/busybox", O_RDONLY) >= 0);
	SHOW(fstatat(root, "..", &st, 0));

	/* Non-ASCII and control bytes are just bytes. */
	const char *odd = "/tmp/garbage_paths.\x01\x7f\xff\xc3\xa9 name";
	SHOW(open(odd, O_CREAT | O_WRONLY, 0644) >= 0);
	SHOW(access(odd, F_OK));
	SHOW(unlink(odd));
	return 0;
}
