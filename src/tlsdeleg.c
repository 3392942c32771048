/* tlsdeleg.c - the TLS process's delegated key; see tlsdeleg.h.  The one
 * user of OpenSSL's deprecated EC_KEY_METHOD and RSA_METHOD. */
#define OPENSSL_API_COMPAT 0x10101000L	/* before any OpenSSL header */

#include <errno.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "log.h"
#include "privproto.h"
#include "privsock.h"
#include "tlsdeleg.h"
#include "tlssign.h"

static int sign_fd = -1;
/* built once, before the sessions fork when tlsdeleg_prepare ran */
static EC_KEY_METHOD *ec_meth;
static RSA_METHOD *rsa_meth;
static EVP_PKEY *prepared;	/* the delegated key of prepared_cert */
static const X509 *prepared_cert;

/* Ask the helper to sign IN. RETURNS the signature's length in OUT or -errno. */
static int
remote_sign(uint32_t kind, const unsigned char *in, size_t inlen, unsigned char *out,
	    size_t outmax)
{
	struct priv_msg m = { .type = PRIV_REQ_TLS_SIGN, .u.sign = { .kind = kind, .len = inlen } };
	int r;

	if (sign_fd < 0)
		return -EPERM;
	if (inlen > sizeof(m.u.sign.in))
		return -E2BIG;
	memcpy(m.u.sign.in, in, inlen);
	r = priv_send_msg(sign_fd, &m);
	if (r == 0)
		r = priv_recv_msg(sign_fd, PRIV_ANS_TLS_SIGN, &m);
	if (r == -ENOMSG || r == -EBADMSG || (r == 0 && m.u.sign_ans.len > outmax))
		return -EPROTO;
	if (r < 0)
		return r;
	if (m.u.sign_ans.result < 0) {
		log_warning("The helper refused to sign: %s", strerror(-m.u.sign_ans.result));
		return m.u.sign_ans.result;
	}
	memcpy(out, m.u.sign_ans.sig, m.u.sign_ans.len);
	return (int)m.u.sign_ans.len;
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
	unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	int n = remote_sign(PRIV_TLS_SIGN_ECDSA, dgst, (size_t)dlen, sig,
			    (size_t)ECDSA_size(eckey));

	(void)type;
	(void)kinv;
	(void)r;
	if (n <= 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *r,
	    EC_KEY *eckey)
{
	unsigned char der[TLSSIGN_MAX_SIG];
	const unsigned char *p = der;
	int n = remote_sign(PRIV_TLS_SIGN_ECDSA, dgst, (size_t)dlen, der, sizeof(der));

	(void)kinv;
	(void)r;
	(void)eckey;
	return n > 0 ? d2i_ECDSA_SIG(NULL, &p, n) : NULL;
}

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding)
{
	int n;

	if (padding != RSA_NO_PADDING)
		return -1;	/* only PSS, padded by OpenSSL (the helper checks it) */
	n = remote_sign(PRIV_TLS_SIGN_RSA_PSS, from, (size_t)flen, to, (size_t)RSA_size(rsa));
	return n == RSA_size(rsa) ? n : -1;
}

static EVP_PKEY *
ec_key(EVP_PKEY *pub)
{
	EC_KEY *ec = EC_KEY_dup(EVP_PKEY_get0_EC_KEY(pub));
	EVP_PKEY *pk = EVP_PKEY_new();

	if (ec_meth == NULL && (ec_meth = EC_KEY_METHOD_new(EC_KEY_get_default_method())) != NULL)
		EC_KEY_METHOD_set_sign(ec_meth, ec_sign, NULL, ec_sign_sig);
	if (ec_meth && ec && pk && EC_KEY_set_method(ec, ec_meth) == 1 &&
	    EVP_PKEY_assign_EC_KEY(pk, ec) == 1)
		return pk;
	EC_KEY_free(ec);
	EVP_PKEY_free(pk);
	return NULL;
}

static EVP_PKEY *
rsa_key(EVP_PKEY *pub)
{
	RSA *rsa = RSAPublicKey_dup(EVP_PKEY_get0_RSA(pub));
	EVP_PKEY *pk = EVP_PKEY_new();

	if (rsa_meth == NULL && (rsa_meth = RSA_meth_dup(RSA_get_default_method())) != NULL)
		RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc);
	if (rsa_meth && rsa && pk && RSA_set_method(rsa, rsa_meth) == 1 &&
	    EVP_PKEY_assign_RSA(pk, rsa) == 1)
		return pk;
	RSA_free(rsa);
	EVP_PKEY_free(pk);
	return NULL;
}

static EVP_PKEY *
make_key(X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert), *pk = NULL;

	if (pub && EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
		pk = ec_key(pub);
	else if (pub && EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		pk = rsa_key(pub);
	return pk;
}

EVP_PKEY *
tlsdeleg_key(X509 *cert, int fd)
{
	sign_fd = fd;
	if (cert != NULL && cert == prepared_cert && EVP_PKEY_up_ref(prepared) == 1)
		return prepared;
	return make_key(cert);
}

void
tlsdeleg_prepare(X509 *cert)
{
	EVP_PKEY_free(prepared);
	prepared = NULL;
	prepared_cert = NULL;
	if (cert == NULL)
		return;
	/* the check, as SSL_use_PrivateKey does it, leaves the key's export
	 * to the certificate's provider cached in the key */
	prepared = make_key(cert);
	if (prepared != NULL && X509_check_private_key(cert, prepared) == 1)
		prepared_cert = cert;
	else {
		EVP_PKEY_free(prepared);
		prepared = NULL;
	}
	ERR_clear_error();
}

void
tlsdeleg_forget(void)
{
	sign_fd = -1;
}
