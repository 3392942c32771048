/*
 * limitcluster.c - limitd's counts shared through a Redis store; see
 * limitcluster.h and SECURITY.md ("limitd on several hosts").
 *
 * One call in flight: the questions queued (admissions, logins, failed
 * logins, releases, the renewal) go to the store as one script call, and
 * while the store works limitd goes on accepting and answering; the reply
 * is read when the connection is readable (limit_cluster_flush, at the end
 * of a turn), and what was queued meanwhile is the next call.  The queue
 * stays in order and only one call is ever in flight, so the store sees
 * the questions in the order they were asked and every verdict is its
 * answer to that very question.  The rare paths wait, bounded: a join, and
 * the questions asked again after one.  While the store is down a new
 * connection is made in steps that never wait (dial, dial_step), the
 * store's name resolved at start only.  The price is measured in
 * bench/NOTES.md ("limitd_cluster").
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "limitcluster.h"
#include "limitproto.h"
#include "limitredis.h"
#include "limitstore.h"
#include "log.h"
#include "str.h"
#include "sysutil.h"

/* A field of a join: "a:" and an address key, or "u:" and a user. */
#define FIELD_MAX	(2 + MAX_USER_NAME + LIMIT_KEY_STR)
#define NUM_MAX		24
/* The longest argument a queued question keeps: a user name. */
#define ARG_MAX		(MAX_USER_NAME + 1)
/* The tail of a hashed default id: ":#" and 16 hex digits. */
#define ID_HASHED_TAIL	18
/* Hex digits of the token that tells two limitd with one id apart. */
#define TOKEN_LEN	16
/* A renewal's answer when another limitd joined as this id since. */
#define ANS_CLASH	(-2)
/* Questions in one script call at most (the rest go in the next): one
 * reply's time (LIMIT_REDIS_TIMEOUT_MS) covers the whole call. */
#define CALL_MAX	1024

/*
 * The questions that are queued, their script op and the range of their
 * answers (-1, "no lease", aside).  The first three have an asker waiting.
 */
static const struct op {
	const char *name;
	long long min, max;
} ops[] = {
	[LIMIT_Q_ADMIT] = { "admit", 0, LIMIT_V_COUNT - 1 },
	[LIMIT_Q_LOGIN] = { "login", 0, LIMIT_V_COUNT - 1 },
	[LIMIT_Q_FAIL] = { "fail", 1, LONG_MAX },
	[LIMIT_Q_RELEASE] = { "release", 0, 0 },
	[LIMIT_Q_RENEW] = { "renew", 0, 0 },
};

/* The limits a call is judged by, sent once per script call. */
enum { LIM_CLIENTS, LIM_PER_IP, LIM_PER_USER, LIM_FAILS, LIM_COUNT };

/* A question sent without waiting for its answer. */
struct queued {
	enum limit_q op;
	void *cookie;		/* the asker's, NULL once forgotten (or none) */
	size_t nargs;
	char arg[2][ARG_MAX];	/* to ask again after a join */
};

static struct {
	bool enabled, up, fail_closed, lost_logged;
	struct limit_store_url url;
	char pass[LIMIT_STORE_PASS_MAX + 1];
	bool have_pass;
	char id[LIMIT_STORE_ID_MAX + 1];
	char token[TOKEN_LEN + 1];	/* this process's, recorded by its join */
	char lease[NUM_MAX];	/* ms, as text for the script */
	char sha[41];
	long long lease_ms, next_renew, next_retry;
	struct queued *q;	/* questions whose answers are unread, in order */
	size_t nq, qcap;
	size_t inflight;	/* q's first ones, the call whose reply is awaited */
	unsigned long serial;	/* of ctx: one more at each join of a new connection */
	bool resent;		/* that call sent again with the script (NOSCRIPT) */
	/* The limits the next call carries: those the last judged question was
	 * asked with (they change only at a reload). */
	unsigned long lim[LIM_COUNT];
	/* A join for a "no lease" answer under way: its drain, then the
	 * questions asked again (stash: those answered "no lease" until the
	 * join went). */
	enum { RJ_NONE, RJ_JOINING, RJ_ASKING } rejoining;
	struct queued *stash;
	size_t nstash, stashcap;
	void (*done)(void *cookie, enum limit_q op, long answer);
	const struct limit_tab *tab;
	struct limit_fails *fails;	/* counted while the store was down */
	const struct limit_fail_policy *fpol;
	size_t fails_pushed, fails_left;	/* by the last join, for its log line */
	SSL_CTX *tls;		/* rediss:// only */
	struct limit_redis *ctx;
	struct limit_redis_addrs addrs;	/* resolved at start only */
	char unresolved[LIMIT_REDIS_WHY];	/* why not, or "" */
	struct limit_redis *dial;	/* a connection under way, greeting sent */
	unsigned int greeted;	/* its replies read */
} C;

