/*
 * test_privproto.c - the helper protocol's codec (privproto.h): every
 * message type round-trips; truncated, trailing and over-long bodies are
 * refused; the header rule is limitd's (frame.h); and the fuzz corpus that
 * `make unit` replays holds a well-formed message of every type.
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "frame.h"
#include "limitproto.h"
#include "privproto.h"
#include "privsock.h"
#include "sysutil.h"

#define CORPUS	"tests/fuzz/corpus/privproto"

/* Every type of enum priv_type. */
static const uint16_t all_types[] = {
	PRIV_REQ_LOGIN, PRIV_ANS_LOGIN, PRIV_REQ_PORT_SOCK, PRIV_ANS_PORT_SOCK,
	PRIV_REQ_CHOWN_UPLOAD, PRIV_ANS_CHOWN_UPLOAD, PRIV_REQ_START_TLS,
	PRIV_ANS_START_TLS, PRIV_REQ_TLS_PROT, PRIV_ANS_TLS_PROT,
	PRIV_REQ_TLS_SIGN, PRIV_ANS_TLS_SIGN, PRIV_REQ_TLS_READY,
};
#define N_TYPES	(sizeof(all_types) / sizeof(all_types[0]))

static struct priv_msg samples[N_TYPES];

/* One message of every type, each field set (zeroed first, so that whole
 * messages compare with memcmp). */
static int
make_samples(void **state)
{
	struct sockaddr_in6 *t6;

	(void)state;
	memset(samples, 0, sizeof(samples));
	for (size_t i = 0; i < N_TYPES; i++)
		samples[i].type = all_types[i];
	strcpy(samples[0].u.login.user, "demo");
	strcpy(samples[0].u.login.pass, "secret with spaces");
	samples[1].u.login_result = PRIV_LOGIN_FAIL_LAST;
	t6 = (struct sockaddr_in6 *)&samples[2].u.target;
	t6->sin6_family = AF_INET6;
	t6->sin6_addr.s6_addr[0] = 0x20;
	t6->sin6_addr.s6_addr[15] = 1;
	t6->sin6_port = htons(2020);
	samples[3].u.result = -ECONNREFUSED;
	samples[5].u.result = -EPERM;
	samples[7].u.start_tls.result = 0;
	memset(samples[7].u.start_tls.ticket_key, 0x5a, PRIV_TICKET_KEY_LEN);
	samples[8].u.tls_prot.pbsz = 1;
	samples[8].u.tls_prot.prot_p = 1;
	samples[9].u.result = 0;
	samples[10].u.sign.kind = PRIV_TLS_SIGN_RSA_PSS;
	samples[10].u.sign.len = 3;
	memcpy(samples[10].u.sign.in, "abc", 3);
	samples[11].u.sign_ans.len = 2;
	memcpy(samples[11].u.sign_ans.sig, "\x30\x00", 2);
	return 0;
}

static void
encode(const struct priv_msg *m, struct buf *b)
{
	assert_int_equal(priv_encode(m, b), 0);
}

static void
test_roundtrip_every_type(void **state)
{
	static struct priv_msg got;
	struct buf b;

	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		encode(&samples[i], &b);
		assert_int_equal(priv_decode(all_types[i], &b, &got), 0);
		assert_int_equal(got.type, all_types[i]);
		if (memcmp(&got, &samples[i], sizeof(got)) != 0)
			fail_msg("type %u: decoded message differs", all_types[i]);
	}
}

/* The IPv4 target and an error signature answer too (the samples have
 * IPv6 and a signature). */
static void
test_roundtrip_variants(void **state)
{
	static struct priv_msg m, got;
	struct sockaddr_in *t4 = (struct sockaddr_in *)&m.u.target;
	struct buf b;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = PRIV_REQ_PORT_SOCK;
	t4->sin_family = AF_INET;
	t4->sin_addr.s_addr = htonl(0x7f000001);
	t4->sin_port = htons(65535);
	encode(&m, &b);
	assert_int_equal(b.len, 4 + 4 + 4 + 4);
	assert_int_equal(priv_decode(m.type, &b, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));

	memset(&m, 0, sizeof(m));
	m.type = PRIV_ANS_TLS_SIGN;
	m.u.sign_ans.result = -EINVAL;
	encode(&m, &b);
	assert_int_equal(priv_decode(m.type, &b, &got), 0);
	assert_memory_equal(&got, &m, sizeof(m));
}

/* Requests even, answers odd, REQ_x answered by REQ_x + 1 (READY: none). */
static void
test_types_pair(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		assert_int_equal(all_types[i] % 2, i % 2);
		if (i % 2)
			assert_int_equal(all_types[i], all_types[i - 1] + 1);
	}
}

