/*
 * limitd_clients.c - limitd's clients: accepting, the per-client record,
 * its queue of answers, reading one request, dropping a client.  See
 * limitd.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "limitcluster.h"
#include "limitd.h"
#include "sysutil.h"

/* Descriptors kept free beyond the clients: logging, reload, epoll. */
#define FD_RESERVE		32
#define ACCEPTS_PER_WAKEUP	64
/* After EMFILE/ENFILE/ENOMEM from accept, listen again after this. */
#define PAUSE_MS		1000
/* Packets read and discarded from a client that is being dropped. */
#define MAX_DRAIN		64

/* --- clients --- */

void
set_listening(bool on)
{
	if (sys_epoll_ctl(D.ep, EPOLL_CTL_MOD, D.listen_fd, on ? EPOLLIN : 0, NULL) < 0)
		die_errno("Failed to change listening socket events");
	D.paused = !on;
}

static bool
can_accept(void)
{
	return (long)D.nclients + FD_RESERVE < D.nofile;
}

void
client_close(struct client *c)
{
	if (c->state & CL_WAITING)
		limit_cluster_forget(c);
	pool_free(&D.waits, c->wait);
	if (c->state & CL_ADMITTED) {
		limit_cluster_release(c->sess.addr, c->sess.user);
		limit_tab_release(&D.tab, &c->sess);
	}
	sys_close(c->fd);
	while (c->out_head) {
		struct outmsg *o = c->out_head;

		c->out_head = o->next;
		pool_free(&D.outq, o);
	}
	pool_free(&D.clients, c);
	D.nclients--;
	if (D.paused && D.resume_at == LLONG_MAX && can_accept())
		set_listening(true);
}

/* Dropped clients are logged at most once a second, with a count. */
static void PRINTF(2, 3)
log_drop(const struct client *c, const char *fmt, ...)
{
	static long long last;
	static unsigned int suppressed;
	long long now = sys_now_ms();
	char msg[256];
	va_list ap;

	if (now - last < 1000) {
		suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (suppressed)
		log_warning("Dropping client pid %d uid %u: %s (and %u more not logged)",
			    (int)c->pid, (unsigned int)c->uid, msg, suppressed);
	else
		log_warning("Dropping client pid %d uid %u: %s", (int)c->pid,
			    (unsigned int)c->uid, msg);
	last = now;
	suppressed = 0;
}

/* Tell C why (best effort, never blocks), log it, and hang up. RETURNS -1. */
int PRINTF(3, 4)
client_fail(struct client *c, uint32_t code, const char *fmt, ...)
{
	struct limit_msg m = { .type = LIMIT_ANS_FAIL };
	struct buf b;
	va_list ap;

	m.u.fail.code = code;
	va_start(ap, fmt);
	vsnprintf(m.u.fail.reason, sizeof(m.u.fail.reason), fmt, ap);
	va_end(ap);
	log_drop(c, "%s: %s", limit_fail_name(code), m.u.fail.reason);
	if (limit_encode(&m, &b) == 0)
		(void)sys_send(c->fd, b.data, b.len, MSG_DONTWAIT);
	/*
	 * Closing with unread packets queued makes the kernel report
	 * ECONNRESET to the peer ahead of our FAIL: discard them first.
	 */
	for (int i = 0; i < MAX_DRAIN; i++)
		if (sys_recv_packet(c->fd, b.data, sizeof(b.data), MSG_DONTWAIT) <= 0)
			break;
	client_close(c);
	return -1;
}

static int
client_events(struct client *c, unsigned int events)
{
	int r = sys_epoll_ctl(D.ep, EPOLL_CTL_MOD, c->fd, events | EPOLLRDHUP, c);

	if (r < 0) {
		log_err("Failed to change client events: %s", strerror(-r));
		client_close(c);
		return -1;
	}
	return 0;
}

static int
client_enqueue(struct client *c, const struct buf *b)
{
	struct outmsg *o;
	void *mem;
	int r;

	/* A status needs one message per session, address and user; more is a
	 * client that asks without reading. */
	if (c->out_count > 3 * (size_t)D.nofile + 16)
		return client_fail(c, LIMIT_FAIL_RESOURCE, "too many unread answers");
	r = pool_alloc(&D.outq, &mem);
	if (r < 0)
		return client_fail(c, LIMIT_FAIL_RESOURCE, "out of memory for answers");
	o = mem;
	o->len = b->len;
	memcpy(o->data, b->data, b->len);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_count++;
	return o == c->out_head ? client_events(c, EPOLLIN | EPOLLOUT) : 0;
}

/* Send M now, or queue it behind what is queued. RETURNS 0 or -1 (gone). */
int
client_send(struct client *c, const struct limit_msg *m)
{
	struct buf b;
	ssize_t n;
	int r = limit_encode(m, &b);

	if (r < 0)
		bug("limitd: cannot encode message type %u: %s", m->type, strerror(-r));
	if (c->out_head)
		return client_enqueue(c, &b);
	n = sys_send(c->fd, b.data, b.len, MSG_DONTWAIT);
	if (n == -EAGAIN)
		return client_enqueue(c, &b);
	if (n < 0) {
		client_close(c);
		return -1;
	}
	return 0;
}

static int
client_flush(struct client *c)
{
	while (c->out_head) {
		struct outmsg *o = c->out_head;
		ssize_t n = sys_send(c->fd, o->data, o->len, MSG_DONTWAIT);

		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			client_close(c);
			return -1;
		}
		c->out_head = o->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		c->out_count--;
		pool_free(&D.outq, o);
	}
	return client_events(c, EPOLLIN);
}