static void fail_queue(void);

/* V in decimal, in BUF (no snprintf: limitd writes several per turn). RETURNS BUF's text. */
static const char *
num(char buf[NUM_MAX], unsigned long v)
{
	char *p = buf + NUM_MAX - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return p;
}

static void
hang_up(void)
{
	limit_redis_close(C.ctx);
	limit_redis_close(C.dial);
	C.ctx = C.dial = NULL;
	C.up = false;
	C.next_retry = sys_now_ms() + LIMIT_CLUSTER_RETRY_MS;
	fail_queue();
}

/* The store failed us: log it once per outage, count alone until it is back. */
static void
lost(const char *why)
{
	if (!C.lost_logged)
		log_warning("Lost the cluster store %s (%s): %s until it answers again",
			    C.url.where, why,
			    C.fail_closed ? "refusing new sessions (limitd_fail=closed)"
					  : "counting this host's sessions alone (limitd_fail=open)");
	C.lost_logged = true;
	hang_up();
}

/*
 * What a new connection says first, pipelined, and the answer each wants:
 * AUTH (with a password file only), SELECT, SCRIPT LOAD.
 */
enum greet { G_AUTH, G_SELECT, G_LOAD, G_COUNT };
static const char *const greet_name[G_COUNT] = { "AUTH", "SELECT", "SCRIPT LOAD" };

/* Reply R to greeting command G; RETURNS 0, or -1 with WHY set. */
static int
greeting_reply(enum greet g, const redisReply *r, char why[LIMIT_REDIS_WHY])
{
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, LIMIT_REDIS_WHY, "store said: %.100s", r->str ? r->str : "");
		return -1;
	}
	if (g == G_LOAD && r->type == REDIS_REPLY_STRING && r->len == 40) {
		memcpy(C.sha, r->str, 40);
		C.sha[40] = '\0';
		return 0;
	}
	if (g != G_LOAD && r->type == REDIS_REPLY_STATUS && r->len == 2 &&
	    memcmp(r->str, "OK", 2) == 0)
		return 0;
	snprintf(why, LIMIT_REDIS_WHY, "unexpected answer to %s", greet_name[g]);
	return -1;
}

/* EVALSHA op with NARGS ARGS, as hiredis wants it (free it). */
static const char **
script_argv(const char *op, size_t nargs, const char **args)
{
	const char **argv = xcalloc(nargs + 6, sizeof(*argv));

	argv[0] = "EVALSHA";
	argv[1] = C.sha;
	argv[2] = "0";
	argv[3] = op;
	argv[4] = C.id;
	argv[5] = C.lease;
	if (nargs)
		memcpy(argv + 6, args, nargs * sizeof(*argv));
	return argv;
}

static int join(void);

/* Queue OP, its arguments, and LIM (or NULL) as the next call's limits. */
static int
enqueue(enum limit_q op, size_t nargs, const char **args, const unsigned long *lim,
	void *cookie)
{
	struct queued *q;

	if (!C.up)
		return -ENOTCONN;
	if (C.nq == C.qcap) {
		C.qcap = C.qcap ? 2 * C.qcap : 64;
		C.q = xreallocarray(C.q, C.qcap, sizeof(*C.q));
	}
	q = &C.q[C.nq++];
	memset(q, 0, sizeof(*q));
	q->op = op;
	q->cookie = cookie;
	if (lim)
		memcpy(C.lim, lim, sizeof(C.lim));
	q->nargs = nargs;
	for (size_t i = 0; i < nargs; i++)
		str_lcpy(q->arg[i], args[i], ARG_MAX);
	return 0;
}

/* Hand ANSWER to the asker of queued question I, once. */
static void
hand_over(size_t i, long answer)
{
	void *cookie = C.q[i].cookie;

	C.q[i].cookie = NULL;
	if (cookie)
		C.done(cookie, C.q[i].op, answer);
}

/* The store is lost with questions in flight: their askers decide alone. */
static void
fail_queue(void)
{
	size_t n = C.nq;

	C.nq = C.inflight = 0;
	C.resent = false;
	for (size_t i = 0; i < n; i++)
		hand_over(i, -ENOTCONN);
}

/*
 * What the store granted to an asker who went is taken back: an
 * admission by a release, a login by a release of the user alone.
 */
static void
take_back(const struct queued *q)
{
	char key[LIMIT_KEY_STR], user[ARG_MAX];
	const char *args[] = { key, user };

	str_lcpy(key, q->op == LIMIT_Q_ADMIT ? q->arg[0] : "", sizeof(key));
	str_lcpy(user, q->op == LIMIT_Q_LOGIN ? q->arg[1] : "", sizeof(user));
	(void)enqueue(LIMIT_Q_RELEASE, 2, args, NULL, NULL);	/* may move C.q: copies above */
}

