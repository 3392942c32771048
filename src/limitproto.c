/* limitproto.c - limitd wire format; see limitproto.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "limitproto.h"

struct codec {
	uint16_t type;
	int (*enc)(struct buf *b, const struct limit_msg *m);
	int (*dec)(struct buf *b, struct limit_msg *m);
};

static size_t
addr_len(uint8_t family)
{
	return family == LIMIT_AF_INET ? 4 : family == LIMIT_AF_INET6 ? 16 : 0;
}

/* Printable text: no byte below 0x20, no DEL. */
static bool
text_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

bool
limit_user_valid(const char *user)
{
	size_t n = strnlen(user, MAX_USER_NAME + 1);

	return n > 0 && n <= MAX_USER_NAME && text_clean(user);
}

static int
put_addr(struct buf *b, const struct limit_addr *a)
{
	size_t n = addr_len(a->family);

	if (n == 0)
		return -EINVAL;
	if (buf_put_u8(b, a->family) < 0 || buf_put_bytes(b, a->bytes, n) < 0)
		return -E2BIG;
	return 0;
}

static int
get_addr(struct buf *b, struct limit_addr *a)
{
	size_t n;

	memset(a, 0, sizeof(*a));
	if (buf_get_u8(b, &a->family) < 0 ||
	    buf_get_bytes(b, a->bytes, sizeof(a->bytes), &n) < 0 ||
	    addr_len(a->family) == 0 || n != addr_len(a->family))
		return -EBADMSG;
	return 0;
}

/* A user name that may be empty (status records before login). */
static int
get_user(struct buf *b, char *out, bool may_be_empty)
{
	if (buf_get_str(b, out, MAX_USER_NAME + 1) < 0)
		return -EBADMSG;
	if (may_be_empty && out[0] == '\0')
		return 0;
	return limit_user_valid(out) ? 0 : -EBADMSG;
}

static int
put_user(struct buf *b, const char *user, bool may_be_empty)
{
	if (!(may_be_empty && user[0] == '\0') && !limit_user_valid(user))
		return -EINVAL;
	return buf_put_str(b, user);
}

static int
enc_none(struct buf *b, const struct limit_msg *m)
{
	(void)b;
	(void)m;
	return 0;
}

static int
dec_none(struct buf *b, struct limit_msg *m)
{
	(void)b;
	(void)m;
	return 0;
}

static int
enc_fail(struct buf *b, const struct limit_msg *m)
{
	if (strnlen(m->u.fail.reason, LIMIT_MAX_REASON + 1) > LIMIT_MAX_REASON ||
	    !text_clean(m->u.fail.reason))
		return -EINVAL;
	if (buf_put_u32(b, m->u.fail.code) < 0 ||
	    buf_put_str(b, m->u.fail.reason) < 0)
		return -E2BIG;
	return 0;
}

static int
dec_fail(struct buf *b, struct limit_msg *m)
{
	if (buf_get_u32(b, &m->u.fail.code) < 0 ||
	    buf_get_str(b, m->u.fail.reason, sizeof(m->u.fail.reason)) < 0 ||
	    !text_clean(m->u.fail.reason))
		return -EBADMSG;
	return 0;
}

static int
enc_admit(struct buf *b, const struct limit_msg *m)
{
	if (m->u.admit.flags & ~LIMIT_F_ALL)
		return -EINVAL;
	if (buf_put_u8(b, m->u.admit.flags) < 0)
		return -E2BIG;
	return put_addr(b, &m->u.admit.addr);
}

static int
dec_admit(struct buf *b, struct limit_msg *m)
{
	if (buf_get_u8(b, &m->u.admit.flags) < 0 ||
	    (m->u.admit.flags & ~LIMIT_F_ALL))
		return -EBADMSG;
	return get_addr(b, &m->u.admit.addr);
}

static int
enc_verdict(struct buf *b, const struct limit_msg *m)
{
	if (!limit_verdict_on_wire(m->u.verdict))
		return -EINVAL;
	return buf_put_u32(b, m->u.verdict);
}

static int
dec_verdict(struct buf *b, struct limit_msg *m)
{
	if (buf_get_u32(b, &m->u.verdict) < 0 || !limit_verdict_on_wire(m->u.verdict))
		return -EBADMSG;
	return 0;
}

static int
enc_login(struct buf *b, const struct limit_msg *m)
{
	if (m->u.login.flags & ~LIMIT_F_ALL)
		return -EINVAL;
	if (buf_put_u8(b, m->u.login.flags) < 0)
		return -E2BIG;
	return put_user(b, m->u.login.user, false);
}

