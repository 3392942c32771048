/* test_tlssign.c - what the helper agrees to sign (tlssign.h): ECDSA
 * digest lengths and EMSA-PSS blocks, made by OpenSSL for real keys. */
#define OPENSSL_API_COMPAT 0x10101000L	/* RSA_padding_add_PKCS1_PSS_mgf1 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_lengths),
		cmocka_unit_test(test_pss_2048),
		cmocka_unit_test(test_pss_1025),
		cmocka_unit_test(test_pss_small_key_refused),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
