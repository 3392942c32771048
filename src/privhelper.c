/* privhelper.c - the helper's whole life: admission, the service processes it
 * forks, its request table and handlers, teardown; see privhelper.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "auth.h"
#include "authpam.h"
#include "buf.h"
#include "dataaddr.h"
#include "ftpcmd.h"
#include "ftpcodes.h"
#include "limitclient.h"
#include "log.h"
#include "postlogin.h"
#include "prelogin.h"
#include "privdrop.h"
#include "privhelper.h"
#include "privproto.h"
#include "privsock.h"
#include "sandbox.h"
#include "str.h"
#include "session.h"
#include "sysutil.h"
#include "tlsdata.h"
#include "tlsproc.h"
#include "tls.h"
#include "tlssign.h"
#include "xferlog.h"

enum helper_state {
	PREAUTH = 1 << 0,
	POSTAUTH = 1 << 1,
	TLS_HANDSHAKE = 1 << 2,	/* serving the TLS process during START_TLS */
};

/* After the last failed login, how long the pre-login process has to send
 * its 530 and exit before it is killed. */
#define LAST_REPLY_GRACE_MS	5000

struct helper {
	const struct config *cfg;
	const struct runtime *rt;
	int fd;
	enum helper_state state;
	unsigned int fails;
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	char peer_str[INET6_ADDRSTRLEN];
	bool chown_uploads;	/* an anonymous login, chown_uploads=YES */
	uid_t anon_uid;		/* the anonymous session's user */
	bool tls;		/* START_TLS succeeded */
	bool tls_ready;		/* the TLS process's handshake succeeded */
};

struct helper_req {
	uint16_t type;
	unsigned int states;	/* states in which the request is permitted */
	bool once;		/* permitted to succeed once per session */
	/* RETURNS whether the request succeeded (what ONCE counts) */
	bool (*answer)(struct helper *h, struct buf *body);
};

static void finish(void) NORETURN;
static void session_use_config(const struct config *cfg);
static struct login *session_login(void);
static int session_start_postlogin(const struct login *login);
static void session_stop_service(int grace_ms);
static void session_service_ended(int status);
static void session_tls_started(void);
static void session_hand_over_tls(int service_fd);
static int session_tls_pidfd(void);
static void session_tls_ended(void);
static void session_tls_prot(bool pbsz, bool prot_p);
static bool helper_answer_login(struct helper *h, struct buf *body);
static bool helper_answer_port_sock(struct helper *h, struct buf *body);
static bool helper_answer_chown_upload(struct helper *h, struct buf *body);
static bool helper_answer_start_tls(struct helper *h, struct buf *body);
static bool helper_answer_tls_prot(struct helper *h, struct buf *body);
static bool helper_answer_tls_sign(struct helper *h, struct buf *body);
static bool helper_answer_tls_ready(struct helper *h, struct buf *body);
static void dispatch(struct helper *h, uint16_t type, struct buf *body);

static const struct helper_req requests[] = {
	{ PRIV_REQ_LOGIN, PREAUTH, true, helper_answer_login },
	{ PRIV_REQ_PORT_SOCK, POSTAUTH, false, helper_answer_port_sock },
	{ PRIV_REQ_CHOWN_UPLOAD, POSTAUTH, false, helper_answer_chown_upload },
	{ PRIV_REQ_START_TLS, PREAUTH, true, helper_answer_start_tls },
	{ PRIV_REQ_TLS_PROT, PREAUTH, false, helper_answer_tls_prot },
	/* from the TLS process, on its own socketpair (tls_handshake) */
	{ PRIV_REQ_TLS_SIGN, TLS_HANDSHAKE, true, helper_answer_tls_sign },
	{ PRIV_REQ_TLS_READY, TLS_HANDSHAKE, true, helper_answer_tls_ready },
};

static void
helper_send(struct helper *h, const struct priv_msg *m)
{
	int r = priv_send_msg(h->fd, m);

	if (r == -EINVAL || r == -E2BIG)
		bug("Answer %u does not fit a message", m->type);
	if (r < 0)
		die("Failed to answer the service process: %s", strerror(-r));
}

