/*
 * tlsproc.h - the TLS process: the one holder of the control
 * connection's TCP socket and of its SSL object, from the handshake to
 * the end of the session.
 *
 * At AUTH TLS (or at once, with implicit_ssl) the helper forks it,
 * still root, with three socketpairs:
 *
 *   plain   the FTP stream in clear: the service process (pre-login,
 *           then post-login) reads and writes its end as if it were the
 *           control connection; ftpcmd.c does not know about TLS
 *   ctl     the TLS control channel (tlsctl.h): the post-login process
 *           asks for a fresh session ticket before each PASV/EPSV/PORT/EPRT
 *           reply
 *   sign    the handshake's one signature, asked of the helper
 *           (PRIV_REQ_TLS_SIGN), then PRIV_REQ_TLS_READY and closed
 *
 * It drops to nopriv_user in secure_chroot_dir (as root; otherwise it
 * stays the launching user, without chroot), enters the "tls" seccomp
 * role, runs the handshake (bounded by idle_session_timeout), then pumps
 * bytes between TLS records and the plain socketpair until either side
 * closes; it sends close_notify when the service process ends.
 */
#ifndef MINIFTPD_TLSPROC_H
#define MINIFTPD_TLSPROC_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "runtime.h"
#include "tls.h"
#include "tlsctl.h"

struct tlsproc_args {
	const struct config *cfg;
	const struct runtime *rt;
	const char *peer;		/* the client's address, for the log prefix */
	int tcp_fd;			/* the control connection */
	int close_fd;			/* a helper descriptor the child must not keep */
	uint8_t ticket_key[TLS_TICKET_KEY_LEN];
};

/* The helper's ends. */
struct tlsproc_ends {
	pid_t pid;
	int plain;			/* for the service processes */
	int ctl;			/* for the post-login process */
	int sign;			/* the TLS process's handshake requests */
};

/*
 * tlsproc_start - fork the TLS process for A->tcp_fd.  RETURNS 0 with
 * ENDS filled, or -errno (nothing forked, nothing left open).  The caller
 * serves ENDS->sign until READY or its close, then closes it.  Helper,
 * before login.
 */
int tlsproc_start(const struct tlsproc_args *a, struct tlsproc_ends *ends);

/*
 * tlsproc_new_ticket - ask the TLS process on FD (the ctl end) for a
 * fresh session ticket and wait for its answer.  RETURNS 0 or -errno.
 * Post-login service process.
 */
int tlsproc_new_ticket(int fd);

/*
 * tlsproc_ccc - after CCC's 200 reply went to the plain end: ask the TLS
 * process on FD to end TLS on the control connection (close_notify both
 * ways) and hand over its TCP socket, after which it exits.  RETURNS the
 * socket (blocking), or -errno (then the session cannot go on).
 * Post-login service process, once.
 */
int tlsproc_ccc(int fd);

/*
 * tlsproc_get_session - ask the TLS process on FD, once, for the control
 * connection's TLS 1.2 session (tlsctl.h); OUT->session_len is 0 under
 * TLS 1.3.  RETURNS 0 or -errno.  Post-login service process.
 */
int tlsproc_get_session(int fd, struct tlsctl_ans *out);

#endif