/* Answer I of the queue: hand it over; a grant nobody waits for is undone. */
static void
answered(size_t i, long long v, struct queued *retry, size_t *nretry)
{
	if (v == -1) {		/* no lease: asked again after the join */
		if (C.q[i].cookie)
			retry[(*nretry)++] = C.q[i];
		C.q[i].cookie = NULL;
	} else if (C.q[i].cookie)
		hand_over(i, (long)v);
	else if ((C.q[i].op == LIMIT_Q_ADMIT || C.q[i].op == LIMIT_Q_LOGIN) &&
		 v == LIMIT_V_ADMIT) {
		struct queued q = C.q[i];

		take_back(&q);
	}
}

/*
 * Questions Q[0..N) as one script call ("batch"): the words, as hiredis
 * wants them (free it), their count in *ARGC; LIM holds the limits' text.
 */
static const char **
batch_argv(const struct queued *q, size_t n, char lim[LIM_COUNT][NUM_MAX], int *argc)
{
	const char **argv = xcalloc(6 + LIM_COUNT + 3 * n, sizeof(*argv));
	size_t k = 6;

	argv[0] = "EVALSHA";
	argv[1] = C.sha;
	argv[2] = "0";
	argv[3] = "batch";
	argv[4] = C.id;
	argv[5] = C.lease;
	for (int i = 0; i < LIM_COUNT; i++)
		argv[k++] = num(lim[i], C.lim[i]);
	for (size_t i = 0; i < n; i++) {
		argv[k++] = ops[q[i].op].name;
		for (size_t j = 0; j < q[i].nargs; j++)
			argv[k++] = q[i].arg[j];
	}
	*argc = (int)k;
	return argv;
}

/*
 * The store's reply R to a batch of Q[0..N): each answer in its
 * question's range or -1 ("no lease"), into V.
 * RETURNS 0, or -1 with WHY set.
 */
static int
batch_answers(const redisReply *r, const struct queued *q, size_t n, long long *v,
	      char why[LIMIT_REDIS_WHY])
{
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, LIMIT_REDIS_WHY, "store said: %.100s", r->str ? r->str : "");
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
		snprintf(why, LIMIT_REDIS_WHY, "unexpected answer to a batch");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct op *o = &ops[q[i].op];

		if (limit_redis_int(r->element[i], ANS_CLASH, o->max, &v[i]) < 0 ||
		    (v[i] == ANS_CLASH && q[i].op != LIMIT_Q_RENEW) ||
		    (v[i] > -1 && v[i] < o->min)) {
			snprintf(why, LIMIT_REDIS_WHY, "unexpected answer to a batch");
			return -1;
		}
	}
	return 0;
}

/* Q[0..N) as one call, waiting for the answers (into V). RETURNS 0, or -1 with WHY set. */
static int
ask_now(const struct queued *q, size_t n, long long *v, char why[LIMIT_REDIS_WHY])
{
	char lim[LIM_COUNT][NUM_MAX];
	int argc, ret = -1;
	const char **argv = batch_argv(q, n, lim, &argc);
	redisReply *r = limit_redis_script_call(C.ctx, argc, argv, why);

	free(argv);
	if (r)
		ret = batch_answers(r, q, n, v, why);
	freeReplyObject(r);
	return ret;
}

static int drain(void);

/* Q[0..N) asked now, as one call; RETURNS 0 with the answers in V, or -1 (lost). */
static int
ask_all(const struct queued *q, size_t n, long long *v)
{
	char why[LIMIT_REDIS_WHY];

	if (!C.up || drain() < 0 || !C.up)	/* what was queued meanwhile goes first */
		return -1;
	if (ask_now(q, n, v, why) < 0) {
		lost(why);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] == -1) {
			lost("no lease right after joining");
			return -1;
		}
	return 0;
}

/* The questions answered "no lease", asked again once joined, CALL_MAX a
 * call; "no lease" again is the store failing (their askers decide alone). */
static void
ask_again(const struct queued *retry, size_t n)
{
	long long *v = xcalloc(CALL_MAX, sizeof(*v));

	for (size_t at = 0; at < n; at += CALL_MAX) {
		size_t k = n - at < CALL_MAX ? n - at : CALL_MAX;
		bool ok = ask_all(retry + at, k, v) == 0;

		for (size_t i = 0; i < k; i++)
			C.done(retry[at + i].cookie, retry[at + i].op,
			       ok ? (long)v[i] : -ENOTCONN);
	}
	free(v);
}

/* RETRY[0..N) kept to be asked again after the join under way. */
static void
stash(const struct queued *retry, size_t n)
{
	if (C.nstash + n > C.stashcap) {
		C.stashcap = C.nstash + n;
		C.stash = xreallocarray(C.stash, C.stashcap, sizeof(*C.stash));
	}
	if (n)
		memcpy(C.stash + C.nstash, retry, n * sizeof(*retry));
	C.nstash += n;
}

