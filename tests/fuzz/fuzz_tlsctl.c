/*
 * fuzz_tlsctl.c - the TLS control channel's decoders (tlsctl.h), as the
 * TLS process (the pre-login process, after login) and the post-login
 * process run them on what priv_recv returns: an 8-byte header for
 * priv_hdr_decode, then the body of the length it says (bytes beyond it
 * are the next message's).  The
 * body goes to tlsctl_req_decode under the header's type, and to
 * tlsctl_ans_decode as the answer of each known request.  A request is
 * accepted only with a known type and an empty body; an answer only for
 * its request, with an empty body (NEW_TICKET, CCC) or (GET_SESSION) exactly one u32
 * length and that many bytes, at most TLSCTL_SESSION_MAX, which it
 * returns unchanged; a request is never taken for an answer or back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "privsock.h"
#include "tlsctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct buf body;
static struct tlsctl_ans ans;

static const uint16_t requests[] = { TLSCTL_REQ_NEW_TICKET, TLSCTL_REQ_GET_SESSION,
				     TLSCTL_REQ_CCC };

static void
expect(int r, int ok)
{
	if (r != 0 && r != -EPROTO)
		abort();
	if ((r == 0) != ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len, n;
	uint16_t type;
	bool session_ok;

	if (size < 8)
		return 0;
	if (priv_hdr_decode(data, &len, &type) < 0)
		return 0;
	if (len > size - 8 || buf_load(&body, data + 8, len) < 0)
		return 0;	/* priv_recv would wait for the rest */
	n = len >= 4 ? (uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 |
			(uint32_t)data[10] << 8 | data[11] : 0;
	session_ok = len >= 4 && n == len - 4 && n <= TLSCTL_SESSION_MAX;
	expect(tlsctl_req_decode(type, &body),
	       (type == TLSCTL_REQ_NEW_TICKET || type == TLSCTL_REQ_GET_SESSION ||
		type == TLSCTL_REQ_CCC) && len == 0);
	body.off = 0;
	expect(tlsctl_ans_decode(TLSCTL_REQ_NEW_TICKET, type, &body, &ans),
	       type == TLSCTL_ANS_NEW_TICKET && len == 0);
	if (ans.session_len != 0)
		abort();
	body.off = 0;
	expect(tlsctl_ans_decode(TLSCTL_REQ_CCC, type, &body, &ans),
	       type == TLSCTL_ANS_CCC && len == 0);
	if (ans.session_len != 0)
		abort();
	body.off = 0;
	expect(tlsctl_ans_decode(TLSCTL_REQ_GET_SESSION, type, &body, &ans),
	       type == TLSCTL_ANS_GET_SESSION && session_ok);
	if (type == TLSCTL_ANS_GET_SESSION && session_ok &&
	    (ans.session_len != n || memcmp(ans.session, data + 12, n) != 0))
		abort();
	if (!(type == TLSCTL_ANS_GET_SESSION && session_ok) && ans.session_len != 0)
		abort();
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		body.off = 0;
		/* an answer is never a request */
		expect(tlsctl_ans_decode(requests[i], requests[i], &body, &ans), 0);
	}
	/* an unknown request has no answer */
	body.off = 0;
	expect(tlsctl_ans_decode(type | 1, type, &body, &ans), 0);
	if (body.off > body.len)
		abort();
	return 0;
}