/* Every proper prefix of every body is refused. */
static void
test_truncated_every_type(void **state)
{
	static struct priv_msg got;
	struct buf b, cut;

	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		encode(&samples[i], &b);
		for (size_t len = 0; len < b.len; len++) {
			assert_int_equal(buf_load(&cut, b.data, len), 0);
			if (priv_decode(all_types[i], &cut, &got) != -EBADMSG)
				fail_msg("type %u: %zu of %zu bytes accepted", all_types[i],
					 len, b.len);
		}
	}
}

/* One byte more than the body is refused (end of message). */
static void
test_trailing_every_type(void **state)
{
	static struct priv_msg got;
	struct buf b;

	(void)state;
	for (size_t i = 0; i < N_TYPES; i++) {
		encode(&samples[i], &b);
		assert_int_equal(buf_put_u8(&b, 0), 0);
		if (priv_decode(all_types[i], &b, &got) != -EBADMSG)
			fail_msg("type %u: a trailing byte accepted", all_types[i]);
	}
}

static void
test_unknown_type(void **state)
{
	static struct priv_msg m = { .type = 99 }, got;
	struct buf b;

	(void)state;
	buf_reset(&b);
	assert_int_equal(priv_decode(99, &b, &got), -ENOMSG);
	assert_int_equal(priv_decode(0, &b, &got), -ENOMSG);
	assert_int_equal(priv_decode(PRIV_REQ_TLS_READY + 1, &b, &got), -ENOMSG);
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
}

/* A body built by hand as TYPE; RETURNS priv_decode's verdict. */
static int
decode_raw(uint16_t type, const struct buf *b)
{
	static struct priv_msg got;
	struct buf copy = *b;

	return priv_decode(type, &copy, &got);
}

static void
put_str_len(struct buf *b, char c, size_t len)
{
	static char s[PRIV_MAX_MSG];

	memset(s, c, len);
	s[len] = '\0';
	assert_int_equal(buf_put_str(b, s), 0);
}

static void
test_overlong_and_out_of_range(void **state)
{
	static uint8_t big[PRIV_SIGN_MAX + 1];
	struct buf b;

	(void)state;
	/* login: the longest user and password pass, one more byte does not */
	buf_reset(&b), put_str_len(&b, 'u', MAX_USER_NAME), put_str_len(&b, 'p', MAX_PASSWORD);
	assert_int_equal(decode_raw(PRIV_REQ_LOGIN, &b), 0);
	buf_reset(&b), put_str_len(&b, 'u', MAX_USER_NAME + 1), put_str_len(&b, 'p', 1);
	assert_int_equal(decode_raw(PRIV_REQ_LOGIN, &b), -EBADMSG);
	buf_reset(&b), put_str_len(&b, 'u', 1), put_str_len(&b, 'p', MAX_PASSWORD + 1);
	assert_int_equal(decode_raw(PRIV_REQ_LOGIN, &b), -EBADMSG);
	buf_reset(&b), buf_put_bytes(&b, "de\0mo", 5), put_str_len(&b, 'p', 1);
	assert_int_equal(decode_raw(PRIV_REQ_LOGIN, &b), -EBADMSG);
	/* login answer beyond the last verdict */
	buf_reset(&b), buf_put_u32(&b, PRIV_LOGIN_USER_CONFIG + 1);
	assert_int_equal(decode_raw(PRIV_ANS_LOGIN, &b), -EBADMSG);
	/* port: family, address length, port */
	buf_reset(&b), buf_put_u32(&b, AF_UNIX), buf_put_bytes(&b, big, 4), buf_put_u32(&b, 21);
	assert_int_equal(decode_raw(PRIV_REQ_PORT_SOCK, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, AF_INET), buf_put_bytes(&b, big, 16), buf_put_u32(&b, 21);
	assert_int_equal(decode_raw(PRIV_REQ_PORT_SOCK, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, AF_INET6), buf_put_bytes(&b, big, 4), buf_put_u32(&b, 21);
	assert_int_equal(decode_raw(PRIV_REQ_PORT_SOCK, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, AF_INET6), buf_put_bytes(&b, big, 17), buf_put_u32(&b, 21);
	assert_int_equal(decode_raw(PRIV_REQ_PORT_SOCK, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, AF_INET), buf_put_bytes(&b, big, 4), buf_put_u32(&b, 65536);
	assert_int_equal(decode_raw(PRIV_REQ_PORT_SOCK, &b), -EBADMSG);
	/* -errno-or-0 answers */
	buf_reset(&b), buf_put_u32(&b, 1);
	assert_int_equal(decode_raw(PRIV_ANS_CHOWN_UPLOAD, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, (uint32_t)-(PRIV_ERRNO_MAX + 1));
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, (uint32_t)-PRIV_ERRNO_MAX);
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), 0);
	/* START_TLS's ticket key: exactly PRIV_TICKET_KEY_LEN bytes with 0, none with an error */
	buf_reset(&b), buf_put_u32(&b, 0);
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, 0), buf_put_bytes(&b, big, PRIV_TICKET_KEY_LEN - 1);
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, 0), buf_put_bytes(&b, big, PRIV_TICKET_KEY_LEN + 1);
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, 0), buf_put_bytes(&b, big, PRIV_TICKET_KEY_LEN);
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), 0);
	buf_reset(&b), buf_put_u32(&b, (uint32_t)-EIO), buf_put_bytes(&b, big, PRIV_TICKET_KEY_LEN);
	assert_int_equal(decode_raw(PRIV_ANS_START_TLS, &b), -EBADMSG);
	/* PROT state: 0 or 1 */
	buf_reset(&b), buf_put_u32(&b, 0), buf_put_u32(&b, 2);
	assert_int_equal(decode_raw(PRIV_REQ_TLS_PROT, &b), -EBADMSG);
	/* signatures: input and answer at most PRIV_SIGN_MAX, none with an error */
	buf_reset(&b), buf_put_u32(&b, 1), buf_put_bytes(&b, big, PRIV_SIGN_MAX);
	assert_int_equal(decode_raw(PRIV_REQ_TLS_SIGN, &b), 0);
	buf_reset(&b), buf_put_u32(&b, 1), buf_put_bytes(&b, big, PRIV_SIGN_MAX + 1);
	assert_int_equal(decode_raw(PRIV_REQ_TLS_SIGN, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, 0), buf_put_bytes(&b, big, PRIV_SIGN_MAX + 1);
	assert_int_equal(decode_raw(PRIV_ANS_TLS_SIGN, &b), -EBADMSG);
	buf_reset(&b), buf_put_u32(&b, (uint32_t)-EIO), buf_put_bytes(&b, big, 1);
	assert_int_equal(decode_raw(PRIV_ANS_TLS_SIGN, &b), -EBADMSG);
	/* a length prefix past the body */
	buf_reset(&b), buf_put_u32(&b, 0xfffffff0u), buf_put_u32(&b, 0);
	assert_int_equal(decode_raw(PRIV_REQ_LOGIN, &b), -EBADMSG);
}