/* Decode BODY as TYPE into M; WHAT names it when it is malformed. */
static void
helper_decode(uint16_t type, struct buf *body, struct priv_msg *m, const char *what)
{
	if (priv_decode(type, body, m) < 0)
		die("Malformed %s", what);
}

static void
answer_result(struct helper *h, uint16_t type, int r)
{
	helper_send(h, &(const struct priv_msg){ .type = type, .u.result = r });
}

static void
answer_login_result(struct helper *h, enum priv_login_result result)
{
	helper_send(h, &(const struct priv_msg){ .type = PRIV_ANS_LOGIN,
						 .u.login_result = result });
}

/* The last failed login is answered: the helper checks no more passwords,
 * whatever the service process (compromised, it may ignore FAIL_LAST and
 * keep asking) does; the session ends. */
static void NORETURN
end_after_last_failure(struct helper *h, bool blocked)
{
	log_notice("Ending the session after %u failed login%s%s", h->fails,
		   h->fails == 1 ? "" : "s", blocked ? " (address blocked by limitd)" : "");
	h->fd = sys_close(h->fd);
	session_stop_service(LAST_REPLY_GRACE_MS);
	finish();
}

/* A refused login: logged, answered after delay_failed_login.  A GUESS
 * (a wrong password or account) counts towards max_login_fails and
 * limitd's max_login_fails_per_ip; a right password limitd refused
 * (max_per_user) does not: a user's extra session is no guess.  BLOCKED:
 * limitd blocks the address already, the session ends. */
static void
login_refused(struct helper *h, const char *user, const char *reason, bool guess,
	      bool blocked)
{
	bool last = blocked;

	log_event(LOG_NOTICE, &(struct log_fields){ .event = LOG_EV_LOGIN_FAILED,
		  .user = user, .command = "PASS", .reason = reason },
		  "Login failed for \"%s\": %s", user, reason);
	if (guess) {
		h->fails++;
		/* limitd counts failures per address across sessions */
		blocked = limit_login_failed(h->cfg) == LIMIT_V_BLOCKED;
		last = blocked || h->fails >= h->cfg->max_login_fails;
	}
	sys_sleep((unsigned int)h->cfg->delay_failed_login);
	answer_login_result(h, last ? PRIV_LOGIN_FAIL_LAST : PRIV_LOGIN_FAIL);
	if (last)
		end_after_last_failure(h, blocked);
}

static void
login_failed(struct helper *h, const char *user, const char *reason)
{
	login_refused(h, user, reason, true, false);
}

/* Most of a user_config_dir file. */
#define MAX_USER_CONFIG (64 * 1024)

/* Why the user_config_dir file at PATH (open as FD) may not be trusted. */
static const char *
distrust(const struct helper *h, int fd)
{
	struct stat st;

	if (sys_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != 0 && (h->rt->privileged || st.st_uid != h->rt->self_uid))
		return h->rt->privileged ? "not owned by root" :
		       "owned neither by root nor by the server's user";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (st.st_size > MAX_USER_CONFIG)
		return "larger than 64 KiB";
	return NULL;
}

/*
 * user_config_dir: L's own file, read here (the helper, still root, before
 * the post-login process exists) into UCFG, a copy of the configuration.
 * No file: the global settings.  RETURNS 1 applied, 0 no file, -1 refused
 * (WHY says why, for the log).  Out of line: its 64 KiB of text would
 * otherwise widen the login's frame, above the post-login process's stack
 * (session_start_postlogin).
 */
