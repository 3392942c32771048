/*
 * limitd.c - the connection-limit daemon: argv, listening socket, epoll
 * loop, per-client state.  Counting lives in limittab.c, the wire format
 * in limitproto.c, --status in limitstat.c.  See man/limitd.8.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "defs.h"
#include "limitfail.h"
#include "limitproto.h"
#include "limitstat.h"
#include "limittab.h"
#include "log.h"
#include "mempool.h"
#include "str.h"
#include "sysutil.h"

/* Descriptors kept free beyond the clients: logging, reload, epoll. */
#define FD_RESERVE		32
#define MAX_EVENTS		128
#define ACCEPTS_PER_WAKEUP	64
/* After EMFILE/ENFILE/ENOMEM from accept, listen again after this. */
#define PAUSE_MS		1000
#define STATUS_TIMEOUT_MS	5000
#define MAX_OVERRIDES		256
#define LISTEN_BACKLOG		4096
/* Packets read and discarded from a client that is being dropped. */
#define MAX_DRAIN		64

enum { PERM_SESSION = 1, PERM_STATUS = 2 };
enum { CL_ADMITTED = 1, CL_LOGGED_IN = 2 };

struct outmsg {
	struct outmsg *next;
	size_t len;
	uint8_t data[LIMIT_MAX_MSG];
};

/* One connection; the session record is limittab's while admitted. */
struct client {
	struct limit_session sess;
	struct outmsg *out_head, *out_tail;
	int fd;
	pid_t pid;		/* the peer's, from SO_PEERCRED */
	uid_t uid;
	uint32_t out_count;	/* messages queued */
	uint8_t perm;		/* PERM_*, from the peer's uid */
	uint8_t state;		/* CL_* */
};

/* A request limitd answers: who may send it, in which state. */
struct request {
	uint16_t type;
	unsigned int perm;
	unsigned int need;	/* state bits that must be set */
	unsigned int refuse;	/* state bits that must be clear */
	int (*handle)(struct client *c, const struct limit_msg *m);
	const char *name;
};

static struct {
	struct config cfg;
	struct limit_limits lim;
	struct limit_tab tab;
	struct limit_fails fails;	/* failed logins per address */
	struct limit_fail_policy fpol;
	long long fails_full_logged;	/* when "table full" was last logged */
	struct pool clients, outq;
	int ep, listen_fd;
	bool paused;
	long long resume_at;	/* LLONG_MAX: when a client goes */
	long nofile;
	size_t nclients;
	uid_t self_uid, nopriv_uid;
	bool have_nopriv;
	long long started;
	char *own_socket;	/* the path we bound, to unlink at exit */
	sigset_t waitmask;	/* signals deliverable while waiting */
} D;

static const char *arg_config = DEFAULT_CONFIG_FILE;
static bool arg_named, arg_status, arg_json;
static char *arg_overrides[MAX_OVERRIDES];
static size_t arg_novr;

static volatile sig_atomic_t got_hup, got_term;

static void
on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* --- clients --- */

static void
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

