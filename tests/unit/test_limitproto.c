/* test_limitproto.c - limitd's wire format (limitproto.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "limitproto.h"

static struct limit_addr
v4(const char *text)
{
	struct limit_addr a = { .family = LIMIT_AF_INET };

	assert_int_equal(inet_pton(AF_INET, text, a.bytes), 1);
	return a;
}

static struct limit_addr
v6(const char *text)
{
	struct limit_addr a = { .family = LIMIT_AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, text, a.bytes), 1);
	return a;
}

/* Encode M, decode it again; RETURNS the decoded copy in OUT. */
static void
roundtrip(const struct limit_msg *m, struct limit_msg *out)
{
	struct buf b;

	assert_int_equal(limit_encode(m, &b), 0);
	assert_true(b.len >= LIMIT_HDR_SIZE && b.len <= LIMIT_MAX_MSG);
	assert_int_equal(limit_decode(b.data, b.len, out), 0);
	assert_int_equal(out->type, m->type);
	assert_int_equal(out->version, LIMIT_PROTO_VERSION);
}

static void
test_header_layout(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_STATUS };
	static const uint8_t want[] = { 0, 0, 0, 8, 0, LIMIT_REQ_STATUS, 0, LIMIT_PROTO_VERSION };
	struct buf b;

	(void)state;
	assert_int_equal(limit_encode(&m, &b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
}

static void
test_admit_roundtrip(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT }, d;

	(void)state;
	m.u.admit.flags = LIMIT_F_REREGISTER;
	m.u.admit.addr = v4("192.0.2.7");
	roundtrip(&m, &d);
	assert_int_equal(d.u.admit.flags, LIMIT_F_REREGISTER);
	assert_memory_equal(&d.u.admit.addr, &m.u.admit.addr, sizeof(struct limit_addr));
	m.u.admit.flags = 0;
	m.u.admit.addr = v6("2001:db8::1");
	roundtrip(&m, &d);
	assert_memory_equal(&d.u.admit.addr, &m.u.admit.addr, sizeof(struct limit_addr));
}

/* Version 2: LOGIN_FAIL is an empty request, BLOCKED a verdict. */
static void
test_login_fail_and_blocked(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_LOGIN_FAIL }, d;
	struct buf b;

	(void)state;
	assert_int_equal(limit_encode(&m, &b), 0);
	assert_int_equal(b.len, LIMIT_HDR_SIZE);
	roundtrip(&m, &d);
	b.data[3] = 9;				/* one trailing byte */
	b.data[8] = 'x';
	assert_int_equal(limit_decode(b.data, 9, &d), -EBADMSG);
	m.type = LIMIT_ANS_VERDICT;
	m.u.verdict = LIMIT_V_BLOCKED;
	roundtrip(&m, &d);
	assert_int_equal(d.u.verdict, LIMIT_V_BLOCKED);
	assert_string_equal(limit_verdict_name(LIMIT_V_BLOCKED),
			    "failed logins from the address (max_login_fails_per_ip)");
	m.u.verdict = LIMIT_V_COUNT;
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
}

static void
test_admit_exact_size(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT };
	struct buf b;

	(void)state;
	m.u.admit.addr = v4("10.0.0.1");
	assert_int_equal(limit_encode(&m, &b), 0);
	assert_int_equal(b.len, 8 + 1 + 1 + 4 + 4);
	m.u.admit.addr = v6("::1");
	assert_int_equal(limit_encode(&m, &b), 0);
	assert_int_equal(b.len, 8 + 1 + 1 + 4 + 16);
}

static void
test_admit_bad_fields(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT }, d;
	struct buf b;

	(void)state;
	m.u.admit.addr = v4("10.0.0.1");
	m.u.admit.flags = 0x80;
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
	m.u.admit.flags = 0;
	m.u.admit.addr.family = 5;
	assert_int_equal(limit_encode(&m, &b), -EINVAL);

	m.u.admit.addr = v4("10.0.0.1");
	assert_int_equal(limit_encode(&m, &b), 0);
	b.data[8] = 0x80;			/* unknown flag */
	assert_int_equal(limit_decode(b.data, b.len, &d), -EBADMSG);
	b.data[8] = 0;
	b.data[9] = LIMIT_AF_INET6;		/* family says 16 bytes, 4 follow */
	assert_int_equal(limit_decode(b.data, b.len, &d), -EBADMSG);
	b.data[9] = 0;				/* no such family */
	assert_int_equal(limit_decode(b.data, b.len, &d), -EBADMSG);
}

