/* test_limitfail.c - failed logins per address: counting, blocking, forgetting, the cap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "limitfail.h"

static const struct limit_fail_policy pol = { .max = 3, .forget = 600 };

static struct limit_addr
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct limit_addr x = { .family = LIMIT_AF_INET, .bytes = { a, b, c, d } };

	return x;
}

static struct limit_addr
mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct limit_addr x = { .family = LIMIT_AF_INET6,
				.bytes = { [10] = 0xff, [11] = 0xff, [12] = a, [13] = b,
					   [14] = c, [15] = d } };

	return x;
}

static void
test_blocks_at_max(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v4(192, 0, 2, 7), other = v4(192, 0, 2, 8);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16), 0);
	assert_false(limit_fails_blocked(&f, &pol, &a, 1000));
	assert_int_equal(limit_fails_add(&f, &pol, &a, 1000), 1);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 1001), 2);
	assert_false(limit_fails_blocked(&f, &pol, &a, 1001));
	assert_int_equal(limit_fails_add(&f, &pol, &a, 1002), 3);
	assert_true(limit_fails_blocked(&f, &pol, &a, 1002));
	/* other addresses are not affected */
	assert_false(limit_fails_blocked(&f, &pol, &other, 1002));
	/* still blocked just before FORGET seconds after the last failure */
	assert_true(limit_fails_blocked(&f, &pol, &a, 1002 + 599));
	assert_false(limit_fails_blocked(&f, &pol, &a, 1002 + 600));
	limit_fails_destroy(&f);
}

static void
test_further_failures_extend(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v4(198, 51, 100, 1);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16), 0);
	for (int i = 0; i < 3; i++)
		limit_fails_add(&f, &pol, &a, 100);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 500), 4);
	assert_true(limit_fails_blocked(&f, &pol, &a, 1099));
	assert_false(limit_fails_blocked(&f, &pol, &a, 1100));
	limit_fails_destroy(&f);
}

/* Failures further apart than FORGET never add up. */
static void
test_stale_entry_restarts(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v4(203, 0, 113, 9);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16), 0);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 0), 1);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 10), 2);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 10 + 600), 1);
	/* a clock that went backwards forgets too, rather than blocking for ever */
	assert_int_equal(limit_fails_add(&f, &pol, &a, 5), 1);
	limit_fails_destroy(&f);
}

static void
test_mapped_counts_as_v4(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v4(127, 0, 0, 2), m = mapped(127, 0, 0, 2);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16), 0);
	limit_fails_add(&f, &pol, &a, 1);
	limit_fails_add(&f, &pol, &m, 2);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 3), 3);
	assert_true(limit_fails_blocked(&f, &pol, &m, 4));
	assert_int_equal(limit_fails_count(&f), 1);
	limit_fails_destroy(&f);
}

static void
test_off_when_max_zero(void **state)
{
	static const struct limit_fail_policy off = { .max = 0, .forget = 600 };
	struct limit_fails f;
	struct limit_addr a = v4(10, 0, 0, 1);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16), 0);
	for (int i = 0; i < 10; i++)
		limit_fails_add(&f, &off, &a, i);
	assert_false(limit_fails_blocked(&f, &off, &a, 10));
	limit_fails_destroy(&f);
}

/* The cap holds; stale entries make room; live ones are never evicted. */
static void
test_cap_and_expiry(void **state)
{
	struct limit_fails f;
	struct limit_addr a;

	(void)state;
	assert_int_equal(limit_fails_init(&f, 4), 0);
	for (uint8_t i = 0; i < 4; i++) {
		a = v4(10, 0, 0, i);
		assert_int_equal(limit_fails_add(&f, &pol, &a, 100), 1);
	}
	a = v4(10, 0, 1, 0);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 200), -ENOSPC);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 700), 1);	/* the old four expired */
	assert_int_equal(limit_fails_count(&f), 1);
	assert_int_equal(limit_fails_expire(&f, &pol, 1300), 1);
	assert_int_equal(limit_fails_count(&f), 0);
	limit_fails_destroy(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_at_max),
		cmocka_unit_test(test_further_failures_extend),
		cmocka_unit_test(test_stale_entry_restarts),
		cmocka_unit_test(test_mapped_counts_as_v4),
		cmocka_unit_test(test_off_when_max_zero),
		cmocka_unit_test(test_cap_and_expiry),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