/*
 * The store answered "no lease" though we hold one, or (CLASH) another
 * limitd joined as our id: say so, join again, then ask RETRY[0..N)
 * again.  The join first sends what is queued, answered "no lease" too:
 * those are asked again with RETRY, after the join.  "No lease" once the
 * join went is the store failing (not a join within a join).
 */
static void
rejoin(const struct queued *retry, size_t n, bool clash)
{
	struct queued *all;
	size_t nall;

	if (C.rejoining == RJ_JOINING) {	/* sent before our join: expected */
		stash(retry, n);
		return;
	}
	if (C.rejoining == RJ_ASKING) {
		lost("no lease right after joining");
		ask_again(retry, n);	/* the store is down: their askers decide alone */
		return;
	}
	if (clash)
		log_err("Another limitd joined the cluster store as %s: the farm's counts are wrong "
			"while both run; give each limitd its own limitd_cluster_id (the default, "
			"host name:limitd_socket, is the same on hosts of one name); joining again",
			C.id);
	else
		log_warning("The cluster store forgot this host's lease (a stall longer than "
			    "%lld ms?): joining again", C.lease_ms);
	C.rejoining = RJ_JOINING;
	stash(retry, n);
	(void)join();		/* lost if it fails */
	all = C.stash;		/* the list is ours: a rejoin within stashes no more */
	nall = C.nstash;
	C.stash = NULL;
	C.nstash = C.stashcap = 0;
	C.rejoining = RJ_ASKING;
	ask_again(all, nall);
	C.rejoining = RJ_NONE;
	free(all);
}

/*
 * Send the first N queued questions as one script call, without waiting:
 * the call in flight; with SCRIPT, as EVAL with the script itself (the
 * store said NOSCRIPT).  RETURNS 0, or -1 (lost).
 */
static int
send_call(size_t n, bool script)
{
	char lim[LIM_COUNT][NUM_MAX];
	int argc, r;
	const char **argv = batch_argv(C.q, n, lim, &argc);

	if (script) {
		argv[0] = "EVAL";
		argv[1] = limit_redis_script;
	}
	r = limit_redis_send(C.ctx, argc, argv);
	free(argv);
	if (r < 0) {
		lost("out of memory");
		return -1;
	}
	C.inflight = n;
	C.resent = script;
	return 0;
}

/* The queued questions (CALL_MAX at most) as the call in flight. */
static int
send_next(void)
{
	return send_call(C.nq < CALL_MAX ? C.nq : CALL_MAX, false);
}

/*
 * The store answered the call in flight NOSCRIPT: the script did not run
 * (SCRIPT FLUSH, or a store that lost its scripts and kept the
 * connection).  Send the same call again with the script, which the store
 * caches again; once per call.  RETURNS 0 (in flight again), or -1 (lost).
 */
static int
resend_with_script(void)
{
	log_notice("The cluster store %s had forgotten limitd's script: sending it again",
		   C.url.where);
	return send_call(C.inflight, true);
}

/*
 * The reply R to the call in flight: every answer handed over, in order,
 * and the call's questions off the queue (what the answers queue, the
 * releases of grants nobody waits for, goes in a later call).  An answer
 * of -1 means the store forgot our lease: join again, then ask those
 * questions again.  NOSCRIPT: the call is sent again with the script.
 * RETURNS 1, 0 (sent again: in flight), or -1 (lost: logged, hung up,
 * askers told).
 */
static int
take_reply(redisReply *r)
{
	size_t n = C.inflight, nretry = 0;
	long long *v;
	struct queued *retry = NULL;	/* made when needed: rare */
	char why[LIMIT_REDIS_WHY];
	bool again = false, clash = false;
	int ok;

	if (limit_redis_noscript(r) && !C.resent) {
		freeReplyObject(r);
		return resend_with_script();
	}
	v = xcalloc(n, sizeof(*v));
	ok = batch_answers(r, C.q, n, v, why);
	freeReplyObject(r);
	if (ok < 0) {
		free(v);	/* hang_up tells the askers still waiting */
		lost(why);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		again |= v[i] == -1;
		clash |= v[i] == ANS_CLASH;
		if (v[i] == -1 && C.q[i].cookie && retry == NULL)
			retry = xcalloc(n, sizeof(*retry));
		answered(i, v[i], retry, &nretry);	/* may queue more: C.q may move */
	}
	free(v);
	if (!C.up) {		/* lost meanwhile: fail_queue emptied the queue */
		free(retry);
		return -1;
	}
	memmove(C.q, C.q + n, (C.nq - n) * sizeof(*C.q));
	C.nq -= n;
	C.inflight = 0;
	if (again || clash)
		rejoin(retry, nretry, clash);
	free(retry);
	return C.up ? 1 : -1;
}

