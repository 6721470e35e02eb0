/* Unix domain sockets: socketpair, a listening socket on a path, SCM_RIGHTS, errors. */
#include "lib/check.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#define PATH "/tmp/unix_sockets.sock"

static int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	char ctl[CMSG_SPACE(sizeof(int))];
	memset(ctl, 0, sizeof(ctl));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return (int)sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -2;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int main(void)
{
	/* socketpair, stream. */
	int sv[2] = { -1, -1 };
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW(write(sv[0], "ping", 4));
	char buf[64] = { 0 };
	SHOW(recv(sv[1], buf, sizeof(buf), MSG_PEEK));
	SHOW(read(sv[1], buf, sizeof(buf)));
	printf("got: %.4s\n", buf);
	SHOW(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));          /* EAGAIN */
	SHOW(shutdown(sv[0], SHUT_WR));
	SHOW(read(sv[1], buf, sizeof(buf)));                         /* EOF */
	signal(SIGPIPE, SIG_IGN);
	close(sv[1]);
	SHOW(write(sv[0], "x", 1));                                  /* EPIPE */
	close(sv[0]);

	/* socketpair, datagram: message boundaries are kept. */
	SHOW(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	SHOW(send(sv[0], "one", 3, 0));
	SHOW(send(sv[0], "three", 5, 0));
	SHOW(recv(sv[1], buf, sizeof(buf), 0));
	SHOW(recv(sv[1], buf, 2, 0));                                /* truncated */
	close(sv[0]);
	close(sv[1]);

	/* SCM_RIGHTS: pass a file descriptor to a child. */
	SHOW(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	SHOW(fcntl(sv[0], F_GETFD));
	int file = open("/tmp/unix_sockets.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	must(write(file, "passed along", 12) == 12, "write");
	pid_t pid = fork();
	if (pid == 0) {
		int fd = recv_fd(sv[1]);
		char b[16] = { 0 };
		ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
		_exit(n == 12 && strcmp(b, "passed along") == 0 && fd != file ? 0 : 1);
	}
	SHOW(send_fd(sv[0], file));
	wait_and_report("child read through the received fd", pid);
	close(sv[0]);
	close(sv[1]);
	unlink("/tmp/unix_sockets.txt");

	/* A listening socket on a path; a child connects. */
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	strcpy(addr.sun_path, PATH);
	SHOW(bind(srv, (struct sockaddr *)&addr, sizeof(addr)));
	struct stat st;
	SHOW(stat(PATH, &st));
	printf("socket file: %d\n", S_ISSOCK(st.st_mode));
	int again = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(bind(again, (struct sockaddr *)&addr, sizeof(addr)));  /* EADDRINUSE */
	close(again);
	int early = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(connect(early, (struct sockaddr *)&addr, sizeof(addr)));  /* ECONNREFUSED */
	close(early);
	SHOW(listen(srv, 4));
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0)
			_exit(1);
		write(c, "hello server", 12);
		char r[8] = { 0 };
		read(c, r, sizeof(r) - 1);
		_exit(strcmp(r, "bye") == 0 ? 0 : 2);
	}
	int conn = accept(srv, NULL, NULL);
	SHOW(conn >= 0);
	memset(buf, 0, sizeof(buf));
	SHOW(read(conn, buf, sizeof(buf)));
	printf("server got: %s\n", buf);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	SHOW(getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	printf("peer cred: pid is the child=%d uid=%d gid=%d\n", cred.pid == pid, cred.uid, cred.gid);
	SHOW(write(conn, "bye", 3));
	wait_and_report("client", pid);
	struct sockaddr_un got;
	len = sizeof(got);
	SHOW(getsockname(srv, (struct sockaddr *)&got, &len));
	printf("sockname: %s\n", got.sun_path);
	close(conn);
	close(srv);
	SHOW(unlink(PATH));

	/* Errors. */
	strcpy(addr.sun_path, "/tmp/unix_sockets.none");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(connect(s, (struct sockaddr *)&addr, sizeof(addr)));  /* ENOENT */
	SHOW(socket(AF_UNIX, 99, 0));                                /* EINVAL */
	SHOW(socket(12345, SOCK_STREAM, 0));                         /* EAFNOSUPPORT */
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, KERNEL_PTR));       /* EFAULT */
	int fd = open("/dev/null", O_RDONLY);
	SHOW(listen(fd, 1));                                          /* ENOTSOCK */
	SHOW(accept(s, NULL, NULL));                                  /* EINVAL: not listening */
	return 0;
}
