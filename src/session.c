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
#include "tls.h"
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
	tls_forget_key();	/* only the helper's signing children read it */
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
	tls_forget_key();	/* nothing is signed after login */
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
	static const char *const replies[] = {
		[LIMIT_REFUSE_TOTAL] = "421 There are too many connected users, please try later.\r\n",
		[LIMIT_REFUSE_IP] = "421 There are too many connections from your internet address.\r\n",
		[LIMIT_REFUSE_USER] = "421 There are too many connected users, please try later.\r\n",
		[LIMIT_REFUSE_DOWN] = "421 Service not available, please try later.\r\n",
		[LIMIT_REFUSE_BLOCKED] = "421 Too many failed logins from your internet address, please try later.\r\n",
	};
	static const char *const reasons[] = {
		[LIMIT_REFUSE_TOTAL] = "max_clients reached",
		[LIMIT_REFUSE_IP] = "max_per_ip reached",
		[LIMIT_REFUSE_USER] = "max_per_user reached",
		[LIMIT_REFUSE_DOWN] = "limitd unreachable and limitd_fail=closed",
		[LIMIT_REFUSE_BLOCKED] = "max_login_fails_per_ip reached",
	};
	enum limit_verdict v = limit_admit(sess.conn.cfg, &sess.conn.peer);

	if (v == LIMIT_ADMIT)
		return;
	log_event(LOG_NOTICE, &(struct log_fields){ .event = LOG_EV_REFUSED,
		  .reason = reasons[v] }, "Connection refused: %s", reasons[v]);
	refuse(sess.conn.ctl_fd, replies[v]);
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

/* pasv_addr_resolve: a dynamic-DNS name may have moved since the last
 * answer; a failed lookup keeps the last address. */
static void
refresh_pasv_address(const struct config *cfg, struct runtime *rt)
{
	long long now = sys_time();
	struct in_addr a;
	char err[256], was[INET_ADDRSTRLEN], is[INET_ADDRSTRLEN];

	if (now >= rt->pasv_addr_time && now - rt->pasv_addr_time < (long long)cfg->pasv_addr_ttl)
		return;
	rt->pasv_addr_time = now;
	if (data_resolve_pasv_address(cfg->pasv_address, &a, err, sizeof(err)) < 0) {
		log_warning("%s; keeping %s", err,
			    inet_ntop(AF_INET, &rt->pasv_addr, was, sizeof(was)));
		return;
	}
	if (a.s_addr != rt->pasv_addr.s_addr)
		log_notice("pasv_address %s now resolves to %s (was %s)", cfg->pasv_address,
			   inet_ntop(AF_INET, &a, is, sizeof(is)),
			   inet_ntop(AF_INET, &rt->pasv_addr, was, sizeof(was)));
	rt->pasv_addr = a;
}

void
session_before_fork(const struct config *cfg, struct runtime *rt)
{
	if (!cfg->hide_ids)
		idnames_refresh(cfg->names_cache_file);
	if (cfg->pasv_addr_resolve && rt->have_pasv_addr)
		refresh_pasv_address(cfg, rt);
}