static void
test_login_roundtrip_and_names(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_LOGIN }, d;
	struct buf b;

	(void)state;
	strcpy(m.u.login.user, "alice");
	roundtrip(&m, &d);
	assert_string_equal(d.u.login.user, "alice");
	strcpy(m.u.login.user, "us\ter");
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
	m.u.login.user[0] = '\0';
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
	memset(m.u.login.user, 'x', MAX_USER_NAME);
	m.u.login.user[MAX_USER_NAME] = '\0';
	roundtrip(&m, &d);
	assert_int_equal(strlen(d.u.login.user), MAX_USER_NAME);
	assert_true(limit_user_valid("j\xc3\xb6rg"));
	assert_false(limit_user_valid("del\x7f"));
}

static void
test_verdict_and_fail(void **state)
{
	struct limit_msg m = { .type = LIMIT_ANS_VERDICT }, d;
	struct buf b;

	(void)state;
	for (uint32_t v = 0; v < LIMIT_V_COUNT; v++) {
		if (!limit_verdict_on_wire(v))
			continue;
		m.u.verdict = v;
		roundtrip(&m, &d);
		assert_int_equal(d.u.verdict, v);
		assert_non_null(limit_verdict_name(v));
	}
	m.u.verdict = LIMIT_V_COUNT;
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
	m.type = LIMIT_ANS_VERDICT;
	m.u.verdict = LIMIT_V_DOWN;		/* miniftpd's own: never on the wire */
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
	m.type = LIMIT_ANS_FAIL;
	m.u.fail.code = LIMIT_FAIL_PERM;
	strcpy(m.u.fail.reason, "uid 1000 may not use limitd");
	roundtrip(&m, &d);
	assert_int_equal(d.u.fail.code, LIMIT_FAIL_PERM);
	assert_string_equal(d.u.fail.reason, m.u.fail.reason);
	assert_string_equal(limit_fail_name(LIMIT_FAIL_PERM), "permission denied");
	assert_string_equal(limit_fail_name(999), "unknown failure");
}

/*
 * LIMIT_VERDICTS is complete: each code 0 .. LIMIT_V_COUNT - 1 has a row
 * with a log name; every refusal has a reason and a one-line reply; a WIRE
 * verdict travels both ways, any other is refused by the encoder and by
 * the decoder.
 */
static void
test_verdict_table(void **state)
{
	struct limit_msg m = { .type = LIMIT_ANS_VERDICT }, d;
	struct buf b;
	unsigned int wire = 0;

	(void)state;
	assert_true(LIMIT_V_COUNT >= 2);
	assert_int_equal(LIMIT_V_ADMIT, 0);	/* the frozen code of "go on" */
	for (uint32_t v = 0; v < LIMIT_V_COUNT; v++) {
		const struct limit_verdict_row *row = limit_verdict_row(v);

		assert_non_null(row);
		assert_true(row->log != NULL && row->log[0] != '\0');
		assert_string_equal(limit_verdict_name(v), row->log);
		if (v == LIMIT_V_ADMIT) {
			assert_true(row->wire);
			assert_null(row->reply);
		} else {
			assert_true(row->reason != NULL && row->reason[0] != '\0');
			assert_true(row->reply != NULL && row->reply[0] != '\0');
			assert_null(strpbrk(row->reply, "\r\n"));
			assert_true(row->reply[0] < '0' || row->reply[0] > '9');
			assert_true(strlen(row->reply) < 200);
		}
		assert_true(limit_verdict_on_wire(v) == row->wire);
		m.u.verdict = 0;
		assert_int_equal(limit_encode(&m, &b), 0);
		b.data[LIMIT_HDR_SIZE + 3] = (uint8_t)v;	/* u32 verdict, big-endian */
		m.u.verdict = v;
		if (row->wire) {
			wire++;
			assert_int_equal(limit_decode(b.data, b.len, &d), 0);
			assert_int_equal(d.u.verdict, v);
			assert_int_equal(limit_encode(&m, &b), 0);
		} else {
			assert_int_equal(limit_decode(b.data, b.len, &d), -EBADMSG);
			assert_int_equal(limit_encode(&m, &b), -EINVAL);
		}
	}
	assert_true(wire >= 2);
	assert_null(limit_verdict_row(LIMIT_V_COUNT));
	assert_null(limit_verdict_row(UINT32_MAX));
	assert_string_equal(limit_verdict_name(LIMIT_V_COUNT), "unknown verdict");
	assert_false(limit_verdict_on_wire(LIMIT_V_COUNT));
}