/* Wait (poll) until R's descriptor is ready or its step's deadline passed. */
static void
await_step(const struct limit_redis *r)
{
	short events;
	long long deadline;
	struct pollfd p = { .fd = limit_redis_fd(r, &events, &deadline) };
	long long left = deadline - sys_now_ms();

	p.events = events;
	(void)sys_poll(&p, 1, left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left);
}

/*
 * Move the call in flight on (write it, read its reply) as far as it goes
 * without waiting, or, with WAIT, until its reply is there; a reply is
 * taken (take_reply; a call sent again is moved on the same way).  A reply
 * later than LIMIT_REDIS_TIMEOUT_MS loses the store.
 * RETURNS 1 (taken), 0 (not yet), or -1 (lost).
 */
static int
collect(bool wait)
{
	char why[LIMIT_REDIS_WHY];
	redisReply *r;
	int s;

	do {
		while ((s = limit_redis_step(C.ctx, &r, why)) == 0 && wait)
			await_step(C.ctx);
		if (s < 0)
			lost(why);
	} while (s == 1 && (s = take_reply(r)) == 0);	/* 0: sent again, at most once */
	return s;
}

/* Rounds of questions one drain sends: answers queue releases, releases nothing. */
#define DRAIN_ROUNDS	4

/*
 * Every queued question answered, waiting: the call in flight, then the
 * rest, DRAIN_ROUNDS calls at most (what is left goes with the event
 * loop's next turn).  Before a join or a question asked again (rare).
 * RETURNS 0 (nothing in flight), or -ENOTCONN (lost: logged, hung up,
 * askers told).
 */
static int
drain(void)
{
	for (int round = 0; round < DRAIN_ROUNDS && C.up && (C.inflight || C.nq); round++)
		if ((C.inflight || send_next() == 0) && collect(true) < 0)
			break;
	return C.up ? 0 : -ENOTCONN;
}

/*
 * EVALSHA op with NARGS ARGS; the answer an integer in [MIN, MAX].
 * RETURNS 0, or -ENOTCONN (the store is lost: logged, hung up).
 */
static int
eval_raw(const char *op, size_t nargs, const char **args, long long min, long long max,
	 long long *out)
{
	const char **argv;
	char why[LIMIT_REDIS_WHY];
	redisReply *r;
	int ret;

	if (drain() < 0)
		return -ENOTCONN;
	argv = script_argv(op, nargs, args);
	r = limit_redis_script_call(C.ctx, (int)nargs + 6, argv, why);
	free(argv);
	ret = limit_redis_int(r, min, max, out);
	if (r && ret < 0)
		snprintf(why, sizeof(why), "unexpected answer to %s", op);
	freeReplyObject(r);
	if (ret < 0)
		lost(why);
	return ret < 0 ? -ENOTCONN : 0;
}

static void
fmt_key(const struct limit_addr *addr, char out[LIMIT_KEY_STR])
{
	struct limit_addr a = *addr;

	limit_addr_mask(&a, C.tab->prefix6);
	limit_key_str(&a, C.tab->prefix6, out);
}

/*
 * This limitd's token, the fields and counts of the local tables, then
 * "!f" and, for each of PUSH[0..NPUSH), its address key, new failures and
 * ms left: the join's arguments.
 */
static size_t
join_args(const char ***argv, char **mem, const struct limit_fail_push *push, size_t npush)
{
	size_t max = 1 + 2 * (1 + limit_tab_addresses(C.tab) + limit_tab_users(C.tab)), n = 0,
	       all = max + (npush ? 1 + 3 * npush : 0);
	struct hash_iter it;
	const struct limit_addr *a;
	const char *u;
	uint32_t count;
	char *p;

	*argv = xcalloc(all + 1, sizeof(**argv));
	p = *mem = xcalloc(all + 1, FIELD_MAX);
#define ADD(...) do { snprintf(p, FIELD_MAX, __VA_ARGS__); (*argv)[n++] = p; p += FIELD_MAX; } while (0)
	ADD("%s", C.token);
	if (limit_tab_sessions(C.tab)) {
		ADD("n");
		ADD("%zu", limit_tab_sessions(C.tab));
	}
	hash_iter_init(&it);
	while (n + 2 <= max && limit_tab_next_addr(C.tab, &it, &a, &count)) {
		char key[LIMIT_KEY_STR];

		limit_key_str(a, C.tab->prefix6, key);
		ADD("a:%s", key);
		ADD("%" PRIu32, count);
	}
	hash_iter_init(&it);
	while (n + 2 <= max && limit_tab_next_user(C.tab, &it, &u, &count)) {
		ADD("u:%s", u);
		ADD("%" PRIu32, count);
	}
	if (npush)
		ADD("!f");
	for (size_t i = 0; i < npush; i++) {
		char key[LIMIT_KEY_STR];

		limit_key_str(&push[i].addr, C.tab->prefix6, key);
		ADD("%s", key);
		ADD("%" PRIu32, push[i].fresh);
		ADD("%lld", (long long)push[i].left * 1000);
	}
#undef ADD
	return n;
}

