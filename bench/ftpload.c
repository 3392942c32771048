/*
 * ftpload.c - FTP load generator for the benchmarks (bench/) and the load
 * tests (issue 7).  Plain sockets and POSIX threads; OpenSSL for --tls.
 *
 * Modes (one per run):
 *   sessions (default)  CLIENTS threads each run whole sessions back to back:
 *                       connect, banner, USER, PASS, PWD, PASV + NLST DIR,
 *                       optional RETR / STOR (byte-checked), QUIT.  Stops at
 *                       -n sessions or -t seconds, whichever comes first.
 *   --hold N            log N sessions in (CLIENTS at a time), PWD, then keep
 *                       them idle until SIGTERM/SIGINT or -t seconds; prints
 *                       "ready" once all are logged in.
 *   --list-time DIR     one session, -r times PASV + LIST DIR, times each.
 *   --gen PATH SIZE     write a pattern file that --retr-check can verify.
 *
 * --tls makes every session explicit FTPS: AUTH TLS after the banner, the
 * handshake, login, PBSZ 0, PROT P, and every data connection in TLS,
 * resuming the control connection's session (the latest ticket it
 * received there), as vsftpd's require_ssl_reuse and miniftpd demand.
 * TLS 1.3 only, with the one suite of --tls-suite (TLS_AES_128_GCM_SHA256),
 * no certificate check (the bench's certificate is self-signed).
 *
 * The result is one line of KEY=VALUE words on stdout.  Exit status: 0 all
 * sessions ok, 1 a session failed, 2 usage, 3 the server answered 500/502
 * to a verb we need (reported as unsupported=VERB, not as a failure).
 *
 * Every wait is bounded: each socket operation by -T milliseconds, the run
 * by -t seconds, and an alarm kills the process if it overstays both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define LINE_MAX_FTP	4096
#define IOBUF		(256 * 1024)
#define MAX_CLIENTS	5000
#define MAX_SESSIONS	10000000UL
#define ERR_MAX		200

enum outcome { S_OK, S_FAIL, S_UNSUPPORTED, S_REFUSED };

static struct opts {
	const char *host;
	unsigned port;
	const char *user;
	const char *pass;
	unsigned clients;
	unsigned long max_sessions;
	double seconds;
	int timeout_ms;
	const char *nlst_dir;
	bool no_list;
	const char *retr_path;
	long long retr_size;	/* -1: unknown, just count */
	bool retr_check;	/* compare with the --gen pattern */
	const char *stor_prefix;
	long long stor_size;
	bool stor_verify;
	bool stor_delete;
	bool mix;
	unsigned hold;
	const char *list_dir;
	unsigned repeat;
	const char *gen_path;
	const char *stor_file;	/* upload this local file's bytes instead of the pattern */
	const char *list_verb;	/* NLST (default) or LIST */
	bool tls;
	const char *tls_suite;
	bool verbose;
} o = {
	.host = "127.0.0.1", .port = 21, .user = "anonymous", .pass = "ftpload@",
	.clients = 1, .max_sessions = 1000, .seconds = 10, .timeout_ms = 10000,
	.retr_size = -1, .stor_size = 1 << 20, .repeat = 5, .list_verb = "NLST",
	.tls_suite = "TLS_AES_128_GCM_SHA256",
};

static SSL_CTX *tls_ctx;

static struct sockaddr_storage server;
static socklen_t server_len;
static volatile sig_atomic_t stop_flag;

