/* tls.c - OpenSSL set-up shared by the FTPS roles; see tls.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "log.h"
#include "sysutil.h"
#include "tls.h"
#include "tlsdata.h"
#include "tlsdeleg.h"
#include "tlssign.h"

/* Tickets live as long as TLS 1.3 lets them (RFC 8446: 7 days), so that a
 * long idle between two transfers never finds its ticket expired. */
#define TICKET_LIFETIME		(7 * 24 * 3600)
/* The one session id context of both contexts: a ticket of one resumes
 * in the other. */
#define SID_CTX			"miniftpd"
/* Signatures the helper makes (tlssign.c): ECDSA and RSA-PSS, never PKCS#1 v1.5. */
#define SIGALGS			"ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:" \
				"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512"

/* Why require_ssl_reuse=NO is refused (SECURITY.md, "TLS (FTPS)"): a full
 * handshake on a data connection would make the post-login process a
 * signing oracle for the key, or put the key in it. */
#define NO_REUSE_REFUSED	"require_ssl_reuse=NO is not supported: the post-login " \
				"process never holds the private key, so a data connection " \
				"can only resume the control connection's TLS session (as " \
				"curl, lftp and FileZilla do; SECURITY.md, \"TLS (FTPS)\")"

static uint8_t ticket_key[TLS_TICKET_KEY_LEN];
/* ssl_sni_hostname lives in the control context (its ex_data), freed with
 * it: a context built by a failed reload takes its name with it. */
static int sni_index = -1;

/* What the sessions use, loaded by tls_prepare and inherited. */
struct tls_material {
	X509 *cert;			/* the leaf of rsa_cert_file */
	STACK_OF(X509) *chain;		/* the certificates after it */
	SSL_CTX *ctx[TLS_ROLES];	/* TLS_CONTROL, TLS_DATA */
	int key_fd;			/* tlssign_snapshot's copy of the key */
};

static struct tls_material cur = { .key_fd = -1 };

const char *
tls_error(const char *fallback)
{
	static char text[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return fallback;
	ERR_error_string_n(e, text, sizeof(text));
	ERR_clear_error();
	return text;
}

const char *
tls_key_path(const struct config *cfg)
{
	return cfg->rsa_private_key_file[0] ? cfg->rsa_private_key_file : cfg->rsa_cert_file;
}

/* RFC 5077-style tickets with the session's key: AES-256-CBC, HMAC-SHA256. */
static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
	  EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	const uint8_t *aes = ticket_key + 16, *hmac = ticket_key + 48;

	(void)ssl;
	if (enc) {
		memcpy(name, ticket_key, 16);
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, aes, iv) != 1 ||
		    EVP_MAC_init(hctx, hmac, 32, params) != 1)
			return -1;
		return 1;
	}
	if (memcmp(name, ticket_key, 16) != 0)
		return 0;	/* not this session's ticket: a full handshake */
	if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, aes, iv) != 1 ||
	    EVP_MAC_init(hctx, hmac, 32, params) != 1)
		return -1;
	return 1;
}

static int
set_versions(SSL_CTX *ctx, const struct config *cfg)
{
	int lo = cfg->ssl_tlsv1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
	int hi = cfg->ssl_tlsv1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;

	return SSL_CTX_set_min_proto_version(ctx, lo) == 1 &&
	       SSL_CTX_set_max_proto_version(ctx, hi) == 1 ? 0 : -1;
}

void
tls_set_ticket_key(const uint8_t key[TLS_TICKET_KEY_LEN])
{
	memcpy(ticket_key, key, sizeof(ticket_key));
}

