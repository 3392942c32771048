/*
 * tlsctl.h - the messages of the TLS control channel, between the
 * post-login service process and the TLS process (tlsproc.h), framed like
 * the helper protocol (privsock.h: u32 length, u16 type, u16 version):
 * requests even, answers odd.
 *
 *   TLSCTL_REQ_NEW_TICKET  empty body; the TLS process queues a new TLS 1.3
 *                          session ticket (nothing under TLS 1.2), to go
 *                          out before any later reply.  Answer: empty.
 *   TLSCTL_REQ_GET_SESSION empty body, once, at login; the TLS process
 *                          answers the control connection's session
 *                          (i2d_SSL_SESSION) under TLS 1.2, which the
 *                          post-login process adds to its data context's
 *                          cache for clients that resume by session id,
 *                          and no bytes under TLS 1.3.  Answer: bytes
 *                          (u32 length, at most TLSCTL_SESSION_MAX).
 *   TLSCTL_REQ_CCC         empty body, after the post-login process wrote
 *                          CCC's 200 reply (ssl_allow_ccc): the TLS process
 *                          sends what the service wrote, exchanges
 *                          close_notify with the client, answers (empty
 *                          body) with the control connection's TCP socket
 *                          attached (SCM_RIGHTS, blocking again) and exits.
 *                          On any failure it exits without answering.
 *
 * Anything else ends the TLS process, and with it the session.  The
 * decoders below are the only place either side checks a message's type
 * and body; they are pure and fuzzed (tests/fuzz/fuzz_tlsctl.c).
 */
#ifndef MINIFTPD_TLSCTL_H
#define MINIFTPD_TLSCTL_H

#include <stdint.h>

#include "buf.h"

enum tlsctl_type {
	TLSCTL_REQ_NEW_TICKET	= 2,
	TLSCTL_ANS_NEW_TICKET	= 3,
	TLSCTL_REQ_GET_SESSION	= 4,
	TLSCTL_ANS_GET_SESSION	= 5,
	TLSCTL_REQ_CCC		= 6,
	TLSCTL_ANS_CCC		= 7,
};

/* An encoded TLS 1.2 server session: ids, master secret, times, ticket. */
#define TLSCTL_SESSION_MAX	4096

/* What an answer carries. */
struct tlsctl_ans {
	uint8_t session[TLSCTL_SESSION_MAX];	/* GET_SESSION */
	size_t session_len;
};

/*
 * tlsctl_req_decode - check a request of TYPE whose body is BODY (as
 * priv_recv left it).  RETURNS 0, or -EPROTO for an unknown type or a
 * body that is not what TYPE says.  TLS process.  Pure.
 */
int tlsctl_req_decode(uint16_t type, struct buf *body);

/*
 * tlsctl_ans_decode - check the answer of TYPE with BODY to request REQ
 * and fill OUT with what it carries.  RETURNS 0, or -EPROTO for an
 * unknown REQ, a TYPE that does not answer it or a wrong body.
 * Post-login service process.  Pure.
 */
int tlsctl_ans_decode(uint16_t req, uint16_t type, struct buf *body, struct tlsctl_ans *out);

#endif