static void
client_close(struct client *c)
{
	if (c->state & CL_ADMITTED)
		limit_tab_release(&D.tab, &c->sess);
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
static int PRINTF(3, 4)
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
static int
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

/* --- requests --- */

static int
send_verdict(struct client *c, int verdict)
{
	struct limit_msg m = { .type = LIMIT_ANS_VERDICT, .u.verdict = (uint32_t)verdict };

	return client_send(c, &m);
}

/* The address failed max_login_fails_per_ip logins not long ago. */
static bool
blocked(const struct limit_addr *addr)
{
	return limit_fails_blocked(&D.fails, &D.fpol, addr, sys_time());
}

/*
 * A re-registration (a live session after a limitd restart, or one
 * admitted while limitd was down) is an admission like any other: were
 * it forced, a process with the session uid could pass every limit.
 */
static int
handle_admit(struct client *c, const struct limit_msg *m)
{
	bool again = m->u.admit.flags & LIMIT_F_REREGISTER;
	char a[LIMIT_ADDR_STR];
	int v;

	if (blocked(&m->u.admit.addr))
		v = LIMIT_V_BLOCKED;
	else
		v = limit_tab_admit(&D.tab, &D.lim, &c->sess, &m->u.admit.addr,
				    (uint32_t)c->pid, (uint32_t)c->uid, sys_time());
	if (v < 0)
		return client_fail(c, LIMIT_FAIL_RESOURCE, "cannot admit: %s", strerror(-v));
	if (v == LIMIT_V_ADMIT)
		c->state |= CL_ADMITTED;
	if (v != LIMIT_V_ADMIT || again)
		limit_addr_str(&m->u.admit.addr, a);	/* the common case logs nothing */
	if (v != LIMIT_V_ADMIT)
		log_notice("Refused %ssession pid %d from %s: %s", again ? "to register again " : "",
			   (int)c->pid, a, limit_verdict_name((uint32_t)v));
	else if (again)
		log_info("Session pid %d from %s registered again", (int)c->pid, a);
	return send_verdict(c, v);
}

static int
handle_login(struct client *c, const struct limit_msg *m)
{
	bool again = m->u.login.flags & LIMIT_F_REREGISTER;
	int v = blocked(c->sess.addr) ? LIMIT_V_BLOCKED :
		limit_tab_login(&D.tab, &D.lim, &c->sess, m->u.login.user);

	if (v == -EALREADY)
		return client_fail(c, LIMIT_FAIL_STATE, "already logged in");
	if (v < 0)
		return client_fail(c, LIMIT_FAIL_RESOURCE, "cannot record login: %s", strerror(-v));
	if (v == LIMIT_V_ADMIT)
		c->state |= CL_LOGGED_IN;
	else
		log_notice("Refused %slogin of %s for session pid %d: %s",
			   again ? "to register again the " : "", m->u.login.user,
			   (int)c->pid, limit_verdict_name((uint32_t)v));
	return send_verdict(c, v);
}

static void
log_fails_full(int err)
{
	long long now = sys_now_ms();

	if (now - D.fails_full_logged < 60000 && D.fails_full_logged != 0)
		return;
	D.fails_full_logged = now;
	log_warning("Failed to track a failed login: %s (%zu addresses tracked), ignoring",
		    strerror(-err), limit_fails_count(&D.fails));
}

/* One failed login from the session's address; BLOCKED once it reaches the limit. */
static int
handle_login_fail(struct client *c, const struct limit_msg *m)
{
	const struct limit_addr *addr = c->sess.addr;	/* admitted: see requests[] */
	char a[LIMIT_KEY_STR];
	long n;

	(void)m;
	if (D.fpol.max == 0)
		return send_verdict(c, LIMIT_V_ADMIT);
	n = limit_fails_add(&D.fails, &D.fpol, addr, sys_time());
	if (n < 0) {
		log_fails_full((int)n);
		return send_verdict(c, LIMIT_V_ADMIT);
	}
	if ((unsigned long)n < D.fpol.max)
		return send_verdict(c, LIMIT_V_ADMIT);
	limit_key_str(addr, D.fails.prefix6, a);
	if ((unsigned long)n == D.fpol.max)
		log_notice("Blocking %s for %lus: %ld failed logins", a, D.fpol.forget, n);
	return send_verdict(c, LIMIT_V_BLOCKED);
}

static uint32_t
clamp32(unsigned long v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int
status_head(struct client *c)
{
	struct limit_msg m = { .type = LIMIT_ANS_STATUS_HEAD };
	struct limit_status_head *h = &m.u.head;

	h->sessions = clamp32(limit_tab_sessions(&D.tab));
	h->addresses = clamp32(limit_tab_addresses(&D.tab));
	h->users = clamp32(limit_tab_users(&D.tab));
	h->max_clients = clamp32(D.lim.max_clients);
	h->max_per_ip = clamp32(D.lim.max_per_ip);
	h->max_per_user = clamp32(D.lim.max_per_user);
	h->prefix6 = D.tab.prefix6;
	h->pid = (uint32_t)getpid();
	h->started = (uint64_t)D.started;
	return client_send(c, &m);
}

static int
status_records(struct client *c)
{
	struct limit_msg m;
	const struct limit_session *s = NULL;
	struct hash_iter it;
	int r = 0;

	hash_iter_init(&it);
	m.type = LIMIT_ANS_STATUS_ADDR;
	for (const struct limit_addr *a; r == 0 && limit_tab_next_addr(&D.tab, &it, &a, &m.u.addr.count);) {
		m.u.addr.addr = *a;
		r = client_send(c, &m);
	}
	hash_iter_init(&it);
	m.type = LIMIT_ANS_STATUS_USER;
	for (const char *u; r == 0 && limit_tab_next_user(&D.tab, &it, &u, &m.u.user.count);) {
		str_lcpy(m.u.user.user, u, sizeof(m.u.user.user));
		r = client_send(c, &m);
	}
	m.type = LIMIT_ANS_STATUS_SESSION;
	while (r == 0 && (s = limit_tab_next_session(&D.tab, s)) != NULL) {
		memset(&m.u.session, 0, sizeof(m.u.session));
		m.u.session.pid = s->pid;
		m.u.session.uid = s->uid;
		m.u.session.addr = *s->addr;
		m.u.session.since = (uint64_t)s->since;
		if (s->user)
			str_lcpy(m.u.session.user, s->user, sizeof(m.u.session.user));
		r = client_send(c, &m);
	}
	return r;
}

/* The whole snapshot is queued at once: the tables may change later. */
static int
handle_status(struct client *c, const struct limit_msg *req)
{
	struct limit_msg end = { .type = LIMIT_ANS_STATUS_END };

	(void)req;
	if (c->out_head)
		return client_fail(c, LIMIT_FAIL_STATE, "previous status not read yet");
	if (status_head(c) < 0 || status_records(c) < 0)
		return -1;
	return client_send(c, &end);
}

static const struct request requests[] = {
	{ LIMIT_REQ_ADMIT,  PERM_SESSION, 0, CL_ADMITTED, handle_admit, "ADMIT" },
	{ LIMIT_REQ_LOGIN,  PERM_SESSION, CL_ADMITTED, CL_LOGGED_IN, handle_login, "LOGIN" },
	{ LIMIT_REQ_LOGIN_FAIL, PERM_SESSION, CL_ADMITTED, CL_LOGGED_IN, handle_login_fail,
	  "LOGIN_FAIL" },
	{ LIMIT_REQ_STATUS, PERM_STATUS, 0, 0, handle_status, "STATUS" },
};

static const struct request *
find_request(uint16_t type)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].type == type)
			return &requests[i];
	return NULL;
}

