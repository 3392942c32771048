/*
 * tlsproc.h - the control connection's TLS: its one SSL object lives in
 * the pre-login process from AUTH TLS (or, with implicit_ssl, from the
 * start) to the end of the session; that process is "the TLS process".
 *
 * Before login (tlsproc_handshake, then tlsproc_ctl_io) the pre-login
 * process reads its command lines and writes its replies through the SSL.
 * At a successful login the helper hands it two socketpair ends and it
 * becomes a pump (tlsproc_pump):
 *
 *   plain   the FTP stream in clear: the post-login process reads and
 *           writes its end as if it were the control connection;
 *           ftpcmd.c does not know about TLS
 *   ctl     the TLS control channel (tlsctl.h): the post-login process
 *           asks for a fresh session ticket before each PASV/EPSV/PORT/EPRT
 *           reply, for the TLS 1.2 session at login, and for CCC
 *
 * It pumps bytes between TLS records and the plain socketpair until either
 * side closes, and sends close_notify when the post-login process ends.
 * The handshake's one signature is asked of the helper on the pre-login
 * process's socketpair (PRIV_REQ_TLS_SIGN), then PRIV_REQ_TLS_READY.
 */
#ifndef MINIFTPD_TLSPROC_H
#define MINIFTPD_TLSPROC_H

#include <stdint.h>

#include "config.h"
#include "log.h"
#include "privproto.h"
#include "tlsctl.h"

struct ftp_ctl_io;

/*
 * tlsproc_handshake - TLS on the control connection TCP_FD with the
 * session's ticket KEY (from the helper's START_TLS answer), the
 * delegated key asking the helper on SIGN_FD for its signature; then
 * READY on SIGN_FD and the session's "TLS session: ..." log line.  The
 * socket becomes non-blocking.  RETURNS 0, or -1 after logging why the
 * handshake failed.  Pre-login process, once.
 */
int tlsproc_handshake(const struct config *cfg, int tcp_fd, int sign_fd,
		      const uint8_t key[PRIV_TICKET_KEY_LEN]);

/*
 * tlsproc_ctl_io - the calls through which ftpcmd.c reads and writes the
 * control connection after tlsproc_handshake (ftpcmd.h); a record or a
 * reply may take idle_session_timeout.
 */
const struct ftp_ctl_io *tlsproc_ctl_io(void);

/*
 * tlsproc_pump - after login: pump between the control connection's TLS
 * and PLAIN (the post-login process's stream), serving the TLS control
 * channel CTL, until either side ends; then exit.  Pre-login process,
 * once the helper handed it PLAIN and CTL.
 */
void tlsproc_pump(const struct config *cfg, int plain, int ctl) NORETURN;

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
