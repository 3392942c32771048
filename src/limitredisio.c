/*
 * limitredisio.c - limitd's byte stream to the Redis store: TCP or TLS,
 * nonblocking, every wait a poll with a deadline.  See limitredisio.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "limitredisio.h"
#include "str.h"
#include "sysutil.h"

/* Where a connection made by limit_redis_dial stands. */
enum phase { PH_TCP, PH_TLS, PH_TALK };

struct limit_redis {
	int fd;
	SSL *ssl;		/* NULL: plain redis:// */
	redisReader *reader;
	/* A connection being made (limit_redis_dial, limit_redis_step): */
	enum phase phase;
	const struct limit_redis_addrs *addrs;
	size_t next;		/* the address to try after fd's */
	const struct limit_store_url *url;
	SSL_CTX *tls;
	int timeout_ms;
	long long deadline;	/* of the phase, or of the reply awaited */
	short events;		/* what the last step waits for */
	char *out;		/* commands not yet written (limit_redis_send) */
	size_t outlen, outoff;
	unsigned int unread;	/* replies still to come */
};

/* What an I/O step needs next: nothing (done), or to wait for EVENTS. */
struct step {
	int ret;		/* >0 bytes, 0 wait, <0 -errno */
	short events;
};

static void
ssl_reason(char *out, size_t outsz, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[96];

	ERR_error_string_n(e, buf, sizeof(buf));
	(void)str_fmt(out, outsz, "%s: %s", what, e ? buf : "no reason given");	/* cut: fine */
	ERR_clear_error();
}

int
limit_redis_read_private(const char *path, char *buf, size_t bufsz, size_t *len,
			 char err[CFG_ERR_MAX])
{
	struct stat st;
	ssize_t n = 0;
	int r, fd = sys_open(path, O_RDONLY | O_NOFOLLOW, 0);

	*len = 0;
	if (fd < 0) {
		snprintf(err, CFG_ERR_MAX, "cannot open %s: %s", path, strerror(-fd));
		return fd;
	}
	r = sys_fstat(fd, &st);
	if (r == 0 && (!S_ISREG(st.st_mode) || (st.st_mode & S_IRWXO))) {
		snprintf(err, CFG_ERR_MAX, "%s must be a regular file others cannot read", path);
		r = -EPERM;
	}
	while (r == 0 && *len < bufsz && (n = sys_read(fd, buf + *len, bufsz - *len)) > 0)
		*len += (size_t)n;
	sys_close(fd);
	if (r == 0 && n < 0) {
		snprintf(err, CFG_ERR_MAX, "cannot read %s: %s", path, strerror((int)-n));
		r = (int)n;
	}
	if (r == 0 && *len == bufsz) {
		snprintf(err, CFG_ERR_MAX, "%s is too large", path);
		r = -E2BIG;
	}
	return r;
}

/* The client key in PATH, read with the private file rule, into CTX. */
static int
use_key(SSL_CTX *ctx, const char *path, char err[CFG_ERR_MAX])
{
	char *data = xmalloc(LIMIT_REDIS_KEY_MAX);
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	size_t len;
	int r = limit_redis_read_private(path, data, LIMIT_REDIS_KEY_MAX, &len, err);

	if (r == 0) {
		bio = BIO_new_mem_buf(data, (int)len);
		key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		if (key == NULL) {
			ssl_reason(err, CFG_ERR_MAX, "limitd_cluster_tls_key_file: no usable key");
			r = -EINVAL;
		} else if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
			   SSL_CTX_check_private_key(ctx) != 1) {
			ssl_reason(err, CFG_ERR_MAX, "limitd_cluster_tls_key_file does not match "
				   "limitd_cluster_tls_cert_file");
			r = -EINVAL;
		}
	}
	EVP_PKEY_free(key);
	BIO_free(bio);
	explicit_bzero(data, LIMIT_REDIS_KEY_MAX);
	free(data);
	return r;
}