static int
dec_login(struct buf *b, struct limit_msg *m)
{
	if (buf_get_u8(b, &m->u.login.flags) < 0 ||
	    (m->u.login.flags & ~LIMIT_F_ALL))
		return -EBADMSG;
	return get_user(b, m->u.login.user, false);
}

static bool
prefix6_valid(uint32_t prefix6)
{
	return prefix6 >= LIMIT_PREFIX6_MIN && prefix6 <= LIMIT_PREFIX6_MAX;
}

static int
enc_head(struct buf *b, const struct limit_msg *m)
{
	const struct limit_status_head *h = &m->u.head;
	const uint32_t v[] = { h->sessions, h->addresses, h->users, h->max_clients,
			       h->max_per_ip, h->max_per_user, h->prefix6, h->pid };

	if (!prefix6_valid(h->prefix6))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (buf_put_u32(b, v[i]) < 0)
			return -E2BIG;
	return buf_put_u64(b, h->started);
}

static int
dec_head(struct buf *b, struct limit_msg *m)
{
	struct limit_status_head *h = &m->u.head;
	uint32_t *v[] = { &h->sessions, &h->addresses, &h->users, &h->max_clients,
			  &h->max_per_ip, &h->max_per_user, &h->prefix6, &h->pid };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (buf_get_u32(b, v[i]) < 0)
			return -EBADMSG;
	if (!prefix6_valid(h->prefix6))
		return -EBADMSG;
	return buf_get_u64(b, &h->started);
}

static int
enc_addr(struct buf *b, const struct limit_msg *m)
{
	int r = put_addr(b, &m->u.addr.addr);

	return r < 0 ? r : buf_put_u32(b, m->u.addr.count);
}

static int
dec_addr(struct buf *b, struct limit_msg *m)
{
	if (get_addr(b, &m->u.addr.addr) < 0)
		return -EBADMSG;
	return buf_get_u32(b, &m->u.addr.count);
}

static int
enc_user(struct buf *b, const struct limit_msg *m)
{
	int r = put_user(b, m->u.user.user, false);

	return r < 0 ? r : buf_put_u32(b, m->u.user.count);
}

static int
dec_user(struct buf *b, struct limit_msg *m)
{
	if (get_user(b, m->u.user.user, false) < 0)
		return -EBADMSG;
	return buf_get_u32(b, &m->u.user.count);
}

static int
enc_session(struct buf *b, const struct limit_msg *m)
{
	const struct limit_status_session *s = &m->u.session;
	int r;

	if (buf_put_u32(b, s->pid) < 0 || buf_put_u32(b, s->uid) < 0)
		return -E2BIG;
	r = put_addr(b, &s->addr);
	if (r < 0)
		return r;
	if (buf_put_u64(b, s->since) < 0)
		return -E2BIG;
	return put_user(b, s->user, true);
}

static int
dec_session(struct buf *b, struct limit_msg *m)
{
	struct limit_status_session *s = &m->u.session;

	if (buf_get_u32(b, &s->pid) < 0 || buf_get_u32(b, &s->uid) < 0 ||
	    get_addr(b, &s->addr) < 0 || buf_get_u64(b, &s->since) < 0)
		return -EBADMSG;
	return get_user(b, s->user, true);
}

static const struct codec codecs[] = {
	{ LIMIT_ANS_FAIL,	    enc_fail,	 dec_fail },
	{ LIMIT_REQ_ADMIT,	    enc_admit,	 dec_admit },
	{ LIMIT_ANS_VERDICT,	    enc_verdict, dec_verdict },
	{ LIMIT_REQ_LOGIN,	    enc_login,	 dec_login },
	{ LIMIT_REQ_STATUS,	    enc_none,	 dec_none },
	{ LIMIT_REQ_LOGIN_FAIL,	    enc_none,	 dec_none },
	{ LIMIT_ANS_STATUS_HEAD,    enc_head,	 dec_head },
	{ LIMIT_ANS_STATUS_ADDR,    enc_addr,	 dec_addr },
	{ LIMIT_ANS_STATUS_USER,    enc_user,	 dec_user },
	{ LIMIT_ANS_STATUS_SESSION, enc_session, dec_session },
	{ LIMIT_ANS_STATUS_END,	    enc_none,	 dec_none },
};

static const struct codec *
find_codec(uint16_t type)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].type == type)
			return &codecs[i];
	return NULL;
}

int
limit_encode(const struct limit_msg *m, struct buf *out)
{
	const struct codec *c = find_codec(m->type);
	int r;

	frame_begin(out);
	if (c == NULL)
		return -EINVAL;
	r = c->enc(out, m);
	if (r < 0)
		return r;
	return frame_end(out, m->type, LIMIT_PROTO_VERSION, LIMIT_MAX_MSG);
}

