/*
 * limitclient.c - a session's side of limitd; see limitclient.h.
 *
 * One connection per session, held by the helper.  If it breaks after
 * admission (limitd restarted), the session goes on and reconnects every
 * LIMIT_RETRY_MS, up to LIMIT_RETRY_MAX times, registering its address
 * (and user) again with LIMIT_F_REREGISTER.  limitd checks that like any
 * admission: when it refuses (the limits are lower now, or new sessions
 * took the slots first) the session ends, since going on uncounted
 * would let the sessions exceed the limits.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "limitclient.h"
#include "limitproto.h"
#include "log.h"
#include "str.h"
#include "sysutil.h"

#define LIMIT_REPLY_TIMEOUT_MS	2000
#define LIMIT_RETRY_MS		1000
#define LIMIT_RETRY_MAX		60

static struct {
	int fd;			/* held connection, or -1 */
	bool uncountable;	/* the address cannot be counted: never asks */
	bool pending;		/* reconnect and register when retry_at passes */
	bool logged_in;		/* USER below is to be (re-)registered */
	struct limit_addr addr;
	char user[MAX_USER_NAME + 1];
	long long retry_at;
	unsigned int retries;
} lc = { .fd = -1 };

/* Wait for one packet until DEADLINE (monotonic ms). RETURNS length or -errno. */
static ssize_t
recv_until(int fd, uint8_t *pkt, size_t len, long long deadline)
{
	for (;;) {
		long long left = deadline - sys_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = sys_poll_in(fd, left > INT_MAX ? INT_MAX : (int)left);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
		return sys_recv_packet(fd, pkt, len, 0);
	}
}

/* Send REQ on FD and read the verdict. RETURNS a LIMIT_V_* value or -errno. */
static int
call(int fd, const struct limit_msg *req)
{
	uint8_t pkt[LIMIT_MAX_MSG];
	struct limit_msg ans;
	struct buf b;
	ssize_t n;
	int r = limit_encode(req, &b);

	if (r < 0)
		return r;
	n = sys_send(fd, b.data, b.len, 0);
	if (n >= 0)
		n = recv_until(fd, pkt, sizeof(pkt), sys_now_ms() + LIMIT_REPLY_TIMEOUT_MS);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return (int)n;
	r = limit_decode(pkt, (size_t)n, &ans);
	if (r < 0)
		return r;
	if (ans.type == LIMIT_ANS_FAIL) {
		log_err("limitd refused the request: %s: %s",
			limit_fail_name(ans.u.fail.code), ans.u.fail.reason);
		return -EPROTO;
	}
	return ans.type == LIMIT_ANS_VERDICT ? (int)ans.u.verdict : -EPROTO;
}

static int
send_admit(int fd, uint8_t flags)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT };

	m.u.admit.flags = flags;
	m.u.admit.addr = lc.addr;
	return call(fd, &m);
}

static int
send_login(int fd, uint8_t flags)
{
	struct limit_msg m = { .type = LIMIT_REQ_LOGIN };

	m.u.login.flags = flags;
	memcpy(m.u.login.user, lc.user, sizeof(m.u.login.user));
	return call(fd, &m);
}

static void
schedule_reconnect(long long delay_ms)
{
	lc.pending = true;
	lc.retries = 0;
	lc.retry_at = sys_now_ms() + delay_ms;
}

/* limitd could not be asked: limitd_fail decides. */
static enum limit_verdict
unreachable(const struct config *cfg, const char *why, int err)
{
	if (strcmp(cfg->limitd_fail, "closed") == 0) {
		log_err("Failed to ask limitd at %s (%s: %s), refusing the session (limitd_fail=closed)",
			cfg->limitd_socket, why, strerror(-err));
		return LIMIT_V_DOWN;
	}
	log_warning("Failed to ask limitd at %s (%s: %s), admitting the session (limitd_fail=open)",
		    cfg->limitd_socket, why, strerror(-err));
	schedule_reconnect(LIMIT_RETRY_MS);
	return LIMIT_V_ADMIT;
}

enum limit_verdict
limit_admit(const struct config *cfg, const struct sockaddr_storage *peer)
{
	int fd, v;

	if (!cfg->limitd_enable)
		return LIMIT_V_ADMIT;
	if (limit_addr_from_sockaddr(peer, &lc.addr) < 0) {
		log_warning("Client address family %d cannot be counted, admitting",
			    peer->ss_family);
		lc.uncountable = true;
		return LIMIT_V_ADMIT;
	}
	fd = sys_unix_connect(cfg->limitd_socket, SOCK_SEQPACKET);
	if (fd < 0)
		return unreachable(cfg, "connect", fd);
	v = send_admit(fd, 0);
	if (v < 0) {
		sys_close(fd);
		return unreachable(cfg, "admit", v);
	}
	if (v != LIMIT_V_ADMIT) {
		sys_close(fd);
		log_notice("limitd refused the session: %s", limit_verdict_name((uint32_t)v));
		return (enum limit_verdict)v;
	}
	lc.fd = fd;
	return LIMIT_V_ADMIT;
}

