/*
 * fuzz_tlsctl.c - the TLS control channel's decoders (tlsctl.h), as the
 * TLS process and the post-login process run them on what priv_recv
 * returns: an 8-byte header for priv_hdr_decode, then the body of the length it
 * says (bytes beyond it are the next message's).  The
 * body goes to tlsctl_req_decode under the header's type, and to
 * tlsctl_ans_decode as the answer of each known request.  A message is
 * accepted only with a known type and an empty body (every message has
 * one so far), and a request is never taken for an answer or back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "privsock.h"
#include "tlsctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct buf body;

static const uint16_t requests[] = { TLSCTL_REQ_NEW_TICKET };

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
	uint32_t len;
	uint16_t type;

	if (size < 8)
		return 0;
	if (priv_hdr_decode(data, &len, &type) < 0)
		return 0;
	if (len > size - 8 || buf_load(&body, data + 8, len) < 0)
		return 0;	/* priv_recv would wait for the rest */
	expect(tlsctl_req_decode(type, &body), type == TLSCTL_REQ_NEW_TICKET && len == 0);
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		body.off = 0;
		expect(tlsctl_ans_decode(requests[i], type, &body),
		       type == requests[i] + 1 && len == 0);
	}
	/* an unknown request has no answer */
	body.off = 0;
	expect(tlsctl_ans_decode(type | 1, type, &body), 0);
	if (body.off > body.len)
		abort();
	return 0;
}
