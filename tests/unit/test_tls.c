/* test_tls.c - what tls_prepare leaves for the sessions to inherit: the
 * method tables of what a handshake fetches and SSL_CTX_new does not (key
 * derivation, MAC), and the legacy form of the certificate's public key
 * that the delegated key copies, so that a session's first handshake looks its
 * methods up instead of building every method of each operation into
 * its own copy of the heap.  Counted by OpenSSL's own allocations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "tls.h"
#include "tlsdeleg.h"

/* A TLS process's delegated key and SSL_use_PrivateKey's check of it
 * against the certificate, once tls_commit has prepared them: a
 * reference and the check's lookups (a handful of OpenSSL allocations).
 * Converting the certificate's public key, building the key and
 * exporting it for the check in each TLS process took some 390. */
#define DELEG_KEY_MAX_ALLOCS	40

/* A fetch of an operation whose table is built allocates a cache entry
 * or two; building the table allocates a method and names for each
 * algorithm of the operation (218 for the KDFs, 175 for the MACs of
 * OpenSSL 3.0.19's default provider). */
#define BUILT_MAX_ALLOCS	16

static unsigned long allocs;

static void *
count_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	allocs++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	allocs++;
	return realloc(p, n);
}

static void
count_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

static char dir[] = "/tmp/test_tls.XXXXXX";
static char cert_path[64], key_path[64];

/* An ECDSA key and its self-signed certificate, made in a child so that
 * this process fetches no signature method itself. */
static void
make_pair(void)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		X509 *x = X509_new();
		FILE *kf = fopen(key_path, "w"), *cf = fopen(cert_path, "w");
		int ok = k && x && kf && cf &&
			 ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
			 X509_gmtime_adj(X509_getm_notBefore(x), -60) &&
			 X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
			 X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						    (const unsigned char *)"localhost", -1, -1, 0) == 1 &&
			 X509_set_issuer_name(x, X509_get_subject_name(x)) == 1 &&
			 X509_set_pubkey(x, k) == 1 && X509_sign(x, k, EVP_sha256()) > 0 &&
			 PEM_write_PrivateKey(kf, k, NULL, NULL, 0, NULL, NULL) == 1 &&
			 PEM_write_X509(cf, x) == 1;

		_exit(ok && fclose(kf) == 0 && fclose(cf) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* CFG: TLS with the test certificate and key, prepared and committed as
 * the listener does at start. */
static void
commit_test_material(struct config *cfg)
{
	struct tls_material *m = NULL;
	char err[512] = "";

	cfg_defaults(cfg);
	assert_int_equal(cfg_set(cfg, "ssl_enable", "YES", NULL, 0), 0);
	assert_int_equal(cfg_set(cfg, "rsa_cert_file", cert_path, NULL, 0), 0);
	assert_int_equal(cfg_set(cfg, "rsa_private_key_file", key_path, NULL, 0), 0);
	if (tls_prepare(cfg, &m, err, sizeof(err)) != 0)
		fail_msg("tls_prepare: %s", err);
	assert_non_null(m);
	tls_commit(m);
}

static void
test_handshake_methods_built_once(void **state)
{
	struct config cfg;
	EVP_KDF *kdf;
	EVP_MAC *mac;
	unsigned long before[2];

	(void)state;
	commit_test_material(&cfg);

	before[0] = allocs;
	kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	before[1] = allocs;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	assert_non_null(kdf);
	assert_non_null(mac);
	print_message("allocations per fetch: KDF %lu, MAC %lu\n",
		      before[1] - before[0], allocs - before[1]);
	assert_in_range(before[1] - before[0], 0, BUILT_MAX_ALLOCS);
	assert_in_range(allocs - before[1], 0, BUILT_MAX_ALLOCS);
	EVP_KDF_free(kdf);
	EVP_MAC_free(mac);
	cfg_free(&cfg);
}

/* tls_commit prepares the delegated key where the certificate is loaded,
 * so that each TLS process only takes a reference to it; a certificate
 * that was not prepared still gets a key of its own. */
static void
test_delegated_key_prepared(void **state)
{
	struct config cfg;
	unsigned long before, used;
	EVP_PKEY *pk, *other;
	X509 *copy;
	FILE *f;

	(void)state;
	commit_test_material(&cfg);

	/* what the TLS process does: the key, then SSL_use_PrivateKey's check */
	before = allocs;
	pk = tlsdeleg_key(tls_cert(), -1);
	assert_non_null(pk);
	assert_int_equal(X509_check_private_key(tls_cert(), pk), 1);
	used = allocs - before;
	print_message("allocations of tlsdeleg_key and its check: %lu\n", used);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_in_range(used, 0, DELEG_KEY_MAX_ALLOCS);

	/* another certificate object: a key of its own, for the same public key */
	f = fopen(cert_path, "r");
	assert_non_null(f);
	copy = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(copy);
	other = tlsdeleg_key(copy, -1);
	assert_non_null(other);
	assert_ptr_not_equal(other, pk);
	assert_int_equal(X509_check_private_key(copy, other), 1);
	EVP_PKEY_free(other);
	X509_free(copy);
	EVP_PKEY_free(pk);
	cfg_free(&cfg);
}

static int
group_setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	make_pair();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(cert_path);
	unlink(key_path);
	rmdir(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_methods_built_once),
		cmocka_unit_test(test_delegated_key_prepared),
	};

	/* before OpenSSL's first allocation, or it refuses */
	if (CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free) != 1) {
		fprintf(stderr, "CRYPTO_set_mem_functions refused\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