static int __attribute__((noinline))
load_user_config(const struct helper *h, struct login *l, struct config *ucfg,
		 char *why, size_t whylen)
{
	char path[PATH_MAX], err[CFG_ERR_MAX], text[MAX_USER_CONFIG + 1];
	const char *fail;
	ssize_t n;
	int fd;

	if (l->user[0] == '.' || strchr(l->user, '/') ||
	    str_fmt(path, sizeof(path), "%s/%s", h->cfg->user_config_dir, l->user) < 0)
		return str_fmt(why, whylen, "user_config_dir: no file name for \"%s\"",
			       l->user), -1;
	fd = sys_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return str_fmt(why, whylen, "user_config_dir file %s: %s", path,
			       strerror(-fd)), -1;
	fail = distrust(h, fd);
	n = fail ? 0 : sys_read(fd, text, MAX_USER_CONFIG);
	sys_close(fd);
	if (fail || n < 0)
		return str_fmt(why, whylen, "user_config_dir file %s refused: %s", path,
			       fail ? fail : strerror((int)-n)), -1;
	cfg_copy(ucfg, h->cfg);
	if (cfg_parse_user(ucfg, path, text, (size_t)n, err) < 0)
		return str_fmt(why, whylen, "user_config_dir file %s", err), -1;
	if ((fail = auth_apply_user_config(h->cfg, ucfg, h->rt, l)) != NULL)
		return str_fmt(why, whylen, "user_config_dir file %s: %s", path, fail), -1;
	return 1;
}

/* The user's user_config_dir file is refused: the session ends. */
static void NORETURN
refuse_user_config(struct helper *h, const char *user, const char *why)
{
	log_event(LOG_ERR, &(struct log_fields){ .event = LOG_EV_LOGIN_FAILED,
		  .user = user, .command = "PASS", .reason = why },
		  "Login refused for \"%s\": %s", user, why);
	answer_login_result(h, PRIV_LOGIN_USER_CONFIG);
	h->fd = sys_close(h->fd);
	session_stop_service(LAST_REPLY_GRACE_MS);
	finish();
}

static bool
helper_answer_login(struct helper *h, struct buf *body)
{
	struct priv_msg m;
	const char *user = m.u.login.user;
	char reason[384];
	struct login *login = session_login();	/* the post-login process's, in place */
	enum limit_verdict v;
	int checked;

	helper_decode(PRIV_REQ_LOGIN, body, &m, "login request");
	buf_wipe(body);
	checked = auth_check(h->cfg, h->rt, user, m.u.login.pass, h->peer_str, login, reason,
		       sizeof(reason));
	explicit_bzero(m.u.login.pass, sizeof(m.u.login.pass));
	if (checked < 0) {
		login_failed(h, user, reason);
		return false;
	}
	if (h->cfg->user_config_dir[0]) {
		static struct config ucfg;	/* the post-login process's, for good */
		char why[CFG_ERR_MAX + 64];
		int r = load_user_config(h, login, &ucfg, why, sizeof(why));

		if (r < 0) {
			auth_release(login);
			refuse_user_config(h, user, why);
		}
		if (r > 0)
			session_use_config(&ucfg);
	}
	/* the PAM session first: limitd counts a login that cannot fail after it */
	if (authpam_open_session(reason, sizeof(reason)) < 0) {
		auth_release(login);
		login_failed(h, user, reason);
		return false;
	}
	v = limit_login(h->cfg, login->user);
	if (v != LIMIT_V_ADMIT) {
		auth_release(login);
		authpam_abort();
		login_refused(h, user, limit_verdict_row(v)->reason, false,
			      v == LIMIT_V_BLOCKED);
		return false;
	}
	log_set_user(login->user);
	log_event(LOG_INFO, &(struct log_fields){ .event = LOG_EV_LOGIN,
		  .command = "PASS" },
		  "Login successful: \"%s\" as %s", user,
		  login->kind == LOGIN_ANON ? "anonymous" :
		  login->kind == LOGIN_VIRTUAL ? "virtual user" : "local user");
	h->chown_uploads = login->kind == LOGIN_ANON && h->cfg->chown_uploads;
	h->anon_uid = login->uid;
	answer_login_result(h, PRIV_LOGIN_OK);
	if (h->tls)
		session_hand_over_tls(h->fd);
	sys_close(h->fd);
	h->fd = session_start_postlogin(login);
	h->state = POSTAUTH;
	log_set_prefix("helper %s %s", h->peer_str, login->user);
	auth_release(login);	/* the post-login process has its own copy */
	return true;
}

/* The PORT request's target (privproto.h). */
static void
get_port_target(struct buf *body, struct sockaddr_storage *sa)
{
	struct priv_msg m;

	helper_decode(PRIV_REQ_PORT_SOCK, body, &m, "port request");
	*sa = m.u.target;
}

