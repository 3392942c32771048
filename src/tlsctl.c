/* tlsctl.c - the TLS control channel's messages; see tlsctl.h. */
#include <errno.h>
#include <stddef.h>

#include "tlsctl.h"

/* The answers' bodies (requests have none). */
enum body { BODY_EMPTY, BODY_SESSION };

/* Every request, its answer and the answer's body. */
static const struct {
	uint16_t req, ans;
	enum body body;
} messages[] = {
	{ TLSCTL_REQ_NEW_TICKET, TLSCTL_ANS_NEW_TICKET, BODY_EMPTY },
	{ TLSCTL_REQ_GET_SESSION, TLSCTL_ANS_GET_SESSION, BODY_SESSION },
	{ TLSCTL_REQ_CCC, TLSCTL_ANS_CCC, BODY_EMPTY },
};

static int
find(uint16_t req)
{
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (messages[i].req == req)
			return (int)i;
	return -1;
}

int
tlsctl_req_decode(uint16_t type, struct buf *body)
{
	if (find(type) < 0 || buf_end(body) < 0)
		return -EPROTO;
	return 0;
}

int
tlsctl_ans_decode(uint16_t req, uint16_t type, struct buf *body, struct tlsctl_ans *out)
{
	int i = find(req);

	out->session_len = 0;
	if (i < 0 || messages[i].ans != type)
		return -EPROTO;
	if ((messages[i].body == BODY_SESSION &&
	     buf_get_bytes(body, out->session, sizeof(out->session), &out->session_len) < 0) ||
	    buf_end(body) < 0) {
		out->session_len = 0;
		return -EPROTO;
	}
	return 0;
}
