/*
 * test_privhelper.c - a compromised service process speaks garbage on the
 * socketpair: the helper (helper_run in a forked child, on a socketpair
 * the test holds) must exit on anything malformed or unpermitted, answer
 * nothing to it, and end cleanly when the peer just closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "privhelper.h"
#include "privproto.h"
#include "privsock.h"
#include "session.h"
#include "sysutil.h"

#define HELPER_LIMIT_S	10

static struct config cfg;
static struct runtime rt;

static int
setup(void **state)
{
	char err[CFG_ERR_MAX];
	char *ovr[] = { (char *)"limitd_enable=NO", (char *)"delay_failed_login=0",
			(char *)"max_login_fails=3", (char *)"seccomp_sandbox=NO" };

	(void)state;
	if (cfg_load(&cfg, "/nonexistent/miniftpd.conf", false, ovr, 4, err) < 0)
		fail_msg("cfg_load: %s", err);
	return 0;
}

struct helper_proc {
	pid_t pid;
	int fd;		/* the service process's end */
};

static struct helper_proc
start_helper(void)
{
	struct sockaddr_in *p4;
	struct sockaddr_storage peer = { 0 }, local = { 0 };
	struct helper_proc h;
	int sv[2], null;

	assert_int_equal(sys_socketpair(SOCK_STREAM, sv), 0);
	p4 = (struct sockaddr_in *)&peer;
	p4->sin_family = AF_INET;
	p4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	local = peer;
	h.pid = fork();
	assert_true(h.pid >= 0);
	if (h.pid == 0) {
		alarm(HELPER_LIMIT_S);
		null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDERR_FILENO);	/* the helper logs why it dies */
		sys_close(sv[0]);
		helper_run(&cfg, &rt, sv[1], &peer, &local);
	}
	sys_close(sv[1]);
	h.fd = sv[0];
	return h;
}

/* Wait for the helper; RETURNS its wait status.  It must not outlive the limit. */
static int
reap(struct helper_proc *h)
{
	int status;

	assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail_msg("the helper hung on the garbage");
	return status;
}

/* Bytes the helper sent back before it closed (it must answer garbage with nothing). */
static size_t
drain(int fd)
{
	char buf[512];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

static void
put_header(uint8_t *h, uint32_t len, uint16_t type, uint16_t version)
{
	uint8_t v[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
		(uint8_t)(type >> 8), (uint8_t)type, (uint8_t)(version >> 8), (uint8_t)version,
	};

	memcpy(h, v, sizeof(v));
}

/* Send RAW to a fresh helper; expect it to die (exit 1) with no answer. */
static void
expect_death(const void *raw, size_t len, const char *what)
{
	struct helper_proc h = start_helper();
	int st;

	if (len)
		(void)sys_write_full(h.fd, raw, len);
	shutdown(h.fd, SHUT_WR);
	if (drain(h.fd) != 0)
		fail_msg("%s: the helper answered", what);
	st = reap(&h);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != EXIT_FAILURE)
		fail_msg("%s: wait status 0x%x, want exit %d", what, (unsigned int)st,
			 EXIT_FAILURE);
	sys_close(h.fd);
}

/* A message with TYPE and BODY (NULL: empty) and VERSION, framed by hand. */
static void
expect_death_msg(uint16_t type, uint16_t version, const struct buf *body, const char *what)
{
	uint8_t msg[8 + BUF_MAX];
	size_t len = body ? body->len : 0;

	put_header(msg, (uint32_t)(8 + len), type, version);	/* whole message */
	if (len)
		memcpy(msg + 8, body->data, len);
	expect_death(msg, 8 + len, what);
}

static void
test_bad_headers(void **state)
{
	uint8_t h[8];

	(void)state;
	put_header(h, 8, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION + 1);
	expect_death(h, 8, "wrong version");
	put_header(h, 8, PRIV_REQ_LOGIN, 0);
	expect_death(h, 8, "version 0");
	put_header(h, 8, PRIV_REQ_LOGIN, 1);
	expect_death(h, 8, "version 1 (length counted the body only)");
	for (uint32_t len = 0; len < 8; len++) {
		put_header(h, len, PRIV_REQ_CHOWN_UPLOAD, PRIV_PROTO_VERSION);
		expect_death(h, 8, "length shorter than the header");
	}
	put_header(h, PRIV_MAX_MSG + 1, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION);
	expect_death(h, 8, "oversized length");
	put_header(h, 0xffffffffu, PRIV_REQ_LOGIN, PRIV_PROTO_VERSION);
	expect_death(h, 8, "length 4 GiB");
}