/* The held connection broke: go on uncounted until re-registered. */
static void
lost(const char *why, int err)
{
	log_warning("Lost the connection to limitd (%s: %s), reconnecting", why, strerror(-err));
	lc.fd = sys_close(lc.fd);
	schedule_reconnect(0);
}

/* A login limitd cannot be asked about: limitd_fail decides (open: the
 * login is registered with the address once limitd is back). */
static enum limit_verdict
login_unreachable(const struct config *cfg, const char *user)
{
	if (strcmp(cfg->limitd_fail, "closed") == 0) {
		log_err("limitd at %s unreachable, refusing the login of %s (limitd_fail=closed)",
			cfg->limitd_socket, user);
		return LIMIT_V_DOWN;
	}
	lc.logged_in = true;
	return LIMIT_V_ADMIT;
}

enum limit_verdict
limit_login(const struct config *cfg, const char *user)
{
	int v;

	if (!cfg->limitd_enable)
		return LIMIT_V_ADMIT;
	if (str_lcpy(lc.user, user, sizeof(lc.user)) < 0 || !limit_user_valid(lc.user)) {
		log_warning("User name cannot be reported to limitd, max_per_user not applied");
		return LIMIT_V_ADMIT;
	}
	if (lc.uncountable)
		return LIMIT_V_ADMIT;
	if (lc.fd < 0)
		return login_unreachable(cfg, user);
	v = send_login(lc.fd, 0);
	if (v < 0) {
		lost("login", v);
		return login_unreachable(cfg, user);
	}
	if (v != LIMIT_V_ADMIT) {
		log_notice("limitd refused the login of %s: %s", user,
			   limit_verdict_name((uint32_t)v));
		return (enum limit_verdict)v;
	}
	lc.logged_in = true;
	return LIMIT_V_ADMIT;
}

enum limit_verdict
limit_login_failed(const struct config *cfg)
{
	struct limit_msg m = { .type = LIMIT_REQ_LOGIN_FAIL };
	int v;

	if (!cfg->limitd_enable || lc.fd < 0)
		return LIMIT_V_ADMIT;
	v = call(lc.fd, &m);
	if (v < 0) {
		lost("login failure", v);
		return LIMIT_V_ADMIT;
	}
	return (enum limit_verdict)v;
}

int
limit_fd(void)
{
	return lc.fd;
}

int
limit_timeout_ms(void)
{
	long long left;

	if (!lc.pending)
		return -1;
	left = lc.retry_at - sys_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * Connect and register the address, then the user.  RETURNS fd or
 * -errno; a refusal ends the session (die, which the service process
 * turns into a 421 line for the client).
 */
static int
register_again(const struct config *cfg)
{
	int fd = sys_unix_connect(cfg->limitd_socket, SOCK_SEQPACKET);
	int v;

	if (fd < 0)
		return fd;
	v = send_admit(fd, LIMIT_F_REREGISTER);
	if (v == LIMIT_V_ADMIT && lc.logged_in)
		v = send_login(fd, LIMIT_F_REREGISTER);
	if (v > LIMIT_V_ADMIT)
		die("limitd refused to count this session again (%s), ending it",
		    limit_verdict_name((uint32_t)v));
	if (v < 0) {
		sys_close(fd);
		return v;
	}
	return fd;
}

static void
retry(const struct config *cfg)
{
	int fd = register_again(cfg);

	if (fd >= 0) {
		lc.fd = fd;
		lc.pending = false;
		log_info("Registered with limitd again after %u attempts", lc.retries + 1);
		return;
	}
	if (++lc.retries >= LIMIT_RETRY_MAX) {
		lc.pending = false;
		log_warning("Failed to reach limitd %u times (last: %s), giving up: "
			    "this session is no longer counted", lc.retries, strerror(-fd));
		return;
	}
	lc.retry_at = sys_now_ms() + LIMIT_RETRY_MS;
}

/* limitd only speaks unasked to say FAIL before it hangs up. */
static void
read_held(void)
{
	uint8_t pkt[LIMIT_MAX_MSG];
	struct limit_msg m;
	ssize_t n = sys_recv_packet(lc.fd, pkt, sizeof(pkt), MSG_DONTWAIT);

	if (n == -EAGAIN)
		return;
	if (n > 0 && limit_decode(pkt, (size_t)n, &m) == 0 && m.type == LIMIT_ANS_FAIL) {
		lost(limit_fail_name(m.u.fail.code), -EPROTO);
		return;
	}
	if (n > 0)
		log_warning("Unexpected message from limitd, ignoring");
	else
		lost("hangup", n == 0 ? -EPIPE : (int)n);
}

void
limit_handle(const struct config *cfg)
{
	if (lc.fd >= 0)
		read_held();
	else if (lc.pending && sys_now_ms() >= lc.retry_at)
		retry(cfg);
}

void
limit_forget(void)
{
	lc.fd = sys_close(lc.fd);
	lc.pending = false;
	lc.logged_in = false;
	lc.uncountable = false;
}
