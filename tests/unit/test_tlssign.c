/* test_tlssign.c - what the helper agrees to sign (tlssign.h): ECDSA
 * digest lengths and EMSA-PSS blocks, made by OpenSSL for real keys; the
 * listener's signing process: one answer per socket. */
#define OPENSSL_API_COMPAT 0x10101000L	/* RSA_padding_add_PKCS1_PSS_mgf1 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "config.h"
#include "runtime.h"
#include "tls.h"
#include "tlssign.h"

static void
test_digest_lengths(void **state)
{
	(void)state;
	assert_int_equal(tlssign_check_digest(32), 0);
	assert_int_equal(tlssign_check_digest(48), 0);
	assert_int_equal(tlssign_check_digest(64), 0);
	assert_int_equal(tlssign_check_digest(0), -EINVAL);
	assert_int_equal(tlssign_check_digest(20), -EINVAL);	/* SHA-1: never */
	assert_int_equal(tlssign_check_digest(33), -EINVAL);
	assert_int_equal(tlssign_check_digest(256), -EINVAL);
}

/* A PSS block of KEY for a random hash with MD and salt length SLEN. */
static int
pss_block(RSA *rsa, const EVP_MD *md, int slen, unsigned char *em)
{
	unsigned char mhash[EVP_MAX_MD_SIZE];

	assert_int_equal(RAND_bytes(mhash, EVP_MD_get_size(md)), 1);
	return RSA_padding_add_PKCS1_PSS_mgf1(rsa, em, mhash, md, md, slen);
}

/* A key of exactly BITS bits (OpenSSL may make one bit less: retry). */
static RSA *
new_rsa(int bits)
{
	for (int tries = 0; tries < 32; tries++) {
		EVP_PKEY *pk = EVP_RSA_gen((unsigned int)bits);
		RSA *rsa;

		assert_non_null(pk);
		rsa = EVP_PKEY_get1_RSA(pk);
		EVP_PKEY_free(pk);
		if (RSA_bits(rsa) == bits)
			return rsa;
		RSA_free(rsa);
	}
	fail_msg("no %d-bit RSA key in 32 tries", bits);
	return NULL;
}

static void
check_key(int bits)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	RSA *rsa = new_rsa(bits);
	size_t k = (size_t)RSA_size(rsa);
	unsigned char em[1024];

	assert_int_equal(RSA_bits(rsa), bits);

	for (size_t i = 0; i < 3; i++) {
		if ((size_t)(2 * EVP_MD_get_size(mds[i]) + 2) > k - 1)
			continue;	/* too small a key for that hash and salt */
		/* what TLS signs: salt as long as the hash */
		assert_int_equal(pss_block(rsa, mds[i], -1, em), 1);
		assert_int_equal(tlssign_check_pss(em, k, (unsigned int)bits), 0);
		/* a wrong length, trailer, top bit, or separator */
		assert_int_equal(tlssign_check_pss(em, k - 1, (unsigned int)bits), -EINVAL);
		em[k - 1] ^= 0x01;
		assert_int_equal(tlssign_check_pss(em, k, (unsigned int)bits), -EINVAL);
		em[k - 1] ^= 0x01;
		em[1] ^= 0x40;		/* in the masked zero padding */
		assert_int_equal(tlssign_check_pss(em, k, (unsigned int)bits), -EINVAL);
		/* another salt length: not what TLS sends */
		assert_int_equal(pss_block(rsa, mds[i], 0, em), 1);
		assert_int_equal(tlssign_check_pss(em, k, (unsigned int)bits), -EINVAL);
	}
	/* random bytes (a raw decryption request) and PKCS#1 v1.5 padding */
	assert_int_equal(RAND_bytes(em, (int)k), 1);
	em[0] &= 0x7f;
	em[k - 1] = 0xbc;
	assert_int_equal(tlssign_check_pss(em, k, (unsigned int)bits), -EINVAL);
	memset(em, 0xff, k);
	em[0] = 0;
	em[1] = 1;
	assert_int_equal(tlssign_check_pss(em, k, (unsigned int)bits), -EINVAL);
	RSA_free(rsa);
}

static void
test_pss_2048(void **state)
{
	(void)state;
	check_key(2048);
}

/* 1025 bits: the encoding is one byte shorter than the modulus, after a zero */
static void
test_pss_1025(void **state)
{
	(void)state;
	check_key(1025);
}

static void
test_pss_small_key_refused(void **state)
{
	unsigned char em[64] = { 0 };

	(void)state;
	em[63] = 0xbc;
	assert_int_equal(tlssign_check_pss(em, 64, 512), -EINVAL);
}

/* --- the listener's signing process --- */

/* A P-256 key and a self-signed certificate for it in DIR; *PUB: the key. */
static void
make_pair(const char *dir, EVP_PKEY **pub)
{
	char path[512];
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	X509_free(x);
	*pub = key;
}

static void
no_setup(void)
{
}

/* One request packet (kind, length, input) on FD. */
static void
request(int fd, uint32_t kind, const uint8_t *in, uint32_t len)
{
	uint8_t pkt[8 + 64];

	memcpy(pkt, &kind, 4);
	memcpy(pkt + 4, &len, 4);
	memcpy(pkt + 8, in, len);
	(void)send(fd, pkt, 8 + len, MSG_NOSIGNAL);
}