/* A socket bound to the local address at ftp_data_port, connecting to
 * TARGET: the service process waits for the connection (and its client). */
static int
port_connect(struct helper *h, const struct sockaddr_storage *target)
{
	struct sockaddr_storage from = h->local;
	int fd, r;

	data_unmap(&from);
	if (from.ss_family != target->ss_family)
		return -EAFNOSUPPORT;
	if (from.ss_family == AF_INET)
		((struct sockaddr_in *)&from)->sin_port = htons((uint16_t)h->cfg->ftp_data_port);
	else
		((struct sockaddr_in6 *)&from)->sin6_port = htons((uint16_t)h->cfg->ftp_data_port);
	fd = sys_socket(target->ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return fd;
	r = sys_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (r == 0)
		r = sys_bind(fd, &from);
	if (r == 0)
		r = sys_connect_start(fd, target);
	if (r == -EINPROGRESS)
		r = 0;
	if (r < 0) {
		sys_close(fd);
		return r;
	}
	return fd;
}

/* Re-check what the service process asks: it may be compromised.  Reserved
 * ports are refused even with port_promiscuous: a connection from port 20
 * to one is the classic trust-relationship attack. */
static bool
helper_answer_port_sock(struct helper *h, struct buf *body)
{
	struct sockaddr_storage target;
	int r, fd = -1;

	get_port_target(body, &target);
	data_unmap(&target);
	r = data_check_target(&target, &h->peer, h->cfg->port_promiscuous);
	if (r == 0 && sys_sockaddr_port(&target) < 1024)
		r = -EPERM;
	if (r < 0)
		log_warning("Refused a data connection to port %u: %s",
			    sys_sockaddr_port(&target), strerror(-r));
	else
		r = fd = port_connect(h, &target);
	answer_result(h, PRIV_ANS_PORT_SOCK, r < 0 ? r : 0);
	if (fd >= 0 && (r = sys_send_fd(h->fd, fd)) < 0)
		die("Failed to pass the data socket: %s", strerror(-r));
	sys_close(fd);
	return r >= 0;
}

/* Only a file the anonymous user just made, never one reached by another
 * name: regular, one link, owned by that user. */
static bool
helper_answer_chown_upload(struct helper *h, struct buf *body)
{
	struct priv_msg m;
	struct stat st;
	int fd, r;

	helper_decode(PRIV_REQ_CHOWN_UPLOAD, body, &m, "chown request");
	fd = sys_recv_fd(h->fd);
	if (fd < 0)
		die("Failed to receive the file to chown: %s", strerror(-fd));
	if (!h->chown_uploads)
		die("chown request without chown_uploads for an anonymous session");
	r = sys_fstat(fd, &st);
	if (r == 0 && (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != h->anon_uid))
		r = -EPERM;
	if (r == 0)
		r = sys_fchown(fd, h->rt->chown_uid);
	if (r < 0)
		log_warning("Refused or failed to chown an upload: %s", strerror(-r));
	sys_close(fd);
	answer_result(h, PRIV_ANS_CHOWN_UPLOAD, r);
	return r == 0;
}

/*
 * The pre-login process's handshake: its requests (one signature, then
 * READY) go through the same table in state TLS_HANDSHAKE.  RETURNS true
 * on READY; false when it closed first (the handshake failed) or went
 * silent for longer than its own deadline.
 */
static bool
tls_handshake(struct helper *h)
{
	int timeout = (int)h->cfg->idle_session_timeout * 1000 + 5000;
	struct buf body;
	uint16_t type;

	h->state = TLS_HANDSHAKE;
	while (!h->tls_ready && sys_poll_in(h->fd, timeout) > 0 &&
	       priv_recv(h->fd, &type, &body) == 0)
		dispatch(h, type, &body);
	h->state = PREAUTH;
	return h->tls_ready;
}

/* A fresh ticket key, for the post-login process's data context and for
 * the pre-login process, which then runs the handshake (tls_handshake). */
static bool
helper_answer_start_tls(struct helper *h, struct buf *body)
{
	struct priv_msg m, ans = { .type = PRIV_ANS_START_TLS };
	uint8_t *key = ans.u.start_tls.ticket_key;
	char err[256];
	int r;

	helper_decode(PRIV_REQ_START_TLS, body, &m, "START_TLS request");
	if (!h->cfg->ssl_enable)
		die("Unexpected START_TLS request");
	r = sys_random(key, PRIV_TICKET_KEY_LEN);
	if (r == 0 && tlsdata_prepare(h->cfg, key, err, sizeof(err)) < 0) {
		log_err("Failed to start TLS: %s", err);
		r = -EIO;
	}
	ans.u.start_tls.result = r;
	helper_send(h, &ans);
	explicit_bzero(&ans, sizeof(ans));
	if (r < 0)
		return false;
	if (!tls_handshake(h)) {	/* the pre-login process logged why */
		session_stop_service(LAST_REPLY_GRACE_MS);
		finish();
	}
	tlssign_forget();	/* one TLS handshake per session */
	session_tls_started();
	h->tls = true;
	return true;
}

static bool
helper_answer_tls_prot(struct helper *h, struct buf *body)
{
	struct priv_msg m;

	helper_decode(PRIV_REQ_TLS_PROT, body, &m, "PROT request");
	if (!h->tls)
		die("Unexpected PROT request");
	session_tls_prot(m.u.tls_prot.pbsz, m.u.tls_prot.prot_p);
	answer_result(h, PRIV_ANS_TLS_PROT, 0);
	return true;
}

_Static_assert(PRIV_SIGN_MAX >= TLSSIGN_MAX_SIG, "a signature must fit its answer");

/* tlssign_sign() checks what it signs and reads the key in a child. */
static bool
helper_answer_tls_sign(struct helper *h, struct buf *body)
{
	struct priv_msg req, ans = { .type = PRIV_ANS_TLS_SIGN };
	int r;

	helper_decode(PRIV_REQ_TLS_SIGN, body, &req, "sign request");
	r = tlssign_sign(h->cfg, req.u.sign.kind, req.u.sign.in, req.u.sign.len,
			 ans.u.sign_ans.sig);
	if (r < 0)
		log_warning("Refused or failed to sign for a TLS handshake: %s", strerror(-r));
	ans.u.sign_ans.result = r < 0 ? r : 0;
	ans.u.sign_ans.len = r < 0 ? 0 : (size_t)r;
	helper_send(h, &ans);
	return r >= 0;
}

static bool
helper_answer_tls_ready(struct helper *h, struct buf *body)
{
	struct priv_msg m;

	helper_decode(PRIV_REQ_TLS_READY, body, &m, "TLS ready message");
	h->tls_ready = true;
	return true;
}

static const struct helper_req *
find_request(uint16_t type)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].type == type)
			return &requests[i];
	return NULL;
}

