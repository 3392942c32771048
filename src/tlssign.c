/* tlssign.c - the private key, only ever in a short-lived child or the
 * listener's signing process; see tlssign.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "log.h"
#include "privdrop.h"
#include "runtime.h"
#include "sandbox.h"
#include "sysutil.h"
#include "tls.h"
#include "tlssign.h"

/* Largest key file read. */
#define KEY_FILE_MAX	(64 * 1024)
/* How long a child may take to read a key and sign. */
#define CHILD_TIMEOUT_MS 10000
/* A child's answer: i32 result, u32 length, then the bytes. */
#define ANSWER_MAX	(TLSSIGN_MAX_SIG > 512 ? TLSSIGN_MAX_SIG : 512)

/* --- pure checks --- */

int
tlssign_check_digest(size_t len)
{
	return len == 32 || len == 48 || len == 64 ? 0 : -EINVAL;
}

/* MGF1 (RFC 8017 B.2.1) of SEED with MD into MASK. RETURNS 0 or -EIO. */
static int
mgf1(uint8_t *mask, size_t len, const uint8_t *seed, size_t seedlen, const EVP_MD *md)
{
	uint8_t in[EVP_MAX_MD_SIZE + 4], h[EVP_MAX_MD_SIZE];
	unsigned int hlen;

	memcpy(in, seed, seedlen);
	for (uint32_t c = 0, done = 0; done < len; c++) {
		size_t n;

		in[seedlen] = (uint8_t)(c >> 24);
		in[seedlen + 1] = (uint8_t)(c >> 16);
		in[seedlen + 2] = (uint8_t)(c >> 8);
		in[seedlen + 3] = (uint8_t)c;
		if (EVP_Digest(in, seedlen + 4, h, &hlen, md, NULL) != 1)
			return -EIO;
		n = len - done < hlen ? len - done : hlen;
		memcpy(mask + done, h, n);
		done += (uint32_t)n;
	}
	return 0;
}

/* EM (EMLEN bytes, top bits and leading zero byte removed) decodes with MD. */
static bool
pss_decodes(const uint8_t *em, size_t emlen, unsigned int msbits, const EVP_MD *md)
{
	size_t hlen = (size_t)EVP_MD_get_size(md), dblen, i;
	uint8_t db[1024] = { 0 };

	if (emlen < 2 * hlen + 2 || emlen - hlen - 1 > sizeof(db))
		return false;
	dblen = emlen - hlen - 1;
	if (mgf1(db, dblen, em + dblen, hlen, md) < 0)
		return false;
	for (i = 0; i < dblen; i++)
		db[i] ^= em[i];
	if (msbits)
		db[0] &= (uint8_t)(0xff >> (8 - msbits));
	for (i = 0; i < dblen - 1 && db[i] == 0; i++)
		;
	/* the separator, then a salt as long as the hash (TLS's choice) */
	return db[i] == 0x01 && dblen - i - 1 == hlen;
}

int
tlssign_check_pss(const uint8_t *em, size_t emlen, unsigned int modbits)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	unsigned int msbits = (modbits - 1) & 7;

	if (modbits < 1024 || emlen != (modbits + 7) / 8 || (em[0] & (0xff << msbits)))
		return -EINVAL;
	if (msbits == 0) {
		em++;
		emlen--;
	}
	if (em[emlen - 1] != 0xbc)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
		if (pss_decodes(em, emlen, msbits, mds[i]))
			return 0;
	return -EINVAL;
}

/* --- reading the key (in the child) --- */

/* Built before any session forks (tlssign_snapshot): making a decoder
 * costs some 4 M instructions (OpenSSL 3 looks through every provider's
 * decoders), using one a few thousand.  It holds no key; each signing
 * child uses its own copy once. */
static OSSL_DECODER_CTX *decoder;
static EVP_PKEY *decoded;

/* The PEM key in TEXT (N bytes), or NULL. */
static EVP_PKEY *
decode_key(const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	BIO *bio;
	EVP_PKEY *key = NULL;

	if (decoder) {
		decoded = NULL;
		return OSSL_DECODER_from_data(decoder, &p, &n) == 1 ? decoded : NULL;
	}
	bio = BIO_new_mem_buf(text, (int)n);
	if (bio)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return key;
}

/* The key in TEXT (N bytes of PEM), RSA or EC, matching CERT (from the
 * file CERTPATH); NULL with ERR set.  WHAT names the source. */
