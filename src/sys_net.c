/* sys_net.c - system-call wrappers: sockets; see sys_net.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

int
sys_socket(int domain, int type, int protocol)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol);

	return fd < 0 ? -errno : fd;
}

int
sys_socketpair(int type, int sv[2])
{
	return socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0 ? -errno : 0;
}

int
sys_accept(int fd, struct sockaddr_storage *peer, socklen_t *len, int flags)
{
	int c;

	*len = sizeof(*peer);
	do
		c = accept4(fd, (struct sockaddr *)peer, len, SOCK_CLOEXEC | flags);
	while (c < 0 && errno == EINTR);
	return c < 0 ? -errno : c;
}

bool
sys_is_stream_socket(int fd, bool connected)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(int);
	int type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return false;
	len = sizeof(sa);
	return !connected || getpeername(fd, (struct sockaddr *)&sa, &len) == 0;
}

bool
sys_is_listening_socket(int fd)
{
	socklen_t len = sizeof(int);
	int on = 0;

	return sys_is_stream_socket(fd, false) &&
	       getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

int
sys_send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.space, .msg_controllen = sizeof(u.space),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int
sys_recv_fd(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.space, .msg_controllen = sizeof(u.space),
	};
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	c = CMSG_FIRSTHDR(&msg);
	if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || c == NULL ||
	    c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(&msg, c)) {
		/* close anything that did arrive before refusing */
		for (; c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					sys_close(fd);
				}
		return -EPROTO;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

void
sys_sockaddr_str(const struct sockaddr_storage *sa, char *out, size_t outlen)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

	if (sa->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)outlen);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outlen);
	else if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)outlen);
	else
		snprintf(out, outlen, "unknown");
}

unsigned int
sys_sockaddr_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static int
unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

int
sys_unix_listen(const char *path, int type, int backlog)
{
	struct sockaddr_un sun;
	int fd, r = unix_addr(path, &sun);

	if (r < 0)
		return r;
	fd = sys_socket(AF_UNIX, type, 0);
	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, backlog) < 0) {
		r = -errno;
		sys_close(fd);
		return r;
	}
	return fd;
}

int
sys_unix_connect(const char *path, int type)
{
	struct sockaddr_un sun;
	int fd, r = unix_addr(path, &sun);

	if (r < 0)
		return r;
	fd = sys_socket(AF_UNIX, type, 0);
	if (fd < 0)
		return fd;
	do
		r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		sys_close(fd);
		return r;
	}
	return fd;
}

int
sys_accept_nb(int fd)
{
	int c;

	do
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (c < 0 && errno == EINTR);
	return c < 0 ? -errno : c;
}

int
sys_peercred(int fd, pid_t *pid, uid_t *uid, gid_t *gid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (len != sizeof(uc))
		return -EPROTO;
	*pid = uc.pid;
	*uid = uc.uid;
	*gid = uc.gid;
	return 0;
}

ssize_t
sys_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n;

	do
		n = send(fd, buf, len, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t
sys_recv_packet(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (msg.msg_flags & MSG_TRUNC) ? -EMSGSIZE : n;
}

socklen_t
sys_sockaddr_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	       sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(*sa);
}

int
sys_setsockopt_int(int fd, int level, int opt, int value)
{
	return setsockopt(fd, level, opt, &value, sizeof(value)) < 0 ? -errno : 0;
}

int
sys_set_send_timeout(int fd, unsigned int seconds)
{
	struct timeval tv = { .tv_sec = (time_t)seconds };

	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

int
sys_bind(int fd, const struct sockaddr_storage *sa)
{
	return bind(fd, (const struct sockaddr *)sa, sys_sockaddr_len(sa)) < 0 ?
	       -errno : 0;
}

int
sys_listen(int fd, int backlog)
{
	return listen(fd, backlog) < 0 ? -errno : 0;
}

int
sys_local_addr(int fd, struct sockaddr_storage *sa)
{
	socklen_t len = sizeof(*sa);

	return getsockname(fd, (struct sockaddr *)sa, &len) < 0 ? -errno : 0;
}

int
sys_peer_addr(int fd, struct sockaddr_storage *sa)
{
	socklen_t len = sizeof(*sa);

	return getpeername(fd, (struct sockaddr *)sa, &len) < 0 ? -errno : 0;
}

int
sys_connect_start(int fd, const struct sockaddr_storage *sa)
{
	int r = sys_set_nonblock(fd);

	if (r < 0)
		return r;
	if (connect(fd, (const struct sockaddr *)sa, sys_sockaddr_len(sa)) == 0)
		return 0;
	return errno == EINTR ? -EINPROGRESS : -errno;
}

int
sys_connect_result(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

int
sys_connect_timeout(int fd, const struct sockaddr_storage *sa, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r = sys_connect_start(fd, sa);

	if (r != -EINPROGRESS)
		return r;
	do
		r = poll(&p, 1, timeout_ms);	/* EINTR restarts the wait: bounded by signals */
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return sys_connect_result(fd);
}