/* One request: unknown, unpermitted or malformed ends the helper. */
static void
dispatch(struct helper *h, uint16_t type, struct buf *body)
{
	static bool used[sizeof(requests) / sizeof(requests[0])];
	const struct helper_req *req = find_request(type);

	if (req == NULL)
		die("Unknown request type %u from the service process", type);
	if (!(req->states & h->state) || (req->once && used[req - requests]))
		die("Request type %u not permitted now", type);
	if (req->answer(h, body) && req->once)
		used[req - requests] = true;
}

static void NORETURN
finish(void)
{
	int status;
	pid_t pid;

	authpam_end_session();		/* the keeper closes the PAM session */
	for (;;) {
		if ((pid = sys_wait_any(&status)) > 0 && pid != authpam_keeper())
			session_service_ended(status);
		else if (pid < 0 && pid != -EINTR)
			break;
	}
	log_event(LOG_INFO, &(struct log_fields){ .event = LOG_EV_DISCONNECT },
		  "Session ended");
	sys_exit_session(0);
}

/* Wait for the service process, limitd, or the end of the TLS process
 * after login (CCC: it exits while the session goes on; negative fds are
 * not polled).  RETURNS true when a request is ready. */
static bool
wait_event(struct helper *h)
{
	struct pollfd p[3] = {
		{ .fd = h->fd, .events = POLLIN },
		{ .fd = limit_fd(), .events = POLLIN },
		{ .fd = session_tls_pidfd(), .events = POLLIN },
	};
	int r = sys_poll(p, 3, limit_timeout_ms());

	if (r < 0 && r != -EINTR)
		die("Failed to poll: %s", strerror(-r));
	if (r == 0 || (r > 0 && p[1].fd >= 0 && p[1].revents))
		limit_handle(h->cfg);
	if (r > 0 && p[2].fd >= 0 && p[2].revents)
		session_tls_ended();
	return r > 0 && p[0].revents;
}