/* Shared results; latencies indexed by session number. */
static struct {
	atomic_ulong started;
	atomic_ulong counts[4];
	atomic_ullong bytes_in, bytes_out;
	double xfer_secs;	/* RETR/STOR: from the verb to the final reply (lock) */
	char tls_info[64];	/* the first session's version/suite (lock) */
	double *lat_ms;
	atomic_int have_err;
	char first_err[ERR_MAX];
	char unsupported[16];
	pthread_mutex_t lock;
} res = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* One control connection with its read buffer. */
struct conn {
	int fd;
	SSL *ssl;			/* control connection, with --tls */
	SSL_SESSION *sess;		/* the latest session it gave (data reuse) */
	size_t len, off;
	char buf[LINE_MAX_FTP];
	char last[LINE_MAX_FTP];	/* last reply line, for error messages */
	const char *verb;		/* the verb that got a 500/502 */
	unsigned char *io;		/* IOBUF bytes for data transfers */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
note_error(const char *fmt, ...)
{
	int expected = 0;
	va_list ap;

	if (!atomic_compare_exchange_strong(&res.have_err, &expected, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(res.first_err, sizeof(res.first_err), fmt, ap);
	va_end(ap);
	for (char *p = res.first_err; *p; p++)
		if (*p == '"' || *p == '\r' || *p == '\n')
			*p = '\'';
}

/* ---- the byte pattern: splitmix64 of (seed + offset / 8) ---- */

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
pattern_fill(unsigned char *p, uint64_t off, size_t len, uint64_t seed)
{
	while (len > 0) {
		uint64_t w = mix64(seed + (off >> 3));
		unsigned shift = (unsigned)(off & 7);
		size_t n = 8 - shift < len ? 8 - shift : len;

		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(w >> ((shift + i) * 8));
		p += n;
		off += n;
		len -= n;
	}
}

static uint64_t
name_seed(const char *name)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *c = strrchr(name, '/') ? strrchr(name, '/') + 1 : name; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return h;
}

/* ---- sockets with bounded waits ---- */

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR && !stop_flag);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int
connect_to(const struct sockaddr_storage *sa, socklen_t len)
{
	int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, len) < 0 && errno != EINPROGRESS)
		goto fail;
	if (wait_fd(fd, POLLOUT, o.timeout_ms) < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
		errno = err ? err : errno;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* After SSL call result R on FD failed: wait as OpenSSL asks. RETURNS 0
 * to retry, 1 at a clean end (close_notify), -1 with errno set. */
static int
tls_wait(SSL *ssl, int fd, int r)
{
	int e = SSL_get_error(ssl, r);

	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(fd, POLLIN, o.timeout_ms);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(fd, POLLOUT, o.timeout_ms);
	if (e == SSL_ERROR_ZERO_RETURN)
		return 1;
	if (e != SSL_ERROR_SYSCALL || errno == 0)
		errno = EPROTO;
	if (o.verbose)
		ERR_print_errors_fp(stderr);
	ERR_clear_error();
	return -1;
}

/* The TLS handshake as client on FD (non-blocking). RETURNS 0 or -1. */
static int
tls_connect(SSL *ssl, int fd)
{
	int r;

	while ((r = SSL_connect(ssl)) != 1)
		if (tls_wait(ssl, fd, r) != 0)
			return -1;
	return 0;
}

static ssize_t
recv_some(int fd, SSL *ssl, void *p, size_t n)
{
	for (;;) {
		if (ssl) {
			int r = SSL_read(ssl, p, n > INT_MAX ? INT_MAX : (int)n), w;

			if (r > 0)
				return r;
			if ((w = tls_wait(ssl, fd, r)) != 0)
				return w > 0 ? 0 : -1;
			continue;
		}
		ssize_t r = recv(fd, p, n, 0);

		if (r >= 0 || (errno != EAGAIN && errno != EINTR))
			return r;
		if (wait_fd(fd, POLLIN, o.timeout_ms) < 0)
			return -1;
	}
}

static int
send_all(int fd, SSL *ssl, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		if (ssl) {	/* whole records: SSL_write returns n or must be repeated */
			int r = SSL_write(ssl, c, n > INT_MAX ? INT_MAX : (int)n);

			if (r <= 0) {
				if (tls_wait(ssl, fd, r) != 0)
					return errno = errno ? errno : EPIPE, -1;
				continue;
			}
			c += r;
			n -= (size_t)r;
			continue;
		}
		ssize_t r = send(fd, c, n, MSG_NOSIGNAL);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, o.timeout_ms) < 0)
				return -1;
			continue;
		}
		if (r < 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- the control channel ---- */

static int
read_line(struct conn *c, char *line)
{
	size_t n = 0;

	for (;;) {
		while (c->off < c->len) {
			char ch = c->buf[c->off++];

			if (ch == '\n') {
				if (n > 0 && line[n - 1] == '\r')
					n--;
				line[n] = '\0';
				return 0;
			}
			if (n + 1 < LINE_MAX_FTP)
				line[n++] = ch;
		}
		ssize_t r = recv_some(c->fd, c->ssl, c->buf, sizeof(c->buf));

		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		c->len = (size_t)r;
		c->off = 0;
	}
}

/* Read one (possibly multi-line) reply. RETURNS its code, or -1. */
static int
read_reply(struct conn *c)
{
	char *line = c->last;

	if (read_line(c, line) < 0 || strlen(line) < 3)
		return -1;
	int code = atoi(line);

	if (line[3] == '-') {
		char end[5];

		memcpy(end, line, 3);
		end[3] = ' ';
		end[4] = '\0';
		do
			if (read_line(c, line) < 0)
				return -1;
		while (strncmp(line, end, 4) != 0);
	}
	return code;
}

static int
command(struct conn *c, const char *verb, const char *arg)
{
	char line[LINE_MAX_FTP];
	int n = snprintf(line, sizeof(line), "%s%s%s\r\n", verb, arg ? " " : "",
			 arg ? arg : "");

	if (n < 0 || (size_t)n >= sizeof(line) || send_all(c->fd, c->ssl, line, (size_t)n) < 0)
		return -1;
	int code = read_reply(c);

	if (code == 500 || code == 502)
		c->verb = verb;
	return code;
}

/* Judge reply CODE to VERB against the range LO..HI. RETURNS an outcome. */
static enum outcome
judge(struct conn *c, int code, const char *verb, int lo, int hi)
{
	if (code >= lo && code <= hi)
		return S_OK;
	if (code == 500 || code == 502)
		return S_UNSUPPORTED;
	if (code < 0)
		note_error("%s: %s", verb, strerror(errno));
	else
		note_error("%s: %s", verb, c->last);
	return S_FAIL;
}

/* Run VERB and check the reply. */
static enum outcome
expect(struct conn *c, const char *verb, const char *arg, int lo, int hi)
{
	return judge(c, command(c, verb, arg), verb, lo, hi);
}

/* Read the final reply of a transfer. */
static enum outcome
expect_final(struct conn *c, const char *verb)
{
	return judge(c, read_reply(c), verb, 226, 250);
}

/* Open a passive data connection. RETURNS its fd, or -1 with *out set. */
static int
pasv(struct conn *c, enum outcome *out)
{
	unsigned h[6];
	struct sockaddr_storage sa = server;
	const char *p;

	*out = expect(c, "PASV", NULL, 227, 227);
	if (*out != S_OK)
		return -1;
	p = strchr(c->last, '(');
	if (p == NULL || sscanf(p, "(%u,%u,%u,%u,%u,%u)", &h[0], &h[1], &h[2], &h[3],
				&h[4], &h[5]) != 6 || h[4] > 255 || h[5] > 255) {
		note_error("PASV: cannot parse '%s'", c->last);
		*out = S_FAIL;
		return -1;
	}
	uint16_t port = htons((uint16_t)(h[4] * 256 + h[5]));

	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = port;
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = port;
	int fd = connect_to(&sa, server_len);

	if (fd < 0) {
		note_error("data connect: %s", strerror(errno));
		*out = S_FAIL;
	}
	return fd;
}

/* ---- transfers ---- */

struct xfer {
	const char *verb;
	const char *arg;
	bool upload;
	long long size;		/* upload: bytes to send; download: expected or -1 */
	bool check;		/* download: compare with the pattern of SEED */
	uint64_t seed;
	long long got;		/* bytes moved */
	long lines;		/* download: newline count (listings) */
	bool timed;		/* RETR/STOR: add the time to res.xfer_secs */
	SSL *ssl;		/* the data connection's, with --tls */
};

static int
download(struct conn *c, int dfd, struct xfer *x)
{
	unsigned char *want = c->io + IOBUF / 2;

	for (;;) {
		ssize_t r = recv_some(dfd, x->ssl, c->io, IOBUF / 2);

		if (r < 0) {
			note_error("%s %s: data: %s", x->verb, x->arg ? x->arg : "", strerror(errno));
			return -1;
		}
		if (r == 0)
			return 0;
		if (x->check) {
			pattern_fill(want, (uint64_t)x->got, (size_t)r, x->seed);
			if (memcmp(want, c->io, (size_t)r) != 0) {
				note_error("%s %s: wrong bytes near offset %lld", x->verb, x->arg,
					   x->got);
				return -1;
			}
		}
		if (!x->timed)	/* listings: not a byte count the transfer should pay for */
			for (ssize_t i = 0; i < r; i++)
				x->lines += c->io[i] == '\n';
		x->got += r;
	}
}

static int
upload(struct conn *c, int dfd, struct xfer *x)
{
	int src = -1;

	if (o.stor_file && (src = open(o.stor_file, O_RDONLY | O_CLOEXEC)) < 0) {
		note_error("%s: %s", o.stor_file, strerror(errno));
		return -1;
	}
	while (x->got < x->size) {
		long long left = x->size - x->got;
		size_t n = left < IOBUF ? (size_t)left : IOBUF;

		if (src >= 0) {	/* from the page cache: no pattern to compute */
			ssize_t r = read(src, c->io, n);

			if (r <= 0) {
				note_error("%s: %s", o.stor_file, r ? strerror(errno) : "short file");
				close(src);
				return -1;
			}
			n = (size_t)r;
		} else {
			pattern_fill(c->io, (uint64_t)x->got, n, x->seed);
		}
		if (send_all(dfd, x->ssl, c->io, n) < 0) {
			note_error("%s %s: data: %s", x->verb, x->arg, strerror(errno));
			if (src >= 0)
				close(src);
			return -1;
		}
		x->got += (long long)n;
	}
	if (src >= 0)
		close(src);
	return 0;
}

/* TLS on the data connection DFD, resuming the control session. */
static int
data_tls(struct conn *c, int dfd, struct xfer *x)
{
	x->ssl = SSL_new(tls_ctx);
	if (x->ssl == NULL || SSL_set_fd(x->ssl, dfd) != 1) {
		note_error("%s: SSL_new failed", x->verb);
		return -1;
	}
	SSL_set_app_data(x->ssl, c);
	if (c->sess)
		SSL_set_session(x->ssl, c->sess);
	if (tls_connect(x->ssl, dfd) < 0) {
		note_error("%s %s: data TLS handshake: %s", x->verb, x->arg ? x->arg : "",
			   strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * End TLS on the data connection: close_notify (an upload's end of data),
 * then read up to the server's close_notify or EOF.  That read also takes
 * the tickets the server sent on this connection, which an upload would
 * otherwise never see: vsftpd's TLS 1.3 tickets are good for one
 * resumption each, so the next data connection needs this one's.
 */
static void
data_tls_end(struct xfer *x, int dfd)
{
	unsigned char sink[512];
	int r = 0;

	if (x->ssl == NULL)
		return;
	for (int i = 0; i < 100 && (r = SSL_shutdown(x->ssl)) < 0; i++)
		if (tls_wait(x->ssl, dfd, r) != 0)
			break;
	for (int i = 0; i < 1000 && r == 0; i++) {
		int n = SSL_read(x->ssl, sink, sizeof(sink));

		if (n <= 0 && tls_wait(x->ssl, dfd, n) != 0)
			break;
	}
	ERR_clear_error();
	SSL_free(x->ssl);
	x->ssl = NULL;
}

/* PASV, the transfer verb, the data, the final reply. */
static enum outcome
transfer(struct conn *c, struct xfer *x)
{
	enum outcome out;
	int dfd = pasv(c, &out);

	if (dfd < 0)
		return out;
	double t0 = now_s();

	out = expect(c, x->verb, x->arg, 125, 150);
	if (out == S_OK) {
		int r = o.tls ? data_tls(c, dfd, x) : 0;

		if (r == 0)
			r = x->upload ? upload(c, dfd, x) : download(c, dfd, x);
		data_tls_end(x, dfd);
		close(dfd);
		dfd = -1;
		out = r < 0 ? S_FAIL : expect_final(c, x->verb);
	}
	if (x->ssl) {
		SSL_free(x->ssl);
		x->ssl = NULL;
	}
	if (dfd >= 0)
		close(dfd);
	if (out == S_OK && x->timed) {
		pthread_mutex_lock(&res.lock);
		res.xfer_secs += now_s() - t0;
		pthread_mutex_unlock(&res.lock);
	}
	if (out == S_OK && !x->upload && x->size >= 0 && x->got != x->size) {
		note_error("%s %s: got %lld bytes, want %lld", x->verb, x->arg, x->got, x->size);
		out = S_FAIL;
	}
	if (x->upload)
		atomic_fetch_add(&res.bytes_out, (unsigned long long)x->got);
	else
		atomic_fetch_add(&res.bytes_in, (unsigned long long)x->got);
	return out;
}

/* ---- one session ---- */

/* A new session (ticket) on the control connection or a data connection of
 * the conn C: the next data connection resumes it. */
static int
on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct conn *c = SSL_get_app_data(ssl);

	if (c == NULL)
		return 0;
	SSL_SESSION_free(c->sess);
	c->sess = sess;
	return 1;	/* we keep the reference */
}

/* TLS 1.3 with one suite, no certificate check, sessions kept for reuse. */
static int
tls_setup(void)
{
	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (tls_ctx == NULL || SSL_CTX_set_min_proto_version(tls_ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(tls_ctx, o.tls_suite) != 1) {
		fprintf(stderr, "ftpload: TLS setup failed (--tls-suite %s)\n", o.tls_suite);
		ERR_print_errors_fp(stderr);
		return -1;
	}
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(tls_ctx, on_new_session);
	return 0;
}

/* AUTH TLS and the handshake on the control connection. */
static enum outcome
start_tls(struct conn *c)
{
	enum outcome out = expect(c, "AUTH", "TLS", 234, 234);

	if (out != S_OK)
		return out;
	c->ssl = SSL_new(tls_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		note_error("AUTH TLS: SSL_new failed");
		return S_FAIL;
	}
	SSL_set_app_data(c->ssl, c);
	if (tls_connect(c->ssl, c->fd) < 0) {
		note_error("AUTH TLS: handshake: %s", strerror(errno));
		return S_FAIL;
	}
	pthread_mutex_lock(&res.lock);
	if (res.tls_info[0] == '\0')
		snprintf(res.tls_info, sizeof(res.tls_info), "%s/%s", SSL_get_version(c->ssl),
			 SSL_get_cipher_name(c->ssl));
	pthread_mutex_unlock(&res.lock);
	return S_OK;
}

/* Forget the TLS state of C's last session. */
static void
tls_forget(struct conn *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);	/* no close_notify: QUIT was answered */
		c->ssl = NULL;
	}
	SSL_SESSION_free(c->sess);
	c->sess = NULL;
	ERR_clear_error();
}

static enum outcome
login(struct conn *c)
{
	int code;

	c->fd = connect_to(&server, server_len);
	if (c->fd < 0) {
		note_error("connect: %s", strerror(errno));
		return S_FAIL;
	}
	code = read_reply(c);
	if (code == 421)
		return S_REFUSED;
	if (code != 220) {
		note_error("banner: %s", code < 0 ? strerror(errno) : c->last);
		return S_FAIL;
	}
	if (o.tls && start_tls(c) != S_OK)
		return S_FAIL;
	code = command(c, "USER", o.user);
	if (code == 331)
		code = command(c, "PASS", o.pass);
	if (code != 230) {
		note_error("login: %s", code < 0 ? strerror(errno) : c->last);
		return code == 421 ? S_REFUSED : S_FAIL;
	}
	enum outcome out = S_OK;

	if (o.tls)
		out = expect(c, "PBSZ", "0", 200, 200);
	if (out == S_OK && o.tls)
		out = expect(c, "PROT", "P", 200, 200);
	return out == S_OK ? expect(c, "PWD", NULL, 257, 257) : out;
}

static enum outcome
do_list(struct conn *c)
{
	struct xfer x = { .verb = o.list_verb, .arg = o.nlst_dir, .size = -1 };

	return transfer(c, &x);
}

static enum outcome
do_retr(struct conn *c)
{
	struct xfer x = { .verb = "RETR", .arg = o.retr_path, .size = o.retr_size,
			  .check = o.retr_check, .seed = name_seed(o.retr_path), .timed = true };

	return transfer(c, &x);
}

static enum outcome
do_stor(struct conn *c, unsigned long idx)
{
	char name[1024];
	enum outcome out;

	snprintf(name, sizeof(name), "%s.%ld.%lu", o.stor_prefix, (long)getpid(), idx);
	struct xfer up = { .verb = "STOR", .arg = name, .upload = true,
			   .size = o.stor_size, .seed = name_seed(name), .timed = true };

	out = transfer(c, &up);
	if (out == S_OK && o.stor_verify) {
		struct xfer back = { .verb = "RETR", .arg = name, .size = o.stor_size,
				     .check = true, .seed = up.seed };

		out = transfer(c, &back);
	}
	if (out == S_OK && o.stor_delete)
		out = expect(c, "DELE", name, 250, 250);
	return out;
}

/* Which parts session IDX runs: all asked for, or one of them with --mix. */
static enum outcome
session_body(struct conn *c, unsigned long idx)
{
	bool list = !o.no_list, retr = o.retr_path != NULL, stor = o.stor_prefix != NULL;
	enum outcome out = S_OK;

	if (o.mix) {
		unsigned kinds = 1u + retr + stor, k = (unsigned)(idx % kinds);

		retr = retr && k == 1;
		stor = stor && k == kinds - 1 && k != 0;
		list = list && k == 0;
	}
	if (out == S_OK && (retr || stor))
		out = expect(c, "TYPE", "I", 200, 200);
	if (out == S_OK && list)
		out = do_list(c);
	if (out == S_OK && retr)
		out = do_retr(c);
	if (out == S_OK && stor)
		out = do_stor(c, idx);
	return out;
}

static enum outcome
run_session(struct conn *c, unsigned long idx)
{
	enum outcome out = login(c);

	if (out == S_OK)
		out = session_body(c, idx);
	if (out == S_OK && expect(c, "QUIT", NULL, 221, 221) != S_OK)
		out = S_FAIL;
	tls_forget(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = c->off = 0;
	return out;
}

static void
record(enum outcome out, const struct conn *c, unsigned long idx, double ms)
{
	atomic_fetch_add(&res.counts[out], 1);
	if (out == S_OK)
		res.lat_ms[idx] = ms;
	if (out == S_UNSUPPORTED) {
		pthread_mutex_lock(&res.lock);
		if (res.unsupported[0] == '\0')
			snprintf(res.unsupported, sizeof(res.unsupported), "%s",
				 c->verb ? c->verb : "?");
		pthread_mutex_unlock(&res.lock);
	}
}

static struct conn *
conn_new(void)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->io = malloc(IOBUF)) == NULL) {
		fprintf(stderr, "ftpload: out of memory\n");
		exit(1);
	}
	c->fd = -1;
	return c;
}

static void
conn_free(struct conn *c)
{
	tls_forget(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c->io);
	free(c);
}

static double deadline;

static void *
client_thread(void *arg)
{
	struct conn *c = conn_new();

	(void)arg;
	while (!stop_flag && now_s() < deadline) {
		unsigned long idx = atomic_fetch_add(&res.started, 1);

		if (idx >= o.max_sessions)
			break;
		double t0 = now_s();
		enum outcome out = run_session(c, idx);

		record(out, c, idx, (now_s() - t0) * 1000.0);
		if (out == S_UNSUPPORTED)
			break;	/* the server will not grow the verb mid-run */
	}
	conn_free(c);
	return NULL;
}

/* ---- statistics and output ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile P (0..100) of N sorted values. */
static double
percentile(const double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	return v[rank == 0 ? 0 : (rank > n ? n - 1 : rank - 1)];
}

static size_t
collect_ok(double *out)
{
	unsigned long n = atomic_load(&res.started);
	size_t k = 0;

	if (n > o.max_sessions)
		n = o.max_sessions;
	for (unsigned long i = 0; i < n; i++)
		if (res.lat_ms[i] > 0)
			out[k++] = res.lat_ms[i];
	return k;
}

static int
report_sessions(double secs)
{
	double *v = malloc(sizeof(double) * (o.max_sessions ? o.max_sessions : 1));
	size_t n;
	unsigned long ok = res.counts[S_OK], fail = res.counts[S_FAIL];
	unsigned long uns = res.counts[S_UNSUPPORTED], ref = res.counts[S_REFUSED];
	double mb = (double)(res.bytes_in + res.bytes_out) / 1e6;

	if (v == NULL)
		return 1;
	n = collect_ok(v);
	qsort(v, n, sizeof(double), cmp_double);
	printf("mode=sessions clients=%u sessions=%lu ok=%lu fail=%lu refused=%lu "
	       "unsupported=%s secs=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "bytes_in=%llu bytes_out=%llu mb_per_s=%.1f xfer_secs=%.4f xfer_mb_per_s=%.1f "
	       "tls=%s",
	       o.clients, ok + fail + uns + ref, ok, fail, ref,
	       res.unsupported[0] ? res.unsupported : "none", secs,
	       secs > 0 ? (double)ok / secs : 0, percentile(v, n, 50), percentile(v, n, 99),
	       n ? v[n - 1] : 0, (unsigned long long)res.bytes_in,
	       (unsigned long long)res.bytes_out, secs > 0 ? mb / secs : 0, res.xfer_secs,
	       res.xfer_secs > 0 ? mb / res.xfer_secs : 0,
	       res.tls_info[0] ? res.tls_info : "none");
	if (res.have_err)
		printf(" error=\"%s\"", res.first_err);
	printf("\n");
	free(v);
	if (fail > 0 || ref > 0)
		return 1;
	return uns > 0 && ok == 0 ? 3 : 0;
}

static int
mode_sessions(void)
{
	pthread_t *tids = calloc(o.clients, sizeof(*tids));
	pthread_attr_t attr;
	unsigned started = 0;
	double t0;

	res.lat_ms = calloc(o.max_sessions ? o.max_sessions : 1, sizeof(double));
	if (tids == NULL || res.lat_ms == NULL)
		return fprintf(stderr, "ftpload: out of memory\n"), 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	t0 = now_s();
	deadline = t0 + o.seconds;
	for (; started < o.clients; started++)
		if (pthread_create(&tids[started], &attr, client_thread, NULL) != 0) {
			fprintf(stderr, "ftpload: cannot start thread %u\n", started);
			stop_flag = 1;
			break;
		}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_attr_destroy(&attr);
	free(tids);
	int rc = report_sessions(now_s() - t0);

	free(res.lat_ms);
	return rc;
}

/* --hold N: CLIENTS threads log the N sessions in. */
static struct conn **held;
static atomic_uint held_next, held_ok, held_fail;

static void *
hold_thread(void *arg)
{
	unsigned i;

	(void)arg;
	while (!stop_flag && (i = atomic_fetch_add(&held_next, 1)) < o.hold) {
		held[i] = conn_new();
		if (login(held[i]) == S_OK)
			atomic_fetch_add(&held_ok, 1);
		else
			atomic_fetch_add(&held_fail, 1);
	}
	return NULL;
}

/* --hold N: N idle logged-in sessions until a signal or -t seconds. */
static int
mode_hold(void)
{
	pthread_t tids[64];
	unsigned n = o.clients < 64 ? o.clients : 64, started = 0;
	double end;

	held = calloc(o.hold, sizeof(*held));
	if (held == NULL)
		return 1;
	for (; started < n; started++)
		if (pthread_create(&tids[started], NULL, hold_thread, NULL) != 0)
			break;
	if (started == 0)
		hold_thread(NULL);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	printf("ready held=%u fail=%u tls=%s%s%s%s\n", held_ok, held_fail,
	       res.tls_info[0] ? res.tls_info : "none",
	       res.have_err ? " error=\"" : "", res.have_err ? res.first_err : "",
	       res.have_err ? "\"" : "");
	fflush(stdout);
	end = now_s() + o.seconds;
	while (!stop_flag && now_s() < end)
		usleep(50 * 1000);
	for (unsigned i = 0; i < o.hold; i++)
		if (held[i]) {
			if (held[i]->fd >= 0)
				(void)command(held[i], "QUIT", NULL);
			conn_free(held[i]);
		}
	free(held);
	printf("mode=hold held=%u fail=%u\n", held_ok, held_fail);
	return held_fail ? 1 : 0;
}

/* --list-time DIR: one login, -r timed LISTs. */
static int
mode_list_time(void)
{
	struct conn *c = conn_new();
	double *ms = calloc(o.repeat, sizeof(double));
	enum outcome out = login(c);
	long lines = 0;
	long long bytes = 0;
	unsigned n = 0;

	if (ms == NULL)
		return 1;
	for (; out == S_OK && n < o.repeat && !stop_flag; n++) {
		struct xfer x = { .verb = "LIST", .arg = o.list_dir, .size = -1 };
		double t0 = now_s();

		out = transfer(c, &x);
		ms[n] = (now_s() - t0) * 1000.0;
		lines = x.lines;
		bytes = x.got;
	}
	if (out != S_OK)
		n = 0;
	qsort(ms, n, sizeof(double), cmp_double);
	printf("mode=list repeats=%u lines=%ld bytes=%lld median_ms=%.3f min_ms=%.3f "
	       "max_ms=%.3f unsupported=%s", n, lines, bytes, n ? ms[n / 2] : 0,
	       n ? ms[0] : 0, n ? ms[n - 1] : 0, out == S_UNSUPPORTED && c->verb ? c->verb : "none");
	if (res.have_err)
		printf(" error=\"%s\"", res.first_err);
	printf("\n");
	free(ms);
	conn_free(c);
	return out == S_OK ? 0 : out == S_UNSUPPORTED ? 3 : 1;
}

/* --gen PATH: the pattern file of --size bytes. */
static int
mode_gen(void)
{
	unsigned char *buf = malloc(IOBUF);
	uint64_t seed = name_seed(o.gen_path);
	int fd = open(o.gen_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (buf == NULL || fd < 0)
		return perror(o.gen_path), 1;
	for (long long off = 0; off < o.stor_size;) {
		size_t n = o.stor_size - off < IOBUF ? (size_t)(o.stor_size - off) : IOBUF;

		pattern_fill(buf, (uint64_t)off, n, seed);
		if (write(fd, buf, n) != (ssize_t)n)
			return perror(o.gen_path), close(fd), 1;
		off += (long long)n;
	}
	free(buf);
	return close(fd) < 0 ? perror(o.gen_path), 1 : 0;
}

/* ---- command line ---- */

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: ftpload [-h HOST] [-p PORT] [-u USER] [-w PASS] [-c CLIENTS] [-n SESSIONS]\n"
"               [-t SECONDS] [-T TIMEOUT_MS] [-d NLST_DIR] [--no-list]\n"
"               [--retr PATH [--retr-size N] [--retr-check]]\n"
"               [--stor PREFIX [--size N | --stor-file PATH] [--verify] [--delete]]\n"
"               [--mix] [--list-verb NLST|LIST] [--tls [--tls-suite SUITE]]\n"
"       ftpload ... --hold N [-t SECONDS]\n"
"       ftpload ... --list-time DIR [-r REPEATS]\n"
"       ftpload --gen PATH --size N\n");
	exit(2);
}