static void
test_status_records(void **state)
{
	struct limit_msg m = { .type = LIMIT_ANS_STATUS_HEAD }, d;

	(void)state;
	m.u.head.sessions = 3;
	m.u.head.addresses = 2;
	m.u.head.users = 1;
	m.u.head.max_clients = 10;
	m.u.head.max_per_ip = 5;
	m.u.head.prefix6 = 56;
	m.u.head.pid = 4242;
	m.u.head.started = 1700000000ULL;
	roundtrip(&m, &d);
	assert_int_equal(d.u.head.sessions, 3);
	assert_int_equal(d.u.head.addresses, 2);
	assert_int_equal(d.u.head.users, 1);
	assert_int_equal(d.u.head.max_clients, 10);
	assert_int_equal(d.u.head.max_per_ip, 5);
	assert_int_equal(d.u.head.max_per_user, 0);
	assert_int_equal(d.u.head.prefix6, 56);
	assert_int_equal(d.u.head.pid, 4242);
	assert_true(d.u.head.started == 1700000000ULL);
	{
		/* a prefix length outside 1..128 is refused both ways */
		struct buf b;
		size_t at = LIMIT_HDR_SIZE + 6 * 4;	/* the seventh u32 */

		m.u.head.prefix6 = 0;
		assert_int_equal(limit_encode(&m, &b), -EINVAL);
		m.u.head.prefix6 = 129;
		assert_int_equal(limit_encode(&m, &b), -EINVAL);
		m.u.head.prefix6 = 128;
		assert_int_equal(limit_encode(&m, &b), 0);
		assert_int_equal(b.data[at + 3], 128);
		b.data[at + 3] = 129;
		assert_int_equal(limit_decode(b.data, b.len, &d), -EBADMSG);
		b.data[at + 3] = 0;
		assert_int_equal(limit_decode(b.data, b.len, &d), -EBADMSG);
	}

	memset(&m, 0, sizeof(m));
	m.type = LIMIT_ANS_STATUS_SESSION;
	m.u.session.pid = 77;
	m.u.session.uid = 65534;
	m.u.session.addr = v6("2001:db8::2");
	m.u.session.since = 1700000001ULL;
	roundtrip(&m, &d);	/* no user yet: empty name is fine here */
	assert_string_equal(d.u.session.user, "");
	strcpy(m.u.session.user, "bob");
	roundtrip(&m, &d);
	assert_int_equal(d.u.session.pid, 77);
	assert_int_equal(d.u.session.uid, 65534);
	assert_memory_equal(&d.u.session.addr, &m.u.session.addr, sizeof(struct limit_addr));
	assert_true(d.u.session.since == 1700000001ULL);
	assert_string_equal(d.u.session.user, "bob");

	memset(&m, 0, sizeof(m));
	m.type = LIMIT_ANS_STATUS_ADDR;
	m.u.addr.addr = v4("127.0.0.2");
	m.u.addr.count = 9;
	roundtrip(&m, &d);
	assert_int_equal(d.u.addr.count, 9);

	memset(&m, 0, sizeof(m));
	m.type = LIMIT_ANS_STATUS_USER;
	strcpy(m.u.user.user, "carol");
	m.u.user.count = 2;
	roundtrip(&m, &d);
	assert_string_equal(d.u.user.user, "carol");

	memset(&m, 0, sizeof(m));
	m.type = LIMIT_ANS_STATUS_END;
	roundtrip(&m, &d);
}

