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

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "config.h"
#include "defs.h"
#include "login.h"
#include "runtime.h"

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

#endif