static void
test_unknown_and_unpermitted(void **state)
{
	struct buf b;

	(void)state;
	expect_death_msg(99, PRIV_PROTO_VERSION, NULL, "unknown type");
	expect_death_msg(0, PRIV_PROTO_VERSION, NULL, "type 0");
	expect_death_msg(0xffff, PRIV_PROTO_VERSION, NULL, "type 65535");
	expect_death_msg(PRIV_ANS_LOGIN, PRIV_PROTO_VERSION, NULL, "an answer type");
	/* PORT before login: permitted only after authentication */
	buf_reset(&b);
	buf_put_u32(&b, AF_INET);
	buf_put_bytes(&b, "\x7f\x00\x00\x01", 4);
	buf_put_u32(&b, 2121);
	expect_death_msg(PRIV_REQ_PORT_SOCK, PRIV_PROTO_VERSION, &b, "PORT before login");
	expect_death_msg(PRIV_REQ_CHOWN_UPLOAD, PRIV_PROTO_VERSION, NULL, "CHOWN before login");
	/* TLS: a signature or READY only during the handshake that follows
	 * START_TLS (state TLS_HANDSHAKE), never in the main loop; START_TLS
	 * only with ssl_enable; PROT only after it */
	buf_reset(&b);
	buf_put_u32(&b, PRIV_TLS_SIGN_ECDSA);
	buf_put_bytes(&b, "0123456789abcdef0123456789abcdef", 32);
	expect_death_msg(PRIV_REQ_TLS_SIGN, PRIV_PROTO_VERSION, &b, "SIGN from the service");
	expect_death_msg(PRIV_REQ_TLS_READY, PRIV_PROTO_VERSION, NULL, "READY from the service");
	expect_death_msg(PRIV_REQ_START_TLS, PRIV_PROTO_VERSION, NULL, "START_TLS without ssl_enable");
	buf_reset(&b);
	buf_put_u32(&b, 1);
	buf_put_u32(&b, 1);
	expect_death_msg(PRIV_REQ_TLS_PROT, PRIV_PROTO_VERSION, &b, "PROT before START_TLS");
}

static void
test_malformed_login(void **state)
{
	struct buf b;

	(void)state;
	expect_death_msg(PRIV_REQ_LOGIN, PRIV_PROTO_VERSION, NULL, "empty login");
	buf_reset(&b);
	buf_put_str(&b, "demo");
	expect_death_msg(PRIV_REQ_LOGIN, PRIV_PROTO_VERSION, &b, "login without password");
	buf_put_str(&b, "pw");
	buf_put_u32(&b, 7);
	expect_death_msg(PRIV_REQ_LOGIN, PRIV_PROTO_VERSION, &b, "login with trailing bytes");
	/* a string whose length runs past the body */
	buf_reset(&b);
	buf_put_u32(&b, 1000);
	buf_put_bytes(&b, "abc", 3);
	expect_death_msg(PRIV_REQ_LOGIN, PRIV_PROTO_VERSION, &b, "string past the body");
	/* a user name longer than MAX_USER_NAME */
	buf_reset(&b);
	{
		char user[MAX_USER_NAME + 2];

		memset(user, 'u', sizeof(user) - 1);
		user[sizeof(user) - 1] = '\0';
		buf_put_str(&b, user);
	}
	buf_put_str(&b, "pw");
	expect_death_msg(PRIV_REQ_LOGIN, PRIV_PROTO_VERSION, &b, "overlong user");
}

/* A well-formed failed login is answered; garbage after it still kills. */
static void
test_answer_then_garbage(void **state)
{
	struct helper_proc h = start_helper();
	struct buf b;
	uint16_t type;
	uint32_t result;
	int st;

	(void)state;
	buf_reset(&b);
	buf_put_str(&b, "nosuchuser");
	buf_put_str(&b, "wrong");
	assert_int_equal(priv_send(h.fd, PRIV_REQ_LOGIN, &b), 0);
	assert_int_equal(priv_recv(h.fd, &type, &b), 0);
	assert_int_equal(type, PRIV_ANS_LOGIN);
	assert_int_equal(buf_get_u32(&b, &result), 0);
	assert_int_equal(result, PRIV_LOGIN_FAIL);
	(void)sys_write_full(h.fd, "\x00\x00\x00\x00\x00\x63\x00\x01", 8);	/* type 99 */
	shutdown(h.fd, SHUT_WR);
	assert_int_equal(drain(h.fd), 0);
	st = reap(&h);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_FAILURE);
	sys_close(h.fd);
}