static int
dispatch(struct client *c, const uint8_t *pkt, size_t len)
{
	const struct request *req;
	struct limit_msg m;
	int r = limit_decode(pkt, len, &m);

	if (r == -EPROTONOSUPPORT)
		return client_fail(c, LIMIT_FAIL_VERSION,
				   "protocol version %u not supported, limitd speaks version %u",
				   m.version, LIMIT_PROTO_VERSION);
	if (r < 0)
		return client_fail(c, LIMIT_FAIL_MALFORMED, "cannot decode %zu bytes (type %u)",
				   len, m.type);
	req = find_request(m.type);
	if (req == NULL)
		return client_fail(c, LIMIT_FAIL_MALFORMED, "message type %u is not a request", m.type);
	if (!(c->perm & req->perm))
		return client_fail(c, LIMIT_FAIL_PERM, "uid %u may not send %s",
				   (unsigned int)c->uid, req->name);
	if ((c->state & req->need) != req->need || (c->state & req->refuse))
		return client_fail(c, LIMIT_FAIL_STATE, "%s not allowed now", req->name);
	return req->handle(c, &m);
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

static void
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

static void
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

/* --- setup --- */

static void
resolve_nopriv(void)
{
	int r = sys_user_uid(D.cfg.nopriv_user, &D.nopriv_uid);

	D.have_nopriv = r == 0;
	if (r < 0)
		log_warning("nopriv_user %s not found (%s): only uid 0 and uid %u may ask for admission",
			    D.cfg.nopriv_user, strerror(-r), (unsigned int)D.self_uid);
}

static void
set_limits(void)
{
	D.lim.max_clients = D.cfg.max_clients;
	D.lim.max_per_ip = D.cfg.max_per_ip;
	D.lim.max_per_user = D.cfg.max_per_user;
	D.fpol.max = D.cfg.max_login_fails_per_ip;
	D.fpol.forget = D.cfg.login_fail_block_time;
}

static int
listen_systemd(void)
{
	int n = sd_listen_fds(1);

	if (n < 0)
		die("Failed to take sockets from systemd: %s", strerror(-n));
	if (n == 0)
		return -1;
	if (n != 1)
		die("Expected one socket from systemd, got %d", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_SEQPACKET, 1, NULL, 0) <= 0)
		die("The socket from systemd is not a listening SOCK_SEQPACKET UNIX socket "
		    "(ListenSequentialPacket= in limitd.socket)");
	return SD_LISTEN_FDS_START;
}

