/* sysutil.c - the one place system calls are made; see sysutil.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "defs.h"
#include "log.h"
#include "sysutil.h"

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		bug("xmalloc: zero size");
	p = malloc(size);
	if (p == NULL)
		die("Out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		bug("xcalloc: zero size");
	p = calloc(n, size);
	if (p == NULL)
		die("Out of memory allocating %zu * %zu bytes", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		bug("xreallocarray: zero size");
	if (n > SIZE_MAX / size)
		die("Allocation of %zu * %zu bytes overflows", n, size);
	p = realloc(old, n * size);
	if (p == NULL)
		die("Out of memory allocating %zu * %zu bytes", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

ssize_t
sys_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t
sys_recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n;

	do
		n = recv(fd, buf, len, flags);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t
sys_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = sys_read(fd, (char *)buf + done, len - done);

		if (n < 0)
			return n;
		if (n == 0)
			return -EPIPE;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t
sys_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int
sys_close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

int
sys_open(const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = open(path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

ssize_t
sys_read_file(const char *path, size_t max, char **out)
{
	struct stat st;
	ssize_t n;
	char *p;
	int fd = sys_open(path, O_RDONLY, 0);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		n = -errno;
		sys_close(fd);
		return n;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		sys_close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	p = xmalloc((size_t)st.st_size + 1);
	n = sys_read_full(fd, p, (size_t)st.st_size);
	sys_close(fd);
	if (n == -EPIPE)	/* shrank while we read: take what is there */
		n = 0;
	if (n < 0) {
		free(p);
		return n;
	}
	p[n] = '\0';
	*out = p;
	return n;
}

int
sys_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ssize_t
sys_pread_whole(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

void
sys_exit_session(int status)
{
#ifdef BUILT_WITH_ASAN
	exit(status);		/* LeakSanitizer checks at exit */
#else
	_exit(status);
#endif
}

int
sys_close_from(int first)
{
	struct rlimit rl;

	if (close_range((unsigned int)first, ~0U, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* before Linux 5.9: every descriptor below the soft limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	for (rlim_t fd = (rlim_t)first; fd < rl.rlim_cur && fd < INT_MAX; fd++)
		(void)close((int)fd);
	return 0;
}

int
sys_set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0))
		return -errno;
	return 0;
}

int
sys_seccomp_filter(const struct sock_fprog *prog)
{
	/* no_new_privs first, as libseccomp's own loader does */
	int r = sys_no_new_privs();

	if (r < 0)
		return r;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return -errno;
	return 0;
}

int
sys_no_new_privs(void)
{
	static bool set;	/* inherited by fork, as the kernel's flag is */

	if (set)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	set = true;
	return 0;
}

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
sys_poll_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);

	if (r < 0)
		return -errno;
	return r > 0 ? 1 : 0;
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

pid_t
xfork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die_errno("Failed to fork");
	return pid;
}

int
sys_wait_child(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : status;
}

int
sys_wait_child_ms(pid_t pid, int timeout_ms)
{
	long long deadline = sys_now_ms() + timeout_ms;
	struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000 };
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (sys_now_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&tick, NULL);
	}
}

int
sys_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;		/* never a process group by accident */
	return kill(pid, sig) < 0 ? -errno : 0;
}

int
sys_reap_children(void)
{
	int n = 0, status;

	while (waitpid(-1, &status, WNOHANG) > 0)
		n++;
	return n;
}

void
sys_signal(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		die_errno("Failed to install handler for signal %d", sig);
}