/* The encoder refuses what the decoder would (a caller's bug). */
static void
test_encode_refuses(void **state)
{
	static struct priv_msg m;
	struct buf b;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = PRIV_REQ_LOGIN;
	memset(m.u.login.user, 'u', MAX_USER_NAME + 1);	/* no NUL within the bound */
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = PRIV_REQ_PORT_SOCK;
	m.u.target.ss_family = AF_UNIX;
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	m.type = PRIV_ANS_PORT_SOCK;
	m.u.result = 1;
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	m.u.result = -(PRIV_ERRNO_MAX + 1);
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = PRIV_ANS_LOGIN;
	m.u.login_result = (enum priv_login_result)(PRIV_LOGIN_USER_CONFIG + 1);
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	m.type = PRIV_REQ_TLS_PROT;
	m.u.tls_prot.pbsz = 2;
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = PRIV_REQ_TLS_SIGN;
	m.u.sign.len = PRIV_SIGN_MAX + 1;
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.type = PRIV_ANS_TLS_SIGN;
	m.u.sign_ans.result = -EIO;
	m.u.sign_ans.len = 1;
	assert_int_equal(priv_encode(&m, &b), -EINVAL);
}

/* The largest message of each type fits PRIV_MAX_MSG with its header. */
static void
test_largest_messages_fit(void **state)
{
	static struct priv_msg m;
	struct buf b;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = PRIV_REQ_LOGIN;
	memset(m.u.login.user, 'u', MAX_USER_NAME);
	memset(m.u.login.pass, 'p', MAX_PASSWORD);
	encode(&m, &b);
	assert_true(FRAME_HDR_SIZE + b.len <= PRIV_MAX_MSG);
	memset(&m, 0, sizeof(m));
	m.type = PRIV_ANS_TLS_SIGN;
	m.u.sign_ans.len = PRIV_SIGN_MAX;
	encode(&m, &b);
	assert_true(FRAME_HDR_SIZE + b.len <= PRIV_MAX_MSG);
}

