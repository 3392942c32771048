/*
 * frame.h - the one header rule of miniftpd's two private protocols: the
 * helper protocol (privproto.h, over a SOCK_STREAM socketpair, privsock.c)
 * and limitd's (limitproto.h, over SOCK_SEQPACKET).  Every message of
 * either starts with the same 8 bytes, big-endian:
 *
 *     u32 length   whole message, header included (so never below 8)
 *     u16 type     requests even, answers odd
 *     u16 version  the sender's protocol version
 *
 * followed by a body read with buf.h's checked getters and closed with
 * buf_end().  Each protocol bounds the length by its own maximum
 * (PRIV_MAX_MSG, LIMIT_MAX_MSG); a stream reader reads the header, then
 * length - 8 more bytes.  Pure module: returns -errno, never logs.
 */
#ifndef MINIFTPD_FRAME_H
#define MINIFTPD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FRAME_HDR_SIZE	8

struct frame_hdr {
	uint32_t len;		/* whole message, header included */
	uint16_t type;
	uint16_t version;
};

/*
 * frame_hdr_put - write H as the 8 header bytes at OUT.  Both sides.
 */
void frame_hdr_put(uint8_t out[FRAME_HDR_SIZE], const struct frame_hdr *h);

/*
 * frame_hdr_get - read the 8 header bytes at IN into H.
 * RETURNS 0, or -EBADMSG when H->len is below FRAME_HDR_SIZE or above MAX
 * (H is filled either way, so the caller may log the type).  Both sides.
 */
int frame_hdr_get(const uint8_t in[FRAME_HDR_SIZE], size_t max, struct frame_hdr *h);

/*
 * frame_begin - empty OUT and reserve its header, for the body to be
 * appended with buf_put_*.  RETURNS 0.  Both sides.
 */
int frame_begin(struct buf *out);

/*
 * frame_end - write the header of OUT (built since frame_begin) with TYPE,
 * VERSION and OUT's whole length.  RETURNS 0, -E2BIG when that length
 * exceeds MAX, or -EINVAL when OUT has no header.  Both sides.
 */
int frame_end(struct buf *out, uint16_t type, uint16_t version, size_t max);

/*
 * frame_open - load the LEN bytes at DATA (one whole message) into B,
 * read its header into H and leave B's read position at the body.
 * RETURNS 0, or -EBADMSG when LEN is below the header or above MAX, or
 * the header's length is not LEN.  The version is the caller's to check.
 * Both sides.
 */
int frame_open(struct buf *b, const void *data, size_t len, size_t max,
	       struct frame_hdr *h);

#endif
