/* limitstat.c - limitd --status; see limitstat.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limitclusterstat.h"
#include "limitproto.h"
#include "limitstat.h"
#include "log.h"
#include "sysutil.h"

/* Far above any file-descriptor limit: a sanity bound, not a policy. */
#define STATUS_MAX_RECORDS (16u * 1024 * 1024)

struct addr_rec {
	struct limit_addr addr;
	uint32_t count;
};

struct user_rec {
	char user[MAX_USER_NAME + 1];
	uint32_t count;
};

struct status {
	struct limit_status_head head;
	struct addr_rec *addrs;
	struct user_rec *users;
	struct limit_status_session *sessions;
	size_t naddrs, nusers, nsessions;
};

static int PRINTF(1, 2)
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "limitd --status: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Room for N records of SIZE, allocated once the head announced N. */
static void *
alloc_records(size_t n, size_t size)
{
	return xcalloc(n ? n : 1, size);
}

static int
take_head(struct status *st, const struct limit_msg *m)
{
	const struct limit_status_head *h = &m->u.head;

	if (st->addrs)
		return fail("limitd sent two status heads");
	if (h->addresses > STATUS_MAX_RECORDS || h->users > STATUS_MAX_RECORDS ||
	    h->sessions > STATUS_MAX_RECORDS)
		return fail("limitd announced an implausible number of records");
	st->head = m->u.head;
	st->addrs = alloc_records(st->head.addresses, sizeof(*st->addrs));
	st->users = alloc_records(st->head.users, sizeof(*st->users));
	st->sessions = alloc_records(st->head.sessions, sizeof(*st->sessions));
	return 0;
}

/* Store one record; more records than the head announced is an error. */
static int
take_record(struct status *st, const struct limit_msg *m)
{
	if (st->addrs == NULL)
		return fail("limitd sent a record before the head");
	if (m->type == LIMIT_ANS_STATUS_ADDR && st->naddrs < st->head.addresses) {
		st->addrs[st->naddrs].addr = m->u.addr.addr;
		st->addrs[st->naddrs++].count = m->u.addr.count;
	} else if (m->type == LIMIT_ANS_STATUS_USER && st->nusers < st->head.users) {
		memcpy(st->users[st->nusers].user, m->u.user.user, sizeof(m->u.user.user));
		st->users[st->nusers++].count = m->u.user.count;
	} else if (m->type == LIMIT_ANS_STATUS_SESSION && st->nsessions < st->head.sessions) {
		st->sessions[st->nsessions++] = m->u.session;
	} else
		return fail("limitd sent an unexpected or surplus record");
	return 0;
}

/* One message from limitd. RETURNS 1 more to come, 0 at the end, -1 error. */
static int
recv_one(int fd, int timeout_ms, struct status *st)
{
	uint8_t pkt[LIMIT_MAX_MSG];
	struct limit_msg m;
	ssize_t n;
	int r = sys_poll_in(fd, timeout_ms);

	if (r == 0)
		return fail("limitd did not answer in time");
	n = r < 0 ? r : sys_recv_packet(fd, pkt, sizeof(pkt), 0);
	if (n <= 0)
		return fail("reading from limitd: %s", n ? strerror((int)-n) : "connection closed");
	r = limit_decode(pkt, (size_t)n, &m);
	if (r < 0)
		return fail("undecodable answer from limitd: %s", strerror(-r));
	if (m.type == LIMIT_ANS_FAIL)
		return fail("limitd refused: %s: %s", limit_fail_name(m.u.fail.code), m.u.fail.reason);
	if (m.type == LIMIT_ANS_STATUS_END)
		return st->addrs ? 0 : fail("limitd ended before the head");
	if (m.type == LIMIT_ANS_STATUS_HEAD)
		return take_head(st, &m) < 0 ? -1 : 1;
	return take_record(st, &m) < 0 ? -1 : 1;
}