/* The settings both contexts share, and the certificate chain of M. */
static SSL_CTX *
ctx_new(const struct config *cfg, const struct tls_material *m, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = "cannot create a TLS context";

	if (ctx == NULL)
		goto fail;
	/* a peer that closes without close_notify just ends the stream: FTP
	 * replies and commands delimit themselves */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(ctx, TICKET_LIFETIME);
	what = "bad ssl_tlsv1_2 / ssl_tlsv1_3";
	if (set_versions(ctx, cfg) < 0)
		goto fail;
	what = "bad ssl_ciphers";
	if (cfg->ssl_ciphers[0] && SSL_CTX_set_cipher_list(ctx, cfg->ssl_ciphers) != 1)
		goto fail;
	what = "cannot set the session id context or signature algorithms";
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SID_CTX,
					   sizeof(SID_CTX) - 1) != 1 ||
	    SSL_CTX_set1_sigalgs_list(ctx, SIGALGS) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1)
		goto fail;
	what = "cannot use rsa_cert_file";
	if (SSL_CTX_use_certificate(ctx, m->cert) != 1 || SSL_CTX_set1_chain(ctx, m->chain) != 1)
		goto fail;
	return ctx;
fail:
	snprintf(err, errlen, "%s: %s", what, tls_error("unknown error"));
	SSL_CTX_free(ctx);
	return NULL;
}

/* ssl_sni_hostname: the client must name this host (vsftpd's rule: no name
 * is refused too).  The name is the client's: log_msg escapes it. */
static int
sni_cb(SSL *ssl, int *alert, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const char *sni_hostname = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sni_index);

	(void)arg;
	if (sni_hostname == NULL)
		return SSL_TLSEXT_ERR_OK;
	if (name && strcasecmp(name, sni_hostname) == 0)
		return SSL_TLSEXT_ERR_OK;
	log_notice("TLS client asked for %s%s%s, not ssl_sni_hostname %s",
		   name ? "host \"" : "no host (no SNI)", name ? name : "", name ? "\"" : "",
		   sni_hostname);
	*alert = SSL_AD_UNRECOGNIZED_NAME;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void
sni_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	free(ptr);
}

/*
 * require_sni - make CTX refuse a handshake whose ClientHello does not
 * name HOST in its server name extension (ssl_sni_hostname; compared
 * without case; no name at all is refused, as vsftpd does), with the
 * unrecognized_name alert and a log line naming what the client asked
 * for.  HOST is copied into CTX (freed with it: a context that a failed
 * reload discards takes its name along, the one in use keeps its own).
 * Set once, on the control connection's context only (the control
 * context, built in tls.c): a data connection can only resume that
 * session.  RETURNS 0, or -1.
 */
static int
require_sni(SSL_CTX *ctx, const char *host)
{
	char *copy;

	if (sni_index < 0)
		sni_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, sni_free);
	if (sni_index < 0 || SSL_CTX_get_ex_data(ctx, sni_index) != NULL)
		return -1;
	copy = xstrdup(host);
	if (SSL_CTX_set_ex_data(ctx, sni_index, copy) != 1) {
		free(copy);
		return -1;
	}
	if (SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb) != 1)
		return -1;
	return 0;
}

/* The certificates of the PEM file PATH into M (the leaf, then its chain).
 * RETURNS 0, or -1 with ERR set (no option name: the caller adds it). */
static int
read_chain(const char *path, struct tls_material *m, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x;

	if (bio == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
		ERR_clear_error();
		return -1;
	}
	m->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	m->chain = m->cert ? sk_X509_new_null() : NULL;
	if (m->cert == NULL || m->chain == NULL) {
		BIO_free(bio);
		snprintf(err, errlen, "%s holds no PEM certificate (%s)", path,
			 tls_error("no certificate"));
		return -1;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(m->chain, x) <= 0) {
			X509_free(x);
			break;
		}
	ERR_clear_error();	/* the end of the file */
	BIO_free(bio);
	return 0;
}

/* The certificate's dates: not yet valid is only a warning (clock skew). */
static int
check_dates(X509 *x, const char *path, char *err, size_t errlen)
{
	char end[64] = "";
	BIO *b = BIO_new(BIO_s_mem());

	if (b && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1)
		BIO_read(b, end, sizeof(end) - 1);
	BIO_free(b);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		snprintf(err, errlen, "the certificate expired on %s", end);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		log_warning("The certificate in %s is not valid yet", path);
	return 0;
}

