/*
 * fuzz_limitproto.c - limitd's message decoder (limit_decode), the parser
 * limitd runs on every packet a client sends.  Whatever decodes in our
 * version must encode back to exactly the same bytes (the format has one
 * spelling for each message), and what it yields must be in range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limitproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fields(const struct limit_msg *m)
{
	char text[LIMIT_ADDR_STR];

	switch (m->type) {
	case LIMIT_REQ_ADMIT:
		if (m->u.admit.flags & ~LIMIT_F_ALL)
			abort();
		limit_addr_str(&m->u.admit.addr, text);
		break;
	case LIMIT_REQ_LOGIN:
		if (!limit_user_valid(m->u.login.user))
			abort();
		break;
	case LIMIT_ANS_VERDICT:
		if (!limit_verdict_on_wire(m->u.verdict))
			abort();
		break;
	case LIMIT_ANS_FAIL:
		if (strlen(m->u.fail.reason) > LIMIT_MAX_REASON)
			abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct limit_msg m;
	struct buf b;
	int r = limit_decode(data, size, &m);

	if (r != 0 && r != -EBADMSG && r != -EPROTONOSUPPORT && r != -ENOMSG)
		abort();
	if (r != 0)
		return 0;
	check_fields(&m);
	if (m.version != LIMIT_PROTO_VERSION)
		return 0;	/* a FAIL of another version */
	if (limit_encode(&m, &b) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	return 0;
}
