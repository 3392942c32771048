/*
 * limitd_handlers.c - the requests limitd answers (ADMIT, LOGIN,
 * LOGIN_FAIL, STATUS), one table and one handler each, and the store's
 * answers to the questions they queued.  See limitd.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "limitcluster.h"
#include "limitd.h"
#include "str.h"
#include "sysutil.h"

/* A request limitd answers: who may send it, in which state. */
struct request {
	uint16_t type;
	unsigned int perm;
	unsigned int need;	/* state bits that must be set */
	unsigned int refuse;	/* state bits that must be clear */
	int (*handle)(struct client *c, const struct limit_msg *m);
	const char *name;
};

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

/* With a store, the local tables only record: the store judged. */
static const struct limit_limits unlimited;

/* The store is configured but unreachable, and limitd_fail=closed. */
static bool
store_down_closed(void)
{
	return !limit_cluster_up() && strcmp(D.cfg.limitd_fail, "closed") == 0;
}

/* This host's tables and limits alone; with a store configured, limitd_fail's choice. */
static int
admit_alone(struct client *c, const struct limit_addr *addr)
{
	if (limit_cluster_enabled() && store_down_closed())
		return LIMIT_V_TOTAL;
	if (blocked(addr))
		return LIMIT_V_BLOCKED;
	return limit_tab_admit(&D.tab, &D.lim, &c->sess, addr, (uint32_t)c->pid,
			       (uint32_t)c->uid, sys_time());
}

/* The store admitted: record it locally, or take it back. */
static int
admit_recorded(struct client *c, const struct limit_addr *addr)
{
	int v = limit_tab_admit(&D.tab, &unlimited, &c->sess, addr, (uint32_t)c->pid,
				(uint32_t)c->uid, sys_time());

	if (v != LIMIT_V_ADMIT)
		limit_cluster_release(addr, NULL);
	return v;
}

static int
admit_reply(struct client *c, const struct limit_addr *addr, bool again, int v)
{
	char a[LIMIT_ADDR_STR];

	if (v < 0)
		return client_fail(c, LIMIT_FAIL_RESOURCE, "cannot admit: %s", strerror(-v));
	if (v == LIMIT_V_ADMIT)
		c->state |= CL_ADMITTED;
	if (v != LIMIT_V_ADMIT || again)
		limit_addr_str(addr, a);	/* the common case logs nothing */
	if (v != LIMIT_V_ADMIT)
		log_notice("Refused %ssession pid %d from %s: %s", again ? "to register again " : "",
			   (int)c->pid, a, limit_verdict_name((uint32_t)v));
	else if (again)
		log_info("Session pid %d from %s registered again", (int)c->pid, a);
	return send_verdict(c, v);
}

static void
admit_answered(struct client *c, const struct client_wait *w, long v)
{
	if (v == -ENOTCONN)
		v = admit_alone(c, &w->addr);
	else if (v == LIMIT_V_ADMIT)
		v = admit_recorded(c, &w->addr);
	(void)admit_reply(c, &w->addr, w->again, (int)v);
}

/*
 * C's record of a question going to the store, or NULL (then the caller
 * judges alone: it is asked only with a store configured).
 */
static struct client_wait *
wait_new(struct client *c)
{
	void *mem;

	if (!limit_cluster_enabled() || pool_alloc(&D.waits, &mem) < 0)
		return NULL;
	c->wait = mem;
	return c->wait;
}

/* The question was not queued after all. */
static void
wait_drop(struct client *c)
{
	pool_free(&D.waits, c->wait);
	c->wait = NULL;
}

/*
 * A re-registration (a live session after a limitd restart, or one
 * admitted while limitd was down) is an admission like any other: were
 * it forced, a process with the session uid could pass every limit.
 * With a store, the question is queued: the questions of one turn of
 * the event loop share the round trip (store_answered gets the answer).
 */
static int
handle_admit(struct client *c, const struct limit_msg *m)
{
	bool again = m->u.admit.flags & LIMIT_F_REREGISTER;

	struct client_wait *w = wait_new(c);

	if (w && limit_cluster_admit_queue(&m->u.admit.addr, &D.lim, D.fpol.max, c) == 0) {
		c->state |= CL_WAITING;
		w->addr = m->u.admit.addr;
		w->again = again;
		return 0;
	}
	wait_drop(c);
	return admit_reply(c, &m->u.admit.addr, again, admit_alone(c, &m->u.admit.addr));
}

/*
 * This host alone.  With a store configured but unreachable and
 * limitd_fail=closed, a login is refused like a new session: the farm's
 * max_per_user and bans cannot be checked (SECURITY.md, "The store down").
 */
