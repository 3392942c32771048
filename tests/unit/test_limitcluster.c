/*
 * test_limitcluster.c - the store's answers as limitd reads them: integer
 * verdicts in range, and the status array with its bounds, built by hand
 * as hiredis would hand them over (no store needed).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "config.h"
#include "limitcluster.h"
#include "limitclusterstat.h"
#include "limitredis.h"

#define MAX_ELEMS	(6 + 3 * LIMIT_CLUSTER_MAX_HOSTS + 2 * LIMIT_CLUSTER_MAX_GONE + 4)

static redisReply pool[MAX_ELEMS];
static redisReply *elems[MAX_ELEMS];
static size_t used;
static char texts[MAX_ELEMS][80];

static redisReply *
r_int(long long v)
{
	redisReply *r = &pool[used++];

	memset(r, 0, sizeof(*r));
	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static redisReply *
r_str(const char *s)
{
	redisReply *r = &pool[used];

	memset(r, 0, sizeof(*r));
	snprintf(texts[used], sizeof(texts[used]), "%s", s);
	r->type = REDIS_REPLY_STRING;
	r->str = texts[used];
	r->len = strlen(s);
	used++;
	return r;
}

/* An array of the N replies in ELEMS. */
static redisReply
array(size_t n)
{
	redisReply r = { .type = REDIS_REPLY_ARRAY, .elements = n, .element = elems };

	return r;
}

/* The status answer with NH live hosts and NG gone; RETURNS its length. */
static size_t
status_reply(size_t nh, size_t ng)
{
	size_t n = 0;
	char id[32];

	used = 0;
	elems[n++] = r_int(1700000000000LL);
	elems[n++] = r_int(5);
	elems[n++] = r_int(3);
	elems[n++] = r_int(1);
	elems[n++] = r_int((long long)nh);
	for (size_t i = 0; i < nh; i++) {
		snprintf(id, sizeof(id), "host%zu", i);
		elems[n++] = r_str(id);
		elems[n++] = r_int(1500);
		elems[n++] = r_int((long long)i);
	}
	elems[n++] = r_int((long long)ng);
	for (size_t i = 0; i < ng; i++) {
		snprintf(id, sizeof(id), "dead%zu", i);
		elems[n++] = r_str(id);
		elems[n++] = r_int(250);
	}
	return n;
}

