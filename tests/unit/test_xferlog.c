/* test_xferlog.c - wu-ftpd xferlog lines (xferlog.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "xferlog.h"

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void
test_line(void **state)
{
	struct xferlog_entry e = {
		.when = 1700000000, .msecs = 2500, .host = "192.0.2.7", .bytes = 1048576,
		.path = "/pub/file", .ascii = false, .upload = false, .access = 'r',
		.user = "alice", .complete = true,
	};
	char out[512];
	int n;

	(void)state;
	n = xferlog_format(&e, out, sizeof(out));
	assert_int_equal(n, (int)strlen(out));
	assert_string_equal(out, "Tue Nov 14 22:13:20 2023 3 192.0.2.7 1048576 /pub/file "
			    "b _ o r alice ftp 0 * c\n");
	e.msecs = 0;
	e.ascii = e.upload = true;
	e.complete = false;
	e.access = 'a';
	e.path = "/in coming/new\nline\tx";
	assert_true(xferlog_format(&e, out, sizeof(out)) > 0);
	assert_string_equal(out, "Tue Nov 14 22:13:20 2023 1 192.0.2.7 1048576 "
			    "/in_coming/new_line_x a _ i a alice ftp 0 * i\n");
	assert_int_equal(xferlog_format(&e, out, 40), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
