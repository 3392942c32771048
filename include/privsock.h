/*
 * privsock.h - framing of the private protocol, shared by both sides.
 *
 * A message is a header (u32 body length, u16 type, u16 version, all
 * big-endian) and a body of at most PRIV_MAX_MSG bytes built and parsed
 * with buf.h.  The socket is a SOCK_STREAM socketpair.
 */
#ifndef MINIFTPD_PRIVSOCK_H
#define MINIFTPD_PRIVSOCK_H

#include <stdint.h>

#include "buf.h"

/*
 * priv_send - send one message of TYPE with BODY (NULL: empty).
 * RETURNS 0 or -errno.  Both sides.
 */
int priv_send(int fd, uint16_t type, const struct buf *body);

/*
 * priv_recv - receive one message: *TYPE and BODY (reset, ready to parse).
 * RETURNS 0, -EPIPE when the peer closed, -EPROTO on a wrong version or
 * an oversized length, or -errno.  Both sides.
 */
int priv_recv(int fd, uint16_t *type, struct buf *body);

/* priv_hdr_decode - parse an 8-byte header. RETURNS 0 or -EPROTO. Pure. */
int priv_hdr_decode(const uint8_t hdr[8], uint32_t *len, uint16_t *type);

#endif
