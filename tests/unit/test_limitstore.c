/* test_limitstore.c - limitd_cluster's URL (redis:// and rediss://), its
 * TLS options, password file text and host id. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "limitstore.h"

static void
test_url_good(void **state)
{
	static const struct {
		const char *url, *host;
		unsigned int port, db;
		const char *where;	/* for people: an IPv6 address in [] */
	} good[] = {
		{ "redis://127.0.0.1:6390/2", "127.0.0.1", 6390, 2, "127.0.0.1:6390" },
		{ "redis://store.example", "store.example", 6379, 0, "store.example:6379" },
		{ "redis://store-1.example:1/", "store-1.example", 1, 0, "store-1.example:1" },
		{ "redis://[::1]:65535/65535", "::1", 65535, 65535, "[::1]:65535" },
		{ "redis://[2001:db8::7]/15", "2001:db8::7", 6379, 15, "[2001:db8::7]:6379" },
		{ "redis://h/0", "h", 6379, 0, "h:6379" },
		{ "rediss://store.example:6380/3", "store.example", 6380, 3, "store.example:6380" },
		{ "rediss://[::1]", "::1", 6379, 0, "[::1]:6379" },
	};
	struct limit_store_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(limit_store_parse_url(good[i].url, &u), 0);
		assert_string_equal(u.host, good[i].host);
		assert_string_equal(u.where, good[i].where);
		assert_int_equal(u.port, good[i].port);
		assert_int_equal(u.db, good[i].db);
		assert_int_equal(u.tls, strncmp(good[i].url, "rediss://", 9) == 0);
	}
}

static void
test_url_bad(void **state)
{
	static const char *const bad[] = {
		"", "redis://", "redis:///0", "http://h:1/0", "REDIS://h", "redis:/h",
		"redis://h:0", "redis://h:65536", "redis://h:123456", "redis://h:", "redis://h:12x",
		"redis://h/65536", "redis://h/-1", "redis://h/1x", "redis://h/1/2",
		"redis://:secret@h:6379/0", "redis://user:pw@h", "redis://h h", "redis://[::1",
		"redis://[zz::1]", "redis://h;rm", "redis://h?db=1", " redis://h",
		"rediss://", "rediss://:pw@h", "REDISS://h", "redisss://h", "rediss:/h",
		"rediss://h:0", "rediss://h/65536",
	};
	struct limit_store_url u;
	char longhost[LIMIT_STORE_HOST_MAX + 32];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(limit_store_parse_url(bad[i], &u), -EINVAL);
	snprintf(longhost, sizeof(longhost), "redis://%0*d", LIMIT_STORE_HOST_MAX + 1, 0);
	assert_int_equal(limit_store_parse_url(longhost, &u), -EINVAL);
	snprintf(longhost, sizeof(longhost), "redis://%0*d", LIMIT_STORE_HOST_MAX, 0);
	assert_int_equal(limit_store_parse_url(longhost, &u), 0);
	assert_int_equal(strlen(u.host), LIMIT_STORE_HOST_MAX);
}

