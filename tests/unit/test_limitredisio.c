/*
 * test_limitredisio.c - a connection to the store made in steps
 * (limit_redis_dial, limit_redis_send, limit_redis_step): a step never
 * waits, the commands queued go out pipelined once connected and their
 * replies come back in order, a phase that runs out of time fails with
 * its name; a connection that stays open sends one command after another
 * (limitd's one call in flight): the reply's time starts at the send, and
 * what was written leaves the buffer.  The store is a loopback listener
 * of the test's own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(UNDER_ASAN)
/* libasan's (sanitizer/allocator_interface.h, which gcc does not ship). */
size_t __sanitizer_get_current_allocated_bytes(void);

/* Bytes the program holds on the heap now. */
static size_t
heap_bytes(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
#include <malloc.h>
static size_t
heap_bytes(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}
#endif

#include <hiredis/hiredis.h>

#include "limitredisio.h"
#include "sysutil.h"

/* A phase's time in the tests that wait for one to run out, and the
 * most one step may take (a loaded host): a step never waits for the store. */
#define PHASE_MS	300
#define STEP_MAX_MS	100
/* Bounds of the test's own waits. */
#define TEST_WAIT_MS	2000

static struct limit_store_url url;
static struct limit_redis_addrs addrs;

/* A loopback listener with BACKLOG; its port into url, addrs resolved. */
static int
listener(int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char why[LIMIT_REDIS_WHY];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	memset(&url, 0, sizeof(url));
	snprintf(url.host, sizeof(url.host), "127.0.0.1");
	url.port = ntohs(sa.sin_port);
	assert_int_equal(limit_redis_resolve(&url, &addrs, why), 0);
	assert_true(addrs.n >= 1);
	return fd;
}

/* One limit_redis_step, checked not to wait. */
static int
step(struct limit_redis *c, redisReply **reply, char why[LIMIT_REDIS_WHY])
{
	long long t = sys_now_ms();
	int r = limit_redis_step(c, reply, why);

	assert_true(sys_now_ms() - t < STEP_MAX_MS);
	return r;
}

/* Step C, waiting on its descriptor in between, until it answers (not 0). */
static int
step_until(struct limit_redis *c, redisReply **reply, char why[LIMIT_REDIS_WHY])
{
	long long end = sys_now_ms() + TEST_WAIT_MS;
	int r;

	while ((r = step(c, reply, why)) == 0) {
		short events;
		long long deadline;
		struct pollfd p = { .fd = limit_redis_fd(c, &events, &deadline) };

		p.events = events;
		assert_true(sys_now_ms() < end);
		(void)poll(&p, 1, 10);
	}
	return r;
}

static void
test_pipelined_greeting(void **state)
{
	const char *ping[] = { "PING" }, *echo[] = { "ECHO", "x" };
	const char want[] = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n";
	char why[LIMIT_REDIS_WHY], got[sizeof(want)] = "";
	int lfd = listener(16), s;
	size_t have = 0;
	struct limit_redis *c;
	redisReply *r;

	(void)state;
	c = limit_redis_dial(&addrs, &url, NULL, 1000, why);
	assert_non_null(c);
	assert_int_equal(limit_redis_send(c, 1, ping), 0);
	assert_int_equal(limit_redis_send(c, 2, echo), 0);
	assert_int_equal(step(c, &r, why), 0);		/* nothing answered yet */
	assert_false(limit_redis_ready(c));
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	for (int i = 0; i < 200 && have < sizeof(want) - 1; i++) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		assert_int_equal(step(c, &r, why), 0);
		if (poll(&p, 1, 10) == 1 && (n = read(s, got + have, sizeof(want) - 1 - have)) > 0)
			have += (size_t)n;
	}
	assert_string_equal(got, want);			/* both, in order, before any reply */
	assert_int_equal(write(s, "+PONG\r\n$1\r\nx\r\n", 14), 14);
	assert_int_equal(step_until(c, &r, why), 1);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	assert_string_equal(r->str, "PONG");
	freeReplyObject(r);
	assert_int_equal(step_until(c, &r, why), 1);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "x");
	freeReplyObject(r);
	assert_true(limit_redis_ready(c));
	limit_redis_close(c);
	close(s);
	close(lfd);
}