/* Create secure_chroot_dir if missing; refuse one others could write to. */
static int
secure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	char parent[PATH_MAX];
	char *slash;

	if (dir[0] != '/' || str_lcpy(parent, dir, sizeof(parent)) < 0)
		return str_fmt(err, errlen, "secure_chroot_dir %s: not an absolute path", dir), -1;
	if (stat(dir, &st) < 0 && errno == ENOENT) {
		for (slash = strchr(parent + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			if (mkdir(parent, 0755) < 0 && errno != EEXIST)
				break;
			*slash = '/';
		}
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return str_fmt(err, errlen, "secure_chroot_dir %s: cannot create: %s",
				       dir, strerror(errno)), -1;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return str_fmt(err, errlen, "secure_chroot_dir %s: not a directory", dir), -1;
	if (st.st_uid != 0 || (st.st_mode & 022))
		return str_fmt(err, errlen, "secure_chroot_dir %s: must be owned by root "
			       "and writable by nobody else", dir), -1;
	return 0;
}

/* User NAME of OPTION exists: its passwd entry (static, valid until the
 * next lookup), else NULL with ERR set. */
static const struct passwd *
need_user(const char *option, const char *name, char *err, size_t errlen)
{
	const struct passwd *pw = getpwnam(name);

	if (pw == NULL)
		str_fmt(err, errlen, "%s: user \"%s\" does not exist on this system",
			option, name);
	return pw;
}

/*
 * Load the time zone before any chroot, for good.  With TZ unset, glibc
 * re-reads /etc/localtime on every tzset() (mktime, localtime, strftime
 * %Z), and inside a chroot that is the user's file; with TZ naming the
 * same file, later calls see an unchanged TZ and read nothing.
 */
static void
pin_timezone(void)
{
	if (getenv("TZ") == NULL && setenv("TZ", ":/etc/localtime", 1) < 0)
		log_warning("Failed to set TZ: %m, ignoring");
	tzset();
}

/* banner_file, read before any chroot; a longer file is cut. */
static int
load_banner(const char *file, struct runtime *rt, char *err, size_t errlen)
{
	char *text = NULL;
	ssize_t n = sys_read_file(file, 1 << 20, &text);

	if (n < 0)
		return str_fmt(err, errlen, "banner_file %s: %s", file, strerror((int)-n)), -1;
	if ((size_t)n > MAX_MSG_FILE)
		n = MAX_MSG_FILE;
	memcpy(rt->banner, text, (size_t)n);
	free(text);
	ftp_text_clean(rt->banner, (size_t)n);
	return 0;
}

int
runtime_init(const struct config *cfg, struct runtime *rt, char *err, size_t errlen)
{
	const struct passwd *pw;

	memset(rt, 0, sizeof(*rt));
	rt->privileged = geteuid() == 0 && !cfg->run_as_launching_user;
	rt->self_uid = geteuid();
	rt->self_gid = getegid();
	pin_timezone();
	auth_init(cfg, rt);
	if (cfg->pasv_enable && cfg->pasv_min_port == 0 && cfg->pasv_max_port == 0)
		data_load_pasv_ports(&rt->pasv_ports);
	if (cfg->banner_file[0] && load_banner(cfg->banner_file, rt, err, errlen) < 0)
		return -1;
	if (cfg->pasv_address[0]) {
		if (data_resolve_pasv_address(cfg->pasv_address, &rt->pasv_addr, err, errlen) < 0)
			return -1;
		rt->have_pasv_addr = true;
		rt->pasv_addr_time = sys_time();
	}
	if (cfg_standalone(cfg) && !cfg->hide_ids)
		idnames_load(cfg->names_cache_file);	/* once for every session to inherit */
	if (!rt->privileged)
		return 0;
	pw = need_user("nopriv_user", cfg->nopriv_user, err, errlen);
	if (pw == NULL)
		return str_fmt(err, errlen, "nopriv_user: user \"%s\" does not exist on this "
			       "system (make install creates it: adduser --system --group "
			       "--no-create-home --home /nonexistent %s)",
			       cfg->nopriv_user, cfg->nopriv_user), -1;
	rt->nopriv_uid = pw->pw_uid;
	rt->nopriv_gid = pw->pw_gid;
	if ((cfg->anonymous_enable &&
	     need_user("ftp_username", cfg->ftp_username, err, errlen) == NULL) ||
	    (cfg->user_db_file[0] &&
	     need_user("guest_username", cfg->guest_username, err, errlen) == NULL))
		return -1;
	if (cfg->local_enable && cfg->pam_service_name[0] &&
	    authpam_service_ok(cfg->pam_service_name, err, errlen) < 0)
		return -1;
	if (cfg_standalone(cfg) && cfg->anonymous_enable && auth_cache_anon(cfg, rt) < 0)
		return str_fmt(err, errlen, "ftp_username: user \"%s\" does not exist "
			       "on this system", cfg->ftp_username), -1;
	if (cfg->anonymous_enable && cfg->chown_uploads &&
	    sys_user_uid(cfg->chown_username, &rt->chown_uid) < 0)
		return str_fmt(err, errlen, "chown_username: user \"%s\" does not exist "
			       "on this system", cfg->chown_username), -1;
	return secure_dir(cfg->secure_chroot_dir, err, errlen);
}