static EVP_PKEY *
parse_key(const char *text, size_t n, X509 *cert, const char *certpath, const char *what,
	  char *err, size_t errlen)
{
	EVP_PKEY *key = decode_key(text, n);
	int type = key ? EVP_PKEY_get_base_id(key) : 0;

	if (key == NULL) {
		snprintf(err, errlen, "%s holds no PEM private key without a passphrase (%s)",
			 what, tls_error("no key"));
	} else if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
		snprintf(err, errlen, "not an RSA or ECDSA key");
		EVP_PKEY_free(key);
		key = NULL;
	} else if (X509_check_private_key(cert, key) != 1) {
		snprintf(err, errlen, "the key does not match the certificate in %s", certpath);
		ERR_clear_error();
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* --- children --- */

/* Work done in a child: fills OUT (at most *OUTLEN) and *OUTLEN. RETURNS
 * the result to hand back (>= 0 or -errno). */
typedef int (*child_fn)(const struct config *cfg, const void *arg, uint8_t *out,
			size_t *outlen);

static void NORETURN
child_main(int fd, const struct config *cfg, child_fn fn, const void *arg)
{
	uint8_t msg[8 + ANSWER_MAX];
	size_t len = ANSWER_MAX;
	int32_t r = fn(cfg, arg, msg + 8, &len);

	memcpy(msg, &r, 4);
	memcpy(msg + 4, &(uint32_t){ (uint32_t)len }, 4);
	(void)sys_write_full(fd, msg, 8 + len);
	explicit_bzero(msg, sizeof(msg));
	sys_exit_session(0);
}

/* Run FN in a child. RETURNS its result, with its bytes in OUT / *OUTLEN,
 * or -errno when the child could not run or answer. */
static int
in_child(const struct config *cfg, child_fn fn, const void *arg, uint8_t *out,
	 size_t *outlen)
{
	int sv[2], r = sys_socketpair(SOCK_STREAM, sv);
	int32_t result = -EIO;
	uint32_t len = 0;
	pid_t pid;

	if (r < 0)
		return r;
	pid = sys_fork();
	if (pid == 0) {
		sys_close(sv[0]);
		child_main(sv[1], cfg, fn, arg);
	}
	sys_close(sv[1]);
	if (pid > 0 && sys_poll_in(sv[0], CHILD_TIMEOUT_MS) > 0 &&
	    sys_read_full(sv[0], &result, 4) == 4 && sys_read_full(sv[0], &len, 4) == 4 &&
	    len <= *outlen && sys_read_full(sv[0], out, len) == (ssize_t)len)
		*outlen = len;
	else
		result = pid < 0 ? pid : -EIO;
	sys_close(sv[0]);
	if (pid > 0)
		(void)sys_wait_child(pid);
	return result;
}

struct snapshot_req {
	X509 *cert;
	int memfd;
};

/* Read the key file, check it, copy its bytes into the memory file. */
static int
snapshot_child(const struct config *cfg, const void *arg, uint8_t *out, size_t *outlen)
{
	const struct snapshot_req *q = arg;
	const char *path = tls_key_path(cfg);
	char *text = NULL;
	ssize_t n = sys_read_file(path, KEY_FILE_MAX, &text);
	EVP_PKEY *key = NULL;
	int r = -EKEYREJECTED;

	if (n < 0)
		snprintf((char *)out, *outlen, "cannot read %s: %s", path, strerror((int)-n));
	else
		key = parse_key(text, (size_t)n, q->cert, cfg->rsa_cert_file, path,
				(char *)out, *outlen);
	if (key && sys_write_full(q->memfd, text, (size_t)n) == n)
		r = 0;
	else if (key)
		snprintf((char *)out, *outlen, "cannot copy the key: %s", strerror(errno));
	if (n >= 0) {
		explicit_bzero(text, (size_t)n);
		free(text);
	}
	EVP_PKEY_free(key);
	*outlen = r == 0 ? 0 : strlen((char *)out) + 1;
	return r;
}

int
tlssign_snapshot(const struct config *cfg, X509 *cert, char *err, size_t errlen)
{
	struct snapshot_req q = { .cert = cert, .memfd = sys_memfd("miniftpd-key") };
	uint8_t text[ANSWER_MAX];
	size_t len = sizeof(text);
	int r;

	if (q.memfd < 0) {
		snprintf(err, errlen, "cannot make a memory file for the key: %s",
			 strerror(-q.memfd));
		return -1;
	}
	r = in_child(cfg, snapshot_child, &q, text, &len);
	if (r == 0 && decoder == NULL)
		decoder = OSSL_DECODER_CTX_new_for_pkey(&decoded, "PEM", NULL, NULL,
							EVP_PKEY_KEYPAIR, NULL, NULL);
	if (r == 0)
		return q.memfd;
	sys_close(q.memfd);
	if (r == -EKEYREJECTED && len > 0 && text[len - 1] == '\0')
		snprintf(err, errlen, "%s", (const char *)text);
	else
		snprintf(err, errlen, "cannot check the key: %s", strerror(-r));
	return -1;
}

struct sign_req {
	uint32_t kind;
	const uint8_t *in;
	size_t inlen;
};

/* IN is what KIND may sign with KEY. */
static int
check_input(const struct sign_req *q, EVP_PKEY *key)
{
	int type = EVP_PKEY_get_base_id(key);

	if (q->kind == PRIV_TLS_SIGN_ECDSA && type == EVP_PKEY_EC)
		return tlssign_check_digest(q->inlen);
	if (q->kind == PRIV_TLS_SIGN_RSA_PSS && type == EVP_PKEY_RSA)
		return q->inlen == (size_t)EVP_PKEY_get_size(key) ?
		       tlssign_check_pss(q->in, q->inlen, (unsigned int)EVP_PKEY_get_bits(key)) :
		       -EINVAL;
	return -EKEYREJECTED;
}

/* The key from tls_key_fd, checked against tls_cert; NULL with ERR set. */
static EVP_PKEY *
snapshot_key(const struct config *cfg, char *err, size_t errlen)
{
	char *text = xmalloc(KEY_FILE_MAX);
	ssize_t n = tls_key_fd() < 0 ? -EBADF : sys_pread_whole(tls_key_fd(), text, KEY_FILE_MAX);
	EVP_PKEY *key = NULL;

	if (n < 0)
		snprintf(err, errlen, "cannot read the key's copy: %s", strerror((int)-n));
	else
		key = parse_key(text, (size_t)n, tls_cert(), cfg->rsa_cert_file,
				"the key's copy", err, errlen);
	explicit_bzero(text, KEY_FILE_MAX);
	free(text);
	return key;
}

/* Q checked and signed with KEY into OUT (room for *OUTLEN, set).
 * RETURNS 0 or -errno (*OUTLEN 0). */
static int
sign_with(EVP_PKEY *key, const struct sign_req *q, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = check_input(q, key);

	if (r == 0 && (size_t)EVP_PKEY_get_size(key) > *outlen)
		r = -E2BIG;
	if (r == 0) {
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
		if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
		    (q->kind == PRIV_TLS_SIGN_RSA_PSS &&
		     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1) ||
		    EVP_PKEY_sign(ctx, out, outlen, q->in, q->inlen) != 1)
			r = -EIO;
	}
	EVP_PKEY_CTX_free(ctx);
	if (r < 0)
		*outlen = 0;
	return r;
}

