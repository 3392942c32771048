/* test_privsock.c - private protocol framing and fd passing over a socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "defs.h"
#include "privproto.h"
#include "privsock.h"
#include "sysutil.h"

static int sv[2];

static int
open_pair(void **state)
{
	(void)state;
	assert_int_equal(sys_socketpair(SOCK_STREAM, sv), 0);
	return 0;
}

static int
close_pair(void **state)
{
	(void)state;
	sys_close(sv[0]);
	sys_close(sv[1]);
	return 0;
}

/* Write a raw header: LEN, TYPE, VERSION, big-endian. */
static void
raw_header(int fd, uint32_t len, uint16_t type, uint16_t version)
{
	uint8_t h[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
		(uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(version >> 8), (uint8_t)version,
	};

	assert_int_equal(write(fd, h, sizeof(h)), 8);
}

static void
test_round_trip(void **state)
{
	static struct buf out, in;
	char user[MAX_USER_NAME + 1], pass[MAX_PASSWORD + 1];
	uint16_t type;
	uint32_t v;

	(void)state;
	buf_reset(&out);
	buf_put_str(&out, "demo");
	buf_put_str(&out, "secret with spaces");
	assert_int_equal(priv_send(sv[0], PRIV_REQ_LOGIN, &out), 0);
	assert_int_equal(priv_recv(sv[1], &type, &in), 0);
	assert_int_equal(type, PRIV_REQ_LOGIN);
	assert_int_equal(buf_get_str(&in, user, sizeof(user)), 0);
	assert_int_equal(buf_get_str(&in, pass, sizeof(pass)), 0);
	assert_int_equal(buf_end(&in), 0);
	assert_string_equal(user, "demo");
	assert_string_equal(pass, "secret with spaces");

	/* the answer back, and an empty message */
	buf_reset(&out);
	buf_put_u32(&out, PRIV_LOGIN_FAIL);
	assert_int_equal(priv_send(sv[1], PRIV_ANS_LOGIN, &out), 0);
	assert_int_equal(priv_send(sv[1], PRIV_ANS_PORT_SOCK, NULL), 0);
	assert_int_equal(priv_recv(sv[0], &type, &in), 0);
	assert_int_equal(type, PRIV_ANS_LOGIN);
	assert_int_equal(buf_get_u32(&in, &v), 0);
	assert_int_equal(v, PRIV_LOGIN_FAIL);
	assert_int_equal(buf_end(&in), 0);
	assert_int_equal(priv_recv(sv[0], &type, &in), 0);
	assert_int_equal(type, PRIV_ANS_PORT_SOCK);
	assert_int_equal(in.len, 0);
	assert_int_equal(buf_end(&in), 0);
}

static void
test_wire_format(void **state)
{
	static struct buf out;
	uint8_t got[16];

	(void)state;
	buf_reset(&out);
	buf_put_u32(&out, 0x01020304);
	assert_int_equal(priv_send(sv[0], 0x1234, &out), 0);
	assert_int_equal(read(sv[1], got, sizeof(got)), 12);
	/* the length counts the whole message, header included, as limitd's */
	assert_memory_equal(got, "\0\0\0\x0c\x12\x34\0\x02\x01\x02\x03\x04", 12);
	assert_int_equal(PRIV_PROTO_VERSION, 2);
}

static void
test_max_size(void **state)
{
	static struct buf out, in;
	static uint8_t big[PRIV_MAX_MSG - 8 - 4];
	uint8_t got[PRIV_MAX_MSG];
	uint16_t type;
	size_t n;

	(void)state;
	memset(big, 'x', sizeof(big));
	buf_reset(&out);
	assert_int_equal(buf_put_bytes(&out, big, sizeof(big)), 0);
	assert_int_equal(out.len, PRIV_MAX_MSG - 8);
	assert_int_equal(buf_put_u8(&out, 0), 0);
	assert_int_equal(priv_send(sv[0], PRIV_REQ_LOGIN, &out), -E2BIG);	/* one byte over */
	out.len--;
	/* a full-size message is more than a socket buffer may hold at once */
	if (fork() == 0) {
		sys_close(sv[1]);
		_exit(priv_send(sv[0], PRIV_REQ_LOGIN, &out) == 0 ? 0 : 1);
	}
	assert_int_equal(priv_recv(sv[1], &type, &in), 0);
	assert_int_equal(buf_get_bytes(&in, got, sizeof(got), &n), 0);
	assert_int_equal(n, sizeof(big));
	assert_int_equal(buf_end(&in), 0);
	assert_int_equal(sys_wait_child(-1) >= 0, 1);
}

static void
test_hdr_decode(void **state)
{
	uint32_t len;
	uint16_t type;

	(void)state;
	/* the header's length is the whole message: the body is 8 bytes less */
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\x10\0\x02\0\x02", &len, &type), 0);
	assert_int_equal(len, 8);
	assert_int_equal(type, 2);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\x08\0\x07\0\x02", &len, &type), 0);
	assert_int_equal(len, 0);
	assert_int_equal(type, 7);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\x20\0\0\x02\0\x02", &len, &type), 0);
	assert_int_equal(len, PRIV_MAX_MSG - 8);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\x20\x01\0\x02\0\x02", &len, &type),
			 -EPROTO);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\xff\xff\xff\xff\0\x02\0\x02", &len, &type),
			 -EPROTO);
	/* shorter than its own header */
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\0\0\x02\0\x02", &len, &type),
			 -EPROTO);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\x07\0\x02\0\x02", &len, &type),
			 -EPROTO);
	/* other versions, version 1 (length of the body only) included */
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\x08\0\x02\0\x01", &len, &type),
			 -EPROTO);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\x08\0\x02\0\0", &len, &type),
			 -EPROTO);
	assert_int_equal(priv_hdr_decode((const uint8_t *)"\0\0\0\x08\0\x02\x01\x02", &len, &type),
			 -EPROTO);
}

