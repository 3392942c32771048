/*
 * sys_event.h - system-call wrappers: waiting.
 * Waiting for descriptors: poll, ppoll with a signal mask, epoll.
 * The conventions of sysutil.h hold: EINTR retried, every descriptor
 * close-on-exec, -errno returned (x* functions die instead).
 */
#ifndef MINIFTPD_SYS_EVENT_H
#define MINIFTPD_SYS_EVENT_H

#include <signal.h>

struct pollfd;
struct epoll_event;

/* sys_poll_in - wait until FD is readable or TIMEOUT_MS passes (-1: forever).
 * RETURNS 1 readable/hangup, 0 timeout, -errno. */
int sys_poll_in(int fd, int timeout_ms);

/* sys_epoll_create - an epoll instance. RETURNS fd or -errno. */
int sys_epoll_create(void);

/* sys_epoll_ctl - EPOLL_CTL_ADD/MOD/DEL FD with EVENTS and PTR as data. */
int sys_epoll_ctl(int ep, int op, int fd, unsigned int events, void *ptr);

/* sys_epoll_wait - wait for up to MAX events with the signal mask MASK
 * (NULL: unchanged) in force while waiting; EINTR is returned as -EINTR
 * so that the caller can look at its signal flags. RETURNS count or -errno. */
int sys_epoll_wait(int ep, struct epoll_event *ev, int max, int timeout_ms,
		   const sigset_t *mask);

/* sys_poll - one poll(2) of N entries. RETURNS the ready count, 0 on
 * timeout, or -errno (-EINTR too: the caller recomputes its timeout). */
int sys_poll(struct pollfd *p, unsigned int n, int timeout_ms);

/* sys_ppoll - poll N entries for at most TIMEOUT_MS (-1: forever) with
 * the signal mask MASK in force while waiting, so that a signal blocked
 * elsewhere can only arrive here.  RETURNS the ready count, 0 on timeout,
 * or -errno (-EINTR when a handler ran: the caller looks at its flags). */
int sys_ppoll(struct pollfd *p, unsigned int n, int timeout_ms, const sigset_t *mask);

#endif