/* mkdir -p for the socket's directory; root-owned 0755 when we are root. */
static void
make_parent(const char *path)
{
	char dir[PATH_MAX];

	if (str_lcpy(dir, path, sizeof(dir)) < 0)
		die("limitd_socket %s: path too long", path);
	for (char *p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		int r;

		*p = '\0';
		r = sys_mkdir(dir, 0755);
		if (r < 0 && r != -EEXIST)
			die("Failed to create directory %s: %s", dir, strerror(-r));
		*p = '/';
	}
}

/* A socket file left by a dead limitd is removed; a live one is an error. */
static void
remove_stale(const char *path)
{
	mode_t mode;
	int fd, r = sys_lstat_mode(path, &mode);

	if (r == -ENOENT)
		return;
	if (r < 0)
		die("Failed to inspect %s: %s", path, strerror(-r));
	if (!S_ISSOCK(mode))
		die("%s exists and is not a socket, refusing to replace it", path);
	fd = sys_unix_connect(path, SOCK_SEQPACKET);
	if (fd >= 0) {
		sys_close(fd);
		die("Another limitd is listening on %s", path);
	}
	r = sys_unlink(path);
	if (r < 0 && r != -ENOENT)
		die("Failed to remove stale socket %s: %s", path, strerror(-r));
}

static int
listen_own(const char *path)
{
	int fd, r;

	if (path[0] != '/')
		die("limitd_socket must be an absolute path, not %s", path);
	make_parent(path);
	remove_stale(path);
	fd = sys_unix_listen(path, SOCK_SEQPACKET, LISTEN_BACKLOG);
	if (fd < 0)
		die("Failed to listen on %s: %s", path, strerror(-fd));
	/* Anyone may connect: the permission check is SO_PEERCRED's uid. */
	r = sys_chmod(path, 0666);
	if (r < 0)
		die("Failed to chmod %s: %s", path, strerror(-r));
	D.own_socket = xstrdup(path);
	return fd;
}

static void
setup_signals(void)
{
	sigset_t set;

	sys_signal(SIGHUP, on_hup);
	sys_signal(SIGTERM, on_term);
	sys_signal(SIGINT, on_term);
	sys_signal(SIGPIPE, SIG_IGN);
	/* Blocked except inside epoll_pwait: no flag is missed between checks. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sys_sigmask(SIG_BLOCK, &set, &D.waitmask);
}

static void
setup(void)
{
	int r;

	D.started = sys_time();
	D.self_uid = getuid();
	resolve_nopriv();
	set_limits();
	D.nofile = sys_raise_nofile();
	if (D.nofile < 0) {
		log_warning("Failed to raise RLIMIT_NOFILE: %s, ignoring", strerror((int)-D.nofile));
		D.nofile = 1024;
	}
	r = limit_tab_init(&D.tab, (size_t)D.nofile, (unsigned int)D.cfg.max_per_ip_prefix6);
	if (r == 0)
		r = limit_fails_init(&D.fails, LIMIT_FAILS_MAX,
				     (unsigned int)D.cfg.max_per_ip_prefix6);
	if (r == 0)
		r = pool_init(&D.clients, sizeof(struct client), 0, (size_t)D.nofile);
	if (r == 0)
		r = pool_init(&D.outq, sizeof(struct outmsg), 0, 0);
	if (r < 0)
		die("Failed to set up tables: %s", strerror(-r));
	D.ep = sys_epoll_create();
	if (D.ep < 0)
		die("Failed to create epoll instance: %s", strerror(-D.ep));
	D.listen_fd = listen_systemd();
	if (D.listen_fd < 0)
		D.listen_fd = listen_own(D.cfg.limitd_socket);
	r = sys_set_nonblock(D.listen_fd);
	if (r == 0)
		r = sys_epoll_ctl(D.ep, EPOLL_CTL_ADD, D.listen_fd, EPOLLIN, NULL);
	if (r < 0)
		die("Failed to watch the listening socket: %s", strerror(-r));
	setup_signals();
}

static void
reload(void)
{
	struct config n;
	char err[CFG_ERR_MAX];

	if (cfg_load(&n, arg_config, arg_named, arg_overrides, arg_novr, err) < 0) {
		log_err("Failed to reload configuration: %s, keeping the old one", err);
		cfg_free(&n);
		return;
	}
	if (strcmp(n.limitd_socket, D.cfg.limitd_socket) != 0)
		log_warning("limitd_socket changed to %s: takes effect at restart, ignoring",
			    n.limitd_socket);
	if (n.max_per_ip_prefix6 != D.tab.prefix6)	/* the tables' keys depend on it */
		log_warning("max_per_ip_prefix6 changed to %lu: takes effect at restart, ignoring",
			    n.max_per_ip_prefix6);
	cfg_free(&D.cfg);
	D.cfg = n;
	set_limits();
	resolve_nopriv();
	log_notice("Reloaded %s: max_clients=%lu max_per_ip=%lu max_per_user=%lu",
		   arg_config, D.lim.max_clients, D.lim.max_per_ip, D.lim.max_per_user);
}