/* CA, certificate and key of CFG into CTX; RETURNS 0 or -EINVAL, ERR set. */
static int
load_files(SSL_CTX *ctx, const struct config *cfg, char err[CFG_ERR_MAX])
{
	char what[CFG_ERR_MAX];

	if (SSL_CTX_load_verify_file(ctx, cfg->limitd_cluster_tls_ca_file) != 1) {
		(void)str_fmt(what, sizeof(what), "limitd_cluster_tls_ca_file %s: no CA certificate "
			      "read", cfg->limitd_cluster_tls_ca_file);
		ssl_reason(err, CFG_ERR_MAX, what);
		return -EINVAL;
	}
	if (cfg->limitd_cluster_tls_cert_file[0] == '\0')
		return 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->limitd_cluster_tls_cert_file) != 1) {
		(void)str_fmt(what, sizeof(what), "limitd_cluster_tls_cert_file %s: no certificate "
			      "read", cfg->limitd_cluster_tls_cert_file);
		ssl_reason(err, CFG_ERR_MAX, what);
		return -EINVAL;
	}
	return use_key(ctx, cfg->limitd_cluster_tls_key_file, err);
}

int
limit_redis_tls_ctx(const struct config *cfg, SSL_CTX **out, char err[CFG_ERR_MAX])
{
	struct limit_store_url u;
	SSL_CTX *ctx;
	int r;

	*out = NULL;
	if (limit_store_parse_url(cfg->limitd_cluster, &u) < 0 || !u.tls)
		return 0;
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ssl_reason(err, CFG_ERR_MAX, "cannot make a TLS context");
		SSL_CTX_free(ctx);
		return -ENOMEM;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	r = load_files(ctx, cfg, err);
	if (r < 0) {
		SSL_CTX_free(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/* Wait until FD is ready for EVENTS (or a signal came), DEADLINE at the
 * latest; RETURNS 0 (try again) or -errno (-ETIMEDOUT). */
static int
await(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - sys_now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = sys_poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
	if (r == 0)
		return -ETIMEDOUT;
	return r < 0 && r != -EINTR ? r : 0;
}

/* What SSL's call that returned R on C wants next (struct step). */
static struct step
ssl_step(struct limit_redis *c, int r)
{
	switch (r > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_NONE:
		return (struct step){ r, 0 };
	case SSL_ERROR_WANT_READ:
		return (struct step){ 0, POLLIN };
	case SSL_ERROR_WANT_WRITE:
		return (struct step){ 0, POLLOUT };
	case SSL_ERROR_ZERO_RETURN:
		return (struct step){ -ECONNRESET, 0 };
	default:
		return (struct step){ -EPROTO, 0 };
	}
}

/* A plain read or write's result N as a step, waiting for EVENTS. */
static struct step
sys_step(ssize_t n, short events)
{
	if (n == -EAGAIN || n == -EINTR)
		return (struct step){ 0, events };
	if (n == 0)
		return (struct step){ -ECONNRESET, 0 };
	return (struct step){ n > INT_MAX ? INT_MAX : (int)n, 0 };
}

static struct step
io_write(struct limit_redis *c, const char *buf, size_t len)
{
	int n = len > INT_MAX ? INT_MAX : (int)len;

	if (c->ssl) {
		ERR_clear_error();
		return ssl_step(c, SSL_write(c->ssl, buf, n));
	}
	return sys_step(sys_send(c->fd, buf, (size_t)n, 0), POLLOUT);
}

static struct step
io_read(struct limit_redis *c, char *buf, size_t len)
{
	if (c->ssl) {
		ERR_clear_error();
		return ssl_step(c, SSL_read(c->ssl, buf, (int)len));
	}
	return sys_step(sys_read(c->fd, buf, len), POLLIN);
}

/* Why step WHAT on C failed with R: OpenSSL's reason when TLS refused. */
static void
io_why(const struct limit_redis *c, int r, const char *what, char why[LIMIT_REDIS_WHY])
{
	char head[64];

	(void)str_fmt(head, sizeof(head), "%s: TLS", what);
	if (r == -EPROTO && c->ssl)
		ssl_reason(why, LIMIT_REDIS_WHY, head);
	else
		snprintf(why, LIMIT_REDIS_WHY, "%s: %s", what, r == -ETIMEDOUT ? "no answer in time"
			 : r == -ECONNRESET ? "the store closed the connection" : strerror(-r));
}

/* LEN bytes of BUF on C by DEADLINE; RETURNS 0 or -errno. */
static int
write_all(struct limit_redis *c, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		struct step s = io_write(c, buf, len);

		if (s.ret >= 0 && sys_now_ms() >= deadline)	/* a store that reads slowly */
			s.ret = -ETIMEDOUT;
		if (s.ret < 0)
			return s.ret;
		if (s.ret == 0 && (s.ret = await(c->fd, s.events, deadline)) < 0)
			return s.ret;
		buf += s.ret;
		len -= (size_t)s.ret;
	}
	return 0;
}

/* Read from C until its reader holds one reply, by DEADLINE. */
static redisReply *
read_reply(struct limit_redis *c, long long deadline, char why[LIMIT_REDIS_WHY])
{
	char buf[16384];
	void *reply = NULL;

	for (;;) {
		struct step s;

		if (redisReaderGetReply(c->reader, &reply) != REDIS_OK) {
			snprintf(why, LIMIT_REDIS_WHY, "protocol error: %.80s", c->reader->errstr);
			return NULL;
		}
		if (reply)
			return reply;
		s = io_read(c, buf, sizeof(buf));
		if (s.ret == 0)
			s.ret = await(c->fd, s.events, deadline);
		else if (s.ret > 0 && redisReaderFeed(c->reader, buf, (size_t)s.ret) != REDIS_OK)
			s.ret = -ENOMEM;
		else if (s.ret > 0 && sys_now_ms() >= deadline)	/* a reply that never ends */
			s.ret = -ETIMEDOUT;
		if (s.ret < 0) {
			io_why(c, s.ret, "no reply", why);
			return NULL;
		}
	}
}

/*
 * A write on C failed: the store may have said why before it closed (TLS
 * 1.3: the alert for a client certificate it wanted comes after our
 * handshake ended).  Read it, within TIMEOUT_MS, into WHY if there is one.
 */
static void
tls_alert(struct limit_redis *c, int timeout_ms, char why[LIMIT_REDIS_WHY])
{
	long long deadline = sys_now_ms() + timeout_ms;
	char buf[256];
	struct step s;

	do {
		s = io_read(c, buf, sizeof(buf));
		if (s.ret == 0)
			s.ret = await(c->fd, s.events, deadline);
	} while (s.ret >= 0 && sys_now_ms() < deadline);
	if (s.ret == -EPROTO && ERR_peek_last_error())
		io_why(c, s.ret, "refused", why);
	ERR_clear_error();
}

/* Decimal digits of N. */
static size_t
digits(size_t n)
{
	size_t d = 1;

	while (n >= 10)
		n /= 10, d++;
	return d;
}

/* "PREFIX" N "\r\n" at P.  RETURNS the end. */
static char *
put_count(char *p, char prefix, size_t n)
{
	size_t d = digits(n);

	*p++ = prefix;
	for (size_t i = d; i-- > 0; n /= 10)
		p[i] = (char)('0' + n % 10);
	p += d;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

size_t
limit_redis_format_len(int argc, const char **argv)
{
	size_t n = 1 + digits((size_t)argc) + 2;

	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		n += 1 + digits(len) + 2 + len + 2;
	}
	return n;
}

char *
limit_redis_format(char *out, int argc, const char **argv)
{
	char *p = put_count(out, '*', (size_t)argc);

	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		p = put_count(p, '$', len);
		memcpy(p, argv[i], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	return p;
}

redisReply *
limit_redis_roundtrip(struct limit_redis *c, int argc, const char **argv, int timeout_ms,
		      char why[LIMIT_REDIS_WHY])
{
	size_t len = limit_redis_format_len(argc, argv);
	char *cmd = xmalloc(len);
	int r;

	limit_redis_format(cmd, argc, argv);
	r = write_all(c, cmd, len, sys_now_ms() + timeout_ms);
	free(cmd);
	if (r < 0) {
		io_why(c, r, "cannot send", why);
		if (c->ssl && r != -ETIMEDOUT)
			tls_alert(c, timeout_ms, why);
		return NULL;
	}
	return read_reply(c, sys_now_ms() + timeout_ms, why);
}

int
limit_redis_resolve(const struct limit_store_url *u, struct limit_redis_addrs *a,
		    char why[LIMIT_REDIS_WHY])
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char port[8];
	int g;

	memset(a, 0, sizeof(*a));
	snprintf(port, sizeof(port), "%u", u->port);
	g = getaddrinfo(u->host, port, &hints, &res);
	if (g != 0) {
		snprintf(why, LIMIT_REDIS_WHY, "cannot resolve %.64s: %s", u->host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	for (const struct addrinfo *ai = res; ai && a->n < LIMIT_REDIS_ADDRS_MAX; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(a->sa[0]))
			memcpy(&a->sa[a->n++], ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	if (a->n == 0)
		snprintf(why, LIMIT_REDIS_WHY, "cannot resolve %.64s: no address", u->host);
	return a->n ? 0 : -EHOSTUNREACH;
}

/* Start connecting C to its next address; RETURNS 0 (under way), or the
 * last -errno when no address is left. */
static int
tcp_next(struct limit_redis *c)
{
	int r = -EHOSTUNREACH;

	while (c->next < c->addrs->n) {
		const struct sockaddr_storage *sa = &c->addrs->sa[c->next++];

		sys_close(c->fd);
		c->fd = sys_socket(sa->ss_family, SOCK_STREAM, 0);
		if (c->fd < 0) {
			r = c->fd;
			continue;
		}
		r = sys_connect_start(c->fd, sa);
		if (r == 0 || r == -EINPROGRESS || r == -EALREADY)
			return 0;
	}
	return r;
}

/* C's next phase, with its own TIMEOUT_MS. */
static void
enter(struct limit_redis *c, enum phase ph)
{
	c->phase = ph;
	c->deadline = sys_now_ms() + c->timeout_ms;
}

/* The TLS session on C's connected fd, set to verify the store's name. */
static int
tls_begin(struct limit_redis *c, char why[LIMIT_REDIS_WHY])
{
	const char *host = c->url->host;
	unsigned char ip[16];
	bool literal = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	X509_VERIFY_PARAM *param;

	c->ssl = SSL_new(c->tls);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		ssl_reason(why, LIMIT_REDIS_WHY, "TLS");
		return -1;
	}
	param = SSL_get0_param(c->ssl);
	if ((literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
		     : SSL_set1_host(c->ssl, host) && SSL_set_tlsext_host_name(c->ssl, host)) != 1) {
		ssl_reason(why, LIMIT_REDIS_WHY, "TLS: cannot set the host to verify");
		return -1;
	}
	enter(c, PH_TLS);
	return 1;
}

/* The steps of a phase: 1 moved on (step again), 0 wait for c->events, -1 failed (WHY). */
static int
tcp_step(struct limit_redis *c, char why[LIMIT_REDIS_WHY])
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	struct sockaddr_storage peer;
	int r = sys_poll(&p, 1, 0);

	c->events = POLLOUT;
	if (r == 0 || r == -EINTR)
		return 0;
	if (r > 0)
		r = sys_connect_result(c->fd);
	if (r == 0 && sys_peer_addr(c->fd, &peer) == -ENOTCONN)
		return 0;
	if (r == 0)
		r = sys_setsockopt_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (r < 0 && tcp_next(c) == 0)
		return 1;
	if (r < 0) {
		snprintf(why, LIMIT_REDIS_WHY, "cannot connect: %s", strerror(-r));
		return -1;
	}
	if (c->tls)
		return tls_begin(c, why);
	enter(c, PH_TALK);
	return 1;
}

static int
tls_step(struct limit_redis *c, char why[LIMIT_REDIS_WHY])
{
	struct step s;

	ERR_clear_error();
	s = ssl_step(c, SSL_connect(c->ssl));
	if (s.ret > 0) {
		enter(c, PH_TALK);
		return 1;
	}
	c->events = s.events;
	if (s.ret == 0)
		return 0;
	if (SSL_get_verify_result(c->ssl) != X509_V_OK)
		snprintf(why, LIMIT_REDIS_WHY, "TLS: the store's certificate failed verification: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
	else
		ssl_reason(why, LIMIT_REDIS_WHY, "TLS handshake failed");
	return -1;
}

/* A write on C failed with R: the store may have said why (TLS alert), read at once. */
static void
send_failed(struct limit_redis *c, int r, char why[LIMIT_REDIS_WHY])
{
	char buf[256];

	io_why(c, r, "cannot send", why);
	if (c->ssl && io_read(c, buf, sizeof(buf)).ret == -EPROTO && ERR_peek_last_error())
		io_why(c, -EPROTO, "refused", why);
	ERR_clear_error();
}

static int
talk_step(struct limit_redis *c, redisReply **reply, char why[LIMIT_REDIS_WHY])
{
	char buf[16384];
	void *r = NULL;
	struct step s;

	while (c->outoff < c->outlen) {
		s = io_write(c, c->out + c->outoff, c->outlen - c->outoff);
		c->events = s.events;
		if (s.ret < 0)
			send_failed(c, s.ret, why);
		if (s.ret <= 0)
			return s.ret < 0 ? -1 : 0;
		c->outoff += (size_t)s.ret;
	}
	c->outlen = c->outoff = 0;	/* all written: the next command starts the buffer again */
	c->events = 0;
	if (c->unread == 0)
		return 0;
	if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
		snprintf(why, LIMIT_REDIS_WHY, "protocol error: %.80s", c->reader->errstr);
		return -1;
	}
	if (r) {
		c->unread--;
		c->deadline = sys_now_ms() + c->timeout_ms;
		*reply = r;
		return 1;
	}
	s = io_read(c, buf, sizeof(buf));
	c->events = s.events;
	if (s.ret > 0 && redisReaderFeed(c->reader, buf, (size_t)s.ret) != REDIS_OK)
		s.ret = -ENOMEM;
	if (s.ret < 0)
		io_why(c, s.ret, "no reply", why);
	return s.ret < 0 ? -1 : s.ret > 0;
}

/* What a phase that ran out of time is called. */
static const char *const late[] = {
	[PH_TCP] = "cannot connect: Connection timed out",
	[PH_TLS] = "TLS handshake timed out",
	[PH_TALK] = "no reply: no answer in time",
};

int
limit_redis_step(struct limit_redis *c, redisReply **reply, char why[LIMIT_REDIS_WHY])
{
	int r = 1;

	*reply = NULL;
	while (r == 1 && *reply == NULL) {
		if (sys_now_ms() >= c->deadline && (c->phase != PH_TALK || c->unread ||
						   c->outoff < c->outlen)) {
			snprintf(why, LIMIT_REDIS_WHY, "%s", late[c->phase]);
			return -1;
		}
		r = c->phase == PH_TCP ? tcp_step(c, why)
		  : c->phase == PH_TLS ? tls_step(c, why) : talk_step(c, reply, why);
	}
	return r < 0 ? -1 : *reply ? 1 : 0;
}

int
limit_redis_send(struct limit_redis *c, int argc, const char **argv)
{
	size_t len = limit_redis_format_len(argc, argv);

	if (c->phase == PH_TALK && c->unread == 0)	/* idle: the reply's time starts now */
		c->deadline = sys_now_ms() + c->timeout_ms;
	c->out = xreallocarray(c->out, c->outlen + len, 1);
	limit_redis_format(c->out + c->outlen, argc, argv);
	c->outlen += len;
	c->unread++;
	return 0;
}

struct limit_redis *
limit_redis_dial(const struct limit_redis_addrs *a, const struct limit_store_url *u, SSL_CTX *tls,
		 int timeout_ms, char why[LIMIT_REDIS_WHY])
{
	struct limit_redis *c = xcalloc(1, sizeof(*c));
	int r;

	c->fd = -1;
	c->addrs = a;
	c->url = u;
	c->tls = tls;
	c->timeout_ms = timeout_ms;
	enter(c, PH_TCP);
	c->reader = redisReaderCreate();
	r = c->reader ? tcp_next(c) : -ENOMEM;
	if (r < 0) {
		snprintf(why, LIMIT_REDIS_WHY, "cannot connect: %s", strerror(-r));
		limit_redis_close(c);
		return NULL;
	}
	return c;
}

int
limit_redis_idle(struct limit_redis *c, char why[LIMIT_REDIS_WHY])
{
	char buf[512];
	struct step s = io_read(c, buf, sizeof(buf));

	if (s.ret > 0)	/* nothing was asked: no answer may come */
		snprintf(why, LIMIT_REDIS_WHY, "the store sent what nobody asked for");
	else if (s.ret < 0)
		io_why(c, s.ret, "read", why);
	return s.ret == 0 ? 0 : -1;
}

int
limit_redis_fd(const struct limit_redis *c, short *events, long long *deadline)
{
	*events = c->events;
	*deadline = c->deadline;
	return c->fd;
}

bool
limit_redis_ready(const struct limit_redis *c)
{
	return c->phase == PH_TALK && c->unread == 0 && c->outoff == c->outlen;
}

/* Step C until ready, waiting (poll) in between; RETURNS 0 or -1, WHY set. */
static int
finish(struct limit_redis *c, char why[LIMIT_REDIS_WHY])
{
	redisReply *reply;
	int r;

	while (!limit_redis_ready(c)) {
		r = limit_redis_step(c, &reply, why);
		freeReplyObject(reply);		/* none asked for here */
		if (r < 0)
			return -1;
		if (r == 0 && c->events && await(c->fd, c->events, c->deadline) < 0) {
			snprintf(why, LIMIT_REDIS_WHY, "%s", late[c->phase]);
			return -1;
		}
	}
	return 0;
}

struct limit_redis *
limit_redis_connect(const struct limit_store_url *u, SSL_CTX *tls, int timeout_ms,
		    char why[LIMIT_REDIS_WHY])
{
	struct limit_redis_addrs *a = xmalloc(sizeof(*a));
	struct limit_redis *c = NULL;

	if (limit_redis_resolve(u, a, why) == 0)
		c = limit_redis_dial(a, u, tls, timeout_ms, why);
	if (c && finish(c, why) < 0) {
		limit_redis_close(c);
		c = NULL;
	}
	if (c) {
		c->addrs = NULL;	/* the addresses are only for connecting */
		c->url = NULL;
	}
	free(a);
	return c;
}

void
limit_redis_close(struct limit_redis *c)
{
	if (c == NULL)
		return;
	if (c->ssl) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);	/* nonblocking: one try */
		SSL_free(c->ssl);
	}
	sys_close(c->fd);
	if (c->reader)
		redisReaderFree(c->reader);
	free(c->out);
	free(c);
}
