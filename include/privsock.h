/*
 * privsock.h - the helper protocol on its socket: framing shared by both
 * sides, and the message-level send/receive built on privproto.h's codec.
 *
 * A message is the header of frame.h (u32 length of the whole message,
 * header included, u16 type, u16 version, all big-endian) and a body
 * built and parsed with buf.h; the whole message is at most PRIV_MAX_MSG
 * bytes.  The socket is a SOCK_STREAM socketpair, so a reader takes the
 * header, then length - 8 bytes.  File descriptors go beside a message
 * with sys_send_fd / sys_recv_fd (SCM_RIGHTS), never inside one.  The TLS
 * control channel (tlsctl.h) uses the same framing with its own types.
 */
#ifndef MINIFTPD_PRIVSOCK_H
#define MINIFTPD_PRIVSOCK_H

#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "privproto.h"

/*
 * priv_send - send one message of TYPE with BODY (NULL: empty).
 * RETURNS 0, -E2BIG when it exceeds PRIV_MAX_MSG, or -errno.  Both sides.
 */
int priv_send(int fd, uint16_t type, const struct buf *body);

/*
 * priv_recv - receive one message: *TYPE and BODY (reset, ready to parse).
 * RETURNS 0, -EPIPE when the peer closed, -EPROTO on a wrong version or
 * a length outside 8..PRIV_MAX_MSG, or -errno.  Both sides.
 */
int priv_recv(int fd, uint16_t *type, struct buf *body);

/*
 * priv_hdr_decode - parse an 8-byte header (frame.h) as priv_recv does:
 * *BODY_LEN gets the length of the body that follows (the header's
 * length less 8), *TYPE the type.  RETURNS 0, or -EPROTO on a wrong
 * version or a length outside 8..PRIV_MAX_MSG.  Pure.
 */
int priv_hdr_decode(const uint8_t hdr[FRAME_HDR_SIZE], uint32_t *body_len,
		    uint16_t *type);

/*
 * priv_send_msg - priv_encode M and send it.  RETURNS 0 or -errno (an
 * encoding failure is the caller's bug: -EINVAL, -E2BIG).  Both sides.
 */
int priv_send_msg(int fd, const struct priv_msg *m);

/*
 * priv_recv_msg - receive one message, which must be of type WANT, and
 * priv_decode it into M.  RETURNS 0, -ENOMSG for another type, -EBADMSG
 * when malformed, or priv_recv's -errno (-EPROTO: a bad header).  The
 * side that asked (the service process), for answers.
 */
int priv_recv_msg(int fd, uint16_t want, struct priv_msg *m);

#endif