static int
wait_timeout(void)
{
	long long left;

	if (!D.paused || D.resume_at == LLONG_MAX)
		return -1;
	left = D.resume_at - sys_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static void
main_loop(void)
{
	struct epoll_event ev[MAX_EVENTS];

	while (!got_term) {
		int n;

		if (got_hup) {
			got_hup = 0;
			reload();
		}
		if (D.paused && D.resume_at != LLONG_MAX && sys_now_ms() >= D.resume_at)
			set_listening(true);
		n = sys_epoll_wait(D.ep, ev, MAX_EVENTS, wait_timeout(), &D.waitmask);
		if (n == -EINTR)
			continue;
		if (n < 0)
			die("Failed to wait for events: %s", strerror(-n));
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == NULL)
				listener_ready();
			else
				client_event(ev[i].data.ptr, ev[i].events);
		}
	}
}

static int
run_daemon(void)
{
	log_open("limitd", D.cfg.syslog_enable);
	log_set_prefix("limitd");
	setup();
	sd_notifyf(0, "READY=1\nSTATUS=Listening, max_clients=%lu max_per_ip=%lu max_per_user=%lu",
		   D.lim.max_clients, D.lim.max_per_ip, D.lim.max_per_user);
	log_notice("Started on %s: max_clients=%lu max_per_ip=%lu (IPv6 per /%u) max_per_user=%lu, "
		   "%ld descriptors", D.own_socket ? D.own_socket : "the socket from systemd",
		   D.lim.max_clients, D.lim.max_per_ip, D.tab.prefix6, D.lim.max_per_user, D.nofile);
	main_loop();
	sd_notify(0, "STOPPING=1");
	log_notice("Stopping with %zu sessions held", limit_tab_sessions(&D.tab));
	if (D.own_socket)
		sys_unlink(D.own_socket);
	return EXIT_SUCCESS;
}

/* --- main --- */

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: limitd [CONFIG] [-oKEY=VALUE]...\n"
		"       limitd --status [--json] [CONFIG] [-oKEY=VALUE]...\n"
		"Connection-limit daemon for miniftpd (default CONFIG %s).\n",
		DEFAULT_CONFIG_FILE);
}

static const struct {
	const char *name;
	bool *flag;
} flags[] = {
	{ "--status", &arg_status },
	{ "--json", &arg_json },
};

static bool
parse_flag(const char *a)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(a, flags[i].name) == 0) {
			*flags[i].flag = true;
			return true;
		}
	return false;
}

static int
parse_argv(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];

		if (parse_flag(a))
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(EXIT_SUCCESS);
		}
		if (strcmp(a, "--version") == 0) {
			printf("limitd (miniftpd) %s\n", MINIFTPD_VERSION);
			exit(EXIT_SUCCESS);
		}
		if (strncmp(a, "-o", 2) == 0) {
			if (a[2] == '\0' && ++i >= argc)
				return -1;
			if (arg_novr == MAX_OVERRIDES)
				return -1;
			arg_overrides[arg_novr++] = a[2] ? a + 2 : argv[i];
		} else if (a[0] == '-' || arg_named)
			return -1;
		else {
			arg_config = a;
			arg_named = true;
		}
	}
	return arg_json && !arg_status ? -1 : 0;
}

int
main(int argc, char **argv)
{
	char err[CFG_ERR_MAX];

	if (parse_argv(argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	if (cfg_load(&D.cfg, arg_config, arg_named, arg_overrides, arg_novr, err) < 0) {
		fprintf(stderr, "limitd: %s\n", err);
		return EXIT_FAILURE;
	}
	if (arg_status)
		return limit_status_run(D.cfg.limitd_socket, arg_json, STATUS_TIMEOUT_MS, stdout);
	return run_daemon();
}
