/* tlsdata.c - TLS on data connections, post-login; see tlsdata.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "sysutil.h"
#include "tls.h"
#include "tlsdata.h"

/* Bytes of records gathered per write (tlsdata_send): room for the
 * records of one 256 KiB transfer block (16 of at most 16 KiB of text
 * each, with any cipher's overhead), so that a block goes out in one write. */
#define BLOCK_RECORDS	16
#define COALESCE	(BLOCK_RECORDS * (SSL3_RT_HEADER_LENGTH + SSL3_RT_MAX_PLAIN_LENGTH + \
					  SSL3_RT_MAX_ENCRYPTED_OVERHEAD))
/* Unsent bytes the data socket holds before it stops taking more
 * (TCP_NOTSENT_LOWAT): one block's records. */
#define UNSENT_MAX	(BLOCK_RECORDS * SSL3_RT_MAX_PLAIN_LENGTH)

static SSL_CTX *data_ctx;	/* tls_ctx(TLS_DATA), chosen by the helper, inherited */
static SSL *cur;		/* the current data connection's */
static int cur_fd = -1;
static BIO *cur_wbuf;		/* its write buffer, without kernel TLS */
static struct session *cur_s;	/* how a full socket is waited for */
static tlsdata_wait_fn cur_wait;
static ssize_t cur_end = 1;	/* tlsdata_recv's next result, when <= 0: the
				 * end or error met after some bytes */

/* No certificate to choose: the context can only resume. */
static int
cert_cb(SSL *ssl, void *arg)
{
	(void)ssl;
	(void)arg;
	return 1;
}

int
tlsdata_setup_ctx(SSL_CTX *ctx, const struct config *cfg)
{
	SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
	/* tickets come from the control connection (tlsproc.h) */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	/* read as much as the socket has: one recv for several records, not
	 * two per record (header, then body); tlsdata_pending covers them */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* kernel TLS where the kernel has it: OpenSSL sets TCP_ULP "tls" and
	 * TLS_TX on the socket after the handshake, and falls back to its own
	 * record layer when either fails (ENOENT without CONFIG_TLS) */
	if (cfg->use_sendfile)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	/* the cache holds the control session only (tlsdata_add_session):
	 * a full handshake fails without a key, so nothing else gets in */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER |
				       SSL_SESS_CACHE_NO_AUTO_CLEAR);
	return 0;
}

int
tlsdata_prepare(const struct config *cfg, const uint8_t key[TLS_TICKET_KEY_LEN],
		char *err, size_t errlen)
{
	(void)cfg;
	tls_set_ticket_key(key);
	data_ctx = tls_ctx(TLS_DATA);
	if (data_ctx == NULL) {
		snprintf(err, errlen, "no TLS context (ssl_enable was off at start)");
		return -1;
	}
	return 0;
}

int
tlsdata_add_session(const uint8_t *der, size_t len)
{
	const unsigned char *q = der;
	SSL_SESSION *sess;
	int ok;

	if (data_ctx == NULL || len == 0 || len > LONG_MAX)
		return -EINVAL;
	sess = d2i_SSL_SESSION(NULL, &q, (long)len);
	if (sess == NULL || q != der + len) {
		SSL_SESSION_free(sess);
		ERR_clear_error();
		return -EPROTO;
	}
	ok = SSL_CTX_add_session(data_ctx, sess);
	SSL_SESSION_free(sess);		/* the cache holds a reference */
	return ok == 1 ? 0 : -ENOMEM;
}

bool
tlsdata_active(int fd)
{
	return cur != NULL && fd == cur_fd;
}

static void
forget(void)
{
	SSL_free(cur);		/* frees the write buffer too */
	cur = NULL;
	cur_wbuf = NULL;
	cur_fd = -1;
	cur_end = 1;
}

/*
 * Records go out through a buffer: OpenSSL writes each 16 KiB record with
 * a write of its own (4,141 writes for 64 MiB), the buffer gathers
 * COALESCE bytes of records per write.  Not with kernel TLS, whose socket
 * BIO must stay the write BIO (SSL_sendfile).
 *
 * And the socket keeps at most UNSENT_MAX bytes not yet sent: the bytes
 * a slower receiver has no window for wait in this process, not in the
 * kernel.  A socket with megabytes queued sends them when the receiver's
 * ACKs open the window, in whatever context takes the ACK: over loopback,
 * the receiving process's own recv (bench/NOTES.md).  What is in flight
 * is not limited, only what waits behind it.
 */
static void
coalesce(void)
{
	BIO *sock = SSL_get_wbio(cur), *b;
	int r;

	if (BIO_get_ktls_send(sock))
		return;
	r = sys_setsockopt_int(cur_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, UNSENT_MAX);
	if (r < 0)
		log_warning("Failed to set TCP_NOTSENT_LOWAT on the data connection: %s, "
			    "ignoring", strerror(-r));
	b = BIO_new(BIO_f_buffer());
	if (b == NULL || BIO_set_write_buffer_size(b, COALESCE) != 1 || !BIO_up_ref(sock)) {
		BIO_free(b);
		ERR_clear_error();
		return;		/* a write per record, as before */
	}
	BIO_push(b, sock);
	SSL_set0_wbio(cur, b);
	cur_wbuf = b;
}

/* Write out what the buffer holds; with WAIT, waiting for the socket
 * (cur_wait: the control connection is watched meanwhile) within
 * data_connection_timeout.  RETURNS 0 (all out), -EAGAIN (not all, no
 * WAIT), -EPIPE or cur_wait's -errno (-ETIMEDOUT, -ECONNABORTED...). */