static void
test_truncated(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_LOGIN }, d;
	struct buf b;

	(void)state;
	strcpy(m.u.login.user, "alice");
	assert_int_equal(limit_encode(&m, &b), 0);
	for (size_t len = 0; len < b.len; len++)
		assert_int_equal(limit_decode(b.data, len, &d), -EBADMSG);
	/* shortened consistently: header length fixed up, body cut */
	for (size_t len = LIMIT_HDR_SIZE; len < b.len; len++) {
		uint8_t copy[LIMIT_MAX_MSG];

		memcpy(copy, b.data, len);
		copy[3] = (uint8_t)len;
		assert_int_equal(limit_decode(copy, len, &d), -EBADMSG);
	}
}

static void
test_trailing_bytes(void **state)
{
	struct limit_msg m = { .type = LIMIT_ANS_VERDICT }, d;
	uint8_t copy[LIMIT_MAX_MSG];
	struct buf b;

	(void)state;
	assert_int_equal(limit_encode(&m, &b), 0);
	memcpy(copy, b.data, b.len);
	copy[b.len] = 0;
	assert_int_equal(limit_decode(copy, b.len + 1, &d), -EBADMSG);	/* header says less */
	copy[3] = (uint8_t)(b.len + 1);
	assert_int_equal(limit_decode(copy, b.len + 1, &d), -EBADMSG);	/* body has a spare byte */
	m.type = LIMIT_REQ_STATUS;
	assert_int_equal(limit_encode(&m, &b), 0);
	memcpy(copy, b.data, b.len);
	copy[3] = 9;
	copy[8] = 'x';
	assert_int_equal(limit_decode(copy, 9, &d), -EBADMSG);
}

static void
test_bad_version(void **state)
{
	struct limit_msg m = { .type = LIMIT_REQ_ADMIT }, d;
	struct buf b;

	(void)state;
	m.u.admit.addr = v4("10.1.2.3");
	assert_int_equal(limit_encode(&m, &b), 0);
	b.data[7] = LIMIT_PROTO_VERSION + 1;
	assert_int_equal(limit_decode(b.data, b.len, &d), -EPROTONOSUPPORT);
	assert_int_equal(d.type, LIMIT_REQ_ADMIT);
	assert_int_equal(d.version, LIMIT_PROTO_VERSION + 1);
	/* a FAIL from any version is still readable: its layout is frozen */
	memset(&m, 0, sizeof(m));
	m.type = LIMIT_ANS_FAIL;
	m.u.fail.code = LIMIT_FAIL_VERSION;
	strcpy(m.u.fail.reason, "speak version 7");
	assert_int_equal(limit_encode(&m, &b), 0);
	b.data[6] = 0x12;
	assert_int_equal(limit_decode(b.data, b.len, &d), 0);
	assert_int_equal(d.version, 0x1200 + LIMIT_PROTO_VERSION);
	assert_string_equal(d.u.fail.reason, "speak version 7");
}

static void
test_unknown_type_and_sizes(void **state)
{
	uint8_t pkt[LIMIT_MAX_MSG + 1] = { 0, 0, 0, 8, 0, 100, 0, LIMIT_PROTO_VERSION };
	struct limit_msg m = { .type = 100 }, d;
	struct buf b;

	(void)state;
	assert_int_equal(limit_decode(pkt, 8, &d), -ENOMSG);
	assert_int_equal(limit_encode(&m, &b), -EINVAL);
	pkt[2] = (LIMIT_MAX_MSG + 1) >> 8;
	pkt[3] = (LIMIT_MAX_MSG + 1) & 0xff;
	assert_int_equal(limit_decode(pkt, sizeof(pkt), &d), -EBADMSG);
	assert_int_equal(limit_decode(pkt, 0, &d), -EBADMSG);
}

