/* setpgid/getpgid/getpgrp and setsid/getsid, tested inside a fresh session. */
#include "lib/check.h"

static void in_new_session(void)
{
	pid_t me = getpid();
	pid_t sid = setsid();
	FACT("setsid returns our pid", sid == me);
	FACT("getsid(0) == pid", getsid(0) == me);
	FACT("getpgid(0) == pid", getpgid(0) == me);
	FACT("getpgrp() == pid", getpgrp() == me);
	SHOW(setsid());                               /* EPERM: already group leader */
	SHOW(setpgid(0, 0));                          /* EPERM: a session leader */
	SHOW(setpgid(0, -1));                         /* EINVAL */
	SHOW(getpgid(0x3fffffff));                    /* ESRCH */
	SHOW(getsid(0x3fffffff));                     /* ESRCH */
	SHOW(setpgid(0x3fffffff, 0));                 /* ESRCH */

	int p[2], q[2];
	must(pipe(p) == 0 && pipe(q) == 0, "pipe");
	pid_t child = fork();
	if (child == 0) {
		char c;
		/* Report group and session, then wait for the parent to move us. */
		pid_t v[2] = { getpgid(0), getsid(0) };
		write(p[1], v, sizeof(v));
		read(q[0], &c, 1);
		pid_t w[2] = { getpgid(0), getsid(0) };
		write(p[1], w, sizeof(w));
		read(q[0], &c, 1);
		/* Now in our own group: setsid works for a non-leader only. */
		pid_t s = setsid();
		pid_t x[2] = { s, errno };
		write(p[1], x, sizeof(x));
		_exit(0);
	}
	pid_t v[2];
	must(read(p[0], v, sizeof(v)) == sizeof(v), "read");
	FACT("child inherits the process group", v[0] == me);
	FACT("child inherits the session", v[1] == me);
	FACT("getpgid(child) from parent == our group", getpgid(child) == me);
	SHOW(setpgid(child, child));                  /* move child to its own group */
	FACT("getpgid(child) == child", getpgid(child) == child);
	write(q[1], "1", 1);
	must(read(p[0], v, sizeof(v)) == sizeof(v), "read");
	FACT("child sees its own group", v[0] == child);
	FACT("child still in our session", v[1] == me);
	SHOW(setpgid(child, me));                     /* back into our group: allowed */
	write(q[1], "2", 1);
	must(read(p[0], v, sizeof(v)) == sizeof(v), "read");
	FACT("child's setsid succeeded with its pid", v[0] == child);
	wait_and_report("child", child);

	/* A child that has called setsid cannot be moved; a grandchild is not ours. */
	child = fork();
	if (child == 0) {
		setsid();
		write(p[1], "s", 1);
		char c;
		read(q[0], &c, 1);
		_exit(0);
	}
	char c;
	must(read(p[0], &c, 1) == 1, "read");
	SHOW(setpgid(child, me));                     /* EPERM: other session */
	write(q[1], "3", 1);
	wait_and_report("session-leader child", child);
	SHOW(setpgid(child, child));                  /* ESRCH: reaped */

	/* A process group that does not exist in our session. */
	child = fork();
	if (child == 0) {
		char c;
		read(q[0], &c, 1);
		_exit(0);
	}
	SHOW(setpgid(child, 0x3fffffff));             /* EPERM: no such group */
	write(q[1], "4", 1);
	wait_and_report("plain child", child);
}

int main(void)
{
	/* The initial session differs between host and sandbox: work in a new one. */
	in_child("new session", in_new_session);
	return 0;
}
