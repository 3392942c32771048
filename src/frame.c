/* frame.c - the shared message header; see frame.h. */
#include <errno.h>
#include <string.h>

#include "frame.h"

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

void
frame_hdr_put(uint8_t out[FRAME_HDR_SIZE], const struct frame_hdr *h)
{
	put_be(out, h->len, 4);
	put_be(out + 4, h->type, 2);
	put_be(out + 6, h->version, 2);
}

int
frame_hdr_get(const uint8_t in[FRAME_HDR_SIZE], size_t max, struct frame_hdr *h)
{
	h->len = get_be(in, 4);
	h->type = (uint16_t)get_be(in + 4, 2);
	h->version = (uint16_t)get_be(in + 6, 2);
	if (h->len < FRAME_HDR_SIZE || h->len > max)
		return -EBADMSG;
	return 0;
}

int
frame_begin(struct buf *out)
{
	static const uint8_t zero[FRAME_HDR_SIZE];

	return buf_load(out, zero, sizeof(zero));
}

int
frame_end(struct buf *out, uint16_t type, uint16_t version, size_t max)
{
	struct frame_hdr h = { .len = (uint32_t)out->len, .type = type, .version = version };

	if (out->len < FRAME_HDR_SIZE)
		return -EINVAL;
	if (out->len > max)
		return -E2BIG;
	frame_hdr_put(out->data, &h);
	return 0;
}

int
frame_open(struct buf *b, const void *data, size_t len, size_t max, struct frame_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (len < FRAME_HDR_SIZE || len > max || buf_load(b, data, len) < 0 ||
	    frame_hdr_get(b->data, max, h) < 0 || h->len != len)
		return -EBADMSG;
	b->off = FRAME_HDR_SIZE;
	return 0;
}