void
sys_sleep(unsigned int seconds)
{
	struct timespec ts = { .tv_sec = seconds, .tv_nsec = 0 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

long long
sys_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* --- added for limitd and its client --- */

int
sys_random(void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
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

int
sys_epoll_create(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	return ep < 0 ? -errno : ep;
}

int
sys_epoll_ctl(int ep, int op, int fd, unsigned int events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(ep, op, fd, &ev) < 0 ? -errno : 0;
}

int
sys_epoll_wait(int ep, struct epoll_event *ev, int max, int timeout_ms,
	       const sigset_t *mask)
{
	int n = epoll_pwait(ep, ev, max, timeout_ms, mask);

	return n < 0 ? -errno : n;
}

void
sys_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (sigprocmask(how, set, old) < 0)
		die_errno("Failed to change the signal mask");
}

int
sys_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int
sys_set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

long
sys_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return rl.rlim_cur > (rlim_t)LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

int
sys_mkdir(const char *path, mode_t mode)
{
	return mkdir(path, mode) < 0 ? -errno : 0;
}

int
sys_unlink(const char *path)
{
	return unlink(path) < 0 ? -errno : 0;
}

int
sys_rename(const char *from, const char *to)
{
	return rename(from, to) < 0 ? -errno : 0;
}

int
sys_chmod(const char *path, mode_t mode)
{
	return chmod(path, mode) < 0 ? -errno : 0;
}

int
sys_lstat_mode(const char *path, mode_t *mode)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	*mode = st.st_mode;
	return 0;
}

int
sys_user_uid(const char *name, uid_t *uid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return errno ? -errno : -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}

int
sys_user_groups(const char *name, gid_t gid, gid_t **groups)
{
	long max = sysconf(_SC_NGROUPS_MAX);
	int n = 64, want;
	gid_t *g = xreallocarray(NULL, (size_t)n, sizeof(*g));

	/* a few rounds: the group file may grow between two calls */
	for (int round = 0; round < 4; round++) {
		want = n;
		if (getgrouplist(name, gid, g, &want) >= 0 && want >= 1) {
			*groups = g;
			return want;
		}
		if (want <= n)
			break;			/* not a matter of room */
		if (max > 0 && want > max) {
			free(g);
			return -E2BIG;
		}
		n = want;
		g = xreallocarray(g, (size_t)n, sizeof(*g));
	}
	g[0] = gid;
	*groups = g;
	return 1;
}

long long
sys_time(void)
{
	return (long long)time(NULL);
}

/* --- added for data connections and transfers --- */

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

int
sys_poll(struct pollfd *p, unsigned int n, int timeout_ms)
{
	int r = poll(p, n, timeout_ms);

	return r < 0 ? -errno : r;
}

ssize_t
sys_write(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t
sys_sendfile(int out, int in, off_t *off, size_t count)
{
	ssize_t n;

	do
		n = sendfile(out, in, off, count);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int
sys_pipe(int fds[2], size_t size)
{
	int r;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(fds[1], F_SETPIPE_SZ, (int)size) >= 0)
		return 0;
	r = -errno;
	fds[0] = sys_close(fds[0]);
	fds[1] = sys_close(fds[1]);
	return r;
}

ssize_t
sys_splice(int in, int out, size_t count, unsigned int flags)
{
	ssize_t n;

	do
		n = splice(in, NULL, out, NULL, count, flags);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int
sys_fstat(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : 0;
}

int
sys_fstatat(int dfd, const char *name, struct stat *st, int flags)
{
	return fstatat(dfd, name, st, flags) < 0 ? -errno : 0;
}

void
sys_dir_init(struct sys_dir *d, int fd, char *buf, size_t size)
{
	d->fd = fd;
	d->buf = buf;
	d->size = size;
	d->pos = d->len = 0;
}

const char *
sys_dir_next(struct sys_dir *d, int *err)
{
	const struct dirent64 *e;

	if (d->pos >= d->len) {
		ssize_t n;

		do
			n = getdents64(d->fd, d->buf, d->size);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			if (err)
				*err = n < 0 ? -errno : 0;
			return NULL;
		}
		d->len = (size_t)n;
		d->pos = 0;
	}
	e = (const struct dirent64 *)(const void *)(d->buf + d->pos);
	if (e->d_reclen == 0 || e->d_reclen > d->len - d->pos) {
		if (err)
			*err = -EIO;
		return NULL;
	}
	d->pos += e->d_reclen;
	return e->d_name;
}

ssize_t
sys_readlinkat(int dfd, const char *name, char *buf, size_t len)
{
	ssize_t n = readlinkat(dfd, name, buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

int
sys_ftruncate(int fd, off_t len)
{
	return ftruncate(fd, len) < 0 ? -errno : 0;
}

off_t
sys_lseek(int fd, off_t off, int whence)
{
	off_t r = lseek(fd, off, whence);

	return r < 0 ? -errno : r;
}

int
sys_lock_file(int fd, bool write)
{
	struct flock fl = {
		.l_type = write ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
	};
	int r;

	do
		r = fcntl(fd, F_OFD_SETLK, &fl);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EACCES ? -EAGAIN : -errno;
	return 0;
}

int
sys_fchown(int fd, uid_t uid)
{
	return fchown(fd, uid, (gid_t)-1) < 0 ? -errno : 0;
}

int
sys_unlinkat(int dfd, const char *name, int flags)
{
	return unlinkat(dfd, name, flags) < 0 ? -errno : 0;
}

int
sys_set_mtime_nofollow(int dfd, const char *name, long long mtime)
{
	struct timespec ts[2] = {
		{ .tv_sec = (time_t)mtime }, { .tv_sec = (time_t)mtime },
	};

	return utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int
sys_ppoll(struct pollfd *p, unsigned int n, int timeout_ms, const sigset_t *mask)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
			       .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };
	int r = ppoll(p, n, timeout_ms < 0 ? NULL : &ts, mask);

	return r < 0 ? -errno : r;
}

pid_t
sys_fork(void)
{
	pid_t pid = fork();

	return pid < 0 ? -errno : pid;
}

int
sys_setpgid(pid_t pid, pid_t pgid)
{
	return setpgid(pid, pgid) < 0 ? -errno : 0;
}

int
sys_kill_group(pid_t pgid, int sig)
{
	if (pgid <= 1)
		bug("sys_kill_group: process group %d", (int)pgid);
	return kill(-pgid, sig) < 0 ? -errno : 0;
}

pid_t
sys_reap_one(void)
{
	int status;
	pid_t pid = waitpid(-1, &status, WNOHANG);

	return pid < 0 ? -errno : pid;
}
