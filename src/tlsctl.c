/* tlsctl.c - the TLS control channel's messages; see tlsctl.h. */
#include <errno.h>
#include <stddef.h>

#include "tlsctl.h"

/* Every request, its answer; all bodies are empty so far. */
static const struct {
	uint16_t req, ans;
} messages[] = {
	{ TLSCTL_REQ_NEW_TICKET, TLSCTL_ANS_NEW_TICKET },
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
tlsctl_ans_decode(uint16_t req, uint16_t type, struct buf *body)
{
	int i = find(req);

	if (i < 0 || messages[i].ans != type || buf_end(body) < 0)
		return -EPROTO;
	return 0;
}
