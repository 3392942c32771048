/*
 * tlsdata.h - TLS on data connections (PROT P), in the post-login
 * process.
 *
 * The data context holds the certificate, a certificate callback (without
 * one OpenSSL 3 will not offer TLS 1.3 from a context without a key) and
 * the session's ticket key, and no private key: it can only resume a
 * session whose ticket this control connection's TLS process issued.  A
 * full handshake fails inside OpenSSL ("no suitable signature algorithm"
 * under TLS 1.3, "no shared cipher" under 1.2), and the client gets 522.
 * That is require_ssl_reuse, by construction.
 *
 * One data connection at a time: the SSL object lives here, keyed by its
 * socket.  Reads go through SSL_read.  Sends go through SSL_write, or,
 * where the kernel encrypts (kernel TLS: CONFIG_TLS, the "tls" ULP in
 * /proc/sys/net/ipv4/tcp_available_ulp, and an OpenSSL built with kTLS),
 * a binary RETR goes through SSL_sendfile: the file's pages go from the
 * page cache to the kernel's TLS layer and never through the process.
 * OpenSSL switches the socket to kernel TLS by itself at the end of the
 * handshake (SSL_OP_ENABLE_KTLS, set when use_sendfile=YES) if the kernel
 * takes the cipher; otherwise it stays in user space, silently.
 */
#ifndef MINIFTPD_TLSDATA_H
#define MINIFTPD_TLSDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "session.h"
#include "tls.h"

/*
 * tlsdata_setup_ctx - the data context's own settings on CTX: a
 * certificate callback, no tickets of its own, partial writes, read-ahead,
 * kernel TLS with use_sendfile=YES, a server session cache for
 * tlsdata_add_session.  RETURNS 0 or -1.  tls_prepare, once.
 */
int tlsdata_setup_ctx(SSL_CTX *ctx, const struct config *cfg);

/*
 * tlsdata_prepare - take the data context (tls_ctx(TLS_DATA), built
 * before the session forked) with the session's ticket KEY, for the
 * post-login process to inherit.  Helper, at START_TLS.  RETURNS 0 or -1
 * with ERR set.
 */
int tlsdata_prepare(const struct config *cfg, const uint8_t key[TLS_TICKET_KEY_LEN],
		    char *err, size_t errlen);

/*
 * tlsdata_add_session - put the control connection's TLS 1.2 session
 * (DER, LEN bytes, from the TLS process: tlsproc_get_session) into the
 * data context's cache, for clients that resume by session id rather
 * than with a ticket.  RETURNS 0, -EINVAL, -EPROTO (not a session) or
 * -ENOMEM.  Post-login service process, once, at login.
 */
int tlsdata_add_session(const uint8_t *der, size_t len);

/*
 * How tlsdata_accept waits for FD to have EVENTS (POLLIN or POLLOUT) until
 * DEADLINE (sys_now_ms() time): RETURNS 1 when it has, else a -errno that
 * ends the handshake (-ETIMEDOUT at DEADLINE).  data_wait, which watches
 * the control connection meanwhile.
 */
typedef int (*tlsdata_wait_fn)(struct session *s, int fd, short events, long long deadline);

/*
 * tlsdata_accept - the TLS handshake as server on FD, the data
 * connection (non-blocking), within data_connection_timeout, waiting with
 * WAIT_FOR.  It must resume this control connection's session.  RETURNS 0,
 * -ECONNABORTED or -ESHUTDOWN when WAIT_FOR said so (ABOR, SIGTERM's
 * shutdown_timeout; not logged), or -1 after logging
 * why (FD is left to the caller).
 */
int tlsdata_accept(struct session *s, int fd, tlsdata_wait_fn wait_for);

/* tlsdata_active - FD carries the current TLS data connection. */
bool tlsdata_active(int fd);

/*
 * tlsdata_send / tlsdata_recv - SSL_write / SSL_read on the TLS data
 * connection FD, as many records as fit in LEN or until the socket would
 * block.  RETURN the count, 0 at the end of the data (recv: close_notify
 * or EOF), -EAGAIN when the socket must become ready first, or -errno
 * (-EPROTO: a TLS error, logged).  An end met after some bytes is
 * returned by the next call (tlsdata_pending says so meanwhile).  Without
 * kernel TLS, sent records are gathered in a buffer that holds the 16
 * records of 256 KiB (one write per 256 KiB block) and that tlsdata_send
 * flushes before it returns, waiting for the socket with tlsdata_accept's
 * WAIT_FOR (data_wait: the control connection is watched) within
 * data_connection_timeout: what it counts as sent is on the socket.  A
 * wait that ends returns its -errno: -ETIMEDOUT, -ECONNABORTED (ABOR),
 * -ESHUTDOWN.  The socket then keeps at most 256 KiB unsent
 * (TCP_NOTSENT_LOWAT, set by tlsdata_accept).
 */
ssize_t tlsdata_send(int fd, const void *buf, size_t len);
ssize_t tlsdata_recv(int fd, void *buf, size_t len);

/* How a TLS download moves: who encrypts, and whether the file is read. */
enum tlsdata_path {
	TLSDATA_USERSPACE,	/* read + SSL_write: OpenSSL encrypts */
	TLSDATA_KTLS_WRITE,	/* read + SSL_write: the kernel encrypts (kTLS) */
	TLSDATA_KTLS_SENDFILE,	/* SSL_sendfile: the kernel reads and encrypts */
};

/*
 * tlsdata_choose_path - the path of a download: SSL_sendfile needs kernel
 * TLS on the socket (KTLS_TX), a binary transfer (ASCII rewrites line
 * ends in the process) and use_sendfile=YES.  Pure.
 */
enum tlsdata_path tlsdata_choose_path(bool ktls_tx, bool ascii, bool use_sendfile);

/* tlsdata_path_name - FTP_TLS_SEND's value: "ktls" or "userspace". */
const char *tlsdata_path_name(enum tlsdata_path p);

/* tlsdata_ktls_send - the kernel encrypts what is sent on FD (kTLS TX). */
bool tlsdata_ktls_send(int fd);

/*
 * tlsdata_sendfile - SSL_sendfile of LEN bytes of FILE_FD from OFF on the
 * TLS data connection FD, which must have kernel TLS (tlsdata_ktls_send).
 * RETURNS the count (0 at the end of the file), -EAGAIN, or -errno
 * (-ENOSYS: OpenSSL built without kTLS).
 */
ssize_t tlsdata_sendfile(int fd, int file_fd, off_t off, size_t len);

/* tlsdata_pending - bytes of FD (records read ahead, decrypted or not), or
 * its end, are waiting in OpenSSL: poll would not say so. */
bool tlsdata_pending(int fd);

/*
 * tlsdata_flush - write out what is left in the buffer of FD (a failed
 * tlsdata_send's), waiting as tlsdata_send does.  RETURNS 0 (also for a
 * FD without TLS or kernel TLS), -EPIPE or the wait's -errno.
 */
int tlsdata_flush(int fd);

/*
 * tlsdata_close - send what is buffered and close_notify (best effort,
 * never waiting: the socket is non-blocking) and free the SSL of FD, if
 * it has one.  The caller closes FD.
 */
void tlsdata_close(int fd);

#endif