/* The answer on FD within 10 s: its length (0: closed), *RESULT, the
 * signature in SIG (*SIGLEN). */
static ssize_t
answer(int fd, int32_t *result, uint8_t *sig, uint32_t *siglen)
{
	uint8_t pkt[8 + TLSSIGN_MAX_SIG];
	struct timeval tv = { .tv_sec = 10 };
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, pkt, sizeof(pkt), 0);
	if (n >= 8) {
		memcpy(result, pkt, 4);
		memcpy(siglen, pkt + 4, 4);
		assert_int_equal((size_t)n, 8 + *siglen);
		memcpy(sig, pkt + 8, *siglen);
	}
	return n;
}

/* The signing process answers one request per socket, checked as the
 * child's, with a signature the certificate's key verifies; a second
 * request on that socket is never answered; it ends once the listener's
 * control socket and every session's socket are closed. */
static void
test_service_one_signature_per_socket(void **state)
{
	char dir[] = "/tmp/test_tlssign.XXXXXX", cert[600], key[600], err[CFG_ERR_MAX];
	char *ovr[] = { (char *)"ssl_enable=YES", cert, key, (char *)"seccomp_sandbox=YES" };
	static struct config cfg;
	struct runtime rt = { .privileged = false };
	struct tls_material *m;
	uint8_t digest[32], sig[TLSSIGN_MAX_SIG];
	uint32_t siglen = 0;
	int32_t result = 1;
	EVP_PKEY *pub;
	EVP_PKEY_CTX *vctx;
	int fd, status, reaped = 0;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	make_pair(dir, &pub);
	snprintf(cert, sizeof(cert), "rsa_cert_file=%s/cert.pem", dir);
	snprintf(key, sizeof(key), "rsa_private_key_file=%s/key.pem", dir);
	if (cfg_load(&cfg, "/nonexistent/miniftpd.conf", false, ovr, 4, err) < 0)
		fail_msg("cfg_load: %s", err);
	if (tls_prepare(&cfg, &m, err, sizeof(err)) < 0)
		fail_msg("tls_prepare: %s", err);
	tls_commit(m);
	RAND_bytes(digest, sizeof(digest));

	tlssign_service_start(&cfg, &rt, no_setup);
	tlssign_service_connect(&cfg, &rt, no_setup);
	fd = tlssign_session_fd();
	assert_true(fd >= 0);
	request(fd, PRIV_TLS_SIGN_ECDSA, digest, 32);
	assert_true(answer(fd, &result, sig, &siglen) > 8);
	assert_int_equal(result, 0);
	vctx = EVP_PKEY_CTX_new(pub, NULL);
	assert_int_equal(EVP_PKEY_verify_init(vctx), 1);
	assert_int_equal(EVP_PKEY_verify(vctx, sig, siglen, digest, 32), 1);
	EVP_PKEY_CTX_free(vctx);
	/* a second request on the same socket: closed (EOF, or the reset of
	 * a send to a closed peer), no signature, and no wait until timeout */
	request(fd, PRIV_TLS_SIGN_ECDSA, digest, 32);
	errno = 0;
	n = answer(fd, &result, sig, &siglen);
	assert_true(n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK));

	/* input of the wrong form: refused, as the child refuses it */
	tlssign_service_connect(&cfg, &rt, no_setup);
	fd = tlssign_session_fd();
	request(fd, PRIV_TLS_SIGN_ECDSA, digest, 20);
	assert_int_equal(answer(fd, &result, sig, &siglen), 8);
	assert_int_equal(result, -EINVAL);
	/* the wrong kind for the key */
	tlssign_service_connect(&cfg, &rt, no_setup);
	fd = tlssign_session_fd();
	request(fd, PRIV_TLS_SIGN_RSA_PSS, digest, 32);
	assert_int_equal(answer(fd, &result, sig, &siglen), 8);
	assert_int_equal(result, -EKEYREJECTED);

	/* the helper's call: through the signer, and the socket then closed */
	tlssign_service_connect(&cfg, &rt, no_setup);
	assert_true(tlssign_session_fd() >= 0);
	assert_true(tlssign_sign(&cfg, PRIV_TLS_SIGN_ECDSA, digest, 32, sig) > 0);
	assert_int_equal(tlssign_session_fd(), -1);

	/* a session's socket open, the control socket closed: the signer
	 * waits for the session; then ends */
	tlssign_service_connect(&cfg, &rt, no_setup);
	fd = tlssign_session_fd();
	tlssign_service_forget();
	usleep(100000);
	assert_int_equal(waitpid(-1, &status, WNOHANG), 0);
	tlssign_forget();
	for (int i = 0; i < 100 && reaped <= 0; i++) {
		reaped = waitpid(-1, &status, WNOHANG);
		if (reaped == 0)
			usleep(50000);
	}
	assert_true(reaped > 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EVP_PKEY_free(pub);
	tls_commit(NULL);
	snprintf(err, sizeof(err), "%s/cert.pem", dir);
	unlink(err);
	snprintf(err, sizeof(err), "%s/key.pem", dir);
	unlink(err);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_lengths),
		cmocka_unit_test(test_pss_2048),
		cmocka_unit_test(test_pss_1025),
		cmocka_unit_test(test_pss_small_key_refused),
		cmocka_unit_test(test_service_one_signature_per_socket),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