static int
fetch(const char *path, int timeout_ms, struct status *st)
{
	struct limit_msg req = { .type = LIMIT_REQ_STATUS };
	struct buf b;
	int fd, r = 1;
	size_t max_msgs;

	fd = sys_unix_connect(path, SOCK_SEQPACKET);
	if (fd < 0)
		return fail("cannot connect to %s: %s", path, strerror(-fd));
	if (limit_encode(&req, &b) < 0 || sys_send(fd, b.data, b.len, 0) < 0) {
		sys_close(fd);
		return fail("cannot send to %s", path);
	}
	/* The head bounds the records; the first round reads the head. */
	for (size_t i = 0; r == 1; i++) {
		r = recv_one(fd, timeout_ms, st);
		max_msgs = (size_t)st->head.addresses + st->head.users + st->head.sessions + 2;
		if (r == 1 && i + 1 >= max_msgs)
			r = fail("limitd sent more messages than announced");
	}
	sys_close(fd);
	return r;
}

static void
fmt_time(uint64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%llu", (unsigned long long)t);
}

static int
cmp_addr(const void *a, const void *b)
{
	const struct addr_rec *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

static int
cmp_user(const void *a, const void *b)
{
	const struct user_rec *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->user, y->user);
}

static int
cmp_session(const void *a, const void *b)
{
	const struct limit_status_session *x = a, *y = b;

	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void
sort_status(struct status *st)
{
	qsort(st->addrs, st->naddrs, sizeof(*st->addrs), cmp_addr);
	qsort(st->users, st->nusers, sizeof(*st->users), cmp_user);
	qsort(st->sessions, st->nsessions, sizeof(*st->sessions), cmp_session);
}

static void
fmt_limit(uint32_t limit, char *out, size_t len)
{
	if (limit)
		snprintf(out, len, "%u", limit);
	else
		snprintf(out, len, "unlimited");
}

static void
print_text(const struct status *st, FILE *out)
{
	char a[LIMIT_KEY_STR], t[32], l1[16], l2[16], l3[16];
	const struct limit_status_head *h = &st->head;

	fmt_time(h->started, t, sizeof(t));
	fmt_limit(h->max_clients, l1, sizeof(l1));
	fmt_limit(h->max_per_ip, l2, sizeof(l2));
	fmt_limit(h->max_per_user, l3, sizeof(l3));
	fprintf(out, "limitd pid %u, running since %s\n", h->pid, t);
	fprintf(out, "sessions:  %u of max_clients %s\n", h->sessions, l1);
	fprintf(out, "addresses: %u, max_per_ip %s (IPv6 per /%u)\n", h->addresses, l2,
		h->prefix6);
	fprintf(out, "users:     %u, max_per_user %s\n", h->users, l3);
	fprintf(out, "\n%-40s %s\n", "ADDRESS", "SESSIONS");
	for (size_t i = 0; i < st->naddrs; i++) {
		limit_key_str(&st->addrs[i].addr, h->prefix6, a);
		fprintf(out, "%-40s %u\n", a, st->addrs[i].count);
	}
	fprintf(out, "\n%-40s %s\n", "USER", "SESSIONS");
	for (size_t i = 0; i < st->nusers; i++)
		fprintf(out, "%-40s %u\n", st->users[i].user, st->users[i].count);
	fprintf(out, "\n%-8s %-8s %-40s %-20s %s\n", "PID", "UID", "ADDRESS", "USER", "SINCE");
	for (size_t i = 0; i < st->nsessions; i++) {
		const struct limit_status_session *s = &st->sessions[i];

		limit_key_str(&s->addr, h->prefix6, a);
		fmt_time(s->since, t, sizeof(t));
		fprintf(out, "%-8u %-8u %-40s %-20s %s\n", s->pid, s->uid, a,
			s->user[0] ? s->user : "-", t);
	}
}

/* Well-formed UTF-8 (RFC 3629 table 3-7): lead byte range, length,
 * range of the second byte; later bytes are 80..BF. */
static const struct {
	uint8_t lo, hi, len, second_lo, second_hi;
} utf8_forms[] = {
	{ 0xc2, 0xdf, 2, 0x80, 0xbf }, { 0xe0, 0xe0, 3, 0xa0, 0xbf },
	{ 0xe1, 0xec, 3, 0x80, 0xbf }, { 0xed, 0xed, 3, 0x80, 0x9f },
	{ 0xee, 0xef, 3, 0x80, 0xbf }, { 0xf0, 0xf0, 4, 0x90, 0xbf },
	{ 0xf1, 0xf3, 4, 0x80, 0xbf }, { 0xf4, 0xf4, 4, 0x80, 0x8f },
};

/* Length of the well-formed UTF-8 sequence at S (a NUL stops it), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	for (size_t f = 0; f < sizeof(utf8_forms) / sizeof(utf8_forms[0]); f++) {
		if (s[0] < utf8_forms[f].lo || s[0] > utf8_forms[f].hi)
			continue;
		if (s[1] < utf8_forms[f].second_lo || s[1] > utf8_forms[f].second_hi)
			return 0;
		for (size_t i = 2; i < utf8_forms[f].len; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		return utf8_forms[f].len;
	}
	return 0;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void
json_str(const char *str, FILE *out)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = *s >= 0x80 ? utf8_len(s) : 1;

		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\u%04x", *s);
		else if (n == 0)
			fputs("\\ufffd", out);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

static void
print_json_lists(const struct status *st, FILE *out)
{
	char a[LIMIT_KEY_STR], t[32];

	fputs(",\"addresses\":[", out);
	for (size_t i = 0; i < st->naddrs; i++) {
		limit_key_str(&st->addrs[i].addr, st->head.prefix6, a);
		fprintf(out, "%s{\"address\":\"%s\",\"sessions\":%u}", i ? "," : "", a,
			st->addrs[i].count);
	}
	fputs("],\"users\":[", out);
	for (size_t i = 0; i < st->nusers; i++) {
		fprintf(out, "%s{\"user\":", i ? "," : "");
		json_str(st->users[i].user, out);
		fprintf(out, ",\"sessions\":%u}", st->users[i].count);
	}
	fputs("],\"sessions\":[", out);
	for (size_t i = 0; i < st->nsessions; i++) {
		const struct limit_status_session *s = &st->sessions[i];

		limit_key_str(&s->addr, st->head.prefix6, a);
		fmt_time(s->since, t, sizeof(t));
		fprintf(out, "%s{\"pid\":%u,\"uid\":%u,\"address\":\"%s\",\"user\":",
			i ? "," : "", s->pid, s->uid, a);
		if (s->user[0])
			json_str(s->user, out);
		else
			fputs("null", out);
		fprintf(out, ",\"since\":\"%s\",\"since_epoch\":%llu}", t,
			(unsigned long long)s->since);
	}
	fputs("]", out);
}

static void
print_json(const struct status *st, FILE *out)
{
	const struct limit_status_head *h = &st->head;
	char t[32];

	fmt_time(h->started, t, sizeof(t));
	fprintf(out, "{\"pid\":%u,\"started\":\"%s\","
		"\"limits\":{\"max_clients\":%u,\"max_per_ip\":%u,\"max_per_ip_prefix6\":%u,"
		"\"max_per_user\":%u},"
		"\"totals\":{\"sessions\":%u,\"addresses\":%u,\"users\":%u}",
		h->pid, t, h->max_clients, h->max_per_ip, h->prefix6, h->max_per_user,
		h->sessions, h->addresses, h->users);
	print_json_lists(st, out);
}

int
limit_status_run(const struct config *cfg, bool json, int timeout_ms, FILE *out)
{
	struct status st;
	int r;

	memset(&st, 0, sizeof(st));
	r = fetch(cfg->limitd_socket, timeout_ms, &st);
	if (r == 0) {
		sort_status(&st);
		(json ? print_json : print_text)(&st, out);
		if (json && cfg->limitd_cluster[0])
			fputs(",\"cluster\":", out);
		if (cfg->limitd_cluster[0] && limit_cluster_status_print(cfg, json, out) < 0)
			r = -1;
		if (json)
			fputs("}\n", out);
	}
	free(st.addrs);
	free(st.users);
	free(st.sessions);
	return r == 0 && fflush(out) == 0 ? 0 : 1;
}
