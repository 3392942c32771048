/* test_tlsdata.c - the pure part of tlsdata.h: which path a TLS download
 * takes (kernel TLS with SSL_sendfile, kernel TLS with SSL_write, or
 * OpenSSL's own record layer), and the name the log gives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tlsdata.h"

static void
test_without_ktls_always_userspace(void **state)
{
	(void)state;
	/* no kernel TLS on the socket: OpenSSL encrypts, whatever else holds */
	for (int ascii = 0; ascii < 2; ascii++)
		for (int sf = 0; sf < 2; sf++)
			assert_int_equal(tlsdata_choose_path(false, ascii, sf), TLSDATA_USERSPACE);
}

static void
test_ktls_binary_sendfile(void **state)
{
	(void)state;
	assert_int_equal(tlsdata_choose_path(true, false, true), TLSDATA_KTLS_SENDFILE);
}

static void
test_ktls_ascii_or_no_sendfile_writes(void **state)
{
	(void)state;
	/* ASCII rewrites line ends in the process; use_sendfile=NO asks for
	 * read + write: the kernel still encrypts what SSL_write hands it */
	assert_int_equal(tlsdata_choose_path(true, true, true), TLSDATA_KTLS_WRITE);
	assert_int_equal(tlsdata_choose_path(true, false, false), TLSDATA_KTLS_WRITE);
	assert_int_equal(tlsdata_choose_path(true, true, false), TLSDATA_KTLS_WRITE);
}

static void
test_path_names(void **state)
{
	(void)state;
	/* FTP_TLS_SEND says who encrypted: the kernel or OpenSSL */
	assert_string_equal(tlsdata_path_name(TLSDATA_USERSPACE), "userspace");
	assert_string_equal(tlsdata_path_name(TLSDATA_KTLS_WRITE), "ktls");
	assert_string_equal(tlsdata_path_name(TLSDATA_KTLS_SENDFILE), "ktls");
}

static void
test_no_connection_no_ktls(void **state)
{
	(void)state;
	/* no TLS data connection: nothing to send on, kernel TLS or not */
	assert_false(tlsdata_ktls_send(0));
	assert_int_equal(tlsdata_sendfile(0, 0, 0, 4096) < 0, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_ktls_always_userspace),
		cmocka_unit_test(test_ktls_binary_sendfile),
		cmocka_unit_test(test_ktls_ascii_or_no_sendfile_writes),
		cmocka_unit_test(test_path_names),
		cmocka_unit_test(test_no_connection_no_ktls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