/*
 * Replace this host's counts in the store by the local tables', and add
 * the failed logins counted while it was down that no join pushed yet
 * (marked pushed once the store answered).
 */
static int
join(void)
{
	const char **argv;
	char *mem;
	long long v;
	struct limit_fail_push *push = xcalloc(LIMIT_CLUSTER_FAILS_PUSH, sizeof(*push));
	size_t left = 0, npush = C.fails == NULL ? 0 :
		limit_fails_unpushed(C.fails, C.fpol, sys_time(), push,
				     LIMIT_CLUSTER_FAILS_PUSH, &left);
	size_t n = join_args(&argv, &mem, push, npush);
	int r = eval_raw("join", n, argv, 0, 0, &v);

	free(argv);
	free(mem);
	if (r == 0) {
		for (size_t i = 0; i < npush; i++)
			limit_fails_mark_pushed(C.fails, &push[i]);
		C.fails_pushed = npush;
		C.fails_left = left;
		C.next_renew = sys_now_ms() + C.lease_ms / 3;
	}
	free(push);
	return r;
}

/* Connected and greeted: join with the local tables. */
static void
joined(void)
{
	C.ctx = C.dial;
	C.dial = NULL;
	C.up = true;
	C.serial++;
	if (join() < 0)
		return;
	log_notice("%s the cluster store %s/%u as %s: registered %zu sessions, %zu users, "
		   "failed logins of %zu addresses (%zu more kept here)",
		   C.lost_logged ? "Joined again" : "Joined", C.url.where, C.url.db,
		   C.id, limit_tab_sessions(C.tab), limit_tab_users(C.tab), C.fails_pushed,
		   C.fails_left);
	C.lost_logged = false;
}

/*
 * Move the connection under way on as far as it goes without waiting
 * (limitd's loop never waits for a store that is not up); join once the
 * store answered the whole greeting.
 */
static void
dial_step(void)
{
	char why[LIMIT_REDIS_WHY];
	redisReply *r;
	int s;

	while ((s = limit_redis_step(C.dial, &r, why)) == 1) {
		int ok = greeting_reply(C.greeted++, r, why);

		freeReplyObject(r);
		if (ok < 0) {
			lost(why);
			return;
		}
	}
	if (s < 0)
		lost(why);
	else if (limit_redis_ready(C.dial))
		joined();
}

/* Start connecting to the store (at its addresses from the start), greeting queued. */
static void
dial(void)
{
	char why[LIMIT_REDIS_WHY], db[16];
	const char *auth[] = { "AUTH", C.pass }, *sel[] = { "SELECT", db },
		   *load[] = { "SCRIPT", "LOAD", limit_redis_script };

	if (C.unresolved[0]) {
		lost(C.unresolved);
		return;
	}
	C.dial = limit_redis_dial(&C.addrs, &C.url, C.tls, LIMIT_REDIS_TIMEOUT_MS, why);
	if (C.dial == NULL) {
		lost(why);
		return;
	}
	snprintf(db, sizeof(db), "%u", C.url.db);
	C.greeted = C.have_pass ? G_AUTH : G_SELECT;
	if ((C.have_pass && limit_redis_send(C.dial, 2, auth) < 0) ||
	    limit_redis_send(C.dial, 2, sel) < 0 || limit_redis_send(C.dial, 3, load) < 0) {
		lost("out of memory");
		return;
	}
	dial_step();
}

/* At start, before the event loop: the first connection, waited for. */
static void
dial_and_wait(void)
{
	dial();
	while (C.dial) {
		await_step(C.dial);
		dial_step();
	}
}

/*
 * The default id when "host:socket" does not fit or is no valid id (a
 * long socket path): the host name (printable, cut to leave room) and a
 * digest of the whole name and path, so that it stays the same across
 * restarts and differs for two limitd of one host.  '#' after the colon
 * keeps it apart from every "host:/path" id.
 */
static void
hashed_id(const char *host, const char *sock, char out[LIMIT_STORE_ID_MAX + 1])
{
	static const uint8_t seed[HASH_SEED_SIZE];	/* fixed: the same id on every start */
	char both[HOST_NAME_MAX + 2 + PATH_MAX], c[2] = "";
	size_t i;

	snprintf(both, sizeof(both), "%s:%s", host, sock);
	for (i = 0; i < LIMIT_STORE_ID_MAX - ID_HASHED_TAIL && host[i]; i++) {
		c[0] = host[i];
		out[i] = limit_store_id_valid(c) ? host[i] : '_';
	}
	snprintf(out + i, LIMIT_STORE_ID_MAX + 1 - i, ":#%016" PRIx64,
		 hash_siphash(seed, both, strlen(both)));
}

