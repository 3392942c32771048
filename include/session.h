/*
 * session.h - one control connection's life, and the state its
 * processes share.
 *
 * session_run() is called once per connection by every launcher (listen.c
 * or main.c).  It asks limitd for admission, forks the pre-login service
 * process, and becomes the helper; after a successful login the helper
 * forks the post-login service process (session_start_postlogin) and
 * drops to nopriv_user.
 */
#ifndef MINIFTPD_SESSION_H
#define MINIFTPD_SESSION_H

#include <limits.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "config.h"
#include "defs.h"

/* The groups of the anonymous account that a process started per
 * connection takes from names_cache_file (idnames.c); a login's own
 * groups (struct login) are not bounded by it. */
#define MAX_GROUPS 64

/* Room for a crypt(3) setting (libcrypt's CRYPT_GENSALT_OUTPUT_SIZE). */
#define MAX_CRYPT_SETTING 192

/* Facts resolved once at start-up (before any chroot), shared read-only. */
/*
 * The ports PASV picks from when pasv_min_port and pasv_max_port are 0:
 * the kernel's ephemeral range less its reserved ports, read at start.
 * lo == 0: unknown, the kernel picks (bind to port 0), which gets slow
 * once tens of thousands of data connections wait in TIME_WAIT.
 */
#define MAX_RESERVED_RANGES 32
struct port_ranges {
	unsigned int lo, hi;
	unsigned int nreserved;
	struct { unsigned int lo, hi; } reserved[MAX_RESERVED_RANGES];
};

struct runtime {
	bool privileged;	/* root and run_as_launching_user=NO */
	uid_t nopriv_uid;	/* nopriv_user (privileged only) */
	gid_t nopriv_gid;
	char banner[MAX_MSG_FILE + 1];	/* banner_file's text, cleaned ("": none) */
	bool have_pasv_addr;	/* pasv_address resolved (IPv4 only: PASV) */
	long long pasv_addr_time;	/* when (sys_time), for pasv_addr_resolve */
	struct in_addr pasv_addr;
	struct port_ranges pasv_ports;	/* for pasv_min_port=pasv_max_port=0 */
	uid_t self_uid;		/* who started us (the unprivileged mode's identity) */
	gid_t self_gid;
	uid_t chown_uid;	/* chown_username (privileged, chown_uploads only) */
	/* crypt(3) settings checked when an attempt has no usable hash
	 * (auth_init): the system's default method for local users, the
	 * method and cost of the first hash in user_db_file for virtual
	 * users ("" when it has none) */
	char dummy_local[MAX_CRYPT_SETTING];
	char dummy_virtual[MAX_CRYPT_SETTING];
	bool have_anon;		/* anon: ftp_username resolved (auth_cache_anon) */
	struct anon_ids {
		uid_t uid;
		gid_t gid;
		gid_t groups[MAX_GROUPS];
		int ngroups;
		char home[PATH_MAX];
	} anon;
};

enum login_kind { LOGIN_LOCAL, LOGIN_VIRTUAL, LOGIN_ANON };

/* Who logged in and where they live; filled by auth_check() in the helper. */
struct login {
	char user[MAX_USER_NAME + 1];
	enum login_kind kind;
	uid_t uid;
	gid_t gid;
	gid_t *groups;		/* supplementary groups, xmalloc'ed (auth_release) */
	int ngroups;		/* up to NGROUPS_MAX */
	char root[PATH_MAX];	/* directory that is "/" for the client */
	char home[MAX_FTP_PATH];/* first working directory, client view */
	bool chroot;		/* chroot(root) (privileged only) */
};

/* The service process's state (pre-login and post-login). */
struct session {
	const struct config *cfg;
	const struct runtime *rt;
	int ctl_fd;
	int priv_fd;
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	char peer_str[INET6_ADDRSTRLEN];

	/* control input (ftpcmd.c) */
	char inbuf[MAX_CMD_LINE];
	size_t inlen;
	bool discarding;
	/* lines that arrived during a transfer, answered after it, oldest
	 * first: held[(held_first + i) % MAX_HELD_LINES], i < nheld */
	char held[MAX_HELD_LINES][MAX_CMD_LINE];
	unsigned int held_first;
	unsigned int nheld;