/* "ORIGIN: OPTION VALUE: PROBLEM" into ERR. */
static int
option_error(const char *option, const char *value, const char *problem, char *err,
	     size_t errlen)
{
	char where[CFG_ERR_MAX];

	cfg_origin(option, where, sizeof(where));
	snprintf(err, errlen, "%s: %s %s: %s", where, option, value, problem);
	return -1;
}

static int
check_options(const struct config *cfg, char *err, size_t errlen)
{
	char where[CFG_ERR_MAX];
	const char *problem = NULL, *option = NULL;

	if (cfg->implicit_ssl && !cfg->ssl_enable)
		option = "implicit_ssl", problem = "implicit_ssl=YES needs ssl_enable=YES";
	else if (!cfg->ssl_enable)
		return 0;
	else if (cfg->rsa_cert_file[0] == '\0')
		option = "rsa_cert_file", problem = "ssl_enable=YES needs rsa_cert_file";
	else if (!cfg->ssl_tlsv1_2 && !cfg->ssl_tlsv1_3)
		option = "ssl_tlsv1_3", problem = "ssl_tlsv1_2 and ssl_tlsv1_3 are both NO";
	else if (!cfg->require_ssl_reuse)
		option = "require_ssl_reuse", problem = NO_REUSE_REFUSED;
	if (problem == NULL)
		return 0;
	cfg_origin(option, where, sizeof(where));
	snprintf(err, errlen, "%s: %s", where, problem);
	return -1;
}

static int
check_cert(const struct config *cfg, struct tls_material *m, char *err, size_t errlen)
{
	char problem[CFG_ERR_MAX];

	if (read_chain(cfg->rsa_cert_file, m, problem, sizeof(problem)) < 0 ||
	    check_dates(m->cert, cfg->rsa_cert_file, problem, sizeof(problem)) < 0)
		return option_error("rsa_cert_file", cfg->rsa_cert_file, problem, err, errlen);
	return 0;
}

static int
check_ciphers(const struct config *cfg, char *err, size_t errlen)
{
	char problem[CFG_ERR_MAX];
	SSL_CTX *ctx;

	if (!cfg->ssl_ciphers[0])
		return 0;
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_set_cipher_list(ctx, cfg->ssl_ciphers) != 1) {
		snprintf(problem, sizeof(problem), "not understood (%s)",
			 tls_error("no cipher matches"));
		SSL_CTX_free(ctx);
		return option_error("ssl_ciphers", cfg->ssl_ciphers, problem, err, errlen);
	}
	SSL_CTX_free(ctx);
	return 0;
}

static void
material_free(struct tls_material *m)
{
	X509_free(m->cert);
	sk_X509_pop_free(m->chain, X509_free);
	for (int i = 0; i < TLS_ROLES; i++)
		SSL_CTX_free(m->ctx[i]);
	sys_close(m->key_fd);
	*m = (struct tls_material){ .key_fd = -1 };
}

/* The control context's own settings: a server session cache mode
 * without a store (TLS 1.2 session ids), ssl_sni_hostname.  RETURNS 0 or -1. */
static int
control_setup_ctx(SSL_CTX *ctx, const struct config *cfg)
{
	/* TLS 1.2 sends a session id only from a server-side cache; nothing is
	 * stored here, the post-login process's data context gets the session */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
	/* an idle session holds no record buffers (34 KiB and more) */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (cfg->ssl_sni_hostname[0])
		return require_sni(ctx, cfg->ssl_sni_hostname);
	return 0;
}

