/* Extended attributes in the user namespace: set, get, list, remove, flags, errors. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/xattr.h>

#define F "/tmp/xattrs.f"

static void show_list(const char *label)
{
	char buf[256];
	ssize_t n = listxattr(F, buf, sizeof(buf));
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	/* Names are NUL-separated; sort them (the order is the filesystem's). */
	char *names[16];
	int count = 0;
	for (ssize_t off = 0; off < n && count < 16; off += (ssize_t)strlen(buf + off) + 1)
		names[count++] = buf + off;
	for (int i = 0; i < count; i++)
		for (int j = i + 1; j < count; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	printf("%s: %zd bytes:", label, n);
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");
}

int main(void)
{
	int fd = open(F, O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(fd >= 0, "open");
	show_list("initially");
	SHOW(setxattr(F, "user.colour", "blue", 4, 0));
	SHOW(setxattr(F, "user.empty", "", 0, 0));
	SHOW(fsetxattr(fd, "user.size", "large", 5, 0));
	show_list("after three sets");
	char val[32] = { 0 };
	SHOW(getxattr(F, "user.colour", val, sizeof(val)));
	printf("user.colour = %s\n", val);
	SHOW(getxattr(F, "user.colour", NULL, 0));             /* size query */
	SHOW(getxattr(F, "user.colour", val, 2));              /* ERANGE */
	SHOW(getxattr(F, "user.empty", val, sizeof(val)));
	SHOW(fgetxattr(fd, "user.size", val, sizeof(val)));
	SHOW(getxattr(F, "user.missing", val, sizeof(val)));   /* ENODATA */
	SHOW(setxattr(F, "user.colour", "red", 3, XATTR_CREATE));   /* EEXIST */
	SHOW(setxattr(F, "user.new", "x", 1, XATTR_REPLACE));       /* ENODATA */
	SHOW(setxattr(F, "user.colour", "red", 3, XATTR_REPLACE));
	memset(val, 0, sizeof(val));
	SHOW(getxattr(F, "user.colour", val, sizeof(val)));
	printf("user.colour = %s\n", val);
	SHOW(removexattr(F, "user.empty"));
	SHOW(removexattr(F, "user.empty"));                   /* ENODATA */
	SHOW(fremovexattr(fd, "user.size"));
	show_list("after removes");
	SHOW(listxattr(F, val, 1));                           /* ERANGE */
	SHOW(listxattr(F, NULL, 0));

	/* Errors. */
	SHOW(setxattr(F, "nonamespace", "x", 1, 0));          /* EOPNOTSUPP */
	SHOW(setxattr(F, "user.", "x", 1, 0));                /* EINVAL: empty name */
	SHOW(setxattr(F, "user.flags", "x", 1, 0x4));         /* EINVAL: bad flags */
	SHOW(setxattr("/tmp/xattrs.none", "user.a", "x", 1, 0));  /* ENOENT */
	SHOW(getxattr(F, "user.colour", KERNEL_PTR, 8));      /* EFAULT */
	SHOW(fgetxattr(999, "user.colour", val, sizeof(val))); /* EBADF */
	static char big[70000];
	SHOW(setxattr(F, "user.big", big, sizeof(big), 0));   /* E2BIG: > 64 KiB */

	/* Symlinks: l* calls act on the link; user.* is not allowed on symlinks. */
	must(symlink("xattrs.f", "/tmp/xattrs.l") == 0, "symlink");
	memset(val, 0, sizeof(val));
	SHOW(getxattr("/tmp/xattrs.l", "user.colour", val, sizeof(val)));   /* follows */
	SHOW(lgetxattr("/tmp/xattrs.l", "user.colour", val, sizeof(val)));  /* ENODATA */
	SHOW(lsetxattr("/tmp/xattrs.l", "user.x", "1", 1, 0));              /* EPERM */
	unlink("/tmp/xattrs.l");
	SHOW(unlink(F));
	return 0;
}
