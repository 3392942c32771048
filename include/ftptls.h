/*
 * ftptls.h - the FTPS verbs (RFC 4217) and the policies of the
 * force_*_ssl options.  Service process, pre- and post-login.
 *
 *   AUTH TLS / AUTH SSL   234, then START_TLS to the helper
 *                         (priv_start_tls) for the ticket key, and this
 *                         process runs the handshake itself
 *                         (tlsproc_handshake): from then on it reads the
 *                         control connection through its SSL (s->ctl_io)
 *                         and is the TLS process; a second AUTH gets 503
 *   PBSZ n                200 PBSZ=0, after AUTH only
 *   PROT P / C            200; C gets 534 when the session's data must be
 *                         encrypted; S and E 536
 *   CCC                   534 unless ssl_allow_ccc and logged in; then 200,
 *                         the TLS process ends TLS and hands over the TCP
 *                         socket (tlsproc_ccc); data keeps its PROT level
 *
 * The rows carry CMD_TLS: with ssl_enable=NO the dispatcher treats them
 * as unknown verbs and FEAT leaves them out.
 */
#ifndef MINIFTPD_FTPTLS_H
#define MINIFTPD_FTPTLS_H

#include <stdbool.h>

#include "log.h"
#include "session.h"

/* Verbs: rows of the command table (ftpproto.c). */
void ftp_auth(struct session *s, const char *arg);
void ftp_pbsz(struct session *s, const char *arg);
void ftp_prot(struct session *s, const char *arg);
void ftp_ccc(struct session *s, const char *arg);

/*
 * ftptls_implicit - implicit_ssl: start TLS before the greeting.  The
 * pre-login process, once, at its start.
 */
void ftptls_implicit(struct session *s);

/*
 * ftptls_become_pump - after a successful login of a TLS session: take
 * the plain end and the TLS control channel from the helper and become
 * the TLS process's pump (tlsproc_pump).  Pre-login process; does not
 * return.
 */
void ftptls_become_pump(struct session *s) NORETURN;

/*
 * ftptls_user_allowed - USER NAME may go on: force_local_logins_ssl
 * (local and virtual users need TLS), force_anon_logins_ssl and
 * allow_anon_ssl (anonymous).  Otherwise replies 530 (in clear text
 * when TLS has not started), forgets any earlier USER and RETURNS false.
 */
bool ftptls_user_allowed(struct session *s, const char *name);

/*
 * ftptls_data_allowed - a data command may run: PROT P is in force or
 * the session's data need not be encrypted (force_local_data_ssl,
 * force_anon_data_ssl).  Otherwise replies 522 and RETURNS false.
 * Post-login.
 */
bool ftptls_data_allowed(struct session *s);

/*
 * ftptls_fresh_ticket - before a PASV/EPSV/PORT/EPRT reply: have the TLS
 * process queue a fresh TLS 1.3 session ticket on the control connection,
 * so that a client that uses each ticket once (GnuTLS) always has one for
 * the data connection.  Does nothing without TLS.  Post-login.
 */
void ftptls_fresh_ticket(struct session *s);

/*
 * ftptls_import_session - at login, under TLS: fetch the control
 * connection's TLS 1.2 session from the TLS process into the data
 * context's cache, so that clients without tickets resume by session id.
 * Ends the session if the TLS process does not answer.
 */
void ftptls_import_session(struct session *s);

#endif
