/* test_limittab.c - limitd's counting tables (limittab.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "limittab.h"

static struct limit_addr
addr(const char *text)
{
	struct limit_addr a = { .family = LIMIT_AF_INET };

	if (inet_pton(AF_INET, text, a.bytes) != 1) {
		a.family = LIMIT_AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, a.bytes), 1);
	}
	return a;
}

/* The callers' session records (limitd keeps them in its clients), by id. */
#define NSESS 1001
static struct limit_session sess[NSESS];

static struct limit_session *
S(uint64_t id)
{
	assert_true(id < NSESS);
	return &sess[id];
}

static int
setup(void **state)
{
	(void)state;
	memset(sess, 0, sizeof(sess));
	return 0;
}

static int
admit(struct limit_tab *t, const struct limit_limits *lim, uint64_t id, const char *ip)
{
	struct limit_addr a = addr(ip);

	return limit_tab_admit(t, lim, S(id), &a, (uint32_t)(1000 + id), 0,
			       1700000000 + (int64_t)id);
}

static uint32_t
count(struct limit_tab *t, const char *ip)
{
	struct limit_addr a = addr(ip);

	return limit_tab_addr_count(t, &a);
}

static void
test_max_clients(void **state)
{
	const struct limit_limits lim = { .max_clients = 3 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	for (uint64_t id = 1; id <= 3; id++)
		assert_int_equal(admit(&t, &lim, id, "127.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 4, "127.0.0.2"), LIMIT_V_TOTAL);
	assert_int_equal(limit_tab_sessions(&t), 3);
	assert_int_equal(count(&t, "127.0.0.2"), 0);
	limit_tab_release(&t, S(2));
	assert_int_equal(admit(&t, &lim, 4, "127.0.0.2"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_sessions(&t), 3);
	limit_tab_destroy(&t);
}

static void
test_max_per_ip(void **state)
{
	const struct limit_limits lim = { .max_clients = 100, .max_per_ip = 2 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	assert_int_equal(admit(&t, &lim, 1, "127.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "127.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 3, "127.0.0.1"), LIMIT_V_IP);
	assert_int_equal(count(&t, "127.0.0.1"), 2);	/* the refusal is undone */
	assert_false(S(3)->held);
	assert_int_equal(admit(&t, &lim, 4, "127.0.0.2"), LIMIT_V_ADMIT);
	assert_int_equal(count(&t, "127.0.0.1"), 2);
	assert_int_equal(count(&t, "127.0.0.2"), 1);
	assert_int_equal(limit_tab_addresses(&t), 2);
	limit_tab_release(&t, S(4));
	assert_int_equal(limit_tab_addresses(&t), 1);	/* entry dropped at 0 */
	limit_tab_destroy(&t);
}

static void
test_total_checked_before_ip(void **state)
{
	const struct limit_limits lim = { .max_clients = 1, .max_per_ip = 1 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	assert_int_equal(admit(&t, &lim, 1, "10.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "10.0.0.1"), LIMIT_V_TOTAL);
	limit_tab_destroy(&t);
}

static void
test_mapped_counts_as_ipv4(void **state)
{
	const struct limit_limits lim = { .max_per_ip = 2 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	assert_int_equal(admit(&t, &lim, 1, "192.0.2.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "::ffff:192.0.2.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 3, "::ffff:192.0.2.1"), LIMIT_V_IP);
	assert_int_equal(count(&t, "192.0.2.1"), 2);
	assert_int_equal(count(&t, "::ffff:192.0.2.1"), 2);
	assert_int_equal(limit_tab_addresses(&t), 1);
	assert_int_equal(S(2)->addr->family, LIMIT_AF_INET);
	assert_int_equal(admit(&t, &lim, 4, "2001:db8::1"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_addresses(&t), 2);
	limit_tab_destroy(&t);
}

static void
test_no_limits(void **state)
{
	const struct limit_limits lim = { 0 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	for (uint64_t id = 1; id <= 1000; id++)
		assert_int_equal(admit(&t, &lim, id, "203.0.113.5"), LIMIT_V_ADMIT);
	assert_int_equal(count(&t, "203.0.113.5"), 1000);
	for (uint64_t id = 1; id <= 1000; id++)
		limit_tab_release(&t, S(id));
	assert_int_equal(limit_tab_sessions(&t), 0);
	assert_int_equal(limit_tab_addresses(&t), 0);
	limit_tab_destroy(&t);
}

static void
test_login_and_max_per_user(void **state)
{
	const struct limit_limits lim = { .max_per_user = 2 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	for (uint64_t id = 1; id <= 4; id++)
		assert_int_equal(admit(&t, &lim, id, "10.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(1), "alice"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(2), "alice"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(3), "alice"), LIMIT_V_USER);
	assert_null(S(3)->user);	/* refused: nothing recorded */
	assert_int_equal(limit_tab_login(&t, &lim, S(3), "bob"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(1), "bob"), -EALREADY);
	assert_int_equal(limit_tab_login(&t, &lim, S(99), "bob"), -ENOENT);	/* not held */
	assert_int_equal(limit_tab_login(&t, &lim, S(4), ""), -EINVAL);
	assert_string_equal(S(1)->user, "alice");
	assert_int_equal(limit_tab_user_count(&t, "alice"), 2);
	assert_int_equal(limit_tab_users(&t), 2);
	limit_tab_release(&t, S(1));
	assert_int_equal(limit_tab_user_count(&t, "alice"), 1);
	assert_int_equal(limit_tab_login(&t, &lim, S(4), "alice"), LIMIT_V_ADMIT);
	limit_tab_release(&t, S(3));
	assert_int_equal(limit_tab_user_count(&t, "bob"), 0);
	assert_int_equal(limit_tab_users(&t), 1);
	limit_tab_destroy(&t);
}

/* A session registering again after a limitd restart passes no limit. */
static void
test_reregister_within_limits(void **state)
{
	const struct limit_limits lim = { .max_clients = 2, .max_per_ip = 1, .max_per_user = 1 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	assert_int_equal(admit(&t, &lim, 1, "10.9.9.9"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(1), "u"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "10.9.9.9"), LIMIT_V_IP);
	assert_int_equal(admit(&t, &lim, 2, "10.1.1.1"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(2), "u"), LIMIT_V_USER);
	assert_int_equal(admit(&t, &lim, 3, "10.2.2.2"), LIMIT_V_TOTAL);
	assert_int_equal(limit_tab_sessions(&t), 2);
	assert_int_equal(count(&t, "10.9.9.9"), 1);
	assert_int_equal(limit_tab_user_count(&t, "u"), 1);
	limit_tab_destroy(&t);
}

/* IPv6 addresses count under their first PREFIX6 bits; IPv4 stays whole. */
static void
test_ipv6_prefix(void **state)
{
	const struct limit_limits lim = { .max_per_ip = 2 };
	struct limit_tab t;
	struct hash_iter it;
	const struct limit_addr *a;
	char key[LIMIT_KEY_STR];
	uint32_t n;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 0), -EINVAL);
	assert_int_equal(limit_tab_init(&t, 0, 129), -EINVAL);
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	assert_int_equal(admit(&t, &lim, 1, "2001:db8:1:2::1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "2001:db8:1:2:ffff:ffff:ffff:ffff"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 3, "2001:db8:1:2:1234::9"), LIMIT_V_IP);
	assert_int_equal(admit(&t, &lim, 3, "2001:db8:1:3::1"), LIMIT_V_ADMIT);	/* next /64 */
	assert_int_equal(count(&t, "2001:db8:1:2::77"), 2);
	assert_int_equal(limit_tab_addresses(&t), 2);
	hash_iter_init(&it);
	while (limit_tab_next_addr(&t, &it, &a, &n))
		if (n == 2) {
			limit_key_str(a, 64, key);
			assert_string_equal(key, "2001:db8:1:2::/64");
		}
	limit_key_str(S(1)->addr, 64, key);
	assert_string_equal(key, "2001:db8:1:2::/64");
	/* IPv4 and IPv4-mapped addresses are never grouped */
	assert_int_equal(admit(&t, &lim, 4, "192.0.2.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 5, "::ffff:192.0.2.2"), LIMIT_V_ADMIT);
	assert_int_equal(count(&t, "192.0.2.1"), 1);
	assert_int_equal(count(&t, "192.0.2.2"), 1);
	limit_tab_release(&t, S(1));
	assert_int_equal(admit(&t, &lim, 6, "2001:db8:1:2::abcd"), LIMIT_V_ADMIT);
	limit_tab_destroy(&t);

	/* 128: every address alone */
	memset(sess, 0, sizeof(sess));
	assert_int_equal(limit_tab_init(&t, 0, 128), 0);
	assert_int_equal(admit(&t, &lim, 1, "2001:db8:1:2::1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "2001:db8:1:2::2"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 3, "2001:db8:1:2::3"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_addresses(&t), 3);
	limit_tab_destroy(&t);

	/* 48: a whole site */
	memset(sess, 0, sizeof(sess));
	assert_int_equal(limit_tab_init(&t, 0, 48), 0);
	assert_int_equal(admit(&t, &lim, 1, "2001:db8:1:2::1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "2001:db8:1:ffff::1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 3, "2001:db8:1:77::1"), LIMIT_V_IP);
	assert_int_equal(admit(&t, &lim, 3, "2001:db8:2::1"), LIMIT_V_ADMIT);
	limit_tab_destroy(&t);
}

static void
test_session_fields_and_iteration(void **state)
{
	const struct limit_limits lim = { 0 };
	struct limit_tab t;
	struct hash_iter it;
	const struct limit_session *s;
	const struct limit_addr *a;
	const char *user;
	uint32_t n, total = 0;
	unsigned int sessions = 0;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 0, 64), 0);
	assert_int_equal(admit(&t, &lim, 7, "127.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 8, "127.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 9, "127.0.0.2"), LIMIT_V_ADMIT);
	assert_int_equal(limit_tab_login(&t, &lim, S(9), "carol"), LIMIT_V_ADMIT);
	s = S(7);
	assert_true(s->held);
	assert_int_equal(s->pid, 1007);
	assert_true(s->since == 1700000007);
	assert_false(S(1)->held);

	hash_iter_init(&it);
	while (limit_tab_next_addr(&t, &it, &a, &n))
		total += n;
	assert_int_equal(total, 3);
	hash_iter_init(&it);
	assert_true(limit_tab_next_user(&t, &it, &user, &n));
	assert_string_equal(user, "carol");
	assert_int_equal(n, 1);
	assert_false(limit_tab_next_user(&t, &it, &user, &n));
	for (s = limit_tab_next_session(&t, NULL); s; s = limit_tab_next_session(&t, s)) {
		assert_true(s == S(7) || s == S(8) || s == S(9));
		assert_int_equal(s->pid, 1000 + (s - sess));
		sessions++;
	}
	assert_int_equal(sessions, 3);
	limit_tab_release(&t, S(8));	/* from the middle of the list */
	sessions = 0;
	for (s = limit_tab_next_session(&t, NULL); s; s = limit_tab_next_session(&t, s))
		sessions++;
	assert_int_equal(sessions, 2);
	assert_false(S(8)->held);
	assert_true(limit_tab_bytes(&t) > 0);
	limit_tab_destroy(&t);
}

static void
test_cap(void **state)
{
	const struct limit_limits lim = { 0 };
	struct limit_tab t;

	(void)state;
	assert_int_equal(limit_tab_init(&t, 2, 64), 0);
	assert_int_equal(admit(&t, &lim, 1, "10.0.0.1"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 2, "10.0.0.2"), LIMIT_V_ADMIT);
	assert_int_equal(admit(&t, &lim, 3, "10.0.0.3"), -ENOSPC);
	assert_int_equal(limit_tab_sessions(&t), 2);
	assert_int_equal(limit_tab_addresses(&t), 2);
	limit_tab_destroy(&t);
}

/* Run FN in a child; RETURNS true when it died of SIGABRT (bug()). */
static bool
aborts(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDERR_FILENO);	/* bug() logs there */
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void
admit_twice(void)
{
	const struct limit_limits lim = { 0 };
	struct limit_tab t;

	limit_tab_init(&t, 0, 64);
	admit(&t, &lim, 1, "10.0.0.1");
	admit(&t, &lim, 1, "10.0.0.2");
}

static void
release_unknown(void)
{
	struct limit_tab t;

	limit_tab_init(&t, 0, 64);
	limit_tab_release(&t, S(5));
}

static void
test_invariants_are_bugs(void **state)
{
	(void)state;
	assert_true(aborts(admit_twice));
	assert_true(aborts(release_unknown));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_max_clients, setup),
		cmocka_unit_test_setup(test_max_per_ip, setup),
		cmocka_unit_test_setup(test_total_checked_before_ip, setup),
		cmocka_unit_test_setup(test_mapped_counts_as_ipv4, setup),
		cmocka_unit_test_setup(test_no_limits, setup),
		cmocka_unit_test_setup(test_login_and_max_per_user, setup),
		cmocka_unit_test_setup(test_reregister_within_limits, setup),
		cmocka_unit_test_setup(test_ipv6_prefix, setup),
		cmocka_unit_test_setup(test_session_fields_and_iteration, setup),
		cmocka_unit_test_setup(test_cap, setup),
		cmocka_unit_test_setup(test_invariants_are_bugs, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
