/* test_str.c - the bounded string (str.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "str.h"

static void
test_empty(void **state)
{
	struct str s;

	(void)state;
	str_init(&s, 16);
	assert_string_equal(str_cstr(&s), "");
	assert_int_equal(str_len(&s), 0);
	assert_false(str_has_nul(&s));
	str_clear(&s);
	str_truncate(&s, 5);
	assert_int_equal(str_len(&s), 0);
	str_free(&s);
	assert_string_equal(str_cstr(&s), "");
}

static void
test_append(void **state)
{
	struct str s;

	(void)state;
	str_init(&s, 100);
	assert_int_equal(str_append_cstr(&s, "USER"), 0);
	assert_int_equal(str_append_byte(&s, ' '), 0);
	assert_int_equal(str_append(&s, "demoXX", 4), 0);
	assert_string_equal(str_cstr(&s), "USER demo");
	assert_int_equal(str_len(&s), 9);
	str_truncate(&s, 4);
	assert_string_equal(str_cstr(&s), "USER");
	str_truncate(&s, 40);
	assert_string_equal(str_cstr(&s), "USER");
	str_clear(&s);
	assert_string_equal(str_cstr(&s), "");
	assert_int_equal(str_append_cstr(&s, "again"), 0);
	assert_string_equal(str_cstr(&s), "again");
	str_free(&s);
}

static void
test_max(void **state)
{
	struct str s;

	(void)state;
	str_init(&s, 8);
	assert_int_equal(str_append_cstr(&s, "12345678"), 0);
	assert_int_equal(str_len(&s), 8);
	/* over the maximum: refused, unchanged */
	assert_int_equal(str_append_byte(&s, 'x'), -E2BIG);
	assert_int_equal(str_append_cstr(&s, "abc"), -E2BIG);
	assert_string_equal(str_cstr(&s), "12345678");
	str_truncate(&s, 6);
	assert_int_equal(str_append_cstr(&s, "abc"), -E2BIG);
	assert_string_equal(str_cstr(&s), "123456");
	assert_int_equal(str_append_cstr(&s, "ab"), 0);
	assert_string_equal(str_cstr(&s), "123456ab");
	str_free(&s);
}

static void
test_overflow_guard(void **state)
{
	struct str s;

	(void)state;
	str_init(&s, 64);
	assert_int_equal(str_append_cstr(&s, "x"), 0);
	/* a length that would wrap size_t must fail before any copy */
	assert_int_equal(str_append(&s, "y", SIZE_MAX), -E2BIG);
	assert_int_equal(str_append(&s, "y", SIZE_MAX - 1), -E2BIG);
	assert_string_equal(str_cstr(&s), "x");
	str_free(&s);
	str_init(&s, SIZE_MAX);
	assert_int_equal(str_append_cstr(&s, "x"), 0);
	assert_int_equal(str_append(&s, "y", SIZE_MAX), -E2BIG);
	assert_string_equal(str_cstr(&s), "x");
	str_free(&s);
}

static void
test_growth(void **state)
{
	struct str s;
	char expect[5001];

	(void)state;
	str_init(&s, 5000);
	for (int i = 0; i < 5000; i++) {
		expect[i] = (char)('a' + i % 26);
		assert_int_equal(str_append_byte(&s, expect[i]), 0);
	}
	expect[5000] = '\0';
	assert_int_equal(str_len(&s), 5000);
	assert_string_equal(str_cstr(&s), expect);
	assert_int_equal(str_append_byte(&s, 'z'), -E2BIG);
	str_free(&s);
}

static void
test_nul(void **state)
{
	struct str s;
	char out[8];

	(void)state;
	str_init(&s, 32);
	assert_int_equal(str_append(&s, "ab\0cd", 5), 0);
	assert_int_equal(str_len(&s), 5);
	assert_true(str_has_nul(&s));
	assert_memory_equal(str_cstr(&s), "ab\0cd", 6);
	str_truncate(&s, 2);
	assert_false(str_has_nul(&s));
	assert_int_equal(str_copy_out(&s, out, sizeof(out)), 0);
	assert_string_equal(out, "ab");
	str_free(&s);
}

static void
test_copy_out(void **state)
{
	struct str s;
	char out[4];

	(void)state;
	str_init(&s, 32);
	str_append_cstr(&s, "abc");
	assert_int_equal(str_copy_out(&s, out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	str_append_cstr(&s, "d");
	assert_int_equal(str_copy_out(&s, out, sizeof(out)), -E2BIG);
	assert_int_equal(str_copy_out(&s, out, 0), -E2BIG);
	str_free(&s);
}

static void
test_lcpy(void **state)
{
	char dst[6];

	(void)state;
	assert_int_equal(str_lcpy(dst, "hello", sizeof(dst)), 0);
	assert_string_equal(dst, "hello");
	assert_int_equal(str_lcpy(dst, "hello!", sizeof(dst)), -E2BIG);
	assert_string_equal(dst, "hello");
	assert_int_equal(str_lcpy(dst, "", sizeof(dst)), 0);
	assert_string_equal(dst, "");
	assert_int_equal(str_lcpy(dst, "x", 0), -E2BIG);
}

static void
test_fmt(void **state)
{
	char dst[8];

	(void)state;
	assert_int_equal(str_fmt(dst, sizeof(dst), "%d-%s", 42, "ab"), 0);
	assert_string_equal(dst, "42-ab");
	assert_int_equal(str_fmt(dst, sizeof(dst), "%s", "1234567"), 0);
	assert_int_equal(str_fmt(dst, sizeof(dst), "%s", "12345678"), -E2BIG);
	assert_int_equal(strlen(dst), 7);
}

static void
test_to_ulong(void **state)
{
	unsigned long n = 7;

	(void)state;
	assert_int_equal(str_to_ulong("1234", &n), 0);
	assert_int_equal(n, 1234);
	assert_int_equal(str_to_ulong("0", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(str_to_ulong("", &n), -EINVAL);
	assert_int_equal(str_to_ulong("-1", &n), -EINVAL);
	assert_int_equal(str_to_ulong(" 1", &n), -EINVAL);
	assert_int_equal(str_to_ulong("1x", &n), -EINVAL);
	assert_int_equal(str_to_ulong("99999999999999999999", &n), -ERANGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_overflow_guard),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_copy_out),
		cmocka_unit_test(test_lcpy),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_to_ulong),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
