/* sys_event.c - system-call wrappers: waiting; see sys_event.h. */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "sysutil.h"

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

int
sys_poll(struct pollfd *p, unsigned int n, int timeout_ms)
{
	int r = poll(p, n, timeout_ms);

	return r < 0 ? -errno : r;
}

int
sys_ppoll(struct pollfd *p, unsigned int n, int timeout_ms, const sigset_t *mask)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
			       .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };
	int r = ppoll(p, n, timeout_ms < 0 ? NULL : &ts, mask);

	return r < 0 ? -errno : r;
}