static uint32_t
login_once(int fd, const char *user, const char *pass)
{
	struct buf b;
	uint16_t type;
	uint32_t result;

	buf_reset(&b);
	buf_put_str(&b, user);
	buf_put_str(&b, pass);
	assert_int_equal(priv_send(fd, PRIV_REQ_LOGIN, &b), 0);
	assert_int_equal(priv_recv(fd, &type, &b), 0);
	assert_int_equal(type, PRIV_ANS_LOGIN);
	assert_int_equal(buf_get_u32(&b, &result), 0);
	return result;
}

/*
 * The helper counts failed logins itself: after max_login_fails (3) it
 * answers FAIL_LAST and checks no more passwords, even for a compromised
 * service process that ignores FAIL_LAST and goes on guessing: the
 * requests after it get no answer, the helper closes its end and ends
 * the session.
 */
static void
test_stops_after_max_login_fails(void **state)
{
	struct helper_proc h = start_helper();
	struct buf b;
	size_t answered;
	int st;

	(void)state;
	assert_int_equal(login_once(h.fd, "nosuchuser", "guess1"), PRIV_LOGIN_FAIL);
	assert_int_equal(login_once(h.fd, "nosuchuser", "guess2"), PRIV_LOGIN_FAIL);
	assert_int_equal(login_once(h.fd, "nosuchuser", "guess3"), PRIV_LOGIN_FAIL_LAST);
	for (int i = 0; i < 5; i++) {		/* may fail: the helper is gone */
		buf_reset(&b);
		buf_put_str(&b, "nosuchuser");
		buf_put_str(&b, "guess-after-the-last");
		(void)priv_send(h.fd, PRIV_REQ_LOGIN, &b);
	}
	shutdown(h.fd, SHUT_WR);
	answered = drain(h.fd);
	if (answered != 0)
		fail_msg("the helper answered %zu more bytes after FAIL_LAST", answered);
	st = reap(&h);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("wait status 0x%x, want exit 0 (the session's end)", (unsigned int)st);
	sys_close(h.fd);
}

/* The peer closing (also mid-message) is the end of a session, not an error. */
static void
test_peer_closes(void **state)
{
	static const uint8_t half[] = { 0, 0, 0, 28, 0, 2, 0, PRIV_PROTO_VERSION, 'x' };
	struct helper_proc h;
	int st;

	(void)state;
	for (size_t cut = 0; cut <= sizeof(half); cut += 3) {
		h = start_helper();
		if (cut)
			(void)sys_write_full(h.fd, half, cut);
		shutdown(h.fd, SHUT_WR);
		assert_int_equal(drain(h.fd), 0);
		st = reap(&h);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("closed after %zu bytes: wait status 0x%x", cut, (unsigned int)st);
		sys_close(h.fd);
	}
}

/* Random bytes (fixed seed, bounded count): the helper dies or ends, never hangs. */
static void
test_random_garbage(void **state)
{
	uint8_t junk[256];
	unsigned int seed = 4711;

	(void)state;
	for (int round = 0; round < 40; round++) {
		struct helper_proc h = start_helper();
		size_t len = 1 + (size_t)(rand_r(&seed) % sizeof(junk));
		int st;

		for (size_t i = 0; i < len; i++)
			junk[i] = (uint8_t)rand_r(&seed);
		if (round % 2)
			put_header(junk, (uint32_t)len,
				   (uint16_t)(rand_r(&seed) % 16), PRIV_PROTO_VERSION);
		(void)sys_write_full(h.fd, junk, len);
		shutdown(h.fd, SHUT_WR);
		(void)drain(h.fd);
		st = reap(&h);
		if (!WIFEXITED(st))
			fail_msg("round %d: wait status 0x%x", round, (unsigned int)st);
		sys_close(h.fd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_unknown_and_unpermitted),
		cmocka_unit_test(test_malformed_login),
		cmocka_unit_test(test_answer_then_garbage),
		cmocka_unit_test(test_stops_after_max_login_fails),
		cmocka_unit_test(test_peer_closes),
		cmocka_unit_test(test_random_garbage),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, NULL);
}