void
helper_run(const struct config *cfg, const struct runtime *rt, int fd,
	   const struct sockaddr_storage *peer, const struct sockaddr_storage *local)
{
	struct helper h = { .cfg = cfg, .rt = rt, .fd = fd, .state = PREAUTH };
	struct buf body;
	uint16_t type;

	h.peer = *peer;
	h.local = *local;
	sys_sockaddr_str(peer, h.peer_str, sizeof(h.peer_str));

	for (;;) {
		int r;

		if (h.state == POSTAUTH)
			sys_stack_release();	/* login's crypt, NSS and PAM are over */
		if (!wait_event(&h))
			continue;
		r = priv_recv(h.fd, &type, &body);
		if (r == -EPIPE || r == -ECONNRESET)
			finish();
		if (r < 0)
			die("Bad message from the service process: %s", strerror(-r));
		dispatch(&h, type, &body);
	}
}

/*
 * The session the helper serves: CONN holds the connection's facts
 * (configuration, control fd, addresses), filled once by helper_main() and
 * the starting state of every service process it forks.  The session_*
 * functions below keep it: the handlers above call them.
 */
static struct {
	pid_t service;
	pid_t tls;		/* the TLS process, until reaped (0: none) */
	int tls_pidfd;		/* after login: readable once it has exited */
	struct session conn;	/* last: its buffers end it (session.h) */
} sess LARGE_BSS;	/* the fds are set to -1 by helper_main */

/*
 * Fork a service process: pre-login, or post-login for the login in the
 * template (session_login).  The child's copy of the template is its
 * session: a second copy would write (fault in) every page of the struct,
 * where using it in place only copies the pages the session writes to.
 * RETURNS the helper's end of its socketpair.
 */
static int
start_service(bool logged_in)
{
	int sv[2], r = sys_socketpair(SOCK_STREAM, sv);

	if (r < 0)
		die("Failed to create socketpair: %s", strerror(-r));
	sess.service = xfork();
	if (sess.service == 0) {
		sys_close(sv[0]);
		limit_forget();		/* the slot is the helper's, not the child's */
		tls_forget_key();	/* only the helper's signing children read it */
		if (!logged_in)
			prelogin_main(&sess.conn, sv[1]);
		postlogin_main(&sess.conn, sv[1]);
	}
	sys_close(sv[1]);
	return sv[0];
}

/* The login the helper fills (auth_check) and the post-login process
 * keeps: the template's, so that the child has it without a copy. */
static struct login *
session_login(void)
{
	return &sess.conn.login;
}

/* The post-login process will run with CFG (a user_config_dir copy, which
 * lives as long as the helper) instead of the global configuration. */
static void
session_use_config(const struct config *cfg)
{
	sess.conn.cfg = cfg;
}

/*
 * After login the TLS process can end before the session (CCC): watch it
 * with a pidfd, opened after the post-login process is forked so that only
 * the helper holds it, and reap it when it ends (session_tls_ended).
 * Without a pidfd it is reaped at the session's end, as before.
 */
static void
watch_tls(void)
{
	int fd;

	if (sess.tls <= 0)
		return;
	fd = sys_pidfd_open(sess.tls);
	if (fd < 0)
		log_warning("Failed to watch the TLS process: %s, ignoring", strerror(-fd));
	sess.tls_pidfd = fd;
}

/*
 * After a successful login: fork the post-login service process for LOGIN,
 * hand it the control connection, close the helper's copy, and drop the
 * helper to nopriv_user.  RETURNS the new socketpair end the helper serves.
 */
