/* tlsproc.c - the control connection's TLS, in the pre-login process, then its pump; see tlsproc.h. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "defs.h"
#include "ftpcmd.h"
#include "log.h"
#include "privproto.h"
#include "privsock.h"
#include "sysutil.h"
#include "tls.h"
#include "tlsctl.h"
#include "tlsdeleg.h"
#include "tlsproc.h"

/* One TLS record's worth of plain text each way. */
#define PUMP_BUF	16384

struct pump {
	SSL *ssl;
	int tcp, plain, ctl;
	size_t up_len, up_off;	/* of up[] */
	size_t down_len;	/* of down[] */
	bool client_eof;	/* close_notify, EOF or a TLS error from the client */
	bool close_notify;	/* ... and it was a close_notify */
	bool ccc_allowed;	/* ssl_allow_ccc */
	bool service_eof;	/* the service process closed its end */
	bool ticket;		/* a new ticket is queued but maybe not sent */
	bool session_sent;	/* GET_SESSION answered (once) */
	unsigned int ccc_timeout;	/* seconds for CCC's close_notify exchange */
	unsigned int idle_timeout;	/* seconds a reply or a command's record may take */
	long long down_deadline;	/* down[] must be sent by then (sys_now_ms) */
	bool ended;			/* before login: close_notify sent (ctl_end) */
	short tcp_events;	/* what OpenSSL waits for */
	short plain_events;
	/* the buffers last: an idle session's pump writes the scalars and
	 * the start of each buffer, two pages in all */
	char up[PUMP_BUF];	/* from the client, not yet given to the service */
	char down[PUMP_BUF];	/* from the service, for SSL_write (same buffer on retry) */
};

_Static_assert(PRIV_TICKET_KEY_LEN == TLS_TICKET_KEY_LEN, "the helper's ticket key is the context's");

/* The control connection's TLS: one per process. */
static struct pump tp LARGE_BSS;

/* --- set-up, in the pre-login process --- */

/* The control connection's SSL: the context loaded before the session
 * forked, with the delegated key, which asks for its signature on SIGN_FD. */
static SSL *
new_ssl(int tcp_fd, int sign_fd)
{
	SSL_CTX *ctx = tls_ctx(TLS_CONTROL);
	EVP_PKEY *key = ctx ? tlsdeleg_key(tls_cert(), sign_fd) : NULL;
	SSL *ssl = key ? SSL_new(ctx) : NULL;

	if (key == NULL)
		die("Failed to set up TLS: %s", ctx ? "cannot make the delegated key" :
		    "no TLS context");
	if (ssl == NULL || SSL_use_PrivateKey(ssl, key) != 1 || SSL_set_fd(ssl, tcp_fd) != 1)
		die("Failed to set up TLS: %s", tls_error("unknown error"));
	EVP_PKEY_free(key);
	return ssl;
}

/* Tell the helper the handshake is over; no signature after this. */
static void
ready(int sign_fd)
{
	int r = priv_send_msg(sign_fd, &(const struct priv_msg){ .type = PRIV_REQ_TLS_READY });

	if (r < 0)
		die("Failed to tell the helper the handshake is over: %s", strerror(-r));
	tlsdeleg_forget();
}

/* --- the pump --- */

/* After an SSL call's result R: record what OpenSSL waits for.
 * RETURNS false when it failed for good. */
