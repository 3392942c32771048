/* test_transfer.c - the pure parts of transfer.h: ASCII, REST, rates, STOU names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "transfer.h"

/* Feed IN to xfer_lf_to_crlf in blocks of BLOCK bytes; RETURNS the output. */
static size_t
lf_in_blocks(const char *in, size_t len, size_t block, char *out)
{
	bool cr = false;
	size_t o = 0;

	for (size_t i = 0; i < len; i += block)
		o += xfer_lf_to_crlf(&cr, in + i, len - i < block ? len - i : block, out + o);
	return o;
}

static void
test_lf_to_crlf(void **state)
{
	/* a lone LF becomes CRLF; CRLF (also split between two blocks), a
	 * lone CR and CR CR LF are sent as they are (vsftpd) */
	static const char in[] = "a\nb\r\nc\rd\r\r\n\n\r\n\r";
	static const char want[] = "a\r\nb\r\nc\rd\r\r\n\r\n\r\n\r";
	char out[64];
	bool cr = false;

	(void)state;
	assert_int_equal(xfer_lf_to_crlf(&cr, "", 0, out), 0);
	assert_false(cr);
	assert_int_equal(xfer_lf_to_crlf(&cr, "\n\n", 2, out), 4);
	assert_memory_equal(out, "\r\n\r\n", 4);
	assert_int_equal(xfer_lf_to_crlf(&cr, "x\0y", 3, out), 3);
	assert_memory_equal(out, "x\0y", 3);
	for (size_t block = 1; block <= sizeof(in); block++) {
		size_t n = lf_in_blocks(in, sizeof(in) - 1, block, out);

		assert_int_equal(n, sizeof(want) - 1);
		assert_memory_equal(out, want, n);
	}
	cr = true;			/* the previous block ended in CR */
	assert_int_equal(xfer_lf_to_crlf(&cr, "\nz", 2, out), 2);
	assert_memory_equal(out, "\nz", 2);
	assert_false(cr);
}

/* Feed IN to xfer_crlf_to_lf in blocks of BLOCK bytes; RETURNS the output. */
static size_t
crlf_in_blocks(const char *in, size_t len, size_t block, char *out)
{
	bool cr = false;
	size_t o = 0;

	for (size_t i = 0; i < len; i += block)
		o += xfer_crlf_to_lf(&cr, in + i, len - i < block ? len - i : block, out + o);
	return o + xfer_crlf_to_lf(&cr, "", 0, out + o);
}

static void
test_crlf_to_lf(void **state)
{
	static const char in[] = "a\r\nb\r\r\nc\rd\r";
	static const char want[] = "a\nb\r\nc\rd\r";
	char out[64];

	(void)state;
	for (size_t block = 1; block <= sizeof(in); block++) {
		size_t n = crlf_in_blocks(in, sizeof(in) - 1, block, out);

		assert_int_equal(n, sizeof(want) - 1);
		assert_memory_equal(out, want, n);
	}
}

static void
test_rest(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(xfer_parse_rest("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xfer_parse_rest("1234567890123", &v), 0);
	assert_int_equal(v, 1234567890123ULL);
	assert_int_equal(xfer_parse_rest("9223372036854775807", &v), 0);
	assert_int_equal(xfer_parse_rest("9223372036854775808", &v), -EINVAL);
	assert_int_equal(xfer_parse_rest("99999999999999999999999", &v), -EINVAL);
	assert_int_equal(xfer_parse_rest("", &v), -EINVAL);
	assert_int_equal(xfer_parse_rest("-1", &v), -EINVAL);
	assert_int_equal(xfer_parse_rest("+1", &v), -EINVAL);
	assert_int_equal(xfer_parse_rest("1 ", &v), -EINVAL);
	assert_int_equal(xfer_parse_rest("0x10", &v), -EINVAL);
}

static void
test_rates(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(xfer_max_rate(&c, false, false), 0);
	c.local_max_rate = 1000;
	c.anon_max_rate = 500;
	assert_int_equal(xfer_max_rate(&c, false, true), 1000);
	assert_int_equal(xfer_max_rate(&c, true, false), 500);
	c.upload_max_rate = 7;
	assert_int_equal(xfer_max_rate(&c, false, true), 7);
	assert_int_equal(xfer_max_rate(&c, true, true), 7);
	assert_int_equal(xfer_max_rate(&c, false, false), 1000);
	c.download_max_rate = 9;
	assert_int_equal(xfer_max_rate(&c, true, false), 9);
}

static void
test_pace(void **state)
{
	(void)state;
	assert_int_equal(xfer_pace_ms(1000000, 0, 0), 0);
	assert_int_equal(xfer_pace_ms(1000000, 1000000, 0), 1000);
	assert_int_equal(xfer_pace_ms(1000000, 1000000, 400), 600);
	assert_int_equal(xfer_pace_ms(1000000, 1000000, 1000), 0);
	assert_int_equal(xfer_pace_ms(1000000, 1000000, 5000), 0);
	assert_int_equal(xfer_pace_ms(1500, 1000, 0), 1500);
	/* no overflow for huge byte counts */
	assert_int_equal(xfer_pace_ms(UINT64_C(1) << 62, 1U << 30, 0),
			 (long long)((UINT64_C(1) << 32) * 1000));
}

static void
test_unique_name(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(xfer_unique_name("f", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "f");
	assert_int_equal(xfer_unique_name("f", 12, out, sizeof(out)), 0);
	assert_string_equal(out, "f.12");
	assert_int_equal(xfer_unique_name("0123456789abc", 99, out, sizeof(out)), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lf_to_crlf),
		cmocka_unit_test(test_crlf_to_lf),
		cmocka_unit_test(test_rest),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_unique_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