static void
test_int(void **state)
{
	redisReply s;
	long long v = 99;

	(void)state;
	used = 0;
	assert_int_equal(limit_redis_int(r_int(2), 0, 4, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(limit_redis_int(r_int(-1), -1, 4, &v), 0);
	assert_int_equal(v, -1);
	v = 99;
	assert_int_equal(limit_redis_int(r_int(5), 0, 4, &v), -EBADMSG);
	assert_int_equal(limit_redis_int(r_int(-2), -1, 4, &v), -EBADMSG);
	assert_int_equal(v, 99);
	assert_int_equal(limit_redis_int(r_str("0"), 0, 4, &v), -EBADMSG);
	assert_int_equal(limit_redis_int(NULL, 0, 4, &v), -EBADMSG);
	memset(&s, 0, sizeof(s));
	s.type = REDIS_REPLY_NIL;
	assert_int_equal(limit_redis_int(&s, 0, 4, &v), -EBADMSG);
	s = array(0);
	assert_int_equal(limit_redis_int(&s, 0, 4, &v), -EBADMSG);
}

static void
test_status(void **state)
{
	static struct limit_cluster_status st;
	redisReply r = array(status_reply(3, 2));

	(void)state;
	assert_int_equal(limit_cluster_reply_status(&r, &st), 0);
	assert_int_equal(st.sessions, 5);
	assert_int_equal(st.addresses, 3);
	assert_int_equal(st.users, 1);
	assert_int_equal(st.nhosts, 3);
	assert_string_equal(st.hosts[2].id, "host2");
	assert_int_equal(st.hosts[2].lease_ms, 1500);
	assert_int_equal(st.hosts[2].sessions, 2);
	assert_int_equal(st.ngone, 2);
	assert_string_equal(st.gone[1].id, "dead1");
	assert_int_equal(st.gone[1].lease_ms, 250);
	r = array(status_reply(0, 0));
	assert_int_equal(limit_cluster_reply_status(&r, &st), 0);
	assert_int_equal(st.nhosts + st.ngone, 0);
	r = array(status_reply(LIMIT_CLUSTER_MAX_HOSTS, LIMIT_CLUSTER_MAX_GONE));
	assert_int_equal(limit_cluster_reply_status(&r, &st), 0);
	assert_int_equal(st.nhosts, LIMIT_CLUSTER_MAX_HOSTS);
}

static void
test_status_bad(void **state)
{
	static struct limit_cluster_status st;
	size_t n;
	redisReply r;

	(void)state;
	/* more hosts than the bound */
	r = array(status_reply(LIMIT_CLUSTER_MAX_HOSTS + 1, 0));
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	r = array(status_reply(0, LIMIT_CLUSTER_MAX_GONE + 1));
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	/* a count that promises more than follows, or less */
	n = status_reply(2, 1);
	r = array(n - 1);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	elems[n] = r_int(7);
	r = array(n + 1);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	/* a host id that is not one: spaces, quotes, empty, too long, not a string */
	static const char *const ids[] = { "two words", "q\"uote", "",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		n = status_reply(1, 0);
		elems[5] = r_str(ids[i]);
		r = array(n);
		assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	}
	n = status_reply(1, 0);
	elems[5] = r_int(1);
	r = array(n);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	/* negative totals, a string where a count goes, a negative host count */
	n = status_reply(1, 0);
	elems[1] = r_int(-1);
	r = array(n);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	n = status_reply(1, 0);
	elems[7] = r_str("3");
	r = array(n);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	n = status_reply(0, 0);
	elems[4] = r_int(-1);
	r = array(n);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	/* not an array, too short, NULL */
	used = 0;
	assert_int_equal(limit_cluster_reply_status(r_int(0), &st), -EBADMSG);
	r = array(3);
	assert_int_equal(limit_cluster_reply_status(&r, &st), -EBADMSG);
	assert_int_equal(limit_cluster_reply_status(NULL, &st), -EBADMSG);
}

/*
 * With no store (the usual limitd: limitd_cluster off, or the store down),
 * queuing an admission must do nothing at all, not even read its
 * arguments: it once formatted its three numbers before asking whether a
 * store was up, three snprintf per admission that more than doubled
 * limitd's instructions per admission without a store (bench/NOTES.md,
 * issue 20).  NULL key and limits would crash any formatting.
 */
static void
test_admit_without_store_does_nothing(void **state)
{
	(void)state;
	assert_int_equal(limit_cluster_admit_queue(NULL, NULL, 5, NULL), -ENOTCONN);
	assert_int_equal(limit_cluster_login_queue(NULL, "u", NULL, 5, NULL), -ENOTCONN);
	assert_int_equal(limit_cluster_fail_queue(NULL, 5, NULL), -ENOTCONN);
}

/* The id of a limitd with no limitd_cluster_id and limitd_socket SOCK. */
static int
default_id(const char *sock, char out[LIMIT_STORE_ID_MAX + 1])
{
	struct config cfg;
	char msg[256];
	int r;

	cfg_defaults(&cfg);
	assert_int_equal(cfg_set(&cfg, "limitd_socket", sock, msg, sizeof(msg)), 0);
	r = limit_cluster_id(&cfg, out);
	cfg_free(&cfg);
	return r;
}

#define LONG_DIR	"/tmp/a-worktree-under-a-rather-long-directory/tests/run"

/*
 * The default id never fails: "host:socket" while it fits, else the host,
 * ":#" and a hash, the same every time and different for two sockets.
 */
static void
test_default_id(void **state)
{
	char host[HOST_NAME_MAX + 1] = "", want[LIMIT_STORE_ID_MAX + 200];
	char a[LIMIT_STORE_ID_MAX + 1], again[LIMIT_STORE_ID_MAX + 1], b[LIMIT_STORE_ID_MAX + 1];

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_int_equal(default_id("/run/l.sock", a), 0);
	snprintf(want, sizeof(want), "%s:/run/l.sock", host);
	if (strlen(want) <= LIMIT_STORE_ID_MAX)
		assert_string_equal(a, want);

	assert_int_equal(default_id(LONG_DIR "/limitd0.sock", a), 0);
	assert_int_equal(default_id(LONG_DIR "/limitd0.sock", again), 0);
	assert_int_equal(default_id(LONG_DIR "/limitd1.sock", b), 0);
	assert_true(limit_store_id_valid(a) && limit_store_id_valid(b));
	assert_string_equal(a, again);
	assert_string_not_equal(a, b);
	snprintf(want, sizeof(want), "%.46s:#", host);
	assert_int_equal(strncmp(a, want, strlen(want)), 0);
	assert_int_equal(strlen(a), strlen(want) + 16);
	/* a path with a space is no id either */
	assert_int_equal(default_id("/run/with space.sock", a), 0);
	assert_true(limit_store_id_valid(a) && strstr(a, ":#") != NULL);
}

/* An explicit limitd_cluster_id is taken as it is, or refused, never cut. */
static void
test_explicit_id(void **state)
{
	struct config cfg;
	char msg[256], id[LIMIT_STORE_ID_MAX + 1];

	(void)state;
	cfg_defaults(&cfg);
	assert_int_equal(cfg_set(&cfg, "limitd_cluster_id", "ftp1", msg, sizeof(msg)), 0);
	assert_int_equal(limit_cluster_id(&cfg, id), 0);
	assert_string_equal(id, "ftp1");
	assert_int_equal(cfg_set(&cfg, "limitd_cluster_id",
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				 msg, sizeof(msg)), 0);
	assert_int_equal(limit_cluster_id(&cfg, id), -EINVAL);
	cfg_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_bad),
		cmocka_unit_test(test_admit_without_store_does_nothing),
		cmocka_unit_test(test_default_id),
		cmocka_unit_test(test_explicit_id),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