/*
 * Read and answer one packet; epoll is level-triggered, so a second one
 * brings us back (one read fewer per request than reading until EAGAIN).
 * RETURNS 0, or -1 when C is gone.
 */
static int
client_read(struct client *c)
{
	uint8_t pkt[LIMIT_MAX_MSG];
	ssize_t n = sys_recv_packet(c->fd, pkt, sizeof(pkt), MSG_DONTWAIT);

	if (n == -EAGAIN)
		return 0;
	if (n == -EMSGSIZE)
		return client_fail(c, LIMIT_FAIL_MALFORMED, "message longer than %d bytes",
				   LIMIT_MAX_MSG);
	if (n <= 0) {
		client_close(c);
		return -1;
	}
	return dispatch(c, pkt, (size_t)n);
}

void
client_event(struct client *c, unsigned int events)
{
	if (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		client_close(c);
		return;
	}
	if ((events & EPOLLOUT) && client_flush(c) < 0)
		return;
	if (events & EPOLLIN)
		(void)client_read(c);
}

/*
 * Sessions ask as root (before login) or as nopriv_user (the helper after
 * login, reconnecting after a restart); root and our own uid (a limitd
 * started by the user who runs miniftpd unprivileged) may do everything.
 * nopriv_user must be an account of its own (miniftpd): any process of
 * that uid can fill slots, re-register or report failed logins for any
 * address it names.
 */
static unsigned int
perm_for(uid_t uid)
{
	unsigned int perm = 0;

	if (uid == 0 || uid == D.self_uid)
		perm |= PERM_SESSION | PERM_STATUS;
	if (D.have_nopriv && uid == D.nopriv_uid)
		perm |= PERM_SESSION;
	return perm;
}

static void
client_new(int fd)
{
	struct client *c;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	void *mem;
	int r = sys_peercred(fd, &pid, &uid, &gid);

	if (r == 0)
		r = pool_alloc(&D.clients, &mem);
	if (r < 0) {
		log_warning("Failed to set up a new client: %s, dropping it", strerror(-r));
		sys_close(fd);
		return;
	}
	c = mem;
	c->fd = fd;
	c->pid = pid;
	c->uid = uid;
	c->perm = perm_for(uid);
	D.nclients++;
	if (c->perm == 0) {
		client_fail(c, LIMIT_FAIL_PERM, "uid %u may not use limitd", (unsigned int)uid);
		return;
	}
	r = sys_epoll_ctl(D.ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, c);
	if (r < 0) {
		log_err("Failed to watch a new client: %s, dropping it", strerror(-r));
		client_close(c);
		return;
	}
	/* A session sends ADMIT right after connect: answer it now, not a round later. */
	(void)client_read(c);
}

static void
pause_listening(int ms, int err)
{
	if (!D.paused)
		log_warning("Not accepting connections for now (%zu clients, limit %ld descriptors)%s%s",
			    D.nclients, D.nofile, err ? ": " : "", err ? strerror(err) : "");
	set_listening(false);
	D.resume_at = ms ? sys_now_ms() + ms : LLONG_MAX;
}

void
listener_ready(void)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd;

		if (!can_accept()) {
			pause_listening(0, 0);
			return;
		}
		fd = sys_accept_nb(D.listen_fd);
		if (fd == -EAGAIN)
			return;
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
			pause_listening(PAUSE_MS, -fd);
			return;
		}
		if (fd >= 0)
			client_new(fd);
	}
}
