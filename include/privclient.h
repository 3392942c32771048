/*
 * privclient.h - the service process's side of the private protocol:
 * one stub per helper request (privproto.h).  The helper's handler for
 * priv_x() is helper_answer_x() in privhelper.c.
 */
#ifndef MINIFTPD_PRIVCLIENT_H
#define MINIFTPD_PRIVCLIENT_H

#include "privproto.h"
#include "session.h"

/*
 * priv_login - ask the helper to check USER / PASS (pre-login process).
 * The helper applies delay_failed_login and max_login_fails.
 * RETURNS the helper's verdict; on PRIV_LOGIN_OK the caller exits and
 * the post-login process takes over the client.  Dies on a bad answer.
 */
enum priv_login_result priv_login(struct session *s, const char *user,
				  const char *pass);

/*
 * priv_port_sock - ask the helper for a TCP socket bound to
 * ftp_data_port and connecting to TARGET (AF_INET/AF_INET6), for an
 * active-mode data connection with connect_from_port_20.  The helper
 * re-checks TARGET and only starts the connect: the caller waits for it
 * (POLLOUT, then SO_ERROR), watching its client meanwhile, so that an ABOR
 * is not stuck behind the helper.  Post-login service process.
 * RETURNS the socket (connected or connecting), or the helper's -errno
 * (-EACCES/-EPERM refused target, -ECONNREFUSED...).  Dies on a bad answer.
 */
int priv_port_sock(struct session *s, const struct sockaddr_storage *target);

/*
 * priv_chown_upload - ask the helper to give FD, a file an anonymous
 * upload just created, to chown_username (chown_uploads).  Post-login
 * service process.  RETURNS 0 or the helper's -errno.  Dies on a bad answer.
 */
int priv_chown_upload(struct session *s, int fd);

/*
 * priv_start_tls - after "234" to AUTH TLS (or at once with implicit_ssl):
 * ask the helper to start TLS; it answers with the session's ticket KEY
 * (PRIV_TICKET_KEY_LEN bytes) and then serves the handshake's TLS_SIGN
 * and TLS_READY (tlsproc_handshake).  Pre-login process.  RETURNS 0 or
 * the helper's -errno.  Dies on a bad answer.
 */
int priv_start_tls(struct session *s, uint8_t key[PRIV_TICKET_KEY_LEN]);

/*
 * priv_take_tls_ends - after a successful login of a TLS session: the
 * plain end (*PLAIN) and the TLS control channel (*CTL) the helper passes
 * after its LOGIN answer, for the pump (tlsproc_pump).  Pre-login
 * process.  Dies when they do not come.
 */
void priv_take_tls_ends(struct session *s, int *plain, int *ctl);

/*
 * priv_tls_prot - tell the helper S's PBSZ and PROT state, set before
 * login, for the post-login process.  Pre-login process, after
 * priv_start_tls.  Dies on a bad answer.
 */
void priv_tls_prot(struct session *s);

#endif
