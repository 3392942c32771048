/* session.c - one connection's life: admission, processes, teardown; see session.h. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "auth.h"
#include "authpam.h"
#include "dataconn.h"
#include "ftpcodes.h"
#include "ftpcmd.h"
#include "ftpproto.h"
#include "idnames.h"
#include "limitclient.h"
#include "log.h"
#include "ls.h"
#include "privdrop.h"
#include "privhelper.h"
#include "sandbox.h"
#include "session.h"
#include "str.h"
#include "sysutil.h"
#include "xferlog.h"

/*
 * What the helper knows of its session: CONN holds the connection's facts
 * (configuration, control fd, addresses), filled once by session_run() and
 * copied as the starting state of every service process it forks.
 */
static struct {
	struct session conn;
	pid_t service;
} sess = { .conn.ctl_fd = -1, .conn.tlsctl_fd = -1 };

static void
prelogin_drop(void)
{
	const struct runtime *rt = sess.conn.rt;
	struct drop_spec d = {
		.change_ids = rt->privileged,
		.uid = rt->nopriv_uid, .gid = rt->nopriv_gid,
		.groups = &rt->nopriv_gid, .ngroups = 1,
		.chroot_dir = rt->privileged ? sess.conn.cfg->secure_chroot_dir : NULL,
	};

	drop_to(&d);
}

static void
postlogin_drop(const struct login *l)
{
	struct drop_spec d = {
		.change_ids = sess.conn.rt->privileged,
		.uid = l->uid, .gid = l->gid,
		.groups = l->groups, .ngroups = l->ngroups,
		.chroot_dir = l->chroot ? l->root : NULL,
	};

	drop_to(&d);
}

/*
 * The child side of a fork: become a service process (pre- or post-login).
 * The child's copy of the template is its session: a second copy would
 * write (fault in) every page of the struct, where using it in place only
 * copies the pages the session writes to.
 */
static void NORETURN
service_main(int priv_fd, const struct login *login)
{
	struct session *s = &sess.conn;

	limit_forget();
	s->priv_fd = priv_fd;
	s->root_fd = -1;
	ftp_set_session_for_die(s);
	if (login == NULL) {
		log_set_prefix("session %s", s->peer_str);
		prelogin_drop();
		sandbox_enter(s->cfg, SANDBOX_PRELOGIN);
		ftp_prelogin(s);
	}
	s->login = *login;
	if (!s->cfg->hide_ids)
		idnames_refresh(s->cfg->names_cache_file);	/* NSS is out of reach once chrooted */
	postlogin_drop(login);
	sandbox_enter(s->cfg, SANDBOX_POSTLOGIN);
	log_set_prefix("session %s %s", s->peer_str, login->user);
	log_set_user(login->user);
	ftp_postlogin(s);
}

/* Fork a service process; RETURNS the helper's end of its socketpair. */
static int
start_service(const struct login *login)
{
	int sv[2], r = sys_socketpair(SOCK_STREAM, sv);

	if (r < 0)
		die("Failed to create socketpair: %s", strerror(-r));
	sess.service = xfork();
	if (sess.service == 0) {
		sys_close(sv[0]);
		service_main(sv[1], login);
	}
	sys_close(sv[1]);
	return sv[0];
}

void
session_use_config(const struct config *cfg)
{
	sess.conn.cfg = cfg;
}

int
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

	/* the pre-login process exits on our answer: one reader of the client at a time */
	if (sys_wait_child(sess.service) < 0)
		die_errno("Failed to wait for the pre-login process");
	xferlog_open(sess.conn.cfg);		/* inherited by the post-login process */
	fd = start_service(login);
	xferlog_close();
	sys_close(sess.conn.ctl_fd);
	sess.conn.ctl_fd = -1;
	sess.conn.tlsctl_fd = sys_close(sess.conn.tlsctl_fd);
	/* a PAM session is closed as root, by a keeper that reads no client */
	authpam_keep_session((const int []){ fd, limit_fd() }, 2);
	drop_to(&d);
	sandbox_enter(sess.conn.cfg, SANDBOX_HELPER);
	return fd;
}

void
session_stop_service(int grace_ms)
{
	int status;

	if (sess.service <= 0)
		return;
	status = sys_wait_child_ms(sess.service, grace_ms);
	if (status == -ETIMEDOUT) {
		log_warning("The pre-login process did not end after the last failed "
			    "login: killing it");
		(void)sys_kill(sess.service, SIGKILL);
		status = sys_wait_child(sess.service);
	}
	if (status >= 0)
		session_service_ended(status);
}

void
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

int
session_ctl_fd(void)
{
	return sess.conn.ctl_fd;
}

void
session_tls_started(int plain_fd, int tlsctl_fd)
{
	sys_close(sess.conn.ctl_fd);
	sess.conn.ctl_fd = plain_fd;
	sess.conn.tlsctl_fd = tlsctl_fd;
	sess.conn.tls = true;
}

void
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
session_run(const struct config *cfg, const struct runtime *rt, int ctl_fd)
{
	socklen_t len = sizeof(sess.conn.peer);
	int priv_fd;

	sess.conn.cfg = cfg;
	sess.conn.rt = rt;
	sess.conn.ctl_fd = ctl_fd;
	sys_signal(SIGPIPE, SIG_IGN);
	if (getpeername(ctl_fd, (struct sockaddr *)&sess.conn.peer, &len) < 0)
		die_errno("Failed to get the client's address");
	len = sizeof(sess.conn.local);
	if (getsockname(ctl_fd, (struct sockaddr *)&sess.conn.local, &len) < 0)
		die_errno("Failed to get the local address");
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
	admit();
	priv_fd = start_service(NULL);
	helper_run(cfg, rt, priv_fd, &sess.conn.peer, &sess.conn.local);
}
