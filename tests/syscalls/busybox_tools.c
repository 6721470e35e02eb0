/* Busybox applets as real workloads: text tools, archives, compression, find, dd, xargs. */
#include "lib/check.h"

static void run(const char *label, const char *script)
{
	fflush(stdout);
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		char *args[] = { "sh", "-c", (char *)script, NULL };
		char *env[] = { "PATH=/bin", "HOME=/root", "LC_ALL=C", NULL };
		execve("/bin/sh", args, env);
		_exit(127);
	}
	wait_and_report(label, pid);
}

int main(void)
{
	run("sort/uniq/head", "seq 1 2000 | sort -rn | head -3; seq 1 50 | awk '{print $1 % 7}' | sort | uniq -c");
	run("sed/awk/tr/cut", "echo 'alpha beta gamma' | sed 's/beta/BETA/' | awk '{print $3, $2, $1}' | tr a-z A-Z;"
			      "printf 'a:b:c\\nd:e:f\\n' | cut -d: -f2");
	run("md5/sha256 of generated data", "seq 1 10000 | md5sum; seq 1 10000 | sha256sum");
	run("gzip round trip", "seq 1 5000 > /tmp/busybox_tools.txt && gzip -c /tmp/busybox_tools.txt > /tmp/busybox_tools.gz"
			       " && gunzip -c /tmp/busybox_tools.gz | md5sum && rm /tmp/busybox_tools.txt /tmp/busybox_tools.gz");
	run("tar round trip", "mkdir -p /tmp/busybox_tools.d/sub && echo one > /tmp/busybox_tools.d/a"
			      " && echo two > /tmp/busybox_tools.d/sub/b && cd /tmp && tar cf busybox_tools.tar busybox_tools.d"
			      " && tar tf busybox_tools.tar | sort && mkdir busybox_tools.x && cd busybox_tools.x"
			      " && tar xf ../busybox_tools.tar && cat busybox_tools.d/sub/b"
			      " && cd /tmp && rm -r busybox_tools.d busybox_tools.x busybox_tools.tar");
	run("find", "find /etc -type f | sort; find /bin -name 'ls' -o -name 'cat' | sort");
	run("dd and wc", "dd if=/dev/zero bs=1024 count=300 2>/dev/null | wc -c;"
			 " dd if=/dev/urandom bs=512 count=4 2>/dev/null | wc -c");
	run("xargs and loops", "seq 1 20 | xargs -n 5 echo; i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo $i");
	run("redirections and fds", "exec 3>/tmp/busybox_tools.fd; echo via3 >&3; exec 3>&-; cat /tmp/busybox_tools.fd;"
				    " echo err 2>&1 1>/dev/null | wc -c; rm /tmp/busybox_tools.fd");
	run("background job and wait", "(sleep 0.3; echo bg) & echo fg; wait; echo done");
	run("trap and kill", "trap 'echo got TERM; exit 3' TERM; kill -TERM $$; sleep 5; echo not reached");
	run("test and expr", "[ -d /tmp ] && echo dir; [ -x /bin/busybox ] && echo exec; expr 6 \\* 7; test 3 -gt 2 && echo gt");
	run("sleep", "sleep 0.05; echo slept");
	run("ls -l of an image file", "ls -ln /etc/passwd | awk '{print $1, $3, $4, $5, $9}'");
	return 0;
}
