/* privsock.c - the helper protocol on its socket; see privsock.h. */
#include <errno.h>
#include <string.h>

#include "privsock.h"
#include "sysutil.h"

int
priv_send(int fd, uint16_t type, const struct buf *body)
{
	uint8_t msg[PRIV_MAX_MSG];
	size_t len = body ? body->len : 0;
	struct frame_hdr h = { .type = type, .version = PRIV_PROTO_VERSION };
	ssize_t n;

	if (len > PRIV_MAX_MSG - FRAME_HDR_SIZE)
		return -E2BIG;
	h.len = (uint32_t)(FRAME_HDR_SIZE + len);
	frame_hdr_put(msg, &h);
	if (len)
		memcpy(msg + FRAME_HDR_SIZE, body->data, len);
	n = sys_write_full(fd, msg, h.len);
	return n < 0 ? (int)n : 0;
}

int
priv_hdr_decode(const uint8_t hdr[FRAME_HDR_SIZE], uint32_t *body_len, uint16_t *type)
{
	struct frame_hdr h;
	int r = frame_hdr_get(hdr, PRIV_MAX_MSG, &h);

	*type = h.type;
	*body_len = r < 0 ? 0 : h.len - FRAME_HDR_SIZE;
	if (r < 0 || h.version != PRIV_PROTO_VERSION)
		return -EPROTO;
	return 0;
}

int
priv_recv(int fd, uint16_t *type, struct buf *body)
{
	uint8_t hdr[FRAME_HDR_SIZE];
	uint32_t len;
	ssize_t n;

	buf_reset(body);
	n = sys_read_full(fd, hdr, FRAME_HDR_SIZE);
	if (n < 0)
		return (int)n;
	if (priv_hdr_decode(hdr, &len, type) < 0)
		return -EPROTO;
	body->len = len;		/* also on a short read: what buf_wipe covers */
	n = sys_read_full(fd, body->data, len);
	return n < 0 ? (int)n : 0;
}

int
priv_send_msg(int fd, const struct priv_msg *m)
{
	struct buf body;
	int r = priv_encode(m, &body);

	if (r == 0)
		r = priv_send(fd, m->type, &body);
	buf_wipe(&body);	/* a password, a signature */
	return r;
}

int
priv_recv_msg(int fd, uint16_t want, struct priv_msg *m)
{
	struct buf body;
	uint16_t type;
	int r = priv_recv(fd, &type, &body);

	if (r == 0 && type != want)
		r = -ENOMSG;
	if (r == 0)
		r = priv_decode(type, &body, m);
	buf_wipe(&body);
	return r;
}
