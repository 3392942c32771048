/* test_limitfail.c - failed logins per address: counting, blocking, forgetting, the cap. */
#include <arpa/inet.h>
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
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
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
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
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
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
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
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
	limit_fails_add(&f, &pol, &a, 1);
	limit_fails_add(&f, &pol, &m, 2);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 3), 3);
	assert_true(limit_fails_blocked(&f, &pol, &m, 4));
	assert_int_equal(limit_fails_count(&f), 1);
	limit_fails_destroy(&f);
}

static struct limit_addr
v6(const char *text)
{
	struct limit_addr x = { .family = LIMIT_AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, text, x.bytes), 1);
	return x;
}

/* One /64 (max_per_ip_prefix6) is one address: its hosts share the count. */
static void
test_ipv6_prefix_counts_together(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9"),
			  c = v6("2001:db8:1:2:1:2:3:4"), next = v6("2001:db8:1:3::1");

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16, 0), -EINVAL);
	assert_int_equal(limit_fails_init(&f, 16, 129), -EINVAL);
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 100), 1);
	assert_int_equal(limit_fails_add(&f, &pol, &b, 101), 2);
	assert_int_equal(limit_fails_add(&f, &pol, &c, 102), 3);
	assert_true(limit_fails_blocked(&f, &pol, &a, 103));
	assert_true(limit_fails_blocked(&f, &pol, &c, 103));
	assert_false(limit_fails_blocked(&f, &pol, &next, 103));	/* the next /64 */
	assert_int_equal(limit_fails_count(&f), 1);
	limit_fails_destroy(&f);

	/* 128: each address on its own */
	assert_int_equal(limit_fails_init(&f, 16, 128), 0);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 100), 1);
	assert_int_equal(limit_fails_add(&f, &pol, &b, 101), 1);
	assert_int_equal(limit_fails_add(&f, &pol, &c, 102), 1);
	assert_false(limit_fails_blocked(&f, &pol, &a, 103));
	assert_int_equal(limit_fails_count(&f), 3);
	limit_fails_destroy(&f);
}

/* IPv4 addresses stay whole whatever the IPv6 prefix. */
static void
test_ipv4_not_grouped(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v4(192, 0, 2, 1), b = v4(192, 0, 2, 2), m = mapped(192, 0, 2, 3);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16, 1), 0);
	for (int i = 0; i < 3; i++)
		limit_fails_add(&f, &pol, &a, 100);
	assert_true(limit_fails_blocked(&f, &pol, &a, 101));
	assert_false(limit_fails_blocked(&f, &pol, &b, 101));
	assert_false(limit_fails_blocked(&f, &pol, &m, 101));
	limit_fails_destroy(&f);
}

static void
test_off_when_max_zero(void **state)
{
	static const struct limit_fail_policy off = { .max = 0, .forget = 600 };
	struct limit_fails f;
	struct limit_addr a = v4(10, 0, 0, 1);

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
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
	assert_int_equal(limit_fails_init(&f, 4, 64), 0);
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

/*
 * What a join pushes (limitcluster): the failures not pushed yet, each
 * once, with the seconds left; none of a stale entry; an entry that
 * restarted (stale) is pushed afresh.
 */
static void
test_unpushed_once(void **state)
{
	struct limit_fails f;
	struct limit_addr a = v4(192, 0, 2, 7), b = v4(192, 0, 2, 8);
	struct limit_fail_push out[4];
	size_t left;

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
	assert_int_equal(limit_fails_unpushed(&f, &pol, 100, out, 4, &left), 0);
	assert_int_equal(left, 0);
	limit_fails_add(&f, &pol, &a, 100);
	limit_fails_add(&f, &pol, &a, 110);
	assert_int_equal(limit_fails_unpushed(&f, &pol, 120, out, 4, &left), 1);
	assert_memory_equal(&out[0].addr, &a, sizeof(a));
	assert_int_equal(out[0].count, 2);
	assert_int_equal(out[0].fresh, 2);
	assert_int_equal(out[0].left, 600 - 10);	/* after the last failure */
	limit_fails_mark_pushed(&f, &out[0]);
	assert_int_equal(limit_fails_unpushed(&f, &pol, 120, out, 4, &left), 0);
	/* marking pushed changes no count and no ban */
	assert_int_equal(limit_fails_add(&f, &pol, &a, 130), 3);
	assert_true(limit_fails_blocked(&f, &pol, &a, 130));
	assert_int_equal(limit_fails_unpushed(&f, &pol, 130, out, 4, &left), 1);
	assert_int_equal(out[0].count, 3);
	assert_int_equal(out[0].fresh, 1);		/* only the new one */
	assert_int_equal(out[0].left, 600);
	limit_fails_mark_pushed(&f, &out[0]);
	/* stale: nothing to push, and a restart pushes its new count whole */
	limit_fails_add(&f, &pol, &b, 100);
	assert_int_equal(limit_fails_unpushed(&f, &pol, 700, out, 4, &left), 0);
	assert_int_equal(limit_fails_add(&f, &pol, &a, 800), 1);
	assert_int_equal(limit_fails_unpushed(&f, &pol, 800, out, 4, &left), 1);
	assert_memory_equal(&out[0].addr, &a, sizeof(a));
	assert_int_equal(out[0].fresh, 1);
	limit_fails_destroy(&f);
}

/* More than MAX: the blocked addresses first, the rest counted as left over. */
static void
test_unpushed_cap_blocked_first(void **state)
{
	struct limit_fails f;
	struct limit_addr a;
	struct limit_fail_push out[2];
	size_t left;

	(void)state;
	assert_int_equal(limit_fails_init(&f, 16, 64), 0);
	for (uint8_t i = 0; i < 6; i++) {
		a = v4(10, 0, 0, i);
		for (int k = 0; k < (i == 2 || i == 5 ? 3 : 1); k++)
			limit_fails_add(&f, &pol, &a, 100);
	}
	assert_int_equal(limit_fails_unpushed(&f, &pol, 100, out, 2, &left), 2);
	assert_int_equal(left, 4);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(out[i].count, 3);
		assert_true(out[i].addr.bytes[3] == 2 || out[i].addr.bytes[3] == 5);
		limit_fails_mark_pushed(&f, &out[i]);
	}
	assert_int_equal(limit_fails_unpushed(&f, &pol, 100, out, 2, &left), 2);
	assert_int_equal(left, 2);
	assert_int_equal(out[0].count, 1);
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
		cmocka_unit_test(test_ipv6_prefix_counts_together),
		cmocka_unit_test(test_ipv4_not_grouped),
		cmocka_unit_test(test_off_when_max_zero),
		cmocka_unit_test(test_cap_and_expiry),
		cmocka_unit_test(test_unpushed_once),
		cmocka_unit_test(test_unpushed_cap_blocked_first),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