static void
test_password(void **state)
{
	char out[LIMIT_STORE_PASS_MAX + 1], big[LIMIT_STORE_PASS_MAX + 2], small[4];

	(void)state;
	assert_int_equal(limit_store_password("s3cret\n", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "s3cret");
	assert_int_equal(limit_store_password("s3cret\r\nsecond\n", 15, out, sizeof(out)), 0);
	assert_string_equal(out, "s3cret");
	assert_int_equal(limit_store_password("no newline", 10, out, sizeof(out)), 0);
	assert_string_equal(out, "no newline");
	assert_int_equal(limit_store_password("\nsecond\n", 8, out, sizeof(out)), -EINVAL);
	assert_int_equal(limit_store_password("", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(limit_store_password("a\0b\n", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(limit_store_password("abcd", 4, small, sizeof(small)), -E2BIG);
	assert_int_equal(limit_store_password("abc", 3, small, sizeof(small)), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(limit_store_password(big, LIMIT_STORE_PASS_MAX, out, sizeof(out)), 0);
	assert_int_equal(limit_store_password(big, LIMIT_STORE_PASS_MAX + 1, out, sizeof(out)),
			 -E2BIG);
}

static void
test_id(void **state)
{
	char id[LIMIT_STORE_ID_MAX + 2];

	(void)state;
	assert_true(limit_store_id_valid("host0"));
	assert_true(limit_store_id_valid("ftp1.example:/run/miniftpd/limitd.sock"));
	assert_false(limit_store_id_valid(""));
	assert_false(limit_store_id_valid("two words"));
	assert_false(limit_store_id_valid("quote\"d"));
	assert_false(limit_store_id_valid("back\\slash"));
	assert_false(limit_store_id_valid("tab\there"));
	assert_false(limit_store_id_valid("del\x7f"));
	assert_false(limit_store_id_valid("high\xc3\xa9"));
	memset(id, 'a', sizeof(id));
	id[LIMIT_STORE_ID_MAX] = '\0';
	assert_true(limit_store_id_valid(id));
	id[LIMIT_STORE_ID_MAX] = 'a';
	id[LIMIT_STORE_ID_MAX + 1] = '\0';
	assert_false(limit_store_id_valid(id));
}

/* cfg_load refuses what limitd could not use, so `miniftpd -t` does too. */
/* cfg_load with the N overrides OVR and no file: accepted when WANT is
 * NULL, else refused with WANT in the message. */
static void
load_expect(char **ovr, size_t n, const char *want)
{
	char err[CFG_ERR_MAX];
	struct config cfg;
	int r = cfg_load(&cfg, "/nonexistent/miniftpd.conf", false, ovr, n, err);

	if (want == NULL)
		assert_int_equal(r, 0);
	else {
		assert_int_equal(r, -1);
		assert_non_null(strstr(err, want));
	}
	cfg_free(&cfg);
}

static void
test_config_check(void **state)
{
	static const struct {
		const char *opt, *err;	/* err NULL: accepted */
	} cases[] = {
		{ "limitd_cluster=redis://127.0.0.1:6379/0", NULL },
		{ "limitd_cluster=", NULL },
		{ "limitd_cluster=redis://h:0", "is not redis://HOST[:PORT][/DB]" },
		{ "limitd_cluster=rediss://h", "rediss:// needs limitd_cluster_tls_ca_file" },
		{ "limitd_cluster_tls_ca_file=/etc/ssl/ca.pem", "is set but limitd_cluster is not a "
		  "rediss:// URL" },
		{ "limitd_cluster=redis://:pw@h", "is not redis://HOST[:PORT][/DB]" },
		{ "limitd_cluster_id=host1", NULL },
		{ "limitd_cluster_id=a b", "must be 1 to 64 printable" },
		{ "limitd_cluster_lease=1", "limitd_cluster_lease" },
		{ "limitd_cluster_lease=3601", "limitd_cluster_lease" },
		{ "limitd_cluster_lease=2", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ovr[] = { (char *)(uintptr_t)cases[i].opt };

		load_expect(ovr, 1, cases[i].err);
	}
}

/* The TLS options together: rediss:// with its CA, cert and key in pairs. */
static void
test_config_check_tls(void **state)
{
	static const struct {
		const char *opt[4], *err;	/* err NULL: accepted */
	} cases[] = {
		{ { "limitd_cluster=rediss://10.0.0.5:6380/0",
		    "limitd_cluster_tls_ca_file=/etc/miniftpd/store-ca.pem" }, NULL },
		{ { "limitd_cluster=rediss://store.example",
		    "limitd_cluster_tls_ca_file=/etc/miniftpd/store-ca.pem",
		    "limitd_cluster_tls_cert_file=/etc/miniftpd/limitd.crt",
		    "limitd_cluster_tls_key_file=/etc/miniftpd/limitd.key" }, NULL },
		{ { "limitd_cluster=rediss://store.example",
		    "limitd_cluster_tls_ca_file=/etc/miniftpd/store-ca.pem",
		    "limitd_cluster_tls_cert_file=/etc/miniftpd/limitd.crt" }, "go together" },
		{ { "limitd_cluster=rediss://store.example",
		    "limitd_cluster_tls_ca_file=/etc/miniftpd/store-ca.pem",
		    "limitd_cluster_tls_key_file=/etc/miniftpd/limitd.key" }, "go together" },
		{ { "limitd_cluster=redis://store.example",
		    "limitd_cluster_tls_key_file=/etc/miniftpd/limitd.key" },
		  "limitd_cluster_tls_key_file is set but limitd_cluster is not a rediss:// URL" },
		{ { "limitd_cluster_tls_cert_file=/etc/miniftpd/limitd.crt" },
		  "limitd_cluster_tls_cert_file is set but" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *ovr[4];
		size_t n = 0;

		while (n < 4 && cases[i].opt[n])
			ovr[n] = (char *)(uintptr_t)cases[i].opt[n], n++;
		load_expect(ovr, n, cases[i].err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_good),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_config_check_tls),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
