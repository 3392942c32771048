/*
 * ftpproto.h - the FTP command table and dispatcher, the login state
 * machine and the session-state verbs.  Service process only.
 *
 * Every verb is one row of the command table in ftpproto.c:
 * { "RETR", CMD_ARG | CMD_DATA, ftp_retr, NULL }.  The dispatcher does
 * the flag checks once; handlers take (struct session *, const char *arg).
 */
#ifndef MINIFTPD_FTPPROTO_H
#define MINIFTPD_FTPPROTO_H

#include "session.h"

/* Row flags. */
enum {
	CMD_PRELOGIN	= 1 << 0,	/* allowed before login */
	CMD_ARG		= 1 << 1,	/* needs an argument (501 otherwise) */
	CMD_NOARG	= 1 << 2,	/* takes no argument (501 otherwise) */
	CMD_W_UPLOAD	= 1 << 3,	/* writes: needs write_enable (+anon_upload_enable) */
	CMD_W_MKDIR	= 1 << 4,	/* writes: needs write_enable (+anon_mkdir_write_enable) */
	CMD_W_OTHER	= 1 << 5,	/* writes: needs write_enable (+anon_other_write_enable) */
	CMD_HTTP	= 1 << 6,	/* an HTTP verb: close the session before login */
	CMD_KEEP_RNFR	= 1 << 7,	/* does not cancel a pending RNFR */
	CMD_KEEP_REST	= 1 << 8,	/* does not cancel a pending REST */
	CMD_PASSIVE	= 1 << 9,	/* in FEAT only with pasv_enable=YES */
	CMD_ACTIVE	= 1 << 10,	/* in FEAT only with port_enable=YES */
	CMD_TLS		= 1 << 11,	/* exists only with ssl_enable=YES (else 500) */
	CMD_TICKET	= 1 << 12,	/* a fresh TLS session ticket before the reply */
};

typedef void (*ftp_handler)(struct session *s, const char *arg);

struct ftp_cmd {
	const char *verb;
	unsigned int flags;
	ftp_handler handler;
	const char *feat;	/* line in the FEAT reply, NULL for none */
};

/*
 * ftp_prelogin - greet the client and serve it until a login succeeds
 * (the helper then starts the post-login process) or it leaves.
 * Runs in the pre-login service process; never returns.
 */
void ftp_prelogin(struct session *s) __attribute__((noreturn));

/*
 * ftp_postlogin - send 230 and serve the logged-in client until QUIT.
 * Runs in the post-login service process; never returns.
 */
void ftp_postlogin(struct session *s) __attribute__((noreturn));

/*
 * ftp_dispatch - run one command line (already cleaned).  Exposed for the
 * fuzzer and the tests.
 */
void ftp_dispatch(struct session *s, const char *line);

/* ftp_find_cmd - the table row for VERB (case-insensitive), or NULL. */
const struct ftp_cmd *ftp_find_cmd(const char *verb);

#endif