static int
sign_child(const struct config *cfg, const void *arg, uint8_t *out, size_t *outlen)
{
	char err[256];
	EVP_PKEY *key = snapshot_key(cfg, err, sizeof(err));
	int r;

	if (key == NULL) {
		log_warning("Cannot sign: %s", err);
		*outlen = 0;
		return -EKEYREJECTED;
	}
	r = sign_with(key, arg, out, outlen);
	EVP_PKEY_free(key);
	return r;
}

/* --- the listener's signing process --- */

/*
 * A request on a session's socket (SOCK_SEQPACKET, one packet): u32 kind,
 * u32 length, the input.  The answer, one packet, is a child's (i32
 * result, u32 length, the signature).  One request per socket.
 */
#define REQ_HEAD	8
#define SERVICE_RESTART_MS 1000

static struct {
	int ctl;		/* listener: its end of the control socket */
	pid_t pid;		/* listener: the signing process, 0 when none */
	long long started;	/* listener: when it was last started (ms) */
	int session;		/* helper before login: this session's end */
} svc = { .ctl = -1, .session = -1 };

/* The request in the packet REQ (N bytes) into *Q. RETURNS 0 or -EINVAL. */
static int
parse_request(const uint8_t *req, ssize_t n, struct sign_req *q)
{
	uint32_t kind, len;

	if (n < REQ_HEAD || n > REQ_HEAD + TLSSIGN_MAX_SIG)
		return -EINVAL;
	memcpy(&kind, req, 4);
	memcpy(&len, req + 4, 4);
	if (len != (size_t)n - REQ_HEAD)
		return -EINVAL;
	*q = (struct sign_req){ .kind = kind, .in = req + REQ_HEAD, .inlen = len };
	return 0;
}

