/*
 * tls.h - what every FTPS role shares: OpenSSL set-up, the server
 * contexts' common settings, the per-session ticket key, and the
 * start-up checks of the certificate and the key.
 *
 * Who holds what (SECURITY.md, "TLS (FTPS)"):
 *   - the TLS process (the pre-login process, from AUTH TLS on): the
 *     control connection's SSL, a context with the certificate and a
 *     delegated key (tlsdeleg.h) whose one signature
 *     the helper makes (tlssign.h);
 *   - the post-login process: a data context with the certificate and
 *     the session's ticket key only (tlsdata.h), so it can accept nothing
 *     but a data connection that resumes a session of this control
 *     connection;
 *   - nobody else: the private key is parsed only by short-lived children
 *     that exit at once: the start-up check's, which copies the key file
 *     into a memory file that the listener keeps (tls_key_fd), and the
 *     helper's signing children, which read that copy (tlssign.c).
 *
 * The certificate chain and both contexts are loaded once, before any
 * session forks (tls_prepare, tls_commit), and inherited, with OpenSSL's
 * method tables of what a handshake fetches (so that no TLS process
 * builds its own copy).
 *
 * Both contexts of a session share one ticket key, made by the helper at
 * AUTH TLS: a ticket of another session, or of another server, does not
 * decrypt, so a data connection cannot resume it.
 */
#ifndef MINIFTPD_TLS_H
#define MINIFTPD_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "config.h"

/* A session's ticket key: 16 bytes of name, 32 of AES-256, 32 of HMAC-SHA256. */
#define TLS_TICKET_KEY_LEN	80

/* The two kinds of context (tls_ctx). */
enum tls_role {
	TLS_CONTROL,	/* the TLS process's: control connection, delegated key */
	TLS_DATA,	/* the post-login process's: resumption only, no key */
	TLS_ROLES
};

/*
 * tls_prepare - with ssl_enable=YES, check the FTPS options and load what
 * the sessions would use, aside, without touching what they use now:
 * both protocol versions not off, ssl_ciphers understood, rsa_cert_file
 * readable, a PEM certificate that has not expired, rsa_private_key_file
 * (or the certificate file) holding an RSA or ECDSA key that matches it,
 * both contexts built (ssl_sni_hostname included: the name lives in the
 * control context).  The key is read in a child process that exits at
 * once, so that no byte of it stays in the memory the sessions inherit;
 * that child copies the file into a memory file (tlssign_snapshot) which
 * only signing children read.  Loads OpenSSL's configuration (once,
 * before any chroot).  RETURNS 0 with *OUT the new material (NULL when
 * ssl_enable=NO: nothing to load), to be passed to exactly one of
 * tls_commit or tls_discard; or -1 with *OUT NULL and ERR holding
 * "FILE:LINE: option value: problem" (cfg_origin).  Main: at start, -t,
 * and the listener's SIGHUP, whose reload commits it only when every
 * other part of the new configuration was built too.
 */
struct tls_material;
int tls_prepare(const struct config *cfg, struct tls_material **out, char *err,
		size_t errlen);

/*
 * tls_commit - M (from tls_prepare) replaces, all at once, the
 * certificate chain, the key's copy and both contexts that tls_ctx,
 * tls_cert and tls_key_fd return; the old ones are freed (sessions forked
 * before keep their copies).  M NULL: nothing changes.  Takes M.
 */
void tls_commit(struct tls_material *m);

/* tls_discard - free M (from tls_prepare; NULL is fine) unused. */
void tls_discard(struct tls_material *m);

/*
 * tls_ctx - the context for ROLE of the material committed last, with
 * the settings both roles share (ssl_tlsv1_2 / ssl_tlsv1_3, ssl_ciphers,
 * no renegotiation, tickets with the process's ticket key and valid for
 * the whole FTP session, RSA-PSS and ECDSA signatures only) and the
 * certificate chain; no private key.  NULL before the first commit.
 * Built once, before any session forks, so that sessions share its pages.
 */
SSL_CTX *tls_ctx(enum tls_role role);

/* tls_cert - the certificate (leaf) of the material committed last, or NULL. */
X509 *tls_cert(void);

/*
 * tls_key_fd - the memory file holding the key of the last successful
 * check (tlssign_snapshot), or -1.  Read only by tlssign_sign's child.
 */
int tls_key_fd(void);

/*
 * tls_forget_key - close tls_key_fd and the session's socket to the
 * listener's signing process (tlssign_forget).  Every process of a session
 * that may not sign calls it: the pre-login process (the TLS process to
 * be) and the post-login process when forked, the helper at its drop after
 * login.
 */
void tls_forget_key(void);

/*
 * tls_set_ticket_key - the process's session ticket key (copied), which
 * both contexts use.  Helper, at START_TLS (tlsdata_prepare: the
 * post-login process inherits it), and the pre-login process with the key
 * of the START_TLS answer (tlsproc_handshake).
 */
void tls_set_ticket_key(const uint8_t key[TLS_TICKET_KEY_LEN]);

/*
 * tls_error - OpenSSL's reason for the last failure (its error queue,
 * which is cleared), or FALLBACK when the queue is empty.  For logs.
 */
const char *tls_error(const char *fallback);

/*
 * tls_key_path - the file holding the private key: rsa_private_key_file,
 * or rsa_cert_file when that is empty (vsftpd's rule).
 */
const char *tls_key_path(const struct config *cfg);

/*
 * How tls_accept waits for FD to have EVENTS (POLLIN or POLLOUT) until
 * DEADLINE (sys_now_ms() time), ARG its own: RETURNS >= 0 to try the
 * handshake again, or a -errno that ends it.
 */
typedef int (*tls_wait_fn)(void *arg, int fd, short events, long long deadline);

/*
 * tls_accept - SSL_accept on SSL, whose non-blocking socket is FD, until
 * DEADLINE (sys_now_ms() time), waiting with WAIT_FOR (ARG) whenever OpenSSL
 * needs the socket.  RETURNS 0, -EPROTO when OpenSSL refused the handshake
 * (tls_error() says why), -ETIMEDOUT, or WAIT_FOR's -errno.  The control
 * connection's handshake waits so that SIGTERM ends it (tlsproc.c), the
 * data connection's watching the control connection (tlsdata.c).
 */
int tls_accept(SSL *ssl, int fd, long long deadline, tls_wait_fn wait_for, void *arg);

#endif