static void
test_addresses(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct limit_addr a;
	char text[LIMIT_ADDR_STR], key[LIMIT_KEY_STR];

	(void)state;
	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &s6->sin6_addr);
	assert_int_equal(limit_addr_from_sockaddr(&ss, &a), 0);
	assert_int_equal(a.family, LIMIT_AF_INET);	/* mapped counts as IPv4 */
	limit_addr_str(&a, text);
	assert_string_equal(text, "192.0.2.9");
	{
		const struct limit_addr want = { .family = LIMIT_AF_INET,
						 .bytes = { 192, 0, 2, 9 } };

		assert_memory_equal(&a, &want, sizeof(a));	/* unused bytes zeroed */
	}

	inet_pton(AF_INET6, "2001:db8::5", &s6->sin6_addr);
	assert_int_equal(limit_addr_from_sockaddr(&ss, &a), 0);
	assert_int_equal(a.family, LIMIT_AF_INET6);
	limit_addr_str(&a, text);
	assert_string_equal(text, "2001:db8::5");

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &s4->sin_addr);
	assert_int_equal(limit_addr_from_sockaddr(&ss, &a), 0);
	limit_addr_str(&a, text);
	assert_string_equal(text, "127.0.0.2");

	ss.ss_family = AF_UNIX;
	assert_int_equal(limit_addr_from_sockaddr(&ss, &a), -EAFNOSUPPORT);
	a = v6("2001:db8::5");
	limit_key_str(&a, 128, key);
	assert_string_equal(key, "2001:db8::5");
	limit_key_str(&a, 64, key);
	assert_string_equal(key, "2001:db8::5/64");	/* written as given: masking is separate */
	a = v4("127.0.0.2");
	limit_key_str(&a, 64, key);
	assert_string_equal(key, "127.0.0.2");	/* IPv4 is never a prefix */
	a.family = 9;
	limit_addr_str(&a, text);
	assert_string_equal(text, "unknown");
	{
		static const char *const quads[] = { "0.0.0.0", "255.255.255.255", "10.100.9.200",
						     "1.20.199.99" };

		for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
			a = v4(quads[i]);
			limit_addr_str(&a, text);
			assert_string_equal(text, quads[i]);
			limit_key_str(&a, 64, key);
			assert_string_equal(key, quads[i]);
		}
	}
}

/* IPv6 keeps its first PREFIX6 bits; IPv4 and IPv4-mapped stay whole. */
static void
test_mask(void **state)
{
	static const struct {
		const char *in;
		unsigned int prefix6;
		const char *key;
	} cases[] = {
		{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64, "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 128, "2001:db8:1:2:aaaa:bbbb:cccc:dddd" },
		{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 127, "2001:db8:1:2:aaaa:bbbb:cccc:dddc/127" },
		{ "2001:db8:1:2ff::1", 60, "2001:db8:1:2f0::/60" },
		{ "2001:db8:1:2ff::1", 56, "2001:db8:1:200::/56" },
		{ "2001:db8:1:2ff::1", 48, "2001:db8:1::/48" },
		{ "ffff::1", 1, "8000::/1" },
		{ "::ffff:192.0.2.77", 64, "192.0.2.77" },
		{ "::ffff:192.0.2.77", 1, "192.0.2.77" },
		{ "198.51.100.200", 8, "198.51.100.200" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct limit_addr a = strchr(cases[i].in, '.') && !strchr(cases[i].in, ':') ?
				      v4(cases[i].in) : v6(cases[i].in);
		char key[LIMIT_KEY_STR];

		limit_addr_mask(&a, cases[i].prefix6);
		limit_key_str(&a, cases[i].prefix6, key);
		assert_string_equal(key, cases[i].key);
		if (a.family == LIMIT_AF_INET) {
			const uint8_t zero[12] = { 0 };

			assert_memory_equal(a.bytes + 4, zero, sizeof(zero));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_admit_roundtrip),
		cmocka_unit_test(test_admit_exact_size),
		cmocka_unit_test(test_admit_bad_fields),
		cmocka_unit_test(test_login_roundtrip_and_names),
		cmocka_unit_test(test_verdict_and_fail),
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_status_records),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_login_fail_and_blocked),
		cmocka_unit_test(test_unknown_type_and_sizes),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
