/* privproto.c - the helper protocol's codec; see privproto.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "privproto.h"

struct codec {
	uint16_t type;
	int (*enc)(struct buf *b, const struct priv_msg *m);
	int (*dec)(struct buf *b, struct priv_msg *m);
};

static int
enc_none(struct buf *b, const struct priv_msg *m)
{
	(void)b;
	(void)m;
	return 0;
}

static int
dec_none(struct buf *b, struct priv_msg *m)
{
	(void)b;
	(void)m;
	return 0;
}

static bool
errno_valid(int32_t r)
{
	return r <= 0 && r >= -PRIV_ERRNO_MAX;
}

static int
put_i32(struct buf *b, int32_t v)
{
	return buf_put_u32(b, (uint32_t)v);
}

static int
get_errno(struct buf *b, int32_t *out)
{
	uint32_t v;

	if (buf_get_u32(b, &v) < 0 || !errno_valid((int32_t)v))
		return -EBADMSG;
	*out = (int32_t)v;
	return 0;
}

static int
enc_login(struct buf *b, const struct priv_msg *m)
{
	if (strnlen(m->u.login.user, MAX_USER_NAME + 1) > MAX_USER_NAME ||
	    strnlen(m->u.login.pass, MAX_PASSWORD + 1) > MAX_PASSWORD)
		return -EINVAL;
	if (buf_put_str(b, m->u.login.user) < 0 || buf_put_str(b, m->u.login.pass) < 0)
		return -E2BIG;
	return 0;
}

static int
dec_login(struct buf *b, struct priv_msg *m)
{
	if (buf_get_str(b, m->u.login.user, sizeof(m->u.login.user)) < 0 ||
	    buf_get_str(b, m->u.login.pass, sizeof(m->u.login.pass)) < 0)
		return -EBADMSG;
	return 0;
}

static int
enc_login_result(struct buf *b, const struct priv_msg *m)
{
	if ((uint32_t)m->u.login_result > PRIV_LOGIN_USER_CONFIG)
		return -EINVAL;
	return buf_put_u32(b, m->u.login_result);
}

static int
dec_login_result(struct buf *b, struct priv_msg *m)
{
	uint32_t v;

	if (buf_get_u32(b, &v) < 0 || v > PRIV_LOGIN_USER_CONFIG)
		return -EBADMSG;
	m->u.login_result = (enum priv_login_result)v;
	return 0;
}

/* Where TARGET's address lies, and its length; NULL for other families. */
static void *
target_addr(struct sockaddr_storage *target, size_t *len)
{
	if (target->ss_family == AF_INET) {
		*len = 4;
		return &((struct sockaddr_in *)target)->sin_addr;
	}
	if (target->ss_family == AF_INET6) {
		*len = 16;
		return &((struct sockaddr_in6 *)target)->sin6_addr;
	}
	return NULL;
}

static uint16_t *
target_port(struct sockaddr_storage *target)
{
	return target->ss_family == AF_INET ? &((struct sockaddr_in *)target)->sin_port :
	       &((struct sockaddr_in6 *)target)->sin6_port;
}

static int
enc_target(struct buf *b, const struct priv_msg *m)
{
	struct sockaddr_storage t = m->u.target;
	size_t len;
	const void *addr = target_addr(&t, &len);

	if (addr == NULL)
		return -EINVAL;
	if (buf_put_u32(b, t.ss_family) < 0 || buf_put_bytes(b, addr, len) < 0 ||
	    buf_put_u32(b, ntohs(*target_port(&t))) < 0)
		return -E2BIG;
	return 0;
}

static int
dec_target(struct buf *b, struct priv_msg *m)
{
	struct sockaddr_storage *t = &m->u.target;
	uint8_t addr[16];
	uint32_t family, port;
	size_t len, want;
	void *at;

	if (buf_get_u32(b, &family) < 0 || buf_get_bytes(b, addr, sizeof(addr), &len) < 0 ||
	    buf_get_u32(b, &port) < 0 || port > 65535 ||
	    (family != AF_INET && family != AF_INET6))
		return -EBADMSG;
	memset(t, 0, sizeof(*t));
	t->ss_family = (sa_family_t)family;
	at = target_addr(t, &want);
	if (len != want)
		return -EBADMSG;
	memcpy(at, addr, len);
	*target_port(t) = htons((uint16_t)port);
	return 0;
}

static int
enc_result(struct buf *b, const struct priv_msg *m)
{
	if (!errno_valid(m->u.result))
		return -EINVAL;
	return put_i32(b, m->u.result);
}

static int
dec_result(struct buf *b, struct priv_msg *m)
{
	return get_errno(b, &m->u.result);
}

static int
enc_start_tls(struct buf *b, const struct priv_msg *m)
{
	if (!errno_valid(m->u.start_tls.result))
		return -EINVAL;
	if (put_i32(b, m->u.start_tls.result) < 0 ||
	    (m->u.start_tls.result == 0 &&
	     buf_put_bytes(b, m->u.start_tls.ticket_key, PRIV_TICKET_KEY_LEN) < 0))
		return -E2BIG;
	return 0;
}