int
limit_cluster_id(const struct config *cfg, char out[LIMIT_STORE_ID_MAX + 1])
{
	char host[HOST_NAME_MAX + 1] = "";

	if (cfg->limitd_cluster_id[0]) {
		if (str_fmt(out, LIMIT_STORE_ID_MAX + 1, "%s", cfg->limitd_cluster_id) < 0)
			return -EINVAL;
		return limit_store_id_valid(out) ? 0 : -EINVAL;
	}
	/* uname(2) underneath: no descriptor, nothing to wrap in sysutil. */
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		str_lcpy(host, "localhost", sizeof(host));
	/* Never cut: two limitd whose ids share a prefix would be one host. */
	if (str_fmt(out, LIMIT_STORE_ID_MAX + 1, "%s:%s", host, cfg->limitd_socket) < 0 ||
	    !limit_store_id_valid(out))
		hashed_id(host, cfg->limitd_socket, out);
	return 0;
}

int
limit_cluster_password(const struct config *cfg, char *out, size_t outsz,
		       char err[CFG_ERR_MAX])
{
	char where[160], why[CFG_ERR_MAX];
	int r = limit_redis_password(cfg->limitd_cluster_password_file, out, outsz, why);

	if (r < 0) {
		cfg_origin("limitd_cluster_password_file", where, sizeof(where));
		(void)str_fmt(err, CFG_ERR_MAX, "%s: limitd_cluster_password_file: %s", where,
			      why);	/* cut: fine */
	}
	return r;
}

/* A token that tells this limitd from another with the same id (not a
 * secret): random, or the pid and the time when getrandom fails. */
static void
new_token(char out[TOKEN_LEN + 1])
{
	uint64_t v;

	if (sys_random(&v, sizeof(v)) < 0)
		v = ((uint64_t)sys_getpid() << 32) ^ (uint64_t)sys_now_ms();
	snprintf(out, TOKEN_LEN + 1, "%016" PRIx64, v);
}

/* What CFG's cluster options name, read into C: URL, id, password, TLS. */
static int
load(const struct config *cfg, char err[CFG_ERR_MAX])
{
	int r;

	if (limit_store_parse_url(cfg->limitd_cluster, &C.url) < 0 ||
	    limit_cluster_id(cfg, C.id) < 0) {
		snprintf(err, CFG_ERR_MAX, "limitd_cluster or limitd_cluster_id not usable "
			 "(an id is 1 to %d printable characters without spaces)",
			 LIMIT_STORE_ID_MAX);
		return -EINVAL;
	}
	if (cfg->limitd_cluster_password_file[0]) {
		r = limit_cluster_password(cfg, C.pass, sizeof(C.pass), err);
		if (r < 0)
			return r;
		C.have_pass = true;
	}
	return limit_redis_tls_ctx(cfg, &C.tls, err);
}

int
limit_cluster_check(const struct config *cfg, char err[CFG_ERR_MAX])
{
	int r = cfg->limitd_cluster[0] ? load(cfg, err) : 0;

	limit_cluster_stop();
	return r;
}

int
limit_cluster_start(const struct config *cfg, const struct limit_tab *tab,
		    struct limit_fails *fails, const struct limit_fail_policy *fpol,
		    char err[CFG_ERR_MAX])
{
	char why[LIMIT_REDIS_WHY];
	int r;

	if (cfg->limitd_cluster[0] == '\0')
		return 0;
	r = load(cfg, err);
	if (r < 0)
		return r;
	C.tab = tab;
	C.fails = fails;
	C.fpol = fpol;
	C.enabled = true;
	C.fail_closed = strcmp(cfg->limitd_fail, "closed") == 0;
	C.lease_ms = (long long)cfg->limitd_cluster_lease * 1000;
	new_token(C.token);
	snprintf(C.lease, sizeof(C.lease), "%lld", C.lease_ms);
	C.unresolved[0] = '\0';
	if (limit_redis_resolve(&C.url, &C.addrs, why) < 0)	/* never in the loop */
		(void)str_fmt(C.unresolved, sizeof(C.unresolved), "%s (resolved at start only: "
			      "restart limitd)", why);	/* cut: fine */
	dial_and_wait();
	return 0;
}

bool
limit_cluster_enabled(void)
{
	return C.enabled;
}

bool
limit_cluster_up(void)
{
	return C.up;
}

void
limit_cluster_on_answer(void (*done)(void *cookie, enum limit_q op, long answer))
{
	C.done = done;
}

/* The store can take a question now (an answer, if COOKIE, has a taker).
 * Checked first: with no store (the usual case) a question formats nothing. */
static bool
usable(const void *cookie)
{
	return C.up && !(cookie && C.done == NULL);
}

/* Queue OP for COOKIE with ADDR's key first, then ARG (or none), judged by
 * LIM and FAIL_MAX when LIM is not NULL. */
