/* privsock.c - private protocol framing; see privsock.h. */
#include <errno.h>
#include <string.h>

#include "privproto.h"
#include "privsock.h"
#include "sysutil.h"

#define HDR_LEN 8

static void
put_be(uint8_t *p, uint32_t v, int width)
{
	for (int i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static uint32_t
get_be(const uint8_t *p, int width)
{
	uint32_t v = 0;

	for (int i = 0; i < width; i++)
		v = (v << 8) | p[i];
	return v;
}

int
priv_send(int fd, uint16_t type, const struct buf *body)
{
	uint8_t msg[HDR_LEN + BUF_MAX];
	size_t len = body ? body->len : 0;
	ssize_t n;

	put_be(msg, (uint32_t)len, 4);
	put_be(msg + 4, type, 2);
	put_be(msg + 6, PRIV_PROTO_VERSION, 2);
	if (len)
		memcpy(msg + HDR_LEN, body->data, len);
	n = sys_write_full(fd, msg, HDR_LEN + len);
	return n < 0 ? (int)n : 0;
}

int
priv_hdr_decode(const uint8_t hdr[HDR_LEN], uint32_t *len, uint16_t *type)
{
	*len = get_be(hdr, 4);
	*type = (uint16_t)get_be(hdr + 4, 2);
	if (get_be(hdr + 6, 2) != PRIV_PROTO_VERSION || *len > BUF_MAX)
		return -EPROTO;
	return 0;
}

int
priv_recv(int fd, uint16_t *type, struct buf *body)
{
	uint8_t hdr[HDR_LEN];
	uint32_t len;
	ssize_t n;

	buf_reset(body);
	n = sys_read_full(fd, hdr, HDR_LEN);
	if (n < 0)
		return (int)n;
	if (priv_hdr_decode(hdr, &len, type) < 0)
		return -EPROTO;
	n = sys_read_full(fd, body->data, len);
	if (n < 0)
		return (int)n;
	body->len = len;
	return 0;
}