/* Both protocols' headers count the whole message (frame.h). */
static void
test_one_header_rule(void **state)
{
	struct limit_msg lm = { .type = LIMIT_ANS_VERDICT, .u.verdict = LIMIT_V_IP };
	struct priv_msg pm = { .type = PRIV_ANS_PORT_SOCK, .u.result = -EPERM };
	struct frame_hdr h;
	uint8_t got[64];
	struct buf b;
	int sv[2];

	(void)state;
	assert_int_equal(limit_encode(&lm, &b), 0);
	assert_int_equal(frame_hdr_get(b.data, LIMIT_MAX_MSG, &h), 0);
	assert_int_equal(h.len, b.len);
	assert_int_equal(h.len, 12);
	assert_int_equal(h.type, LIMIT_ANS_VERDICT);

	assert_int_equal(sys_socketpair(SOCK_STREAM, sv), 0);
	assert_int_equal(priv_send_msg(sv[0], &pm), 0);
	assert_int_equal(read(sv[1], got, sizeof(got)), 12);
	assert_int_equal(frame_hdr_get(got, PRIV_MAX_MSG, &h), 0);
	assert_int_equal(h.len, 12);
	assert_int_equal(h.type, PRIV_ANS_PORT_SOCK);
	assert_int_equal(h.version, PRIV_PROTO_VERSION);
	assert_memory_equal(got + 8, "\xff\xff\xff\xff", 4);	/* -EPERM */
	sys_close(sv[0]);
	sys_close(sv[1]);
}

static void
test_frame_bounds(void **state)
{
	static const uint8_t msg8[] = { 0, 0, 0, 8, 0, 2, 0, 9 };
	struct frame_hdr h;
	struct buf b;

	(void)state;
	assert_int_equal(frame_open(&b, msg8, 8, 64, &h), 0);
	assert_int_equal(b.off, 8);
	assert_int_equal(h.version, 9);
	assert_int_equal(frame_open(&b, msg8, 7, 64, &h), -EBADMSG);	/* short */
	assert_int_equal(frame_open(&b, msg8, 8, 7, &h), -EBADMSG);	/* over MAX */
	assert_int_equal(frame_hdr_get((const uint8_t *)"\0\0\0\x07\0\x02\0\x02", 64, &h),
			 -EBADMSG);
	assert_int_equal(frame_hdr_get((const uint8_t *)"\0\0\0\x41\0\x02\0\x02", 64, &h),
			 -EBADMSG);
	assert_int_equal(h.len, 0x41);
	buf_reset(&b);
	assert_int_equal(frame_end(&b, 2, 2, 64), -EINVAL);	/* no header */
	assert_int_equal(frame_begin(&b), 0);
	assert_int_equal(buf_put_u32(&b, 7), 0);
	assert_int_equal(frame_end(&b, 3, 2, 11), -E2BIG);
	assert_int_equal(frame_end(&b, 3, 2, 12), 0);
	assert_memory_equal(b.data, "\0\0\0\x0c\0\x03\0\x02\0\0\0\x07", 12);
}

/* The messages of one corpus file, as priv_recv reads them; marks in SEEN
 * each type that decodes as its header says. */
static void
scan_corpus_file(const uint8_t *p, size_t n, bool seen[N_TYPES])
{
	static struct priv_msg m;
	struct buf body;
	uint32_t len;
	uint16_t type;

	while (n >= FRAME_HDR_SIZE && priv_hdr_decode(p, &len, &type) == 0 &&
	       len <= n - FRAME_HDR_SIZE) {
		assert_int_equal(buf_load(&body, p + FRAME_HDR_SIZE, len), 0);
		for (size_t i = 0; i < N_TYPES; i++)
			if (all_types[i] == type && priv_decode(type, &body, &m) == 0)
				seen[i] = true;
		p += FRAME_HDR_SIZE + len;
		n -= FRAME_HDR_SIZE + len;
	}
}

/* `make unit` replays the corpus through fuzz_privproto: it must hold a
 * well-formed message of every type, so every decoder's accepting path is
 * replayed (and its refusals by the malformed files). */
static void
test_corpus_covers_every_type(void **state)
{
	static uint8_t data[PRIV_MAX_MSG * 4];
	bool seen[N_TYPES] = { false };
	char path[512];
	struct dirent *e;
	DIR *d = opendir(CORPUS);
	int files = 0;

	(void)state;
	if (d == NULL)
		fail_msg("%s: run from the source tree (make unit)", CORPUS);
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, e->d_name);
		assert_non_null(f = fopen(path, "rb"));
		n = fread(data, 1, sizeof(data), f);
		fclose(f);
		scan_corpus_file(data, n, seen);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
	for (size_t i = 0; i < N_TYPES; i++)
		if (!seen[i])
			fail_msg("no well-formed message of type %u in %s", all_types[i], CORPUS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_roundtrip_variants),
		cmocka_unit_test(test_types_pair),
		cmocka_unit_test(test_truncated_every_type),
		cmocka_unit_test(test_trailing_every_type),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_overlong_and_out_of_range),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_largest_messages_fit),
		cmocka_unit_test(test_one_header_rule),
		cmocka_unit_test(test_frame_bounds),
		cmocka_unit_test(test_corpus_covers_every_type),
	};

	return cmocka_run_group_tests(tests, make_samples, NULL);
}