static int
ask(enum limit_q op, const struct limit_addr *addr, const char *arg,
    const struct limit_limits *lim, unsigned long fail_max, void *cookie)
{
	char k[LIMIT_KEY_STR];
	const char *argv[2] = { k, arg };
	unsigned long l[LIM_COUNT];

	if (!usable(cookie))
		return -ENOTCONN;
	if (addr)
		fmt_key(addr, k);
	else
		k[0] = '\0';
	if (lim) {
		l[LIM_CLIENTS] = lim->max_clients;
		l[LIM_PER_IP] = lim->max_per_ip;
		l[LIM_PER_USER] = lim->max_per_user;
		l[LIM_FAILS] = fail_max;
	}
	return enqueue(op, arg ? 2 : 1, argv, lim ? l : NULL, cookie);
}

int
limit_cluster_admit_queue(const struct limit_addr *key, const struct limit_limits *lim,
			  unsigned long fail_max, void *cookie)
{
	return ask(LIMIT_Q_ADMIT, key, NULL, lim, fail_max, cookie);
}

int
limit_cluster_login_queue(const struct limit_addr *key, const char *user,
			  const struct limit_limits *lim, unsigned long fail_max, void *cookie)
{
	return ask(LIMIT_Q_LOGIN, key, user, lim, fail_max, cookie);
}

int
limit_cluster_fail_queue(const struct limit_addr *key, unsigned long forget, void *cookie)
{
	char n1[NUM_MAX];

	if (!usable(cookie))
		return -ENOTCONN;
	return ask(LIMIT_Q_FAIL, key, num(n1, forget * 1000), NULL, 0, cookie);
}

void
limit_cluster_release(const struct limit_addr *key, const char *user)
{
	(void)ask(LIMIT_Q_RELEASE, key, user ? user : "", NULL, 0, NULL);
}

void
limit_cluster_forget(const void *cookie)
{
	for (size_t i = 0; i < C.nq; i++)
		if (C.q[i].cookie == cookie)
			C.q[i].cookie = NULL;
}

/* The call in flight's reply if it is there, then the next call sent: never waits. */
void
limit_cluster_flush(void)
{
	if (C.up && C.inflight && collect(false) <= 0)
		return;		/* still in flight, or lost */
	if (C.up && C.nq && send_next() == 0)
		(void)collect(false);	/* written now; its reply a later turn's */
}

int
limit_cluster_fd(short *events, unsigned long *serial)
{
	long long deadline;
	int fd;

	*events = 0;
	*serial = C.serial;
	if (!C.up)
		return -1;
	fd = limit_redis_fd(C.ctx, events, &deadline);
	if (C.inflight == 0)
		*events = POLLIN;	/* idle: the store closing it */
	return fd;
}

/*
 * The store closed the connection (or broke it) while nothing was in
 * flight: no question was lost, the store may just drop idle clients
 * (its timeout) or have restarted.  Connect again at once, without
 * waiting; only a store that does not answer that is lost (logged).
 */
void
limit_cluster_readable(void)
{
	char why[LIMIT_REDIS_WHY];

	if (!C.up || C.inflight || limit_redis_idle(C.ctx, why) == 0)
		return;		/* in flight: limit_cluster_flush reads the reply */
	log_info("The idle connection to the cluster store %s ended (%s): connecting again",
		 C.url.where, why);
	hang_up();
	dial();
}

/* The renewal rides with the turn's other questions (never waited for alone). */
void
limit_cluster_tick(void)
{
	long long now = sys_now_ms();

	if (!C.enabled)
		return;
	if (!C.up) {
		if (C.dial)
			dial_step();
		else if (now >= C.next_retry)
			dial();
		return;
	}
	if (now < C.next_renew)
		return;
	if (enqueue(LIMIT_Q_RENEW, 1, (const char *[]){ C.token }, NULL, NULL) == 0)
		C.next_renew = now + C.lease_ms / 3;
}

int
limit_cluster_next_ms(void)
{
	long long left;

	if (!C.enabled)
		return -1;
	if (C.up && C.inflight) {	/* the reply comes by limit_cluster_fd, or its time runs out */
		short events;

		(void)limit_redis_fd(C.ctx, &events, &left);
		left -= sys_now_ms();
		return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
	}
	if (C.up && C.nq)
		return 0;	/* queued, not sent yet */
	if (C.dial)
		return LIMIT_CLUSTER_DIAL_POLL_MS;
	left = (C.up ? C.next_renew : C.next_retry) - sys_now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

void
limit_cluster_stop(void)
{
	if (C.up)
		(void)drain();	/* the call in flight and what is queued: releases among them */
	limit_redis_close(C.ctx);
	limit_redis_close(C.dial);
	C.ctx = C.dial = NULL;
	C.up = false;
	SSL_CTX_free(C.tls);
	C.tls = NULL;
	explicit_bzero(C.pass, sizeof(C.pass));
}