/* A store that accepts and never answers: the reply's phase times out. */
static void
test_silent_store_times_out(void **state)
{
	const char *ping[] = { "PING" };
	char why[LIMIT_REDIS_WHY];
	int lfd = listener(16);
	long long t = sys_now_ms();
	struct limit_redis *c;
	redisReply *r;

	(void)state;
	c = limit_redis_dial(&addrs, &url, NULL, PHASE_MS, why);
	assert_non_null(c);
	assert_int_equal(limit_redis_send(c, 1, ping), 0);
	assert_int_equal(step_until(c, &r, why), -1);
	assert_null(r);
	assert_string_equal(why, "no reply: no answer in time");
	assert_true(sys_now_ms() - t >= PHASE_MS);
	limit_redis_close(c);
	close(lfd);
}

/*
 * The store's side of one command: read WANT bytes from S while C is
 * stepped (it must not answer before the store did), then write REPLY;
 * RETURNS C's next step that is not 0, its reply in *R.
 */
static int
serve(struct limit_redis *c, int s, size_t want, const char *reply, redisReply **r,
      char why[LIMIT_REDIS_WHY])
{
	static char sink[65536];
	size_t have = 0;

	for (int i = 0; i < 2000 && have < want; i++) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		assert_int_equal(step(c, r, why), 0);
		if (poll(&p, 1, 10) == 1 && (n = read(s, sink, sizeof(sink))) > 0)
			have += (size_t)n;
	}
	assert_int_equal(have, want);
	assert_int_equal(write(s, reply, strlen(reply)), (ssize_t)strlen(reply));
	return step_until(c, r, why);
}

/* A connected C to the test's listener LFD, the store's end in *S. */
static struct limit_redis *
connected(int lfd, int timeout_ms, int *s)
{
	char why[LIMIT_REDIS_WHY];
	struct limit_redis *c = limit_redis_dial(&addrs, &url, NULL, timeout_ms, why);
	redisReply *r;

	assert_non_null(c);
	*s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*s >= 0);
	for (int i = 0; i < 200 && !limit_redis_ready(c); i++) {
		assert_int_equal(step(c, &r, why), 0);
		(void)poll(NULL, 0, 5);
	}
	assert_true(limit_redis_ready(c));
	return c;
}

/*
 * A command sent on a connection idle for longer than the reply's time
 * waits for its own reply: its time starts at the send, not at the
 * previous reply (which once made the first step fail at once).
 */
static void
test_idle_connection_reply_time_starts_at_send(void **state)
{
	const char *ping[] = { "PING" };
	const char want[] = "*1\r\n$4\r\nPING\r\n";
	char why[LIMIT_REDIS_WHY] = "";
	int lfd = listener(16), s;
	struct limit_redis *c = connected(lfd, PHASE_MS, &s);
	redisReply *r;

	(void)state;
	assert_int_equal(limit_redis_send(c, 1, ping), 0);
	assert_int_equal(serve(c, s, strlen(want), "+PONG\r\n", &r, why), 1);
	freeReplyObject(r);
	(void)poll(NULL, 0, PHASE_MS + 100);		/* idle, longer than a reply's time */
	assert_int_equal(limit_redis_send(c, 1, ping), 0);
	assert_int_equal(serve(c, s, strlen(want), "+PONG\r\n", &r, why), 1);
	assert_string_equal(r->str, "PONG");
	freeReplyObject(r);
	assert_true(limit_redis_ready(c));
	limit_redis_close(c);
	close(s);
	close(lfd);
}

/*
 * Commands sent one after another, each after the previous reply: the
 * bytes written do not stay in the connection's buffer (it once grew by
 * every command for the connection's life).
 */