static bool
ssl_waits(struct pump *p, int r)
{
	int e = SSL_get_error(p->ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		p->tcp_events |= POLLIN;
	else if (e == SSL_ERROR_WANT_WRITE)
		p->tcp_events |= POLLOUT;
	else {
		p->close_notify = e == SSL_ERROR_ZERO_RETURN;
		if (e != SSL_ERROR_ZERO_RETURN && ERR_peek_error() != 0)
			log_info("TLS connection with the client ended: %s", tls_error(""));
		ERR_clear_error();
		return false;
	}
	return true;
}

static bool
from_client(struct pump *p)
{
	int n;

	if (p->client_eof || p->up_len)
		return false;
	n = SSL_read(p->ssl, p->up, sizeof(p->up));
	if (n > 0) {
		p->up_len = (size_t)n;
		p->up_off = 0;
		return true;
	}
	if (ssl_waits(p, n))
		return false;
	p->client_eof = true;
	return true;
}

static bool
to_service(struct pump *p)
{
	ssize_t n;

	if (p->up_off == p->up_len)
		return false;
	n = sys_send(p->plain, p->up + p->up_off, p->up_len - p->up_off, MSG_DONTWAIT);
	if (n == -EAGAIN) {
		p->plain_events |= POLLOUT;
		return false;
	}
	if (n < 0)
		p->service_eof = true, p->up_off = p->up_len;
	else
		p->up_off += (size_t)n;
	if (p->up_off == p->up_len)
		p->up_off = p->up_len = 0;
	return true;
}

static bool
from_service(struct pump *p)
{
	ssize_t n;

	if (p->service_eof || p->down_len)
		return false;
	n = sys_recv(p->plain, p->down, sizeof(p->down), MSG_DONTWAIT);
	if (n == -EAGAIN) {
		p->plain_events |= POLLIN;
		return false;
	}
	if (n <= 0)
		p->service_eof = true;
	else
		p->down_len = (size_t)n;
	p->down_deadline = sys_now_ms() + (long long)p->idle_timeout * 1000;
	return true;
}

/* SSL_write what the service sent; with nothing to send, flush a ticket. */
static bool
to_client(struct pump *p)
{
	int n;

	if (p->client_eof || (!p->down_len && !p->ticket))
		return false;
	n = p->down_len ? SSL_write(p->ssl, p->down, (int)p->down_len) : SSL_do_handshake(p->ssl);
	if (n > 0) {
		p->down_len = 0;
		p->ticket = false;
		return true;
	}
	if (ssl_waits(p, n))
		return false;
	p->client_eof = true;
	p->down_len = 0;
	return true;
}

/* The client is gone (or sent close_notify): what the service still says
 * goes nowhere.  Read and drop it, so that the service never blocks
 * writing to us while we wait to give it what the client sent last. */
static bool
drop_replies(struct pump *p)
{
	if (!p->client_eof || p->down_len == 0)
		return false;
	p->down_len = 0;
	return true;
}

/* GET_SESSION's answer into B: the TLS 1.2 session, or no bytes. */
static void
session_body(struct pump *p, struct buf *b)
{
	uint8_t der[TLSCTL_SESSION_MAX];	/* on the stack: given back while idle */
	SSL_SESSION *sess = SSL_get_session(p->ssl);
	int n = sess && SSL_version(p->ssl) == TLS1_2_VERSION ? i2d_SSL_SESSION(sess, NULL) : 0;
	unsigned char *q = der;

	if (n <= 0 || n > (int)sizeof(der) || i2d_SSL_SESSION(sess, &q) != n)
		n = 0;
	if (buf_put_bytes(b, der, (size_t)n) < 0)
		buf_reset(b);	/* cannot happen: the buffer holds far more */
	OPENSSL_cleanse(der, sizeof(der));
}

/* Wait until the TCP socket is ready for what OpenSSL asked (P->tcp_events)
 * or DEADLINE passes; with MASK (ppoll), until a signal it lets in comes.
 * RETURNS 0, -ETIMEDOUT, or -EINTR (with MASK only). */
static int
wait_tcp(struct pump *p, long long deadline, const sigset_t *mask)
{
	struct pollfd f = { .fd = p->tcp, .events = p->tcp_events ? p->tcp_events : POLLIN };
	long long left = deadline - sys_now_ms();
	int ms = left > INT_MAX ? INT_MAX : (int)left, r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = mask ? sys_ppoll(&f, 1, ms, mask) : sys_poll(&f, 1, ms);
	return r < 0 && (r != -EINTR || mask) ? r : 0;
}

/* CCC: what the service wrote before asking (its 200 reply) goes out
 * first.  RETURNS 0, or -EPIPE when the client went away. */
static int
flush_service(struct pump *p, long long deadline)
{
	for (;;) {
		bool progress;

		p->tcp_events = p->plain_events = 0;
		progress = from_service(p);
		progress |= to_client(p);
		if (p->client_eof)	/* its close_notify came first: all was sent */
			return p->close_notify && p->down_len == 0 ? 0 : -EPIPE;
		if (p->down_len == 0 && !p->ticket && (p->plain_events & POLLIN || p->service_eof))
			return 0;
		if (!progress && wait_tcp(p, deadline, NULL) < 0)
			return -ETIMEDOUT;
	}
}

/* CCC: close_notify both ways (RFC 4217 section 6).  OpenSSL reads the
 * control connection record by record (no read-ahead), so what the client
 * sends in clear after its close_notify stays in the socket. */
static int
close_tls(struct pump *p, long long deadline)
{
	for (;;) {
		int r = SSL_shutdown(p->ssl), e;

		if (r == 1)
			return 0;
		if (r == 0)
			continue;	/* ours is out; now the client's */
		e = SSL_get_error(p->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -EPROTO;
		p->tcp_events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (wait_tcp(p, deadline, NULL) < 0)
			return -ETIMEDOUT;
	}
}

/* CCC (ssl_allow_ccc; the post-login process checked the policy): end
 * TLS on the control connection, hand its socket to the post-login
 * process, exit.  Any failure ends the session: TLS is half closed. */
static void NORETURN
clear_text(struct pump *p)
{
	long long deadline = sys_now_ms() + (long long)p->ccc_timeout * 1000;
	int r = flush_service(p, deadline);

	if (r == 0)
		r = close_tls(p, deadline);
	if (r == 0)
		r = sys_set_blocking(p->tcp);
	if (r == 0)
		r = priv_send(p->ctl, TLSCTL_ANS_CCC, &(struct buf){ 0 });
	if (r == 0)
		r = sys_send_fd(p->ctl, p->tcp);
	if (r < 0)
		log_notice("CCC failed: %s", r == -EPROTO ? tls_error("TLS error") : strerror(-r));
	else
		log_info("CCC: the control connection is in clear text from now on");
	sys_exit_session(0);
}

/* One message on the TLS control channel (tlsctl.h). */
static void
control(struct pump *p)
{
	struct buf b;
	uint16_t type;
	int r = priv_recv(p->ctl, &type, &b);

	if (r == -EPIPE || r == -ECONNRESET) {
		p->ctl = sys_close(p->ctl);
		return;
	}
	if (r < 0 || tlsctl_req_decode(type, &b) < 0 ||
	    (type == TLSCTL_REQ_GET_SESSION && p->session_sent))
		die("Bad message on the TLS control channel");
	buf_reset(&b);
	if (type == TLSCTL_REQ_CCC)
		clear_text(p);
	if (type == TLSCTL_REQ_NEW_TICKET) {
		if (SSL_version(p->ssl) >= TLS1_3_VERSION && SSL_new_session_ticket(p->ssl) == 1)
			p->ticket = true;
	} else {
		p->session_sent = true;
		session_body(p, &b);
	}
	r = priv_send(p->ctl, (uint16_t)(type + 1), &b);	/* the answer is type + 1 */
	OPENSSL_cleanse(&b, sizeof(b));		/* it may hold the master secret */
	if (r < 0)
		p->ctl = sys_close(p->ctl);
}

/* The client's close_notify may be CCC's (ftplib's unwrap sends it as soon
 * as it reads the 200), read before the post-login process's request
 * arrives: wait for that request, for as long as CCC may take, unless the
 * client closes the connection meanwhile. */
static void
await_ccc(struct pump *p)
{
	long long deadline = sys_now_ms() + (long long)p->ccc_timeout * 1000;

	while (p->ctl >= 0) {
		struct pollfd f[2] = {
			{ .fd = p->ctl, .events = POLLIN },
			{ .fd = p->tcp, .events = POLLIN },
		};
		long long left = deadline - sys_now_ms();
		int r = left > 0 ? sys_poll(f, 2, left > INT_MAX ? INT_MAX : (int)left) : 0;

		if (r == -EINTR)
			continue;
		if (r <= 0 || f[1].revents)
			return;		/* timed out, or the client sent more: no CCC */
		control(p);
	}
}

/* RETURNS the ms left for the client to take the reply in down[], or -1
 * when none waits for it. */
static int
reply_left_ms(const struct pump *p)
{
	long long left;

	if (p->down_len == 0 || p->client_eof)
		return -1;
	left = p->down_deadline - sys_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait for what the pump waits for.  A client that takes no reply for
 * idle_session_timeout ends the session, as one that sends nothing does:
 * else the post-login process would block writing its next reply, and
 * the session would stay for ever. */
static void
wait_events(struct pump *p)
{
	struct pollfd f[3] = {
		{ .fd = p->tcp_events ? p->tcp : -1, .events = p->tcp_events },
		{ .fd = p->plain_events ? p->plain : -1, .events = p->plain_events },
		{ .fd = p->ctl, .events = POLLIN },
	};
	int left = reply_left_ms(p);
	int r = sys_poll(f, 3, left >= 0 && left < SYS_STACK_IDLE_MS ? left : SYS_STACK_IDLE_MS);

	if (r == 0 && left != 0) {
		sys_stack_release();	/* the handshake's frames, while idle */
		r = sys_poll(f, 3, reply_left_ms(p));
	}
	if (r < 0 && r != -EINTR)
		die("Failed to poll: %s", strerror(-r));
	if (r == 0 && reply_left_ms(p) == 0) {
		log_info("The client took no reply for %u s, closing", p->idle_timeout);
		sys_exit_session(0);
	}
	if (r > 0 && f[2].revents)
		control(p);
}

static void NORETURN
pump(struct pump *p)
{
	for (;;) {
		bool progress;

		do {
			p->tcp_events = p->plain_events = 0;
			progress = from_client(p);
			progress |= to_service(p);
			progress |= from_service(p);
			progress |= to_client(p);
			progress |= drop_replies(p);
			if (p->service_eof && p->down_len == 0) {
				if (!p->client_eof)
					(void)SSL_shutdown(p->ssl);	/* close_notify, best effort */
				sys_exit_session(0);
			}
			if (p->client_eof && p->up_len == 0) {
				if (p->close_notify && p->ccc_allowed)
					await_ccc(p);
				sys_exit_session(0);
			}
		} while (progress);
		wait_events(p);
	}
}

/* --- the control connection before login, for ftpcmd.c --- */

/* tls_accept's wait and ctl_wait's, before login: for the TCP socket to
 * have EVENTS until DEADLINE, or SIGTERM (ftpcmd.c then ends the session).
 * RETURNS 0 (ready, or another signal), -ETIMEDOUT or -EINTR (SIGTERM). */
static int
term_wait(void *arg, int fd, short events, long long deadline)
{
	int r;

	(void)arg, (void)fd;	/* tp.tcp */
	tp.tcp_events = events;
	if (ftp_term_requested())
		return -EINTR;
	r = wait_tcp(&tp, deadline, ftp_term_mask());
	return r == -EINTR && !ftp_term_requested() ? 0 : r;
}

/* After an SSL call's result R on the control connection: wait for what
 * OpenSSL needs, until DEADLINE or SIGTERM (ftpcmd.c then ends the
 * session).  RETURNS 1 to call again, or what the caller returns: 0 for
 * the client's close, -errno otherwise (-EINTR: SIGTERM came). */
static int
ctl_wait(int r, long long deadline)
{
	int e = SSL_get_error(tp.ssl, r);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		r = term_wait(NULL, tp.tcp, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
			      deadline);
		return r < 0 ? r : 1;
	}
	if (e != SSL_ERROR_ZERO_RETURN && ERR_peek_error() != 0)
		log_info("TLS connection with the client ended: %s", tls_error(""));
	ERR_clear_error();
	tp.ended = true;		/* nothing more can be sent */
	return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ? 0 : -EPROTO;
}

static long long
ctl_deadline(void)
{
	return sys_now_ms() + (long long)tp.idle_timeout * 1000;
}

static ssize_t
ctl_recv(void *buf, size_t len, int flags)
{
	long long deadline = ctl_deadline();
	int want = len > INT_MAX ? INT_MAX : (int)len, n, r;

	for (;;) {
		n = flags & MSG_PEEK ? SSL_peek(tp.ssl, buf, want) : SSL_read(tp.ssl, buf, want);
		if (n > 0)
			return n;
		if ((r = ctl_wait(n, deadline)) <= 0)
			return r;
	}
}

static ssize_t
ctl_write_full(const void *buf, size_t len)
{
	long long deadline = ctl_deadline();
	int n, r;

	if (tp.ended)
		return -EPIPE;
	if (len > INT_MAX)
		return -EMSGSIZE;
	for (;;) {
		n = SSL_write(tp.ssl, buf, (int)len);
		if (n > 0)
			return (ssize_t)len;	/* no partial writes on this context */
		if ((r = ctl_wait(n, deadline)) <= 0)
			return r == 0 ? -EPIPE : r;
	}
}

static bool
ctl_pending(void)
{
	return SSL_pending(tp.ssl) > 0;
}

/* The session ends before login: close_notify, best effort. */
static void
ctl_end(void)
{
	if (!tp.ended)
		(void)SSL_shutdown(tp.ssl);
	tp.ended = true;
}

static const struct ftp_ctl_io ctl_io = {
	.recv = ctl_recv,
	.write_full = ctl_write_full,
	.pending = ctl_pending,
	.end = ctl_end,
};

const struct ftp_ctl_io *
tlsproc_ctl_io(void)
{
	return &ctl_io;
}

int
tlsproc_handshake(const struct config *cfg, int tcp_fd, int sign_fd,
		  const uint8_t key[PRIV_TICKET_KEY_LEN])
{
	long long deadline = sys_now_ms() + (long long)cfg->idle_session_timeout * 1000;
	int r;

	unsigned char seed[16];

	/* the random generator reseeds after fork (getrandom, which every
	 * role allows): here, not at every pre-login process's start */
	if (RAND_bytes(seed, sizeof(seed)) != 1)
		die("Failed to seed the random generator: %s", tls_error("unknown error"));
	tls_set_ticket_key(key);
	tp.ssl = new_ssl(tcp_fd, sign_fd);
	tp.tcp = tcp_fd;
	tp.idle_timeout = cfg->idle_session_timeout;
	if (sys_set_nonblock(tp.tcp) < 0)
		die_errno("Failed to make the control connection non-blocking");
	/* SIGTERM (the listener's shutdown, systemctl stop) ends a handshake:
	 * no 421, which would be clear text after AUTH TLS's 234 */
	r = tls_accept(tp.ssl, tp.tcp, deadline, term_wait, NULL);
	if (r == -EINTR) {
		log_info("Shutting down on SIGTERM during the TLS handshake, closing");
		return -1;
	}
	if (r < 0) {
		log_notice("TLS handshake failed: %s",
			   r == -EPROTO ? tls_error("connection closed") : strerror(-r));
		return -1;
	}
	ready(sign_fd);
	log_event(LOG_INFO, &(struct log_fields){ .tls_version = SSL_get_version(tp.ssl),
		  .tls_cipher = SSL_get_cipher_name(tp.ssl) },
		  "TLS session: %s, cipher %s%s", SSL_get_version(tp.ssl),
		  SSL_get_cipher_name(tp.ssl), SSL_session_reused(tp.ssl) ? ", resumed" : "");
	return 0;
}

void
tlsproc_pump(const struct config *cfg, int plain, int ctl)
{
	tp.plain = plain;
	tp.ctl = ctl;
	tp.ccc_timeout = cfg->data_connection_timeout;
	tp.ccc_allowed = cfg->ssl_allow_ccc;
	/* the handshake's and the login's memory back to the kernel: idle
	 * sessions are the common case, and this process lives as long as
	 * the session */
	malloc_trim(0);
	pump(&tp);
}

/* Send the body-less request REQ on FD and check its answer. RETURNS 0 or -errno. */
static int
ask(int fd, uint16_t req)
{
	struct tlsctl_ans ans;
	struct buf b;
	uint16_t type;
	int r;

	buf_reset(&b);
	r = priv_send(fd, req, &b);
	if (r == 0)
		r = priv_recv(fd, &type, &b);
	if (r == 0)
		r = tlsctl_ans_decode(req, type, &b, &ans);
	return r;
}

int
tlsproc_new_ticket(int fd)
{
	return ask(fd, TLSCTL_REQ_NEW_TICKET);
}

int
tlsproc_ccc(int fd)
{
	int r = ask(fd, TLSCTL_REQ_CCC);

	return r < 0 ? r : sys_recv_fd(fd);
}

int
tlsproc_get_session(int fd, struct tlsctl_ans *out)
{
	struct buf b;
	uint16_t type;
	int r;

	buf_reset(&b);
	r = priv_send(fd, TLSCTL_REQ_GET_SESSION, &b);
	if (r == 0)
		r = priv_recv(fd, &type, &b);
	if (r == 0)
		r = tlsctl_ans_decode(TLSCTL_REQ_GET_SESSION, type, &b, out);
	OPENSSL_cleanse(&b, sizeof(b));
	return r;
}