static int
session_start_postlogin(const struct login *login)
{
	const struct runtime *rt = sess.conn.rt;
	struct drop_spec d = {
		.change_ids = rt->privileged,
		.uid = rt->nopriv_uid, .gid = rt->nopriv_gid,
		.groups = &rt->nopriv_gid, .ngroups = 1,
		.keep_net_bind = true,
		.keep_chown = login->kind == LOGIN_ANON && sess.conn.cfg->chown_uploads,
	};
	int fd;

	/* the pre-login process exits on our answer (or, with TLS, becomes the
	 * pump): one reader of the client at a time */
	if (sess.service > 0 && sys_wait_child(sess.service) < 0)
		die_errno("Failed to wait for the pre-login process");
	tls_forget_key();	/* nothing is signed after login */
	xferlog_open(sess.conn.cfg);		/* inherited by the post-login process */
	/* what the handshake, crypt and PAM wrote below here is not the
	 * child's to keep: its stack starts with only its callers' frames */
	sys_stack_release();
	fd = start_service(true);
	xferlog_close();
	sys_close(sess.conn.ctl_fd);
	sess.conn.ctl_fd = -1;
	sess.conn.tlsctl_fd = sys_close(sess.conn.tlsctl_fd);
	watch_tls();
	/* a PAM session is closed as root, by a keeper that reads no client */
	authpam_keep_session((const int []){ fd, limit_fd(), sess.tls_pidfd }, 3);
	drop_to(&d);
	sandbox_enter(sess.conn.cfg, SANDBOX_HELPER);
	return fd;
}

/*
 * After the session's last failed login is answered (or a failed TLS
 * handshake): give the pre-login process GRACE_MS to send its reply and
 * exit, then kill it (a compromised
 * one would go on), so that the session ends.  Reaps it; the client gets
 * one 421 when it was killed.
 */
static void
session_stop_service(int grace_ms)
{
	int status;

	if (sess.service <= 0)
		return;
	status = sys_wait_child_ms(sess.service, grace_ms);
	if (status == -ETIMEDOUT) {
		log_warning("The pre-login process did not end when its session "
			    "did: killing it");
		(void)sys_kill(sess.service, SIGKILL);
		status = sys_wait_child(sess.service);
	}
	if (status >= 0)
		session_service_ended(status);
}

/*
 * A service process (or the TLS process) was reaped with wait STATUS.  One
 * killed by a signal is logged (SIGSYS: a system call outside its seccomp
 * allowlist); before login the helper still holds the control connection
 * and sends the client one 421 line, then, with TLS, closes its plain end
 * so that the TLS process sees the end of the session.
 */
static void
session_service_ended(int status)
{
	static const char msg[] = "421 Service not available, closing control connection.\r\n";
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

	if (sig) {
		log_warning("Service process killed by signal %d (%s)%s", sig, strsignal(sig),
			    sig == SIGSYS ? ": a system call outside its seccomp allowlist" : "");
		if (sess.conn.ctl_fd >= 0)
			(void)sys_write_full(sess.conn.ctl_fd, msg, sizeof(msg) - 1);
	}
	/* the TLS process ends when the last plain end closes */
	if (sess.conn.tls)
		sess.conn.ctl_fd = sys_close(sess.conn.ctl_fd);
}

/*
 * The pre-login process holds the control connection in TLS now: the
 * helper closes its copy of the TCP socket.
 */
static void
session_tls_started(void)
{
	sess.conn.ctl_fd = sys_close(sess.conn.ctl_fd);
	sess.conn.tls = true;
}

/*
 * A TLS session's login: the pre-login process (on SERVICE_FD) becomes the
 * TLS process.  It gets one end of the plain stream and one of the TLS
 * control channel; the template keeps the others for the post-login
 * process.  From now on the helper watches it as the TLS process.
 */
static void
session_hand_over_tls(int service_fd)
{
	int plain[2], ctl[2], r = sys_socketpair(SOCK_STREAM, plain);

	if (r == 0 && (r = sys_socketpair(SOCK_STREAM, ctl)) < 0)
		sys_close(plain[0]), sys_close(plain[1]);
	if (r == 0 && (r = sys_send_fd(service_fd, plain[1])) == 0)
		r = sys_send_fd(service_fd, ctl[1]);
	if (r < 0)
		die("Failed to hand the session to the TLS process: %s", strerror(-r));
	sys_close(plain[1]);
	sys_close(ctl[1]);
	sess.conn.ctl_fd = plain[0];
	sess.conn.tlsctl_fd = ctl[0];
	sess.tls = sess.service;
	sess.service = 0;
}