static void
test_written_commands_leave_the_buffer(void **state)
{
	enum { ARG = 64 * 1024, ROUNDS = 40 };
	static char arg[ARG + 1];
	const char *echo[] = { "ECHO", arg };
	char why[LIMIT_REDIS_WHY] = "", head[64];
	int lfd = listener(16), s;
	struct limit_redis *c = connected(lfd, 1000, &s);
	size_t want, warm = 0;
	redisReply *r;

	(void)state;
	memset(arg, 'x', ARG);
	want = (size_t)snprintf(head, sizeof(head), "*2\r\n$4\r\nECHO\r\n$%d\r\n", ARG) + ARG + 2;
	for (int i = 0; i < ROUNDS; i++) {
		assert_int_equal(limit_redis_send(c, 2, echo), 0);
		assert_int_equal(serve(c, s, want, "+OK\r\n", &r, why), 1);
		assert_string_equal(r->str, "OK");
		freeReplyObject(r);
		if (i == 1)
			warm = heap_bytes();
	}
	assert_true(heap_bytes() < warm + 4 * ARG);	/* not ROUNDS * ARG */
	limit_redis_close(c);
	close(s);
	close(lfd);
}

/* A connect that hangs (the listener's accept queue full: SYNs dropped). */
static void
test_hanging_connect_times_out(void **state)
{
	char why[LIMIT_REDIS_WHY];
	int lfd = listener(0), fill[4];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(url.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct limit_redis *c;
	redisReply *r;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		(void)connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	c = limit_redis_dial(&addrs, &url, NULL, PHASE_MS, why);
	assert_non_null(c);
	assert_int_equal(step(c, &r, why), 0);
	assert_int_equal(step_until(c, &r, why), -1);
	assert_string_equal(why, "cannot connect: Connection timed out");
	limit_redis_close(c);
	for (size_t i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

/* A refused connection fails at once, with the reason. */
static void
test_refused(void **state)
{
	char why[LIMIT_REDIS_WHY];
	struct limit_redis *c;
	redisReply *r;

	(void)state;
	close(listener(1));		/* a port nobody listens on now */
	c = limit_redis_dial(&addrs, &url, NULL, 1000, why);
	if (c) {
		assert_int_equal(step_until(c, &r, why), -1);
		limit_redis_close(c);
	}
	assert_string_equal(why, "cannot connect: Connection refused");
}

/* ARGV as limit_redis_format writes it, and as hiredis does: the same bytes. */
static void
check_format(int argc, const char **argv)
{
	size_t len = limit_redis_format_len(argc, argv);
	char *ours = malloc(len + 1), *theirs = NULL, *end;
	int n = redisFormatCommandArgv(&theirs, argc, argv, NULL);

	assert_non_null(ours);
	ours[len] = '#';	/* nothing past the size it gave */
	end = limit_redis_format(ours, argc, argv);
	assert_int_equal(n, (int)len);
	assert_ptr_equal(end, ours + len);
	assert_int_equal(ours[len], '#');
	assert_memory_equal(ours, theirs, len);
	redisFreeCommand(theirs);
	free(ours);
}

static void
test_format_as_hiredis(void **state)
{
	static char big[100001];
	const char *batch[40];
	char nums[40][24];

	(void)state;
	check_format(1, (const char *[]){ "PING" });
	check_format(2, (const char *[]){ "SELECT", "0" });
	check_format(3, (const char *[]){ "SET", "", "a\r\nb c$*" });	/* empty, CRLF, marks */
	memset(big, 'x', sizeof(big) - 1);
	check_format(2, (const char *[]){ "ECHO", big });			/* a 6-digit length */
	for (int i = 0; i < 40; i++) {			/* a batch: 2-digit word count */
		snprintf(nums[i], sizeof(nums[i]), "%d", i * 1009 - 7);
		batch[i] = nums[i];
	}
	check_format(40, batch);
	check_format(9, batch);
	check_format(10, batch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_greeting),
		cmocka_unit_test(test_silent_store_times_out),
		cmocka_unit_test(test_hanging_connect_times_out),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_idle_connection_reply_time_starts_at_send),
		cmocka_unit_test(test_written_commands_leave_the_buffer),
		cmocka_unit_test(test_format_as_hiredis),
	};

	setvbuf(stdout, NULL, _IONBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