static int
login_alone(struct client *c, const char *user)
{
	if (limit_cluster_enabled() && store_down_closed())
		return LIMIT_V_TOTAL;
	return blocked(c->sess.addr) ? LIMIT_V_BLOCKED :
		limit_tab_login(&D.tab, &D.lim, &c->sess, user);
}

static int
login_reply(struct client *c, const char *user, bool again, int v)
{
	if (v == -EALREADY)
		return client_fail(c, LIMIT_FAIL_STATE, "already logged in");
	if (v < 0)
		return client_fail(c, LIMIT_FAIL_RESOURCE, "cannot record login: %s", strerror(-v));
	if (v == LIMIT_V_ADMIT)
		c->state |= CL_LOGGED_IN;
	else
		log_notice("Refused %slogin of %s for session pid %d: %s%s",
			   again ? "to register again the " : "", user, (int)c->pid,
			   limit_verdict_name((uint32_t)v),
			   limit_cluster_enabled() && store_down_closed() ?
			   " (cluster store unreachable, limitd_fail=closed)" : "");
	return send_verdict(c, v);
}

/* The store judged the login: record it locally, or refuse. */
static void
login_answered(struct client *c, const struct client_wait *w, long v)
{
	if (v == -ENOTCONN)
		v = login_alone(c, w->user);
	else if (v == LIMIT_V_ADMIT) {
		v = limit_tab_login(&D.tab, &unlimited, &c->sess, w->user);
		if (v != LIMIT_V_ADMIT)
			limit_cluster_release(NULL, w->user);
	}
	(void)login_reply(c, w->user, w->again, (int)v);
}

/* The store judges while it answers (queued, as admissions), this host alone otherwise. */
static int
handle_login(struct client *c, const struct limit_msg *m)
{
	bool again = m->u.login.flags & LIMIT_F_REREGISTER;
	const char *user = m->u.login.user;

	struct client_wait *w = limit_user_valid(user) ? wait_new(c) : NULL;

	if (w && limit_cluster_login_queue(c->sess.addr, user, &D.lim, D.fpol.max, c) == 0) {
		c->state |= CL_WAITING;
		str_lcpy(w->user, user, sizeof(w->user));
		w->again = again;
		return 0;
	}
	wait_drop(c);
	return login_reply(c, user, again, login_alone(c, user));
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

/* N failed logins counted for C's address; BLOCKED once it reaches the limit. */
static int
fail_reply(struct client *c, long n)
{
	const struct limit_addr *addr = c->sess.addr;
	char a[LIMIT_KEY_STR];

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

static void
fail_answered(struct client *c, const struct client_wait *w, long n)
{
	(void)w;
	if (n == -ENOTCONN)
		n = limit_fails_add(&D.fails, &D.fpol, c->sess.addr, sys_time());
	(void)fail_reply(c, n);
}

/* One failed login from the session's address (admitted: see requests[]). */
static int
handle_login_fail(struct client *c, const struct limit_msg *m)
{
	(void)m;
	if (D.fpol.max == 0)
		return send_verdict(c, LIMIT_V_ADMIT);
	if (limit_cluster_fail_queue(c->sess.addr, D.fpol.forget, c) == 0) {
		c->state |= CL_WAITING;
		return 0;
	}
	return fail_reply(c, limit_fails_add(&D.fails, &D.fpol, c->sess.addr, sys_time()));
}

/* The answers to queued questions, by question. */
static void (*const answers[])(struct client *c, const struct client_wait *w, long answer) = {
	[LIMIT_Q_ADMIT] = admit_answered,
	[LIMIT_Q_LOGIN] = login_answered,
	[LIMIT_Q_FAIL] = fail_answered,
};

void
store_answered(void *cookie, enum limit_q op, long answer)
{
	struct client *c = cookie;
	struct client_wait w = { .again = false };

	if (op >= sizeof(answers) / sizeof(answers[0]) || answers[op] == NULL)
		bug("limitd: an answer to question %d has no asker", (int)op);
	if (c->wait)		/* a copy: the answer may close C */
		w = *c->wait;
	wait_drop(c);
	c->state &= ~CL_WAITING;
	answers[op](c, &w, answer);
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
	h->pid = (uint32_t)sys_getpid();
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
	{ LIMIT_REQ_ADMIT,  PERM_SESSION, 0, CL_ADMITTED | CL_WAITING, handle_admit, "ADMIT" },
	{ LIMIT_REQ_LOGIN,  PERM_SESSION, CL_ADMITTED, CL_LOGGED_IN | CL_WAITING, handle_login,
	  "LOGIN" },
	{ LIMIT_REQ_LOGIN_FAIL, PERM_SESSION, CL_ADMITTED, CL_LOGGED_IN | CL_WAITING,
	  handle_login_fail, "LOGIN_FAIL" },
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

int
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
