/* test_ftpcmd.c - the control-line cleaner (ftp_line_clean) and the command table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "defs.h"
#include "ftpcmd.h"
#include "ftpproto.h"

static char out[MAX_CMD_LINE + 1];

/* Clean RAW (LEN bytes) and expect WANT. */
static void
clean_is(const char *raw, size_t len, const char *want)
{
	memset(out, 0x55, sizeof(out));
	assert_int_equal(ftp_line_clean(raw, len, out), (int)strlen(want));
	assert_string_equal(out, want);
}

#define CLEAN_IS(lit, want) clean_is(lit, sizeof(lit) - 1, want)

static void
test_line_ends(void **state)
{
	(void)state;
	CLEAN_IS("NOOP\r\n", "NOOP");
	CLEAN_IS("NOOP\n", "NOOP");
	CLEAN_IS("NOOP", "NOOP");
	CLEAN_IS("\r\n", "");
	CLEAN_IS("", "");
	CLEAN_IS("NOOP\r\r\n", "NOOP");
	/* a CR inside the line stays: it is not a line end */
	CLEAN_IS("MKD a\rb\r\n", "MKD a\rb");
	CLEAN_IS("MKD dir with  spaces \r\n", "MKD dir with  spaces ");
	CLEAN_IS("MKD \xc3\xa9t\xc3\xa9\r\n", "MKD \xc3\xa9t\xc3\xa9");
}

static void
test_iac(void **state)
{
	(void)state;
	/* IAC IAC is a literal 0xff byte */
	CLEAN_IS("MKD a\xff\xff" "b\r\n", "MKD a\xff" "b");
	/* IAC WILL/WONT/DO/DONT x: three bytes dropped */
	CLEAN_IS("\xff\xfb\x01NOOP\r\n", "NOOP");
	CLEAN_IS("NO\xff\xfc\x18OP\r\n", "NOOP");
	CLEAN_IS("NO\xff\xfd\x03OP\r\n", "NOOP");
	CLEAN_IS("NO\xff\xfe\x01OP\r\n", "NOOP");
	/* IAC IP, IAC DM before ABOR (what clients send for an urgent abort) */
	CLEAN_IS("\xff\xf4\xff\xf2" "ABOR\r\n", "ABOR");
	CLEAN_IS("NOOP\xff\xf1", "NOOP");
	/* an IAC cut off at the end of the line */
	CLEAN_IS("NOOP\xff", "NOOP");
	CLEAN_IS("NOOP\xff\xfb", "NOOP");
	CLEAN_IS("NOOP\xff\xfb\r\n", "NOOP");
}

static void
test_nul(void **state)
{
	(void)state;
	assert_int_equal(ftp_line_clean("NO\0OP\r\n", 7, out), -EINVAL);
	assert_int_equal(ftp_line_clean("\0", 1, out), -EINVAL);
	assert_int_equal(ftp_line_clean("NOOP\0\r\n", 7, out), -EINVAL);
	/* a NUL hidden behind IAC is not smuggled through, nor wrongly refused */
	assert_int_equal(ftp_line_clean("A\xff\xfb\0" "B\r\n", 7, out), 2);
	assert_string_equal(out, "AB");
	assert_int_equal(ftp_line_clean("A\xff\0B", 4, out), 2);
}

static void
test_long_line(void **state)
{
	static char raw[MAX_CMD_LINE];

	(void)state;
	memset(raw, 'x', sizeof(raw));
	raw[sizeof(raw) - 2] = '\r';
	raw[sizeof(raw) - 1] = '\n';
	assert_int_equal(ftp_line_clean(raw, sizeof(raw), out), MAX_CMD_LINE - 2);
	assert_int_equal(strlen(out), MAX_CMD_LINE - 2);
}

static void
test_find_cmd(void **state)
{
	const struct ftp_cmd *c;

	(void)state;
	c = ftp_find_cmd("USER");
	assert_non_null(c);
	assert_string_equal(c->verb, "USER");
	assert_true(c->flags & CMD_PRELOGIN);
	assert_non_null(ftp_find_cmd("user"));
	assert_ptr_equal(ftp_find_cmd("xPwD")->handler, ftp_find_cmd("PWD")->handler);
	assert_ptr_equal(ftp_find_cmd("XCWD")->handler, ftp_find_cmd("CWD")->handler);
	assert_ptr_equal(ftp_find_cmd("XCUP")->handler, ftp_find_cmd("CDUP")->handler);
	assert_ptr_equal(ftp_find_cmd("XMKD")->handler, ftp_find_cmd("MKD")->handler);
	assert_ptr_equal(ftp_find_cmd("XRMD")->handler, ftp_find_cmd("RMD")->handler);
	assert_null(ftp_find_cmd("FOO"));
	assert_null(ftp_find_cmd(""));
	assert_null(ftp_find_cmd("USERX"));
	assert_null(ftp_find_cmd("USE"));
	assert_true(ftp_find_cmd("GET")->flags & CMD_HTTP);
	assert_true(ftp_find_cmd("POST")->flags & CMD_HTTP);
	/* write verbs carry a write flag; read-only ones do not */
	assert_true(ftp_find_cmd("MKD")->flags & CMD_W_MKDIR);
	assert_true(ftp_find_cmd("DELE")->flags & (CMD_W_OTHER | CMD_W_UPLOAD));
	assert_true(ftp_find_cmd("RNFR")->flags & (CMD_W_OTHER | CMD_W_UPLOAD));
	assert_false(ftp_find_cmd("SIZE")->flags & (CMD_W_UPLOAD | CMD_W_MKDIR | CMD_W_OTHER));
	/* only login, QUIT and a few harmless verbs before login */
	assert_false(ftp_find_cmd("CWD")->flags & CMD_PRELOGIN);
	assert_false(ftp_find_cmd("MKD")->flags & CMD_PRELOGIN);
	assert_false(ftp_find_cmd("STAT")->flags & CMD_PRELOGIN);
	assert_true(ftp_find_cmd("QUIT")->flags & CMD_PRELOGIN);
	assert_true(ftp_find_cmd("PASS")->flags & CMD_PRELOGIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_iac),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_find_cmd),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