static long long
num(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "ftpload: bad number '%s' (%lld..%lld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

enum { O_NOLIST = 256, O_RETR, O_RETRSIZE, O_RETRCHECK, O_STOR, O_SIZE, O_VERIFY,
       O_DELETE, O_MIX, O_HOLD, O_LISTTIME, O_GEN, O_STORFILE, O_LISTVERB, O_TLS,
       O_TLSSUITE };

static const struct option longopts[] = {
	{ "no-list", no_argument, NULL, O_NOLIST },
	{ "retr", required_argument, NULL, O_RETR },
	{ "retr-size", required_argument, NULL, O_RETRSIZE },
	{ "retr-check", no_argument, NULL, O_RETRCHECK },
	{ "stor", required_argument, NULL, O_STOR },
	{ "size", required_argument, NULL, O_SIZE },
	{ "verify", no_argument, NULL, O_VERIFY },
	{ "delete", no_argument, NULL, O_DELETE },
	{ "mix", no_argument, NULL, O_MIX },
	{ "hold", required_argument, NULL, O_HOLD },
	{ "list-time", required_argument, NULL, O_LISTTIME },
	{ "gen", required_argument, NULL, O_GEN },
	{ "stor-file", required_argument, NULL, O_STORFILE },
	{ "list-verb", required_argument, NULL, O_LISTVERB },
	{ "tls", no_argument, NULL, O_TLS },
	{ "tls-suite", required_argument, NULL, O_TLSSUITE },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static void
parse_long(int c)
{
	switch (c) {
	case O_NOLIST: o.no_list = true; break;
	case O_RETR: o.retr_path = optarg; break;
	case O_RETRSIZE: o.retr_size = num(optarg, 0, INT64_MAX); break;
	case O_RETRCHECK: o.retr_check = true; break;
	case O_STOR: o.stor_prefix = optarg; break;
	case O_SIZE: o.stor_size = num(optarg, 0, INT64_MAX); break;
	case O_VERIFY: o.stor_verify = true; break;
	case O_DELETE: o.stor_delete = true; break;
	case O_MIX: o.mix = true; break;
	case O_HOLD: o.hold = (unsigned)num(optarg, 1, 100000); break;
	case O_LISTTIME: o.list_dir = optarg; break;
	case O_GEN: o.gen_path = optarg; break;
	case O_STORFILE: o.stor_file = optarg; break;
	case O_LISTVERB: o.list_verb = optarg; break;
	case O_TLS: o.tls = true; break;
	case O_TLSSUITE: o.tls_suite = optarg; break;
	default: usage();
	}
}

static void
parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "h:p:u:w:c:n:t:T:d:r:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': o.host = optarg; break;
		case 'p': o.port = (unsigned)num(optarg, 1, 65535); break;
		case 'u': o.user = optarg; break;
		case 'w': o.pass = optarg; break;
		case 'c': o.clients = (unsigned)num(optarg, 1, MAX_CLIENTS); break;
		case 'n': o.max_sessions = (unsigned long)num(optarg, 1, MAX_SESSIONS); break;
		case 't': o.seconds = (double)num(optarg, 1, 86400); break;
		case 'T': o.timeout_ms = (int)num(optarg, 100, 600000); break;
		case 'd': o.nlst_dir = optarg; break;
		case 'r': o.repeat = (unsigned)num(optarg, 1, 100000); break;
		case 'v': o.verbose = true; break;
		default: parse_long(c);
		}
	}
	if (optind != argc || (strcmp(o.list_verb, "NLST") != 0 && strcmp(o.list_verb, "LIST") != 0))
		usage();
	if (o.stor_file) {	/* its size is the upload's */
		struct stat st;

		if (stat(o.stor_file, &st) < 0) {
			perror(o.stor_file);
			exit(2);
		}
		o.stor_size = st.st_size;
	}
}

