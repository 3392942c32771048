/*
 * buf.h - a message body built and parsed with checked getters.
 *
 * Used for the private protocol (privsock.c) and limitd's protocol.
 * Writers fail with -E2BIG past BUF_MAX; readers fail with -EBADMSG on
 * short, oversized or malformed fields; buf_end() fails when bytes are
 * left over.  Integers are big-endian on the wire.  Pure module.
 */
#ifndef MINIFTPD_BUF_H
#define MINIFTPD_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"

#define BUF_MAX PRIV_MAX_MSG

struct buf {
	uint8_t data[BUF_MAX];
	size_t len;		/* bytes filled */
	size_t off;		/* read position */
};

/* buf_reset - empty B for writing or reading. */
void buf_reset(struct buf *b);
/* buf_wipe - zero the LEN filled bytes of B (a password, a signature: not
 * the whole BUF_MAX, which every message would pay for) and empty it. */
void buf_wipe(struct buf *b);
/* buf_load - copy LEN raw bytes in for parsing. RETURNS 0 or -E2BIG. */
int buf_load(struct buf *b, const void *mem, size_t len);

int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
/* buf_put_bytes - u32 length then the bytes. */
int buf_put_bytes(struct buf *b, const void *mem, size_t len);
/* buf_put_str - a C string as buf_put_bytes (without NUL). */
int buf_put_str(struct buf *b, const char *s);

int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u16(struct buf *b, uint16_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
/* buf_get_bytes - length-prefixed bytes into OUT (at most OUTMAX);
 * *LEN gets the length. RETURNS 0 or -EBADMSG. */
int buf_get_bytes(struct buf *b, void *out, size_t outmax, size_t *len);
/* buf_get_str - length-prefixed string into OUT with NUL; refuses inner
 * NUL and strings that do not fit OUTLEN. RETURNS 0 or -EBADMSG. */
int buf_get_str(struct buf *b, char *out, size_t outlen);
/* buf_end - RETURNS 0 when every byte was read, else -EBADMSG. */
int buf_end(const struct buf *b);

#endif
