/* test_buf.c - checked message bodies (buf.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static struct buf b;

static int
reset(void **state)
{
	(void)state;
	buf_reset(&b);
	return 0;
}

static void
test_round_trip(void **state)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	char s[32];
	uint8_t raw[8];
	size_t n;

	(void)state;
	assert_int_equal(buf_put_u8(&b, 0xab), 0);
	assert_int_equal(buf_put_u16(&b, 0xbeef), 0);
	assert_int_equal(buf_put_u32(&b, 0xdeadbeef), 0);
	assert_int_equal(buf_put_u64(&b, 0x0102030405060708ULL), 0);
	assert_int_equal(buf_put_str(&b, "demo"), 0);
	assert_int_equal(buf_put_bytes(&b, "\0\1\2", 3), 0);
	assert_int_equal(buf_put_str(&b, ""), 0);
	assert_int_equal(b.len, 1 + 2 + 4 + 8 + 4 + 4 + 4 + 3 + 4);

	assert_int_equal(buf_get_u8(&b, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(buf_get_u16(&b, &u16), 0);
	assert_int_equal(u16, 0xbeef);
	assert_int_equal(buf_get_u32(&b, &u32), 0);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(buf_get_u64(&b, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(buf_end(&b), -EBADMSG);
	assert_int_equal(buf_get_str(&b, s, sizeof(s)), 0);
	assert_string_equal(s, "demo");
	assert_int_equal(buf_get_bytes(&b, raw, sizeof(raw), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(raw, "\0\1\2", 3);
	assert_int_equal(buf_get_str(&b, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	assert_int_equal(buf_end(&b), 0);
	/* nothing left */
	assert_int_equal(buf_get_u8(&b, &u8), -EBADMSG);
	assert_int_equal(buf_end(&b), 0);
}

static void
test_big_endian(void **state)
{
	(void)state;
	buf_put_u16(&b, 0x0102);
	buf_put_u32(&b, 0x03040506);
	buf_put_str(&b, "A");
	assert_memory_equal(b.data, "\x01\x02\x03\x04\x05\x06\x00\x00\x00\x01" "A", 11);
}

static void
test_short_reads(void **state)
{
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	assert_int_equal(buf_load(&b, "\x01\x02\x03", 3), 0);
	assert_int_equal(buf_get_u32(&b, &u32), -EBADMSG);
	assert_int_equal(buf_get_u64(&b, &u64), -EBADMSG);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_u16(&b, &u16), 0);
	assert_int_equal(u16, 0x0102);
	assert_int_equal(buf_get_u16(&b, &u16), -EBADMSG);
	assert_int_equal(b.off, 2);
	assert_int_equal(buf_end(&b), -EBADMSG);
}

static void
test_put_limit(void **state)
{
	static uint8_t big[BUF_MAX];
	size_t len;

	(void)state;
	assert_int_equal(buf_put_bytes(&b, big, BUF_MAX - 4), 0);
	assert_int_equal(b.len, BUF_MAX);
	assert_int_equal(buf_put_u8(&b, 1), -E2BIG);
	assert_int_equal(b.len, BUF_MAX);
	buf_reset(&b);
	assert_int_equal(buf_put_bytes(&b, big, BUF_MAX - 3), -E2BIG);
	assert_int_equal(b.len, 0);		/* no half-written field */
	assert_int_equal(buf_put_u64(&b, 1), 0);
	len = b.len;
	assert_int_equal(buf_put_bytes(&b, big, BUF_MAX), -E2BIG);
	assert_int_equal(b.len, len);
	assert_int_equal(buf_load(&b, big, BUF_MAX + 1), -E2BIG);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_load(&b, big, BUF_MAX), 0);
	assert_int_equal(b.len, BUF_MAX);
}

static void
test_bytes_bounds(void **state)
{
	uint8_t out[4];
	size_t n = 99;

	(void)state;
	/* longer than the caller's buffer: refused, position unchanged */
	buf_put_bytes(&b, "12345", 5);
	assert_int_equal(buf_get_bytes(&b, out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(b.off, 0);
	assert_int_equal(n, 99);
	/* a length beyond the message */
	buf_reset(&b);
	assert_int_equal(buf_load(&b, "\x00\x00\x00\x09" "abc", 7), 0);
	assert_int_equal(buf_get_bytes(&b, out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(b.off, 0);
	/* a huge length, which must not wrap the bound check */
	assert_int_equal(buf_load(&b, "\xff\xff\xff\xff" "abc", 7), 0);
	assert_int_equal(buf_get_bytes(&b, out, sizeof(out), &n), -EBADMSG);
	/* a length prefix cut short */
	assert_int_equal(buf_load(&b, "\x00\x00", 2), 0);
	assert_int_equal(buf_get_bytes(&b, out, sizeof(out), &n), -EBADMSG);
}

static void
test_str_checks(void **state)
{
	char out[5];

	(void)state;
	/* inner NUL refused, position restored */
	buf_put_bytes(&b, "ab\0c", 4);
	assert_int_equal(buf_get_str(&b, out, sizeof(out)), -EBADMSG);
	assert_int_equal(b.off, 0);
	/* exactly fits with its NUL; one more byte does not */
	buf_reset(&b);
	buf_put_str(&b, "abcd");
	buf_put_str(&b, "abcde");
	assert_int_equal(buf_get_str(&b, out, sizeof(out)), 0);
	assert_string_equal(out, "abcd");
	assert_int_equal(buf_get_str(&b, out, sizeof(out)), -EBADMSG);
	assert_int_equal(buf_get_str(&b, out, 0), -EBADMSG);
	assert_int_equal(buf_end(&b), -EBADMSG);
}

static void
test_end_trailing(void **state)
{
	uint32_t v;

	(void)state;
	buf_put_u32(&b, 7);
	buf_put_u8(&b, 0);
	assert_int_equal(buf_get_u32(&b, &v), 0);
	assert_int_equal(buf_end(&b), -EBADMSG);
	buf_reset(&b);
	assert_int_equal(buf_end(&b), 0);
}

/* buf_wipe zeroes what was filled, no more, and empties the buffer. */
static void
test_wipe(void **state)
{
	static const uint8_t zero[16];

	(void)state;
	memset(b.data, 0x5a, sizeof(b.data));
	buf_reset(&b);
	assert_int_equal(buf_put_bytes(&b, "password", 8), 0);
	buf_wipe(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.off, 0);
	assert_memory_equal(b.data, zero, 12);	/* u32 length + 8 bytes */
	assert_int_equal(b.data[12], 0x5a);	/* never filled: left alone */
	b.len = sizeof(b.data) + 1;		/* a bad length stays within the buffer */
	buf_wipe(&b);
	assert_int_equal(b.data[sizeof(b.data) - 1], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip, reset),
		cmocka_unit_test_setup(test_big_endian, reset),
		cmocka_unit_test_setup(test_short_reads, reset),
		cmocka_unit_test_setup(test_put_limit, reset),
		cmocka_unit_test_setup(test_bytes_bounds, reset),
		cmocka_unit_test_setup(test_str_checks, reset),
		cmocka_unit_test_setup(test_end_trailing, reset),
		cmocka_unit_test_setup(test_wipe, reset),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