/* Each role's context, with its own settings on top of the common ones. */
static int
build_contexts(const struct config *cfg, struct tls_material *m, char *err, size_t errlen)
{
	static int (*const setup[TLS_ROLES])(SSL_CTX *, const struct config *) = {
		[TLS_CONTROL] = control_setup_ctx,
		[TLS_DATA] = tlsdata_setup_ctx,
	};

	for (int i = 0; i < TLS_ROLES; i++) {
		m->ctx[i] = ctx_new(cfg, m, err, errlen);
		if (m->ctx[i] == NULL)
			return -1;
		if (setup[i](m->ctx[i], cfg) < 0) {
			snprintf(err, errlen, "cannot set up a TLS context: %s",
				 tls_error("unknown error"));
			return -1;
		}
	}
	return 0;
}

/* The do_all callbacks: nothing to do with each method. */
static void kdf_none(EVP_KDF *x, void *arg) { (void)x; (void)arg; }
static void mac_none(EVP_MAC *x, void *arg) { (void)x; (void)arg; }

/* OpenSSL builds an operation's whole method table (and adds each of its
 * algorithms' names to the name map) at the operation's first fetch;
 * SSL_CTX_new fetches key exchanges and signatures but no key derivation
 * or MAC: the first handshake does (TLS13-KDF, HMAC).  Build those tables here, once, so that the
 * sessions inherit them instead of each TLS process writing its own copy
 * into the heap pages it shares with the listener (bench/NOTES.md, "FTPS
 * idle memory"). */
static void
build_method_tables(void)
{
	EVP_KDF_do_all_provided(NULL, kdf_none, NULL);
	EVP_MAC_do_all_provided(NULL, mac_none, NULL);
}

/* Read and check everything into M. */
static int
load(const struct config *cfg, struct tls_material *m, char *err, size_t errlen)
{
	char problem[CFG_ERR_MAX];
	const char *opt = cfg->rsa_private_key_file[0] ? "rsa_private_key_file" : "rsa_cert_file";

	if (check_cert(cfg, m, err, errlen) < 0 || check_ciphers(cfg, err, errlen) < 0)
		return -1;
	m->key_fd = tlssign_snapshot(cfg, m->cert, problem, sizeof(problem));
	if (m->key_fd < 0)
		return option_error(opt, tls_key_path(cfg), problem, err, errlen);
	if (build_contexts(cfg, m, err, errlen) < 0)
		return -1;
	build_method_tables();
	return 0;
}

int
tls_prepare(const struct config *cfg, struct tls_material **out, char *err, size_t errlen)
{
	struct tls_material *next;

	*out = NULL;
	if (check_options(cfg, err, errlen) < 0)
		return -1;
	if (!cfg->ssl_enable)
		return 0;
	/* no atexit cleanup: session processes exit inside their sandbox */
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, NULL) != 1) {
		snprintf(err, errlen, "cannot initialise OpenSSL: %s", tls_error("unknown error"));
		return -1;
	}
	next = xcalloc(1, sizeof(*next));
	next->key_fd = -1;
	if (load(cfg, next, err, errlen) < 0) {
		tls_discard(next);
		return -1;
	}
	*out = next;
	return 0;
}

void
tls_commit(struct tls_material *m)
{
	if (m == NULL)
		return;
	material_free(&cur);
	cur = *m;
	free(m);
	tlsdeleg_prepare(cur.cert);	/* the sessions forked from now on inherit it */
}

void
tls_discard(struct tls_material *m)
{
	if (m == NULL)
		return;
	material_free(m);
	free(m);
}

SSL_CTX *
tls_ctx(enum tls_role role)
{
	return cur.ctx[role];
}

X509 *
tls_cert(void)
{
	return cur.cert;
}

int
tls_key_fd(void)
{
	return cur.key_fd;
}

void
tls_forget_key(void)
{
	cur.key_fd = sys_close(cur.key_fd);
	tlssign_forget();
}

int
tls_accept(SSL *ssl, int fd, long long deadline, tls_wait_fn wait_for, void *arg)
{
	for (;;) {
		int r = SSL_accept(ssl), e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);

		if (r == 1)
			return 0;
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return -EPROTO;
		if (deadline - sys_now_ms() <= 0)
			return -ETIMEDOUT;
		r = wait_for(arg, fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
		if (r < 0)
			return r;
	}
}