int
limit_decode(const void *data, size_t len, struct limit_msg *m)
{
	const struct codec *c;
	struct frame_hdr h;
	struct buf b;

	memset(m, 0, sizeof(*m));
	if (frame_open(&b, data, len, LIMIT_MAX_MSG, &h) < 0)
		return -EBADMSG;
	m->type = h.type;
	m->version = h.version;
	if (m->version != LIMIT_PROTO_VERSION && m->type != LIMIT_ANS_FAIL)
		return -EPROTONOSUPPORT;
	c = find_codec(m->type);
	if (c == NULL)
		return -ENOMSG;
	if (c->dec(&b, m) < 0 || buf_end(&b) < 0)
		return -EBADMSG;
	return 0;
}

int
limit_addr_from_sockaddr(const struct sockaddr_storage *sa, struct limit_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->ss_family == AF_INET) {
		out->family = LIMIT_AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->ss_family == AF_INET6) {
		out->family = LIMIT_AF_INET6;
		memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else
		return -EAFNOSUPPORT;
	limit_addr_normalize(out);
	return 0;
}

void
limit_addr_normalize(struct limit_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (a->family == LIMIT_AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
		memmove(a->bytes, a->bytes + 12, 4);
		a->family = LIMIT_AF_INET;
	}
	if (a->family == LIMIT_AF_INET)
		memset(a->bytes + 4, 0, 12);
}

void
limit_addr_mask(struct limit_addr *a, unsigned int prefix6)
{
	unsigned int keep = prefix6 / 8;

	limit_addr_normalize(a);
	if (a->family != LIMIT_AF_INET6 || prefix6 >= 128)
		return;
	a->bytes[keep] &= (uint8_t)(0xff00u >> (prefix6 % 8));
	memset(a->bytes + keep + 1, 0, 16 - keep - 1);
}

void
limit_key_str(const struct limit_addr *a, unsigned int prefix6, char out[LIMIT_KEY_STR])
{
	char text[LIMIT_ADDR_STR];

	limit_addr_str(a, text);
	if (a->family == LIMIT_AF_INET6 && prefix6 < 128)
		snprintf(out, LIMIT_KEY_STR, "%s/%u", text, prefix6);
	else
		memcpy(out, text, strlen(text) + 1);	/* LIMIT_KEY_STR > LIMIT_ADDR_STR */
}

/* A dotted quad without inet_ntop's sprintf: with a store, limitd writes
 * one per admission and per release. */
static void
ipv4_str(const uint8_t b[4], char out[LIMIT_ADDR_STR])
{
	char *p = out;

	for (int i = 0; i < 4; i++) {
		unsigned int v = b[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

void
limit_addr_str(const struct limit_addr *a, char out[LIMIT_ADDR_STR])
{
	if (a->family == LIMIT_AF_INET)
		ipv4_str(a->bytes, out);
	else if (addr_len(a->family) == 0 ||
		 inet_ntop(AF_INET6, a->bytes, out, LIMIT_ADDR_STR) == NULL)
		snprintf(out, LIMIT_ADDR_STR, "unknown");
}

#define LIMIT_V_ROW_(name, code, wire, log, reason, reply) [code] = { wire, log, reason, reply },
static const struct limit_verdict_row verdicts[LIMIT_V_COUNT] = {
	LIMIT_VERDICTS(LIMIT_V_ROW_)
};
#undef LIMIT_V_ROW_

const struct limit_verdict_row *
limit_verdict_row(uint32_t verdict)
{
	return verdict < LIMIT_V_COUNT && verdicts[verdict].log ? &verdicts[verdict] : NULL;
}

bool
limit_verdict_on_wire(uint32_t verdict)
{
	const struct limit_verdict_row *row = limit_verdict_row(verdict);

	return row != NULL && row->wire;
}

const char *
limit_verdict_name(uint32_t verdict)
{
	const struct limit_verdict_row *row = limit_verdict_row(verdict);

	return row ? row->log : "unknown verdict";
}

static const char *const fail_names[] = {
	[LIMIT_FAIL_VERSION] = "protocol version mismatch",
	[LIMIT_FAIL_MALFORMED] = "malformed message",
	[LIMIT_FAIL_PERM] = "permission denied",
	[LIMIT_FAIL_STATE] = "request out of order",
	[LIMIT_FAIL_RESOURCE] = "out of resources",
};

const char *
limit_fail_name(uint32_t code)
{
	if (code < sizeof(fail_names) / sizeof(fail_names[0]) && fail_names[code])
		return fail_names[code];
	return "unknown failure";
}