static int
resolve(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", o.port);
	r = getaddrinfo(o.host, port, &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "ftpload: %s: %s\n", o.host, gai_strerror(r));
		return -1;
	}
	memcpy(&server, ai->ai_addr, ai->ai_addrlen);
	server_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Enough descriptors for every client, and a hard stop past every bound. */
static void
set_limits(void)
{
	struct rlimit rl;
	struct sigaction sa = { .sa_handler = on_stop };
	unsigned need = (o.hold > o.clients ? o.hold : o.clients) * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	double budget = o.seconds + (double)o.timeout_ms / 1000.0 * 4 + 10;

	if (o.hold)	/* logging in N sessions, CLIENTS at a time */
		budget += (double)o.hold / o.clients * (double)o.timeout_ms / 1000.0;
	if (o.list_dir)
		budget += (double)o.repeat * (double)o.timeout_ms / 1000.0;
	alarm(budget > 86400 * 2 ? 86400 * 2 : (unsigned)budget);
}

int
main(int argc, char **argv)
{
	parse_args(argc, argv);
	if (o.gen_path)
		return mode_gen();
	if (resolve() < 0)
		return 1;
	set_limits();
	if (o.tls && tls_setup() < 0)
		return 1;
	if (o.hold)
		return mode_hold();
	if (o.list_dir)
		return mode_list_time();
	return mode_sessions();
}