static void
test_bad_version(void **state)
{
	static struct buf in;
	uint16_t type;

	(void)state;
	raw_header(sv[0], 8, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION + 1);
	assert_int_equal(priv_recv(sv[1], &type, &in), -EPROTO);
}

static void
test_oversize_length(void **state)
{
	static struct buf in;
	uint16_t type;

	(void)state;
	raw_header(sv[0], PRIV_MAX_MSG + 1, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION);
	assert_int_equal(priv_recv(sv[1], &type, &in), -EPROTO);
	raw_header(sv[0], 0xffffffffu, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION);
	assert_int_equal(priv_recv(sv[1], &type, &in), -EPROTO);
}

static void
test_truncated(void **state)
{
	static struct buf in;
	uint16_t type;

	(void)state;
	/* a body cut short by the peer closing */
	raw_header(sv[0], 18, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION);
	assert_int_equal(write(sv[0], "12345", 5), 5);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(priv_recv(sv[1], &type, &in), -EPIPE);
}

static void
test_truncated_header(void **state)
{
	static struct buf in;
	uint16_t type;

	(void)state;
	assert_int_equal(write(sv[0], "\0\0\0", 3), 3);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(priv_recv(sv[1], &type, &in), -EPIPE);
}

static void
test_peer_closed(void **state)
{
	static struct buf in;
	uint16_t type;

	(void)state;
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(priv_recv(sv[1], &type, &in), -EPIPE);
}

static void
test_trailing_bytes(void **state)
{
	static struct buf out, in;
	uint16_t type;
	uint32_t v;

	(void)state;
	buf_reset(&out);
	buf_put_u32(&out, PRIV_LOGIN_OK);
	buf_put_u8(&out, 0);		/* one byte too many */
	assert_int_equal(priv_send(sv[0], PRIV_ANS_LOGIN, &out), 0);
	assert_int_equal(priv_recv(sv[1], &type, &in), 0);
	assert_int_equal(buf_get_u32(&in, &v), 0);
	assert_int_equal(buf_end(&in), -EBADMSG);
}

static void
test_fd_passing(void **state)
{
	int p[2], fd;
	char c = 0;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(sys_send_fd(sv[0], p[1]), 0);
	fd = sys_recv_fd(sv[1]);
	assert_true(fd >= 0);
	assert_true(fd != p[1]);
	/* born close-on-exec */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	sys_close(p[1]);
	assert_int_equal(write(fd, "Z", 1), 1);
	sys_close(fd);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'Z');
	assert_int_equal(read(p[0], &c, 1), 0);	/* every write end closed */
	sys_close(p[0]);
}

static void
test_fd_missing(void **state)
{
	(void)state;
	/* a plain byte without SCM_RIGHTS is refused */
	assert_int_equal(write(sv[0], "F", 1), 1);
	assert_int_equal(sys_recv_fd(sv[1]), -EPROTO);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(sys_recv_fd(sv[1]), -EPIPE);
}

static void
test_fd_two_refused(void **state)
{
	int p[2], fds[2];
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.space, .msg_controllen = sizeof(u.space),
	};
	struct cmsghdr *c;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	fds[0] = p[0];
	fds[1] = p[1];
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 1);
	/* two descriptors where one is expected: refused (and closed) */
	assert_int_equal(sys_recv_fd(sv[1]), -EPROTO);
	sys_close(p[0]);
	sys_close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_wire_format, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_max_size, open_pair, close_pair),
		cmocka_unit_test(test_hdr_decode),
		cmocka_unit_test_setup_teardown(test_bad_version, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_oversize_length, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_truncated, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_truncated_header, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_peer_closed, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_trailing_bytes, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_fd_passing, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_fd_missing, open_pair, close_pair),
		cmocka_unit_test_setup_teardown(test_fd_two_refused, open_pair, close_pair),
	};

	/* cmocka prints progress on stdout, failures and the summary on
	 * stderr: unbuffered, both keep their order in a log */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
