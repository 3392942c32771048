/* buf.c - checked message bodies; see buf.h. */
#include <errno.h>
#include <string.h>

#include "buf.h"

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->off = 0;
}

void
buf_wipe(struct buf *b)
{
	explicit_bzero(b->data, b->len < BUF_MAX ? b->len : BUF_MAX);
	buf_reset(b);
}

int
buf_load(struct buf *b, const void *mem, size_t len)
{
	buf_reset(b);
	if (len > BUF_MAX)
		return -E2BIG;
	memcpy(b->data, mem, len);
	b->len = len;
	return 0;
}

static int
buf_put(struct buf *b, const void *mem, size_t len)
{
	if (len > BUF_MAX - b->len)
		return -E2BIG;
	memcpy(b->data + b->len, mem, len);
	b->len += len;
	return 0;
}

static int
buf_put_be(struct buf *b, uint64_t v, size_t width)
{
	uint8_t tmp[8];

	for (size_t i = 0; i < width; i++)
		tmp[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	return buf_put(b, tmp, width);
}

int buf_put_u8(struct buf *b, uint8_t v) { return buf_put_be(b, v, 1); }
int buf_put_u16(struct buf *b, uint16_t v) { return buf_put_be(b, v, 2); }
int buf_put_u32(struct buf *b, uint32_t v) { return buf_put_be(b, v, 4); }
int buf_put_u64(struct buf *b, uint64_t v) { return buf_put_be(b, v, 8); }

int
buf_put_bytes(struct buf *b, const void *mem, size_t len)
{
	size_t old = b->len;

	if (len > UINT32_MAX || buf_put_u32(b, (uint32_t)len) < 0 ||
	    buf_put(b, mem, len) < 0) {
		b->len = old;
		return -E2BIG;
	}
	return 0;
}

int
buf_put_str(struct buf *b, const char *s)
{
	return buf_put_bytes(b, s, strlen(s));
}

static int
buf_get_be(struct buf *b, uint64_t *v, size_t width)
{
	if (width > b->len - b->off)
		return -EBADMSG;
	*v = 0;
	for (size_t i = 0; i < width; i++)
		*v = (*v << 8) | b->data[b->off + i];
	b->off += width;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	uint64_t x;
	int r = buf_get_be(b, &x, 1);

	if (r == 0)
		*v = (uint8_t)x;
	return r;
}

int
buf_get_u16(struct buf *b, uint16_t *v)
{
	uint64_t x;
	int r = buf_get_be(b, &x, 2);

	if (r == 0)
		*v = (uint16_t)x;
	return r;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	uint64_t x;
	int r = buf_get_be(b, &x, 4);

	if (r == 0)
		*v = (uint32_t)x;
	return r;
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	return buf_get_be(b, v, 8);
}

int
buf_get_bytes(struct buf *b, void *out, size_t outmax, size_t *len)
{
	uint32_t n;
	size_t start = b->off;

	if (buf_get_u32(b, &n) < 0)
		return -EBADMSG;
	if (n > outmax || n > b->len - b->off) {
		b->off = start;
		return -EBADMSG;
	}
	memcpy(out, b->data + b->off, n);
	b->off += n;
	*len = n;
	return 0;
}

int
buf_get_str(struct buf *b, char *out, size_t outlen)
{
	size_t n, start = b->off;

	if (outlen == 0 || buf_get_bytes(b, out, outlen - 1, &n) < 0)
		return -EBADMSG;
	if (memchr(out, '\0', n) != NULL) {
		b->off = start;
		return -EBADMSG;
	}
	out[n] = '\0';
	return 0;
}

int
buf_end(const struct buf *b)
{
	return b->off == b->len ? 0 : -EBADMSG;
}