/* In the signer: read one request on FD, answer it. The caller closes FD. */
static void
answer_one(int fd, EVP_PKEY *key)
{
	uint8_t req[REQ_HEAD + TLSSIGN_MAX_SIG + 1], ans[8 + TLSSIGN_MAX_SIG];
	ssize_t n = sys_recv_packet(fd, req, sizeof(req), MSG_DONTWAIT);
	size_t len = TLSSIGN_MAX_SIG;
	struct sign_req q;
	int32_t r;

	if (n == 0 || n == -EAGAIN)
		return;		/* the helper closed it unused */
	r = parse_request(req, n, &q);
	if (r == 0)
		r = sign_with(key, &q, ans + 8, &len);
	else
		len = 0;
	if (r < 0)
		log_warning("Refused to sign: %s", strerror(-r));
	memcpy(ans, &r, 4);
	memcpy(ans + 4, &(uint32_t){ (uint32_t)len }, 4);
	(void)sys_send(fd, ans, 8 + len, MSG_DONTWAIT | MSG_NOSIGNAL);
	explicit_bzero(ans, sizeof(ans));
}

/* In the signer: the key from the memory file, then privileges dropped. */
static EVP_PKEY *
signer_setup(const struct config *cfg, const struct runtime *rt)
{
	struct drop_spec d = {
		.change_ids = rt->privileged,
		.uid = rt->nopriv_uid, .gid = rt->nopriv_gid,
		.groups = &rt->nopriv_gid, .ngroups = 1,
		.chroot_dir = rt->privileged ? cfg->secure_chroot_dir : NULL,
	};
	unsigned char seed[16];
	char err[256];
	EVP_PKEY *key = snapshot_key(cfg, err, sizeof(err));

	if (key == NULL)
		die("Signing process: %s", err);
	tls_forget_key();
	/* reseed before the sandbox (getrandom only) */
	if (RAND_bytes(seed, sizeof(seed)) != 1)
		die("Failed to seed the random generator: %s", tls_error("unknown error"));
	drop_to(&d);
	sandbox_enter(cfg, SANDBOX_SIGNER);
	return key;
}

/* In the signer: serve the sockets the listener sends on CTL, one request
 * each, until the listener closes CTL and every socket is closed. */
static void NORETURN
signer_main(const struct config *cfg, const struct runtime *rt, int ctl)
{
	EVP_PKEY *key = signer_setup(cfg, rt);
	size_t n = 1, cap = 64;
	struct pollfd *p = xreallocarray(NULL, cap, sizeof(*p));

	p[0] = (struct pollfd){ .fd = ctl, .events = POLLIN };
	while (p[0].fd >= 0 || n > 1) {
		int r = sys_poll(p, (unsigned int)n, -1);

		if (r < 0 && r != -EINTR)
			die("Signing process: failed to wait: %s", strerror(-r));
		if (r <= 0)
			continue;
		for (size_t i = n; i-- > 1;)
			if (p[i].revents) {
				answer_one(p[i].fd, key);
				sys_close(p[i].fd);
				p[i] = p[--n];
			}
		if (p[0].revents) {
			int fd = sys_recv_fd(p[0].fd);

			if (fd == -EPIPE || fd == -ECONNRESET)
				p[0].fd = sys_close(p[0].fd);	/* replaced, or the listener ended */
			else if (fd >= 0) {
				if (n == cap)
					p = xreallocarray(p, cap *= 2, sizeof(*p));
				p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			}
		}
	}
	EVP_PKEY_free(key);
	free(p);
	sys_exit_session(0);
}