	/* login state */
	bool logged_in;
	char user[MAX_USER_NAME + 1];
	bool have_user;
	unsigned int unknown_cmds;
	struct login login;

	/* post-login state */
	int root_fd;			/* O_PATH directory that is "/" */
	char cwd[MAX_FTP_PATH];		/* client view, always absolute */
	bool type_ascii;
	bool utf8;
	mode_t umask;
	char rnfr[MAX_FTP_PATH];
	bool have_rnfr;
	unsigned long long rest;
	bool quit;

	/* data connection (dataconn.c) */
	int pasv_fd;			/* listening after PASV/EPSV, else -1 */
	bool have_port;			/* PORT/EPRT target in port_addr */
	struct sockaddr_storage port_addr;
	bool epsv_all;			/* EPSV ALL: only EPSV from now on */

	/* listings (ls.c) */
	unsigned int mlst_off;		/* MLSx facts turned off by OPTS MLST */

	/* FTPS (ftptls.c): ctl_fd is then the plain end of the TLS process */
	bool tls;			/* the control connection is in TLS */
	bool pbsz;			/* PBSZ came */
	bool prot_p;			/* PROT P: data connections in TLS */
	int tlsctl_fd;			/* TLS control channel (post-login), else -1 */
};

/*
 * session_run - serve the client on CTL_FD until it leaves; never returns.
 * Called by every launcher in a process of its own.
 */
void session_run(const struct config *cfg, const struct runtime *rt,
		 int ctl_fd) __attribute__((noreturn));

/*
 * session_before_fork - the standalone listener, before it forks a
 * session: bring what its sessions inherit up to date (the name cache of
 * listings, when /etc/passwd or /etc/group changed: idnames_refresh; with
 * pasv_addr_resolve, pasv_address resolved again into RT once its answer
 * is pasv_addr_ttl seconds old), so that the change is read once here and
 * not in every session, and never in a chrooted, sandboxed process.
 */
void session_before_fork(const struct config *cfg, struct runtime *rt);

/*
 * session_use_config - in the helper, before session_start_postlogin: the
 * post-login process will run with CFG (a user_config_dir copy, which
 * must live as long as the helper) instead of the global configuration.
 */
void session_use_config(const struct config *cfg);

/*
 * session_start_postlogin - in the helper, after a successful login:
 * fork the post-login service process for LOGIN, hand it the control
 * connection, close the helper's copy, and drop the helper to
 * nopriv_user.  RETURNS the new socketpair end the helper serves.
 */
int session_start_postlogin(const struct login *login);

/*
 * session_stop_service - in the helper, after it answered a session's
 * last failed login: give the pre-login process GRACE_MS to send its
 * reply and exit, then kill it (a compromised one would go on), so that
 * the session ends.  Reaps it; the client gets one 421 when it was killed.
 * Helper only, before login.
 */
void session_stop_service(int grace_ms);

/*
 * session_ctl_fd - the control connection the helper holds before login.
 * Helper only.
 */
int session_ctl_fd(void);

/*
 * session_tls_started - the TLS process holds the control connection now:
 * the helper closes its copy of the TCP socket and keeps PLAIN_FD (the
 * plain end, for the post-login process) and TLSCTL_FD (the TLS control
 * channel) in its place, until it forks the post-login process.  Helper,
 * PRIV_REQ_START_TLS.
 */
void session_tls_started(int plain_fd, int tlsctl_fd);

/*
 * session_tls_prot - PBSZ and PROT as the pre-login process set them, for
 * the post-login process to start with.  Helper, PRIV_REQ_TLS_PROT.
 */
void session_tls_prot(bool pbsz, bool prot_p);

/*
 * session_service_ended - the helper reaped a service process (or the
 * TLS process) with wait STATUS.  One killed by a signal is logged
 * (SIGSYS: a system call outside its seccomp allowlist); before login the
 * helper still holds the control connection and sends the client one 421
 * line, then, with TLS, closes its plain end so that the TLS process sees
 * the end of the session.  Helper only.
 */
void session_service_ended(int status);

/*
 * runtime_init - resolve users and directories named by CFG, create
 * secure_chroot_dir if missing.  RETURNS 0 or -1 with ERR set (a
 * start-up error).  Called once by main before serving.
 */
int runtime_init(const struct config *cfg, struct runtime *rt, char *err,
		 size_t errlen);

#endif