/* The pidfd of the TLS process after login, or -1. */
static int
session_tls_pidfd(void)
{
	return sess.tls_pidfd;
}

/* The TLS process has exited (its pidfd polled readable): reap it, the
 * way finish() reaps the others. */
static void
session_tls_ended(void)
{
	int status = sys_wait_child(sess.tls);

	sess.tls_pidfd = sys_close(sess.tls_pidfd);
	sess.tls = 0;
	if (status < 0)
		log_warning("Failed to reap the TLS process: %s", strerror(-status));
	else
		session_service_ended(status);
}

/* PBSZ and PROT as the pre-login process set them, for the post-login
 * process to start with. */
static void
session_tls_prot(bool pbsz, bool prot_p)
{
	sess.conn.pbsz = pbsz;
	sess.conn.prot_p = prot_p;
}

static void NORETURN
refuse(int ctl_fd, const char *line)
{
	(void)sys_write_full(ctl_fd, line, strlen(line));
	exit(0);
}

/* limitd's verdict on the connection, before the banner: a refusal is
 * logged and the client gets its 421 line. */
static void
admit(void)
{
	enum limit_verdict v = limit_admit(sess.conn.cfg, &sess.conn.peer);
	const struct limit_verdict_row *row = limit_verdict_row(v);
	char line[256];

	if (v == LIMIT_V_ADMIT)
		return;
	log_event(LOG_NOTICE, &(struct log_fields){ .event = LOG_EV_REFUSED,
		  .reason = row->reason }, "Connection refused: %s", row->reason);
	str_fmt(line, sizeof(line), "%d %s\r\n", FTP_TOOMANY, row->reply);
	refuse(sess.conn.ctl_fd, line);
}

void
helper_main(const struct config *cfg, const struct runtime *rt, int ctl_fd)
{
	int priv_fd, r;

	sess.conn.cfg = cfg;
	sess.conn.rt = rt;
	sess.conn.ctl_fd = ctl_fd;
	sess.conn.tlsctl_fd = -1;
	sess.tls_pidfd = -1;
	sys_signal(SIGPIPE, SIG_IGN);
	if ((r = sys_peer_addr(ctl_fd, &sess.conn.peer)) < 0)
		die("Failed to get the client's address: %s", strerror(-r));
	if ((r = sys_local_addr(ctl_fd, &sess.conn.local)) < 0)
		die("Failed to get the local address: %s", strerror(-r));
	sys_sockaddr_str(&sess.conn.peer, sess.conn.peer_str, sizeof(sess.conn.peer_str));
	log_set_prefix("helper %s", sess.conn.peer_str);
	log_set_peer(sess.conn.peer_str, sys_sockaddr_port(&sess.conn.peer));
	log_event(LOG_INFO, &(struct log_fields){ .event = LOG_EV_CONNECT },
		  "Connection from %s port %u", sess.conn.peer_str,
		  sys_sockaddr_port(&sess.conn.peer));
	ftp_catch_term();	/* before admission: a session told to stop never starts */
	/* every reply goes out at once: a session that ends with the client's
	 * pipelined input unread resets the connection, and replies Nagle still
	 * held (530 after a 331) would be lost with it */
	(void)sys_setsockopt_int(ctl_fd, IPPROTO_TCP, TCP_NODELAY, 1);
	/* a client that reads no reply cannot keep a session for ever: a
	 * reply it leaves unread for idle_session_timeout ends the session
	 * (TLS: the socket is non-blocking; the pre-login process and the
	 * pump bound their waits themselves) */
	(void)sys_set_send_timeout(ctl_fd, (unsigned int)cfg->idle_session_timeout);
	admit();
	priv_fd = start_service(false);
	helper_run(cfg, rt, priv_fd, &sess.conn.peer, &sess.conn.local);
}