void
tlssign_service_start(const struct config *cfg, const struct runtime *rt,
		      void (*child_setup)(void))
{
	int sv[2], r;
	pid_t pid;

	svc.ctl = sys_close(svc.ctl);	/* the one before ends after its sockets */
	svc.pid = 0;
	if (tls_key_fd() < 0)
		return;
	svc.started = sys_now_ms();
	r = sys_socketpair(SOCK_SEQPACKET, sv);
	if (r < 0) {
		log_warning("Failed to start the signing process: %s", strerror(-r));
		return;
	}
	pid = sys_fork();
	if (pid == 0) {
		sys_close(sv[0]);
		child_setup();
		signer_main(cfg, rt, sv[1]);
	}
	sys_close(sv[1]);
	if (pid < 0) {
		log_warning("Failed to start the signing process: %s", strerror(-pid));
		sys_close(sv[0]);
		return;
	}
	/* a signer that stops reading never blocks the listener: the
	 * connection's helper then signs in a child */
	(void)sys_set_nonblock(sv[0]);
	svc.ctl = sv[0];
	svc.pid = pid;
	log_info("Signing process %d started", (int)pid);
}

void
tlssign_service_reaped(pid_t pid)
{
	if (pid <= 0 || pid != svc.pid)
		return;
	log_warning("Signing process %d ended; another starts with the next connection",
		    (int)pid);
	svc.pid = 0;
	svc.ctl = sys_close(svc.ctl);
}

void
tlssign_service_connect(const struct config *cfg, const struct runtime *rt,
			void (*child_setup)(void))
{
	int sv[2], r;

	tlssign_forget();
	if (svc.pid == 0 && tls_key_fd() >= 0 &&
	    sys_now_ms() - svc.started >= SERVICE_RESTART_MS)
		tlssign_service_start(cfg, rt, child_setup);
	if (svc.ctl < 0 || sys_socketpair(SOCK_SEQPACKET, sv) < 0)
		return;
	r = sys_send_fd(svc.ctl, sv[1]);
	sys_close(sv[1]);
	if (r < 0)
		sys_close(sv[0]);
	else
		svc.session = sv[0];
}

void
tlssign_service_forget(void)
{
	svc.ctl = sys_close(svc.ctl);
	svc.pid = 0;
}

int
tlssign_session_fd(void)
{
	return svc.session;
}

void
tlssign_forget(void)
{
	svc.session = sys_close(svc.session);
}

/* Ask the signing process over this session's socket.  RETURNS the
 * signature's length in OUT, its refusal (-errno), or -ENOTCONN when it
 * did not answer. */
static int
ask_service(const struct sign_req *q, uint8_t *out)
{
	uint8_t req[REQ_HEAD + TLSSIGN_MAX_SIG], ans[8 + TLSSIGN_MAX_SIG + 1];
	uint32_t kind = q->kind, len = (uint32_t)q->inlen;
	int32_t result;
	ssize_t n;

	if (q->inlen > TLSSIGN_MAX_SIG)
		return -EINVAL;
	memcpy(req, &kind, 4);
	memcpy(req + 4, &len, 4);
	memcpy(req + REQ_HEAD, q->in, q->inlen);
	if (sys_send(svc.session, req, REQ_HEAD + q->inlen, MSG_NOSIGNAL) < 0 ||
	    sys_poll_in(svc.session, CHILD_TIMEOUT_MS) <= 0)
		return -ENOTCONN;
	n = sys_recv_packet(svc.session, ans, sizeof(ans), MSG_DONTWAIT);
	if (n < 8)
		return -ENOTCONN;
	memcpy(&result, ans, 4);
	memcpy(&len, ans + 4, 4);
	if (len != (size_t)n - 8 || len > TLSSIGN_MAX_SIG)
		return -EPROTO;
	if (result < 0)
		return result;
	memcpy(out, ans + 8, len);
	explicit_bzero(ans, sizeof(ans));
	return (int)len;
}

int
tlssign_sign(const struct config *cfg, uint32_t kind, const uint8_t *in, size_t inlen,
	     uint8_t *out)
{
	struct sign_req q = { .kind = kind, .in = in, .inlen = inlen };
	size_t len = TLSSIGN_MAX_SIG;
	int r = -ENOTCONN;

	if (svc.session >= 0) {
		r = ask_service(&q, out);
		tlssign_forget();	/* one signature per connection */
		if (r == -ENOTCONN)
			log_info("The signing process did not answer; signing in a child");
	}
	if (r != -ENOTCONN)
		return r;
	r = in_child(cfg, sign_child, &q, out, &len);
	return r < 0 ? r : (int)len;
}