static int
flush_out(bool wait)
{
	long long deadline = !wait ? 0 :
		sys_now_ms() + (long long)cur_s->cfg->data_connection_timeout * 1000;

	while (cur_wbuf && BIO_wpending(cur_wbuf) > 0) {
		int r;

		if (BIO_flush(cur_wbuf) > 0)
			break;
		if (!BIO_should_retry(cur_wbuf))
			return -EPIPE;
		if (!wait)
			return -EAGAIN;
		r = cur_wait(cur_s, cur_fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* tls_accept's wait: the session's (cur_wait, data_wait). */
static int
wait_in_session(void *s, int fd, short events, long long deadline)
{
	return cur_wait(s, fd, events, deadline);
}

int
tlsdata_accept(struct session *s, int fd, tlsdata_wait_fn wait_for)
{
	long long deadline = sys_now_ms() + (long long)s->cfg->data_connection_timeout * 1000;
	int r;

	forget();
	if (data_ctx == NULL || (cur = SSL_new(data_ctx)) == NULL || SSL_set_fd(cur, fd) != 1) {
		log_warning("Failed to set up TLS on the data connection: %s",
			    tls_error("no data context"));
		forget();
		return -1;
	}
	cur_s = s;
	cur_wait = wait_for;
	r = tls_accept(cur, fd, deadline, wait_in_session, s);
	if (r == 0 && !SSL_session_reused(cur))
		r = -EPERM;	/* cannot happen without a key; checked all the same */
	if (r == -ECONNABORTED || r == -ESHUTDOWN) {
		forget();
		return r;
	}
	if (r < 0) {
		log_notice("TLS data connection refused: it must resume the control "
			   "connection's TLS session (%s)",
			   r == -EPROTO ? tls_error("handshake failed") : strerror(-r));
		forget();
		return -1;
	}
	cur_fd = fd;
	coalesce();
	return 0;
}

/* The -errno for the failed SSL call result R. */
static ssize_t
ssl_failure(int r)
{
	int e = SSL_get_error(cur, r);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return errno ? -errno : 0;
	log_info("TLS error on the data connection: %s", tls_error("unknown"));
	return -EPROTO;
}

/*
 * A record carries at most 16 KiB: each SSL_write and SSL_read moves one.
 * Both loop until LEN bytes moved or the socket would block, so that a
 * transfer step moves a whole buffer (one poll and, for uploads, one file
 * write per 256 KiB instead of per record).  What moved is returned; an
 * error after some bytes comes back on the next call.
 */
ssize_t
tlsdata_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;
	int n = 0, r;

	if (!tlsdata_active(fd))
		return -EBADF;
	while (done < len) {
		size_t want = len - done;

		n = SSL_write(cur, p + done, want > INT_MAX ? INT_MAX : (int)want);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	/* what is counted as sent must be on the socket (one write per
	 * block): the wait for it watches the control connection */
	if (done > 0 && (r = flush_out(true)) < 0)
		return r;
	if (done > 0) {
		ERR_clear_error();
		return (ssize_t)done;
	}
	n = (int)ssl_failure(n);
	return n == 0 ? -EPIPE : n;
}

ssize_t
tlsdata_recv(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;
	int n = 0;

	if (!tlsdata_active(fd))
		return -EBADF;
	if (cur_end <= 0)
		return cur_end;
	while (done < len) {
		size_t want = len - done;

		n = SSL_read(cur, p + done, want > INT_MAX ? INT_MAX : (int)want);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done == 0)
		return ssl_failure(n);
	if (done < len) {
		/* close_notify, EOF or an error behind the bytes: the socket may
		 * never be readable again, so keep it for the next call */
		ssize_t e = ssl_failure(n);

		if (e != -EAGAIN)
			cur_end = e;
	}
	return (ssize_t)done;
}

enum tlsdata_path
tlsdata_choose_path(bool ktls_tx, bool ascii, bool use_sendfile)
{
	if (!ktls_tx)
		return TLSDATA_USERSPACE;
	return ascii || !use_sendfile ? TLSDATA_KTLS_WRITE : TLSDATA_KTLS_SENDFILE;
}

const char *
tlsdata_path_name(enum tlsdata_path p)
{
	return p == TLSDATA_USERSPACE ? "userspace" : "ktls";
}

bool
tlsdata_ktls_send(int fd)
{
#ifndef OPENSSL_NO_KTLS
	return tlsdata_active(fd) && BIO_get_ktls_send(SSL_get_wbio(cur));
#else
	(void)fd;
	return false;
#endif
}

ssize_t
tlsdata_sendfile(int fd, int file_fd, off_t off, size_t len)
{
#ifndef OPENSSL_NO_KTLS
	ossl_ssize_t n;
	int err, e;

	if (!tlsdata_ktls_send(fd))
		return -EBADF;
	errno = 0;
	n = SSL_sendfile(cur, file_fd, off, len, 0);
	if (n >= 0)
		return n;
	err = errno;
	e = SSL_get_error(cur, (int)n);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
		return -EAGAIN;
	return err ? -err : -EPROTO;
#else
	(void)fd;
	(void)file_fd;
	(void)off;
	(void)len;
	return -ENOSYS;
#endif
}

bool
tlsdata_pending(int fd)
{
	/* SSL_has_pending: also records read from the socket, not yet decrypted */
	return tlsdata_active(fd) && (SSL_has_pending(cur) || cur_end <= 0);
}

int
tlsdata_flush(int fd)
{
	return tlsdata_active(fd) ? flush_out(true) : 0;
}

void
tlsdata_close(int fd)
{
	if (!tlsdata_active(fd))
		return;
	(void)flush_out(false);	/* after an ABOR or a failure: no wait */
	(void)SSL_shutdown(cur);	/* the alert is flushed by OpenSSL */
	ERR_clear_error();
	forget();
}
