/* sys_io.c - system-call wrappers: descriptors; see sys_io.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

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
sys_dup_to(int fd, int target)
{
	int r;

	do
		r = dup3(fd, target, O_CLOEXEC);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int
sys_dup_stdio(int fd, int target)
{
	int r;

	if (target < 0 || target > 2)
		return -EINVAL;
	do
		r = dup2(fd, target);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int
sys_dup_above(int fd, int min)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, min);

	return r < 0 ? -errno : r;
}
