/*
 * dataconn.h - the data connection a transfer command (RETR, STOR, LIST
 * ...) runs over, after PASV/EPSV/PORT/EPRT (datacmd.h) chose it.
 *
 * Passive: accepts only a connection from the control peer (unless
 * pasv_promiscuous); others are closed and the wait goes on, for at most
 * accept_timeout.  Active: the service process connects itself, or, with
 * connect_from_port_20, the helper binds ftp_data_port and passes the
 * connected socket back (priv_port_sock).  connect_timeout bounds it.
 * Meanwhile the control connection is watched: ABOR ends the wait.
 * Service process, post-login.
 */
#ifndef MINIFTPD_DATACONN_H
#define MINIFTPD_DATACONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "session.h"

/*
 * data_session_init - a post-login session without a data connection.
 * Called once by ftp_postlogin.
 */
void data_session_init(struct session *s);

/*
 * data_ready - PASV/EPSV/PORT/EPRT came first, and PROT P when the
 * session's data must be encrypted (ftptls_data_allowed).  Otherwise
 * replies "425 Use PORT or PASV first." or 522 and RETURNS false.
 */
bool data_ready(struct session *s);

/*
 * data_start - after the 150 reply: with PROT P, the TLS handshake on FD
 * (it must resume the control connection's session, tlsdata.h), waiting
 * in data_wait: an ABOR meanwhile ends it.  RETURNS 0, or -1 after
 * closing FD and replying 522 (426 then 226 after an ABOR).
 */
int data_start(struct session *s, int fd);

/*
 * data_flush - after the last data_send of a download or listing: wait
 * until what the TLS layer still buffers for FD is on the socket (at once
 * without TLS), for at most data_connection_timeout without progress,
 * watching the control connection (data_wait).  RETURNS 0, -ETIMEDOUT,
 * -ECONNABORTED (ABOR: answer with data_reply_aborted()), -ESHUTDOWN
 * or -errno.
 */
int data_flush(struct session *s, int fd);

/*
 * data_close - close the data connection FD, a TLS one after its
 * close_notify.  RETURNS -1, for assignment.
 */
int data_close(int fd);

/*
 * data_send / data_recv - one send / recv on the data connection FD
 * (non-blocking), through TLS when data_start made it a TLS connection.
 * RETURN the count (recv: 0 at the end), -EAGAIN, or -errno.
 */
ssize_t data_send(int fd, const void *buf, size_t len);
ssize_t data_recv(int fd, void *buf, size_t len);

/* data_is_tls - FD is a TLS data connection: no sendfile or splice. */
bool data_is_tls(int fd);

/*
 * data_open - the data connection for the current transfer command:
 * accept (passive) or connect (active) with the configured timeout.
 * RETURNS the connected socket, non-blocking, or -1 after replying 425.
 * The PASV/PORT state is kept until data_reset().
 */
int data_open(struct session *s);

/*
 * data_poll - wait up to TIMEOUT_MS for FD (-1: none) to have EVENTS and
 * for a command line on the control connection (unless ftp_hold_full);
 * the session ends if the helper goes away meanwhile.  RETURNS
 * DATA_READY_FD | DATA_READY_CTL bits, 0 when the time ran out or a signal
 * came (SIGTERM is let in while it waits: ftp_term_requested() then says so).
 */
enum { DATA_READY_FD = 1, DATA_READY_CTL = 2 };
int data_poll(struct session *s, int fd, short events, int timeout_ms);

/*
 * data_wait - wait until FD (-1: none) has EVENTS, watching the control
 * connection meanwhile (data_poll): an ABOR there ends the wait (RFC 959
 * 4.1.3: the command in progress is aborted), any other command is held
 * for after it (ftp_hold_line).  RETURNS 1 when FD is ready, -ETIMEDOUT at
 * DEADLINE (sys_now_ms() clock), -ECONNABORTED after an ABOR, which
 * the caller answers with data_reply_aborted(), or -ESHUTDOWN once SIGTERM's
 * shutdown_timeout ran out (ftp_term_deadline; data_reply_shutdown()).
 */
int data_wait(struct session *s, int fd, short events, long long deadline);

/*
 * data_reply_aborted - the replies to an ABOR that ended a transfer
 * command before its data moved: 426 for the command, 226 for ABOR.
 */
void data_reply_aborted(struct session *s);

/*
 * data_reply_shutdown - the reply to a transfer command that SIGTERM's
 * shutdown_timeout ended (-ESHUTDOWN): 426 once the data connection was
 * OPENED (150 sent), else 425.  The session then ends with 421.
 */
void data_reply_shutdown(struct session *s, bool opened);

/*
 * data_reply_ended - when R, a data wait's result, is -ECONNABORTED (ABOR)
 * or -ESHUTDOWN (SIGTERM's shutdown_timeout), give its reply
 * (data_reply_aborted, data_reply_shutdown with OPENED).  RETURNS whether
 * it did.
 */
bool data_reply_ended(struct session *s, int r, bool opened);

/*
 * data_reset - forget PASV/PORT (close a passive listener).  Every
 * transfer command ends with it, whatever the outcome, and ABOR.
 */
void data_reset(struct session *s);

/*
 * data_local_addr - the control connection's local address (where the
 * client reached us), an IPv4-mapped one turned to IPv4.
 */
struct sockaddr_storage data_local_addr(const struct session *s);

/*
 * data_write_all - write LEN bytes to the data socket FD (non-blocking),
 * waiting at most data_connection_timeout for any progress, watching the
 * control connection meanwhile (data_wait).  RETURNS 0, -ETIMEDOUT,
 * -ECONNABORTED (ABOR: answer with data_reply_aborted()), -ESHUTDOWN
 * (data_reply_shutdown()) or -errno.  For listings.
 */
int data_write_all(struct session *s, int fd, const void *buf, size_t len);

#endif