static int
dec_start_tls(struct buf *b, struct priv_msg *m)
{
	size_t len = 0;

	if (get_errno(b, &m->u.start_tls.result) < 0)
		return -EBADMSG;
	if (m->u.start_tls.result == 0 &&
	    (buf_get_bytes(b, m->u.start_tls.ticket_key, PRIV_TICKET_KEY_LEN, &len) < 0 ||
	     len != PRIV_TICKET_KEY_LEN))
		return -EBADMSG;
	return 0;
}

static int
enc_tls_prot(struct buf *b, const struct priv_msg *m)
{
	if (m->u.tls_prot.pbsz > 1 || m->u.tls_prot.prot_p > 1)
		return -EINVAL;
	if (buf_put_u32(b, m->u.tls_prot.pbsz) < 0 || buf_put_u32(b, m->u.tls_prot.prot_p) < 0)
		return -E2BIG;
	return 0;
}

static int
dec_tls_prot(struct buf *b, struct priv_msg *m)
{
	if (buf_get_u32(b, &m->u.tls_prot.pbsz) < 0 ||
	    buf_get_u32(b, &m->u.tls_prot.prot_p) < 0 ||
	    m->u.tls_prot.pbsz > 1 || m->u.tls_prot.prot_p > 1)
		return -EBADMSG;
	return 0;
}

static int
enc_sign(struct buf *b, const struct priv_msg *m)
{
	if (m->u.sign.len > PRIV_SIGN_MAX)
		return -EINVAL;
	if (buf_put_u32(b, m->u.sign.kind) < 0 ||
	    buf_put_bytes(b, m->u.sign.in, m->u.sign.len) < 0)
		return -E2BIG;
	return 0;
}

static int
dec_sign(struct buf *b, struct priv_msg *m)
{
	if (buf_get_u32(b, &m->u.sign.kind) < 0 ||
	    buf_get_bytes(b, m->u.sign.in, sizeof(m->u.sign.in), &m->u.sign.len) < 0)
		return -EBADMSG;
	return 0;
}

static int
enc_sign_ans(struct buf *b, const struct priv_msg *m)
{
	if (!errno_valid(m->u.sign_ans.result) || m->u.sign_ans.len > PRIV_SIGN_MAX ||
	    (m->u.sign_ans.result < 0 && m->u.sign_ans.len != 0))
		return -EINVAL;
	if (put_i32(b, m->u.sign_ans.result) < 0 ||
	    buf_put_bytes(b, m->u.sign_ans.sig, m->u.sign_ans.len) < 0)
		return -E2BIG;
	return 0;
}

static int
dec_sign_ans(struct buf *b, struct priv_msg *m)
{
	if (get_errno(b, &m->u.sign_ans.result) < 0 ||
	    buf_get_bytes(b, m->u.sign_ans.sig, sizeof(m->u.sign_ans.sig),
			  &m->u.sign_ans.len) < 0 ||
	    (m->u.sign_ans.result < 0 && m->u.sign_ans.len != 0))
		return -EBADMSG;
	return 0;
}

static const struct codec codecs[] = {
	{ PRIV_REQ_LOGIN,	 enc_login,	    dec_login },
	{ PRIV_ANS_LOGIN,	 enc_login_result,  dec_login_result },
	{ PRIV_REQ_PORT_SOCK,	 enc_target,	    dec_target },
	{ PRIV_ANS_PORT_SOCK,	 enc_result,	    dec_result },
	{ PRIV_REQ_CHOWN_UPLOAD, enc_none,	    dec_none },
	{ PRIV_ANS_CHOWN_UPLOAD, enc_result,	    dec_result },
	{ PRIV_REQ_START_TLS,	 enc_none,	    dec_none },
	{ PRIV_ANS_START_TLS,	 enc_start_tls,	    dec_start_tls },
	{ PRIV_REQ_TLS_PROT,	 enc_tls_prot,	    dec_tls_prot },
	{ PRIV_ANS_TLS_PROT,	 enc_result,	    dec_result },
	{ PRIV_REQ_TLS_SIGN,	 enc_sign,	    dec_sign },
	{ PRIV_ANS_TLS_SIGN,	 enc_sign_ans,	    dec_sign_ans },
	{ PRIV_REQ_TLS_READY,	 enc_none,	    dec_none },
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
priv_encode(const struct priv_msg *m, struct buf *body)
{
	const struct codec *c = find_codec(m->type);

	buf_reset(body);
	return c == NULL ? -EINVAL : c->enc(body, m);
}

int
priv_decode(uint16_t type, struct buf *body, struct priv_msg *m)
{
	const struct codec *c = find_codec(type);

	memset(m, 0, sizeof(*m));
	m->type = type;
	if (c == NULL)
		return -ENOMSG;
	body->off = 0;
	if (c->dec(body, m) < 0 || buf_end(body) < 0)
		return -EBADMSG;
	return 0;
}
